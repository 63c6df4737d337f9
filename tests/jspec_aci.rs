//! jspec's ACI validator against appc's own: `actool validate` (built from Debian's
//! golang-github-appc-spec-dev, see tests/common/actool.rs) must give every manifest here
//! the same verdict as `jspec validate`: the corpus, manifests jspec writes, and variants
//! of appc's example manifest on names, labels, os/arch, annotations and app fields.
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Cmd, jspec, shared_dir, tempdir};
use serde_json::{Value, json};

fn example() -> Value {
    serde_json::from_slice(
        &fs::read(shared_dir().join("corpus/appc-jetpack/appc-spec-examples-image.json")).unwrap(),
    )
    .unwrap()
}

/// `m` with the value at JSON pointer `at` set (the parent must exist) or, for `null`,
/// removed.
fn with(mut m: Value, at: &str, value: Value) -> Value {
    let (parent, key) = at.rsplit_once('/').unwrap();
    let target = m.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent}"));
    match target {
        Value::Object(o) if value.is_null() => {
            o.shift_remove(key);
        }
        Value::Object(o) => {
            o.insert(key.to_string(), value);
        }
        Value::Array(a) => {
            let i: usize = key.parse().unwrap();
            if i < a.len() {
                a[i] = value;
            } else {
                a.push(value);
            }
        }
        _ => panic!("{parent} is not a container"),
    }
    m
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

