//! minisign's signature and secret key files (jedisct1/minisign, `minisign.h`).
//!
//! A `.minisig` is four lines:
//!
//! ```text
//! untrusted comment: <text>
//! base64("ED" or "Ed" | key id (8) | Ed25519 signature (64))
//! trusted comment: <text>
//! base64(Ed25519 signature of signature (64) | trusted comment text)
//! ```
//!
//! A secret key is an untrusted comment and base64 of 158 bytes: `"Ed" | kdf "Sc" (or two
//! zero bytes: no password) | checksum "B2" | salt (32) | opslimit (u64 LE) | memlimit
//! (u64 LE)`, then 104 bytes — key id (8), seed and public key (64), BLAKE2b-256 of
//! `"Ed" | key id | seed and public key` (32) — XORed with 104 bytes of
//! scrypt(password, salt) when encrypted. The scrypt cost comes from opslimit and memlimit
//! by libsodium's `pickparams`, reproduced in [`scrypt_params`]; minisign writes opslimit
//! 2^25 and memlimit 2^30, which is N = 2^20, r = 8, p = 1 (1 GiB, about a second).

use ::digest::Digest as _;
use blake2::Blake2b;
use blake2::digest::consts::U32;
use zeroize::Zeroizing;

use super::decode_base64_line;
use super::{FormatError, KeyError, KeyId, Lines, Mode, SecretKey, Signature};

/// The prefix of a `.minisig` file's third line.
pub const TRUSTED_PREFIX: &str = "trusted comment: ";

/// The decoded length of a minisign secret key.
pub const SECRET_KEY_LEN: usize = 158;

/// What minisign 0.11 writes (libsodium's `crypto_pwhash_scryptsalsa208sha256_*_SENSITIVE`).
pub const DEFAULT_OPSLIMIT: u64 = 1 << 25;
/// See [`DEFAULT_OPSLIMIT`].
pub const DEFAULT_MEMLIMIT: u64 = 1 << 30;

/// A key file asking for more than this much scrypt memory is refused rather than obeyed:
/// twice what minisign writes.
const MAX_MEMLIMIT: u64 = 1 << 31;
/// The same bound for the work factor.
const MAX_OPSLIMIT: u64 = 1 << 31;

/// Parses a `.minisig` file; returns it and the length of input it took (all of it).
pub fn parse_signature(bytes: &[u8]) -> Result<(Signature, usize), FormatError> {
    let lines = Lines::split(bytes)?;
    let untrusted = lines.untrusted_comment(0)?;
    let line = lines.get(1).ok_or_else(|| FormatError::new(2, "missing: the base64 signature line"))?;
    let raw = decode_base64_line(line, 74, 2, "signature")?;
    let mode = match &raw[..2] {
        b"ED" => Mode::Prehashed,
        b"Ed" => Mode::Legacy,
        _ => return Err(FormatError::new(2, "unknown signature algorithm (neither 'ED' nor 'Ed')")),
    };
    let trusted_line = lines.get(2).ok_or_else(|| FormatError::new(3, "missing: 'trusted comment: …'"))?;
    let trusted = trusted_line
        .strip_prefix(TRUSTED_PREFIX.as_bytes())
        .ok_or_else(|| FormatError::new(3, "expected 'trusted comment: …'"))?;
    let line = lines.get(3).ok_or_else(|| FormatError::new(4, "missing: the trusted comment's signature"))?;
    let global = decode_base64_line(line, 64, 4, "trusted comment signature")?;
    if lines.len() > 4 {
        return Err(FormatError::new(5, "unexpected text after the signature"));
    }
    let signature = Signature {
        mode,
        key_id: KeyId(raw[2..10].try_into().unwrap()),
        signature: raw[10..74].try_into().unwrap(),
        untrusted_comment: untrusted.to_vec(),
        trusted: Some((trusted.to_vec(), global.try_into().unwrap())),
    };
    Ok((signature, bytes.len()))
}

/// The scrypt parameters (log2 N, r, p) libsodium derives from minisign's opslimit and
/// memlimit (`pickparams` in `crypto_pwhash/scryptsalsa208sha256/pwhash_scryptsalsa208sha256.c`).
pub fn scrypt_params(opslimit: u64, memlimit: u64) -> (u8, u32, u32) {
    let opslimit = opslimit.max(32768);
    let r: u64 = 8;
    let (log_n, p) = if opslimit < memlimit / 32 {
        let max_n = opslimit / (r * 4);
        (smallest_log_n_above(max_n / 2), 1)
    } else {
        let max_n = memlimit / (r * 128);
        let log_n = smallest_log_n_above(max_n / 2);
        let max_rp = ((opslimit / 4) / (1u64 << log_n)).min(0x3fff_ffff);
        (log_n, (max_rp / r) as u32)
    };
    (log_n, r as u32, p)
}

fn smallest_log_n_above(limit: u64) -> u8 {
    let mut log_n = 1u8;
    while log_n < 63 && (1u64 << log_n) <= limit {
        log_n += 1;
    }
    log_n
}

