//! jrun on Linux: real namespaces, a tiny jail root built from busybox-static, run as root.
mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{jrun, sh};

const APPLETS: [&str; 15] = [
    "sh", "echo", "cat", "ls", "id", "hostname", "sleep", "env", "pwd", "mount", "kill", "grep", "true",
    "mknod", "nc",
];
const CLEAN_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A jail root in a temporary directory: `dir/root` holds busybox and its applets, passwd
/// and group with root, nobody and a supplementary group; `dir/outside` is a host file the
/// jail must not reach.
struct Jail {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Jail {
    fn root_arg(&self) -> String {
        self.root.display().to_string()
    }

    /// jrun --root ROOT, then `args`.
    fn run(&self, args: &[&str]) -> common::Cmd {
        jrun().arg("--root").arg(&self.root).args(args)
    }
}

/// Builds the jail, or returns None (SKIPPED) when this machine cannot run the tests.
fn jail() -> Option<Jail> {
    if !common::require_root("jrun runs jails as root only (no rootless user namespaces yet)") {
        return None;
    }
    if !common::have("busybox") {
        return None;
    }
    let dir = common::tempdir();
    let root = dir.path().join("root");
    for sub in ["bin", "etc", "root", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    // With cp, not std::fs::copy: a file this multi-threaded test process has open for
    // writing can leak into a child another test forks meanwhile, and exec of it then
    // fails with ETXTBSY.
    let copied =
        Command::new("cp").arg(common::which("busybox").unwrap()).arg(root.join("bin/busybox")).status();
    assert!(copied.unwrap().success());
    for applet in APPLETS {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::write(root.join("bin/notexec"), "#!/bin/sh\necho should not run\n").unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\nstaff:x:50:nobody\nnogroup:x:65534:\n").unwrap();
    std::fs::write(dir.path().join("outside"), "host secret\n").unwrap();
    Some(Jail { dir, root })
}

/// Starts jrun with stdout piped and waits until the command prints its first line. jrun
/// starts with `ignored` signals ignored and every other signal it forwards at its default
/// action, whatever the test harness inherited (a CI runner started as a shell's background
/// job has SIGINT and SIGQUIT ignored).
fn start_until_ready_ignoring(jail: &Jail, script: &str, ignored: &'static [libc::c_int]) -> Child {
    let mut command = Command::new(bin!(jrun));
    command
        .args(["--root", &jail.root_arg(), "--", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    // SAFETY: signal(2) is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            for signal in
                [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2]
            {
                let action = if ignored.contains(&signal) { libc::SIG_IGN } else { libc::SIG_DFL };
                libc::signal(signal, action);
            }
            Ok(())
        })
    };
    let mut child = command.spawn().expect("spawn jrun");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    child
}

fn start_until_ready(jail: &Jail, script: &str) -> Child {
    start_until_ready_ignoring(jail, script, &[])
}

/// Waits for a child at most `limit`; its exit code (None when killed by a signal).
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("jrun still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &Child, signal: &str) {
    let status = Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

/// Host PIDs of processes whose arguments are exactly `argv`.
fn host_processes(argv: &[&str]) -> Vec<String> {
    let wanted: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if std::fs::read(entry.path().join("cmdline")).is_ok_and(|cmdline| cmdline == wanted) {
            found.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    found
}

/// Lines of the host's mountinfo that mention `path`.
fn host_mounts_under(path: &Path) -> Vec<String> {
    let needle = path.display().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|line| line.contains(&needle))
        .map(str::to_string)
        .collect()
}

#[test]
fn stdin_and_stdout_go_through_pipes() {
    let Some(jail) = jail() else { return };
    jail.run(&["--", "cat"]).stdin("a\nb\n").run().success().stdout_is("a\nb\n");
    let data = common::noise(3 << 20, 7);
    let run = jail.run(&["--", "cat"]).stdin(data.clone()).run();
    run.success();
    assert!(run.stdout == data, "3 MiB through cat differ");
    let script = format!(
        "printf 'x\\ny\\n' | {jrun} --root {root} -- cat | {jrun} --root {root} -- grep y",
        jrun = bin!(jrun),
        root = jail.root_arg()
    );
    sh(&script).run().success().stdout_is("y\n");
    // A reader that goes away ends the command with SIGPIPE, as outside a jail.
    let script = format!(
        "{} --root {} -- sh -c 'while :; do echo y; done' | head -n 1; echo \"${{PIPESTATUS[0]}}\"",
        bin!(jrun),
        jail.root_arg()
    );
    sh(&script).run().success().stdout_is("y\n141\n");
}

#[test]
fn exit_status_is_the_commands() {
    let Some(jail) = jail() else { return };
    jail.run(&["--", "sh", "-c", "exit 0"]).run().success().stderr_is_empty();
    jail.run(&["--", "sh", "-c", "exit 7"]).run().code(7);
    jail.run(&["--", "nosuchcommand"])
        .run()
        .code(127)
        .one_line_error("jrun")
        .stderr_contains("nosuchcommand");
    jail.run(&["--", "/bin/notexec"])
        .run()
        .code(126)
        .one_line_error("jrun")
        .stderr_contains("Permission denied");
    jail.run(&["--", "/etc"]).run().code(126).one_line_error("jrun");
    // Death by signal N: 128+N.
    jail.run(&["--", "sh", "-c", "kill -KILL $$"]).run().code(137);
}

#[test]
fn signals_reach_the_command() {
    let Some(jail) = jail() else { return };
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let mut child = start_until_ready(&jail, "echo ready; exec sleep 100");
        kill(&child, signal);
        assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), Some(code), "after SIG{signal}");
    }
    // A shell that traps the signal decides its own status.
    let mut child =
        start_until_ready(&jail, "trap 'echo got TERM; exit 3' TERM; echo ready; sleep 100 & wait");
    kill(&child, "TERM");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), Some(3));
}

