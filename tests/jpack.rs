//! jpack against the real reference CLIs (zstd, xz, gzip, pigz, bzip2, lbzip2, pbzip2,
//! lz4): round trips per codec and level, interop both ways, concatenated streams, every
//! kind of bad input, the terminal refusal and atomic `-o`.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Cmd, jpack};
use jcore::codec::Format;
use sha2::{Digest, Sha256};

/// Compressible, file-like bytes: words from a small vocabulary, with a block of noise
/// every fourth 4 KiB so that every codec meets incompressible data too.
fn sample(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "jail ",
        "image ",
        "zfs ",
        "snapshot ",
        "root ",
        "usr/bin/",
        "etc/rc.conf\n",
        "0755 ",
        "nginx ",
        "FreeBSD ",
        "pkg ",
        "lib ",
        "x86_64 ",
        "=",
        "\n",
        "/var/log/",
    ];
    let noise = common::noise(4096, seed);
    let mut out = Vec::with_capacity(len + 64);
    let mut state = seed | 1;
    while out.len() < len {
        if (out.len() / 4096) % 4 == 3 {
            out.extend_from_slice(&noise);
            continue;
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(WORDS[(state % 16) as usize].as_bytes());
    }
    out.truncate(len);
    out
}

/// The reference program that decodes each format, with its arguments.
fn reference_decoder(format: Format) -> (&'static str, &'static [&'static str]) {
    match format {
        Format::Zstd => ("zstd", &["-d", "-c"]),
        Format::Xz => ("xz", &["-d", "-c"]),
        Format::Lzma => ("xz", &["--format=lzma", "-d", "-c"]),
        Format::Gzip => ("gzip", &["-d", "-c"]),
        Format::Bzip2 => ("bzip2", &["-d", "-c"]),
        Format::Lz4 => ("lz4", &["-d", "-c"]),
        Format::None => ("cat", &[]),
    }
}

fn compress(args: &[&str], data: &[u8]) -> Vec<u8> {
    let run = jpack().args(args).stdin(data.to_vec()).run();
    run.success();
    run.stdout
}

fn decompress(data: &[u8]) -> Vec<u8> {
    let run = jpack().arg("-d").stdin(data.to_vec()).run();
    run.success().stderr_is_empty();
    run.stdout
}

fn write_file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

fn assert_same(actual: &[u8], expected: &[u8], what: &str) {
    assert!(
        actual == expected,
        "{what}: {} bytes out, {} expected, content differs",
        actual.len(),
        expected.len()
    );
}

/// Every level of a codec on an empty, a 1-byte and a 1 MiB input: jpack -d and the
/// reference CLI both give the input back.
fn round_trip_levels(format: Format) {
    let (program, args) = reference_decoder(format);
    let have_reference = common::have(program);
    let inputs = [Vec::new(), b"x".to_vec(), sample(1 << 20, 7)];
    let levels = format.levels().expect("a codec with levels");
    for level in levels.min..=levels.max {
        for input in &inputs {
            let level_arg = level.to_string();
            let packed = compress(&["-c", format.name(), "-l", &level_arg], input);
            let what = format!("{format} -l {level} on {} bytes", input.len());
            assert_same(&decompress(&packed), input, &what);
            if have_reference {
                let run = Cmd::new(program).args(args).stdin(packed).run();
                run.success();
                assert_same(&run.stdout, input, &format!("{program} -d of {what}"));
            }
        }
    }
}

#[test]
fn round_trip_levels_zstd() {
    round_trip_levels(Format::Zstd);
}

#[test]
fn round_trip_levels_xz() {
    round_trip_levels(Format::Xz);
}

#[test]
fn round_trip_levels_gzip() {
    round_trip_levels(Format::Gzip);
}

#[test]
fn round_trip_levels_bzip2() {
    round_trip_levels(Format::Bzip2);
}

#[test]
fn round_trip_levels_lz4() {
    round_trip_levels(Format::Lz4);
}

#[test]
fn round_trip_levels_lzma() {
    round_trip_levels(Format::Lzma);
}

#[test]
fn round_trip_none_copies() {
    let data = sample(100_000, 3);
    assert_same(&compress(&["-c", "none"], &data), &data, "-c none");
    let run = jpack().args(["-c", "none", "-l", "3"]).stdin(data).run();
    run.code(2).one_line_error("jpack").stderr_contains("no compression levels");
}

/// 100+ MiB through every codec at a fast level, jpack -c | jpack -d, with peak memory
/// measured: it must stay far below the input size (streaming, not buffering).
#[test]
fn round_trip_100_mib_with_bounded_memory() {
    if !common::have("time") {
        return;
    }
    let dir = common::tempdir();
    let data = sample(101 << 20, 11);
    let expected = hex::encode(Sha256::digest(&data));
    let input = write_file(dir.path(), "in", &data);
    drop(data);
    let bin = bin!(jpack);
    for (codec, level) in [("zstd", "1"), ("gzip", "1"), ("lz4", "1"), ("xz", "0"), ("bzip2", "1")] {
        let script = format!(
            "/usr/bin/time -f %M -o c.rss {bin} -c {codec} -l {level} {input} \
             | /usr/bin/time -f %M -o d.rss {bin} -d | sha256sum",
            input = input.display()
        );
        let run = common::sh(&script).dir(dir.path()).run();
        run.success();
        assert!(run.stdout_str().starts_with(&expected), "{codec}: output differs from input");
        for side in ["c.rss", "d.rss"] {
            let rss = std::fs::read_to_string(dir.path().join(side)).unwrap();
            let kib: u64 = rss.trim().lines().last().unwrap().parse().unwrap();
            assert!(kib < 64 << 10, "{codec} {side}: peak RSS {kib} KiB on a 101 MiB input");
        }
    }
}

/// jpack's output, read by each reference CLI; and theirs, read by jpack. 5 MiB spans
/// several gzip, bzip2 and lz4 blocks.
fn interop(format: Format, program: &str, compress_args: &[&str], decompress_args: &[&str]) {
    if !common::have(program) {
        return;
    }
    let data = sample(5 << 20, 5);
    // The fastest level: every level is checked against the reference decoder in
    // round_trip_levels_*; this is about sizes, blocks and threads.
    let level = format.levels().unwrap().min.to_string();
    for threads in ["1", "3"] {
        let ours = compress(&["-c", format.name(), "-l", &level, "-T", threads], &data);
        let run = Cmd::new(program).args(decompress_args).stdin(ours).run();
        run.success();
        assert_same(&run.stdout, &data, &format!("{program} reading jpack -c {format} -T {threads}"));
    }
    let run = Cmd::new(program).args(compress_args).stdin(data.clone()).run();
    run.success();
    let theirs = run.stdout;
    assert_eq!(jpack().arg("--detect").stdin(theirs.clone()).run().stdout_str(), format!("{format}\n"));
    assert_same(&decompress(&theirs), &data, &format!("jpack -d reading {program}"));
    let run = jpack().args(["-t"]).stdin(theirs).run();
    run.success().stderr_is_empty();
    assert!(run.stdout.is_empty());
}

#[test]
fn interop_zstd() {
    interop(Format::Zstd, "zstd", &["-c", "-T0"], &["-d", "-c"]);
    // Long windows (up to 2^31) need the decoder's window limit raised.
    if common::have("zstd") {
        let data = sample(3 << 20, 6);
        let run = Cmd::new("zstd").args(["-c", "--long=31"]).stdin(data.clone()).run();
        run.success();
        assert_same(&decompress(&run.stdout), &data, "zstd --long=31");
    }
}

#[test]
fn interop_xz() {
    interop(Format::Xz, "xz", &["-c", "-T0", "-1"], &["-d", "-c"]);
    interop(Format::Lzma, "xz", &["--format=lzma", "-c", "-1"], &["--format=lzma", "-d", "-c"]);
}

#[test]
fn interop_gzip() {
    interop(Format::Gzip, "gzip", &["-c"], &["-d", "-c"]);
}

#[test]
fn interop_pigz() {
    interop(Format::Gzip, "pigz", &["-c", "-p", "3"], &["-d", "-c"]);
}

#[test]
fn interop_bzip2() {
    interop(Format::Bzip2, "bzip2", &["-c"], &["-d", "-c"]);
}

#[test]
fn interop_lbzip2() {
    interop(Format::Bzip2, "lbzip2", &["-c", "-n", "3"], &["-d", "-c", "-n", "3"]);
}

#[test]
fn interop_pbzip2() {
    interop(Format::Bzip2, "pbzip2", &["-c", "-p3"], &["-d", "-c", "-p3"]);
}

#[test]
fn interop_lz4() {
    interop(Format::Lz4, "lz4", &["-c"], &["-d", "-c"]);
    if !common::have("lz4") {
        return;
    }
    // Linked blocks, small blocks with block checksums and a content size, high levels,
    // the legacy format.
    let data = sample(3 << 20, 8);
    for options in [&["-BD"][..], &["-B4", "-BX", "--content-size"], &["-9"], &["--no-frame-crc"], &["-l"]] {
        let run = Cmd::new("lz4").args(options).args(["-c"]).stdin(data.clone()).run();
        run.success();
        assert_same(&decompress(&run.stdout), &data, &format!("lz4 {options:?}"));
    }
}

/// The gzip, bzip2 and lz4 encoders cut the input at fixed offsets whatever the thread
/// count, so the output does not depend on -T.
#[test]
fn block_parallel_output_is_independent_of_threads() {
    let data = sample(3 << 20, 9);
    for codec in ["gzip", "bzip2", "lz4"] {
        let one = compress(&["-c", codec, "-T", "1"], &data);
        let four = compress(&["-c", codec, "-T", "4"], &data);
        assert!(one == four, "{codec}: -T 1 and -T 4 differ");
    }
}

#[test]
fn codec_spellings() {
    for (name, format) in [
        ("zst", "zstd"),
        ("tzst", "zstd"),
        ("txz", "xz"),
        ("gz", "gzip"),
        ("tgz", "gzip"),
        ("bz2", "bzip2"),
        ("bzip", "bzip2"),
    ] {
        let packed = compress(&["-c", name], b"spelling");
        let run = jpack().arg("--detect").stdin(packed).run();
        run.success().stdout_is(format!("{format}\n"));
    }
    let run = jpack().args(["-c", "lrzip"]).stdin(b"x".to_vec()).run();
    run.code(2).stderr_contains("unknown compression format");
}

/// Concatenated streams decode to the concatenation: the reference CLI's, jpack's, and
/// mixed; xz stream padding and skippable frames are allowed between them.
#[test]
fn concatenated_streams() {
    let a = sample(300_000, 1);
    let b = sample(200_000, 2);
    let both = [a.clone(), b.clone()].concat();
    for format in [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4] {
        let pa = compress(&["-c", format.name()], &a);
        let pb = compress(&["-c", format.name()], &b);
        assert_same(&decompress(&[pa.clone(), pb.clone()].concat()), &both, &format!("{format} jpack+jpack"));
        assert_same(
            &decompress(&[pa.clone(), pb.clone(), pa.clone()].concat()),
            &[&a[..], &b, &a].concat(),
            "3 streams",
        );
        let (program, _) = reference_decoder(format);
        if common::have(program) {
            let run = Cmd::new(program).arg("-c").stdin(b.clone()).run();
            run.success();
            assert_same(&decompress(&[pa, run.stdout].concat()), &both, &format!("{format} jpack+{program}"));
        }
    }
    // xz: stream padding (a multiple of four zero bytes) between and after streams.
    let xa = compress(&["-c", "xz"], &a);
    let xb = compress(&["-c", "xz"], &b);
    let padded = [&xa[..], &[0; 8], &xb, &[0; 4]].concat();
    assert_same(&decompress(&padded), &both, "xz with stream padding");
    let bad_padding = [&xa[..], &[0; 3]].concat();
    jpack()
        .arg("-d")
        .stdin(bad_padding)
        .run()
        .code(2)
        .one_line_error("jpack")
        .stderr_contains("xz: trailing garbage");
    // zstd and lz4: skippable frames (pzstd writes one before each frame).
    let skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
    for codec in ["zstd", "lz4"] {
        let pa = compress(&["-c", codec], &a);
        let pb = compress(&["-c", codec], &b);
        let framed = [&pa[..], &skippable, &pb].concat();
        assert_same(&decompress(&framed), &both, &format!("{codec} with a skippable frame"));
    }
    let zb = compress(&["-c", "zstd"], &b);
    assert_same(&decompress(&[&skippable[..], &zb].concat()), &b, "zstd after a leading skippable frame");
    // pigz members and gzip members, mixed.
    if common::have("pigz") {
        let run = Cmd::new("pigz").args(["-c", "-p", "2"]).stdin(a.clone()).run();
        let gz = compress(&["-c", "gzip"], &b);
        assert_same(&decompress(&[run.stdout, gz].concat()), &both, "pigz+jpack gzip");
    }
}

/// One expectation for bad input: exit 2, one line naming the format, and with -o no
/// output file and no temporary file.
fn assert_rejected(data: &[u8], must_mention: &[&str], case: &str) {
    let dir = common::tempdir();
    let input = write_file(dir.path(), "in", data);
    let run = jpack().args(["-d", "-o", "OUT"]).arg(&input).dir(dir.path()).run();
    assert_eq!(run.code, Some(2), "{case}: expected exit 2, stderr: {}", run.stderr);
    run.one_line_error("jpack");
    for needle in must_mention {
        assert!(run.stderr.contains(needle), "{case}: stderr lacks {needle:?}: {}", run.stderr);
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("in")], "{case}: files left behind");
    // The same through stdin/stdout.
    let run = jpack().arg("-d").stdin(data.to_vec()).run();
    assert_eq!(run.code, Some(2), "{case} (stdin): stderr: {}", run.stderr);
    run.one_line_error("jpack");
    // And -t says "damaged" with status 1.
    let run = jpack().arg("-t").stdin(data.to_vec()).run();
    assert_eq!(run.code, Some(1), "{case} (-t): stderr: {}", run.stderr);
    run.one_line_error("jpack");
}

