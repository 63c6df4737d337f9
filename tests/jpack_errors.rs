//! jpack's xz and zstd errors say what is wrong and where: the stream or frame, the block
//! (its number and the offset of its header), and the kind (corrupt data, a check or
//! checksum mismatch, a bad header, index or footer, a cut). Checked on xz's own bad test
//! files, against what `xz -t` says of each, and on files the reference `xz` and `zstd`
//! CLIs write, damaged at a known byte: the block named must be the one holding that byte,
//! as `xz --robot -lvv` lists the blocks (zstd: as its block headers lay them out), and the
//! reference CLI must reject the damaged file too.
mod common;

use std::path::{Path, PathBuf};

use common::{Cmd, jpack};

/// A reference CLI run on `input` as stdin.
fn reference(program: &str, args: &[&str], input: &[u8]) -> common::Run {
    Cmd::new(program).args(args).stdin(input.to_vec()).run()
}

/// The path of one of xz's upstream test files (the test needs xz too).
fn xz_file(name: &str) -> Option<PathBuf> {
    let path = common::shared_dir().join("corpus/conformance/xz").join(name);
    if !common::have("xz") {
        return None;
    }
    if !path.is_file() {
        common::skip(&format!("{} missing", path.display()));
        return None;
    }
    Some(path)
}

/// What `xz -t` reports, in the classes jpack's messages fall in.
fn xz_verdict(path: &Path) -> (Option<i32>, &'static str) {
    let run = Cmd::new("xz").arg("-t").arg(path).run();
    let class = if run.stderr.contains("Unsupported type of integrity check") {
        "unsupported type of integrity check"
    } else if run.stderr.contains("Unexpected end of input") {
        "truncated"
    } else if run.stderr.contains("Unsupported options") {
        "unsupported options"
    } else if run.stderr.contains("File format not recognized") {
        "not compressed data"
    } else if run.stderr.contains("Compressed data is corrupt") {
        "corrupt"
    } else {
        panic!("xz -t {}: unexpected answer: {}", path.display(), run.stderr)
    };
    (run.code, class)
}

/// Decodes an upstream bad file with `jpack -t` on one thread and on two: the exit status
/// and the class of error must be xz's, and the message must name `says`, what the file is
/// documented to break (README.upstream), where it is; `threaded` when two threads say
/// otherwise (none do now: see
/// `xz_threaded_check_mismatch_in_a_sized_block_names_the_check`).
fn check_xz_file(name: &str, says: &str, threaded: &str) {
    let Some(path) = xz_file(name) else { return };
    let (code, class) = xz_verdict(&path);
    for (threads, says) in [("1", says), ("2", threaded)] {
        let run = jpack().args(["-t", "-T", threads]).arg(&path).run();
        run.code(code.expect("xz exited")).one_line_error("jpack").stderr_contains(says);
        let ours = &run.stderr;
        let agrees = match class {
            "truncated" => ours.contains("truncated"),
            "unsupported options" => ours.contains("unsupported options"),
            "not compressed data" => ours.contains("not compressed data"),
            "unsupported type of integrity check" => ours.contains(class),
            // xz calls garbage after a stream corrupt data as well.
            _ => !ours.contains("truncated") && !ours.contains("unsupported"),
        };
        assert!(agrees, "{name} -T {threads}: xz -t says {class:?}, jpack says {ours}");
        assert!(!ours.contains("lzma data error"), "{name}: {ours}");
    }
}

macro_rules! xz_cases {
    ($($test:ident: $file:literal => $says:literal $(, threaded $threaded:literal)?;)*) => {$(
        #[test]
        fn $test() {
            let says = $says;
            #[allow(unused_variables)]
            let threaded = says;
            $(let threaded = $threaded;)?
            check_xz_file($file, says, threaded);
        }
    )*};
}

