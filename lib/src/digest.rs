//! The registry of digest algorithms, and hashing several of them in one pass.
//!
//! Every tool that hashes (jsum, jfetch, jspec, jsnap) goes through this module, so an
//! algorithm has one name, one tag and one implementation everywhere:
//!
//! | name | BSD tag | output | implementation |
//! | --- | --- | --- | --- |
//! | sha256 | SHA256 | 32 bytes | RustCrypto sha2 (SHA-NI when the CPU has it) |
//! | sha1 | SHA1 | 20 bytes | RustCrypto sha1 |
//! | sha512 | SHA512 | 64 bytes | RustCrypto sha2 |
//! | blake3 | BLAKE3 | 32 bytes | blake3 (SIMD, rayon for big pieces) |
//! | skein256 | Skein256 | 32 bytes | [`skein`] (unrolled Threefish), Skein-256-256 (FreeBSD `skein256`) |
//! | skein512 | Skein512 | 64 bytes | [`skein`], Skein-512-512 (FreeBSD `skein512`) |
//! | skein1024 | Skein1024 | 128 bytes | [`skein`], Skein-1024-1024 (FreeBSD `skein1024`, pot `.skein`) |
//!
//! [`MultiHasher`] feeds the same chunks to one thread per algorithm, so asking for three
//! digests costs about as much wall time as the slowest one alone, and hashing overlaps
//! with reading and writing.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use digest::DynDigest;

pub mod skein;

/// A digest algorithm jtools knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256.
    Sha256,
    /// SHA-1 (SmartOS manifests; collision-broken, kept for compatibility).
    Sha1,
    /// SHA-512.
    Sha512,
    /// BLAKE3 with 256-bit output, as b3sum prints it.
    Blake3,
    /// Skein-256-256, FreeBSD `skein256`.
    Skein256,
    /// Skein-512-512, FreeBSD `skein512`.
    Skein512,
    /// Skein-1024-1024, FreeBSD `skein1024`, used by pot.
    Skein1024,
}

impl Algorithm {
    /// Every algorithm, in the order tools list them.
    pub const ALL: [Algorithm; 7] = [
        Algorithm::Sha256,
        Algorithm::Sha1,
        Algorithm::Sha512,
        Algorithm::Blake3,
        Algorithm::Skein256,
        Algorithm::Skein512,
        Algorithm::Skein1024,
    ];

    /// The lowercase name used on command lines and in JSON: `sha256`, `skein1024`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha512 => "sha512",
            Algorithm::Blake3 => "blake3",
            Algorithm::Skein256 => "skein256",
            Algorithm::Skein512 => "skein512",
            Algorithm::Skein1024 => "skein1024",
        }
    }

    /// The tag of BSD-style lines, `TAG (name) = hex`, as FreeBSD md5(1) and coreutils
    /// `--tag` print it.
    pub fn tag(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha512 => "SHA512",
            Algorithm::Blake3 => "BLAKE3",
            Algorithm::Skein256 => "Skein256",
            Algorithm::Skein512 => "Skein512",
            Algorithm::Skein1024 => "Skein1024",
        }
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 | Algorithm::Blake3 | Algorithm::Skein256 => 32,
            Algorithm::Sha512 | Algorithm::Skein512 => 64,
            Algorithm::Skein1024 => 128,
        }
    }

    /// The digest length in hex characters.
    pub fn hex_len(self) -> usize {
        self.output_len() * 2
    }

    /// Looks an algorithm up by name or tag, ignoring case and `-`/`_`
    /// (`sha256`, `SHA-256`, `b3`, `Skein1024`).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        let key: String =
            name.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect();
        match key.as_str() {
            "b3" => Some(Algorithm::Blake3),
            _ => Algorithm::ALL.into_iter().find(|a| a.name() == key),
        }
    }

    /// The algorithm a bare digest of `hex_len` characters most likely comes from, when
    /// nothing else says: 40 SHA-1, 64 SHA-256, 128 SHA-512, 256 Skein-1024. BLAKE3,
    /// Skein-256 and Skein-512 share lengths with SHA-2 and must be named.
    pub fn guess_from_hex_len(hex_len: usize) -> Option<Algorithm> {
        match hex_len {
            40 => Some(Algorithm::Sha1),
            64 => Some(Algorithm::Sha256),
            128 => Some(Algorithm::Sha512),
            256 => Some(Algorithm::Skein1024),
            _ => None,
        }
    }

    /// A fresh hasher for this algorithm.
    pub fn hasher(self) -> Hasher {
        let state = match self {
            Algorithm::Sha256 => State::Dyn(Box::new(sha2::Sha256::default())),
            Algorithm::Sha1 => State::Dyn(Box::new(sha1::Sha1::default())),
            Algorithm::Sha512 => State::Dyn(Box::new(sha2::Sha512::default())),
            Algorithm::Blake3 => State::Blake3(Box::new(blake3::Hasher::new())),
            Algorithm::Skein256 => State::Skein256(Box::default()),
            Algorithm::Skein512 => State::Skein512(Box::default()),
            Algorithm::Skein1024 => State::Skein1024(Box::default()),
        };
        Hasher { algorithm: self, state }
    }

    /// Hashes a byte slice in one call.
    pub fn digest(self, data: &[u8]) -> Digest {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown algorithm name; it lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAlgorithm(pub String);

impl fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        write!(f, "unknown algorithm '{}' (known: {})", self.0, known.join(", "))
    }
}