/// A signal jrun was started with ignored (`nohup`, a shell's background job) stays ignored
/// by the command, as it would be without jrun; the others still reach it.
#[test]
fn signals_ignored_at_start_stay_ignored() {
    let Some(jail) = jail() else { return };
    let mut child = start_until_ready_ignoring(&jail, "echo ready; exec sleep 100", &[libc::SIGINT]);
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(child.try_wait().unwrap(), None, "SIGINT was ignored at start: the command must go on");
    kill(&child, "TERM");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), Some(143));
}

#[test]
fn no_process_of_the_jail_remains() {
    let Some(jail) = jail() else { return };
    let marker = format!("{}", 4_000_000 + std::process::id());
    // A daemon left behind in the background, then the command ends by itself or by signal.
    let daemon = ["sleep", marker.as_str()];
    jail.run(&["--", "sh", "-c", &format!("sleep {marker} & exit 0")]).run().success();
    assert_eq!(host_processes(&daemon), Vec::<String>::new());
    let mut child = start_until_ready(&jail, &format!("sleep {marker} & echo ready; exec sleep 100"));
    // The daemon runs meanwhile (give its exec a moment).
    let start = Instant::now();
    while host_processes(&daemon).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "the daemon never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(&child, "TERM");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), Some(143));
    assert_eq!(host_processes(&daemon), Vec::<String>::new());
}

