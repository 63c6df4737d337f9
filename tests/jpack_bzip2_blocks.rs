//! jpack -d of one bzip2 stream of many blocks (what bzip2 and lbzip2 write), decoded
//! block-parallel, against the reference tools: where each block starts comes from
//! `bzip2recover` (bzip2's own block finder), what each block decodes to from `bzip2 -dc`
//! of the block files it writes, never from jpack.
mod common;

use std::path::Path;

use common::{Cmd, Run, jpack};

fn reference(program: &str, args: &[&str], input: &[u8]) -> Run {
    Cmd::new(program).args(args).stdin(input.to_vec()).run()
}

/// Text of varying compressibility (so that block lengths, and the bit offsets blocks
/// start at, vary), `pieces` × about 100 kB.
fn mixed(pieces: u64) -> Vec<u8> {
    (0..pieces)
        .flat_map(|i| {
            let noise = common::noise(100_000 - 331 * i as usize, i + 1);
            noise
                .iter()
                .enumerate()
                .map(|(j, &b)| if u64::from(b % 5) < 2 + i % 3 { b } else { b"jail image\n"[j % 11] })
                .collect::<Vec<u8>>()
        })
        .collect()
}

/// Each block of `packed` as bzip2recover finds it: the bit its magic starts at, and
/// what bzip2 decodes the block file bzip2recover writes for it to.
fn blocks(dir: &Path, packed: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let file = dir.join("stream.bz2");
    std::fs::write(&file, packed).unwrap();
    let run = Cmd::new("bzip2recover").arg(&file).run();
    run.success();
    let mut found = Vec::new();
    for line in run.stderr.lines() {
        // "   block 3 runs from 495737 to 1007173": the bits after the 48-bit magic.
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["block", n, "runs", "from", from, "to", _] = words[..] {
            let n: usize = n.parse().unwrap();
            let from: u64 = from.parse().unwrap();
            let block_file = dir.join(format!("rec{n:05}stream.bz2"));
            let out = Cmd::new("bzip2").arg("-dc").arg(&block_file).run();
            out.success();
            found.push((from - 48, out.stdout));
        }
    }
    assert!(!found.is_empty(), "bzip2recover found no blocks: {}", run.stderr);
    found
}

/// Damage in block N of a single stream: bzip2 fails, jpack fails naming block N and
/// where it starts, after writing exactly blocks 1..N-1 (as bzip2 does).
#[test]
fn damage_in_block_n_is_named() {
    if !["bzip2", "lbzip2", "bzip2recover"].iter().all(|p| common::have(p)) {
        return;
    }
    let dir = common::tempdir();
    let data = mixed(8);
    for (program, args) in [("bzip2", &["-1", "-c"][..]), ("lbzip2", &["-1", "-n", "2", "-c"][..])] {
        let packed = reference(program, args, &data).stdout;
        // bzip2recover does not overwrite the block files of the other program's stream.
        let blocks_dir = dir.path().join(program);
        std::fs::create_dir(&blocks_dir).unwrap();
        let blocks = blocks(&blocks_dir, &packed);
        assert!(blocks.len() >= 6, "{program}: {} blocks", blocks.len());
        for n in [2, blocks.len() / 2 + 1, blocks.len()] {
            let start = blocks[n - 1].0;
            let end = blocks.get(n).map_or(packed.len() as u64 * 8 - 80, |b| b.0);
            let mut damaged = packed.clone();
            damaged[((start + end) / 16) as usize] ^= 0x24;
            assert_ne!(
                reference("bzip2", &["-dc"], &damaged).code,
                Some(0),
                "{program}: bzip2 accepts the damage"
            );
            let run = jpack().args(["-d", "-T", "2"]).stdin(damaged.clone()).run();
            run.code(2)
                .one_line_error("jpack")
                .stderr_contains(&format!("block {n} is corrupt"))
                .stderr_contains(&format!("bit {} of byte {}", start % 8, start / 8));
            let before: Vec<u8> = blocks[..n - 1].iter().flat_map(|b| b.1.clone()).collect();
            assert!(
                run.stdout == before,
                "{program}, block {n}: output before the damage is not blocks 1..{}",
                n - 1
            );
        }
    }
}

/// Block boundaries at each of the eight bit offsets in a byte (bzip2recover says where
/// they are): jpack decodes the stream as bzip2 does, on 1, 2 and 3 threads.
#[test]
fn block_boundaries_at_every_bit_offset() {
    if !["bzip2", "bzip2recover"].iter().all(|p| common::have(p)) {
        return;
    }
    let dir = common::tempdir();
    let data = mixed(64);
    let packed = reference("bzip2", &["-1", "-c"], &data).stdout;
    let blocks = blocks(dir.path(), &packed);
    let offsets: std::collections::BTreeSet<u64> = blocks.iter().map(|b| b.0 % 8).collect();
    assert_eq!(offsets.len(), 8, "block starts at bit offsets {offsets:?}");
    let expected = reference("bzip2", &["-dc"], &packed);
    expected.success();
    assert!(expected.stdout == data);
    for threads in ["1", "2", "3"] {
        jpack()
            .args(["-d", "-T", threads])
            .stdin(packed.clone())
            .run()
            .success()
            .stderr_is_empty()
            .stdout_is(&data);
    }
}
