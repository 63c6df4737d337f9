//! The transfer: sources tried in turn, retries with backoff, resume with Range on the same
//! or the next source, and verification while the bytes go by.
//!
//! The invariant everything relies on: `written` bytes have been delivered to the sink and
//! fed to the hasher, and they are bytes 0..written of the file. Whatever source or attempt
//! comes next is asked for the file from `written` on; the digest at the end proves that
//! the pieces belong together. When they do not, the file output starts over (the bytes from
//! an earlier run or another mirror may be the bad ones), while stdout cannot take back what
//! it sent and the mismatch is final. Resuming on the source byte 0 came from sends
//! If-Range with that response's ETag (or Last-Modified): a file replaced on the server in
//! between comes back whole and replaces what is held, instead of being spliced onto it.
//!
//! Failure classes:
//! - transient (refused, reset, timeout, 5xx, a body cut short): retried on the same source
//!   with exponential backoff, up to `retries` times, then the next source resumes;
//! - permanent (4xx, TLS, a missing file): the next source at once;
//! - wrong content (digest, size or `--sig` signature mismatch): the next source, from byte 0;
//! - fatal (the output cannot be written): the end.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;
use indicatif::ProgressBar;
use jcore::digest::{Algorithm, Digest, Expected, MultiHasher, StreamError};
use jcore::exit::StatusError;
use jcore::io::AtomicFile;
use jcore::sign::Verifier;

use crate::common;
use crate::signature::{Checked, FileCheckError, ImageSignature};
use crate::source::{Access, Body, OpenError, Source, describe_io};

/// What to fetch and how hard to try.
pub struct Plan {
    /// Sources, in the order they are tried.
    pub sources: Vec<Source>,
    /// The digest the file must have.
    pub expected: Option<Expected>,
    /// The size the file must have.
    pub size: Option<u64>,
    /// Extra attempts per source after a transient failure.
    pub retries: u32,
    /// The longest pause a server's Retry-After is granted, and the most time spent
    /// pausing on one source.
    pub retry_max_time: Duration,
    /// No warnings, no progress bar.
    pub quiet: bool,
}

impl Plan {
    /// The algorithms hashed while streaming: the expected digest's, else none (no hashing
    /// on the hot path when nothing is to be verified).
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.expected.iter().map(|e| e.algorithm).collect()
    }
}

/// What happened, for the `--json` record.
#[derive(Default)]
pub struct Report {
    /// The source that delivered the verified file.
    pub source: Option<String>,
    /// Bytes of the file delivered (including those resumed from an earlier .part).
    pub bytes: u64,
    /// Bytes taken over from an OUT.part of an earlier run.
    pub resumed: u64,
    /// The digest of the delivered file.
    pub digest: Option<Digest>,
    /// One entry per source tried.
    pub sources: Vec<SourceReport>,
    /// The `--sig` signature the delivered file verified against.
    pub signature: Option<Checked>,
}

/// How one source fared.
pub struct SourceReport {
    /// The source as given.
    pub source: String,
    /// Requests made to it.
    pub attempts: u32,
    /// Why it was left, when it was.
    pub error: Option<String>,
}

/// Where the bytes go: stdout, a file (OUT.part, or the cache copy of a stdout stream), or
/// both. Every write goes entirely to each, so both always hold the same bytes. The file is
/// jcore's atomic file: committed (fsync, rename, directory fsync) by the caller.
pub struct Sink {
    stdout: bool,
    file: Option<AtomicFile>,
}

impl Sink {
    /// Stdout, plus an optional file receiving a copy.
    pub fn stdout(copy: Option<AtomicFile>) -> Sink {
        Sink { stdout: true, file: copy }
    }

    /// A file only.
    pub fn file(file: AtomicFile) -> Sink {
        Sink { stdout: false, file: Some(file) }
    }

    /// The file, once the transfer is over.
    pub fn into_file(self) -> Option<AtomicFile> {
        self.file
    }

