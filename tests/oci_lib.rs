//! jcore::oci against the reference tools: layouts jcore builds pass `oci-image-tool validate`,
//! `skopeo inspect` and `umoci raw unpack` (the tree comes back equal to the source); layouts
//! and archives umoci and skopeo write are read back with every blob verified; the validator
//! agrees with the cases of image-spec's own `schema/*_test.go`.
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{have, tempdir};
use jcore::codec::{Encoder, Format};
use jcore::oci::build::{ImageSpec, build_image, describe_layer};
use jcore::oci::layout::{Layout, unpack_archive, write_archive, write_layout, write_layout_images};
use jcore::oci::validate::{validate, validate_descriptor};
use jcore::oci::{Kind, Platform};
use serde_json::{Value, json};
use sha2::Digest as _;

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

/// A small jail-like tree: directories, files with modes, a symlink, an empty file.
fn make_tree(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for d in ["bin", "etc", "usr/local/etc", "var/empty"] {
        fs::create_dir_all(root.join(d)).unwrap();
    }
    fs::write(root.join("bin/sh"), common::noise(70_000, 7)).unwrap();
    fs::set_permissions(root.join("bin/sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(root.join("etc/rc.conf"), "sshd_enable=\"YES\"\n").unwrap();
    fs::write(root.join("usr/local/etc/empty"), "").unwrap();
    std::os::unix::fs::symlink("../bin/sh", root.join("etc/sh")).unwrap();
}

/// The tree as a tar by GNU tar (the reference), in a deterministic order.
fn gnu_tar(root: &Path, out: &Path) {
    run(Command::new("tar")
        .args(["--sort=name", "--numeric-owner", "--format=gnu", "--mtime=@1700000000", "-C"])
        .arg(root)
        .args(["-cf"])
        .arg(out)
        .arg("."));
}

fn compress(input: &Path, format: Format, out: &Path) {
    let data = fs::read(input).unwrap();
    let mut enc = Encoder::new(format, None, 1, fs::File::create(out).unwrap()).unwrap();
    enc.write_all(&data).unwrap();
    enc.finish().unwrap();
}

fn sha256_file(path: &Path) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(fs::read(path).unwrap())))
}

fn spec(tag: &str) -> ImageSpec {
    ImageSpec {
        architecture: Some("amd64".into()),
        created: Some(1_700_000_000),
        cmd: vec!["/bin/sh".into()],
        env: vec!["PATH=/bin:/usr/bin".into()],
        working_dir: Some("/".into()),
        user: Some("root".into()),
        exposed_ports: vec!["22/tcp".into()],
        labels: BTreeMap::from([("org.example.role".into(), "test".into())]),
        annotations: BTreeMap::from([
            ("org.freebsd.jail.allow.raw_sockets".into(), "true".into()),
            ("org.opencontainers.image.title".into(), "jtools test".into()),
        ]),
        ref_name: Some(tag.into()),
        ..ImageSpec::default()
    }
}

/// Builds a one-layer (gzip) layout of a fresh tree; returns (tree, layout).
fn build_layout(dir: &Path, tag: &str) -> (PathBuf, PathBuf) {
    let tree = dir.join("tree");
    make_tree(&tree);
    gnu_tar(&tree, &dir.join("layer.tar"));
    compress(&dir.join("layer.tar"), Format::Gzip, &dir.join("layer.tar.gz"));
    let layer = describe_layer(&dir.join("layer.tar.gz")).unwrap();
    let image = build_image(&spec(tag), std::slice::from_ref(&layer)).unwrap();
    let out = dir.join("image");
    write_layout(&out, &image, &[layer]).unwrap();
    (tree, out)
}

/// `umoci raw unpack`, with `--rootless` when not root (as a user, umoci cannot chown and
/// says "maybe --rootless will help"; rootless, it leaves every file to the user, as the
/// tree it is compared with is).
fn umoci_raw_unpack() -> Command {
    umoci_as_we_are(&["raw", "unpack"])
}

/// `umoci SUBCOMMAND…` for a subcommand that unpacks, `--rootless` when not root.
fn umoci_as_we_are(subcommand: &[&str]) -> Command {
    let mut command = Command::new("umoci");
    command.args(subcommand);
    if !common::is_root() {
        command.arg("--rootless");
    }
    command
}

