//! The extractor's confinement (jcore::confine's beneath mode) has two ways: openat2
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` on Linux 5.6+, and the walk one component at a
//! time with `O_NOFOLLOW` everywhere else (FreeBSD, older kernels, seccomp filters that
//! refuse openat2). `JTOOLS_CONFINE_WALK=1` forces the walk: the hostile archives of
//! tests/jsnap.rs and the hostile layers of tests/jsnap_layers.rs go through both ways here,
//! and each way must refuse the same members with the same words and leave the same tree.
//! strace shows that each way is the one taken.
mod common;

use std::fs;
use std::path::Path;

use common::jsnap;
use common::tree::{differences, snapshot};

/// A tar written by Python's tarfile (as in tests/jsnap.rs).
fn python_tar(script: &str) -> Vec<u8> {
    let program = format!(
        "import tarfile, io, sys\n\
         buf = io.BytesIO()\n\
         t = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)\n\
         def add(name, kind=tarfile.REGTYPE, data=b'', link='', mode=0o644):\n\
         \x20   i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.linkname = link\n\
         \x20   if kind == tarfile.CHRTYPE: i.devmajor, i.devminor = 1, 3\n\
         \x20   if kind == tarfile.DIRTYPE: i.mode = 0o755\n\
         \x20   i.size = len(data); t.addfile(i, io.BytesIO(data) if data else None)\n\
         {script}\n\
         t.close()\n\
         sys.stdout.buffer.write(buf.getvalue())\n"
    );
    let run = common::Cmd::new("python3").args(["-c", &program]).run();
    run.success();
    run.stdout.clone()
}

/// `jsnap ARGS` with or without the forced walk: (exit code, stderr).
fn recv(args: &[&std::ffi::OsStr], stdin: &[u8], walk: bool) -> (i32, String) {
    let mut cmd = jsnap().args(args).stdin(stdin.to_vec());
    if walk {
        cmd = cmd.env("JTOOLS_CONFINE_WALK", "1");
    }
    let run = cmd.run();
    (run.code.unwrap_or(-1), run.stderr.clone())
}

/// The hostile members of tests/jsnap.rs (`dir_recv_refuses_hostile_members`), plus
/// symlinks deeper in the path and a directory member through a symlink.
fn hostile_archive(outside: &Path) -> Vec<u8> {
    let o = outside.display();
    python_tar(&format!(
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
         add('d', tarfile.DIRTYPE)\n\
         add('d/inner', tarfile.SYMTYPE, link='/')\n\
         add('d/inner/etc/deep', data=b'evil')\n\
         add('d/inner/newdir', tarfile.DIRTYPE)\n\
         add('d/up', tarfile.SYMTYPE, link='..')\n\
         add('d/up/d/up/escape3', data=b'evil')\n\
         add('good', data=b'still extracted')\n\
         add('d/deeper', tarfile.DIRTYPE)\n\
         add('d/deeper/good', data=b'still extracted')"
    ))
}

#[test]
fn hostile_members_are_refused_alike_by_openat2_and_by_the_walk() {
    if !common::have("python3") {
        return;
    }
    let work = common::tempdir();
    let outside = work.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim"), b"original").unwrap();
    let hostile = hostile_archive(&outside);
    let mut results = Vec::new();
    for walk in [false, true] {
        let dest = work.path().join(if walk { "walk" } else { "openat2" });
        fs::create_dir(&dest).unwrap();
        let (code, stderr) = recv(&["recv".as_ref(), "--dir".as_ref(), dest.as_os_str()], &hostile, walk);
        assert_eq!(code, 2, "walk={walk}: {stderr}");
        for member in [
            "../escape",
            "/abs",
            "link/through-symlink: refused: 'link' is a symlink",
            "hard:",
            "hard-abs",
            "hard-via-symlink",
            "file/under-a-file: refused: 'file' is not a directory",
            "dev/null",
            "a/../../escape2",
            "d/inner/etc/deep: refused: 'd/inner' is a symlink",
            "d/inner/newdir/: refused: 'd/inner' is a symlink",
            "d/up/d/up/escape3: refused: 'd/up' is a symlink",
        ] {
            assert!(
                stderr.lines().any(|l| l.starts_with("jsnap: ") && l.contains(member)),
                "walk={walk}: refusal of {member} not reported:\n{stderr}"
            );
        }
        assert_eq!(stderr.lines().count(), 12, "walk={walk}: {stderr}");
        assert_eq!(fs::read(outside.join("victim")).unwrap(), b"original", "walk={walk}");
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 1, "walk={walk}");
        for escaped in ["escape", "escape2", "escape3", "deep", "newdir"] {
            assert!(!work.path().join(escaped).exists() && !Path::new("/").join(escaped).exists());
        }
        assert_eq!(fs::read(dest.join("rel")).unwrap(), b"replaced, not written through");
        assert_eq!(fs::read(dest.join("good")).unwrap(), b"still extracted");
        assert_eq!(fs::read(dest.join("d/deeper/good")).unwrap(), b"still extracted");
        results.push((stderr.replace(dest.to_str().unwrap(), "DEST"), snapshot(&dest)));
    }
    let (walked, openat2) = (results.pop().unwrap(), results.pop().unwrap());
    assert_eq!(openat2.0, walked.0, "the two ways report differently");
    let diff = differences(&openat2.1, &walked.1);
    assert!(diff.is_empty(), "the two ways left different trees:\n{}", diff.join("\n"));
}

/// The hostile whiteouts of tests/jsnap_layers.rs
/// (`layers_hostile_whiteouts_are_refused_and_nothing_outside_is_touched`) through the walk.
#[test]
fn hostile_whiteouts_are_refused_by_the_walk() {
    if !common::have("python3") {
        return;
    }
    let work = common::tempdir();
    let t = work.path();
    let outside = t.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim"), "host\n").unwrap();
    let o = outside.display();
    let lower = python_tar(&format!(
        "add('d', tarfile.DIRTYPE)\nadd('d/a')\nadd('d/victim')\n\
         add('out', tarfile.SYMTYPE, link='{o}')\nadd('rel', tarfile.SYMTYPE, link='../outside')\n\
         add('ind', tarfile.SYMTYPE, link='d')"
    ));
    let hostile = [
        "add('../.wh.victim')",
        "add('d/.wh..')",
        "add('d/.wh...')",
        "add('/.wh.victim')",
        &format!("add('{o}/.wh.victim')"),
        "add('out/.wh.victim')",
        "add('rel/.wh.victim')",
        "add('out/.wh..wh..opq')",
        "add('ind/.wh.a')",
        "add('.wh.d/x')",
        "add('d/.wh.')",
    ];
    let existing = t.join("existing");
    fs::write(t.join("lower.tar"), &lower).unwrap();
    let layer_args = |dir: &Path, layer: &Path| -> Vec<std::ffi::OsString> {
        vec!["recv".into(), "--dir".into(), dir.into(), "--layer".into(), layer.into()]
    };
    let args = layer_args(&existing, &t.join("lower.tar"));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    assert_eq!(recv(&args, b"", true).0, 0);
    let before = snapshot(&existing);
    for members in hostile {
        let layer = t.join("hostile.tar");
        fs::write(&layer, python_tar(members)).unwrap();
        let args = layer_args(&existing, &layer);
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let (code, stderr) = recv(&args, b"", true);
        assert_eq!(code, 2, "{members}: {stderr}");
        assert!(stderr.contains("refused") && stderr.lines().count() == 1, "{members}: {stderr}");
        let diff = differences(&before, &snapshot(&existing));
        assert!(diff.is_empty(), "{members}: the existing tree changed:\n{}", diff.join("\n"));
        assert_eq!(fs::read(outside.join("victim")).unwrap(), b"host\n", "{members}");
    }
}

/// Which way was taken: openat2 calls counted by strace, with and without the switch.
#[test]
fn the_switch_makes_the_extractor_walk_instead_of_calling_openat2() {
    if !common::have("python3") || !common::have("strace") {
        return;
    }
    let work = common::tempdir();
    let archive =
        python_tar("add('a', tarfile.DIRTYPE)\nadd('a/b', tarfile.DIRTYPE)\nadd('a/b/f', data=b'x')");
    let mut counts = Vec::new();
    for walk in [false, true] {
        let dest = work.path().join(format!("t{walk}"));
        let log = work.path().join(format!("strace{walk}"));
        let mut cmd = common::Cmd::new("strace")
            .args(["-f", "-qq", "-e", "trace=openat2", "-o"])
            .arg(&log)
            .arg(common::bin("jsnap"))
            .args(["recv", "--dir"])
            .arg(&dest)
            .stdin(archive.clone());
        if walk {
            cmd = cmd.env("JTOOLS_CONFINE_WALK", "1");
        }
        cmd.run().success();
        assert_eq!(fs::read(dest.join("a/b/f")).unwrap(), b"x");
        let text = fs::read_to_string(&log).unwrap();
        counts.push(text.lines().filter(|l| l.contains("openat2(") && !l.contains("ENOSYS")).count());
    }
    if counts[0] == 0 {
        common::skip("this kernel has no openat2 (before Linux 5.6): only the walk can be tested");
        return;
    }
    assert_eq!(counts[1], 0, "JTOOLS_CONFINE_WALK=1 still called openat2");
}
