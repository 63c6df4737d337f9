//! jsum's fast paths (issue 16): every way a byte can reach the hashers gives the digests
//! of the reference CLIs (sha256sum, sha1sum, sha512sum, b3sum), at sizes around every
//! buffer and chunk boundary, and --tee passes the data through byte for byte.
//!
//! The paths: a FILE of 16 KiB or more is memory-mapped in 4 MiB pieces with the tail read
//! by pread (several algorithms), or hashed by BLAKE3 on all cores (BLAKE3 alone); stdin and
//! small files are read in 1 MiB chunks; `--tee` between two pipes duplicates the pipe pages
//! with tee(2), and from or to a file reads and writes. Expected values come from the
//! reference binaries only.
mod common;

use std::fs;
use std::path::Path;

use common::{have, jsum, sh};

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// 0, 1, the mmap cut-off (16 KiB), the read chunk (1 MiB), the map piece (4 MiB), each ±1,
/// and several MiB that end inside a read chunk after two map pieces.
const SIZES: [usize; 13] = [
    0,
    1,
    16 * KIB - 1,
    16 * KIB,
    16 * KIB + 1,
    MIB - 1,
    MIB,
    MIB + 1,
    4 * MIB - 1,
    4 * MIB,
    4 * MIB + 1,
    8 * MIB + MIB / 2 + 7,
    13 * MIB + 3,
];

/// (jsum's name, BSD tag, the reference CLI)
const REFERENCES: [(&str, &str, &str); 4] = [
    ("sha256", "SHA256", "sha256sum"),
    ("sha1", "SHA1", "sha1sum"),
    ("sha512", "SHA512", "sha512sum"),
    ("blake3", "BLAKE3", "b3sum"),
];

fn have_references() -> bool {
    REFERENCES.iter().all(|(_, _, cli)| have(cli))
}

/// The reference CLI's digest of `file`.
fn reference_digest(cli: &str, file: &Path) -> String {
    let run = common::Cmd::new(cli).arg(file).run();
    run.success();
    run.stdout_str().split_whitespace().next().expect("a digest").to_string()
}

/// The BSD lines jsum prints for every algorithm of REFERENCES over `name`.
fn expected_lines(file: &Path, name: &str) -> String {
    REFERENCES
        .iter()
        .map(|(_, tag, cli)| format!("{tag} ({name}) = {}\n", reference_digest(cli, file)))
        .collect()
}

const ALL: &str = "sha256,sha1,sha512,blake3";

fn write_sample(dir: &Path, size: usize) -> std::path::PathBuf {
    let path = dir.join(format!("in{size}"));
    fs::write(&path, common::noise(size, size as u64 + 11)).unwrap();
    path
}

#[test]
fn several_digests_in_one_pass_equal_the_reference_clis_at_chunk_boundaries() {
    if !have_references() {
        return;
    }
    let dir = common::tempdir();
    let bin = bin!(jsum);
    for size in SIZES {
        let file = write_sample(dir.path(), size);
        let f = file.display();
        let want_file = expected_lines(&file, &f.to_string());
        let want_stdin = expected_lines(&file, "-");
        // A FILE: mapped pieces (>= 16 KiB) or read chunks.
        jsum().args(["-a", ALL]).arg(&file).run().success().stdout_is(&want_file);
        // stdin from the file, and from a pipe: read chunks.
        jsum().args(["-a", ALL]).stdin_file(&file).run().success().stdout_is(&want_stdin);
        sh(&format!("cat {f} | {bin} -a {ALL}")).run().success().stdout_is(&want_stdin);
        // Each algorithm alone, from the FILE and from a pipe (BLAKE3 alone on all cores).
        for (name, _, cli) in REFERENCES {
            let want = format!("{}\n", reference_digest(cli, &file));
            jsum().args(["-q", "-a", name]).arg(&file).run().success().stdout_is(&want);
            sh(&format!("cat {f} | {bin} -q -a {name}")).run().success().stdout_is(&want);
        }
        // Two algorithms, in another order: the same digests, in the order asked.
        let want: String = ["blake3", "sha512"]
            .iter()
            .map(|a| {
                let (_, tag, cli) = REFERENCES.iter().find(|r| r.0 == *a).unwrap();
                format!("{tag} ({f}) = {}\n", reference_digest(cli, &file))
            })
            .collect();
        jsum().args(["-a", "blake3,sha512,blake3"]).arg(&file).run().success().stdout_is(&want);
    }
}

