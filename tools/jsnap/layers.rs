//! `recv --dir DIR --layer FILE...`: a stack of OCI layers applied onto DIR, the whole
//! stack or nothing.
//!
//! How it stays all-or-nothing: the stack is applied to a tree under a temporary name
//! beside DIR (jcore::io::AtomicDir). A DIR that does not exist yet is that tree renamed
//! into place once every layer applied cleanly. An existing DIR is first copied into it
//! (jsnap's own tar writer into its own extractor, through a pipe: owners, modes, xattrs,
//! ACLs, flags, hard links and holes kept), the layers applied to the copy, and the copy
//! swapped with DIR in one renameat2(RENAME_EXCHANGE) on Linux (elsewhere two renames, with
//! a moment in which DIR is absent); the old tree is then removed. A file system mounted
//! under DIR is refused before anything is swapped: the removal of the old tree would
//! otherwise reach into it. Any refused member, corrupt or truncated layer, or signal
//! leaves DIR as it was (absent if it was).

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use jcore::Status;
use jcore::codec::Decoder;
use jcore::io::{AtomicDir, BUFFER_SIZE};
use jcore::tree::{self, ArchiveOptions, ExtractOptions, ExtractSummary};

use crate::plan::DirRecv;

pub fn recv(dir: &Path, args: &DirRecv) -> Result<Status> {
    let from_stdin = |layer: &Path| layer.as_os_str() == "-";
    match args.layers.iter().filter(|layer| from_stdin(layer)).count() {
        0 => {}
        1 if std::io::stdin().is_terminal() => bail!("-: refusing to read a layer from a terminal"),
        1 => {}
        _ => bail!("--layer -: stdin can be read once"),
    }
    // Every layer is opened first: a missing one fails before anything is built.
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    for layer in &args.layers {
        let name = layer.display().to_string();
        let input: Box<dyn Read> = if from_stdin(layer) {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(File::open(layer).with_context(|| name.clone())?)
        };
        inputs.push((name, input));
    }
    let exists = match dir.symlink_metadata() {
        Ok(meta) if meta.is_dir() => true,
        Ok(meta) if meta.file_type().is_symlink() => {
            bail!("{}: is a symlink (give the directory itself)", dir.display())
        }
        Ok(_) => bail!("{}: not a directory", dir.display()),
        Err(_) => false,
    };
    let what = if exists { "not changed" } else { "not created" };
    let staging = AtomicDir::create(dir)?;
    let mut total = ExtractSummary::default();
    if exists {
        copy_tree(dir, staging.path(), args, &mut total)
            .map_err(|e| anyhow!("{}: {what}: {e}", dir.display()))?;
    }
    for (i, (name, input)) in inputs.into_iter().enumerate() {
        let summary = apply(input, staging.path(), args, i == 0 && !exists)
            .map_err(|e| anyhow!("{}: {what}: {name}: {e}", dir.display()))?;
        total.extracted += summary.extracted;
        total.warnings.extend(summary.warnings);
    }
    if exists {
        swap(staging.path(), dir)
            .map_err(|e| anyhow!("{}: {what}: swapping in the new tree: {e}", dir.display()))?;
        // The temporary name now holds the old tree: dropping it removes it.
        drop(staging);
    } else {
        staging.commit()?;
    }
    crate::dir::warn(&total, args.json);
    Ok(Status::Success)
}

/// Applies one layer (compressed or not) to `root`; the first refusal fails it.
fn apply(input: Box<dyn Read>, root: &Path, args: &DirRecv, new_directory: bool) -> Result<ExtractSummary> {
    let mut decoder = Decoder::pass_through(BufReader::with_capacity(BUFFER_SIZE, input))?;
    let mut options =
        ExtractOptions { devices: args.devices, new_directory, layer: true, ..Default::default() };
    if args.no_owners {
        options.owners = false;
    }
    let mut refused = Vec::new();
    let summary =
        tree::extract(&mut decoder, root, &options, &mut |name, why| refused.push(format!("{name}: {why}")))?;
    if summary.problems > 0 {
        bail!("{}", first_of(&refused))
    }
    // The tar ends before the compressed stream does (its check value, padding): read on
    // to the end, so that a corrupt stream is caught by its checksum even when the damage
    // hides in file data.
    std::io::copy(&mut decoder, &mut std::io::sink())?;
    Ok(summary)
}

/// The first problem and how many more, on one line.
fn first_of(problems: &[String]) -> String {
    let first = problems.first().map_or("members could not be extracted", String::as_str);
    match problems.len() {
        0 | 1 => first.to_string(),
        n => format!("{first} (and {} more)", n - 1),
    }
}

/// Copies the tree `from` into the empty directory `to`: jsnap's tar writer on a thread,
/// its extractor here, a pipe between them.
fn copy_tree(from: &Path, to: &Path, args: &DirRecv, total: &mut ExtractSummary) -> Result<()> {
    let (reader, writer) = std::io::pipe()?;
    let source = from.to_path_buf();
    let sender = std::thread::spawn(move || {
        let options = ArchiveOptions { one_file_system: true, ..Default::default() };
        let mut out = BufWriter::with_capacity(BUFFER_SIZE, writer);
        let summary = tree::archive(&source, &[], &options, &mut out)?;
        out.flush().map_err(|e| jcore::io::Error::new("pipe", e))?;
        Ok::<_, jcore::io::Error>(summary)
    });
    let mut options = ExtractOptions { devices: args.devices, ..Default::default() };
    if args.no_owners {
        options.owners = false;
    }
    let mut refused = Vec::new();
    let extracted =
        tree::extract(BufReader::with_capacity(BUFFER_SIZE, reader), to, &options, &mut |name, why| {
            refused.push(format!("{name}: {why}"))
        });
    let sent = sender.join().map_err(|_| anyhow!("copying the tree: the writer thread panicked"))?;
    let sent = sent?;
    let extracted = extracted?;
    if let Some((name, _)) = sent.skipped.iter().find(|(_, why)| why.starts_with("mount point")) {
        bail!("a file system is mounted at {name} (unmount it first)");
    }
    if extracted.problems > 0 {
        bail!("copying the tree: {}", first_of(&refused));
    }
    for (name, why) in sent.skipped {
        total.warnings.push(format!("{name}: {why}"));
    }
    total.warnings.extend(extracted.warnings);
    Ok(())
}

/// Puts the tree at `new` in the place of `target`, and the old tree at `new`.
#[cfg(target_os = "linux")]
fn swap(new: &Path, target: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    Ok(renameat_with(CWD, new, CWD, target, RenameFlags::EXCHANGE)?)
}

/// Without an exchanging rename: the old tree aside, the new one in, the old one to `new`.
#[cfg(not(target_os = "linux"))]
fn swap(new: &Path, target: &Path) -> std::io::Result<()> {
    let mut aside = new.as_os_str().to_owned();
    aside.push(".old");
    std::fs::rename(target, &aside)?;
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(e);
    }
    std::fs::rename(&aside, new)
}
