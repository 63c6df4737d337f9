//! jrun on Linux against a hostile image or a hostile jail (issue 20): each attack that once
//! reached the host is a test here, run for real as root with real namespaces. The races run
//! a few hundred tries with a thread swapping paths under jrun, each test bounded in time.
//! A tiny static C program (`probe`, built with gcc) makes the system calls busybox has no
//! applet for. Linux only: FreeBSD jrun has its own attack surface (jails), not this one.
#![cfg(target_os = "linux")]
mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::jrun;

const PROBE_C: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static int say(const char *what, long r) {
    if (r < 0) printf("%s %s\n", what, strerrorname_np(errno));
    else printf("%s ok\n", what);
    return 0;
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "euid")) { printf("euid %d\n", (int)geteuid()); return 0; }
    if (!strcmp(cmd, "keyring")) {
        say("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
        return say("add_key", syscall(SYS_add_key, "user", "jrun", "secret", 6, -3));
    }
    if (!strcmp(cmd, "userns")) {
        say("unshare", unshare(CLONE_NEWUSER));
        return say("clone3", syscall(SYS_clone3, NULL, 0));
    }
    if (!strcmp(cmd, "tiocsti")) {
        const char *text = argc > 2 ? argv[2] : "";
        long r = 0;
        for (const char *c = text; *c && r == 0; c++) r = ioctl(0, TIOCSTI, c);
        return say("tiocsti", r);
    }
    if (!strcmp(cmd, "plant") && argc > 2) {
        say("chmod", chmod(argv[2], 04755));
        say("creat", open("/tmp/suid-new", O_CREAT | O_WRONLY, 04755));
        say("tmpfile", open("/tmp", O_TMPFILE | O_WRONLY, 04755));
        unsigned long long how[3] = {O_CREAT | O_WRONLY, 04755, 0};
        say("openat2", syscall(SYS_openat2, AT_FDCWD, "/tmp/suid-new2", how, sizeof how));
        /* VFS_CAP_REVISION_2 with CAP_SYS_ADMIN (21) permitted and effective. */
        unsigned int cap[5] = {0x02000001, 1u << 21, 0, 0, 0};
        return say("setcap", setxattr(argv[2], "security.capability", cap, sizeof cap, 0));
    }
    if (!strcmp(cmd, "reopen")) {
        int fd = open("/proc/self/fd/0", O_WRONLY);
        if (fd >= 0) (void)!write(fd, "pwned\n", 6);
        return say("reopen", fd);
    }
    return 2;
}
"#;

/// The probe, built once per test binary (static: the jail has no libc).
fn probe() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        // In cargo's scratch directory for tests, built anew by each run (under a name of
        // its own, then renamed: another run may be using the previous one).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let source = dir.join(format!("jrun-probe-{}.c", std::process::id()));
        std::fs::write(&source, PROBE_C).ok()?;
        let built = source.with_extension("");
        let ok = Command::new("gcc").args(["-static", "-O1", "-o"]).arg(&built).arg(&source).status();
        let _ = std::fs::remove_file(&source);
        if !ok.is_ok_and(|s| s.success()) {
            return None;
        }
        let out = dir.join("jrun-probe");
        std::fs::rename(&built, &out).ok()?;
        Some(out)
    });
    match built {
        Some(path) => Some(path.clone()),
        None => {
            common::skip(
                "gcc -static cannot build the probe (tests/setup.d/jrun.sh installs gcc, libc6-dev)",
            );
            None
        }
    }
}

struct Jail {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Jail {
    fn run(&self, args: &[&str]) -> common::Cmd {
        jrun().arg("--root").arg(&self.root).args(args)
    }