/// Every case: (what it is, the manifest).
fn cases() -> Vec<(String, Value)> {
    let base = example();
    let mut out: Vec<(String, Value)> = vec![("appc example".into(), base.clone())];
    let variants: Vec<(&str, Value)> = vec![
        // name
        ("/name", json!("a//b")),
        ("/name", json!("a/-b")),
        ("/name", json!("Example.com/x")),
        ("/name", json!("-a")),
        ("/name", json!("a/")),
        ("/name", json!("")),
        ("/name", json!(5)),
        ("/name", json!("example.com/x~y_z")),
        // acKind, acVersion
        // (a PodManifest is validated as a pod by actool; jspec validates image manifests)
        ("/acKind", json!("Image")),
        ("/acKind", json!(null)),
        ("/acVersion", json!("0.0.0")),
        ("/acVersion", json!("1.0")),
        ("/acVersion", json!("0.8.11-rc.1+git")),
        ("/acVersion", json!("0.8.11-")),
        ("/acVersion", json!(null)),
        // labels
        ("/labels/0/name", json!("Version")),
        ("/labels/0/name", json!("VERSION")),
        ("/labels/0/name", json!("name")),
        ("/labels/0/name", json!("arch")),
        ("/labels/0/name", json!("a//b")),
        ("/labels/0/value", json!(1)),
        ("/labels/0/value", json!(null)),
        ("/labels/3", json!({"name": "channel", "value": "Stable"})),
        ("/labels/2/value", json!("plan9")),
        ("/labels/2/value", json!("freebsd")),
        ("/labels/2/value", json!("Linux")),
        ("/labels/2/value", json!("darwin")),
        ("/labels/1/value", json!("x86_64")),
        ("/labels/1/value", json!("arm64")),
        ("/labels/1/value", json!("aarch64")),
        ("/labels", json!([{"name": "os", "value": "windows"}])),
        ("/labels", json!([{"name": "arch", "value": "sparc"}])),
        ("/labels", json!({"os": "linux"})),
        ("/labels", json!(null)),
        // annotations
        ("/annotations", json!([{"name": "created", "value": "2016-03-01T10:00:00Z"}])),
        ("/annotations", json!([{"name": "created", "value": "2016-03-01T10:00:00+01:00"}])),
        ("/annotations", json!([{"name": "created", "value": "2016-03-01"}])),
        ("/annotations", json!([{"name": "homepage", "value": "https://example.com"}])),
        ("/annotations", json!([{"name": "homepage", "value": "ftp://example.com"}])),
        ("/annotations", json!([{"name": "documentation", "value": "example.com"}])),
        ("/annotations", json!([{"name": "Authors", "value": "x"}])),
        ("/annotations", json!([{"name": "authors", "value": "x"}, {"name": "authors", "value": "y"}])),
        ("/annotations", json!([{"name": "authors", "value": 3}])),
        // app
        ("/app/user", json!("")),
        ("/app/user", json!(null)),
        ("/app/user", json!(0)),
        ("/app/group", json!(null)),
        ("/app/exec", json!("/bin/sh")),
        ("/app/exec", json!(["relative/path"])),
        ("/app/exec", json!([1])),
        ("/app/exec", json!(null)),
        ("/app/workingDirectory", json!("opt")),
        ("/app/workingDirectory", json!("/opt")),
        ("/app/eventHandlers/0/name", json!("post-stop")),
        ("/app/eventHandlers/0/name", json!("pre-stop")),
        ("/app/eventHandlers/0/name", json!("")),
        ("/app/environment/0/name", json!("1BAD")),
        ("/app/environment/0/name", json!("lower.case-ok")),
        ("/app/environment/1", json!({"name": "REDUCE_WORKER_DEBUG", "value": "x"})),
        ("/app/mountPoints/0/name", json!("Database")),
        ("/app/mountPoints/0/name", json!("data.base")),
        ("/app/mountPoints/0/path", json!("")),
        ("/app/ports", json!([{"name": "http", "protocol": "tcp", "port": 0}])),
        ("/app/ports", json!([{"name": "http", "protocol": "tcp", "port": 80}])),
        ("/app/ports", json!([{"name": "HTTP", "protocol": "tcp", "port": 80}])),
        ("/app/isolators/0/name", json!("resource/gpu")),
        ("/app/isolators/0/value", json!({"limit": "abc"})),
        ("/app/isolators/0/value", json!({"limit": "500m", "request": "1.5e3"})),
        ("/app/isolators/0/value", json!({"limit": 2})),
        ("/app/isolators/0/value", json!({"default": true})),
        ("/app/isolators/0/value", json!(null)),
        ("/app/isolators/1/value", json!({"limit": "1Gi"})),
        ("/app/isolators/1/value", json!({})),
        ("/app/isolators/2/value", json!({"set": []})),
        ("/app/isolators/2/value", json!({"set": ["CAP_ANYTHING"]})),
        ("/app/isolators/2/name", json!("os/linux/capabilities-remove-set")),
        ("/app/isolators/3/value", json!("yes")),
        ("/app/isolators/4/value", json!({"set": ["reboot"], "errno": "eperm"})),
        ("/app/isolators/4/value", json!({"set": ["reboot"], "errno": "EPERM"})),
        ("/app/isolators/5", json!({"name": "os/linux/seccomp-retain-set", "value": {"set": ["read"]}})),
        ("/app/isolators/5", json!({"name": "os/linux/oom-score-adj", "value": 2000})),
        ("/app/isolators/5", json!({"name": "os/linux/oom-score-adj", "value": -500})),
        ("/app/isolators/5", json!({"name": "os/linux/cpu-shares", "value": 1})),
        ("/app/isolators/5", json!({"name": "os/linux/cpu-shares", "value": 1024})),
        ("/app/isolators/5", json!({"name": "os/unix/sysctl", "value": {"net.ipv4.ip_forward": "1"}})),
        ("/app/isolators/5", json!({"name": "os/unix/sysctl", "value": {"a": 1}})),
        (
            "/app/isolators/5",
            json!({"name": "resource/block-iops", "value": {"default": true, "limit": "100"}}),
        ),
        ("/app/isolators/5", json!({"name": "resource/block-iops", "value": {"limit": "100"}})),
        ("/app/isolators/5", json!({"name": "resource/cpu"})),
        (
            "/app/isolators/5",
            json!({"name": "os/linux/selinux-context",
            "value": {"user": "u", "role": "r", "type": "t", "level": "s0:c1"}}),
        ),
        (
            "/app/isolators/5",
            json!({"name": "os/linux/selinux-context",
            "value": {"user": "u:x", "role": "r", "type": "t", "level": "s0"}}),
        ),
        ("/app/supplementaryGIDs", json!([1, 2])),
        ("/app/supplementaryGIDs", json!(["1"])),
        ("/app", json!("x")),
        ("/app", json!(null)),
        // dependencies, pathWhitelist
        ("/dependencies", json!([{"imageName": "example.com/base"}])),
        ("/dependencies", json!([{"imageName": "Example.com/base"}])),
        ("/dependencies", json!([{"imageName": "example.com/base", "imageID": "sha256-abc"}])),
        (
            "/dependencies",
            json!([{"imageName": "example.com/base", "labels": [{"name": "os", "value": "beos"}]}]),
        ),
        ("/pathWhitelist", json!(["etc/passwd"])),
        ("/pathWhitelist", json!([1])),
        ("/unknownKey", json!(1)),
    ];
    for (at, value) in variants {
        out.push((format!("{at} = {value}"), with(base.clone(), at, value)));
    }
    // Jetpack's example has no acKind/acVersion: actool refuses it (it panics).
    let file = "jetpack-example.showenv-manifest.json";
    let path = shared_dir().join("corpus/appc-jetpack").join(file);
    out.push((file.into(), serde_json::from_slice(&fs::read(path).unwrap()).unwrap()));
    out
}

