//! jfetch against a real OCI registry (Debian's docker-registry, distribution 2.8), with the
//! reference tools on the other side: images pushed by skopeo are pulled by jfetch with the
//! same digests into layouts skopeo and oci-image-tool accept; layouts umoci and skopeo make
//! are pushed by jfetch and read back by skopeo; a multi-platform index; broken blobs in the
//! registry's storage, unknown tags, wrong passwords, htpasswd behind TLS and Bearer tokens.
mod common;

use std::path::Path;

use common::Cmd;
use common::registry::{self, Auth, CuttingRelay, FixedServer, Registry, TokenServer, umoci_image};
use common::servers::Pki;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// jfetch with no proxy, trust or credential settings inherited from the environment.
fn jfetch() -> Cmd {
    let mut cmd = Cmd::new(bin!(jfetch));
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NETRC",
        "JFETCH_CREDS",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
    ] {
        cmd.command().env_remove(var);
    }
    cmd.env("HOME", "/nonexistent-jtools-home")
}

fn tools() -> bool {
    ["docker-registry", "skopeo", "umoci", "oci-image-tool", "openssl"].iter().all(|t| common::have(t))
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap()
}

/// The manifest descriptor index.json names (the only one).
fn layout_top(dir: &Path) -> Value {
    let index = json_file(&dir.join("index.json"));
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1, "{index}");
    manifests[0].clone()
}

fn blob(dir: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(dir.join("blobs/sha256").join(digest.strip_prefix("sha256:").unwrap())).unwrap()
}

/// skopeo, with no credentials file of the machine's.
fn skopeo() -> Cmd {
    let mut cmd = Cmd::new("skopeo");
    cmd.command().env("REGISTRY_AUTH_FILE", "/nonexistent-jtools-auth.json");
    cmd
}

/// `skopeo inspect --raw` of an image on a plain-http registry: the manifest bytes.
fn registry_manifest(registry: &Registry, name: &str) -> Vec<u8> {
    let run = skopeo().args(["inspect", "--raw", "--tls-verify=false"]).arg(registry.reference(name)).run();
    run.success();
    run.stdout.clone()
}

/// A two-layer umoci image in `dir`, tag `t`.
fn sample_image(dir: &Path, seed: u64) {
    let big = common::noise(600_000, seed);
    umoci_image(
        dir,
        "t",
        &[&[("etc/motd", b"hello from jtools\n"), ("bin/big", &big)], &[("etc/motd", b"second layer\n")]],
    );
}

// ---------------------------------------------------------------------------------------
// Pull: what skopeo pushed

