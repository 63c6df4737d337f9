//! Streaming compression into any `Write`, in every format, on several threads.
//!
//! What each format writes, and why:
//! - zstd: one frame with the content checksum on (the CLI's default; the library's is off),
//!   compressed by libzstd's own worker threads.
//! - xz: liblzma's multi-threaded encoder (module `xz`, its tables on huge pages): blocks of
//!   3 × the dictionary size, sizes in the block headers so decoders can work in parallel,
//!   CRC64 like the xz CLI. One thread gives the single-block stream `xz -T1` writes.
//! - gzip: one member, as pigz writes it: 1 MiB blocks deflated in parallel, each primed
//!   with the last 32 KiB of the previous one and ended by a sync flush, the CRC32 and size
//!   in the trailer. Header with no name and mtime 0, so the output is reproducible.
//! - bzip2: the input cut into blocks of the level's size, each compressed on a thread as
//!   its own bzip2 stream, the streams concatenated (pbzip2's layout; `bzip2 -d` reads it).
//!   The encoder is jcore's own (module `bz2`): a suffix-array sort, as lbzip2 does it.
//! - lz4: one frame of independent 4 MiB blocks compressed in parallel, content checksum on.
//! - lzma: the legacy .lzma container (`xz --format=lzma`), single-threaded.
//! - none: the bytes unchanged.
//!
//! The output is complete only after [`Encoder::finish`]; dropping an encoder loses the end
//! of the stream (on purpose: an error path must not look like a finished file).

use std::io::{self, Write};
use std::sync::Arc;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use liblzma::stream::{LzmaOptions, Stream};

use super::parallel::{Block, BlockWriter};
use super::{Format, bz2, lz4, xz};

/// Input bytes per gzip block: big enough that the sync flush and the restarted match
/// history cost little (pigz uses 128 KiB), small enough to keep two threads busy early.
const GZIP_BLOCK: usize = 1 << 20;
/// Deflate's window: how much of the previous block primes the next.
const DEFLATE_WINDOW: usize = 32 << 10;

/// A compressor writing one format into `W`. See the [module docs](self) for the layout
/// of each format.
pub struct Encoder<W: Write> {
    inner: Inner<W>,
}

enum Inner<W: Write> {
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Xz(xz::XzEncoder<W>),
    Lzma(liblzma::write::XzEncoder<W>),
    Gzip(GzipEncoder<W>),
    Bzip2(BlockWriter<W>),
    Lz4(lz4::FrameEncoder<W>),
    None(W),
}

impl<W: Write> Encoder<W> {
    /// An encoder for `format` at `level` (the format's default when `None`; checked
    /// against [`Format::levels`]) on `threads` threads (at least one).
    pub fn new(format: Format, level: Option<u32>, threads: usize, writer: W) -> io::Result<Encoder<W>> {
        let level = format.level(level).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let threads = threads.max(1);
        let inner = match format {
            Format::Zstd => Inner::Zstd(zstd_encoder(writer, level, threads)?),
            Format::Xz => Inner::Xz(xz::XzEncoder::new(writer, level, threads)?),
            Format::Lzma => {
                let options = LzmaOptions::new_preset(level).map_err(io::Error::other)?;
                let stream = Stream::new_lzma_encoder(&options).map_err(io::Error::other)?;
                Inner::Lzma(liblzma::write::XzEncoder::new_stream(writer, stream))
            }
            Format::Gzip => Inner::Gzip(GzipEncoder::new(writer, level, threads)?),
            Format::Bzip2 => Inner::Bzip2(bzip2_encoder(writer, level, threads)?),
            Format::Lz4 => Inner::Lz4(lz4::FrameEncoder::new(writer, threads)?),
            Format::None => Inner::None(writer),
        };
        Ok(Encoder { inner })
    }

    /// Compresses what is left, writes the end of the stream and returns the writer
    /// (not flushed).
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Zstd(e) => e.finish(),
            Inner::Xz(e) => e.finish(),
            Inner::Lzma(e) => e.finish(),
            Inner::Gzip(e) => e.finish(),
            Inner::Bzip2(e) => e.finish(),
            Inner::Lz4(e) => e.finish(),
            Inner::None(w) => Ok(w),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Zstd(e) => e.write(buf),
            Inner::Xz(e) => e.write(buf),
            Inner::Lzma(e) => e.write(buf),
            Inner::Gzip(e) => e.write(buf),
            Inner::Bzip2(e) => e.write(buf),
            Inner::Lz4(e) => e.write(buf),
            Inner::None(w) => w.write(buf),
        }
    }

    /// Writes out what is already compressed; does not end a block or frame early.
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            // zstd's and liblzma's flush would end a block early and cost ratio.
            Inner::Zstd(e) => e.get_mut().flush(),
            Inner::Xz(e) => e.get_mut().flush(),
            Inner::Lzma(e) => e.get_mut().flush(),
            Inner::Gzip(e) => e.flush(),
            Inner::Bzip2(e) => e.flush(),
            Inner::Lz4(e) => e.flush(),
            Inner::None(w) => w.flush(),
        }
    }
}

