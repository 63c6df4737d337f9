//! jsum --keygen/--sign/--verify against the reference implementations: Debian's minisign
//! and signify-openbsd verify what jsum signs and sign what jsum verifies, byte for byte
//! where the formats are deterministic (Ed25519 is), and every tampering fails in both.
//! The fixed keys below were made by `minisign -G` and `signify-openbsd -G -n`.
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{Cmd, have, jsum, sh, tempdir};

/// `minisign -G -W` (no password).
const MINISIGN_KEY: &str = "untrusted comment: minisign encrypted secret key
RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0bnKnwUTQ0gPz6qJzLhYhbUz2JZYMeUpeA8gynb1wR09ricnviVeoMQy/5s6ZVqdyjRN9gcYie3Jbd8w+Z2xO3gzHp8aGyG9AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
";
const MINISIGN_PUB: &str = "untrusted comment: minisign public key 484313059FCAB9D1
RWTRucqfBRNDSMQy/5s6ZVqdyjRN9gcYie3Jbd8w+Z2xO3gzHp8aGyG9
";
const MINISIGN_PUB_STRING: &str = "RWTRucqfBRNDSMQy/5s6ZVqdyjRN9gcYie3Jbd8w+Z2xO3gzHp8aGyG9";
/// `printf 'pw\npw\n' | minisign -G -c 'jtools test encrypted key'`: scrypt as minisign writes it.
const MINISIGN_ENCRYPTED_KEY: &str = "untrusted comment: jtools test encrypted key
RWRTY0Iy3Ey2def5gFTEFMwBeOa54ngFqwt6lKD3VfsR1RPgbFkAAAACAAAAAAAAAEAAAAAA3quN5r3iXWi/Ou2mwjAju7JhOfduOYv40puo0fAA8cFkCJAbPPplp7+8HWow4d7b2f0uChw3sOtjgZ1BFpDV31zesourOcuzZF6UPCYO06v++MCDXjkMyOUtNWHjJAkavBKFsFVDKCg=
";
const MINISIGN_ENCRYPTED_PUB: &str = "untrusted comment: minisign public key 60D60AAB183DC4E2
RWTixD0YqwrWYACeXapYZsGLIC9zCZ2XIqV83iM7yyEiBOVLX+z061i1
";
/// `signify-openbsd -G -n -c 'jtools test key'`.
const SIGNIFY_SEC: &str = "untrusted comment: jtools test key secret key
RWRCSwAAAACZmVXNx7m15QkVzULm2XCy4fTfVMnU75gFf1Zymo9+D907EM7cLRJSa1Z4RbEM2fgwe096PWLZ5PFDgsqcwAcde0RbDWq+Zdb5ioKo303NH8aacYPDproj3dklRrC5t8Q=
";
const SIGNIFY_PUB: &str = "untrusted comment: jtools test key public key
RWQFf1Zymo9+D3tEWw1qvmXW+YqCqN9NzR/GmnGDw6a6I93ZJUawubfE
";

fn setup(dir: &Path) {
    fs::write(dir.join("mini.key"), MINISIGN_KEY).unwrap();
    fs::write(dir.join("mini.pub"), MINISIGN_PUB).unwrap();
    fs::write(dir.join("enc.key"), MINISIGN_ENCRYPTED_KEY).unwrap();
    fs::write(dir.join("enc.pub"), MINISIGN_ENCRYPTED_PUB).unwrap();
    fs::write(dir.join("fx.sec"), SIGNIFY_SEC).unwrap();
    fs::write(dir.join("fx.pub"), SIGNIFY_PUB).unwrap();
    fs::write(dir.join("image.txz"), common::noise(300_000, 19)).unwrap();
    fs::write(dir.join("pw"), "pw\n").unwrap();
}

fn in_dir(cmd: Cmd, dir: &Path) -> common::Run {
    cmd.dir(dir).run()
}

/// jsum in a new session, without a controlling terminal to ask a password on (so that a
/// test run from a terminal does not wait for one).
fn without_terminal() -> Cmd {
    Cmd::new("setsid").arg("-w").arg(bin!(jsum))
}