#[test]
fn bad_input_empty_and_garbage() {
    assert_rejected(b"", &["empty input"], "empty input");
    assert_rejected(&common::noise(100_000, 4), &["not compressed data"], "garbage");
    assert_rejected(b"hello\n", &["not compressed data"], "text");
    // Magic bytes followed by garbage.
    for format in [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4] {
        let mut data = compress(&["-c", format.name()], b"abc")[..Format::MAGIC_LEN].to_vec();
        data.extend_from_slice(&common::noise(5000, 5));
        assert_rejected(&data, &[format.name(), "byte"], &format!("{format} magic + garbage"));
    }
}

#[test]
fn bad_input_truncated() {
    let data = sample(2 << 20, 12);
    for format in [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4, Format::Lzma] {
        let packed = compress(&["-c", format.name(), "-l", &format.levels().unwrap().min.to_string()], &data);
        let len = packed.len();
        for cut in [len - 1, len - 4, len / 2, 64.min(len - 1), 7] {
            let case = format!("{format} cut to {cut} of {len} bytes");
            let mention = match cut {
                // A .lzma header is 13 bytes with no magic: xz too says "File format not
                // recognized" for less.
                ..13 if format == Format::Lzma => vec!["not compressed data"],
                ..10 => vec![format.name()],
                _ => vec![format.name(), "truncated"],
            };
            assert_rejected(&packed[..cut], &mention, &case);
        }
    }
    // An empty stream cut short still fails.
    for format in [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4] {
        let packed = compress(&["-c", format.name()], b"");
        assert_rejected(&packed[..packed.len() - 1], &[format.name()], &format!("empty {format} cut by one"));
    }
}

