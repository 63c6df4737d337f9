//! A fast decoder for one bzip2 block, for [`super::bzip2_blocks`]: the worker threads'
//! hot loop.
//!
//! Why not libbzip2 (the `bzip2` crate's pure-Rust port, which jpack used before): a
//! profile of `jpack -d` on a single-stream file put 95 % of the CPU in its per-block
//! decoder, 1.3× the CPU of `lbzip2 -d`. This module does what lbzip2's `decode.c` does
//! and one thing more:
//! - the Huffman codes are decoded with one table lookup of [`LOOKUP_BITS`] bits for all
//!   but the rare long codes (libbzip2 compares against a limit bit by bit from the
//!   shortest length on), from a 64-bit bit buffer refilled with one unaligned load;
//! - the move-to-front list keeps its first 16 bytes in one `u128`, so the common small
//!   indices move with a few shifts and masks, and larger ones with one `copy_within`;
//! - the inverse BWT, whose cost is the chain of dependent cache misses through the
//!   900 k-entry link array (3.6 MB: an L2 miss per byte), walks two chains at once: one
//!   forward from the block's start, one backward (through the inverse links, built in
//!   the same pass) from its end, so two misses are in flight instead of one; the
//!   run-length decoding and the CRC (slicing by 8) then run over that linear buffer.
//!
//! Every check libbzip2 makes is made here, and the block must end exactly where the
//! next magic starts. Anything unusual (a randomised block from bzip2 0.9, an incomplete
//! or oversubscribed code) is left to libbzip2 by the caller, so this decoder never
//! decides alone that a block is bad: [`Failure::Unusual`] means "ask libbzip2",
//! [`Failure::Corrupt`] means a check libbzip2 also makes has failed.

/// Bits of the first-level Huffman table (lbzip2 measured 10 as its best).
const LOOKUP_BITS: u32 = 10;
const MAX_CODE_LENGTH: u32 = 20;
const MAX_GROUPS: usize = 6;
/// libbzip2 keeps at most this many selectors (2 + 900 000 / 50) and ignores the rest.
const MAX_SELECTORS: usize = 18_002;
const GROUP_SIZE: usize = 50;
const MAX_ALPHABET: usize = 258;
const BLOCK_MAGIC: u64 = 0x3141_5926_5359;

/// Why a block did not decode.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// Damage: a check that libbzip2 makes as well failed (or the CRC differs).
    Corrupt,
    /// Valid bzip2 this decoder does not take (randomised blocks, odd Huffman codes):
    /// libbzip2 should decode the block.
    Unusual,
}

/// Scratch memory for decoding blocks, kept by each worker thread between blocks.
#[derive(Default)]
pub(super) struct BlockDecoder {
    /// The BWT's last column (low byte) and, after [`Self::link`], the forward links.
    forward: Links,
    /// The last column (low byte) and the backward links.
    backward: Links,
    /// The block after the inverse BWT, before the initial run-length decoding.
    text: Vec<u8>,
}

impl BlockDecoder {
    /// Decodes the block whose magic starts at bit `start` of `data` and which ends at bit
    /// `end` (where the next magic starts), in a stream of `level` (`b'1'..=b'9'`).
    /// Returns the output, which matches the block's stored CRC.
    pub(super) fn decode(
        &mut self,
        data: &[u8],
        start: u64,
        end: u64,
        level: u8,
    ) -> Result<Vec<u8>, Failure> {
        let max_block = usize::from(level.saturating_sub(b'0')) * 100_000;
        let mut bits = Bits::new(data, start);
        bits.refill();
        if bits.take(24) != BLOCK_MAGIC >> 24 || bits.take(24) != BLOCK_MAGIC & 0xff_ffff {
            return Err(Failure::Corrupt);
        }
        bits.refill();
        let stored_crc = bits.take(32) as u32;
        bits.refill();
        if bits.take(1) == 1 {
            return Err(Failure::Unusual);
        }
        let origin = bits.take(24) as usize;
        let header = read_tables(&mut bits)?;
        let (length, counts) = self.symbols(&mut bits, &header, max_block)?;
        if bits.position() != end || origin >= length {
            return Err(Failure::Corrupt);
        }
        self.link(length, &counts);
        self.walk(length, origin);
        let output = run_length_decode(&self.text)?;
        if crc(&output) != stored_crc {
            return Err(Failure::Corrupt);
        }
        Ok(output)
    }