xz_cases! {
    xz_bad_backward_size_names_the_footer: "bad-0-backward_size.xz" =>
        "corrupt stream footer (at byte 20): its backward size is 4 bytes, the index is 8";
    xz_empty_stream_cut_names_the_footer: "bad-0-empty-truncated.xz" =>
        "truncated: the input ends at byte 31 in the stream footer (starting at byte 20)";
    xz_bad_footer_magic_names_the_footer: "bad-0-footer_magic.xz" =>
        "corrupt stream footer (at byte 20): wrong footer magic bytes";
    xz_bad_header_magic_is_not_xz: "bad-0-header_magic.xz" => "not compressed data in a known format";
    xz_index_with_huge_record_count_names_the_index: "bad-0-index-1.xz" =>
        "corrupt index (starting at byte 12): it lists 8321499135 blocks, the stream has 0";
    xz_index_listing_a_missing_block_names_the_index: "bad-0-nonempty_index.xz" =>
        "corrupt index (starting at byte 12): it lists 1 blocks, the stream has 0";
    xz_lzma_after_xz_is_trailing_garbage: "bad-0cat-alone.xz" => "trailing garbage at byte 32";
    xz_bad_second_header_magic_is_trailing_garbage: "bad-0cat-header_magic.xz" => "trailing garbage at byte 32";
    xz_padding_of_5_between_streams_is_trailing_garbage: "bad-0catpad-empty.xz" => "trailing garbage at byte 32";
    xz_padding_of_5_is_trailing_garbage: "bad-0pad-empty.xz" => "trailing garbage at byte 32";
    xz_block_header_cut_in_filter_flags: "bad-1-block_header-1.xz" =>
        "corrupt header of block 1 (starting at byte 12): the filter properties run past the header";
    xz_block_header_without_filter_flags: "bad-1-block_header-2.xz" =>
        "corrupt header of block 1 (starting at byte 12): the filter flags run past the header";
    xz_block_header_crc32_mismatch: "bad-1-block_header-3.xz" =>
        "corrupt header of block 1 (starting at byte 12): CRC32 mismatch";
    xz_block_header_compressed_size_too_large: "bad-1-block_header-4.xz" =>
        "corrupt header of block 1 (starting at byte 12)";
    xz_block_header_compressed_size_zero: "bad-1-block_header-5.xz" =>
        "corrupt header of block 1 (starting at byte 12): compressed size of zero";
    // Its "block header" starts with a zero byte, which is the index indicator: liblzma
    // reads an index there, and so does the message.
    xz_block_header_6_is_read_as_an_index: "bad-1-block_header-6.xz" =>
        "corrupt index (starting at byte 12): it lists 2240 blocks, the stream has 0";
    xz_crc32_mismatch_with_sizes_in_the_header: "bad-1-check-crc32-2.xz" =>
        "CRC32 mismatch in block 1 (starting at byte 12): the data does not match the check stored at byte 48";
    xz_crc32_mismatch: "bad-1-check-crc32.xz" =>
        "CRC32 mismatch in block 1 (starting at byte 12): the data does not match the check stored at byte 44";
    xz_crc64_mismatch: "bad-1-check-crc64.xz" =>
        "CRC64 mismatch in block 1 (starting at byte 12): the data does not match the check stored at byte 44";
    xz_sha256_mismatch: "bad-1-check-sha256.xz" =>
        "SHA-256 mismatch in block 1 (starting at byte 12): the data does not match the check stored at byte 44";
    xz_index_uncompressed_size_huge: "bad-1-index-huge-uncomp.xz" =>
        "corrupt index (starting at byte 44): the uncompressed sizes it lists differ from the blocks";
    xz_lzma2_first_chunk_without_dictionary_reset: "bad-1-lzma2-1.xz" =>
        "corrupt data in block 1 (starting at byte 12): the first LZMA2 chunk (at byte 24) does not reset the dictionary";
    xz_lzma2_data_past_the_block: "bad-1-lzma2-10.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_without_end_marker: "bad-1-lzma2-11.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_reference_before_dictionary_reset: "bad-1-lzma2-2.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_invalid_properties: "bad-1-lzma2-3.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_state_reset_without_properties: "bad-1-lzma2-4.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_no_reset_without_properties: "bad-1-lzma2-5.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_reserved_control_byte: "bad-1-lzma2-6.xz" =>
        "corrupt data in block 1 (starting at byte 12): invalid LZMA2 control byte 0x03 at byte 33";
    xz_lzma2_end_marker_inside_lzma: "bad-1-lzma2-7.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_third_chunk_without_properties: "bad-1-lzma2-8.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_lzma2_more_than_the_header_size: "bad-1-lzma2-9.xz" => "corrupt data in block 1 (starting at byte 12)";
    xz_stream_flags_differ_in_footer: "bad-1-stream_flags-1.xz" =>
        "corrupt stream footer (at byte 56): its stream flags differ from the stream header's";
    xz_stream_header_crc32_mismatch: "bad-1-stream_flags-2.xz" => "corrupt stream header: CRC32 mismatch";
    xz_stream_footer_crc32_mismatch: "bad-1-stream_flags-3.xz" => "corrupt stream footer (at byte 56): CRC32 mismatch";
    xz_non_minimal_integer_in_block_header: "bad-1-vli-1.xz" =>
        "corrupt header of block 1 (starting at byte 12): bad uncompressed size field";
    xz_ten_byte_integer_in_block_header: "bad-1-vli-2.xz" =>
        "corrupt header of block 1 (starting at byte 12): bad uncompressed size field";
    xz_non_zero_block_padding: "bad-2-compressed_data_padding.xz" =>
        "corrupt padding after the data of block 1 (starting at byte 12): a non-zero byte";
    xz_index_wrong_unpadded_sizes: "bad-2-index-1.xz" => "corrupt index (starting at byte 68)";
    xz_index_wrong_uncompressed_sizes: "bad-2-index-2.xz" => "corrupt index (starting at byte 68)";
    xz_index_non_zero_padding: "bad-2-index-3.xz" => "corrupt index (starting at byte 68): non-zero index padding";
    xz_index_crc32_mismatch: "bad-2-index-4.xz" => "corrupt index (starting at byte 68): CRC32 mismatch";
    xz_index_unpadded_size_zero: "bad-2-index-5.xz" => "corrupt index (starting at byte 68): an unpadded size of zero";
    xz_index_uncompressed_sizes_overflow: "bad-3-index-uncomp-overflow.xz" => "corrupt index (starting at byte 92)";
    xz_non_zero_block_header_padding: "unsupported-block_header.xz" =>
        "unsupported options in the header of block 1 (starting at byte 12): non-zero header padding";
    xz_unsupported_check_warns_as_before: "unsupported-check.xz" =>
        "unsupported type of integrity check (2) in stream 1 (starting at byte 0); not verifying its integrity";
    xz_unknown_filter: "unsupported-filter_flags-1.xz" =>
        "unsupported options in the header of block 1 (starting at byte 12): unknown filter ID 0x7f";
    xz_delta_as_last_filter: "unsupported-filter_flags-2.xz" =>
        "unsupported options in the header of block 1 (starting at byte 12): the last filter is not LZMA2";
    xz_two_lzma2_filters: "unsupported-filter_flags-3.xz" =>
        "unsupported options in the header of block 1 (starting at byte 12)";
}