    /// As [`Jail::run`], killed after 10 seconds (a jrun that hangs fails the test).
    fn run_bounded(&self, args: &[&str]) -> common::Cmd {
        common::Cmd::new("timeout")
            .args(["-s", "KILL", "10", bin!(jrun), "--root"])
            .arg(&self.root)
            .args(args)
    }
}

/// A jail root with a static busybox and, when asked, the probe as /bin/probe.
fn jail(with_probe: bool) -> Option<Jail> {
    if !common::require_root("jrun runs jails as root only (no rootless user namespaces yet)") {
        return None;
    }
    if !common::have("busybox") {
        return None;
    }
    let probe = if with_probe { Some(probe()?) } else { None };
    let dir = common::tempdir();
    let root = dir.path().join("root");
    for sub in ["bin", "etc", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    // cp, not std::fs::copy: a file this multi-threaded process has open for writing could
    // leak into a child forked meanwhile (ETXTBSY at exec).
    let copy =
        |from: &Path, to: &Path| assert!(Command::new("cp").arg(from).arg(to).status().unwrap().success());
    copy(&common::which("busybox").unwrap(), &root.join("bin/busybox"));
    for applet in ["sh", "cat", "echo", "grep", "sleep", "stat", "cp", "chmod", "id", "ls", "true"] {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    if let Some(probe) = probe {
        copy(&probe, &root.join("bin/probe"));
    }
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
    Some(Jail { dir, root })
}

/// Swaps `path` between a directory and a symlink to `target` until `stop`.
fn swapper(path: PathBuf, target: PathBuf, stop: &'static AtomicBool) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let aside = path.with_extension("aside");
        while !stop.load(Ordering::Relaxed) {
            let _ = std::fs::rename(&path, &aside);
            let _ = symlink(&target, &path);
            std::thread::yield_now();
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::rename(&aside, &path);
            std::thread::yield_now();
        }
    })
}

#[test]
fn proc_sys_stays_read_only_when_proc_is_swapped_for_a_symlink() {
    let Some(jail) = jail(false) else { return };
    static STOP: AtomicBool = AtomicBool::new(false);
    let outside = jail.dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::create_dir_all(jail.root.join("proc")).unwrap();
    let swap = swapper(jail.root.join("proc"), outside.clone(), &STOP);
    let started = Instant::now();
    let mut ran = 0;
    for _ in 0..300 {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let run = jail.run(&["--", "cat", "/proc/self/mountinfo"]).run();
        // A failed setup is fine, and so is a jail whose /proc its owner took away (renaming
        // a mount point unmounts it in other namespaces); a proc without a read-only sys
        // below it is not. Mounts are matched by their IDs, not their paths: the swapper
        // renames /proc while the kernel prints the table, so one table can show a proc at
        // /proc and its children at /proc.aside.
        let out = run.stdout_str();
        // (mount ID, parent ID, mount point, per-mount options) of each proc mount.
        let procs: Vec<(&str, &str, &str, &str)> = out
            .lines()
            .filter_map(|line| {
                let (left, right) = line.split_once(" - ")?;
                let fields: Vec<&str> = left.split(' ').collect();
                (fields.len() > 5 && right.split(' ').next() == Some("proc"))
                    .then(|| (fields[0], fields[1], fields[4], fields[5]))
            })
            .collect();
        for (id, parent, _, _) in &procs {
            if procs.iter().any(|(other, ..)| other == parent) {
                continue; // a part of a proc, not a proc
            }
            let ro_sys = procs.iter().any(|(_, p, point, options)| {
                p == id && point.ends_with("/sys") && options.split(',').next() == Some("ro")
            });
            assert!(ro_sys, "proc mount {id} has no read-only sys below it:\n{out}");
            ran += 1;
        }
    }
    STOP.store(true, Ordering::Relaxed);
    swap.join().unwrap();
    assert!(ran > 0, "no run got through the swaps");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "jrun created something outside DIR");
}

#[test]
fn dev_and_mount_targets_swapped_for_symlinks_stay_inside_dir() {
    let Some(jail) = jail(false) else { return };
    static STOP: AtomicBool = AtomicBool::new(false);
    // A host directory jrun must neither write nor create in: files named like /dev's.
    let host = jail.dir.path().join("hostdev");
    std::fs::create_dir(&host).unwrap();
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o700)).unwrap();
    for name in ["null", "zero", "full", "random", "urandom", "tty"] {
        std::fs::write(host.join(name), "precious\n").unwrap();
    }
    std::fs::create_dir_all(jail.root.join("dev")).unwrap();
    std::fs::create_dir_all(jail.root.join("mnt")).unwrap();
    let source = jail.dir.path().join("source");
    std::fs::create_dir(&source).unwrap();
    let swap_dev = swapper(jail.root.join("dev"), host.clone(), &STOP);
    let swap_mnt = swapper(jail.root.join("mnt"), host.clone(), &STOP);
    let started = Instant::now();
    for _ in 0..300 {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let mount = format!("{}:/mnt/deep/er", source.display());
        let run = jail.run(&["--mount", &mount, "--", "true"]).run();
        assert!(run.code == Some(0) || run.stderr.starts_with("jrun: "), "{}", run.stderr);
    }
    STOP.store(true, Ordering::Relaxed);
    swap_dev.join().unwrap();
    swap_mnt.join().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&host).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names.len(), 6, "jrun created in a host directory: {names:?}");
    for name in names {
        assert_eq!(std::fs::read(host.join(&name)).unwrap(), b"precious\n", "{name:?} emptied");
    }
}

