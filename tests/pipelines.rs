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
use std::sync::atomic::{AtomicU32, Ordering};

use common::{Cmd, Run, sh};

// ---------------------------------------------------------------------------------------
// Helpers

/// The directory holding the tools under test.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_jsum")).parent().unwrap().to_path_buf()
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

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout == b"0\n")
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
fn appjail_dir(parent: &Path, test: &str) -> Option<PathBuf> {
    if !common::have("busybox", test) {
        return None;
    }
    let dir = parent.join("web");
    let jail = dir.join("jail");
    for sub in ["bin", "etc", "root", "tmp"] {
        fs::create_dir_all(jail.join(sub)).unwrap();
    }
    // cp, not fs::copy: see tests/jrun.rs (ETXTBSY from a file open for writing).
    let copied = Command::new("cp").arg(common::which("busybox").unwrap()).arg(jail.join("bin/busybox")).status();
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
    fs::write(dir.join("conf/config.conf"), "appjail_version: 3.5.0\nosarch: amd64\njail_type: thin\n").unwrap();
    Some(dir)
}

// ---------------------------------------------------------------------------------------
// ZFS (as in tests/jsnap.rs): a zfs-fuse pool on a sparse file, destroyed when dropped.

struct Pool {
    name: String,
    dir: tempfile::TempDir,
}

static POOL_COUNTER: AtomicU32 = AtomicU32::new(0);

impl Pool {
    fn new(test: &str) -> Option<Pool> {
        if !common::have("zpool", test) || !common::have("zfs", test) {
            return None;
        }
        if !Command::new("zpool").arg("list").output().is_ok_and(|o| o.status.success()) {
            common::skip(test, "zfs-fuse daemon not running (tests/setup.d/jsnap.sh starts it)");
            return None;
        }
        let n = POOL_COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("jpipetest{}x{n}", std::process::id());
        let dir = common::tempdir();
        let file = dir.path().join("pool.img");
        fs::File::create(&file).unwrap().set_len(128 << 20).unwrap();
        zfs_ok("zpool", &["create", "-m", "none", &name, file.to_str().unwrap()]);
        Some(Pool { name, dir })
    }

    fn ds(&self, child: &str) -> String {
        format!("{}/{child}", self.name)
    }

    /// A file system mounted under the pool's temporary directory.
    fn mounted(&self, child: &str) -> (String, PathBuf) {
        let mountpoint = self.dir.path().join(format!("mnt-{child}"));
        let ds = self.ds(child);
        zfs_ok("zfs", &["create", "-o", &format!("mountpoint={}", mountpoint.display()), &ds]);
        (ds, mountpoint)
    }

    /// Every dataset and snapshot of the pool.
    fn all(&self) -> Vec<String> {
        let out = zfs_ok("zfs", &["list", "-H", "-r", "-t", "all", "-o", "name", &self.name]);
        out.lines().map(String::from).collect()
    }

    /// Mounts a received dataset under the pool's directory and returns where.
    fn mount(&self, ds: &str) -> PathBuf {
        let mountpoint = self.dir.path().join(format!("mnt-{}", ds.replace('/', "_")));
        zfs_ok("zfs", &["set", &format!("mountpoint={}", mountpoint.display()), ds]);
        mountpoint
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for _ in 0..100 {
            let out = Command::new("zpool").args(["destroy", "-f", &self.name]).output();
            if out.is_ok_and(|o| o.status.success()) {
                return;
            }
            let listed = Command::new("zpool").args(["list", &self.name]).output();
            if listed.is_ok_and(|o| !o.status.success()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("warning: could not destroy test pool {}", self.name);
    }
}

fn zfs_ok(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect("run zfs");
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
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
    example("appjail.sh", work).env("TAG", "1.0").env("ARCH", "amd64").args(["publish", "out", "mirror"]).run().success();
    work.join("mirror/web/.ajspec")
}

fn appjail_import(work: &Path, spec: &Path, dest: &str) -> Run {
    example("appjail.sh", work).env("TAG", "1.0").env("ARCH", "amd64").arg("import").arg(spec).arg(dest).run()
}

#[test]
fn appjail_export_publish_import_run() {
    let test = "appjail_export_publish_import_run";
    let work = common::tempdir();
    let w = work.path();
    let Some(jail) = appjail_dir(w, test) else { return };
    let spec = appjail_publish(w, &jail);
    let image = w.join("out/1.0-amd64-image.appjail");

    // The four members AppJail's import asks bsdtar for are all there (bsdtar exits 1 if one
    // is missing), and the stream is xz.
    if common::have("bsdtar", test) {
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

    // And it runs.
    if !is_root() {
        common::skip(test, "jrun needs root");
        return;
    }
    let run = example("appjail.sh", w).args(["run", "jails/web2", "sh", "-c", "cat /etc/motd; id -u"]).run();
    run.success().stdout_is("served from an AppJail image\n0\n");
}

#[test]
fn appjail_import_failures_leave_nothing() {
    let test = "appjail_import_failures_leave_nothing";
    let work = common::tempdir();
    let w = work.path();
    let Some(jail) = appjail_dir(w, test) else { return };
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
    assert!(run.stderr.trim_end().lines().last().unwrap().ends_with("failed; jails/web not created"), "{}", run.stderr);
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
    if !is_root() {
        common::skip(test, "full-disk case needs root to mount a tmpfs");
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