#[test]
fn tee_is_byte_identical_and_hashes_like_the_reference_clis_on_every_path() {
    if !have_references() {
        return;
    }
    let dir = common::tempdir();
    let d = dir.path();
    let bin = bin!(jsum);
    for size in SIZES {
        let file = write_sample(d, size);
        let f = file.display();
        let want_stdin = expected_lines(&file, "-");
        let want_file = expected_lines(&file, &f.to_string());
        let pipelines = [
            // pipe to pipe: tee(2)
            (format!("cat {f} | {bin} --tee -a {ALL} -o sums | cat > out"), &want_stdin),
            // pipe to a file, file to a pipe, file to a file: read and write
            (format!("cat {f} | {bin} --tee -a {ALL} -o sums > out"), &want_stdin),
            (format!("{bin} --tee -a {ALL} -o sums {f} | cat > out"), &want_file),
            (format!("{bin} --tee -a {ALL} -o sums < {f} > out"), &want_stdin),
        ];
        for (script, want) in pipelines {
            let _ = fs::remove_file(d.join("out"));
            sh(&script).dir(d).run().success().stderr_is_empty();
            assert!(fs::read(d.join("out")).unwrap() == fs::read(&file).unwrap(), "{script}: output differs");
            assert_eq!(&fs::read_to_string(d.join("sums")).unwrap(), want, "{script}");
        }
        // BLAKE3 alone and SHA-256 alone through a pipe, the rows of the benchmark.
        for (name, _, cli) in [REFERENCES[3], REFERENCES[0]] {
            let script = format!("cat {f} | {bin} --tee -q -a {name} -o sums | cat > out");
            sh(&script).dir(d).run().success();
            assert!(fs::read(d.join("out")).unwrap() == fs::read(&file).unwrap(), "{script}: output differs");
            assert_eq!(
                fs::read_to_string(d.join("sums")).unwrap(),
                format!("{}\n", reference_digest(cli, &file))
            );
        }
    }
}

#[test]
fn tee_between_pipes_waits_for_slow_writers_and_keeps_every_byte() {
    // tee(2) only sees what is in the pipe at the moment: pieces arriving one by one, with
    // pauses, must come out whole and in order.
    let dir = common::tempdir();
    let d = dir.path();
    let bin = bin!(jsum);
    let script = format!(
        "(printf first; sleep 0.2; head -c 3000000 /dev/zero; sleep 0.2; printf last) | {bin} --tee -q -o sums | cat > out"
    );
    sh(&script).dir(d).run().success().stderr_is_empty();
    let mut want = b"first".to_vec();
    want.extend(vec![0u8; 3_000_000]);
    want.extend(b"last");
    assert!(fs::read(d.join("out")).unwrap() == want, "output differs");
    if have("sha256sum") {
        let reference = common::Cmd::new("sha256sum").stdin(want).run().stdout_str();
        assert_eq!(fs::read_to_string(d.join("sums")).unwrap(), format!("{}\n", &reference[..64]));
    }
}

#[test]
fn tee_between_pipes_broken_pipe_ends_quietly() {
    // tee(2) meets the closed reader as EPIPE, like write(2): same quiet exit 0.
    let bin = bin!(jsum);
    for algorithms in ["sha256", "blake3", ALL] {
        let script = format!(
            "head -c 50000000 /dev/zero | {bin} --tee -a {algorithms} -o /dev/null | head -c 10 > /dev/null; echo ${{PIPESTATUS[1]}}"
        );
        sh(&script).run().success().stderr_is_empty().stdout_is("0\n");
    }
}

