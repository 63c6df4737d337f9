//! `--pubkey`: minisign and signify signatures (jcore::sign) over the spec and the file.
//!
//! - The spec (`--spec`, a path or an http(s) URL): with a key, its detached signature —
//!   `--spec-sig SIG`, else `SPEC.minisig`, else `SPEC.sig` beside it (on the same server for
//!   a URL) — is verified over the bytes read, and only then are they parsed. Unsigned (no
//!   signature found), signed by another key or tampered: a negative answer (exit 1) before
//!   any request to a source, so no OUT or OUT.part exists.
//! - The file (`--sig SIG`): loaded and checked against the key id before the transfer.
//!   minisign's prehashed `ED` signature covers the BLAKE2b-512 of the file, so it is checked
//!   while the bytes stream by ([`ImageSignature::verifier`]) and a failure is a wrong-content
//!   failure like a digest mismatch (next source, or exit 1). Legacy `Ed` and signify
//!   signatures cover the message itself: with -o the finished OUT.part is checked (mapped,
//!   not read into memory) before the rename; to stdout they are refused up front, since the
//!   whole stream would have to be held in memory.
//!
//! A signature beside a spec is looked for as `.minisig` first, then `.sig`: the key files
//! of the two formats are the same, so the key cannot tell which the publisher used, and
//! either signature is made by the same trusted key.

use std::cell::OnceCell;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use jcore::exit::StatusError;
use jcore::sign::{self, Mode, PublicKey, Signature, Verified, Verifier, VerifyFileError};
use serde_json::json;

use crate::source::{Access, Body, OpenError, Source, redact};

/// A key or signature file is a few lines.
const SIGNATURE_MAX: u64 = 64 * 1024;

/// A spec (.ajspec, imgadm manifest) is small; anything larger is not one.
const SPEC_MAX: u64 = 16 * 1024 * 1024;

/// The request settings built when the first request needs them (reading netrc, the trust
/// store), so that a local spec and a cache hit make none.
pub struct Remote<'a> {
    make: Box<dyn Fn() -> anyhow::Result<Access> + 'a>,
    access: OnceCell<Access>,
    retries: u32,
    retry_max_time: Duration,
}

impl<'a> Remote<'a> {
    /// Settings made by `make` on first use; `retries` and `retry_max_time` as for sources.
    pub fn new(
        make: impl Fn() -> anyhow::Result<Access> + 'a,
        retries: u32,
        retry_max_time: Duration,
    ) -> Self {
        Remote { make: Box::new(make), access: OnceCell::new(), retries, retry_max_time }
    }

    /// The settings, made now if not yet.
    pub fn access(&self) -> anyhow::Result<&Access> {
        if self.access.get().is_none() {
            let access = (self.make)()?;
            let _ = self.access.set(access);
        }
        Ok(self.access.get().expect("set above"))
    }
}

/// The public key of `--pubkey FILE` or `--pubkey-string KEY`.
pub fn load_key(file: Option<&Path>, inline: Option<&str>) -> anyhow::Result<Option<PublicKey>> {
    match (file, inline) {
        (Some(path), _) => {
            let name = path.display().to_string();
            let text = read_local(path, SIGNATURE_MAX).map_err(|e| jcore::io::Error::new(&name, e))?;
            Ok(Some(PublicKey::parse(&text).with_context(|| name)?))
        }
        (None, Some(text)) => Ok(Some(PublicKey::from_base64(text).context("--pubkey-string")?)),
        (None, None) => Ok(None),
    }
}

/// A verified signature and the file it came from, for messages and `--json`.
pub struct Checked {
    /// The signature file or URL.
    pub name: String,
    /// What the key holder vouched for.
    pub verified: Verified,
}

impl Checked {
    /// The `--json` record of it.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "file": self.name,
            "key_id": self.verified.key_id.to_string(),
            "trusted_comment": self.verified.trusted_comment.as_ref().map(|_| self.verified.trusted_comment_lossy()),
        })
    }
}

/// A spec's bytes, verified when a key was given.
pub struct Spec {
    /// The spec as named on the command line (a URL without credentials).
    pub name: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Its signature, when a key was given (and so it verified).
    pub checked: Option<Checked>,
}