/// Changes one byte in the middle of a file.
fn flip_byte(path: &Path) {
    let mut bytes = fs::read(path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

/// Replaces the signature line (line 2) with a valid signature of other data: a well-formed
/// file whose signature does not match.
fn swap_signature_line(sig: &Path, other: &Path) {
    let mut lines: Vec<String> = fs::read_to_string(sig).unwrap().lines().map(String::from).collect();
    let donor: Vec<String> = fs::read_to_string(other).unwrap().lines().map(String::from).collect();
    lines[1] = donor[1].clone();
    fs::write(sig, lines.join("\n") + "\n").unwrap();
}

#[test]
fn jsum_signatures_are_byte_identical_to_minisign_prehashed_and_legacy() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    for legacy in [false, true] {
        let l: &[&str] = if legacy { &["-l"] } else { &[] };
        let theirs = in_dir(
            Cmd::new("minisign")
                .args(["-S", "-s", "mini.key", "-m", "image.txz", "-x", "theirs.minisig"])
                .args(["-c", "release 1.0", "-t", "web 1.0 for amd64"])
                .args(l),
            d,
        );
        theirs.success();
        in_dir(
            jsum()
                .args(["--sign", "-s", "mini.key", "-x", "ours.minisig"])
                .args(["--comment", "release 1.0", "-t", "web 1.0 for amd64"])
                .args(l)
                .arg("image.txz"),
            d,
        )
        .success();
        assert_eq!(
            fs::read(d.join("ours.minisig")).unwrap(),
            fs::read(d.join("theirs.minisig")).unwrap(),
            "legacy {legacy}"
        );
        // And each verifies the other's (identical, but through each tool's own reader).
        in_dir(
            Cmd::new("minisign").args(["-V", "-p", "mini.pub", "-m", "image.txz", "-x", "ours.minisig"]),
            d,
        )
        .success()
        .stdout_contains("Trusted comment: web 1.0 for amd64");
        in_dir(jsum().args(["--verify", "-p", "mini.pub", "-x", "theirs.minisig", "image.txz"]), d)
            .success()
            .stdout_is("image.txz: OK\n");
    }
}

#[test]
fn default_trusted_comment_is_minisigns_and_follows_source_date_epoch() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    jsum()
        .args(["--sign", "-s", "mini.key", "image.txz"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .dir(d)
        .run()
        .success();
    let sig = fs::read_to_string(d.join("image.txz.minisig")).unwrap();
    assert!(sig.starts_with("untrusted comment: signature from minisign secret key\n"), "{sig}");
    assert!(sig.contains("\ntrusted comment: timestamp:1700000000\tfile:image.txz\thashed\n"), "{sig}");
    in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).success();
}

#[test]
fn jsum_verifies_what_minisign_signs_and_rejects_tampering_like_minisign() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    fs::write(d.join("other"), b"other data").unwrap();
    for legacy in [&[][..], &["-l"][..]] {
        in_dir(Cmd::new("minisign").args(["-S", "-s", "mini.key", "-m", "image.txz"]).args(legacy), d)
            .success();
        in_dir(Cmd::new("minisign").args(["-S", "-s", "mini.key", "-m", "other"]).args(legacy), d).success();
        in_dir(jsum().args(["--verify", "-p", "mini.pub", "image.txz"]), d).success();
        in_dir(jsum().args(["--verify", "-P", MINISIGN_PUB_STRING, "image.txz"]), d).success();

        // Tampered trusted comment: both refuse, jsum names it.
        let sig = d.join("image.txz.minisig");
        let good = fs::read_to_string(&sig).unwrap();
        fs::write(&sig, good.replace("trusted comment: timestamp:", "trusted comment: timestamp:1")).unwrap();
        in_dir(jsum().args(["--verify", "-p", "mini.pub", "image.txz"]), d)
            .code(1)
            .stderr_contains("image.txz.minisig: bad trusted comment signature");
        assert_ne!(
            in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).code,
            Some(0)
        );

        // Tampered signature (a valid one of other data): both refuse.
        fs::write(&sig, &good).unwrap();
        swap_signature_line(&sig, &d.join("other.minisig"));
        in_dir(jsum().args(["--verify", "-p", "mini.pub", "image.txz"]), d)
            .code(1)
            .stderr_contains("image.txz.minisig: bad signature");
        assert_ne!(
            in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).code,
            Some(0)
        );

        // Tampered data: both refuse.
        fs::write(&sig, &good).unwrap();
        let original = fs::read(d.join("image.txz")).unwrap();
        flip_byte(&d.join("image.txz"));
        in_dir(jsum().args(["--verify", "-p", "mini.pub", "image.txz"]), d)
            .code(1)
            .stdout_is("image.txz: FAILED\n")
            .stderr_contains("bad signature");
        assert_ne!(
            in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).code,
            Some(0)
        );
        fs::write(d.join("image.txz"), original).unwrap();
    }
}

