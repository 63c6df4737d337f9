//! Streaming decompression from any `Read`, with the format detected from magic bytes.
//!
//! [`Decoder`] reads what every reference CLI writes, including several streams one after
//! the other (`cat a.zst b.zst`, pigz members, pbzip2/lbzip2 streams, xz streams with
//! stream padding, lz4 frames and skippable frames): they decode to the concatenation.
//! Each stream is decoded by a single-stream decoder that consumes exactly its bytes; what
//! follows must be another stream of the same format or the end of the input. What else
//! may follow is what the reference CLI accepts:
//!
//! - gzip: zero bytes up to the end (tar tapes pad with them) are ignored silently, as gzip
//!   does; other data is a [`Warning`] (gzip: "decompression OK, trailing garbage
//!   ignored", exit 2), and decoding stops there.
//! - bzip2: zero bytes are ignored silently (lbzip2 does; bzip2 warns and exits 0); other
//!   data that does not start `BZh1`..`BZh9` is a [`Warning`] (bzip2: "trailing garbage
//!   after EOF ignored", exit 0); a prefix of that magic at the end is a truncated stream.
//! - xz: stream padding (zero bytes, a multiple of four).
//! - lz4 and zstd: skippable frames anywhere; lz4 legacy frames end where a word too large
//!   for a block size starts the next frame, as lz4's CLI reads them.
//!
//! Anything else is trailing garbage and an error, as are truncation, corruption (every
//! format's checksum is verified), an empty input and data with no known magic. Errors are
//! [`DecodeError`]s (inside the `io::Error` that `Read` returns) naming the format, which
//! stream (or member) and the byte offset in the compressed input; xz and zstd errors also
//! name the block and what is wrong with it (a check or checksum mismatch, corrupt data, a
//! bad block header, index or footer), found by a map of the stream that follows the
//! decoder at no cost on good data ([`super::layout`]). Errors reading the
//! input itself pass through unchanged. An xz stream whose check type this build cannot
//! verify decodes with a [`Warning`] (xz warns and exits 2) unless checks are ignored
//! ([`Decoder::ignore_check`], xz's `--ignore-check`).
//!
//! Threads: xz streams with several blocks (what `xz -T0` and [`super::Encoder`] write)
//! decode in parallel, and so do concatenated bzip2 streams (pbzip2's and jpack's
//! output, [`multistream`]) and the blocks of one bzip2 stream (bzip2's and lbzip2's
//! output, [`bzip2_blocks`]: every block CRC and the combined stream CRC are checked;
//! what cannot be split falls back to the one-stream decoder); the other formats decode
//! on the caller's thread, as their CLIs do.

use std::fmt;
use std::io::{self, BufRead, Read};

use liblzma::stream::{MtStreamBuilder, Stream as LzmaStream};

use super::layout::{XzMap, ZstdMap};
use super::{Format, bzip2_blocks, is_skippable_frame, lz4, multistream};

/// How much compressed input is read at once.
const INPUT_BUFFER: usize = 1 << 20;
/// zstd frames may use windows up to 2^31 (`zstd --long=31`); the library default stops
/// at 2^27.
const ZSTD_WINDOW_LOG_MAX: u32 = 31;

/// What is wrong with a compressed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The input is empty.
    Empty,
    /// The input starts with no known magic bytes.
    UnknownFormat,
    /// The input ends in the middle of a stream.
    Truncated,
    /// The decoder rejected the data (bad header, bad checksum, invalid code); the text is
    /// the decoder's.
    Corrupt(String),
    /// The decoder rejected the data, and the text says what and in which part (xz: the
    /// block, its check, the index; zstd: the block, the checksum); the offset is where
    /// that part starts.
    Damaged(String),
    /// The input ends in the middle of a stream; the text says in which part.
    TruncatedIn(String),
    /// Bytes that are not a stream of the same format follow a complete stream.
    TrailingGarbage,
    /// An xz stream uses a check type (the number) that cannot be verified.
    UnsupportedCheck(u8),
}

/// A compressed input that cannot be decoded: the format (none when unknown), what is
/// wrong, and the byte offset in the compressed input where it was found. For
/// [`Problem::Damaged`] (xz, zstd) the offset is where the damaged part starts; for other
/// corrupt data it is how far the decoder had read, which may be up to one input buffer
/// past the damage; `stream` says which stream (gzip member, zstd or lz4 frame) it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The format being decoded, `None` when it could not be detected.
    pub format: Option<Format>,
    /// What is wrong.
    pub problem: Problem,
    /// Byte offset in the compressed input.
    pub offset: u64,
    /// The stream the problem is in: its number (1 for the first) and the byte offset
    /// where it starts; `None` outside a stream.
    pub stream: Option<(u64, u64)>,
}

