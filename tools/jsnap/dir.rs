//! The directory subcommands: `send --dir` (deterministic tar to stdout) and `recv --dir`
//! (safe extraction from stdin), over jcore::tree.

use std::io::{BufReader, IsTerminal, Write};
use std::path::Path;

use anyhow::{Result, bail};
use jcore::Status;
use jcore::io::{AtomicDir, BUFFER_SIZE, Input, Output};
use jcore::tree::{self, ArchiveOptions, ExtractOptions, ExtractSummary};

use crate::plan::{DirRecv, DirSend};

pub fn send(dir: &Path, args: &DirSend) -> Result<Status> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let mut out = Output::create(None, true, args.force)?;
    let options = ArchiveOptions {
        exclude: args.exclude.clone(),
        owner_names: args.owner_names,
        one_file_system: args.one_file_system,
    };
    let summary = match &args.base {
        Some(base) => {
            if !args.targets.is_empty() {
                bail!("--base: MEMBER arguments are not taken (a layer is of the whole tree)");
            }
            if !base.is_dir() {
                bail!("{}: not a directory", base.display());
            }
            tree::archive_changes(dir, base, &options, &mut out)?
        }
        None => tree::archive(dir, &args.targets, &options, &mut out)?,
    };
    out.commit()?;
    for (name, why) in &summary.skipped {
        eprintln!("jsnap: {name}: {why}");
    }
    Ok(Status::Success)
}

/// Extracts into DIR. A DIR that does not exist yet is built under a temporary name beside
/// it and renamed into place only when the whole stream extracted cleanly, so a truncated
/// or corrupt stream, a refused member or a signal leaves nothing behind. An existing DIR
/// is extracted into in place, as tar does (a refused member is reported and the rest
/// extracted).
pub fn recv(dir: &Path, args: &DirRecv) -> Result<Status> {
    if !args.layers.is_empty() {
        return crate::layers::recv(dir, args);
    }
    if std::io::stdin().is_terminal() {
        bail!("{}: refusing to read a tar stream from a terminal", dir.display());
    }
    if dir.symlink_metadata().is_ok() {
        if !dir.is_dir() {
            bail!("{}: not a directory", dir.display());
        }
        return extract_into(dir, args);
    }
    let staging = AtomicDir::create(dir)?;
    let mut refused = Vec::new();
    let summary =
        extract(staging.path(), args, true, &mut |name, why| refused.push(format!("{name}: {why}")))?;
    if summary.problems == 0 {
        staging.commit()?;
        warn(&summary, args.json);
        return Ok(Status::Success);
    }
    // One line for the whole refusal: the first problem and how many more.
    let first = refused.first().map_or("members could not be extracted", String::as_str);
    let more = match refused.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    bail!("{}: not created: {first}{more}", dir.display())
}

fn extract_into(dir: &Path, args: &DirRecv) -> Result<Status> {
    let stderr = std::io::stderr();
    let summary = extract(dir, args, false, &mut |name, why| {
        let _ = writeln!(stderr.lock(), "jsnap: {name}: {why}");
    })?;
    warn(&summary, args.json);
    Ok(if summary.problems > 0 { Status::Failure } else { Status::Success })
}

/// What was kept only in part (flags or xattrs this system has no place for, libarchive's
/// warnings), as bsdtar reports it: on stderr, without failing; with --json, as a record on
/// stdout.
pub fn warn(summary: &ExtractSummary, json: bool) {
    if json {
        let record = serde_json::json!({
            "extracted": summary.extracted,
            "problems": summary.problems,
            "kept_in_part": summary.warnings,
        });
        println!("{record}");
        return;
    }
    let stderr = std::io::stderr();
    for line in &summary.warnings {
        let _ = writeln!(stderr.lock(), "jsnap: warning: {line}");
    }
}

fn extract(
    dir: &Path,
    args: &DirRecv,
    new_directory: bool,
    report: &mut dyn FnMut(&str, &str),
) -> Result<ExtractSummary> {
    let mut options = ExtractOptions { devices: args.devices, new_directory, ..ExtractOptions::default() };
    if args.no_owners {
        options.owners = false;
    }
    let input = BufReader::with_capacity(BUFFER_SIZE, Input::open(None)?);
    Ok(tree::extract(input, dir, &options, report)?)
}
