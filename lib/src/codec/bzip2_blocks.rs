//! Parallel decoding of the blocks of one bzip2 stream: what bzip2 and lbzip2 write (one
//! stream of many 900 kB blocks; SmartOS `.zfs.bz2` images), which [`super::multistream`]
//! cannot split because there is only one stream.
//!
//! bzip2 blocks are not byte-aligned, but each starts with the 48-bit magic
//! `0x314159265359` and the stream ends with `0x177245385090` and the combined CRC. The
//! window is scanned bit by bit for those magics; each block's bits are copied, shifted to
//! a byte boundary, into a stream of its own (`BZh` + the level, the block, an end marker
//! whose combined CRC is the block's CRC, as for any one-block stream) which libbzip2
//! decodes on a worker thread, verifying the block CRC. The caller folds the block CRCs
//! into the stream's combined CRC and checks it against the stream's end.
//!
//! The magic can also occur by chance inside a block's data (a false boundary). A block
//! that does not decode is retried merged with the pieces after it, which undoes a false
//! cut; if nothing decodes, the caller falls back to the serial decoder at the start of
//! the stream, or, in the middle of a stream (data already handed out), reports the
//! block as corrupt. Memory: one window of compressed input plus the output of `threads`
//! blocks (a block decodes to at most about 46 MB, bzip2's run-length limit).

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
const END_MAGIC: u64 = 0x1772_4538_5090;
const MASK48: u64 = (1 << 48) - 1;
/// A block's magic, CRC and at least the randomised bit and origin pointer.
const MIN_BLOCK_BITS: u64 = 48 + 32 + 1 + 24;
/// Pieces merged at most when retrying a false cut.
const MAX_MERGE: usize = 4;

/// What one call decoded.
pub(super) enum Outcome {
    /// Whole blocks from `start_bit`.
    Blocks {
        /// Their output, in order.
        output: Vec<u8>,
        /// Each block's CRC, in order.
        crcs: Vec<u32>,
        /// The bit (from the window's start) after the last block decoded.
        end_bit: u64,
        /// The stream ended there: its stored combined CRC, and the bit after the stream
        /// (before the padding to a byte).
        stream_end: Option<(u32, u64)>,
    },
    /// Nothing could be decoded from `start_bit` (damage, a false cut that merging did
    /// not undo, or a block larger than the window).
    Undecodable,
}

/// Decodes up to `threads` blocks of a stream at `level` (`b'1'..=b'9'`) whose next block
/// (or end) starts at bit `start_bit` of `window`. Only whole blocks are decoded: a block
/// that the window cuts is left for the next call, with a window that starts there.
pub(super) fn decode(window: &[u8], start_bit: u64, level: u8, threads: usize) -> Outcome {
    let marks = magics(window, start_bit, threads + MAX_MERGE + 1);
    decode_at(window, &marks, start_bit, level, threads)
}

/// [`decode`] with the magics found.
fn decode_at(window: &[u8], marks: &[(u64, bool)], start_bit: u64, level: u8, threads: usize) -> Outcome {
    let Some(&(first, first_is_end)) = marks.first() else { return Outcome::Undecodable };
    if first != start_bit {
        return Outcome::Undecodable;
    }
    if first_is_end {
        return match read_bits(window, first + 48, 32) {
            Some(crc) => Outcome::Blocks {
                output: Vec::new(),
                crcs: Vec::new(),
                end_bit: first,
                stream_end: Some((crc as u32, first + 80)),
            },
            None => Outcome::Undecodable,
        };
    }
    // Candidate pieces: from one mark to the next (a block, if the marks are true).
    let mut pieces = Vec::new();
    for pair in marks.windows(2) {
        pieces.push((pair[0].0, pair[1].0));
        if pair[1].1 {
            break;
        }
    }
    let wanted = pieces.len().min(threads);
    if wanted == 0 {
        return Outcome::Undecodable;
    }
    let decoded = decode_parallel(window, level, &pieces[..wanted], threads);
    let mut output = Vec::new();
    let mut crcs = Vec::new();
    let mut end_bit = start_bit;
    let mut i = 0;
    while i < wanted {
        let (start, _) = pieces[i];
        debug_assert_eq!(start, end_bit);
        let mut found = decoded[i].as_ref().map(|out| (out.clone(), pieces[i].1, 1));
        // A false cut: the block may be this piece and the next ones together.
        let mut merge = 2;
        while found.is_none() && merge <= MAX_MERGE && i + merge <= pieces.len() {
            let end = pieces[i + merge - 1].1;
            found = decode_block(window, level, start, end).map(|out| (out, end, merge));
            merge += 1;
        }
        let Some((out, end, used)) = found else { break };
        output.extend_from_slice(&out);
        crcs.push(read_bits(window, start + 48, 32).expect("inside a decoded block") as u32);
        end_bit = end;
        i += used;
    }
    if crcs.is_empty() {
        return Outcome::Undecodable;
    }
    let stream_end = marks
        .iter()
        .find(|&&(bit, is_end)| is_end && bit == end_bit)
        .and_then(|&(bit, _)| read_bits(window, bit + 48, 32).map(|crc| (crc as u32, bit + 80)));
    Outcome::Blocks { output, crcs, end_bit, stream_end }
}