impl std::error::Error for UnknownAlgorithm {}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or_else(|| UnknownAlgorithm(s.to_string()))
    }
}

enum State {
    Dyn(Box<dyn DynDigest + Send>),
    Blake3(Box<blake3::Hasher>),
    Skein256(Box<skein::Skein256>),
    Skein512(Box<skein::Skein512>),
    Skein1024(Box<skein::Skein1024>),
}

/// An incremental hasher for one algorithm.
pub struct Hasher {
    algorithm: Algorithm,
    state: State,
}

/// Pieces at least this big are hashed by BLAKE3 on the rayon pool.
const BLAKE3_RAYON_MIN: usize = 128 * 1024;

impl Hasher {
    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Adds data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Dyn(d) => d.update(data),
            State::Blake3(b) => {
                if data.len() >= BLAKE3_RAYON_MIN {
                    b.update_rayon(data);
                } else {
                    b.update(data);
                }
            }
            State::Skein256(h) => h.update(data),
            State::Skein512(h) => h.update(data),
            State::Skein1024(h) => h.update(data),
        }
    }

    /// Finishes and returns the digest.
    pub fn finalize(self) -> Digest {
        let bytes = match self.state {
            State::Dyn(d) => d.finalize().to_vec(),
            State::Blake3(b) => b.finalize().as_bytes().to_vec(),
            State::Skein256(h) => h.finalize().to_vec(),
            State::Skein512(h) => h.finalize().to_vec(),
            State::Skein1024(h) => h.finalize().to_vec(),
        };
        Digest { algorithm: self.algorithm, bytes }
    }
}

/// A computed digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The raw digest bytes.
    pub bytes: Vec<u8>,
}

impl Digest {
    /// Lowercase hex, the form every format stores.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

/// A digest to compare against, as given by a user or a metadata file (`[ALGO:]HEX`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The expected digest bytes.
    pub bytes: Vec<u8>,
}

