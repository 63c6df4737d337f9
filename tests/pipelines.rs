//! The image workflows of examples/ (AppJail, pot, SmartOS, Bastille, ACI and the Make
//! macros) run end to end on real inputs, and their results are checked with independent
//! tools: bsdtar, xz, gzip, zstd, sha256sum, sha512sum, the real imgmanifest validator, zfs.
//! Each failure case must stop the workflow with a clear message and leave nothing
//! half-imported.
mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::zfs::{Pool, get as zfs_get, zfs_ok};
use common::{Cmd, Run, sh};

// ---------------------------------------------------------------------------------------
// Helpers

/// The directory holding the tools under test.
fn bin_dir() -> PathBuf {
    Path::new(bin!(jsum)).parent().unwrap().to_path_buf()
}

/// An example script run with the tools under test, in `dir`.
fn example(script: &str, dir: &Path) -> Cmd {
    Cmd::new("bash")
        .arg(common::repo_root().join("examples").join(script))
        .env("JTOOLS_BIN", bin_dir())
        .dir(dir)
}

/// Names directly inside `dir`, hidden ones included, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn out(run: &Run) -> String {
    run.stdout_str().trim_end().to_string()
}

/// Asserts the workflow failed, that it said so on its last line, and what that line says.
fn failed_with(run: &Run, tool_line: &str) {
    assert_ne!(run.code, Some(0), "workflow should fail\n{}", run.stderr);
    assert!(run.stderr.contains(tool_line), "stderr lacks {tool_line:?}:\n{}", run.stderr);
}