/// What a reference CLI lets through with a message: the data up to here decoded and was
/// verified where the format allows. `fails` says the reference CLI still exits non-zero
/// (gzip's trailing garbage, xz's unverifiable check): a caller that needs intact data
/// treats such a warning as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What was found and where.
    pub problem: DecodeError,
    /// The reference CLI exits non-zero on it.
    pub fails: bool,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem.problem {
            Problem::TrailingGarbage => {
                write!(f, "{}, ignored (the data before it decoded OK)", self.problem)
            }
            _ => write!(f, "{}", self.problem),
        }
    }
}

impl DecodeError {
    /// The `DecodeError` inside an I/O error returned by a [`Decoder`], if it is one.
    pub fn find(err: &io::Error) -> Option<&DecodeError> {
        err.get_ref()?.downcast_ref::<DecodeError>()
    }

    fn into_io(self) -> io::Error {
        let kind = match self.problem {
            Problem::Truncated | Problem::TruncatedIn(_) => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, self)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(format) = self.format {
            write!(f, "{format}: ")?;
        }
        let at = match self.stream {
            Some((number, start)) => format!(" in {} {number} (starting at byte {start})", unit(self.format)),
            None => String::new(),
        };
        match &self.problem {
            Problem::Empty => write!(f, "empty input, not compressed data"),
            Problem::UnknownFormat => {
                write!(f, "not compressed data in a known format (no known magic bytes)")
            }
            Problem::Truncated => {
                write!(f, "truncated: the input ends at byte {}{at} in the middle of a stream", self.offset)
            }
            // A decoder that reports no position (zstd stops at the frame it was given).
            Problem::Corrupt(why) if self.stream.is_some_and(|(_, start)| start == self.offset) => {
                write!(f, "{why}{at}")
            }
            Problem::Corrupt(why) => write!(f, "{why}{at}, near byte {}", self.offset),
            Problem::Damaged(why) => write!(f, "{why}{at}"),
            Problem::TruncatedIn(place) => {
                write!(f, "truncated: the input ends at byte {} {place}{at}", self.offset)
            }
            Problem::TrailingGarbage => {
                write!(f, "trailing garbage at byte {} after the end of the compressed stream", self.offset)
            }
            Problem::UnsupportedCheck(id) => write!(
                f,
                "unsupported type of integrity check ({id}){at}; not verifying its integrity (--ignore-check to accept)"
            ),
        }
    }
}

/// What a format calls one of its concatenated streams.
fn unit(format: Option<Format>) -> &'static str {
    match format {
        Some(Format::Gzip) => "member",
        Some(Format::Zstd | Format::Lz4) => "frame",
        _ => "stream",
    }
}

impl std::error::Error for DecodeError {}

/// A decompressing reader. See the [module docs](self).
pub struct Decoder<R: Read> {
    format: Format,
    threads: usize,
    state: State<R>,
    /// The next bzip2 stream is decoded on its own, not in a parallel batch.
    one_stream_next: bool,
    /// xz checks are not verified (xz's --ignore-check).
    ignore_check: bool,
    /// The current stream: its number (1 for the first) and where it starts.
    stream_number: u64,
    stream_start: u64,
    warnings: Vec<Warning>,
}

enum State<R: Read> {
    /// Before the first stream: the format is known, nothing decoded yet.
    Start(Source<R>),
    /// Inside a stream (boxed: a decoder is much larger than the other states).
    Stream(Box<Stream<R>>),
    /// Handing out what a parallel batch of bzip2 streams decoded.
    Decoded {
        source: Source<R>,
        data: Vec<u8>,
        pos: usize,
    },
    /// Inside one bzip2 stream decoded block-parallel (see [`bzip2_blocks`]).
    Blocks(Box<Blocks<R>>),
    /// Copying input that is not compressed (pass-through).
    Raw(Source<R>),
    Done,
    /// An error was returned; reading again fails again (never a quiet end of data).
    Failed,
}

/// A bzip2 stream being decoded block-parallel: the decoder, the combined CRC so far, and
/// the output of the last block.
struct Blocks<R: Read> {
    source: Source<R>,
    pipeline: bzip2_blocks::Pipeline,
    combined: u32,
    /// Blocks decoded so far.
    done: u64,
    data: Vec<u8>,
    pos: usize,
    /// The stream's end was read and its combined CRC matched.
    ended: bool,
}

impl<R: Read> Decoder<R> {
    /// Reads the first bytes of `reader` and prepares to decode the detected format. An
    /// empty input or one with no known magic bytes is a [`DecodeError`].
    pub fn new(reader: R) -> io::Result<Decoder<R>> {
        let mut source = Source::new(reader);
        match detect(&mut source)? {
            Some(format) => Ok(Decoder::with_state(format, State::Start(source))),
            None => {
                let problem =
                    if source.peek(1)?.is_empty() { Problem::Empty } else { Problem::UnknownFormat };
                Err(DecodeError { format: None, problem, offset: 0, stream: None }.into_io())
            }
        }
    }

    /// Like [`new`](Decoder::new), but an input with no known magic bytes (or an empty
    /// one) is read unchanged, with the format [`Format::None`].
    pub fn pass_through(reader: R) -> io::Result<Decoder<R>> {
        let mut source = Source::new(reader);
        Ok(match detect(&mut source)? {
            Some(format) => Decoder::with_state(format, State::Start(source)),
            None => Decoder::with_state(Format::None, State::Raw(source)),
        })
    }

