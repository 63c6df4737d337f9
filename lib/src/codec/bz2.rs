//! A bzip2 stream encoder built for speed: the Burrows–Wheeler transform comes from a
//! suffix array (libsais), not from bzip2's own rotation sort, which is what makes lbzip2
//! fast; the rest (run-length passes, move-to-front, six Huffman tables chosen per
//! 50 symbols, four refinement passes) follows bzip2 1.0.8, so the output is the format
//! every bzip2 decoder reads.

use std::cell::RefCell;
use std::cmp::Ordering;

const BLOCK_MAGIC: [u32; 2] = [0x31_4159, 0x26_5359];
const END_MAGIC: [u32; 2] = [0x17_7245, 0x38_5090];
/// Symbols per Huffman table choice.
const GROUP: usize = 50;
/// Longest code the encoder makes (bzip2's choice; decoders accept up to 20).
const MAX_CODE_LEN: u32 = 17;
/// Refinement passes over the table choices, as bzip2.
const ITERATIONS: usize = 4;
/// Blocks shorter than this are sorted as a doubled string (cheap at that size).
const SMALL_BLOCK: usize = 4096;
/// Most block-end suffixes that may repeat elsewhere before the doubled string is used.
const MAX_SPECIAL: usize = 256;

/// Buffers reused from block to block on one thread.
#[derive(Default)]
struct Scratch {
    block: Vec<u8>,
    sa: Vec<i32>,
    text: Vec<u8>,
    bwt: Vec<u8>,
    mtf: Vec<u16>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Compresses `data` into one complete bzip2 stream with blocks of `level` × 100 kB,
/// appended to `out`.
pub(super) fn compress_stream(data: &[u8], level: u32, out: &mut Vec<u8>) {
    SCRATCH.with(|scratch| {
        let scratch = &mut *scratch.borrow_mut();
        let mut bits = BitWriter::new(out);
        bits.put(8, b'B'.into());
        bits.put(8, b'Z'.into());
        bits.put(8, b'h'.into());
        bits.put(8, (b'0' + level as u8).into());
        let limit = level as usize * 100_000 - 19;
        let mut combined = 0u32;
        let mut pos = 0;
        while pos < data.len() {
            scratch.block.clear();
            let used = rle1(&data[pos..], &mut scratch.block, limit);
            let crc = block_crc(&data[pos..pos + used]);
            combined = combined.rotate_left(1) ^ crc;
            write_block(&mut bits, scratch, crc);
            pos += used;
        }
        bits.put(24, END_MAGIC[0]);
        bits.put(24, END_MAGIC[1]);
        bits.put(32, combined);
        bits.finish();
    })
}

/// bzip2's first pass: runs of 4 to 255 equal bytes become the 4 bytes and a count.
/// Fills `block` up to `limit` bytes; returns how many input bytes went in.
fn rle1(input: &[u8], block: &mut Vec<u8>, limit: usize) -> usize {
    let mut i = 0;
    while i < input.len() && block.len() + 5 <= limit {
        let byte = input[i];
        let max = (input.len() - i).min(255);
        let run = input[i..i + max].iter().position(|&b| b != byte).unwrap_or(max);
        if run >= 4 {
            block.extend_from_slice(&[byte; 4]);
            block.push((run - 4) as u8);
        } else {
            block.extend(std::iter::repeat_n(byte, run));
        }
        i += run;
    }
    i
}

fn write_block(bits: &mut BitWriter<'_>, scratch: &mut Scratch, crc: u32) {
    let Scratch { block, sa, text, bwt, mtf } = scratch;
    let orig_ptr = burrows_wheeler(block, sa, text, bwt);
    let mut in_use = [false; 256];
    for &b in block.iter() {
        in_use[b as usize] = true;
    }
    let freq = move_to_front(bwt, &in_use, mtf);
    bits.put(24, BLOCK_MAGIC[0]);
    bits.put(24, BLOCK_MAGIC[1]);
    bits.put(32, crc);
    bits.put(1, 0); // not randomised
    bits.put(24, orig_ptr);
    write_byte_map(bits, &in_use);
    write_symbols(bits, mtf, &freq);
}

/// Sorts the rotations of `block`; fills `bwt` with the last column and returns the row
/// of the unrotated block.
///
/// The suffix array of the block orders its rotations too, except for the suffixes at
/// the end that repeat elsewhere in the block ("special"): a suffix array puts such a
/// suffix before the longer ones it begins, a rotation goes on into the block's start.
/// Those few are taken out and put back where rotation order says. When there are many
/// (periodic data), or the block is small, the suffix array of the block written twice
/// gives rotation order directly, at twice the cost.
fn burrows_wheeler(block: &[u8], sa: &mut Vec<i32>, text: &mut Vec<u8>, bwt: &mut Vec<u8>) -> u32 {
    let n = block.len();
    let sorted = n >= SMALL_BLOCK && sort_with_fixup(block, sa);
    if !sorted {
        text.clear();
        text.extend_from_slice(block);
        text.extend_from_slice(block);
        suffix_array(text, sa);
        sa.retain(|&s| (s as usize) < n);
    }
    bwt.clear();
    bwt.extend(sa.iter().map(|&s| block[(s as usize + n - 1) % n]));
    sa.iter().position(|&s| s == 0).expect("rotation 0 is sorted") as u32
}

fn suffix_array(text: &[u8], sa: &mut Vec<i32>) {
    sa.clear();
    sa.resize(text.len(), 0);
    // SAFETY: `text` and `sa` are both `text.len()` long; fs = 0 and freq = null ask for
    // no extra space and no frequency table.
    let rc = unsafe {
        libsais_sys::libsais::libsais(
            text.as_ptr(),
            sa.as_mut_ptr(),
            text.len() as i32,
            0,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "libsais failed on a {} byte block", text.len());
}

/// Rotation order from the block's own suffix array; false when it would cost too much.
fn sort_with_fixup(block: &[u8], sa: &mut Vec<i32>) -> bool {
    let n = block.len();
    suffix_array(block, sa);
    let Some(special) = special_suffixes(block, sa) else { return false };
    if special == 0 {
        return true;
    }
    let first = n - special;
    let mut budget = 8 * n;
    let mut specials: Vec<usize> = (first..n).collect();
    let mut failed = false;
    specials.sort_by(|&a, &b| {
        compare_rotations(block, a, b, &mut budget).unwrap_or_else(|| {
            failed = true;
            Ordering::Equal
        })
    });
    if failed {
        return false;
    }
    sa.retain(|&s| (s as usize) < first);
    let mut places = Vec::with_capacity(special);
    let mut lo = 0;
    for &s in &specials {
        let mut failed = false;
        let at = lo
            + sa[lo..].partition_point(|&other| {
                compare_rotations(block, other as usize, s, &mut budget).unwrap_or_else(|| {
                    failed = true;
                    Ordering::Less
                }) == Ordering::Less
            });
        if failed {
            return false;
        }
        places.push(at);
        lo = at;
    }
    let mut merged = Vec::with_capacity(n);
    let mut from = 0;
    for (&s, &at) in specials.iter().zip(&places) {
        merged.extend_from_slice(&sa[from..at]);
        merged.push(s as i32);
        from = at;
    }
    merged.extend_from_slice(&sa[from..]);
    *sa = merged;
    true
}

/// How many suffixes at the end of the block also occur elsewhere in it (they form a
/// run to the end: if `block[j..]` repeats, so does `block[j + 1..]`); None when more
/// than MAX_SPECIAL. A suffix that repeats is a prefix of the suffix after it in `sa`.
fn special_suffixes(block: &[u8], sa: &[i32]) -> Option<usize> {
    let n = block.len();
    // The last `window` suffixes; n > window (small blocks never get here).
    let window = MAX_SPECIAL + 1;
    let base = n - window;
    let mut rank = vec![0usize; window];
    for (r, &s) in sa.iter().enumerate() {
        if let Some(k) = (s as usize).checked_sub(base) {
            rank[k] = r;
        }
    }
    for (count, j) in (base..n).rev().enumerate() {
        let r = rank[j - base];
        let repeats = r + 1 < n && block[sa[r + 1] as usize..].starts_with(&block[j..]);
        if !repeats {
            return Some(count);
        }
    }
    None
}

/// Compares the rotations starting at `a` and `b`; None when `budget` bytes of
/// comparison run out.
fn compare_rotations(block: &[u8], mut a: usize, mut b: usize, budget: &mut usize) -> Option<Ordering> {
    let n = block.len();
    let mut left = n;
    while left > 0 {
        let len = (n - a).min(n - b).min(left);
        match block[a..a + len].cmp(&block[b..b + len]) {
            Ordering::Equal => {}
            other => return Some(other),
        }
        *budget = budget.checked_sub(len)?;
        a = (a + len) % n;
        b = (b + len) % n;
        left -= len;
    }
    Some(Ordering::Equal)
}

/// Move-to-front over the used bytes, zero runs as RUNA/RUNB digits, then end of block.
/// Returns the symbol frequencies (alphabet: used bytes + 2).
fn move_to_front(bwt: &[u8], in_use: &[bool; 256], out: &mut Vec<u16>) -> Vec<u32> {
    let mut seq = [0u8; 256];
    let mut used = 0usize;
    for b in 0..256 {
        if in_use[b] {
            seq[b] = used as u8;
            used += 1;
        }
    }
    let eob = used + 1;
    let mut freq = vec![0u32; used + 2];
    // Slots past `used` hold numbers that are no used byte's code, so never match.
    let mut order: [u8; 256] = std::array::from_fn(|i| i as u8);
    out.clear();
    let mut zeros = 0u32;
    for &b in bwt {
        let s = seq[b as usize];
        if order[0] == s {
            zeros += 1;
            continue;
        }
        if zeros > 0 {
            push_zero_run(zeros, out, &mut freq);
            zeros = 0;
        }
        let j = move_to_front_one(&mut order, s);
        order[0] = s;
        out.push(j as u16 + 1);
        freq[j + 1] += 1;
    }
    if zeros > 0 {
        push_zero_run(zeros, out, &mut freq);
    }
    out.push(eob as u16);
    freq[eob] += 1;
    freq
}

/// Moves `s` to the front of `order` and returns where it was. Most positions are small
/// on compressible data: those are found and shifted in one pass (bzip2's loop); the
/// rest by a 16-byte-wide search and one block move.
fn move_to_front_one(order: &mut [u8; 256], s: u8) -> usize {
    let mut carried = order[0];
    for (j, slot) in order.iter_mut().enumerate().take(16).skip(1) {
        std::mem::swap(&mut carried, slot);
        if carried == s {
            return j;
        }
    }
    // order[1..16] now hold the old order[0..15] and `carried` the old order[15].
    let j = position(order, s);
    order.copy_within(16..j, 17);
    order[16] = carried;
    j
}

/// Where `s` is in `order`, 16 bytes compared at a time.
fn position(order: &[u8; 256], s: u8) -> usize {
    for (c, chunk) in order.chunks_exact(16).enumerate() {
        let mut mask = 0u16;
        for (i, &b) in chunk.iter().enumerate() {
            mask |= ((b == s) as u16) << i;
        }
        if mask != 0 {
            return c * 16 + mask.trailing_zeros() as usize;
        }
    }
    unreachable!("every byte of the block is in the order")
}

/// A run of `run` zeros in bijective base 2: RUNA = 1, RUNB = 2, least significant first.
fn push_zero_run(run: u32, out: &mut Vec<u16>, freq: &mut [u32]) {
    let mut left = run - 1;
    loop {
        let digit = (left & 1) as u16;
        out.push(digit);
        freq[digit as usize] += 1;
        if left < 2 {
            break;
        }
        left = (left - 2) / 2;
    }
}

fn write_byte_map(bits: &mut BitWriter<'_>, in_use: &[bool; 256]) {
    let ranges: Vec<bool> = in_use.chunks(16).map(|c| c.iter().any(|&u| u)).collect();
    for &r in &ranges {
        bits.put(1, r as u32);
    }
    for (chunk, &r) in in_use.chunks(16).zip(&ranges) {
        if r {
            for &u in chunk {
                bits.put(1, u as u32);
            }
        }
    }
}

/// Chooses 2 to 6 Huffman tables and one per 50 symbols, as bzip2 does, and writes the
/// selectors, the tables and the coded symbols.
fn write_symbols(bits: &mut BitWriter<'_>, symbols: &[u16], freq: &[u32]) {
    let alpha = freq.len();
    let count = symbols.len();
    let tables = match count {
        0..200 => 2,
        200..600 => 3,
        600..1200 => 4,
        1200..2400 => 5,
        _ => 6,
    };
    let mut lens = initial_lengths(freq, tables, count);
    let mut selectors = Vec::with_capacity(count.div_ceil(GROUP));
    let mut packed = Vec::new();
    for _ in 0..ITERATIONS {
        selectors.clear();
        let mut table_freq = vec![vec![0u32; alpha]; tables];
        pack_lengths(&lens, &mut packed);
        for group in symbols.chunks(GROUP) {
            let best = cheapest_table(&packed, tables, group);
            selectors.push(best as u8);
            let f = &mut table_freq[best];
            for &s in group {
                f[s as usize] += 1;
            }
        }
        for (len, f) in lens.iter_mut().zip(&table_freq) {
            *len = code_lengths(f, MAX_CODE_LEN);
        }
    }
    bits.put(3, tables as u32);
    bits.put(15, selectors.len() as u32);
    let mut order: Vec<u8> = (0..tables as u8).collect();
    for &sel in &selectors {
        let j = order.iter().position(|&o| o == sel).expect("selector is a table");
        order.copy_within(0..j, 1);
        order[0] = sel;
        for _ in 0..j {
            bits.put(1, 1);
        }
        bits.put(1, 0);
    }
    for len in &lens {
        write_lengths(bits, len);
    }
    let codes: Vec<Vec<u32>> = lens.iter().map(|len| canonical_codes(len)).collect();
    for (group, &sel) in symbols.chunks(GROUP).zip(&selectors) {
        let (len, code) = (&lens[sel as usize], &codes[sel as usize]);
        for &s in group {
            bits.put(len[s as usize] as u32, code[s as usize]);
        }
    }
}

/// bzip2's starting point: the alphabet cut into `tables` ranges of about equal
/// frequency, each table cheap (0) inside its range and dear (15) outside.
fn initial_lengths(freq: &[u32], tables: usize, count: usize) -> Vec<Vec<u8>> {
    let alpha = freq.len();
    let mut lens = vec![vec![0u8; alpha]; tables];
    let mut remaining = count as i64;
    let mut start = 0usize;
    for part in (1..=tables).rev() {
        let target = remaining / part as i64;
        let mut end = start as i64 - 1;
        let mut sum = 0i64;
        while sum < target && end < alpha as i64 - 1 {
            end += 1;
            sum += freq[end as usize] as i64;
        }
        if end > start as i64 && part != tables && part != 1 && (tables - part) % 2 == 1 {
            sum -= freq[end as usize] as i64;
            end -= 1;
        }
        for (v, l) in lens[part - 1].iter_mut().enumerate() {
            *l = if (start as i64..=end).contains(&(v as i64)) { 0 } else { 15 };
        }
        start = (end + 1) as usize;
        remaining -= sum;
    }
    lens
}

/// The table that codes `group` in the fewest bits. `packed[s]` holds symbol s's code
/// length in every table, 16 bits each (a group costs at most 50 × 20 bits), so one
/// addition per symbol sums all tables at once.
fn cheapest_table(packed: &[u128], tables: usize, group: &[u16]) -> usize {
    let total: u128 = group.iter().map(|&s| packed[s as usize]).sum();
    (0..tables).min_by_key(|&t| ((total >> (16 * t)) as u16, t)).expect("at least two tables")
}

fn pack_lengths(lens: &[Vec<u8>], packed: &mut Vec<u128>) {
    packed.clear();
    packed.resize(lens[0].len(), 0);
    for (t, len) in lens.iter().enumerate() {
        for (p, &l) in packed.iter_mut().zip(len) {
            *p |= (l as u128) << (16 * t);
        }
    }
}

/// Huffman code lengths for `freq` (a zero counts as one: every symbol gets a code), no
/// longer than `max_len`: when the tree is too deep the frequencies are halved and the
/// tree built again, as bzip2 does.
fn code_lengths(freq: &[u32], max_len: u32) -> Vec<u8> {
    let mut weight: Vec<u64> = freq.iter().map(|&f| f.max(1) as u64).collect();
    loop {
        let lens = huffman_lengths(&weight);
        if lens.iter().all(|&l| l as u32 <= max_len) {
            return lens;
        }
        for w in &mut weight {
            *w = 1 + *w / 2;
        }
    }
}

fn huffman_lengths(weight: &[u64]) -> Vec<u8> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = weight.len();
    let mut parent = vec![usize::MAX; 2 * n];
    // Ties go to the shallower subtree (bzip2 keeps the depth in the weight's low bits).
    let mut heap: BinaryHeap<Reverse<(u64, u8, usize)>> =
        weight.iter().enumerate().map(|(i, &w)| Reverse((w, 0, i))).collect();
    let mut next = n;
    while heap.len() > 1 {
        let Reverse((w1, d1, a)) = heap.pop().expect("two nodes");
        let Reverse((w2, d2, b)) = heap.pop().expect("two nodes");
        parent[a] = next;
        parent[b] = next;
        heap.push(Reverse((w1 + w2, d1.max(d2) + 1, next)));
        next += 1;
    }
    (0..n)
        .map(|mut i| {
            let mut depth = 0u8;
            while parent[i] != usize::MAX {
                i = parent[i];
                depth += 1;
            }
            depth.max(1)
        })
        .collect()
}

/// Canonical codes: shorter first, then by symbol (the order bzip2 decoders rebuild).
fn canonical_codes(len: &[u8]) -> Vec<u32> {
    let mut code = vec![0u32; len.len()];
    let mut next = 0u32;
    let min = *len.iter().min().expect("alphabet is not empty");
    let max = *len.iter().max().expect("alphabet is not empty");
    for l in min..=max {
        for (i, &li) in len.iter().enumerate() {
            if li == l {
                code[i] = next;
                next += 1;
            }
        }
        next <<= 1;
    }
    code
}

/// A table's lengths as a start length and +1/-1 steps per symbol.
fn write_lengths(bits: &mut BitWriter<'_>, len: &[u8]) {
    let mut current = len[0] as u32;
    bits.put(5, current);
    for &l in len {
        let l = l as u32;
        while current < l {
            bits.put(2, 2);
            current += 1;
        }
        while current > l {
            bits.put(2, 3);
            current -= 1;
        }
        bits.put(1, 0);
    }
}

/// bzip2's CRC-32: the polynomial 0x04c11db7 fed most significant bit first (not the
/// reflected CRC of gzip and zlib).
fn block_crc(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in data {
        crc = (crc << 8) ^ CRC_TABLE[((crc >> 24) as u8 ^ b) as usize];
    }
    !crc
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04c1_1db7 } else { c << 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Bits into bytes, most significant first.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    pending: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, pending: 0 }
    }

    /// Writes the low `count` bits of `value` (count ≤ 32).
    fn put(&mut self, count: u32, value: u32) {
        self.acc = (self.acc << count) | value as u64;
        self.pending += count;
        if self.pending >= 32 {
            self.pending -= 32;
            self.out.extend_from_slice(&((self.acc >> self.pending) as u32).to_be_bytes());
        }
    }

    /// Pads the last byte with zero bits.
    fn finish(mut self) {
        while self.pending >= 8 {
            self.pending -= 8;
            self.out.push((self.acc >> self.pending) as u8);
        }
        if self.pending > 0 {
            self.out.push((self.acc << (8 - self.pending)) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The last column by sorting every rotation outright.
    fn naive_bwt(block: &[u8]) -> Vec<u8> {
        let n = block.len();
        let mut rows: Vec<usize> = (0..n).collect();
        rows.sort_by(|&a, &b| {
            let ra = block[a..].iter().chain(&block[..a]);
            let rb = block[b..].iter().chain(&block[..b]);
            ra.cmp(rb)
        });
        rows.iter().map(|&r| block[(r + n - 1) % n]).collect()
    }

    fn check_bwt(block: &[u8]) {
        let (mut sa, mut text, mut bwt) = (Vec::new(), Vec::new(), Vec::new());
        let orig = burrows_wheeler(block, &mut sa, &mut text, &mut bwt) as usize;
        assert_eq!(bwt, naive_bwt(block), "last column of a {} byte block", block.len());
        let n = block.len();
        let row: Vec<u8> = (0..n).map(|i| block[(sa[orig] as usize + i) % n]).collect();
        assert_eq!(row, block, "row {orig} is the unrotated block");
    }

    /// A xorshift generator: reproducible blocks without a dependency.
    fn bytes(seed: u64, len: usize, alphabet: u8) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % alphabet as u64) as u8
            })
            .collect()
    }

    #[test]
    fn rotation_order_matches_a_plain_sort() {
        // Small alphabets make the block's end repeat elsewhere: the fix-up path.
        for (seed, alphabet) in [(1, 2), (2, 3), (3, 4), (4, 255)] {
            let block = bytes(seed, 6000, alphabet);
            if alphabet < 5 {
                let mut sa = Vec::new();
                suffix_array(&block, &mut sa);
                assert!(special_suffixes(&block, &sa).is_some_and(|k| k > 0));
                assert!(sort_with_fixup(&block, &mut sa), "fix-up taken");
            }
            check_bwt(&block);
        }
        // The end repeats the start: rotations going on past the end decide.
        let mut block = bytes(5, 5000, 3);
        block.extend_from_within(..40);
        check_bwt(&block);
        // Periodic and nearly periodic: the doubled string.
        check_bwt(&b"abc".repeat(3000));
        let mut near = b"xy".repeat(3000);
        near.push(b'x');
        check_bwt(&near);
        // Small blocks.
        for len in 1..40 {
            check_bwt(&bytes(len as u64, len, 2));
        }
    }

    fn round_trip(data: &[u8], level: u32) {
        let mut packed = Vec::new();
        compress_stream(data, level, &mut packed);
        let mut out = Vec::new();
        ::bzip2::read::BzDecoder::new(&packed[..]).read_to_end(&mut out).unwrap();
        assert!(out == data, "round trip of {} bytes at level {level}", data.len());
    }

    #[test]
    fn streams_decode_to_the_input() {
        round_trip(b"", 9);
        round_trip(b"a", 9);
        round_trip(b"aaaa", 9);
        round_trip(&bytes(7, 300_000, 255), 1);
        round_trip(&vec![0; 1_000_000], 9);
        // Runs of exactly four grow by a quarter in the first pass: several blocks.
        let fours: Vec<u8> = (0..250_000u32).flat_map(|i| [i as u8; 4]).collect();
        round_trip(&fours, 1);
        round_trip(&b"jail image ".repeat(100_000), 2);
    }
}