    /// Decodes the Huffman-coded, move-to-front-coded symbols into the last column of the
    /// BWT (`forward`'s low bytes); returns its length and the count of each byte.
    fn symbols(
        &mut self,
        bits: &mut Bits<'_>,
        header: &Header,
        max_block: usize,
    ) -> Result<(usize, [u32; 256]), Failure> {
        let column = self.forward.reserve(max_block);
        let mut counts = [0u32; 256];
        let mut mtf = MoveToFront::new(&header.in_use);
        let end_of_block = header.alphabet as u16 - 1;
        let mut length = 0usize;
        let mut run = 0usize;
        let mut run_shift = 0u32;
        for &selector in &header.selectors {
            let table = &header.tables[usize::from(selector)];
            for _ in 0..GROUP_SIZE {
                bits.refill();
                let symbol = table.decode(bits)?;
                if symbol <= 1 {
                    // RUNA and RUNB: a run of the list's front byte, its length in bijective
                    // base 2. libbzip2 stops at 2^21 (more than any block holds).
                    if run_shift > 20 {
                        return Err(Failure::Corrupt);
                    }
                    run += (usize::from(symbol) + 1) << run_shift;
                    run_shift += 1;
                    continue;
                }
                if run > 0 {
                    if run > max_block - length {
                        return Err(Failure::Corrupt);
                    }
                    let byte = mtf.front();
                    column[length..length + run].fill(u32::from(byte));
                    counts[usize::from(byte)] += run as u32;
                    length += run;
                    run = 0;
                    run_shift = 0;
                }
                if symbol == end_of_block {
                    return Ok((length, counts));
                }
                if length == max_block {
                    return Err(Failure::Corrupt);
                }
                let byte = mtf.take(usize::from(symbol) - 1);
                column[length] = u32::from(byte);
                counts[usize::from(byte)] += 1;
                length += 1;
            }
        }
        // The selectors ran out before the end-of-block symbol.
        Err(Failure::Corrupt)
    }

    /// Builds the forward links (in `forward`'s upper 24 bits) and the backward links
    /// (`backward`) of the BWT's last column.
    fn link(&mut self, length: usize, counts: &[u32; 256]) {
        let mut next = [0u32; 256];
        let mut sum = 0u32;
        for (next, &count) in next.iter_mut().zip(counts) {
            *next = sum;
            sum += count;
        }
        let forward = &mut self.forward.reserve(length)[..length];
        let backward = &mut self.backward.reserve(length)[..length];
        for i in 0..length {
            let byte = forward[i] & 0xff;
            let j = next[byte as usize];
            next[byte as usize] = j + 1;
            forward[j as usize] |= (i as u32) << 8;
            backward[i] = byte | (j << 8);
        }
    }

    /// The inverse BWT into `text`: the first half walking forward from `origin`, the
    /// second backward from the end (the last byte is the origin's), interleaved.
    fn walk(&mut self, length: usize, origin: usize) {
        self.text.clear();
        self.text.resize(length, 0);
        let (forward, backward, text) =
            (&self.forward.0[..length], &self.backward.0[..length], &mut self.text[..]);
        let half = length / 2;
        let (front, back) = text.split_at_mut(half);
        let mut p = (forward[origin] >> 8) as usize;
        let mut q = origin;
        // `back` is one longer than `front` when the length is odd.
        let mut back_slots = back.iter_mut().rev();
        for slot in front.iter_mut() {
            let x = forward[p];
            *slot = x as u8;
            p = (x >> 8) as usize;
            let y = backward[q];
            if let Some(slot) = back_slots.next() {
                *slot = y as u8;
            }
            q = (y >> 8) as usize;
        }
        for slot in back_slots {
            let y = backward[q];
            *slot = y as u8;
            q = (y >> 8) as usize;
        }
    }
}

/// An array of BWT links on transparent huge pages where the system has them: the walk
/// through it is a chain of cache misses, and with 4 KiB pages nearly each one was also a
/// TLB miss (3.6 MB per array for a 900 k block, two arrays; worse in a VM).
#[derive(Default)]
struct Links(HugeArray);

