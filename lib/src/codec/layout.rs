//! Where each part of an xz stream or a zstd frame lies in the compressed input, followed
//! while the decoder consumes it, so that an error can say which block the damage is in.
//!
//! liblzma says "data error" for a wrong check, corrupt LZMA2 data, a bad block header and a
//! bad index alike, and libzstd's streaming decoder does not move its input position past a
//! call that fails (which holds many blocks): neither says where. What would: a second
//! pass over the input, which a pipe does not allow and which would cost time on good data.
//! So a map walks the headers as the bytes go by (the decoder's `BufRead` feeds it what it
//! consumes) and skips everything in between: per xz block its header, the 3 to 6 byte
//! headers of its LZMA2 chunks (one per 64 KiB of compressed data at most), its padding, and
//! then the index and the footer; per zstd block its 3-byte header. That is a comparison
//! per `consume` call and a few bytes parsed per chunk; the lookups happen only when an
//! error is reported. The map checks what the headers alone allow (CRC32s, reserved bits,
//! LZMA2 control bytes, the index against the blocks) and stops at the first thing it finds
//! wrong, remembering it as an [`Anomaly`].
//!
//! Where the error is: liblzma's one-thread decoder consumes up to the byte where it found
//! the error, so the part holding the last consumed byte is the one (a check is read whole
//! before it is compared). The threaded decoder reads ahead, but hands out all output before
//! the failing block's error, in order: its output count says which block failed. At the
//! very end of a block that count cannot tell a wrong check from corrupt data found at the
//! last chunk's end (both come after the block's last byte of output): then the block is
//! decoded again on one thread, which stops at the damage. For that the map keeps the
//! compressed bytes of each block until its output has been read (the threaded decoder holds
//! them too); only that failing block is decoded twice, and its second output is thrown
//! away. Past [`KEEP_LIMIT`] kept bytes, or when the block alone decodes fine, the message
//! says it is one or the other. For zstd, [`ZstdMap::wanted`] limits each read to the part being decoded (a frame
//! header, one block, the checksum), so the call that fails holds one part: the one the map
//! expects next. Nothing here changes what is accepted: the decoders decide; the map only
//! names the place.

use std::collections::VecDeque;

use liblzma_sys as sys;

/// A part of an xz stream or a zstd frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    StreamHeader,
    BlockHeader,
    /// A block's compressed data (xz: its LZMA2 chunks; zstd: the whole block).
    BlockData,
    BlockPadding,
    /// An xz block's integrity check.
    Check,
    Index,
    StreamFooter,
    /// A zstd frame header.
    FrameHeader,
    /// A zstd frame's XXH64 checksum.
    Checksum,
    /// A skippable frame.
    Skippable,
}

/// Where a part is: which part, its first byte, and the block it belongs to (its number in
/// the stream or frame, from 1, and the offset of its header; 0 when it is in no block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub part: Part,
    pub start: u64,
    pub block: u64,
    pub block_start: u64,
}

/// The first thing the map found wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub place: Place,
    /// A field this decoder does not know (a reserved bit, an unknown filter), not damage.
    pub unsupported: bool,
    pub what: String,
}

/// What the walk does next: gather so many bytes of a header, or pass over so many.
#[derive(Clone, Copy, Debug)]
enum Step {
    Collect(usize),
    Skip(u64),
    /// Not following any more: the end, something wrong, or a layout this map does not know.
    Stop,
}

/// The walk shared by both maps: the current step, the header bytes gathered so far, and
/// the part being read and the part that received the last byte.
struct Walker {
    step: Step,
    pending: Vec<u8>,
    pending_at: u64,
    place: Place,
    last: Option<Place>,
}

impl Walker {
    fn new(start: u64, part: Part, first: usize) -> Walker {
        let place = Place { part, start, block: 0, block_start: 0 };
        Walker {
            step: Step::Collect(first),
            pending: Vec::with_capacity(64),
            pending_at: start,
            place,
            last: None,
        }
    }

    /// How many more bytes the current step takes; `None` when it takes any number.
    fn wanted(&self) -> Option<u64> {
        match self.step {
            Step::Collect(n) => Some((n - self.pending.len()) as u64),
            Step::Skip(n) => Some(n),
            Step::Stop => None,
        }
    }
}

/// What a map does with the bytes of each step.
trait Steps {
    fn walker(&mut self) -> &mut Walker;
    /// The bytes of a `Collect` step, the first at offset `at`; sets the next step.
    fn collected(&mut self, bytes: &[u8], at: u64);
    /// A `Skip` step ended at offset `at`; sets the next step.
    fn skipped(&mut self, at: u64);
}

/// Walks `data`, the consumed bytes starting at offset `at`.
fn feed<S: Steps>(map: &mut S, mut data: &[u8], mut at: u64) {
    while !data.is_empty() {
        let walker = map.walker();
        match walker.step {
            Step::Stop => return,
            Step::Skip(n) => {
                let k = n.min(data.len() as u64);
                walker.step = Step::Skip(n - k);
                if k > 0 {
                    walker.last = Some(walker.place);
                }
                data = &data[k as usize..];
                at += k;
                if k == n {
                    map.skipped(at);
                }
            }
            Step::Collect(n) => {
                if walker.pending.is_empty() {
                    walker.pending_at = at;
                }
                let k = (n - walker.pending.len()).min(data.len());
                walker.pending.extend_from_slice(&data[..k]);
                walker.last = Some(walker.place);
                data = &data[k..];
                at += k as u64;
                if walker.pending.len() == n {
                    let bytes = std::mem::take(&mut walker.pending);
                    let start = walker.pending_at;
                    map.collected(&bytes, start);
                    let walker = map.walker();
                    walker.pending = bytes;
                    walker.pending.clear();
                }
            }
        }
    }
}