#[test]
fn layer_diff_id_is_the_sha256_of_the_tar_for_every_codec() {
    let dir = tempdir();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let tar = dir.path().join("layer.tar");
    gnu_tar(&tree, &tar);
    let diff_id = sha256_file(&tar);
    for format in [Format::None, Format::Gzip, Format::Zstd, Format::Xz, Format::Bzip2, Format::Lz4] {
        let blob = dir.path().join(format!("layer.{}", format.name()));
        if format == Format::None {
            fs::copy(&tar, &blob).unwrap();
        } else {
            compress(&tar, format, &blob);
        }
        let layer = describe_layer(&blob).unwrap();
        assert_eq!(layer.diff_id, diff_id, "{format}");
        assert_eq!(layer.descriptor.digest, sha256_file(&blob), "{format}");
        assert_eq!(layer.descriptor.size, fs::metadata(&blob).unwrap().len());
        assert_eq!(layer.format, format);
    }
    let not_tar = dir.path().join("not-a-tar.gz");
    fs::write(dir.path().join("plain"), vec![b'x'; 2000]).unwrap();
    compress(&dir.path().join("plain"), Format::Gzip, &not_tar);
    let err = describe_layer(&not_tar).unwrap_err();
    assert!(err.to_string().contains("not a tar"), "{err}");
}

#[test]
fn built_layout_passes_oci_image_tool_skopeo_and_umoci() {
    let dir = tempdir();
    let (tree, layout) = build_layout(dir.path(), "14.2");
    if have("oci-image-tool") {
        let out = run(Command::new("oci-image-tool")
            .args(["validate", "--type", "image", "--ref", "name=14.2"])
            .arg(&layout));
        assert!(out.to_lowercase().contains("validation succeeded"), "{out}");
    }
    if have("skopeo") {
        let out = run(Command::new("skopeo").arg("inspect").arg(format!("oci:{}:14.2", layout.display())));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Os"], "freebsd");
        assert_eq!(v["Architecture"], "amd64");
        assert_eq!(v["Created"], "2023-11-14T22:13:20Z");
        assert_eq!(v["Labels"]["org.example.role"], "test");
        let layer =
            Layout::open(&layout).unwrap().resolve(Some("14.2"), None).unwrap().layers()[0].digest.clone();
        assert_eq!(v["Layers"], json!([layer]));
    }
    if have("umoci") {
        let root = dir.path().join("unpacked");
        run(umoci_raw_unpack().arg("--image").arg(format!("{}:14.2", layout.display())).arg(&root));
        run(Command::new("diff").arg("-r").arg("--no-dereference").arg(&tree).arg(&root));
    }
}