/// Text that compresses about 3:1, so that 64 KiB blocks hold some 23 KiB of LZMA2 data.
fn text(len: usize) -> Vec<u8> {
    let noise = common::noise(len, 17);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        let word = &b"alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima "
            [(noise[i % len] as usize % 10) * 6..][..(noise[(i + 1) % len] as usize % 6) + 2];
        out.extend_from_slice(word);
        out.push(b"  \n"[noise[(i + 2) % len] as usize % 3]);
        i += 3;
    }
    out.truncate(len);
    out
}

/// A block as `xz --robot -lvv` lists it: where it starts in the file, its total size,
/// its header size, and whether the header holds the sizes.
struct XzBlock {
    start: usize,
    total: usize,
    header: usize,
    sized: bool,
    /// Its LZMA2 data's size, and where its output starts and how long it is.
    data: usize,
    out_start: usize,
    out_len: usize,
}

fn xz_blocks(file: &Path) -> Vec<XzBlock> {
    let run = Cmd::new("xz").args(["--robot", "-lvv"]).arg(file).run();
    run.success();
    run.stdout_str()
        .lines()
        .filter(|line| line.starts_with("block\t"))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            XzBlock {
                start: f[4].parse().unwrap(),
                total: f[6].parse().unwrap(),
                header: f[11].parse().unwrap(),
                sized: f[12] == "cu",
                data: f[13].parse().unwrap(),
                out_start: f[5].parse().unwrap(),
                out_len: f[7].parse().unwrap(),
            }
        })
        .collect()
}

/// `xz --block-size=64KiB` output, by one thread (headers without sizes) and by two (with
/// both sizes, which liblzma decodes on worker threads).
fn xz_multi_block(dir: &Path, threads: &str) -> (PathBuf, Vec<u8>, Vec<XzBlock>) {
    let data = text(1_500_000);
    let packed = reference("xz", &["-c", "--block-size=64KiB", "-T", threads], &data).stdout;
    let file = dir.join(format!("t{threads}.xz"));
    std::fs::write(&file, &packed).unwrap();
    let blocks = xz_blocks(&file);
    assert!(blocks.len() >= 20, "{} blocks", blocks.len());
    assert_eq!(blocks.iter().all(|b| b.sized), threads != "1", "xz -T {threads} header sizes");
    (file, packed, blocks)
}