    fn name(&self) -> String {
        match &self.file {
            Some(file) if !self.stdout => file.temp_path().display().to_string(),
            _ => "stdout".into(),
        }
    }

    /// Whether what was written can be taken back (nothing has reached stdout).
    fn can_rewind(&self, written: u64) -> bool {
        !self.stdout || written == 0
    }

    fn rewind(&mut self) -> io::Result<()> {
        if let Some(atomic) = &mut self.file {
            let file = atomic.file()?;
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
        }
        Ok(())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.stdout {
            jcore::io::RawStdout.write_all(buf)?;
        }
        if let Some(file) = &mut self.file {
            file.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

/// How one source fared, when the transfer goes on.
enum Outcome {
    /// It delivered the file, verified (the digest when one was asked for).
    Verified(Option<Digest>),
    /// It was left: why, and whether because its content was wrong.
    Left { reason: String, wrong_content: bool },
}

/// Why an attempt did not deliver the file.
enum Failure {
    /// Retry this source after a pause (the one the server asked for, when it did).
    Transient(anyhow::Error, Option<Duration>),
    /// Move to the next source.
    Permanent(anyhow::Error),
    /// The bytes are wrong (digest, size): start over on the next source.
    Mismatch(String),
    /// This source has another file (its size differs) and sent nothing of it: next source.
    WrongFile(String),
    /// What we hold is longer than the file the source has: start over on this source.
    Restart(String),
    /// The output failed: stop.
    Fatal(anyhow::Error),
}

/// Marks a read that brought more bytes than the expected size.
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("more data than the expected size")
    }
}

impl std::error::Error for TooLong {}

/// Counts bytes for the progress bar and stops a body that outgrows the expected size.
struct Guard<'a> {
    inner: Box<dyn Read>,
    remaining: Option<u64>,
    bar: &'a ProgressBar,
}

impl Read for Guard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(remaining) = &mut self.remaining {
            if n as u64 > *remaining {
                return Err(io::Error::other(TooLong));
            }
            *remaining -= n as u64;
        }
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// One download in progress.
pub struct Fetcher<'a> {
    plan: &'a Plan,
    access: &'a Access,
    sink: Sink,
    hasher: MultiHasher,
    written: u64,
    /// Some of the bytes held came from an earlier run or another source, so a mismatch
    /// may not be the current source's fault.
    spliced: bool,
    /// The source and validator of the response byte 0 came from in this run, so that
    /// resuming on that source asks for the same version of the file (If-Range).
    origin: Option<(String, String)>,
    /// Where `origin` is kept for a later run (OUT.part.validator), with -o.
    origin_file: Option<PathBuf>,
    bar: Option<ProgressBar>,
    /// `--sig`: the signature the file must verify against.
    signature: Option<&'a ImageSignature>,
    /// Its verification over the bytes held, when it is checked while streaming.
    verifier: Option<Verifier<'a>>,
    /// The signature once verified.
    checked: Option<Checked>,
}

/// The sink and the streaming signature check, fed the same bytes.
struct Tee<'s, 'v> {
    sink: &'s mut Sink,
    verifier: Option<&'s mut Verifier<'v>>,
}

impl Write for Tee<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sink.write_all(buf)?;
        if let Some(verifier) = self.verifier.as_deref_mut() {
            verifier.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }
}

