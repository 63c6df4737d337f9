//! Linux: standard input and output that are files reach the jail as pipes.
//!
//! A file descriptor handed to the jail can be reopened through `/proc/self/fd/N`, with the
//! file's own permissions and not the descriptor's: a mode 0444 file given as stdin could
//! be rewritten by root in the jail, and a log file given as stdout read back. Pipes carry
//! the same bytes without the file: jrun copies the file into the pipe (stdin) or the pipe
//! into the file (stdout, stderr) while the jail runs. Terminals, pipes and sockets are
//! passed as they are; `--direct-stdio` passes files too (when a command needs to seek).

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

/// The pipes made for the jail, before the fork.
pub struct Relay {
    replaced: Vec<Replaced>,
}

/// The copies under way in jrun.
pub struct Copying {
    threads: Vec<(i32, JoinHandle<()>)>,
}

impl Relay {
    /// A pipe for each of 0, 1 and 2 that is a regular file (none with `direct`).
    pub fn prepare(direct: bool) -> io::Result<Relay> {
        let mut replaced = Vec::new();
        if direct {
            return Ok(Relay { replaced });
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
        Ok(Relay { replaced })
    }

    /// In the jail's init: the pipes take the place of the files (jrun's ends closed).
    pub fn into_jail(self) {
        for replaced in self.replaced {
            drop(replaced.ours);
            // SAFETY: dup2 onto a standard descriptor; the result is not close-on-exec.
            unsafe { libc::dup2(replaced.jail.as_raw_fd(), replaced.fd) };
        }
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
                let mut set = nix::sys::signal::SigSet::empty();
                set.add(nix::sys::signal::Signal::SIGPIPE);
                let _ = set.thread_block();
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
        Copying { threads }
    }
}

impl Copying {
    /// Once the jail has ended: waits for the output copies to drain (their pipes are at
    /// end-of-file now); an input copy still blocked on a full pipe is left behind.
    pub fn finish(self) {
        for (fd, thread) in self.threads {
            if fd != 0 {
                let _ = thread.join();
            }
        }
    }
}