/// A jail directory in AppJail's layout whose jail/ is a busybox userland: jail/bin/busybox
/// with a few applets, passwd, group; init; conf/volumes/data/{mountpoint,type};
/// conf/config.conf. None (SKIPPED) without busybox.
fn appjail_dir(parent: &Path) -> Option<PathBuf> {
    if !common::have("busybox") {
        return None;
    }
    let dir = parent.join("web");
    let jail = dir.join("jail");
    for sub in ["bin", "etc", "root", "tmp"] {
        fs::create_dir_all(jail.join(sub)).unwrap();
    }
    // cp, not fs::copy: see tests/jrun.rs (ETXTBSY from a file open for writing).
    let copied =
        Command::new("cp").arg(common::which("busybox").unwrap()).arg(jail.join("bin/busybox")).status();
    assert!(copied.unwrap().success());
    for applet in ["sh", "echo", "cat", "ls", "uname", "id"] {
        symlink("busybox", jail.join("bin").join(applet)).unwrap();
    }
    fs::write(jail.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    fs::write(jail.join("etc/group"), "root:x:0:\n").unwrap();
    fs::write(jail.join("etc/motd"), "served from an AppJail image\n").unwrap();
    fs::write(dir.join("init"), "#!/bin/sh\necho init\n").unwrap();
    fs::create_dir_all(dir.join("conf/volumes/data")).unwrap();
    fs::write(dir.join("conf/volumes/data/mountpoint"), "/data").unwrap();
    fs::write(dir.join("conf/volumes/data/type"), "nullfs").unwrap();
    fs::write(dir.join("conf/config.conf"), "appjail_version: 3.5.0\nosarch: amd64\njail_type: thin\n")
        .unwrap();
    Some(dir)
}

// ---------------------------------------------------------------------------------------
// 1. AppJail

/// Exports the example jail and publishes it to `mirror`; the .ajspec lists a dead mirror
/// first. Returns the published .ajspec.
fn appjail_publish(work: &Path, jail: &Path) -> PathBuf {
    let mirrors = format!("file://{}/dead file://{}/mirror", work.display(), work.display());
    let export = example("appjail.sh", work)
        .env("NAME", "web")
        .env("TAG", "1.0")
        .env("ARCH", "amd64")
        .env("MIRRORS", &mirrors)
        .arg("export")
        .arg(jail)
        .arg("out")
        .run();
    export.success();
    example("appjail.sh", work)
        .env("TAG", "1.0")
        .env("ARCH", "amd64")
        .args(["publish", "out", "mirror"])
        .run()
        .success();
    work.join("mirror/web/.ajspec")
}

fn appjail_import(work: &Path, spec: &Path, dest: &str) -> Run {
    example("appjail.sh", work).env("TAG", "1.0").env("ARCH", "amd64").arg("import").arg(spec).arg(dest).run()
}

#[test]
fn appjail_export_publish_import_run() {
    let work = common::tempdir();
    let w = work.path();
    let Some(jail) = appjail_dir(w) else { return };
    let spec = appjail_publish(w, &jail);
    let image = w.join("out/1.0-amd64-image.appjail");

    // The four members AppJail's import asks bsdtar for are all there (bsdtar exits 1 if one
    // is missing), and the stream is xz.
    if common::have("bsdtar") {
        let members = Cmd::new("bsdtar")
            .arg("-tf")
            .arg(&image)
            .args(["./jail/", "./init", "./conf/volumes/", "./conf/config.conf"])
            .run();
        members.success();
        for m in ["./jail/bin/busybox", "./init", "./conf/volumes/data/mountpoint", "./conf/config.conf"] {
            assert!(members.stdout_str().lines().any(|l| l == m), "{m} missing:\n{}", members.stdout_str());
        }
    }
    sh(&format!("xz -t {}", image.display())).run().success();
    // The .ajspec: SHA-256 and size of the image, two sources, dead one first.
    let sha = sh(&format!("sha256sum < {} | cut -c1-64", image.display())).run();
    let get = |key: &str| out(&common::jspec().args(["get", "-t", "1.0"]).arg(&spec).arg(key).run());
    assert_eq!(get("sum:amd64"), out(&sha));
    assert_eq!(get("size:amd64"), fs::metadata(&image).unwrap().len().to_string());
    let sources = get("source:amd64");
    let sources: Vec<&str> = sources.lines().collect();
    assert_eq!(sources.len(), 2);
    assert!(sources[0].ends_with("/dead/web/1.0-amd64-image.appjail"), "{sources:?}");
    common::jspec().arg("validate").arg(&spec).run().success();

    // Import: the dead mirror is skipped, the tree comes back as it was exported.
    let import = appjail_import(w, &spec, "jails/web2");
    import.success().stderr_contains("trying the next source");
    let dest = w.join("jails/web2");
    assert_eq!(entries(&w.join("jails")), ["web2"], "nothing but the imported jail");
    sh(&format!("diff -r {} {}", jail.display(), dest.display())).run().success();
    assert!(fs::symlink_metadata(dest.join("jail/bin/sh")).unwrap().file_type().is_symlink());

    // And it runs, as root; a user gets jrun's one-line refusal, passed on by the example.
    let run = example("appjail.sh", w).args(["run", "jails/web2", "sh", "-c", "cat /etc/motd; id -u"]).run();
    if common::is_root() {
        run.success().stdout_is("served from an AppJail image\n0\n");
    } else {
        run.code(2).stdout_is("").stderr_contains("jrun: must run as root");
    }
}

/// The same workflow over HTTP: mirrors on nginx, the first one a port nothing listens on.
#[test]
fn appjail_over_http_mirrors_skips_a_dead_one() {
    let work = common::tempdir();
    let w = work.path();
    let Some(jail) = appjail_dir(w) else { return };
    let Some(nginx) = common::nginx::start_nginx() else { return };
    let mirrors =
        format!("http://127.0.0.1:{}/ http://127.0.0.1:{}/", common::nginx::dead_port(), nginx.port);
    example("appjail.sh", w)
        .env("NAME", "web")
        .env("TAG", "1.0")
        .env("ARCH", "amd64")
        .env("MIRRORS", &mirrors)
        .arg("export")
        .arg(&jail)
        .arg("out")
        .run()
        .success();
    example("appjail.sh", w)
        .env("TAG", "1.0")
        .env("ARCH", "amd64")
        .arg("publish")
        .arg("out")
        .arg(nginx.www())
        .run()
        .success();
    let spec = nginx.www().join("web/.ajspec");
    let import = appjail_import(w, &spec, "jails/web2");
    import.success().stderr_contains("trying the next source");
    sh(&format!("diff -r {} {}", jail.display(), w.join("jails/web2").display())).run().success();
    // The served image corrupted: the digest check stops the import, nothing is left.
    let served = nginx.www().join("web/1.0-amd64-image.appjail");
    let mut bytes = fs::read(&served).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    fs::write(&served, bytes).unwrap();
    let import = appjail_import(w, &spec, "jails/web3");
    assert_ne!(import.code, Some(0), "a corrupt image must not import: {}", import.stderr);
    assert!(import.stderr.contains("not created"), "{}", import.stderr);
    assert_eq!(entries(&w.join("jails")), ["web2"], "nothing but the first import");
}

#[test]
fn appjail_import_failures_leave_nothing() {
    let work = common::tempdir();
    let w = work.path();
    let Some(jail) = appjail_dir(w) else { return };
    let spec = appjail_publish(w, &jail);
    let published = w.join("mirror/web/1.0-amd64-image.appjail");
    let clean = |what: &str| {
        let left: Vec<String> = if w.join("jails").exists() { entries(&w.join("jails")) } else { vec![] };
        assert!(left.is_empty(), "{what}: left behind {left:?}");
    };

    // Every mirror dead.
    let dead = w.join("dead.ajspec");
    fs::copy(&spec, &dead).unwrap();
    let url = format!("file://{}/gone/web/1.0-amd64-image.appjail", w.display());
    common::jspec().args(["set", "-t", "1.0"]).arg(&dead).arg(format!("source:amd64+={url}")).run().success();
    sh(&format!("sed -i 's|/mirror/|/also-dead/|' {}", dead.display())).run().success();
    let run = appjail_import(w, &dead, "jails/web");
    failed_with(&run, "jfetch: all 3 sources failed");
    assert!(
        run.stderr.trim_end().lines().last().unwrap().ends_with("failed; jails/web not created"),
        "{}",
        run.stderr
    );
    clean("dead mirrors");

    // Wrong digest in the .ajspec: refused (exit 1), nothing imported.
    let wrong = w.join("wrong.ajspec");
    fs::copy(&spec, &wrong).unwrap();
    let zeros = "0".repeat(64);
    common::jspec().args(["set", "-t", "1.0"]).arg(&wrong).arg(format!("sum:amd64={zeros}")).run().success();
    let run = appjail_import(w, &wrong, "jails/web");
    failed_with(&run, "jfetch: ");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    clean("wrong digest");

    // A corrupt stream whose digest matches (a bad export): jpack refuses it.
    let bad = w.join("badmirror/web");
    fs::create_dir_all(&bad).unwrap();
    let mut data = fs::read(&published).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x55;
    fs::write(bad.join("1.0-amd64-image.appjail"), &data).unwrap();
    let corrupt = w.join("corrupt.ajspec");
    common::jspec()
        .args(["new", "--format", "ajspec", "--name", "web", "-t", "1.0", "-a", "amd64", "--source"])
        .arg(format!("file://{}/1.0-amd64-image.appjail", bad.display()))
        .arg("-o")
        .arg(&corrupt)
        .arg(bad.join("1.0-amd64-image.appjail"))
        .run()
        .success();
    let run = appjail_import(w, &corrupt, "jails/web");
    failed_with(&run, "jpack: -: xz");
    clean("corrupt stream");

    // Full disk: a 1 MiB tmpfs cannot hold the busybox jail.
    if !common::require_root("the full-disk case mounts a tmpfs") {
        return;
    }
    let small = w.join("small");
    fs::create_dir_all(&small).unwrap();
    sh(&format!("mount -t tmpfs -o size=1m jtools-test {}", small.display())).run().success();
    let _unmount = Unmount(small.clone());
    let run = appjail_import(w, &spec, "small/web");
    failed_with(&run, "No space left on device");
    assert!(entries(&small).is_empty(), "full disk: left behind {:?}", entries(&small));
}

/// Unmounts a test mount when dropped.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

// ---------------------------------------------------------------------------------------
// 2. pot

/// A pot as `pot create` lays it out (the pot's dataset holding conf/, its child `m` the
/// jail's root), on a pool whose datasets mount: exported with the recursive snapshot and
/// `send -R` (both datasets), imported from a base URL into a mounted pot with its `m`, and
/// `:pot.tag`/`:pot.snap` set on both sides as pot's export reads them back.
#[test]
fn pot_export_and_import_from_base_url() {
    let Some(pool) = Pool::mounting() else { return };
    let work = common::tempdir();
    let w = work.path();
    let src = pool.ds("web");
    zfs_ok("zfs", &["create", &src]);
    zfs_ok("zfs", &["create", &format!("{src}/m")]);
    let mnt = pool.root().join("web");
    fs::create_dir_all(mnt.join("conf")).unwrap();
    fs::write(mnt.join("conf/pot.conf"), "pot.level=0\npot.type=single\n").unwrap();
    fs::create_dir_all(mnt.join("m/usr/local/www")).unwrap();
    fs::write(mnt.join("m/usr/local/www/index.html"), "<h1>pot</h1>\n").unwrap();
    fs::write(mnt.join("m/blob"), common::noise(200_000, 3)).unwrap();

    let export =
        example("pot.sh", w).env("TAG", "1.0").env("SNAP", "1700000000").args(["export", &src, "out"]).run();
    export.success();
    for ds in [src.clone(), format!("{src}/m")] {
        assert!(pool.all().contains(&format!("{ds}@1700000000")), "{ds}: no recursive snapshot");
    }
    assert_eq!(zfs_get(":pot.tag", &src), "1.0");
    assert_eq!(zfs_get(":pot.snap", &src), "1700000000");
    let xz = w.join("out/web_1.0.xz");
    let meta = w.join("out/web_1.0.xz.meta");
    let skein = w.join("out/web_1.0.xz.skein");
    sh(&format!("xz -t {}", xz.display())).run().success();
    assert_eq!(fs::read(&meta).unwrap(), b"-\n");
    // .skein: 256 lowercase hex digits and LF, over the .xz then the .meta.
    let digest = fs::read_to_string(&skein).unwrap();
    assert_eq!(digest.len(), 257);
    assert!(
        digest[..256].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && digest.ends_with('\n')
    );
    let over = sh(&format!(
        "cat {} {} | {} -q -a skein1024",
        xz.display(),
        meta.display(),
        bin_dir().join("jsum").display()
    ))
    .run();
    assert_eq!(over.stdout_str(), digest);
    // The stream is what pot's own import (xzcat | zfs receive -u) takes, child included.
    let reference = pool.ds("ref");
    sh(&format!("xz -dc {} | zfs receive -u {reference}", xz.display())).run().success();
    assert!(pool.all().contains(&format!("{reference}/m@1700000000")));

    // Import through jfetch from the base URL: pot's local name, mounted with its m.
    let base = format!("file://{}/out", w.display());
    let dst = pool.ds("web_1_0");
    example("pot.sh", w).env("NAME", "web").env("TAG", "1.0").args(["import", &base, &dst]).run().success();
    let dst_mnt = pool.root().join("web_1_0");
    assert_eq!(fs::read(dst_mnt.join("m/blob")).unwrap(), common::noise(200_000, 3));
    assert_eq!(fs::read(dst_mnt.join("m/usr/local/www/index.html")).unwrap(), b"<h1>pot</h1>\n");
    assert_eq!(fs::read(dst_mnt.join("conf/pot.conf")).unwrap(), b"pot.level=0\npot.type=single\n");
    assert_eq!(zfs_get(":pot.tag", &dst), "1.0");
    assert_eq!(zfs_get(":pot.snap", &dst), "1700000000");
    assert_eq!(zfs_get("mounted", &format!("{dst}/m")), "yes");

    // A damaged .xz on the server: the Skein check refuses it before anything is received.
    let bad = w.join("bad");
    fs::create_dir_all(&bad).unwrap();
    for f in ["web_1.0.xz", "web_1.0.xz.meta", "web_1.0.xz.skein"] {
        fs::copy(w.join("out").join(f), bad.join(f)).unwrap();
    }
    let mut data = fs::read(bad.join("web_1.0.xz")).unwrap();
    let at = data.len() / 3;
    data[at] ^= 1;
    fs::write(bad.join("web_1.0.xz"), &data).unwrap();
    let base = format!("file://{}", bad.display());
    let run = example("pot.sh", w)
        .env("NAME", "web")
        .env("TAG", "1.0")
        .args(["import", &base, &pool.ds("web3")])
        .run();
    failed_with(&run, "not received");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    // A dead server.
    let run = example("pot.sh", w)
        .env("NAME", "web")
        .env("TAG", "1.0")
        .args(["import", &format!("file://{}/nowhere", w.display()), &pool.ds("web3")])
        .run();
    failed_with(&run, "jfetch: ");
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("web3") || n.contains("jsnap-recv")), "left behind: {all:?}");
}

