//! The registry of digest algorithms, and hashing several of them in one pass.
//!
//! Every tool that hashes (jsum, jfetch, jspec, jsnap) goes through this module, so an
//! algorithm has one name, one tag and one implementation everywhere:
//!
//! | name | BSD tag | output | implementation |
//! | --- | --- | --- | --- |
//! | sha256 | SHA256 | 32 bytes | the system libcrypto ([`libcrypto`]; RustCrypto sha2 if it fails) |
//! | sha1 | SHA1 | 20 bytes | RustCrypto sha1 with SHA-NI, else libcrypto |
//! | sha512 | SHA512 | 64 bytes | libcrypto (RustCrypto sha2 if it fails) |
//! | blake3 | BLAKE3 | 32 bytes | blake3 (SIMD, rayon for big pieces) |
//! | skein256 | Skein256 | 32 bytes | [`skein`] (unrolled Threefish), Skein-256-256 (FreeBSD `skein256`) |
//! | skein512 | Skein512 | 64 bytes | [`skein`], Skein-512-512 (FreeBSD `skein512`) |
//! | skein1024 | Skein1024 | 128 bytes | [`skein`], Skein-1024-1024 (FreeBSD `skein1024`, pot `.skein`) |
//!
//! [`MultiHasher`] feeds the same chunks to one thread per algorithm (algorithms share
//! threads when there are more of them than cores), so asking for three digests costs about
//! as much wall time as the slowest one alone, and hashing overlaps with reading and writing.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use digest::DynDigest;

mod blake3_tree;
pub mod libcrypto;
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
            Algorithm::Sha256 => libcrypto_or(libcrypto::Md::Sha256, || Box::new(sha2::Sha256::default())),
            Algorithm::Sha1 if sha1_crate_is_fastest() => State::Dyn(Box::new(sha1::Sha1::default())),
            Algorithm::Sha1 => libcrypto_or(libcrypto::Md::Sha1, || Box::new(sha1::Sha1::default())),
            Algorithm::Sha512 => libcrypto_or(libcrypto::Md::Sha512, || Box::new(sha2::Sha512::default())),
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

/// libcrypto's context for `md`, or the RustCrypto hasher when libcrypto refuses one.
fn libcrypto_or(md: libcrypto::Md, rust: impl FnOnce() -> Box<dyn DynDigest + Send>) -> State {
    match libcrypto::Context::new(md) {
        Some(context) => State::Libcrypto(context),
        None => State::Dyn(rust()),
    }
}

/// Whether the sha1 crate beats libcrypto's SHA-1 on this CPU: with the SHA extensions both
/// run the same instructions and the crate is about 2% faster (no EVP layer; 1000 MiB, user
/// CPU time, AMD EPYC of issue 16: 0.559 s vs 0.573 s); without them the crate has only
/// portable code and libcrypto's AVX2/SSSE3 assembly is far ahead. (For SHA-256 libcrypto was
/// 1.6% ahead even with SHA-NI, 0.594 s vs 0.604 s, and SHA-512 has no SHA-NI.)
fn sha1_crate_is_fastest() -> bool {
    sha_extensions()
}

/// Whether the CPU has the SHA extensions (SHA-NI) the sha1 crate and libcrypto use.
fn sha_extensions() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("sha") && std::is_x86_feature_detected!("sse4.1")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

enum State {
    Dyn(Box<dyn DynDigest + Send>),
    Libcrypto(libcrypto::Context),
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

