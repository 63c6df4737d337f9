//! jsnap on real directory trees, checked against GNU tar, bsdtar and hostile archives
//! written by Python's tarfile (the ZFS tests are in tests/jsnap_zfs.rs).
mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Cmd, is_root, jsnap, sh};

// ---------------------------------------------------------------------------------------
// Directories

fn set_mtime(path: &Path, secs: i64) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let ts = [libc::timespec { tv_sec: secs, tv_nsec: 0 }, libc::timespec { tv_sec: secs, tv_nsec: 0 }];
    // SAFETY: valid C string and timespecs.
    let ret = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    assert_eq!(ret, 0, "utimensat {}", path.display());
}

/// A tree with everything a jail root holds.
fn jail_tree(root: &Path) {
    let long_dir = root.join("usr/share/".to_string() + &"d".repeat(90)).join("e".repeat(60));
    fs::create_dir_all(&long_dir).unwrap();
    fs::write(long_dir.join("f".repeat(120)), b"long name").unwrap(); // > 255 bytes: PAX path
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("tmp")).unwrap();
    fs::create_dir_all(root.join("var/empty")).unwrap();
    fs::write(root.join("bin/sh"), common::noise(70_000, 5)).unwrap();
    fs::hard_link(root.join("bin/sh"), root.join("bin/hardsh")).unwrap();
    fs::write(root.join("bin/su"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(root.join("bin/su"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::write(root.join("bin/wall"), b"x").unwrap();
    fs::set_permissions(root.join("bin/wall"), fs::Permissions::from_mode(0o2555)).unwrap();
    fs::set_permissions(root.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::set_permissions(root.join("var/empty"), fs::Permissions::from_mode(0o555)).unwrap();
    fs::write(root.join("etc/passwd"), b"root:*:0:0::/root:/bin/sh\n").unwrap();
    symlink("/usr/share/zoneinfo/UTC", root.join("etc/localtime")).unwrap();
    symlink("../bin/sh", root.join("etc/shell")).unwrap();
    symlink("t".repeat(150), root.join("etc/longlink")).unwrap();
    let fifo = std::ffi::CString::new(root.join("etc/fifo").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: valid C string.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o640) }, 0);
    let xattr_ok = Command::new("python3")
        .args(["-c", "import os,sys; os.setxattr(sys.argv[1], 'user.jail', b'\\x00\\x01value')"])
        .arg(root.join("bin/sh"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(xattr_ok, "user xattrs must work on the test file system");
    if is_root() {
        std::os::unix::fs::lchown(root.join("etc/passwd"), Some(1234), Some(5678)).unwrap();
        std::os::unix::fs::lchown(root.join("etc/shell"), Some(80), Some(80)).unwrap();
        std::os::unix::fs::lchown(root.join("bin/wall"), Some(3_000_000), Some(4_000_000)).unwrap();
    }
    // Fixed mtimes, children before parents (setting them changes nothing above).
    let mut all: Vec<PathBuf> = walk(root);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in all.iter().enumerate() {
        set_mtime(p, 1_000_000_000 + i as i64 * 1000);
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            for e in fs::read_dir(&p).unwrap() {
                out.push(e.unwrap().path());
            }
        }
        i += 1;
    }
    out
}

fn send_dir(dir: &Path) -> Vec<u8> {
    let run = jsnap().args(["send", "--dir"]).arg(dir).run();
    run.success().stderr_is_empty();
    run.stdout
}

#[test]
fn dir_stream_is_deterministic_and_read_by_gnu_tar_and_bsdtar() {
    if !common::have("bsdtar") || !common::have("python3") {
        return;
    }
    let work = common::tempdir();
    let src = work.path().join("src");
    jail_tree(&src);
    let first = send_dir(&src);
    let second = send_dir(&src);
    assert!(first == second, "two runs over the same tree differ");
    assert!(!first.windows(6).any(|w| w == b"atime=" || w == b"ctime="), "no atime/ctime records");
    let archive = work.path().join("a.tar");
    fs::write(&archive, &first).unwrap();

    // Both reference tars list the same members.
    let gnu = sh(&format!("tar -tf {}", archive.display())).run();
    gnu.success();
    let bsd = sh(&format!("bsdtar -tf {}", archive.display())).run();
    bsd.success();
    let names = gnu.stdout_str();
    assert_eq!(names, bsd.stdout_str());
    assert!(names.starts_with("./\n./bin/\n./bin/hardsh\n./bin/sh\n"), "sorted walk: {names}");
    assert!(names.contains(&format!("{}/{}\n", "e".repeat(60), "f".repeat(120))));

    // Verbose listing: numeric ids, no names, modes with special bits, hard link and symlinks.
    let verbose = sh(&format!("tar --numeric-owner -tvf {}", archive.display())).run().stdout_str();
    assert!(verbose.contains("-rwsr-xr-x"), "{verbose}");
    assert!(verbose.contains("drwxrwxrwt"), "{verbose}");
    assert!(verbose.contains("./bin/sh link to ./bin/hardsh"), "{verbose}");
    assert!(verbose.contains("./etc/localtime -> /usr/share/zoneinfo/UTC"), "{verbose}");
    assert!(verbose.contains(&format!("./etc/longlink -> {}", "t".repeat(150))), "{verbose}");
    assert!(verbose.lines().any(|l| l.starts_with("prw-r-----")), "{verbose}");
    if is_root() {
        assert!(verbose.contains("1234/5678"), "{verbose}");
        assert!(verbose.contains("3000000/4000000"), "{verbose}");
    } else {
        // Not root: jail_tree could not chown, and the archive holds who made the files.
        let meta = fs::metadata(src.join("etc/passwd")).unwrap();
        assert!(verbose.contains(&format!("{}/{}", meta.uid(), meta.gid())), "{verbose}");
    }
    // No user/group names in the headers unless asked; with --owner-names, GNU tar shows them.
    assert!(!first.windows(5).any(|w| w == b"root\0"));
    let named = jsnap().args(["send", "--owner-names", "--dir"]).arg(&src).run();
    named.success();
    fs::write(work.path().join("named.tar"), &named.stdout).unwrap();
    let listing = sh(&format!("tar -tvf {}/named.tar ./bin/sh", work.path().display())).run().stdout_str();
    // The names of who owns bin/sh (root as root; as a user, the user).
    let sh_meta = fs::metadata(src.join("bin/sh")).unwrap();
    let user = nix::unistd::User::from_uid(sh_meta.uid().into()).unwrap().expect("a passwd entry").name;
    let group = nix::unistd::Group::from_gid(sh_meta.gid().into()).unwrap().expect("a group entry").name;
    assert!(listing.contains(&format!("{user}/{group}")), "{listing}");

    // Extracted by GNU tar and by bsdtar, the tree archives to the very same bytes.
    for (name, extract) in [
        ("gnu", "tar --numeric-owner --xattrs --xattrs-include='*' -xpf"),
        ("bsd", "bsdtar --numeric-owner --xattrs -xpf"),
    ] {
        let out = work.path().join(name);
        fs::create_dir(&out).unwrap();
        sh(&format!("cd {} && {extract} {}", out.display(), archive.display())).run().success();
        // bsdtar leaves the mtime of the directory it extracts into ("./") alone.
        set_mtime(&out, fs::metadata(&src).unwrap().mtime());
        assert!(send_dir(&out) == first, "{name}: re-archived tree differs from the original");
    }
}

#[test]
fn dir_round_trip_restores_everything() {
    if !common::have("python3") {
        return;
    }
    let work = common::tempdir();
    let src = work.path().join("src");
    jail_tree(&src);
    let stream = send_dir(&src);
    let dst = work.path().join("dst/new"); // created by recv
    jsnap().args(["recv", "--dir"]).arg(&dst).stdin(stream.clone()).run().success().stderr_is_empty();
    assert!(send_dir(&dst) == stream, "received tree archives differently");
    let sh_meta = fs::metadata(dst.join("bin/sh")).unwrap();
    assert_eq!(sh_meta.ino(), fs::metadata(dst.join("bin/hardsh")).unwrap().ino(), "hard link");
    assert_eq!(fs::metadata(dst.join("bin/su")).unwrap().mode() & 0o7777, 0o4755);
    assert_eq!(fs::metadata(dst.join("var/empty")).unwrap().mode() & 0o7777, 0o555);
    assert_eq!(fs::read_link(dst.join("etc/localtime")).unwrap(), Path::new("/usr/share/zoneinfo/UTC"));
    assert_eq!(fs::metadata(&dst).unwrap().mtime(), fs::metadata(&src).unwrap().mtime(), "root mtime");
    let xattr = Command::new("python3")
        .args(["-c", "import os,sys; sys.stdout.buffer.write(os.getxattr(sys.argv[1], 'user.jail'))"])
        .arg(dst.join("bin/sh"))
        .output()
        .unwrap();
    assert_eq!(xattr.stdout, b"\x00\x01value");
    if is_root() {
        assert_eq!(fs::metadata(dst.join("etc/passwd")).unwrap().uid(), 1234);
        assert_eq!(fs::symlink_metadata(dst.join("etc/shell")).unwrap().gid(), 80);
    } else {
        assert_eq!(fs::metadata(dst.join("etc/passwd")).unwrap().uid(), nix::unistd::geteuid().as_raw());
    }

    // Device nodes are archived (as root) and restored with --devices.
    if is_root() {
        let devs = work.path().join("devs");
        fs::create_dir(&devs).unwrap();
        let node = std::ffi::CString::new(devs.join("null").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: valid C string.
        assert_eq!(unsafe { libc::mknod(node.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) }, 0);
        fs::set_permissions(devs.join("null"), fs::Permissions::from_mode(0o666)).unwrap();
        let stream = send_dir(&devs);
        fs::write(work.path().join("devs.tar"), &stream).unwrap();
        let listing = sh(&format!("bsdtar -tvf {}/devs.tar", work.path().display())).run().stdout_str();
        assert!(listing.contains("crw-rw-rw-") && listing.contains("1,3"), "{listing}");
        let back = work.path().join("devs-back");
        jsnap().args(["recv", "--devices", "--dir"]).arg(&back).stdin(stream.clone()).run().success();
        assert_eq!(fs::symlink_metadata(back.join("null")).unwrap().rdev(), libc::makedev(1, 3));
        let refused = work.path().join("devs-refused");
        jsnap().args(["recv", "--dir"]).arg(&refused).stdin(stream).run().code(2).one_line_error("jsnap");
    } else {
        // Not root: mknod fails, so jsnap send has no device node to archive here; the
        // refusal to create one is dir_recv_refuses_hostile_members's.
    }

    // A GNU tar archive of the same tree extracts to the same tree too.
    let gnu = work.path().join("gnu.tar");
    sh(&format!(
        "tar -C {} --xattrs --xattrs-include='*' --format=posix -cf {} .",
        src.display(),
        gnu.display()
    ))
    .run()
    .success();
    let from_gnu = work.path().join("from-gnu");
    jsnap().args(["recv", "--dir"]).arg(&from_gnu).stdin_file(&gnu).run().success();
    assert!(send_dir(&from_gnu) == stream, "GNU tar archive extracted differently");
}

#[test]
fn dir_members_make_an_appjail_image() {
    if !common::have("bsdtar") {
        return;
    }
    let work = common::tempdir();
    let jail = work.path().join("web");
    fs::create_dir_all(jail.join("jail/etc")).unwrap();
    fs::write(jail.join("jail/etc/rc.conf"), b"x").unwrap();
    fs::write(jail.join("init"), b"").unwrap();
    fs::create_dir_all(jail.join("conf/volumes/data")).unwrap();
    fs::write(jail.join("conf/volumes/data/mountpoint"), b"/data").unwrap();
    fs::write(jail.join("conf/volumes/data/type"), b"nullfs").unwrap();
    fs::write(jail.join("conf/config.conf"), b"osarch: amd64\n").unwrap();
    fs::write(jail.join("conf/template.conf"), b"not exported").unwrap();
    let run = jsnap()
        .args(["send", "--dir"])
        .arg(&jail)
        .args(["./jail/", "./init", "./conf/volumes/", "./conf/config.conf"])
        .run();
    run.success();
    let image = work.path().join("web.appjail");
    fs::write(&image, &run.stdout).unwrap();
    // What AppJail's import runs (ajspec.md §7.2): every pattern must match.
    let listed =
        sh(&format!("bsdtar -tf {} ./jail/ ./init ./conf/volumes/ ./conf/config.conf", image.display()))
            .run();
    listed.success();
    assert_eq!(
        listed.stdout_str(),
        "./jail/\n./jail/etc/\n./jail/etc/rc.conf\n./init\n./conf/volumes/\n./conf/volumes/data/\n\
         ./conf/volumes/data/mountpoint\n./conf/volumes/data/type\n./conf/config.conf\n"
    );
    // Without the ./ prefix too, and the import's extraction works.
    sh(&format!("bsdtar -tf {} jail/ init conf/volumes/ conf/config.conf", image.display())).run().success();
    let imported = work.path().join("imported");
    fs::create_dir(&imported).unwrap();
    sh(&format!(
        "bsdtar -C {} -xf {} ./jail/ ./init ./conf/volumes/ ./conf/config.conf",
        imported.display(),
        image.display()
    ))
    .run()
    .success();
    assert_eq!(fs::read(imported.join("conf/volumes/data/type")).unwrap(), b"nullfs");
    assert!(!imported.join("conf/template.conf").exists());

    // Bad members: one-line errors.
    jsnap().args(["send", "--dir"]).arg(&jail).arg("../etc").run().code(2).one_line_error("jsnap");
    jsnap().args(["send", "--dir"]).arg(&jail).arg("/etc").run().code(2).one_line_error("jsnap");
    jsnap().args(["send", "--dir"]).arg(&jail).arg("./missing").run().code(2).one_line_error("jsnap");
}

#[test]
fn dir_exclude_globs() {
    let work = common::tempdir();
    let src = work.path().join("src");
    fs::create_dir_all(src.join("tmp/cache")).unwrap();
    fs::create_dir_all(src.join("etc")).unwrap();
    fs::write(src.join("tmp/cache/x"), b"x").unwrap();
    fs::write(src.join("etc/a.conf"), b"x").unwrap();
    fs::write(src.join("etc/a.core"), b"x").unwrap();
    let run = jsnap().args(["send", "--exclude", "*.core", "--exclude", "./tmp/*", "--dir"]).arg(&src).run();
    run.success();
    let tar = work.path().join("x.tar");
    fs::write(&tar, &run.stdout).unwrap();
    let names = sh(&format!("tar -tf {}", tar.display())).run().stdout_str();
    assert_eq!(names, "./\n./etc/\n./etc/a.conf\n./tmp/\n");
}

/// Writes a tar with Python's tarfile from a list of member specs, returns its bytes.
fn python_tar(script: &str) -> Vec<u8> {
    let program = format!(
        "import tarfile, io, sys\n\
         buf = io.BytesIO()\n\
         t = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)\n\
         def add(name, kind=tarfile.REGTYPE, data=b'', link='', mode=0o644):\n\
         \x20   i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.linkname = link\n\
         \x20   if kind == tarfile.CHRTYPE: i.devmajor, i.devminor = 1, 3\n\
         \x20   i.size = len(data); t.addfile(i, io.BytesIO(data) if data else None)\n\
         {script}\n\
         t.close()\n\
         sys.stdout.buffer.write(buf.getvalue())\n"
    );
    let out = Command::new("python3").args(["-c", &program]).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn dir_recv_refuses_hostile_members() {
    if !common::have("python3") {
        return;
    }
    let work = common::tempdir();
    let outside = work.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim"), b"original").unwrap();
    // An existing directory is extracted into in place, as tar does: the refused members
    // are reported one per line and the rest is extracted.
    let dest = work.path().join("dest");
    fs::create_dir(&dest).unwrap();
    let o = outside.display();
    let hostile = python_tar(&format!(
        "add('../escape', data=b'evil')\n\
         add('{o}/abs', data=b'evil')\n\
         add('link', tarfile.SYMTYPE, link='{o}')\n\
         add('link/through-symlink', data=b'evil')\n\
         add('rel', tarfile.SYMTYPE, link='../outside/victim')\n\
         add('rel', data=b'replaced, not written through')\n\
         add('hard', tarfile.LNKTYPE, link='../outside/victim')\n\
         add('hard-abs', tarfile.LNKTYPE, link='{o}/victim')\n\
         add('hard-via-symlink', tarfile.LNKTYPE, link='link/victim')\n\
         add('file', data=b'x')\n\
         add('file/under-a-file', data=b'evil')\n\
         add('dev/null', tarfile.CHRTYPE, mode=0o666)\n\
         add('./a/../../escape2', data=b'evil')\n\
         add('good', data=b'still extracted')"
    ));
    let run = jsnap().args(["recv", "--dir"]).arg(&dest).stdin(hostile.clone()).run();
    run.code(2);
    for member in [
        "../escape",
        "/abs",
        "link/through-symlink",
        "hard:",
        "hard-abs",
        "hard-via-symlink",
        "file/under-a-file",
        "dev/null",
        "a/../../escape2",
    ] {
        assert!(
            run.stderr.lines().any(|l| l.starts_with("jsnap: ") && l.contains(member)),
            "refusal of {member} not reported:\n{}",
            run.stderr
        );
    }
    assert_eq!(run.stderr.lines().count(), 9, "{}", run.stderr);
    // Nothing outside changed, nothing escaped.
    assert_eq!(fs::read(outside.join("victim")).unwrap(), b"original");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
    assert!(!work.path().join("escape").exists() && !work.path().join("escape2").exists());
    assert_eq!(fs::read(dest.join("rel")).unwrap(), b"replaced, not written through");
    assert!(!fs::symlink_metadata(dest.join("rel")).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(dest.join("good")).unwrap(), b"still extracted");
    assert!(!dest.join("dev/null").exists());

    // A new directory is all or nothing: one line, and no directory.
    let fresh = work.path().join("fresh");
    let run = jsnap().args(["recv", "--dir"]).arg(&fresh).stdin(hostile).run();
    run.code(2).one_line_error("jsnap");
    assert!(run.stderr.contains("fresh: not created: ../escape") && run.stderr.contains("(and 8 more)"));
    assert!(!fresh.exists());
    assert_no_temporaries(work.path());

    // Device nodes: only when asked, and only as root.
    let devs = python_tar("add('dev/null', tarfile.CHRTYPE, mode=0o666)\nadd('etc/motd', data=b'hi')");
    let out = work.path().join("devs");
    let run = jsnap().args(["recv", "--devices", "--dir"]).arg(&out).stdin(devs.clone()).run();
    if is_root() {
        run.success();
        let meta = fs::symlink_metadata(out.join("dev/null")).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_char_device(&meta.file_type()));
        assert_eq!(meta.rdev(), fs::metadata("/dev/null").unwrap().rdev());
    } else {
        // As a user, bsdtar cannot create the node either and says so with a failing
        // status; jsnap refuses it, naming the member and why, and nothing is created.
        run.code(2).one_line_error("jsnap").stderr_contains("dev/null").stderr_contains("needs root");
        assert!(!out.exists(), "a refused member leaves no new directory");
        if common::have("bsdtar") {
            let bsd = work.path().join("devs-bsdtar");
            fs::create_dir(&bsd).unwrap();
            let ran = Cmd::new("bsdtar").arg("-xpf").arg("-").arg("-C").arg(&bsd).stdin(devs).run();
            assert_ne!(ran.code, Some(0), "bsdtar as a user made a device node: {}", ran.stderr);
            assert!(fs::symlink_metadata(bsd.join("dev/null")).is_err());
        }
    }
}

/// Owners in an archive (1234:5678) are restored as bsdtar -xp restores them: as root,
/// the archive's; as a user, who extracts (no chown is tried, nothing is said), in both
/// passes of CI (.ci/run.d/unprivileged.sh runs this as a user).
#[test]
fn recv_owners_match_bsdtar_as_root_and_as_a_user() {
    if !common::have("python3") || !common::have("bsdtar") {
        return;
    }
    let work = common::tempdir();
    let archive = python_tar(
        "i = tarfile.TarInfo('f'); i.uid, i.gid, i.mode, i.size = 1234, 5678, 0o640, 2\n\
         t.addfile(i, io.BytesIO(b'hi'))",
    );
    let ours = work.path().join("ours");
    jsnap().args(["recv", "--dir"]).arg(&ours).stdin(archive.clone()).run().success().stderr_is_empty();
    let theirs = work.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    Cmd::new("bsdtar").arg("-xpf").arg("-").arg("-C").arg(&theirs).stdin(archive).run().success();
    let (a, b) = (fs::metadata(ours.join("f")).unwrap(), fs::metadata(theirs.join("f")).unwrap());
    assert_eq!((a.uid(), a.gid()), (b.uid(), b.gid()), "owner: jsnap vs bsdtar -xp");
    assert_eq!(a.mode() & 0o7777, b.mode() & 0o7777, "mode: jsnap vs bsdtar -xp");
    let expected = if is_root() { 1234 } else { nix::unistd::geteuid().as_raw() };
    assert_eq!(a.uid(), expected);
}

#[test]
fn dir_recv_rejects_garbage_and_terminal_free_errors() {
    let work = common::tempdir();
    let dest = work.path().join("d");
    jsnap()
        .args(["recv", "--dir"])
        .arg(&dest)
        .stdin(common::noise(10_000, 9))
        .run()
        .code(2)
        .one_line_error("jsnap");
    jsnap().args(["recv", "--dir"]).arg(&dest).stdin(Vec::new()).run().code(2).one_line_error("jsnap");
    // Garbage whose bytes the tar parser would quote: still one printable line.
    for seed in 0..20 {
        let run = jsnap().args(["recv", "--dir"]).arg(&dest).stdin(common::noise(3000, 100 + seed)).run();
        run.code(2).one_line_error("jsnap");
        assert!(run.stderr.trim_end().chars().all(|c| c == ' ' || c.is_ascii_graphic()), "{}", run.stderr);
    }
    // A truncated archive: the error names the stream.
    let src = work.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("big"), common::noise(100_000, 2)).unwrap();
    let stream = send_dir(&src);
    jsnap()
        .args(["recv", "--dir"])
        .arg(&dest)
        .stdin(stream[..50_000].to_vec())
        .run()
        .code(2)
        .one_line_error("jsnap");
    // Usage errors.
    jsnap().args(["send", "--dir"]).arg(work.path().join("missing")).run().code(2).one_line_error("jsnap");
    jsnap().args(["recv", "--dir", "/x", "-F"]).run().code(2);
}

/// The temporary directories of `recv --dir` are all gone from `dir`.
fn assert_no_temporaries(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jtools-tmp"))
        .collect();
    assert!(left.is_empty(), "temporary directories left in {}: {left:?}", dir.display());
}

/// A new directory appears only when the whole stream extracted: truncated, corrupt and
/// interrupted streams leave nothing, as a failed `zfs receive` leaves no dataset.
#[test]
fn dir_recv_into_a_new_directory_is_all_or_nothing() {
    let work = common::tempdir();
    let src = work.path().join("src");
    fs::create_dir_all(src.join("etc")).unwrap();
    fs::write(src.join("etc/rc.conf"), b"sshd_enable=YES\n").unwrap();
    fs::write(src.join("big"), common::noise(3 << 20, 21)).unwrap();
    let stream = send_dir(&src);
    let parent = work.path().join("jails");
    let dest = parent.join("web");

    for (what, data) in [
        ("truncated", stream[..stream.len() / 2].to_vec()),
        ("garbage", common::noise(20_000, 22)),
        ("empty", Vec::new()),
    ] {
        let run = jsnap().args(["recv", "--dir"]).arg(&dest).stdin(data).run();
        run.code(2).one_line_error("jsnap");
        assert!(!dest.exists(), "{what}: {} was created", dest.display());
        assert_no_temporaries(&parent);
    }

    // Killed mid-stream: the temporary tree is removed too.
    let mut cmd = Command::new(bin!(jsnap));
    cmd.args(["recv", "--dir"]).arg(&dest);
    let temp_exists = || fs::read_dir(&parent).unwrap().count() > 0;
    assert!(!common::kill_mid_stream(&mut cmd, &stream[..stream.len() / 2], temp_exists).success());
    assert!(!dest.exists());
    assert_no_temporaries(&parent);

    // The whole stream: the directory appears, complete.
    jsnap().args(["recv", "--dir"]).arg(&dest).stdin(stream).run().success().stderr_is_empty();
    assert_eq!(fs::read(dest.join("etc/rc.conf")).unwrap(), b"sshd_enable=YES\n");
    assert_eq!(fs::read(dest.join("big")).unwrap(), common::noise(3 << 20, 21));
    assert_no_temporaries(&parent);
}

/// Binary streams are refused on a terminal (unless -f), before zfs runs.
#[test]
fn streams_to_a_terminal_are_refused() {
    if !common::have("script") {
        return;
    }
    let dir = common::tempdir();
    let canary = dir.path().join("ran");
    let fake = dir.path().join("zfs");
    fs::write(&fake, format!("#!/bin/sh\ntouch {}\nexit 0\n", canary.display())).unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let jsnap_bin = bin!(jsnap);
    for args in ["send tank/a@s", &format!("send --dir {}", dir.path().display())] {
        // script(1) gives the command a pseudo-terminal as stdout and passes its status on.
        let run = common::Cmd::new("script")
            .args(["-qec", &format!("JSNAP_ZFS={} {jsnap_bin} {args}", fake.display()), "/dev/null"])
            .run();
        run.code(2).stdout_contains("terminal");
    }
    assert!(!canary.exists(), "zfs ran although stdout is a terminal");
    let forced = common::Cmd::new("script")
        .args(["-qec", &format!("JSNAP_ZFS={} {jsnap_bin} send -f tank/a@s", fake.display()), "/dev/null"])
        .run();
    forced.success();
    assert!(canary.exists(), "-f must send to a terminal");
}