fn crc32(data: &[u8], crc: u32) -> u32 {
    // SAFETY: a pointer and length of a live slice; lzma_crc32 only reads them.
    unsafe { sys::lzma_crc32(data.as_ptr(), data.len(), crc) }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
}

/// The size of an xz check field by check ID (the .xz spec, 2.1.1.2: IDs 0x01-0x03 take
/// 4 bytes, 0x04-0x06 8, and so on).
fn check_size(id: u8) -> u64 {
    match id {
        0 => 0,
        1..=3 => 4,
        4..=6 => 8,
        7..=9 => 16,
        10..=12 => 32,
        _ => 64,
    }
}

fn check_name(id: u8) -> String {
    match id {
        1 => "CRC32".into(),
        4 => "CRC64".into(),
        10 => "SHA-256".into(),
        other => format!("check type {other}"),
    }
}

/// A multibyte integer of the .xz format (spec 1.2): at most 9 bytes, minimally encoded.
fn vli(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..9 {
        let byte = *b.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (byte != 0 || i == 0).then_some(value);
        }
    }
    None
}

/// Filter IDs liblzma decodes: Delta, the BCJ filters (x86 to RISC-V) and LZMA2.
fn known_filter(id: u64) -> bool {
    matches!(id, 0x03..=0x0b | 0x21)
}

/// One block of an xz stream as the map saw it: offsets in the compressed input, and its
/// range in the stream's decoded output.
#[derive(Clone, Debug)]
struct Block {
    number: u64,
    start: u64,
    header_len: u64,
    out_start: u64,
    /// Its decoded size, once its end was walked.
    out_len: Option<u64>,
    declared_compressed: Option<u64>,
    declared_uncompressed: Option<u64>,
    /// The decoded bytes its LZMA2 chunks announce so far.
    chunk_out: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum XzState {
    StreamHeader,
    BlockSize,
    BlockHeader,
    ChunkControl,
    ChunkHeader,
    ChunkFirstByte,
    ChunkData,
    Padding,
    Check,
    IndexByte,
    IndexPadding,
    IndexCrc,
    Footer,
    Done,
}

/// The map of one xz stream. See the [module docs](self).
pub struct XzMap {
    walker: Walker,
    state: XzState,
    flags: [u8; 2],
    /// Blocks whose output may still be unread by the caller (pruned by [`XzMap::decoded`]).
    blocks: VecDeque<Block>,
    /// Blocks seen so far.
    count: u64,
    /// The decoded size of all finished blocks.
    out_total: u64,
    /// The sum of the finished blocks' unpadded sizes (header + data + check).
    unpadded_total: u64,
    size_byte: u8,
    control: u8,
    data_start: u64,
    /// The compressed bytes of the current LZMA chunk after its first.
    chunk_left: u64,
    first_chunk: bool,
    index_start: u64,
    index_crc: u32,
    /// Index fields: the record count, then unpadded and uncompressed size per record.
    index_field: u64,
    index_records: u64,
    index_value: u64,
    index_shift: u32,
    index_unpadded: u64,
    index_uncompressed: u64,
    anomaly: Option<Anomaly>,
    /// Whether to keep the compressed bytes of blocks whose output is unread (see
    /// [`XzMap::keeping_blocks`]), and those bytes: `kept` starts at offset `kept_start`,
    /// the start of a block; `None` when nothing is kept.
    keep: bool,
    kept_start: Option<u64>,
    kept: Vec<u8>,
}

/// The most compressed bytes a map keeps for a second decode (see
/// [`XzMap::keeping_blocks`]); past it the bytes are dropped and keeping starts again at
/// the next block, and an error in a block not kept whole reads as before.
const KEEP_LIMIT: usize = 256 << 20;

impl XzMap {
    /// A map of the xz stream whose first byte is at `start`.
    pub fn new(start: u64) -> XzMap {
        XzMap {
            walker: Walker::new(start, Part::StreamHeader, 12),
            state: XzState::StreamHeader,
            flags: [0; 2],
            blocks: VecDeque::new(),
            count: 0,
            out_total: 0,
            unpadded_total: 0,
            size_byte: 0,
            control: 0,
            data_start: 0,
            chunk_left: 0,
            first_chunk: false,
            index_start: 0,
            index_crc: 0,
            index_field: 0,
            index_records: 0,
            index_value: 0,
            index_shift: 0,
            index_unpadded: 0,
            index_uncompressed: 0,
            anomaly: None,
            keep: false,
            kept_start: None,
            kept: Vec::new(),
        }
    }

    /// Keeps the compressed bytes of each block until its output has been read, so that
    /// [`XzMap::failure`] can decode a block that failed at its very end again on one
    /// thread and say whether its data or its check is wrong (see the module docs). For the
    /// threaded decoder: it holds those blocks' input itself (its read-ahead is bounded by
    /// its memory limit), so this at most doubles what is held; [`KEEP_LIMIT`] bounds it.
    pub fn keeping_blocks(mut self, keep: bool) -> XzMap {
        self.keep = keep;
        self
    }

    /// Follows `data`, the consumed bytes starting at offset `at`.
    pub fn feed(&mut self, data: &[u8], at: u64) {
        feed(self, data, at);
        if let Some(start) = self.kept_start {
            // Only what is not kept yet: from the block's start, or after the kept bytes.
            let from = at.max(start + self.kept.len() as u64);
            let end = at + data.len() as u64;
            if from < end {
                self.kept.extend_from_slice(&data[(from - at) as usize..]);
            }
            if self.kept.len() > KEEP_LIMIT {
                self.kept = Vec::new();
                self.kept_start = None;
            }
        }
    }