    /// Adds data. BLAKE3 hashes pieces of 128 KiB or more on the rayon pool.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Blake3(b) if data.len() >= BLAKE3_RAYON_MIN => {
                b.update_rayon(data);
            }
            _ => self.update_on_this_thread(data),
        }
    }

    /// Adds data, hashing on the calling thread only (BLAKE3 still uses SIMD).
    fn update_on_this_thread(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Dyn(d) => d.update(data),
            State::Libcrypto(c) => c.update(data),
            State::Blake3(b) => {
                b.update(data);
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
            State::Libcrypto(c) => c.finalize(),
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

/// The size of the chunks [`MultiHasher`] reads and hands to its threads.
pub const CHUNK_SIZE: usize = 1 << 20;
/// How many chunks may wait for each hashing thread before the producer blocks; this bounds
/// memory to about `(QUEUE_DEPTH + threads + 1) * CHUNK_SIZE` whatever the input size. Deep
/// enough that a hashing thread descheduled for a few time slices (three threads share two
/// cores) still finds work queued when it runs again.
const QUEUE_DEPTH: usize = 8;
/// The size of the pieces of a regular file [`hash_open_file`] maps, and how many may be
/// wait for each thread: about `(MAP_DEPTH + threads + 1) * MAP_CHUNK` of the file is mapped
/// at any time (a piece is unmapped when the last thread is done with it), so the resident
/// size stays bounded on a 100 GiB file.
const MAP_CHUNK: usize = 4 << 20;
const MAP_DEPTH: usize = 8;

/// The slice of a piece that every algorithm of a thread (its group, and a BLAKE3 subtree it
/// took) hashes in turn: small enough to stay in a core's L2 (1 MiB on the EPYC of issue 16,
/// 256 KiB on older Intel) between the first algorithm, which brings it from memory, and the
/// others.
const GROUP_SLICE: usize = 128 * 1024;

/// The number of hashing threads a [`MultiHasher`] may start, 0 for "the cores this process
/// may run on"; see [`set_hashing_threads`].
static HASHING_THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Caps the threads of every [`MultiHasher`] of this process (jsum `-T N`); 0 means the
/// cores it may run on. With more algorithms than threads, algorithms share threads.
pub fn set_hashing_threads(threads: usize) {
    HASHING_THREADS.store(threads, std::sync::atomic::Ordering::Relaxed);
}

fn hashing_threads() -> usize {
    match HASHING_THREADS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => crate::threads::resolve(None),
        n => n,
    }
}

impl Algorithm {
    /// About what hashing one byte costs on this CPU, in cycles: only the ratios matter, for
    /// sharing threads out ([`thread_groups`]). Measured with jsum on the AMD EPYC of issue 16
    /// (SHA-NI, AVX-512; 400 MiB, CPU time of each hashing thread: sha256 0.29 s, sha1 0.26,
    /// sha512 0.68, blake3 0.06 from L2, skein256 1.17, skein512 0.89, skein1024 1.07);
    /// without the SHA extensions, libcrypto's AVX2 code as OpenSSL's own numbers give it.
    fn relative_cost(self) -> f64 {
        let sha_ni = sha_extensions();
        match self {
            Algorithm::Sha256 if sha_ni => 1.6,
            Algorithm::Sha256 => 8.5,
            Algorithm::Sha1 if sha_ni => 1.45,
            Algorithm::Sha1 => 3.8,
            Algorithm::Sha512 if sha_ni => 3.75,
            Algorithm::Sha512 => 5.5,
            Algorithm::Blake3 => 0.35,
            Algorithm::Skein256 => 6.5,
            Algorithm::Skein512 => 4.9,
            Algorithm::Skein1024 => 5.9,
        }
    }
}

/// Shares `algorithms` out among at most `threads` threads so that the busiest thread has as
/// little to do as possible: one thread each while there are threads enough, otherwise the
/// costliest first, each to the least loaded thread (LPT). BLAKE3 beside others on too few
/// threads is not grouped at all: every thread takes BLAKE3 subtrees as it goes
/// ([`blake3_tree`]), so on 2 cores sha256+sha1+blake3 is sha256 | sha1 with BLAKE3 split
/// between them (perf on the EPYC of issue 16, 400 MiB, one round: 0.32 and 0.31 s of CPU
/// per thread, where three threads time-sharing two cores needed 0.27, 0.27 and 0.13 s plus
/// the switching, and BLAKE3 grouped with SHA-1 made that thread 0.35 s).
fn thread_groups(algorithms: &[Algorithm], threads: usize) -> Vec<Vec<Algorithm>> {
    let threads = threads.clamp(1, algorithms.len().max(1));
    if threads == algorithms.len() {
        return algorithms.iter().map(|a| vec![*a]).collect();
    }
    let mut by_cost = algorithms.to_vec();
    by_cost.sort_by(|a, b| b.relative_cost().total_cmp(&a.relative_cost()));
    let mut groups: Vec<(f64, Vec<Algorithm>)> = vec![(0.0, Vec::new()); threads];
    for a in by_cost {
        let lightest = groups.iter_mut().min_by(|x, y| x.0.total_cmp(&y.0)).expect("threads >= 1");
        lightest.0 += a.relative_cost();
        lightest.1.push(a);
    }
    groups.into_iter().map(|(_, g)| g).filter(|g| !g.is_empty()).collect()
}

/// The body of a hashing thread: every piece with each algorithm of `group`, and, when
/// `tree` is given, the BLAKE3 subtree of each piece no other thread has taken.
fn hash_pieces(
    group: &[Algorithm],
    pieces: Receiver<Arc<Piece>>,
    parallel: bool,
    tree: Option<&blake3_tree::Tree>,
) -> Vec<Digest> {
    use std::sync::atomic::Ordering;
    let mut hashers: Vec<Hasher> = group.iter().map(|a| a.hasher()).collect();
    for piece in pieces {
        let bytes = piece.chunk.bytes();
        let mut blake3 = match tree {
            Some(_) if !piece.blake3_taken.swap(true, Ordering::Relaxed) => {
                Some(blake3_tree::piece_hasher(piece.offset))
            }
            _ => None,
        };
        if parallel {
            hashers[0].update(bytes);
        } else if let ([hasher], None) = (hashers.as_mut_slice(), &blake3) {
            hasher.update_on_this_thread(bytes);
        } else {
            // Every algorithm takes the same cache-sized slice in turn: the first reads it
            // from memory, the others from L2.
            for slice in bytes.chunks(GROUP_SLICE) {
                for hasher in &mut hashers {
                    hasher.update_on_this_thread(slice);
                }
                if let Some(b) = &mut blake3 {
                    b.update(slice);
                }
            }
        }
        if let (Some(tree), Some(b)) = (tree, blake3) {
            tree.add(piece.offset, bytes.len() as u64, b);
        }
    }
    hashers.into_iter().map(Hasher::finalize).collect()
}

/// A piece of the input shared read-only by the hashing threads.
enum Chunk {
    /// A buffer of the reader's pool; when the last thread drops it, the buffer goes back to
    /// the pool instead of being freed (no page faults per chunk).
    Buffer(PooledBuffer),
    /// A read-only map of part of a regular file (no copy at all; see [`hash_open_file`]).
    Mapped(memmap2::Mmap),
}

struct PooledBuffer {
    data: Vec<u8>,
    len: usize,
    recycle: Sender<Vec<u8>>,
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        let _ = self.recycle.send(std::mem::take(&mut self.data));
    }
}