// ---------------------------------------------------------------------------------------
// 3. SmartOS

/// node-imgmanifest 3.2.1's verdict on a manifest (see tests/jspec_imgmanifest.rs), or None
/// when node or npm is missing (SKIPPED).
fn imgmanifest_verdict(manifest: &Path) -> Option<String> {
    let dir = common::imgmanifest()?;
    let script = r#"
const m = require(process.argv[1] + '/node_modules/imgmanifest');
const manifest = m.upgradeManifest(JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8')));
const errors = m.validateMinimalManifest(manifest);
console.log(errors ? 'INVALID ' + JSON.stringify(errors) : 'VALID');
"#;
    let run = Cmd::new("node").arg("-e").arg(script).arg(&dir).arg(manifest).run();
    run.success();
    Some(out(&run))
}

#[test]
fn smartos_full_and_incremental_images_install() {
    let Some(pool) = Pool::new() else { return };
    let work = common::tempdir();
    let w = work.path();
    let (src, mnt) = pool.mounted("base");
    fs::write(mnt.join("one"), common::noise(100_000, 5)).unwrap();

    let smartos = |args: &[&str]| example("smartos.sh", w).args(args);
    smartos(&["export", &src, "out"]).env("VERSION", "1.0.0").run().success();
    let file = w.join("out/base-1.0.0.zfs.gz");
    let manifest = w.join("out/base-1.0.0.json");
    sh(&format!("gzip -t {}", file.display())).run().success();
    let get = |m: &Path, key: &str| out(&common::jspec().arg("get").arg(m).arg(key).run());
    // files[0]: the SHA-1 and size of the compressed file, as imgadm checks them.
    let sha1 = sh(&format!("sha1sum < {} | cut -c1-40", file.display())).run();
    assert_eq!(get(&manifest, "files.0.sha1"), out(&sha1));
    assert_eq!(get(&manifest, "files.0.size"), fs::metadata(&file).unwrap().len().to_string());
    assert_eq!(get(&manifest, "files.0.compression"), "gzip");
    if let Some(verdict) = imgmanifest_verdict(&manifest) {
        assert_eq!(verdict, "VALID", "imgmanifest 3.2.1 refuses {}", fs::read_to_string(&manifest).unwrap());
    }
    let uuid = get(&manifest, "uuid");
    smartos(&["publish", manifest.to_str().unwrap(), "server"]).run().success();
    assert!(w.join("server").join(&uuid).join("file").is_file());

    // Install: fetched from the image server, size and SHA-1 checked, received.
    let base_url = format!("file://{}/server", w.display());
    let img = pool.ds("img");
    smartos(&["import", manifest.to_str().unwrap(), &base_url, &img]).run().success();

    // Incremental image on top.
    fs::write(mnt.join("two"), b"second\n").unwrap();
    smartos(&["export", &src, "out"])
        .env("VERSION", "1.1.0")
        .env("FROM", "1.0.0")
        .env("ORIGIN", &uuid)
        .run()
        .success();
    let inc = w.join("out/base-1.1.0.json");
    assert_eq!(get(&inc, "origin"), uuid);
    if let Some(verdict) = imgmanifest_verdict(&inc) {
        assert_eq!(verdict, "VALID");
    }
    smartos(&["publish", inc.to_str().unwrap(), "server"]).run().success();
    smartos(&["import", inc.to_str().unwrap(), &base_url, &img]).run().success();
    let lines: Vec<String> = pool.all().into_iter().filter(|n| n.starts_with(&img)).collect();
    assert_eq!(lines, [img.clone(), format!("{img}@1.0.0"), format!("{img}@1.1.0")]);
    let img_mnt = pool.mount(&img);
    assert_eq!(fs::read(img_mnt.join("one")).unwrap(), common::noise(100_000, 5));
    assert_eq!(fs::read(img_mnt.join("two")).unwrap(), b"second\n");

    // A manifest whose SHA-1 does not match: nothing is received.
    let wrong = w.join("wrong.json");
    let text = fs::read_to_string(&manifest).unwrap().replace(&out(&sha1), &"0".repeat(40));
    fs::write(&wrong, text).unwrap();
    let run = smartos(&["import", wrong.to_str().unwrap(), &base_url, &pool.ds("bad")]).run();
    failed_with(&run, "not received");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    // A full disk where the download is staged.
    if common::require_root("the full-disk case mounts a tmpfs") {
        let small = w.join("small");
        fs::create_dir_all(&small).unwrap();
        sh(&format!("mount -t tmpfs -o size=16k jtools-test {}", small.display())).run().success();
        let _unmount = Unmount(small.clone());
        let run = smartos(&["import", manifest.to_str().unwrap(), &base_url, &pool.ds("bad")])
            .env("TMPDIR", &small)
            .run();
        failed_with(&run, "No space left on device");
        assert!(entries(&small).is_empty(), "left behind {:?}", entries(&small));
    }
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("/bad") || n.contains("jsnap-recv")), "left behind: {all:?}");
}

