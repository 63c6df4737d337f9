//! Ed25519 signatures in the two file formats operators already use: minisign and OpenBSD
//! signify.
//!
//! Both formats share their key material and their public key file — `untrusted comment: …`
//! then base64 of `"Ed" | key id (8 bytes) | Ed25519 public key (32 bytes)` — so one
//! [`PublicKey`] verifies either kind of signature. They differ in the signature file and
//! the secret key file:
//!
//! | | minisign `.minisig` | signify `.sig` |
//! | --- | --- | --- |
//! | signed bytes | BLAKE2b-512 of the data (`ED`, default) or the data itself (`Ed`, legacy) | the data itself |
//! | trusted comment | signed together with the signature (a second, "global" signature) | none |
//! | secret key | 158 bytes; optionally encrypted by XOR with scrypt output | 104 bytes; optionally bcrypt_pbkdf |
//!
//! [`Verifier`] and [`Signer`] take the data in pieces, so a caller that streams (jsum
//! `--tee`, jfetch while downloading) can verify or sign without a second pass. Minisign's
//! prehashed mode needs only the running BLAKE2b state; the legacy mode and signify sign the
//! message itself, so those modes collect it in memory up to [`WHOLE_MESSAGE_MAX`] (signify
//! itself reads the whole message into memory); [`verify_file`] maps a regular file instead.
//!
//! The Ed25519 arithmetic is ring's (already in the build through rustls); BLAKE2b and
//! scrypt are RustCrypto's. The file formats are a few fixed-size binary records in base64
//! lines, parsed here by hand with every length checked (see [`minisign`] and [`signify`];
//! `lib/tests/sign_fuzz.rs` fuzzes them). Secret key bytes live in [`Zeroizing`] buffers
//! and never appear in `Debug` output.
//!
//! For a caller that holds a public key and a signature file (jfetch `--pubkey`):
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jcore::sign::{PublicKey, Signature, verify_file};
//! let key = PublicKey::parse(&std::fs::read("release.pub")?)?;
//! let signature = Signature::parse(&std::fs::read("web.ajspec.minisig")?)?;
//! let verified = verify_file(&key, &signature, std::path::Path::new("web.ajspec"))?;
//! println!("trusted comment: {}", verified.trusted_comment_lossy());
//! # Ok(()) }
//! ```

pub mod minisign;
pub mod signify;

use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;

use ::digest::Digest as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::rand::SecureRandom as _;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
pub use zeroize::Zeroizing;

/// Legacy minisign and signify signatures sign the message itself, which has to be in
/// memory at once; a stream longer than this is refused rather than filling memory.
pub const WHOLE_MESSAGE_MAX: usize = 1 << 30;

/// The `untrusted comment: ` that starts every key and signature file of both formats.
pub const UNTRUSTED_PREFIX: &str = "untrusted comment: ";

/// Lines of key and signature files are short (minisign allows 1024-byte untrusted and
/// 8192-byte trusted comments); a longer line is a malformed file, not something to
/// allocate for.
const MAX_LINE: usize = 16 * 1024;

/// The eight random bytes that name a key pair; a signature carries its key's id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    /// Minisign's spelling: the id as a little-endian 64-bit number in upper-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A malformed key or signature file: which line, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// The 1-based line number, 0 when the problem is the file as a whole.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl FormatError {
    fn new(line: usize, reason: impl Into<String>) -> FormatError {
        FormatError { line, reason: reason.into() }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.reason)
        } else {
            write!(f, "line {}: {}", self.line, self.reason)
        }
    }
}

impl std::error::Error for FormatError {}