#[test]
fn minisign_rejects_what_jsum_signed_once_tampered() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    in_dir(jsum().args(["--sign", "-s", "mini.key", "-t", "v1", "image.txz"]), d).success();
    in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).success();
    let sig = d.join("image.txz.minisig");
    let good = fs::read_to_string(&sig).unwrap();
    fs::write(&sig, good.replace("trusted comment: v1", "trusted comment: v2")).unwrap();
    assert_ne!(in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).code, Some(0));
    in_dir(jsum().args(["--verify", "-p", "mini.pub", "image.txz"]), d)
        .code(1)
        .stderr_contains("trusted comment");
    fs::write(&sig, &good).unwrap();
    flip_byte(&d.join("image.txz"));
    assert_ne!(in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "mini.pub"]), d).code, Some(0));
}

#[test]
fn password_protected_minisign_key_from_minisign_signs_with_password_file_or_fd() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    in_dir(jsum().args(["--sign", "-s", "enc.key", "--password-file", "pw", "-t", "c", "image.txz"]), d)
        .success();
    in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "enc.pub"]), d).success();
    // The same from a descriptor, and the result is the same bytes (deterministic).
    let first = fs::read(d.join("image.txz.minisig")).unwrap();
    in_dir(
        sh("exec 3<pw; \"$JSUM\" --sign -s enc.key --password-fd 3 -t c -x fd.minisig image.txz")
            .env("JSUM", bin!(jsum)),
        d,
    )
    .success();
    assert_eq!(fs::read(d.join("fd.minisig")).unwrap(), first);
    // No password, or the wrong one: exit 2, named.
    in_dir(without_terminal().args(["--sign", "-s", "enc.key", "image.txz"]), d)
        .code(2)
        .stderr_contains("encrypted");
    fs::write(d.join("bad"), "nope\n").unwrap();
    in_dir(jsum().args(["--sign", "-s", "enc.key", "--password-file", "bad", "image.txz"]), d)
        .code(2)
        .stderr_contains("wrong password");
    // The password never appears in what jsum prints.
    let run = in_dir(jsum().args(["--sign", "-s", "enc.key", "--password-file", "bad", "image.txz"]), d);
    assert!(!run.stderr.contains("nope"));
}

#[test]
fn keygen_with_password_writes_keys_minisign_uses() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    let run = in_dir(jsum().args(["--keygen", "-s", "new.key", "-p", "new.pub", "--password-file", "pw"]), d);
    run.success();
    let secret = fs::read_to_string(d.join("new.key")).unwrap();
    assert!(!String::from_utf8_lossy(&run.stdout).contains(secret.lines().nth(1).unwrap()));
    assert_eq!(fs::metadata(d.join("new.key")).unwrap().permissions().mode() & 0o777, 0o600);
    // minisign reads the password from stdin when it is not a terminal.
    in_dir(Cmd::new("minisign").args(["-S", "-s", "new.key", "-m", "image.txz"]).stdin("pw\n"), d).success();
    in_dir(jsum().args(["--verify", "-p", "new.pub", "image.txz"]), d).success();
    in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "new.pub"]), d).success();
}