#[test]
fn same_inputs_give_the_same_digests() {
    let a = tempdir();
    let b = tempdir();
    let (_, la) = build_layout(a.path(), "t");
    let (_, lb) = build_layout(b.path(), "t");
    assert_eq!(fs::read(la.join("index.json")).unwrap(), fs::read(lb.join("index.json")).unwrap());
    let names = |l: &Path| {
        let mut v: Vec<_> =
            fs::read_dir(l.join("blobs/sha256")).unwrap().map(|e| e.unwrap().file_name()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&la), names(&lb));
    // The config is what the spec shows, keys in the Go structs' order.
    let image = Layout::open(&la).unwrap().resolve(Some("t"), None).unwrap();
    let config =
        fs::read_to_string(Layout::open(&la).unwrap().blob_path(&image.manifest.config.digest).unwrap())
            .unwrap();
    assert!(config.starts_with(r#"{"created":"2023-11-14T22:13:20Z","architecture":"amd64","os":"freebsd","config":{"User":"root","ExposedPorts":{"22/tcp":{}},"Env":["PATH=/bin:/usr/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/","Labels":{"org.example.role":"test"}},"rootfs":{"type":"layers","diff_ids":["sha256:"#), "{config}");
    assert_eq!(image.manifest.annotations["org.freebsd.jail.allow.raw_sockets"], "true");
    assert_eq!(image.manifest.annotations["org.opencontainers.image.created"], "2023-11-14T22:13:20Z");
}

#[test]
fn freebsd_architecture_names_map_as_containerd_does() {
    for (freebsd, go, variant) in [
        ("amd64", "amd64", None),
        ("aarch64", "arm64", None),
        ("arm64", "arm64", None),
        ("i386", "386", None),
        ("riscv64", "riscv64", None),
        ("armv7", "arm", Some("v7")),
        ("powerpc64le", "ppc64le", None),
    ] {
        assert_eq!(jcore::oci::go_architecture(freebsd), (go, variant), "{freebsd}");
    }
    let p = Platform::parse("freebsd/aarch64").unwrap();
    assert_eq!((p.os.as_str(), p.architecture.as_str(), p.variant), ("freebsd", "arm64", None));
    assert!(Platform::parse("freebsd").is_err());
}

#[test]
fn write_layout_refuses_an_existing_target_and_leaves_nothing_on_error() {
    let dir = tempdir();
    let (_, layout) = build_layout(dir.path(), "t");
    let layer = describe_layer(&dir.path().join("layer.tar.gz")).unwrap();
    let image = build_image(&spec("t"), std::slice::from_ref(&layer)).unwrap();
    let err = write_layout(&layout, &image, std::slice::from_ref(&layer)).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    // The layer changes between describing and writing: refused, no directory left.
    fs::write(dir.path().join("layer.tar.gz"), b"changed").unwrap();
    let target = dir.path().join("second");
    let err = write_layout(&target, &image, &[layer]).unwrap_err();
    assert!(err.invalid && err.to_string().contains("changed while"), "{err}");
    assert!(!target.exists());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("jtools-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn corrupt_blob_is_an_error_naming_the_blob() {
    let dir = tempdir();
    let (_, layout_dir) = build_layout(dir.path(), "t");
    let layout = Layout::open(&layout_dir).unwrap();
    let image = layout.resolve(Some("t"), None).unwrap();
    assert!(layout.check().is_valid(), "{:?}", layout.check());
    let layer = image.layers()[0].clone();
    let path = layout.blob_path(&layer.digest).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    fs::write(&path, &bytes).unwrap();
    let err = layout.verify_blob(&layer).unwrap_err();
    let hex = layer.digest.strip_prefix("sha256:").unwrap();
    assert!(err.invalid, "{err}");
    assert!(err.to_string().starts_with(&format!("blobs/sha256/{hex}: digest mismatch")), "{err}");
    let report = layout.check();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(report.problems[0].to_string().contains(hex), "{report:?}");
    // A truncated config: the size differs, the image does not resolve.
    let config = image.manifest.config.clone();
    let config_path = layout.blob_path(&config.digest).unwrap();
    let text = fs::read(&config_path).unwrap();
    fs::write(&config_path, &text[..text.len() - 1]).unwrap();
    let err = layout.resolve(Some("t"), None).unwrap_err();
    assert!(err.to_string().contains(config.digest.strip_prefix("sha256:").unwrap()), "{err}");
    assert!(err.to_string().contains("bytes, but its descriptor says"), "{err}");
    // Unknown references list what there is.
    let err = layout.resolve(Some("nope"), None).unwrap_err();
    assert!(err.to_string().ends_with("no such image; the layout has: t"), "{err}");
}

/// umoci writes a Linux image with several layers (the second one with a whiteout); skopeo
/// copies it to a new layout and to an `oci-archive:`; jcore reads all three with every blob
/// verified, and each layer's diff_id recomputed from the blob equals the config's.
#[test]
fn layouts_and_archives_from_umoci_and_skopeo_are_read_and_verified() {
    if !have("umoci") || !have("skopeo") {
        return;
    }
    let dir = tempdir();
    let l = dir.path().join("umoci");
    let image = |tag: &str| format!("{}:{tag}", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image"]).arg(image("base")));
    let bundle = dir.path().join("bundle");
    run(umoci_as_we_are(&["unpack"]).arg("--image").arg(image("base")).arg(&bundle));
    make_tree(&bundle.join("rootfs"));
    run(Command::new("umoci").args(["repack", "--image"]).arg(image("v1")).arg(&bundle));
    let bundle = dir.path().join("bundle2");
    run(umoci_as_we_are(&["unpack"]).arg("--image").arg(image("v1")).arg(&bundle));
    fs::remove_file(bundle.join("rootfs/etc/rc.conf")).unwrap();
    fs::write(bundle.join("rootfs/etc/motd"), "hello\n").unwrap();
    run(Command::new("umoci").args(["repack", "--image"]).arg(image("v2")).arg(&bundle));
    run(Command::new("umoci").args(["config", "--config.cmd", "/bin/sh", "--image"]).arg(image("v2")));

    let check = |root: &Path, tag: &str| {
        let layout = Layout::open(root).unwrap();
        let img = layout.resolve(Some(tag), None).unwrap();
        assert_eq!(img.layers().len(), 2, "{tag}");
        assert_eq!(img.config.config.as_ref().unwrap().cmd, vec!["/bin/sh".to_string()]);
        for (layer, diff_id) in img.layers().iter().zip(&img.config.rootfs.diff_ids) {
            layout.verify_blob(layer).unwrap();
            let described = describe_layer(&layout.blob_path(&layer.digest).unwrap()).unwrap();
            assert_eq!(&described.diff_id, diff_id);
            assert_eq!(described.descriptor.media_type, layer.media_type);
        }
        let report = layout.check();
        assert!(report.is_valid(), "{report:?}");
        img
    };
    let from_umoci = check(&l, "v2");

    let s = dir.path().join("skopeo");
    run(Command::new("skopeo")
        .arg("copy")
        .arg(format!("oci:{}", image("v2")))
        .arg(format!("oci:{}:copied", s.display())));
    let from_skopeo = check(&s, "copied");
    assert_eq!(from_skopeo.manifest.layers, from_umoci.manifest.layers);

    let archive = dir.path().join("image.tar");
    run(Command::new("skopeo")
        .arg("copy")
        .arg(format!("oci:{}", image("v2")))
        .arg(format!("oci-archive:{}:arch", archive.display())));
    let unpacked = dir.path().join("from-archive");
    unpack_archive(&archive, &unpacked).unwrap();
    check(&unpacked, "arch");
    // FreeBSD ships its images as .txz: the same archive, xz-compressed.
    let txz = dir.path().join("image.txz");
    compress(&archive, Format::Xz, &txz);
    let unpacked = dir.path().join("from-txz");
    unpack_archive(&txz, &unpacked).unwrap();
    check(&unpacked, "arch");
}

#[test]
fn archive_member_escaping_the_layout_is_refused_and_nothing_is_kept() {
    let dir = tempdir();
    let (_, layout) = build_layout(dir.path(), "t");
    let archive = dir.path().join("evil.tar");
    // GNU tar keeps `..` with -P; the member lands outside the layout if obeyed.
    fs::write(dir.path().join("escape"), "x").unwrap();
    run(Command::new("tar").arg("-C").arg(&layout).args(["-cf"]).arg(&archive).arg("."));
    run(Command::new("tar").arg("-C").arg(&layout).arg("-rPf").arg(&archive).arg("../escape"));
    let target = dir.path().join("unpacked");
    let err = unpack_archive(&archive, &target).unwrap_err();
    assert!(err.to_string().contains("a path outside the layout"), "{err}");
    assert!(!target.exists());
    // A symlink member is refused as well.
    let archive = dir.path().join("link.tar");
    std::os::unix::fs::symlink("/etc/passwd", layout.join("link")).unwrap();
    run(Command::new("tar").arg("-C").arg(&layout).args(["-cf"]).arg(&archive).arg("."));
    let err = unpack_archive(&archive, &target).unwrap_err();
    assert!(err.to_string().contains("Symlink"), "{err}");
    assert!(!target.exists());
}

const D256: &str = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";

/// Descriptor cases of image-spec `schema/descriptor_test.go` (expected outcome per case).
#[test]
fn descriptor_cases_of_image_spec_schema_tests() {
    let m = "application/vnd.oci.image.manifest.v1+json";
    let long = "1234567890".repeat(13);
    let (t127, t128) = (&long[..127], &long[..128]);
    let cases: Vec<(Value, bool)> = vec![
        (json!({"mediaType": m, "size": 7682, "digest": D256}), true),
        (
            json!({"mediaType": "application/octet-stream", "size": 0,
                   "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}),
            true,
        ),
        (json!({"size": 7682, "digest": D256}), false),
        (json!({"mediaType": "application", "size": 7682, "digest": D256}), false),
        (json!({"mediaType": ".foo/bar", "size": 7682, "digest": D256}), false),
        (json!({"mediaType": "foo/.bar", "size": 7682, "digest": D256}), false),
        (json!({"mediaType": format!("{t127}/{t127}"), "size": 7682, "digest": D256}), true),
        (json!({"mediaType": format!("{t128}/bar"), "size": 7682, "digest": D256}), false),
        (json!({"mediaType": format!("foo/{t128}"), "size": 7682, "digest": D256}), false),
        (json!({"mediaType": m, "digest": D256}), false),
        (json!({"mediaType": m, "size": "7682", "digest": D256}), false),
        (json!({"mediaType": m, "size": 7682}), false),
        (json!({"mediaType": m, "size": 7682, "digest": &D256[6..]}), false),
        (json!({"mediaType": m, "size": 7682, "digest": "sha256"}), false),
        (json!({"mediaType": m, "size": 7682, "digest": D256.replace("sha256", "SHA256")}), false),
        (
            json!({"mediaType": m, "size": 7682, "digest": D256.to_uppercase().replace("SHA256", "sha256")}),
            false,
        ),
        (json!({"mediaType": m, "size": 7682, "digest": D256, "urls": ["https://example.com/foo"]}), true),
        (json!({"mediaType": m, "size": 7682, "digest": D256, "urls": ["value"]}), false),
        (
            json!({"mediaType": m, "size": 7682, "digest": D256, "artifactType": "application/vnd.oci.image.manifest.v1+json"}),
            true,
        ),
        (json!({"mediaType": m, "size": 7682, "digest": D256, "artifactType": "foo/.bar"}), false),
        (
            json!({"mediaType": m, "size": 7682, "digest": "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"}),
            true,
        ),
        (
            json!({"mediaType": m, "size": 7682, "digest": "sha256+foo+-b:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"}),
            false,
        ),
        (
            json!({"mediaType": m, "size": 7682, "digest": "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"}),
            true,
        ),
        (
            json!({"mediaType": "text/plain", "size": 34, "digest": "sha256:2d05f0c2364e9a7b70ae3e2ae4e5dd2bb0d9a9bd9a4d41e4ee1c4d4bb2b2bb95",
                   "data": "aGVsbG8gd29ybGQ"}),
            false,
        ),
        (json!({"mediaType": m, "size": -1, "digest": D256}), false),
        // sha512 is registered: 128 lowercase hex.
        (json!({"mediaType": m, "size": 1, "digest": format!("sha512:{}", "ab".repeat(64))}), true),
        (json!({"mediaType": m, "size": 1, "digest": format!("sha512:{}", "ab".repeat(32))}), false),
        // data must be the content.
        (
            json!({"mediaType": "text/plain", "size": 11,
                   "digest": "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9", "data": "aGVsbG8gd29ybGQ="}),
            true,
        ),
    ];
    for (i, (descriptor, valid)) in cases.iter().enumerate() {
        let report = validate_descriptor(descriptor);
        assert_eq!(report.is_valid(), *valid, "case {i}: {descriptor}: {report:?}");
    }
}

fn manifest_with(layers: Value) -> Value {
    json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 1470,
                      "digest": "sha256:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b"},
           "layers": layers})
}

/// Cases of `schema/manifest_test.go`, `imageindex_test.go`, `config_test.go` and
/// `imagelayout_test.go`, and every problem of a bad document reported at once.
#[test]
fn document_cases_of_image_spec_schema_tests() {
    let gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    let ok_layer = json!([{"mediaType": gz, "size": 1470, "digest": D256}]);
    assert!(validate(Kind::Manifest, &manifest_with(ok_layer.clone())).is_valid());
    // manifest_test.go expects a failure for empty layers (the schema's minItems), but the
    // spec's text says SHOULD and `umoci new` writes such manifests: a warning here.
    let empty = validate(Kind::Manifest, &manifest_with(json!([])));
    assert!(empty.is_valid() && empty.warnings[0].location == "layers", "{empty:?}");
    assert!(
        !validate(Kind::Manifest, &manifest_with(json!([{"mediaType": gz, "size": "1470", "digest": D256}])))
            .is_valid()
    );
    let mut bad_type = manifest_with(ok_layer.clone());
    bad_type["mediaType"] = json!("invalid");
    assert!(!validate(Kind::Manifest, &bad_type).is_valid());
    let mut subject = manifest_with(ok_layer.clone());
    subject["subject"] =
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1, "digest": D256});
    assert!(validate(Kind::Manifest, &subject).is_valid());
    subject["subject"] = json!("sha256:abc");
    assert!(!validate(Kind::Manifest, &subject).is_valid());

    let index = |manifests: Value| json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    let m = "application/vnd.oci.image.manifest.v1+json";
    assert!(validate(Kind::Index, &index(json!([{"mediaType": m, "size": 7682, "digest": D256, "platform": {"architecture": "amd64", "os": "linux"}}]))).is_valid());
    assert!(
        !validate(
            Kind::Index,
            &index(json!([{"mediaType": m, "size": 7682, "digest": D256, "platform": {"os": "linux"}}]))
        )
        .is_valid()
    );
    assert!(
        !validate(Kind::Index, &index(json!([{"mediaType": "invalid", "size": 7682, "digest": D256}])))
            .is_valid()
    );
    assert!(
        !validate(Kind::Index, &index(json!([{"mediaType": "", "size": 7682, "digest": D256}]))).is_valid()
    );
    assert!(!validate(Kind::Index, &index(json!([{"mediaType": m, "size": 7682}]))).is_valid());

    let config = |extra: Value| {
        let mut c =
            json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [D256]}});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    assert!(validate(Kind::Config, &config(json!({}))).is_valid());
    for bad in [
        json!({"os": 123}),
        json!({"variant": 123}),
        json!({"config": {"User": 1234}}),
        json!({"history": "should be an array"}),
        json!({"config": {"Env": [7]}}),
        json!({"config": {"Volumes": ["/var/job-result-data"]}}),
        json!({"config": {"Env": ["VARIABLE_WITHOUT_EQUALS"]}}),
        json!({"created": "yesterday"}),
        json!({"config": {"ExposedPorts": {"http": {}}}}),
    ] {
        assert!(!validate(Kind::Config, &config(bad.clone())).is_valid(), "{bad}");
    }
    assert!(validate(Kind::Layout, &json!({"imageLayoutVersion": "1.0.0"})).is_valid());
    assert!(!validate(Kind::Layout, &json!({"imageLayoutVersion": "2.0"})).is_valid());

    // Every problem, each at its field.
    let report = validate(
        Kind::Config,
        &json!({"os": 1, "rootfs": {"type": "tarballs", "diff_ids": ["sha256:xyz"]},
                "config": {"Env": ["NOEQUALS"]}}),
    );
    let at: Vec<&str> = report.problems.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(at, ["os", "architecture", "config.Env.0", "rootfs.type", "rootfs.diff_ids.0"], "{report:?}");
    // Annotations: the org.opencontainers namespace is reserved; created must be RFC 3339.
    let mut annotated = manifest_with(ok_layer);
    annotated["annotations"] = json!({"org.opencontainers.image.made.up": "x", "org.opencontainers.image.created": "today",
                                      "org.freebsd.jail.allow.mount": "1", "org.opencontainers.image.ref.name": "14.2"});
    let report = validate(Kind::Manifest, &annotated);
    assert_eq!(report.problems.len(), 2, "{report:?}");
}