impl Expected {
    /// Parses `ALGO:HEX` or a bare `HEX`. A bare digest uses `default` when given (it must
    /// have that algorithm's length), otherwise the algorithm is guessed from its length.
    /// Surrounding whitespace (a trailing newline from `$(cat file.sha256)`) is ignored; hex
    /// may be in either case.
    pub fn parse(text: &str, default: Option<Algorithm>) -> Result<Expected, String> {
        let text = text.trim();
        let (algorithm, hex_text) = match text.split_once(':') {
            Some((name, hex_text)) => (
                Algorithm::from_name(name).ok_or_else(|| UnknownAlgorithm(name.into()).to_string())?,
                hex_text,
            ),
            None => {
                let guessed = default.or_else(|| Algorithm::guess_from_hex_len(text.len()));
                let algorithm = guessed.ok_or_else(|| {
                    format!("cannot tell the algorithm of a {}-character digest; write ALGO:HEX", text.len())
                })?;
                (algorithm, text)
            }
        };
        if hex_text.len() != algorithm.hex_len() {
            return Err(format!(
                "a {} digest has {} hex characters, not {}",
                algorithm,
                algorithm.hex_len(),
                hex_text.len()
            ));
        }
        let bytes = hex::decode(hex_text).map_err(|_| format!("'{hex_text}' is not hex"))?;
        Ok(Expected { algorithm, bytes })
    }

    /// Whether a computed digest equals this one.
    pub fn matches(&self, digest: &Digest) -> bool {
        digest.algorithm == self.algorithm && digest.bytes == self.bytes
    }

    /// Lowercase hex of the expected digest.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

/// The size of the chunks [`MultiHasher`] hands to its threads.
pub const CHUNK_SIZE: usize = 1 << 20;
/// How many chunks may wait for each hashing thread before the producer blocks; this bounds
/// memory to about `(QUEUE_DEPTH + 2) * CHUNK_SIZE` whatever the input size.
const QUEUE_DEPTH: usize = 4;

/// A filled buffer shared by the hashing threads; when the last thread drops it, the buffer
/// goes back to the producer's pool instead of being freed (no page faults per chunk).
struct Chunk {
    data: Vec<u8>,
    len: usize,
    recycle: Sender<Vec<u8>>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        let _ = self.recycle.send(std::mem::take(&mut self.data));
    }
}

struct Worker {
    queue: SyncSender<Arc<Chunk>>,
    handle: JoinHandle<Digest>,
}

/// Computes several digests of one stream in a single pass, one thread per algorithm.
///
/// Feed it with [`Write`] (any slice sizes; data is gathered into [`CHUNK_SIZE`] chunks) or
/// let [`hash_stream`](MultiHasher::hash_stream) read a stream into its buffers directly.
/// Small inputs (below one chunk) are hashed on the caller's thread without starting any.
pub struct MultiHasher {
    algorithms: Vec<Algorithm>,
    workers: Vec<Worker>,
    /// Always `CHUNK_SIZE` long; `filled` bytes of it are data.
    current: Vec<u8>,
    filled: usize,
    pool: Receiver<Vec<u8>>,
    recycle: Sender<Vec<u8>>,
    total: u64,
}

/// Which side of a copy failed in [`MultiHasher::hash_stream`].
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the copy failed.
    Write(io::Error),
}

impl MultiHasher {
    /// A hasher for these algorithms (duplicates are computed once).
    pub fn new(algorithms: &[Algorithm]) -> MultiHasher {
        let mut unique: Vec<Algorithm> = Vec::new();
        for a in algorithms {
            if !unique.contains(a) {
                unique.push(*a);
            }
        }
        let (recycle, pool) = mpsc::channel();
        MultiHasher {
            algorithms: unique,
            workers: Vec::new(),
            current: Vec::new(),
            filled: 0,
            pool,
            recycle,
            total: 0,
        }
    }

    /// The algorithms, without duplicates, in the order [`finish`](Self::finish) returns them.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// How many bytes have been fed so far.
    pub fn bytes(&self) -> u64 {
        self.total
    }

    fn ensure_buffer(&mut self) {
        if self.current.len() != CHUNK_SIZE {
            self.current = match self.pool.try_recv() {
                Ok(buf) => buf,
                // Zeroed allocation is lazily mapped: no cost for pages never touched.
                Err(_) => vec![0; CHUNK_SIZE],
            };
        }
    }

