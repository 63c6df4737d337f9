//! The exit-status policy of every jtools binary, in one place.
//!
//! - 0: the job was done and the answer is positive.
//! - 1: a negative answer: a digest did not match, verification failed, metadata is invalid.
//! - 2: the job could not be done: usage, I/O, corrupt input, network.
//!
//! Errors are printed as one line, `tool: what: why`, where the chain of causes supplies the
//! `what` and the `why` (each layer adds the thing it was working on). A broken pipe on
//! stdout is not an error: the reader went away, so the tool ends quietly with status 0, as
//! ripgrep does. jrun passes its command's status through with [`Status::Code`].
//!
//! This module does not parse arguments or print anything but the final error line.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::process::ExitCode;

/// How a tool's run ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit 0: done, positive answer.
    Success,
    /// Exit 1: done, negative answer (mismatch, verification failed, invalid metadata).
    Negative,
    /// Exit 2: some items failed (already reported one by one) but the tool went on.
    Failure,
    /// A status passed through from a child process (jrun).
    Code(u8),
}

impl Status {
    /// The process exit code for this status.
    pub fn code(self) -> u8 {
        match self {
            Status::Success => 0,
            Status::Negative => 1,
            Status::Failure => 2,
            Status::Code(c) => c,
        }
    }

    /// Combines two outcomes: the worse one wins (Failure over Negative over Success).
    pub fn worst(self, other: Status) -> Status {
        if self.code() >= other.code() { self } else { other }
    }
}

/// An error that must end the tool with a specific status instead of 2, for example a
/// digest mismatch found in the middle of a stream (status 1). Put it anywhere in an error
/// chain; [`finish`] finds it.
#[derive(Debug)]
pub struct StatusError {
    /// The status to exit with.
    pub status: Status,
    /// The message (the `what: why` part).
    pub message: String,
}

impl StatusError {
    /// A negative answer (exit 1) with this message.
    pub fn negative(message: impl Into<String>) -> Self {
        StatusError { status: Status::Negative, message: message.into() }
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for StatusError {}

/// Turns a tool's result into its exit code, printing `tool: message` for an error.
pub fn finish<E>(tool: &str, result: Result<Status, E>) -> ExitCode
where
    E: AsRef<dyn StdError + Send + Sync + 'static>,
{
    match result {
        Ok(status) => ExitCode::from(status.code()),
        Err(err) => {
            let err = err.as_ref();
            if is_broken_pipe(err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{tool}: {}", message(err));
            ExitCode::from(status_of(err).code())
        }
    }
}

/// The status an error asks for: the first [`StatusError`] in its chain, otherwise 2.
pub fn status_of(err: &(dyn StdError + 'static)) -> Status {
    chain(err).find_map(|e| e.downcast_ref::<StatusError>().map(|s| s.status)).unwrap_or(Status::Failure)
}

/// Whether the error (anywhere in its chain) is a broken pipe.
pub fn is_broken_pipe(err: &(dyn StdError + 'static)) -> bool {
    chain(err).any(|e| e.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// The one-line message for an error chain: each cause's text joined with `: `, with the
/// `(os error N)` suffix std adds to I/O errors removed and newlines folded to spaces.
pub fn message(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = clean(&e.to_string());
        // anyhow-style wrappers repeat their source's text; keep each piece once.
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn clean(text: &str) -> String {
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    text.replace(['\n', '\r'], " ")
}

fn chain<'a>(err: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(&'static str, Box<dyn StdError + Send + Sync>);
    impl fmt::Display for Wrap {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Wrap {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.1)
        }
    }

    #[test]
    fn message_joins_chain_and_drops_os_error_suffix() {
        let io = io::Error::from_raw_os_error(libc::ENOENT);
        let err = Wrap("img.xz", Box::new(io));
        assert_eq!(message(&err), "img.xz: No such file or directory");
        assert_eq!(status_of(&err), Status::Failure);
    }

    #[test]
    fn status_error_sets_the_status() {
        let err = Wrap("img.xz", Box::new(StatusError::negative("digest mismatch")));
        assert_eq!(status_of(&err), Status::Negative);
        assert_eq!(message(&err), "img.xz: digest mismatch");
    }

    #[test]
    fn broken_pipe_is_found_in_chain() {
        let err = Wrap("stdout", Box::new(io::Error::from(io::ErrorKind::BrokenPipe)));
        assert!(is_broken_pipe(&err));
    }

    #[test]
    fn worst_status_wins() {
        assert_eq!(Status::Success.worst(Status::Negative), Status::Negative);
        assert_eq!(Status::Failure.worst(Status::Negative), Status::Failure);
    }
}
