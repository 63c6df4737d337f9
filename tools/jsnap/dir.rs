//! The directory subcommands: `send --dir` (deterministic tar to stdout) and `recv --dir`
//! (safe extraction from stdin), over jcore::tree.

use std::io::{BufReader, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use jcore::Status;
use jcore::io::{BUFFER_SIZE, Input, Output};
use jcore::tree::{self, ArchiveOptions, ExtractOptions};

use crate::cli::{RecvArgs, SendArgs};

pub fn send(dir: &Path, args: &SendArgs) -> Result<Status> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let mut out = Output::create(None, true, args.force)?;
    let options = ArchiveOptions { exclude: args.exclude.clone(), owner_names: args.owner_names };
    let summary = tree::archive(dir, &args.targets, &options, &mut out)?;
    out.commit()?;
    for (name, why) in &summary.skipped {
        eprintln!("jsnap: {name}: {why}");
    }
    Ok(Status::Success)
}

pub fn recv(dir: &Path, args: &RecvArgs) -> Result<Status> {
    if std::io::stdin().is_terminal() {
        bail!("{}: refusing to read a tar stream from a terminal", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let mut options = ExtractOptions { devices: args.devices, ..ExtractOptions::default() };
    if args.no_owners {
        options.owners = false;
    }
    let input = BufReader::with_capacity(BUFFER_SIZE, Input::open(None)?);
    let stderr = std::io::stderr();
    let mut report = |name: &str, why: &str| {
        let _ = writeln!(stderr.lock(), "jsnap: {name}: {why}");
    };
    let summary = tree::extract(input, dir, &options, &mut report)?;
    Ok(if summary.problems > 0 { Status::Failure } else { Status::Success })
}