    fn with_state(format: Format, state: State<R>) -> Decoder<R> {
        Decoder {
            format,
            threads: 1,
            state,
            one_stream_next: false,
            ignore_check: false,
            stream_number: 0,
            stream_start: 0,
            warnings: Vec::new(),
        }
    }

    /// Does not verify xz integrity checks (xz's `--ignore-check`): damaged data then
    /// decodes to wrong bytes, and a check type this build does not know is no warning.
    /// The other formats' checksums are still verified. Set it before the first read.
    pub fn ignore_check(mut self, ignore: bool) -> Decoder<R> {
        self.ignore_check = ignore;
        self
    }

    /// What was let through so far, as the reference CLIs let it through (see the
    /// [module docs](self)). Complete once `read` has returned 0.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Uses up to `threads` threads where the format allows (xz streams with several
    /// blocks, concatenated bzip2 streams). Set it before the first read.
    pub fn with_threads(mut self, threads: usize) -> Decoder<R> {
        self.threads = threads.max(1);
        self
    }

    /// The detected format ([`Format::None`] for pass-through data).
    pub fn format(&self) -> Format {
        self.format
    }

    fn error(&self, problem: Problem, offset: u64) -> io::Error {
        self.problem(problem, offset).into_io()
    }

    /// A problem in the current stream.
    fn problem(&self, problem: Problem, offset: u64) -> DecodeError {
        let stream = match problem {
            Problem::TrailingGarbage => None,
            _ if self.stream_number > 0 => Some((self.stream_number, self.stream_start)),
            _ => None,
        };
        DecodeError { format: Some(self.format), problem, offset, stream }
    }

    fn warn(&mut self, problem: Problem, offset: u64, fails: bool) {
        let problem = self.problem(problem, offset);
        self.warnings.push(Warning { problem, fails });
    }

    /// After a stream: start the next one, or finish, or fail on trailing garbage.
    fn after_stream(&mut self, mut source: Source<R>) -> io::Result<()> {
        source.layout = Layout::None;
        if self.format == Format::Xz {
            // xz stream padding: zero bytes, a multiple of four, between or after streams.
            let zeros = source.skip_zeros()?;
            if zeros % 4 != 0 {
                return Err(self.error(Problem::TrailingGarbage, source.offset - zeros));
            }
        }
        if matches!(self.format, Format::Gzip | Format::Bzip2) && source.peek(1)? == [0] {
            // Zero padding (tar tapes): ignored when nothing else follows.
            let start = source.offset;
            source.skip_zeros()?;
            if !source.peek(1)?.is_empty() {
                return self.trailing_garbage(source, start);
            }
        }
        let head = source.peek(Format::MAGIC_LEN)?;
        if head.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        let next = match self.format {
            Format::Lz4 => Format::detect(head) == Some(Format::Lz4) || is_skippable_frame(head),
            // .lzma files hold one stream, as in xz.
            Format::Lzma => false,
            // gzip takes what starts with its magic for a member, even when cut short.
            Format::Gzip => head.starts_with(&[0x1f, 0x8b]) || head == [0x1f],
            // bzip2 reads a next stream when the four magic bytes match, and calls a cut
            // inside them an unexpected end.
            Format::Bzip2 => {
                let magic = |i: usize, b: u8| if i < 3 { b == b"BZh"[i] } else { (b'1'..=b'9').contains(&b) };
                let matching = head.iter().take(4).enumerate().take_while(|&(i, &b)| magic(i, b)).count();
                matching == 4 || (matching == head.len() && head.len() < 4)
            }
            format => Format::detect(head) == Some(format),
        };
        if !next {
            let start = source.offset;
            return self.trailing_garbage(source, start);
        }
        self.state = State::Start(source);
        Ok(())
    }

    /// Garbage after the last stream at `offset`: an error, or for gzip and bzip2 a
    /// warning and the end of the data, as their CLIs do.
    fn trailing_garbage(&mut self, source: Source<R>, offset: u64) -> io::Result<()> {
        match self.format {
            Format::Gzip | Format::Bzip2 => {
                self.warn(Problem::TrailingGarbage, offset, self.format == Format::Gzip);
                drop(source);
                self.state = State::Done;
                Ok(())
            }
            _ => Err(self.error(Problem::TrailingGarbage, offset)),
        }
    }

