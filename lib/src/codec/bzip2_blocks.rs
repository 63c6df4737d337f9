//! Parallel decoding of the blocks of one bzip2 stream: what bzip2 and lbzip2 write (one
//! stream of many 900 kB blocks; SmartOS `.zfs.bz2` images), which [`super::multistream`]
//! cannot split because there is only one stream.
//!
//! bzip2 blocks are not byte-aligned, but each starts with the 48-bit magic
//! `0x314159265359` and the stream ends with `0x177245385090` and the combined CRC. Each
//! piece of input from one magic to the next is copied and decoded on a worker thread by
//! [`super::bzip2_decode`], which checks the block CRC and that the block ends where the
//! next magic starts; what that decoder does not take (randomised blocks, unusual Huffman
//! codes) is shifted to a byte boundary into a stream of its own (`BZh` + the level, the
//! block, an end marker whose combined CRC is the block's CRC, as for any one-block
//! stream) for libbzip2 (the `bzip2` crate's pure-Rust backend). The caller folds the
//! block CRCs into the stream's combined CRC and checks it against the stream's end.
//!
//! Design, from profiles (`perf`, 128 MiB of /usr/share text as `bzip2 -9`, 2 cores): the
//! first version decoded `threads` blocks per call and waited for all of them before the
//! caller wrote any output, and searched for the magics bit by bit (8 compares per byte),
//! re-scanning the same blocks on every call: the search alone was 13 % of the CPU time,
//! all of it on the caller's thread, and the cores idled at every batch's barrier. Now the
//! work is a pipeline: the caller's thread scans (each byte once, with `memchr::memmem` for
//! the 16 byte-aligned 32-bit patterns that every bit-shifted magic contains, each hit then
//! confirmed) and hands out finished blocks in order while `threads` persistent workers
//! decode up to `2 × threads` pieces ahead. What was left was the block decoder itself
//! (95 % of the CPU, libbzip2's): hence [`super::bzip2_decode`].
//!
//! The magic can also occur by chance inside a block's data (a false boundary, about once in
//! 2^47 bits, or planted). A piece that does not decode is retried merged with the pieces
//! after it (serially: this is the rare path), which undoes false cuts. If that fails for
//! the stream's first block the caller falls back to the serial decoder (nothing has been
//! consumed yet); later in the stream (data already handed out) the block is reported
//! corrupt. Memory: the input from the oldest unfinished block to one longest block past
//! the newest one, and the output of at most `2 × threads` blocks (a block decodes to at
//! most about 46 MB, bzip2's run-length limit; typically to its 100–900 kB).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use memchr::memmem::Finder;

use super::bzip2_decode::{BlockDecoder, Failure};

const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
const END_MAGIC: u64 = 0x1772_4538_5090;
/// A block's magic, CRC and at least the randomised bit and origin pointer.
const MIN_BLOCK_BITS: u64 = 48 + 32 + 1 + 24;
/// The longest compressed block: at most 900 000 symbols of at most 20 bits, plus the
/// tables and selectors (about 22 kB), rounded up.
const MAX_BLOCK_BYTES: usize = 2_400_000;
const MAX_BLOCK_BITS: u64 = MAX_BLOCK_BYTES as u64 * 8;
/// Pieces merged at most when retrying a false cut.
const MAX_MERGE: usize = 8;
/// Bits scanned for magics at once (each pattern searched over the chunk while it is in
/// the cache).
const SCAN_CHUNK_BITS: u64 = 64 << 13;

/// Where the compressed input comes from: a buffered reader that can look ahead.
pub(super) trait Input {
    /// The next `n` bytes without consuming them, fewer only at the end of the input.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]>;
    /// Drops `n` bytes from the front.
    fn consume(&mut self, n: usize);
}

/// What [`Pipeline::next`] found. Bit positions count from the input's current position.
#[derive(Debug)]
pub(super) enum Next {
    /// The next block's output and its stored (and verified) CRC.
    Block { output: Vec<u8>, crc: u32 },
    /// The stream's end: its stored combined CRC, and the bit after the stream (before the
    /// padding to a byte).
    End { stored_crc: u32, after_bit: u64 },
    /// The block at [`Pipeline::front_bit`] does not decode: damage, a CRC mismatch, no
    /// magic where the stream should start, or a false cut that merging did not undo.
    Undecodable,
    /// The input ends, `at` bytes on, inside the block at [`Pipeline::front_bit`].
    Truncated { at: usize },
}

