//! jfetch --pubkey: specs and files signed by the reference signers (Debian's `minisign` and
//! `signify-openbsd`, fixed keys below made by `minisign -G -W` and `signify-openbsd -G -n`),
//! served by a real lighttpd whose access log shows which requests jfetch made. A spec that
//! is not signed by the key given is refused before any source is asked for anything.
mod common;

use std::fs;
use std::path::Path;

use common::access_log::{lighttpd_logged, requests_until_sentinel};
use common::servers::Daemon;
use common::{Cmd, have};
use sha2::{Digest, Sha256};

/// `minisign -G -W` (no password).
const MINISIGN_KEY: &str = "untrusted comment: minisign encrypted secret key
RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0bnKnwUTQ0gPz6qJzLhYhbUz2JZYMeUpeA8gynb1wR09ricnviVeoMQy/5s6ZVqdyjRN9gcYie3Jbd8w+Z2xO3gzHp8aGyG9AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
";
const MINISIGN_PUB: &str = "untrusted comment: minisign public key 484313059FCAB9D1
RWTRucqfBRNDSMQy/5s6ZVqdyjRN9gcYie3Jbd8w+Z2xO3gzHp8aGyG9
";
const MINISIGN_PUB_STRING: &str = "RWTRucqfBRNDSMQy/5s6ZVqdyjRN9gcYie3Jbd8w+Z2xO3gzHp8aGyG9";
/// `signify-openbsd -G -n -c 'jtools test key'`.
const SIGNIFY_SEC: &str = "untrusted comment: jtools test key secret key
RWRCSwAAAACZmVXNx7m15QkVzULm2XCy4fTfVMnU75gFf1Zymo9+D907EM7cLRJSa1Z4RbEM2fgwe096PWLZ5PFDgsqcwAcde0RbDWq+Zdb5ioKo303NH8aacYPDproj3dklRrC5t8Q=
";
const SIGNIFY_PUB: &str = "untrusted comment: jtools test key public key
RWQFf1Zymo9+D3tEWw1qvmXW+YqCqN9NzR/GmnGDw6a6I93ZJUawubfE
";

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// jfetch with no proxy or credentials inherited from the environment.
fn jfetch() -> Cmd {
    let mut cmd = Cmd::new(bin!(jfetch));
    for var in ["http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy", "ALL_PROXY", "no_proxy", "NETRC"] {
        cmd.command().env_remove(var);
    }
    cmd.env("NETRC", "/dev/null")
}

/// The test's world: a logging lighttpd, the keys in a work directory, the image served.
struct World {
    server: Daemon,
    work: tempfile::TempDir,
    image: Vec<u8>,
}

impl World {
    /// None (skipped, or failed under JTOOLS_REQUIRE_ALL=1) without the signers or lighttpd.
    fn new(test: &str) -> Option<World> {
        if !have("minisign") || !have("signify-openbsd") {
            return None;
        }
        let server = lighttpd_logged(test)?;
        let work = common::tempdir();
        let w = work.path();
        fs::write(w.join("mini.key"), MINISIGN_KEY).unwrap();
        fs::write(w.join("mini.pub"), MINISIGN_PUB).unwrap();
        fs::write(w.join("fx.sec"), SIGNIFY_SEC).unwrap();
        fs::write(w.join("fx.pub"), SIGNIFY_PUB).unwrap();
        let image = common::noise(400_000, 91);
        fs::create_dir_all(server.www().join("m1")).unwrap();
        fs::create_dir_all(server.www().join("m2")).unwrap();
        fs::write(server.www().join("m1/hello.img"), &image).unwrap();
        fs::write(server.www().join("m2/hello.img"), &image).unwrap();
        Some(World { server, work, image })
    }

    fn dir(&self) -> &Path {
        self.work.path()
    }

    fn www(&self, name: &str) -> std::path::PathBuf {
        self.server.www().join(name)
    }

