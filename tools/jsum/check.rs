//! `jsum -c`: verify the files listed in sum files, the way `sha256sum -c` does.
//!
//! Lines may be GNU (`hex  name`), BSD tag (`ALGO (name) = hex`) or b3sum lines, mixed. A
//! tag names the algorithm; an untagged line uses `-a` when exactly one was given, else a
//! hint in the sum file's name (`*.b3`, `B3SUMS`, `*.blake3`, `*.skein256`…, as a whole word
//! of it), else the digest length (40 SHA-1, 64 SHA-256, 128 SHA-512, 256 Skein-1024).
//!
//! Output and warnings follow coreutils: `name: OK`, `name: FAILED`,
//! `name: FAILED open or read`, then `WARNING: N computed checksums did NOT match` and the
//! like. The exit status is 1 when anything failed to verify, 2 when a sum file itself
//! could not be read.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use jcore::Status;
use jcore::digest::Algorithm;
use jcore::format::sumfile::{self, Entry};
use jcore::io::Input;

use crate::compute::hash_path;
use crate::plan::CheckOptions;

#[derive(Default)]
struct Tally {
    proper: u64,
    misformatted: u64,
    unreadable: u64,
    mismatched: u64,
    verified: u64,
}

pub fn run(sum_files: &[PathBuf], options: &CheckOptions) -> anyhow::Result<Status> {
    let inputs: Vec<Option<&Path>> =
        if sum_files.is_empty() { vec![None] } else { sum_files.iter().map(|f| Some(f.as_path())).collect() };
    let mut stdout = std::io::stdout().lock();
    let mut status = Status::Success;
    for path in inputs {
        let file_status = match Input::open(path) {
            Ok(input) => check_sum_file(input, options, &mut stdout)?,
            Err(err) => {
                eprintln!("jsum: {}", jcore::exit::message(&err));
                Status::Failure
            }
        };
        status = status.worst(file_status);
    }
    stdout.flush()?;
    Ok(status)
}

fn check_sum_file(input: Input, options: &CheckOptions, out: &mut dyn Write) -> anyhow::Result<Status> {
    let sum_name = input.name().to_string();
    let reader = BufReader::with_capacity(64 * 1024, input);
    let mut tally = Tally::default();
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| jcore::io::Error::new(&sum_name, e))?;
        let parsed = sumfile::parse_line(&line)
            .and_then(|entry| algorithm_for(&entry, &sum_name, options).map(|a| (entry, a)));
        let Some((entry, algorithm)) = parsed else {
            tally.misformatted += 1;
            if options.warn && !options.status {
                eprintln!("jsum: {sum_name}: {}: improperly formatted checksum line", index + 1);
            }
            continue;
        };
        tally.proper += 1;
        check_entry(&entry, algorithm, options, &mut tally, out)?;
    }
    Ok(summarize(&sum_name, &tally, options))
}

/// The algorithm of an untagged line, or `None` when its length fits no candidate.
fn algorithm_for(entry: &Entry, sum_name: &str, options: &CheckOptions) -> Option<Algorithm> {
    let algorithm = entry
        .algorithm
        .or(options.algorithm)
        .or_else(|| hinted_by_name(sum_name, entry.hex.len()))
        .or_else(|| Algorithm::guess_from_hex_len(entry.hex.len()))?;
    (algorithm.hex_len() == entry.hex.len()).then_some(algorithm)
}

/// `B3SUMS`, `img.b3`, `img.blake3`, `x.skein256`: the file name tells which algorithm
/// wrote digests whose length several algorithms share. The hint must be a whole word of the
/// name (between `.`, `_`, `-`), so `web3.sha256` is no BLAKE3 file.
fn hinted_by_name(sum_name: &str, hex_len: usize) -> Option<Algorithm> {
    let lower = sum_name.rsplit('/').next().unwrap_or(sum_name).to_ascii_lowercase();
    let hints = [
        (&["b3", "b3sum", "b3sums", "blake3", "blake3sum", "blake3sums"][..], Algorithm::Blake3),
        (&["skein256", "skein256sum", "skein256sums"][..], Algorithm::Skein256),
        (&["skein512", "skein512sum", "skein512sums"][..], Algorithm::Skein512),
    ];
    let words: Vec<&str> = lower.split(['.', '_', '-']).collect();
    hints
        .into_iter()
        .find(|(names, algorithm)| algorithm.hex_len() == hex_len && words.iter().any(|w| names.contains(w)))
        .map(|(_, algorithm)| algorithm)
}

fn check_entry(
    entry: &Entry,
    algorithm: Algorithm,
    options: &CheckOptions,
    tally: &mut Tally,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let path = Path::new(OsStr::from_bytes(&entry.name));
    let verdict = match hash_path(Some(path), &[algorithm]) {
        Ok((digests, _)) => {
            tally.verified += 1;
            if digests[0].to_hex().eq_ignore_ascii_case(&entry.hex) {
                "OK"
            } else {
                tally.mismatched += 1;
                "FAILED"
            }
        }
        Err(err) if options.ignore_missing && err.io().kind() == std::io::ErrorKind::NotFound => {
            return Ok(());
        }
        Err(err) => {
            tally.unreadable += 1;
            if !options.status {
                eprintln!("jsum: {}", jcore::exit::message(&err));
            }
            "FAILED open or read"
        }
    };
    if options.status || (verdict == "OK" && options.quiet) {
        return Ok(());
    }
    if options.json {
        let record = serde_json::json!({
            "name": String::from_utf8_lossy(&entry.name),
            "algorithm": algorithm.name(),
            "status": verdict,
        });
        writeln!(out, "{record}")?;
        return Ok(());
    }
    // coreutils escapes a reported name only when it holds a line break (a lone backslash
    // cannot be mistaken for anything in a `name: OK` line).
    if entry.name.iter().any(|b| matches!(b, b'\n' | b'\r')) {
        out.write_all(b"\\")?;
        out.write_all(&sumfile::escape_name(&entry.name).1)?;
    } else {
        out.write_all(&entry.name)?;
    }
    writeln!(out, ": {verdict}")?;
    Ok(())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summarize(sum_name: &str, tally: &Tally, options: &CheckOptions) -> Status {
    if tally.proper == 0 {
        if !options.status {
            eprintln!("jsum: {sum_name}: no properly formatted checksum lines found");
        }
        return Status::Negative;
    }
    if !options.status {
        if tally.misformatted > 0 {
            let what = plural(tally.misformatted, "line is", "lines are");
            eprintln!("jsum: WARNING: {what} improperly formatted");
        }
        if tally.unreadable > 0 {
            let what = plural(tally.unreadable, "listed file", "listed files");
            eprintln!("jsum: WARNING: {what} could not be read");
        }
        if tally.mismatched > 0 {
            let what = plural(tally.mismatched, "computed checksum", "computed checksums");
            eprintln!("jsum: WARNING: {what} did NOT match");
        }
    }
    if options.ignore_missing && tally.verified == 0 {
        if !options.status {
            eprintln!("jsum: {sum_name}: no file was verified");
        }
        return Status::Negative;
    }
    let failed = tally.mismatched > 0 || tally.unreadable > 0 || (options.strict && tally.misformatted > 0);
    if failed { Status::Negative } else { Status::Success }
}