impl Links {
    /// At least `len` entries, contents unspecified (each pass writes what it reads).
    fn reserve(&mut self, len: usize) -> &mut [u32] {
        if self.0.len() < len {
            self.0 = HugeArray::zeroed(len);
        }
        &mut self.0[..]
    }
}

/// A zeroed `[u32]` aligned to 2 MiB and advised onto huge pages (a hint: ignored where
/// THP is off; FreeBSD promotes such allocations to superpages by itself).
struct HugeArray {
    pointer: std::ptr::NonNull<u32>,
    len: usize,
}

const HUGE_PAGE: usize = 2 << 20;

impl HugeArray {
    fn layout(len: usize) -> std::alloc::Layout {
        let bytes = (len * 4).div_ceil(HUGE_PAGE) * HUGE_PAGE;
        std::alloc::Layout::from_size_align(bytes.max(HUGE_PAGE), HUGE_PAGE).expect("a valid layout")
    }

    fn zeroed(len: usize) -> HugeArray {
        let layout = HugeArray::layout(len);
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { std::alloc::alloc_zeroed(layout) };
        let Some(pointer) = std::ptr::NonNull::new(raw.cast::<u32>()) else {
            std::alloc::handle_alloc_error(layout)
        };
        #[cfg(target_os = "linux")]
        // SAFETY: `raw` is the page-aligned start of `layout.size()` bytes we own; the
        // advice changes no contents, so its result does not matter.
        unsafe {
            libc::madvise(raw.cast(), layout.size(), libc::MADV_HUGEPAGE)
        };
        HugeArray { pointer, len }
    }
}

impl Default for HugeArray {
    fn default() -> HugeArray {
        HugeArray { pointer: std::ptr::NonNull::dangling(), len: 0 }
    }
}