#[test]
fn detects_each_document_by_content() {
    use jcore::oci::detect;
    assert_eq!(detect(&manifest_with(json!([]))), Some(Kind::Manifest));
    assert_eq!(detect(&json!({"schemaVersion": 2, "manifests": []})), Some(Kind::Index));
    assert_eq!(detect(&json!({"architecture": "amd64", "os": "freebsd", "rootfs": {}})), Some(Kind::Config));
    assert_eq!(detect(&json!({"imageLayoutVersion": "1.0.0"})), Some(Kind::Layout));
    assert_eq!(detect(&json!({"acKind": "ImageManifest"})), None);
}

/// An archive jcore writes is what skopeo's `oci-archive:` reads (plain tar), GNU tar lists
/// (the FreeBSD-style `.txz`), and jcore unpacks to the same layout; the same layout gives the
/// same archive bytes.
#[test]
fn written_archive_is_read_by_skopeo_and_gnu_tar_and_is_deterministic() {
    let dir = tempdir();
    let (_, layout) = build_layout(dir.path(), "14.2");
    let tar = dir.path().join("image.tar");
    write_archive(&layout, &tar, Format::None, None).unwrap();
    let txz = dir.path().join("container-image-static.txz");
    write_archive(&layout, &txz, Format::Xz, None).unwrap();
    let again = dir.path().join("again.txz");
    write_archive(&layout, &again, Format::Xz, None).unwrap();
    assert_eq!(fs::read(&txz).unwrap(), fs::read(&again).unwrap());
    let listing = run(Command::new("tar").arg("-tJf").arg(&txz));
    assert!(listing.starts_with("blobs/\nblobs/sha256/\nblobs/sha256/"), "{listing}");
    assert!(listing.ends_with("index.json\noci-layout\n"), "{listing}");
    let unpacked = dir.path().join("unpacked");
    let read = unpack_archive(&txz, &unpacked).unwrap();
    assert_eq!(read.index, Layout::open(&layout).unwrap().index);
    run(Command::new("diff").arg("-r").arg(&layout).arg(&unpacked));
    if have("skopeo") {
        let out =
            run(Command::new("skopeo").arg("inspect").arg(format!("oci-archive:{}:14.2", tar.display())));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["Os"], "freebsd");
    }
    // A broken layout is not archived.
    let image = Layout::open(&layout).unwrap().resolve(None, None).unwrap();
    fs::write(Layout::open(&layout).unwrap().blob_path(&image.layers()[0].digest).unwrap(), b"x").unwrap();
    let bad = dir.path().join("bad.tar");
    assert!(write_archive(&layout, &bad, Format::None, None).unwrap_err().invalid);
    assert!(!bad.exists());
}

