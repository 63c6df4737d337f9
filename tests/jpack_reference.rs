//! Cases where jpack once disagreed with the reference CLIs (issue 17), each named after
//! the case. Every expected outcome comes from running the reference CLI (xz, lz4, gzip,
//! bzip2, lbzip2) on the same input in the test, never from jpack's own output.
mod common;

use std::path::Path;

use common::{Cmd, Run, jpack};

fn reference(program: &str, args: &[&str], input: &[u8]) -> Run {
    Cmd::new(program).args(args).stdin(input.to_vec()).run()
}

fn have_all(programs: &[&str]) -> bool {
    programs.iter().all(|p| common::have(p))
}

/// jpack -d and -t agree with the reference decoder on `input`: same output when it
/// succeeds, success or failure alike, and a warning exactly when `warns`.
fn agrees(input: &[u8], reference_run: &Run, case: &str) -> Run {
    let run = jpack().args(["-d"]).stdin(input.to_vec()).run();
    assert_eq!(
        run.code == Some(0),
        reference_run.code == Some(0),
        "{case}: jpack exit {:?} ({}), reference exit {:?} ({})",
        run.code,
        run.stderr.trim(),
        reference_run.code,
        reference_run.stderr.trim()
    );
    if reference_run.code == Some(0) {
        assert!(run.stdout == reference_run.stdout, "{case}: output differs from the reference's");
    }
    let test = jpack().arg("-t").stdin(input.to_vec()).run();
    assert_eq!(test.code == Some(0), run.code == Some(0), "{case}: -t exit {:?}: {}", test.code, test.stderr);
    run
}

fn write(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

fn text(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"jail image snapshot\n"[i % 20] ^ ((i / 977) as u8 & 1)).collect()
}

/// `.lzma` files written with other header properties than xz's presets: xz's own
/// detection rule (any valid lc/lp/pb, dictionary 2^n or 2^n + 2^(n-1)).
#[test]
fn lzma_alone_with_other_properties_than_the_presets() {
    if !common::have("xz") {
        return;
    }
    let data = text(300_000);
    for options in
        ["dict=4KiB,lc=0,lp=2,pb=0", "dict=64KiB,lc=4,lp=0,pb=4", "dict=3MiB,lc=1,lp=3,pb=1", "preset=0"]
    {
        let run = reference("xz", &["--format=lzma", &format!("--lzma1={options}"), "-c"], &data);
        run.success();
        let packed = run.stdout;
        let case = format!(".lzma with {options}");
        jpack().arg("--detect").stdin(packed.clone()).run().success().stdout_is("lzma\n");
        let xz = reference("xz", &["--format=lzma", "-dc"], &packed);
        xz.success();
        agrees(&packed, &xz, &case).stderr_is_empty();
        // --pass-through decodes it rather than copying it compressed.
        jpack().args(["-d", "--pass-through"]).stdin(packed.clone()).run().success().stdout_is(&data);
    }
}

/// A skippable frame (shared by zstd and lz4) before, between and after lz4 frames: the
/// input is lz4 (it used to be read as zstd).
#[test]
fn lz4_frame_after_a_skippable_frame_is_lz4() {
    if !have_all(&["lz4", "zstd"]) {
        return;
    }
    let data = text(200_000);
    let frame = reference("lz4", &["-c"], &data).stdout;
    let mut skippable = vec![0x53, 0x2a, 0x4d, 0x18, 5, 0, 0, 0];
    skippable.extend_from_slice(b"hello");
    let layouts: [(&str, Vec<u8>); 3] = [
        ("skippable, lz4", [&skippable[..], &frame].concat()),
        (
            "skippable, skippable, lz4, skippable, lz4",
            [&skippable[..], &skippable, &frame, &skippable, &frame].concat(),
        ),
        ("lz4, skippable", [&frame[..], &skippable].concat()),
    ];
    for (case, input) in layouts {
        let lz4 = reference("lz4", &["-dc"], &input);
        lz4.success();
        agrees(&input, &lz4, case).stderr_is_empty();
        jpack().arg("--detect").stdin(input.clone()).run().success().stdout_is("lz4\n");
    }
    // A skippable frame before zstd stays zstd.
    let zst = reference("zstd", &["-c"], &data).stdout;
    let input = [&skippable[..], &zst].concat();
    jpack().arg("--detect").stdin(input.clone()).run().success().stdout_is("zstd\n");
    let zstd = reference("zstd", &["-dc"], &input);
    agrees(&input, &zstd, "skippable, zstd");
}

