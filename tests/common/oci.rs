//! OCI fixtures shared by the OCI tests (tests/oci_lib.rs, tests/jspec_oci.rs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

/// What [`make_oci_image_txz`] wrote.
pub struct MakeOciImage {
    /// The archive (`w/container-image-static.txz`).
    pub txz: PathBuf,
    /// The layer's diff_id (`sha256:` + the uncompressed tar's digest).
    pub diff_id: String,
    /// The config blob's text.
    pub config: String,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn sha256_file(path: &Path) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(fs::read(path).unwrap())))
}

/// Writes, under `w`, an archive in the shape FreeBSD's `release/scripts/make-oci-image.sh`
/// writes for the root file system `tree`: JSON by hand with echo (no platform in
/// index.json, `"cmd"` in lowercase), ref.name `freebsd-static:14.3-RELEASE-amd64`, one
/// gzip'd layer, and the layout packed with `bsdtar --xz --strip-components 1`. Needs bsdtar
/// and gzip.
pub fn make_oci_image_txz(w: &Path, tree: &Path) -> MakeOciImage {
    run(Command::new("bsdtar")
        .arg("-C")
        .arg(tree)
        .args(["--strip-components", "1", "-cf"])
        .arg(w.join("rootfs.tar"))
        .arg("."));
    let diff_id = sha256_file(&w.join("rootfs.tar"));
    let gz = fs::File::create(w.join("rootfs.tar.gz")).unwrap();
    run(Command::new("gzip").args(["-n", "-c"]).arg(w.join("rootfs.tar")).stdout(gz));
    let root_hash = sha256_file(&w.join("rootfs.tar.gz"));
    let root_size = fs::metadata(w.join("rootfs.tar.gz")).unwrap().len();
    let config = format!(
        "{{\"created\":\"2025-06-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"freebsd\",\"config\":{{\"cmd\":[\"/bin/sh\"]}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{diff_id}\"]}},\"history\":[{{\"created\":\"2025-06-01T00:00:00Z\",\"created_by\":\"make-oci-image.sh\"}}]}}\n"
    );
    let config_hash = format!("sha256:{}", hex::encode(sha2::Sha256::digest(config.as_bytes())));
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config_hash}\",\"size\":{}}},\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{root_hash}\",\"size\":{root_size}}}],\"annotations\":{{}}}}\n",
        config.len()
    );
    let manifest_hash = format!("sha256:{}", hex::encode(sha2::Sha256::digest(manifest.as_bytes())));
    let oci = w.join("oci");
    let blobs = oci.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    fs::write(oci.join("oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}\n").unwrap();
    fs::write(oci.join("index.json"), format!("{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{manifest_hash}\",\"size\":{},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"freebsd-static:14.3-RELEASE-amd64\"}}}}]}}\n", manifest.len())).unwrap();
    fs::hard_link(w.join("rootfs.tar.gz"), blobs.join(&root_hash[7..])).unwrap();
    fs::write(blobs.join(&config_hash[7..]), &config).unwrap();
    fs::write(blobs.join(&manifest_hash[7..]), &manifest).unwrap();
    let txz = w.join("container-image-static.txz");
    run(Command::new("bsdtar")
        .arg("-C")
        .arg(&oci)
        .args(["--xz", "--strip-components", "1", "-cf"])
        .arg(&txz)
        .arg("."));
    MakeOciImage { txz, diff_id, config }
}
