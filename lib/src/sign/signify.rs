//! OpenBSD signify's signature and secret key files (`signify.c`, `struct sig` and
//! `struct enckey`).
//!
//! A `.sig` is two lines, an untrusted comment and base64 of `"Ed" | key id (8) | Ed25519
//! signature of the message (64)`; with `signify -S -e` the message itself follows the
//! second line ("embedded"). A secret key is an untrusted comment and base64 of 104 bytes:
//! `"Ed" | kdf "BK" | rounds (u32 big-endian) | salt (16) | checksum (8) | key id (8) |
//! seed and public key (64)`, where the checksum is the first 8 bytes of SHA-512 of the
//! (decrypted) key and, when rounds is not 0, the key is XORed with bcrypt_pbkdf(password,
//! salt, rounds). `signify -n` writes rounds 0 (no password).

use sha2::Digest as _;
use zeroize::Zeroizing;

use super::{FormatError, KeyError, KeyId, Mode, SecretKey, Signature};
use super::{Lines, decode_base64_line, split_lines_prefix};

/// The decoded length of a signify secret key.
pub const SECRET_KEY_LEN: usize = 104;

/// The bcrypt_pbkdf rounds signify uses.
pub const DEFAULT_ROUNDS: u32 = 42;

/// A key asking for more rounds than this is refused rather than obeyed (signify writes 42).
const MAX_ROUNDS: u32 = 10_000;

/// Parses a signify `.sig` (or the signature lines of an `-e` embedded file); returns the
/// signature and the offset where an embedded message starts.
pub fn parse_signature(bytes: &[u8]) -> Result<(Signature, usize), FormatError> {
    let (lines, _) = split_lines_prefix(bytes, 2);
    let untrusted = match lines.first() {
        Some((line, _)) => line
            .strip_prefix(super::UNTRUSTED_PREFIX.as_bytes())
            .ok_or_else(|| FormatError::new(1, "expected 'untrusted comment: …'"))?,
        None => return Err(FormatError::new(0, "empty signature file")),
    };
    if untrusted.len() > super::MAX_LINE {
        return Err(FormatError::new(1, "line too long"));
    }
    let Some(&(line, end)) = lines.get(1) else {
        return Err(FormatError::new(2, "missing: the base64 signature line"));
    };
    if bytes.get(end - 1) != Some(&b'\n') {
        // signify requires the line break: without it the signature may be cut short.
        return Err(FormatError::new(2, "the signature line does not end with a line break"));
    }
    let raw = decode_base64_line(line, 74, 2, "signature")?;
    if &raw[..2] != b"Ed" {
        return Err(FormatError::new(2, "not an Ed25519 signature (algorithm is not 'Ed')"));
    }
    let signature = Signature {
        mode: Mode::Signify,
        key_id: KeyId(raw[2..10].try_into().unwrap()),
        signature: raw[10..74].try_into().unwrap(),
        untrusted_comment: untrusted.to_vec(),
        trusted: None,
    };
    Ok((signature, end))
}

fn checksum(keypair: &[u8]) -> [u8; 8] {
    sha2::Sha512::digest(keypair)[..8].try_into().unwrap()
}

fn key_stream(password: &[u8], salt: &[u8], rounds: u32) -> Result<Zeroizing<[u8; 64]>, KeyError> {
    if password.is_empty() {
        return Err(KeyError::Unsupported("signify refuses an empty password".into()));
    }
    let mut stream = Zeroizing::new([0u8; 64]);
    bcrypt_pbkdf::bcrypt_pbkdf(password, salt, rounds, &mut *stream)
        .map_err(|e| KeyError::Unsupported(format!("bcrypt_pbkdf: {e}")))?;
    Ok(stream)
}