impl Chunk {
    fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Buffer(b) => &b.data[..b.len],
            Chunk::Mapped(m) => m,
        }
    }
}

/// A chunk on its way to the hashing threads, with where it starts in the input.
struct Piece {
    chunk: Chunk,
    offset: u64,
    /// Set by the thread that hashes this piece's BLAKE3 subtree, when BLAKE3 is shared
    /// ([`blake3_tree`]).
    blake3_taken: std::sync::atomic::AtomicBool,
}

struct Worker {
    queue: SyncSender<Arc<Piece>>,
    /// The digests of the thread's group of algorithms.
    handle: JoinHandle<Vec<Digest>>,
}

/// Computes several digests of one stream in a single pass, one thread per algorithm, or
/// per group of algorithms when there are more algorithms than cores ([`thread_groups`]).
///
/// Feed it with [`Write`] (any slice sizes; data is gathered into [`CHUNK_SIZE`] chunks) or
/// let [`hash_stream`](MultiHasher::hash_stream) read a stream into its buffers directly.
/// Small inputs (below one chunk) are hashed on the caller's thread without starting any.
///
/// Every thread gets the same chunks (shared, never copied), so the threads run in step, at
/// the pace of the slowest thread. With more algorithms than cores, a thread hashes every
/// slice of a chunk with each algorithm of its group in turn, so the cores are not
/// time-shared between hashing threads, and BLAKE3 is split between the threads by subtrees
/// ([`blake3_tree`]).
/// BLAKE3 hashes each chunk on its own thread here (no rayon) unless it is alone in a plain
/// hash ([`hash_reader`]): beside other digests, or in a pipe (`--tee`, jfetch), the cores
/// are busy already and rayon's workers, which spin a while before they sleep, could only
/// take time from them.
pub struct MultiHasher {
    algorithms: Vec<Algorithm>,
    workers: Vec<Worker>,
    /// Always `CHUNK_SIZE` long; `filled` bytes of it are data.
    current: Vec<u8>,
    filled: usize,
    pool: Receiver<Vec<u8>>,
    recycle: Sender<Vec<u8>>,
    total: u64,
    /// Hash BLAKE3 chunks on the rayon pool (BLAKE3 alone, nothing else running beside).
    parallel_blake3: bool,
    /// At most this many hashing threads ([`set_hashing_threads`]).
    threads: usize,
    /// Bytes handed to the threads so far: the offset of the next piece.
    submitted: u64,
    /// BLAKE3's subtrees when the hashing threads share it.
    shared_blake3: Option<Arc<blake3_tree::Tree>>,
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
            parallel_blake3: false,
            threads: hashing_threads(),
            submitted: 0,
            shared_blake3: None,
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