// ---------------------------------------------------------------------------------------
// 4. Bastille

/// `sha256 -q FILE` as FreeBSD prints it: 64 lowercase hex digits and LF.
fn bare_sha256(file: &Path) -> String {
    sh(&format!("sha256sum < {} | cut -c1-64", file.display())).run().success().stdout_str()
}

#[test]
fn bastille_tar_exports_both_ways() {
    if !common::have("bsdtar") || !common::have("zstd") {
        return;
    }
    let work = common::tempdir();
    let w = work.path();
    let jail = w.join("jails/web");
    fs::create_dir_all(jail.join("root/etc")).unwrap();
    fs::create_dir_all(jail.join("root/usr/local/www")).unwrap();
    fs::write(jail.join("root/etc/motd"), "bastille\n").unwrap();
    fs::write(jail.join("root/usr/local/www/blob"), common::noise(100_000, 9)).unwrap();
    fs::write(jail.join("jail.conf"), "web {\n  path = /usr/local/bastille/jails/web/root;\n}\n").unwrap();
    fs::write(jail.join("fstab"), "").unwrap();

    for (format, date, test_flag) in
        [("txz", "2025-06-16-204338", "xz -t"), ("tzst", "2025-06-16-204339", "zstd -q -t")]
    {
        let export = example("bastille.sh", w)
            .env("FORMAT", format)
            .env("DATE", date)
            .args(["export", "jails/web", "backups"])
            .run();
        export.success();
        let file = w.join(format!("backups/web_{date}.{format}"));
        let sum = w.join(format!("backups/web_{date}.sha256"));
        // The .sha256 is the bare digest, named without the format's extension.
        assert_eq!(fs::read_to_string(&sum).unwrap(), bare_sha256(&file));
        sh(&format!("{test_flag} {}", file.display())).run().success();
        // One top-level web/ with root/ inside, as Bastille's import strips it.
        let list = Cmd::new("bsdtar").arg("-tf").arg(&file).run();
        list.success();
        assert!(list.stdout_str().lines().all(|l| l.starts_with("web/")), "{}", list.stdout_str());
        assert!(list.stdout_str().lines().any(|l| l == "web/root/etc/motd"));
        let into = format!("imported-{format}");
        example("bastille.sh", w).arg("import").arg(&file).arg(&into).run().success();
        sh(&format!("diff -r {} {}/web", jail.display(), w.join(&into).display())).run().success();

        // The other way: an export made by tar, xz/zstd and sha256 is imported.
        let theirs = w.join(format!("theirs/web_{date}.{format}"));
        fs::create_dir_all(theirs.parent().unwrap()).unwrap();
        let compressor = if format == "txz" { "xz" } else { "zstd -q" };
        sh(&format!("tar -C {}/jails -cf - web | {compressor} > {}", w.display(), theirs.display()))
            .run()
            .success();
        fs::write(w.join(format!("theirs/web_{date}.sha256")), bare_sha256(&theirs)).unwrap();
        let into = format!("theirs-imported-{format}");
        example("bastille.sh", w).arg("import").arg(&theirs).arg(&into).run().success();
        sh(&format!("diff -r {} {}/web", jail.display(), w.join(&into).display())).run().success();
    }

    // A .sha256 that does not match: refused, nothing created.
    let file = w.join("backups/web_2025-06-16-204338.txz");
    fs::write(w.join("backups/web_2025-06-16-204338.sha256"), format!("{}\n", "0".repeat(64))).unwrap();
    let run = example("bastille.sh", w).arg("import").arg(&file).arg("refused").run();
    failed_with(&run, "checksum does not match");
    assert!(!w.join("refused/web").exists());
    assert!(!w.join("refused").exists() || entries(&w.join("refused")).is_empty());
}

