//! The .xz encoder: liblzma driven directly, so that its big tables live on huge pages.
//!
//! At level 6 each liblzma encoder thread owns about 90 MiB of match-finder tables (hash
//! chains and binary trees over an 8 MiB dictionary) that it reads at random for every
//! input byte. On 4 KiB pages most of those reads miss the TLB; asking the kernel for
//! transparent huge pages (`madvise(MADV_HUGEPAGE)`, honoured when THP is `always` or
//! `madvise`, Linux's default) made jpack -c xz 15% faster on one test machine (AMD EPYC,
//! single thread, 32 MiB sample) and less on an Intel Xeon (BENCHMARKS.md), same output. The
//! `liblzma` crate gives no way to pass an allocator, hence this small FFI layer: the
//! stream is built with `lzma_easy_encoder` (one thread: the single-block stream `xz -T1`
//! writes) or `lzma_stream_encoder_mt` (blocks of 3 x the dictionary size, like `xz -T0`),
//! with CRC64 either way.

use std::ffi::c_void;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{mem, ptr};

use liblzma_sys as sys;

/// Allocations at least this big are aligned to it and advised onto huge pages.
const HUGE_PAGE: usize = 2 << 20;
/// Compressed bytes gathered before they are written on.
const OUTPUT_BUFFER: usize = 1 << 20;

/// liblzma's state and the allocator it points to, boxed together so the pointer holds.
struct Raw {
    stream: sys::lzma_stream,
    allocator: sys::lzma_allocator,
    /// Blocks liblzma holds from `huge_alloc` (the allocator's opaque pointer): a leak
    /// check for tests, one atomic add per allocation (liblzma allocates per stream and
    /// per thread, not per byte).
    live: Arc<AtomicUsize>,
}

/// Compresses what is written into an .xz stream on `W`.
pub struct XzEncoder<W: Write> {
    raw: Box<Raw>,
    out: Vec<u8>,
    /// `None` once `finish` has returned it.
    writer: Option<W>,
}

impl<W: Write> XzEncoder<W> {
    /// An encoder at preset `level` (0-9) on `threads` threads.
    pub fn new(writer: W, level: u32, threads: usize) -> io::Result<XzEncoder<W>> {
        let live = Arc::new(AtomicUsize::new(0));
        let mut raw = Box::new(Raw {
            // SAFETY: LZMA_STREAM_INIT is all zeroes (null pointers, zero counts).
            stream: unsafe { mem::zeroed() },
            allocator: sys::lzma_allocator {
                alloc: Some(huge_alloc),
                free: Some(huge_free),
                opaque: Arc::as_ptr(&live) as *mut c_void,
            },
            live,
        });
        raw.stream.allocator = &raw.allocator;
        let ret = if threads > 1 {
            // SAFETY: zeroes are the documented defaults of every lzma_mt field we leave.
            let mut mt: sys::lzma_mt = unsafe { mem::zeroed() };
            mt.threads = threads as u32;
            mt.preset = level;
            mt.check = sys::LZMA_CHECK_CRC64;
            // SAFETY: the stream is initialised (zeroed) and outlives the call.
            unsafe { sys::lzma_stream_encoder_mt(&mut raw.stream, &mt) }
        } else {
            // SAFETY: as above.
            unsafe { sys::lzma_easy_encoder(&mut raw.stream, level, sys::LZMA_CHECK_CRC64) }
        };
        check(ret)?;
        Ok(XzEncoder { raw, out: Vec::with_capacity(OUTPUT_BUFFER), writer: Some(writer) })
    }

    /// Compresses what is left, writes the end of the stream and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        while !self.code(&[], sys::LZMA_FINISH)?.1 {}
        self.write_out()?;
        Ok(self.writer.take().expect("the writer is taken only here"))
    }

    /// The writer compressed data goes to.
    pub fn get_mut(&mut self) -> &mut W {
        self.writer.as_mut().expect("the writer is taken only by finish")
    }

    /// One lzma_code call over `input` into the free part of `out` (written on when
    /// full); returns (bytes of input consumed, whether the stream ended).
    fn code(&mut self, input: &[u8], action: sys::lzma_action) -> io::Result<(usize, bool)> {
        if self.out.len() == self.out.capacity() {
            self.write_out()?;
        }
        let stream = &mut self.raw.stream;
        stream.next_in = input.as_ptr();
        stream.avail_in = input.len();
        let free = self.out.capacity() - self.out.len();
        // SAFETY: next_out points at `free` writable bytes of `out`'s spare capacity.
        stream.next_out = unsafe { self.out.as_mut_ptr().add(self.out.len()) };
        stream.avail_out = free;
        // SAFETY: the stream was set up by an encoder initialiser; in/out describe live
        // buffers that outlive the call.
        let ret = unsafe { sys::lzma_code(stream, action) };
        let produced = free - stream.avail_out;
        let consumed = input.len() - stream.avail_in;
        // SAFETY: liblzma initialised exactly `produced` bytes after the old length.
        unsafe { self.out.set_len(self.out.len() + produced) };
        stream.next_in = ptr::null();
        stream.avail_in = 0;
        if ret == sys::LZMA_STREAM_END {
            return Ok((consumed, true));
        }
        check(ret)?;
        Ok((consumed, false))
    }

    fn write_out(&mut self) -> io::Result<()> {
        let out = mem::take(&mut self.out);
        let written = self.get_mut().write_all(&out);
        self.out = out;
        self.out.clear();
        written
    }
}

