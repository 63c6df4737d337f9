//! jspec on OCI images, against the reference tools: what `jspec new --format oci` writes
//! passes `oci-image-tool validate`, `skopeo inspect` and `umoci raw unpack` (the tree comes
//! back equal to the source); what umoci and skopeo write `jspec validate`s with exit 0; broken
//! variants of a umoci image are refused by jspec exactly where oci-image-tool refuses them.
//! And examples/oci.sh: build and unpack round trips checked by the same tools, and its
//! signed manifests (good, tampered, wrong key, missing), checked by minisign too.
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Cmd, Run, have, jpack, jspec, tempdir, tree};
use serde_json::{Value, json};
use sha2::Digest as _;

// ---------------------------------------------------------------------------------------
// Helpers

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sha256_file(path: &Path) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(fs::read(path).unwrap())))
}

/// A small jail-like tree: directories, an executable, a config file, an empty file, a
/// symlink, a file with an odd mode.
fn make_tree(root: &Path) {
    for d in ["bin", "etc", "usr/local/etc", "var/empty"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("bin/sh"), common::noise(90_000, 3)).unwrap();
    fs::set_permissions(root.join("bin/sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(root.join("etc/rc.conf"), "sshd_enable=\"YES\"\n").unwrap();
    fs::write(root.join("etc/master.passwd"), "root:*:0:0::0:0:Charlie &:/root:/bin/csh\n").unwrap();
    fs::set_permissions(root.join("etc/master.passwd"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(root.join("usr/local/etc/empty"), "").unwrap();
    std::os::unix::fs::symlink("../bin/sh", root.join("etc/sh")).unwrap();
    // Whole seconds: a ustar/GNU tar (FreeBSD's, GNU tar's) keeps no fraction, so a tree
    // unpacked from one can equal this one to the nanosecond.
    run(Command::new("find").arg(root).args(["-exec", "touch", "-h", "-d", "@1700000000", "{}", "+"]));
}

/// The tree as a tar by GNU tar (the reference), members in name order.
fn gnu_tar(root: &Path, out: &Path) {
    run(Command::new("tar")
        .args(["--sort=name", "--numeric-owner", "--format=gnu", "-C"])
        .arg(root)
        .arg("-cf")
        .arg(out)
        .arg("."));
}

/// Compresses with the reference CLI (`gzip -n`, `zstd -q`, `xz`): the layer files are not ours.
fn compress(program: &str, input: &Path, out: &Path) {
    let data = Command::new(program).args(["-c"]).arg(input).output().unwrap();
    assert!(data.status.success(), "{program}");
    fs::write(out, data.stdout).unwrap();
}

/// As a user, `umoci unpack --rootless` records on every file the owner it could not give
/// it in the xattr `user.rootlesscontainers` (rootlesscontainers.com's protobuf), and
/// `umoci raw unpack --rootless` takes that xattr from a layer as owner data instead of
/// setting it: umoci's own bookkeeping, which trees are compared without. As root umoci
/// neither writes nor reads it.
fn without_rootless_bookkeeping(t: &mut std::collections::BTreeMap<Vec<u8>, tree::Member>) {
    if common::is_root() {
        return;
    }
    for member in t.values_mut() {
        member.xattrs.retain(|(name, _)| name != b"user.rootlesscontainers");
    }
}

/// Asserts two trees are equal in everything `tests/common/tree.rs` compares, except the
/// mtime of the root directory itself (a new directory the unpacker made).
fn assert_same_tree(expected: &Path, actual: &Path) {
    let mut want = tree::snapshot(expected);
    let mut got = tree::snapshot(actual);
    for t in [&mut want, &mut got] {
        if let Some(root) = t.get_mut(&b"."[..]) {
            root.mtime = (0, 0);
        }
        without_rootless_bookkeeping(t);
    }
    let diff = tree::differences(&want, &got);
    assert!(diff.is_empty(), "{} vs {}:\n{}", expected.display(), actual.display(), diff.join("\n"));
}

/// `oci-image-tool validate --type image DIR` (its verdict, and its output for messages).
fn oci_image_tool_accepts(layout: &Path) -> (bool, String) {
    let out =
        Command::new("oci-image-tool").args(["validate", "--type", "image"]).arg(layout).output().unwrap();
    (
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout.join("blobs/sha256").join(digest.strip_prefix("sha256:").unwrap())
}

/// The manifest the layout's only index entry names.
fn manifest_of(layout: &Path) -> (Value, PathBuf) {
    let index = read_json(&layout.join("index.json"));
    let path = blob(layout, index["manifests"][0]["digest"].as_str().unwrap());
    (read_json(&path), path)
}

/// Stores `bytes` as the layout's manifest: a new blob, index.json pointing at it.
fn replace_manifest(layout: &Path, bytes: &[u8]) {
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
    fs::write(blob(layout, &digest), bytes).unwrap();
    let mut index = read_json(&layout.join("index.json"));
    index["manifests"][0]["digest"] = json!(digest);
    index["manifests"][0]["size"] = json!(bytes.len());
    fs::write(layout.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    run(Command::new("cp").arg("-a").arg(from).arg(to));
}

/// Whether every reference tool is here (each missing one is a skip, a failure under
/// JTOOLS_REQUIRE_ALL=1).
fn have_all(tools: &[&str]) -> bool {
    tools.iter().all(|t| have(t))
}

// ---------------------------------------------------------------------------------------
// jspec new --format oci

/// Two layers made by GNU tar, the base left uncompressed and the tree compressed by gzip
/// (umoci 0.4.7 and oci-image-tool 1.0.0-rc1 predate +zstd; zstd and xz layers are checked
/// with skopeo and jspec below); returns (tree, [layer files], [plain tars]).
fn layers(dir: &Path) -> (PathBuf, Vec<PathBuf>, Vec<PathBuf>) {
    let tree = dir.join("tree");
    make_tree(&tree);
    let base = dir.join("base");
    fs::create_dir_all(base.join("etc")).unwrap();
    fs::write(base.join("etc/motd"), "FreeBSD base\n").unwrap();
    gnu_tar(&base, &dir.join("base.tar"));
    gnu_tar(&tree, &dir.join("tree.tar"));
    compress("gzip", &dir.join("tree.tar"), &dir.join("tree.tar.gz"));
    (
        tree,
        vec![dir.join("base.tar"), dir.join("tree.tar.gz")],
        vec![dir.join("base.tar"), dir.join("tree.tar")],
    )
}

fn new_oci(out: &Path, layer_files: &[PathBuf]) -> Cmd {
    jspec()
        .args([
            "new",
            "--format",
            "oci",
            "-a",
            "aarch64",
            "--ref-name",
            "web:14.2",
            "--cmd",
            "/bin/sh",
            "--cmd",
            "-c",
        ])
        .args(["--cmd", "echo hi", "--env", "PATH=/bin:/usr/bin", "--workdir", "/root", "--user", "www:www"])
        .args(["--port", "80/tcp", "--port", "53/udp", "--label", "org.example.role=web"])
        .args(["--annotation", "org.freebsd.jail.allow.raw_sockets=true"])
        .args(["--annotation", "org.opencontainers.image.title=web"])
        .args(["--os-version", "14.2-RELEASE"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("-o")
        .arg(out)
        .args(layer_files)
}

/// `umoci raw unpack`, with `--rootless` when not root (as a user, umoci cannot chown and
/// says "maybe --rootless will help"; rootless, it leaves every file to the user, as the
/// tree it is compared with is).
fn umoci_raw_unpack() -> Command {
    let mut command = Command::new("umoci");
    command.args(["raw", "unpack"]);
    if !common::is_root() {
        command.arg("--rootless");
    }
    command
}

#[test]
fn new_layout_passes_oci_image_tool_skopeo_and_umoci() {
    if !have_all(&["gzip", "zstd"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    // One gzip layer, so that oci-image-tool 1.0.0-rc1 (which predates +zstd) can judge it.
    let (tree, _, _) = layers(d);
    let out = d.join("image");
    new_oci(&out, &[d.join("tree.tar.gz")]).run().success().stdout_is("");
    jspec().arg("validate").arg(&out).run().success().stdout_contains("valid OCI image layout");
    jspec()
        .arg("info")
        .arg(&out)
        .run()
        .success()
        .stdout_contains("[web:14.2]")
        .stdout_contains("  platform:   freebsd/arm64\n")
        .stdout_contains("  command:    /bin/sh -c echo hi\n")
        .stdout_contains("  created:    2023-11-14T22:13:20Z\n");
    let index = read_json(&out.join("index.json"));
    assert_eq!(
        index["manifests"][0]["platform"],
        json!({"architecture": "arm64", "os": "freebsd", "os.version": "14.2-RELEASE"})
    );
    let (manifest, _) = manifest_of(&out);
    assert_eq!(manifest["layers"][0]["digest"], json!(sha256_file(&d.join("tree.tar.gz"))));
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
    let config = read_json(&blob(&out, manifest["config"]["digest"].as_str().unwrap()));
    assert_eq!(config["rootfs"]["diff_ids"], json!([sha256_file(&d.join("tree.tar"))]));

    if have("oci-image-tool") {
        let out = run(Command::new("oci-image-tool")
            .args(["validate", "--type", "image", "--ref", "name=web:14.2"])
            .arg(&out));
        assert!(out.contains("Validation succeeded"), "{out}");
    }
    if have("skopeo") {
        let text = run(Command::new("skopeo").arg("inspect").arg(format!("oci:{}:web:14.2", out.display())));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Os"], "freebsd");
        assert_eq!(v["Architecture"], "arm64");
        assert_eq!(v["Created"], "2023-11-14T22:13:20Z");
        assert_eq!(v["Labels"]["org.example.role"], "web");
        assert_eq!(v["Env"], json!(["PATH=/bin:/usr/bin"]));
        assert_eq!(v["Layers"], json!([sha256_file(&d.join("tree.tar.gz"))]));
        let text = run(Command::new("skopeo")
            .args(["inspect", "--config"])
            .arg(format!("oci:{}:web:14.2", out.display())));
        let c: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(c["config"]["Cmd"], json!(["/bin/sh", "-c", "echo hi"]));
        assert_eq!(c["config"]["User"], "www:www");
        assert_eq!(c["config"]["WorkingDir"], "/root");
        assert_eq!(c["config"]["ExposedPorts"], json!({"53/udp": {}, "80/tcp": {}}));
    }
    if have("umoci") {
        let root = d.join("unpacked");
        run(umoci_raw_unpack().arg("--image").arg(format!("{}:web:14.2", out.display())).arg(&root));
        assert_same_tree(&tree, &root);
    }
}

/// `--layer-compression gzip` over plain tars (a file and standard input) hashes diff_id and
/// blob digest in one pass: the layout equals, byte for byte, the one made from the same
/// tars compressed by jpack first (the same encoder), gzip -d gives each tar back, and
/// oci-image-tool and umoci accept it. A layer already compressed is refused, nothing left.
#[test]
fn new_with_layer_compression_is_the_layout_of_the_compressed_layers() {
    if !have_all(&["oci-image-tool", "umoci", "gzip"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let (tree, _, plain) = layers(d);
    let mut compressed = Vec::new();
    for tar in &plain {
        let out = tar.with_extension("jpack.gz");
        let run = jpack().args(["-c", "gzip"]).arg(tar).run();
        fs::write(&out, &run.success().stdout).unwrap();
        compressed.push(out);
    }
    let reference = d.join("reference");
    new_oci(&reference, &compressed).run().success();
    let one_pass = d.join("one-pass");
    new_oci(&one_pass, &[plain[0].clone(), PathBuf::from("-")])
        .args(["--layer-compression", "gzip"])
        .stdin(fs::read(&plain[1]).unwrap())
        .run()
        .success()
        .stdout_is("");
    let listing = |root: &Path| {
        let mut all: Vec<(String, Vec<u8>)> = walk(root)
            .into_iter()
            .map(|p| (p.strip_prefix(root).unwrap().display().to_string(), fs::read(&p).unwrap()))
            .collect();
        all.sort();
        all
    };
    assert!(listing(&one_pass) == listing(&reference), "the one-pass layout differs from the reference");
    let (manifest, _) = manifest_of(&one_pass);
    for (layer, tar) in manifest["layers"].as_array().unwrap().iter().zip(&plain) {
        assert_eq!(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
        let decoded =
            Cmd::new("gzip").args(["-dc"]).arg(blob(&one_pass, layer["digest"].as_str().unwrap())).run();
        assert!(decoded.success().stdout == fs::read(tar).unwrap());
    }
    let (ok, text) = oci_image_tool_accepts(&one_pass);
    assert!(ok, "{text}");
    let root = d.join("unpacked");
    run(umoci_raw_unpack().arg("--image").arg(format!("{}:web:14.2", one_pass.display())).arg(&root));
    // The base layer's one file in the tree of the second layer (whose etc/ comes last).
    let expected = d.join("expected");
    run(Command::new("cp").arg("-a").arg(&tree).arg(&expected));
    run(Command::new("cp").arg("-p").arg(d.join("base/etc/motd")).arg(expected.join("etc")));
    // A GNU-format tar keeps whole seconds.
    let secs = std::os::unix::fs::MetadataExt::mtime(&fs::metadata(expected.join("etc/motd")).unwrap());
    run(Command::new("touch").arg("-d").arg(format!("@{secs}")).arg(expected.join("etc/motd")));
    run(Command::new("touch").args(["-h", "-d", "@1700000000"]).arg(expected.join("etc")));
    assert_same_tree(&expected, &root);

    let refused = d.join("refused");
    new_oci(&refused, &[compressed[1].clone()])
        .args(["--layer-compression", "gzip"])
        .run()
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("already gzip-compressed");
    assert!(!refused.exists());
    let leftovers: Vec<_> = fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("jtools-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Every file under `root`.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn new_with_several_layers_of_any_codec_is_read_by_skopeo_and_umoci() {
    if !have_all(&["gzip", "zstd", "xz", "skopeo", "umoci"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let (tree, files, tars) = layers(d);
    let out = d.join("image");
    new_oci(&out, &files).run().success();
    jspec().arg("validate").arg(&out).run().success();
    let (manifest, _) = manifest_of(&out);
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
    assert_eq!(manifest["layers"][1]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
    let config = read_json(&blob(&out, manifest["config"]["digest"].as_str().unwrap()));
    let expected: Vec<String> = tars.iter().map(|t| sha256_file(t)).collect();
    assert_eq!(config["rootfs"]["diff_ids"], json!(expected));
    let text = run(Command::new("skopeo").arg("inspect").arg(format!("oci:{}:web:14.2", out.display())));
    let v: Value = serde_json::from_str(&text).unwrap();
    let digests: Vec<String> = files.iter().map(|f| sha256_file(f)).collect();
    assert_eq!(v["Layers"], json!(digests));
    // The two layers applied in order: the base's /etc/motd and the tree.
    let root = d.join("unpacked");
    run(umoci_raw_unpack().arg("--image").arg(format!("{}:web:14.2", out.display())).arg(&root));
    assert_eq!(fs::read_to_string(root.join("etc/motd")).unwrap(), "FreeBSD base\n");
    // Everything else is the tree's (the snapshot without motd: removing it would change
    // the mtime of etc/).
    let mut got = tree::snapshot(&root);
    got.remove(&b"./etc/motd"[..]);
    let mut want = tree::snapshot(&tree);
    for t in [&mut want, &mut got] {
        t.get_mut(&b"."[..]).unwrap().mtime = (0, 0);
        without_rootless_bookkeeping(t);
    }
    let diff = tree::differences(&want, &got);
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    // zstd and xz layers (compressed by the reference CLIs): diff_ids of the decoded tars,
    // and skopeo reads the zstd one's image.
    compress("zstd", &tars[0], &d.join("base.tar.zst"));
    compress("xz", &tars[1], &d.join("tree.tar.xz"));
    let other = d.join("other");
    new_oci(&other, &[d.join("base.tar.zst"), d.join("tree.tar.xz")]).run().success();
    jspec().arg("validate").arg(&other).run().success().stdout_contains(
        ":layers.1.mediaType: 'application/vnd.oci.image.layer.v1.tar+xz' is not a layer type",
    );
    let text = run(Command::new("skopeo").arg("inspect").arg(format!("oci:{}:web:14.2", other.display())));
    let v: Value = serde_json::from_str(&text).unwrap();
    let digests = [sha256_file(&d.join("base.tar.zst")), sha256_file(&d.join("tree.tar.xz"))];
    assert_eq!(v["Layers"], json!(digests));
    let (manifest, _) = manifest_of(&other);
    assert_eq!(manifest["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
    assert_eq!(manifest["layers"][1]["mediaType"], "application/vnd.oci.image.layer.v1.tar+xz");
    let config = read_json(&blob(&other, manifest["config"]["digest"].as_str().unwrap()));
    assert_eq!(config["rootfs"]["diff_ids"], json!(expected));
}

#[test]
fn new_archive_is_read_by_skopeo_and_is_deterministic() {
    if !have_all(&["gzip", "zstd", "xz", "skopeo"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let (_, files, _) = layers(d);
    let archive = d.join("web.txz");
    new_oci(&archive, &files).arg("--archive").run().success();
    // xz by its extension, as bsdtar -a would choose; the reference xz reads it.
    let listing = run(Command::new("sh").arg("-c").arg(format!("xz -dc {} | tar -tf -", archive.display())));
    assert!(
        listing.lines().any(|l| l == "index.json") && listing.lines().any(|l| l == "oci-layout"),
        "{listing}"
    );
    let text =
        run(Command::new("skopeo").arg("inspect").arg(format!("oci-archive:{}:web:14.2", archive.display())));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["Architecture"], "arm64");
    jspec().arg("validate").arg(&archive).run().success().stdout_contains("valid OCI archive");
    // Same inputs, same bytes: the archive and the layout's digests.
    let again = d.join("again.txz");
    new_oci(&again, &files).arg("--archive").run().success();
    assert_eq!(fs::read(&archive).unwrap(), fs::read(&again).unwrap());
    let (a, b) = (d.join("a"), d.join("b"));
    new_oci(&a, &files).run().success();
    new_oci(&b, &files).run().success();
    assert_eq!(fs::read(a.join("index.json")).unwrap(), fs::read(b.join("index.json")).unwrap());
    // --compression overrides the extension.
    let plain = d.join("web.txz.tar");
    new_oci(&plain, &files).args(["--archive", "--compression", "gzip"]).run().success();
    assert_eq!(&fs::read(&plain).unwrap()[..2], &[0x1f, 0x8b]);
    // Another time, another image.
    let later = d.join("later");
    new_oci(&later, &files).env("SOURCE_DATE_EPOCH", "1700000001").run().success();
    assert_ne!(fs::read(a.join("index.json")).unwrap(), fs::read(later.join("index.json")).unwrap());
}

#[test]
fn new_maps_freebsd_architectures_as_containerd() {
    let dir = tempdir();
    let d = dir.path();
    fs::create_dir_all(d.join("t")).unwrap();
    fs::write(d.join("t/f"), "x").unwrap();
    gnu_tar(&d.join("t"), &d.join("l.tar"));
    for (freebsd, go) in [
        ("amd64", "amd64"),
        ("aarch64", "arm64"),
        ("arm64", "arm64"),
        ("i386", "386"),
        ("riscv64", "riscv64"),
    ] {
        let out = d.join(format!("img-{freebsd}"));
        jspec()
            .args(["new", "--format", "oci", "-a", freebsd, "-o"])
            .arg(&out)
            .arg(d.join("l.tar"))
            .run()
            .success();
        jspec()
            .arg("get")
            .arg(out.join("index.json"))
            .arg("manifests.0.platform.architecture")
            .run()
            .success()
            .stdout_is(format!("{go}\n"));
        let (manifest, _) = manifest_of(&out);
        let config = blob(&out, manifest["config"]["digest"].as_str().unwrap());
        jspec().arg("get").arg(&config).arg("architecture").run().success().stdout_is(format!("{go}\n"));
        jspec().arg("get").arg(&config).arg("os").run().success().stdout_is("freebsd\n");
        // No time given: none written.
        jspec().arg("get").arg(&config).arg("created").run().code(1);
    }
}

#[test]
fn new_refuses_bad_input_and_leaves_nothing() {
    let dir = tempdir();
    let d = dir.path();
    fs::create_dir_all(d.join("t")).unwrap();
    fs::write(d.join("t/f"), "x").unwrap();
    gnu_tar(&d.join("t"), &d.join("l.tar"));
    fs::write(d.join("not-a-tar"), vec![b'x'; 4096]).unwrap();
    let out = d.join("out");
    let new = || jspec().args(["new", "--format", "oci", "-o"]).arg(&out);
    new().arg(d.join("not-a-tar")).run().code(2).one_line_error("jspec").stderr_contains("not a tar");
    new()
        .args(["--env", "NOEQUALS"])
        .arg(d.join("l.tar"))
        .run()
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("config.Env.0");
    new().args(["--port", "http"]).arg(d.join("l.tar")).run().code(2).one_line_error("jspec");
    new()
        .args(["--annotation", "org.opencontainers.image.nope=x"])
        .arg(d.join("l.tar"))
        .run()
        .code(2)
        .stderr_contains("reserved");
    new().args(["--annotation", "novalue"]).arg(d.join("l.tar")).run().code(2).stderr_contains("KEY=VALUE");
    new().arg(d.join("missing.tar")).run().code(2).one_line_error("jspec");
    new().run().code(2).stderr_contains("layer files");
    jspec().args(["new", "--format", "oci"]).arg(d.join("l.tar")).run().code(2).stderr_contains("-o DIR");
    new()
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .arg(d.join("l.tar"))
        .run()
        .code(2)
        .stderr_contains("SOURCE_DATE_EPOCH");
    let names: Vec<_> =
        fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!names.iter().any(|n| n.contains("out")), "left behind: {names:?}");
    // An existing output is never touched.
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep"), "mine").unwrap();
    new().arg(d.join("l.tar")).run().code(2).stderr_contains("already exists");
    new().arg("--archive").arg(d.join("l.tar")).run().code(2).stderr_contains("already exists");
    assert_eq!(fs::read_to_string(out.join("keep")).unwrap(), "mine");
}

// ---------------------------------------------------------------------------------------
// jspec validate / show / get / info on what umoci and skopeo write

/// A umoci image with two layers (one with a whiteout from `umoci repack`), copied by skopeo
/// to a second layout and to an OCI archive. Returns (umoci layout, skopeo layout, archive).
fn reference_images(d: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    if !have_all(&["umoci", "skopeo"]) {
        return None;
    }
    let l = d.join("umoci");
    let sh = |script: &str| run(Command::new("sh").arg("-ec").arg(script).current_dir(d));
    sh("umoci init --layout umoci && umoci new --image umoci:t && echo one > one && echo two > two \
        && umoci insert --image umoci:t one /etc/one && umoci insert --image umoci:t two /etc/two");
    let rootless = if common::is_root() { "" } else { "--rootless" };
    sh(&format!(
        "umoci unpack {rootless} --image umoci:t bundle && rm bundle/rootfs/etc/two && echo three > bundle/rootfs/etc/three \
         && umoci repack --image umoci:t2 bundle"
    ));
    sh("skopeo copy oci:umoci:t2 oci:skopeo:t2 && skopeo copy oci:umoci:t2 oci-archive:archive.tar:t2");
    Some((l, d.join("skopeo"), d.join("archive.tar")))
}

#[test]
fn what_umoci_and_skopeo_write_validates() {
    let dir = tempdir();
    let Some((umoci, skopeo, archive)) = reference_images(dir.path()) else { return };
    for image in [&umoci, &skopeo, &archive] {
        jspec().arg("validate").arg(image).run().success();
        if have("oci-image-tool") {
            let (ok, out) = oci_image_tool_accepts(image);
            assert!(ok || image == &archive, "{}: {out}", image.display());
        }
    }
    // gzip-compressed by jpack's reference (xz here) and the archive still reads.
    let txz = dir.path().join("archive.tar.xz");
    if have("xz") {
        compress("xz", &archive, &txz);
        jspec().arg("validate").arg(&txz).run().success();
    }
    // Each of its documents, recognised by content: t2's, the last entry.
    let index = read_json(&umoci.join("index.json"));
    let manifest_path = blob(&umoci, index["manifests"][1]["digest"].as_str().unwrap());
    let manifest = read_json(&manifest_path);
    for (file, kind) in [
        (umoci.join("oci-layout"), "OCI oci-layout"),
        (umoci.join("index.json"), "OCI image index"),
        (manifest_path.clone(), "OCI image manifest"),
        (blob(&umoci, manifest["config"]["digest"].as_str().unwrap()), "OCI image config"),
    ] {
        jspec().arg("validate").arg(&file).run().success().stdout_contains(&format!("valid {kind}"));
        jspec().arg("show").arg(&file).run().success();
        jspec().arg("show").arg("--json").arg(&file).run().success();
        jspec().arg("info").arg(&file).run().success();
    }
    let layers = manifest["layers"].as_array().unwrap();
    assert!(layers.len() >= 3, "{manifest}");
    jspec()
        .arg("get")
        .arg(&manifest_path)
        .arg("layers.1.digest")
        .run()
        .success()
        .stdout_is(format!("{}\n", layers[1]["digest"].as_str().unwrap()));
    jspec()
        .arg("info")
        .arg(&manifest_path)
        .run()
        .success()
        .stdout_contains(&format!("layers:       {} (", layers.len()));
    jspec()
        .arg("get")
        .arg(umoci.join("index.json"))
        .arg("manifests.1.annotations.org.opencontainers.image.ref.name")
        .run()
        .success()
        .stdout_is("t2\n");
}

/// One broken variant of a valid layout: what was done and the text jspec must name.
struct Broken {
    what: &'static str,
    names: &'static str,
    breaks: fn(&Path),
}

fn first_layer(layout: &Path) -> PathBuf {
    let (manifest, _) = manifest_of(layout);
    blob(layout, manifest["layers"][0]["digest"].as_str().unwrap())
}

fn edit_manifest(layout: &Path, edit: fn(&mut Value)) {
    let (mut manifest, _) = manifest_of(layout);
    edit(&mut manifest);
    replace_manifest(layout, &serde_json::to_vec(&manifest).unwrap());
}

#[test]
fn broken_layouts_are_refused_where_oci_image_tool_refuses_them() {
    if !have_all(&["umoci", "oci-image-tool"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    run(Command::new("sh").arg("-ec").arg(
        "umoci init --layout good && umoci new --image good:t && echo data > f && umoci insert --image good:t f /f",
    ).current_dir(d));
    let good = d.join("good");
    jspec().arg("validate").arg(&good).run().success();
    assert!(oci_image_tool_accepts(&good).0);
    let cases = [
        Broken {
            what: "a layer's bytes changed (same size)",
            names: "digest mismatch",
            breaks: |l| {
                let path = first_layer(l);
                let mut bytes = fs::read(&path).unwrap();
                let n = bytes.len();
                bytes[n - 10] ^= 0xff;
                fs::write(path, bytes).unwrap();
            },
        },
        Broken {
            what: "a layer one byte longer than its descriptor says",
            names: "longer than its size",
            breaks: |l| {
                let path = first_layer(l);
                let mut bytes = fs::read(&path).unwrap();
                bytes.push(0);
                fs::write(path, bytes).unwrap();
            },
        },
        Broken {
            what: "the manifest's size in index.json wrong",
            names: "index.json",
            breaks: |l| {
                let mut index = read_json(&l.join("index.json"));
                let size = index["manifests"][0]["size"].as_u64().unwrap();
                index["manifests"][0]["size"] = json!(size + 1);
                fs::write(l.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
            },
        },
        Broken {
            what: "a layer's size in the manifest wrong",
            names: "bytes, but its descriptor says",
            breaks: |l| {
                edit_manifest(l, |m| {
                    let size = m["layers"][0]["size"].as_u64().unwrap();
                    m["layers"][0]["size"] = json!(size + 100);
                })
            },
        },
        Broken {
            what: "a malformed media type on a layer",
            names: "layers.0.mediaType",
            breaks: |l| edit_manifest(l, |m| m["layers"][0]["mediaType"] = json!("not a media type")),
        },
        Broken {
            what: "the config's digest missing from the manifest",
            names: "config.digest",
            breaks: |l| {
                edit_manifest(l, |m| {
                    m["config"].as_object_mut().unwrap().remove("digest");
                })
            },
        },
        Broken {
            what: "schemaVersion missing from index.json",
            names: "index.json:schemaVersion",
            breaks: |l| {
                let mut index = read_json(&l.join("index.json"));
                index.as_object_mut().unwrap().remove("schemaVersion");
                fs::write(l.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
            },
        },
        Broken {
            what: "index.json malformed",
            names: "index.json:1:",
            breaks: |l| {
                let text = fs::read(l.join("index.json")).unwrap();
                fs::write(l.join("index.json"), &text[..text.len() - 3]).unwrap();
            },
        },
        Broken {
            what: "the manifest blob malformed (digest and size matching it)",
            names: ":1:",
            breaks: |l| {
                let (_, path) = manifest_of(l);
                let text = fs::read(path).unwrap();
                replace_manifest(l, &text[..text.len() - 2]);
            },
        },
        Broken {
            what: "the config blob missing",
            names: "No such file",
            breaks: |l| {
                let (m, _) = manifest_of(l);
                fs::remove_file(blob(l, m["config"]["digest"].as_str().unwrap())).unwrap();
            },
        },
        Broken {
            what: "oci-layout with another version",
            names: "oci-layout:imageLayoutVersion",
            breaks: |l| fs::write(l.join("oci-layout"), r#"{"imageLayoutVersion":"2.0.0"}"#).unwrap(),
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        let layout = d.join(format!("broken-{i}"));
        copy_dir(&good, &layout);
        (case.breaks)(&layout);
        let (tool_ok, tool_out) = oci_image_tool_accepts(&layout);
        let ours = jspec().arg("validate").arg(&layout).run();
        assert!(!tool_ok, "{}: oci-image-tool accepted it", case.what);
        assert_eq!(
            ours.code,
            Some(1),
            "{}: jspec should refuse it like oci-image-tool ({tool_out})\n{}",
            case.what,
            ours.stderr
        );
        assert!(
            ours.stdout_str().contains(case.names),
            "{}: output lacks {:?}:\n{}",
            case.what,
            case.names,
            ours.stdout_str()
        );
        assert!(ours.stderr.contains("invalid OCI image layout"), "{}", ours.stderr);
        // The same layout as an archive: the same verdict.
        let archive = d.join(format!("broken-{i}.tar"));
        run(Command::new("tar").arg("-C").arg(&layout).arg("-cf").arg(&archive).arg("."));
        jspec().arg("validate").arg(&archive).run().code(1);
    }
}

#[test]
fn a_layer_whose_diff_id_differs_is_refused() {
    // oci-image-tool does not decode layers; jspec does: the config's diff_id must be the
    // digest of the decoded tar.
    let dir = tempdir();
    let d = dir.path();
    fs::create_dir_all(d.join("t")).unwrap();
    fs::write(d.join("t/f"), "x").unwrap();
    gnu_tar(&d.join("t"), &d.join("l.tar"));
    let out = d.join("img");
    jspec().args(["new", "--format", "oci", "-o"]).arg(&out).arg(d.join("l.tar")).run().success();
    let (mut manifest, _) = manifest_of(&out);
    let config_path = blob(&out, manifest["config"]["digest"].as_str().unwrap());
    let mut config = read_json(&config_path);
    config["rootfs"]["diff_ids"][0] = json!(format!("sha256:{}", "0".repeat(64)));
    let bytes = serde_json::to_vec(&config).unwrap();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes)));
    fs::write(blob(&out, &digest), &bytes).unwrap();
    manifest["config"]["digest"] = json!(digest);
    manifest["config"]["size"] = json!(bytes.len());
    replace_manifest(&out, &serde_json::to_vec(&manifest).unwrap());
    jspec().arg("validate").arg(&out).run().code(1).stdout_contains("diff_id mismatch");
}

#[test]
fn documents_are_validated_like_oci_image_tool_and_malformed_json_is_named() {
    let dir = tempdir();
    let d = dir.path();
    let d256 = format!("sha256:{}", "a".repeat(64));
    let m = "application/vnd.oci.image.manifest.v1+json";
    let gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    let config = json!({"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d256, "size": 2});
    let cases = [
        (
            "manifest",
            json!({"schemaVersion": 2, "mediaType": m, "config": config, "layers": [{"mediaType": gz, "digest": d256, "size": 5}]}),
        ),
        (
            "manifest",
            json!({"schemaVersion": 2, "mediaType": m, "config": config, "layers": [{"mediaType": gz, "size": 5}]}),
        ),
        (
            "manifest",
            json!({"schemaVersion": 2, "mediaType": m, "config": config, "layers": [{"mediaType": gz, "digest": "sha256:ABC!", "size": 5}]}),
        ),
        (
            "imageIndex",
            json!({"schemaVersion": 2, "manifests": [{"mediaType": m, "digest": d256, "size": 7, "platform": {"os": "freebsd", "architecture": "amd64"}}]}),
        ),
        (
            "imageIndex",
            json!({"schemaVersion": 2, "manifests": [{"mediaType": m, "digest": d256, "size": 7, "platform": {"os": "freebsd"}}]}),
        ),
        (
            "config",
            json!({"architecture": "amd64", "os": "freebsd", "rootfs": {"type": "layers", "diff_ids": [d256]}}),
        ),
        (
            "config",
            json!({"architecture": "amd64", "os": "freebsd", "config": {"Env": ["NOEQUALS"]}, "rootfs": {"type": "layers", "diff_ids": [d256]}}),
        ),
        (
            "config",
            json!({"architecture": "amd64", "os": "freebsd", "rootfs": {"type": "layers", "diff_ids": "x"}}),
        ),
    ];
    for (i, (kind, doc)) in cases.iter().enumerate() {
        let file = d.join(format!("{i}.json"));
        fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        let ours = jspec().arg("validate").arg(&file).run();
        assert!(ours.code == Some(0) || ours.code == Some(1), "{doc}: {}", ours.stderr);
        if have("oci-image-tool") {
            let tool = Command::new("oci-image-tool")
                .args(["validate", "--type", kind])
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(ours.code == Some(0), tool.status.success(), "case {i} {doc}:\n{}", ours.stdout_str());
        }
    }
    // Malformed JSON: FILE:LINE:COL, exit 2 as for every format.
    let broken = d.join("broken.json");
    fs::write(&broken, "{\n  \"schemaVersion\": 2,\n  \"manifests\": [\n    {\"digest\" 1}\n").unwrap();
    jspec()
        .arg("validate")
        .arg(&broken)
        .run()
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("broken.json:4:");
    // A kind named by --format when the content does not say.
    let bare = d.join("bare.json");
    fs::write(&bare, r#"{"schemaVersion": 2}"#).unwrap();
    jspec()
        .args(["validate", "--format", "oci-index"])
        .arg(&bare)
        .run()
        .code(1)
        .stdout_contains("bare.json:manifests: is required");
    jspec()
        .args(["validate", "--format", "oci"])
        .arg(&bare)
        .run()
        .code(2)
        .stderr_contains("--format oci-config");
}

// ---------------------------------------------------------------------------------------
// examples/oci.sh

fn bin_dir() -> PathBuf {
    Path::new(bin!(jspec)).parent().unwrap().to_path_buf()
}

/// examples/oci.sh run by dash (a POSIX sh, not bash) with the tools under test.
fn oci_sh(dir: &Path) -> Cmd {
    let shell = if common::which("dash").is_some() { "dash" } else { "sh" };
    Cmd::new(shell).arg(common::repo_root().join("examples/oci.sh")).env("JTOOLS_BIN", bin_dir()).dir(dir)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[test]
fn example_build_and_unpack_round_trip() {
    if !have_all(&["umoci", "skopeo", "oci-image-tool", "bsdtar"]) {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let tree = d.join("jail");
    make_tree(&tree);
    let build = oci_sh(d)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("ARCH", "amd64")
        .args(["build", "jail", "web:14.2", "out"])
        .run();
    build.success().stdout_is("out\n");
    assert_eq!(names_in(d), ["jail", "out"], "nothing else left");
    let out = d.join("out");
    let (ok, text) = oci_image_tool_accepts(&out);
    assert!(ok, "{text}");
    let text = run(Command::new("skopeo").arg("inspect").arg(format!("oci:{}:web:14.2", out.display())));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((v["Os"].as_str(), v["Architecture"].as_str()), (Some("freebsd"), Some("amd64")));
    assert_eq!(v["Created"], "2023-11-14T22:13:20Z");
    let umoci_root = d.join("umoci-root");
    run(umoci_raw_unpack().arg("--image").arg(format!("{}:web:14.2", out.display())).arg(&umoci_root));
    assert_same_tree(&tree, &umoci_root);

    oci_sh(d).args(["unpack", "out", "root"]).run().success().stdout_is("root\n");
    assert_same_tree(&tree, &d.join("root"));
    // The layout as FreeBSD ships it: a .txz made by bsdtar.
    run(Command::new("bsdtar").arg("-C").arg(&out).args(["--xz", "-cf"]).arg(d.join("image.txz")).arg("."));
    oci_sh(d).args(["unpack", "image.txz", "root2"]).run().success();
    assert_same_tree(&tree, &d.join("root2"));
    // Same tree, same time: same digests.
    oci_sh(d)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("ARCH", "amd64")
        .args(["build", "jail", "web:14.2", "out2"])
        .run()
        .success();
    assert_eq!(fs::read(out.join("index.json")).unwrap(), fs::read(d.join("out2/index.json")).unwrap());

    // Existing targets are refused and left alone; a missing parent too.
    let run = oci_sh(d).args(["build", "jail", "web:14.2", "out"]).run();
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("out: already exists"), "{}", run.stderr);
    oci_sh(d).args(["unpack", "out", "root"]).run().code(2);
    oci_sh(d).args(["build", "jail", "web:14.2", "nowhere/out"]).run().code(2);
    oci_sh(d).args(["build", "jail", "notag", "x"]).run().code(2);
    assert!(!d.join("x").exists());
    // A layout with a corrupt layer: unpack refuses before applying anything.
    copy_dir(&out, &d.join("corrupt"));
    let layer = first_layer(&d.join("corrupt"));
    let mut bytes = fs::read(&layer).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    fs::write(&layer, bytes).unwrap();
    let run = oci_sh(d).args(["unpack", "corrupt", "root3"]).run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("digest mismatch"), "{}", run.stderr);
    assert!(!d.join("root3").exists());
    assert!(!names_in(d).iter().any(|n| n.starts_with(".root3")), "{:?}", names_in(d));
}

/// FreeBSD's make-oci-image.sh shape, written here as it does (echo'd JSON with a lowercase
/// "cmd", ref.name NAME:VERSION, bsdtar --xz): jspec validates it and the example unpacks it.
#[test]
fn example_unpacks_a_freebsd_make_oci_image_archive() {
    if !have_all(&["bsdtar", "gzip"]) {
        return;
    }
    let dir = tempdir();
    let w = dir.path();
    let tree = w.join("rootfs");
    make_tree(&tree);
    let txz = common::oci::make_oci_image_txz(w, &tree).txz;

    jspec()
        .arg("validate")
        .arg(&txz)
        .run()
        .success()
        .stdout_contains(":config.cmd: Go readers take it as Cmd");
    oci_sh(w).args(["unpack", "container-image-static.txz", "jail"]).run().success();
    // bsdtar --strip-components 1 dropped the "." entry: compare what it archived.
    let mut want = tree::snapshot(&tree);
    let mut got = tree::snapshot(&w.join("jail"));
    want.remove(&b"."[..]);
    got.remove(&b"."[..]);
    let diff = tree::differences(&want, &got);
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

struct Keys {
    sec: PathBuf,
    public: PathBuf,
    other_public: PathBuf,
}

fn keys(dir: &Path) -> Keys {
    let keygen = |name: &str| {
        let (sec, public) = (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")));
        common::jsum().arg("--keygen").arg("-s").arg(&sec).arg("-p").arg(&public).run().success();
        (sec, public)
    };
    let (sec, public) = keygen("publisher");
    let (_, other_public) = keygen("stranger");
    Keys { sec, public, other_public }
}

/// Refused on the signature: exit 1, jsum's reason, and no layer read (no `jspec validate`
/// or `jsnap recv` step in the VERBOSE trace), nothing created.
fn refused(run: &Run, reason: &str, dest: &Path) {
    assert_eq!(run.code, Some(1), "should be refused:\n{}", run.stderr);
    assert!(run.stderr.contains(reason), "stderr lacks {reason:?}:\n{}", run.stderr);
    assert!(run.stderr.contains("no good signature by"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("$ jspec validate") && !run.stderr.contains("jsnap recv --dir"),
        "{}",
        run.stderr
    );
    assert!(!dest.exists());
}

#[test]
fn example_signed_manifest_round_trip_and_refusals() {
    let dir = tempdir();
    let d = dir.path();
    let k = keys(d);
    let tree = d.join("jail");
    make_tree(&tree);
    oci_sh(d).env("SIGN_KEY", &k.sec).args(["build", "jail", "web:1.0", "out"]).run().success();
    let out = d.join("out");
    let sig = out.join("manifest.minisig");
    assert!(sig.exists());
    let (_, manifest) = manifest_of(&out);
    // The reference verifier accepts the signature of the manifest bytes.
    if have("minisign") {
        Cmd::new("minisign")
            .arg("-V")
            .arg("-p")
            .arg(&k.public)
            .arg("-x")
            .arg(&sig)
            .arg("-m")
            .arg(&manifest)
            .run()
            .success();
    }
    // Good: unpacked, after the signature was checked.
    let unpack = |src: &str, key: &Path, dest: &str| {
        oci_sh(d).env("VERIFY_KEY", key).env("VERBOSE", "1").args(["unpack", src, dest]).run()
    };
    let good = unpack("out", &k.public, "root");
    good.success();
    assert!(good.stderr.find("jsum --verify").unwrap() < good.stderr.find("$ jspec validate").unwrap());
    assert_same_tree(&tree, &d.join("root"));
    // The signature travels inside an archive of the layout.
    if have("bsdtar") {
        run(Command::new("bsdtar").arg("-C").arg(&out).args(["--xz", "-cf"]).arg(d.join("out.txz")).arg("."));
        unpack("out.txz", &k.public, "root-txz").success();
    }
    // Wrong key.
    refused(&unpack("out", &k.other_public, "x"), "wrong key id", &d.join("x"));
    // Missing signature.
    copy_dir(&out, &d.join("unsigned"));
    fs::remove_file(d.join("unsigned/manifest.minisig")).unwrap();
    refused(&unpack("unsigned", &k.public, "x"), "missing signature", &d.join("x"));
    // Tampered: another command in the manifest's annotations, the digests made consistent
    // (index.json names the new manifest): only the signature can tell.
    copy_dir(&out, &d.join("tampered"));
    let t = d.join("tampered");
    edit_manifest(&t, |m| m["annotations"]["org.freebsd.jail.allow.raw_sockets"] = json!("true"));
    jspec().arg("validate").arg(&t).run().success();
    refused(&unpack("tampered", &k.public, "x"), "bad signature", &d.join("x"));
    // A manifest blob changed in place (index.json untouched): its digest no longer matches.
    copy_dir(&out, &d.join("swapped"));
    let (_, path) = manifest_of(&d.join("swapped"));
    let mut bytes = fs::read(&path).unwrap();
    bytes.push(b' ');
    fs::write(&path, bytes).unwrap();
    let run = unpack("swapped", &k.public, "x");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!d.join("x").exists());
    // Built again without a key: no signature, and VERIFY_KEY refuses it.
    oci_sh(d).args(["build", "jail", "web:1.0", "plain"]).run().success();
    assert!(!d.join("plain/manifest.minisig").exists());
    refused(&unpack("plain", &k.public, "x"), "missing signature", &d.join("x"));
    assert!(!names_in(d).iter().any(|n| n.starts_with(".x")), "{:?}", names_in(d));
}

// ---------------------------------------------------------------------------------------
// convert

#[test]
fn convert_between_oci_config_and_aci_ajspec_imgadm() {
    let dir = tempdir();
    let d = dir.path();
    fs::create_dir_all(d.join("t")).unwrap();
    fs::write(d.join("t/f"), "x").unwrap();
    gnu_tar(&d.join("t"), &d.join("l.tar"));
    let diff_id = sha256_file(&d.join("l.tar"));
    // appc's own example manifest (the corpus) to an OCI config, oci-image-tool judging it.
    let aci = common::shared_dir().join("corpus/appc-jetpack/appc-spec-examples-image.json");
    let config = d.join("config.json");
    let run = jspec()
        .args(["convert", "--to", "oci", "--image"])
        .arg(d.join("l.tar"))
        .arg(&aci)
        .arg("-o")
        .arg(&config)
        .run();
    run.success();
    let v = read_json(&config);
    assert_eq!((v["os"].as_str(), v["architecture"].as_str()), (Some("linux"), Some("amd64")));
    assert_eq!(v["config"]["Cmd"], json!(["/usr/bin/reduce-worker", "--quiet"]));
    assert_eq!(v["config"]["Labels"]["org.opencontainers.image.title"], "example.com/reduce-worker");
    assert_eq!(v["config"]["Labels"]["org.opencontainers.image.version"], "1.0.0");
    assert_eq!(v["rootfs"]["diff_ids"], json!([diff_id]));
    jspec().arg("validate").arg(&config).run().success().stdout_contains("valid OCI image config");
    if have("oci-image-tool") {
        run_ok(Command::new("oci-image-tool").args(["validate", "--type", "config"]).arg(&config));
    }
    // And back: the command, name, version, platform; actool accepts the ACI.
    let back = d.join("back.json");
    let run = jspec().args(["convert", "--to", "aci"]).arg(&config).arg("-o").arg(&back).run();
    run.success();
    assert!(run.stderr.contains("not carried over") && run.stderr.contains("rootfs"), "{}", run.stderr);
    let a = read_json(&back);
    assert_eq!(a["name"], "example.com/reduce-worker");
    assert_eq!(a["app"]["exec"], json!(["/usr/bin/reduce-worker", "--quiet"]));
    if let Some(actool) = common::actool::actool() {
        Cmd::new(&actool).args(["validate", "--type=manifest"]).arg(&back).run().success();
    }
    // A FreeBSD image's config (jspec new) to .ajspec and imgadm: FreeBSD's arch name, the
    // image file's digests from --image, the dropped fields named.
    let out = d.join("img");
    jspec()
        .args([
            "new",
            "--format",
            "oci",
            "-a",
            "aarch64",
            "--env",
            "A=1",
            "--label",
            "org.opencontainers.image.title=web",
        ])
        .args(["--label", "org.opencontainers.image.version=14.2", "--timestamp", "1700000000", "-o"])
        .arg(&out)
        .arg(d.join("l.tar"))
        .run()
        .success();
    let (manifest, _) = manifest_of(&out);
    let config = blob(&out, manifest["config"]["digest"].as_str().unwrap());
    let image = d.join("web.appjail");
    fs::write(&image, common::noise(5000, 9)).unwrap();
    let run = jspec()
        .args(["convert", "--to", "ajspec", "--source", "https://m.example/web.appjail", "--image"])
        .arg(&image)
        .arg(&config)
        .run();
    run.success();
    assert!(run.stderr.contains("config.Env"), "{}", run.stderr);
    let text = run.stdout_str();
    assert!(
        text.contains("tags: 14.2")
            && text.contains("14.2.arch: aarch64")
            && text.contains("14.2.timestamp.aarch64: 1700000000"),
        "{text}"
    );
    assert!(text.contains(&format!("14.2.sum.aarch64: {}", &sha256_file(&image)[7..])), "{text}");
    let spec = d.join(".ajspec");
    fs::write(&spec, &run.stdout).unwrap();
    jspec().arg("validate").arg(&spec).run().success();
    let run = jspec().args(["convert", "--to", "imgadm", "--image"]).arg(&image).arg(&config).run();
    run.success();
    let m: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        (m["name"].as_str(), m["version"].as_str(), m["os"].as_str()),
        (Some("web"), Some("14.2"), Some("bsd"))
    );
    assert_eq!(m["published_at"], "2023-11-14T22:13:20Z");
    // A manifest is not a config: said so.
    let (_, manifest_path) = manifest_of(&out);
    jspec()
        .args(["convert", "--to", "ajspec"])
        .arg(&manifest_path)
        .run()
        .code(2)
        .stderr_contains("give its config");
}

fn run_ok(cmd: &mut Command) {
    run(cmd);
}

// ---------------------------------------------------------------------------------------
// examples/oci.sh push and pull (through jfetch's registry client)

/// Debian's docker-registry on a free loopback port, storage in `dir`; killed when dropped.
struct Registry {
    child: std::process::Child,
    port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry(dir: &Path) -> Registry {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.join("registry.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        ),
    )
    .unwrap();
    let log = fs::File::create(dir.join("registry.log")).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let registry = Registry { child, port };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return registry;
            }
        }
        assert!(std::time::Instant::now() < deadline, "docker-registry did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// jfetch with the registry client (`--push`), which the "registry" work adds.
fn jfetch_has_registries() -> bool {
    let help = common::jfetch().arg("--help").run().stdout_str();
    help.contains("--push") || common::skip("this jfetch has no --push (registries)")
}

#[test]
fn example_push_and_pull_through_a_registry() {
    if !have_all(&["docker-registry", "skopeo", "umoci"]) || !jfetch_has_registries() {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    let registry = start_registry(d);
    let host = format!("127.0.0.1:{}", registry.port);
    let k = keys(d);
    let tree = d.join("jail");
    make_tree(&tree);
    oci_sh(d).env("SIGN_KEY", &k.sec).args(["build", "jail", "web:1.0", "out"]).run().success();
    let insecure = |cmd: Cmd| cmd.env("OCI_INSECURE", "1");
    insecure(oci_sh(d)).arg("push").arg("out").arg(format!("{host}/jails/web:1.0")).run().success();
    // skopeo sees what was pushed.
    let text = run(Command::new("skopeo")
        .args(["inspect", "--tls-verify=false"])
        .arg(format!("docker://{host}/jails/web:1.0")));
    let v: Value = serde_json::from_str(&text).unwrap();
    let (manifest, _) = manifest_of(&d.join("out"));
    assert_eq!(v["Layers"], json!([manifest["layers"][0]["digest"]]));
    // Pulled back with the published signature, and unpacked with it verified again.
    let sig = d.join("out/manifest.minisig");
    let pull = |key: &Path, sig: Option<&Path>, dest: &str| {
        let mut cmd = insecure(oci_sh(d)).env("VERIFY_KEY", key);
        if let Some(sig) = sig {
            cmd = cmd.env("MANIFEST_SIG", sig);
        }
        cmd.arg("pull").arg(format!("{host}/jails/web:1.0")).arg(dest).run()
    };
    pull(&k.public, Some(&sig), "pulled").success();
    assert!(d.join("pulled/manifest.minisig").exists());
    oci_sh(d).env("VERIFY_KEY", &k.public).args(["unpack", "pulled", "root"]).run().success();
    assert_same_tree(&tree, &d.join("root"));
    // No signature given, or another key: refused, nothing kept.
    let run1 = pull(&k.public, None, "x");
    assert_eq!(run1.code, Some(1), "{}", run1.stderr);
    assert!(run1.stderr.contains("missing signature"), "{}", run1.stderr);
    let run2 = pull(&k.other_public, Some(&sig), "x");
    assert_eq!(run2.code, Some(1), "{}", run2.stderr);
    assert!(run2.stderr.contains("wrong key id"), "{}", run2.stderr);
    assert!(!d.join("x").exists());

    // What skopeo pushes (an image umoci built), pulled and unpacked to umoci's own tree. The
    // layer is umoci repack's: umoci 0.4.7's `insert` writes a tar cut short after the last
    // file's data (no padding, no end blocks), which GNU tar and bsdtar refuse too.
    let rootless = if common::is_root() { "" } else { "--rootless" };
    run(Command::new("sh")
        .arg("-ec")
        .arg(format!(
            "umoci init --layout u && umoci new --image u:t && umoci unpack {rootless} --image u:t b \
             && mkdir -p b/rootfs/etc && echo hi > b/rootfs/etc/motd && umoci repack --image u:t b \
             && umoci raw unpack {rootless} --image u:t umoci-root"
        ))
        .current_dir(d));
    run(Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false", "oci:u:t"])
        .arg(format!("docker://{host}/other:t"))
        .current_dir(d));
    insecure(oci_sh(d)).arg("pull").arg(format!("{host}/other:t")).arg("other").run().success();
    jspec().arg("validate").arg(d.join("other")).run().success();
    oci_sh(d).args(["unpack", "other", "other-root"]).run().success();
    assert_same_tree(&d.join("umoci-root"), &d.join("other-root"));
}

/// jsnap with layer stacks (`recv --dir DIR --layer L…`), which the "layers" work adds.
fn jsnap_has_layers() -> bool {
    let help = common::jsnap().args(["recv", "--help"]).run().stdout_str();
    help.contains("--layer") || common::skip("this jsnap has no recv --layer (layer stacks)")
}

#[test]
fn example_unpacks_several_layers_with_whiteouts_as_umoci() {
    if !have_all(&["umoci"]) || !jsnap_has_layers() {
        return;
    }
    let dir = tempdir();
    let d = dir.path();
    if !have("skopeo") {
        return;
    }
    // Layers from umoci repack (umoci 0.4.7's insert writes tars cut short): a base, then a
    // layer deleting one file (a .wh. whiteout) and adding another.
    let rootless = if common::is_root() { "" } else { "--rootless" };
    run(Command::new("sh")
        .arg("-ec")
        .arg(format!(
            "umoci init --layout umoci && umoci new --image umoci:t && umoci unpack {rootless} --image umoci:t b \
             && mkdir -p b/rootfs/etc && echo one > b/rootfs/etc/one && echo two > b/rootfs/etc/two \
             && umoci repack --image umoci:t b && rm -rf b && umoci unpack {rootless} --image umoci:t b \
             && rm b/rootfs/etc/two && echo three > b/rootfs/etc/three && umoci repack --image umoci:t2 b \
             && skopeo copy oci:umoci:t2 oci-archive:archive.tar:t2"
        ))
        .current_dir(d));
    let (umoci, archive) = (d.join("umoci"), d.join("archive.tar"));
    let umoci_root = d.join("umoci-root");
    run(umoci_raw_unpack().arg("--image").arg(format!("{}:t2", umoci.display())).arg(&umoci_root));
    assert!(!umoci_root.join("etc/two").exists() && umoci_root.join("etc/three").exists());
    oci_sh(d).env("REF_NAME", "t2").args(["unpack", "umoci", "root"]).run().success();
    assert_same_tree(&umoci_root, &d.join("root"));
    // From the archive skopeo wrote: the same tree.
    oci_sh(d).args(["unpack"]).arg(&archive).arg("root2").run().success();
    assert_same_tree(&umoci_root, &d.join("root2"));
}
