//! appc ACI image manifests and image IDs (../shared/specs/aci.md).
//!
//! - [`validate`]: what `actool validate` checks (appc's Go `schema` package): `acKind` =
//!   `ImageManifest`, `acVersion` a non-zero semver, `name` an AC identifier as the Go code
//!   checks it, labels and annotations `{name, value}` with AC-identifier names (so no
//!   upper case), unique, no label called `name`, an `os` from appc's list and an `arch`
//!   of that os, `created`/`homepage`/`documentation` annotations, and the `app` rules of
//!   `schema/types/app.go` (`user`/`group` required, event handlers, environment names,
//!   mount points, ports, known isolators, absolute working directory). Values of the
//!   wrong JSON type are errors and unknown keys are ignored, as Go's JSON decoder does.
//!   tests/jspec_aci.rs compares verdicts with actool.
//! - [`NewManifest::build`]: a minimal valid manifest.
//! - [`image_id`]: `sha512-<hex>` of the **uncompressed** tar. It takes a reader of the tar
//!   bytes: decompressing is the caller's business (jcore's codec decoders), so this module
//!   stays independent of any codec.

use std::io::{self, Read};

use serde_json::{Map, Value, json};

use super::{Problem, Report};
use crate::digest::Algorithm;

/// The appc spec version jtools writes.
pub const AC_VERSION: &str = "0.8.11";

/// appc's default os/arch pairs (`schema/types/labels.go` `ValidOSArch`).
pub const OS_ARCH: [(&str, &[&str]); 3] = [
    (
        "linux",
        &[
            "amd64",
            "i386",
            "aarch64",
            "aarch64_be",
            "armv6l",
            "armv7l",
            "armv7b",
            "ppc64",
            "ppc64le",
            "s390x",
        ],
    ),
    ("freebsd", &["amd64", "i386", "arm"]),
    ("darwin", &["x86_64", "i386"]),
];

/// AC Identifier as appc's Go code checks it (`schema/types/acidentifier.go`
/// `assertValid`): not empty, only `[a-z0-9-._~/]`, first and last character alphanumeric.
/// The spec's regular expression `^[a-z0-9]+([-._~/][a-z0-9]+)*$` would also forbid two
/// separators in a row (`a//b`), but actool does not check it, so neither do we.
pub fn is_ac_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let sep = |c: u8| matches!(c, b'-' | b'.' | b'_' | b'~' | b'/');
    !b.is_empty() && alnum(b[0]) && alnum(b[b.len() - 1]) && b.iter().all(|&c| alnum(c) || sep(c))
}

/// AC Name (`acname.go`): `^[a-z0-9]+(-[a-z0-9]+)*$` checked as chars `[a-z0-9-]` and no
/// `-` at either end.
pub fn is_ac_name(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && alnum(b[0]) && alnum(b[b.len() - 1]) && b.iter().all(|&c| alnum(c) || c == b'-')
}

/// go-semver's `Version.Set`: `MAJOR.MINOR.PATCH` (each an int64, sign allowed) with
/// optional `-pre` and `+build` identifiers; appc also refuses 0.0.0.
pub fn is_semver(s: &str) -> bool {
    let (rest, metadata) = s.split_once('+').unwrap_or((s, ""));
    let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
    let identifier = |id: &str| {
        id.is_empty()
            || id
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    };
    let parts: Vec<&str> = core.splitn(3, '.').collect();
    let numbers: Option<Vec<i64>> = parts.iter().map(|p| p.parse::<i64>().ok()).collect();
    parts.len() == 3
        && identifier(pre)
        && identifier(metadata)
        && numbers.is_some_and(|n| n != [0, 0, 0] || !pre.is_empty() || !metadata.is_empty())
}

// Go's encoding/json, which actool's checks run inside: a JSON null leaves a field at its
// zero value, a value of another type is an error, unknown keys are ignored.

/// A Go `string` field: `Some("")` for null, `None` (a type error) for non-strings.
fn go_string(v: Option<&Value>) -> Option<&str> {
    match v {
        None | Some(Value::Null) => Some(""),
        Some(Value::String(s)) => Some(s),
        Some(_) => None,
    }
}

/// A Go slice field: the items (none for null), `None` for a non-array.
fn go_list(v: Option<&Value>) -> Option<&[Value]> {
    match v {
        None | Some(Value::Null) => Some(&[]),
        Some(Value::Array(items)) => Some(items),
        Some(_) => None,
    }
}