    /// The real AppJail hello .ajspec with its amd64 sum, size and sources pointing at the
    /// image on both mirrors of this server.
    fn ajspec(&self) -> Option<String> {
        let path = common::shared_dir().join("corpus/ajspec/AppJail-makejails_hello.ajspec");
        let Ok(text) = fs::read_to_string(&path) else {
            common::skip("the shared corpus is missing");
            return None;
        };
        let mut out = String::new();
        for line in text.lines() {
            let line = match line.split_once(':') {
                Some(("latest.sum.amd64", _)) => format!("latest.sum.amd64: {}", sha256_hex(&self.image)),
                Some(("latest.size.amd64", _)) => format!("latest.size.amd64: {}", self.image.len()),
                Some(("latest.source.amd64", _)) => {
                    format!("latest.source.amd64: \"{}\"", self.server.url("m1/hello.img"))
                }
                Some(("latest.source.amd64+", _)) => {
                    format!("latest.source.amd64+: \"{}\"", self.server.url("m2/hello.img"))
                }
                _ => line.to_string(),
            };
            out.push_str(&line);
            out.push('\n');
        }
        Some(out)
    }

    /// Runs a signer in the work directory; it must succeed.
    fn sign(&self, program: &str, args: &[&str]) {
        Cmd::new(program).args(args).dir(self.dir()).run().success();
    }

    /// Requests the server logged for the image (none must be made for a refused spec).
    fn image_requests(&self) -> Vec<String> {
        requests_until_sentinel(&self.server).into_iter().filter(|l| l.contains("hello.img")).collect()
    }

    fn nothing_written(&self, out: &str) {
        for name in [out.to_string(), format!("{out}.part")] {
            assert!(!self.dir().join(&name).exists(), "{name} must not exist");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Signed specs

#[test]
fn spec_signed_by_minisign_is_verified_then_the_image_by_its_digest() {
    let Some(w) = World::new("spec_signed_by_minisign_is_verified_then_the_image_by_its_digest") else {
        return;
    };
    let Some(spec) = w.ajspec() else { return };
    // Local spec with its .minisig beside it.
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "hello.ajspec", "-t", "hello for amd64"]);
    let run = jfetch()
        .args(["-q", "--json", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run();
    run.success();
    assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image);
    let record: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["spec_signature"]["trusted_comment"], "hello for amd64", "{record}");
    assert_eq!(record["spec_signature"]["key_id"], "484313059FCAB9D1", "{record}");
    assert_eq!(record["spec_signature"]["file"], "hello.ajspec.minisig", "{record}");

    // The spec served over http, its signature fetched beside it (URL.minisig); the key as
    // a string.
    fs::copy(w.dir().join("hello.ajspec"), w.www("hello.ajspec")).unwrap();
    fs::copy(w.dir().join("hello.ajspec.minisig"), w.www("hello.ajspec.minisig")).unwrap();
    let url = w.server.url("hello.ajspec");
    jfetch()
        .args(["-q", "--pubkey-string", MINISIGN_PUB_STRING, "--spec", &url, "-a", "amd64", "-o", "img2"])
        .dir(w.dir())
        .run()
        .success();
    assert_eq!(fs::read(w.dir().join("img2")).unwrap(), w.image);
    let log = requests_until_sentinel(&w.server);
    assert!(log.iter().any(|l| l.starts_with("GET /hello.ajspec.minisig ")), "{log:?}");

    // --spec-sig names the signature elsewhere.
    fs::rename(w.dir().join("hello.ajspec.minisig"), w.dir().join("elsewhere.minisig")).unwrap();
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "--spec-sig", "elsewhere.minisig"])
        .args(["-a", "amd64", "-o", "img3"])
        .dir(w.dir())
        .run()
        .success();
    assert_eq!(fs::read(w.dir().join("img3")).unwrap(), w.image);
}