/// Whether a whole end of stream (magic and combined CRC) follows bit `from` in `window`.
pub(super) fn end_follows(window: &[u8], from: u64) -> bool {
    let total = window.len() as u64 * 8;
    magics(window, from, usize::MAX).last().is_some_and(|&(bit, is_end)| is_end && bit + 80 <= total)
}

/// The bit positions of block and end magics from `from` on, at most `max` (stopping
/// after an end magic), each with whether it is the end.
fn magics(window: &[u8], from: u64, max: usize) -> Vec<(u64, bool)> {
    let mut marks = Vec::new();
    let total = window.len() as u64 * 8;
    let mut bit = from;
    while bit + 48 <= total && marks.len() < max {
        // Eight bit positions per 64-bit load.
        let byte = (bit / 8) as usize;
        let word = load_be(window, byte);
        for shift in (bit % 8)..8 {
            let at = byte as u64 * 8 + shift;
            if at + 48 > total {
                break;
            }
            let value = (word >> (16 - shift)) & MASK48;
            if value == BLOCK_MAGIC || value == END_MAGIC {
                // A true block is at least MIN_BLOCK_BITS long; a magic closer than that
                // to the previous one is inside it.
                if marks.last().is_none_or(|&(last, _)| at >= last + MIN_BLOCK_BITS) {
                    marks.push((at, value == END_MAGIC));
                    if value == END_MAGIC {
                        return marks;
                    }
                }
            }
        }
        bit = (byte as u64 + 1) * 8;
    }
    marks
}

/// Eight bytes from `at`, big-endian, zero past the end.
fn load_be(window: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    let available = window.len().saturating_sub(at).min(8);
    bytes[..available].copy_from_slice(&window[at..at + available]);
    u64::from_be_bytes(bytes)
}

/// `count` (at most 57) bits from bit `at`, or None past the end.
fn read_bits(window: &[u8], at: u64, count: u32) -> Option<u64> {
    if at + u64::from(count) > window.len() as u64 * 8 {
        return None;
    }
    let word = load_be(window, (at / 8) as usize);
    Some((word << (at % 8)) >> (64 - count))
}

fn decode_parallel(window: &[u8], level: u8, pieces: &[(u64, u64)], threads: usize) -> Vec<Option<Vec<u8>>> {
    let next = AtomicUsize::new(0);
    let mut results = vec![None; pieces.len()];
    let done: Vec<Vec<(usize, Option<Vec<u8>>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(pieces.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(start, end)) = pieces.get(i) else { break };
                        mine.push((i, decode_block(window, level, start, end)));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a bzip2 block worker panicked")).collect()
    });
    for (i, out) in done.into_iter().flatten() {
        results[i] = out;
    }
    results
}

/// The block in bits `start..end` of `window`, decoded as a one-block stream of its own;
/// None when libbzip2 rejects it (damage, a CRC mismatch, or a false cut).
fn decode_block(window: &[u8], level: u8, start: u64, end: u64) -> Option<Vec<u8>> {
    let crc = read_bits(window, start + 48, 32)?;
    let mut stream = BitWriter::new(((end - start) / 8 + 32) as usize);
    stream.bytes.extend_from_slice(b"BZh");
    stream.bytes.push(level);
    copy_bits(window, start, end, &mut stream);
    stream.put(END_MAGIC, 48);
    stream.put(crc, 32);
    let bytes = stream.finish();
    let mut decoder = bzip2::read::BzDecoder::new(&bytes[..]);
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).ok()?;
    // The whole synthetic stream must have been one block and its end.
    Some(out)
}