/// A Go struct element: an object or null.
fn go_object(v: &Value) -> bool {
    v.is_object() || v.is_null()
}

fn problem(report: &mut Report, field: impl Into<String>, message: impl Into<String>) {
    report.problems.push(Problem::new(field, message));
}

/// `[{name, value}]` lists (labels, annotations): names AC identifiers, values strings,
/// names unique. Returns the pairs.
fn check_name_values(report: &mut Report, field: &str, v: Option<&Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let Some(items) = go_list(v) else {
        problem(report, field, "must be a list of {name, value}");
        return out;
    };
    for (i, item) in items.iter().enumerate() {
        if !go_object(item) {
            problem(report, format!("{field}.{i}"), "must be an object {name, value}");
            continue;
        }
        let (Some(name), Some(value)) = (go_string(item.get("name")), go_string(item.get("value"))) else {
            problem(report, format!("{field}.{i}"), "name and value must be strings");
            continue;
        };
        // A missing name stays Go's zero value, unchecked (the type's UnmarshalJSON only runs
        // for a key that is there, null included).
        if item.get("name").is_some() && !is_ac_identifier(name) {
            problem(
                report,
                format!("{field}.{i}.name"),
                format!("'{name}' is not an AC identifier (lower-case alphanumerics and -._~/)"),
            );
        } else if out.iter().any(|(seen, _)| seen == name) {
            problem(report, format!("{field}.{i}"), format!("duplicate name '{name}'"));
        }
        out.push((name.to_string(), value.to_string()));
    }
    out
}

/// `Labels.assertValid`: no label called `name`, unique names, and `IsValidOSArch`: an
/// `os` outside appc's list is refused, an `arch` is checked against its os.
fn check_labels(report: &mut Report, field: &str, v: Option<&Value>) {
    let labels = check_name_values(report, field, v);
    if labels.iter().any(|(n, _)| n == "name") {
        problem(report, field, "invalid label name: \"name\"");
    }
    let get = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(os) = get("os") {
        match OS_ARCH.iter().find(|(o, _)| *o == os) {
            None => {
                let oses: Vec<&str> = OS_ARCH.iter().map(|(o, _)| *o).collect();
                problem(report, field, format!("bad os '{os}' (must be one of: {})", oses.join(", ")))
            }
            Some((_, arches)) => {
                if let Some(arch) = get("arch")
                    && !arches.contains(&arch)
                {
                    problem(
                        report,
                        field,
                        format!("bad arch '{arch}' for {os} (must be one of: {})", arches.join(", ")),
                    )
                }
            }
        }
    }
}

