//! Issue 18: each tool is its own package and links only what it uses. The dependency tree
//! cargo resolves for one tool alone (`cargo tree -p TOOL -e normal`, what `cargo build -p
//! TOOL` compiles and links) must leave out the C codecs, the digests and the TLS stack
//! wherever the tool's code has no use for them. That each jcore feature and each tool
//! builds on its own is checked by .ci/run.d/features.sh.
mod common;

use std::collections::BTreeSet;
use std::process::Command;

/// The crates in `package`'s normal (non-dev, non-build) dependency tree, for the host.
fn dependencies(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(common::repo_root())
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .output()
        .expect("running cargo tree");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let crates: BTreeSet<String> =
        text.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_string).collect();
    assert!(crates.contains(package), "cargo tree -p {package} does not list {package} itself:\n{text}");
    crates
}

fn assert_lacks(package: &str, forbidden: &[&str]) {
    let crates = dependencies(package);
    let found: Vec<&&str> = forbidden.iter().filter(|c| crates.contains(**c)).collect();
    assert!(found.is_empty(), "{package} links {found:?}, which its code does not use; its tree: {crates:?}");
}

/// The C codecs and what only they bring.
const CODECS: &[&str] = &[
    "zstd",
    "zstd-sys",
    "liblzma",
    "liblzma-sys",
    "lzma-sys",
    "bzip2",
    "bzip2-sys",
    "libbz2-rs-sys",
    "libsais-sys",
    "flate2",
];
/// The TLS stack and the HTTP client.
const NETWORK: &[&str] = &["ureq", "rustls", "rustls-webpki", "rustls-native-certs", "ring"];
/// Digests and signatures.
const DIGESTS: &[&str] = &["sha2", "sha1", "blake3", "blake2", "scrypt"];

#[test]
fn jrun_links_no_codec_digest_or_tls() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    let forbidden: Vec<&str> = [CODECS, NETWORK, DIGESTS, &["tar", "serde_json"]].concat();
    assert_lacks("jrun", &forbidden);
}

#[test]
fn jsnap_links_no_tls_or_digests() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    assert_lacks("jsnap", &[NETWORK, DIGESTS].concat());
}

#[test]
fn jpack_links_no_tls_digests_or_tar() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    assert_lacks("jpack", &[NETWORK, DIGESTS, &["tar"]].concat());
}

#[test]
fn jsum_links_no_codecs_or_http() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    assert_lacks("jsum", &[CODECS, &["ureq", "rustls", "tar"]].concat());
}

#[test]
fn jspec_links_no_http_or_signatures() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    assert_lacks("jspec", &["ureq", "rustls", "ring", "blake2", "scrypt"]);
}

#[test]
fn jcli_links_only_the_conventions() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    assert_lacks("jcli", &[CODECS, NETWORK, DIGESTS, &["tar", "serde_json"]].concat());
}

/// The check above is only worth something if the tree it reads is the real one: jfetch
/// does use the HTTP client, TLS, the codecs and the digests.
#[test]
fn jfetch_links_http_tls_codecs_and_digests() {
    if !common::require_root(
        "cargo tree runs the toolchain and registry cache of the build, which are root's",
    ) {
        return;
    }
    let crates = dependencies("jfetch");
    for needed in ["jcore", "jcli", "ureq", "rustls", "ring", "zstd-sys", "liblzma-sys", "sha2", "blake3"] {
        assert!(crates.contains(needed), "jfetch's tree lacks {needed}: {crates:?}");
    }
}
