//! Block-parallel compression, as pigz, pbzip2 and lbzip2 do it: the input is cut into
//! fixed-size blocks, worker threads compress the blocks independently, and the caller's
//! thread writes the results in input order. The gzip, bzip2 and lz4 encoders are this
//! engine plus their own framing.
//!
//! Memory is bounded: at most `2 × threads + 1` blocks are in flight (queued, being
//! compressed, or compressed and waiting for their turn). The writer never leaves the
//! caller's thread, so it needs neither `Send` nor `'static`.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One block handed to the compression function.
pub(crate) struct Block<'a> {
    /// The block's input.
    pub data: &'a [u8],
    /// The end of the previous block (up to the engine's dictionary size), empty for the
    /// first block.
    pub dictionary: &'a [u8],
    /// The block's position in the stream, from 0.
    pub index: u64,
    /// Whether this is the final block. The final block may be empty.
    pub last: bool,
}

/// Compresses one block into bytes that are written to the output as they are.
pub(crate) type CompressFn = dyn Fn(&Block<'_>) -> io::Result<Vec<u8>> + Send + Sync;

struct Job {
    data: Vec<u8>,
    dictionary: Vec<u8>,
    index: u64,
    last: bool,
    result: SyncSender<io::Result<Vec<u8>>>,
}

/// The engine: buffers input into blocks, compresses them on worker threads, writes the
/// results in order to `writer`.
pub(crate) struct BlockWriter<W: Write> {
    /// Always `Some` until [`finish`](BlockWriter::finish) takes it.
    writer: Option<W>,
    block_size: usize,
    dictionary_size: usize,
    buffer: Vec<u8>,
    dictionary: Vec<u8>,
    next_index: u64,
    jobs: Option<SyncSender<Job>>,
    pending: VecDeque<Receiver<io::Result<Vec<u8>>>>,
    max_pending: usize,
    workers: Vec<JoinHandle<()>>,
}

impl<W: Write> BlockWriter<W> {
    /// Starts `threads` workers (at least one) running `compress` on blocks of `block_size`
    /// bytes; each block gets the last `dictionary_size` bytes of the previous one.
    pub fn new(
        writer: W,
        threads: usize,
        block_size: usize,
        dictionary_size: usize,
        compress: Arc<CompressFn>,
    ) -> io::Result<Self> {
        let threads = threads.max(1);
        let (sender, receiver) = mpsc::sync_channel::<Job>(threads);
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(threads);
        for n in 0..threads {
            let receiver = Arc::clone(&receiver);
            let compress = Arc::clone(&compress);
            let worker = std::thread::Builder::new()
                .name(format!("compress-{n}"))
                .spawn(move || work(&receiver, &*compress))?;
            workers.push(worker);
        }
        Ok(BlockWriter {
            writer: Some(writer),
            block_size,
            dictionary_size,
            buffer: Vec::with_capacity(block_size),
            dictionary: Vec::new(),
            next_index: 0,
            jobs: Some(sender),
            pending: VecDeque::new(),
            max_pending: 2 * threads + 1,
            workers,
        })
    }

    /// Compresses what is buffered as the final block, writes every result and returns the
    /// writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        while !self.pending.is_empty() {
            self.write_next()?;
        }
        self.stop();
        Ok(self.writer.take().expect("writer present until finish"))
    }

    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        let data =
            std::mem::replace(&mut self.buffer, Vec::with_capacity(if last { 0 } else { self.block_size }));
        let mut dictionary = Vec::new();
        if self.dictionary_size > 0 {
            let tail = &data[data.len().saturating_sub(self.dictionary_size)..];
            dictionary = std::mem::replace(&mut self.dictionary, tail.to_vec());
        }
        let (result, receiver) = mpsc::sync_channel(1);
        let job = Job { data, dictionary, index: self.next_index, last, result };
        self.next_index += 1;
        let sender = self.jobs.as_ref().expect("workers running until finish");
        sender.send(job).map_err(|_| worker_failed())?;
        self.pending.push_back(receiver);
        // Keep memory bounded, and pass finished blocks on at once so that a reader
        // downstream gets data while the input is still coming.
        while self.pending.len() > self.max_pending {
            self.write_next()?;
        }
        while let Some(front) = self.pending.front() {
            match front.try_recv() {
                Ok(result) => {
                    self.pending.pop_front();
                    self.output().write_all(&result?)?;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Err(worker_failed()),
            }
        }
        Ok(())
    }

    fn write_next(&mut self) -> io::Result<()> {
        let receiver = self.pending.pop_front().expect("a pending block");
        let compressed = receiver.recv().map_err(|_| worker_failed())??;
        self.output().write_all(&compressed)
    }

    fn output(&mut self) -> &mut W {
        self.writer.as_mut().expect("writer present until finish")
    }

    fn stop(&mut self) {
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl<W: Write> Write for BlockWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.block_size - self.buffer.len();
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() == self.block_size {
            self.dispatch(false)?;
        }
        Ok(n)
    }

    /// Compressed data leaves only whole blocks at a time; flush writes what is done.
    fn flush(&mut self) -> io::Result<()> {
        self.output().flush()
    }
}

impl<W: Write> Drop for BlockWriter<W> {
    fn drop(&mut self) {
        self.stop();
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, compress: &CompressFn) {
    loop {
        // The lock is held only while waiting for the next job.
        let job = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let block = Block { data: &job.data, dictionary: &job.dictionary, index: job.index, last: job.last };
        let result = compress(&block);
        // The receiver is gone when the encoder was dropped on an error: nothing to do.
        let _ = job.result.send(result);
    }
}

fn worker_failed() -> io::Error {
    io::Error::other("a compression thread failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_with_index(block: &Block<'_>) -> io::Result<Vec<u8>> {
        let mut out = format!("[{}{}:", block.index, if block.last { "L" } else { "" }).into_bytes();
        out.extend_from_slice(block.data);
        out.push(b']');
        Ok(out)
    }

    #[test]
    fn blocks_come_out_in_order() {
        let mut w = BlockWriter::new(Vec::new(), 3, 2, 0, Arc::new(copy_with_index)).unwrap();
        w.write_all(b"abcdefg").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[0:ab][1:cd][2:ef][3L:g]");
    }

    #[test]
    fn empty_input_is_one_empty_last_block() {
        let w = BlockWriter::new(Vec::new(), 2, 4, 0, Arc::new(copy_with_index)).unwrap();
        assert_eq!(w.finish().unwrap(), b"[0L:]");
    }

    #[test]
    fn dictionary_is_the_previous_tail() {
        let show = |b: &Block<'_>| -> io::Result<Vec<u8>> { Ok(b.dictionary.to_vec()) };
        let mut w = BlockWriter::new(Vec::new(), 2, 4, 2, Arc::new(show)).unwrap();
        w.write_all(b"abcdefghij").unwrap();
        assert_eq!(w.finish().unwrap(), b"cdgh");
    }

    #[test]
    fn errors_reach_the_caller() {
        let fail = |_: &Block<'_>| -> io::Result<Vec<u8>> { Err(io::Error::other("boom")) };
        let mut w = BlockWriter::new(Vec::new(), 1, 1, 0, Arc::new(fail)).unwrap();
        let err = w.write_all(b"abcdef").and_then(|_| w.finish().map(|_| ())).unwrap_err();
        assert_eq!(err.to_string(), "boom");
    }
}