/// Go's `time.Parse(time.RFC3339, s)`, closely enough: `YYYY-MM-DDTHH:MM:SS[.digits]`
/// then `Z` or `±HH:MM`, fields in range (day of month checked against 31 only).
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, &c| n * 10 + u32::from(c - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(_), Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
        (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19))
    else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    if !((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && se < 60) {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && num(i + 1..i + 3).is_some_and(|h| h < 24)
                && at(i + 3, b':')
                && num(i + 4..i + 6).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

/// `Annotations.assertValid`: unique AC identifier names, `created` a RFC 3339 date,
/// `homepage`/`documentation` http(s) URLs.
fn check_annotations(report: &mut Report, v: Option<&Value>) {
    let annotations = check_name_values(report, "annotations", v);
    for (name, value) in &annotations {
        match name.as_str() {
            "created" if !is_rfc3339(value) => {
                problem(report, "annotations", format!("created: bad Date '{value}'"))
            }
            "homepage" | "documentation"
                if !(value.to_ascii_lowercase().starts_with("http://")
                    || value.to_ascii_lowercase().starts_with("https://")
                    || value.starts_with("http:")
                    || value.starts_with("https:")) =>
            {
                problem(report, "annotations", format!("{name}: bad URL scheme, must be http/https"))
            }
            _ => {}
        }
    }
}

/// Validates an ImageManifest as `actool validate` does (`schema.ImageManifest`'s
/// `UnmarshalJSON`, `schema/types`): the verdicts are compared with actool built from
/// Debian's golang-github-appc-spec-dev in tests/jspec_aci.rs.
pub fn validate(m: &Value) -> Report {
    let mut report = Report::default();
    let Some(map) = m.as_object() else {
        problem(&mut report, "", "not a JSON object");
        return report;
    };
    match map.get("acKind").and_then(Value::as_str) {
        Some("ImageManifest") => {}
        Some(other) => problem(&mut report, "acKind", format!("must be ImageManifest, not '{other}'")),
        None => problem(&mut report, "acKind", "missing (required)"),
    }
    match go_string(map.get("acVersion")) {
        Some("") => problem(&mut report, "acVersion", "missing (required)"),
        Some(v) if is_semver(v) => {}
        Some(v) => problem(&mut report, "acVersion", format!("'{v}' is not a semantic version")),
        None => problem(&mut report, "acVersion", "must be a string"),
    }
    match go_string(map.get("name")) {
        Some("") => problem(&mut report, "name", "missing (required)"),
        Some(n) if is_ac_identifier(n) => {}
        Some(n) => problem(&mut report, "name", format!("'{n}' is not an AC identifier")),
        None => problem(&mut report, "name", "must be a string"),
    }
    check_labels(&mut report, "labels", map.get("labels"));
    match map.get("app") {
        None | Some(Value::Null) => {}
        Some(app) => validate_app(&mut report, app),
    }
    check_annotations(&mut report, map.get("annotations"));
    match go_list(map.get("dependencies")) {
        Some(items) => {
            for (i, d) in items.iter().enumerate() {
                if !go_object(d) {
                    problem(&mut report, format!("dependencies.{i}"), "must be an object");
                    continue;
                }
                match go_string(d.get("imageName")) {
                    Some(n) if is_ac_identifier(n) => {}
                    _ => problem(
                        &mut report,
                        format!("dependencies.{i}.imageName"),
                        "missing or not an AC identifier",
                    ),
                }
                if let Some(id) = d.get("imageID").filter(|v| !v.is_null()) {
                    let ok = id.as_str().is_some_and(|s| {
                        let parts: Vec<&str> = s.split('-').collect();
                        parts.len() == 2 && parts[0] == "sha512" && !parts[1].is_empty()
                    });
                    if !ok {
                        problem(&mut report, format!("dependencies.{i}.imageID"), "must be sha512-<hex>");
                    }
                }
                check_labels(&mut report, &format!("dependencies.{i}.labels"), d.get("labels"));
                if let Some(size) = d.get("size").filter(|v| !v.is_null())
                    && size.as_u64().is_none()
                {
                    problem(&mut report, format!("dependencies.{i}.size"), "must be a non-negative integer");
                }
            }
        }
        None => problem(&mut report, "dependencies", "must be a list"),
    }
    if !go_list(map.get("pathWhitelist")).is_some_and(|p| p.iter().all(|x| x.is_string() || x.is_null())) {
        problem(&mut report, "pathWhitelist", "must be a list of strings");
    }
    report
}

/// Isolator names appc knows (`isolatorMap`); any other makes `Isolators.assertValid`
/// fail (`ErrInvalidIsolator`).
const ISOLATORS: [&str; 14] = [
    "os/linux/capabilities-retain-set",
    "os/linux/capabilities-remove-set",
    "os/linux/no-new-privileges",
    "os/linux/seccomp-remove-set",
    "os/linux/seccomp-retain-set",
    "os/linux/oom-score-adj",
    "os/linux/cpu-shares",
    "os/linux/selinux-context",
    "resource/block-bandwidth",
    "resource/block-iops",
    "resource/cpu",
    "resource/memory",
    "resource/network-bandwidth",
    "os/unix/sysctl",
];

/// `types.App` (`schema/types/app.go` and the types it holds).
fn validate_app(report: &mut Report, app: &Value) {
    let Some(app) = app.as_object() else {
        return problem(report, "app", "must be an object");
    };
    if !go_list(app.get("exec")).is_some_and(|e| e.iter().all(|x| x.is_string() || x.is_null())) {
        problem(report, "app.exec", "must be a list of strings");
    }
    for field in ["user", "group"] {
        match go_string(app.get(field)) {
            Some("") => problem(report, format!("app.{field}"), "missing (required when app is present)"),
            Some(_) => {}
            None => problem(report, format!("app.{field}"), "must be a string"),
        }
    }
    match go_string(app.get("workingDirectory")) {
        Some(d) if d.is_empty() || d.starts_with('/') => {}
        Some(_) => problem(report, "app.workingDirectory", "must be an absolute path"),
        None => problem(report, "app.workingDirectory", "must be a string"),
    }
    match go_list(app.get("eventHandlers")) {
        Some(handlers) => {
            let mut seen = Vec::new();
            for (i, h) in handlers.iter().enumerate() {
                let at = format!("app.eventHandlers.{i}");
                if !go_object(h)
                    || !go_list(h.get("exec")).is_some_and(|e| e.iter().all(|x| x.is_string() || x.is_null()))
                {
                    problem(report, at, "must be {name, exec: [strings]}");
                    continue;
                }
                match go_string(h.get("name")) {
                    Some(n @ ("pre-start" | "post-stop")) if !seen.contains(&n) => seen.push(n),
                    Some(n @ ("pre-start" | "post-stop")) => {
                        problem(report, at, format!("only one eventHandler of name '{n}' allowed"))
                    }
                    _ => problem(report, format!("{at}.name"), "must be pre-start or post-stop"),
                }
            }
        }
        None => problem(report, "app.eventHandlers", "must be a list"),
    }
    for key in ["supplementaryGIDs"] {
        if !go_list(app.get(key)).is_some_and(|g| g.iter().all(|x| x.is_i64() || x.is_null())) {
            problem(report, format!("app.{key}"), "must be a list of integers");
        }
    }
    match go_list(app.get("environment")) {
        Some(vars) => {
            let mut seen: Vec<&str> = Vec::new();
            for (i, var) in vars.iter().enumerate() {
                let at = format!("app.environment.{i}");
                if !go_object(var) {
                    problem(report, at, "must be an object {name, value}");
                    continue;
                }
                let (Some(name), Some(_)) = (go_string(var.get("name")), go_string(var.get("value"))) else {
                    problem(report, at, "name and value must be strings");
                    continue;
                };
                let mut chars = name.chars();
                let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    problem(
                        report,
                        at,
                        format!("environment variable does not have valid identifier '{name}'"),
                    );
                } else if seen.contains(&name) {
                    problem(report, at, format!("duplicate environment variable '{name}'"));
                } else {
                    seen.push(name);
                }
            }
        }
        None => problem(report, "app.environment", "must be a list of {name, value}"),
    }
    match go_list(app.get("mountPoints")) {
        Some(mounts) => {
            for (i, mount) in mounts.iter().enumerate() {
                let at = format!("app.mountPoints.{i}");
                if !go_object(mount) {
                    problem(report, at, "must be an object {name, path}");
                    continue;
                }
                // Only the name's type checks it on decoding (MountPoint.assertValid, which
                // wants a path, runs for command-line mounts only).
                match (go_string(mount.get("name")), go_string(mount.get("path"))) {
                    (Some(n), Some(_)) if mount.get("name").is_none() || is_ac_name(n) => {}
                    _ => problem(report, at, "needs an AC name (lower-case alphanumerics and -)"),
                }
            }
        }
        None => problem(report, "app.mountPoints", "must be a list"),
    }
    match go_list(app.get("ports")) {
        Some(ports) => {
            for (i, port) in ports.iter().enumerate() {
                let at = format!("app.ports.{i}");
                if !go_object(port) {
                    problem(report, at, "must be an object {name, protocol, port}");
                    continue;
                }
                let number =
                    port.get("port").map_or(Some(0), |p| if p.is_null() { Some(0) } else { p.as_u64() });
                let count =
                    port.get("count").map_or(Some(0), |p| if p.is_null() { Some(0) } else { p.as_u64() });
                let ok = go_string(port.get("name"))
                    .is_some_and(|n| port.get("name").is_none() || is_ac_name(n))
                    && go_string(port.get("protocol")).is_some()
                    && number.is_some_and(|n| (1..=65535).contains(&n))
                    && count.is_some_and(|c| number.unwrap_or(0) + c <= 65536);
                if !ok {
                    problem(report, at, "needs an AC name, a protocol and a port in 1-65535");
                }
            }
        }
        None => problem(report, "app.ports", "must be a list"),
    }
    match go_list(app.get("isolators")) {
        Some(isolators) => check_isolators(report, isolators),
        None => problem(report, "app.isolators", "must be a list"),
    }
}

/// `Isolators.assertValid` and each isolator's `UnmarshalJSON`/`AssertValid`
/// (`isolator_resources.go`, `isolator_linux_specific.go`, `isolator_unix.go`).
fn check_isolators(report: &mut Report, isolators: &[Value]) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, iso) in isolators.iter().enumerate() {
        let at = format!("app.isolators.{i}");
        if !iso.is_object() {
            problem(report, at, "must be an object {name, value}");
            continue;
        }
        let Some(name) = go_string(iso.get("name")).filter(|n| ISOLATORS.contains(n)) else {
            problem(report, format!("{at}.name"), "not an isolator appc knows");
            continue;
        };
        // No "value" at all: actool dereferences the missing raw value and panics.
        let Some(value) = iso.get("value") else {
            problem(report, format!("{at}.value"), "missing");
            continue;
        };
        if let Err(why) = check_isolator_value(name, value) {
            problem(report, format!("{at}.value"), format!("{name}: {why}"));
        }
        let single = matches!(
            name,
            "os/linux/seccomp-remove-set"
                | "os/linux/seccomp-retain-set"
                | "os/linux/oom-score-adj"
                | "os/linux/cpu-shares"
                | "os/linux/selinux-context"
                | "os/unix/sysctl"
        );
        if single && seen.contains(&name) {
            problem(report, &at, format!("only one {name} isolator allowed"));
        }
        let conflict = match name {
            "os/linux/capabilities-retain-set" => Some("os/linux/capabilities-remove-set"),
            "os/linux/capabilities-remove-set" => Some("os/linux/capabilities-retain-set"),
            "os/linux/seccomp-remove-set" => Some("os/linux/seccomp-retain-set"),
            "os/linux/seccomp-retain-set" => Some("os/linux/seccomp-remove-set"),
            _ => None,
        };
        if let Some(other) = conflict
            && seen.contains(&other)
        {
            problem(report, &at, format!("{name} conflicts with {other}"));
        }
        seen.push(name);
    }
}