#[test]
fn skopeo_pushes_jfetch_pulls_same_digests_and_a_layout_the_tools_accept() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 1);
    skopeo()
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:t", source.display()))
        .arg(reg.reference("jails/web:14.2"))
        .run()
        .success();
    let served = registry_manifest(&reg, "jails/web:14.2");
    let out = work.path().join("pulled");
    let run = jfetch()
        .args(["--plain-http", "-q", "--json", "-o"])
        .arg(&out)
        .arg(reg.reference("jails/web:14.2"))
        .run();
    run.success();
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    let top = layout_top(&out);
    assert_eq!(top["digest"], sha256(&served), "the registry's manifest digest");
    assert_eq!(record["digest"], top["digest"]);
    assert_eq!(top["annotations"]["org.opencontainers.image.ref.name"], "14.2");
    assert_eq!(top["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    // Byte for byte what skopeo pushed: the manifest and every blob.
    let digest = top["digest"].as_str().unwrap();
    assert_eq!(blob(&out, digest), served);
    let manifest: Value = serde_json::from_slice(&served).unwrap();
    for d in std::iter::once(&manifest["config"]).chain(manifest["layers"].as_array().unwrap()) {
        let digest = d["digest"].as_str().unwrap();
        assert_eq!(blob(&out, digest), blob(&source, digest), "{digest}");
    }
    // The references accept the layout.
    let inspect = skopeo().arg("inspect").arg(format!("oci:{}:14.2", out.display())).run();
    inspect.success();
    let inspected: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(inspected["Digest"], top["digest"]);
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 2);
    Cmd::new("oci-image-tool")
        .args(["validate", "--type", "image", "--ref", "name=14.2"])
        .arg(&out)
        .run()
        .success();
    // No temporary sibling is left beside the layout.
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("jtools-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The target must not exist.
    jfetch()
        .args(["--plain-http", "-q", "-o"])
        .arg(&out)
        .arg(reg.reference("jails/web:14.2"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("already exists");
    // By digest too.
    let by_digest = work.path().join("by-digest");
    jfetch()
        .args(["--plain-http", "-q", "-o"])
        .arg(&by_digest)
        .arg(format!("{}@{digest}", reg.reference("jails/web")))
        .run()
        .success();
    assert_eq!(layout_top(&by_digest)["digest"], top["digest"]);
}

#[test]
fn docker_v2_manifest_is_converted_to_oci_with_the_digests_skopeo_copy_gives() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 2);
    // A config with what the conversion must carry as Go does: HTML characters escaped,
    // a fractional creation time, run settings, a history entry of its own.
    Cmd::new("umoci")
        .args(["config", "--image", &format!("{}:t", source.display())])
        .args(["--author", "Jail <ops@example.org>", "--created", "2024-01-02T03:04:05.120Z"])
        .args(["--config.user", "www", "--config.workingdir", "/srv", "--config.exposedports", "80/tcp"])
        .args([
            "--config.env",
            "A=1&2",
            "--config.cmd",
            "/bin/sh",
            "--config.cmd",
            "-c",
            "--config.cmd",
            "a && b",
        ])
        .args(["--config.label", "org.freebsd.jail.allow.raw_sockets=1", "--config.stopsignal", "SIGTERM"])
        .args(["--history.created_by", "make && make install > /dev/null", "--history.comment", "<built>"])
        .run()
        .success();
    skopeo()
        .args(["copy", "--format", "v2s2", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:t", source.display()))
        .arg(reg.reference("docker/app:v2"))
        .run()
        .success();
    let served = registry_manifest(&reg, "docker/app:v2");
    let served_json: Value = serde_json::from_slice(&served).unwrap();
    assert_eq!(served_json["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
    // The reference conversion: skopeo copy from the registry into an OCI layout.
    let reference = work.path().join("skopeo");
    skopeo()
        .args(["copy", "--src-tls-verify=false"])
        .arg(reg.reference("docker/app:v2"))
        .arg(format!("oci:{}:v2", reference.display()))
        .run()
        .success();
    let out = work.path().join("pulled");
    let run = jfetch()
        .args(["--plain-http", "-q", "--json", "-o"])
        .arg(&out)
        .arg(reg.reference("docker/app:v2"))
        .run();
    run.success();
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["converted_from"]["digest"], sha256(&served));
    let top = layout_top(&out);
    let want = layout_top(&reference);
    assert_eq!(top["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    // Byte for byte skopeo's manifest and config, and the registry's layers.
    assert_eq!(top["digest"], want["digest"], "the manifest digest skopeo's conversion gives");
    let digest = top["digest"].as_str().unwrap();
    assert_eq!(blob(&out, digest), blob(&reference, digest));
    let manifest: Value = serde_json::from_slice(&blob(&out, digest)).unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap();
    assert_eq!(blob(&out, config), blob(&reference, config));
    let text = String::from_utf8(blob(&out, config)).unwrap();
    assert!(
        text.contains(r#""a \u0026\u0026 b""#) && text.contains(r#""2024-01-02T03:04:05.12Z""#),
        "{text}"
    );
    for layer in served_json["layers"].as_array().unwrap() {
        let digest = layer["digest"].as_str().unwrap();
        assert_eq!(blob(&out, digest), blob(&source, digest), "{digest}");
    }
    // Nothing of the Docker documents is left in the layout: only what the manifest names.
    let blobs = std::fs::read_dir(out.join("blobs/sha256")).unwrap().count();
    assert_eq!(blobs, 2 + manifest["layers"].as_array().unwrap().len());
    // The OCI tools read it, where they refused the Docker media types.
    skopeo().arg("inspect").arg(format!("oci:{}:v2", out.display())).run().success();
    Cmd::new("oci-image-tool")
        .args(["validate", "--type", "image", "--ref", "name=v2"])
        .arg(&out)
        .run()
        .success();
    let unpacked = work.path().join("rootfs");
    let rootless: &[&str] = if common::is_root() { &[] } else { &["--rootless"] };
    Cmd::new("umoci")
        .args(["raw", "unpack"])
        .args(rootless)
        .arg("--image")
        .arg(format!("{}:v2", out.display()))
        .arg(&unpacked)
        .run()
        .success();
}

// ---------------------------------------------------------------------------------------
// Push: what umoci and skopeo made

#[test]
fn jfetch_pushes_umoci_layout_skopeo_reads_it_back() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 3);
    let top = layout_top(&source);
    let digest = top["digest"].as_str().unwrap().to_string();
    let run = jfetch()
        .args(["--plain-http", "-q", "--json", "--push"])
        .arg(&source)
        .arg(reg.reference("pushed/app:1.0"))
        .run();
    run.success();
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["destinations"][0]["uploaded"], 3, "{record}");
    assert_eq!(record["destinations"][0]["digest"], digest.as_str());
    // skopeo sees the same manifest, and copies it back blob for blob.
    let served = registry_manifest(&reg, "pushed/app:1.0");
    assert_eq!(sha256(&served), digest);
    assert_eq!(served, blob(&source, &digest));
    let back = work.path().join("back");
    skopeo()
        .arg("copy")
        .arg("--src-tls-verify=false")
        .arg(reg.reference("pushed/app:1.0"))
        .arg(format!("oci:{}:x", back.display()))
        .run()
        .success();
    assert_eq!(layout_top(&back)["digest"], digest.as_str());
    let manifest: Value = serde_json::from_slice(&served).unwrap();
    for d in std::iter::once(&manifest["config"]).chain(manifest["layers"].as_array().unwrap()) {
        let d = d["digest"].as_str().unwrap();
        assert_eq!(blob(&back, d), blob(&source, d), "{d}");
    }
    // Again: every blob is there already (HEAD), only the manifest is put.
    let run = jfetch()
        .args(["--plain-http", "-q", "--json", "--push"])
        .arg(&source)
        .arg(reg.reference("pushed/app:1.0"))
        .run();
    run.success();
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        (record["destinations"][0]["uploaded"].clone(), record["destinations"][0]["existing"].clone()),
        (0.into(), 3.into())
    );
    // Into another repository: mounted from the first, nothing uploaded.
    let run = jfetch()
        .args(["--plain-http", "-q", "--json", "--mount-from", "pushed/app", "--push"])
        .arg(&source)
        .arg(reg.reference("mounted/app:1.0"))
        .run();
    run.success();
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(record["destinations"][0]["mounted"], 3, "{record}");
    let log = reg.log();
    let mounts = log
        .lines()
        .filter(|l| {
            l.contains("\"POST /v2/mounted/app/blobs/uploads/?")
                && l.contains("mount=sha256")
                && l.contains("from=pushed%2Fapp")
                && l.contains("\" 201 ")
        })
        .count();
    assert_eq!(mounts, 3, "{log}");
    assert_eq!(sha256(&registry_manifest(&reg, "mounted/app:1.0")), digest);
    // In chunks: 600 kB in 100 kB PATCHes.
    let run = jfetch()
        .args(["--plain-http", "-q", "--json", "--chunk-size", "100K", "--push"])
        .arg(&source)
        .arg(reg.reference("chunked/app:1.0"))
        .run();
    run.success();
    let patches = reg.log().lines().filter(|l| l.contains("\"PATCH /v2/chunked/app/blobs/uploads/")).count();
    assert!(patches >= 6, "expected chunked uploads, saw {patches} PATCH requests");
    let back = work.path().join("back-chunked");
    skopeo()
        .arg("copy")
        .arg("--src-tls-verify=false")
        .arg(reg.reference("chunked/app:1.0"))
        .arg(format!("oci:{}:x", back.display()))
        .run()
        .success();
    assert_eq!(layout_top(&back)["digest"], digest.as_str());
}

#[test]
fn pushed_layout_with_a_corrupted_blob_exits_1_and_the_tag_is_not_set() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 4);
    let manifest: Value =
        serde_json::from_slice(&blob(&source, layout_top(&source)["digest"].as_str().unwrap())).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_string();
    let path = source.join("blobs/sha256").join(layer.strip_prefix("sha256:").unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    for chunk in ["64M", "100K"] {
        jfetch()
            .args(["--plain-http", "-q", "--chunk-size", chunk, "--push"])
            .arg(&source)
            .arg(reg.reference("broken/app:1"))
            .run()
            .code(1)
            .one_line_error("jfetch")
            .stderr_contains("digest mismatch");
    }
    skopeo()
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(reg.reference("broken/app:1"))
        .run()
        .code(1);
}

// ---------------------------------------------------------------------------------------
// A multi-platform index

/// An index of two umoci images (linux/amd64 and linux/arm64) named `multi` in `dir`;
/// returns the index digest and the two manifest digests.
fn two_platform_layout(dir: &Path) -> (String, String, String) {
    sample_image(dir, 5);
    let layout = dir.display().to_string();
    Cmd::new("umoci").args(["new", "--image", &format!("{layout}:arm")]).run().success();
    let root = dir.with_extension("armroot");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/motd"), "arm64\n").unwrap();
    Cmd::new("umoci")
        .args(["insert", "--image", &format!("{layout}:arm")])
        .arg(&root)
        .arg("/")
        .run()
        .success();
    Cmd::new("umoci")
        .args(["config", "--image", &format!("{layout}:arm"), "--architecture", "arm64"])
        .run()
        .success();
    Cmd::new("umoci")
        .args(["config", "--image", &format!("{layout}:t"), "--architecture", "amd64"])
        .run()
        .success();
    let index = json_file(&dir.join("index.json"));
    let find = |name: &str| {
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == name)
            .unwrap()
            .clone()
    };
    let (amd, arm) = (find("t"), find("arm"));
    let entry = |d: &Value, arch: &str| {
        serde_json::json!({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
            "platform": {"architecture": arch, "os": "linux"}})
    };
    let image_index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry(&amd, "amd64"), entry(&arm, "arm64")]});
    let bytes = serde_json::to_vec(&image_index).unwrap();
    let digest = sha256(&bytes);
    std::fs::write(dir.join("blobs/sha256").join(digest.strip_prefix("sha256:").unwrap()), &bytes).unwrap();
    let mut top = index.clone();
    top["manifests"].as_array_mut().unwrap().push(serde_json::json!(
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": bytes.len(),
         "annotations": {"org.opencontainers.image.ref.name": "multi"}}));
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    (digest, amd["digest"].as_str().unwrap().into(), arm["digest"].as_str().unwrap().into())
}