/// The system calls `script` makes that match `filter`, through strace(1).
fn traced(dir: &Path, filter: &str, script: &str) -> String {
    let log = dir.join("trace");
    let bin = bin!(jsum);
    let script =
        script.replace("JSUM", &format!("strace -f -qq -e trace={filter} -o {} {bin}", log.display()));
    sh(&script).dir(dir).run().success();
    fs::read_to_string(log).unwrap()
}

#[test]
fn the_fast_paths_are_the_ones_taken() {
    // The tests above pass on the slow paths too; this one says the fast ones are used, so a
    // change that silently loses them (what issue 16 measured) fails here.
    if !have("strace") {
        return;
    }
    let dir = common::tempdir();
    let d = dir.path();
    let file = write_sample(d, 9 * MIB);
    let f = file.display();
    // Pipe to pipe: tee(2) from stdin to stdout, and no write(2) of the data.
    let log = traced(d, "tee,write", &format!("cat {f} | JSUM --tee -a sha256,blake3 -o sums | cat > out"));
    assert!(log.contains("tee(0, 1,"), "no tee(2):\n{log}");
    assert!(!log.contains("write(1,"), "data written with write(2):\n{log}");
    // Several digests of a FILE: 4 MiB read-only maps of it, prefaulted.
    let log = traced(d, "mmap", &format!("JSUM -a sha256,sha1 {f} > sums"));
    let maps = log.matches("4194304, PROT_READ, MAP_SHARED|MAP_POPULATE,").count();
    assert_eq!(maps, 2, "two 4 MiB maps of the 9 MiB file (the last MiB is read):\n{log}");
    // To a file, tee(2) is refused (EINVAL) and the ordinary copy does the work.
    let log = traced(d, "tee,write", &format!("cat {f} | JSUM --tee -o sums > out"));
    assert!(log.contains("write(1,"), "{log}");
    assert!(log.lines().filter(|l| l.contains("tee(0, 1,")).all(|l| l.contains("EINVAL")), "{log}");
}

#[test]
fn digests_sharing_threads_equal_the_reference_clis() {
    // With fewer threads than algorithms (-T), each thread hashes every slice of a piece with
    // each algorithm of its group: the digests must not depend on how they were grouped.
    if !have_references() {
        return;
    }
    let dir = common::tempdir();
    for size in [16 * KIB, MIB + 1, 4 * MIB + 128 * KIB + 1, 8 * MIB + MIB / 2 + 7] {
        let file = write_sample(dir.path(), size);
        let want = expected_lines(&file, &file.display().to_string());
        let want_stdin = expected_lines(&file, "-");
        for threads in ["1", "2", "3", "4"] {
            jsum().args(["-T", threads, "-a", ALL]).arg(&file).run().success().stdout_is(&want);
            jsum().args(["-T", threads, "-a", ALL]).stdin_file(&file).run().success().stdout_is(&want_stdin);
        }
    }
}

#[test]
fn three_digests_on_two_threads_start_two_hashing_threads_and_blake3_has_none() {
    // Issue 16: sha256+sha1+blake3 on 2 cores ran three threads time-sharing two cores; now
    // the two SHA threads share BLAKE3 by subtrees, with no thread of its own.
    if !have("strace") {
        return;
    }
    let dir = common::tempdir();
    let d = dir.path();
    let file = write_sample(d, 9 * MIB);
    let f = file.display();
    // Rust names each thread it spawns with prctl(PR_SET_NAME); the hashing ones are
    // `hash-<algorithms>` (cut to 15 bytes by the kernel's limit).
    for (threads, want) in [(2, &["sha256", "sha1"][..]), (3, &["sha256", "sha1", "blake3"]), (1, &["sha"])] {
        let log = traced(d, "prctl", &format!("JSUM -T {threads} -a sha256,sha1,blake3 {f} > sums"));
        let names: Vec<&str> = log.lines().filter_map(|l| l.split("\"hash-").nth(1)).collect();
        assert_eq!(names.len(), want.len(), "-T {threads}:\n{log}");
        for name in want {
            assert!(names.iter().any(|n| n.starts_with(name)), "-T {threads}: no thread for {name}:\n{log}");
        }
    }
}
