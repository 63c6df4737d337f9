//! FreeBSD: jails through the kernel's own interface (libc), as jexec(8) and jail(8) use it.
//!
//! - An existing jail (name or JID): its JID and path come from jail_get(2); the user is
//!   looked up in the jail's own passwd; the child calls jail_attach(2) between fork and
//!   exec, then drops to the user, as jexec does.
//! - A throw-away jail on a directory: jrun mounts what the jail needs (a read-only nullfs
//!   of DIR on itself for --ro, devfs with the jail ruleset 4 on DIR/dev, nullfs for each
//!   --mount), creates the jail with jail_set(2) in jrun itself (so that a failure comes with
//!   the kernel's message), lets the child attach, waits, then removes the jail (killing
//!   whatever the command left running) and unmounts, in reverse order. The jail is
//!   persistent until jrun removes it: a non-persistent one could vanish with the command
//!   and its JID be reused by another jail before jrun's jail_remove. FreeBSD has no mount namespaces: the mounts are visible on
//!   the host while the jail runs, and jrun keeps running (forwarding signals) to undo them.
//!
//! Not covered by the Linux test suite; `cargo check --target x86_64-unknown-freebsd` keeps
//! it compiling.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use jcore::Status;
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::{Gid, Pid, Uid, chdir, setgid, setgroups, setuid};

use crate::job::Job;
use crate::paths::{mount_point, resolve_in_root};
use crate::plan::{MountSpec, Net, Plan, RootSetup};
use crate::signals;

/// The devfs ruleset jail(8) uses for jails (devfsrules_jail in /etc/defaults/devfs.rules).
const DEVFS_JAIL_RULESET: &str = "4";
/// Size of the buffers for jail_get(2) strings and kernel error messages.
const BUFFER_LEN: usize = 1024;

/// Runs the plan's command in the existing jail `jail` (a name or a JID).
pub fn run_existing(jail: &str, plan: &Plan) -> anyhow::Result<Status> {
    let mut params = JailParams::default();
    match jail.parse::<libc::c_int>() {
        Ok(jid) => params.int("jid", jid),
        Err(_) => params.string("name", OsStr::new(jail)),
    }
    params.buffer("path", libc::PATH_MAX as usize);
    let jid = params.get().with_context(|| format!("jail {jail}"))?;
    let path = PathBuf::from(OsStr::from_bytes(params.buffer_value("path")));
    let job = Job::prepare(&path, plan)?;
    let old_mask = signals::block().context("block signals")?;
    run_attached(&path, jid, &job, &old_mask)
}

/// Runs `job` in a throw-away jail on `setup.root`.
pub fn run_root(setup: &RootSetup, job: Job) -> anyhow::Result<Status> {
    let root = &setup.root;
    // From the first mount on, a signal must not kill jrun before it has undone them: the
    // forwarded signals wait, blocked, until the command runs.
    let old_mask = signals::block().context("block signals")?;
    // Mount points first: with --ro the directory is read-only once the first mount is done.
    let dev = mount_point(root, Path::new("/dev"), true).context("/dev")?;
    let mut targets = Vec::with_capacity(setup.mounts.len());
    for spec in &setup.mounts {
        let target = mount_point(root, &spec.target, spec.source.is_dir())
            .with_context(|| format!("--mount {}", spec.target.display()))?;
        targets.push(target);
    }
    let mut mounted = Mounted::default();
    if setup.read_only {
        mounted.nullfs(root, root, true).context("--ro")?;
    }
    mounted.devfs(&dev).context("mount devfs")?;
    for (spec, target) in setup.mounts.iter().zip(&targets) {
        let MountSpec { source, read_only, .. } = spec;
        mounted
            .nullfs(source, target, *read_only)
            .with_context(|| format!("--mount {}", source.display()))?;
    }

    let network = match setup.net {
        Net::Host => libc::JAIL_SYS_INHERIT,
        Net::None => libc::JAIL_SYS_DISABLE,
    };
    let mut params = JailParams::default();
    params.string("path", root.as_os_str());
    params.string("host.hostname", OsStr::new(&setup.hostname));
    params.int("ip4", network);
    params.int("ip6", network);
    // SysV IPC of its own (jail(8)'s `sysvshm=new` etc.): off by default, and PostgreSQL's
    // initdb, among others, fails without it; "new" keeps it apart from the host's.
    for ipc in ["sysvshm", "sysvsem", "sysvmsg"] {
        params.int(ipc, libc::JAIL_SYS_NEW);
    }
    params.flag("persist");
    let jid = params.set(libc::JAIL_CREATE).context("jail_set")?;
    let jail = Removed(jid);
    let status = run_attached(root, jid, &job, &old_mask);
    drop(jail);
    drop(mounted);
    status
}