#[test]
fn keygen_without_password_interoperates_and_keeps_the_secret_private() {
    if !have("minisign") || !have("signify-openbsd") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    let run = in_dir(jsum().args(["--keygen", "-s", "a.key", "-p", "a.pub", "--json"]), d);
    run.success();
    let record: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let public = fs::read_to_string(d.join("a.pub")).unwrap();
    assert_eq!(record["public_key"], public.lines().nth(1).unwrap());
    let secret = fs::read_to_string(d.join("a.key")).unwrap();
    assert!(!String::from_utf8_lossy(&run.stdout).contains(secret.lines().nth(1).unwrap()));
    assert!(!run.stderr.contains(secret.lines().nth(1).unwrap()));
    assert_eq!(fs::metadata(d.join("a.key")).unwrap().permissions().mode() & 0o777, 0o600);
    in_dir(Cmd::new("minisign").args(["-S", "-s", "a.key", "-m", "image.txz"]), d).success();
    in_dir(jsum().args(["--verify", "-p", "a.pub", "image.txz"]), d).success();
    // Existing keys are not replaced without -f.
    in_dir(jsum().args(["--keygen", "-s", "a.key", "-p", "b.pub"]), d)
        .code(2)
        .stderr_contains("already exists");
    assert_eq!(fs::read_to_string(d.join("a.key")).unwrap(), secret);
    in_dir(jsum().args(["--keygen", "-f", "-s", "a.key", "-p", "a.pub"]), d).success();
    assert_ne!(fs::read_to_string(d.join("a.key")).unwrap(), secret);

    // signify keys: signify signs with jsum's secret key, and verifies with its public key.
    in_dir(jsum().args(["--keygen", "--signify", "-s", "s.sec", "-p", "s.pub"]), d).success();
    assert_eq!(fs::metadata(d.join("s.sec")).unwrap().permissions().mode() & 0o777, 0o600);
    in_dir(Cmd::new("signify-openbsd").args(["-S", "-s", "s.sec", "-m", "image.txz"]), d).success();
    in_dir(Cmd::new("signify-openbsd").args(["-V", "-p", "s.pub", "-m", "image.txz"]), d).success();
    in_dir(jsum().args(["--verify", "--signify", "-p", "s.pub", "image.txz"]), d).success();
}

#[test]
fn jsum_signatures_are_byte_identical_to_signify_detached_and_embedded() {
    if !have("signify-openbsd") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    in_dir(
        Cmd::new("signify-openbsd").args(["-S", "-s", "fx.sec", "-m", "image.txz", "-x", "theirs.sig"]),
        d,
    )
    .success();
    in_dir(jsum().args(["--sign", "--signify", "-s", "fx.sec", "image.txz"]), d).success();
    assert_eq!(fs::read(d.join("image.txz.sig")).unwrap(), fs::read(d.join("theirs.sig")).unwrap());
    in_dir(Cmd::new("signify-openbsd").args(["-V", "-p", "fx.pub", "-m", "image.txz"]), d).success();

    // -e: the message after the signature; each extracts what the other embedded.
    in_dir(
        Cmd::new("signify-openbsd").args(["-S", "-e", "-s", "fx.sec", "-m", "image.txz", "-x", "theirs.e"]),
        d,
    )
    .success();
    in_dir(jsum().args(["--sign", "--signify", "-e", "-s", "fx.sec", "-x", "ours.e", "image.txz"]), d)
        .success();
    assert_eq!(fs::read(d.join("ours.e")).unwrap(), fs::read(d.join("theirs.e")).unwrap());
    in_dir(jsum().args(["--verify", "-e", "-p", "fx.pub", "-o", "out", "theirs.e"]), d).success();
    assert_eq!(fs::read(d.join("out")).unwrap(), fs::read(d.join("image.txz")).unwrap());
    in_dir(Cmd::new("signify-openbsd").args(["-V", "-e", "-p", "fx.pub", "-x", "ours.e", "-m", "out2"]), d)
        .success();
    assert_eq!(fs::read(d.join("out2")).unwrap(), fs::read(d.join("image.txz")).unwrap());

    // Tampered embedded message: both refuse, and jsum writes no output.
    flip_byte(&d.join("ours.e"));
    in_dir(jsum().args(["--verify", "-e", "-p", "fx.pub", "-o", "out3", "ours.e"]), d)
        .code(1)
        .stderr_contains("bad signature");
    assert!(!d.join("out3").exists());
    assert_ne!(
        in_dir(
            Cmd::new("signify-openbsd").args(["-V", "-e", "-p", "fx.pub", "-x", "ours.e", "-m", "out4"]),
            d
        )
        .code,
        Some(0)
    );
}