#[test]
fn bad_input_flipped_byte() {
    let data = sample(1 << 20, 13);
    // lzma has no checksum: a flipped byte is not always detectable there.
    for format in [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4] {
        let packed = compress(&["-c", format.name()], &data);
        let len = packed.len();
        for at in [len / 3, len / 2, len - 9] {
            let mut bad = packed.clone();
            bad[at] ^= 0x55;
            assert_rejected(&bad, &[format.name(), "byte"], &format!("{format} byte {at} of {len} flipped"));
        }
    }
}

/// Trailing data is an error where the reference CLI fails on it; gzip and bzip2, which
/// let it through with a warning, are tests/jpack_reference.rs's
/// `trailing_data_after_gzip_and_bzip2_as_their_clis`.
#[test]
fn bad_input_trailing_garbage() {
    for format in [Format::Zstd, Format::Xz, Format::Lz4, Format::Lzma] {
        let packed = compress(&["-c", format.name()], b"payload");
        for tail in [&b"garbage"[..], b"\n", b"\0\0\0\0\0\0\0\0\x01"] {
            let data = [&packed[..], tail].concat();
            let case = format!("{format} + {tail:?}");
            let at =
                format!("byte {}", packed.len() + if format == Format::Xz && tail[0] == 0 { 8 } else { 0 });
            assert_rejected(&data, &[format.name(), "trailing garbage", &at], &case);
        }
        // A stream of another format after the first is garbage too.
        let other = compress(&["-c", if format == Format::Gzip { "zstd" } else { "gzip" }], b"x");
        assert_rejected(
            &[&packed[..], &other].concat(),
            &["trailing garbage"],
            &format!("{format} + other format"),
        );
    }
}

