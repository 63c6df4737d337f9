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
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use jcore::Status;
use jcore::exit::StatusError;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::statvfs::{FsFlags, statvfs};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{
    ForkResult, Gid, Pid, Uid, chdir, fork, pivot_root, setgid, setgroups, sethostname, setuid,
};

use crate::cli::{MountSpec, Net, RootSetup};
use crate::job::Job;
use crate::paths::mount_point;
use crate::signals;

/// Host device nodes bound into the jail's /dev.
const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// Parts of /proc that act on the whole machine (kernel settings, the magic SysRq key):
/// read-only in the jail, as Docker does.
const PROC_READ_ONLY: [&str; 5] = ["sys", "sysrq-trigger", "irq", "bus", "fs"];

/// The capabilities a root command keeps: Docker's default set minus CAP_MKNOD (Docker
/// relies on a device cgroup to make new device nodes useless; jrun has none) and
/// CAP_AUDIT_WRITE. Without CAP_SYS_ADMIN, CAP_MKNOD and CAP_DAC_READ_SEARCH, root in the
/// jail cannot mount a devtmpfs or a disk, make device nodes, or open host files by handle.
const KEPT_CAPABILITIES: [libc::c_int; 12] = [
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
    31, // CAP_SETFCAP
];

/// Runs `job` in a throw-away jail on `setup.root` and returns the command's status.
pub fn run(setup: &RootSetup, job: Job) -> anyhow::Result<Status> {
    crate::job::close_on_exec_beyond_stdio().context("mark inherited descriptors close-on-exec")?;
    let (report_read, report_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC).context("pipe")?;
    let old_mask = signals::block().context("block signals")?;
    unshare(CloneFlags::CLONE_NEWPID).context("unshare the PID namespace")?;
    // SAFETY: jrun never starts a thread, so the child is a complete copy of a
    // single-threaded process and may go on running ordinary Rust code.
    match unsafe { fork() }.context("fork")? {
        ForkResult::Child => {
            drop(report_read);
            init(setup, &job, report_write)
        }
        ForkResult::Parent { child } => {
            drop(report_write);
            signals::forward_to(child, &old_mask).context("install signal handlers")?;
            let mut report = Vec::new();
            let read = File::from(report_read).read_to_end(&mut report);
            let code = signals::wait_for(child).context("wait for the jail")?;
            read.context("read the jail's report")?;
            if let Some((&status, message)) = report.split_first() {
                let message = String::from_utf8_lossy(message).into_owned();
                return Err(StatusError { status: Status::Code(status), message }.into());
            }
            Ok(Status::Code(code))
        }
    }
}

/// The jail's PID 1: sets up, supervises the command, exits with its status.
fn init(setup: &RootSetup, job: &Job, report: OwnedFd) -> ! {
    let code = match start(setup, job) {
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
fn start(setup: &RootSetup, job: &Job) -> anyhow::Result<Pid> {
    // If jrun is killed outright (SIGKILL), the jail must not outlive it.
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).context("prctl")?;
    let mut namespaces = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC;
    if setup.net == Net::None {
        namespaces |= CloneFlags::CLONE_NEWNET;
    }
    unshare(namespaces).context("unshare namespaces")?;
    build_root(setup)?;
    sethostname(&setup.hostname).with_context(|| format!("sethostname {}", setup.hostname))?;
    if setup.net == Net::None {
        loopback_up().context("bring up the loopback interface")?;
    }
    spawn(job)
}

/// Mounts everything the jail sees and makes it the root.
fn build_root(setup: &RootSetup) -> anyhow::Result<()> {
    let root = &setup.root;
    // From here on, nothing mounted propagates back to the host.
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None::<&str>)
        .context("make / private")?;
    // pivot_root needs the new root to be a mount point.
    bind(root, root).with_context(|| format!("bind {}", root.display()))?;
    let proc = mount_point(root, Path::new("/proc"), true).context("/proc")?;
    mount_fs("proc", &proc, MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC, None)
        .context("mount /proc")?;
    for entry in PROC_READ_ONLY {
        let path = proc.join(entry);
        if path.exists() {
            bind(&path, &path)
                .and_then(|()| remount_read_only(&path))
                .with_context(|| format!("/proc/{entry}"))?;
        }
    }
    build_dev(root).context("/dev")?;
    for spec in &setup.mounts {
        bind_spec(root, spec)
            .with_context(|| format!("--mount {}:{}", spec.source.display(), spec.target.display()))?;
    }
    if setup.read_only {
        remount_read_only(root).context("--ro")?;
    }
    chdir(root).with_context(|| root.display().to_string())?;
    // Stack the new root on the old one, then detach the old: no directory is needed in
    // the image for it, and no path of the host stays reachable.
    pivot_root(".", ".").context("pivot_root")?;
    umount2(".", MntFlags::MNT_DETACH).context("detach the host's root")?;
    chdir("/").context("chdir /")?;
    Ok(())
}

/// A tmpfs /dev with the host's harmless device nodes bound in, a private devpts and a
/// /dev/shm.
fn build_dev(root: &Path) -> anyhow::Result<()> {
    let dev = mount_point(root, Path::new("/dev"), true)?;
    mount_fs("tmpfs", &dev, MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC, Some("mode=755,size=64k"))
        .context("mount tmpfs")?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        if !host.exists() {
            continue;
        }
        let node = dev.join(name);
        File::create(&node).with_context(|| node.display().to_string())?;
        bind(&host, &node).with_context(|| format!("bind {}", host.display()))?;
    }
    let pts = dev.join("pts");
    std::fs::create_dir(&pts).context("pts")?;
    // newinstance: the jail's terminals are its own, not the host's.
    mount_fs(
        "devpts",
        &pts,
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .context("mount devpts")?;
    let shm = dev.join("shm");
    std::fs::create_dir(&shm).context("shm")?;
    mount_fs("tmpfs", &shm, MsFlags::MS_NOSUID | MsFlags::MS_NODEV, Some("mode=1777"))
        .context("mount shm")?;
    for (link, target) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(link)).with_context(|| format!("symlink {link}"))?;
    }
    Ok(())
}

/// One --mount.
fn bind_spec(root: &Path, spec: &MountSpec) -> anyhow::Result<()> {
    let target = mount_point(root, &spec.target, spec.source.is_dir()).context("mount point")?;
    bind(&spec.source, &target).context("bind")?;
    if spec.read_only {
        remount_read_only(&target).context("remount read-only")?;
    }
    Ok(())
}

/// A recursive bind mount.
fn bind(source: &Path, target: &Path) -> nix::Result<()> {
    mount(Some(source), target, None::<&str>, MsFlags::MS_BIND | MsFlags::MS_REC, None::<&str>)
}

fn mount_fs(fstype: &str, target: &Path, flags: MsFlags, data: Option<&str>) -> nix::Result<()> {
    mount(Some(fstype), target, Some(fstype), flags, data)
}

/// Makes the bind mount at `path` read-only, keeping its nosuid/nodev/noexec/atime flags
/// (a remount without them would clear them).
fn remount_read_only(path: &Path) -> nix::Result<()> {
    let current = statvfs(path)?.flags();
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    for (has, keep) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if current.contains(has) {
            flags |= keep;
        }
    }
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>)
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
fn spawn(job: &Job) -> anyhow::Result<Pid> {
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
            Ok(())
        });
    }
    match command.spawn() {
        Ok(child) => Ok(Pid::from_raw(child.id() as i32)),
        Err(e) => Err(crate::job::exec_error(&job.command[0], &e).into()),
    }
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