/// Runs `script` in a mount namespace of its own (nothing it mounts reaches the host).
fn in_private_mounts(script: &str) -> common::Run {
    common::Cmd::new("unshare").args(["-m", "--propagation", "private", "sh", "-c", script]).run()
}

#[test]
fn read_only_is_recursive_for_binds_and_ro() {
    let Some(jail) = jail(false) else { return };
    let jrun = bin!(jrun);
    let source = jail.dir.path().join("source");
    std::fs::create_dir_all(source.join("sub")).unwrap();
    std::fs::create_dir_all(jail.root.join("sub")).unwrap();
    let root = jail.root.display();
    let src = source.display();
    // A mount below a read-only bind and below DIR with --ro: both must be read-only too.
    let script = format!(
        "mount -t tmpfs none {src}/sub && mount -t tmpfs none {root}/sub && \
         {jrun} --root {root} --mount {src}:/m:ro -- sh -c 'echo x > /m/sub/f || echo bind-ro' && \
         {jrun} --root {root} --ro -- sh -c 'echo x > /sub/f || echo root-ro; echo x > /dev/shm/f && echo shm-rw'"
    );
    let run = in_private_mounts(&script);
    run.success();
    let out = run.stdout_str();
    assert_eq!(out, "bind-ro\nroot-ro\nshm-rw\n", "{}", run.stderr);
}

#[test]
fn device_nodes_from_the_image_do_not_work() {
    let Some(jail) = jail(false) else { return };
    // c 1 3 is /dev/null: harmless if the test ever fails, and enough to see nodev.
    nix::sys::stat::mknod(
        &jail.root.join("tmp/null"),
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(1, 3),
    )
    .unwrap();
    jail.run(&["--", "sh", "-c", "echo x > /tmp/null && echo opened || echo refused"])
        .run()
        .success()
        .stdout_is("refused\n");
    // jrun's own /dev works.
    jail.run(&["--", "sh", "-c", "echo x > /dev/null && echo opened"]).run().success().stdout_is("opened\n");
}

#[test]
fn setuid_files_and_file_capabilities_cannot_be_planted() {
    let Some(jail) = jail(true) else { return };
    jail.run(&["--", "sh", "-c", "cp /bin/busybox /tmp/planted && probe plant /tmp/planted"])
        .run()
        .success()
        .stdout_is("chmod EPERM\ncreat EPERM\ntmpfile EPERM\nopenat2 ENOSYS\nsetcap EPERM\n");
    let mode = std::fs::metadata(jail.root.join("tmp/planted")).unwrap().permissions().mode();
    assert_eq!(mode & 0o6000, 0, "setuid bit planted: {mode:o}");
    assert!(xattr_missing(&jail.root.join("tmp/planted")), "file capability planted");
    assert!(!jail.root.join("tmp/suid-new").exists());
    assert!(!jail.root.join("tmp/suid-new2").exists());
}

fn xattr_missing(path: &Path) -> bool {
    let out = Command::new("getfattr").args(["-n", "security.capability"]).arg(path).output().unwrap();
    !out.status.success()
}

#[test]
fn setuid_files_in_the_image_give_nothing_under_u() {
    let Some(jail) = jail(true) else { return };
    let probe = jail.root.join("bin/probe");
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o4755)).unwrap();
    jail.run(&["-u", "nobody", "--", "probe", "euid"]).run().success().stdout_is("euid 65534\n");
}

#[test]
fn keyrings_are_not_shared() {
    let Some(jail) = jail(true) else { return };
    jail.run(&["--", "probe", "keyring"]).run().success().stdout_is("keyctl EPERM\nadd_key EPERM\n");
    jail.run(&["-u", "nobody", "--", "probe", "keyring"])
        .run()
        .success()
        .stdout_is("keyctl EPERM\nadd_key EPERM\n");
}