#[test]
fn multi_platform_index_pulled_by_platform_and_unknown_platform_lists_them() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    let (index_digest, amd, arm) = two_platform_layout(&source);
    skopeo()
        .args(["copy", "--all", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:multi", source.display()))
        .arg(reg.reference("multi/app:v1"))
        .run()
        .success();
    assert_eq!(sha256(&registry_manifest(&reg, "multi/app:v1")), index_digest);
    for (platform, want) in
        [("linux/arm64", &arm), ("linux/aarch64", &arm), ("linux/amd64", &amd), ("linux/x86_64", &amd)]
    {
        let out = work.path().join(platform.replace('/', "-"));
        jfetch()
            .args(["--plain-http", "-q", "--platform", platform, "-o"])
            .arg(&out)
            .arg(reg.reference("multi/app:v1"))
            .run()
            .success();
        let top = layout_top(&out);
        assert_eq!(top["digest"], want.as_str(), "{platform}");
        let inspect = skopeo().arg("inspect").arg(format!("oci:{}:v1", out.display())).run();
        inspect.success();
        let inspected: Value = serde_json::from_slice(&inspect.stdout).unwrap();
        assert_eq!(
            inspected["Architecture"],
            platform
                .split('/')
                .nth(1)
                .map(|a| if a == "aarch64" {
                    "arm64"
                } else if a == "x86_64" {
                    "amd64"
                } else {
                    a
                })
                .unwrap()
        );
    }
    // No --platform: the host's (linux/amd64 on x86_64, linux/arm64 on aarch64).
    let host = match std::env::consts::ARCH {
        "x86_64" => Some(&amd),
        "aarch64" => Some(&arm),
        _ => None,
    };
    if let (Some(want), "linux") = (host, std::env::consts::OS) {
        let out = work.path().join("host");
        jfetch()
            .args(["--plain-http", "-q", "-o"])
            .arg(&out)
            .arg(reg.reference("multi/app:v1"))
            .run()
            .success();
        assert_eq!(layout_top(&out)["digest"], want.as_str());
        assert_eq!(layout_top(&out)["platform"]["os"], "linux");
    }
    let out = work.path().join("none");
    jfetch()
        .args(["--plain-http", "-q", "--platform", "freebsd/riscv64", "-o"])
        .arg(&out)
        .arg(reg.reference("multi/app:v1"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("no image for freebsd/riscv64")
        .stderr_contains("linux/amd64, linux/arm64");
    assert!(!out.exists());
    // jfetch pushes the index with both images; skopeo sees the same index.
    jfetch()
        .args(["--plain-http", "-q", "--push"])
        .arg(&source)
        .args(["--ref", "multi"])
        .arg(reg.reference("again/app:v1"))
        .run()
        .success();
    assert_eq!(sha256(&registry_manifest(&reg, "again/app:v1")), index_digest);
    let back = work.path().join("back");
    skopeo()
        .args(["copy", "--all", "--src-tls-verify=false"])
        .arg(reg.reference("again/app:v1"))
        .arg(format!("oci:{}:v1", back.display()))
        .run()
        .success();
    assert_eq!(layout_top(&back)["digest"], index_digest.as_str());
    // A layout of several images (t, arm, multi) needs --ref.
    jfetch()
        .args(["--plain-http", "-q", "--push"])
        .arg(&source)
        .arg(reg.reference("again/app:v2"))
        .run()
        .code(2)
        .stderr_contains("several images; choose one with --ref");
}

// ---------------------------------------------------------------------------------------
// Bad input

#[test]
fn corrupted_blob_in_registry_storage_exits_1_nothing_kept_and_a_good_mirror_serves() {
    if !tools() {
        return;
    }
    let (Some(bad), Some(good)) = (registry::start(Auth::None, None), registry::start(Auth::None, None))
    else {
        return;
    };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 6);
    for reg in [&bad, &good] {
        skopeo()
            .args(["copy", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:t", source.display()))
            .arg(reg.reference("app:1"))
            .run()
            .success();
    }
    let manifest: Value = serde_json::from_slice(&registry_manifest(&bad, "app:1")).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let data = bad.blob_data(layer);
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();
    let out = work.path().join("out");
    jfetch()
        .args(["--plain-http", "-q", "-o"])
        .arg(&out)
        .arg(bad.reference("app:1"))
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("sha256 mismatch")
        .stderr_contains(layer);
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "only the source layout remains: {left:?}");
    // The broken registry first, a good mirror second: the layer comes from the mirror.
    let run = jfetch()
        .args(["--plain-http", "-o"])
        .arg(&out)
        .arg(bad.reference("app:1"))
        .arg(good.reference("app:1"))
        .run();
    run.success().stderr_contains("trying the next source");
    assert_eq!(blob(&out, layer), blob(&source, layer));
    // A manifest altered in storage: its bytes no longer match the digest the registry states.
    let top = sha256(&registry_manifest(&bad, "app:1"));
    let data = bad.blob_data(&top);
    let text =
        std::fs::read_to_string(&data).unwrap().replacen("\"schemaVersion\":2", "\"schemaVersion\": 2", 1);
    std::fs::write(&data, text).unwrap();
    let out2 = work.path().join("out2");
    jfetch()
        .args(["--plain-http", "-q", "-o"])
        .arg(&out2)
        .arg(bad.reference("app:1"))
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("digest mismatch")
        .stderr_contains("Docker-Content-Digest");
    assert!(!out2.exists());
}

#[test]
fn unknown_tag_is_a_one_line_404_and_the_next_mirror_is_tried() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 7);
    skopeo()
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:t", source.display()))
        .arg(reg.reference("app:1"))
        .run()
        .success();
    let out = work.path().join("out");
    jfetch()
        .args(["--plain-http", "-q", "-o"])
        .arg(&out)
        .arg(reg.reference("app:nope"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains(&format!(
            "{}: manifest nope: HTTP 404 Not Found (MANIFEST_UNKNOWN",
            reg.reference("app:nope")
        ));
    assert!(!out.exists());
    // A registry that answers 503 with Retry-After, then one that asks for too long, then the real one.
    let busy = FixedServer::start(
        "503 Service Unavailable",
        &["Retry-After: 1", "Content-Type: application/json"],
        r#"{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}"#,
    );
    let throttled = FixedServer::start("429 Too Many Requests", &["Retry-After: 3600"], "");
    let run = jfetch()
        .args(["--plain-http", "--retries", "1", "-o"])
        .arg(&out)
        .arg(format!("docker://127.0.0.1:{}/app:1", busy.port))
        .arg(format!("docker://127.0.0.1:{}/app:1", throttled.port))
        .arg(reg.reference("app:1"))
        .run();
    run.success()
        .stderr_contains("HTTP 503 Service Unavailable (UNAVAILABLE: busy); retry 1/1 in 1.0s")
        .stderr_contains("more than --retry-max-time 60s allows; trying the next source");
    assert_eq!(*busy.hits.lock().unwrap(), 2);
    assert_eq!(*throttled.hits.lock().unwrap(), 1);
    assert_eq!(layout_top(&out)["digest"], layout_top(&source)["digest"]);
    // Nothing listening: named, after the retries.
    let dead = common::nginx::dead_port();
    jfetch()
        .args(["--plain-http", "-q", "--retries", "0", "-o"])
        .arg(work.path().join("dead"))
        .arg(format!("docker://127.0.0.1:{dead}/app:1"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains(&format!("docker://127.0.0.1:{dead}/app:1: manifest 1:"));
}

#[test]
fn blob_cut_short_mid_layer_is_resumed_with_range() {
    if !tools() {
        return;
    }
    let Some(reg) = registry::start(Auth::None, None) else { return };
    let work = common::tempdir();
    let source = work.path().join("src");
    sample_image(&source, 10);
    skopeo()
        .args(["copy", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:t", source.display()))
        .arg(reg.reference("app:1"))
        .run()
        .success();
    let relay = CuttingRelay::start(reg.port, 200_000);
    let out = work.path().join("out");
    let run = jfetch()
        .args(["--plain-http", "-o"])
        .arg(&out)
        .arg(format!("docker://127.0.0.1:{}/app:1", relay.port))
        .run();
    run.success().stderr_contains("body cut short at byte 200000");
    let requests = relay.requests.lock().unwrap().clone();
    let resumed: Vec<&String> = requests.iter().filter(|r| r.ends_with("| bytes=200000-")).collect();
    assert_eq!(resumed.len(), 1, "{requests:?}");
    let manifest: Value =
        serde_json::from_slice(&blob(&out, layout_top(&out)["digest"].as_str().unwrap())).unwrap();
    for d in std::iter::once(&manifest["config"]).chain(manifest["layers"].as_array().unwrap()) {
        let d = d["digest"].as_str().unwrap();
        assert_eq!(blob(&out, d), blob(&source, d), "{d}");
    }
}

#[test]
fn forbidden_malformed_manifest_and_unknown_media_type_are_one_line_errors() {
    let work = common::tempdir();
    let out = work.path().join("out");
    let pull = |port: u16| {
        jfetch()
            .args(["--plain-http", "-q", "-o"])
            .arg(&out)
            .arg(format!("docker://127.0.0.1:{port}/app:1"))
            .run()
    };
    // 403 with distribution's error body: permanent (one request), the code named.
    let denied = FixedServer::start(
        "403 Forbidden",
        &["Content-Type: application/json"],
        r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
    );
    pull(denied.port)
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains(&format!(
            "docker://127.0.0.1:{}/app:1: manifest 1: HTTP 403 Forbidden (DENIED: requested access to the resource is denied)",
            denied.port
        ));
    assert_eq!(*denied.hits.lock().unwrap(), 1);
    // Malformed JSON whose digest the server states truly: exit 1, line and column.
    let body = "{\"schemaVersion\": 2,\n  \"config\": }";
    let digest = sha256(body.as_bytes());
    let malformed = FixedServer::start(
        "200 OK",
        &[
            "Content-Type: application/vnd.oci.image.manifest.v1+json",
            &format!("Docker-Content-Digest: {digest}"),
        ],
        body,
    );
    pull(malformed.port)
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains(": manifest sha256:")
        .stderr_contains(": 2:13: ");
    // A manifest that parses but does not validate: the field named.
    let body = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:12","size":2},"layers":[]}"#;
    let invalid =
        FixedServer::start("200 OK", &["Content-Type: application/vnd.oci.image.manifest.v1+json"], body);
    pull(invalid.port).code(1).one_line_error("jfetch").stderr_contains("config.digest");
    // Schema 1 (or anything else): the media type named.
    let body = r#"{"schemaVersion":1,"name":"app","tag":"1","fsLayers":[]}"#;
    let schema1 = FixedServer::start(
        "200 OK",
        &["Content-Type: application/vnd.docker.distribution.manifest.v1+prettyjws"],
        body,
    );
    pull(schema1.port)
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("media type 'application/vnd.docker.distribution.manifest.v1+prettyjws' is not an OCI or Docker v2 manifest or index");
    assert!(!out.exists());
}

// ---------------------------------------------------------------------------------------
// Authentication

#[test]
fn htpasswd_behind_tls_basic_auth_from_url_env_netrc_and_auth_file_wrong_password_401() {
    if !tools() || !common::have("htpasswd") {
        return;
    }
    let pki = Pki::new();
    let (cert, key) = pki.leaf("registry", "IP:127.0.0.1", None);
    let Some(reg) = registry::start(Auth::Htpasswd("jt", "s3cret"), Some((&cert, &key))) else {
        return;
    };
    let work = common::tempdir();
    let certs = work.path().join("certs.d");
    std::fs::create_dir(&certs).unwrap();
    std::fs::copy(pki.path("ca.crt"), certs.join("ca.crt")).unwrap();
    let ca = pki.path("ca.crt").display().to_string();
    let source = work.path().join("src");
    sample_image(&source, 8);
    let digest = layout_top(&source)["digest"].as_str().unwrap().to_string();
    // jfetch pushes with the URL's credentials; skopeo reads it with its own.
    let with_password = |name: &str, password: &str| {
        reg.reference(name).replacen("docker://", &format!("docker://jt:{password}@"), 1)
    };
    jfetch()
        .args(["-q", "--cacert", &ca, "--push"])
        .arg(&source)
        .arg(with_password("private/app:1", "s3cret"))
        .run()
        .success();
    let run = skopeo()
        .args(["inspect", "--raw", "--creds", "jt:s3cret"])
        .arg(format!("--cert-dir={}", certs.display()))
        .arg(reg.reference("private/app:1"))
        .run();
    run.success();
    assert_eq!(sha256(&run.stdout), digest);
    // skopeo pushes another tag, jfetch pulls it: URL, JFETCH_CREDS, netrc.
    skopeo()
        .args(["copy", "--dest-creds", "jt:s3cret"])
        .arg(format!("--dest-cert-dir={}", certs.display()))
        .arg(format!("oci:{}:t", source.display()))
        .arg(reg.reference("private/app:2"))
        .run()
        .success();
    let out = work.path().join("url");
    jfetch()
        .args(["-q", "--cacert", &ca, "-o"])
        .arg(&out)
        .arg(with_password("private/app:2", "s3cret"))
        .run()
        .success();
    assert_eq!(layout_top(&out)["digest"], digest.as_str());
    let out = work.path().join("env");
    jfetch()
        .env("JFETCH_CREDS", "jt:s3cret")
        .args(["-q", "--cacert", &ca, "-o"])
        .arg(&out)
        .arg(reg.reference("private/app:2"))
        .run()
        .success();
    let netrc = work.path().join("netrc");
    std::fs::write(&netrc, "machine 127.0.0.1 login jt password s3cret\n").unwrap();
    let out = work.path().join("netrc-out");
    jfetch()
        .env("NETRC", &netrc)
        .args(["-q", "--cacert", &ca, "-o"])
        .arg(&out)
        .arg(reg.reference("private/app:2"))
        .run()
        .success();
    assert_eq!(layout_top(&out)["digest"], digest.as_str());
    // The auth file `skopeo login` writes.
    let auth_file = work.path().join("auth.json");
    skopeo()
        .args(["login", "-u", "jt", "-p", "s3cret"])
        .arg(format!("--authfile={}", auth_file.display()))
        .arg(format!("--cert-dir={}", certs.display()))
        .arg(reg.host())
        .run()
        .success();
    let out = work.path().join("authfile-out");
    jfetch()
        .env("REGISTRY_AUTH_FILE", &auth_file)
        .args(["-q", "--cacert", &ca, "-o"])
        .arg(&out)
        .arg(reg.reference("private/app:2"))
        .run()
        .success();
    assert_eq!(layout_top(&out)["digest"], digest.as_str());
    // Wrong password: 401, named, the password never printed, nothing kept.
    let out = work.path().join("wrong");
    let run =
        jfetch().args(["--cacert", &ca, "-o"]).arg(&out).arg(with_password("private/app:2", "wr0ng")).run();
    run.code(2)
        .one_line_error("jfetch")
        .stderr_contains("HTTP 401")
        .stderr_contains("the credentials were refused");
    assert!(!run.stderr.contains("wr0ng"), "{}", run.stderr);
    assert!(!out.exists());
    // No credentials.
    jfetch()
        .args(["-q", "--cacert", &ca, "-o"])
        .arg(&out)
        .arg(reg.reference("private/app:2"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("no credentials");
    // The registry's certificate is checked: without our CA, refused.
    jfetch()
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .args(["-q", "--retries", "0", "-o"])
        .arg(&out)
        .arg(with_password("private/app:2", "s3cret"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("certificate not trusted");
}

#[test]
fn bearer_token_auth_with_a_token_server_the_registry_trusts() {
    if !tools() {
        return;
    }
    let pki = Pki::new();
    let (cert, key) = pki.leaf("registry", "IP:127.0.0.1", None);
    let (token_cert, token_key) = pki.leaf("tokens", "IP:127.0.0.1", None);
    let tokens = TokenServer::start("jt", "t0ken-pass", &token_cert, &token_key);
    let signer = tokens.signer();
    let realm = tokens.realm();
    let Some(reg) = registry::start(Auth::Token { realm: &realm, signer: &signer }, Some((&cert, &key)))
    else {
        return;
    };
    let work = common::tempdir();
    let certs = work.path().join("certs.d");
    std::fs::create_dir(&certs).unwrap();
    std::fs::copy(pki.path("ca.crt"), certs.join("ca.crt")).unwrap();
    let ca = pki.path("ca.crt").display().to_string();
    let source = work.path().join("src");
    sample_image(&source, 9);
    let digest = layout_top(&source)["digest"].as_str().unwrap().to_string();
    let authed = |name: &str, password: &str| {
        reg.reference(name).replacen("docker://", &format!("docker://jt:{password}@"), 1)
    };
    // jfetch pushes through a token for pull,push; skopeo reads it through its own token.
    jfetch()
        .args(["-q", "--cacert", &ca, "--push"])
        .arg(&source)
        .arg(authed("tok/app:1", "t0ken-pass"))
        .run()
        .success();
    let seen = tokens.requests.lock().unwrap().clone();
    assert!(
        seen.iter().any(|r| r.contains("scope=repository%3Atok%2Fapp%3Apull%2Cpush")
            && r.contains("service=jtools-test-registry")
            && r.contains("| Basic ")),
        "{seen:?}"
    );
    let run = skopeo()
        .args(["inspect", "--raw", "--creds", "jt:t0ken-pass"])
        .arg(format!("--cert-dir={}", certs.display()))
        .arg(reg.reference("tok/app:1"))
        .run();
    run.success();
    assert_eq!(sha256(&run.stdout), digest);
    // skopeo pushes, jfetch pulls.
    skopeo()
        .args(["copy", "--dest-creds", "jt:t0ken-pass"])
        .arg(format!("--dest-cert-dir={}", certs.display()))
        .arg(format!("oci:{}:t", source.display()))
        .arg(reg.reference("tok/app:2"))
        .run()
        .success();
    let out = work.path().join("out");
    jfetch()
        .args(["-q", "--cacert", &ca, "-o"])
        .arg(&out)
        .arg(authed("tok/app:2", "t0ken-pass"))
        .run()
        .success();
    assert_eq!(layout_top(&out)["digest"], digest.as_str());
    // Anonymous: a pull-only token, as public registries give.
    let out = work.path().join("anonymous");
    jfetch().args(["-q", "--cacert", &ca, "-o"]).arg(&out).arg(reg.reference("tok/app:2")).run().success();
    assert_eq!(layout_top(&out)["digest"], digest.as_str());
    assert!(tokens.requests.lock().unwrap().iter().any(|r| r.ends_with("| ")), "an anonymous token request");
    // ...which does not allow a push: the registry's 401 after the token, named.
    jfetch()
        .args(["-q", "--cacert", &ca, "--push"])
        .arg(&source)
        .arg(reg.reference("tok/anonymous:1"))
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("authentication required (HTTP 401): no credentials");
    // The token server refuses a wrong password: one line, naming it, no password shown.
    let out = work.path().join("wrong");
    let run = jfetch().args(["-q", "--cacert", &ca, "-o"]).arg(&out).arg(authed("tok/app:2", "n0pe")).run();
    run.code(2).one_line_error("jfetch").stderr_contains(&format!(
        "token server https://127.0.0.1:{}: HTTP 401: the credentials were refused",
        tokens.port
    ));
    assert!(!run.stderr.contains("n0pe"), "{}", run.stderr);
    assert!(!out.exists());
}