#[test]
fn pass_through_copies_raw_input() {
    let raw = b"plain tar bytes, not compressed\n".to_vec();
    let run = jpack().args(["-d", "--pass-through"]).stdin(raw.clone()).run();
    run.success().stdout_is(&raw);
    let packed = compress(&["-c", "xz"], &raw);
    jpack().args(["-d", "--pass-through"]).stdin(packed).run().success().stdout_is(&raw);
    jpack().args(["-d", "--pass-through"]).stdin(Vec::new()).run().success().stdout_is(b"");
    // Compressed data that is damaged is still an error.
    let packed = compress(&["-c", "gzip"], &raw);
    let run = jpack().args(["-d", "--pass-through"]).stdin(packed[..packed.len() - 2].to_vec()).run();
    run.code(2).one_line_error("jpack").stderr_contains("gzip: truncated");
}

#[test]
fn detect_names_the_format() {
    for format in [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4, Format::Lzma] {
        let packed = compress(&["-c", format.name()], b"detect me");
        jpack().arg("--detect").stdin(packed).run().success().stdout_is(format!("{format}\n"));
    }
    jpack().arg("--detect").stdin(b"raw".to_vec()).run().success().stdout_is("none\n");
    jpack().arg("--detect").stdin(Vec::new()).run().success().stdout_is("none\n");
    let run = jpack().args(["--detect", "missing-file"]).run();
    run.code(2).one_line_error("jpack").stderr_contains("missing-file");
}