#[test]
fn jsum_verifies_what_signify_signs_and_rejects_tampering_like_signify() {
    if !have("signify-openbsd") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    fs::write(d.join("other"), b"other").unwrap();
    in_dir(Cmd::new("signify-openbsd").args(["-S", "-s", "fx.sec", "-m", "image.txz"]), d).success();
    in_dir(Cmd::new("signify-openbsd").args(["-S", "-s", "fx.sec", "-m", "other"]), d).success();
    in_dir(jsum().args(["--verify", "--signify", "-p", "fx.pub", "image.txz"]), d).success();
    swap_signature_line(&d.join("image.txz.sig"), &d.join("other.sig"));
    in_dir(jsum().args(["--verify", "--signify", "-p", "fx.pub", "image.txz"]), d)
        .code(1)
        .stderr_contains("bad signature");
    assert_ne!(
        in_dir(Cmd::new("signify-openbsd").args(["-V", "-p", "fx.pub", "-m", "image.txz"]), d).code,
        Some(0)
    );
    in_dir(Cmd::new("signify-openbsd").args(["-S", "-s", "fx.sec", "-m", "image.txz"]), d).success();
    flip_byte(&d.join("image.txz"));
    in_dir(jsum().args(["--verify", "--signify", "-p", "fx.pub", "image.txz"]), d).code(1);
    assert_ne!(
        in_dir(Cmd::new("signify-openbsd").args(["-V", "-p", "fx.pub", "-m", "image.txz"]), d).code,
        Some(0)
    );
    // A minisign signature (signify's tool ignores the trusted comment lines) checked by
    // signify: the formats share keys and signature lines.
    let run = in_dir(jsum().args(["--sign", "-l", "-s", "fx.sec", "-x", "m.minisig", "other"]), d);
    run.success();
    in_dir(Cmd::new("signify-openbsd").args(["-V", "-p", "fx.pub", "-x", "m.minisig", "-m", "other"]), d)
        .success();
}

#[test]
fn tee_signs_the_whole_stream_and_verifies_it_on_the_way_through() {
    if !have("minisign") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    let data = common::noise(3_000_000, 5);
    let run = jsum()
        .args(["--tee", "--sign", "-s", "mini.key", "-t", "stream", "-x", "s.minisig"])
        .stdin(data.clone())
        .dir(d)
        .run();
    run.success();
    assert!(run.stdout == data, "tee copies the stream unchanged");
    fs::write(d.join("stream"), &data).unwrap();
    in_dir(Cmd::new("minisign").args(["-V", "-p", "mini.pub", "-x", "s.minisig", "-m", "stream"]), d)
        .success();
    // Verify while teeing: all data passes, the status tells.
    let run = jsum()
        .args(["--tee", "--verify", "-p", "mini.pub", "-x", "s.minisig"])
        .stdin(data.clone())
        .dir(d)
        .run();
    run.success();
    assert!(run.stdout == data);
    let mut bad = data.clone();
    bad[1_000_000] ^= 1;
    let run = jsum()
        .args(["--tee", "--verify", "-p", "mini.pub", "-x", "s.minisig"])
        .stdin(bad.clone())
        .dir(d)
        .run();
    run.code(1).stderr_contains("bad signature");
    assert!(run.stdout == bad);
    // Plain verification of standard input with -x and '-'.
    jsum()
        .args(["--verify", "-p", "mini.pub", "-x", "s.minisig", "-"])
        .stdin(data)
        .dir(d)
        .run()
        .success()
        .stdout_is("-: OK\n");
}

#[test]
fn verification_failures_name_the_reason_and_exit_1_malformed_files_exit_2_with_the_line() {
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    in_dir(jsum().args(["--sign", "-s", "mini.key", "-t", "x", "image.txz"]), d).success();
    // Wrong key id.
    in_dir(jsum().args(["--verify", "-p", "fx.pub", "image.txz"]), d)
        .code(1)
        .stderr_contains("wrong key id: signed by key 484313059FCAB9D1, the public key is");
    // Missing signature.
    fs::write(d.join("unsigned"), b"x").unwrap();
    in_dir(jsum().args(["--verify", "-p", "mini.pub", "unsigned"]), d)
        .code(1)
        .stderr_contains("unsigned.minisig: missing signature");
    // One good and one bad: 1, each reported.
    let run = in_dir(jsum().args(["--verify", "-p", "mini.pub", "image.txz", "unsigned"]), d);
    run.code(1).stdout_is("image.txz: OK\nunsigned: FAILED\n");
    // Malformed signature and key files: 2, with the line.
    fs::write(d.join("unsigned.minisig"), "untrusted comment: x\nnot base64!\n").unwrap();
    in_dir(jsum().args(["--verify", "-p", "mini.pub", "unsigned"]), d)
        .code(2)
        .stderr_contains("unsigned.minisig: line 2: not base64");
    fs::write(d.join("broken.pub"), "untrusted comment: x\nRWQ=\n").unwrap();
    in_dir(jsum().args(["--verify", "-p", "broken.pub", "image.txz"]), d)
        .code(2)
        .stderr_contains("broken.pub: line 2:");
    fs::write(d.join("noprefix.pub"), "hello\nRWQ=\n").unwrap();
    in_dir(jsum().args(["--verify", "-p", "noprefix.pub", "image.txz"]), d)
        .code(2)
        .stderr_contains("noprefix.pub: line 1: expected 'untrusted comment:");
    in_dir(jsum().args(["--verify", "-P", "RWQ", "image.txz"]), d).code(2).stderr_contains("-P");
}

