//! FreeBSD: jails through the kernel's own interface (libc), as jexec(8) and jail(8) use it.
//! What is done, in which order, is decided in `jail_plan.rs` (unit-tested everywhere); this
//! module only makes the system calls.
//!
//! - An existing jail (name or JID): its JID and path come from jail_get(2); the user is
//!   looked up in the jail's own passwd; the child calls jail_attach(2) between fork and
//!   exec, then drops to the user (with -u, through the login class), as jexec does.
//! - A throw-away jail on a directory: jrun refuses DIR when file systems are still mounted
//!   on or below it (see `jail_plan`), makes the mount points in DIR (confined, by
//!   descriptor), mounts what the jail needs, each on a descriptor made the current
//!   directory (nmount's `fspath` "."), creates the jail with jail_set(2) in jrun itself (so
//!   that a failure comes with the kernel's message), brings lo0 up in a vnet jail, lets the
//!   child attach, waits, then removes the jail (killing whatever the command left running)
//!   and unmounts by file system ID, in reverse order. FreeBSD has no mount namespaces: the
//!   mounts are visible on the host while the jail runs, and jrun keeps running (forwarding
//!   signals) to undo them; a jail descriptor (FreeBSD 15) takes the jail along when jrun is
//!   killed.
//!
//! Not covered by the Linux test suite beyond `jail_plan` and `paths`;
//! `cargo check --target x86_64-unknown-freebsd` keeps it compiling.

use std::collections::HashSet;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use jcore::Status;
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::{Gid, Pid, Uid, chdir, setgid, setgroups, setuid};

use crate::jail_plan::{
    self, JailParams, JailRequest, Kernel, MountEntry, MountInputs, MountRequest, Place, Value,
};
use crate::job::Job;
use crate::paths::{self, Located};
use crate::plan::{Plan, RootSetup};
use crate::signals;

/// Size of the buffers for jail_get(2) strings and kernel error messages.
const BUFFER_LEN: usize = 1024;

// libutil's login classes (login_cap(3)); the libc crate does not bind them.
#[link(name = "util")]
unsafe extern "C" {
    fn login_getpwclass(pwd: *const libc::passwd) -> *mut libc::c_void;
    fn login_close(lc: *mut libc::c_void);
    fn setusercontext(
        lc: *mut libc::c_void,
        pwd: *const libc::passwd,
        uid: libc::uid_t,
        flags: libc::c_uint,
    ) -> libc::c_int;
}

unsafe extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// Runs the plan's command in the existing jail `jail` (a name or a JID).
pub fn run_existing(jail: &str, plan: &Plan) -> anyhow::Result<Status> {
    let mut params = JailParams::default();
    match jail.parse::<libc::c_int>() {
        Ok(jid) => params.int("jid", jid),
        Err(_) => params.text("name", OsStr::new(jail)),
    }
    params.buffer("path", libc::PATH_MAX as usize);
    let jid = params.get().with_context(|| format!("jail {jail}"))?;
    let path = PathBuf::from(OsStr::from_bytes(params.buffer_value("path")));
    let job = Job::prepare(&path, plan)?;
    let class = LoginContext::prepare(&path, plan, &job)?;
    let root_fd = paths::open_root(&path).with_context(|| path.display().to_string())?;
    let old_mask = signals::block().context("block signals")?;
    let child = start_attached(root_fd.as_fd(), jid, &job, class.as_ref())?;
    wait_attached(child, &old_mask)
}