/// Why a signature did not verify: a negative answer (exit 1), not a malformed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The signature was made by another key than the one given.
    WrongKeyId {
        /// The key id in the signature.
        signature: KeyId,
        /// The key id of the public key.
        key: KeyId,
    },
    /// The Ed25519 signature does not match the data: the data or the signature changed.
    BadSignature,
    /// The trusted comment's signature does not match: the trusted comment changed.
    BadTrustedComment,
    /// A legacy or signify signature over a stream too large to hold in memory.
    TooLarge,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::WrongKeyId { signature, key } => {
                write!(f, "wrong key id: signed by key {signature}, the public key is {key}")
            }
            VerifyError::BadSignature => f.write_str("bad signature: the data or the signature was changed"),
            VerifyError::BadTrustedComment => {
                f.write_str("bad trusted comment signature: the trusted comment was changed")
            }
            VerifyError::TooLarge => write!(
                f,
                "message longer than {} MiB: legacy and signify signatures need it in memory (give a file)",
                WHOLE_MESSAGE_MAX >> 20
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Why a secret key could not be loaded.
#[derive(Debug)]
pub enum KeyError {
    /// The file is malformed.
    Format(FormatError),
    /// The key is encrypted and no password was given.
    NeedsPassword,
    /// The password does not decrypt the key (its checksum does not match).
    WrongPassword,
    /// A well-formed key this implementation does not handle.
    Unsupported(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Format(e) => e.fmt(f),
            KeyError::NeedsPassword => f.write_str("the secret key is encrypted: give its password"),
            KeyError::WrongPassword => f.write_str("wrong password for this secret key"),
            KeyError::Unsupported(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for KeyError {}

impl From<FormatError> for KeyError {
    fn from(e: FormatError) -> Self {
        KeyError::Format(e)
    }
}

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// minisign: `.minisig` with trusted comment, scrypt-encrypted secret keys.
    Minisign,
    /// OpenBSD signify: `.sig`, bcrypt_pbkdf-encrypted secret keys.
    Signify,
}

/// What the Ed25519 signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// minisign `ED`: the BLAKE2b-512 digest of the data (minisign's default since 0.8).
    Prehashed,
    /// minisign `Ed`: the data itself (`minisign -l`).
    Legacy,
    /// signify: the data itself, no trusted comment.
    Signify,
}

/// An Ed25519 public key with its key id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PublicKey {
    /// The key id signatures name.
    pub key_id: KeyId,
    /// The Ed25519 public key.
    pub key: [u8; 32],
}

impl PublicKey {
    /// Parses a public key file of either format (`untrusted comment:` line, base64 line),
    /// or a bare base64 key string as `minisign -P` takes it.
    pub fn parse(text: &[u8]) -> Result<PublicKey, FormatError> {
        let lines = Lines::split(text)?;
        match lines.get(0) {
            Some(first) if first.starts_with(UNTRUSTED_PREFIX.as_bytes()) => {
                let line = lines.get(1).ok_or_else(|| FormatError::new(2, "missing: the base64 key line"))?;
                PublicKey::decode(line, 2)
            }
            Some(first) if lines.len() == 1 => PublicKey::decode(first, 1),
            Some(_) => Err(FormatError::new(1, "expected 'untrusted comment: …'")),
            None => Err(FormatError::new(0, "empty public key file")),
        }
    }

    /// Parses the base64 string of a public key (`RWQ…`, as `minisign -P` takes it).
    pub fn from_base64(text: &str) -> Result<PublicKey, FormatError> {
        PublicKey::decode(text.trim().as_bytes(), 1)
    }

    fn decode(line: &[u8], number: usize) -> Result<PublicKey, FormatError> {
        let raw = decode_base64_line(line, 42, number, "public key")?;
        if &raw[..2] != b"Ed" {
            return Err(FormatError::new(number, "not an Ed25519 public key (algorithm is not 'Ed')"));
        }
        Ok(PublicKey { key_id: KeyId(raw[2..10].try_into().unwrap()), key: raw[10..42].try_into().unwrap() })
    }

    /// The base64 string (`minisign -P` form).
    pub fn to_base64(&self) -> String {
        let mut raw = Vec::with_capacity(42);
        raw.extend_from_slice(b"Ed");
        raw.extend_from_slice(&self.key_id.0);
        raw.extend_from_slice(&self.key);
        BASE64.encode(raw)
    }

    /// The public key file, as minisign and signify write it.
    pub fn to_file(&self, untrusted_comment: &str) -> String {
        format!("{UNTRUSTED_PREFIX}{}\n{}\n", one_line(untrusted_comment), self.to_base64())
    }

    fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.key).verify(message, signature).is_ok()
    }
}

/// An Ed25519 secret key with its key id. Its bytes are wiped when it is dropped and never
/// printed by `Debug`.
pub struct SecretKey {
    /// The key id.
    pub key_id: KeyId,
    /// The 32-byte seed followed by the 32-byte public key, as both formats store it.
    keypair: Zeroizing<[u8; 64]>,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}, <redacted>)", self.key_id)
    }
}

