//! `jsnap recv --dir` and `send --dir` against the reference tars: libarchive's own test
//! archives (the conformance corpus, each extracted by `bsdtar -xpf` and by us, trees
//! compared), archives GNU tar, bsdtar and python's tarfile write here, round trips of
//! trees holding capabilities, ACLs, xattrs with every byte value, sparse files and long
//! names.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::jsnap;
use common::tree::{differences, snapshot};

fn corpus() -> PathBuf {
    common::shared_dir().join("corpus/conformance/tar")
}

/// The decompressed bytes of a corpus file, by the reference decompressor for its suffix
/// (`xz` reads .xz, .lzma and .lz); `None` when the decompressor refuses it (those rows
/// test the codec, which is jpack's conformance, not the tar reader).
fn decompressed(path: &Path) -> Option<Vec<u8>> {
    let name = path.file_name().unwrap().to_str().unwrap();
    let program: &[&str] = if name.ends_with(".tar") {
        return Some(fs::read(path).unwrap());
    } else if name.ends_with(".tbz") {
        &["bzip2", "-dc"]
    } else if name.ends_with(".tgz") || name.ends_with(".Z") {
        &["gzip", "-dc"]
    } else if name.ends_with(".txz") || name.ends_with(".tlz") {
        &["xz", "-dc"]
    } else if name.ends_with(".lz4") {
        &["lz4", "-dc"]
    } else if name.ends_with(".zst") {
        &["zstd", "-dc"]
    } else if name.ends_with(".lzo") {
        &["lzop", "-dc"]
    } else {
        panic!("{name}: unknown suffix");
    };
    let out = Command::new(program[0]).args(&program[1..]).arg(path).output().unwrap();
    out.status.success().then_some(out.stdout)
}

struct Outcome {
    ok: bool,
    stderr: String,
}

fn bsdtar_extract(archive: &Path, into: &Path) -> Outcome {
    fs::create_dir(into).unwrap();
    let out = Command::new("bsdtar")
        .args(["--numeric-owner", "-xpf"])
        .arg(archive)
        .current_dir(into)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    Outcome { ok: out.status.success(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

fn jsnap_extract(archive: &Path, into: &Path) -> Outcome {
    let run = jsnap().args(["recv", "--dir"]).arg(into).stdin_file(archive).run();
    Outcome { ok: run.code == Some(0), stderr: run.stderr }
}

/// The member names bsdtar lists, as the tree snapshot names them (`./a/b`).
fn members(archive: &Path) -> BTreeSet<Vec<u8>> {
    let out = Command::new("bsdtar").arg("-tf").arg(archive).env("LC_ALL", "C.UTF-8").output().unwrap();
    out.stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = l.strip_prefix(b"./").unwrap_or(l);
            let l = l.strip_suffix(b"/").unwrap_or(l);
            [&b"./"[..], l].concat()
        })
        .collect()
}

/// Directories the archive does not list are made by the extractor at its own time: their
/// mtimes are not compared.
fn without_implicit_times(
    mut tree: BTreeMap<Vec<u8>, common::tree::Member>,
    listed: &BTreeSet<Vec<u8>>,
) -> BTreeMap<Vec<u8>, common::tree::Member> {
    for (name, member) in tree.iter_mut() {
        if member.kind == "dir" && !listed.contains(name) {
            member.mtime = (0, 0);
        }
    }
    tree
}

#[test]
fn conformance_corpus_extracts_like_bsdtar() {
    for program in ["bsdtar", "bzip2", "gzip", "xz", "lz4", "zstd", "lzop"] {
        if !common::have(program, "conformance_corpus_extracts_like_bsdtar") {
            return;
        }
    }
    let table = fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    let work = common::tempdir();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, row) in table.lines().skip(1).enumerate() {
        let file = row.split('\t').next().unwrap();
        let Some(bytes) = decompressed(&corpus().join(file)) else { continue };
        let archive = work.path().join(format!("{i}.tar"));
        fs::write(&archive, &bytes).unwrap();
        let theirs = work.path().join(format!("{i}.bsdtar"));
        let ours = work.path().join(format!("{i}.jsnap"));
        let reference = bsdtar_extract(&archive, &theirs);
        let result = jsnap_extract(&archive, &ours);
        compared += 1;
        match (reference.ok, result.ok) {
            (true, true) => {
                let listed = members(&archive);
                let diff = differences(
                    &without_implicit_times(snapshot(&theirs), &listed),
                    &without_implicit_times(snapshot(&ours), &listed),
                );
                if !diff.is_empty() {
                    failures.push(format!("{file}: trees differ:\n    {}", diff.join("\n    ")));
                }
            }
            (false, false) => {
                if ours.symlink_metadata().is_ok() {
                    failures.push(format!("{file}: refused, but the target was left behind"));
                }
                let lines = result.stderr.lines().count();
                if lines != 1 {
                    failures.push(format!("{file}: refusal is {lines} lines: {}", result.stderr));
                }
            }
            (true, false) => {
                failures.push(format!("{file}: bsdtar extracts it, jsnap: {}", result.stderr.trim()))
            }
            (false, true) => failures
                .push(format!("{file}: bsdtar refuses it ({}), jsnap extracts it", reference.stderr.trim())),
        }
    }
    assert!(compared > 60, "only {compared} archives compared");
    assert!(failures.is_empty(), "{} of {compared} archives:\n{}", failures.len(), failures.join("\n"));
}
