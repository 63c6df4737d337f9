//! jspec's imgadm validator against the real one: node-imgmanifest 3.2.1 (what imgadm
//! runs: `upgradeManifest` then `validateMinimalManifest`), installed from the npm registry
//! into the target directory once. Every manifest must get the same verdict from both.
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Cmd, jspec, shared_dir, tempdir};
use serde_json::json;

const CHECK_JS: &str = r#"
const m = require(process.argv[2] + '/node_modules/imgmanifest');
const fs = require('fs');
for (const f of process.argv.slice(3)) {
  let verdict;
  try {
    const manifest = m.upgradeManifest(JSON.parse(fs.readFileSync(f, 'utf8')));
    const errors = m.validateMinimalManifest(manifest);
    verdict = errors ? 'INVALID ' + JSON.stringify(errors) : 'VALID';
  } catch (e) {
    verdict = 'INVALID ' + e.message;
  }
  console.log(f + '\t' + verdict.replace(/\n/g, ' '));
}
"#;

fn write(dir: &Path, name: &str, value: &serde_json::Value) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

#[test]
fn imgadm_verdicts_match_node_imgmanifest() {
    let Some(module) = common::imgmanifest("imgadm_verdicts_match_node_imgmanifest") else { return };
    let dir = tempdir();
    let mut files: Vec<PathBuf> = fs::read_dir(shared_dir().join("corpus/smartos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    // Manifests jspec writes.
    let image = dir.path().join("image.zfs");
    fs::write(&image, common::noise(50_000, 11)).unwrap();
    let made = |name: &str, args: &[&str]| {
        let out = dir.path().join(name);
        jspec()
            .args(["new", "--format", "imgadm"])
            .args(args)
            .arg("-o")
            .arg(&out)
            .arg(&image)
            .run()
            .success();
        out
    };
    files
        .push(made("plain.json", &["--name", "web", "--version", "1.0.0", "--os", "bsd", "--type", "other"]));
    files.push(made(
        "zvol.json",
        &[
            "--name",
            "vm",
            "--version",
            "2",
            "--os",
            "linux",
            "--type",
            "zvol",
            "--nic-driver",
            "virtio",
            "--disk-driver",
            "virtio",
            "--cpu-type",
            "host",
            "--image-size",
            "10240",
            "--description",
            "a VM",
        ],
    ));
    let upgraded = dir.path().join("upgraded.json");
    jspec()
        .args(["convert", "--to", "imgadm", "-o"])
        .arg(&upgraded)
        .arg(shared_dir().join("corpus/smartos/fauxubuntu.v1-dsmanifest.json"))
        .run()
        .success();
    files.push(upgraded);
    // Valid and invalid variants of a real manifest.
    let base: serde_json::Value = serde_json::from_slice(
        &fs::read(shared_dir().join("corpus/smartos/c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json"))
            .unwrap(),
    )
    .unwrap();
    let variants: Vec<(&str, serde_json::Value)> = vec![
        ("uuid", json!("C58161C0-2547-11E2-A75E-9FDCA1940570")),
        ("uuid", json!("not-a-uuid")),
        ("type", json!("vm")),
        ("type", json!("lx-dataset")),
        ("os", json!("freebsd")),
        ("os", json!("illumos")),
        ("stream_size", json!(1)),
        ("image_size", json!(10)),
        ("published_at", json!("2018-01-04 11:35")),
        ("published_at", json!("2018-01-04T11:35:37.123Z")),
        ("state", json!("gone")),
        ("public", json!("true")),
        ("name", json!("has:colon")),
        ("version", json!("1.0+build")),
        ("files", json!([{"sha1": "a", "size": 0, "compression": "bzip2"}])),
        (
            "files",
            json!([{"sha1": "f6217f583a64e1b39cea7a8700b96cbb2375bb23", "size": 65, "compression": "zstd"}]),
        ),
        ("files", json!([{"size": 65, "compression": "gzip"}])),
        (
            "files",
            json!([{"sha1": "a", "size": 1, "compression": "xz"}, {"sha1": "b", "size": 1, "compression": "xz"}]),
        ),
        ("requirements", json!({"min_platform": {"7.0": "2014"}})),
        ("requirements", json!({"max_ram": 1024, "min_ram": 2048})),
        ("requirements", json!({"bootrom": "uefi"})),
        ("requirements", json!({"gpu": true})),
        ("users", json!([{"name": "root", "uid": 0}])),
        ("billing_tags", json!(["x".repeat(129)])),
        ("inherited_directories", json!(["/opt"])),
        ("tags", json!(["not", "an", "object"])),
        ("v", json!(null)),
        ("urn", json!("sdc:sdc:x:1")),
        ("origin", json!("15963d90-61d7-4664-87a6-f56b16492d5a")),
        ("acl", json!(["nope"])),
        // JavaScript semantics the real validator has: truthiness, Number(), typeof.
        ("description", json!("")),
        ("v", json!("2")),
        ("v", json!(-1)),
        ("published_at", json!("")),
        ("error", json!({})),
        ("nic_driver", json!("")),
        ("nic_driver", json!("virtio")),
        ("image_size", json!("16384")),
        ("requirements", json!({"min_ram": -5})),
        ("requirements", json!({"min_platform": {"7.0": "20ab0101T000000Z"}})),
        ("requirements", json!({"min_platform": {"undefined": "20141030T081701Z"}})),
        ("requirements", json!({"networks": [{"name": 1, "description": 2}], "ssh_key": 0})),
        ("requirements", json!({"brand": "bhyve", "bootrom": "uefi"})),
        ("users", json!([{"name": 5}])),
        ("traits", json!({"a": 1})),
        ("traits", json!({"a": ["x"], "b": true})),
        ("channels", json!(["dev"])),
        ("homepage", json!("HTTP://x.example")),
        ("homepage", json!("ftp://x.example")),
        ("files", json!([{"sha1": "zz", "size": "65", "compression": "gzip"}])),
        ("generate_passwords", json!("yes")),
        ("icon", json!("true")),
    ];
    for (i, (field, value)) in variants.into_iter().enumerate() {
        let mut m = base.clone();
        if value.is_null() {
            m.as_object_mut().unwrap().shift_remove(field);
        } else {
            m[field] = value;
        }
        files.push(write(dir.path(), &format!("variant-{i}-{field}.json"), &m));
    }
    let script = dir.path().join("check.js");
    fs::write(&script, CHECK_JS).unwrap();
    let run = Cmd::new("node").arg(&script).arg(&module).args(&files).run();
    run.success();
    let mut disagreements = Vec::new();
    for line in run.stdout_str().lines() {
        let (file, verdict) = line.split_once('\t').unwrap();
        let reference_valid = verdict == "VALID";
        let ours = jspec().args(["validate", "--format", "imgadm", file]).run();
        let ours_valid = ours.code == Some(0);
        if ours_valid != reference_valid {
            disagreements.push(format!("{file}: imgmanifest {verdict}; jspec {}", ours.stdout_str()));
        }
    }
    assert_eq!(run.stdout_str().lines().count(), files.len());
    // Not vacuous: the reference accepts some and rejects many.
    let valid = run.stdout_str().lines().filter(|l| l.ends_with("\tVALID")).count();
    assert!(valid >= 8 && files.len() - valid >= 15, "{valid} valid of {}", files.len());
    assert!(disagreements.is_empty(), "verdicts differ:\n{}", disagreements.join("\n"));
}