#[test]
fn signature_flags_that_make_no_sense_are_usage_errors() {
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    for args in [
        &["--sign", "--signify", "-t", "x", "-s", "fx.sec", "image.txz"][..],
        &["--tee", "--sign", "-s", "mini.key"][..],
        &["--tee", "--sign", "--signify", "-s", "fx.sec", "-x", "a.sig"][..],
        &["--verify", "-p", "mini.pub"][..],
        &["--verify", "image.txz"][..],
        &["--sign", "image.txz"][..],
        &["--keygen", "-s", "k"][..],
        &["--sign", "-s", "mini.key", "-a", "sha1", "image.txz"][..],
        &["-p", "mini.pub", "image.txz"][..],
        &["--sign", "--verify", "-s", "mini.key", "image.txz"][..],
        &["--sign", "-s", "mini.key", "--password-fd", "3", "--password-file", "pw", "image.txz"][..],
    ] {
        in_dir(jsum().args(args), d).code(2);
    }
}

/// signify reads passwords only from a terminal: script(1) gives it one, and the password
/// is typed after a pause (readpassphrase flushes what was typed before it asked).
fn signify_with_password(dir: &Path, command: &str, answers: usize) -> common::Run {
    let typing = "sleep 1; printf 'pw\\n'; ".repeat(answers);
    sh(&format!("({typing} sleep 1) | script -qec '{command}' /dev/null")).dir(dir).run()
}

#[test]
fn password_protected_signify_keys_both_ways() {
    if !have("signify-openbsd") || !have("script") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    // signify's encrypted key (bcrypt_pbkdf, 42 rounds): jsum signs with it.
    signify_with_password(d, "signify-openbsd -G -s theirs.sec -p theirs.pub", 2).success();
    assert!(fs::read_to_string(d.join("theirs.sec")).unwrap().len() > 100);
    in_dir(jsum().args(["--sign", "--signify", "-s", "theirs.sec", "--password-file", "pw", "image.txz"]), d)
        .success();
    in_dir(Cmd::new("signify-openbsd").args(["-V", "-p", "theirs.pub", "-m", "image.txz"]), d).success();
    in_dir(without_terminal().args(["--sign", "--signify", "-s", "theirs.sec", "image.txz"]), d)
        .code(2)
        .stderr_contains("encrypted");
    // jsum's encrypted key: signify signs with it given the password.
    in_dir(
        jsum().args(["--keygen", "--signify", "-s", "ours.sec", "-p", "ours.pub", "--password-file", "pw"]),
        d,
    )
    .success();
    fs::remove_file(d.join("image.txz.sig")).unwrap();
    signify_with_password(d, "signify-openbsd -S -s ours.sec -m image.txz", 1).success();
    in_dir(jsum().args(["--verify", "--signify", "-p", "ours.pub", "image.txz"]), d).success();
}

#[test]
fn encrypted_key_without_password_flags_asks_on_the_terminal() {
    if !have("minisign") || !have("script") {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    setup(d);
    let command = format!("{} --sign -s enc.key -t typed image.txz", bin!(jsum));
    let run =
        sh(&format!("(sleep 1; printf 'pw\\n'; sleep 1) | script -qec '{command}' /dev/null")).dir(d).run();
    run.success();
    let shown = String::from_utf8_lossy(&run.stdout);
    assert!(shown.contains("Password for enc.key: "), "{shown}");
    assert!(!shown.contains("pw"), "the password is not echoed: {shown}");
    in_dir(Cmd::new("minisign").args(["-Vm", "image.txz", "-p", "enc.pub"]), d)
        .success()
        .stdout_contains("typed");
}
