//! appc ACI image manifests and image IDs (../shared/specs/aci.md).
//!
//! - [`validate`]: `acKind` = `ImageManifest`, `acVersion` semver, `name` an AC
//!   Identifier, labels `{name, value}` with unique names and none called `name`, a known
//!   os/arch pair, and the `app` rules of `schema/types/app.go` (`user`/`group` required,
//!   event handler names, absolute working directory). Unknown keys are ignored, as Go's
//!   JSON decoder does.
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

/// AC Identifier: `^[a-z0-9]+([-._~/][a-z0-9]+)*$`.
pub fn is_ac_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let sep = |c: u8| matches!(c, b'-' | b'.' | b'_' | b'~' | b'/');
    alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter().all(|&c| alnum(c) || sep(c))
        && !b.windows(2).any(|w| sep(w[0]) && sep(w[1]))
}

/// `MAJOR.MINOR.PATCH` with optional `-pre` and `+build` parts.
pub fn is_semver(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

fn check_name_values(report: &mut Report, field: &str, v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(items) = v.as_array() else {
        report.problems.push(Problem::new(field, "must be a list of {name, value}"));
        return out;
    };
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str);
        let value = item.get("value");
        match (name, value) {
            (Some(n), Some(v)) => {
                if out.iter().any(|(seen, _)| seen == n) {
                    report
                        .problems
                        .push(Problem::new(format!("{field}.{i}"), format!("duplicate name '{n}'")));
                }
                out.push((n.to_string(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())));
            }
            _ => report
                .problems
                .push(Problem::new(format!("{field}.{i}"), "must have a string 'name' and a 'value'")),
        }
    }
    out
}

/// Validates an ImageManifest (module docs).
pub fn validate(m: &Value) -> Report {
    let mut report = Report::default();
    let Some(map) = m.as_object() else {
        report.problems.push(Problem::new("", "not a JSON object"));
        return report;
    };
    match map.get("acKind").and_then(Value::as_str) {
        Some("ImageManifest") => {}
        Some(other) => {
            report.problems.push(Problem::new("acKind", format!("must be ImageManifest, not '{other}'")))
        }
        None => report.problems.push(Problem::new("acKind", "missing (required)")),
    }
    match map.get("acVersion").and_then(Value::as_str) {
        Some(v) if is_semver(v) => {}
        Some(v) => {
            report.problems.push(Problem::new("acVersion", format!("'{v}' is not a semantic version")))
        }
        None => report.problems.push(Problem::new("acVersion", "missing (required)")),
    }
    match map.get("name").and_then(Value::as_str) {
        Some(n) if is_ac_identifier(n) => {}
        Some(n) => report.problems.push(Problem::new("name", format!("'{n}' is not an AC identifier"))),
        None => report.problems.push(Problem::new("name", "missing (required)")),
    }
    if let Some(labels) = map.get("labels") {
        let labels = check_name_values(&mut report, "labels", labels);
        if labels.iter().any(|(n, _)| n == "name") {
            report.problems.push(Problem::new("labels", "a label may not be called 'name'"));
        }
        let get = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let (Some(os), Some(arch)) = (get("os"), get("arch")) {
            match OS_ARCH.iter().find(|(o, _)| *o == os) {
                Some((_, arches)) if arches.contains(&arch) => {}
                Some(_) => {
                    report.problems.push(Problem::new("labels", format!("bad arch '{arch}' for os '{os}'")))
                }
                None => report
                    .warnings
                    .push(Problem::new("labels", format!("os '{os}' is not one of appc's defaults"))),
            }
        }
    }
    if let Some(app) = map.get("app") {
        validate_app(&mut report, app);
    }
    if let Some(annotations) = map.get("annotations") {
        check_name_values(&mut report, "annotations", annotations);
    }
    if let Some(deps) = map.get("dependencies") {
        match deps.as_array() {
            Some(items) => {
                for (i, d) in items.iter().enumerate() {
                    if !d.get("imageName").and_then(Value::as_str).is_some_and(is_ac_identifier) {
                        report.problems.push(Problem::new(
                            format!("dependencies.{i}.imageName"),
                            "missing or not an AC identifier",
                        ));
                    }
                    if let Some(id) = d.get("imageID")
                        && !id.as_str().is_some_and(|s| s.starts_with("sha512-"))
                    {
                        report.problems.push(Problem::new(
                            format!("dependencies.{i}.imageID"),
                            "must start with 'sha512-'",
                        ));
                    }
                }
            }
            None => report.problems.push(Problem::new("dependencies", "must be a list")),
        }
    }
    if let Some(paths) = map.get("pathWhitelist")
        && !paths.as_array().is_some_and(|p| p.iter().all(|x| x.as_str().is_some_and(|s| s.starts_with('/'))))
    {
        report.problems.push(Problem::new("pathWhitelist", "must be a list of absolute paths"));
    }
    report
}

fn validate_app(report: &mut Report, app: &Value) {
    let Some(app) = app.as_object() else {
        report.problems.push(Problem::new("app", "must be an object"));
        return;
    };
    for field in ["user", "group"] {
        if app.get(field).and_then(Value::as_str).is_none_or(str::is_empty) {
            report
                .problems
                .push(Problem::new(format!("app.{field}"), "missing (required when app is present)"));
        }
    }
    if let Some(exec) = app.get("exec")
        && !exec.as_array().is_some_and(|e| e.iter().all(Value::is_string))
    {
        report.problems.push(Problem::new("app.exec", "must be a list of strings"));
    }
    if let Some(dir) = app.get("workingDirectory")
        && !dir.as_str().is_some_and(|d| d.starts_with('/'))
    {
        report.problems.push(Problem::new("app.workingDirectory", "must be an absolute path"));
    }
    if let Some(handlers) = app.get("eventHandlers") {
        let mut seen = Vec::new();
        for (i, h) in handlers.as_array().into_iter().flatten().enumerate() {
            match h.get("name").and_then(Value::as_str) {
                Some(n @ ("pre-start" | "post-stop")) if !seen.contains(&n) => seen.push(n),
                Some(n @ ("pre-start" | "post-stop")) => report
                    .problems
                    .push(Problem::new(format!("app.eventHandlers.{i}"), format!("duplicate handler '{n}'"))),
                _ => report.problems.push(Problem::new(
                    format!("app.eventHandlers.{i}.name"),
                    "must be pre-start or post-stop",
                )),
            }
        }
    }
    for key in ["supplementaryGIDs", "supplementaryGids"] {
        if let Some(gids) = app.get(key)
            && !gids.as_array().is_some_and(|g| g.iter().all(|x| x.as_u64().is_some()))
        {
            report.problems.push(Problem::new(format!("app.{key}"), "must be a list of integers"));
        }
    }
    for key in ["environment", "isolators"] {
        if let Some(v) = app.get(key) {
            check_name_values(report, &format!("app.{key}"), v);
        }
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
        assert!(!is_ac_identifier("a//b"));
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
