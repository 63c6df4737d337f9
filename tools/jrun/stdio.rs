//! Linux: standard input and output that are files reach the jail as pipes.
//!
//! A file descriptor handed to the jail can be reopened through `/proc/self/fd/N`, with the
//! file's own permissions and not the descriptor's: a mode 0444 file given as stdin could
//! be rewritten by root in the jail, and a log file given as stdout read back. Pipes carry
//! the same bytes without the file: jrun copies the file into the pipe (stdin) or the pipe
//! into the file (stdout, stderr) while the jail runs. Terminals, pipes and sockets are
//! passed as they are; `--direct-stdio` passes files too (when a command needs to seek).
//!
//! With terminals on both stdin and stdout (as systemd-nspawn decides), the jail gets a
//! pseudo-terminal of its own instead of the caller's, as its controlling terminal in a
//! session of its own: nothing in the jail can type into the caller's terminal (TIOCSTI)
//! or take it over. jrun puts the caller's terminal in raw mode and relays bytes both
//! ways (as `ssh -t`), passes window-size changes on (SIGWINCH), and puts the terminal
//! back as it was when the jail ends. ^C and friends become bytes on the way and the
//! jail's own terminal turns them into signals for the jail's foreground job.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::thread::JoinHandle;

/// One standard descriptor replaced by a pipe.
struct Replaced {
    /// 0, 1 or 2.
    fd: i32,
    /// The jail's end.
    jail: OwnedFd,
    /// jrun's end.
    ours: OwnedFd,
}

/// The jail's own terminal.
struct Terminal {
    master: OwnedFd,
    slave: OwnedFd,
    /// Which of 0, 1, 2 were terminals (and get the slave).
    fds: Vec<i32>,
}

/// The pipes and terminal made for the jail, before the fork.
pub struct Relay {
    replaced: Vec<Replaced>,
    terminal: Option<Terminal>,
}

/// The copies under way in jrun.
pub struct Copying {
    threads: Vec<(i32, JoinHandle<()>)>,
    /// The caller's terminal settings, put back at the end.
    saved: Option<nix::sys::termios::Termios>,
}

impl Relay {
    /// A pipe for each of 0, 1 and 2 that is a regular file (none with `direct`).
    pub fn prepare(direct: bool) -> io::Result<Relay> {
        let mut replaced = Vec::new();
        let terminal = open_terminal()?;
        if direct {
            return Ok(Relay { replaced, terminal });
        }
        for fd in 0..3 {
            // SAFETY: fstat on a descriptor number writes only the stat buffer we own.
            let mut stat: libc::stat = unsafe { std::mem::zeroed() };
            if unsafe { libc::fstat(fd, &mut stat) } != 0 || stat.st_mode & libc::S_IFMT != libc::S_IFREG {
                continue;
            }
            let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
            let (jail, ours) = if fd == 0 { (read, write) } else { (write, read) };
            replaced.push(Replaced { fd, jail, ours });
        }
        Ok(Relay { replaced, terminal })
    }

    /// In the jail's init: the pipes take the place of the files and the jail's terminal
    /// that of the caller's (jrun's ends closed). Whether the jail has a terminal, which
    /// the command then makes its controlling one.
    pub fn into_jail(self) -> bool {
        for replaced in self.replaced {
            drop(replaced.ours);
            // SAFETY: dup2 onto a standard descriptor; the result is not close-on-exec.
            unsafe { libc::dup2(replaced.jail.as_raw_fd(), replaced.fd) };
        }
        let Some(terminal) = self.terminal else { return false };
        drop(terminal.master);
        for fd in terminal.fds {
            // SAFETY: as above.
            unsafe { libc::dup2(terminal.slave.as_raw_fd(), fd) };
        }
        true
    }