    /// The caller has read `total_out` decoded bytes of this stream: blocks that ended
    /// before are forgotten (memory stays bounded however many blocks a stream has).
    pub fn decoded(&mut self, total_out: u64) {
        while self.blocks.len() > 1
            && self.blocks[0].out_len.is_some_and(|len| self.blocks[0].out_start + len < total_out)
        {
            self.blocks.pop_front();
        }
        if let (Some(start), Some(first)) = (self.kept_start, self.blocks.front())
            && first.start > start
        {
            let drop = ((first.start - start) as usize).min(self.kept.len());
            self.kept.drain(..drop);
            self.kept_start = Some(first.start);
        }
    }

    fn begin(&mut self, part: Part, at: u64) {
        let (block, block_start) = match part {
            Part::BlockHeader | Part::BlockData | Part::BlockPadding | Part::Check => {
                self.blocks.back().map_or((0, 0), |b| (b.number, b.start))
            }
            _ => (0, 0),
        };
        self.walker.place = Place { part, start: at, block, block_start };
    }

    fn collect(&mut self, state: XzState, n: usize) {
        self.state = state;
        self.walker.step = Step::Collect(n);
    }

    fn skip(&mut self, state: XzState, n: u64, at: u64) {
        self.state = state;
        self.walker.step = Step::Skip(n);
        if n == 0 {
            self.skipped(at);
        }
    }

    fn wrong(&mut self, unsupported: bool, what: String) {
        if self.anomaly.is_none() {
            self.anomaly = Some(Anomaly { place: self.walker.place, unsupported, what });
        }
        self.walker.step = Step::Stop;
        self.state = XzState::Done;
    }

    fn next_block(&mut self, at: u64) {
        if self.keep && self.kept_start.is_none() {
            self.kept_start = Some(at);
        }
        self.begin(Part::BlockHeader, at);
        // The block number is known only once the size byte says this is no index.
        self.walker.place.block = self.count + 1;
        self.walker.place.block_start = at;
        self.collect(XzState::BlockSize, 1);
    }

    fn block_header(&mut self, b: &[u8], at: u64) {
        let len = b.len() + 1;
        let mut whole = Vec::with_capacity(len);
        whole.push(self.size_byte);
        whole.extend_from_slice(b);
        let stored = le32(&whole[len - 4..]);
        if crc32(&whole[..len - 4], 0) != stored {
            return self.wrong(false, "CRC32 mismatch".into());
        }
        let flags = whole[1];
        if flags & 0x3c != 0 {
            return self.wrong(true, format!("reserved block flags are set ({flags:#04x})"));
        }
        let body = &whole[..len - 4];
        let mut pos = 2;
        let field = |present: bool, pos: &mut usize| -> Result<Option<u64>, ()> {
            if present { vli(body, pos).map(Some).ok_or(()) } else { Ok(None) }
        };
        let Ok(compressed) = field(flags & 0x40 != 0, &mut pos) else {
            return self.wrong(false, "bad compressed size field".into());
        };
        let Ok(uncompressed) = field(flags & 0x80 != 0, &mut pos) else {
            return self.wrong(false, "bad uncompressed size field".into());
        };
        if compressed == Some(0) {
            return self.wrong(false, "compressed size of zero".into());
        }
        let filters = usize::from(flags & 3) + 1;
        let mut last = 0;
        for _ in 0..filters {
            let (Some(id), Some(props)) = (vli(body, &mut pos), vli(body, &mut pos)) else {
                return self.wrong(false, "the filter flags run past the header".into());
            };
            if pos as u64 + props > body.len() as u64 {
                return self.wrong(false, "the filter properties run past the header".into());
            }
            pos += props as usize;
            if !known_filter(id) {
                return self.wrong(true, format!("unknown filter ID {id:#x}"));
            }
            last = id;
        }
        if body[pos..].iter().any(|&byte| byte != 0) {
            return self.wrong(true, "non-zero header padding".into());
        }
        if last != 0x21 {
            // liblzma takes only LZMA2 as the last filter; it will say so.
            return self.wrong(true, "the last filter is not LZMA2".into());
        }
        if let Some(block) = self.blocks.back_mut() {
            block.declared_compressed = compressed;
            block.declared_uncompressed = uncompressed;
            block.header_len = len as u64;
        }
        self.data_start = at + b.len() as u64;
        self.first_chunk = true;
        self.begin(Part::BlockData, self.data_start);
        self.collect(XzState::ChunkControl, 1);
    }

    fn chunk_control(&mut self, control: u8, at: u64) {
        self.control = control;
        let dictionary_reset = control == 0x01 || control >= 0xe0;
        if self.first_chunk && control != 0 && !dictionary_reset {
            return self
                .wrong(false, format!("the first LZMA2 chunk (at byte {at}) does not reset the dictionary"));
        }
        self.first_chunk = false;
        match control {
            0x00 => self.block_data_end(at + 1),
            0x01 | 0x02 => self.collect(XzState::ChunkHeader, 2),
            0x80..=0xff => self.collect(XzState::ChunkHeader, if control >= 0xc0 { 5 } else { 4 }),
            _ => self.wrong(false, format!("invalid LZMA2 control byte {control:#04x} at byte {at}")),
        }
    }