#[test]
fn user_namespaces_cannot_be_created() {
    let Some(jail) = jail(true) else { return };
    jail.run(&["--", "probe", "userns"]).run().success().stdout_is("unshare EPERM\nclone3 ENOSYS\n");
}

#[test]
fn a_read_only_stdin_file_cannot_be_reopened_for_writing() {
    let Some(jail) = jail(true) else { return };
    let file = jail.dir.path().join("input");
    std::fs::write(&file, "original\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = jail.run(&["--", "sh", "-c", "probe reopen; cat"]).stdin_file(&file).run();
    run.success();
    // What the jail reopens is its pipe (it may write into that), never the file.
    assert!(run.stdout_str().contains("original\n"), "{}", run.stdout_str());
    assert_eq!(std::fs::read(&file).unwrap(), b"original\n", "the jail rewrote its stdin file");
}

#[test]
fn hostile_passwd_files_are_refused_before_the_jail_exists() {
    let Some(jail) = jail(false) else { return };
    let passwd = jail.root.join("etc/passwd");
    std::fs::remove_file(&passwd).unwrap();
    nix::unistd::mkfifo(&passwd, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let started = Instant::now();
    jail.run_bounded(&["-u", "nobody", "--", "true"]).run().code(2).stderr_contains("not a regular file");
    std::fs::remove_file(&passwd).unwrap();
    std::fs::File::create(&passwd).unwrap().set_len(3 << 30).unwrap();
    jail.run_bounded(&["--", "true"]).run().code(2).stderr_contains("larger than");
    std::fs::remove_file(&passwd).unwrap();
    symlink("/dev/zero", &passwd).unwrap();
    // Confined to DIR, /dev/zero is DIR/dev/zero, absent: as if there were no passwd.
    jail.run_bounded(&["-u", "nobody", "--", "true"]).run().code(2).stderr_contains("no such user");
    std::fs::remove_file(&passwd).unwrap();
    std::fs::write(&passwd, "root:x:0:0::/:/bin/sh\nnobody:x:0:0::/:/bin/sh\n").unwrap();
    jail.run_bounded(&["-u", "nobody", "--", "id", "-u"]).run().code(2).stderr_contains("UID 0");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn no_jail_survives_a_sigkill_storm() {
    let Some(jail) = jail(false) else { return };
    // A marker no other test uses: the sleep's argument.
    let marker = format!("{}", 70000 + std::process::id() % 10000);
    let started = Instant::now();
    let mut tries = 0u64;
    while tries < 300 && started.elapsed() < Duration::from_secs(25) {
        let mut child = Command::new(bin!(jrun))
            .arg("--root")
            .arg(&jail.root)
            .args(["--", "sleep", &marker])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // From at once to a few milliseconds in: every stage of setup.
        std::thread::sleep(Duration::from_micros(tries % 40 * 250));
        let _ = child.kill();
        let _ = child.wait();
        tries += 1;
    }
    // The kernel kills the jail's processes as init dies; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = sleepers(&marker);
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "{} jail(s) outlived jrun after {tries} SIGKILLs", left.len());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// PIDs of processes running `sleep MARKER`.
fn sleepers(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        if args.len() >= 2 && args[0].ends_with(b"sleep") && args[1] == marker.as_bytes() {
            found.push(pid);
        }
    }
    found
}

#[test]
fn tiocsti_cannot_type_into_the_callers_terminal() {
    let Some(jail) = jail(true) else { return };
    if std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").is_ok_and(|v| v.trim() == "0") {
        common::skip("the kernel refuses TIOCSTI for everyone (dev.tty.legacy_tiocsti=0)");
        return;
    }
    if !common::have("script") {
        return;
    }
    let probe = jail.root.join("bin/probe");
    // The control: outside jrun, in script's terminal, TIOCSTI works.
    let control = format!("{} tiocsti x", probe.display());
    let out =
        Command::new("script").args(["-qec", &control, "/dev/null"]).stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tiocsti ok"), "control failed, the test would prove nothing: {text}");
    let inside = format!("{} --root {} -u nobody -- probe tiocsti x", bin!(jrun), jail.root.display());
    let out =
        Command::new("script").args(["-qec", &inside, "/dev/null"]).stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tiocsti EPERM") || text.contains("tiocsti EIO") || text.contains("tiocsti ENOTTY"),
        "{text}"
    );
}