#[test]
fn unsigned_spec_is_refused_and_nothing_is_downloaded() {
    let Some(w) = World::new("unsigned_spec_is_refused_and_nothing_is_downloaded") else { return };
    let Some(spec) = w.ajspec() else { return };
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    fs::write(w.www("hello.ajspec"), &spec).unwrap();
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("hello.ajspec: refused: missing signature")
        .stderr_contains("hello.ajspec.minisig: No such file or directory");
    w.nothing_written("img");
    // Over http: both places beside it are asked for (404), the image never.
    let url = w.server.url("hello.ajspec");
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", &url, "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("refused: missing signature")
        .stderr_contains("hello.ajspec.sig: HTTP 404");
    w.nothing_written("img");
    let log = requests_until_sentinel(&w.server);
    assert!(
        log.iter().any(|l| l.starts_with("GET /hello.ajspec.minisig ") && l.ends_with(" 404")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.starts_with("GET /hello.ajspec.sig ") && l.ends_with(" 404")), "{log:?}");
    assert_eq!(w.image_requests(), Vec::<String>::new(), "no request for the image");
    // To stdout too: nothing written.
    let run = jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64"])
        .dir(w.dir())
        .run();
    run.code(1);
    assert!(run.stdout.is_empty());
    // Without a key the same spec is used as before: its digest is all that is checked.
    jfetch().args(["-q", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"]).dir(w.dir()).run().success();
}

#[test]
fn tampered_spec_is_refused_and_nothing_is_downloaded() {
    let Some(w) = World::new("tampered_spec_is_refused_and_nothing_is_downloaded") else { return };
    let Some(spec) = w.ajspec() else { return };
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "hello.ajspec"]);
    // Whoever can write to the metadata host points the sum at another image.
    let evil = common::noise(400_000, 666);
    fs::write(w.www("m1/evil.img"), &evil).unwrap();
    let tampered =
        spec.replace(&sha256_hex(&w.image), &sha256_hex(&evil)).replace("m1/hello.img", "m1/evil.img");
    fs::write(w.dir().join("hello.ajspec"), &tampered).unwrap();
    // minisign itself refuses it.
    let theirs = Cmd::new("minisign").args(["-V", "-p", "mini.pub", "-m", "hello.ajspec"]).dir(w.dir()).run();
    assert_ne!(theirs.code, Some(0), "minisign must refuse the tampered spec");
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("hello.ajspec: refused: hello.ajspec.minisig: bad signature");
    w.nothing_written("img");
    let log = requests_until_sentinel(&w.server);
    assert!(!log.iter().any(|l| l.contains(".img")), "no image requested: {log:?}");

    // A tampered trusted comment is refused too.
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    let sig = fs::read_to_string(w.dir().join("hello.ajspec.minisig")).unwrap();
    fs::write(w.dir().join("hello.ajspec.minisig"), sig.replace("trusted comment: ", "trusted comment: x"))
        .unwrap();
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(1)
        .stderr_contains("bad trusted comment signature");
    w.nothing_written("img");
}