    /// At the start of each stream: counts it, and for xz checks its check type.
    fn stream_starts(&mut self, source: &mut Source<R>) -> io::Result<()> {
        self.stream_number += 1;
        self.stream_start = source.offset;
        source.layout = match self.format {
            // The threaded decoder cannot always tell a wrong check from corrupt data at a
            // block's end: the map keeps blocks to decode the failing one again.
            Format::Xz => Layout::Xz(Box::new(
                XzMap::new(source.offset).keeping_blocks(self.threads > 1 && !self.ignore_check),
            )),
            Format::Zstd => Layout::Zstd(Box::new(ZstdMap::new(source.offset))),
            _ => Layout::None,
        };
        if self.format == Format::Xz && !self.ignore_check {
            // Stream header: magic (6), flags: a zero byte and the check type (4 bits);
            // liblzma decodes an unknown check type without verifying it.
            let head = source.peek(8)?;
            if head.len() == 8 && head[6] == 0 && head[7] & 0xf0 == 0 {
                let check = head[7];
                if !matches!(check, 0x00 | 0x01 | 0x04 | 0x0a) {
                    let offset = source.offset;
                    self.warn(Problem::UnsupportedCheck(check), offset, true);
                }
            }
        }
        Ok(())
    }

    /// Decodes the next few bzip2 streams in parallel (see [`multistream`]). What cannot
    /// be decoded that way is left for the one-stream decoder, which also reports damage.
    fn bzip2_batch(&mut self, mut source: Source<R>) -> io::Result<State<R>> {
        // A one-block stream is at most about 1 MiB compressed: room for 2 per thread.
        let want = (2 * self.threads + 1) << 20;
        let window = source.peek(want)?;
        let at_end = window.len() < want;
        if !multistream::several_streams(window) && window.len() >= 4 && (b'1'..=b'9').contains(&window[3]) {
            // One stream (bzip2's and lbzip2's layout): decode its blocks in parallel; the
            // one-stream decoder takes over if that fails at its start.
            let level = window[3];
            self.stream_starts(&mut source)?;
            let blocks = Blocks {
                source,
                pipeline: bzip2_blocks::Pipeline::new(level, 32, self.threads),
                combined: 0,
                done: 0,
                data: Vec::new(),
                pos: 0,
                ended: false,
            };
            return self.blocks_step(Box::new(blocks));
        }
        let batch = multistream::decode_batch(window, at_end, self.threads);
        source.consume(batch.consumed);
        self.stream_number += batch.streams;
        self.one_stream_next = batch.fallback;
        Ok(State::Decoded { source, data: batch.output, pos: 0 })
    }

    /// Takes the next block of a bzip2 stream decoded in parallel, and checks the combined
    /// CRC at its end.
    fn blocks_step(&mut self, mut blocks: Box<Blocks<R>>) -> io::Result<State<R>> {
        let consumed = blocks.source.offset;
        match blocks.pipeline.next(&mut blocks.source)? {
            bzip2_blocks::Next::Block { output, crc } => {
                blocks.combined = bzip2_blocks::combine(blocks.combined, crc);
                blocks.done += 1;
                blocks.data = output;
                blocks.pos = 0;
                Ok(State::Blocks(blocks))
            }
            bzip2_blocks::Next::End { stored_crc, after_bit } => {
                if stored_crc != blocks.combined {
                    let why = format!(
                        "combined stream CRC mismatch: the {} block CRCs combine to {:08x}, the stream's end says {stored_crc:08x}",
                        blocks.done, blocks.combined
                    );
                    let offset = consumed + after_bit / 8;
                    return Err(self.error(Problem::Corrupt(why), offset));
                }
                blocks.source.consume(after_bit.div_ceil(8) as usize);
                blocks.ended = true;
                blocks.data = Vec::new();
                blocks.pos = 0;
                Ok(State::Blocks(blocks))
            }
            bzip2_blocks::Next::Undecodable | bzip2_blocks::Next::Truncated { .. } if blocks.done == 0 => {
                // Nothing handed out (or consumed) yet: the one-stream decoder reads the
                // stream from its start and reports what is wrong with it.
                self.stream_number -= 1;
                self.one_stream_next = true;
                Ok(State::Start(blocks.source))
            }
            bzip2_blocks::Next::Truncated { at } => Err(self.error(Problem::Truncated, consumed + at as u64)),
            bzip2_blocks::Next::Undecodable => {
                let bit = blocks.pipeline.front_bit();
                let offset = consumed + bit / 8;
                let why = format!(
                    "block {} is corrupt or fails its CRC (the block starts at bit {} of byte {offset})",
                    blocks.done + 1,
                    bit % 8
                );
                Err(self.error(Problem::Corrupt(why), offset))
            }
        }
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(&mut self.state, State::Failed) {
                State::Start(mut source) => {
                    // Also at one thread: jcore's block decoder (on one worker) is faster
                    // than libbzip2's serial one.
                    if self.format == Format::Bzip2 && !self.one_stream_next {
                        self.state = self.bzip2_batch(source)?;
                    } else {
                        self.one_stream_next = false;
                        self.stream_starts(&mut source)?;
                        let stream = Stream::new(self.format, source, self.threads, self.ignore_check)?;
                        self.state = State::Stream(Box::new(stream))
                    }
                }
                State::Decoded { source, data, pos } => {
                    if pos == data.len() {
                        // What follows is checked as after any stream (padding, garbage).
                        self.after_stream(source)?;
                        continue;
                    }
                    let n = (data.len() - pos).min(buf.len());
                    buf[..n].copy_from_slice(&data[pos..pos + n]);
                    self.state = State::Decoded { source, data, pos: pos + n };
                    return Ok(n);
                }
                State::Stream(mut stream) => match stream.read(buf) {
                    Ok(0) => self.after_stream(stream.into_source())?,
                    Ok(n) => {
                        self.state = State::Stream(stream);
                        return Ok(n);
                    }
                    Err(err) => {
                        let source = stream.source();
                        if source.input_failed {
                            return Err(err);
                        }
                        let threaded = self.threads > 1 && !self.ignore_check;
                        if let Some((problem, offset)) = locate(&err, &stream, threaded) {
                            return Err(self.error(problem, offset));
                        }
                        let problem = if err.kind() == io::ErrorKind::UnexpectedEof {
                            Problem::Truncated
                        } else {
                            Problem::Corrupt(describe(&err, &stream))
                        };
                        return Err(self.error(problem, source.offset));
                    }
                },
                State::Blocks(mut blocks) => {
                    if blocks.pos == blocks.data.len() {
                        if blocks.ended {
                            self.after_stream(blocks.source)?;
                        } else {
                            self.state = self.blocks_step(blocks)?;
                        }
                        continue;
                    }
                    let n = (blocks.data.len() - blocks.pos).min(buf.len());
                    buf[..n].copy_from_slice(&blocks.data[blocks.pos..blocks.pos + n]);
                    blocks.pos += n;
                    self.state = State::Blocks(blocks);
                    return Ok(n);
                }
                State::Raw(mut source) => {
                    let n = source.read(buf)?;
                    self.state = State::Raw(source);
                    return Ok(n);
                }
                State::Done => {
                    self.state = State::Done;
                    return Ok(0);
                }
                State::Failed => {
                    return Err(io::Error::other("the input could not be decoded (reported before)"));
                }
            }
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_inner(buf)
    }
}