    fn start_workers(&mut self, depth: usize) {
        let parallel = self.parallel_blake3 && self.algorithms == [Algorithm::Blake3];
        let others: Vec<Algorithm> =
            self.algorithms.iter().copied().filter(|a| *a != Algorithm::Blake3).collect();
        // BLAKE3 beside other digests on fewer threads than algorithms: its pieces go to
        // whichever thread reaches them first (see blake3_tree).
        let share_blake3 = others.len() + 1 == self.algorithms.len() && self.threads < self.algorithms.len();
        let groups = if share_blake3 {
            self.shared_blake3 = Some(Arc::new(blake3_tree::Tree::default()));
            thread_groups(&others, self.threads)
        } else {
            thread_groups(&self.algorithms, self.threads)
        };
        for group in groups {
            let (queue, pieces) = mpsc::sync_channel::<Arc<Piece>>(depth);
            let tree = self.shared_blake3.clone();
            let name: Vec<&str> = group.iter().map(|a| a.name()).collect();
            let handle = std::thread::Builder::new()
                .name(format!("hash-{}", name.join("+")))
                .spawn(move || hash_pieces(&group, pieces, parallel, tree.as_deref()))
                .expect("spawn hashing thread");
            self.workers.push(Worker { queue, handle });
        }
    }

    /// Hands a chunk to every hashing thread, starting them first if needed.
    fn send(&mut self, chunk: Chunk, depth: usize) {
        if self.workers.is_empty() {
            self.start_workers(depth);
        }
        let offset = self.submitted;
        let len = chunk.bytes().len();
        // What makes every piece but the last a whole BLAKE3 subtree (blake3_tree): a short
        // piece followed by another would break it, and must not give a wrong digest.
        assert!(
            offset.is_multiple_of(CHUNK_SIZE as u64)
                && (len != MAP_CHUNK || offset.is_multiple_of(MAP_CHUNK as u64)),
            "piece of {len} bytes at {offset}: only the last piece may be short"
        );
        self.submitted += len as u64;
        let chunk = Arc::new(Piece { chunk, offset, blake3_taken: Default::default() });
        for worker in &self.workers {
            // A worker only goes away by panicking; its join in finish() reports that.
            let _ = worker.queue.send(Arc::clone(&chunk));
        }
    }

