//! The LZ4 frame format (lz4's doc/lz4_Frame_format.md) over lz4_flex's block codec.
//!
//! lz4_flex has a frame reader and writer, but its reader ends quietly (`Ok(0)`) when the
//! input stops at a block boundary, so a truncated file would decode "successfully", and its
//! writer is single-threaded. The frame layer is small, so it is done here:
//!
//! - Writing: independent 4 MiB blocks (the lz4 CLI's defaults, `-B7 -BI`) compressed in
//!   parallel by [`super::parallel`], with the content checksum on.
//! - Reading: one frame, or one skippable frame, per [`FrameDecoder`]; linked and
//!   independent blocks, block and content checksums, the content size. The caller goes on
//!   to the next frame (concatenated frames) itself. The legacy format (`lz4 -l`, Linux
//!   initramfs) is read too; it has no end mark and no checksum: as in lz4's CLI, a frame
//!   ends at the end of the input or where a block size word is larger than any legacy
//!   block can be (the magic number of the next frame, `cat a.lz4 b.lz4`), so a cut at a
//!   block boundary cannot be noticed.
//! - A dictionary ID in the frame header is read and the frame decoded without a
//!   dictionary, as `lz4 -d` does without `-D`: a frame that needs one fails its checks.

use std::hash::Hasher as _;
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use twox_hash::XxHash32;

use super::parallel::{Block, BlockWriter};

const MAGIC: u32 = 0x184d_2204;
const LEGACY_MAGIC: u32 = 0x184c_2102;
/// Every legacy block but the last decodes to exactly this.
const LEGACY_BLOCK: usize = 8 << 20;
/// The largest block size (block maximum size code 7) and the one jpack writes.
const BLOCK_SIZE: usize = 4 << 20;
/// How far back linked blocks may refer.
const WINDOW: usize = 64 << 10;
const UNCOMPRESSED_BIT: u32 = 0x8000_0000;

/// Frame descriptor flags.
const FLAG_VERSION: u8 = 0b0100_0000;
const FLAG_INDEPENDENT: u8 = 0b0010_0000;
const FLAG_BLOCK_CHECKSUM: u8 = 0b0001_0000;
const FLAG_CONTENT_SIZE: u8 = 0b0000_1000;
const FLAG_CONTENT_CHECKSUM: u8 = 0b0000_0100;
const FLAG_DICTIONARY: u8 = 0b0000_0001;

/// An LZ4 frame writer: header, parallel independent blocks, end mark, content checksum.
pub(crate) struct FrameEncoder<W: Write> {
    blocks: BlockWriter<W>,
    checksum: XxHash32,
}

impl<W: Write> FrameEncoder<W> {
    pub fn new(mut writer: W, threads: usize) -> io::Result<Self> {
        let descriptor = [FLAG_VERSION | FLAG_INDEPENDENT | FLAG_CONTENT_CHECKSUM, 7 << 4];
        let mut header = MAGIC.to_le_bytes().to_vec();
        header.extend_from_slice(&descriptor);
        header.push(header_checksum(&descriptor));
        writer.write_all(&header)?;
        let blocks = BlockWriter::new(writer, threads, BLOCK_SIZE, 0, Arc::new(compress_block))?;
        Ok(FrameEncoder { blocks, checksum: XxHash32::with_seed(0) })
    }

    pub fn finish(self) -> io::Result<W> {
        let mut writer = self.blocks.finish()?;
        writer.write_all(&0u32.to_le_bytes())?;
        writer.write_all(&self.checksum.finish_32().to_le_bytes())?;
        Ok(writer)
    }
}

impl<W: Write> Write for FrameEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.blocks.write(buf)?;
        self.checksum.write(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.blocks.flush()
    }
}

fn header_checksum(descriptor: &[u8]) -> u8 {
    (XxHash32::oneshot(0, descriptor) >> 8) as u8
}

/// One block with its size word; stored uncompressed when compression does not shrink it.
fn compress_block(block: &Block<'_>) -> io::Result<Vec<u8>> {
    let data = block.data;
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![0u8; 4 + lz4_flex::block::get_maximum_output_size(data.len())];
    let n = lz4_flex::block::compress_into(data, &mut out[4..]).map_err(io::Error::other)?;
    if n < data.len() {
        out[..4].copy_from_slice(&(n as u32).to_le_bytes());
        out.truncate(4 + n);
    } else {
        out.truncate(4);
        out[..4].copy_from_slice(&(data.len() as u32 | UNCOMPRESSED_BIT).to_le_bytes());
        out.extend_from_slice(data);
    }
    Ok(out)
}

/// What the frame header said.
struct FrameInfo {
    legacy: bool,
    independent: bool,
    block_checksum: bool,
    content_checksum: bool,
    content_size: Option<u64>,
    max_block: usize,
}

/// A `BufRead` that can look a few bytes ahead without consuming them.
pub(crate) trait Peek: BufRead {
    /// The next `n` bytes, or fewer at the end of the input.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]>;
}

