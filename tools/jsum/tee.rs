//! `--tee` (hash a stream on its way through a pipe) and `--expect` (verify one input).

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;

use jcore::Status;
use jcore::digest::{Algorithm, Digest, Expected, MultiHasher, StreamError};
use jcore::io::{Error, Input, Output, RawStdout};

use crate::common;
use crate::compute::{display_name, format_record, hash_path, order_like};
use crate::plan::Printing;

/// Copies the input to stdout exactly while hashing it. Digest lines go to `output`, or to
/// stderr when there is no `output` and nothing to verify (with `--expect` the verdict is
/// what matters, and stderr stays free for the mismatch message).
pub fn tee(
    algorithms: &[Algorithm],
    expected: &[Expected],
    file: Option<&Path>,
    printing: &Printing,
    output: Option<&Path>,
    force: bool,
) -> anyhow::Result<Status> {
    jcore::io::check_binary_stdout(force)?;
    jcore::io::enlarge_pipe_buffers();
    let input = Input::open(file)?;
    let input_name = input.name().to_string();
    // Create the sums file first: a bad -o path should fail before any data flows.
    let mut sums = output.map(|p| Output::create(Some(p), false, false)).transpose()?;
    let quiet = printing.style == jcore::format::sumfile::Style::Bare;
    let bar = common::progress(input.regular_file_len(), quiet);
    let mut hasher = MultiHasher::new(algorithms);
    let to_error = |e| match e {
        StreamError::Read(e) => Error::new(&input_name, e),
        StreamError::Write(e) => Error::new("stdout", e),
    };
    // Pipe to pipe (stdin, not a FILE): duplicate the pages with tee(2) instead of copying.
    let teed = if input.file().is_none() {
        let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
        hasher.tee_pipes(stdin.as_fd(), stdout.as_fd(), &mut |n| bar.inc(n)).map_err(to_error)?
    } else {
        None
    };
    let size = match teed {
        Some(size) => size,
        None => {
            let mut reader = bar.wrap_read(input);
            hasher.hash_stream(&mut reader, Some(&mut RawStdout)).map_err(to_error)?
        }
    };
    bar.finish_and_clear();
    let digests = order_like(algorithms, hasher.finish());
    let name = display_name(file, printing.label.as_deref());
    let record = format_record(printing, &digests, &name, size);
    if let Some(mut sums) = sums.take() {
        sums.write_all(&record).map_err(|e| Error::new(sums.name(), e))?;
        sums.commit()?;
    } else if expected.is_empty() {
        std::io::stderr().write_all(&record)?;
    }
    let mut status = Status::Success;
    for e in expected {
        if !verify_one(e, &digests) {
            let name = String::from_utf8_lossy(&name);
            let actual = find(&digests, e.algorithm).map(Digest::to_hex).unwrap_or_default();
            eprintln!("jsum: {name}: {} digest mismatch: expected {}, got {actual}", e.algorithm, e.to_hex());
            status = Status::Negative;
        }
    }
    Ok(status)
}

/// Hashes one input and compares it with every expected digest: `name: OK` or
/// `name: FAILED` (`name (ALGO): …` when several digests are expected).
pub fn expect(
    expected: &[Expected],
    file: Option<&Path>,
    quiet: bool,
    json: bool,
    label: Option<&str>,
) -> anyhow::Result<Status> {
    let algorithms: Vec<Algorithm> = expected.iter().map(|e| e.algorithm).collect();
    let (digests, _) = hash_path(file, &algorithms)?;
    let name = String::from_utf8_lossy(&display_name(file, label)).into_owned();
    let mut out = std::io::stdout().lock();
    let mut status = Status::Success;
    for e in expected {
        let ok = verify_one(e, &digests);
        if !ok {
            status = Status::Negative;
        }
        if quiet && ok {
            continue;
        }
        let verdict = if ok { "OK" } else { "FAILED" };
        if json {
            let actual = find(&digests, e.algorithm).map(Digest::to_hex);
            let record = serde_json::json!({
                "name": name, "algorithm": e.algorithm.name(), "expected": e.to_hex(),
                "actual": actual, "status": verdict,
            });
            writeln!(out, "{record}")?;
        } else if expected.len() > 1 {
            writeln!(out, "{name} ({}): {verdict}", e.algorithm)?;
        } else {
            writeln!(out, "{name}: {verdict}")?;
        }
    }
    out.flush()?;
    Ok(status)
}

fn find(digests: &[Digest], algorithm: Algorithm) -> Option<&Digest> {
    digests.iter().find(|d| d.algorithm == algorithm)
}

fn verify_one(expected: &Expected, digests: &[Digest]) -> bool {
    find(digests, expected.algorithm).is_some_and(|d| expected.matches(d))
}