/// Runs `job` (made from `plan`) in a throw-away jail on `setup.root`.
pub fn run_root(setup: &RootSetup, job: Job, plan: &Plan) -> anyhow::Result<Status> {
    let root = &setup.root;
    let table = mount_table().context("list mounted file systems")?;
    let entries: Vec<MountEntry> = table.iter().map(|(entry, _)| entry.clone()).collect();
    let stale = jail_plan::stale_mounts(root, &entries);
    if !stale.is_empty() {
        bail!("{}", jail_plan::stale_message(root, &stale));
    }
    let class = LoginContext::prepare(root, plan, &job)?;
    // From the first mount on, a signal must not kill jrun before it has undone them: the
    // forwarded signals wait, blocked, until the command runs.
    let old_mask = signals::block().context("block signals")?;
    let root_fd = paths::open_root(root).with_context(|| root.display().to_string())?;
    let inputs = MountInputs { root, read_only: setup.read_only, mounts: &setup.mounts, suid: setup.suid };
    let requests = jail_plan::mount_requests(&inputs);
    // Mount points first, in DIR: with --ro, DIR is seen read-only once the view is mounted.
    for request in &requests {
        if let (Place::Jail(path), Some(kind)) = (&request.place, request.create) {
            paths::locate(root_fd.as_fd(), root, path, Some(kind)).with_context(|| request.what.clone())?;
        }
    }
    let mut mounted = Mounted::default();
    let mut jail_root = root.clone();
    let mut jail_root_fd = root_fd;
    for request in &requests {
        match &request.place {
            Place::View => {
                let view = make_view_directory().context("--ro: make the view directory")?;
                mounted.view = Some(view.clone());
                let fd = paths::open_root(&view).with_context(|| view.display().to_string())?;
                let at = Located { fd, inside: PathBuf::from("/"), host: view.clone() };
                mounted.mount(&at, request, None).context("--ro")?;
                jail_root_fd = paths::open_root(&view).with_context(|| view.display().to_string())?;
                jail_root = view;
            }
            Place::Jail(path) => {
                let at = paths::locate(jail_root_fd.as_fd(), &jail_root, path, None)
                    .with_context(|| request.what.clone())?;
                let parent = if is_directory(&at) {
                    None
                } else {
                    let parent = at.inside.parent().unwrap_or(Path::new("/"));
                    Some(paths::locate(jail_root_fd.as_fd(), &jail_root, parent, None)?)
                };
                mounted.mount(&at, request, parent.as_ref()).with_context(|| request.what.clone())?;
            }
        }
    }

    let kernel = Kernel { descriptors: true, vnet: vnet_available() };
    let name = jail_plan::jail_name(
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
    );
    let request = JailRequest { path: &jail_root, name: &name, hostname: &setup.hostname, net: setup.net };
    let (jail, kernel) = Jail::create(&request, kernel).context("jail_set")?;
    if setup.net == crate::plan::Net::None && kernel.vnet {
        bring_up_loopback(jail.jid).context("lo0 in the jail")?;
    }
    let child = start_attached(jail_root_fd.as_fd(), jail.jid, &job, class.as_ref())?;
    if let Some((params, flags)) = jail_plan::after_attach(jail.jid, kernel)
        && let Err(e) = JailParams::from_plan(&params).set(flags)
    {
        // A persistent jail would outlive a killed jrun: do not run like that.
        // SAFETY: plain system call on the child's PID.
        unsafe { libc::kill(child.as_raw(), libc::SIGKILL) };
        let _ = signals::wait_for(child);
        return Err(anyhow::Error::from(e).context("jail_set nopersist"));
    }
    let status = wait_attached(child, &old_mask);
    drop(jail);
    drop(mounted);
    status
}