    fn chunk_header(&mut self, b: &[u8], at: u64) {
        let size16 = |i: usize| u64::from(u16::from_be_bytes([b[i], b[i + 1]])) + 1;
        let after = at + b.len() as u64;
        if self.control < 0x80 {
            let out = size16(0);
            self.add_chunk_output(out);
            return self.skip(XzState::ChunkData, out, after);
        }
        self.add_chunk_output((u64::from(self.control & 0x1f) << 16) + size16(0));
        self.chunk_left = size16(2) - 1;
        self.collect(XzState::ChunkFirstByte, 1);
    }

    fn add_chunk_output(&mut self, out: u64) {
        if let Some(block) = self.blocks.back_mut() {
            block.chunk_out += out;
        }
    }

    fn block_data_end(&mut self, at: u64) {
        let Some(block) = self.blocks.back() else { return self.wrong(false, "no block".into()) };
        let compressed = at - self.data_start;
        let (declared_compressed, declared_uncompressed, chunk_out) =
            (block.declared_compressed, block.declared_uncompressed, block.chunk_out);
        let unpadded = block.header_len + compressed;
        if declared_compressed.is_some_and(|size| size != compressed) {
            return self.wrong(
                false,
                format!(
                    "its LZMA2 data is {compressed} bytes, its header says {}",
                    declared_compressed.unwrap_or(0)
                ),
            );
        }
        if declared_uncompressed.is_some_and(|size| size != chunk_out) {
            return self.wrong(
                false,
                format!(
                    "its LZMA2 chunks hold {chunk_out} bytes, its header says {}",
                    declared_uncompressed.unwrap_or(0)
                ),
            );
        }
        self.unpadded_total += unpadded + check_size(self.flags[1] & 0x0f);
        self.begin(Part::BlockPadding, at);
        let pad = (4 - unpadded % 4) % 4;
        if pad == 0 {
            self.padding_done(at);
        } else {
            self.collect(XzState::Padding, pad as usize);
        }
    }

    fn padding_done(&mut self, at: u64) {
        self.begin(Part::Check, at);
        self.skip(XzState::Check, check_size(self.flags[1] & 0x0f), at);
    }

    fn block_end(&mut self, at: u64) {
        if let Some(block) = self.blocks.back_mut() {
            block.out_len = Some(block.chunk_out);
            self.out_total += block.chunk_out;
        }
        self.next_block(at);
    }

    fn index_byte(&mut self, byte: u8, at: u64) {
        self.index_crc = crc32(&[byte], self.index_crc);
        self.index_value |= u64::from(byte & 0x7f) << self.index_shift;
        if byte & 0x80 != 0 {
            self.index_shift += 7;
            if self.index_shift > 56 {
                return self.wrong(false, "an integer longer than 9 bytes".into());
            }
            return self.collect(XzState::IndexByte, 1);
        }
        if byte == 0 && self.index_shift > 0 {
            return self.wrong(false, "an integer that is not minimally encoded".into());
        }
        let value = std::mem::take(&mut self.index_value);
        self.index_shift = 0;
        match self.index_field {
            0 if value != self.count => {
                let count = self.count;
                return self.wrong(false, format!("it lists {value} blocks, the stream has {count}"));
            }
            0 => self.index_records = value,
            field if field % 2 == 1 => {
                if value == 0 {
                    return self.wrong(false, "an unpadded size of zero".into());
                }
                self.index_unpadded = self.index_unpadded.saturating_add(value);
            }
            _ => self.index_uncompressed = self.index_uncompressed.saturating_add(value),
        }
        self.index_field += 1;
        if self.index_field < 1 + 2 * self.index_records {
            return self.collect(XzState::IndexByte, 1);
        }
        if self.index_unpadded != self.unpadded_total {
            return self.wrong(false, "the block sizes it lists differ from the blocks".into());
        }
        if self.index_uncompressed != self.out_total {
            return self.wrong(false, "the uncompressed sizes it lists differ from the blocks".into());
        }
        let len = at + 1 - self.index_start;
        match (4 - len % 4) % 4 {
            0 => self.collect(XzState::IndexCrc, 4),
            pad => self.collect(XzState::IndexPadding, pad as usize),
        }
    }

    /// Where the stream is broken, in words, and the offset of the part named: from the
    /// decoder's error (`unsupported`: liblzma's "unsupported options"), whether it was the
    /// threaded decoder, how far it had consumed (`consumed`, an offset in the input) and
    /// how much it had decoded of this stream (`total_out`).
    pub fn failure(&self, unsupported: bool, threaded: bool, consumed: u64, total_out: u64) -> (String, u64) {
        let last = self.walker.last.unwrap_or(self.walker.place);
        let mut place = last;
        let mut at_block_end = false;
        // Header and index errors come from the threaded decoder's main thread, which
        // stops where it found them; block errors come from the worker threads.
        let in_index = matches!(last.part, Part::Index | Part::StreamFooter)
            && !(last.part == Part::Index && consumed == self.index_start + 1);
        // The main thread decodes a block whose header lacks a size itself ("direct mode")
        // and stops where the error is, as it does on a bad block header: then the last
        // consumed byte is right.
        if threaded
            && !unsupported
            && !in_index
            && let Some((found, end, direct)) = self.block_by_output(total_out)
        {
            let main_thread = direct || last.part == Part::BlockHeader && last.block == found.block;
            if !main_thread || last.block != found.block {
                place = found;
                at_block_end = end;
            }
        }
        if let Some(anomaly) = &self.anomaly {
            let same_block = place.block != 0 && anomaly.place.block == place.block;
            let same_part = place.block == 0 && anomaly.place.part == place.part;
            if same_block || same_part {
                return self.describe(anomaly.place, false, anomaly.unsupported, Some(&anomaly.what));
            }
        }
        if at_block_end && let Some((found, what)) = self.decode_again(place) {
            return self.describe(found, false, false, what.as_deref());
        }
        self.describe(place, at_block_end, unsupported, None)
    }

