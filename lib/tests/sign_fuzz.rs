//! Property tests standing in for cargo-fuzz (which needs nightly): the minisign and signify
//! key and signature parsers never panic on random or mutated input, an error names a line
//! the file has, and every signature the writer emits reads back equal and verifies.

use jcore::sign::{self, Comments, KeyError, KeyId, Mode, PublicKey, SecretKey, Signature};
use proptest::prelude::*;

fn key() -> SecretKey {
    SecretKey::from_seed(&[42; 32], KeyId(*b"jtoolsID")).unwrap()
}

fn line_count(data: &[u8]) -> usize {
    data.split(|&c| c == b'\n').count()
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Prehashed), Just(Mode::Legacy), Just(Mode::Signify)]
}

/// Valid files of every kind, to mutate.
fn valid_files() -> Vec<Vec<u8>> {
    let key = key();
    let comments = Comments { untrusted: "u".into(), trusted: "timestamp:1\tfile:x".into() };
    let mut files = vec![key.public_key().to_file("k").into_bytes()];
    for mode in [Mode::Prehashed, Mode::Legacy, Mode::Signify] {
        let mut sig = key.sign(mode, b"message", &comments).unwrap().to_bytes();
        files.push(sig.clone());
        sig.extend_from_slice(b"embedded message");
        files.push(sig);
    }
    files.push(sign::minisign::secret_key_file(&key, None, "c").unwrap().as_bytes().to_vec());
    files.push(sign::signify::secret_key_file(&key, None, [1; 16], "c").unwrap().as_bytes().to_vec());
    files
}

/// Runs every parser on the bytes; none may panic, errors must name an existing line.
fn parse_all(data: &[u8]) -> Result<(), TestCaseError> {
    let lines = line_count(data);
    let check_line = |line: usize| -> Result<(), TestCaseError> {
        prop_assert!(line <= lines + 1, "error line {} of {} lines", line, lines);
        Ok(())
    };
    if let Err(e) = PublicKey::parse(data) {
        check_line(e.line)?;
    }
    match Signature::parse_prefix(data) {
        Ok((sig, at)) => {
            prop_assert!(at <= data.len());
            // A parsed signature is written back to the same signature.
            let again = Signature::parse(&sig.to_bytes()).unwrap();
            prop_assert_eq!(again, sig.clone());
            let _ = sign::verify_bytes(&key().public_key(), &sig, &data[at..]);
        }
        Err(e) => check_line(e.line)?,
    }
    // Without a password no key derivation runs: random scrypt limits cost nothing here.
    if let Err(KeyError::Format(e)) = SecretKey::parse(data, None) {
        check_line(e.line)?;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_base64(text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..400)) {
        parse_all(&data)?;
    }

    #[test]
    fn mutated_files_never_panic(
        which in 0usize..9,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let files = valid_files();
        let mut data = files[which % files.len()].clone();
        for (at, byte, kind) in edits {
            if data.is_empty() { break; }
            let i = at.index(data.len());
            match kind {
                0 => data[i] = byte,
                1 => { data.remove(i); }
                _ => data.insert(i, byte),
            }
        }
        parse_all(&data)?;
    }

    #[test]
    fn signatures_round_trip_and_verify(
        mode in mode(),
        message in prop::collection::vec(any::<u8>(), 0..2000),
        untrusted in "[^\r\n]{0,80}",
        trusted in "[^\r\n]{0,200}",
    ) {
        let key = key();
        let comments = Comments { untrusted, trusted };
        let sig = key.sign(mode, &message, &comments).unwrap();
        let parsed = Signature::parse(&sig.to_bytes()).unwrap();
        prop_assert_eq!(&parsed, &sig);
        prop_assert!(sign::verify_bytes(&key.public_key(), &parsed, &message).is_ok());
        let mut other = message.clone();
        other.push(0);
        prop_assert!(sign::verify_bytes(&key.public_key(), &parsed, &other).is_err());
    }
}