impl<'a> Fetcher<'a> {
    /// A download into `sink`, which already holds `held` bytes of the file (an OUT.part
    /// from an earlier run) that must be hashed first.
    pub fn new(
        plan: &'a Plan,
        access: &'a Access,
        sink: Sink,
        held: Option<&mut File>,
    ) -> io::Result<Fetcher<'a>> {
        let mut hasher = MultiHasher::new(&plan.algorithms());
        let mut written = 0;
        if let Some(file) = held {
            file.seek(SeekFrom::Start(0))?;
            written = hasher.hash_stream(file, None).map_err(|e| match e {
                StreamError::Read(e) | StreamError::Write(e) => e,
            })?;
        }
        Ok(Fetcher {
            plan,
            access,
            sink,
            hasher,
            written,
            spliced: written > 0,
            origin: None,
            origin_file: None,
            bar: None,
            signature: None,
            verifier: None,
            checked: None,
        })
    }

    /// The file must also verify against `signature` (`--sig`). `held` is the file holding
    /// the bytes already held (an OUT.part resumed), which a streaming check reads first.
    pub fn check_signature(
        &mut self,
        signature: &'a ImageSignature,
        held: Option<&mut File>,
    ) -> io::Result<()> {
        self.signature = Some(signature);
        self.verifier = signature.verifier();
        if let (Some(verifier), Some(file), true) = (&mut self.verifier, held, self.written > 0) {
            file.seek(SeekFrom::Start(0))?;
            let copied = io::copy(&mut file.take(self.written), verifier)?;
            file.seek(SeekFrom::End(0))?;
            if copied != self.written {
                return Err(io::Error::other("the partial file shrank while it was read"));
            }
        }
        Ok(())
    }

    /// Tries the sources until one delivers a verified file. On success the sink holds it.
    pub fn run(&mut self, report: &mut Report) -> anyhow::Result<()> {
        report.resumed = self.written;
        let mut mismatch: Option<String> = None;
        let mut last = String::new();
        let count = self.plan.sources.len();
        for (index, source) in self.plan.sources.iter().enumerate() {
            let mut entry = SourceReport { source: source.to_string(), attempts: 0, error: None };
            let outcome = self.try_source(source, &mut entry);
            report.bytes = self.written;
            match outcome {
                Ok(Outcome::Verified(digest)) => {
                    report.sources.push(entry);
                    report.source = Some(source.to_string());
                    report.digest = digest;
                    report.signature = self.checked.take();
                    self.clear_bar();
                    return Ok(());
                }
                Ok(Outcome::Left { reason, wrong_content }) => {
                    if wrong_content && mismatch.is_none() {
                        mismatch = Some(format!("{source}: {reason}"));
                    }
                    if index + 1 < count {
                        self.warn(&format!("{source}: {reason}; trying the next source"));
                    }
                    last = format!("{source}: {reason}");
                    entry.error = Some(reason);
                    report.sources.push(entry);
                }
                Err(err) => {
                    entry.error = Some(describe(&err));
                    report.sources.push(entry);
                    self.clear_bar();
                    return Err(err);
                }
            }
        }
        self.clear_bar();
        // A mirror serving the wrong bytes is a negative answer (exit 1) even when others
        // also had network errors: that is the news the caller must not miss, so it is the
        // one the line names (the last failure follows).
        match mismatch {
            Some(wrong) if count == 1 => Err(StatusError::negative(wrong).into()),
            Some(wrong) if wrong == last => {
                Err(StatusError::negative(format!("all {count} sources failed; wrong content: {wrong}"))
                    .into())
            }
            Some(wrong) => Err(StatusError::negative(format!(
                "all {count} sources failed; wrong content: {wrong}; last: {last}"
            ))
            .into()),
            None if count == 1 => Err(anyhow!(last)),
            None => Err(anyhow!("all {count} sources failed; last: {last}")),
        }
    }

    /// Requests from one source until it delivers, or fails in a way that means leaving it.
    /// An error is the end of the whole transfer (output failed, or stdout got wrong bytes).
    fn try_source(&mut self, source: &Source, entry: &mut SourceReport) -> anyhow::Result<Outcome> {
        if self.written > 0 {
            self.spliced = true;
        }
        let mut failures = 0;
        let mut paused = Duration::ZERO;
        loop {
            entry.attempts += 1;
            let failure = match self.attempt(source).and_then(|()| self.verify()) {
                Ok(digest) => return Ok(Outcome::Verified(digest)),
                Err(failure) => failure,
            };
            let left = |reason: String, wrong_content| Ok(Outcome::Left { reason, wrong_content });
            match failure {
                Failure::Fatal(err) => return Err(err),
                Failure::Permanent(err) => return left(describe(&err), false),
                Failure::WrongFile(reason) => return left(reason, true),
                Failure::Transient(err, asked) => {
                    failures += 1;
                    if failures > self.plan.retries {
                        return left(describe(&err), false);
                    }
                    // Retry-After is honoured, but only up to --retry-max-time in all: a
                    // server asking for an hour is left for the next source.
                    let pause = asked.unwrap_or_else(|| backoff(failures));
                    if asked.is_some() && paused + pause > self.plan.retry_max_time {
                        let max = self.plan.retry_max_time.as_secs_f64();
                        let reason = format!(
                            "{}; it asks to retry in {:.0}s, more than --retry-max-time {max:.0}s allows",
                            describe(&err),
                            pause.as_secs_f64()
                        );
                        return left(reason, false);
                    }
                    paused += pause;
                    let (err, retries, secs) = (describe(&err), self.plan.retries, pause.as_secs_f64());
                    self.warn(&format!("{source}: {err}; retry {failures}/{retries} in {secs:.1}s"));
                    std::thread::sleep(pause);
                }
                Failure::Restart(reason) => {
                    failures += 1;
                    if failures > self.plan.retries || !self.sink.can_rewind(self.written) {
                        return left(reason, false);
                    }
                    self.warn(&format!("{source}: {reason}; starting over"));
                    self.start_over()?;
                }
                Failure::Mismatch(reason) => {
                    if !self.sink.can_rewind(self.written) {
                        return Err(StatusError::negative(format!("{source}: {reason}")).into());
                    }
                    let spliced = self.spliced;
                    self.start_over()?;
                    if !spliced {
                        return left(reason, true);
                    }
                    // The bytes held before this source may be the bad ones: give this
                    // source one clean try before blaming it.
                    self.warn(&format!("{source}: {reason}; starting over from byte 0"));
                }
            }
        }
    }

    fn clear_bar(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Keeps the validator of the bytes held in `path` for a later run, and takes the one
    /// an earlier run left there (`source` and validator, one per line): resuming on that
    /// source then sends If-Range, so a file changed on the server since comes back whole.
    /// Returns whether the held bytes have a validator.
    pub fn remember_origin_in(&mut self, path: PathBuf) -> bool {
        if self.written > 0
            && let Ok(text) = std::fs::read_to_string(&path)
            && let Some((source, validator)) = text.trim_end().split_once('\n')
        {
            self.origin = Some((source.to_string(), validator.to_string()));
        }
        self.origin_file = Some(path);
        self.origin.is_some()
    }

    fn set_origin(&mut self, origin: Option<(String, String)>) {
        if let Some(path) = &self.origin_file {
            let kept = match &origin {
                // Not fatal: without it a later run restarts instead of resuming.
                Some((source, validator)) => jcore::io::AtomicFile::create(path).and_then(|mut f| {
                    f.write_all(format!("{source}\n{validator}\n").as_bytes())
                        .map_err(|e| jcore::io::Error::new(path.display().to_string(), e))?;
                    f.commit()
                }),
                None => {
                    let _ = std::fs::remove_file(path);
                    Ok(())
                }
            };
            if let Err(e) = kept {
                self.warn(&jcore::exit::message(&e));
            }
        }
        self.origin = origin;
    }

    /// Drops the bytes held (a .part nothing can vouch for).
    pub fn discard_held(&mut self) -> Result<(), jcore::io::Error> {
        self.start_over()
    }

    /// The sink, once [`run`](Self::run) is over.
    pub fn into_sink(self) -> Sink {
        self.sink
    }

    /// Bytes held.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn warn(&self, message: &str) {
        if self.plan.quiet {
            return;
        }
        let line = format!("jfetch: {message}");
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn start_over(&mut self) -> Result<(), jcore::io::Error> {
        self.sink.rewind().map_err(|e| jcore::io::Error::new(self.sink.name(), e))?;
        self.hasher = MultiHasher::new(&self.plan.algorithms());
        self.written = 0;
        self.spliced = false;
        self.verifier = self.signature.and_then(ImageSignature::verifier);
        self.set_origin(None);
        if let Some(bar) = &self.bar {
            bar.set_position(0);
        }
        Ok(())
    }

    /// One request: everything from `written` on, appended to the sink.
    fn attempt(&mut self, source: &Source) -> Result<(), Failure> {
        let url = source.to_string();
        let if_range = self.origin.as_ref().filter(|(from, _)| *from == url).map(|(_, v)| v.clone());
        let body = match source.open(self.access, self.written, if_range.as_deref()) {
            Ok(body) => body,
            Err(OpenError::Transient(e, wait)) => return Err(Failure::Transient(e, wait)),
            Err(OpenError::Permanent(e)) => return Err(Failure::Permanent(e)),
            Err(OpenError::RangeNotSatisfiable(total)) => return self.nothing_after(source, total),
        };
        let total = self.check_total(&body)?;
        let Body { mut reader, start, validator, .. } = body;
        if start < self.written && if_range.is_some_and(|held| validator.as_ref() != Some(&held)) {
            // If-Range said no: this is a new version of the file, whole. Keep it, drop ours.
            if !self.sink.can_rewind(self.written) {
                return Err(Failure::Permanent(anyhow!("the file changed on the server")));
            }
            self.warn(&format!("{url}: the file changed on the server; starting over"));
            self.start_over().map_err(|e| Failure::Fatal(e.into()))?;
        }
        if self.written == 0 {
            self.set_origin(validator.map(|v| (url, v)));
        }
        let bar = self.bar.get_or_insert_with(|| common::progress(total, self.plan.quiet));
        if let Some(t) = total {
            bar.set_length(t);
        }
        bar.set_position(self.written);
        if start < self.written {
            // The server ignored Range and sent the file from byte 0: skip what we hold.
            let skip = self.written - start;
            let skipped = io::copy(&mut (&mut reader).take(skip), &mut io::sink())
                .map_err(|e| Failure::Transient(anyhow!("body cut short: {e}"), None))?;
            if skipped < skip {
                return Err(Failure::Transient(anyhow!("body cut short at byte {}", start + skipped), None));
            }
        }
        let remaining = self.plan.size.map(|size| size - self.written);
        let mut guard = Guard { inner: reader, remaining, bar };
        let mut tee = Tee { sink: &mut self.sink, verifier: self.verifier.as_mut() };
        let result = self.hasher.hash_stream(&mut guard, Some(&mut tee));
        self.written = self.hasher.bytes();
        match result {
            Ok(_) => {}
            Err(StreamError::Write(e)) => {
                return Err(Failure::Fatal(jcore::io::Error::new(self.sink.name(), e).into()));
            }
            Err(StreamError::Read(e)) if e.get_ref().is_some_and(|inner| inner.is::<TooLong>()) => {
                return Err(Failure::Mismatch(format!(
                    "more than the expected {} bytes",
                    self.plan.size.unwrap_or(0)
                )));
            }
            Err(StreamError::Read(e)) => {
                let why = describe_io(&e);
                return Err(Failure::Transient(
                    anyhow!("body cut short at byte {}: {why}", self.written),
                    None,
                ));
            }
        }
        match total {
            Some(t) if self.written < t => {
                Err(Failure::Transient(anyhow!("body cut short at byte {} of {t}", self.written), None))
            }
            _ => Ok(()),
        }
    }

    /// The file's size as this source tells it, checked against --size and what we hold.
    fn check_total(&self, body: &Body) -> Result<Option<u64>, Failure> {
        let total = match (self.plan.size, body.total) {
            (Some(want), Some(got)) if want != got => {
                return Err(Failure::WrongFile(format!("the file has {got} bytes, expected {want}")));
            }
            (Some(want), _) => Some(want),
            (None, got) => got,
        };
        if let Some(t) = total
            && t < self.written
        {
            return Err(Failure::Restart(format!(
                "the file has {t} bytes, fewer than the {} held",
                self.written
            )));
        }
        Ok(total)
    }

    /// A 416 (or an offset past a file's end): complete only when we hold exactly the file
    /// as the source states its size (Content-Range, else a HEAD); with no size to be had,
    /// what we hold is not trusted and the download starts over.
    fn nothing_after(&self, source: &Source, total: Option<u64>) -> Result<(), Failure> {
        if self.written == 0 {
            return Err(Failure::Permanent(anyhow!("range not satisfiable for the whole file")));
        }
        let stated = total.or_else(|| source.total(self.access));
        match (stated, self.plan.size) {
            (Some(stated), _) if stated == self.written => Ok(()),
            (Some(stated), _) => {
                Err(Failure::Restart(format!("the file has {stated} bytes, not the {} held", self.written)))
            }
            // A digest (or signature) proves the bytes whatever the server says of their number.
            (None, _) if self.plan.expected.is_some() || self.signature.is_some() => Ok(()),
            (None, _) => Err(Failure::Restart(format!(
                "range from byte {} not satisfiable and the server states no size",
                self.written
            ))),
        }
    }

    /// Size and digest of what the sink holds.
    fn verify(&mut self) -> Result<Option<Digest>, Failure> {
        if let Some(size) = self.plan.size
            && self.written != size
        {
            return Err(Failure::Mismatch(format!("size {} bytes, expected {size}", self.written)));
        }
        let hasher = std::mem::replace(&mut self.hasher, MultiHasher::new(&self.plan.algorithms()));
        let digest = hasher.finish().into_iter().next();
        if let (Some(expected), Some(digest)) = (&self.plan.expected, &digest)
            && !expected.matches(digest)
        {
            return Err(Failure::Mismatch(format!(
                "{} mismatch: got {}, expected {}",
                expected.algorithm,
                digest.to_hex(),
                expected.to_hex()
            )));
        }
        self.check_signed()?;
        Ok(digest)
    }

    /// `--sig`: the streaming check's verdict, or (legacy and signify signatures) the
    /// verification of the whole OUT.part.
    fn check_signed(&mut self) -> Result<(), Failure> {
        let Some(signature) = self.signature else { return Ok(()) };
        let checked = match self.verifier.take() {
            Some(verifier) => signature.finish(verifier),
            None => {
                let name = self.sink.name();
                let part = match &mut self.sink.file {
                    Some(file) if !self.sink.stdout => {
                        file.file().map_err(|e| Failure::Fatal(jcore::io::Error::new(&name, e).into()))?;
                        file.temp_path().to_path_buf()
                    }
                    _ => return Err(Failure::Fatal(anyhow!("{}: needs -o OUT", signature.name))),
                };
                match signature.check_file(&part) {
                    Ok(checked) => Ok(checked),
                    Err(FileCheckError::Bad(why)) => Err(why),
                    Err(FileCheckError::Read(e)) => {
                        return Err(Failure::Fatal(jcore::io::Error::new(name, e).into()));
                    }
                }
            }
        };
        match checked {
            Ok(checked) => {
                self.checked = Some(checked);
                Ok(())
            }
            Err(why) => Err(Failure::Mismatch(why)),
        }
    }
}

/// The one-line text of an error chain.
fn describe(err: &anyhow::Error) -> String {
    jcore::exit::message(err.as_ref())
}

/// The pause before retry `n` (1-based): 0.25 s doubling, at most 8 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis(250u64 << (n - 1).min(5))
}

/// Hashes a whole file: its digest and size.
pub fn hash_file(path: &Path, algorithm: Algorithm) -> io::Result<(Digest, u64)> {
    let (mut digests, n) = jcore::digest::hash_file(path, &[algorithm])?;
    Ok((digests.remove(0), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_secs(1));
        assert_eq!(backoff(30), Duration::from_secs(8));
    }
}