/// `bytes` with one byte flipped at `at`; xz must reject it.
fn flipped(bytes: &[u8], at: usize, program: &str) -> Vec<u8> {
    let mut bad = bytes.to_vec();
    bad[at] ^= 0x10;
    let run = reference(program, &["-t"], &bad);
    assert_ne!(run.code, Some(0), "{program} -t accepts a flip at byte {at}");
    bad
}

fn jpack_test(input: &[u8], threads: &str) -> String {
    let run = jpack().args(["-t", "-T", threads]).stdin(input.to_vec()).run();
    run.code(1).one_line_error("jpack");
    run.stderr.clone()
}

/// A byte flipped in the middle of block 7's data, in block 12's header and in the last
/// block's check: the message names that block and the kind, on one thread and two.
#[test]
fn xz_flipped_byte_names_the_block_it_is_in() {
    if !common::have("xz") {
        return;
    }
    let dir = common::tempdir();
    for encoder_threads in ["1", "2"] {
        let (_, packed, blocks) = xz_multi_block(dir.path(), encoder_threads);
        let name = |b: &XzBlock, n: usize| format!("block {n} (starting at byte {})", b.start);
        let b7 = &blocks[6];
        let bad = flipped(&packed, b7.start + b7.total / 2, "xz");
        for threads in ["1", "2"] {
            let says = jpack_test(&bad, threads);
            assert!(says.contains(&name(b7, 7)), "xz -T {encoder_threads}, jpack -T {threads}: {says}");
            assert!(
                says.contains("corrupt data in")
                    || says.contains("CRC64 mismatch in")
                    || says.contains("is corrupt or"),
                "{says}"
            );
        }
        let b12 = &blocks[11];
        let bad = flipped(&packed, b12.start + 2, "xz");
        for threads in ["1", "2"] {
            let says = jpack_test(&bad, threads);
            assert!(says.contains(&format!("corrupt header of {}: CRC32 mismatch", name(b12, 12))), "{says}");
        }
        let n = blocks.len();
        let last = &blocks[n - 1];
        let check = last.start + last.total - 8;
        let bad = flipped(&packed, check + 3, "xz");
        let precise = format!(
            "CRC64 mismatch in {}: the data does not match the check stored at byte {check}",
            name(last, n)
        );
        // Worker threads hand out a block's output before its check is compared, and a
        // corrupt last chunk also fails only at the block's end: jpack decodes that block
        // again on one thread to say which (lib/src/codec/layout.rs).
        for threads in ["1", "2"] {
            let says = jpack_test(&bad, threads);
            assert!(says.contains(&precise), "jpack -T {threads}: {says}");
        }
        // The index, right after the last block.
        let index = last.start + last.total;
        let bad = flipped(&packed, index + 2, "xz");
        for threads in ["1", "2"] {
            let says = jpack_test(&bad, threads);
            assert!(says.contains(&format!("corrupt index (starting at byte {index})")), "{says}");
        }
    }
}

/// `jpack -t` and `jpack -d` on `bad` with one thread and with two: `-t` exits as `xz -t`
/// does (which calls both kinds "Compressed data is corrupt"), `-d` with 2 (an error);
/// both thread counts say `expected`; what `-d` writes is the start of the data, up to the
/// end of the failing block at most (the second decode of the failing block writes
/// nothing).
fn same_verdict_on_one_and_two_threads(bad: &[u8], data: &[u8], failing: &XzBlock, expected: &str) {
    let xz = reference("xz", &["-t"], bad);
    assert!(xz.stderr.contains("Compressed data is corrupt"), "xz -t: {}", xz.stderr);
    let code = xz.code.expect("xz exited");
    for threads in ["1", "2"] {
        let test = jpack().args(["-t", "-T", threads]).stdin(bad.to_vec()).run();
        test.code(code).one_line_error("jpack").stderr_contains(expected);
        assert!(!test.stderr.contains("is corrupt or"), "jpack -t -T {threads}: {}", test.stderr);
        let run = jpack().args(["-d", "-T", threads]).stdin(bad.to_vec()).run();
        run.code(2).one_line_error("jpack").stderr_contains(expected);
        let out = &run.stdout;
        let most = failing.out_start + failing.out_len;
        assert!(out.len() <= most, "jpack -d -T {threads}: {} bytes out, more than {most}", out.len());
        assert!(data.starts_with(out), "jpack -d -T {threads}: the output is not the data's start");
    }
}