    /// In jrun after the fork: copies between the files and the pipes in threads.
    pub fn start_copying(self) -> Copying {
        let mut threads = Vec::new();
        for replaced in self.replaced {
            drop(replaced.jail);
            let fd = replaced.fd;
            let ours = replaced.ours;
            let thread = std::thread::spawn(move || {
                // A jail that stops reading must not kill jrun with SIGPIPE: here the write
                // fails with EPIPE instead, and the signal stays with this thread.
                block_sigpipe();
                // SAFETY: borrowed for the copy only; ManuallyDrop keeps jrun's 0/1/2 open.
                let file = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
                let pipe = File::from(ours);
                let _ = if fd == 0 {
                    io::copy(&mut &*file, &mut &pipe)
                } else {
                    io::copy(&mut &pipe, &mut &*file)
                };
            });
            threads.push((fd, thread));
        }
        let mut saved = None;
        if let Some(terminal) = self.terminal {
            drop(terminal.slave);
            saved = relay_terminal(terminal.master, &mut threads);
        }
        Copying { threads, saved }
    }
}

/// A pseudo-terminal for the jail when stdin and stdout are terminals, sized as the
/// caller's and with its settings.
fn open_terminal() -> io::Result<Option<Terminal>> {
    // SAFETY: isatty only looks at descriptor numbers.
    let is_tty = |fd| unsafe { libc::isatty(fd) } == 1;
    if !is_tty(0) || !is_tty(1) {
        return Ok(None);
    }
    let settings = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
    let pty = nix::pty::openpty(window_size(0).as_ref(), settings.as_ref())?;
    nix::fcntl::fcntl(&pty.master, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC))?;
    nix::fcntl::fcntl(&pty.slave, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC))?;
    let fds = (0..3).filter(|&fd| is_tty(fd)).collect();
    Ok(Some(Terminal { master: pty.master, slave: pty.slave, fds }))
}

fn window_size(fd: i32) -> Option<nix::pty::Winsize> {
    // SAFETY: Winsize is plain old data; TIOCGWINSZ writes it.
    let mut size: nix::pty::Winsize = unsafe { std::mem::zeroed() };
    (unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0).then_some(size)
}

/// Raw mode on the caller's terminal, the two copies, and window sizes passed on; returns
/// the settings to put back.
fn relay_terminal(
    master: OwnedFd,
    threads: &mut Vec<(i32, JoinHandle<()>)>,
) -> Option<nix::sys::termios::Termios> {
    let saved = nix::sys::termios::tcgetattr(std::io::stdin()).ok();
    if let Some(settings) = &saved {
        let mut raw = settings.clone();
        nix::sys::termios::cfmakeraw(&mut raw);
        let _ = nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, &raw);
    }
    crate::signals::pass_window_size(master.as_raw_fd());
    let master = std::sync::Arc::new(File::from(master));
    let input = std::sync::Arc::clone(&master);
    threads.push((
        0,
        std::thread::spawn(move || {
            block_sigpipe();
            // SAFETY: borrowed for the copy only; ManuallyDrop keeps jrun's stdin open.
            let stdin = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
            let _ = io::copy(&mut &*stdin, &mut &*input);
        }),
    ));
    threads.push((
        1,
        std::thread::spawn(move || {
            block_sigpipe();
            // SAFETY: as above, for stdout.
            let stdout = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
            // Ends with EIO once every process of the jail has closed the terminal.
            let _ = io::copy(&mut &*master, &mut &*stdout);
        }),
    ));
    saved
}

fn block_sigpipe() {
    let mut set = nix::sys::signal::SigSet::empty();
    set.add(nix::sys::signal::Signal::SIGPIPE);
    let _ = set.thread_block();
}

impl Drop for Copying {
    /// The caller's terminal as it was, whatever happened.
    fn drop(&mut self) {
        if let Some(settings) = self.saved.take() {
            crate::signals::pass_window_size(-1);
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSADRAIN,
                &settings,
            );
        }
    }
}

impl Copying {
    /// Once the jail has ended: waits for the output copies to drain (their pipes are at
    /// end-of-file now); an input copy still blocked on a full pipe is left behind.
    pub fn finish(mut self) {
        for (fd, thread) in std::mem::take(&mut self.threads) {
            if fd != 0 {
                let _ = thread.join();
            }
        }
    }
}