/// A Bastille jail on ZFS (jails/NAME and its child root, on a pool whose datasets mount):
/// exported with the recursive temporary snapshot (destroyed afterwards) and `send -R`, in
/// every stream format; the stream is what Bastille's import receives; the workflow's import
/// mounts the jail with its root; and a stream made the way Bastille makes it is imported too.
#[test]
fn bastille_zfs_exports_both_ways() {
    if !common::have("zstd") {
        return;
    }
    let Some(pool) = Pool::mounting() else { return };
    let work = common::tempdir();
    let w = work.path();
    let jails = pool.ds("jails");
    zfs_ok("zfs", &["create", &jails]);
    let src = format!("{jails}/web");
    zfs_ok("zfs", &["create", &src]);
    zfs_ok("zfs", &["create", &format!("{src}/root")]);
    let jails_dir = pool.root().join("jails");
    fs::write(jails_dir.join("web/jail.conf"), "web {\n}\n").unwrap();
    fs::write(jails_dir.join("web/root/motd"), "bastille on zfs\n").unwrap();
    for (format, date, decompress) in [
        ("xz", "2025-06-16-204340", "xz -dc"),
        ("zst", "2025-06-16-204341", "zstd -dc"),
        ("gz", "2025-06-16-204342", "gzip -dc"),
        ("raw", "2025-06-16-204343", "cat"),
    ] {
        example("bastille.sh", w)
            .env("FORMAT", format)
            .env("DATE", date)
            .args(["export", &src, "backups"])
            .run()
            .success();
        let ext = if format == "raw" { String::new() } else { format!(".{format}") };
        let file = w.join(format!("backups/web_{date}{ext}"));
        assert_eq!(
            fs::read_to_string(w.join(format!("backups/web_{date}.sha256"))).unwrap(),
            bare_sha256(&file)
        );
        let on_src = |n: &String| n.starts_with(&format!("{src}@")) || n.starts_with(&format!("{src}/"));
        assert!(!pool.all().iter().any(|n| on_src(n) && n.contains('@')), "temporary snapshots left");
        // What Bastille's import runs: decompress | zfs receive -u; the child comes along.
        let theirs_ds = format!("{jails}/ref-{format}");
        sh(&format!("{decompress} {} | zfs receive -u {theirs_ds}", file.display())).run().success();
        assert!(pool.all().contains(&format!("{theirs_ds}/root@bastille_web_{date}")));
        let ours = format!("{jails}/ours-{format}");
        example("bastille.sh", w).arg("import").arg(&file).arg(&ours).run().success();
        assert_eq!(
            fs::read(jails_dir.join(format!("ours-{format}/root/motd"))).unwrap(),
            b"bastille on zfs\n"
        );
        assert!(jails_dir.join(format!("ours-{format}/jail.conf")).exists());

        // The other way: Bastille's zfs snapshot -r, zfs send -R | compressor, sha256 -q.
        let theirs = w.join(format!("theirs/web_{date}{ext}"));
        fs::create_dir_all(theirs.parent().unwrap()).unwrap();
        let compressor = match format {
            "xz" => "xz",
            "zst" => "zstd -q",
            "gz" => "gzip",
            _ => "cat",
        };
        let snap = format!("{src}@bastille_web_{date}");
        zfs_ok("zfs", &["snapshot", "-r", &snap]);
        sh(&format!("zfs send -R {snap} | {compressor} > {}", theirs.display())).run().success();
        zfs_ok("zfs", &["destroy", "-r", &snap]);
        fs::write(w.join(format!("theirs/web_{date}.sha256")), bare_sha256(&theirs)).unwrap();
        let imported = format!("{jails}/theirs-{format}");
        example("bastille.sh", w).arg("import").arg(&theirs).arg(&imported).run().success();
        assert_eq!(
            fs::read(jails_dir.join(format!("theirs-{format}/root/motd"))).unwrap(),
            b"bastille on zfs\n"
        );
    }
    // Names `bastille import` does not accept are refused before anything is read.
    for bad in ["web_2025-06-16-204338.bz2", "web.xz", "web_2025-06-16.xz"] {
        let file = w.join(bad);
        fs::write(&file, b"x").unwrap();
        let run = example("bastille.sh", w).arg("import").arg(&file).arg(pool.ds("jails/bad")).run();
        failed_with(&run, "not a Bastille export name");
    }
    let run = example("bastille.sh", w)
        .env("FORMAT", "xz")
        .env("DATE", "2025-06-16")
        .args(["export", &src, "backups"])
        .run();
    failed_with(&run, "not a Bastille date stamp");
}

// ---------------------------------------------------------------------------------------
// 5. ACI

#[test]
fn aci_image_and_its_id() {
    if !common::have("bsdtar") {
        return;
    }
    let work = common::tempdir();
    let w = work.path();
    fs::create_dir_all(w.join("web/rootfs/bin")).unwrap();
    fs::create_dir_all(w.join("web/rootfs/etc")).unwrap();
    fs::write(w.join("web/rootfs/etc/motd"), "aci\n").unwrap();
    fs::write(w.join("web/rootfs/bin/blob"), common::noise(50_000, 4)).unwrap();
    let build = example("aci.sh", w)
        .env("NAME", "example.com/web")
        .env("LABELS", "os=linux arch=amd64 version=1.0.0")
        .env("EXEC", "/bin/sh -c true")
        .args(["build", "web", "web.aci"])
        .run();
    build.success();
    let id = out(&build);
    let aci = w.join("web.aci");
    // The ID is the SHA-512 of the uncompressed tar.
    let sha512 = sh(&format!("xz -dc {} | sha512sum | cut -c1-128", aci.display())).run();
    assert_eq!(id, format!("sha512-{}", out(&sha512)));
    sh(&format!("xz -dc {} | {} aci-id -", aci.display(), bin_dir().join("jspec").display()))
        .run()
        .success()
        .stdout_is(format!("{id}\n"));
    // Exactly manifest and rootfs/ at the top level.
    let list = Cmd::new("bsdtar").arg("-tf").arg(&aci).run();
    list.success();
    let mut top: Vec<String> =
        list.stdout_str().lines().map(|l| l.split('/').next().unwrap().to_string()).collect();
    top.dedup();
    assert_eq!(top, ["manifest", "rootfs"], "{}", list.stdout_str());
    assert!(list.stdout_str().lines().any(|l| l == "rootfs/etc/motd"));
    // The manifest inside is a valid ImageManifest with the given name, labels and exec.
    let manifest = Cmd::new("bsdtar").arg("-xOf").arg(&aci).arg("manifest").run();
    manifest.success();
    fs::write(w.join("manifest.json"), &manifest.stdout).unwrap();
    common::jspec().arg("validate").arg(w.join("manifest.json")).run().success();
    let json: serde_json::Value = serde_json::from_slice(&manifest.stdout).unwrap();
    assert_eq!(json["acKind"], "ImageManifest");
    assert_eq!(json["name"], "example.com/web");
    assert_eq!(json["app"]["exec"], serde_json::json!(["/bin/sh", "-c", "true"]));
    // A missing rootfs/ is refused with one line.
    let run = example("aci.sh", w).args(["build", "nothere", "x.aci"]).run();
    run.code(2).stderr_contains("nothere: no rootfs/ directory");
    assert!(!w.join("x.aci").exists());
}