/// Reads the spec at `location` (a path, file:// or http(s) URL) and, with a key, verifies
/// its signature (`signature`, else beside it) before anything else is done with it.
pub fn read_spec(
    location: &Path,
    signature: Option<&str>,
    key: Option<&PublicKey>,
    remote: &Remote,
) -> anyhow::Result<Spec> {
    let spec = Place::of_path(location)?;
    let name = spec.to_string();
    let data = match spec.read(SPEC_MAX, remote)? {
        Ok(data) => data,
        Err(why) => bail!("{name}: {why}"),
    };
    let Some(key) = key else { return Ok(Spec { name, data, checked: None }) };
    let candidates = match signature {
        Some(text) => vec![Place::parse(text)?],
        None => vec![spec.with_suffix(".minisig")?, spec.with_suffix(".sig")?],
    };
    let mut missing = Vec::new();
    for place in candidates {
        let sig_name = place.to_string();
        let text = match place.read(SIGNATURE_MAX, remote)? {
            Ok(text) => text,
            Err(why) => {
                missing.push(format!("{sig_name}: {why}"));
                continue;
            }
        };
        let parsed = Signature::parse(&text).with_context(|| sig_name.clone())?;
        return match sign::verify_bytes(key, &parsed, &data) {
            Ok(verified) => Ok(Spec { name, data, checked: Some(Checked { name: sig_name, verified }) }),
            Err(e) => Err(StatusError::negative(format!("{name}: refused: {sig_name}: {e}")).into()),
        };
    }
    Err(StatusError::negative(format!(
        "{name}: refused: missing signature (a key was given): {}",
        missing.join("; ")
    ))
    .into())
}

/// `--sig`: a signature of the file itself, checked while it streams or once it is whole.
pub struct ImageSignature {
    /// The signature file or URL.
    pub name: String,
    key: PublicKey,
    signature: Signature,
}

/// Why a whole file did not verify.
pub enum FileCheckError {
    /// It could not be read.
    Read(io::Error),
    /// The signature does not match (the message names the signature).
    Bad(String),
}

impl ImageSignature {
    /// Loads `--sig SIG` and checks it was made by `key`; `to_stdout` refuses the modes that
    /// need the whole file at once.
    pub fn load(text: &str, key: &PublicKey, to_stdout: bool, remote: &Remote) -> anyhow::Result<Self> {
        let place = Place::parse(text)?;
        let name = place.to_string();
        let bytes = match place.read(SIGNATURE_MAX, remote)? {
            Ok(bytes) => bytes,
            Err(why) => return Err(StatusError::negative(format!("{name}: missing signature: {why}")).into()),
        };
        let signature = Signature::parse(&bytes).with_context(|| name.clone())?;
        // A signature by another key can never verify: say so before downloading anything.
        Verifier::new(key, &signature).map_err(|e| StatusError::negative(format!("{name}: {e}")))?;
        if to_stdout && signature.mode != Mode::Prehashed {
            let kind = if signature.mode == Mode::Signify { "a signify" } else { "a legacy minisign (Ed)" };
            bail!(
                "{name}: {kind} signature covers the whole file, which cannot be held in memory while \
                 streaming to standard output: give -o OUT (or sign with minisign's default prehashed mode)"
            );
        }
        Ok(ImageSignature { name, key: *key, signature })
    }

    /// A verifier for the bytes as they stream, when the mode allows it (minisign `ED`).
    pub fn verifier(&self) -> Option<Verifier<'_>> {
        if self.signature.mode != Mode::Prehashed {
            return None;
        }
        Verifier::new(&self.key, &self.signature).ok()
    }

    /// Finishes a streaming verification.
    pub fn finish(&self, verifier: Verifier<'_>) -> Result<Checked, String> {
        match verifier.finish() {
            Ok(verified) => Ok(Checked { name: self.name.clone(), verified }),
            Err(e) => Err(format!("{}: {e}", self.name)),
        }
    }

    /// Verifies a whole file (OUT.part for the modes that cannot stream, a cache hit).
    pub fn check_file(&self, path: &Path) -> Result<Checked, FileCheckError> {
        match sign::verify_file(&self.key, &self.signature, path) {
            Ok(verified) => Ok(Checked { name: self.name.clone(), verified }),
            Err(VerifyFileError::Read(e)) => Err(FileCheckError::Read(e)),
            Err(VerifyFileError::Verify(e)) => Err(FileCheckError::Bad(format!("{}: {e}", self.name))),
        }
    }
}

/// Where a spec or signature is: a local file or a URL.
enum Place {
    Local(PathBuf),
    Remote(Source, String),
}

