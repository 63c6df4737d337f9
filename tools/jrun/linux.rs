//! Linux: a throw-away jail made of namespaces.
//!
//! Three processes:
//! - jrun stays in the host's namespaces. It makes a PID namespace for its next child, forks
//!   it, forwards the signals it receives to it, and waits.
//! - The child is PID 1 of the new namespace: the jail's init. It makes new mount, UTS, IPC
//!   (and network) namespaces, builds the root (fresh /proc, minimal /dev, bind mounts),
//!   pivot_roots into it, starts the command, then forwards signals to the command and reaps
//!   orphans until the command ends, and exits with its status (as tini does: PID 1 ignores
//!   every signal it has no handler for, so the command itself cannot be PID 1).
//! - The command, with the jail's user, groups, environment and working directory.
//!
//! When init exits, the kernel kills what is left in the PID namespace, and the mount
//! namespace goes away with its last process: nothing remains mounted on the host, which
//! never saw these mounts (/ is made private first).
//!
//! A setup failure in init travels back to jrun through a close-on-exec pipe as one status
//! byte and a message; the pipe reads end-of-file once the command has been executed.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Context, bail};
use jcore::Status;
use jcore::exit::StatusError;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, umount2};
use nix::sched::{CloneFlags, unshare};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Gid, Pid, Uid, chdir, pivot_root, setgid, setgroups, sethostname, setuid};

use crate::job::Job;
use crate::plan::{Net, RootSetup};
use crate::signals;

/// The capabilities a root command keeps: Docker's default set minus CAP_MKNOD (Docker
/// relies on a device cgroup to make new device nodes useless; jrun has none),
/// CAP_AUDIT_WRITE and CAP_SETFCAP (file capabilities written into DIR or a bind would
/// give host users who run those files capabilities on the host). Without CAP_SYS_ADMIN, CAP_MKNOD and CAP_DAC_READ_SEARCH, root in the
/// jail cannot mount a devtmpfs or a disk, make device nodes, or open host files by handle.
const KEPT_CAPABILITIES: [libc::c_int; 11] = [
    0,  // CAP_CHOWN
    1,  // CAP_DAC_OVERRIDE
    3,  // CAP_FOWNER
    4,  // CAP_FSETID
    5,  // CAP_KILL
    6,  // CAP_SETGID
    7,  // CAP_SETUID
    8,  // CAP_SETPCAP
    10, // CAP_NET_BIND_SERVICE
    13, // CAP_NET_RAW
    18, // CAP_SYS_CHROOT
];

/// Runs `job` in a throw-away jail on `setup.root` and returns the command's status.
pub fn run(setup: &RootSetup, job: Job) -> anyhow::Result<Status> {
    crate::job::close_on_exec_beyond_stdio().context("mark inherited descriptors close-on-exec")?;
    let filters = crate::seccomp::filters(setup.suid).context("seccomp filter")?;
    let stdio = crate::stdio::Relay::prepare(setup.direct_stdio).context("standard input and output")?;
    let limits = crate::limits::Cgroup::create(&setup.limits)?;
    let (report_read, report_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).context("pipe")?;
    // Init waits on this one until jrun has put it into its cgroup.
    let (go_read, go_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).context("pipe")?;
    let old_mask = signals::block().context("block signals")?;
    // SAFETY: jrun has not started a thread yet, so the child is a complete copy of a
    // single-threaded process and may go on running ordinary Rust code.
    match unsafe { fork_into_new_pid_namespace() }.context("fork into a new PID namespace")? {
        ForkResult::Child => {
            drop(report_read);
            drop(go_write);
            init(setup, &job, &filters, stdio, report_write, go_read)
        }
        ForkResult::Parent { child } => {
            drop(report_write);
            drop(go_read);
            if let Some(limits) = &limits {
                // Before the command exists: init joins here, its children follow. A
                // failure kills init (the report then reads end-of-file).
                if let Err(e) = limits.add(child) {
                    let _ = nix::sys::signal::kill(child, Signal::SIGKILL);
                    let _ = signals::wait_for(child);
                    return Err(e);
                }
            }
            let _ = File::from(go_write).write_all(b"g");
            signals::forward_to(child, &old_mask).context("install signal handlers")?;
            let copying = stdio.start_copying();
            let mut report = Vec::new();
            let read = File::from(report_read).read_to_end(&mut report);
            let code = signals::wait_for(child).context("wait for the jail")?;
            copying.finish();
            drop(limits);
            read.context("read the jail's report")?;
            if let Some((&status, message)) = report.split_first() {
                let message = String::from_utf8_lossy(message).into_owned();
                return Err(StatusError { status: Status::Code(status), message }.into());
            }
            Ok(Status::Code(code))
        }
    }
}