impl std::ops::Deref for HugeArray {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        // SAFETY: `pointer` holds `len` initialised (zeroed, then written) u32s, or is
        // dangling with `len` 0.
        unsafe { std::slice::from_raw_parts(self.pointer.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for HugeArray {
    fn deref_mut(&mut self) -> &mut [u32] {
        // SAFETY: as for `deref`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.pointer.as_ptr(), self.len) }
    }
}

impl Drop for HugeArray {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: allocated in `zeroed` with this layout.
            unsafe { std::alloc::dealloc(self.pointer.as_ptr().cast(), HugeArray::layout(self.len)) };
        }
    }
}

// SAFETY: HugeArray owns its memory like a Vec<u32>.
unsafe impl Send for HugeArray {}

/// The block's tables: which bytes occur, the selectors, the Huffman codes.
struct Header {
    in_use: Vec<u8>,
    alphabet: usize,
    selectors: Vec<u8>,
    tables: Vec<Table>,
}

/// Reads the byte map, the selectors and the code lengths, with libbzip2's checks.
fn read_tables(bits: &mut Bits<'_>) -> Result<Header, Failure> {
    bits.refill();
    let ranges = bits.take(16);
    let mut in_use = Vec::with_capacity(256);
    for range in 0..16 {
        if ranges & (0x8000 >> range) != 0 {
            bits.refill();
            let map = bits.take(16);
            for i in 0..16 {
                if map & (0x8000 >> i) != 0 {
                    in_use.push((range * 16 + i) as u8);
                }
            }
        }
    }
    if in_use.is_empty() {
        return Err(Failure::Corrupt);
    }
    let alphabet = in_use.len() + 2;
    bits.refill();
    let groups = bits.take(3) as usize;
    if !(2..=MAX_GROUPS).contains(&groups) {
        return Err(Failure::Corrupt);
    }
    let count = bits.take(15) as usize;
    if count == 0 {
        return Err(Failure::Corrupt);
    }
    // Selectors, move-to-front coded in unary.
    let mut order: Vec<u8> = (0..groups as u8).collect();
    let mut selectors = Vec::with_capacity(count.min(MAX_SELECTORS));
    for _ in 0..count {
        bits.refill();
        let ones = bits.buffer.leading_ones() as usize;
        if ones >= groups {
            return Err(Failure::Corrupt);
        }
        bits.consume(ones as u32 + 1);
        if selectors.len() < MAX_SELECTORS {
            let table = order[ones];
            order.copy_within(0..ones, 1);
            order[0] = table;
            selectors.push(table);
        }
    }
    let mut tables = Vec::with_capacity(groups);
    let mut lengths = [0u8; MAX_ALPHABET];
    for _ in 0..groups {
        bits.refill();
        let mut current = bits.take(5) as u32;
        for length in &mut lengths[..alphabet] {
            loop {
                if !(1..=MAX_CODE_LENGTH).contains(&current) {
                    return Err(Failure::Corrupt);
                }
                bits.refill();
                match bits.peek(2) {
                    0b00 | 0b01 => {
                        bits.consume(1);
                        break;
                    }
                    0b10 => current += 1,
                    _ => current -= 1,
                }
                bits.consume(2);
            }
            *length = current as u8;
        }
        tables.push(Table::new(&lengths[..alphabet])?);
    }
    Ok(Header { in_use, alphabet, selectors, tables })
}

/// One Huffman code: a first-level table for codes up to [`LOOKUP_BITS`] long, and
/// canonical decoding for the longer ones.
struct Table {
    /// Indexed by the next [`LOOKUP_BITS`] bits: the symbol << 5 | the code length, or 0
    /// when the code is longer.
    lookup: Vec<u16>,
    /// Per length: the first code of that length and how many there are.
    first: [u32; MAX_CODE_LENGTH as usize + 1],
    count: [u32; MAX_CODE_LENGTH as usize + 1],
    /// Per length: where its symbols start in `sorted`.
    offset: [u16; MAX_CODE_LENGTH as usize + 1],
    /// The symbols by code length, then by value (canonical order).
    sorted: Vec<u16>,
}

impl Table {
    /// The canonical code with these lengths; [`Failure::Unusual`] unless it is complete
    /// (what every encoder writes; libbzip2 takes others too).
    fn new(lengths: &[u8]) -> Result<Table, Failure> {
        let mut count = [0u32; MAX_CODE_LENGTH as usize + 1];
        for &length in lengths {
            count[usize::from(length)] += 1;
        }
        let kraft: u64 =
            (1..=MAX_CODE_LENGTH).map(|l| u64::from(count[l as usize]) << (MAX_CODE_LENGTH - l)).sum();
        if kraft != 1 << MAX_CODE_LENGTH {
            return Err(Failure::Unusual);
        }
        let mut first = [0u32; MAX_CODE_LENGTH as usize + 1];
        let mut offset = [0u16; MAX_CODE_LENGTH as usize + 1];
        let (mut code, mut index) = (0u32, 0u16);
        for length in 1..=MAX_CODE_LENGTH as usize {
            first[length] = code;
            offset[length] = index;
            code = (code + count[length]) << 1;
            index += count[length] as u16;
        }
        let mut sorted = vec![0u16; lengths.len()];
        let mut place = offset;
        for (symbol, &length) in lengths.iter().enumerate() {
            sorted[usize::from(place[usize::from(length)])] = symbol as u16;
            place[usize::from(length)] += 1;
        }
        let mut lookup = vec![0u16; 1 << LOOKUP_BITS];
        for length in 1..=LOOKUP_BITS as usize {
            let span = 1usize << (LOOKUP_BITS as usize - length);
            for k in 0..count[length] as usize {
                let code = first[length] as usize + k;
                let symbol = sorted[usize::from(offset[length]) + k];
                let entry = (symbol << 5) | length as u16;
                lookup[code * span..(code + 1) * span].fill(entry);
            }
        }
        Ok(Table { lookup, first, count, offset, sorted })
    }

    /// The next symbol; the buffer holds at least [`MAX_CODE_LENGTH`] bits.
    #[inline(always)]
    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, Failure> {
        let entry = self.lookup[bits.peek(LOOKUP_BITS) as usize];
        if entry != 0 {
            bits.consume(u32::from(entry & 31));
            return Ok(entry >> 5);
        }
        self.decode_long(bits)
    }