    /// Hands the current buffer to every hashing thread; the next write takes a new one.
    fn submit(&mut self) {
        if self.filled == 0 {
            return;
        }
        let data = std::mem::take(&mut self.current);
        let chunk = Chunk::Buffer(PooledBuffer { data, len: self.filled, recycle: self.recycle.clone() });
        self.filled = 0;
        self.send(chunk, QUEUE_DEPTH);
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

    /// [`hash_stream`](Self::hash_stream) with a copy, for the case where `input` and
    /// `output` are both pipes (`… | jsum --tee | …`): each piece is duplicated into `output`
    /// with tee(2), which only adds references to the kernel's pipe pages, and then read
    /// once, for the hashers. A plain read-then-write copies every byte twice; this copies it
    /// once, so jsum in the middle of a pipe costs less than a `cat` there (the rows of
    /// bench/jsum_gaps.sh). `progress` is told each piece's size.
    ///
    /// Returns `Ok(None)` before anything is moved when tee(2) does not apply (not two pipes,
    /// not Linux): the caller then uses `hash_stream`, which reports any real error itself.
    pub fn tee_pipes(
        &mut self,
        input: std::os::fd::BorrowedFd<'_>,
        output: std::os::fd::BorrowedFd<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Option<u64>, StreamError> {
        #[cfg(target_os = "linux")]
        {
            use rustix::io::Errno;
            let start = self.total;
            loop {
                self.ensure_buffer();
                let room = CHUNK_SIZE - self.filled;
                let n = match rustix::pipe::tee(input, output, room, rustix::pipe::SpliceFlags::empty()) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(Errno::INTR) => continue,
                    Err(Errno::PIPE) => return Err(StreamError::Write(Errno::PIPE.into())),
                    // EINVAL: not two pipes (or the same pipe twice); anything else before the
                    // first byte: let the ordinary path meet it and name it.
                    Err(_) if self.total == start => return Ok(None),
                    Err(e) => return Err(StreamError::Write(e.into())),
                };
                // The n bytes duplicated are still in `input` (tee does not consume) and no
                // one else reads it: take exactly those.
                let mut got = 0;
                while got < n {
                    let piece = &mut self.current[self.filled + got..self.filled + n];
                    match rustix::io::read(input, piece) {
                        Ok(0) => {
                            return Err(StreamError::Read(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "the pipe lost data it had just duplicated (another reader?)",
                            )));
                        }
                        Ok(k) => got += k,
                        Err(Errno::INTR) => {}
                        Err(e) => return Err(StreamError::Read(e.into())),
                    }
                }
                self.filled += n;
                self.total += n as u64;
                progress(n as u64);
                if self.filled == CHUNK_SIZE {
                    self.submit();
                }
            }
            Ok(Some(self.total - start))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (input, output, progress);
            Ok(None)
        }
    }