    fn start_workers(&mut self) {
        for &algorithm in &self.algorithms {
            let (queue, chunks) = mpsc::sync_channel::<Arc<Chunk>>(QUEUE_DEPTH);
            let handle = std::thread::Builder::new()
                .name(format!("hash-{algorithm}"))
                .spawn(move || {
                    let mut hasher = algorithm.hasher();
                    for chunk in chunks {
                        hasher.update(&chunk.data[..chunk.len]);
                    }
                    hasher.finalize()
                })
                .expect("spawn hashing thread");
            self.workers.push(Worker { queue, handle });
        }
    }

    /// Hands the current buffer to every hashing thread; the next write takes a new one.
    fn submit(&mut self) {
        if self.filled == 0 {
            return;
        }
        if self.workers.is_empty() {
            self.start_workers();
        }
        let data = std::mem::take(&mut self.current);
        let chunk = Arc::new(Chunk { data, len: self.filled, recycle: self.recycle.clone() });
        self.filled = 0;
        for worker in &self.workers {
            // A worker only goes away by panicking; its join in finish() reports that.
            let _ = worker.queue.send(Arc::clone(&chunk));
        }
    }

    /// Adds data.
    pub fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        while !data.is_empty() {
            self.ensure_buffer();
            let n = (CHUNK_SIZE - self.filled).min(data.len());
            self.current[self.filled..self.filled + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == CHUNK_SIZE {
                self.submit();
            }
        }
    }

    /// Reads `input` to its end, hashing everything; with `copy`, every piece read is also
    /// written there at once (tee), before it is hashed. Returns the bytes read.
    pub fn hash_stream(
        &mut self,
        input: &mut dyn Read,
        mut copy: Option<&mut dyn Write>,
    ) -> Result<u64, StreamError> {
        let start = self.total;
        loop {
            self.ensure_buffer();
            // Read straight into the chunk buffer: no copy between input and hashers.
            let got = match input.read(&mut self.current[self.filled..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StreamError::Read(e)),
            };
            if let Some(out) = copy.as_deref_mut() {
                let piece = &self.current[self.filled..self.filled + got];
                out.write_all(piece).map_err(StreamError::Write)?;
            }
            self.filled += got;
            self.total += got as u64;
            if self.filled == CHUNK_SIZE {
                self.submit();
            }
        }
        Ok(self.total - start)
    }

    /// Finishes every digest, in the order of [`algorithms`](Self::algorithms).
    pub fn finish(mut self) -> Vec<Digest> {
        if self.workers.is_empty() {
            // Everything fits in one chunk: hash it here, no threads.
            let data = &self.current[..self.filled];
            return self
                .algorithms
                .iter()
                .map(|a| {
                    let mut h = a.hasher();
                    h.update(data);
                    h.finalize()
                })
                .collect();
        }
        self.submit();
        std::mem::take(&mut self.workers)
            .into_iter()
            .map(|w| {
                drop(w.queue);
                w.handle.join().expect("hashing thread panicked")
            })
            .collect()
    }
}

impl Write for MultiHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// BLAKE3 of a regular file through a memory map, hashed on the rayon pool (what b3sum
/// does; several times faster than reading on a multi-core machine).
fn blake3_mmap(path: &std::path::Path) -> io::Result<Digest> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_mmap_rayon(path)?;
    Ok(Digest { algorithm: Algorithm::Blake3, bytes: hasher.finalize().as_bytes().to_vec() })
}

/// Below this size a memory map costs more than it saves (b3sum uses the same cut-off).
const MMAP_MIN: u64 = 16 * 1024;

/// Every requested digest of a stream, read to its end in one pass: one digest per distinct
/// algorithm, in the order first asked, and the number of bytes. The one way to "hash a
/// reader" in jtools (jsum, jfetch, jspec).
pub fn hash_reader(input: &mut dyn Read, algorithms: &[Algorithm]) -> io::Result<(Vec<Digest>, u64)> {
    let mut hasher = MultiHasher::new(algorithms);
    let size = hasher.hash_stream(input, None).map_err(|e| match e {
        StreamError::Read(e) | StreamError::Write(e) => e,
    })?;
    Ok((hasher.finish(), size))
}