    #[cold]
    fn decode_long(&self, bits: &mut Bits<'_>) -> Result<u16, Failure> {
        for length in LOOKUP_BITS + 1..=MAX_CODE_LENGTH {
            let code = bits.peek(length) as u32;
            let k = code.wrapping_sub(self.first[length as usize]);
            if k < self.count[length as usize] {
                bits.consume(length);
                return Ok(self.sorted[usize::from(self.offset[length as usize]) + k as usize]);
            }
        }
        // A complete code always matches.
        Err(Failure::Corrupt)
    }
}

/// The move-to-front list of bytes; its first 16 in one integer (byte `i` at bits
/// `8i..8i + 8`), where nearly all indices land.
struct MoveToFront {
    head: u128,
    list: [u8; 256],
}

impl MoveToFront {
    fn new(in_use: &[u8]) -> MoveToFront {
        let mut list = [0u8; 256];
        list[..in_use.len()].copy_from_slice(in_use);
        MoveToFront { head: u128::from_le_bytes(list[..16].try_into().expect("16 bytes")), list }
    }

    #[inline(always)]
    fn front(&self) -> u8 {
        self.head as u8
    }

    /// Moves the byte at `index` to the front and returns it.
    #[inline(always)]
    fn take(&mut self, index: usize) -> u8 {
        if index < 16 {
            let shift = 8 * index as u32;
            let byte = (self.head >> shift) as u8;
            let below = (1u128 << shift) - 1;
            let keep = !((below << 8) | 0xff);
            self.head = (self.head & keep) | ((self.head & below) << 8) | u128::from(byte);
            byte
        } else {
            self.list[..16].copy_from_slice(&self.head.to_le_bytes());
            let byte = self.list[index];
            self.list.copy_within(0..index, 1);
            self.list[0] = byte;
            self.head = u128::from_le_bytes(self.list[..16].try_into().expect("16 bytes"));
            byte
        }
    }
}

/// An MSB-first bit reader: a 64-bit buffer whose top bits are the next ones, refilled
/// with one big-endian load. Reads zeros past the end (the caller checks where the block
/// ended).
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte to load.
    next: usize,
    buffer: u64,
    /// Valid bits in `buffer`.
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], start: u64) -> Bits<'a> {
        let mut bits = Bits { data, next: (start / 8) as usize, buffer: 0, count: 0 };
        bits.refill();
        bits.consume((start % 8) as u32);
        bits
    }

    /// At least 56 bits in the buffer.
    #[inline(always)]
    fn refill(&mut self) {
        if self.count >= 56 {
            return;
        }
        let word = match self.data.get(self.next..self.next + 8) {
            Some(bytes) => u64::from_be_bytes(bytes.try_into().expect("eight bytes")),
            None => {
                let mut bytes = [0u8; 8];
                let available = self.data.len().saturating_sub(self.next).min(8);
                bytes[..available].copy_from_slice(&self.data[self.next.min(self.data.len())..][..available]);
                u64::from_be_bytes(bytes)
            }
        };
        self.buffer |= word >> self.count;
        let bytes = (63 - self.count) / 8;
        self.next += bytes as usize;
        self.count += bytes * 8;
    }

    /// The next `n` (1 to 56) bits.
    #[inline(always)]
    fn peek(&self, n: u32) -> u64 {
        self.buffer >> (64 - n)
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.count -= n;
    }

    #[inline(always)]
    fn take(&mut self, n: u32) -> u64 {
        let value = self.peek(n);
        self.consume(n);
        value
    }

    /// The bit position in `data` of the next bit.
    fn position(&self) -> u64 {
        self.next as u64 * 8 - u64::from(self.count)
    }
}

/// Undoes bzip2's initial run-length coding: after four equal bytes, a count of further
/// copies. Four equal bytes at the end with no count is damage (libbzip2 says so too).
fn run_length_decode(text: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 4);
    // The first run of four equal bytes after the last count starts a group of the
    // encoder's parse (groups before it are shorter, so a group starts wherever the byte
    // changes): copy what is before it in one piece.
    let mut copied = 0;
    let mut i = 0;
    while i + 3 < text.len() {
        let byte = text[i];
        if text[i + 3] != byte || text[i + 1] != byte || text[i + 2] != byte {
            i += 1;
            continue;
        }
        let Some(&extra) = text.get(i + 4) else { return Err(Failure::Corrupt) };
        out.extend_from_slice(&text[copied..i]);
        out.resize(out.len() + 4 + usize::from(extra), byte);
        i += 5;
        copied = i;
    }
    out.extend_from_slice(&text[copied..]);
    Ok(out)
}

