//! Encoder round trips with proptest: arbitrary data (small alphabets, long runs, sizes
//! around each encoder's block size) compressed by every jcore encoder on 1 and 3
//! threads, written in arbitrary pieces, then decoded by jpack's decoder and by the
//! reference CLI (zstd, xz, gzip, bzip2, lz4). Both must give back exactly the input.
//!
//! Case counts are bounded (`JPACK_PROP_CASES`, default 24 per codec) so the whole file
//! stays under a minute; the seed is fixed for reproducible CI runs (`JPACK_PROP_SEED`).
mod common;

use std::io::{Read, Write};

use jcore::codec::{Decoder, Encoder, Format};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};

fn config() -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("JPACK_PROP_CASES").map_or(24, |n| n as u32),
        rng_seed: RngSeed::Fixed(env("JPACK_PROP_SEED").unwrap_or(0x006a_7072_6f70)),
        failure_persistence: None,
        max_shrink_iters: 50,
        ..Config::default()
    }
}

/// The input sizes where an encoder cuts: its block size (as jcore's encode module and the
/// libraries at the fastest level use them).
fn boundaries(format: Format) -> Vec<usize> {
    match format {
        // zstd's 128 KiB blocks.
        Format::Zstd => vec![128 << 10, 256 << 10],
        // xz -0: 256 KiB dictionary, threaded blocks of 3 x that.
        Format::Xz => vec![768 << 10],
        // jcore's gzip blocks (pigz-like) of 1 MiB.
        Format::Gzip => vec![1 << 20],
        // bzip2 -1: 100 000-byte blocks (jcore cuts 100 bytes below).
        Format::Bzip2 => vec![99_900, 100_000, 199_800],
        // lz4's 4 MiB blocks.
        Format::Lz4 => vec![4 << 20],
        Format::Lzma | Format::None => vec![],
    }
}

/// Data made of runs over a small alphabet (or all bytes), of a size near a boundary or
/// small.
fn data(format: Format) -> impl Strategy<Value = Vec<u8>> {
    let sizes = boundaries(format);
    let size = prop_oneof![
        2 => 0usize..3000,
        3 => (0..sizes.len().max(1), -70i64..70).prop_map(move |(i, delta)| {
            sizes.get(i).map_or(5000, |&b| (b as i64 + delta).max(0) as usize)
        }),
    ];
    let alphabet = prop_oneof![Just(1u16), Just(2), Just(4), Just(17), Just(256)];
    // Runs: mostly short, sometimes very long (bzip2's run-length passes, zstd's RLE blocks).
    let run = prop_oneof![6 => 1usize..8, 2 => 8usize..300, 1 => 300usize..300_000];
    (size, alphabet, proptest::collection::vec((any::<u8>(), run), 1..40)).prop_map(
        |(size, alphabet, runs)| {
            let mut out = Vec::with_capacity(size);
            let mut i = 0;
            while out.len() < size {
                let (byte, len) = runs[i % runs.len()];
                let symbol = if alphabet == 256 { byte } else { b'a' + (byte as u16 % alphabet) as u8 };
                // Vary the symbol from lap to lap so that the pattern is not one period.
                let symbol = symbol.wrapping_add(if alphabet == 256 { (i / runs.len()) as u8 } else { 0 });
                out.extend(std::iter::repeat_n(symbol, len.min(size - out.len())));
                i += 1;
            }
            out
        },
    )
}

fn reference(format: Format) -> (&'static str, &'static [&'static str]) {
    match format {
        Format::Zstd => ("zstd", &["-d", "-c", "-q"]),
        Format::Xz => ("xz", &["-d", "-c"]),
        Format::Lzma => ("xz", &["--format=lzma", "-d", "-c"]),
        Format::Gzip => ("gzip", &["-d", "-c"]),
        Format::Bzip2 => ("bzip2", &["-d", "-c"]),
        Format::Lz4 => ("lz4", &["-d", "-c"]),
        Format::None => ("cat", &[]),
    }
}

fn round_trip(format: Format, data: &[u8], piece: usize) -> Result<(), TestCaseError> {
    let level = format.levels().map(|l| l.min);
    for threads in [1, 3] {
        let mut encoder = Encoder::new(format, level, threads, Vec::new()).unwrap();
        for chunk in data.chunks(piece.max(1)) {
            encoder.write_all(chunk).unwrap();
        }
        let packed = encoder.finish().unwrap();
        let mut decoded = Vec::new();
        Decoder::new(&packed[..]).unwrap().with_threads(threads).read_to_end(&mut decoded).unwrap();
        prop_assert!(decoded == data, "{} on {} thread(s): jpack decoded other data", format, threads);
        let (program, args) = reference(format);
        let run = common::Cmd::new(program).args(args).stdin(packed).run();
        prop_assert_eq!(
            run.code,
            Some(0),
            "{} on {} thread(s): {} failed: {}",
            format,
            threads,
            program,
            run.stderr
        );
        prop_assert!(
            run.stdout == data,
            "{} on {} thread(s): {} decoded other data",
            format,
            threads,
            program
        );
    }
    Ok(())
}

macro_rules! encoder_round_trip {
    ($name:ident, $format:expr) => {
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $name(data in data($format), piece in prop_oneof![Just(1usize << 20), 1usize..70_000]) {
                let (program, _) = reference($format);
                if !common::have(program) {
                    return Ok(());
                }
                round_trip($format, &data, piece)?;
            }
        }
    };
}

encoder_round_trip!(encoder_round_trip_zstd, Format::Zstd);
encoder_round_trip!(encoder_round_trip_xz, Format::Xz);
encoder_round_trip!(encoder_round_trip_gzip, Format::Gzip);
encoder_round_trip!(encoder_round_trip_bzip2, Format::Bzip2);
encoder_round_trip!(encoder_round_trip_lz4, Format::Lz4);
encoder_round_trip!(encoder_round_trip_lzma, Format::Lzma);
