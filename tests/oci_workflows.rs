//! examples/oci.sh's workflows into the jail managers, against the reference tools and the
//! managers' own code: `oci.sh appjail` (what `appjail oci from` leaves, without buildah) on
//! an image umoci built (several layers, whiteouts, a config with env, entrypoint, cmd, user,
//! workdir, labels, volumes and org.freebsd.jail.* annotations), its root compared with
//! `umoci raw unpack`'s and its settings with what skopeo reports the config holds, read the
//! way AppJail reads them (file:line of AppJail f0b7de8 in the comments); and `oci.sh
//! bastille` / `oci.sh pot` on FreeBSD's make-oci-image .txz shape on a mounting zfs-fuse pool.
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::zfs::{Pool, zfs_ok};
use common::{Cmd, have, tempdir, tree};
use serde_json::Value;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn have_all(tools: &[&str]) -> bool {
    tools.iter().all(|t| have(t))
}

fn bin_dir() -> PathBuf {
    common::bin_dir()
}

/// examples/oci.sh run by dash (a POSIX sh, not bash) with the tools under test.
fn oci_sh(dir: &Path) -> Cmd {
    let shell = if common::which("dash").is_some() { "dash" } else { "sh" };
    Cmd::new(shell)
        .arg(common::repo_root().join("examples/oci.sh"))
        .env("JTOOLS_BIN", bin_dir())
        .env("PATH", format!("{}:{}", std::env::var("PATH").unwrap(), "/usr/sbin:/sbin"))
        .dir(dir)
}

fn jspec(args: &[&str], dir: &Path) -> String {
    run(Command::new(common::bin("jspec")).args(args).current_dir(dir))
}

/// Trees equal in everything tests/common/tree.rs compares but the top directory's mtime.
fn assert_same_tree(expected: &Path, actual: &Path) {
    let mut want = tree::snapshot(expected);
    let mut got = tree::snapshot(actual);
    for t in [&mut want, &mut got] {
        if let Some(root) = t.get_mut(&b"."[..]) {
            root.mtime = (0, 0);
        }
    }
    let diff = tree::differences(&want, &got);
    assert!(diff.is_empty(), "{} vs {}:\n{}", expected.display(), actual.display(), diff.join("\n"));
}