/// bzip2's CRC-32 (polynomial 0x04c11db7, most significant bit first), eight bytes at a
/// time.
pub(super) fn crc(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let high = u32::from_be_bytes(chunk[..4].try_into().expect("four bytes")) ^ crc;
        let low = u32::from_be_bytes(chunk[4..].try_into().expect("four bytes"));
        crc = CRC_TABLES[7][(high >> 24) as usize]
            ^ CRC_TABLES[6][(high >> 16) as usize & 0xff]
            ^ CRC_TABLES[5][(high >> 8) as usize & 0xff]
            ^ CRC_TABLES[4][high as usize & 0xff]
            ^ CRC_TABLES[3][(low >> 24) as usize]
            ^ CRC_TABLES[2][(low >> 16) as usize & 0xff]
            ^ CRC_TABLES[1][(low >> 8) as usize & 0xff]
            ^ CRC_TABLES[0][low as usize & 0xff];
    }
    for &byte in chunks.remainder() {
        crc = (crc << 8) ^ CRC_TABLES[0][((crc >> 24) as u8 ^ byte) as usize];
    }
    !crc
}

/// `CRC_TABLES[k][b]`: the CRC register after byte `b` followed by `k` zero bytes.
const CRC_TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04c1_1db7 } else { c << 1 };
            k += 1;
        }
        tables[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let previous = tables[k - 1][i];
            tables[k][i] = (previous << 8) ^ tables[0][(previous >> 24) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    const END_MAGIC: u64 = 0x1772_4538_5090;

    fn stream(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn libbzip2(packed: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        bzip2::bufread::BzDecoder::new(packed).read_to_end(&mut out).ok()?;
        Some(out)
    }

    fn bit(packed: &[u8], at: u64) -> u64 {
        u64::from((packed[(at / 8) as usize] >> (7 - at % 8)) & 1)
    }

    /// The magics of one stream, bit by bit: the block starts and, last, the end's.
    fn magics(packed: &[u8]) -> Vec<u64> {
        let mut found = Vec::new();
        let mut window = 0u64;
        for at in 0..packed.len() as u64 * 8 {
            window = ((window << 1) | bit(packed, at)) & ((1 << 48) - 1);
            if at >= 47 && (window == BLOCK_MAGIC || window == END_MAGIC) {
                found.push(at - 47);
            }
        }
        found
    }

    /// Decodes every block of a bzip2 stream with [`BlockDecoder`].
    fn decode_blocks(packed: &[u8]) -> Result<Vec<u8>, Failure> {
        let marks = magics(packed);
        let mut decoder = BlockDecoder::default();
        let mut out = Vec::new();
        for pair in marks.windows(2) {
            out.extend_from_slice(&decoder.decode(packed, pair[0], pair[1], packed[3])?);
        }
        Ok(out)
    }

    fn xorshift(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// Inputs that exercise every path: long codes (skewed text), large move-to-front
    /// indices (random bytes), long runs (RUNA/RUNB and the initial run-length coding's
    /// counts), a periodic text (an inverse BWT of several cycles), odd and even lengths.
    fn samples() -> Vec<(&'static str, Vec<u8>)> {
        let text: Vec<u8> = xorshift(300_000, 3)
            .iter()
            .enumerate()
            .map(|(i, &r)| if r < 200 { b"jail image of the zone "[i % 23] } else { r })
            .collect();
        let mut runs = Vec::new();
        for (i, &r) in xorshift(2_000, 5).iter().enumerate() {
            runs.extend(std::iter::repeat_n(r % 4, usize::from(r) * (i % 7) + 1));
        }
        vec![
            ("empty", Vec::new()),
            ("one byte", b"x".to_vec()),
            ("four equal", b"aaaa".to_vec()),
            ("five equal", b"aaaaa".to_vec()),
            ("one long run", vec![7u8; 1_000_000]),
            ("periodic", b"ab".repeat(150_001)),
            ("random", xorshift(250_001, 9)),
            ("text", text),
            ("runs", runs),
            ("all bytes", (0..=255u8).cycle().take(100_003).collect()),
        ]
    }

    #[test]
    fn blocks_decode_as_libbzip2_decodes_them() {
        for (name, data) in samples() {
            for level in [1, 9] {
                let packed = stream(&data, level);
                assert_eq!(decode_blocks(&packed).as_deref(), Ok(&data[..]), "{name}, level {level}");
            }
        }
    }

    /// Damage is caught by the block's own checks or its CRC, as libbzip2 catches it: a
    /// flipped bit anywhere in the block never gives output that libbzip2 would not.
    #[test]
    fn a_flipped_bit_fails_as_libbzip2_fails() {
        let data = samples().remove(7).1;
        let packed = stream(&data[..60_000], 1);
        let marks = magics(&packed);
        assert_eq!(marks.len(), 2);
        let (start, end) = (marks[0], marks[1]);
        let mut decoder = BlockDecoder::default();
        for at in (start + 48..end).step_by(97) {
            let mut damaged = packed.clone();
            damaged[(at / 8) as usize] ^= 0x80 >> (at % 8);
            let ours = decoder.decode(&damaged, start, end, damaged[3]);
            let reference = libbzip2(&damaged);
            match ours {
                Ok(output) => assert_eq!(Some(output), reference, "bit {at}"),
                Err(Failure::Corrupt) => assert!(reference.is_none(), "bit {at}: libbzip2 decodes it"),
                Err(Failure::Unusual) => {}
            }
        }
        // The block must end where the next magic starts.
        assert_eq!(decoder.decode(&packed, start, end - 1, packed[3]), Err(Failure::Corrupt));
        assert_eq!(decoder.decode(&packed, start, end + 1, packed[3]), Err(Failure::Corrupt));
        // A block larger than the level allows (bzip2 -2 data read as -1).
        let big = stream(&xorshift(150_000, 1), 2);
        let marks = magics(&big);
        assert_eq!(decoder.decode(&big, marks[0], marks[1], b'1'), Err(Failure::Corrupt));
        assert!(decoder.decode(&big, marks[0], marks[1], b'2').is_ok());
    }

    /// libbzip2's run-length decoding, byte by byte: after four equal bytes a count.
    fn run_length_bytewise(text: &[u8]) -> Result<Vec<u8>, Failure> {
        let (mut out, mut last, mut same) = (Vec::new(), None, 0);
        for &byte in text {
            if same == 4 {
                out.extend(std::iter::repeat_n(last.unwrap(), usize::from(byte)));
                (last, same) = (None, 0);
                continue;
            }
            same = if last == Some(byte) { same + 1 } else { 1 };
            last = Some(byte);
            out.push(byte);
        }
        if same == 4 { Err(Failure::Corrupt) } else { Ok(out) }
    }

    #[test]
    fn run_length_decoding_matches_the_bytewise_parse() {
        assert_eq!(run_length_decode(b"aaaa\x03b"), Ok(b"aaaaaaab".to_vec()));
        assert_eq!(run_length_decode(b"aaabbbb\x01"), Ok(b"aaabbbbb".to_vec()));
        assert_eq!(run_length_decode(b"xaaaa"), Err(Failure::Corrupt));
        for seed in 1..300 {
            let text: Vec<u8> = xorshift(64, seed).iter().map(|b| b % 3).collect();
            assert_eq!(run_length_decode(&text), run_length_bytewise(&text), "{text:?}");
        }
    }

    #[test]
    fn crc_by_eight_bytes_matches_the_bytewise_crc() {
        let data = xorshift(1000, 4);
        for len in [0, 1, 7, 8, 9, 100, 1000] {
            let mut bytewise = u32::MAX;
            for &b in &data[..len] {
                bytewise = (bytewise << 8) ^ CRC_TABLES[0][((bytewise >> 24) as u8 ^ b) as usize];
            }
            assert_eq!(crc(&data[..len]), !bytewise, "{len} bytes");
        }
        // The check value of CRC-32/BZIP2.
        assert_eq!(crc(b"123456789"), 0xfc89_1918);
    }
}
