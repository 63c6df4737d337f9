//! jspec's imgadm validator against the real one: node-imgmanifest 3.1.0, the copy imgadm
//! bundles (SmartOS `src/img/node_modules/imgmanifest`), run as `IMGADM.installImage` runs
//! it (`upgradeManifest`, then `validateMinimalManifest`; a throw is a refusal), installed
//! from the npm registry into the target directory once. Every case of node-imgmanifest's
//! own test suite (the `*_VALIDATIONS` tables of basics.test.js and the manifest of
//! docker.test.js, shipped in the npm package) and every
//! variant below must get the same verdict from both; what passes the validator but fails
//! later in imgadm's install is a warning, checked by the tests named after each case.
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
    let Some(module) = common::imgadm::imgmanifest_of_imgadm() else {
        return;
    };
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
        // Issue 17: what the real validator does with these.
        ("type", json!("lxd")),
        ("name", json!(5)),
        ("name", json!(true)),
        ("name", json!(["a"])),
        ("name", json!(["a", "b"])),
        ("name", json!({"a": 1})),
        ("version", json!(1.5)),
        ("version", json!(["1", "2"])),
        ("description", json!(42)),
        ("description", json!(["x", "y", "z"])),
        ("v", json!(1)),
        ("v", json!("1")),
        ("v", json!("abc")),
        ("v", json!(0)),
        ("files", json!([])),
        (
            "files",
            json!([{"sha1": "F6217F583A64E1B39CEA7A8700B96CBB2375BB23", "size": 65, "compression": "gzip"}]),
        ),
        ("files", json!(null)),
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
    // v1 manifests: the upgrade's own assertions and what it overwrites.
    let v1: serde_json::Value = serde_json::from_slice(
        &fs::read(shared_dir().join("corpus/smartos/fauxubuntu.v1-dsmanifest.json")).unwrap(),
    )
    .unwrap();
    let v1_variants: Vec<(&str, serde_json::Value)> = vec![
        ("owner", json!("930896af-bf8c-48d4-885c-6573a94b1853")),
        ("public", json!("yes")),
        ("state", json!("gone")),
        ("creator_uuid", json!("")),
        ("uuid", json!("not-a-uuid")),
        ("v", json!(1)),
        ("files", json!("x")),
        ("image_size", json!("big")),
        ("restricted_to_uuid", json!("930896af-bf8c-48d4-885c-6573a94b1853")),
        ("disabled", json!("yes")),
    ];
    for (i, (field, value)) in v1_variants.into_iter().enumerate() {
        let mut m = v1.clone();
        m[field] = value;
        files.push(write(dir.path(), &format!("v1-variant-{i}-{field}.json"), &m));
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

/// Loads node-imgmanifest's own test suite from its npm package (`test/*.test.js`,
/// with `tape` replaced by a no-op) and prints every case of every `*_VALIDATIONS` table with
/// the verdict imgadm's install gives it.
const SUITE_JS: &str = r#"
const fs = require('fs');
const dir = process.argv[2] + '/node_modules/imgmanifest';
const m = require(dir + '/lib/imgmanifest');
const fakeRequire = (name) => name === 'tape' ? function () {} :
    name === '../lib/imgmanifest' ? m : require(name);
const out = [];
// basics.test.js: the *_VALIDATIONS tables; docker.test.js: the EXPECTED manifest it
// derives from a docker image (valid in every mode).
for (const file of ['basics.test.js', 'docker.test.js']) {
  const src = fs.readFileSync(dir + '/test/' + file, 'utf8');
  const tables = [...src.matchAll(/^var ([A-Z_]+_VALIDATIONS) = \[/gm)].map(x => x[1]);
  const singles = [...src.matchAll(/^var (EXPECTED) = \{/gm)].map(x => x[1]);
  const names = tables.concat(singles);
  const load = new Function('require', src + '\nreturn {' + names.map(g => g + ': ' + g).join(', ') + '};');
  const suites = load(fakeRequire);
  for (const group of names) {
    const cases = tables.includes(group) ? suites[group] : [suites[group]];
    for (const c of cases) {
      let verdict;
      try {
        const up = m.upgradeManifest(JSON.parse(JSON.stringify(c.manifest)));
        const errors = m.validateMinimalManifest(up);
        verdict = errors ? 'INVALID ' + JSON.stringify(errors) : 'VALID';
      } catch (e) {
        verdict = 'INVALID ' + e.message;
      }
      out.push({group: file + ' ' + group, name: c.name, upstream_valid: !c.errs, manifest: c.manifest,
                verdict: verdict});
    }
  }
}
console.log(JSON.stringify(out));
"#;

#[test]
fn imgadm_verdicts_match_imgadm_on_node_imgmanifest_test_suite() {
    let Some(module) = common::imgadm::imgmanifest_of_imgadm() else { return };
    let dir = tempdir();
    let script = dir.path().join("suite.js");
    fs::write(&script, SUITE_JS).unwrap();
    let run = Cmd::new("node").arg(&script).arg(&module).run();
    run.success();
    let cases: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
    assert!(cases.len() >= 25, "only {} cases loaded from the upstream suite", cases.len());
    let mut disagreements = Vec::new();
    let mut groups = std::collections::BTreeSet::new();
    for (i, case) in cases.iter().enumerate() {
        let group = case["group"].as_str().unwrap();
        let name = case["name"].as_str().unwrap();
        let verdict = case["verdict"].as_str().unwrap();
        let reference_valid = verdict == "VALID";
        groups.insert(group.to_string());
        // The harness reproduces upstream's own expectations where upstream tests the
        // mode imgadm uses.
        if group.ends_with(" MINIMAL_VALIDATIONS") || group.ends_with(" EXPECTED") {
            assert_eq!(
                reference_valid,
                case["upstream_valid"].as_bool().unwrap(),
                "{group}: {name}: {verdict}"
            );
        }
        let file = write(dir.path(), &format!("case-{i}.json"), &case["manifest"]);
        let ours = jspec().args(["validate", "--format", "imgadm"]).arg(&file).run();
        if (ours.code == Some(0)) != reference_valid || !matches!(ours.code, Some(0 | 1)) {
            disagreements.push(format!(
                "{group}: {name}: imgadm {verdict}; jspec {}{}",
                ours.stdout_str(),
                ours.stderr
            ));
        }
    }
    assert!(groups.len() >= 6, "upstream tables: {groups:?}");
    assert!(disagreements.is_empty(), "verdicts differ:\n{}", disagreements.join("\n"));
}

fn validate_manifest(m: &serde_json::Value) -> common::Run {
    let dir = tempdir();
    let file = write(dir.path(), "m.json", m);
    jspec().args(["validate", "--format", "imgadm"]).arg(&file).run()
}

fn base_manifest() -> serde_json::Value {
    serde_json::from_slice(
        &fs::read(shared_dir().join("corpus/smartos/c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json"))
            .unwrap(),
    )
    .unwrap()
}

/// Issue 17: `type: zvol` needed nic_driver/disk_driver/cpu_type/image_size, which only
/// IMGAPI's dc mode requires; imgadm installs such an image.
#[test]
fn imgadm_zvol_without_drivers_is_valid_with_a_warning() {
    let mut m = base_manifest();
    m["type"] = json!("zvol");
    let run = validate_manifest(&m);
    run.success().stdout_contains("warning: missing for type 'zvol'");
}

/// Issue 17: `v: 1` without `creator_uuid` was accepted; imgadm's upgrade throws.
#[test]
fn imgadm_v1_without_creator_uuid_is_invalid() {
    let mut m = base_manifest();
    m["v"] = json!(1);
    let run = validate_manifest(&m);
    run.code(1);
    assert!(run.stdout_str().contains("creator_uuid"), "{}", run.stdout_str());
}

/// Issue 17: numeric name, version and description were rejected; imgadm accepts them.
#[test]
fn imgadm_numeric_name_version_description_are_valid() {
    let mut m = base_manifest();
    m["name"] = json!(5);
    m["version"] = json!(2);
    m["description"] = json!(42);
    validate_manifest(&m).success().stdout_contains("not a string");
    m["name"] = json!(null);
    validate_manifest(&m).code(1);
}

/// Issue 17: `type: lxd` was accepted; imgadm's bundled validator (3.1.0) rejects it.
#[test]
fn imgadm_type_lxd_is_invalid() {
    let mut m = base_manifest();
    m["type"] = json!("lxd");
    validate_manifest(&m).code(1).stdout_contains("type");
}

/// Issue 17: a manifest without `files` was valid with no warning; imgadm's install reads
/// `files[0].compression` and crashes.
#[test]
fn imgadm_manifest_without_files_warns() {
    let mut m = base_manifest();
    m.as_object_mut().unwrap().shift_remove("files");
    validate_manifest(&m).success().stdout_contains("files: warning: missing");
    m["files"] = json!([]);
    validate_manifest(&m).success().stdout_contains("files: warning: empty");
}

/// Issue 17: an upper-case sha1 was not flagged; imgadm compares it with `!=` to the
/// lowercase digest, so it never matches.
#[test]
fn imgadm_upper_case_sha1_warns() {
    let mut m = base_manifest();
    let sha1 = m["files"][0]["sha1"].as_str().unwrap().to_ascii_uppercase();
    m["files"][0]["sha1"] = json!(sha1);
    validate_manifest(&m).success().stdout_contains("files.0.sha1: warning: upper-case hex");
}

/// Issue 17: `jspec info` on a v1 manifest showed `file: none`.
#[test]
fn info_on_v1_manifest_shows_its_file() {
    let v1 = shared_dir().join("corpus/smartos/fauxubuntu.v1-dsmanifest.json");
    jspec()
        .arg("info")
        .arg(&v1)
        .run()
        .success()
        .stdout_contains("121349552 bytes, bzip2, sha1 4b2498d73ccd74dd3974b48fb328e4a6acff84cf");
}

/// Deterministic pseudo-random numbers (xorshift64), so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Values of every JSON type and the strings the rules care about.
fn value_pool() -> Vec<serde_json::Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(1.5),
        json!(16384),
        json!(""),
        json!("x"),
        json!("X y"),
        json!("true"),
        json!("false"),
        json!("2"),
        json!("1.0.0"),
        json!("a:b"),
        json!("http://x.example"),
        json!("zvol"),
        json!("other"),
        json!("smartos"),
        json!("active"),
        json!("gzip"),
        json!("2018-01-04T11:35:37Z"),
        json!("20141030T081701Z"),
        json!("c58161c0-2547-11e2-a75e-9fdca1940570"),
        json!("C58161C0-2547-11E2-A75E-9FDCA1940570"),
        json!([]),
        json!(["x"]),
        json!([1]),
        json!(["c58161c0-2547-11e2-a75e-9fdca1940570"]),
        json!([{"name": "root"}]),
        json!([{"sha1": "f6217f583a64e1b39cea7a8700b96cbb2375bb23", "size": 65, "compression": "gzip"}]),
        json!({}),
        json!({"a": 1}),
        json!({"min_ram": 512}),
        json!({"networks": [{"name": "net0", "description": "public"}]}),
    ]
}

/// Random mutations (1 to 3 fields set to values of any type) of a real manifest and of
/// the upstream suite's minimal one: imgadm's validator and jspec must agree on each.
#[test]
fn imgadm_verdicts_match_node_imgmanifest_on_random_mutations() {
    let Some(module) = common::imgadm::imgmanifest_of_imgadm() else { return };
    let dir = tempdir();
    let bases = [
        base_manifest(),
        json!({"v": 2, "uuid": "1f9b7958-289e-4ea3-8f88-5486a40d6823", "name": "foo", "version": "1.2.3",
               "type": "zone-dataset", "os": "smartos"}),
    ];
    let mut fields: Vec<&str> = jcore_fields();
    fields.extend(["creator_uuid", "stream_size", "restricted_to_uuid"]);
    let pool = value_pool();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut files = Vec::new();
    for i in 0..400 {
        let mut m = rng.pick(&bases).clone();
        for _ in 0..=(rng.next() % 3) {
            let field = *rng.pick(&fields);
            let value = rng.pick(&pool).clone();
            if rng.next().is_multiple_of(5) {
                m.as_object_mut().unwrap().shift_remove(field);
            } else {
                m[field] = value;
            }
        }
        files.push(write(dir.path(), &format!("random-{i}.json"), &m));
    }
    let script = dir.path().join("check.js");
    fs::write(&script, CHECK_JS).unwrap();
    let run = Cmd::new("node").arg(&script).arg(&module).args(&files).run();
    run.success();
    let mut disagreements = Vec::new();
    let mut valid = 0;
    for line in run.stdout_str().lines() {
        let (file, verdict) = line.split_once('\t').unwrap();
        let reference_valid = verdict == "VALID";
        valid += usize::from(reference_valid);
        let ours = jspec().args(["validate", "--format", "imgadm", file]).run();
        if (ours.code == Some(0)) != reference_valid || !matches!(ours.code, Some(0 | 1)) {
            let text = fs::read_to_string(file).unwrap();
            disagreements.push(format!(
                "{text}\nimgmanifest {verdict}; jspec {}{}",
                ours.stdout_str(),
                ours.stderr
            ));
        }
    }
    assert_eq!(run.stdout_str().lines().count(), files.len());
    assert!(valid >= 20 && files.len() - valid >= 100, "{valid} valid of {}", files.len());
    assert!(
        disagreements.is_empty(),
        "{} verdicts differ:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// The top-level fields node-imgmanifest knows (as jcore lists them), to mutate.
fn jcore_fields() -> Vec<&'static str> {
    vec![
        "v",
        "uuid",
        "owner",
        "name",
        "version",
        "description",
        "homepage",
        "eula",
        "icon",
        "state",
        "error",
        "disabled",
        "activated",
        "public",
        "published_at",
        "type",
        "os",
        "origin",
        "files",
        "acl",
        "requirements",
        "users",
        "billing_tags",
        "traits",
        "tags",
        "generate_passwords",
        "inherited_directories",
        "nic_driver",
        "disk_driver",
        "cpu_type",
        "image_size",
        "channels",
        "urn",
    ]
}