// ---------------------------------------------------------------------------------------
// 6. Signed workflows: SIGN_KEY signs what an import trusts, VERIFY_KEY refuses the rest

/// Two key pairs made by `jsum --keygen` (unencrypted): the publisher's and a stranger's.
struct Keys {
    sec: PathBuf,
    public: PathBuf,
    other_public: PathBuf,
}

fn keys(dir: &Path) -> Keys {
    let keygen = |name: &str| {
        let (sec, public) = (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")));
        common::jsum().arg("--keygen").arg("-s").arg(&sec).arg("-p").arg(&public).run().success();
        (sec, public)
    };
    let (sec, public) = keygen("publisher");
    let (_, other_public) = keygen("stranger");
    Keys { sec, public, other_public }
}

/// The reference verifier accepts what a workflow published (skipped without minisign).
fn minisign_accepts(public: &Path, file: &Path) {
    if common::have("minisign") {
        Cmd::new("minisign").arg("-V").arg("-p").arg(public).arg("-m").arg(file).run().success();
    }
}

/// The import was refused on its signature (exit 1, jsum's reason and the workflow's line),
/// and it never got as far as `fetched` (a VERBOSE=1 command line of the step after it).
fn refused(run: &Run, reason: &str, fetched: &str) {
    assert_eq!(run.code, Some(1), "should be refused:\n{}", run.stderr);
    assert!(run.stderr.contains(reason), "stderr lacks {reason:?}:\n{}", run.stderr);
    assert!(run.stderr.contains("no good signature by"), "{}", run.stderr);
    assert!(!run.stderr.contains(fetched), "went on to {fetched:?}:\n{}", run.stderr);
}

/// Copies the named files from `from` into a new directory `to`.
fn copy_into(from: &Path, to: &Path, names: &[&str]) {
    fs::create_dir_all(to).unwrap();
    for n in names {
        fs::copy(from.join(n), to.join(n)).unwrap();
    }
}

#[test]
fn appjail_signed_ajspec_round_trip_and_refusals() {
    let work = common::tempdir();
    let w = work.path();
    let Some(jail) = appjail_dir(w) else { return };
    let k = keys(w);
    let mirrors = format!("file://{}/mirror", w.display());
    let appjail = || example("appjail.sh", w).env("TAG", "1.0").env("ARCH", "amd64");
    let export = appjail()
        .env("NAME", "web")
        .env("MIRRORS", &mirrors)
        .env("SIGN_KEY", &k.sec)
        .arg("export")
        .arg(&jail)
        .arg("out")
        .run();
    export.success();
    assert!(out(&export).ends_with("out/.ajspec.minisig"), "{}", out(&export));
    appjail().args(["publish", "out", "mirror"]).run().success();
    let mirror = w.join("mirror/web");
    assert_eq!(entries(&mirror), [".ajspec", ".ajspec.minisig", "1.0-amd64-image.appjail"]);
    minisign_accepts(&k.public, &mirror.join(".ajspec"));
    let import = |spec: &Path, key: &Path, dest: &str| {
        appjail().env("VERIFY_KEY", key).env("VERBOSE", "1").arg("import").arg(spec).arg(dest).run()
    };
    import(&mirror.join(".ajspec"), &k.public, "jails/web").success();
    sh(&format!("diff -r {} {}", jail.display(), w.join("jails/web").display())).run().success();

    let fetch = "$ jfetch --spec";
    let run = import(&mirror.join(".ajspec"), &k.other_public, "jails/x");
    refused(&run, "wrong key id", fetch);
    // Unsigned: the .ajspec alone.
    copy_into(&mirror, &w.join("unsigned"), &[".ajspec"]);
    let run = import(&w.join("unsigned/.ajspec"), &k.public, "jails/x");
    refused(&run, "missing signature", fetch);
    // Tampered: one more source, the attacker's, beside the publisher's signature.
    copy_into(&mirror, &w.join("tampered"), &[".ajspec", ".ajspec.minisig"]);
    let evil = format!("source:amd64+=file://{}/evil/1.0-amd64-image.appjail", w.display());
    common::jspec().args(["set", "-t", "1.0"]).arg(w.join("tampered/.ajspec")).arg(evil).run().success();
    let run = import(&w.join("tampered/.ajspec"), &k.public, "jails/x");
    refused(&run, "bad signature", fetch);
    assert_eq!(entries(&w.join("jails")), ["web"], "nothing but the signed import");

    // Exported again without a key: the old signature no longer matches and goes, here and
    // on the mirror.
    appjail().env("NAME", "web").env("MIRRORS", &mirrors).arg("export").arg(&jail).arg("out").run().success();
    appjail().args(["publish", "out", "mirror"]).run().success();
    assert!(!w.join("out/.ajspec.minisig").exists());
    assert_eq!(entries(&mirror), [".ajspec", "1.0-amd64-image.appjail"]);
}

#[test]
fn pot_signed_skein_round_trip_and_refusals() {
    let Some(pool) = Pool::mounting() else { return };
    let work = common::tempdir();
    let w = work.path();
    let k = keys(w);
    // Created where it inherits its mountpoint, as pot's datasets: the received one does too.
    let src = pool.ds("web");
    zfs_ok("zfs", &["create", &src]);
    fs::write(pool.root().join("web/blob"), common::noise(50_000, 7)).unwrap();
    let pot = || example("pot.sh", w).env("NAME", "web").env("TAG", "1.0");
    pot().env("SNAP", "1700000000").env("SIGN_KEY", &k.sec).args(["export", &src, "out"]).run().success();
    let out_dir = w.join("out");
    assert_eq!(
        entries(&out_dir),
        ["web_1.0.xz", "web_1.0.xz.meta", "web_1.0.xz.skein", "web_1.0.xz.skein.minisig"]
    );
    minisign_accepts(&k.public, &out_dir.join("web_1.0.xz.skein"));
    let import = |dir: &Path, key: &Path, ds: &str| {
        pot()
            .env("VERIFY_KEY", key)
            .env("VERBOSE", "1")
            .args(["import", &format!("file://{}", dir.display()), ds])
            .run()
    };
    let good = pool.ds("good");
    import(&out_dir, &k.public, &good).success();
    assert_eq!(fs::read(pool.root().join("good/blob")).unwrap(), common::noise(50_000, 7));

    // The end of the VERBOSE line of the image's download ("$ jfetch -o … BASE/web_1.0.xz").
    let fetch = "/web_1.0.xz\n";
    let run = import(&out_dir, &k.other_public, &pool.ds("bad"));
    refused(&run, "wrong key id", fetch);
    // Unsigned: the server has no .skein.minisig.
    let unsigned = w.join("unsigned");
    copy_into(&out_dir, &unsigned, &["web_1.0.xz", "web_1.0.xz.meta", "web_1.0.xz.skein"]);
    let run = import(&unsigned, &k.public, &pool.ds("bad"));
    refused(&run, "missing signature", fetch);
    // Tampered: another image whose .skein matches it, beside the publisher's signature.
    let tampered = w.join("tampered");
    copy_into(&out_dir, &tampered, &["web_1.0.xz.meta", "web_1.0.xz.skein.minisig"]);
    sh(&format!("printf evil | xz > {0}/web_1.0.xz && cat {0}/web_1.0.xz {0}/web_1.0.xz.meta | {1} -q -a skein1024 > {0}/web_1.0.xz.skein", tampered.display(), bin_dir().join("jsum").display())).run().success();
    let run = import(&tampered, &k.public, &pool.ds("bad"));
    refused(&run, "bad signature", fetch);
    // Over HTTP (nginx): the signature is fetched beside the .skein; a 404 for it is refused.
    if let Some(nginx) = common::nginx::start_nginx() {
        copy_into(
            &out_dir,
            &nginx.www().join("pot"),
            &["web_1.0.xz", "web_1.0.xz.meta", "web_1.0.xz.skein", "web_1.0.xz.skein.minisig"],
        );
        let http = |key: &Path, ds: &str| {
            pot().env("VERIFY_KEY", key).env("VERBOSE", "1").args(["import", &nginx.url("pot"), ds]).run()
        };
        http(&k.public, &pool.ds("http")).success();
        assert_eq!(fs::read(pool.root().join("http/blob")).unwrap(), common::noise(50_000, 7));
        fs::remove_file(nginx.www().join("pot/web_1.0.xz.skein.minisig")).unwrap();
        refused(&http(&k.public, &pool.ds("bad")), "missing signature", fetch);
    }
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("/bad") || n.contains("jsnap-recv")), "left behind: {all:?}");
}