#[test]
fn aci_verdicts_match_actool() {
    let Some(actool) = common::actool::actool() else { return };
    let dir = tempdir();
    let mut all = cases();
    let made = jspec()
        .args(["new", "--format", "aci", "--name", "example.com/web", "--label", "os=freebsd"])
        .args(["--label", "arch=amd64", "--exec", "/bin/sh"])
        .run();
    made.success();
    all.push(("jspec new".into(), serde_json::from_slice(&made.stdout).unwrap()));
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for (i, (what, manifest)) in all.iter().enumerate() {
        let file = write(dir.path(), &format!("case-{i}.json"), manifest);
        let reference = Cmd::new(&actool).args(["validate", "--type=manifest"]).arg(&file).run();
        // actool exits 1 on an invalid manifest, 2 when it panics on one (no acKind).
        let reference_valid = reference.code == Some(0);
        refused += usize::from(!reference_valid);
        let ours = jspec().args(["validate", "--format", "aci"]).arg(&file).run();
        if (ours.code == Some(0)) != reference_valid || !matches!(ours.code, Some(0 | 1)) {
            disagreements.push(format!(
                "{what}: actool {} {}; jspec {} {}",
                reference.code.unwrap_or(-1),
                reference.stderr.lines().next().unwrap_or(""),
                ours.code.unwrap_or(-1),
                ours.stdout_str().lines().next().unwrap_or("")
            ));
        }
    }
    // Not vacuous: actool accepts some and refuses many.
    assert!(refused >= 20 && all.len() - refused >= 10, "{refused} refused of {}", all.len());
    assert!(disagreements.is_empty(), "verdicts differ:\n{}", disagreements.join("\n"));
}

fn validate(m: &Value) -> common::Run {
    let dir = tempdir();
    let file = write(dir.path(), "m.json", m);
    jspec().args(["validate", "--format", "aci"]).arg(&file).run()
}

/// Issue 17: upper-case label names were accepted; actool rejects them.
#[test]
fn aci_upper_case_label_name_is_invalid() {
    validate(&with(example(), "/labels/0/name", json!("Version")))
        .code(1)
        .stdout_contains("not an AC identifier");
}

/// Issue 17: an os outside appc's list was accepted (a warning); actool rejects it.
#[test]
fn aci_os_outside_appc_list_is_invalid() {
    validate(&with(example(), "/labels/2/value", json!("plan9"))).code(1).stdout_contains("bad os 'plan9'");
}