impl SecretKey {
    /// A new random key pair and key id, from the operating system's random source.
    pub fn generate() -> io::Result<SecretKey> {
        let random = ring::rand::SystemRandom::new();
        let mut seed = Zeroizing::new([0u8; 32]);
        let mut key_id = [0u8; 8];
        random.fill(&mut *seed).map_err(|_| io::Error::other("no random numbers"))?;
        random.fill(&mut key_id).map_err(|_| io::Error::other("no random numbers"))?;
        SecretKey::from_seed(&seed, KeyId(key_id))
    }

    /// The key pair of a given 32-byte seed (tests use fixed seeds).
    pub fn from_seed(seed: &[u8; 32], key_id: KeyId) -> io::Result<SecretKey> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| io::Error::other(e.to_string()))?;
        let mut keypair = Zeroizing::new([0u8; 64]);
        keypair[..32].copy_from_slice(seed);
        keypair[32..].copy_from_slice(pair.public_key().as_ref());
        Ok(SecretKey { key_id, keypair })
    }

    /// Checks that the stored public half belongs to the seed (a corrupt key file would
    /// otherwise make signatures nobody can verify).
    fn from_keypair(key_id: KeyId, keypair: Zeroizing<[u8; 64]>) -> Result<SecretKey, KeyError> {
        Ed25519KeyPair::from_seed_and_public_key(&keypair[..32], &keypair[32..]).map_err(|_| {
            KeyError::Format(FormatError::new(2, "the secret key does not match its public half"))
        })?;
        Ok(SecretKey { key_id, keypair })
    }

    /// Loads a secret key file of either format; `password` decrypts an encrypted one.
    pub fn parse(text: &[u8], password: Option<&[u8]>) -> Result<SecretKey, KeyError> {
        match secret_key_format(text)? {
            Format::Minisign => minisign::parse_secret_key(text, password),
            Format::Signify => signify::parse_secret_key(text, password),
        }
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey { key_id: self.key_id, key: self.keypair[32..].try_into().unwrap() }
    }

    fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        let pair = Ed25519KeyPair::from_seed_and_public_key(&self.keypair[..32], &self.keypair[32..])
            .expect("checked when the key was loaded");
        pair.sign(message).as_ref().try_into().unwrap()
    }

    /// Signs a message held in memory.
    pub fn sign(&self, mode: Mode, message: &[u8], comments: &Comments) -> Result<Signature, VerifyError> {
        let mut signer = Signer::new(self, mode);
        signer.update(message)?;
        Ok(signer.finish(comments))
    }
}

/// Which format a secret key file is in, told by its decoded length (158 bytes minisign,
/// 104 signify).
pub fn secret_key_format(text: &[u8]) -> Result<Format, FormatError> {
    let lines = Lines::split(text)?;
    lines.untrusted_comment(0)?;
    let line = lines.get(1).ok_or_else(|| FormatError::new(2, "missing: the base64 key line"))?;
    let raw = decode_base64_any(line, 2)?;
    match raw.len() {
        minisign::SECRET_KEY_LEN => Ok(Format::Minisign),
        signify::SECRET_KEY_LEN => Ok(Format::Signify),
        n => Err(FormatError::new(
            2,
            format!("{n} bytes is neither a minisign (158) nor a signify (104) secret key"),
        )),
    }
}

/// The comments a new signature carries.
#[derive(Clone, Debug)]
pub struct Comments {
    /// The untrusted comment (not signed).
    pub untrusted: String,
    /// The trusted comment (signed; minisign only).
    pub trusted: String,
}

/// A parsed signature of either format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// What the signature covers.
    pub mode: Mode,
    /// The id of the key that made it.
    pub key_id: KeyId,
    /// The Ed25519 signature.
    pub signature: [u8; 64],
    /// The untrusted comment, without its prefix.
    pub untrusted_comment: Vec<u8>,
    /// minisign: the trusted comment and the signature over `signature | trusted comment`.
    pub trusted: Option<(Vec<u8>, [u8; 64])>,
}

impl Signature {
    /// Parses a `.minisig` or signify `.sig` file (told apart by the third line).
    pub fn parse(bytes: &[u8]) -> Result<Signature, FormatError> {
        Ok(Signature::parse_prefix(bytes)?.0)
    }