/// What the decoder found, in words that say what is wrong: the libraries' own messages
/// are terse ("lzma data error") or merge cases (flate2 reports a CRC and a length
/// mismatch alike).
fn describe<R: Read>(err: &io::Error, stream: &Stream<R>) -> String {
    let inner = err.get_ref();
    if let Some(lzma) = inner.and_then(|e| e.downcast_ref::<liblzma::stream::Error>()) {
        use liblzma::stream::Error as E;
        let lzma_alone = matches!(stream, Stream::Xz(_, true));
        return match lzma {
            E::Data if lzma_alone => "compressed data is corrupt".into(),
            E::Data => {
                "compressed data is corrupt (a block's data or integrity check, or the index, does not match)"
                    .into()
            }
            E::Format if lzma_alone => "not a valid .lzma header".into(),
            E::Format => "not an xz stream (bad header magic or stream flags)".into(),
            E::Options if lzma_alone => "unsupported .lzma header options".into(),
            E::Options => {
                "unsupported options (an unknown filter, or a header field this decoder does not know)".into()
            }
            E::MemLimit | E::Mem => "out of memory".into(),
            other => other.to_string(),
        };
    }
    let text = match inner {
        Some(inner) => inner.to_string(),
        None => err.to_string(),
    };
    if let Stream::Gzip(_, decoded) = stream
        && text.contains("matching checksum")
    {
        // flate2 checked the 8-byte trailer just read: CRC32, then ISIZE (length mod 2^32).
        let trailer = stream.source().last_consumed;
        let length = u32::from_le_bytes(trailer[4..8].try_into().expect("4 bytes"));
        return if length != *decoded as u32 {
            format!(
                "length mismatch: the member decoded to {decoded} bytes, its trailer says {length} (mod 2^32)"
            )
        } else {
            let crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
            format!("CRC32 mismatch: the data does not match the member's CRC32 {crc:08x}")
        };
    }
    let prefix = format!("{}: ", stream.format());
    let text = text.strip_prefix(&prefix).unwrap_or(&text);
    match (stream, text) {
        (Stream::Bzip2(_), "invalid data") => "corrupt block or CRC mismatch (data integrity error)".into(),
        (_, "") => "invalid data".into(),
        (_, text) => text.to_string(),
    }
}

/// For xz and zstd: what is wrong and in which part, from the map of the stream that
/// followed the decoder (see [`super::layout`]); the offset is where that part starts, or
/// for a truncated stream where the input ends.
fn locate<R: Read>(err: &io::Error, stream: &Stream<R>, threaded: bool) -> Option<(Problem, u64)> {
    let source = stream.source();
    let truncated = err.kind() == io::ErrorKind::UnexpectedEof;
    match (&source.layout, stream) {
        (Layout::Xz(map), Stream::Xz(decoder, false)) => {
            if truncated {
                return Some((truncated_in(map.input_ends()), source.offset));
            }
            let lzma = err.get_ref().and_then(|e| e.downcast_ref::<liblzma::stream::Error>());
            if matches!(lzma, Some(liblzma::stream::Error::Mem | liblzma::stream::Error::MemLimit)) {
                return None;
            }
            let unsupported = matches!(lzma, Some(liblzma::stream::Error::Options));
            let (why, at) = map.failure(unsupported, threaded, source.offset, decoder.total_out());
            Some((Problem::Damaged(why), at))
        }
        (Layout::Zstd(map), Stream::Zstd(..)) => {
            if truncated {
                return Some((truncated_in(map.input_ends()), source.offset));
            }
            let (why, at) = map.failure(&describe(err, stream));
            Some((Problem::Damaged(why), at))
        }
        _ => None,
    }
}