    /// Decodes the block at `place` (kept by [`XzMap::keeping_blocks`]) again on one
    /// thread, which stops at the byte where it finds the damage: where in the block that
    /// is (its data, padding or check), numbered as in this stream, and what a map of that
    /// decode found wrong there. `None` when the block was not kept whole or decodes
    /// without error on its own.
    fn decode_again(&self, place: Place) -> Option<(Place, Option<String>)> {
        use liblzma::stream::{Action, Error, Status, Stream};
        let kept_start = self.kept_start?;
        let skip = usize::try_from(place.block_start.checked_sub(kept_start)?).ok()?;
        let block = self.kept.get(skip..)?;
        // A stream of its own: this stream's header (same check type), then the block. The
        // decoder fails inside the block, so it never needs an index.
        let mut input = Vec::with_capacity(12 + block.len());
        input.extend_from_slice(&[0xfd, b'7', b'z', b'X', b'Z', 0]);
        input.extend_from_slice(&self.flags);
        input.extend_from_slice(&crc32(&self.flags, 0).to_le_bytes());
        input.extend_from_slice(block);
        let mut stream = Stream::new_stream_decoder(u64::MAX, 0).ok()?;
        let mut scratch = vec![0u8; 1 << 16];
        loop {
            let at = stream.total_in() as usize;
            let out_before = stream.total_out();
            match stream.process(&input[at..], &mut scratch, Action::Run) {
                Ok(Status::StreamEnd) => return None,
                Ok(_) if stream.total_in() as usize == at && stream.total_out() == out_before => {
                    // No progress: the kept bytes end before the error shows.
                    return None;
                }
                Ok(_) => {}
                Err(Error::Data) => break,
                Err(_) => return None,
            }
        }
        let consumed = stream.total_in() as usize;
        let header_at = place.block_start.checked_sub(12)?;
        let mut again = XzMap::new(header_at);
        again.feed(&input[..consumed], header_at);
        let mut found = again.walker.last?;
        let mut what = None;
        if let Some(anomaly) = &again.anomaly
            && anomaly.place.block == found.block
        {
            found = anomaly.place;
            what = Some(anomaly.what.clone());
        }
        if found.block != 1 || !matches!(found.part, Part::BlockData | Part::BlockPadding | Part::Check) {
            return None;
        }
        found.block = place.block;
        Some((found, what))
    }

    /// The block whose output `total_out` is in, whether it is exactly at its end (see the
    /// module docs), and whether its header lacks a size (so the threaded decoder decodes it
    /// on its main thread): at a boundary, the block that ends there, unless the map found
    /// the next one wrong.
    fn block_by_output(&self, total_out: u64) -> Option<(Place, bool, bool)> {
        let place = |block: &Block| Place {
            part: Part::BlockData,
            start: block.start + block.header_len,
            block: block.number,
            block_start: block.start,
        };
        let direct =
            |block: &Block| block.declared_compressed.is_none() || block.declared_uncompressed.is_none();
        for (i, block) in self.blocks.iter().enumerate() {
            if total_out < block.out_start {
                break;
            }
            match block.out_len.map(|len| block.out_start + len) {
                Some(end) if total_out > end => continue,
                Some(end) if total_out == end => {
                    if let (Some(next), Some(anomaly)) = (self.blocks.get(i + 1), &self.anomaly)
                        && anomaly.place.block == next.number
                    {
                        return Some((place(next), false, direct(next)));
                    }
                    return Some((place(block), true, direct(block)));
                }
                _ => return Some((place(block), false, direct(block))),
            }
        }
        None
    }

    fn describe(
        &self,
        place: Place,
        at_block_end: bool,
        unsupported: bool,
        what: Option<&str>,
    ) -> (String, u64) {
        let detail = what.map(|w| format!(": {w}")).unwrap_or_default();
        let block = format!("block {} (starting at byte {})", place.block, place.block_start);
        let check = check_name(self.flags[1] & 0x0f);
        let text = match place.part {
            Part::StreamHeader if unsupported => format!("unsupported stream header{detail}"),
            Part::StreamHeader => format!("corrupt stream header{detail}"),
            Part::BlockHeader if unsupported => {
                format!("unsupported options in the header of {block}{detail}")
            }
            Part::BlockHeader => format!("corrupt header of {block}{detail}"),
            Part::BlockData if at_block_end => {
                format!("{block} is corrupt or does not match its {check} check")
            }
            Part::BlockData if unsupported => format!("unsupported data in {block}{detail}"),
            Part::BlockData => format!("corrupt data in {block}{detail}"),
            Part::BlockPadding => format!("corrupt padding after the data of {block}: a non-zero byte"),
            Part::Check => format!(
                "{check} mismatch in {block}: the data does not match the check stored at byte {}",
                place.start
            ),
            Part::Index => format!("corrupt index (starting at byte {}){detail}", place.start),
            Part::StreamFooter => format!("corrupt stream footer (at byte {}){detail}", place.start),
            _ => format!("corrupt data{detail}"),
        };
        (text, place.start)
    }