/// Loads a signify secret key; `password` decrypts one written without `-n`.
pub fn parse_secret_key(text: &[u8], password: Option<&[u8]>) -> Result<SecretKey, KeyError> {
    let lines = Lines::split(text)?;
    lines.untrusted_comment(0)?;
    let line = lines.get(1).ok_or_else(|| FormatError::new(2, "missing: the base64 key line"))?;
    let raw = Zeroizing::new(decode_base64_line(line, SECRET_KEY_LEN, 2, "signify secret key")?);
    if &raw[..2] != b"Ed" {
        return Err(FormatError::new(2, "not an Ed25519 key (algorithm is not 'Ed')").into());
    }
    if &raw[2..4] != b"BK" {
        return Err(FormatError::new(2, "unknown key derivation algorithm (not 'BK')").into());
    }
    let rounds = u32::from_be_bytes(raw[4..8].try_into().unwrap());
    let mut keypair = Zeroizing::new([0u8; 64]);
    keypair.copy_from_slice(&raw[40..104]);
    if rounds > 0 {
        if rounds > MAX_ROUNDS {
            return Err(KeyError::Unsupported(format!(
                "the secret key asks for {rounds} bcrypt_pbkdf rounds: more than jsum allows ({MAX_ROUNDS})"
            )));
        }
        let password = password.ok_or(KeyError::NeedsPassword)?;
        let stream = key_stream(password, &raw[8..24], rounds)?;
        for (byte, k) in keypair.iter_mut().zip(stream.iter()) {
            *byte ^= k;
        }
    }
    if checksum(&keypair[..]) != raw[24..32] {
        return Err(if rounds > 0 {
            KeyError::WrongPassword
        } else {
            FormatError::new(2, "checksum mismatch: the secret key is corrupt").into()
        });
    }
    SecretKey::from_keypair(KeyId(raw[32..40].try_into().unwrap()), keypair)
}

/// The secret key file as signify writes it: encrypted with bcrypt_pbkdf (42 rounds) when
/// `password` is given with a random salt, else as `signify -n` does (rounds 0; the salt is
/// still random there, and unused).
pub fn secret_key_file(
    key: &SecretKey,
    password: Option<&[u8]>,
    salt: [u8; 16],
    comment: &str,
) -> Result<Zeroizing<String>, KeyError> {
    let mut raw = Zeroizing::new(vec![0u8; SECRET_KEY_LEN]);
    raw[..2].copy_from_slice(b"Ed");
    raw[2..4].copy_from_slice(b"BK");
    raw[8..24].copy_from_slice(&salt);
    raw[24..32].copy_from_slice(&checksum(&key.keypair[..]));
    raw[32..40].copy_from_slice(&key.key_id.0);
    raw[40..104].copy_from_slice(&key.keypair[..]);
    if let Some(password) = password {
        raw[4..8].copy_from_slice(&DEFAULT_ROUNDS.to_be_bytes());
        let stream = key_stream(password, &salt, DEFAULT_ROUNDS)?;
        for (byte, k) in raw[40..104].iter_mut().zip(stream.iter()) {
            *byte ^= k;
        }
    }
    use base64::Engine as _;
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&raw[..]));
    Ok(Zeroizing::new(format!("{}{}\n{}\n", super::UNTRUSTED_PREFIX, super::one_line(comment), &*encoded)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_round_trip_with_and_without_password() {
        let key = SecretKey::from_seed(&[5; 32], KeyId([1; 8])).unwrap();
        for password in [None, Some(&b"pw"[..])] {
            let file = secret_key_file(&key, password, [2; 16], "c").unwrap();
            let back = parse_secret_key(file.as_bytes(), password).unwrap();
            assert_eq!(back.public_key(), key.public_key());
        }
        let file = secret_key_file(&key, Some(b"pw"), [2; 16], "c").unwrap();
        assert!(matches!(parse_secret_key(file.as_bytes(), Some(b"no")), Err(KeyError::WrongPassword)));
        assert!(matches!(parse_secret_key(file.as_bytes(), None), Err(KeyError::NeedsPassword)));
    }

    #[test]
    fn embedded_message_follows_the_signature() {
        let key = SecretKey::from_seed(&[5; 32], KeyId([1; 8])).unwrap();
        let comments = super::super::Comments { untrusted: "u".into(), trusted: String::new() };
        let sig = key.sign(Mode::Signify, b"msg", &comments).unwrap();
        let mut file = sig.to_bytes();
        file.extend_from_slice(b"msg");
        let (parsed, at) = parse_signature(&file).unwrap();
        assert_eq!(&file[at..], b"msg");
        super::super::verify_bytes(&key.public_key(), &parsed, &file[at..]).unwrap();
    }
}