/// A cut at `place` ("in block 3 (starting at byte …)"), or just a cut when the map cannot
/// say where.
fn truncated_in(place: String) -> Problem {
    if place.is_empty() { Problem::Truncated } else { Problem::TruncatedIn(place) }
}

/// How far past leading skippable frames detection looks for the frame that says whether
/// this is zstd or lz4; past that, zstd is assumed.
const SKIPPABLE_LOOKAHEAD: usize = 16 << 20;

fn detect<R: Read>(source: &mut Source<R>) -> io::Result<Option<Format>> {
    let head = source.peek(Format::MAGIC_LEN)?;
    if !is_skippable_frame(head) {
        return Ok(Format::detect(head));
    }
    // Skippable frames are shared by zstd and lz4: the first real frame decides.
    let mut at = 0;
    loop {
        let head = source.peek(at + 8)?;
        if head.len() < at + 8 || !is_skippable_frame(&head[at..]) {
            break;
        }
        let len = u32::from_le_bytes(head[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        at += 8 + len;
        if at + Format::MAGIC_LEN > SKIPPABLE_LOOKAHEAD {
            return Ok(Some(Format::Zstd));
        }
    }
    let head = source.peek(at + Format::MAGIC_LEN)?;
    Ok(match head.get(at..).map(Format::detect) {
        Some(Some(Format::Lz4)) => Some(Format::Lz4),
        // Only skippable frames (or zstd after them): what zstd -d reads.
        _ => Some(Format::Zstd),
    })
}

/// A single-stream decoder over the shared input.
enum Stream<R: Read> {
    /// The decoder, and an error held back to return after the data decoded before it.
    Zstd(zstd::stream::read::Decoder<'static, Source<R>>, Option<io::Error>),
    /// xz, or .lzma when the flag is set.
    Xz(liblzma::bufread::XzDecoder<Source<R>>, bool),
    /// The member's decoder and the bytes it decoded so far.
    Gzip(flate2::bufread::GzDecoder<Source<R>>, u64),
    Bzip2(bzip2::bufread::BzDecoder<Source<R>>),
    Lz4(lz4::FrameDecoder<Source<R>>),
}

impl<R: Read> Stream<R> {
    fn new(format: Format, source: Source<R>, threads: usize, ignore_check: bool) -> io::Result<Stream<R>> {
        Ok(match format {
            Format::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::with_buffer(source)?.single_frame();
                decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
                Stream::Zstd(decoder, None)
            }
            Format::Xz => {
                let stream = xz_stream(threads, ignore_check)?;
                Stream::Xz(liblzma::bufread::XzDecoder::new_stream(source, stream), false)
            }
            Format::Lzma => {
                let stream = LzmaStream::new_lzma_decoder(u64::MAX).map_err(io::Error::other)?;
                Stream::Xz(liblzma::bufread::XzDecoder::new_stream(source, stream), true)
            }
            Format::Gzip => Stream::Gzip(flate2::bufread::GzDecoder::new(source), 0),
            Format::Bzip2 => Stream::Bzip2(bzip2::bufread::BzDecoder::new(source)),
            Format::Lz4 => Stream::Lz4(lz4::FrameDecoder::new(source)),
            Format::None => unreachable!("pass-through data is not decoded"),
        })
    }

    fn format(&self) -> Format {
        match self {
            Stream::Zstd(..) => Format::Zstd,
            Stream::Xz(_, false) => Format::Xz,
            Stream::Xz(_, true) => Format::Lzma,
            Stream::Gzip(..) => Format::Gzip,
            Stream::Bzip2(_) => Format::Bzip2,
            Stream::Lz4(_) => Format::Lz4,
        }
    }

    fn source(&self) -> &Source<R> {
        match self {
            Stream::Zstd(d, _) => d.get_ref(),
            Stream::Xz(d, _) => d.get_ref(),
            Stream::Gzip(d, _) => d.get_ref(),
            Stream::Bzip2(d) => d.get_ref(),
            Stream::Lz4(d) => d.get_ref(),
        }
    }

    fn into_source(self) -> Source<R> {
        match self {
            Stream::Zstd(d, _) => d.finish(),
            Stream::Xz(d, _) => d.into_inner(),
            Stream::Gzip(d, _) => d.into_inner(),
            Stream::Bzip2(d) => d.into_inner(),
            Stream::Lz4(d) => d.into_inner(),
        }
    }
}

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Zstd(d, held) => read_zstd(d, held, buf),
            Stream::Xz(d, _) => {
                let n = d.read(buf)?;
                let total_out = d.total_out();
                if let Layout::Xz(map) = &mut d.get_mut().layout {
                    map.decoded(total_out);
                }
                Ok(n)
            }
            Stream::Gzip(d, decoded) => {
                let n = d.read(buf)?;
                *decoded += n as u64;
                Ok(n)
            }
            Stream::Bzip2(d) => d.read(buf),
            Stream::Lz4(d) => d.read(buf),
        }
    }
}