/// fork(2) with the child in a new PID namespace, as its PID 1. clone(2) rather than
/// unshare(CLONE_NEWPID) then fork: after that unshare, jrun itself could no longer start
/// threads (the kernel refuses CLONE_THREAD across PID namespaces), and it needs them to
/// relay standard input and output.
///
/// # Safety
/// As fork: the caller must be single-threaded.
unsafe fn fork_into_new_pid_namespace() -> nix::Result<ForkResult> {
    // SAFETY: clone with no new stack and SIGCHLD as the exit signal is fork(2) with a flag;
    // the caller guarantees a single thread.
    let pid = unsafe {
        libc::syscall(libc::SYS_clone, libc::CLONE_NEWPID | libc::SIGCHLD, 0usize, 0usize, 0usize, 0usize)
    };
    match pid {
        -1 => Err(Errno::last()),
        0 => Ok(ForkResult::Child),
        pid => Ok(ForkResult::Parent { child: Pid::from_raw(pid as i32) }),
    }
}

/// The jail's PID 1: sets up, supervises the command, exits with its status.
fn init(
    setup: &RootSetup,
    job: &Job,
    filters: &[seccompiler::BpfProgram],
    stdio: crate::stdio::Relay,
    report: OwnedFd,
    go: OwnedFd,
) -> ! {
    // If jrun is killed outright (SIGKILL), the jail must not outlive it; and if jrun died
    // before this line, the death signal will never come: then the only reader of the
    // report pipe, jrun, is gone, which the pipe tells (POLLERR on a write end without a
    // reader). jrun's descriptors are closed before its children are reparented, so one of
    // the two always holds.
    if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err() || !reader_alive(&report) {
        // SAFETY: as below.
        unsafe { libc::_exit(1) }
    }
    // Nothing starts before jrun has put init into the jail's cgroup (the limits hold for
    // every process after it); end-of-file means jrun is gone.
    let mut byte = [0u8; 1];
    if !matches!(File::from(go).read(&mut byte), Ok(1)) {
        // SAFETY: as below.
        unsafe { libc::_exit(1) }
    }
    let terminal = stdio.into_jail();
    let code = match start(setup, job, filters, terminal) {
        Ok(command) => {
            drop(report);
            supervise(command)
        }
        Err(err) => {
            let err: &(dyn std::error::Error + 'static) = err.as_ref();
            let status = jcore::exit::status_of(err).code();
            let mut bytes = vec![status];
            bytes.extend_from_slice(jcore::exit::message(err).as_bytes());
            let _ = File::from(report).write_all(&bytes);
            status
        }
    };
    // SAFETY: _exit ends this process at once; nothing of jrun's (buffers, temporary
    // files) belongs to it.
    unsafe { libc::_exit(i32::from(code)) }
}

/// Makes the namespaces and the root, then starts the command.
fn start(
    setup: &RootSetup,
    job: &Job,
    filters: &[seccompiler::BpfProgram],
    terminal: bool,
) -> anyhow::Result<Pid> {
    // A session keyring of its own: the one inherited is the caller's (keys of the host
    // user's login). The filter then refuses every keyring call in the command.
    // SAFETY: keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) makes and joins an anonymous keyring.
    if unsafe { libc::syscall(libc::SYS_keyctl, libc::KEYCTL_JOIN_SESSION_KEYRING, 0usize) } < 0 {
        return Err(std::io::Error::last_os_error()).context("a new session keyring");
    }
    let mut namespaces = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC;
    if setup.net == Net::None {
        namespaces |= CloneFlags::CLONE_NEWNET;
    }
    unshare(namespaces).context("unshare namespaces")?;
    enter_root(setup)?;
    sethostname(&setup.hostname).with_context(|| format!("sethostname {}", setup.hostname))?;
    if setup.net == Net::None {
        loopback_up().context("bring up the loopback interface")?;
    }
    spawn(job, filters, terminal)
}

/// Builds the jail's root (mounts.rs) and makes it the root of this process.
fn enter_root(setup: &RootSetup) -> anyhow::Result<()> {
    let root = crate::mounts::build_root(setup)?;
    rustix::process::fchdir(&root.tree).context("chdir into the jail's root")?;
    // Stack the new root on the old one, then detach the old: no directory is needed in
    // the image for it, and no path of the host stays reachable.
    pivot_root(".", ".").context("pivot_root")?;
    umount2(".", MntFlags::MNT_DETACH).context("detach the host's root")?;
    chdir("/").context("chdir /")?;
    Ok(())
}

/// A new network namespace has a loopback interface, down; bring it up so that services on
/// 127.0.0.1 work inside the jail.
fn loopback_up() -> std::io::Result<()> {
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh descriptor nobody else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ifreq is plain old data; all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write the ifreq we pass.
    unsafe {
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Starts the command inside the finished jail (paths are the jail's now).
/// With `terminal`, stdin is the jail's own terminal: it becomes the controlling one.
fn spawn(job: &Job, filters: &[seccompiler::BpfProgram], terminal: bool) -> anyhow::Result<Pid> {
    match std::fs::metadata(&job.workdir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!("-w {}: not a directory", job.workdir.display()),
        Err(e) => return Err(e).with_context(|| format!("-w {}", job.workdir.display())),
    }
    let mut command = Command::new(&job.command[0]);
    command.args(&job.command[1..]).env_clear().envs(job.env.iter().map(|(k, v)| (k, v)));
    // As root, before dropping privileges: the user may not be able to reach it, but its
    // processes can still live there (as with su).
    command.current_dir(&job.workdir);
    let uid = Uid::from_raw(job.user.uid);
    let gid = Gid::from_raw(job.user.gid);
    let groups: Vec<Gid> = job.user.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    let last_capability = last_capability();
    let filters = filters.to_vec();
    // SAFETY: the closure runs between fork and exec in a copy of this single-threaded
    // process; it only makes system calls on data prepared beforehand.
    unsafe {
        command.pre_exec(move || {
            // The child inherits init's blocked signals; exec keeps the mask.
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
            // Out of the bounding set, a capability is gone for good after exec, even for root.
            for capability in 0..=last_capability {
                if !KEPT_CAPABILITIES.contains(&capability)
                    && libc::prctl(libc::PR_CAPBSET_DROP, capability as libc::c_ulong, 0, 0, 0) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            setgroups(&groups)?;
            setgid(gid)?;
            setuid(uid)?;
            // Its own session, away from the caller's terminal (TIOCSTI, job control).
            libc::setsid();
            if terminal && libc::ioctl(0, libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            crate::seccomp::install(&filters)?;
            Ok(())
        });
    }
    match command.spawn() {
        Ok(child) => Ok(Pid::from_raw(child.id() as i32)),
        Err(e) => Err(crate::job::exec_error(&job.command[0], &e, &job.env).into()),
    }
}

/// Whether the read end of `pipe` (held by jrun alone) is still open.
fn reader_alive(pipe: &OwnedFd) -> bool {
    let mut fds = [libc::pollfd { fd: pipe.as_raw_fd(), events: libc::POLLOUT, revents: 0 }];
    // SAFETY: poll reads and writes the array we own.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) };
    ready >= 0 && fds[0].revents & libc::POLLERR == 0
}

/// The highest capability number this kernel knows.
fn last_capability() -> libc::c_int {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(40) // CAP_CHECKPOINT_RESTORE, Linux 5.9
}

/// Init's loop: passes signals on to the command, reaps every child, and returns the
/// command's exit code once it has ended. The signals stay blocked (inherited from jrun)
/// and are taken with sigwaitinfo: a blocked signal is never discarded, even for PID 1.
fn supervise(command: Pid) -> u8 {
    let watched = signals::watched();
    loop {
        // SAFETY: siginfo_t is plain old data; all zeroes is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: sigwaitinfo reads the set and writes the siginfo we own.
        let signal = unsafe { libc::sigwaitinfo(watched.as_ref(), &mut info) };
        if signal < 0 {
            continue;
        }
        if signal == libc::SIGCHLD {
            if let Some(code) = reap(command) {
                return code;
            }
        } else if !signals::from_terminal(&info) {
            // SAFETY: kill(2) takes plain integers.
            unsafe { libc::kill(command.as_raw(), signal) };
        }
    }
}

/// Reaps every child that has ended; the command's exit code if it was one of them.
fn reap(command: Pid) -> Option<u8> {
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return None,
            Ok(status) if status.pid() == Some(command) => {
                if let Some(code) = signals::exit_code(status) {
                    return Some(code);
                }
            }
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}