    /// Hashes the regular file `file` from offset 0 to its end through read-only maps of
    /// [`MAP_CHUNK`] bytes, each prefaulted by this thread (MAP_POPULATE) while the hashing
    /// threads work on the previous ones. Past the size `fstat` gave at the start, or as soon
    /// as the file is seen shorter than that, it goes on with `pread` to the real end, so a
    /// file growing or shrinking meanwhile is hashed as far as reading it would (a shrink
    /// between the check and the hashing of a mapped piece remains the race b3sum has too:
    /// SIGBUS). Returns the bytes hashed.
    fn hash_mapped(&mut self, file: &std::fs::File) -> io::Result<u64> {
        debug_assert!(self.total == 0 && self.filled == 0);
        let mut offset: u64 = 0;
        loop {
            let len = file.metadata()?.len();
            if offset >= len || len - offset < MAP_CHUNK as u64 {
                break;
            }
            // SAFETY: the map is read-only and only ever read; the file may change under it
            // (documented above), which is what every mmap-based hasher accepts.
            let map =
                unsafe { memmap2::MmapOptions::new().offset(offset).len(MAP_CHUNK).populate().map(file)? };
            self.send(Chunk::Mapped(map), MAP_DEPTH);
            offset += MAP_CHUNK as u64;
            self.total = offset;
        }
        let mut rest = ReadAt { file, offset };
        self.hash_stream(&mut rest, None).map_err(|e| match e {
            StreamError::Read(e) | StreamError::Write(e) => e,
        })?;
        Ok(self.total)
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
        let mut digests: Vec<Digest> = std::mem::take(&mut self.workers)
            .into_iter()
            .flat_map(|w| {
                drop(w.queue);
                w.handle.join().expect("hashing thread panicked")
            })
            .collect();
        if let Some(tree) = self.shared_blake3.take() {
            let tree = Arc::into_inner(tree).expect("every hashing thread has ended");
            digests.push(Digest { algorithm: Algorithm::Blake3, bytes: tree.finalize().to_vec() });
        }
        // The groups mix the order; give it back.
        self.algorithms
            .iter()
            .map(|a| digests.iter().find(|d| d.algorithm == *a).expect("a digest per algorithm").clone())
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

/// Reads a file with `pread` from a position of its own (the file's offset is left alone).
struct ReadAt<'a> {
    file: &'a std::fs::File,
    offset: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
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
    // Nothing else runs beside a plain hash: BLAKE3 alone may take every core.
    hasher.parallel_blake3 = true;
    let size = hasher.hash_stream(input, None).map_err(|e| match e {
        StreamError::Read(e) | StreamError::Write(e) => e,
    })?;
    Ok((hasher.finish(), size))
}

/// [`hash_reader`] over a file already open. When `file` is a regular file of at least
/// 16 KiB it is memory-mapped instead of read (no copy from the page cache): BLAKE3 alone is
/// hashed on all cores (b3sum's method, through `path`, which must name the file `file` was
/// opened from); other sets of algorithms get the mapped pieces on their threads as they
/// would get read chunks. Either way the file is hashed from offset 0.
pub fn hash_open_file(
    file: &std::fs::File,
    path: &std::path::Path,
    algorithms: &[Algorithm],
) -> io::Result<(Vec<Digest>, u64)> {
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= MMAP_MIN {
        if algorithms.iter().all(|a| *a == Algorithm::Blake3) {
            return Ok((vec![blake3_mmap(path)?], meta.len()));
        }
        let mut hasher = MultiHasher::new(algorithms);
        let size = hasher.hash_mapped(file)?;
        return Ok((hasher.finish(), size));
    }
    let mut file = file;
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
    fn libcrypto_agrees_with_rustcrypto_at_every_length_and_split() {
        use digest::Digest as _;
        let data: Vec<u8> = (0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let lengths = (0..=300).chain([511, 512, 513, 1023, 1024, 1025, 65_535, 65_536, 70_000]);
        for len in lengths {
            let input = &data[..len];
            let rust: [(libcrypto::Md, Vec<u8>); 3] = [
                (libcrypto::Md::Sha1, sha1::Sha1::digest(input).to_vec()),
                (libcrypto::Md::Sha256, sha2::Sha256::digest(input).to_vec()),
                (libcrypto::Md::Sha512, sha2::Sha512::digest(input).to_vec()),
            ];
            for (md, want) in rust {
                for split in [0, len / 3, len.saturating_sub(1)] {
                    let mut c = libcrypto::Context::new(md).expect("libcrypto context");
                    c.update(&input[..split]);
                    c.update(&input[split..]);
                    assert_eq!(c.finalize(), want, "{md:?} of {len} bytes split at {split}");
                }
            }
        }
    }

    #[test]
    fn sha512_vectors_through_the_registry() {
        // FIPS 180-2 appendix C (896-bit message) and the empty string, through whatever
        // implementation Algorithm::hasher picked on this CPU.
        let msg = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        assert_eq!(
            hex_of(Algorithm::Sha512, msg),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
             501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        );
        assert_eq!(
            hex_of(Algorithm::Sha512, b""),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
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
    fn mapped_pieces_and_the_read_tail_give_the_digests_of_the_whole_file() {
        let dir = std::env::temp_dir().join(format!("jcore-hash-mapped-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let algorithms = [Algorithm::Sha256, Algorithm::Sha1, Algorithm::Blake3, Algorithm::Skein512];
        for len in [MAP_CHUNK - 1, MAP_CHUNK, 2 * MAP_CHUNK + CHUNK_SIZE + 12_345] {
            let path = dir.join(format!("data{len}"));
            let data: Vec<u8> = (0..len).map(|i| (i % 241) as u8 ^ (i >> 12) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            let want: Vec<Digest> = algorithms.iter().map(|a| a.digest(&data)).collect();
            assert_eq!(hash_file(&path, &algorithms).unwrap(), (want, len as u64), "{len} bytes");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn algorithms_share_threads_only_when_there_are_more_of_them_than_threads() {
        use Algorithm::*;
        assert_eq!(thread_groups(&[Sha256, Sha1, Blake3], 3), [[Sha256], [Sha1], [Blake3]]);
        assert_eq!(thread_groups(&[Sha256, Sha1, Blake3], 8), [[Sha256], [Sha1], [Blake3]]);
        assert_eq!(thread_groups(&[Sha256, Sha1, Blake3], 1), [vec![Sha256, Sha1, Blake3]]);
        assert_eq!(thread_groups(&[Sha256, Sha1], 2), [[Sha256], [Sha1]]);
        // The costliest alone, BLAKE3 beside the cheaper SHA, whatever the CPU.
        assert_eq!(thread_groups(&[Sha256, Sha512, Blake3], 2).len(), 2);
        let groups = thread_groups(&[Blake3, Sha256, Sha1], 2);
        assert_eq!(groups.len(), 2);
        assert!(groups.iter().any(|g| g.len() == 1 && g[0] != Blake3), "{groups:?}");
        let all = thread_groups(&Algorithm::ALL, 2);
        assert_eq!(all.iter().map(Vec::len).sum::<usize>(), Algorithm::ALL.len());
    }

    #[test]
    fn shared_threads_give_every_digest_in_the_order_asked_at_any_boundary() {
        // Lengths around the chunk and the group slice, fed in pieces that straddle both.
        let data: Vec<u8> = (0..(2 * CHUNK_SIZE + GROUP_SLICE + 77)).map(|i| (i * 7 % 255) as u8).collect();
        let algorithms = [Algorithm::Blake3, Algorithm::Sha1, Algorithm::Skein256, Algorithm::Sha256];
        for len in [CHUNK_SIZE, CHUNK_SIZE + 1, CHUNK_SIZE + GROUP_SLICE - 1, data.len()] {
            let input = &data[..len];
            let want: Vec<Digest> = algorithms.iter().map(|a| a.digest(input)).collect();
            for threads in [1, 2, 3] {
                let mut m = MultiHasher::new(&algorithms);
                m.threads = threads;
                for piece in input.chunks(GROUP_SLICE + 3) {
                    m.update(piece);
                }
                assert_eq!(m.finish(), want, "{len} bytes on {threads} threads");
            }
        }
    }

    #[test]
    fn blake3_shared_by_subtrees_equals_blake3_hash_at_every_piece_boundary() {
        // One piece (the root is then that piece's own hash), exact multiples, a short last
        // piece of one byte and of one chunk, pieces that are 4 MiB maps then 1 MiB buffers.
        let data: Vec<u8> =
            (0..(3 * MAP_CHUNK + 2 * CHUNK_SIZE + 1500)).map(|i| (i * 13 % 251) as u8).collect();
        let lens = [
            CHUNK_SIZE - 1,
            CHUNK_SIZE,
            CHUNK_SIZE + 1,
            CHUNK_SIZE + 1024,
            2 * CHUNK_SIZE,
            3 * CHUNK_SIZE + 5,
            MAP_CHUNK + CHUNK_SIZE + 1,
            data.len(),
        ];
        let algorithms = [Algorithm::Sha1, Algorithm::Blake3, Algorithm::Sha256];
        for len in lens {
            let input = &data[..len];
            let want: Vec<Digest> = algorithms.iter().map(|a| a.digest(input)).collect();
            assert_eq!(want[1].bytes, blake3::hash(input).as_bytes());
            for threads in [1, 2] {
                let mut m = MultiHasher::new(&algorithms);
                m.threads = threads;
                m.update(input);
                assert_eq!(m.finish(), want, "{len} bytes from a stream on {threads} threads");
            }
        }
        // Mapped pieces and their read tail, through a file.
        let dir = std::env::temp_dir().join(format!("jcore-blake3-tree-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for len in [MAP_CHUNK, 2 * MAP_CHUNK, 2 * MAP_CHUNK + 1, data.len()] {
            let path = dir.join(format!("data{len}"));
            std::fs::write(&path, &data[..len]).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let mut m = MultiHasher::new(&algorithms);
            m.threads = 2;
            assert_eq!(m.hash_mapped(&file).unwrap(), len as u64);
            let want: Vec<Digest> = algorithms.iter().map(|a| a.digest(&data[..len])).collect();
            assert_eq!(m.finish(), want, "{len} bytes mapped");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn blake3_subtrees_join_in_any_order_of_arrival() {
        // The threads finish pieces out of order; the tree waits for the left ones.
        let data: Vec<u8> = (0..(5 * CHUNK_SIZE + 77)).map(|i| (i * 31 % 253) as u8).collect();
        let pieces: Vec<(usize, &[u8])> =
            data.chunks(CHUNK_SIZE).enumerate().map(|(i, p)| (i * CHUNK_SIZE, p)).collect();
        for order in [vec![0, 1, 2, 3, 4, 5], vec![5, 4, 3, 2, 1, 0], vec![1, 0, 3, 5, 2, 4]] {
            let tree = blake3_tree::Tree::default();
            for i in order {
                let (offset, piece) = pieces[i];
                let mut hasher = blake3_tree::piece_hasher(offset as u64);
                hasher.update(piece);
                tree.add(offset as u64, piece.len() as u64, hasher);
            }
            assert_eq!(&tree.finalize(), blake3::hash(&data).as_bytes());
        }
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