impl Peek for &[u8] {
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        Ok(&self[..n.min(self.len())])
    }
}

/// Reads one LZ4 frame (or skips one skippable frame) from a `BufRead`, consuming exactly
/// its bytes. `read` returns `Ok(0)` at the end of the frame, once the content checksum
/// and size are verified; an input that ends early is an `UnexpectedEof` error.
pub(crate) struct FrameDecoder<R: Peek> {
    reader: R,
    info: Option<FrameInfo>,
    started: bool,
    finished: bool,
    compressed: Vec<u8>,
    output: Vec<u8>,
    output_pos: usize,
    /// The last [`WINDOW`] bytes of output, for linked blocks.
    window: Vec<u8>,
    checksum: XxHash32,
    content_len: u64,
}

impl<R: Peek> FrameDecoder<R> {
    pub fn new(reader: R) -> Self {
        FrameDecoder {
            reader,
            info: None,
            started: false,
            finished: false,
            compressed: Vec::new(),
            output: Vec::new(),
            output_pos: 0,
            window: Vec::new(),
            checksum: XxHash32::with_seed(0),
            content_len: 0,
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    pub fn into_inner(self) -> R {
        self.reader
    }

    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        let magic = read_u32(&mut self.reader)?;
        if super::is_skippable_frame(&magic.to_le_bytes()) {
            let len = read_u32(&mut self.reader)?;
            skip(&mut self.reader, u64::from(len))?;
            self.finished = true;
            return Ok(());
        }
        if magic == LEGACY_MAGIC {
            self.info = Some(FrameInfo {
                legacy: true,
                independent: true,
                block_checksum: false,
                content_checksum: false,
                content_size: None,
                max_block: LEGACY_BLOCK,
            });
            return Ok(());
        }
        if magic != MAGIC {
            return Err(corrupt("not an LZ4 frame (bad magic number)"));
        }
        let mut descriptor = vec![0u8; 2];
        self.reader.read_exact(&mut descriptor)?;
        let (flags, bd) = (descriptor[0], descriptor[1]);
        if flags & 0b1100_0000 != FLAG_VERSION || flags & 0b10 != 0 || bd & 0b1000_1111 != 0 {
            return Err(corrupt("unsupported frame version or reserved bits set"));
        }
        let max_block = match (bd >> 4) & 0b111 {
            4 => 64 << 10,
            5 => 256 << 10,
            6 => 1 << 20,
            7 => 4 << 20,
            _ => return Err(corrupt("invalid block maximum size")),
        };
        let mut content_size = None;
        if flags & FLAG_CONTENT_SIZE != 0 {
            let mut size = [0u8; 8];
            self.reader.read_exact(&mut size)?;
            descriptor.extend_from_slice(&size);
            content_size = Some(u64::from_le_bytes(size));
        }
        if flags & FLAG_DICTIONARY != 0 {
            let mut id = [0u8; 4];
            self.reader.read_exact(&mut id)?;
            descriptor.extend_from_slice(&id);
        }
        let mut check = [0u8; 1];
        self.reader.read_exact(&mut check)?;
        if check[0] != header_checksum(&descriptor) {
            return Err(corrupt("frame header checksum mismatch"));
        }
        self.info = Some(FrameInfo {
            legacy: false,
            independent: flags & FLAG_INDEPENDENT != 0,
            block_checksum: flags & FLAG_BLOCK_CHECKSUM != 0,
            content_checksum: flags & FLAG_CONTENT_CHECKSUM != 0,
            content_size,
            max_block,
        });
        Ok(())
    }

    /// Decodes the next block; at the end mark, verifies and finishes. An independent
    /// block is decoded straight into `direct` when it surely fits (returns its length,
    /// saving a copy); otherwise into `output` (returns 0).
    fn next_block(&mut self, direct: &mut [u8]) -> io::Result<usize> {
        let info = self.info.as_ref().expect("frame started");
        if info.legacy {
            return self.next_legacy_block().map(|()| 0);
        }
        let word = read_u32(&mut self.reader)?;
        if word == 0 {
            return self.end().map(|()| 0);
        }
        let stored = word & UNCOMPRESSED_BIT != 0;
        let len = (word & !UNCOMPRESSED_BIT) as usize;
        if len > info.max_block {
            return Err(corrupt("block larger than the frame's maximum block size"));
        }
        self.compressed.resize(len, 0);
        self.reader.read_exact(&mut self.compressed)?;
        if info.block_checksum {
            let expected = read_u32(&mut self.reader)?;
            if XxHash32::oneshot(0, &self.compressed) != expected {
                return Err(corrupt("block checksum mismatch"));
            }
        }
        self.output_pos = 0;
        if !stored && info.independent && direct.len() >= info.max_block {
            self.output.clear();
            let n = lz4_flex::block::decompress_into(&self.compressed, direct)
                .map_err(|e| corrupt(&format!("corrupt block: {e}")))?;
            if info.content_checksum {
                self.checksum.write(&direct[..n]);
            }
            self.content_len += n as u64;
            return Ok(n);
        }
        if stored {
            std::mem::swap(&mut self.output, &mut self.compressed);
        } else {
            self.output.resize(info.max_block, 0);
            let dictionary: &[u8] = if info.independent { &[] } else { &self.window };
            let n =
                lz4_flex::block::decompress_into_with_dict(&self.compressed, &mut self.output, dictionary)
                    .map_err(|e| corrupt(&format!("corrupt block: {e}")))?;
            self.output.truncate(n);
        }
        if !info.independent {
            self.window.extend_from_slice(&self.output);
            let excess = self.window.len().saturating_sub(WINDOW);
            self.window.drain(..excess);
        }
        if info.content_checksum {
            self.checksum.write(&self.output);
        }
        self.content_len += self.output.len() as u64;
        Ok(0)
    }

    /// A legacy block: a size word and compressed data; the input's end ends the frame.
    fn next_legacy_block(&mut self) -> io::Result<()> {
        if self.reader.fill_buf()?.is_empty() {
            self.output.clear();
            self.output_pos = 0;
            self.finished = true;
            return Ok(());
        }
        let bound = lz4_flex::block::get_maximum_output_size(LEGACY_BLOCK);
        let head = self.reader.peek(4)?;
        if head.len() == 4 && u32::from_le_bytes(head.try_into().expect("4 bytes")) as usize > bound {
            // No block is that large: the next frame's magic number (lz4io.c does so).
            self.output.clear();
            self.output_pos = 0;
            self.finished = true;
            return Ok(());
        }
        let len = read_u32(&mut self.reader)? as usize;
        if len > bound {
            return Err(corrupt("legacy block larger than 8 MiB can compress to"));
        }
        self.compressed.resize(len, 0);
        self.reader.read_exact(&mut self.compressed)?;
        self.output.resize(LEGACY_BLOCK, 0);
        self.output_pos = 0;
        let n = lz4_flex::block::decompress_into(&self.compressed, &mut self.output)
            .map_err(|e| corrupt(&format!("corrupt block: {e}")))?;
        self.output.truncate(n);
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        let info = self.info.as_ref().expect("frame started");
        if info.content_checksum {
            let expected = read_u32(&mut self.reader)?;
            if self.checksum.finish_32() != expected {
                return Err(corrupt("content checksum mismatch"));
            }
        }
        if info.content_size.is_some_and(|size| size != self.content_len) {
            return Err(corrupt("content size mismatch"));
        }
        self.output.clear();
        self.output_pos = 0;
        self.finished = true;
        Ok(())
    }
}

impl<R: Peek> Read for FrameDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.started {
            self.start()?;
        }
        while self.output_pos == self.output.len() {
            if self.finished {
                return Ok(0);
            }
            let n = self.next_block(buf)?;
            if n > 0 {
                return Ok(n);
            }
        }
        let n = buf.len().min(self.output.len() - self.output_pos);
        buf[..n].copy_from_slice(&self.output[self.output_pos..self.output_pos + n]);
        self.output_pos += n;
        Ok(n)
    }
}