#[test]
fn bastille_signed_sha256_round_trip_and_refusals() {
    let work = common::tempdir();
    let w = work.path();
    let k = keys(w);
    let jail = w.join("jails/web");
    fs::create_dir_all(jail.join("root/etc")).unwrap();
    fs::write(jail.join("root/etc/motd"), "signed bastille\n").unwrap();
    fs::write(jail.join("jail.conf"), "web {\n}\n").unwrap();
    let date = "2025-06-16-204338";
    let export = example("bastille.sh", w)
        .env("DATE", date)
        .env("SIGN_KEY", &k.sec)
        .args(["export", "jails/web", "backups"])
        .run();
    export.success();
    assert!(out(&export).ends_with(&format!("backups/web_{date}.sha256.minisig")), "{}", out(&export));
    let backups = w.join("backups");
    let txz = format!("web_{date}.txz");
    let sum = format!("web_{date}.sha256");
    let sig = format!("web_{date}.sha256.minisig");
    assert_eq!(entries(&backups), [sum.clone(), sig.clone(), txz.clone()]);
    minisign_accepts(&k.public, &backups.join(&sum));
    let import = |dir: &Path, key: Option<&Path>, into: &str| {
        let mut cmd = example("bastille.sh", w).env("VERBOSE", "1");
        if let Some(key) = key {
            cmd = cmd.env("VERIFY_KEY", key);
        }
        cmd.arg("import").arg(dir.join(&txz)).arg(into).run()
    };
    import(&backups, Some(&k.public), "good").success();
    sh(&format!("diff -r {} {}/web", jail.display(), w.join("good").display())).run().success();

    let next = "$ jsum --expect";
    let run = import(&backups, Some(&k.other_public), "bad");
    refused(&run, "wrong key id", next);
    let unsigned = w.join("unsigned");
    copy_into(&backups, &unsigned, &[&txz, &sum]);
    refused(&import(&unsigned, Some(&k.public), "bad"), "missing signature", next);
    // Tampered: another jail's archive and its own .sha256, beside the publisher's signature.
    let tampered = w.join("tampered");
    copy_into(&backups, &tampered, &[&sig]);
    fs::create_dir_all(w.join("evil/web/root")).unwrap();
    fs::write(w.join("evil/web/root/motd"), "evil\n").unwrap();
    sh(&format!("tar -C {}/evil -cf - web | xz > {}", w.display(), tampered.join(&txz).display()))
        .run()
        .success();
    fs::write(tampered.join(&sum), bare_sha256(&tampered.join(&txz))).unwrap();
    refused(&import(&tampered, Some(&k.public), "bad"), "bad signature", next);
    assert!(!w.join("bad").exists() || entries(&w.join("bad")).is_empty());
    // What the key protects from: without it the tampered archive's own digest matches.
    import(&tampered, None, "unchecked").success();
    assert_eq!(fs::read(w.join("unchecked/web/root/motd")).unwrap(), b"evil\n");

    // An encrypted secret key: its password from SIGN_PASSWORD_FILE, never the command line.
    let pw = w.join("password");
    fs::write(&pw, "correct horse\n").unwrap();
    let (enc, enc_pub) = (w.join("enc.key"), w.join("enc.pub"));
    common::jsum()
        .arg("--keygen")
        .arg("-s")
        .arg(&enc)
        .arg("-p")
        .arg(&enc_pub)
        .arg("--password-file")
        .arg(&pw)
        .run()
        .success();
    example("bastille.sh", w)
        .env("DATE", "2025-06-16-204339")
        .env("SIGN_KEY", &enc)
        .env("SIGN_PASSWORD_FILE", &pw)
        .args(["export", "jails/web", "encrypted"])
        .run()
        .success();
    minisign_accepts(&enc_pub, &w.join("encrypted/web_2025-06-16-204339.sha256"));
    example("bastille.sh", w)
        .env("VERIFY_KEY", &enc_pub)
        .arg("import")
        .arg(w.join("encrypted/web_2025-06-16-204339.txz"))
        .arg("from-encrypted")
        .run()
        .success()
        .stdout_is(format!("{}\n", "from-encrypted/web"));
    assert_eq!(fs::read(w.join("from-encrypted/web/root/etc/motd")).unwrap(), b"signed bastille\n");
}

