//! Signals on the jrun side: what is passed on to the jail, how it is passed, and how a wait
//! status becomes an exit code.
//!
//! The forwarded signals are blocked before the child is created and unblocked once the
//! forwarding handlers know its PID, so a signal arriving in between stays pending instead of
//! killing jrun and leaving the jail behind. The handler only calls kill(2), which is
//! async-signal-safe.

use std::sync::atomic::{AtomicI32, Ordering};

use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction, sigprocmask};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;

/// The signals passed on to the command, as tini does.
pub const FORWARDED: [Signal; 6] =
    [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP, Signal::SIGQUIT, Signal::SIGUSR1, Signal::SIGUSR2];

/// `si_code` of signals the kernel sends itself, among them those a terminal sends to its
/// foreground process group.
#[cfg(target_os = "linux")]
const SI_KERNEL: libc::c_int = libc::SI_KERNEL;
#[cfg(target_os = "freebsd")]
const SI_KERNEL: libc::c_int = 0x10006; // sys/signal.h; not in the libc crate
#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
const SI_KERNEL: libc::c_int = libc::c_int::MIN;

/// The process signals go to; 0 until it exists.
static TARGET: AtomicI32 = AtomicI32::new(0);

/// The forwarded signals and SIGCHLD.
pub fn watched() -> SigSet {
    let mut set = SigSet::empty();
    for signal in FORWARDED {
        set.add(signal);
    }
    set.add(Signal::SIGCHLD);
    set
}

/// Blocks the forwarded signals and SIGCHLD; returns the previous mask for [`forward_to`].
/// SIGCHLD gets its default action back, in case jrun inherited it ignored (children would
/// then be reaped behind its back).
pub fn block() -> nix::Result<SigSet> {
    let mut old = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&watched()), Some(&mut old))?;
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    // SAFETY: installs the default action, no handler code involved.
    unsafe { sigaction(Signal::SIGCHLD, &default) }?;
    Ok(old)
}

/// From now on, the forwarded signals jrun receives go to `pid`; then restores `old`.
/// A signal jrun was started with ignored stays ignored (`nohup jrun ...`, or SIGINT in a
/// shell's background job), and the command inherits that.
pub fn forward_to(pid: Pid, old: &SigSet) -> nix::Result<()> {
    TARGET.store(pid.as_raw(), Ordering::SeqCst);
    let action = SigAction::new(SigHandler::SigAction(forward), SaFlags::SA_RESTART, SigSet::empty());
    for signal in FORWARDED {
        // SAFETY: `forward` only reads an atomic and calls kill(2), both async-signal-safe.
        let previous = unsafe { sigaction(signal, &action) }?;
        if matches!(previous.handler(), SigHandler::SigIgn) {
            // SAFETY: puts back the action that was there.
            unsafe { sigaction(signal, &previous) }?;
        }
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(old), None)
}

/// The jail's terminal (its master side) that follows the caller's window size; -1 for none.
#[cfg(target_os = "linux")]
static WINDOW: AtomicI32 = AtomicI32::new(-1);

/// From now on, SIGWINCH copies the window size of jrun's stdin onto `master` (-1 stops).
#[cfg(target_os = "linux")]
pub fn pass_window_size(master: i32) {
    WINDOW.store(master, Ordering::SeqCst);
    if master >= 0 {
        let action =
            SigAction::new(SigHandler::Handler(window_changed), SaFlags::SA_RESTART, SigSet::empty());
        // SAFETY: `window_changed` only makes two ioctl calls, async-signal-safe.
        let _ = unsafe { sigaction(Signal::SIGWINCH, &action) };
    }
}

#[cfg(target_os = "linux")]
extern "C" fn window_changed(_signal: libc::c_int) {
    let master = WINDOW.load(Ordering::SeqCst);
    if master < 0 {
        return;
    }
    // SAFETY: winsize is plain old data; both ioctls are async-signal-safe system calls.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(0, libc::TIOCGWINSZ, &mut size) == 0 {
            libc::ioctl(master, libc::TIOCSWINSZ, &size);
        }
    }
}

extern "C" fn forward(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo (checked for null anyway).
    // On Linux the command has a session of its own (see linux.rs): a terminal's ^C reaches
    // only jrun, which must pass it on.
    if cfg!(not(target_os = "linux")) && !info.is_null() && from_terminal(unsafe { &*info }) {
        return;
    }
    let pid = TARGET.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe and takes plain integers.
        unsafe { libc::kill(pid, signal) };
    }
}

/// Whether a signal came from the kernel, as ^C from a terminal does: the terminal sends it
/// to its whole foreground process group, the command included, so passing it on would
/// deliver it twice.
pub fn from_terminal(info: &libc::siginfo_t) -> bool {
    info.si_code == SI_KERNEL
}

/// The exit code for a wait status: the exit status, or 128+N for a death by signal N.
pub fn exit_code(status: WaitStatus) -> Option<u8> {
    match status {
        WaitStatus::Exited(_, code) => Some(code as u8),
        WaitStatus::Signaled(_, signal, _) => Some(128u8.wrapping_add(signal as u8)),
        _ => None,
    }
}

/// Waits for `pid` to end and returns its exit code.
pub fn wait_for(pid: Pid) -> nix::Result<u8> {
    loop {
        match waitpid(pid, None) {
            Ok(status) => {
                if let Some(code) = exit_code(status) {
                    return Ok(code);
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}