impl Place {
    fn parse(text: &str) -> anyhow::Result<Place> {
        Ok(match Source::parse(text)? {
            Source::File(path) => Place::Local(path),
            source => Place::Remote(source, text.to_string()),
        })
    }

    /// A `--spec` path, which may also be a URL (a name that is not UTF-8 is a path).
    fn of_path(path: &Path) -> anyhow::Result<Place> {
        match path.to_str() {
            Some(text) => Place::parse(text),
            None => Ok(Place::Local(path.to_path_buf())),
        }
    }

    /// The file beside this one with `suffix` added to its name (before a URL's query).
    fn with_suffix(&self, suffix: &str) -> anyhow::Result<Place> {
        match self {
            Place::Local(path) => {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                Ok(Place::Local(PathBuf::from(name)))
            }
            Place::Remote(_, text) => {
                let end = text.find(['?', '#']).unwrap_or(text.len());
                Place::parse(&format!("{}{suffix}{}", &text[..end], &text[end..]))
            }
        }
    }

    /// The bytes (at most `limit`), or why there are none to be had (missing, refused by
    /// the server); an error when the read failed otherwise (network, I/O).
    fn read(&self, limit: u64, remote: &Remote) -> anyhow::Result<Result<Vec<u8>, String>> {
        let name = self.to_string();
        match self {
            Place::Local(path) => match read_local(path, limit) {
                Ok(data) => Ok(Ok(data)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Err("No such file or directory".into())),
                Err(e) => Err(jcore::io::Error::new(&name, e).into()),
            },
            Place::Remote(source, _) => {
                let access = remote.access()?;
                if source.is_https() {
                    access.client.check_trust()?;
                }
                get(source, access, limit, remote).with_context(|| name)
            }
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Local(path) => write!(f, "{}", path.display()),
            Place::Remote(_, text) => f.write_str(&redact(text)),
        }
    }
}

fn read_local(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    }
    read_limited(file, limit)
}

/// Marks a file larger than a spec or signature can be.
#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "larger than {} KiB: not a spec or signature", self.0 >> 10)
    }
}

impl std::error::Error for TooLarge {}

fn read_limited(reader: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    reader.take(limit + 1).read_to_end(&mut data)?;
    if data.len() as u64 > limit {
        return Err(io::Error::other(TooLarge(limit)));
    }
    Ok(data)
}

/// One small file over http(s), with the retries sources get: `Err(why)` inside when the
/// server will not serve it (4xx), an error when it could not be fetched (network, 5xx).
fn get(
    source: &Source,
    access: &Access,
    limit: u64,
    remote: &Remote,
) -> anyhow::Result<Result<Vec<u8>, String>> {
    let mut failures = 0;
    loop {
        let failure = match source.open(access, 0, None) {
            Ok(Body { reader, total, .. }) => match read_limited(reader, limit) {
                Ok(data) if total.is_none_or(|t| t == data.len() as u64) => return Ok(Ok(data)),
                Ok(data) => {
                    (anyhow!("body cut short at byte {} of {}", data.len(), total.unwrap_or(0)), None)
                }
                Err(e) if e.get_ref().is_some_and(|inner| inner.is::<TooLarge>()) => return Err(e.into()),
                Err(e) => (anyhow!("body cut short: {}", crate::source::describe_io(&e)), None),
            },
            Err(OpenError::Permanent(e)) => return Ok(Err(jcore::exit::message(e.as_ref()))),
            Err(OpenError::RangeNotSatisfiable(_)) => return Ok(Err("range not satisfiable".into())),
            Err(OpenError::Transient(e, asked)) => (e, asked),
        };
        failures += 1;
        if failures > remote.retries {
            return Err(failure.0);
        }
        let pause = failure.1.unwrap_or_else(|| Duration::from_millis(250u64 << (failures - 1).min(5)));
        std::thread::sleep(pause.min(remote.retry_max_time));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_beside_a_url_goes_before_its_query() {
        let place = Place::parse("http://h.example/a/web.ajspec?x=1").unwrap();
        assert_eq!(
            place.with_suffix(".minisig").unwrap().to_string(),
            "http://h.example/a/web.ajspec.minisig?x=1"
        );
        let place = Place::parse("web.ajspec").unwrap();
        assert_eq!(place.with_suffix(".sig").unwrap().to_string(), "web.ajspec.sig");
    }

    #[test]
    fn credentials_are_not_shown() {
        let place = Place::parse("https://u:secret@h.example/web.ajspec").unwrap();
        assert!(!place.to_string().contains("secret"));
    }
}