#[test]
fn smartos_signed_manifest_round_trip_and_refusals() {
    let Some(pool) = Pool::new() else { return };
    let work = common::tempdir();
    let w = work.path();
    let k = keys(w);
    let (src, mnt) = pool.mounted("base");
    fs::write(mnt.join("one"), common::noise(30_000, 2)).unwrap();
    let smartos = |args: &[&str]| example("smartos.sh", w).args(args);
    smartos(&["export", &src, "out"]).env("SIGN_KEY", &k.sec).run().success();
    let manifest = w.join("out/base-1.0.0.json");
    assert!(w.join("out/base-1.0.0.json.minisig").is_file());
    smartos(&["publish", manifest.to_str().unwrap(), "server"]).run().success();
    let uuid = out(&common::jspec().arg("get").arg(&manifest).arg("uuid").run());
    let served = w.join("server").join(&uuid);
    assert_eq!(entries(&served), ["file", "manifest", "manifest.minisig"]);
    minisign_accepts(&k.public, &served.join("manifest"));
    let base_url = format!("file://{}/server", w.display());
    let import = |m: &Path, key: &Path, ds: &str| {
        smartos(&["import", m.to_str().unwrap(), &base_url, ds])
            .env("VERIFY_KEY", key)
            .env("VERBOSE", "1")
            .run()
    };
    let img = pool.ds("img");
    import(&served.join("manifest"), &k.public, &img).success();
    assert_eq!(fs::read(pool.mount(&img).join("one")).unwrap(), common::noise(30_000, 2));

    let fetch = "$ jfetch --spec";
    refused(&import(&served.join("manifest"), &k.other_public, &pool.ds("bad")), "wrong key id", fetch);
    copy_into(&served, &w.join("unsigned"), &["manifest"]);
    refused(&import(&w.join("unsigned/manifest"), &k.public, &pool.ds("bad")), "missing signature", fetch);
    // Tampered: the manifest's SHA-1 replaced, beside the publisher's signature.
    copy_into(&served, &w.join("tampered"), &["manifest", "manifest.minisig"]);
    let sha1 = out(&common::jspec().arg("get").arg(&manifest).arg("files.0.sha1").run());
    let text = fs::read_to_string(w.join("tampered/manifest")).unwrap().replace(&sha1, &"1".repeat(40));
    fs::write(w.join("tampered/manifest"), text).unwrap();
    refused(&import(&w.join("tampered/manifest"), &k.public, &pool.ds("bad")), "bad signature", fetch);
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("/bad") || n.contains("jsnap-recv")), "left behind: {all:?}");
}

// ---------------------------------------------------------------------------------------
// Make integration

#[test]
fn make_rebuilds_only_a_changed_jail() {
    if !common::have("make") {
        return;
    }
    let work = common::tempdir();
    let w = work.path();
    sh(&format!("cp -r {} {}/jail", common::repo_root().join("examples/jail").display(), w.display()))
        .run()
        .success();
    let mk = common::repo_root().join("examples/make/appjail.mk");
    let make = || {
        Cmd::new("make")
            .arg("-f")
            .arg(&mk)
            .arg("JAIL=jail")
            .arg(format!("JTOOLS_BIN={}", bin_dir().display()))
            .dir(w)
    };
    make().args(["image", "publish", "import"]).run().success().stdout_contains("appjail.sh export");
    assert!(w.join("out/1.0-amd64-image.appjail").is_file());
    assert!(w.join("imported/hello/jail/etc/motd").is_file());
    let again = make().args(["image", "publish"]).run();
    again.success();
    assert!(!again.stdout_str().contains("appjail.sh"), "nothing to redo:\n{}", again.stdout_str());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::write(w.join("jail/jail/etc/motd"), "changed\n").unwrap();
    make().args(["image", "publish", "import"]).run().success().stdout_contains("appjail.sh export");
    assert_eq!(fs::read(w.join("imported/hello/jail/etc/motd")).unwrap(), b"changed\n");
}

/// The Make macros pass SIGN_KEY and VERIFY_KEY on and publish the signature with the image
/// (appjail: the workflow's publish; bastille: the macros' own copy).
#[test]
fn make_signs_and_verifies_with_keys() {
    if !common::have("make") {
        return;
    }
    let work = common::tempdir();
    let w = work.path();
    let k = keys(w);
    sh(&format!("cp -r {} {}/jail", common::repo_root().join("examples/jail").display(), w.display()))
        .run()
        .success();
    fs::create_dir_all(w.join("jails/web/root")).unwrap();
    fs::write(w.join("jails/web/root/motd"), "made\n").unwrap();
    let make = |system: &str, vars: &[String]| {
        Cmd::new("make")
            .arg("-f")
            .arg(common::repo_root().join(format!("examples/make/{system}.mk")))
            .arg(format!("JTOOLS_BIN={}", bin_dir().display()))
            .args(vars)
            .dir(w)
    };
    let sign = format!("SIGN_KEY={}", k.sec.display());
    let verify = format!("VERIFY_KEY={}", k.public.display());
    let wrong = format!("VERIFY_KEY={}", k.other_public.display());

    let jail = "JAIL=jail".to_string();
    make("appjail", &[jail.clone(), sign.clone(), verify.clone()])
        .args(["image", "publish", "import"])
        .run()
        .success();
    minisign_accepts(&k.public, &w.join("mirror/hello/.ajspec"));
    assert!(w.join("imported/hello/jail/etc/motd").is_file());
    let run = make("appjail", &[jail, wrong.clone(), "DEST=imported/other".into()]).arg("import").run();
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("wrong key id"), "{}", run.stderr);
    assert!(!w.join("imported/other").exists());

    let bastille =
        ["JAIL=jails/web".to_string(), "OUT=bout".into(), "MIRROR=bmirror".into(), "DEST=bimported".into()];
    make("bastille", &[&bastille[..], &[sign, verify]].concat())
        .args(["image", "publish", "import"])
        .run()
        .success();
    let sums: Vec<String> =
        entries(&w.join("bmirror")).into_iter().filter(|n| n.contains(".sha256")).collect();
    assert_eq!(sums.len(), 2, "{sums:?}");
    assert!(sums[1].ends_with(".sha256.minisig"), "{sums:?}");
    minisign_accepts(&k.public, &w.join("bmirror").join(&sums[0]));
    assert_eq!(fs::read(w.join("bimported/web/root/motd")).unwrap(), b"made\n");
    let run = make("bastille", &[&bastille[..], &[wrong, "DEST=bother".into()]].concat()).arg("import").run();
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("wrong key id"), "{}", run.stderr);
    assert!(!w.join("bother/web").exists());
}