#[test]
fn list_shows_levels_and_defaults() {
    let run = jpack().arg("--list").run();
    run.success();
    let text = run.stdout_str();
    for line in [
        "zstd    1-22    3",
        "xz      0-9     6",
        "gzip    1-9     6",
        "bzip2   1-9     9",
        "lz4     1       1",
    ] {
        assert!(text.contains(line), "--list lacks {line:?}:\n{text}");
    }
    assert!(text.contains("bzip"), "aliases listed");
}

#[test]
fn test_mode_writes_nothing() {
    let packed = compress(&["-c", "bzip2"], &sample(500_000, 14));
    let run = jpack().arg("-t").stdin(packed).run();
    run.success().stderr_is_empty();
    assert!(run.stdout.is_empty());
    let run = jpack().args(["-t", "no-such-file"]).run();
    run.code(2).one_line_error("jpack");
}

#[test]
fn usage_errors() {
    jpack()
        .args(["-c", "gzip", "-l", "10"])
        .stdin(b"x".to_vec())
        .run()
        .code(2)
        .stderr_contains("out of range");
    jpack().args(["-d", "-c", "xz"]).run().code(2);
    jpack().args(["-d", "-l", "3"]).run().code(2);
    jpack().arg("--pass-through").run().code(2);
    jpack().args(["-t", "-o", "x"]).stdin(b"x".to_vec()).run().code(2).one_line_error("jpack");
    let run = jpack().args(["-c", "zstd", "missing"]).run();
    run.code(2).one_line_error("jpack").stderr_contains("missing: No such file or directory");
}