#[test]
fn spec_signed_by_another_key_is_refused() {
    let Some(w) = World::new("spec_signed_by_another_key_is_refused") else { return };
    let Some(spec) = w.ajspec() else { return };
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    w.sign("minisign", &["-G", "-W", "-s", "other.key", "-p", "other.pub"]);
    w.sign("minisign", &["-S", "-s", "other.key", "-m", "hello.ajspec"]);
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("hello.ajspec.minisig: wrong key id")
        .stderr_contains("the public key is 484313059FCAB9D1");
    w.nothing_written("img");
    assert_eq!(w.image_requests(), Vec::<String>::new());
    // The signer's own key accepts it (the refusal was the key, not the file).
    jfetch()
        .args(["-q", "--pubkey", "other.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .success();
}

#[test]
fn spec_signed_by_signify_is_found_as_sig_beside_it() {
    let Some(w) = World::new("spec_signed_by_signify_is_found_as_sig_beside_it") else { return };
    let Some(spec) = w.ajspec() else { return };
    fs::write(w.www("hello.ajspec"), &spec).unwrap();
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    w.sign("signify-openbsd", &["-S", "-s", "fx.sec", "-m", "hello.ajspec"]);
    fs::copy(w.dir().join("hello.ajspec.sig"), w.www("hello.ajspec.sig")).unwrap();
    let url = w.server.url("hello.ajspec");
    let run = jfetch()
        .args(["-q", "--json", "--pubkey", "fx.pub", "--spec", &url, "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run();
    run.success();
    assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image);
    let record: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["spec_signature"]["file"], url.clone() + ".sig", "{record}");
    // The minisign key does not accept signify's signature by the other key.
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", &url, "-a", "amd64", "-o", "img4"])
        .dir(w.dir())
        .run()
        .code(1)
        .stderr_contains("wrong key id");
    w.nothing_written("img4");
    // A signify signature that no longer matches the spec (tampered after signing).
    fs::write(w.www("hello.ajspec"), spec.replace("latest.name: \"hello\"", "latest.name: \"evil\""))
        .unwrap();
    jfetch()
        .args(["-q", "--pubkey", "fx.pub", "--spec", &url, "-a", "amd64", "-o", "img5"])
        .dir(w.dir())
        .run()
        .code(1)
        .stderr_contains("bad signature");
    w.nothing_written("img5");
}

#[test]
fn malformed_signature_file_exits_2_naming_it() {
    let Some(w) = World::new("malformed_signature_file_exits_2_naming_it") else { return };
    let Some(spec) = w.ajspec() else { return };
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    fs::write(w.dir().join("hello.ajspec.minisig"), "untrusted comment: x\nnot base64 at all!\n").unwrap();
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("hello.ajspec.minisig: line 2:");
    w.nothing_written("img");
    // An image signature that is not one.
    fs::write(w.dir().join("bad.minisig"), "hello\n").unwrap();
    jfetch()
        .args([
            "-q",
            "--pubkey",
            "mini.pub",
            "--sig",
            "bad.minisig",
            "-o",
            "img",
            &w.server.url("m1/hello.img"),
        ])
        .dir(w.dir())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("bad.minisig: line 1");
    w.nothing_written("img");
    // A malformed key is named too.
    fs::write(w.dir().join("bad.pub"), "untrusted comment: x\nRWQ\n").unwrap();
    jfetch()
        .args(["-q", "--pubkey", "bad.pub", "--spec", "hello.ajspec", "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("bad.pub: line 2");
    assert_eq!(w.image_requests(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// Signed images (--sig)

#[test]
fn image_signature_verified_while_streaming_to_file_and_stdout() {
    let Some(w) = World::new("image_signature_verified_while_streaming_to_file_and_stdout") else { return };
    fs::copy(w.www("m1/hello.img"), w.dir().join("hello.img")).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "hello.img", "-t", "hello image"]);
    fs::copy(w.dir().join("hello.img.minisig"), w.www("m1/hello.img.minisig")).unwrap();
    let url = w.server.url("m1/hello.img");
    let sig_url = format!("{url}.minisig");
    // -o, the signature by URL, no digest: the signature is the check.
    let run = jfetch()
        .args(["-q", "--json", "--pubkey", "mini.pub", "--sig", &sig_url, "-o", "img", &url])
        .dir(w.dir())
        .run();
    run.success();
    assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image);
    let record: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["verified"], true, "{record}");
    assert_eq!(record["signature"]["trusted_comment"], "hello image", "{record}");
    // To stdout, the signature as a local file, with a digest as well.
    let run = jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--sig", "hello.img.minisig"])
        .args(["--sha256", &sha256_hex(&w.image), &url])
        .dir(w.dir())
        .run();
    run.success();
    assert_eq!(run.stdout, w.image);
    // An OUT.part left by an earlier run is resumed: its bytes are fed to the signature
    // check first, then the rest comes with Range.
    fs::write(w.dir().join("res.part"), &w.image[..150_000]).unwrap();
    jfetch()
        .args(["--pubkey", "mini.pub", "--sig", "hello.img.minisig", "-o", "res", &url])
        .dir(w.dir())
        .run()
        .success()
        .stderr_contains("resuming at byte 150000");
    assert_eq!(fs::read(w.dir().join("res")).unwrap(), w.image);
    // Held bytes that are not the file's fail the check; a clean start on the source delivers.
    let mut wrong = w.image[..150_000].to_vec();
    wrong[7] ^= 1;
    fs::write(w.dir().join("res2.part"), &wrong).unwrap();
    jfetch()
        .args(["--pubkey", "mini.pub", "--sig", "hello.img.minisig", "-o", "res2", &url])
        .dir(w.dir())
        .run()
        .success()
        .stderr_contains("bad signature");
    assert_eq!(fs::read(w.dir().join("res2")).unwrap(), w.image);
    // The one mirror serves other bytes: to stdout the data went out, the exit says no.
    let tampered = common::noise(400_000, 92);
    fs::write(w.www("m2/hello.img"), &tampered).unwrap();
    let run = jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--sig", "hello.img.minisig", &w.server.url("m2/hello.img")])
        .dir(w.dir())
        .run();
    run.code(1).stderr_contains("hello.img.minisig: bad signature");
    assert_eq!(run.stdout, tampered);
    // With -o: no OUT, no OUT.part.
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--sig", "hello.img.minisig", "-o", "bad"])
        .arg(w.server.url("m2/hello.img"))
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("bad signature");
    w.nothing_written("bad");
}

#[test]
fn tampered_image_on_first_mirror_falls_back_to_the_good_one() {
    let Some(w) = World::new("tampered_image_on_first_mirror_falls_back_to_the_good_one") else { return };
    fs::copy(w.www("m1/hello.img"), w.dir().join("hello.img")).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "hello.img"]);
    // Mirror 1 serves a file of the same size with one byte changed.
    let mut tampered = w.image.clone();
    tampered[200_000] ^= 0x20;
    fs::write(w.www("m1/hello.img"), &tampered).unwrap();
    let (m1, m2) = (w.server.url("m1/hello.img"), w.server.url("m2/hello.img"));
    let run = jfetch()
        .args(["--pubkey", "mini.pub", "--sig", "hello.img.minisig", "-o", "img", &m1, &m2])
        .dir(w.dir())
        .run();
    run.success().stderr_contains("bad signature").stderr_contains("trying the next source");
    assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image);
    let log = requests_until_sentinel(&w.server);
    assert!(log.iter().any(|l| l.starts_with("GET /m2/hello.img ")), "{log:?}");
    // To stdout, a fallback after bytes went out cannot take them back: exit 1.
    let run = jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--sig", "hello.img.minisig", &m1, &m2])
        .dir(w.dir())
        .run();
    run.code(1).stderr_contains("bad signature");
}