/// The documents umoci and skopeo write, parsed into jcore's types and serialised again,
/// are the same bytes: field order, map order and unknown fields all survive.
#[test]
fn documents_from_umoci_and_skopeo_serialise_back_byte_for_byte() {
    if !have("umoci") || !have("skopeo") {
        return;
    }
    let dir = tempdir();
    let l = dir.path().join("l");
    let image = format!("{}:t", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image"]).arg(&image));
    fs::write(dir.path().join("f"), "data").unwrap();
    run(Command::new("umoci").args(["insert", "--image"]).arg(&image).arg(dir.path().join("f")).arg("/f"));
    run(Command::new("umoci")
        .args([
            "config",
            "--config.env",
            "A=1",
            "--config.exposedports",
            "80/tcp",
            "--config.label",
            "x.y=z",
            "--author",
            "me",
            "--image",
        ])
        .arg(&image));
    let s = dir.path().join("s");
    run(Command::new("skopeo").arg("copy").arg(format!("oci:{image}")).arg(format!("oci:{}:t", s.display())));
    for root in [&l, &s] {
        let layout = Layout::open(root).unwrap();
        let img = layout.resolve(Some("t"), None).unwrap();
        let manifest = fs::read(layout.blob_path(&img.manifest_descriptor.digest).unwrap()).unwrap();
        let config = fs::read(layout.blob_path(&img.manifest.config.digest).unwrap()).unwrap();
        let trim = |b: &[u8]| b.strip_suffix(b"\n").unwrap_or(b).to_vec();
        assert_eq!(
            jcore::oci::to_canonical_json(&img.manifest),
            trim(&manifest),
            "{}",
            String::from_utf8_lossy(&manifest)
        );
        assert_eq!(
            jcore::oci::to_canonical_json(&img.config),
            trim(&config),
            "{}",
            String::from_utf8_lossy(&config)
        );
    }
}

/// One tag, two platforms (as FreeBSD publishes amd64 and arm64 images): resolved by
/// platform; without one, or with one that is not there, the error lists what there is.
#[test]
fn image_is_resolved_by_platform_and_a_missing_platform_lists_the_others() {
    let dir = tempdir();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    gnu_tar(&tree, &dir.path().join("layer.tar"));
    // gzip: oci-image-tool 1.0.0-rc1 predates the +zstd layer type.
    compress(&dir.path().join("layer.tar"), Format::Gzip, &dir.path().join("layer.tar.gz"));
    let layer = describe_layer(&dir.path().join("layer.tar.gz")).unwrap();
    let layers = std::slice::from_ref(&layer);
    let amd64 =
        build_image(&ImageSpec { architecture: Some("amd64".into()), ..spec("14.2") }, layers).unwrap();
    let arm64 =
        build_image(&ImageSpec { architecture: Some("aarch64".into()), ..spec("14.2") }, layers).unwrap();
    let out = dir.path().join("image");
    write_layout_images(&out, &[(&amd64, layers), (&arm64, layers)]).unwrap();
    let layout = Layout::open(&out).unwrap();
    assert!(layout.check().is_valid(), "{:?}", layout.check());
    let got = layout.resolve(Some("14.2"), Some(&Platform::parse("freebsd/arm64").unwrap())).unwrap();
    assert_eq!(got.config.architecture, "arm64");
    assert_eq!(got.manifest_descriptor.digest, arm64.manifest_descriptor.digest);
    let err = layout.resolve(Some("14.2"), None).unwrap_err();
    assert!(
        err.to_string().contains("several images; choose one of: 14.2 (freebsd/amd64), 14.2 (freebsd/arm64)"),
        "{err}"
    );
    let err = layout.resolve(Some("14.2"), Some(&Platform::parse("freebsd/riscv64").unwrap())).unwrap_err();
    assert!(
        err.to_string()
            .contains("no image for freebsd/riscv64; there are: 14.2 (freebsd/amd64), 14.2 (freebsd/arm64)"),
        "{err}"
    );
    if have("oci-image-tool") {
        // oci-image-tool validates every manifest the index lists.
        let out = run(Command::new("oci-image-tool").args(["validate", "--type", "image"]).arg(&out));
        assert!(out.to_lowercase().contains("validation succeeded"), "{out}");
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Any JSON text: parse, detect and validate each kind without panicking.
        #[test]
        fn validator_never_panics(text in "[\\[\\]{}:,\"a-zA-Z0-9 .+/-]{0,200}") {
            if let Ok(v) = jcore::oci::layout::parse_value(text.as_bytes()) {
                let _ = jcore::oci::detect(&v);
                for kind in [Kind::Manifest, Kind::Index, Kind::Config, Kind::Layout] {
                    let _ = validate(kind, &v);
                }
                let _ = validate_descriptor(&v);
            }
        }

        /// Arbitrary bytes as an archive: an error, and no directory left.
        #[test]
        fn unpacking_garbage_is_an_error_and_leaves_nothing(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let dir = tempdir();
            let archive = dir.path().join("a.tar");
            fs::write(&archive, &data).unwrap();
            let target = dir.path().join("out");
            prop_assert!(unpack_archive(&archive, &target).is_err());
            prop_assert!(!target.exists());
            prop_assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }
}

/// An archive in the shape FreeBSD's `release/scripts/make-oci-image.sh` writes (JSON by
/// hand with echo, no platform in index.json, `"cmd"` in lowercase, bsdtar `--xz
/// --strip-components 1`): unpacked, resolved by its ref name, blobs verified, and the
/// command read as Go's case-insensitive decoder reads it.
#[test]
fn freebsd_make_oci_image_archive_is_read() {
    if !have("bsdtar") {
        return;
    }
    let dir = tempdir();
    let w = dir.path();
    let tree = w.join("rootfs");
    make_tree(&tree);
    let common::oci::MakeOciImage { txz, diff_id, config } = common::oci::make_oci_image_txz(w, &tree);

    let layout = unpack_archive(&txz, &w.join("unpacked")).unwrap();
    let image = layout.resolve(Some("freebsd-static:14.3-RELEASE-amd64"), None).unwrap();
    assert_eq!(image.config.config.as_ref().unwrap().cmd, vec!["/bin/sh".to_string()]);
    assert_eq!(image.config.rootfs.diff_ids, vec![diff_id]);
    layout.verify_blob(&image.layers()[0]).unwrap();
    // The validator says what Go does with the lowercase key.
    let report = validate(Kind::Config, &serde_json::from_str(&config).unwrap());
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.warnings[0].to_string(), "config.cmd: Go readers take it as Cmd; write Cmd");
    let report = validate(
        Kind::Config,
        &json!({"architecture": "amd64", "os": "freebsd", "config": {"cmd": 5}, "rootfs": {"type": "layers", "diff_ids": []}}),
    );
    assert_eq!(report.problems[0].location, "config.Cmd", "{report:?}");
}

/// jcore's validator and `oci-image-tool validate` give the same verdict on each document.
/// Known disagreements, all where oci-image-tool 1.0.0-rc1 predates image-spec 1.1 and jcore
/// follows the current spec: rc1 takes `sha256:abc` (no length check) and a negative size
/// (the current schema has `minimum: 0`, descriptor_test.go "negative size"), rejects the `+zstd`
/// layer type and empty `layers` (the schema's minItems; jcore warns, see above).
#[test]
fn validator_agrees_with_oci_image_tool() {
    if !have("oci-image-tool") {
        return;
    }
    let gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    let m = "application/vnd.oci.image.manifest.v1+json";
    let cfg = |c: Value| {
        let mut v = json!({"architecture": "amd64", "os": "freebsd", "rootfs": {"type": "layers", "diff_ids": [D256]}});
        for (k, x) in c.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases: Vec<(Kind, &str, Value)> = vec![
        (Kind::Config, "config", cfg(json!({}))),
        (Kind::Config, "config", cfg(json!({"config": {"Env": ["NOEQUALS"]}}))),
        (
            Kind::Config,
            "config",
            cfg(json!({"config": {"Env": ["A=1"], "Cmd": ["/bin/sh"], "ExposedPorts": {"22/tcp": {}}}})),
        ),
        (Kind::Config, "config", cfg(json!({"os": 5}))),
        (Kind::Config, "config", cfg(json!({"config": {"Volumes": ["/data"]}}))),
        (Kind::Config, "config", cfg(json!({"history": "x"}))),
        (Kind::Config, "config", json!({"architecture": "amd64", "os": "freebsd"})),
        (Kind::Manifest, "manifest", manifest_with(json!([{"mediaType": gz, "size": 1, "digest": D256}]))),
        (
            Kind::Manifest,
            "manifest",
            manifest_with(json!([{"mediaType": gz, "size": 1, "digest": D256.to_uppercase()}])),
        ),
        (Kind::Manifest, "manifest", manifest_with(json!([{"mediaType": gz, "size": 1}]))),
        (Kind::Manifest, "manifest", json!({"schemaVersion": 2, "mediaType": m, "layers": []})),
        (
            Kind::Index,
            "imageIndex",
            json!({"schemaVersion": 2, "manifests": [{"mediaType": m, "size": 1, "digest": D256}]}),
        ),
        (
            Kind::Index,
            "imageIndex",
            json!({"schemaVersion": 2, "manifests": [{"mediaType": m, "size": 1, "digest": D256, "platform": {"os": "linux"}}]}),
        ),
        (
            Kind::Index,
            "imageIndex",
            json!({"schemaVersion": 2, "manifests": [{"mediaType": m, "size": 1, "digest": D256,
                   "platform": {"os": "freebsd", "architecture": "arm64"}}]}),
        ),
        (Kind::Index, "imageIndex", json!({"schemaVersion": 2})),
    ];
    let dir = tempdir();
    for (i, (kind, tool_type, doc)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("{i}.json"));
        fs::write(&file, doc.to_string()).unwrap();
        let tool_ok = Command::new("oci-image-tool")
            .args(["validate", "--type", tool_type])
            .arg(&file)
            .output()
            .unwrap()
            .status
            .success();
        let report = validate(*kind, doc);
        assert_eq!(report.is_valid(), tool_ok, "case {i}: {doc}: {report:?}");
    }
}

#[test]
fn bad_image_fields_are_refused_naming_the_field() {
    let dir = tempdir();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    gnu_tar(&tree, &dir.path().join("layer.tar"));
    let layer = describe_layer(&dir.path().join("layer.tar")).unwrap();
    assert_eq!(layer.descriptor.media_type, "application/vnd.oci.image.layer.v1.tar");
    let bad = ImageSpec { env: vec!["NOEQUALS".into()], ..spec("t") };
    let err = build_image(&bad, std::slice::from_ref(&layer)).unwrap_err();
    assert_eq!(err.to_string(), "config: config.Env.0: 'NOEQUALS' is not VARNAME=VARVALUE");
    let bad = ImageSpec { exposed_ports: vec!["http".into()], ..spec("t") };
    assert!(
        build_image(&bad, std::slice::from_ref(&layer))
            .unwrap_err()
            .to_string()
            .contains("config.ExposedPorts.http")
    );
    let bad = ImageSpec {
        annotations: BTreeMap::from([("org.opencontainers.image.nope".into(), "x".into())]),
        ..spec("t")
    };
    assert!(build_image(&bad, std::slice::from_ref(&layer)).unwrap_err().to_string().contains("reserved"));
    assert_eq!(jcore::oci::build::rfc3339(0).unwrap(), "1970-01-01T00:00:00Z");
    // No time given: no created anywhere, so the image is the same whenever it is built.
    let image = build_image(&ImageSpec { created: None, ..spec("t") }, &[layer]).unwrap();
    assert!(image.config.created.is_none() && image.config.history.is_empty());
    assert!(!image.manifest.annotations.contains_key("org.opencontainers.image.created"));
}