/// `lz4 -l` output concatenated: lz4 reads every legacy frame, jpack used to stop after
/// the first.
#[test]
fn concatenated_legacy_lz4_frames() {
    if !common::have("lz4") {
        return;
    }
    let a = text(9 << 20);
    let b = common::noise(100_000, 7);
    let legacy_a = reference("lz4", &["-l", "-c"], &a).stdout;
    let legacy_b = reference("lz4", &["-l", "-c"], &b).stdout;
    let modern = reference("lz4", &["-c"], b"modern frame").stdout;
    for (case, input) in [
        ("legacy, legacy", [&legacy_a[..], &legacy_b].concat()),
        ("legacy, frame, legacy", [&legacy_b[..], &modern, &legacy_a].concat()),
    ] {
        let lz4 = reference("lz4", &["-dc"], &input);
        lz4.success();
        agrees(&input, &lz4, case).stderr_is_empty();
    }
}

/// An lz4 frame whose header carries a dictionary ID: lz4 -d without -D decodes it when
/// the blocks do not use the dictionary; jpack used to refuse it outright.
#[test]
fn lz4_dictionary_id_flag_without_dictionary_use() {
    if !common::have("lz4") {
        return;
    }
    let data = text(100_000);
    // Independent blocks (-BI), no block references anything before the frame.
    let frame = reference("lz4", &["-BI", "-c"], &data).stdout;
    assert_eq!(frame[..4], [0x04, 0x22, 0x4d, 0x18]);
    let flags = frame[4];
    assert_eq!(flags & 0b1000, 0, "no content size in lz4's default frame");
    let mut with_id = frame[..4].to_vec();
    let descriptor = [flags | 1, frame[5], 0x78, 0x56, 0x34, 0x12];
    with_id.extend_from_slice(&descriptor);
    with_id.push((twox_hash_32(&descriptor) >> 8) as u8);
    with_id.extend_from_slice(&frame[7..]);
    let lz4 = reference("lz4", &["-dc"], &with_id);
    lz4.success();
    agrees(&with_id, &lz4, "dictionary ID 0x12345678").stderr_is_empty();
}