#[test]
fn legacy_and_signify_image_signatures_check_the_whole_part_before_the_rename() {
    let test = "legacy_and_signify_image_signatures_check_the_whole_part_before_the_rename";
    let Some(w) = World::new(test) else { return };
    fs::copy(w.www("m1/hello.img"), w.dir().join("hello.img")).unwrap();
    w.sign("minisign", &["-S", "-l", "-s", "mini.key", "-m", "hello.img", "-x", "legacy.minisig"]);
    w.sign("signify-openbsd", &["-S", "-s", "fx.sec", "-m", "hello.img", "-x", "hello.img.sig"]);
    assert!(
        fs::read_to_string(w.dir().join("legacy.minisig")).unwrap().contains("\nRW"),
        "legacy 'Ed' signature"
    );
    let url = w.server.url("m1/hello.img");
    for (key, sig) in [("mini.pub", "legacy.minisig"), ("fx.pub", "hello.img.sig")] {
        jfetch().args(["-q", "--pubkey", key, "--sig", sig, "-o", "img", &url]).dir(w.dir()).run().success();
        assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image, "{sig}");
        fs::remove_file(w.dir().join("img")).unwrap();
        // To stdout these need the whole file in memory: refused before any request.
        let before = requests_until_sentinel(&w.server).len();
        let run = jfetch().args(["-q", "--pubkey", key, "--sig", sig, &url]).dir(w.dir()).run();
        run.code(2).one_line_error("jfetch").stderr_contains("give -o OUT");
        assert!(run.stdout.is_empty());
        let after = requests_until_sentinel(&w.server);
        assert_eq!(after.len(), before, "no request for the image: {after:?}");
    }
    // A tampered first mirror: the .part fails the check, the second mirror delivers.
    let mut tampered = w.image.clone();
    tampered[10] ^= 1;
    fs::write(w.www("m1/hello.img"), &tampered).unwrap();
    let m2 = w.server.url("m2/hello.img");
    for (key, sig) in [("mini.pub", "legacy.minisig"), ("fx.pub", "hello.img.sig")] {
        jfetch()
            .args(["--pubkey", key, "--sig", sig, "-o", "img", &url, &m2])
            .dir(w.dir())
            .run()
            .success()
            .stderr_contains("bad signature");
        assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image, "{sig}");
        fs::remove_file(w.dir().join("img")).unwrap();
        // Only the tampered mirror: exit 1, nothing left.
        jfetch()
            .args(["-q", "--pubkey", key, "--sig", sig, "-o", "img", &url])
            .dir(w.dir())
            .run()
            .code(1)
            .one_line_error("jfetch")
            .stderr_contains(&format!("{sig}: bad signature"));
        w.nothing_written("img");
    }
}