/// Reads from a zstd frame. The frame's map gives the decoder one block per call (see
/// [`super::layout`]), and the crate's reader returns after each call that produced output:
/// this keeps reading while input is buffered, so a read still fills most of `buf`. An error
/// after some data is held back and returned by the next read, so that data is not lost.
fn read_zstd<R: Read>(
    decoder: &mut zstd::stream::read::Decoder<'static, Source<R>>,
    held: &mut Option<io::Error>,
    buf: &mut [u8],
) -> io::Result<usize> {
    if let Some(err) = held.take() {
        return Err(err);
    }
    let mut n = 0;
    loop {
        match decoder.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(m) => n += m,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if n == 0 => return Err(e),
            Err(e) => {
                *held = Some(e);
                return Ok(n);
            }
        }
        if n == buf.len() || decoder.get_ref().pos == decoder.get_ref().end {
            return Ok(n);
        }
    }
}

/// One xz stream; multi-threaded when asked. liblzma's threaded decoder only runs in
/// parallel when `memlimit_threading` allows it (0 means "no threads"): xz itself uses a
/// quarter of the RAM.
fn xz_stream(threads: usize, ignore_check: bool) -> io::Result<LzmaStream> {
    // The crate's threaded builder takes no decoder flags: --ignore-check decodes on one
    // thread.
    let stream = if threads > 1 && !ignore_check {
        MtStreamBuilder::new()
            .threads(threads as u32)
            .memlimit_threading(physical_memory() / 4)
            .memlimit_stop(u64::MAX)
            .decoder()
    } else {
        let flags = if ignore_check { liblzma::stream::IGNORE_CHECK } else { 0 };
        LzmaStream::new_stream_decoder(u64::MAX, flags)
    };
    stream.map_err(io::Error::other)
}

fn physical_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page_size) =
        unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    if pages <= 0 || page_size <= 0 { 1 << 30 } else { pages as u64 * page_size as u64 }
}

/// The compressed input: a large buffer that can look ahead (magic bytes) without
/// consuming, and that counts consumed bytes (the offsets in error messages). It records
/// whether reading the underlying input failed, so such errors are not taken for
/// corrupt data.
struct Source<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Bytes consumed so far.
    offset: u64,
    input_failed: bool,
    /// The last 8 bytes consumed (a gzip trailer, when flate2 rejects one).
    last_consumed: [u8; 8],
    /// The map of the xz stream or zstd frame being decoded, fed what is consumed.
    layout: Layout,
}

/// The map a [`Source`] keeps of the stream being decoded (see [`super::layout`]).
enum Layout {
    None,
    Xz(Box<XzMap>),
    Zstd(Box<ZstdMap>),
}

impl<R: Read> Source<R> {
    fn new(inner: R) -> Self {
        Source {
            inner,
            buf: vec![0; INPUT_BUFFER].into_boxed_slice(),
            pos: 0,
            end: 0,
            offset: 0,
            input_failed: false,
            last_consumed: [0; 8],
            layout: Layout::None,
        }
    }

    /// Reads into the buffer after `end`, once; 0 at the end of the input.
    fn fill_more(&mut self) -> io::Result<usize> {
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.input_failed = true;
                    return Err(e);
                }
            }
        }
    }

    /// The next `n` bytes without consuming them, or fewer at the end of the input.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        if n > self.buf.len() {
            let mut bigger = vec![0; n].into_boxed_slice();
            bigger[..self.end - self.pos].copy_from_slice(&self.buf[self.pos..self.end]);
            self.buf = bigger;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end - self.pos < n && self.buf.len() - self.pos < n {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        while self.end - self.pos < n {
            if self.fill_more()? == 0 {
                break;
            }
        }
        let available = (self.end - self.pos).min(n);
        Ok(&self.buf[self.pos..self.pos + available])
    }

    /// Consumes zero bytes up to the first non-zero byte or the end; returns how many.
    fn skip_zeros(&mut self) -> io::Result<u64> {
        let mut count = 0;
        loop {
            let data = self.fill_buf()?;
            if data.is_empty() {
                return Ok(count);
            }
            let zeros = data.iter().take_while(|&&b| b == 0).count();
            let stop = zeros < data.len();
            self.consume(zeros);
            count += zeros as u64;
            if stop {
                return Ok(count);
            }
        }
    }
}

impl<R: Read> bzip2_blocks::Input for Source<R> {
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        Source::peek(self, n)
    }

    fn consume(&mut self, n: usize) {
        BufRead::consume(self, n)
    }
}