#[test]
fn command_is_alone_in_its_pid_namespace() {
    let Some(jail) = jail() else { return };
    // PID 1 is jrun's init; the command is PID 2 and nothing else is there.
    jail.run(&["--", "sh", "-c", "echo $$"]).run().success().stdout_is("2\n");
    let run = jail.run(&["--", "ls", "/proc"]).run();
    run.success();
    let pids: BTreeSet<String> = run
        .stdout_str()
        .lines()
        .filter(|l| l.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    assert_eq!(pids, BTreeSet::from(["1".to_string(), "2".to_string()]));
    jail.run(&["--", "cat", "/proc/1/comm"]).run().success().stdout_is("jrun\n");
    // An orphan (the subshell's background child) goes to init, which reaps it: no zombie
    // is left in /proc.
    let run = jail.run(&["--", "sh", "-c", "(true &); sleep 1; exec ls /proc"]).run();
    run.success();
    let pids: BTreeSet<String> = run
        .stdout_str()
        .lines()
        .filter(|l| l.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect();
    assert_eq!(pids, BTreeSet::from(["1".to_string(), "2".to_string()]));
}

#[test]
fn hostname_is_the_jails_own() {
    let Some(jail) = jail() else { return };
    let host_before = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    jail.run(&["--hostname", "buildbox", "--", "hostname"]).run().success().stdout_is("buildbox\n");
    // The default is the root directory's name; changing it inside stays inside.
    jail.run(&["--", "hostname"]).run().success().stdout_is("root\n");
    // Root in the jail has no CAP_SYS_ADMIN to change it; had it, only the jail would see it.
    jail.run(&["--", "hostname", "changed-inside"]).run().code(1);
    assert_eq!(std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(), host_before);
    jail.run(&["--hostname", &"x".repeat(65), "--", "true"]).run().code(2).one_line_error("jrun");
}

#[test]
fn no_host_path_is_visible_or_reachable() {
    let Some(jail) = jail() else { return };
    let script =
        "cd /; cd ..; cd ../..; pwd; ls; cat ../outside ../../outside /outside 2>/dev/null; echo end";
    jail.run(&["--", "sh", "-c", script])
        .run()
        .success()
        .stdout_is("/\nbin\ndev\netc\nproc\nroot\ntmp\nend\n");
    // /proc is the jail's: PID 1 is jrun's init, the host's processes are not there.
    let test_pid = std::process::id().to_string();
    let script = format!("cat /proc/1/comm; ls /proc/{test_pid} 2>/dev/null || echo no host pid");
    jail.run(&["--", "sh", "-c", &script]).run().success().stdout_is("jrun\nno host pid\n");
    // Only the jail's own mounts, none of the host's (/sys, the host's /dev/pts...).
    let run = jail.run(&["--", "cat", "/proc/self/mountinfo"]).run();
    run.success();
    let points: BTreeSet<String> =
        run.stdout_str().lines().filter_map(|l| l.split(' ').nth(4).map(str::to_string)).collect();
    // The read-only parts of /proc are bind mounts of their own (those this kernel has).
    let read_only_proc = ["sys", "sysrq-trigger", "irq", "bus", "fs"]
        .into_iter()
        .filter(|entry| Path::new("/proc").join(entry).exists())
        .map(|entry| format!("/proc/{entry}"));
    let expected: BTreeSet<String> =
        ["/", "/proc", "/dev", "/dev/null", "/dev/zero", "/dev/full", "/dev/random"]
            .into_iter()
            .chain(["/dev/urandom", "/dev/tty", "/dev/pts", "/dev/shm"])
            .map(str::to_string)
            .chain(read_only_proc)
            .collect();
    assert_eq!(points, expected);
    // Root cannot get out either: no mounting (a devtmpfs would show the host's disks), no
    // device nodes, no writing kernel settings.
    let script = "mount -t devtmpfs devtmpfs /tmp 2>/dev/null || echo no mount; \
                  mknod /tmp/disk b 8 0 2>/dev/null || echo no mknod; \
                  echo 1 > /proc/sys/kernel/sysrq 2>/dev/null || echo no sysctl; \
                  grep CapEff /proc/self/status";
    jail.run(&["--", "sh", "-c", script])
        .run()
        .success()
        // Docker's default set minus CAP_MKNOD, CAP_AUDIT_WRITE and CAP_SETFCAP.
        .stdout_is("no mount\nno mknod\nno sysctl\nCapEff:\t00000000000425fb\n");
    // The minimal /dev works.
    let script = "echo gone > /dev/null; cat /dev/null; ls /dev; ls /dev/pts";
    jail.run(&["--", "sh", "-c", script]).run().success().stdout_is(
        "fd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\nptmx\n",
    );
}

#[test]
fn network_is_loopback_only_unless_host() {
    let Some(jail) = jail() else { return };
    let interfaces = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--", "cat", "/proc/net/dev"]);
        let run = jail.run(&all).run();
        run.success();
        run.stdout_str()
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next().map(|n| n.trim().to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(interfaces(&[]), ["lo"]);
    assert_eq!(interfaces(&["--net", "none"]), ["lo"]);
    let host = std::fs::read_to_string("/proc/net/dev").unwrap().lines().skip(2).count();
    assert_eq!(interfaces(&["--net", "host"]).len(), host);
    // The loopback interface is up: a server on 127.0.0.1 answers (an echo server, by nc).
    let script = "nc -l -p 7777 -e cat & sleep 1; echo hello | nc 127.0.0.1 7777";
    jail.run(&["--", "sh", "-c", script]).run().success().stdout_is("hello\n");
}

#[test]
fn user_comes_from_the_jails_passwd() {
    let Some(jail) = jail() else { return };
    jail.run(&["--", "id"]).run().success().stdout_is("uid=0(root) gid=0(root) groups=0(root)\n");
    let nobody = "uid=65534(nobody) gid=65534(nogroup) groups=50(staff),65534(nogroup)\n";
    jail.run(&["-u", "nobody", "--", "id"]).run().success().stdout_is(nobody);
    jail.run(&["-u", "65534", "--", "id"]).run().success().stdout_is(nobody);
    // As nobody, the root-owned jail is not writable.
    jail.run(&["-u", "nobody", "--", "sh", "-c", "echo x > /root/x"]).run().code(1);
    assert!(!jail.root.join("root/x").exists());
    jail.run(&["-u", "nosuchuser", "--", "id"])
        .run()
        .code(2)
        .one_line_error("jrun")
        .stderr_contains("nosuchuser");
}

#[test]
fn workdir_is_w_or_root() {
    let Some(jail) = jail() else { return };
    jail.run(&["--", "pwd"]).run().success().stdout_is("/\n");
    jail.run(&["-w", "/tmp", "--", "pwd"]).run().success().stdout_is("/tmp\n");
    jail.run(&["-w", "/tmp", "-u", "nobody", "--", "sh", "-c", "pwd; echo x > f; cat f"])
        .run()
        .success()
        .stdout_is("/tmp\nx\n");
    jail.run(&["-w", "/nonexistent", "--", "pwd"])
        .run()
        .code(2)
        .one_line_error("jrun")
        .stderr_contains("/nonexistent");
    jail.run(&["-w", "tmp", "--", "pwd"]).run().code(2).one_line_error("jrun");
}

#[test]
fn environment_is_clean() {
    let Some(jail) = jail() else { return };
    let sorted = |run: &common::Run| {
        let mut lines: Vec<String> = run.stdout_str().lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let mut cmd = jail
        .run(&[
            "-e",
            "FOO=bar",
            "-e",
            "SPACED=a b=c",
            "-e",
            "JTOOLS_PASSED",
            "-e",
            "JTOOLS_UNSET",
            "--",
            "env",
        ])
        .env("JTOOLS_SECRET", "must not leak")
        .env("JTOOLS_PASSED", "copied")
        .env("TERM", "vt100");
    cmd.command().env_remove("JTOOLS_UNSET");
    let run = cmd.run();
    run.success();
    let expected = [
        "FOO=bar".to_string(),
        "HOME=/root".into(),
        "JTOOLS_PASSED=copied".into(),
        format!("PATH={CLEAN_PATH}"),
        "SPACED=a b=c".into(),
        "TERM=vt100".into(),
        "USER=root".into(),
    ];
    assert_eq!(sorted(&run), expected);
    let mut cmd = jail.run(&["-u", "nobody", "-e", "PATH=/bin", "--", "env"]);
    cmd.command().env_remove("TERM");
    let run = cmd.run();
    run.success();
    assert_eq!(sorted(&run), ["HOME=/nonexistent", "PATH=/bin", "USER=nobody"]);
    jail.run(&["-e", "=x", "--", "env"]).run().code(2);
}

#[test]
fn read_only_root() {
    let Some(jail) = jail() else { return };
    jail.run(&["--ro", "--", "sh", "-c", "echo x > /tmp/x"])
        .run()
        .code(1)
        .stderr_contains("Read-only file system");
    assert!(!jail.root.join("tmp/x").exists());
    // /dev and /proc keep their own modes.
    jail.run(&["--ro", "--", "sh", "-c", "echo x > /dev/null && cat /proc/1/comm"])
        .run()
        .success()
        .stdout_is("jrun\n");
    // Without --ro the jail writes to its directory.
    jail.run(&["--", "sh", "-c", "echo x > /tmp/x"]).run().success();
    assert_eq!(std::fs::read_to_string(jail.root.join("tmp/x")).unwrap(), "x\n");
}

#[test]
fn bind_mounts_rw_and_ro() {
    let Some(jail) = jail() else { return };
    let share = jail.dir.path().join("share");
    std::fs::create_dir(&share).unwrap();
    std::fs::write(share.join("in"), "from host\n").unwrap();
    let single = jail.dir.path().join("single.txt");
    std::fs::write(&single, "one file\n").unwrap();
    let rw = format!("{}:/mnt/rw", share.display());
    let ro = format!("{}:/mnt/ro:ro", share.display());
    let file = format!("{}:/etc/single.txt:ro", single.display());
    let script = "cat /mnt/rw/in; echo out > /mnt/rw/out; cat /mnt/ro/out; cat /etc/single.txt; \
                  echo no > /mnt/ro/no || echo refused";
    jail.run(&["--ro", "--mount", &rw, "--mount", &ro, "--mount", &file, "--", "sh", "-c", script])
        .run()
        .success()
        .stdout_is("from host\nout\none file\nrefused\n")
        .stderr_contains("Read-only file system");
    assert_eq!(std::fs::read_to_string(share.join("out")).unwrap(), "out\n");
    assert!(!share.join("no").exists());
    // Missing mount points were made in the image (before --ro took effect).
    assert!(jail.root.join("mnt/rw").is_dir() && jail.root.join("etc/single.txt").is_file());
    jail.run(&["--mount", "/nonexistent-jrun-src:/mnt", "--", "true"]).run().code(2).one_line_error("jrun");
    jail.run(&["--mount", "/tmp:relative", "--", "true"]).run().code(2);
}

#[test]
fn nothing_stays_mounted_on_the_host() {
    let Some(jail) = jail() else { return };
    let before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert_eq!(host_mounts_under(jail.dir.path()), Vec::<String>::new());
    let share = jail.dir.path().join("share");
    std::fs::create_dir(&share).unwrap();
    // While the jail runs, the host sees none of its mounts (they live in its namespace).
    let mut child = Command::new(bin!(jrun))
        .args(["--root", &jail.root_arg(), "--ro", "--mount"])
        .arg(format!("{}:/mnt", share.display()))
        .args(["--", "sh", "-c", "echo ready; exec sleep 100"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    assert_eq!(host_mounts_under(jail.dir.path()), Vec::<String>::new());
    kill(&child, "TERM");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(10)), Some(143));
    jail.run(&["--", "true"]).run().success();
    assert_eq!(host_mounts_under(jail.dir.path()), Vec::<String>::new());
    // The whole table: other programs on this machine may mount things meanwhile, so
    // compare only what jrun could have left: mounts under the jail's directory or of its
    // file systems (proc, devpts, tmpfs) that were not there before.
    let after = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let old: BTreeSet<&str> = before.lines().collect();
    let new: Vec<&str> = after
        .lines()
        .filter(|l| !old.contains(l))
        .filter(|l| l.contains(" - proc ") || l.contains(" - devpts ") || l.contains(" - tmpfs "))
        .collect();
    assert_eq!(new, Vec::<&str>::new());
}

#[test]
fn no_descriptor_leaks_into_the_jail() {
    let Some(jail) = jail() else { return };
    // Outside, the shell's descriptors 7 and 9 reach its children...
    sh("exec 7</etc/hostname 9>/dev/null; ls /proc/self/fd").run().success().stdout_contains("7\n9\n");
    // ...but not the jail: only 0, 1, 2, and the directory ls itself reads (3).
    let script = format!(
        "exec 7</etc/hostname 9>/dev/null; {} --root {} -- ls /proc/self/fd",
        bin!(jrun),
        jail.root_arg()
    );
    sh(&script).run().success().stdout_is("0\n1\n2\n3\n");
}

#[test]
fn missing_root_is_an_error() {
    let Some(jail) = jail() else { return };
    let missing = jail.dir.path().join("nope");
    jrun()
        .arg("--root")
        .arg(&missing)
        .args(["--", "true"])
        .run()
        .code(2)
        .one_line_error("jrun")
        .stderr_contains("No such file or directory");
    jrun()
        .arg("--root")
        .arg(jail.dir.path().join("outside"))
        .args(["--", "true"])
        .run()
        .code(2)
        .one_line_error("jrun");
    jail.run(&[]).run().code(2);
}

#[test]
fn not_root_is_refused_clearly() {
    if !common::is_root() {
        // Run as a user (CI's unprivileged pass): jrun refuses before it looks at the
        // jail, which here does not even exist.
        let dir = common::tempdir();
        jrun()
            .arg("--root")
            .arg(dir.path().join("no-such-jail"))
            .args(["--", "true"])
            .run()
            .code(2)
            .one_line_error("jrun")
            .stderr_contains("must run as root");
        return;
    }
    // As root: the same, from a user setpriv makes (nobody).
    let Some(jail) = jail() else { return };
    if !common::have("setpriv") {
        return;
    }
    // The binary must be reachable by nobody: copy it to a world-readable place.
    let bin = jail.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // cp, for the reason given in `jail`.
    assert!(Command::new("cp").arg(bin!(jrun)).arg(bin.join("jrun")).status().unwrap().success());
    for dir in [jail.dir.path(), bin.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    common::Cmd::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(bin.join("jrun"))
        .arg("--root")
        .arg(&jail.root)
        .args(["--", "true"])
        .run()
        .code(2)
        .one_line_error("jrun")
        .stderr_contains("must run as root");
}

#[test]
fn existing_jails_are_not_supported_on_linux() {
    if !common::require_root("jrun refuses every user before it looks at the jail") {
        return;
    }
    jrun()
        .args(["myjail", "--", "true"])
        .run()
        .code(2)
        .one_line_error("jrun")
        .stderr_contains("not supported on Linux, use --root");
}