/// A wrong CRC64 in a block whose header carries its sizes (as `xz -T2` writes them): the
/// threaded decoder fails only after the block's output, where it cannot tell a wrong check
/// from corrupt data; jpack -T2 names the check as -T1 does.
#[test]
fn xz_threaded_check_mismatch_in_a_sized_block_names_the_check() {
    if !common::have("xz") {
        return;
    }
    let dir = common::tempdir();
    let (_, packed, blocks) = xz_multi_block(dir.path(), "2");
    let data = text(1_500_000);
    for n in [7, blocks.len()] {
        let block = &blocks[n - 1];
        assert!(block.sized);
        let check = block.start + block.total - 8;
        let bad = flipped(&packed, check + 5, "xz");
        let expected = format!(
            "CRC64 mismatch in block {n} (starting at byte {}): the data does not match the check stored at byte {check}",
            block.start
        );
        same_verdict_on_one_and_two_threads(&bad, &data, block, &expected);
    }
}

/// A flipped byte at the end of a sized block's LZMA2 data (the range coder's last byte,
/// just before the end marker): found only when the block's data ends, after all its
/// output; jpack -T2 says corrupt data as -T1 does, not "corrupt or does not match".
#[test]
fn xz_threaded_corrupt_data_at_a_sized_block_end_names_the_data() {
    if !common::have("xz") {
        return;
    }
    let dir = common::tempdir();
    let (_, packed, blocks) = xz_multi_block(dir.path(), "2");
    let data = text(1_500_000);
    for n in [7, blocks.len()] {
        let block = &blocks[n - 1];
        let data_end = block.start + block.header + block.data;
        assert_eq!(packed[data_end - 1], 0, "block {n}: the LZMA2 end marker");
        let bad = flipped(&packed, data_end - 2, "xz");
        let expected = format!("corrupt data in block {n} (starting at byte {})", block.start);
        same_verdict_on_one_and_two_threads(&bad, &data, block, &expected);
    }
}

/// Damage in the second of two concatenated xz streams names that stream and its block,
/// numbered from 1 within the stream.
#[test]
fn xz_damage_in_second_stream_names_stream_and_block() {
    if !common::have("xz") {
        return;
    }
    let dir = common::tempdir();
    let (_, packed, blocks) = xz_multi_block(dir.path(), "2");
    let both = [&packed[..], &packed[..]].concat();
    let b3 = &blocks[2];
    let bad = flipped(&both, packed.len() + b3.start + 1, "xz");
    for threads in ["1", "2"] {
        let says = jpack_test(&bad, threads);
        let header = format!(
            "corrupt header of block 3 (starting at byte {}): CRC32 mismatch in stream 2 (starting at byte {})",
            packed.len() + b3.start,
            packed.len()
        );
        assert!(says.contains(&header), "{says}");
    }
}

/// A cut xz stream names the byte where the input ends and the block it ends in; xz calls
/// it an unexpected end of input.
#[test]
fn xz_truncated_names_where_the_input_ends() {
    if !common::have("xz") {
        return;
    }
    let dir = common::tempdir();
    for encoder_threads in ["1", "2"] {
        let (_, packed, blocks) = xz_multi_block(dir.path(), encoder_threads);
        let b9 = &blocks[8];
        let cut = b9.start + b9.header + 1000;
        let input = &packed[..cut];
        let xz = reference("xz", &["-t"], input);
        assert!(xz.stderr.contains("Unexpected end of input"), "{}", xz.stderr);
        for threads in ["1", "2"] {
            let says = jpack_test(input, threads);
            let expected = format!(
                "truncated: the input ends at byte {cut} in the data of block 9 (starting at byte {})",
                b9.start
            );
            assert!(says.contains(&expected), "{says}");
        }
        // Cut right after a block: where the next block or the index starts.
        let cut = b9.start + b9.total;
        let says = jpack_test(&packed[..cut], "2");
        assert!(says.contains(&format!("ends at byte {cut} after block 9, where the next block")), "{says}");
    }
}