    /// Parses a signature at the start of `bytes` and returns where it ends: a signify
    /// `-e` file carries the signed message after its two lines.
    pub fn parse_prefix(bytes: &[u8]) -> Result<(Signature, usize), FormatError> {
        let (head, _) = split_lines_prefix(bytes, 4);
        let is_minisign =
            head.get(2).is_some_and(|(l, _)| l.starts_with(minisign::TRUSTED_PREFIX.as_bytes()));
        if is_minisign { minisign::parse_signature(bytes) } else { signify::parse_signature(bytes) }
    }

    /// The file bytes, as minisign or signify write them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity(74);
        raw.extend_from_slice(match self.mode {
            Mode::Prehashed => b"ED",
            Mode::Legacy | Mode::Signify => b"Ed",
        });
        raw.extend_from_slice(&self.key_id.0);
        raw.extend_from_slice(&self.signature);
        let mut out = Vec::new();
        out.extend_from_slice(UNTRUSTED_PREFIX.as_bytes());
        out.extend_from_slice(&self.untrusted_comment);
        out.push(b'\n');
        out.extend_from_slice(BASE64.encode(raw).as_bytes());
        out.push(b'\n');
        if let Some((comment, global)) = &self.trusted {
            out.extend_from_slice(minisign::TRUSTED_PREFIX.as_bytes());
            out.extend_from_slice(comment);
            out.push(b'\n');
            out.extend_from_slice(BASE64.encode(global).as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// The format the signature is in.
    pub fn format(&self) -> Format {
        if self.mode == Mode::Signify { Format::Signify } else { Format::Minisign }
    }
}

/// A verified signature: what the signer vouched for besides the data.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The key that signed.
    pub key_id: KeyId,
    /// The trusted comment (minisign), now known to come from the key holder.
    pub trusted_comment: Option<Vec<u8>>,
    /// The mode of the signature.
    pub mode: Mode,
}

impl Verified {
    /// The trusted comment as text (empty for signify).
    pub fn trusted_comment_lossy(&self) -> String {
        self.trusted_comment.as_deref().map(|c| String::from_utf8_lossy(c).into_owned()).unwrap_or_default()
    }
}

/// The message as the signature mode sees it: a running BLAKE2b, or the bytes themselves.
enum Message {
    Prehash(Box<blake2::Blake2b512>),
    Whole(Vec<u8>),
}

impl Message {
    fn new(mode: Mode) -> Message {
        match mode {
            Mode::Prehashed => Message::Prehash(Box::default()),
            Mode::Legacy | Mode::Signify => Message::Whole(Vec::new()),
        }
    }

    fn update(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        match self {
            Message::Prehash(hasher) => hasher.update(data),
            Message::Whole(bytes) => {
                if bytes.len() + data.len() > WHOLE_MESSAGE_MAX {
                    return Err(VerifyError::TooLarge);
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(())
    }

    fn signed_bytes(self) -> Vec<u8> {
        match self {
            Message::Prehash(hasher) => hasher.finalize().to_vec(),
            Message::Whole(bytes) => bytes,
        }
    }
}

/// Checks a signature over data given in pieces (also a [`Write`] sink, for a tee).
pub struct Verifier<'a> {
    key: &'a PublicKey,
    signature: &'a Signature,
    message: Message,
}

impl<'a> Verifier<'a> {
    /// Starts a verification; a signature by another key fails here, before any data.
    pub fn new(key: &'a PublicKey, signature: &'a Signature) -> Result<Verifier<'a>, VerifyError> {
        if key.key_id != signature.key_id {
            return Err(VerifyError::WrongKeyId { signature: signature.key_id, key: key.key_id });
        }
        Ok(Verifier { key, signature, message: Message::new(signature.mode) })
    }

    /// Feeds data.
    pub fn update(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        self.message.update(data)
    }

    /// Checks the signature, then the trusted comment's.
    pub fn finish(self) -> Result<Verified, VerifyError> {
        check(self.key, self.signature, &self.message.signed_bytes())
    }
}

impl Write for Verifier<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn check(key: &PublicKey, signature: &Signature, signed: &[u8]) -> Result<Verified, VerifyError> {
    if key.key_id != signature.key_id {
        return Err(VerifyError::WrongKeyId { signature: signature.key_id, key: key.key_id });
    }
    if !key.verifies(signed, &signature.signature) {
        return Err(VerifyError::BadSignature);
    }
    if let Some((comment, global)) = &signature.trusted {
        let mut both = signature.signature.to_vec();
        both.extend_from_slice(comment);
        if !key.verifies(&both, global) {
            return Err(VerifyError::BadTrustedComment);
        }
    }
    Ok(Verified {
        key_id: signature.key_id,
        trusted_comment: signature.trusted.as_ref().map(|(c, _)| c.clone()),
        mode: signature.mode,
    })
}

/// Verifies a signature over bytes in memory.
pub fn verify_bytes(key: &PublicKey, signature: &Signature, message: &[u8]) -> Result<Verified, VerifyError> {
    let mut verifier = Verifier::new(key, signature)?;
    if signature.mode == Mode::Prehashed {
        verifier.update(message)?;
        return verifier.finish();
    }
    check(key, signature, message)
}

/// An error of [`verify_file`] or [`verify_reader`]: reading failed, or the signature did
/// not verify.
#[derive(Debug)]
pub enum VerifyFileError {
    /// The data could not be read.
    Read(io::Error),
    /// The signature did not verify.
    Verify(VerifyError),
}

impl fmt::Display for VerifyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyFileError::Read(e) => e.fmt(f),
            VerifyFileError::Verify(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for VerifyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyFileError::Read(e) => Some(e),
            VerifyFileError::Verify(e) => Some(e),
        }
    }
}