    /// Where an input that ends here stops, in words ("in block 3 (starting at byte …)").
    pub fn input_ends(&self) -> String {
        let place = self.walker.place;
        let block = format!("block {} (starting at byte {})", place.block, place.block_start);
        let nothing_yet = matches!(self.walker.step, Step::Collect(_)) && self.walker.pending.is_empty();
        match place.part {
            Part::StreamHeader => "in the stream header".into(),
            Part::BlockHeader if self.state == XzState::BlockSize && nothing_yet => match self.count {
                0 => "after the stream header, where a block or the index starts".into(),
                n => format!("after block {n}, where the next block or the index starts"),
            },
            Part::BlockHeader => format!("in the header of {block}"),
            Part::BlockData | Part::BlockPadding => format!("in the data of {block}"),
            Part::Check => format!("in the check of {block}"),
            Part::Index => format!("in the index (starting at byte {})", place.start),
            Part::StreamFooter => format!("in the stream footer (starting at byte {})", place.start),
            _ => String::new(),
        }
    }
}

impl Steps for XzMap {
    fn walker(&mut self) -> &mut Walker {
        &mut self.walker
    }

    fn collected(&mut self, b: &[u8], at: u64) {
        let end = at + b.len() as u64;
        match self.state {
            XzState::StreamHeader => {
                self.flags = [b[6], b[7]];
                if crc32(&b[6..8], 0) != le32(&b[8..12]) {
                    return self.wrong(false, "CRC32 mismatch".into());
                }
                if b[6] != 0 || b[7] & 0xf0 != 0 {
                    return self.wrong(true, "reserved stream flags are set".into());
                }
                self.next_block(end);
            }
            XzState::BlockSize if b[0] == 0 => {
                self.index_start = at;
                self.begin(Part::Index, at);
                self.index_crc = crc32(&[0], 0);
                self.collect(XzState::IndexByte, 1);
            }
            XzState::BlockSize => {
                self.count += 1;
                self.blocks.push_back(Block {
                    number: self.count,
                    start: at,
                    header_len: (u64::from(b[0]) + 1) * 4,
                    out_start: self.out_total,
                    out_len: None,
                    declared_compressed: None,
                    declared_uncompressed: None,
                    chunk_out: 0,
                });
                self.begin(Part::BlockHeader, at);
                self.size_byte = b[0];
                self.collect(XzState::BlockHeader, (usize::from(b[0]) + 1) * 4 - 1);
            }
            XzState::BlockHeader => self.block_header(b, at),
            XzState::ChunkControl => self.chunk_control(b[0], at),
            XzState::ChunkHeader => self.chunk_header(b, at),
            XzState::ChunkFirstByte if b[0] != 0 => self.wrong(
                false,
                format!("an LZMA2 chunk's range coder does not start with a zero byte (byte {at})"),
            ),
            XzState::ChunkFirstByte => {
                let left = self.chunk_left;
                self.skip(XzState::ChunkData, left, end);
            }
            XzState::Padding if b.iter().any(|&byte| byte != 0) => {
                self.wrong(false, "non-zero padding".into())
            }
            XzState::Padding => self.padding_done(end),
            XzState::IndexByte => self.index_byte(b[0], at),
            XzState::IndexPadding => {
                self.index_crc = crc32(b, self.index_crc);
                if b.iter().any(|&byte| byte != 0) {
                    return self.wrong(false, "non-zero index padding".into());
                }
                self.collect(XzState::IndexCrc, 4);
            }
            XzState::IndexCrc => {
                if le32(b) != self.index_crc {
                    return self.wrong(false, "CRC32 mismatch".into());
                }
                self.begin(Part::StreamFooter, end);
                self.collect(XzState::Footer, 12);
            }
            XzState::Footer => {
                let index_len = at - self.index_start;
                let backward = (u64::from(le32(&b[4..8])) + 1) * 4;
                let what = if &b[10..12] != b"YZ" {
                    Some("wrong footer magic bytes".to_string())
                } else if crc32(&b[4..10], 0) != le32(&b[0..4]) {
                    Some("CRC32 mismatch".into())
                } else if backward != index_len {
                    Some(format!("its backward size is {backward} bytes, the index is {index_len}"))
                } else if b[8..10] != self.flags {
                    Some("its stream flags differ from the stream header's".into())
                } else {
                    None
                };
                if let Some(what) = what {
                    return self.wrong(false, what);
                }
                self.state = XzState::Done;
                self.walker.step = Step::Stop;
            }
            XzState::ChunkData | XzState::Check | XzState::Done => {}
        }
    }