/// The words a file of shell words holds, split by sh as AppJail's `sh -c` of the jexec
/// command line splits them (cmd/oci:407-460 builds that line from the entrypoint and args
/// files as they are).
fn sh_words(file: &Path) -> Vec<String> {
    let out = run(Command::new("sh")
        .arg("-c")
        .arg(r#"eval "set -- $(cat "$1")"; for w in "$@"; do printf '%s\0' "$w"; done"#)
        .arg("sh")
        .arg(file));
    out.split('\0').filter(|w| !w.is_empty()).map(String::from).collect()
}

fn head_1(file: &Path) -> String {
    // AppJail reads each setting with `head -1` (cmd/oci:295, 318, 379, 622, 688).
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(!text.contains('\n'), "{}: AppJail's printf \"%s\" writes no newline", file.display());
    text
}

/// An image made by umoci in layout `l`: v1 a tree, v2 on top of it with a file deleted
/// (a whiteout) and a directory emptied and refilled, v3 = v2 with a FreeBSD config.
fn umoci_image(d: &Path) -> PathBuf {
    let l = d.join("l");
    let image = |tag: &str| format!("{}:{tag}", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image"]).arg(image("t")));
    let b = d.join("b1");
    run(Command::new("umoci").args(["unpack", "--image"]).arg(image("t")).arg(&b));
    let r = b.join("rootfs");
    for dir in ["bin", "etc/old", "root", "usr/share/skel", "srv"] {
        fs::create_dir_all(r.join(dir)).unwrap();
    }
    fs::write(
        r.join("bin/freebsd-version"),
        "#!/bin/sh\nUSERLAND_VERSION=\"14.3-RELEASE-p2\"\necho $USERLAND_VERSION\n",
    )
    .unwrap();
    fs::set_permissions(r.join("bin/freebsd-version"), fs::Permissions::from_mode(0o555)).unwrap();
    fs::write(r.join("etc/old/x"), "old\n").unwrap();
    fs::write(r.join("etc/gone"), "gone\n").unwrap();
    std::os::unix::fs::symlink("../etc/old/x", r.join("srv/link")).unwrap();
    run(Command::new("umoci").args(["repack", "--image"]).arg(image("v1")).arg(&b));
    let b = d.join("b2");
    run(Command::new("umoci").args(["unpack", "--image"]).arg(image("v1")).arg(&b));
    let r = b.join("rootfs");
    fs::remove_file(r.join("etc/gone")).unwrap();
    fs::remove_dir_all(r.join("etc/old")).unwrap();
    fs::create_dir(r.join("etc/old")).unwrap();
    fs::write(r.join("etc/old/y"), "new\n").unwrap();
    run(Command::new("umoci").args(["repack", "--image"]).arg(image("v2")).arg(&b));
    run(Command::new("umoci")
        .args(["config", "--image"])
        .arg(image("v2"))
        .args(["--tag", "v3", "--os", "freebsd", "--architecture", "386"])
        .args(["--config.env", "PATH=/bin:/usr/bin", "--config.env", "GREETING=hello \"world\" $x `y`"])
        .args(["--config.entrypoint", "/usr/bin/env", "--config.entrypoint", "it's"])
        .args(["--config.cmd", "/bin/sh", "--config.cmd", "-c", "--config.cmd", "echo \"$GREETING\" \\ done"])
        .args(["--config.user", "www:www", "--config.workingdir", "/srv"])
        .args([
            "--config.label",
            "org.opencontainers.image.title=web server",
            "--config.label",
            "maintainer=A B",
        ])
        .args(["--config.volume", "/var/db/data_x", "--config.exposedports", "80/tcp"])
        .args(["--manifest.annotation", "org.freebsd.jail.allow.mlock=true"])
        .args(["--manifest.annotation", "org.freebsd.jail.vnet=new"])
        .args(["--manifest.annotation", "org.freebsd.jail.host.hostname=web one"]));
    l
}

/// The config skopeo reads from the layout (an independent reader of the same image).
fn skopeo_config(l: &Path, tag: &str) -> Value {
    let out =
        run(Command::new("skopeo").args(["inspect", "--config"]).arg(format!("oci:{}:{tag}", l.display())));
    serde_json::from_str(&out).unwrap()
}

/// Checks JAILS/web against the image: its root is umoci's, its settings are the config's
/// as AppJail reads them.
fn check_appjail_jail(d: &Path, l: &Path, jail: &Path) {
    // The root: what `umoci raw unpack` makes of v3, every layer and whiteout applied.
    let raw = d.join("raw");
    run(Command::new("umoci")
        .args(["raw", "unpack", "--image"])
        .arg(format!("{}:v3", l.display()))
        .arg(&raw));
    assert_same_tree(&raw, &jail.join("jail"));
    assert!(!jail.join("jail/etc/gone").exists() && !jail.join("jail/etc/old/x").exists());
    // quick chmods the jail's directory 0700 (cmd/quick:591).
    assert_eq!(fs::metadata(jail).unwrap().permissions().mode() & 0o7777, 0o700);

    let config = skopeo_config(l, "v3");
    let c = &config["config"];
    let oci = jail.join("conf/boot/oci");
    // user and workdir: cmd/oci:290-323 (head -1 of conf/boot/oci/user, workdir).
    assert_eq!(head_1(&oci.join("user")), c["User"].as_str().unwrap());
    assert_eq!(head_1(&oci.join("workdir")), c["WorkingDir"].as_str().unwrap());
    // env: one file per variable, NAME=$(head -1 FILE) (cmd/oci:368-383).
    let mut env = BTreeMap::new();
    for e in fs::read_dir(oci.join("env")).unwrap() {
        let e = e.unwrap();
        env.insert(e.file_name().into_string().unwrap(), head_1(&e.path()));
    }
    let want: BTreeMap<String, String> = c["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            let (k, v) = kv.as_str().unwrap().split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    assert_eq!(env, want);
    // entrypoint and args: shell words on the jexec line (cmd/oci:407-445), jq @sh and
    // lib_escape_string quoting (lib/oci oci_ociv1_get_entrypoint, cmd/oci:1270-1287).
    let words = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(sh_words(&oci.join("entrypoint")), words(&c["Entrypoint"]));
    assert_eq!(sh_words(&oci.join("args")), words(&c["Cmd"]));

    // conf/config.conf, read with AppJail's tokenizer (jspec's .ajspec reader is that one):
    // what quick sets (cmd/quick:767-776), 386 mapped as oci_ociv1_get_arch does (lib/oci:107-131)
    // and osversion as freebsd-version | grep -Eo prints it (lib/oci:329-362).
    assert_eq!(config["architecture"], "386");
    let conf = jail.join("conf/config.conf");
    let get = |key: &str| jspec(&["get", "-F", "ajspec", conf.to_str().unwrap(), key], d);
    assert_eq!(get("jail_type"), "thick\n");
    assert_eq!(get("release_name"), "default\n");
    assert_eq!(get("osarch"), "i386\n");
    assert_eq!(get("osversion"), "14.3-RELEASE\n");

    // conf/template.conf: AppJail's default template and one row per org.freebsd.jail.*
    // annotation of the manifest (the manifest as skopeo reads it).
    let manifest: Value = serde_json::from_str(&run(Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:v3", l.display()))))
    .unwrap();
    assert_eq!(manifest["annotations"]["org.freebsd.jail.vnet"], "new");
    let template = jail.join("conf/template.conf");
    let rows = jspec(&["show", "-F", "ajspec", template.to_str().unwrap()], d);
    for row in [
        "other row: exec.start: /bin/sh /etc/rc\n",
        "other row: exec.stop: /bin/sh /etc/rc.shutdown jail\n",
        "other row: mount.devfs: \n",
        "other row: persist: \n",
        "other row: allow.mlock: \n",
        "other row: vnet: new\n",
        "other row: host.hostname: web one\n",
    ] {
        assert!(rows.contains(row), "{row:?} not in {rows}");
    }

    // Labels: conf/labels/NAME/value (cmd/label:63-82), every label of the config.
    let labels = c["Labels"].as_object().unwrap();
    assert_eq!(labels.len(), 2);
    for (name, value) in labels {
        assert_eq!(head_1(&jail.join(format!("conf/labels/{name}/value"))), value.as_str().unwrap());
    }
    // Volumes: named as oci_translate_volume does (lib/oci:365-377), computed here with sha256sum.
    let sum = run(Command::new("sh").args(["-c", "printf '%s\\n' /var/db/data_x | sha256sum"]));
    let vol = jail.join(format!("conf/volumes/appjail-{}-var_db_data__x", &sum[..10]));
    assert_eq!(head_1(&vol.join("mountpoint")), "/var/db/data_x");
    assert_eq!(head_1(&vol.join("type")), "<pseudofs>");
}

#[test]
fn appjail_jail_from_a_umoci_image_has_its_root_and_settings() {
    if !common::require_root(
        "umoci unpack and repack keep the image's owners only as root, and the jail is root's",
    ) {
        return;
    }
    if !have_all(&["umoci", "skopeo", "bsdtar", "sha256sum"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let l = umoci_image(d);
    fs::create_dir(d.join("jails")).unwrap();
    oci_sh(d)
        .env("REF_NAME", "v3")
        .args(["appjail", "l", "web", "jails"])
        .run()
        .success()
        .stdout_is("jails/web\n");
    let jail = d.join("jails/web");
    check_appjail_jail(d, &l, &jail);
    let entries: Vec<_> = fs::read_dir(d.join("jails")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, ["web"], "nothing else left beside the jail");

    // The jail is what examples/appjail.sh exports as an AppJail image: the four members
    // `appjail image import` asks bsdtar for (cmd/jail:497), and an .ajspec jspec validates.
    let out = d.join("image");
    let export = Cmd::new("bash")
        .arg(common::repo_root().join("examples/appjail.sh"))
        .env("JTOOLS_BIN", bin_dir())
        .env("TAG", "14.3")
        .env("ARCH", "i386")
        .env("MIRRORS", "https://mirror.example/appjail")
        .args(["export", jail.to_str().unwrap(), out.to_str().unwrap()])
        .dir(d)
        .run();
    export.success();
    let image = out.join("14.3-i386-image.appjail");
    let listing = run(Command::new("bsdtar").arg("-tf").arg(&image));
    for member in ["./jail/etc/old/y", "./init", "./conf/volumes/", "./conf/config.conf"] {
        assert!(listing.lines().any(|l| l == member), "{member} not in {listing}");
    }
    jspec(&["validate", out.join(".ajspec").to_str().unwrap()], d);

    // An existing jail is never touched.
    let again = oci_sh(d).env("REF_NAME", "v3").args(["appjail", "l", "web", "jails"]).run();
    again.code(2).stderr_contains("jails/web: already exists");
}

/// A name from the image becomes a file name under conf/: one AppJail would refuse (an
/// environment variable `A/../../x`, a label with a slash) stops the import, nothing made.
#[test]
fn appjail_refuses_env_and_label_names_that_are_paths() {
    if !have_all(&["umoci"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let l = d.join("l");
    let image = |tag: &str| format!("{}:{tag}", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image"]).arg(image("t")));
    run(Command::new("umoci").args(["config", "--image"]).arg(image("t")).args([
        "--tag",
        "env",
        "--os",
        "freebsd",
        "--config.env",
        "A/../../../escaped=1",
    ]));
    run(Command::new("umoci").args(["config", "--image"]).arg(image("t")).args([
        "--tag",
        "label",
        "--os",
        "freebsd",
        "--config.label",
        "a/../../../escaped=1",
    ]));
    fs::create_dir(d.join("jails")).unwrap();
    for (tag, what) in [("env", "not a variable name"), ("label", "not a label name")] {
        let r = oci_sh(d).env("REF_NAME", tag).args(["appjail", "l", "web", "jails"]).run();
        r.code(2).stderr_contains(what);
        assert_eq!(fs::read_dir(d.join("jails")).unwrap().count(), 0, "{tag}: nothing kept");
        assert!(!d.join("escaped").exists());
    }
}

/// `oci.sh appjail REF`: the image pulled from a real registry (pushed there by skopeo)
/// gives the same jail as the layout did.
#[test]
fn appjail_jail_from_a_registry_ref() {
    if !common::require_root(
        "umoci unpack and repack keep the image's owners only as root, and the jail is root's",
    ) {
        return;
    }
    if !have_all(&["umoci", "skopeo", "sha256sum"]) {
        return;
    }
    let Some(registry) = common::registry::start(common::registry::Auth::None, None) else {
        return;
    };
    let dir = tempdir();
    let d = dir.path();
    let l = umoci_image(d);
    let reference = format!("{}/web:v3", registry.host());
    run(Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v3", l.display()))
        .arg(registry.reference("web:v3")));
    fs::create_dir(d.join("jails")).unwrap();
    oci_sh(d).env("OCI_INSECURE", "1").args(["appjail", &reference, "web", "jails"]).run().success();
    check_appjail_jail(d, &l, &d.join("jails/web"));
}

/// FreeBSD's container-image-*.txz shape (tests/common/oci.rs) for the bases: a tree with
/// what the base sets have where pot moves things.
fn freebsd_txz(d: &Path) -> (PathBuf, PathBuf) {
    let tree = d.join("tree");
    for dir in
        ["bin", "etc/ssh", "root", "var/db/pkg", "var/empty", "usr/share/skel", "usr/local/etc", "usr/home/u"]
    {
        fs::create_dir_all(tree.join(dir)).unwrap();
    }
    fs::write(tree.join("bin/freebsd-version"), "#!/bin/sh\nUSERLAND_VERSION=\"14.3-RELEASE\"\n").unwrap();
    fs::write(tree.join("etc/rc.conf"), "sshd_enable=YES\n").unwrap();
    fs::write(tree.join("etc/ssh/sshd_config"), "Port 22\n").unwrap();
    fs::write(tree.join("root/.profile"), "PS1=#\n").unwrap();
    fs::write(tree.join("var/db/pkg/local.sqlite"), "db").unwrap();
    fs::write(tree.join("usr/local/etc/pkg.conf"), "conf").unwrap();
    fs::write(tree.join("usr/home/u/.login"), "x").unwrap();
    let made = common::oci::make_oci_image_txz(d, &tree);
    (made.txz, tree)
}

/// JTOOLS_BIN for a run whose `jsnap send` fails (after the datasets were made: the copy into
/// them is the only send of bastille and pot): the tools under test, with jsnap wrapped.
fn tools_with_failing_send(d: &Path) -> PathBuf {
    let bin = d.join("failing-bin");
    fs::create_dir(&bin).unwrap();
    for tool in ["jsnap", "jpack", "jsum", "jfetch", "jspec", "jrun"] {
        let real = bin_dir().join(tool);
        if tool == "jsnap" {
            let script = format!(
                "#!/bin/sh\n[ \"$1\" = send ] && {{ echo 'jsnap: send: injected failure' >&2; exit 2; }}\nexec {} \"$@\"\n",
                real.display()
            );
            fs::write(bin.join(tool), script).unwrap();
            fs::set_permissions(bin.join(tool), fs::Permissions::from_mode(0o755)).unwrap();
        } else if real.exists() {
            std::os::unix::fs::symlink(&real, bin.join(tool)).unwrap();
        }
    }
    bin
}

#[test]
fn bastille_release_from_a_freebsd_txz_on_zfs() {
    if !have_all(&["bsdtar", "gzip"]) {
        return;
    }
    let Some(pool) = Pool::mounting() else {
        return;
    };
    let dir = tempdir();
    let d = dir.path();
    let (txz, _) = freebsd_txz(d);
    let releases = pool.ds("bastille/releases");
    zfs_ok("zfs", &["create", "-p", &releases]);
    let out = oci_sh(d).args(["bastille", txz.to_str().unwrap(), "14.3-RELEASE", &releases]).run();
    out.success();
    let target = pool.root().join("bastille/releases/14.3-RELEASE");
    assert_eq!(out.stdout_str(), format!("{}\n", target.display()));
    // bootstrap.sh:171: its own dataset, mounted at releases/RELEASE.
    let ds = format!("{releases}/14.3-RELEASE");
    assert_eq!(
        zfs_ok("zfs", &["get", "-H", "-o", "value", "mountpoint,mounted", &ds]),
        format!("{}\nyes\n", target.display())
    );
    // The base as extracted, and the two files bootstrap.sh:326-331 touches.
    assert_eq!(fs::read(target.join("root/.hushlogin")).unwrap(), b"");
    assert_eq!(fs::read(target.join("usr/share/skel/dot.hushlogin")).unwrap(), b"");
    // The reference: bootstrap.sh:277's `tar -C releases/RELEASE -xf` of the base (FreeBSD's
    // tar is bsdtar) — here of the image's one layer — and the two files it touches.
    let reference = d.join("reference");
    fs::create_dir(&reference).unwrap();
    run(Command::new("bsdtar").arg("-C").arg(&reference).arg("-xpf").arg(d.join("rootfs.tar.gz")));
    fs::write(reference.join("root/.hushlogin"), "").unwrap();
    fs::write(reference.join("usr/share/skel/dot.hushlogin"), "").unwrap();
    let mut want = tree::snapshot(&reference);
    let mut got = tree::snapshot(&target);
    for t in [&mut want, &mut got] {
        // The two new files' and their directories' times are the import's.
        for p in [".", "./root", "./root/.hushlogin", "./usr/share/skel", "./usr/share/skel/dot.hushlogin"] {
            if let Some(m) = t.get_mut(p.as_bytes()) {
                m.mtime = (0, 0);
            }
        }
    }
    let diff = tree::differences(&want, &got);
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    assert!(
        fs::metadata(target.join("etc/rc.conf")).unwrap().dev()
            != fs::metadata(pool.root().join("bastille")).unwrap().dev()
    );

    // A release that exists is refused; a broken archive leaves no dataset behind.
    oci_sh(d).args(["bastille", txz.to_str().unwrap(), "14.3-RELEASE", &releases]).run().code(2);
    let bad = d.join("bad.txz");
    let mut bytes = fs::read(&txz).unwrap();
    bytes.truncate(bytes.len() / 2);
    fs::write(&bad, bytes).unwrap();
    let r = oci_sh(d).args(["bastille", bad.to_str().unwrap(), "15.0-RELEASE", &releases]).run();
    assert_ne!(r.code, Some(0));
    assert!(!pool.all().iter().any(|n| n.contains("15.0")), "{:?}", pool.all());
    assert!(!pool.root().join("bastille/releases/15.0-RELEASE").exists());
    // The copy into the new dataset fails: the dataset is destroyed, as bootstrap.sh:186-204.
    let r = oci_sh(d)
        .env("JTOOLS_BIN", tools_with_failing_send(d))
        .args(["bastille", txz.to_str().unwrap(), "15.0-RELEASE", &releases])
        .run();
    r.code(2).stderr_contains("injected failure");
    assert!(!pool.all().iter().any(|n| n.contains("15.0")), "{:?}", pool.all());
    assert!(!pool.root().join("bastille/releases/15.0-RELEASE").exists());
}

#[test]
fn pot_base_from_a_freebsd_txz_on_zfs() {
    if !have_all(&["bsdtar", "gzip"]) {
        return;
    }
    let Some(pool) = Pool::mounting() else {
        return;
    };
    let dir = tempdir();
    let d = dir.path();
    let (txz, tree) = freebsd_txz(d);
    // POT_ZFS_ROOT mounted at POT_FS_ROOT, as `pot init` leaves it.
    let pot_root = pool.ds("pot");
    zfs_ok("zfs", &["create", &pot_root]);
    let out = oci_sh(d).args(["pot", txz.to_str().unwrap(), "14.3", &pot_root]).run();
    out.success();
    let base = pool.root().join("pot/bases/14.3");
    assert_eq!(out.stdout_str(), format!("{}\n", base.display()));
    // create-base.sh:20-45: three datasets, usr.local and custom at their mountpoints.
    let ds = format!("{pot_root}/bases/14.3");
    for (child, at) in [("", ""), ("/usr.local", "/usr/local"), ("/custom", "/opt/custom")] {
        let got = zfs_ok("zfs", &["get", "-H", "-o", "value", "mountpoint,mounted", &format!("{ds}{child}")]);
        assert_eq!(got, format!("{}{at}\nyes\n", base.display()), "{child}");
    }
    // create-base.sh:63-91: .osrelease, etc/root/var under opt/custom and linked back.
    assert_eq!(fs::read_to_string(base.join(".osrelease")).unwrap(), "14.3-RELEASE\n");
    let link =
        |p: &str| fs::read_link(base.join(p)).unwrap_or_else(|e| panic!("{p}: {e}")).display().to_string();
    assert_eq!(link("etc"), "opt/custom/etc");
    assert_eq!(link("root"), "opt/custom/root");
    assert_eq!(link("var"), "opt/custom/var");
    assert_eq!(link("home"), "opt/custom/usr.home");
    assert_eq!(link("usr/home"), "../opt/custom/usr.home");
    assert_eq!(link("usr/local/etc"), "../../opt/custom/usr.local.etc");
    assert_eq!(link("opt/custom/var/db/pkg"), "../../../../usr/local/var.db.pkg");
    assert!(base.join("usr/ports").is_dir());
    // Every file of the image is there, through the links, in the dataset pot keeps it in.
    let custom_dev = fs::metadata(base.join("opt/custom")).unwrap().dev();
    let local_dev = fs::metadata(base.join("usr/local")).unwrap().dev();
    assert_ne!(custom_dev, local_dev);
    for (file, dev) in [
        ("etc/rc.conf", custom_dev),
        ("etc/ssh/sshd_config", custom_dev),
        ("root/.profile", custom_dev),
        ("usr/home/u/.login", custom_dev),
        ("usr/local/etc/pkg.conf", custom_dev),
        ("var/db/pkg/local.sqlite", local_dev),
        ("bin/freebsd-version", fs::metadata(&base).unwrap().dev()),
    ] {
        assert_eq!(fs::read(base.join(file)).unwrap(), fs::read(tree.join(file)).unwrap(), "{file}");
        assert_eq!(fs::metadata(base.join(file)).unwrap().dev(), dev, "{file}");
    }
    // The base exists: refused, nothing changed.
    oci_sh(d).args(["pot", txz.to_str().unwrap(), "14.3", &pot_root]).run().code(2);
    // A truncated archive: no base dataset left.
    let bad = d.join("bad.txz");
    let mut bytes = fs::read(&txz).unwrap();
    bytes.truncate(bytes.len() / 2);
    fs::write(&bad, bytes).unwrap();
    let r = oci_sh(d).args(["pot", bad.to_str().unwrap(), "15.0", &pot_root]).run();
    assert_ne!(r.code, Some(0));
    assert!(!pool.all().iter().any(|n| n.contains("15.0")), "{:?}", pool.all());
    // The copy into the new datasets fails: they are destroyed, the base and its children.
    let r = oci_sh(d)
        .env("JTOOLS_BIN", tools_with_failing_send(d))
        .args(["pot", txz.to_str().unwrap(), "15.0", &pot_root])
        .run();
    r.code(2).stderr_contains("injected failure");
    assert!(!pool.all().iter().any(|n| n.contains("15.0")), "{:?}\n{}", pool.all(), r.stderr);
    assert!(!pool.root().join("pot/bases/15.0").exists());
}

/// FreeBSD's archive as AppJail would get it: the jail's root is the layer as tar extracts
/// it, and the lowercase "cmd" make-oci-image.sh writes is the command, as buildah's Go JSON
/// decoding (case-insensitive field names) and so skopeo's read it.
#[test]
fn appjail_jail_from_a_freebsd_txz_reads_its_lowercase_cmd_as_buildah_does() {
    if !have_all(&["bsdtar", "gzip", "skopeo"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let (txz, _) = freebsd_txz(d);
    fs::create_dir(d.join("jails")).unwrap();
    oci_sh(d).args(["appjail", txz.to_str().unwrap(), "base", "jails"]).run().success();
    let jail = d.join("jails/base");
    let reference = d.join("reference");
    fs::create_dir(&reference).unwrap();
    run(Command::new("bsdtar").arg("-C").arg(&reference).arg("-xpf").arg(d.join("rootfs.tar.gz")));
    assert_same_tree(&reference, &jail.join("jail"));
    let config = skopeo_config(&d.join("oci"), "freebsd-static:14.3-RELEASE-amd64");
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["/bin/sh"]), "skopeo reads the lowercase cmd");
    assert_eq!(sh_words(&jail.join("conf/boot/oci/args")), ["/bin/sh"]);
    assert!(!jail.join("conf/boot/oci/entrypoint").exists());
    let conf = jail.join("conf/config.conf");
    assert_eq!(jspec(&["get", "-F", "ajspec", conf.to_str().unwrap(), "osarch"], d), "amd64\n");
    assert_eq!(jspec(&["get", "-F", "ajspec", conf.to_str().unwrap(), "osversion"], d), "14.3-RELEASE\n");
}