/// Starts the command attached to jail `jid` (whose root is `path` on the host), forwards
/// signals to it and returns its status. The forwarded signals are blocked already;
/// `old_mask` is the mask from before.
fn run_attached(path: &Path, jid: libc::c_int, job: &Job, old_mask: &SigSet) -> anyhow::Result<Status> {
    let workdir = resolve_in_root(path, &job.workdir)?;
    if !workdir.is_dir() {
        bail!("-w {}: no such directory in the jail", job.workdir.display());
    }
    crate::job::close_on_exec_beyond_stdio().context("mark inherited descriptors close-on-exec")?;
    let mut command = Command::new(&job.command[0]);
    command.args(&job.command[1..]).env_clear().envs(job.env.iter().map(|(k, v)| (k, v)));
    let inside = CString::new(job.workdir.as_os_str().as_bytes()).context("-w")?;
    let uid = Uid::from_raw(job.user.uid);
    let gid = Gid::from_raw(job.user.gid);
    let groups: Vec<Gid> = job.user.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    // SAFETY: the closure runs between fork and exec; it only makes system calls on data
    // prepared beforehand (jexec(8) does the same in the same order).
    unsafe {
        command.pre_exec(move || {
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
            if libc::jail_attach(jid) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            chdir(inside.as_c_str())?;
            setgroups(&groups)?;
            setgid(gid)?;
            setuid(uid)?;
            Ok(())
        });
    }
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Err(crate::job::exec_error(&job.command[0], &e, &job.env).into()),
    };
    let pid = Pid::from_raw(child.id() as i32);
    signals::forward_to(pid, old_mask).context("install signal handlers")?;
    let code = signals::wait_for(pid).context("wait for the command")?;
    Ok(Status::Code(code))
}

/// Name/value pairs for jail_get(2), jail_set(2) and nmount(2): each pair is two iovecs,
/// the name as a C string and the value (a C string, a native int, an output buffer, or
/// nothing for a boolean flag). An "errmsg" buffer is always added last.
#[derive(Default)]
struct JailParams {
    names: Vec<CString>,
    values: Vec<Option<Vec<u8>>>,
}

impl JailParams {
    fn push(&mut self, name: &str, value: Option<Vec<u8>>) {
        self.names.push(CString::new(name).expect("parameter names have no NUL"));
        self.values.push(value);
    }

    fn string(&mut self, name: &str, value: &OsStr) {
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        self.push(name, Some(bytes));
    }

    fn int(&mut self, name: &str, value: libc::c_int) {
        self.push(name, Some(value.to_ne_bytes().to_vec()));
    }

    /// A boolean parameter set by its name alone ("persist", "nopersist").
    fn flag(&mut self, name: &str) {
        self.push(name, None);
    }

    /// A buffer jail_get(2) fills in.
    fn buffer(&mut self, name: &str, len: usize) {
        self.push(name, Some(vec![0; len]));
    }

    /// A filled-in buffer's contents, up to its first NUL.
    fn buffer_value(&self, name: &str) -> &[u8] {
        let at = self
            .names
            .iter()
            .position(|n| n.as_bytes() == name.as_bytes())
            .expect("asked for a known buffer");
        let bytes = self.values[at].as_deref().unwrap_or_default();
        bytes.split(|&b| b == 0).next().unwrap_or_default()
    }