/// The frames and blocks of a zstd file as its headers lay them out (RFC 8878 3.1.1): for
/// each frame its start and the start of each block (a 3-byte header each).
fn zstd_layout(data: &[u8]) -> Vec<(usize, Vec<usize>)> {
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        assert_eq!(&data[pos..pos + 4], &[0x28, 0xb5, 0x2f, 0xfd], "a zstd frame at byte {pos}");
        let start = pos;
        let fhd = data[pos + 4];
        let single = usize::from(fhd & 0x20 != 0);
        let dictionary = [0, 1, 2, 4][usize::from(fhd & 3)];
        let content = [single, 2, 4, 8][usize::from(fhd >> 6)];
        pos += 5 + (1 - single) + dictionary + content;
        let mut blocks = Vec::new();
        loop {
            let header = u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], 0]);
            blocks.push(pos);
            let body = if (header >> 1) & 3 == 1 { 1 } else { (header >> 3) as usize };
            pos += 3 + body;
            if header & 1 == 1 {
                break;
            }
        }
        if fhd & 4 != 0 {
            pos += 4;
        }
        frames.push((start, blocks));
    }
    frames
}

/// Two frames from the zstd CLI (`cat a.zst a.zst`), bytes flipped in blocks of both: when
/// zstd says the data is corrupt, jpack names the frame and the block holding the flipped
/// byte; when zstd says the checksum does not match, jpack says so, naming the frame; when
/// a flipped block size makes zstd read past the end, both say the input ends early.
#[test]
fn zstd_flipped_byte_names_frame_and_block() {
    if !common::have("zstd") {
        return;
    }
    let data = text(1_200_000);
    let one = reference("zstd", &["-c", "-3"], &data).stdout;
    let both = [&one[..], &one[..]].concat();
    let frames = zstd_layout(&both);
    assert_eq!(frames.len(), 2);
    let dir = common::tempdir();
    let file = dir.path().join("two.zst");
    std::fs::write(&file, &both).unwrap();
    let listed = Cmd::new("zstd").arg("-lv").arg(&file).run();
    let listed_frames = listed.stdout_str() + &listed.stderr;
    assert!(listed_frames.contains("Frames: 2"), "zstd -lv: {listed_frames}");
    let (mut corrupt, mut checksum) = (0, 0);
    for (f, (frame_start, blocks)) in frames.iter().enumerate() {
        assert!(blocks.len() >= 6, "{} blocks", blocks.len());
        for (b, &block) in blocks.iter().enumerate().skip(1).step_by(2) {
            let end = blocks.get(b + 1).copied().unwrap_or(block + 1000);
            for at in [block + 1, block + 5, block + (end - block) / 2] {
                let mut bad = both.clone();
                bad[at] ^= 0x10;
                let zstd = reference("zstd", &["-t"], &bad);
                assert_ne!(zstd.code, Some(0), "zstd accepts a flip at byte {at}");
                let says = jpack_test(&bad, "2");
                let frame = format!("in frame {} (starting at byte {frame_start})", f + 1);
                assert!(says.contains(&frame), "flip at {at}: {says}");
                if zstd.stderr.contains("premature end") {
                    // A flip in a block header's size can make the block run past the end.
                    let named = format!(
                        "truncated: the input ends at byte {} in block {} (starting at byte {block})",
                        bad.len(),
                        b + 1
                    );
                    assert!(says.contains(&named), "flip at {at}, zstd: {}; jpack: {says}", zstd.stderr);
                } else if zstd.stderr.contains("checksum") {
                    checksum += 1;
                    assert!(
                        says.contains("checksum mismatch"),
                        "flip at {at}, zstd: {}; jpack: {says}",
                        zstd.stderr
                    );
                } else {
                    corrupt += 1;
                    let named = format!("corrupt block {} (starting at byte {block})", b + 1);
                    assert!(says.contains(&named), "flip at {at}, zstd: {}; jpack: {says}", zstd.stderr);
                }
            }
        }
    }
    assert!(
        corrupt > 0 && checksum > 0,
        "{corrupt} corrupt, {checksum} checksum cases: both kinds must be seen"
    );
}

/// A cut zstd frame names the byte where the input ends and the block it ends in.
#[test]
fn zstd_truncated_names_where_the_input_ends() {
    if !common::have("zstd") {
        return;
    }
    let data = text(1_200_000);
    let one = reference("zstd", &["-c", "-3"], &data).stdout;
    let both = [&one[..], &one[..]].concat();
    let frames = zstd_layout(&both);
    let (frame_start, blocks) = &frames[1];
    let block = blocks[3];
    let cut = block + 700;
    let input = &both[..cut];
    assert_ne!(reference("zstd", &["-t"], input).code, Some(0));
    let says = jpack_test(input, "2");
    let expected = format!(
        "truncated: the input ends at byte {cut} in block 4 (starting at byte {block}) in frame 2 (starting at byte {frame_start})"
    );
    assert!(says.contains(&expected), "{says}");
}
