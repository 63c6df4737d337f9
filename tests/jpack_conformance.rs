//! jpack over the upstream decoders' own test files: xz's `tests/files`, zstd's golden
//! (de)compression files, lbzip2's suite and bzip2's samples, as kept in
//! `../shared/corpus/conformance/` with `expected.tsv` (the reference decoder's verdict and
//! the SHA-256 of its output; see that folder's README). Every file is decoded with
//! `jpack -d` and checked for both the verdict and the bytes, and `jpack -t` must agree.
mod common;

use std::path::{Path, PathBuf};

use common::jpack;
use sha2::{Digest, Sha256};

/// One row of an `expected.tsv`.
struct Case {
    file: String,
    ok: bool,
    sha256: String,
    note: String,
}

fn cases(dir: &Path) -> Vec<Case> {
    let table = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 4, "bad row in {}: {line}", dir.display());
            let ok = match cols[1] {
                "ok" => true,
                "fail" => false,
                other => panic!("bad verdict {other:?} in {}", dir.display()),
            };
            Case { file: cols[0].into(), ok, sha256: cols[2].into(), note: cols[3].into() }
        })
        .collect()
}

fn corpus(name: &str) -> Option<PathBuf> {
    let dir = common::shared_dir().join("corpus/conformance").join(name);
    if dir.join("expected.tsv").is_file() {
        return Some(dir);
    }
    common::skip(&format!("{} missing", dir.display()));
    None
}

/// Decodes every file of one folder; returns the list of disagreements (all of them, so
/// one run shows everything that is wrong).
fn check_folder(name: &str) {
    let Some(dir) = corpus(name) else { return };
    let cases = cases(&dir);
    assert!(cases.len() >= 7, "{name}: too few cases");
    let mut wrong = Vec::new();
    for case in &cases {
        let path = dir.join(&case.file);
        let run = jpack().args(["-d", "-T", "2"]).arg(&path).run();
        let digest = hex::encode(Sha256::digest(&run.stdout));
        if case.ok {
            if run.code != Some(0) {
                wrong.push(format!("{}: expected ok, exit {:?}: {}", case.file, run.code, run.stderr.trim()));
            } else if digest != case.sha256 {
                wrong.push(format!(
                    "{}: output sha256 {digest}, expected {} ({})",
                    case.file, case.sha256, case.note
                ));
            }
        } else if run.code == Some(0) {
            wrong.push(format!("{}: expected failure, exit 0 ({})", case.file, case.note));
        } else if !run.stderr.starts_with("jpack: ") {
            wrong.push(format!("{}: failure without a jpack message: {}", case.file, run.stderr.trim()));
        }
        let test_run = jpack().arg("-t").arg(&path).run();
        match (case.ok, test_run.code) {
            (true, Some(0)) => {}
            (false, Some(1 | 2)) => {}
            (ok, code) => wrong.push(format!(
                "{}: jpack -t exit {code:?} but expected {}: {}",
                case.file,
                if ok { "ok" } else { "fail" },
                test_run.stderr.trim()
            )),
        }
        assert!(test_run.stdout.is_empty(), "{}: jpack -t wrote to stdout", case.file);
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} of {} cases disagree:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn conformance_xz_test_files() {
    check_folder("xz");
}

#[test]
fn conformance_zstd_golden_files() {
    check_folder("zstd");
}

#[test]
fn conformance_bzip2_lbzip2_suite_and_samples() {
    check_folder("bzip2");
}