/// [`hash_reader`] over a file already open; when BLAKE3 is the only algorithm and `file` is
/// a regular file of at least 16 KiB, `path` is memory-mapped and hashed on all cores
/// instead (b3sum's method). `path` must name the file `file` was opened from.
pub fn hash_open_file(
    mut file: &std::fs::File,
    path: &std::path::Path,
    algorithms: &[Algorithm],
) -> io::Result<(Vec<Digest>, u64)> {
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= MMAP_MIN && algorithms.iter().all(|a| *a == Algorithm::Blake3) {
        return Ok((vec![blake3_mmap(path)?], meta.len()));
    }
    hash_reader(&mut file, algorithms)
}

/// [`hash_open_file`] of the file at `path`.
pub fn hash_file(path: &std::path::Path, algorithms: &[Algorithm]) -> io::Result<(Vec<Digest>, u64)> {
    hash_open_file(&std::fs::File::open(path)?, path, algorithms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(a: Algorithm, data: &[u8]) -> String {
        a.digest(data).to_hex()
    }

    #[test]
    fn nist_abc_vectors() {
        assert_eq!(hex_of(Algorithm::Sha1, b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex_of(Algorithm::Sha256, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex_of(Algorithm::Sha512, b"abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }

    #[test]
    fn names_and_tags_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(Algorithm::from_name(a.tag()), Some(a));
            assert_eq!(a.digest(b"").bytes.len(), a.output_len());
        }
        assert_eq!(Algorithm::from_name("SHA-256"), Some(Algorithm::Sha256));
        assert!("md5".parse::<Algorithm>().is_err());
    }

    #[test]
    fn expected_parsing() {
        let sha = hex_of(Algorithm::Sha256, b"x");
        let e = Expected::parse(&format!("{sha}\n"), None).unwrap();
        assert_eq!(e.algorithm, Algorithm::Sha256);
        let e = Expected::parse(&format!("blake3:{}", hex_of(Algorithm::Blake3, b"x")), None).unwrap();
        assert_eq!(e.algorithm, Algorithm::Blake3);
        assert!(Expected::parse("sha256:abcd", None).is_err());
        assert!(Expected::parse(&"zz".repeat(32), None).is_err());
        assert!(Expected::parse(&"a".repeat(10), None).is_err());
    }

    #[test]
    fn multi_hasher_matches_single_for_any_chunking() {
        let data: Vec<u8> = (0..(3 * CHUNK_SIZE + 12345)).map(|i| (i % 251) as u8).collect();
        let algos = Algorithm::ALL;
        let expected: Vec<Digest> = algos.iter().map(|a| a.digest(&data)).collect();
        for piece in [1usize, 4096, 1_000_003] {
            let mut m = MultiHasher::new(&algos);
            for part in data.chunks(piece) {
                m.update(part);
            }
            assert_eq!(m.finish(), expected, "piece size {piece}");
        }
        let mut m = MultiHasher::new(&algos);
        let mut copy = Vec::new();
        let n = m.hash_stream(&mut &data[..], Some(&mut copy)).unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(copy, data);
        assert_eq!(m.finish(), expected);
    }

    #[test]
    fn hash_file_takes_the_mmap_path_for_blake3_alone() {
        let dir = std::env::temp_dir().join(format!("jcore-hash-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data");
        let data: Vec<u8> = (0..(MMAP_MIN as usize * 3 + 7)).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let (d, n) = hash_file(&path, &[Algorithm::Blake3]).unwrap();
        assert_eq!((d, n), (vec![Algorithm::Blake3.digest(&data)], data.len() as u64));
        let (d, _) = hash_file(&path, &[Algorithm::Sha256, Algorithm::Blake3, Algorithm::Sha256]).unwrap();
        assert_eq!(d, vec![Algorithm::Sha256.digest(&data), Algorithm::Blake3.digest(&data)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn small_input_needs_no_threads() {
        let mut m = MultiHasher::new(&[Algorithm::Sha256, Algorithm::Sha256]);
        m.update(b"abc");
        let d = m.finish();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0], Algorithm::Sha256.digest(b"abc"));
    }
}