/// Whether the kernel has VIMAGE (vnet jails).
fn vnet_available() -> bool {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>();
    // SAFETY: a sysctl read into an int we own, its size given.
    let done = unsafe {
        libc::sysctlbyname(
            c"kern.features.vimage".as_ptr(),
            (&raw mut value).cast(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    done == 0 && value != 0
}

/// A fresh directory for the read-only view of DIR: mode 0700, root's, in /tmp (sticky:
/// nobody else can rename or replace it).
fn make_view_directory() -> std::io::Result<PathBuf> {
    let mut template = b"/tmp/jrun-ro.XXXXXXXX\0".to_vec();
    // SAFETY: mkdtemp fills in the X's of a NUL-terminated buffer we own.
    if unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) }.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    template.pop();
    // The name the kernel will record for the mount (/tmp may be a symlink).
    std::fs::canonicalize(PathBuf::from(OsString::from_vec(template)))
}

fn is_directory(at: &Located) -> bool {
    rustix::fs::fstat(&at.fd).is_ok_and(|stat| {
        rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Directory
    })
}

/// Brings lo0 of jail `jid`'s vnet up with 127.0.0.1/8, from a child attached to the jail
/// (the parent stays outside). The child reports an errno as its exit status.
fn bring_up_loopback(jid: libc::c_int) -> anyhow::Result<()> {
    let mut flags_request = jail_plan::ifreq_flags(jail_plan::LOOPBACK, 0);
    let alias_request = jail_plan::in_aliasreq(jail_plan::LOOPBACK, [127, 0, 0, 1], 8);
    // SAFETY: jrun is single-threaded here; the child makes system calls only, then _exit.
    match unsafe { nix::unistd::fork() }.context("fork")? {
        nix::unistd::ForkResult::Child => {
            // SAFETY: system calls on buffers prepared before the fork.
            unsafe {
                fn fail(_: ()) -> ! {
                    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(1);
                    // SAFETY: ends the child without running anything of the parent's.
                    unsafe { libc::_exit(errno.clamp(1, 255)) }
                }
                if libc::jail_attach(jid) != 0 {
                    fail(());
                }
                let socket = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
                if socket < 0 {
                    fail(());
                }
                if libc::ioctl(socket, jail_plan::SIOCGIFFLAGS as libc::c_ulong, flags_request.as_mut_ptr())
                    != 0
                {
                    fail(());
                }
                let flags = jail_plan::ifreq_flags_of(&flags_request) | jail_plan::IFF_UP;
                let mut up = jail_plan::ifreq_flags(jail_plan::LOOPBACK, flags);
                if libc::ioctl(socket, jail_plan::SIOCSIFFLAGS as libc::c_ulong, up.as_mut_ptr()) != 0 {
                    fail(());
                }
                let mut alias = alias_request;
                if libc::ioctl(socket, jail_plan::SIOCAIFADDR as libc::c_ulong, alias.as_mut_ptr()) != 0 {
                    fail(());
                }
                libc::_exit(0)
            }
        }
        nix::unistd::ForkResult::Parent { child } => match nix::sys::wait::waitpid(child, None) {
            Ok(nix::sys::wait::WaitStatus::Exited(_, 0)) => Ok(()),
            Ok(nix::sys::wait::WaitStatus::Exited(_, errno)) => {
                Err(std::io::Error::from_raw_os_error(errno).into())
            }
            Ok(other) => bail!("the helper ended with {other:?}"),
            Err(e) => Err(e.into()),
        },
    }
}

/// What -u needs for the login class, prepared before the fork.
struct LoginContext {
    // Strings the passwd entry points into.
    _name: CString,
    _class: CString,
    _dir: CString,
    _empty: CString,
    pwd: libc::passwd,
    /// The job's environment, as "NAME=VALUE" strings and a NULL-terminated array.
    _env: Vec<CString>,
    envp: Vec<*mut libc::c_char>,
    /// The -e settings, set again after the class.
    explicit: Vec<(CString, CString)>,
    program: CString,
    argv_storage: Vec<CString>,
    argv: Vec<*const libc::c_char>,
}

impl LoginContext {
    /// `None` without -u: then, as with jexec, no class applies.
    fn prepare(root: &Path, plan: &Plan, job: &Job) -> anyhow::Result<Option<LoginContext>> {
        if plan.user.is_none() {
            return Ok(None);
        }
        let user = &job.user;
        let class = crate::users::login_class(root, &user.name)?.unwrap_or_default();
        let c =
            |bytes: &[u8], what: &str| CString::new(bytes).with_context(|| format!("{what}: contains NUL"));
        let name = c(user.name.as_bytes(), "user name")?;
        let class = c(class.as_bytes(), "login class")?;
        let dir = c(user.home.as_os_str().as_bytes(), "home directory")?;
        let empty = CString::default();
        let mut env = Vec::with_capacity(job.env.len());
        for (key, value) in &job.env {
            let mut entry = key.as_bytes().to_vec();
            entry.push(b'=');
            entry.extend_from_slice(value.as_bytes());
            env.push(c(&entry, "environment")?);
        }
        let mut envp: Vec<*mut libc::c_char> = env.iter().map(|e| e.as_ptr().cast_mut()).collect();
        envp.push(std::ptr::null_mut());
        let mut explicit = Vec::new();
        for (key, value) in jail_plan::explicit_environment(&job.env, &plan.env) {
            explicit.push((c(key.as_bytes(), "-e")?, c(value.as_bytes(), "-e")?));
        }
        let argv_storage =
            job.command.iter().map(|a| c(a.as_bytes(), "argument")).collect::<anyhow::Result<Vec<_>>>()?;
        let mut argv: Vec<*const libc::c_char> = argv_storage.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        // SAFETY: passwd is plain old data; every pointer is set below or null.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        pwd.pw_name = name.as_ptr().cast_mut();
        pwd.pw_passwd = empty.as_ptr().cast_mut();
        pwd.pw_uid = user.uid;
        pwd.pw_gid = user.gid;
        pwd.pw_class = class.as_ptr().cast_mut();
        pwd.pw_gecos = empty.as_ptr().cast_mut();
        pwd.pw_dir = dir.as_ptr().cast_mut();
        pwd.pw_shell = empty.as_ptr().cast_mut();
        Ok(Some(LoginContext {
            program: argv_storage[0].clone(),
            _name: name,
            _class: class,
            _dir: dir,
            _empty: empty,
            pwd,
            _env: env,
            envp,
            explicit,
            argv_storage,
            argv,
        }))
    }

    /// In the child, attached, with its groups set: the environment, the login class (which
    /// sets the UID last), the -e settings again, then exec. Returns only on failure.
    ///
    /// # Safety
    /// Between fork and exec of a single-threaded process (libutil allocates).
    unsafe fn apply_and_exec(&self) -> std::io::Error {
        let _ = &self.argv_storage;
        // SAFETY: the arrays are NULL-terminated and outlive the exec; the libutil calls
        // take the passwd entry prepared before the fork.
        unsafe {
            environ = self.envp.as_ptr().cast_mut();
            let class = login_getpwclass(&self.pwd);
            if class.is_null() {
                return std::io::Error::other("login_getpwclass failed");
            }
            let flags = jail_plan::login_class_flags() as libc::c_uint;
            let done = setusercontext(class, &self.pwd, self.pwd.pw_uid, flags);
            login_close(class);
            if done != 0 {
                return std::io::Error::last_os_error();
            }
            for (key, value) in &self.explicit {
                libc::setenv(key.as_ptr(), value.as_ptr(), 1);
            }
            libc::execvp(self.program.as_ptr(), self.argv.as_ptr());
        }
        std::io::Error::last_os_error()
    }
}

// SAFETY: the raw pointers point into the struct's own CStrings, which never move (their
// buffers are on the heap) and are only read.
unsafe impl Send for LoginContext {}
unsafe impl Sync for LoginContext {}

/// Starts the command attached to jail `jid` (whose root is `root_fd` on the host).
fn start_attached(
    root_fd: BorrowedFd<'_>,
    jid: libc::c_int,
    job: &Job,
    class: Option<&LoginContext>,
) -> anyhow::Result<Pid> {
    paths::check_directory(root_fd, &job.workdir).map_err(|e| {
        anyhow::anyhow!("-w {}: {} in the jail", job.workdir.display(), jcore::exit::message(&e))
    })?;
    crate::job::close_on_exec_beyond_stdio().context("mark inherited descriptors close-on-exec")?;
    let mut command = Command::new(&job.command[0]);
    command.args(&job.command[1..]).env_clear().envs(job.env.iter().map(|(k, v)| (k, v)));
    let inside = CString::new(job.workdir.as_os_str().as_bytes()).context("-w")?;
    let uid = Uid::from_raw(job.user.uid);
    let gid = Gid::from_raw(job.user.gid);
    let groups: Vec<Gid> = job.user.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    let parent = std::process::id() as libc::pid_t;
    let class: Option<&'static LoginContext> = class.map(|c| {
        // SAFETY: the context outlives the spawn (the caller holds it until the child has
        // exec'd, which spawn waits for); the closure only runs in the child.
        unsafe { &*(c as *const LoginContext) }
    });
    // SAFETY: the closure runs between fork and exec; it makes system calls on data
    // prepared beforehand (jexec(8) does the same in the same order), and with -u the
    // libutil calls jexec makes.
    unsafe {
        command.pre_exec(move || {
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
            // The command dies with jrun; and if jrun is gone already, so is it.
            let mut signal = libc::SIGKILL;
            if libc::procctl(libc::P_PID, 0, libc::PROC_PDEATHSIG_CTL, (&raw mut signal).cast()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            if libc::jail_attach(jid) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            chdir(inside.as_c_str())?;
            setgroups(&groups)?;
            setgid(gid)?;
            match class {
                None => setuid(uid)?,
                Some(class) => return Err(class.apply_and_exec()),
            }
            Ok(())
        });
    }
    match command.spawn() {
        Ok(child) => Ok(Pid::from_raw(child.id() as i32)),
        Err(e) => Err(crate::job::exec_error(&job.command[0], &e, &job.env).into()),
    }
}