    fn skipped(&mut self, at: u64) {
        match self.state {
            XzState::ChunkData => {
                self.begin(Part::BlockData, self.data_start);
                self.collect(XzState::ChunkControl, 1);
            }
            XzState::Check => self.block_end(at),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ZstdState {
    Magic,
    SkippableSize,
    Skippable,
    Descriptor,
    FrameHeader,
    BlockHeader,
    BlockBody,
    Checksum,
    Done,
}

/// The map of one zstd frame (or skippable frame). See the [module docs](self).
pub struct ZstdMap {
    walker: Walker,
    state: ZstdState,
    checksum: bool,
    blocks: u64,
    last_block: bool,
    anomaly: Option<Anomaly>,
}

/// A block is at most 128 KiB (RFC 8878, 3.1.1.2.4).
const ZSTD_BLOCK_MAX: u64 = 128 << 10;

impl ZstdMap {
    /// A map of the frame whose first byte is at `start`.
    pub fn new(start: u64) -> ZstdMap {
        let mut walker = Walker::new(start, Part::FrameHeader, 4);
        walker.place.start = start;
        ZstdMap {
            walker,
            state: ZstdState::Magic,
            checksum: false,
            blocks: 0,
            last_block: false,
            anomaly: None,
        }
    }

    /// Follows `data`, the consumed bytes starting at offset `at`.
    pub fn feed(&mut self, data: &[u8], at: u64) {
        feed(self, data, at);
    }

    /// How many bytes the decoder may be given next: the rest of the part being read, so
    /// that a call that fails holds no other part; `None` for no limit.
    pub fn wanted(&self) -> Option<u64> {
        self.walker.wanted().filter(|&n| n > 0)
    }

    fn collect(&mut self, state: ZstdState, n: usize) {
        self.state = state;
        self.walker.step = Step::Collect(n);
    }

    fn skip(&mut self, state: ZstdState, n: u64, at: u64) {
        self.state = state;
        self.walker.step = Step::Skip(n);
        if n == 0 {
            self.skipped(at);
        }
    }

    fn stop(&mut self) {
        self.state = ZstdState::Done;
        self.walker.step = Step::Stop;
    }

    fn wrong(&mut self, unsupported: bool, what: String) {
        if self.anomaly.is_none() {
            self.anomaly = Some(Anomaly { place: self.walker.place, unsupported, what });
        }
        self.stop();
    }

    fn next_block(&mut self, at: u64) {
        self.blocks += 1;
        self.walker.place = Place { part: Part::BlockData, start: at, block: self.blocks, block_start: at };
        self.collect(ZstdState::BlockHeader, 3);
    }

    /// Where the frame is broken and the offset of that part: the part the decoder was
    /// given when it failed with `why` (libzstd's words).
    pub fn failure(&self, why: &str) -> (String, u64) {
        let place = match &self.anomaly {
            Some(anomaly) => anomaly.place,
            None => self.walker.place,
        };
        let detail = match &self.anomaly {
            Some(anomaly) => format!("{} ({why})", anomaly.what),
            None => why.to_string(),
        };
        let text = match place.part {
            Part::FrameHeader => format!("corrupt frame header: {detail}"),
            Part::BlockData => {
                format!("corrupt block {} (starting at byte {}): {detail}", place.block, place.start)
            }
            Part::Checksum if why.contains("checksum") => format!(
                "checksum mismatch: the data does not match the frame's XXH64 checksum (at byte {})",
                place.start
            ),
            Part::Checksum => format!("{detail} at the frame's checksum (byte {})", place.start),
            Part::Skippable => format!("{detail} in a skippable frame"),
            _ => detail,
        };
        (text, place.start)
    }

    /// Where an input that ends here stops, in words.
    pub fn input_ends(&self) -> String {
        let place = self.walker.place;
        let nothing_yet = matches!(self.walker.step, Step::Collect(_)) && self.walker.pending.is_empty();
        match place.part {
            Part::FrameHeader => "in the frame header".into(),
            Part::BlockData if self.state == ZstdState::BlockHeader && nothing_yet => match place.block {
                1 => "after the frame header, where the first block starts".into(),
                n => format!("after block {}, where block {n} starts", n - 1),
            },
            Part::BlockData => format!("in block {} (starting at byte {})", place.block, place.start),
            Part::Checksum => format!("in the frame's checksum (starting at byte {})", place.start),
            Part::Skippable => format!("in a skippable frame (starting at byte {})", place.start),
            _ => String::new(),
        }
    }
}

impl Steps for ZstdMap {
    fn walker(&mut self) -> &mut Walker {
        &mut self.walker
    }

    fn collected(&mut self, b: &[u8], at: u64) {
        let end = at + b.len() as u64;
        match self.state {
            ZstdState::Magic => match le32(b) {
                0xfd2f_b528 => self.collect(ZstdState::Descriptor, 1),
                0x184d_2a50..=0x184d_2a5f => {
                    self.walker.place.part = Part::Skippable;
                    self.collect(ZstdState::SkippableSize, 4);
                }
                // Not a frame this map knows (a legacy format): the decoder decides alone.
                _ => self.stop(),
            },
            ZstdState::SkippableSize => self.skip(ZstdState::Skippable, u64::from(le32(b)), end),
            ZstdState::Descriptor => {
                let d = b[0];
                if d & 0x08 != 0 {
                    return self.wrong(true, "the reserved bit of the frame header is set".into());
                }
                self.checksum = d & 0x04 != 0;
                let single_segment = d & 0x20 != 0;
                let window = usize::from(!single_segment);
                let dictionary = [0, 1, 2, 4][usize::from(d & 3)];
                let content_size = match d >> 6 {
                    0 => usize::from(single_segment),
                    1 => 2,
                    2 => 4,
                    _ => 8,
                };
                match window + dictionary + content_size {
                    0 => self.next_block(end),
                    rest => self.collect(ZstdState::FrameHeader, rest),
                }
            }
            ZstdState::FrameHeader => self.next_block(end),
            ZstdState::BlockHeader => {
                let header = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
                self.last_block = header & 1 != 0;
                let size = u64::from(header >> 3);
                let body = match (header >> 1) & 3 {
                    3 => return self.wrong(false, "reserved block type".into()),
                    1 => 1,
                    _ => size,
                };
                if size > ZSTD_BLOCK_MAX {
                    return self.wrong(false, format!("block size {size} is over 128 KiB"));
                }
                self.skip(ZstdState::BlockBody, body, end);
            }
            ZstdState::Checksum => self.stop(),
            ZstdState::Skippable | ZstdState::BlockBody | ZstdState::Done => {}
        }
    }

    fn skipped(&mut self, at: u64) {
        match self.state {
            ZstdState::BlockBody if !self.last_block => self.next_block(at),
            ZstdState::BlockBody if self.checksum => {
                self.walker.place = Place { part: Part::Checksum, start: at, block: 0, block_start: 0 };
                self.collect(ZstdState::Checksum, 4);
            }
            _ => self.stop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xz(data: &[u8], threads: u32) -> Vec<u8> {
        let stream = if threads > 1 {
            liblzma::stream::MtStreamBuilder::new()
                .threads(threads)
                .block_size(1 << 16)
                .preset(6)
                .encoder()
                .unwrap()
        } else {
            liblzma::stream::Stream::new_easy_encoder(6, liblzma::stream::Check::Crc64).unwrap()
        };
        let mut out = Vec::new();
        let mut encoder = liblzma::write::XzEncoder::new_stream(&mut out, stream);
        std::io::Write::write_all(&mut encoder, data).unwrap();
        encoder.finish().unwrap();
        out
    }

    fn sample(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 3 == 0 { (state % 7) as u8 + b'a' } else { b"the quick brown fox "[i % 20] }
            })
            .collect()
    }

    /// A whole good stream walks to its footer with nothing wrong, fed in any piece size.
    #[test]
    fn a_good_xz_stream_walks_to_its_end() {
        let data = sample(600_000);
        for threads in [1, 2] {
            let packed = xz(&data, threads);
            for piece in [1, 7, 4096, packed.len()] {
                let mut map = XzMap::new(0);
                let mut at = 0;
                for chunk in packed.chunks(piece) {
                    map.feed(chunk, at);
                    at += chunk.len() as u64;
                }
                assert_eq!(map.anomaly, None, "{threads} threads, pieces of {piece}");
                assert_eq!(map.state, XzState::Done, "{threads} threads, pieces of {piece}");
                assert_eq!(map.out_total, data.len() as u64);
                if threads > 1 {
                    assert!(map.count > 5, "{} blocks", map.count);
                }
            }
        }
    }

    /// The map keeps only the blocks whose output the caller has not read past: memory
    /// stays bounded however many blocks a stream has.
    #[test]
    fn blocks_already_read_are_forgotten() {
        let data = sample(2_000_000);
        let packed = xz(&data, 2);
        let mut map = XzMap::new(0);
        let mut most = 0;
        for (i, chunk) in packed.chunks(10_000).enumerate() {
            map.feed(chunk, (i * 10_000) as u64);
            map.decoded(map.out_total);
            most = most.max(map.blocks.len());
        }
        assert!(map.count > 25, "{} blocks", map.count);
        assert!(most <= 2, "{most} blocks kept");
    }

    /// A map keeping blocks for a second decode keeps only the bytes of the blocks it
    /// still knows, from the first one's header on: whole, and no more.
    #[test]
    fn kept_bytes_are_those_of_the_blocks_not_yet_read() {
        let data = sample(2_000_000);
        let packed = xz(&data, 2);
        let mut map = XzMap::new(0).keeping_blocks(true);
        let mut most = 0;
        for (i, chunk) in packed.chunks(10_000).enumerate() {
            let at = i * 10_000;
            map.feed(chunk, at as u64);
            map.decoded(map.out_total);
            let start = map.kept_start.expect("keeping") as usize;
            assert_eq!(start as u64, map.blocks[0].start);
            assert!(map.kept[..] == packed[start..at + chunk.len()], "kept bytes at {at}");
            most = most.max(map.kept.len());
        }
        assert!(map.count > 25, "{} blocks", map.count);
        assert!(most < 3 * 65_536, "{most} bytes kept");
        assert!(XzMap::new(0).kept_start.is_none(), "a map keeps nothing unless asked");
    }

    proptest::proptest! {
        // A fixed seed, so that CI runs are reproducible (as in tests/jpack_fuzz.rs).
        #![proptest_config(proptest::test_runner::Config {
            cases: 128,
            rng_seed: proptest::test_runner::RngSeed::Fixed(17),
            ..Default::default()
        })]
        /// Whatever the bytes (a real stream with bytes flipped, or noise behind a magic
        /// number) and however they are split, walking them and describing a failure
        /// never panics, and zstd's next read is never empty (that would read as the end).
        #[test]
        fn maps_never_panic(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
            flips in proptest::collection::vec((0usize..5000, 1u8..=255), 0..6),
            piece in 1usize..700,
        ) {
            let mut xz_stream = xz(&sample(5000), 2);
            for &(at, mask) in &flips {
                let n = xz_stream.len();
                xz_stream[at % n] ^= mask;
            }
            let xz_noise = [&xz_stream[..12], &noise].concat();
            let zstd_noise = [&[0x28, 0xb5, 0x2f, 0xfd][..], &noise].concat();
            for input in [&xz_stream, &xz_noise] {
                let mut map = XzMap::new(0);
                for (i, chunk) in input.chunks(piece).enumerate() {
                    map.feed(chunk, (i * piece) as u64);
                    map.decoded((i * piece) as u64);
                }
                for (unsupported, threaded) in [(false, false), (true, true), (false, true)] {
                    let _ = map.failure(unsupported, threaded, input.len() as u64, 1000);
                }
                let _ = map.input_ends();
            }
            let mut map = ZstdMap::new(0);
            for (i, chunk) in zstd_noise.chunks(piece).enumerate() {
                proptest::prop_assert_ne!(map.wanted(), Some(0));
                map.feed(chunk, (i * piece) as u64);
            }
            let _ = (map.failure("corrupt"), map.input_ends());
        }
    }

    #[test]
    fn a_good_zstd_frame_walks_to_its_end() {
        let data = sample(900_000);
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        encoder.include_checksum(true).unwrap();
        std::io::Write::write_all(&mut encoder, &data).unwrap();
        let packed = encoder.finish().unwrap();
        let mut map = ZstdMap::new(0);
        map.feed(&packed, 0);
        assert_eq!((map.anomaly.clone(), map.state), (None, ZstdState::Done));
        assert!(map.blocks >= 7, "{} blocks", map.blocks);
    }
}
