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

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs a shell script that must succeed.
fn run(script: &str) {
    common::sh(script).run().success();
}

/// A tree holding what a jail image must keep exactly: a file capability, access and default
/// ACLs, an xattr with every byte value (0x0a included), names and a symlink target with a
/// newline and over 100 bytes, sparse files (10 GiB apparent size, and one ending in a
/// hole), sub-second mtimes everywhere.
fn fidelity_tree(src: &Path) {
    fs::create_dir_all(src.join("d_acl")).unwrap();
    let all_bytes: String = (0..=255u8).map(|b| format!("{b:02x}")).collect();
    let long_nl = format!("{}\n{}", "n".repeat(80), "m".repeat(60));
    let target_nl = format!("/{}\n{}", "t".repeat(120), "u".repeat(90));
    fs::write(src.join("f_cap"), b"#!/bin/sh\n").unwrap();
    fs::write(src.join("f_acl"), b"acl\n").unwrap();
    fs::write(src.join("f_bytes"), b"bytes\n").unwrap();
    fs::write(src.join(&long_nl), b"long name with a newline\n").unwrap();
    std::os::unix::fs::symlink(&target_nl, src.join("l_long")).unwrap();
    let d = src.display();
    run(&format!(
        "set -e; cd {d}
         setcap cap_dac_override,cap_net_raw+ep f_cap
         setfacl -m u:1001:r-x,g:1002:rw- f_acl
         setfacl -d -m u:1001:rwx,g::r-x d_acl
         setfattr -n user.all -v 0x{all_bytes} f_bytes
         setfattr -n user.nl -v 0x0a0a410a f_bytes
         truncate -s 10G big.sparse
         printf head | dd of=big.sparse conv=notrunc status=none
         printf middle | dd of=big.sparse bs=1M seek=5000 conv=notrunc status=none
         truncate -s 1G tail.sparse
         printf data | dd of=tail.sparse bs=1M seek=3 conv=notrunc status=none
         find . -mindepth 1 -exec touch -h -d '2021-02-03 04:05:06.123456789' {{}} +
         touch -d '2021-02-03 04:05:07.5' d_acl"
    ));
}

fn send(dir: &Path) -> Vec<u8> {
    let run = jsnap().args(["send", "--dir"]).arg(dir).run();
    run.success().stderr_is_empty();
    run.stdout
}

fn assert_same_tree(expected: &Path, actual: &Path, what: &str) {
    let diff = differences(&snapshot(expected), &snapshot(actual));
    assert!(diff.is_empty(), "{what}:\n    {}", diff.join("\n    "));
}

#[test]
fn send_then_recv_keeps_capabilities_acls_newlines_and_holes() {
    if !is_root()
        && common::skip("send_then_recv_keeps_capabilities_acls_newlines_and_holes", "needs root (setcap)")
    {
        return;
    }
    for program in ["setcap", "setfacl", "setfattr", "bsdtar", "tar"] {
        if !common::have(program, "send_then_recv_keeps_capabilities_acls_newlines_and_holes") {
            return;
        }
    }
    let work = common::tempdir();
    let src = work.path().join("src");
    fidelity_tree(&src);
    let stream = send(&src);
    assert!(stream == send(&src), "send is not deterministic");
    assert!(stream.len() < 64 * 1024, "holes were written as data: {} bytes", stream.len());
    let archive = work.path().join("a.tar");
    fs::write(&archive, &stream).unwrap();

    // Regression: "malformed pax extension" on values with 0x0a; capability lost on recv.
    let ours = work.path().join("ours");
    jsnap().args(["recv", "--dir"]).arg(&ours).stdin(stream.clone()).run().success().stderr_is_empty();
    assert_same_tree(&src, &ours, "jsnap recv of jsnap send");
    assert!(send(&ours) == stream, "the received tree archives differently");

    // Both reference tars restore the same tree from our stream.
    for (name, extract) in [
        ("bsdtar", "bsdtar --numeric-owner -xpf"),
        ("gnutar", "tar --numeric-owner --xattrs --xattrs-include='*' --acls -xpf"),
    ] {
        let out = work.path().join(name);
        fs::create_dir(&out).unwrap();
        run(&format!("cd {} && {extract} {}", out.display(), archive.display()));
        assert_same_tree(&src, &out, &format!("{name} -x of jsnap send"));
    }
}

#[test]
fn recv_restores_what_gnu_tar_and_bsdtar_write() {
    if !is_root() && common::skip("recv_restores_what_gnu_tar_and_bsdtar_write", "needs root (setcap)") {
        return;
    }
    for program in ["setcap", "setfacl", "setfattr", "bsdtar", "tar"] {
        if !common::have(program, "recv_restores_what_gnu_tar_and_bsdtar_write") {
            return;
        }
    }
    let work = common::tempdir();
    let src = work.path().join("src");
    fidelity_tree(&src);
    let d = src.display();
    let gnu = "tar --xattrs --xattrs-include='*' --acls --sparse";
    for (name, create) in [
        ("gnu-posix-sparse-0.0", format!("{gnu} --format=posix --sparse-version=0.0 -C {d} -cf - .")),
        ("gnu-posix-sparse-0.1", format!("{gnu} --format=posix --sparse-version=0.1 -C {d} -cf - .")),
        ("gnu-posix-sparse-1.0", format!("{gnu} --format=posix --sparse-version=1.0 -C {d} -cf - .")),
        ("bsdtar-pax", format!("bsdtar --format=pax -C {d} -cf - .")),
        ("bsdtar-restricted", format!("bsdtar -C {d} -cf - .")),
    ] {
        let archive = work.path().join(format!("{name}.tar"));
        run(&format!("{create} > {}", archive.display()));
        let out = work.path().join(name);
        jsnap().args(["recv", "--dir"]).arg(&out).stdin_file(&archive).run().success();
        assert_same_tree(&src, &out, &format!("jsnap recv of {name}"));
    }
}