#[test]
fn image_signature_by_another_key_is_refused_before_downloading() {
    let Some(w) = World::new("image_signature_by_another_key_is_refused_before_downloading") else { return };
    fs::copy(w.www("m1/hello.img"), w.dir().join("hello.img")).unwrap();
    w.sign("signify-openbsd", &["-S", "-s", "fx.sec", "-m", "hello.img"]);
    let url = w.server.url("m1/hello.img");
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--sig", "hello.img.sig", "-o", "img", &url])
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("hello.img.sig: wrong key id");
    w.nothing_written("img");
    assert_eq!(w.image_requests(), Vec::<String>::new());
    // A missing signature is a refusal too; a signature without a key is a usage error.
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--sig", "nope.minisig", "-o", "img", &url])
        .dir(w.dir())
        .run()
        .code(1)
        .stderr_contains("nope.minisig: missing signature");
    jfetch()
        .args(["-q", "--sig", "hello.img.sig", &url])
        .dir(w.dir())
        .run()
        .code(2)
        .stderr_contains("--pubkey");
    w.nothing_written("img");
}

#[test]
fn spec_and_signature_over_https_use_jfetchs_trust_settings() {
    let test = "spec_and_signature_over_https_use_jfetchs_trust_settings";
    let Some(w) = World::new(test) else { return };
    let Some(nginx) = common::nginx::start_nginx() else { return };
    let Some(spec) = w.ajspec() else { return };
    fs::write(nginx.www().join("hello.ajspec"), &spec).unwrap();
    fs::write(w.dir().join("hello.ajspec"), &spec).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "hello.ajspec"]);
    fs::copy(w.dir().join("hello.ajspec.minisig"), nginx.www().join("hello.ajspec.minisig")).unwrap();
    let url = nginx.tls_url("hello.ajspec");
    let ca = nginx.ca().display().to_string();
    jfetch()
        .args(["-q", "--cacert", &ca, "--pubkey", "mini.pub", "--spec", &url, "-a", "amd64", "-o", "img"])
        .dir(w.dir())
        .run()
        .success();
    assert_eq!(fs::read(w.dir().join("img")).unwrap(), w.image);
    // Trusting another CA, the spec cannot be fetched: an error (2), not a refusal, and no
    // image is asked for.
    let other = common::servers::Pki::with_name("another CA");
    jfetch()
        .env("SSL_CERT_FILE", other.path("ca.crt"))
        .args(["-q", "--retries", "0", "--pubkey", "mini.pub", "--spec", &url, "-a", "amd64", "-o", "img2"])
        .dir(w.dir())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("hello.ajspec");
    w.nothing_written("img2");
    assert_eq!(w.image_requests(), vec![format!("GET /m1/hello.img HTTP/1.1 200")]);
}