/// Forwards signals to the started command and returns its status. The forwarded signals
/// are blocked already; `old_mask` is the mask from before.
fn wait_attached(pid: Pid, old_mask: &SigSet) -> anyhow::Result<Status> {
    signals::forward_to(pid, old_mask).context("install signal handlers")?;
    let code = signals::wait_for(pid).context("wait for the command")?;
    Ok(Status::Code(code))
}

/// A failed jail(2) or nmount(2) call: the errno and the kernel's message, if any.
#[derive(Debug)]
struct KernelError {
    errno: i32,
    message: String,
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", std::io::Error::from_raw_os_error(self.errno))
        } else {
            write!(f, "{}", self.message)
        }
    }
}

impl std::error::Error for KernelError {}

/// The system calls that take [`JailParams`].
trait KernelCalls {
    fn call(
        &mut self,
        call: impl FnOnce(*mut libc::iovec, libc::c_uint) -> libc::c_int,
    ) -> Result<libc::c_int, KernelError>;
    fn get(&mut self) -> Result<libc::c_int, KernelError>;
    fn set(&mut self, flags: libc::c_int) -> Result<libc::c_int, KernelError>;
    fn mount(&mut self, flags: libc::c_int) -> Result<(), KernelError>;
}

impl KernelCalls for JailParams {
    /// Calls `call` with the iovecs and an errmsg buffer; on failure, the errno and the
    /// kernel's message.
    fn call(
        &mut self,
        call: impl FnOnce(*mut libc::iovec, libc::c_uint) -> libc::c_int,
    ) -> Result<libc::c_int, KernelError> {
        if self.value("errmsg").is_none() {
            self.buffer("errmsg", BUFFER_LEN);
        }
        let mut iov = self.iovecs();
        let result = call(iov.as_mut_ptr(), iov.len() as libc::c_uint);
        if result < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
            let message = String::from_utf8_lossy(self.buffer_value("errmsg")).into_owned();
            return Err(KernelError { errno, message });
        }
        Ok(result)
    }

    /// jail_get(2): the JID.
    fn get(&mut self) -> Result<libc::c_int, KernelError> {
        // SAFETY: the iovecs point into buffers owned by `self`, alive during the call.
        self.call(|iov, n| unsafe { libc::jail_get(iov, n, 0) })
    }

    /// jail_set(2) with `flags`: the JID.
    fn set(&mut self, flags: libc::c_int) -> Result<libc::c_int, KernelError> {
        // SAFETY: as in `get`.
        self.call(|iov, n| unsafe { libc::jail_set(iov, n, flags) })
    }

    /// nmount(2) with `flags`.
    fn mount(&mut self, flags: libc::c_int) -> Result<(), KernelError> {
        // SAFETY: as in `get`.
        self.call(|iov, n| unsafe { libc::nmount(iov, n, flags) }).map(drop)
    }
}