/// Verifies a signature over everything `reader` yields.
pub fn verify_reader(
    key: &PublicKey,
    signature: &Signature,
    reader: &mut dyn Read,
) -> Result<Verified, VerifyFileError> {
    let mut verifier = Verifier::new(key, signature).map_err(VerifyFileError::Verify)?;
    copy_into(reader, &mut |chunk| verifier.update(chunk))?;
    verifier.finish().map_err(VerifyFileError::Verify)
}

/// Verifies a signature over a file. A legacy or signify signature over a regular file
/// maps the file rather than reading it into memory.
pub fn verify_file(key: &PublicKey, signature: &Signature, path: &Path) -> Result<Verified, VerifyFileError> {
    let mut file = std::fs::File::open(path).map_err(VerifyFileError::Read)?;
    let meta = file.metadata().map_err(VerifyFileError::Read)?;
    if signature.mode != Mode::Prehashed && meta.is_file() && meta.len() > 0 {
        Verifier::new(key, signature).map_err(VerifyFileError::Verify)?;
        // SAFETY: the map is read-only and lives only for this call; a file changed under
        // it while we verify at worst fails the verification, as a changed file should.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(VerifyFileError::Read)?;
        return check(key, signature, &map).map_err(VerifyFileError::Verify);
    }
    verify_reader(key, signature, &mut file)
}

fn copy_into(
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), VerifyError>,
) -> Result<(), VerifyFileError> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(VerifyFileError::Read(e)),
        };
        sink(&buf[..n]).map_err(VerifyFileError::Verify)?;
    }
}

/// Signs data given in pieces (also a [`Write`] sink, for a tee).
pub struct Signer<'a> {
    key: &'a SecretKey,
    mode: Mode,
    message: Message,
}

impl<'a> Signer<'a> {
    /// Starts a signature in the given mode.
    pub fn new(key: &'a SecretKey, mode: Mode) -> Signer<'a> {
        Signer { key, mode, message: Message::new(mode) }
    }

    /// Feeds data.
    pub fn update(&mut self, data: &[u8]) -> Result<(), VerifyError> {
        self.message.update(data)
    }

    /// The signature (deterministic: Ed25519 derives its nonce from the key and message).
    pub fn finish(self, comments: &Comments) -> Signature {
        let signature = self.key.sign_raw(&self.message.signed_bytes());
        let trusted = (self.mode != Mode::Signify).then(|| {
            let comment = one_line(&comments.trusted).into_bytes();
            let mut both = signature.to_vec();
            both.extend_from_slice(&comment);
            (comment, self.key.sign_raw(&both))
        });
        Signature {
            mode: self.mode,
            key_id: self.key.key_id,
            signature,
            untrusted_comment: one_line(&comments.untrusted).into_bytes(),
            trusted,
        }
    }
}

impl Write for Signer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Comments are single lines in both formats: a line break would end the comment and
/// start a line the parser reads as base64.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// The first lines of a key or signature file, each without its line break.
struct Lines<'a> {
    lines: Vec<&'a [u8]>,
}