/// The resource quantity grammar of appc's vendored Kubernetes `resource.ParseQuantity`
/// (`20m`, `1G`, `512Mi`, `1.5e3`); JSON strings or bare numbers, null for none.
fn is_quantity(v: &Value) -> bool {
    let text = match v {
        Value::Null => return true,
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    let s = text.strip_prefix(['+', '-']).unwrap_or(&text);
    if text.is_empty() {
        return false;
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mut rest = &s[digits..];
    if let Some(after) = rest.strip_prefix('.') {
        rest = &after[after.bytes().take_while(u8::is_ascii_digit).count()..];
    }
    const SUFFIXES: [&str; 16] =
        ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if SUFFIXES.contains(&rest) {
        return true;
    }
    match rest.strip_prefix(['e', 'E']) {
        Some(exp) => {
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn check_isolator_value(name: &str, v: &Value) -> Result<(), String> {
    let object = |v: &Value| -> Result<Map<String, Value>, String> {
        match v {
            Value::Null => Ok(Map::new()),
            Value::Object(o) => Ok(o.clone()),
            _ => Err("must be an object".into()),
        }
    };
    let strings =
        |v: Option<&Value>| go_list(v).is_some_and(|l| l.iter().all(|x| x.is_string() || x.is_null()));
    let int = |v: &Value, lo: i64, hi: i64| match v {
        Value::Null => (lo..=hi).contains(&0),
        _ => v.as_i64().is_some_and(|n| (lo..=hi).contains(&n)),
    };
    match name {
        "resource/cpu"
        | "resource/memory"
        | "resource/block-bandwidth"
        | "resource/block-iops"
        | "resource/network-bandwidth" => {
            let o = object(v)?;
            let default = match o.get("default") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("default must be a boolean".into()),
            };
            for key in ["request", "limit"] {
                if !o.get(key).is_none_or(is_quantity) {
                    return Err(format!("{key} is not a quantity (e.g. 500m, 1G)"));
                }
            }
            let per_app = matches!(name, "resource/cpu" | "resource/memory");
            if per_app && default {
                return Err("default must be false".into());
            }
            if !per_app && (!default || o.get("request").is_some_and(|r| !r.is_null())) {
                return Err("default must be true and request empty".into());
            }
            Ok(())
        }
        "os/linux/capabilities-retain-set" | "os/linux/capabilities-remove-set" => {
            let o = object(v)?;
            if !strings(o.get("set")) {
                return Err("set must be a list of strings".into());
            }
            if go_list(o.get("set")).is_none_or(<[Value]>::is_empty) {
                return Err("set must be non-empty".into());
            }
            Ok(())
        }
        "os/linux/seccomp-remove-set" | "os/linux/seccomp-retain-set" => {
            let o = object(v)?;
            if !strings(o.get("set")) || go_list(o.get("set")).is_none_or(<[Value]>::is_empty) {
                return Err("set must be a non-empty list of strings".into());
            }
            match go_string(o.get("errno")) {
                None => Err("errno must be a string".into()),
                Some("") => Ok(()),
                Some(e) if e.starts_with('E') && e.chars().all(|c| c.is_uppercase() || c.is_numeric()) => {
                    Ok(())
                }
                Some(e) => Err(format!("bad errno '{e}'")),
            }
        }
        "os/linux/no-new-privileges" if !(v.is_boolean() || v.is_null()) => Err("must be a boolean".into()),
        "os/linux/oom-score-adj" if !int(v, -1000, 1000) => Err("must be an integer in -1000..1000".into()),
        "os/linux/cpu-shares" if !int(v, 2, 262144) => Err("must be an integer in 2..262144".into()),
        "os/linux/selinux-context" => {
            let o = object(v)?;
            for key in ["user", "role", "type", "level"] {
                match go_string(o.get(key)) {
                    Some(s) if !s.is_empty() && (key == "level" || !s.contains(':')) => {}
                    _ => return Err(format!("invalid {key}")),
                }
            }
            Ok(())
        }
        "os/unix/sysctl" => {
            let o = object(v)?;
            if o.values().all(Value::is_string) { Ok(()) } else { Err("values must be strings".into()) }
        }
        _ => Ok(()),
    }
}

/// What a new ImageManifest holds.
#[derive(Clone, Debug, Default)]
pub struct NewManifest {
    /// AC Identifier, e.g. `example.com/hello`.
    pub name: String,
    /// Labels in order (`version`, `os`, `arch`, …).
    pub labels: Vec<(String, String)>,
    /// `app.exec` argv; no `app` section when empty.
    pub exec: Vec<String>,
    /// `app.user` (default `0`).
    pub user: Option<String>,
    /// `app.group` (default `0`).
    pub group: Option<String>,
    /// Annotations in order (`created`, …).
    pub annotations: Vec<(String, String)>,
}

impl NewManifest {
    /// The manifest JSON.
    pub fn build(&self) -> Value {
        let mut m = Map::new();
        m.insert("acKind".into(), json!("ImageManifest"));
        m.insert("acVersion".into(), json!(AC_VERSION));
        m.insert("name".into(), json!(self.name));
        let pairs = |items: &[(String, String)]| -> Value {
            items.iter().map(|(n, v)| json!({"name": n, "value": v})).collect()
        };
        if !self.labels.is_empty() {
            m.insert("labels".into(), pairs(&self.labels));
        }
        if !self.exec.is_empty() {
            m.insert(
                "app".into(),
                json!({
                    "exec": self.exec,
                    "user": self.user.as_deref().unwrap_or("0"),
                    "group": self.group.as_deref().unwrap_or("0"),
                }),
            );
        }
        if !self.annotations.is_empty() {
            m.insert("annotations".into(), pairs(&self.annotations));
        }
        Value::Object(m)
    }
}

/// The ACI image ID of a tar stream: `sha512-` + 128 lowercase hex digits of the
/// uncompressed tar bytes read from `tar`. Refuses data whose first block is not a tar
/// header (the ID of a compressed file would be silently wrong).
pub fn image_id<R: Read>(mut tar: R) -> io::Result<String> {
    let mut hasher = Algorithm::Sha512.hasher();
    let mut buf = vec![0u8; crate::io::BUFFER_SIZE];
    let mut first = true;
    loop {
        let n = crate::io::read_full(&mut tar, &mut buf)?;
        if first {
            if n < 512 || &buf[257..262] != b"ustar" {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not a tar archive (no ustar header)",
                ));
            }
            first = false;
        }
        hasher.update(&buf[..n]);
        if n < buf.len() {
            break;
        }
    }
    Ok(format!("sha512-{}", hasher.finalize().to_hex()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_ac_identifier("example.com/reduce-worker"));
        assert!(!is_ac_identifier("Example.com"));
        assert!(is_ac_identifier("a//b"));
        assert!(!is_ac_identifier("a-"));
        assert!(is_semver("0.8.11"));
        assert!(is_semver("1.0.0-rc1+git"));
        assert!(!is_semver("1.0"));
    }

    #[test]
    fn new_manifest_is_valid() {
        let m = NewManifest {
            name: "example.com/hello".into(),
            labels: vec![("os".into(), "freebsd".into()), ("arch".into(), "amd64".into())],
            exec: vec!["/bin/sh".into()],
            ..Default::default()
        };
        let report = validate(&m.build());
        assert!(report.is_valid(), "{:?}", report.problems);
    }
}