fn read_u32(reader: &mut impl Read) -> io::Result<u32> {
    let mut word = [0u8; 4];
    reader.read_exact(&mut word)?;
    Ok(u32::from_le_bytes(word))
}

fn skip(reader: &mut impl BufRead, mut len: u64) -> io::Result<()> {
    while len > 0 {
        let available = reader.fill_buf()?.len();
        if available == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let n = available.min(usize::try_from(len).unwrap_or(usize::MAX));
        reader.consume(n);
        len -= n as u64;
    }
    Ok(())
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(data: &[u8]) -> Vec<u8> {
        let mut e = FrameEncoder::new(Vec::new(), 2).unwrap();
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        FrameDecoder::new(data).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn header_checksum_matches_the_lz4_cli() {
        // `lz4 -c < /dev/null | xxd`: 04 22 4d 18 64 40 a7 00000000 05 5d cc 02.
        assert_eq!(header_checksum(&[0x64, 0x40]), 0xa7);
        let cli = [0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0, 0, 0, 0, 0x05, 0x5d, 0xcc, 0x02];
        assert_eq!(decode(&cli).unwrap(), b"");
        let empty = encode(b"");
        assert_eq!(empty[..6], [0x04, 0x22, 0x4d, 0x18, 0x64, 0x70]);
        assert_eq!(empty[7..], cli[7..]);
    }

    #[test]
    fn round_trip_over_several_blocks() {
        let data: Vec<u8> = (0..9_000_000u32).map(|i| (i % 251) as u8 ^ (i >> 13) as u8).collect();
        assert_eq!(decode(&encode(&data)).unwrap(), data);
    }

    #[test]
    fn truncation_at_a_block_boundary_is_an_error() {
        let frame = encode(b"hello hello hello hello");
        let cut = &frame[..frame.len() - 8];
        assert_eq!(decode(cut).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn skippable_frame_yields_nothing() {
        let frame = [0x5a, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9];
        assert_eq!(decode(&frame).unwrap(), b"");
    }
}