/// jrun's jail: removed with its processes when dropped.
struct Jail {
    jid: libc::c_int,
    name: CString,
    /// The owning jail descriptor (FreeBSD 15): closing it removes the jail.
    descriptor: Option<OwnedFd>,
}

impl Jail {
    /// Creates the jail; with `kernel.descriptors`, falls back to a jail without one on a
    /// kernel that has none. Returns what the kernel turned out to offer.
    fn create(request: &JailRequest<'_>, kernel: Kernel) -> anyhow::Result<(Jail, Kernel)> {
        let mut params = JailParams::from_plan(&jail_plan::jail_parameters(request, kernel));
        match params.set(jail_plan::creation_flags(kernel)) {
            Ok(jid) => {
                let descriptor = match kernel.descriptors {
                    true => {
                        let fd =
                            params.int_value("desc").filter(|&fd| fd >= 0).context("no jail descriptor")?;
                        // SAFETY: the kernel just opened it for us; nothing else owns it.
                        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                        // Never inherited by the command: the jail must go when jrun goes.
                        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
                        Some(fd)
                    }
                    false => None,
                };
                let name = CString::new(request.name).context("jail name")?;
                Ok((Jail { jid, name, descriptor }, kernel))
            }
            Err(e) if kernel.descriptors && jail_plan::descriptors_refused(e.errno, &e.message) => {
                Jail::create(request, Kernel { descriptors: false, ..kernel })
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for Jail {
    fn drop(&mut self) {
        if let Some(descriptor) = self.descriptor.take() {
            // SAFETY: plain system call; FreeBSD 15's jail_remove_jd(2) is not in every
            // libc, jail_remove(2) on the JID does the same while jrun holds the descriptor
            // (which keeps the JID from being reused).
            unsafe { libc::jail_remove(self.jid) };
            drop(descriptor);
            return;
        }
        // Without a descriptor, the jail may have ended by itself (nopersist) and its JID
        // gone to another jail: remove it only if the JID still has jrun's name.
        let mut params = JailParams::default();
        params.text("name", OsStr::from_bytes(self.name.as_bytes()));
        if params.get().is_ok_and(|jid| jid == self.jid) {
            // SAFETY: plain system call.
            unsafe { libc::jail_remove(self.jid) };
        }
    }
}

/// The kernel's mount table: each entry and its file system ID.
fn mount_table() -> std::io::Result<Vec<(MountEntry, [i32; 2])>> {
    let mut buffer: *mut libc::statfs = std::ptr::null_mut();
    // SAFETY: getmntinfo points `buffer` at a table it owns, valid until the next call.
    let count = unsafe { libc::getmntinfo(&mut buffer, libc::MNT_NOWAIT) };
    if count <= 0 || buffer.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `count` entries at `buffer`, as getmntinfo says.
    let table = unsafe { std::slice::from_raw_parts(buffer, count as usize) };
    let text = |chars: &[libc::c_char]| -> Vec<u8> {
        // SAFETY: c_char and u8 have the same size; the kernel NUL-terminates the names.
        let bytes: &[u8] = unsafe { std::slice::from_raw_parts(chars.as_ptr().cast(), chars.len()) };
        CStr::from_bytes_until_nul(bytes).map(|c| c.to_bytes().to_vec()).unwrap_or_default()
    };
    Ok(table
        .iter()
        .map(|fs| {
            let entry = MountEntry {
                fstype: String::from_utf8_lossy(&text(&fs.f_fstypename)).into_owned(),
                from: PathBuf::from(OsString::from_vec(text(&fs.f_mntfromname))),
                on: PathBuf::from(OsString::from_vec(text(&fs.f_mntonname))),
            };
            // SAFETY: fsid_t is two ints (its field is private in the libc crate).
            let fsid: [i32; 2] = unsafe { std::mem::transmute_copy(&fs.f_fsid) };
            (entry, fsid)
        })
        .collect())
}

/// File systems jrun mounted, unmounted in reverse order (by file system ID) when dropped;
/// then the read-only view's directory is removed.
#[derive(Default)]
struct Mounted {
    mounts: Vec<([i32; 2], PathBuf)>,
    view: Option<PathBuf>,
}

impl Mounted {
    /// Mounts `request` on `at`: a directory is made the current directory and mounted on as
    /// "."; a file is mounted on by its name in `parent`, made the current directory. Then
    /// the new mount is looked up in the mount table: if it is not on `at`'s path (a file's
    /// name swapped for a symlink meanwhile), it is undone at once and the run fails.
    fn mount(
        &mut self,
        at: &Located,
        request: &MountRequest,
        parent: Option<&Located>,
    ) -> anyhow::Result<()> {
        let before: HashSet<[i32; 2]> = mount_table()?.into_iter().map(|(_, fsid)| fsid).collect();
        let (directory, name) = match parent {
            None => (at.fd.as_fd(), OsStr::new(".")),
            Some(parent) => {
                (parent.fd.as_fd(), at.inside.file_name().context("a file mount point has a name")?)
            }
        };
        let mut request_params = jail_plan::nmount_parameters(request);
        for param in &mut request_params {
            if param.name == "fspath" {
                param.value = Value::Text(name.to_owned());
            }
        }
        let mut params = JailParams::from_plan(&request_params);
        with_current_directory(directory, || params.mount(request.flags).map_err(anyhow::Error::from))?;
        let after = mount_table()?;
        let new = after
            .iter()
            .rfind(|(entry, fsid)| !before.contains(fsid) && entry.fstype == request.fstype)
            .with_context(|| format!("mounted on {}, but not found in the mount table", at.host.display()))?;
        if new.0.on != at.host {
            let _ = unmount(new.1);
            bail!(
                "{}: changed while jrun mounted on it (now {}); undone",
                at.host.display(),
                new.0.on.display()
            );
        }
        self.mounts.push((new.1, at.host.clone()));
        Ok(())
    }
}

/// Runs `work` with `directory` as the current directory, then goes back.
fn with_current_directory<T>(
    directory: BorrowedFd<'_>,
    work: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let here = rustix::fs::open(
        ".",
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    rustix::process::fchdir(directory)?;
    let result = work();
    rustix::process::fchdir(&here).context("back to the working directory")?;
    result
}

/// unmount(2) by file system ID; the jail's processes take a moment to go after
/// jail_remove: retry while busy, then force.
fn unmount(fsid: [i32; 2]) -> std::io::Result<()> {
    let name = CString::new(jail_plan::fsid_name(fsid)).expect("no NUL in digits");
    for _ in 0..50 {
        // SAFETY: plain system call on a C string we own.
        if unsafe { libc::unmount(name.as_ptr(), libc::MNT_BYFSID) } == 0 {
            return Ok(());
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EBUSY) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: as above.
    if unsafe { libc::unmount(name.as_ptr(), libc::MNT_BYFSID | libc::MNT_FORCE) } == 0 {
        return Ok(());
    }
    Err(std::io::Error::last_os_error())
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let mut all_done = true;
        for (fsid, path) in self.mounts.iter().rev() {
            if let Err(e) = unmount(*fsid) {
                all_done = false;
                eprintln!("jrun: unmount {}: {e}", path.display());
            }
        }
        if let (Some(view), true) = (&self.view, all_done) {
            let _ = std::fs::remove_dir(view);
        }
    }
}
