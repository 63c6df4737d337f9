//! Plain hashing: one digest line (or JSON record) per input and algorithm.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use jcore::Status;
use jcore::digest::{Algorithm, Digest};
use jcore::format::sumfile::{self, Style};
use jcore::io::{Error, Input, Output};

use crate::plan::Printing;

pub fn run(
    algorithms: &[Algorithm],
    files: &[std::path::PathBuf],
    printing: &Printing,
    output: Option<&Path>,
) -> anyhow::Result<Status> {
    let mut out = Output::create(output, false, false)?;
    let inputs: Vec<Option<&Path>> =
        if files.is_empty() { vec![None] } else { files.iter().map(|f| Some(f.as_path())).collect() };
    let mut status = Status::Success;
    for path in inputs {
        match hash_path(path, algorithms) {
            Ok((digests, size)) => {
                let name = display_name(path, printing.label.as_deref());
                let record = format_record(printing, &digests, &name, size);
                out.write_all(&record).map_err(|e| Error::new(out.name(), e))?;
            }
            Err(err) => {
                eprintln!("jsum: {}", jcore::exit::message(&err));
                status = Status::Failure;
            }
        }
    }
    if status == Status::Failure && output.is_some() {
        // An -o file missing some inputs would mislead a later `jsum -c`: keep the old one.
        anyhow::bail!("{}: not written because an input could not be read", out.name());
    }
    out.commit()?;
    Ok(status)
}

/// The name printed for an input: the path as given, or the label (default `-`) for stdin.
pub fn display_name(path: Option<&Path>, label: Option<&str>) -> Vec<u8> {
    if jcore::io::is_std(path) {
        return label.unwrap_or("-").as_bytes().to_vec();
    }
    path.expect("not stdin").as_os_str().as_bytes().to_vec()
}

/// Hashes one input (a path, or stdin for `None`/`-`) with every algorithm in one pass;
/// returns the digests in the order given and the number of bytes.
pub fn hash_path(path: Option<&Path>, algorithms: &[Algorithm]) -> Result<(Vec<Digest>, u64), Error> {
    let mut input = Input::open(path)?;
    let name = input.name().to_string();
    let hashed = match (input.file(), path) {
        (Some(file), Some(path)) => jcore::digest::hash_open_file(file, path, algorithms),
        _ => jcore::digest::hash_reader(&mut input, algorithms),
    };
    let (digests, size) = hashed.map_err(|e| Error::new(&name, e))?;
    Ok((order_like(algorithms, digests), size))
}

/// MultiHasher drops duplicate algorithms; give back one digest per requested algorithm.
pub fn order_like(algorithms: &[Algorithm], digests: Vec<Digest>) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::new();
    for a in algorithms {
        if out.iter().any(|d| d.algorithm == *a) {
            continue;
        }
        if let Some(d) = digests.iter().find(|d| d.algorithm == *a) {
            out.push(d.clone());
        }
    }
    out
}

/// The lines (or the JSON record) for one input.
pub fn format_record(printing: &Printing, digests: &[Digest], name: &[u8], size: u64) -> Vec<u8> {
    if printing.json {
        let mut map = serde_json::Map::new();
        map.insert("name".into(), String::from_utf8_lossy(name).into_owned().into());
        map.insert("size".into(), size.into());
        for d in digests {
            map.insert(d.algorithm.name().into(), d.to_hex().into());
        }
        let mut line = serde_json::to_vec(&serde_json::Value::Object(map)).expect("JSON of plain values");
        line.push(b'\n');
        return line;
    }
    let style = if printing.style == Style::Gnu && digests.len() > 1 { Style::Bsd } else { printing.style };
    digests.iter().flat_map(|d| sumfile::format_line(style, d.algorithm, &d.to_hex(), name)).collect()
}
