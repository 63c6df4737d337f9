//! Parallel decoding of concatenated bzip2 streams, the layout pbzip2 and jpack write
//! (one stream per block). Each stream starts on a byte boundary with `BZh`, the level
//! digit and then a block's or the end's magic; the compressed input is cut there and
//! the pieces decoded on several threads, their output kept in input order.
//!
//! Ten bytes of magic can also occur inside compressed data by chance (or on purpose).
//! A piece is only accepted when it decodes as whole streams that use all of its bytes;
//! otherwise the caller decodes from that piece on with the one-stream-at-a-time decoder,
//! which finds the true end of the stream and reports damage with its offset.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A stream's first ten bytes, after `BZh` and the level digit: a block or the end.
const BLOCK_MAGIC: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const END_MAGIC: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
/// A piece whose output grows past this is left to the streaming decoder (bzip2's run
/// lengths let a small piece expand to tens of MiB; memory stays bounded).
const MAX_PIECE_OUTPUT: usize = 64 << 20;

/// What one batch decoded.
pub(super) struct Batch {
    /// Compressed bytes used: whole pieces, from the start of the window.
    pub consumed: usize,
    /// Their decompressed bytes, in order.
    pub output: Vec<u8>,
    /// How many streams they held.
    pub streams: u64,
    /// The piece after `consumed` could not be decoded here: decode it one stream at a
    /// time (it may be damaged, a false cut, or too large for the window).
    pub fallback: bool,
}

/// Decodes up to `2 × threads` whole pieces from the start of `window` (which starts a
/// stream) on `threads` threads. `at_end`: the window reaches the end of the input, so
/// its last piece is complete.
pub(super) fn decode_batch(window: &[u8], at_end: bool, threads: usize) -> Batch {
    let pieces = cut(window, at_end, 2 * threads);
    if pieces.is_empty() {
        return Batch { consumed: 0, output: Vec::new(), streams: 0, fallback: true };
    }
    let outputs = decode_pieces(window, &pieces, threads);
    let mut batch = Batch { consumed: 0, output: Vec::new(), streams: 0, fallback: false };
    for (&(start, end), out) in pieces.iter().zip(outputs) {
        let Some((out, streams)) = out else {
            batch.fallback = true;
            break;
        };
        debug_assert_eq!(start, batch.consumed);
        batch.output.extend_from_slice(&out);
        batch.streams += streams;
        batch.consumed = end;
    }
    batch
}

/// Whether another stream seems to start in `window` after the one at its start: the
/// layout this module decodes (otherwise one stream of many blocks is decoded by
/// [`super::bzip2_blocks`]).
pub(super) fn several_streams(window: &[u8]) -> bool {
    next_start(window, 1).is_some()
}

/// Up to `max` pieces `(start, end)` of `window`, each from one stream start to the next.
fn cut(window: &[u8], at_end: bool, max: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while pieces.len() < max {
        match next_start(window, start + 1) {
            Some(next) => {
                pieces.push((start, next));
                start = next;
            }
            None => {
                if at_end && start < window.len() {
                    pieces.push((start, window.len()));
                }
                break;
            }
        }
    }
    pieces
}

/// The first offset at or after `from` where a stream seems to start.
fn next_start(window: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + 10 <= window.len() {
        let found = window[at..].windows(3).position(|w| w == b"BZh")?;
        at += found;
        if at + 10 <= window.len() && looks_like_start(&window[at..at + 10]) {
            return Some(at);
        }
        at += 1;
    }
    None
}

fn looks_like_start(head: &[u8]) -> bool {
    (b'1'..=b'9').contains(&head[3]) && (head[4..10] == BLOCK_MAGIC || head[4..10] == END_MAGIC)
}

/// Each piece's output and stream count, or None where it is not whole valid streams.
type Piece = Option<(Vec<u8>, u64)>;

fn decode_pieces(window: &[u8], pieces: &[(usize, usize)], threads: usize) -> Vec<Piece> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<Piece> = vec![None; pieces.len()];
    let done: Vec<Vec<(usize, Piece)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(pieces.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(start, end)) = pieces.get(i) else { break };
                        mine.push((i, decode_piece(&window[start..end])));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a bzip2 worker panicked")).collect()
    });
    for (i, out) in done.into_iter().flatten() {
        results[i] = out;
    }
    results
}

/// The piece's streams decoded, if it is nothing but whole valid streams.
fn decode_piece(mut piece: &[u8]) -> Piece {
    let mut out = Vec::new();
    let mut streams = 0;
    while !piece.is_empty() {
        streams += 1;
        if piece.len() < 10 || !looks_like_start(&piece[..10]) {
            return None;
        }
        let mut decoder = bzip2::bufread::BzDecoder::new(piece);
        let mut chunk = vec![0; 1 << 20];
        loop {
            match decoder.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(_) => return None,
            }
            if out.len() > MAX_PIECE_OUTPUT {
                return None;
            }
        }
        piece = decoder.into_inner();
    }
    Some((out, streams))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream(data: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(1));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn pieces_decode_in_order() {
        let parts: Vec<Vec<u8>> = (0..7u8).map(|i| vec![i; 1000 + i as usize]).collect();
        let mut input = Vec::new();
        for p in &parts {
            input.extend(stream(p));
        }
        input.extend(stream(b""));
        let batch = decode_batch(&input, true, 2);
        // 2 × 2 pieces per batch.
        assert_eq!(batch.output, parts[..4].concat());
        assert!(!batch.fallback);
        let rest = decode_batch(&input[batch.consumed..], true, 8);
        assert_eq!(rest.output, parts[4..].concat());
        assert_eq!(batch.consumed + rest.consumed, input.len());
    }

    #[test]
    fn a_false_start_or_damage_falls_back() {
        // Magic planted inside the second stream: a false cut, and damage.
        let mut input = stream(b"first");
        let mut planted = stream(&b"second stream ".repeat(100));
        let at = planted.len() / 2;
        planted.splice(at..at, b"BZh91AY&SY".iter().copied());
        input.extend(&planted);
        let batch = decode_batch(&input, true, 2);
        assert_eq!(batch.output, b"first");
        assert!(batch.fallback);
        // An incomplete window with no second start: nothing decoded here.
        let lone = stream(b"abc");
        let batch = decode_batch(&lone[..lone.len() - 1], false, 2);
        assert_eq!((batch.consumed, batch.fallback), (0, true));
    }
}