fn zstd_encoder<W: Write>(
    writer: W,
    level: u32,
    threads: usize,
) -> io::Result<zstd::stream::write::Encoder<'static, W>> {
    let mut encoder = zstd::stream::write::Encoder::new(writer, level as i32)?;
    encoder.include_checksum(true)?;
    if threads > 1 {
        encoder.multithread(threads as u32)?;
    }
    Ok(encoder)
}

fn bzip2_encoder<W: Write>(writer: W, level: u32, threads: usize) -> io::Result<BlockWriter<W>> {
    // A bzip2 block holds level × 100 000 bytes after its first run-length pass, less 19;
    // cutting a little below keeps each stream to one block on most data.
    let block_size = level as usize * 100_000 - 100;
    let compress = move |block: &Block<'_>| -> io::Result<Vec<u8>> {
        // An empty last block adds nothing, unless the whole input is empty: then the
        // output is one empty stream, as bzip2 writes for empty input.
        if block.data.is_empty() && block.index > 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(block.data.len() / 3 + 64);
        bz2::compress_stream(block.data, level, &mut out);
        Ok(out)
    };
    BlockWriter::new(writer, threads, block_size, 0, Arc::new(compress))
}

/// One gzip member deflated in parallel blocks (see the module docs).
struct GzipEncoder<W: Write> {
    blocks: BlockWriter<W>,
    crc: Crc,
}

impl<W: Write> GzipEncoder<W> {
    fn new(mut writer: W, level: u32, threads: usize) -> io::Result<Self> {
        // RFC 1952: magic, deflate, no flags, mtime 0, extra flags (2 = best, 4 = fastest),
        // OS 255 (unknown), like flate2's GzBuilder.
        let extra_flags = match level {
            9 => 2,
            1 => 4,
            _ => 0,
        };
        writer.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extra_flags, 0xff])?;
        let compress = move |block: &Block<'_>| deflate_block(block, level);
        let blocks = BlockWriter::new(writer, threads, GZIP_BLOCK, DEFLATE_WINDOW, Arc::new(compress))?;
        Ok(GzipEncoder { blocks, crc: Crc::new() })
    }

    fn finish(self) -> io::Result<W> {
        let mut writer = self.blocks.finish()?;
        writer.write_all(&self.crc.sum().to_le_bytes())?;
        writer.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(writer)
    }
}

impl<W: Write> Write for GzipEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.blocks.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.blocks.flush()
    }
}

/// Raw deflate of one block: primed with the previous block's tail, ended by a sync flush
/// (byte-aligned, not final) or, for the last block, by the final block.
fn deflate_block(block: &Block<'_>, level: u32) -> io::Result<Vec<u8>> {
    let mut deflate = Compress::new(Compression::new(level), false);
    if !block.dictionary.is_empty() {
        deflate.set_dictionary(block.dictionary).map_err(io::Error::other)?;
    }
    let flush = if block.last { FlushCompress::Finish } else { FlushCompress::Sync };
    let data = block.data;
    let mut out = Vec::with_capacity(data.len() + data.len() / 16 + 1024);
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(data.len() / 8 + 1024);
        }
        let consumed = deflate.total_in() as usize;
        let status = deflate.compress_vec(&data[consumed..], &mut out, flush).map_err(io::Error::other)?;
        let all_in = deflate.total_in() as usize == data.len();
        match status {
            Status::StreamEnd => return Ok(out),
            // A flush is complete when deflate stops short of filling the output.
            _ if !block.last && all_in && out.len() < out.capacity() => return Ok(out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn compress(format: Format, level: Option<u32>, threads: usize, data: &[u8]) -> Vec<u8> {
        let mut e = Encoder::new(format, level, threads, Vec::new()).unwrap();
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 253) as u8 ^ (i >> 11) as u8).collect()
    }

    #[test]
    fn gzip_is_one_member_flate2_reads() {
        let data = sample(3 * GZIP_BLOCK + 12345);
        for threads in [1, 3] {
            let gz = compress(Format::Gzip, None, threads, &data);
            let mut out = Vec::new();
            // GzDecoder (not Multi) reads exactly one member: the whole input must be in it.
            flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
            assert!(out == data, "threads {threads}");
        }
    }

    #[test]
    fn bzip2_streams_concatenate() {
        let data = sample(2_000_000);
        let bz = compress(Format::Bzip2, Some(1), 2, &data);
        let mut out = Vec::new();
        bzip2::read::MultiBzDecoder::new(&bz[..]).read_to_end(&mut out).unwrap();
        assert!(out == data);
        let empty = compress(Format::Bzip2, None, 2, b"");
        assert_eq!(empty, b"BZh9\x17\x72\x45\x38\x50\x90\x00\x00\x00\x00");
    }

    #[test]
    fn bad_level_is_refused() {
        let err = Encoder::new(Format::Gzip, Some(10), 1, Vec::new()).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