/// A piece being decoded by a worker.
struct Pending {
    crc: u32,
    result: Receiver<Option<Vec<u8>>>,
}

/// A piece for a worker: bits `start..end` of `bytes`.
struct Job {
    bytes: Vec<u8>,
    start: u64,
    end: u64,
    level: u8,
    reply: Sender<Option<Vec<u8>>>,
}

/// The block-parallel decoder of one stream. See the [module docs](self).
pub(super) struct Pipeline {
    level: u8,
    /// Magics from the front block's start on (bit, whether it is the end magic), sorted.
    /// Piece `i` (in flight as `in_flight[i]`) is `marks[i].0..marks[i + 1].0`.
    marks: VecDeque<(u64, bool)>,
    /// Every magic starting before this bit is in `marks`.
    scanned: u64,
    started: bool,
    in_flight: VecDeque<Pending>,
    max_in_flight: usize,
    finders: Vec<(Finder<'static>, u64, u64)>,
    jobs: Option<Sender<Job>>,
    /// The decoder for merged pieces (on the caller's thread; made on the first merge).
    merger: Option<Box<BlockDecoder>>,
    workers: Vec<JoinHandle<()>>,
    /// Magics a test pretends to find (false boundaries), bits from the stream's start.
    #[cfg(test)]
    planted: Vec<u64>,
    #[cfg(test)]
    shifted: u64,
}

impl Pipeline {
    /// A decoder for the stream at `level` (`b'1'..=b'9'`) whose first block (or end)
    /// starts at bit `start_bit` of the input, on `threads` worker threads.
    pub(super) fn new(level: u8, start_bit: u64, threads: usize) -> Pipeline {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let workers = (0..threads)
            .map(|_| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    let mut decoder = BlockDecoder::default();
                    loop {
                        // The lock is held only while waiting for a job, not while decoding.
                        let job = queue.lock().map_err(|_| ()).and_then(|q| q.recv().map_err(|_| ()));
                        let Ok(job) = job else { break };
                        let out = decode_block(&mut decoder, &job.bytes, job.start, job.end, job.level);
                        let _ = job.reply.send(out);
                    }
                })
            })
            .collect();
        Pipeline {
            level,
            marks: VecDeque::new(),
            scanned: start_bit,
            started: false,
            in_flight: VecDeque::new(),
            max_in_flight: 2 * threads,
            finders: finders(),
            jobs: Some(jobs),
            merger: None,
            workers,
            #[cfg(test)]
            planted: Vec::new(),
            #[cfg(test)]
            shifted: 0,
        }
    }

    /// The first bit of the block [`Next::Undecodable`] and [`Next::Truncated`] are about.
    pub(super) fn front_bit(&self) -> u64 {
        self.marks.front().map_or(self.scanned, |&(bit, _)| bit)
    }

    /// The next block's output (or the stream's end, or what is wrong), in stream order.
    /// Consumes the input up to the byte holding the next block's first bit; nothing
    /// before the first block has been handed out.
    pub(super) fn next(&mut self, input: &mut dyn Input) -> io::Result<Next> {
        if !self.started {
            let start = self.scanned;
            let window = input.peek((start / 8) as usize + 8)?;
            match read_bits(window, start, 48) {
                Some(BLOCK_MAGIC) => self.marks.push_back((start, false)),
                Some(END_MAGIC) => self.marks.push_back((start, true)),
                _ => return Ok(Next::Undecodable),
            }
            self.started = true;
            self.scanned = start + 1;
        }
        self.fill(input)?;
        let Some(front) = self.in_flight.pop_front() else { return self.at_front(input) };
        // A worker that died (it cannot panic on data, but if it did) counts as a failure.
        let (output, pieces) = match front.result.recv().ok().flatten() {
            Some(output) => (output, 1),
            None => match self.merge(input)? {
                Some(found) => found,
                None => return Ok(Next::Undecodable),
            },
        };
        for _ in 0..pieces {
            self.marks.pop_front();
        }
        let next_block = self.marks[0].0;
        self.advance(input, (next_block / 8) as usize);
        Ok(Next::Block { output, crc: front.crc })
    }

    /// Nothing in flight: the stream's end, or no next magic in reach.
    fn at_front(&mut self, input: &mut dyn Input) -> io::Result<Next> {
        let (front, is_end) = self.marks[0];
        if is_end {
            let window = input.peek((front / 8) as usize + 11)?;
            return Ok(match read_bits(window, front + 48, 32) {
                Some(crc) => Next::End { stored_crc: crc as u32, after_bit: front + 80 },
                None => Next::Truncated { at: window.len() },
            });
        }
        let want = self.want();
        let window = input.peek(want)?;
        Ok(if window.len() < want { Next::Truncated { at: window.len() } } else { Next::Undecodable })
    }

    /// Bytes of input to look at: one longest block past the newest magic found.
    fn want(&self) -> usize {
        (self.marks.back().map_or(self.scanned, |&(bit, _)| bit) / 8) as usize + MAX_BLOCK_BYTES + 16
    }

    /// Hands pieces to the workers until `max_in_flight` are in flight or the stream's
    /// end (or the end of what can be scanned) is reached.
    fn fill(&mut self, input: &mut dyn Input) -> io::Result<()> {
        loop {
            let i = self.in_flight.len();
            if i >= self.max_in_flight || self.marks[i].1 {
                return Ok(());
            }
            if !self.find_marks(input, i + 2)? {
                return Ok(());
            }
            let (start, end) = (self.marks[i].0, self.marks[i + 1].0);
            // The block's CRC follows its magic, even when the piece is shorter (a false cut).
            let window = input.peek(end.max(start + 80).div_ceil(8) as usize)?;
            let (reply, result) = mpsc::channel();
            let crc = read_bits(window, start + 48, 32).unwrap_or(0) as u32;
            let first = (start / 8) as usize;
            let job = Job {
                bytes: window[first..end.div_ceil(8) as usize].to_vec(),
                start: start % 8,
                end: end - first as u64 * 8,
                level: self.level,
                reply,
            };
            if let Some(jobs) = &self.jobs {
                // A send fails only when every worker is gone: the receiver then reports
                // the piece as failed.
                let _ = jobs.send(job);
            }
            self.in_flight.push_back(Pending { crc, result });
        }
    }

    /// The front piece failed: retries it merged with the next pieces (a false cut), on
    /// this thread. Returns the output and how many pieces it took.
    fn merge(&mut self, input: &mut dyn Input) -> io::Result<Option<(Vec<u8>, usize)>> {
        for pieces in 2..=MAX_MERGE {
            if !self.find_marks(input, pieces + 1)? {
                return Ok(None);
            }
            let (start, end) = (self.marks[0].0, self.marks[pieces].0);
            if end - start > MAX_BLOCK_BITS {
                return Ok(None);
            }
            let window = input.peek(end.div_ceil(8) as usize)?;
            let decoder = self.merger.get_or_insert_with(Box::default);
            if let Some(output) = decode_block(decoder, window, start, end, self.level) {
                // What was in flight was cut at the false magics: decode it again.
                self.in_flight.clear();
                return Ok(Some((output, pieces)));
            }
        }
        Ok(None)
    }

    /// Scans on until `marks` holds `count` magics; false when the input ends first, or
    /// one longest block passes with no magic.
    fn find_marks(&mut self, input: &mut dyn Input, count: usize) -> io::Result<bool> {
        while self.marks.len() < count {
            let found = self.marks.len();
            let want = self.want();
            let window = input.peek(want)?;
            if self.scan(window, count) {
                break;
            }
            if self.marks.len() == found {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Consumes `bytes` bytes of input, moving every position with them.
    fn advance(&mut self, input: &mut dyn Input, bytes: usize) {
        input.consume(bytes);
        let bits = bytes as u64 * 8;
        for mark in &mut self.marks {
            mark.0 -= bits;
        }
        self.scanned -= bits;
        #[cfg(test)]
        {
            self.shifted += bits;
        }
    }

    /// Scans `window` for magics from `scanned` on until `marks` holds `count` of them;
    /// false when the window ends first.
    fn scan(&mut self, window: &[u8], count: usize) -> bool {
        let total = window.len() as u64 * 8;
        // Magics that start before `limit` end inside the window.
        let limit = total.saturating_sub(47);
        let mut hits = Vec::new();
        while self.marks.len() < count && self.scanned < limit {
            let from = self.scanned;
            let to = (from + SCAN_CHUNK_BITS).min(limit);
            // A magic starting at bit `s` of byte `k` holds the pattern in bytes k+1..k+5.
            let first = (from / 8) as usize;
            let last = ((to - 1) / 8) as usize;
            let haystack = &window[(first + 1).min(window.len())..(last + 5).min(window.len())];
            hits.clear();
            for (finder, shift, magic) in &self.finders {
                for at in finder.find_iter(haystack) {
                    let bit = (first + at) as u64 * 8 + shift;
                    if (from..to).contains(&bit) && read_bits(window, bit, 48) == Some(*magic) {
                        hits.push((bit, *magic == END_MAGIC));
                    }
                }
            }
            #[cfg(test)]
            for &planted in &self.planted {
                if let Some(bit) = planted.checked_sub(self.shifted)
                    && (from..to).contains(&bit)
                {
                    hits.push((bit, false));
                }
            }
            hits.sort_unstable();
            self.marks.extend(hits.iter().copied());
            self.scanned = to;
        }
        self.marks.len() >= count
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Closing the queue ends the workers once they finish their current piece.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// The 16 byte-aligned patterns: bytes 1..=4 of each magic shifted by 0..=7 bits into a
/// 7-byte field, each with its shift and magic.
fn finders() -> Vec<(Finder<'static>, u64, u64)> {
    let mut finders = Vec::new();
    for magic in [BLOCK_MAGIC, END_MAGIC] {
        for shift in 0..8u64 {
            let field = (magic << (8 - shift)).to_be_bytes();
            finders.push((Finder::new(&field[2..6]).into_owned(), shift, magic));
        }
    }
    finders
}

/// Eight bytes from `at`, big-endian, zero past the end.
fn load_be(window: &[u8], at: usize) -> u64 {
    match window.get(at..at + 8) {
        Some(bytes) => u64::from_be_bytes(bytes.try_into().expect("eight bytes")),
        None => {
            let mut bytes = [0u8; 8];
            let available = window.len().saturating_sub(at).min(8);
            bytes[..available].copy_from_slice(&window[at..at + available]);
            u64::from_be_bytes(bytes)
        }
    }
}

/// `count` (1 to 57) bits from bit `at`, or None past the end.
fn read_bits(window: &[u8], at: u64, count: u32) -> Option<u64> {
    if at + u64::from(count) > window.len() as u64 * 8 {
        return None;
    }
    let word = load_be(window, (at / 8) as usize);
    Some((word << (at % 8)) >> (64 - count))
}

/// The block in bits `start..end` of `window`; None when it is damaged, fails its CRC or
/// is a false cut. [`BlockDecoder`] decodes it, or libbzip2 when the block is unusual.
fn decode_block(
    decoder: &mut BlockDecoder,
    window: &[u8],
    start: u64,
    end: u64,
    level: u8,
) -> Option<Vec<u8>> {
    if end < start + MIN_BLOCK_BITS {
        return None;
    }
    match decoder.decode(window, start, end, level) {
        Ok(output) => Some(output),
        Err(Failure::Corrupt) => None,
        Err(Failure::Unusual) => decode_with_libbzip2(window, start, end, level),
    }
}

/// The block in bits `start..end` of `window`, decoded by libbzip2 as a one-block stream
/// of its own; None when libbzip2 rejects it (damage, a CRC mismatch, or a false cut).
fn decode_with_libbzip2(window: &[u8], start: u64, end: u64, level: u8) -> Option<Vec<u8>> {
    if end < start + MIN_BLOCK_BITS {
        return None;
    }
    let crc = read_bits(window, start + 48, 32)?;
    let mut stream = BitWriter::new(((end - start) / 8 + 32) as usize);
    stream.bytes.extend_from_slice(b"BZh");
    stream.bytes.push(level);
    copy_bits(window, start, end, &mut stream);
    stream.put(END_MAGIC, 48);
    stream.put(crc, 32);
    let bytes = stream.finish();
    // The stored CRC as the stream's combined CRC: the synthetic stream must hold exactly
    // one block (a block that ends before the piece does is followed by no magic).
    let mut decoder = bzip2::bufread::BzDecoder::new(&bytes[..]);
    let mut out = Vec::with_capacity(usize::from(level.saturating_sub(b'0')) * 100_000 + 4096);
    decoder.read_to_end(&mut out).ok()?;
    Some(out)
}

/// Appends bits `start..end` of `window` to `out`, which is at a byte boundary.
fn copy_bits(window: &[u8], start: u64, end: u64, out: &mut BitWriter) {
    debug_assert_eq!(out.bits, 0);
    let shift = (start % 8) as u32;
    let first = (start / 8) as usize;
    let whole = ((end - start) / 8) as usize;
    if shift == 0 {
        out.bytes.extend_from_slice(&window[first..first + whole]);
    } else {
        // Each output byte from two input bytes; a loop the compiler vectorises.
        let source = &window[first..first + whole + 1];
        out.bytes.extend(source.windows(2).map(|pair| (pair[0] << shift) | (pair[1] >> (8 - shift))));
    }
    let rest = ((end - start) % 8) as u32;
    if rest > 0 {
        out.put(read_bits(window, start + whole as u64 * 8, rest).expect("inside the window"), rest);
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

    fn sample(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 3 == 0 { (state % 7) as u8 + b'a' } else { b"jail image "[i % 11] }
            })
            .collect()
    }

    /// An in-memory input.
    struct Slice<'a> {
        data: &'a [u8],
        pos: usize,
    }

    impl Input for Slice<'_> {
        fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
            let rest = &self.data[self.pos..];
            Ok(&rest[..n.min(rest.len())])
        }

        fn consume(&mut self, n: usize) {
            self.pos += n;
        }
    }

    /// The magics of `packed`, found bit by bit (independent of the finders): (bit, end).
    fn magics_bit_by_bit(packed: &[u8]) -> Vec<(u64, bool)> {
        let mut found = Vec::new();
        let mut window = 0u64;
        for bit in 0..packed.len() as u64 * 8 {
            let value = (packed[(bit / 8) as usize] >> (7 - bit % 8)) & 1;
            window = ((window << 1) | u64::from(value)) & ((1 << 48) - 1);
            if bit >= 47 && (window == BLOCK_MAGIC || window == END_MAGIC) {
                found.push((bit - 47, window == END_MAGIC));
            }
        }
        found
    }

    /// What decoding a whole stream with a [`Pipeline`] gave: the output, the block CRCs,
    /// how it ended, and the bit (from the stream's start) of the block it ended at.
    struct Decoded {
        output: Vec<u8>,
        crcs: Vec<u32>,
        end: Next,
        at_bit: u64,
    }

    fn decode_all(packed: &[u8], threads: usize, planted: &[u64]) -> Decoded {
        let mut input = Slice { data: packed, pos: 0 };
        let mut pipeline = Pipeline::new(packed[3], 32, threads);
        pipeline.planted = planted.to_vec();
        let mut decoded = Decoded { output: Vec::new(), crcs: Vec::new(), end: Next::Undecodable, at_bit: 0 };
        loop {
            let next = pipeline.next(&mut input).unwrap();
            assert!(pipeline.in_flight.len() <= 2 * threads, "bounded: at most 2 × threads blocks in flight");
            match next {
                Next::Block { output, crc } => {
                    decoded.output.extend_from_slice(&output);
                    decoded.crcs.push(crc);
                }
                end => {
                    decoded.at_bit = input.pos as u64 * 8 + pipeline.front_bit();
                    decoded.end = end;
                    return decoded;
                }
            }
        }
    }

    /// The stream decodes to `data` with as many blocks as it has magics and a combined
    /// CRC that matches its end.
    fn assert_decodes(packed: &[u8], data: &[u8], threads: usize, planted: &[u64]) {
        let true_marks = magics_bit_by_bit(packed);
        let decoded = decode_all(packed, threads, planted);
        let Next::End { stored_crc, after_bit } = decoded.end else {
            panic!("{threads} threads, planted {planted:?}: {:?} at bit {}", decoded.end, decoded.at_bit)
        };
        assert!(decoded.output == data, "{threads} threads, planted {planted:?}: output differs");
        let true_crcs: Vec<u32> = true_marks[..true_marks.len() - 1]
            .iter()
            .map(|m| read_bits(packed, m.0 + 48, 32).unwrap() as u32)
            .collect();
        assert_eq!(decoded.crcs, true_crcs, "block CRCs, {threads} threads, planted {planted:?}");
        assert_eq!(
            stored_crc,
            decoded.crcs.iter().fold(0, |c, &b| combine(c, b)),
            "combined CRC, {threads} threads, planted {planted:?}"
        );
        assert_eq!(
            (decoded.at_bit, after_bit % 8),
            (true_marks.last().unwrap().0, (decoded.at_bit + 80) % 8),
            "the end"
        );
    }

    #[test]
    fn blocks_of_one_stream_decode_in_parallel() {
        let data = sample(1_000_000, 7);
        let packed = stream(&data, 1);
        for threads in [1, 2, 3] {
            assert_decodes(&packed, &data, threads, &[]);
        }
        assert_decodes(&stream(b"", 1), b"", 2, &[]);
    }

    /// The finders see a magic at each of the eight bit offsets inside a byte, and block
    /// boundaries at every offset decode.
    #[test]
    fn a_block_boundary_at_every_bit_offset() {
        for shift in 0..8u64 {
            for magic in [BLOCK_MAGIC, END_MAGIC] {
                let mut bytes = sample(200, shift).iter().map(|b| b ^ 0x5a).collect::<Vec<u8>>();
                let at = 8 * 37 + shift;
                for i in 0..48 {
                    let bit = at + i;
                    let byte = &mut bytes[(bit / 8) as usize];
                    let mask = 0x80u8 >> (bit % 8);
                    *byte = if (magic >> (47 - i)) & 1 == 1 { *byte | mask } else { *byte & !mask };
                }
                let mut pipeline = Pipeline::new(b'1', 0, 1);
                pipeline.scan(&bytes, usize::MAX);
                let found: Vec<(u64, bool)> = pipeline.marks.iter().copied().collect();
                assert_eq!(found, magics_bit_by_bit(&bytes), "shift {shift}");
                assert!(found.contains(&(at, magic == END_MAGIC)), "shift {shift}: {found:?}");
            }
        }
        // Blocks of bzip2 -1 with output of varying compressibility start at every offset.
        let data: Vec<u8> = (0..40).flat_map(|i| sample(100_000 - 37 * i, i as u64 + 1)).collect();
        let packed = stream(&data, 1);
        let offsets: std::collections::BTreeSet<u64> =
            magics_bit_by_bit(&packed).iter().map(|m| m.0 % 8).collect();
        assert_eq!(offsets.len(), 8, "block starts at bit offsets {offsets:?}");
        assert_decodes(&packed, &data, 2, &[]);
    }

    /// A magic found inside a block's data (a false boundary) cuts it in two pieces that
    /// do not decode; merging them gives the block back, wherever the cut is.
    #[test]
    fn a_false_boundary_is_merged_away() {
        let data = sample(250_000, 7);
        let packed = stream(&data, 1);
        let marks = magics_bit_by_bit(&packed);
        assert_eq!(marks.len(), 4, "three blocks and the end");
        let (first, second, last) = (marks[0].0, marks[1].0, marks[3].0);
        for planted in [
            vec![first + 5000],
            vec![(second + marks[2].0) / 2],
            // Right after a true magic, right before one, and in the last block.
            vec![first + 1, second - 1, last - 100],
            // Several in one block.
            vec![second + 200, second + 400, second + 9000],
        ] {
            for threads in [1, 2] {
                assert_decodes(&packed, &data, threads, &planted);
            }
        }
    }

    #[test]
    fn a_damaged_block_is_named_and_the_blocks_before_it_decode() {
        let data = sample(600_000, 9);
        let packed = stream(&data, 1);
        let marks = magics_bit_by_bit(&packed);
        let third = marks[2].0;
        let mut damaged = packed.clone();
        damaged[(third / 8) as usize + 2000] ^= 0x10;
        let decoded = decode_all(&damaged, 2, &[]);
        assert!(matches!(decoded.end, Next::Undecodable), "{:?}", decoded.end);
        assert_eq!((decoded.crcs.len(), decoded.at_bit), (2, third));
        assert!(decoded.output == data[..decoded.output.len()], "the first two blocks");
        // Damage in the first block: nothing handed out (the caller falls back).
        let mut first = packed.clone();
        first[100] ^= 0x01;
        let decoded = decode_all(&first, 2, &[]);
        assert!(matches!(decoded.end, Next::Undecodable) && decoded.crcs.is_empty());
        // Not a block at the start.
        let mut no_magic = packed.clone();
        no_magic[5] ^= 0x01;
        assert!(matches!(decode_all(&no_magic, 2, &[]).end, Next::Undecodable));
    }

    #[test]
    fn a_cut_stream_is_truncated_in_the_block_it_cuts() {
        let data = sample(600_000, 11);
        let packed = stream(&data, 1);
        let marks = magics_bit_by_bit(&packed);
        let cut = (marks[3].0 / 8) as usize - 10;
        let decoded = decode_all(&packed[..cut], 2, &[]);
        assert!(matches!(decoded.end, Next::Truncated { .. }), "{:?}", decoded.end);
        assert_eq!((decoded.crcs.len(), decoded.at_bit), (2, marks[2].0));
        // Cut inside the end's combined CRC.
        let decoded = decode_all(&packed[..packed.len() - 2], 2, &[]);
        assert!(matches!(decoded.end, Next::Truncated { .. }), "{:?}", decoded.end);
        assert_eq!(decoded.crcs.len(), marks.len() - 1);
    }
}