impl<R: Read> lz4::Peek for Source<R> {
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        Source::peek(self, n)
    }
}

impl<R: Read> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
            self.fill_more()?;
        }
        // A zstd frame is given to the decoder one part at a time (see super::layout).
        let end = match &self.layout {
            Layout::Zstd(map) => match map.wanted() {
                Some(n) => self.end.min(self.pos.saturating_add(n.try_into().unwrap_or(usize::MAX))),
                None => self.end,
            },
            _ => self.end,
        };
        Ok(&self.buf[self.pos..end])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.end - self.pos);
        let taken = &self.buf[self.pos..self.pos + amt];
        match &mut self.layout {
            Layout::None => {}
            Layout::Xz(map) => map.feed(taken, self.offset),
            Layout::Zstd(map) => map.feed(taken, self.offset),
        }
        if amt >= 8 {
            self.last_consumed.copy_from_slice(&taken[amt - 8..]);
        } else {
            self.last_consumed.copy_within(amt.., 0);
            self.last_consumed[8 - amt..].copy_from_slice(taken);
        }
        self.pos += amt;
        self.offset += amt as u64;
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let data = self.fill_buf()?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Decoder::new(data)?.with_threads(2).read_to_end(&mut out)?;
        Ok(out)
    }

    fn problem(data: &[u8]) -> DecodeError {
        let err = decode(data).unwrap_err();
        DecodeError::find(&err).unwrap_or_else(|| panic!("not a DecodeError: {err}")).clone()
    }

    #[test]
    fn empty_and_unknown_inputs() {
        assert_eq!(problem(b"").problem, Problem::Empty);
        assert_eq!(problem(b"hello world").problem, Problem::UnknownFormat);
        let mut out = Vec::new();
        let mut raw = Decoder::pass_through(&b"hello"[..]).unwrap();
        assert_eq!(raw.format(), Format::None);
        raw.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello");
    }

    #[test]
    fn garbage_after_a_stream() {
        let mut zst = zstd::encode_all(&b"abc"[..], 3).unwrap();
        let len = zst.len() as u64;
        zst.extend_from_slice(b"junk");
        let err = problem(&zst);
        assert_eq!(
            (err.format, err.problem, err.offset),
            (Some(Format::Zstd), Problem::TrailingGarbage, len)
        );
    }

    /// gzip lets garbage after the last member through with a warning and exit 2, and
    /// zero padding silently: so does the decoder, with a warning that says it fails.
    #[test]
    fn garbage_after_gzip_is_a_failing_warning() {
        let mut gz = Vec::new();
        let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        std::io::Write::write_all(&mut e, b"abc").unwrap();
        e.finish().unwrap();
        let len = gz.len() as u64;
        let padded = [&gz[..], &[0; 600]].concat();
        let mut decoder = Decoder::new(&padded[..]).unwrap();
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        assert_eq!((out.as_slice(), decoder.warnings()), (&b"abc"[..], &[][..]));
        let junk = [&gz[..], b"junk"].concat();
        let mut decoder = Decoder::new(&junk[..]).unwrap();
        out.clear();
        decoder.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        let warning = &decoder.warnings()[0];
        assert!(warning.fails);
        assert_eq!(
            (warning.problem.problem.clone(), warning.problem.offset),
            (Problem::TrailingGarbage, len)
        );
    }

    /// Zero padding and garbage after concatenated bzip2 streams decoded in a parallel
    /// batch are handled as after a stream decoded alone.
    #[test]
    fn trailing_zeros_after_parallel_bzip2_streams() {
        let mut packed = Vec::new();
        for part in [&b"first"[..], b"second"] {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(1));
            std::io::Write::write_all(&mut e, part).unwrap();
            packed.extend(e.finish().unwrap());
        }
        for (tail, warns) in [(&[0u8; 100][..], false), (b"junk", true)] {
            let input = [&packed[..], tail].concat();
            let mut decoder = Decoder::new(&input[..]).unwrap().with_threads(3);
            let mut out = Vec::new();
            decoder.read_to_end(&mut out).unwrap();
            assert_eq!(out, b"firstsecond");
            assert_eq!(decoder.warnings().len(), usize::from(warns), "{tail:?}");
        }
    }

    #[test]
    fn reading_after_an_error_fails_again() {
        let mut gz = Vec::new();
        let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        std::io::Write::write_all(&mut e, b"abcdef").unwrap();
        e.finish().unwrap();
        let cut = &gz[..gz.len() - 3];
        let mut decoder = Decoder::new(cut).unwrap();
        let err = decoder.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(DecodeError::find(&err).unwrap().problem, Problem::Truncated);
        assert!(decoder.read(&mut [0; 16]).is_err());
    }

    #[test]
    fn peek_keeps_bytes_for_the_reader() {
        let mut s = Source::new(&b"abcdef"[..]);
        assert_eq!(s.peek(3).unwrap(), b"abc");
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
        assert_eq!(s.offset, 6);
    }
}