fn key_stream(
    password: &[u8],
    salt: &[u8],
    opslimit: u64,
    memlimit: u64,
) -> Result<Zeroizing<[u8; 104]>, KeyError> {
    if opslimit > MAX_OPSLIMIT || memlimit > MAX_MEMLIMIT {
        return Err(KeyError::Unsupported(format!(
            "the secret key asks for scrypt with opslimit {opslimit} and memlimit {memlimit}: more than jsum allows"
        )));
    }
    let (log_n, r, p) = scrypt_params(opslimit, memlimit);
    let params = scrypt::Params::new(log_n, r, p.max(1))
        .map_err(|_| KeyError::Unsupported(format!("unusable scrypt parameters N=2^{log_n} r={r} p={p}")))?;
    let mut stream = Zeroizing::new([0u8; 104]);
    scrypt::scrypt(password, salt, &params, &mut *stream)
        .map_err(|_| KeyError::Unsupported("scrypt output length".into()))?;
    Ok(stream)
}

fn checksum(key_id: &[u8], keypair: &[u8]) -> [u8; 32] {
    let mut hasher = Blake2b::<U32>::new();
    hasher.update(b"Ed");
    hasher.update(key_id);
    hasher.update(keypair);
    hasher.finalize().into()
}

/// Loads a minisign secret key; `password` decrypts one written with a password.
pub fn parse_secret_key(text: &[u8], password: Option<&[u8]>) -> Result<SecretKey, KeyError> {
    let lines = Lines::split(text)?;
    lines.untrusted_comment(0)?;
    let line = lines.get(1).ok_or_else(|| FormatError::new(2, "missing: the base64 key line"))?;
    let raw = Zeroizing::new(decode_base64_line(line, SECRET_KEY_LEN, 2, "minisign secret key")?);
    if &raw[..2] != b"Ed" {
        return Err(FormatError::new(2, "not an Ed25519 key (algorithm is not 'Ed')").into());
    }
    if &raw[4..6] != b"B2" {
        return Err(FormatError::new(2, "unknown checksum algorithm (not 'B2')").into());
    }
    let encrypted = &raw[2..4] == b"Sc";
    let mut secret = Zeroizing::new([0u8; 104]);
    secret.copy_from_slice(&raw[54..158]);
    match &raw[2..4] {
        b"Sc" => {
            let password = password.ok_or(KeyError::NeedsPassword)?;
            let opslimit = u64::from_le_bytes(raw[38..46].try_into().unwrap());
            let memlimit = u64::from_le_bytes(raw[46..54].try_into().unwrap());
            let stream = key_stream(password, &raw[6..38], opslimit, memlimit)?;
            for (byte, k) in secret.iter_mut().zip(stream.iter()) {
                *byte ^= k;
            }
        }
        [0, 0] => {}
        _ => return Err(FormatError::new(2, "unknown key derivation algorithm (not 'Sc')").into()),
    }
    let expected = checksum(&secret[..8], &secret[8..72]);
    // minisign -W writes an unencrypted key with an all-zero checksum and never checks it
    // there; the public half is still checked against the seed below.
    let unchecked = !encrypted && secret[72..104].iter().all(|&b| b == 0);
    if !unchecked && expected[..] != secret[72..104] {
        return Err(if encrypted {
            KeyError::WrongPassword
        } else {
            FormatError::new(2, "checksum mismatch: the secret key is corrupt").into()
        });
    }
    let mut keypair = Zeroizing::new([0u8; 64]);
    keypair.copy_from_slice(&secret[8..72]);
    SecretKey::from_keypair(KeyId(secret[..8].try_into().unwrap()), keypair)
}

/// The secret key file as minisign writes it: encrypted with scrypt when `password` is
/// given (`salt` random, the default limits), else with minisign `-W`'s all-zero header.
pub fn secret_key_file(
    key: &SecretKey,
    password: Option<(&[u8], [u8; 32])>,
    comment: &str,
) -> Result<Zeroizing<String>, KeyError> {
    let mut raw = Zeroizing::new(vec![0u8; SECRET_KEY_LEN]);
    raw[..2].copy_from_slice(b"Ed");
    raw[4..6].copy_from_slice(b"B2");
    raw[54..62].copy_from_slice(&key.key_id.0);
    raw[62..126].copy_from_slice(&key.keypair[..]);
    let sum = checksum(&key.key_id.0, &key.keypair[..]);
    raw[126..158].copy_from_slice(&sum);
    if let Some((password, salt)) = password {
        raw[2..4].copy_from_slice(b"Sc");
        raw[6..38].copy_from_slice(&salt);
        raw[38..46].copy_from_slice(&DEFAULT_OPSLIMIT.to_le_bytes());
        raw[46..54].copy_from_slice(&DEFAULT_MEMLIMIT.to_le_bytes());
        let stream = key_stream(password, &salt, DEFAULT_OPSLIMIT, DEFAULT_MEMLIMIT)?;
        for (byte, k) in raw[54..158].iter_mut().zip(stream.iter()) {
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
    fn scrypt_params_match_libsodium_for_minisign_defaults() {
        assert_eq!(scrypt_params(DEFAULT_OPSLIMIT, DEFAULT_MEMLIMIT), (20, 8, 1));
    }

    #[test]
    fn unencrypted_secret_key_round_trips() {
        let key = SecretKey::from_seed(&[3; 32], KeyId([9; 8])).unwrap();
        let file = secret_key_file(&key, None, "c").unwrap();
        let back = parse_secret_key(file.as_bytes(), None).unwrap();
        assert_eq!(back.public_key(), key.public_key());
    }
}