#[test]
fn output_file_is_written_atomically() {
    let dir = common::tempdir();
    let data = sample(200_000, 15);
    write_file(dir.path(), "in", &data);
    jpack().args(["-c", "xz", "-o", "out.xz", "in"]).dir(dir.path()).run().success().stderr_is_empty();
    jpack().args(["-d", "-o", "back", "out.xz"]).dir(dir.path()).run().success();
    assert_same(&std::fs::read(dir.path().join("back")).unwrap(), &data, "-o round trip");
    // A failed decode keeps the old file as it was.
    write_file(dir.path(), "bad.xz", b"\xfd7zXZ\0 broken");
    jpack().args(["-d", "-o", "back", "bad.xz"]).dir(dir.path()).run().code(2);
    assert_same(&std::fs::read(dir.path().join("back")).unwrap(), &data, "old output kept");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4, "no temporary file left");
}

#[test]
fn broken_pipe_is_quiet() {
    let packed = compress(&["-c", "zstd"], &sample(8 << 20, 16));
    let dir = common::tempdir();
    write_file(dir.path(), "big.zst", &packed);
    let bin = bin!(jpack);
    let run = common::sh(&format!("{bin} -d big.zst | head -c 10 > /dev/null; echo ${{PIPESTATUS[0]}}"))
        .dir(dir.path())
        .run();
    run.success().stderr_is_empty().stdout_is("0\n");
}

/// Binary data is not written to a terminal unless -f; `script` gives jpack a pty.
#[test]
fn terminal_refusal() {
    if !common::have("script") {
        return;
    }
    let bin = bin!(jpack);
    let dir = common::tempdir();
    write_file(dir.path(), "in", b"data");
    for args in ["-c zstd in", "-d in.zst"] {
        if args.starts_with("-d") {
            jpack().args(["-c", "zstd", "-o", "in.zst", "in"]).dir(dir.path()).run().success();
        }
        let run =
            Cmd::new("script").args(["-qec", &format!("{bin} {args}"), "/dev/null"]).dir(dir.path()).run();
        run.code(2).stdout_contains("refusing to write binary data to a terminal");
    }
    let run =
        Cmd::new("script").args(["-qec", &format!("{bin} -f -c none in"), "/dev/null"]).dir(dir.path()).run();
    run.success().stdout_contains("data");
    // Text modes print to a terminal.
    let run =
        Cmd::new("script").args(["-qec", &format!("{bin} --detect in"), "/dev/null"]).dir(dir.path()).run();
    run.success().stdout_contains("none");
}

/// SIGTERM while jpack -o is reading a slow stdin: neither OUT nor the temporary file
/// remains.
#[test]
fn killed_mid_stream_leaves_nothing() {
    for mode in [&["-c", "zstd"][..], &["-d"]] {
        let dir = common::tempdir();
        let first = if mode[0] == "-d" {
            compress(&["-c", "zstd"], &sample(4 << 20, 17))
        } else {
            sample(4 << 20, 17)
        };
        // Half the data, then silence: jpack is mid-stream, with its temporary file open.
        let mut cmd = Command::new(bin!(jpack));
        cmd.args(mode).args(["-o", "OUT"]).current_dir(dir.path());
        let temp_exists = || std::fs::read_dir(dir.path()).unwrap().count() > 0;
        let status = common::kill_mid_stream(&mut cmd, &first[..first.len() / 2], temp_exists);
        assert!(!status.success(), "{mode:?}: a killed jpack must not succeed");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "{mode:?}: left behind {left:?}");
    }
}