#[test]
fn signed_imgadm_manifest_from_the_image_server() {
    let Some(w) = World::new("signed_imgadm_manifest_from_the_image_server") else { return };
    let path =
        common::shared_dir().join("corpus/smartos/c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json");
    let Ok(bytes) = fs::read(&path) else {
        common::skip("the shared corpus is missing");
        return;
    };
    let mut manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    manifest["files"][0]["sha1"] = hex::encode(sha1::Sha1::digest(&w.image)).into();
    manifest["files"][0]["size"] = w.image.len().into();
    let uuid = "c58161c0-2547-11e2-a75e-9fdca1940570";
    fs::create_dir_all(w.www(&format!("images/{uuid}"))).unwrap();
    fs::write(w.www(&format!("images/{uuid}/file")), &w.image).unwrap();
    fs::write(w.dir().join("manifest.json"), manifest.to_string()).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "manifest.json"]);
    fs::copy(w.dir().join("manifest.json"), w.www(&format!("images/{uuid}/manifest.json"))).unwrap();
    fs::copy(w.dir().join("manifest.json.minisig"), w.www(&format!("images/{uuid}/manifest.json.minisig")))
        .unwrap();
    let url = w.server.url(&format!("images/{uuid}/manifest.json"));
    let base = w.server.url("images");
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", &url, "--source-base", &base, "-o", "file"])
        .dir(w.dir())
        .run()
        .success();
    assert_eq!(fs::read(w.dir().join("file")).unwrap(), w.image);
    // The manifest changed on the server after signing (another sha1): refused, not fetched.
    manifest["files"][0]["sha1"] = "0".repeat(40).into();
    fs::write(w.www(&format!("images/{uuid}/manifest.json")), manifest.to_string()).unwrap();
    jfetch()
        .args(["-q", "--pubkey", "mini.pub", "--spec", &url, "--source-base", &base, "-o", "file2"])
        .dir(w.dir())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("manifest.json.minisig: bad signature");
    w.nothing_written("file2");
    let log = requests_until_sentinel(&w.server);
    assert_eq!(
        log.iter().filter(|l| l.contains(&format!("{uuid}/file "))).count(),
        1,
        "only the first run's: {log:?}"
    );
}

#[test]
fn cache_hit_must_verify_against_the_signature_too() {
    let Some(w) = World::new("cache_hit_must_verify_against_the_signature_too") else { return };
    fs::copy(w.www("m1/hello.img"), w.dir().join("hello.img")).unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "hello.img"]);
    fs::write(w.dir().join("other"), b"another file by the same key").unwrap();
    w.sign("minisign", &["-S", "-s", "mini.key", "-m", "other"]);
    let url = w.server.url("m1/hello.img");
    let sha = sha256_hex(&w.image);
    let fetch = |sig: &str, out: &str| {
        jfetch()
            .args([
                "-q", "--cache", "cache", "--sha256", &sha, "--pubkey", "mini.pub", "--sig", sig, "-o", out,
                &url,
            ])
            .dir(w.dir())
            .run()
    };
    fetch("hello.img.minisig", "a").success();
    let requests = w.image_requests().len();
    // A hit: no request, and the signature still checked.
    fetch("hello.img.minisig", "b").success();
    assert_eq!(fs::read(w.dir().join("b")).unwrap(), w.image);
    assert_eq!(w.image_requests().len(), requests, "served from the cache");
    // A signature of other bytes does not let the hit through.
    fetch("other.minisig", "c")
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("other.minisig: bad signature");
    assert!(!w.dir().join("c").exists());
}