/// Issue 17: `a//b` names were rejected; actool accepts them.
#[test]
fn aci_name_with_double_slash_is_valid() {
    validate(&with(example(), "/name", json!("a//b"))).success();
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

/// Random mutations (1 or 2 places set to values of any type) of appc's example manifest:
/// actool and jspec must agree on each.
#[test]
fn aci_verdicts_match_actool_on_random_mutations() {
    let Some(actool) = common::actool::actool() else {
        return;
    };
    let places = [
        "/acKind",
        "/acVersion",
        "/name",
        "/labels",
        "/labels/0",
        "/labels/0/name",
        "/labels/0/value",
        "/labels/2/value",
        "/labels/1/value",
        "/annotations",
        "/dependencies",
        "/pathWhitelist",
        "/app",
        "/app/exec",
        "/app/exec/0",
        "/app/user",
        "/app/group",
        "/app/workingDirectory",
        "/app/eventHandlers",
        "/app/eventHandlers/0/name",
        "/app/environment",
        "/app/environment/0/name",
        "/app/mountPoints",
        "/app/mountPoints/0/name",
        "/app/ports",
        "/app/isolators",
        "/app/isolators/0/value",
        "/app/isolators/3/value",
        "/app/supplementaryGIDs",
    ];
    let pool = [
        json!(null),
        json!(true),
        json!(0),
        json!(7),
        json!(-1),
        json!(1.5),
        json!(""),
        json!("x"),
        json!("X"),
        json!("a//b"),
        json!("-a"),
        json!("/abs"),
        json!("linux"),
        json!("freebsd"),
        json!("amd64"),
        json!("arm"),
        json!("name"),
        json!("0.8.11"),
        json!("ImageManifest"),
        json!("pre-start"),
        json!([]),
        json!(["x"]),
        json!([1]),
        json!([{"name": "os", "value": "linux"}]),
        json!([{"name": "created", "value": "2016-01-01T00:00:00Z"}]),
        json!([{"name": "x", "value": "y"}, {"name": "x", "value": "z"}]),
        json!([{"name": "p", "protocol": "tcp", "port": 8080}]),
        json!([{"imageName": "example.com/base"}]),
        json!({}),
        json!({"limit": "1G"}),
        json!({"set": ["CAP_X"]}),
    ];
    let dir = tempdir();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut disagreements = Vec::new();
    let mut refused = 0;
    let total = 300;
    for i in 0..total {
        let mut m = example();
        for _ in 0..=(rng.next() % 2) {
            let at = *rng.pick(&places);
            let value = rng.pick(&pool).clone();
            // Only where the parent still exists after earlier mutations.
            let (parent, key) = at.rsplit_once('/').unwrap();
            let fits = |p: &Value| p.is_object() || (p.is_array() && key.parse::<usize>().is_ok());
            if parent.is_empty() || m.pointer(parent).is_some_and(fits) {
                m = with(m, at, value);
            }
        }
        let file = write(dir.path(), &format!("random-{i}.json"), &m);
        let reference = Cmd::new(&actool).args(["validate", "--type=manifest"]).arg(&file).run();
        let reference_valid = reference.code == Some(0);
        refused += usize::from(!reference_valid);
        let ours = jspec().args(["validate", "--format", "aci"]).arg(&file).run();
        if (ours.code == Some(0)) != reference_valid || !matches!(ours.code, Some(0 | 1)) {
            disagreements.push(format!(
                "{}\nactool {} {}; jspec {}",
                serde_json::to_string(&m).unwrap(),
                reference.code.unwrap_or(-1),
                reference.stderr.lines().next().unwrap_or(""),
                ours.stdout_str().lines().next().unwrap_or("")
            ));
        }
    }
    assert!(refused >= 50 && total - refused >= 20, "{refused} refused of {total}");
    assert!(
        disagreements.is_empty(),
        "{} verdicts differ:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