impl<W: Write> Write for XzEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            done += self.code(&buf[done..], sys::LZMA_RUN)?.0;
        }
        Ok(buf.len())
    }

    /// Writes out what is already compressed; does not end a block early (that would cost
    /// ratio and make the output depend on write sizes).
    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.get_mut().flush()
    }
}

impl<W: Write> Drop for XzEncoder<W> {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised in `new` and is ended once, here.
        unsafe { sys::lzma_end(&mut self.raw.stream) };
        debug_assert_eq!(self.raw.live.load(Ordering::Relaxed), 0, "liblzma kept blocks after lzma_end");
    }
}

fn check(ret: sys::lzma_ret) -> io::Result<()> {
    let why = match ret {
        sys::LZMA_OK => return Ok(()),
        sys::LZMA_MEM_ERROR => "out of memory",
        sys::LZMA_OPTIONS_ERROR => "unsupported options",
        sys::LZMA_UNSUPPORTED_CHECK => "unsupported integrity check",
        _ => return Err(io::Error::other(format!("liblzma error {ret}"))),
    };
    Err(io::Error::other(why))
}

/// liblzma's allocator: `malloc` for small requests; big ones aligned to a huge page and
/// advised onto huge pages (a hint: ignored where THP is off).
extern "C" fn huge_alloc(opaque: *mut c_void, nmemb: usize, size: usize) -> *mut c_void {
    let block = allocate(nmemb, size);
    if !block.is_null() {
        live_blocks(opaque).fetch_add(1, Ordering::Relaxed);
    }
    block
}

/// The counter behind the allocator's opaque pointer.
fn live_blocks<'a>(opaque: *mut c_void) -> &'a AtomicUsize {
    // SAFETY: `opaque` is `Arc::as_ptr` of the `live` counter in the boxed `Raw` whose
    // stream liblzma allocates for; that Arc lives until after `lzma_end`.
    unsafe { &*(opaque as *const AtomicUsize) }
}

fn allocate(nmemb: usize, size: usize) -> *mut c_void {
    let Some(len) = nmemb.checked_mul(size) else { return ptr::null_mut() };
    if len < HUGE_PAGE {
        // SAFETY: plain malloc; liblzma checks for null.
        return unsafe { libc::malloc(len.max(1)) };
    }
    let mut block = ptr::null_mut();
    // SAFETY: `block` is a valid out-pointer; HUGE_PAGE is a power of two and a multiple
    // of the pointer size.
    if unsafe { libc::posix_memalign(&mut block, HUGE_PAGE, len) } != 0 {
        return ptr::null_mut();
    }
    advise_huge_pages(block, len);
    block
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(block: *mut c_void, len: usize) {
    // SAFETY: `block` is page-aligned and the start of `len` bytes we own; the advice
    // changes no contents, so its result does not matter.
    unsafe { libc::madvise(block, len, libc::MADV_HUGEPAGE) };
}

/// FreeBSD promotes big aligned allocations to superpages by itself.
#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_block: *mut c_void, _len: usize) {}

extern "C" fn huge_free(opaque: *mut c_void, block: *mut c_void) {
    if block.is_null() {
        return;
    }
    live_blocks(opaque).fetch_sub(1, Ordering::Relaxed);
    // SAFETY: `block` came from malloc or posix_memalign above.
    unsafe { libc::free(block) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compress(data: &[u8], threads: usize, chunk: usize) -> Vec<u8> {
        let mut encoder = XzEncoder::new(Vec::new(), 6, threads).unwrap();
        for piece in data.chunks(chunk.max(1)) {
            encoder.write_all(piece).unwrap();
        }
        encoder.finish().unwrap()
    }

    fn decompress(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        io::copy(&mut liblzma::read::XzDecoder::new(data), &mut out).unwrap();
        out
    }

    #[test]
    fn round_trips_on_one_and_two_threads() {
        let text: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8 ^ (i / 7777) as u8).collect();
        for threads in [1, 2] {
            for data in [&[][..], b"x", &text] {
                let packed = compress(data, threads, 100_000);
                assert_eq!(decompress(&packed), data, "{threads} thread(s), {} bytes", data.len());
            }
        }
    }

    #[test]
    fn output_does_not_depend_on_write_sizes() {
        let data: Vec<u8> = (0..500_000u32).map(|i| (i * 31 % 97) as u8).collect();
        assert_eq!(compress(&data, 2, 3), compress(&data, 2, 1 << 20));
    }

    /// Dropping an encoder mid-stream (an error, ^C) must end liblzma's stream: every
    /// block its threads and tables took from our allocator comes back. Without the
    /// `lzma_end` in Drop the count stays above zero.
    #[test]
    fn dropped_unfinished_encoder_frees_everything() {
        for threads in [1, 2] {
            let mut encoder = XzEncoder::new(Vec::new(), 6, threads).unwrap();
            encoder.write_all(&[7; 100_000]).unwrap();
            let live = Arc::clone(&encoder.raw.live);
            assert!(live.load(Ordering::Relaxed) > 0, "liblzma allocated through huge_alloc");
            drop(encoder);
            assert_eq!(live.load(Ordering::Relaxed), 0, "{threads} thread(s): blocks left after drop");
        }
    }
}