#[test]
fn a_dynamic_program_without_its_loader_says_so() {
    let Some(jail) = jail(false) else { return };
    let ls = common::which("ls").unwrap();
    assert!(Command::new("cp").arg(&ls).arg(jail.root.join("bin/dynls")).status().unwrap().success());
    jail.run(&["--", "dynls"])
        .run()
        .code(127)
        .stderr_contains("its dynamic loader /lib")
        .stderr_contains("missing inside the jail");
    // A script whose interpreter is that program (Debian's dynamic busybox as /bin/sh).
    std::fs::write(jail.root.join("bin/script"), "#!/bin/dynls\n").unwrap();
    std::fs::set_permissions(jail.root.join("bin/script"), std::fs::Permissions::from_mode(0o755)).unwrap();
    jail.run(&["--", "script"])
        .run()
        .code(127)
        .stderr_contains("its interpreter /bin/dynls exists, but its dynamic loader /lib");
}

#[test]
fn pids_are_limited() {
    let Some(jail) = jail(false) else { return };
    let script = "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done; wait";
    let run = jail.run(&["--pids-max", "6", "--", "sh", "-c", script]).run();
    if run.stderr.contains("not available or not delegated") {
        common::skip("no pids cgroup controller here");
        return;
    }
    assert!(run.stderr.contains("can't fork"), "12 processes under --pids-max 6: {}", run.stderr);
    // The control: the default limit lets them all run.
    jail.run(&["--", "sh", "-c", script]).run().success().stderr_is_empty();
}

#[test]
fn dev_shm_is_sized() {
    let Some(jail) = jail(false) else { return };
    jail.run(&["--shm-size", "8M", "--", "grep", " /dev/shm ", "/proc/mounts"])
        .run()
        .success()
        .stdout_contains("size=8192k");
}

#[test]
fn a_terminal_gets_a_pseudo_terminal_of_the_jails_own() {
    let Some(jail) = jail(false) else { return };
    if !common::have("script") {
        return;
    }
    // Under script, stdin and stdout are a terminal: the jail's must be another one, and
    // its controlling terminal (`tty` in a session of its own would fail otherwise).
    let inside = format!(
        "stat -L -c 'outer %t:%T' /proc/self/fd/0; {} --root {} -- sh -c \"stat -L -c 'inner %t:%T' /proc/self/fd/0; test -t 0 && test -t 1 && echo terminals; cat /proc/self/stat\"",
        bin!(jrun),
        jail.root.display()
    );
    let out =
        Command::new("script").args(["-qec", &inside, "/dev/null"]).stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    let field = |name: &str| {
        text.lines().find_map(|l| l.split_once(name).map(|(_, v)| v.trim().to_string())).unwrap_or_default()
    };
    let (outer, inner) = (field("outer "), field("inner "));
    assert!(!outer.is_empty() && !inner.is_empty() && outer != inner, "same terminal: {text}");
    assert!(text.contains("terminals"), "{text}");
    // /proc/self/stat: pid (comm) state ppid pgrp session tty_nr ...: a controlling terminal.
    let stat = text.lines().find(|l| l.contains("(cat)")).unwrap_or_else(|| panic!("{text}"));
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    assert_ne!(fields[4], "0", "no controlling terminal: {stat}");
}

#[test]
fn memory_is_limited() {
    let Some(jail) = jail(false) else { return };
    // 100 MB in a shell variable under a 16 MiB limit: the kernel's OOM killer ends it.
    let script = "echo started; x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}";
    symlink("busybox", jail.root.join("bin/head")).unwrap();
    symlink("busybox", jail.root.join("bin/tr")).unwrap();
    let run = jail.run(&["--memory-max", "16M", "--", "sh", "-c", script]).run();
    if run.stderr.contains("not available or not delegated") {
        common::skip("no memory cgroup controller here");
        return;
    }
    // Killed: the shell itself (status 137) or the pipe feeding it (a short count).
    let out = run.stdout_str();
    assert!(
        out.starts_with("started\n") && !out.contains("100000000"),
        "100 MB under --memory-max 16M: {out} {}",
        run.stderr
    );
    // The control: without the limit the same script gets through.
    jail.run(&["--", "sh", "-c", script]).run().success().stdout_is("started\n100000000\n");
}