impl<'a> Lines<'a> {
    /// Splits a whole key file; at most a few lines are meaningful, the rest must be empty.
    fn split(text: &'a [u8]) -> Result<Lines<'a>, FormatError> {
        if text.len() > 64 * 1024 {
            return Err(FormatError::new(0, "too large for a key file"));
        }
        let (lines, rest) = split_lines_prefix(text, usize::MAX);
        debug_assert!(rest.is_empty());
        let mut lines: Vec<&[u8]> = lines.into_iter().map(|(l, _)| l).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        for (i, line) in lines.iter().enumerate() {
            if line.len() > MAX_LINE {
                return Err(FormatError::new(i + 1, "line too long"));
            }
        }
        Ok(Lines { lines })
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.lines.get(index).copied()
    }

    /// The text of an `untrusted comment:` line.
    fn untrusted_comment(&self, index: usize) -> Result<&'a [u8], FormatError> {
        let line =
            self.get(index).ok_or_else(|| FormatError::new(index + 1, "missing: 'untrusted comment: …'"))?;
        line.strip_prefix(UNTRUSTED_PREFIX.as_bytes())
            .ok_or_else(|| FormatError::new(index + 1, "expected 'untrusted comment: …'"))
    }
}

/// Up to `max` lines from the start of `bytes` (each without `\n` or `\r\n`, with the
/// offset just past its break), and the bytes after them.
fn split_lines_prefix(bytes: &[u8], max: usize) -> (Vec<(&[u8], usize)>, &[u8]) {
    let mut lines = Vec::new();
    let mut at = 0;
    while lines.len() < max && at < bytes.len() {
        let end = bytes[at..].iter().position(|&b| b == b'\n').map(|p| at + p);
        let (line, next) = match end {
            Some(end) => (&bytes[at..end], end + 1),
            None => (&bytes[at..], bytes.len()),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        lines.push((line, next));
        at = next;
    }
    (lines, &bytes[at..])
}

/// Decodes a base64 line that must hold exactly `len` bytes.
fn decode_base64_line(line: &[u8], len: usize, number: usize, what: &str) -> Result<Vec<u8>, FormatError> {
    let raw = decode_base64_any(line, number)?;
    if raw.len() != len {
        return Err(FormatError::new(number, format!("{} bytes, a {what} has {len}", raw.len())));
    }
    Ok(raw)
}

fn decode_base64_any(line: &[u8], number: usize) -> Result<Vec<u8>, FormatError> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Err(FormatError::new(number, "empty line where base64 was expected"));
    }
    if line.len() > 1024 {
        return Err(FormatError::new(number, "base64 line too long"));
    }
    BASE64.decode(line).map_err(|e| FormatError::new(number, format!("not base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_seed(&[7; 32], KeyId(*b"12345678")).unwrap()
    }

    fn comments() -> Comments {
        Comments { untrusted: "u".into(), trusted: "t".into() }
    }

    #[test]
    fn every_mode_round_trips_and_detects_tampering() {
        let key = key();
        let public = key.public_key();
        for mode in [Mode::Prehashed, Mode::Legacy, Mode::Signify] {
            let sig = key.sign(mode, b"data", &comments()).unwrap();
            let parsed = Signature::parse(&sig.to_bytes()).unwrap();
            assert_eq!(parsed, sig, "{mode:?}");
            verify_bytes(&public, &parsed, b"data").unwrap();
            assert_eq!(verify_bytes(&public, &parsed, b"datA").unwrap_err(), VerifyError::BadSignature);
        }
    }

    #[test]
    fn signatures_are_deterministic() {
        let a = key().sign(Mode::Prehashed, b"x", &comments()).unwrap().to_bytes();
        let b = key().sign(Mode::Prehashed, b"x", &comments()).unwrap().to_bytes();
        assert_eq!(a, b);
    }

    #[test]
    fn key_id_prints_as_minisign_does() {
        assert_eq!(KeyId([1, 2, 3, 4, 5, 6, 7, 8]).to_string(), "0807060504030201");
    }
}