/// XXH32 with seed 0 (the frame header checksum), written out from the spec so the test
/// does not use jpack's own.
fn twox_hash_32(data: &[u8]) -> u32 {
    const P1: u32 = 2654435761;
    const P2: u32 = 2246822519;
    const P3: u32 = 3266489917;
    const P4: u32 = 668265263;
    const P5: u32 = 374761393;
    assert!(data.len() < 16);
    let mut h = P5.wrapping_add(data.len() as u32);
    let mut rest = data;
    while rest.len() >= 4 {
        let word = u32::from_le_bytes(rest[..4].try_into().unwrap());
        h = h.wrapping_add(word.wrapping_mul(P3)).rotate_left(17).wrapping_mul(P4);
        rest = &rest[4..];
    }
    for &byte in rest {
        h = h.wrapping_add(u32::from(byte).wrapping_mul(P5)).rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^ (h >> 16)
}

/// Zero padding after the last gzip member or bzip2 stream (tar tapes) is accepted, other
/// data is a warning with the reference's exit status, and a cut magic is truncation.
#[test]
fn trailing_data_after_gzip_and_bzip2_as_their_clis() {
    if !have_all(&["gzip", "bzip2", "lbzip2"]) {
        return;
    }
    let data = text(50_000);
    let zeros = vec![0u8; 10_240];
    for (program, magic) in [("gzip", &b"\x1f\x8b\x08"[..]), ("bzip2", &b"BZh9"[..])] {
        let packed = reference(program, &["-c"], &data).stdout;
        let tails: [(&str, Vec<u8>); 9] = [
            ("one zero byte", vec![0]),
            ("10 KiB of zeros", zeros.clone()),
            ("text", b"garbage\n".to_vec()),
            ("zeros then text", [&zeros[..], b"x"].concat()),
            ("zeros then a stream", [&zeros[..], &packed].concat()),
            ("text then a stream", [&b"junk"[..], &packed].concat()),
            ("a cut magic", magic[..2].to_vec()),
            ("a stream cut short", packed[..packed.len() / 2].to_vec()),
            ("a stream of another format", reference("xz", &["-c"], b"x").stdout),
        ];
        for (what, tail) in tails {
            let case = format!("{program} + {what}");
            let input = [&packed[..], &tail].concat();
            let reference_run = reference(program, &["-dc"], &input);
            let run = agrees(&input, &reference_run, &case);
            // The same exit status: gzip 2 for garbage it ignored, bzip2 0.
            assert_eq!(
                run.code,
                reference_run.code.map(|c| if c == 1 { 2 } else { c }),
                "{case}: {}",
                run.stderr
            );
            let reference_warns = !reference_run.stderr.is_empty();
            // Zero padding after bzip2: lbzip2 is silent, bzip2 warns; jpack is silent.
            let silent_reference = program == "bzip2" && tail.iter().all(|&b| b == 0);
            if silent_reference {
                let lbzip2 = reference("lbzip2", &["-dc"], &input);
                assert!(
                    lbzip2.code == Some(0) && lbzip2.stderr.is_empty(),
                    "{case}: lbzip2 {}",
                    lbzip2.stderr
                );
                run.stderr_is_empty();
            } else if run.code == Some(0) || reference_run.code == Some(2) && program == "gzip" {
                assert_eq!(!run.stderr.is_empty(), reference_warns, "{case}: jpack stderr {:?}", run.stderr);
            }
            if reference_run.stderr.contains("trailing garbage") && !silent_reference {
                run.stderr_contains("trailing garbage").stderr_contains("ignored");
                assert_eq!(run.stderr.lines().count(), 1, "{case}: one line");
                assert!(run.stdout == reference_run.stdout, "{case}: the data before the garbage");
            }
        }
    }
    // With -o the output is kept after a warning, as gzip and bzip2 keep theirs.
    let dir = common::tempdir();
    let packed = reference("gzip", &["-c"], &data).stdout;
    let input = write(dir.path(), "in.gz", &[&packed[..], b"junk"].concat());
    jpack().args(["-d", "-o", "out"]).arg(&input).dir(dir.path()).run().code(2);
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
}

/// xz's `unsupported-check.xz` (check type 2, undefined): xz writes the data, warns and
/// exits 2; `--ignore-check` (xz's flag) decodes it silently with exit 0.
#[test]
fn xz_unsupported_check_warns_and_exits_2() {
    let file = common::shared_dir().join("corpus/conformance/xz/unsupported-check.xz");
    if !common::have("xz") || !file.is_file() && !common::skip("conformance corpus missing") {
        return;
    }
    let input = std::fs::read(&file).unwrap();
    let xz = reference("xz", &["-dc"], &input);
    let run = jpack().arg("-d").stdin(input.clone()).run();
    assert_eq!(run.code, xz.code, "{}", run.stderr);
    assert_eq!(run.stdout, xz.stdout);
    run.one_line_error("jpack").stderr_contains("unsupported type of integrity check");
    let xz_test = reference("xz", &["-t"], &input);
    jpack().arg("-t").stdin(input.clone()).run().code(xz_test.code.unwrap());
    let xz = reference("xz", &["-dc", "--ignore-check"], &input);
    xz.success();
    jpack()
        .args(["-d", "--ignore-check"])
        .stdin(input.clone())
        .run()
        .success()
        .stderr_is_empty()
        .stdout_is(&xz.stdout);
    // --ignore-check also lets a wrong CRC32 through, as in xz.
    let bad = common::shared_dir().join("corpus/conformance/xz/bad-1-check-crc32.xz");
    let bad = std::fs::read(bad).unwrap();
    let xz = reference("xz", &["-dc", "--ignore-check"], &bad);
    xz.success();
    jpack().args(["-d", "--ignore-check"]).stdin(bad.clone()).run().success().stdout_is(&xz.stdout);
    jpack().arg("-d").stdin(bad).run().code(2);
}

/// gzip tells a CRC error from a length error; jpack used to call both a CRC error.
#[test]
fn gzip_length_mismatch_is_not_called_a_crc_error() {
    if !common::have("gzip") {
        return;
    }
    let data = text(10_000);
    let packed = reference("gzip", &["-c"], &data).stdout;
    let n = packed.len();
    let mut wrong_length = packed.clone();
    wrong_length[n - 4] ^= 1;
    let mut wrong_crc = packed.clone();
    wrong_crc[n - 8] ^= 1;
    let gzip = reference("gzip", &["-dc"], &wrong_length);
    assert!(gzip.code != Some(0) && gzip.stderr.contains("length error"), "gzip: {}", gzip.stderr);
    jpack()
        .arg("-d")
        .stdin(wrong_length)
        .run()
        .code(2)
        .one_line_error("jpack")
        .stderr_contains("length mismatch");
    let gzip = reference("gzip", &["-dc"], &wrong_crc);
    assert!(gzip.code != Some(0) && gzip.stderr.contains("crc error"), "gzip: {}", gzip.stderr);
    let run = jpack().arg("-d").stdin(wrong_crc.clone()).run();
    run.code(2).one_line_error("jpack").stderr_contains("CRC32 mismatch");
    assert!(!run.stderr.contains("length"), "{}", run.stderr);
    // Where: the second member, and the byte offset where it starts.
    let input = [&packed[..], &wrong_crc].concat();
    jpack()
        .arg("-d")
        .stdin(input)
        .run()
        .code(2)
        .stderr_contains(&format!("member 2 (starting at byte {n})"))
        .stderr_contains("CRC32 mismatch");
}

/// xz errors said "lzma data error" whatever was wrong; now they say what and where.
#[test]
fn xz_errors_say_what_is_wrong_and_where() {
    let dir = common::shared_dir().join("corpus/conformance/xz");
    if !dir.is_dir() && !common::skip("conformance corpus missing") {
        return;
    }
    for (file, says) in [
        ("bad-1-check-crc32.xz", "CRC32 mismatch in block 1 (starting at byte 12)"),
        ("unsupported-filter_flags-1.xz", "unsupported options"),
        ("bad-1-stream_flags-2.xz", "corrupt stream header: CRC32 mismatch"),
        ("bad-0cat-header_magic.xz", "trailing garbage at byte 32"),
    ] {
        let run = jpack().arg("-d").arg(dir.join(file)).run();
        run.code(2).one_line_error("jpack").stderr_contains(says);
        assert!(!run.stderr.contains("lzma data error"), "{file}: {}", run.stderr);
    }
}

/// A single-stream, many-block bzip2 file (what bzip2 and lbzip2 write; SmartOS
/// `.zfs.bz2` images) is decoded block-parallel: the same bytes as bzip2 gives; damage in
/// a later block, a wrong combined stream CRC and a cut still fail loudly, as in bzip2.
#[test]
fn bzip2_single_stream_blocks_decode_in_parallel() {
    if !have_all(&["bzip2", "lbzip2"]) {
        return;
    }
    let data = [text(1_500_000), common::noise(600_000, 3), text(400_000)].concat();
    for (program, args) in [("bzip2", &["-1", "-c"][..]), ("lbzip2", &["-1", "-n", "2", "-c"][..])] {
        let packed = reference(program, args, &data).stdout;
        let case = format!("{program} -1");
        for threads in ["1", "3"] {
            jpack()
                .args(["-d", "-T", threads])
                .stdin(packed.clone())
                .run()
                .success()
                .stderr_is_empty()
                .stdout_is(&data);
        }
        // A byte flipped in a later block: bzip2 fails, so does jpack, naming the block.
        let mut damaged = packed.clone();
        damaged[packed.len() * 2 / 3] ^= 0x21;
        assert_ne!(reference("bzip2", &["-dc"], &damaged).code, Some(0), "{case}: bzip2 accepts the damage");
        let run = jpack().args(["-d", "-T", "3"]).stdin(damaged.clone()).run();
        run.code(2).one_line_error("jpack").stderr_contains("bzip2").stderr_contains("block");
        jpack().args(["-t", "-T", "3"]).stdin(damaged).run().code(1);
        // The combined CRC, in the last bytes of the stream.
        let mut wrong_crc = packed.clone();
        let n = wrong_crc.len();
        wrong_crc[n - 2] ^= 0x01;
        assert_ne!(reference("bzip2", &["-dc"], &wrong_crc).code, Some(0));
        let run = jpack().args(["-d", "-T", "3"]).stdin(wrong_crc).run();
        run.code(2).one_line_error("jpack").stderr_contains("combined stream CRC mismatch");
        // Cut in the middle.
        let cut = packed[..n / 2].to_vec();
        assert_ne!(reference("bzip2", &["-dc"], &cut).code, Some(0));
        jpack()
            .args(["-d", "-T", "3"])
            .stdin(cut)
            .run()
            .code(2)
            .one_line_error("jpack")
            .stderr_contains("truncated");
        // Damage in the first block: the one-stream decoder takes over and reports it.
        let mut first = packed.clone();
        first[200] ^= 0x40;
        jpack().args(["-d", "-T", "3"]).stdin(first).run().code(2).one_line_error("jpack");
    }
}