    /// The iovecs, pointing into `self` (valid while it is not modified).
    fn iovecs(&mut self) -> Vec<libc::iovec> {
        let mut iov = Vec::with_capacity(self.names.len() * 2);
        for (name, value) in self.names.iter().zip(self.values.iter_mut()) {
            iov.push(libc::iovec {
                iov_base: name.as_ptr() as *mut libc::c_void,
                iov_len: name.as_bytes_with_nul().len(),
            });
            iov.push(match value {
                Some(bytes) => libc::iovec { iov_base: bytes.as_mut_ptr().cast(), iov_len: bytes.len() },
                None => libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 },
            });
        }
        iov
    }

    /// Calls `call` with the iovecs and an errmsg buffer; on failure, the kernel's message
    /// (or the errno's).
    fn call(
        &mut self,
        call: impl FnOnce(*mut libc::iovec, libc::c_uint) -> libc::c_int,
    ) -> anyhow::Result<libc::c_int> {
        self.buffer("errmsg", BUFFER_LEN);
        let mut iov = self.iovecs();
        let result = call(iov.as_mut_ptr(), iov.len() as libc::c_uint);
        if result < 0 {
            let err = std::io::Error::last_os_error();
            let message = String::from_utf8_lossy(self.buffer_value("errmsg")).into_owned();
            if message.is_empty() {
                return Err(err.into());
            }
            bail!("{message}");
        }
        Ok(result)
    }

    /// jail_get(2): the JID.
    fn get(&mut self) -> anyhow::Result<libc::c_int> {
        // SAFETY: the iovecs point into buffers owned by `self`, alive during the call.
        self.call(|iov, n| unsafe { libc::jail_get(iov, n, 0) })
    }

    /// jail_set(2) with `flags`: the JID.
    fn set(&mut self, flags: libc::c_int) -> anyhow::Result<libc::c_int> {
        // SAFETY: as in `get`.
        self.call(|iov, n| unsafe { libc::jail_set(iov, n, flags) })
    }

    /// nmount(2) with `flags`.
    fn mount(&mut self, flags: libc::c_int) -> anyhow::Result<()> {
        // SAFETY: as in `get`.
        self.call(|iov, n| unsafe { libc::nmount(iov, n, flags) }).map(drop)
    }
}

/// A jail removed (its processes killed) when dropped.
struct Removed(libc::c_int);

impl Drop for Removed {
    fn drop(&mut self) {
        // SAFETY: plain system call; EINVAL when the jail already went away by itself.
        unsafe { libc::jail_remove(self.0) };
    }
}

/// File systems jrun mounted, unmounted in reverse order when dropped.
#[derive(Default)]
struct Mounted(Vec<PathBuf>);

impl Mounted {
    fn nullfs(&mut self, source: &Path, target: &Path, read_only: bool) -> anyhow::Result<()> {
        let mut params = JailParams::default();
        params.string("fstype", OsStr::new("nullfs"));
        params.string("fspath", target.as_os_str());
        params.string("target", source.as_os_str());
        params.mount(if read_only { libc::MNT_RDONLY } else { 0 })?;
        self.0.push(target.to_path_buf());
        Ok(())
    }

    fn devfs(&mut self, target: &Path) -> anyhow::Result<()> {
        let mut params = JailParams::default();
        params.string("fstype", OsStr::new("devfs"));
        params.string("fspath", target.as_os_str());
        params.string("ruleset", OsStr::new(DEVFS_JAIL_RULESET));
        params.mount(0)?;
        self.0.push(target.to_path_buf());
        Ok(())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        for target in self.0.iter().rev() {
            let Ok(path) = CString::new(target.as_os_str().as_bytes()) else { continue };
            // Processes of a removed jail take a moment to go: retry, then force.
            let mut done = false;
            for _ in 0..50 {
                // SAFETY: plain system call on a C string we own.
                if unsafe { libc::unmount(path.as_ptr(), 0) } == 0 {
                    done = true;
                    break;
                }
                if std::io::Error::last_os_error().raw_os_error() != Some(libc::EBUSY) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // SAFETY: as above.
            if !done && unsafe { libc::unmount(path.as_ptr(), libc::MNT_FORCE) } != 0 {
                eprintln!("jrun: unmount {}: {}", target.display(), std::io::Error::last_os_error());
            }
        }
    }
}