fn copy_bits(window: &[u8], start: u64, end: u64, out: &mut BitWriter) {
    let mut bit = start;
    while bit + 56 <= end {
        let value = read_bits(window, bit, 56).expect("inside the window");
        out.put(value, 56);
        bit += 56;
    }
    if bit < end {
        let count = (end - bit) as u32;
        out.put(read_bits(window, bit, count).expect("inside the window"), count);
    }
}

/// MSB-first bit writer.
struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl BitWriter {
    fn new(capacity: usize) -> BitWriter {
        BitWriter { bytes: Vec::with_capacity(capacity), acc: 0, bits: 0 }
    }

    /// Appends the low `count` (at most 56) bits of `value`.
    fn put(&mut self, value: u64, count: u32) {
        debug_assert!(count <= 56);
        let value = value & ((1u64 << count) - 1);
        self.acc = (self.acc << count) | value;
        self.bits += count;
        while self.bits >= 8 {
            self.bits -= 8;
            self.bytes.push((self.acc >> self.bits) as u8);
        }
        self.acc &= (1u64 << self.bits) - 1;
    }

    fn finish(mut self) -> Vec<u8> {
        if self.bits > 0 {
            self.bytes.push((self.acc << (8 - self.bits)) as u8);
        }
        self.bytes
    }
}

/// bzip2's combined stream CRC after one more block.
pub(super) fn combine(combined: u32, block_crc: u32) -> u32 {
    combined.rotate_left(1) ^ block_crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn sample(len: usize) -> Vec<u8> {
        let mut state = 7u64;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 3 == 0 { (state % 7) as u8 + b'a' } else { b"jail image "[i % 11] }
            })
            .collect()
    }

    /// Decodes a whole in-memory stream with `decode`, as the Decoder does.
    fn decode_all(packed: &[u8], threads: usize) -> Option<(Vec<u8>, u32)> {
        let mut bit = 32;
        let mut out = Vec::new();
        let mut combined = 0;
        loop {
            match decode(packed, bit, packed[3], threads) {
                Outcome::Undecodable => return None,
                Outcome::Blocks { output, crcs, end_bit, stream_end } => {
                    out.extend_from_slice(&output);
                    for crc in crcs {
                        combined = combine(combined, crc);
                    }
                    if let Some((stored, _)) = stream_end {
                        assert_eq!(stored, combined, "combined CRC");
                        return Some((out, combined));
                    }
                    bit = end_bit;
                }
            }
        }
    }

    #[test]
    fn blocks_of_one_stream_decode_in_parallel() {
        let data = sample(1_000_000);
        let packed = stream(&data, 1);
        for threads in [1, 2, 3] {
            let (out, _) = decode_all(&packed, threads).expect("decodes");
            assert!(out == data, "{threads} threads");
        }
        let empty = stream(b"", 1);
        assert_eq!(decode_all(&empty, 2).unwrap().0, b"");
    }

    #[test]
    fn a_damaged_block_is_undecodable() {
        let data = sample(400_000);
        let mut packed = stream(&data, 1);
        let at = packed.len() * 3 / 4;
        packed[at] ^= 0x10;
        assert!(decode_all(&packed, 2).is_none());
    }

    /// A magic found inside a block's data (a false boundary) cuts it in two pieces that
    /// do not decode; merging them gives the block back.
    #[test]
    fn a_false_boundary_is_merged_away() {
        let data = sample(250_000);
        let packed = stream(&data, 1);
        let marks = magics(&packed, 32, 100);
        assert_eq!(marks.len(), 4, "three blocks and the end");
        // Two true blocks together are no block (one block per synthetic stream).
        assert!(decode_block(&packed, packed[3], marks[0].0, marks[2].0).is_none());
        for false_cut in [marks[0].0 + 5000, (marks[1].0 + marks[2].0) / 2] {
            let mut with_false = marks.clone();
            with_false.push((false_cut, false));
            with_false.sort();
            let Outcome::Blocks { output, crcs, end_bit, stream_end } =
                decode_at(&packed, &with_false, 32, packed[3], 8)
            else {
                panic!("undecodable with a false cut at bit {false_cut}");
            };
            assert!(output == data, "false cut at bit {false_cut}");
            assert_eq!(
                (crcs.len(), end_bit, stream_end.map(|(_, end)| end)),
                (3, marks[3].0, Some(marks[3].0 + 80))
            );
        }
    }
}
