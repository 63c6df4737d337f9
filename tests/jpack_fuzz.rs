//! Fuzzing the detector and every decoder with proptest (cargo-fuzz needs a nightly
//! compiler): valid streams with flipped bytes, cut short, with bytes inserted or removed,
//! and arbitrary bytes behind each magic number. The decoder must not panic or hang; it
//! either fails or gives back exactly the original data (lzma, which has no checksum,
//! may also give other data).
//!
//! In-process through jcore (the library jpack is a command line over), so that thousands
//! of cases run in seconds. The seed is fixed so that CI runs are reproducible.

mod common;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use jcore::codec::{Decoder, Encoder, Format};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const FORMATS: [Format; 6] =
    [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4, Format::Lzma];
/// A decode of a few KiB taking longer than this is a hang.
const HANG: Duration = Duration::from_secs(30);

fn original() -> Vec<u8> {
    let mut data = Vec::new();
    for i in 0..3000u32 {
        data.extend_from_slice(format!("line {i} of a jail image {}\n", i % 7).as_bytes());
    }
    data
}

fn encode(format: Format, data: &[u8]) -> Vec<u8> {
    let mut encoder = Encoder::new(format, None, 2, Vec::new()).unwrap();
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Decodes on another thread; panics if that takes longer than [`HANG`]. A panic inside
/// the decoder comes back as `Err` from the join and fails the test.
fn decode(data: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let (send, receive) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let result = Decoder::new(&data[..]).and_then(|decoder| {
            let mut out = Vec::new();
            decoder.with_threads(3).read_to_end(&mut out).map(|_| out)
        });
        let _ = send.send(());
        result
    });
    match receive.recv_timeout(HANG) {
        Ok(()) => worker.join().expect("the decoder panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the decoder panicked"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the decoder hangs"),
    }
}

#[derive(Debug, Clone)]
enum Damage {
    Flip { at: usize, mask: u8 },
    Cut { at: usize },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Damage::Flip { at, mask }),
        any::<usize>().prop_map(|at| Damage::Cut { at }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Damage::Insert { at, byte }),
        any::<usize>().prop_map(|at| Damage::Remove { at }),
    ]
}

fn apply(mut data: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let len = data.len().max(1);
        match *d {
            Damage::Flip { at, mask } if !data.is_empty() => data[at % len] ^= mask,
            Damage::Cut { at } => data.truncate(at % len),
            Damage::Insert { at, byte } => data.insert(at % (data.len() + 1), byte),
            Damage::Remove { at } if !data.is_empty() => {
                data.remove(at % len);
            }
            _ => {}
        }
    }
    data
}

/// 300 cases per property with a fixed seed; `JPACK_FUZZ_CASES=N` and
/// `JPACK_FUZZ_SEED=S` for a longer or different run.
fn config() -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("JPACK_FUZZ_CASES").map_or(300, |n| n as u32),
        rng_seed: RngSeed::Fixed(env("JPACK_FUZZ_SEED").unwrap_or(0x006a_7061_636b)),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn damaged_streams_fail_or_decode_correctly(
        format in proptest::sample::select(&FORMATS[..]),
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let data = original();
        let damaged = apply(encode(format, &data), &damages);
        if let Ok(out) = decode(damaged) {
            prop_assert!(out == data || format == Format::Lzma, "{format}: wrong output without an error");
        }
    }

    #[test]
    fn anything_behind_a_magic_number_is_safe(
        format in proptest::sample::select(&FORMATS[..]),
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
        keep in 1..40usize,
    ) {
        // The real start of a stream (magic and part of the header), then arbitrary bytes.
        let mut data = encode(format, b"x");
        data.truncate(keep.min(data.len()));
        data.extend_from_slice(&tail);
        let _ = decode(data);
    }

    #[test]
    fn detector_never_panics(head in proptest::collection::vec(any::<u8>(), 0..16)) {
        let detected = Format::detect(&head);
        let decoder = Decoder::pass_through(&head[..]).unwrap();
        prop_assert_eq!(decoder.format(), detected.unwrap_or(Format::None));
        let _ = decode(head);
    }
}

/// One bzip2 stream of several blocks, as bzip2 -1 writes it (jpack's own encoder
/// writes one stream per block): the input of the block-parallel decoder.
fn single_stream_bzip2() -> Option<&'static (Vec<u8>, Vec<u8>)> {
    static STREAM: std::sync::OnceLock<Option<(Vec<u8>, Vec<u8>)>> = std::sync::OnceLock::new();
    STREAM
        .get_or_init(|| {
            let mut data = Vec::new();
            for i in 0..12_000u32 {
                data.extend_from_slice(format!("block line {i} {}\n", i * 7919 % 1013).as_bytes());
            }
            let mut child = std::process::Command::new("bzip2")
                .args(["-1", "-c"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .ok()?;
            let mut stdin = child.stdin.take()?;
            let input = data.clone();
            let writer = std::thread::spawn(move || stdin.write_all(&input));
            let output = child.wait_with_output().ok()?;
            writer.join().ok()?.ok()?;
            output.status.success().then_some((data, output.stdout))
        })
        .as_ref()
}

proptest! {
    #![proptest_config(Config { cases: config().cases / 5, ..config() })]

    #[test]
    fn damaged_single_stream_bzip2_fails_or_decodes_correctly(
        damages in proptest::collection::vec(damage(), 1..3),
    ) {
        let Some((data, packed)) = single_stream_bzip2() else {
            // Without bzip2 the case is skipped (a failure under JTOOLS_REQUIRE_ALL=1);
            // with it, the stream must have been made.
            prop_assert!(!common::have("bzip2"), "bzip2 -1 failed");
            return Ok(());
        };
        assert!(data.len() > 200_000, "several 100 kB blocks at -1: {} bytes", data.len());
        if let Ok(out) = decode(apply(packed.clone(), &damages)) {
            prop_assert!(&out == data, "wrong output without an error");
        }
    }
}

#[test]
fn undamaged_streams_decode() {
    let data = original();
    for format in FORMATS {
        assert!(decode(encode(format, &data)).unwrap() == data, "{format}");
    }
}
