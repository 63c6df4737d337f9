//! SmartOS `imgadm` / IMGAPI image manifests, spec version 2 (../shared/specs/imgadm.md).
//!
//! - [`Manifest::parse`] reads the JSON (syntax errors carry line and column) and keeps
//!   key order, so a rewrite changes only what was asked.
//! - [`Manifest::validate`] gives imgadm's install-time verdict: the rules of the
//!   node-imgmanifest imgadm bundles (3.1.0, SmartOS `src/img/node_modules/imgmanifest`)
//!   exactly as `IMGADM.installImage` runs them (`upgradeManifest`, then
//!   `validateMinimalManifest`), JavaScript truthiness, `Number()`, `String()` and `.length`
//!   included: required `v uuid name version type os`, UUID form, the enums of `type`
//!   (no `lxd`: that came with 3.2.0, IMGAPI's), `os`, `state`, `compression`, the
//!   zvol-only fields (invalid on other types; *not* required for `zvol`: that check only
//!   runs in IMGAPI's dc mode, so it is a warning), at most one file with a truthy `sha1`
//!   and `size` and a known `compression`, `requirements` keys, and unknown top-level keys
//!   rejected (keys inside `files[]` are not checked, as imgadm). A `name`, `version` or
//!   `description` that is a number passes, as in JavaScript; `null` makes the validator
//!   throw, so it is a problem. tests/jspec_imgmanifest.rs compares verdicts with the
//!   real package on its own test suite and on variants.
//! - Warnings are what passes the validator but fails later or elsewhere: no `files`
//!   (imgadm's install reads `files[0].compression` and crashes), a `sha1` that is not 40
//!   lowercase hex digits (imgadm compares it with `!=` to the lowercase digest, so it never
//!   matches), older validators' length limits, no `"undefined"` platform key.
//! - A manifest is upgraded as `upgradeManifest` does ([`upgrade`]): no truthy `v` but a
//!   truthy `creator_uuid` means v1; no `v` at all is invalid ("manifest does not have a
//!   \"v\" field"); a `v` below 2 (e.g. `v: 1`) is upgraded, and the upgrade's own
//!   assertions (a UUID, a `creator_uuid`, no `owner` beside it) make it invalid when they
//!   fail, as imgadm reports them.
//! - [`NewManifest::build`] writes a manifest within the writer limits (R1–R3).
//!
//! For jfetch: [`Manifest::uuid`] and [`Manifest::file`] (`files[0]`: sha1, size,
//! compression).
//!
//! This module does not hash files, generate UUIDs or read the clock: callers pass them.

use serde_json::{Map, Value, json};

use super::{Problem, Report, SyntaxError, json as jsonfmt};

/// The image types imgadm's validator accepts (`lxd` only from node-imgmanifest 3.2.0,
/// which imgadm does not bundle).
pub const TYPES: [&str; 5] = ["zone-dataset", "lx-dataset", "zvol", "docker", "other"];
/// The operating systems the validator accepts.
pub const OSES: [&str; 6] = ["smartos", "linux", "windows", "bsd", "illumos", "other"];
/// The file compressions imgadm can install.
pub const COMPRESSIONS: [&str; 4] = ["gzip", "bzip2", "xz", "none"];
/// The image states.
pub const STATES: [&str; 5] = ["active", "unactivated", "disabled", "creating", "failed"];
/// Every top-level field node-imgmanifest knows; any other key is an error.
pub const FIELDS: [&str; 33] = [
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
];
const ZVOL_FIELDS: [&str; 4] = ["nic_driver", "disk_driver", "cpu_type", "image_size"];

/// `files[0]` of a manifest: what describes the image file as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// SHA-1 (hex) of the file as stored (compressed).
    pub sha1: String,
    /// Byte size of the file as stored.
    pub size: u64,
    /// `gzip`, `bzip2`, `xz` or `none`.
    pub compression: String,
}

/// A parsed manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    value: Value,
}

impl Manifest {
    /// Parses manifest JSON (any object; see [`validate`](Self::validate) for the rules).
    pub fn parse(text: &[u8]) -> Result<Manifest, SyntaxError> {
        Ok(Manifest { value: jsonfmt::parse(text)? })
    }

    /// Wraps an already parsed JSON value.
    pub fn from_value(value: Value) -> Manifest {
        Manifest { value }
    }

    /// The JSON.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The image UUID.
    pub fn uuid(&self) -> Option<&str> {
        self.value.get("uuid").and_then(Value::as_str)
    }

    /// `files[0]` when it has a string `sha1`, a numeric `size` and a string
    /// `compression`; of a v1 manifest, as imgadm upgrades it (compression from the
    /// file name).
    pub fn file(&self) -> Option<File> {
        let upgraded;
        let value = if self.is_v1() {
            upgraded = upgrade_v1(&self.value);
            &upgraded
        } else {
            &self.value
        };
        let file = value.get("files")?.get(0)?;
        Some(File {
            sha1: file.get("sha1")?.as_str()?.to_string(),
            size: file.get("size")?.as_u64()?,
            compression: file.get("compression")?.as_str()?.to_string(),
        })
    }

    /// Whether imgadm would upgrade this manifest (no truthy `v` but a truthy
    /// `creator_uuid`, or a numeric `v` below 2).
    pub fn is_v1(&self) -> bool {
        match self.value.get("v").filter(|v| truthy(v)) {
            None => self.value.get("creator_uuid").is_some_and(truthy),
            Some(v) => js_number(v) < 2.0,
        }
    }

    /// Validates as imgadm does before installing (module docs).
    pub fn validate(&self) -> Report {
        let mut report = Report::default();
        match upgrade(&self.value) {
            Err(why) => problem(&mut report, "v", why),
            Ok(None) => validate_v2(&self.value, &mut report),
            Ok(Some(upgraded)) => {
                warning(
                    &mut report,
                    "v",
                    "v1 manifest: validated as imgadm upgrades it to v2 (jspec convert)",
                );
                validate_v2(&upgraded, &mut report);
            }
        }
        report
    }
}

/// node-imgmanifest's `upgradeManifest`: `Ok(None)` when the manifest is already v2,
/// `Ok(Some(v2))` when imgadm upgrades it, `Err` with imgadm's reason when it throws.
pub fn upgrade(m: &Value) -> Result<Option<Value>, String> {
    let v = m.get("v").filter(|v| truthy(v));
    let current = match v {
        None if m.get("creator_uuid").is_some_and(truthy) => 1.0,
        None => return Err("manifest does not have a \"v\" field".into()),
        Some(v) => js_number(v),
    };
    if current >= 2.0 {
        return Ok(None);
    }
    if current.is_nan() {
        // No upgrader has a `v` above NaN: `assert.ok(idx !== undefined)` throws.
        return Err("\"v\" is not a number: imgadm cannot upgrade it".into());
    }
    // upgradeTo2's assertions.
    let Some(map) = m.as_object() else { return Err("not a JSON object".into()) };
    if !map.get("uuid").is_some_and(|u| u.as_str().is_some_and(is_uuid)) {
        return Err("v1 manifest: uuid (oldManifest.uuid) is required".into());
    }
    if !map.get("creator_uuid").is_some_and(truthy) {
        return Err(
            "old DSAPI manifest does not have a \"creator_uuid\" (needed to upgrade a v < 2 manifest)".into(),
        );
    }
    if map.contains_key("owner") {
        return Err(
            "v1 manifest with both owner and creator_uuid (manifest.owner && manifest.creator_uuid)".into()
        );
    }
    if map.get("restricted_to_uuid").is_some_and(truthy) && map.contains_key("public") {
        return Err("v1 manifest with both restricted_to_uuid and public".into());
    }
    if let Some(files) = map.get("files").filter(|f| truthy(f))
        && !files.is_array()
    {
        // `manifest.files.forEach` throws on anything but an array.
        return Err("v1 manifest: files is not an array".into());
    }
    Ok(Some(upgrade_v1(m)))
}

/// Whether `s` is a UUID in the lowercase form imgadm requires.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$`.
pub fn is_published_at(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shape = |len: usize| {
        b.len() == len
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && b[len - 1] == b'Z'
    };
    shape(20) || (shape(24) && b[19] == b'.' && digits(20..23))
}

// The rules below follow node-imgmanifest 3.2.1 `validateMinimalManifest` (what imgadm
// runs before installing) down to JavaScript's truthiness and `Number()`: a field the real
// validator accepts is never a problem here, so manifests jspec calls valid install. The
// stricter jtools writer limits (spec §2, R3, R8) are reported as warnings.

/// JavaScript truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// JavaScript `Number(value)` (NaN for what does not convert).
fn js_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => js_number_text(s),
        Value::Array(items) if items.is_empty() => 0.0,
        Value::Array(items) if items.len() == 1 => js_number(&items[0]),
        _ => f64::NAN,
    }
}

fn js_number_text(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    // Rust's float parser also takes "inf" and "nan", which JavaScript does not.
    if t.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')) {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// node-imgmanifest's `boolFromString`: a boolean or the strings "true"/"false" (anything
/// else makes the validator throw, which imgadm reports as an error).
fn is_bool(v: &Value) -> bool {
    v.is_boolean() || matches!(v.as_str(), Some("true" | "false"))
}

/// `isPositiveInteger` (despite the name: any integral number).
fn is_integer(v: &Value) -> bool {
    v.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn problem(report: &mut Report, field: impl Into<String>, message: impl Into<String>) {
    report.problems.push(Problem::new(field, message));
}

fn warning(report: &mut Report, field: impl Into<String>, message: impl Into<String>) {
    report.warnings.push(Problem::new(field, message));
}

/// JavaScript `String(value)` (`None` for `null`, where the validator's `.length` throws
/// before any conversion).
fn js_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            (None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        }),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|i| js_string(i).unwrap_or_default()).collect();
            Some(parts.join(","))
        }
        Value::Object(_) => Some("[object Object]".into()),
    }
}

/// JavaScript `value.length` as a number (`None`: undefined, so every comparison is false).
fn js_length(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => Some(s.encode_utf16().count() as f64),
        Value::Array(items) => Some(items.len() as f64),
        Value::Object(o) => o.get("length").map(js_number),
        _ => None,
    }
}

/// `name`/`version` as node-imgmanifest checks them: `.length` within `max`, then the
/// pattern on `String(value)` (so a number passes); plus a writer limit for strings.
fn check_text(
    report: &mut Report,
    field: &str,
    v: &Value,
    max: usize,
    limit: usize,
    allowed: fn(char) -> bool,
) {
    if v.is_null() {
        return problem(report, field, "null (imgadm's validator throws on it)");
    }
    if !v.is_string() {
        let too_long = js_length(v).is_some_and(|n| n > max as f64);
        let text = js_string(v).unwrap_or_default();
        if too_long {
            problem(report, field, format!("longer than {max} characters"));
        } else if text.is_empty() || !text.chars().all(allowed) {
            problem(report, field, format!("invalid characters in '{text}'"));
        } else {
            warning(report, field, "not a string: imgadm accepts it as the text it converts to");
        }
        return;
    }
    match v.as_str() {
        None => {}
        Some(s) if s.encode_utf16().count() > max => {
            problem(report, field, format!("longer than {max} characters"))
        }
        Some(s) if s.is_empty() || !s.chars().all(allowed) => {
            problem(report, field, format!("invalid characters in '{s}'"))
        }
        Some(s) if s.chars().count() > limit => {
            warning(report, field, format!("longer than {limit} characters: older imgadm versions reject it"))
        }
        Some(_) => {}
    }
}

fn check_url(report: &mut Report, field: &str, v: &Value) {
    let Some(s) = v.as_str() else {
        return problem(report, field, "must be an http: or https: URL");
    };
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("http:") || lower.starts_with("https:")) {
        problem(report, field, "must be an http: or https: URL");
    } else if s.encode_utf16().count() > 1024 {
        problem(report, field, "longer than 1024 characters");
    }
}

fn check_enum(report: &mut Report, field: &str, v: &Value, allowed: &[&str]) {
    if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
        problem(report, field, format!("must be one of: {}", allowed.join(", ")));
    }
}

/// `UUID_RE.test(value)`: the pattern on `String(value)` (a one-element array of a UUID
/// passes, as in JavaScript).
fn check_uuid(report: &mut Report, field: &str, v: &Value) {
    let text = if v.is_null() { Some("null".to_string()) } else { js_string(v) };
    if !text.as_deref().is_some_and(is_uuid) {
        problem(report, field, "must be a lowercase UUID");
    }
}

fn validate_v2(m: &Value, report: &mut Report) {
    let Some(map) = m.as_object() else {
        return problem(report, "", "not a JSON object");
    };
    for key in map.keys() {
        if !FIELDS.contains(&key.as_str()) {
            problem(report, key, "unknown field (imgadm rejects it)");
        }
    }
    for required in ["v", "uuid", "name", "version", "type", "os"] {
        if !map.contains_key(required) {
            problem(report, required, "missing (required)");
        }
    }
    let state = map.get("state").and_then(Value::as_str);
    let kind = map.get("type").and_then(Value::as_str);
    let zvol = kind == Some("zvol");
    for (key, v) in map {
        validate_field(report, key, v, state, kind);
    }
    // validateMinimalManifest runs a field's check only when the field is there, so the
    // "MissingParameter when type is zvol" branch runs only in IMGAPI's dc mode, where
    // the fields are required.
    for field in ZVOL_FIELDS {
        if zvol && !map.contains_key(field) {
            warning(
                report,
                field,
                "missing for type 'zvol': imgadm installs it, IMGAPI (dc mode) rejects it",
            );
        }
    }
    // installImage reads `manifest.files[0].compression` without a check.
    match map.get("files") {
        None => warning(report, "files", "missing: imgadm's install reads files[0] and fails"),
        Some(Value::Array(files)) if files.is_empty() => {
            warning(report, "files", "empty: imgadm's install reads files[0] and fails")
        }
        _ => {}
    }
}

fn validate_field(report: &mut Report, field: &str, v: &Value, state: Option<&str>, kind: Option<&str>) {
    let unfinished = matches!(state, Some("creating" | "failed"));
    match field {
        "v" => {
            let n = js_number(v);
            if n.is_nan() || n < 0.0 {
                problem(report, field, "must be a non-negative integer (2)");
            }
        }
        "uuid" | "owner" => check_uuid(report, field, v),
        "origin" => check_uuid(report, field, v),
        "urn" => {
            if !v.is_string() {
                problem(report, field, "must be a string");
            }
            warning(report, field, "deprecated; older imgadm versions reject it");
        }
        "name" => {
            check_text(report, field, v, 1024, 512, |c| c.is_ascii_alphanumeric() || "._/ -".contains(c))
        }
        "version" => {
            check_text(report, field, v, 512, 128, |c| c.is_ascii_alphanumeric() || "._/+-".contains(c));
            if v.as_str().is_some_and(|s| s.contains('+')) {
                warning(report, field, "'+' is rejected by imgadm before 3.7.0 (platform 20161118)");
            }
        }
        "description" => match v.as_str() {
            // Only `.length > 10240` is checked: a number passes, null throws.
            None if v.is_null() => problem(report, field, "null (imgadm's validator throws on it)"),
            None if js_length(v).is_some_and(|n| n > 10240.0) => {
                problem(report, field, "longer than 10240 characters")
            }
            None => warning(report, field, "not a string: imgadm accepts it"),
            Some(s) if s.encode_utf16().count() > 10240 => {
                problem(report, field, "longer than 10240 characters")
            }
            Some(s) if s.chars().count() > 512 => {
                warning(report, field, "longer than 512 characters: older imgadm versions reject it")
            }
            Some(_) => {}
        },
        "homepage" | "eula" => check_url(report, field, v),
        "icon" | "disabled" | "activated" | "public" | "generate_passwords" if !is_bool(v) => {
            problem(report, field, "must be a boolean")
        }
        "state" => check_enum(report, field, v, &STATES),
        "error" => {
            if !(v.is_object() || v.is_array() || v.is_null()) {
                problem(report, field, "must be an object");
            } else if state != Some("failed") {
                warning(report, field, "only meaningful with state 'failed'");
            }
        }
        "published_at" if truthy(v) && !v.as_str().is_some_and(is_published_at) => {
            problem(report, field, "must look like 2018-01-04T11:35:37Z (0 or 3 fraction digits)")
        }
        "type" | "os" => {
            let allowed: &[&str] = if field == "type" { &TYPES } else { &OSES };
            if v.as_str() == Some("null") {
                if !unfinished {
                    problem(report, field, "\"null\" only while state is creating or failed");
                }
            } else {
                check_enum(report, field, v, allowed);
            }
        }
        "files" => validate_files(report, v),
        "acl" => match v.as_array() {
            Some(items) => {
                if let Some(i) = items.iter().position(|item| !item.as_str().is_some_and(is_uuid)) {
                    problem(report, format!("acl.{i}"), "must be a lowercase UUID");
                }
            }
            None => problem(report, field, "must be an array of UUIDs"),
        },
        "requirements" => validate_requirements(report, v),
        "users" => match v.as_array() {
            Some(users) => {
                for (i, u) in users.iter().enumerate() {
                    if !u.as_object().is_some_and(|o| o.len() == 1 && o.contains_key("name")) {
                        problem(report, format!("users.{i}"), "must be exactly {\"name\": NAME}");
                    }
                }
            }
            None => problem(report, field, "must be an array"),
        },
        "billing_tags" => match v.as_array() {
            Some(tags) => {
                for (i, t) in tags.iter().enumerate() {
                    if t.as_str().is_none_or(|s| s.encode_utf16().count() > 128) {
                        problem(
                            report,
                            format!("billing_tags.{i}"),
                            "must be a string of at most 128 characters",
                        );
                    }
                }
            }
            None => problem(report, field, "must be an array of strings"),
        },
        "traits" => {
            let values: Option<Vec<&Value>> = match v {
                Value::Object(o) => Some(o.values().collect()),
                Value::Array(a) => Some(a.iter().collect()),
                _ => None,
            };
            match values {
                Some(values) => {
                    if values.iter().any(|t| !(t.is_string() || t.is_boolean() || t.is_array())) {
                        problem(report, field, "values must be strings, booleans or arrays");
                    }
                }
                None => problem(report, field, "must be an object"),
            }
        }
        "tags" => {
            if !v.is_object() {
                problem(report, field, "must be an object");
            } else if serde_json::to_string(v).map_or(0, |s| s.encode_utf16().count()) > 100 * 1024 {
                problem(report, field, "JSON-encoded tags exceed 100 KiB");
            } else if serde_json::to_string(v).map_or(0, |s| s.len()) > 10 * 1024 {
                warning(report, field, "JSON-encoded tags exceed 10 KiB: older imgadm versions reject them");
            }
        }
        "inherited_directories" => {
            if kind != Some("zone-dataset") {
                problem(report, field, "only allowed with type 'zone-dataset'");
            } else if !v.as_array().is_some_and(|d| d.iter().all(Value::is_string)) {
                problem(report, field, "must be an array of strings");
            }
        }
        "nic_driver" | "disk_driver" | "cpu_type" => {
            if truthy(v) && kind != Some("zvol") {
                problem(report, field, "only allowed with type 'zvol'");
            } else if !v.is_string() {
                problem(report, field, "must be a string");
            }
        }
        "image_size" => {
            if truthy(v) && kind != Some("zvol") {
                problem(report, field, "only allowed with type 'zvol'");
            } else if js_number(v).fract() != 0.0 {
                problem(report, field, "must be an integer (MiB)");
            }
        }
        "channels" => problem(report, field, "only valid on an IMGAPI configured for channels"),
        _ => {}
    }
}

fn validate_files(report: &mut Report, v: &Value) {
    let Some(files) = v.as_array() else {
        return problem(report, "files", "must be an array");
    };
    if files.len() > 1 {
        return problem(report, "files", "at most 1 file (imgadm's validator)");
    }
    for (i, file) in files.iter().enumerate() {
        let at = |k: &str| format!("files.{i}.{k}");
        let field = |k: &str| file.get(k).filter(|v| truthy(v));
        match field("sha1") {
            None => problem(report, at("sha1"), "missing (required)"),
            // imgadm compares with `!=` to the lowercase hex digest of the file.
            Some(s)
                if s.as_str().is_some_and(|s| s.len() == 40 && s.bytes().all(|c| c.is_ascii_hexdigit()))
                    && !s.as_str().is_some_and(|s| {
                        s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
                    }) =>
            {
                warning(
                    report,
                    at("sha1"),
                    "upper-case hex: imgadm compares it to the lowercase digest, it never matches",
                )
            }
            Some(s)
                if !s.as_str().is_some_and(|s| s.len() == 40 && s.bytes().all(|c| c.is_ascii_hexdigit())) =>
            {
                warning(report, at("sha1"), "not 40 hexadecimal digits: it will never match the file")
            }
            Some(_) => {}
        }
        match field("size") {
            None => problem(report, at("size"), "missing or zero (required)"),
            Some(s) if s.as_u64().is_none_or(|n| n == 0) => {
                warning(report, at("size"), "not a positive integer: it will never match the file")
            }
            Some(_) => {}
        }
        match field("compression") {
            None => problem(report, at("compression"), "missing (required)"),
            Some(c) => check_enum(report, &at("compression"), c, &COMPRESSIONS),
        }
    }
}

/// node-imgmanifest's `validPlatformVersion`: `YYYYMMDDTHHMMSSZ`, year ≥ 2012 (with
/// JavaScript's `Number()`, so a non-numeric part is not caught).
fn is_platform_stamp(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    if s.encode_utf16().count() != 16 || !s.is_ascii() {
        return false;
    }
    let num = |from: usize, len: usize| js_number_text(&s[from..from + len]);
    let (y, mo, d, h, mi, se) = (num(0, 4), num(4, 2), num(6, 2), num(9, 2), num(11, 2), num(13, 2));
    !(y < 2012.0
        || mo > 12.0
        || mo == 0.0
        || d > 31.0
        || d == 0.0
        || &s[8..9] != "T"
        || h > 23.0
        || mi > 59.0
        || se > 59.0
        || &s[15..16] != "Z")
}

fn validate_requirements(report: &mut Report, v: &Value) {
    // `objCopy(manifest.requirements)` copies `Object.keys(value)`: a number or boolean
    // becomes `{}`, an array or string its indexes ("0", "1", …), null throws.
    let copied: Map<String, Value>;
    let req = match v {
        Value::Object(o) => o,
        Value::Null => return problem(report, "requirements", "null (imgadm's validator throws on it)"),
        Value::Bool(_) | Value::Number(_) => return,
        Value::Array(items) => {
            copied = items.iter().enumerate().map(|(i, x)| (i.to_string(), x.clone())).collect();
            &copied
        }
        Value::String(s) => {
            copied = s.encode_utf16().enumerate().map(|(i, _)| (i.to_string(), Value::Null)).collect();
            &copied
        }
    };
    let brand = req.get("brand");
    for (key, r) in req {
        let at = format!("requirements.{key}");
        match key.as_str() {
            "networks" if truthy(r) => match r.as_array() {
                Some(nets) => {
                    for (i, n) in nets.iter().enumerate() {
                        let ok = n.as_object().is_some_and(|o| {
                            o.len() == 2 && o.contains_key("name") && o.contains_key("description")
                        });
                        if !ok {
                            problem(
                                report,
                                format!("{at}.{i}"),
                                "must be exactly {\"name\", \"description\"}",
                            );
                        }
                    }
                }
                None => problem(report, at, "must be an array"),
            },
            "brand" if truthy(r) && !r.is_string() => problem(report, at, "must be a string"),
            "ssh_key" if truthy(r) && !r.is_boolean() => problem(report, at, "must be a boolean"),
            "min_ram" | "max_ram" if truthy(r) && !is_integer(r) => {
                problem(report, at, "must be an integer (MiB)")
            }
            "min_platform" | "max_platform" if truthy(r) => match r.as_object() {
                Some(p) if !p.is_empty() => {
                    for (version, stamp) in p {
                        if !is_platform_stamp(stamp) {
                            problem(
                                report,
                                format!("{at}.{version}"),
                                "must be a platform stamp YYYYMMDDTHHMMSSZ",
                            );
                        }
                        if version == "undefined" || version.is_empty() {
                            warning(
                                report,
                                format!("{at}.{version}"),
                                "no SDC version: imgadm cannot check it",
                            );
                        }
                    }
                }
                _ => {
                    problem(report, at, "must be a non-empty object {\"SDC version\": \"YYYYMMDDTHHMMSSZ\"}")
                }
            },
            "bootrom" if truthy(r) => {
                if brand.and_then(Value::as_str) != Some("bhyve") {
                    problem(report, at, "requires requirements.brand 'bhyve'");
                } else {
                    check_enum(report, &at, r, &["bios", "uefi"]);
                }
            }
            "networks" | "brand" | "ssh_key" | "min_ram" | "max_ram" | "min_platform" | "max_platform"
            | "bootrom" => {}
            _ => problem(report, at, "unsupported requirement"),
        }
    }
    let ram = |k: &str| req.get(k).filter(|v| truthy(v) && is_integer(v)).and_then(Value::as_f64);
    if let (Some(min), Some(max)) = (ram("min_ram"), ram("max_ram"))
        && min > max
    {
        problem(report, "requirements.min_ram", "greater than max_ram");
    }
}

/// node-imgmanifest 3.1.0's `upgradeTo2` for a v1 (DSAPI) manifest (spec §6), without its
/// assertions ([`upgrade`] checks those). Key order is kept where keys survive; `v` comes
/// first. As upstream, `public` and `state` are always set (from `restricted_to_uuid` and
/// `disabled`), whatever the v1 manifest had.
pub fn upgrade_v1(v1: &Value) -> Value {
    const DROPPED: [&str; 11] = [
        "creator_uuid",
        "vendor_uuid",
        "creator_name",
        "cloud_name",
        "creator_admin",
        "owner_uuid",
        "platform_type",
        "created_at",
        "updated_at",
        "_url",
        "restricted_to_uuid",
    ];
    let Some(old) = v1.as_object() else { return v1.clone() };
    let mut out = Map::new();
    out.insert("v".into(), json!(2));
    for (key, value) in old {
        match key.as_str() {
            "v" => {}
            "creator_uuid" if truthy(value) => {
                out.insert("owner".into(), value.clone());
            }
            "files" if truthy(value) => {
                let files: Vec<Value> =
                    value.as_array().map(|f| f.iter().map(upgrade_file).collect()).unwrap_or_default();
                out.insert("files".into(), Value::Array(files));
            }
            // IMGAPI-104: `manifest.image_size = Number(manifest.image_size)` when truthy.
            "image_size" if truthy(value) => {
                let n = js_number(value);
                let size = serde_json::Number::from_f64(n)
                    .map(|num| {
                        if n.fract() == 0.0 && n.abs() < 9e15 { json!(n as i64) } else { Value::Number(num) }
                    })
                    .unwrap_or_else(|| json!("NaN"));
                out.insert("image_size".into(), size);
            }
            k if DROPPED.contains(&k) => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    match old.get("restricted_to_uuid").filter(|r| truthy(r)) {
        Some(uuid) => {
            out.insert("public".into(), json!(false));
            out.insert("acl".into(), json!([uuid]));
        }
        None => {
            out.insert("public".into(), json!(true));
        }
    }
    let disabled = old.get("disabled").is_some_and(truthy);
    out.insert("disabled".into(), json!(disabled));
    out.insert("state".into(), json!(if disabled { "disabled" } else { "active" }));
    if !out.get("published_at").is_some_and(truthy)
        && let Some(created) = old.get("created_at").filter(|c| truthy(c))
    {
        out.insert("published_at".into(), created.clone());
    }
    if let Some(p) = out.get("published_at").and_then(Value::as_str)
        && has_minutes_only_stamp(p)
    {
        let fixed = format!("{}:00Z", &p[..p.len() - 1]);
        out.insert("published_at".into(), json!(fixed));
    }
    Value::Object(out)
}

/// `/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z/.test(s)`: unanchored, as upstream (which then
/// replaces the last character of the whole string with `:00Z`).
fn has_minutes_only_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:ddZ";
    b.windows(SHAPE.len())
        .any(|w| w.iter().zip(SHAPE).all(|(&c, &p)| if p == b'd' { c.is_ascii_digit() } else { c == p }))
}

fn upgrade_file(file: &Value) -> Value {
    let Some(f) = file.as_object() else { return file.clone() };
    let mut out = Map::new();
    let name =
        f.get("path").filter(|p| truthy(p)).or_else(|| f.get("url")).and_then(Value::as_str).unwrap_or("");
    for (k, v) in f {
        if k != "path" && k != "url" {
            out.insert(k.clone(), v.clone());
        }
    }
    if !out.get("compression").is_some_and(truthy) {
        // `{'.gz': 'gzip', '.bz2': 'bzip2'}[path.extname(name)] || 'none'`
        let base = name.rsplit('/').next().unwrap_or("");
        let ext = match base.rfind('.') {
            Some(0) | None => "",
            Some(i) => &base[i..],
        };
        let compression = match ext {
            ".gz" => "gzip",
            ".bz2" => "bzip2",
            _ => "none",
        };
        out.insert("compression".into(), json!(compression));
    }
    Value::Object(out)
}

/// The zvol-only fields, required for `type: zvol`.
#[derive(Clone, Debug)]
pub struct Zvol {
    /// `nic_driver`, e.g. `virtio`.
    pub nic_driver: String,
    /// `disk_driver`, e.g. `virtio`.
    pub disk_driver: String,
    /// `cpu_type`, e.g. `host`.
    pub cpu_type: String,
    /// `image_size` in MiB.
    pub image_size: u64,
}

/// What a new manifest is made of (what `imgadm create` writes, without the VM).
#[derive(Clone, Debug)]
pub struct NewManifest {
    /// Lowercase UUID of the image.
    pub uuid: String,
    /// Image name.
    pub name: String,
    /// Image version.
    pub version: String,
    /// Optional description.
    pub description: Option<String>,
    /// `type`, one of [`TYPES`].
    pub kind: String,
    /// `os`, one of [`OSES`].
    pub os: String,
    /// `published_at` (`YYYY-MM-DDTHH:MM:SSZ`).
    pub published_at: String,
    /// `files[0]`.
    pub file: File,
    /// `origin` for an incremental image.
    pub origin: Option<String>,
    /// The zvol fields (only for `type: zvol`).
    pub zvol: Option<Zvol>,
}

impl NewManifest {
    /// The manifest: `v: 2` first, then the fields in the order `imgadm create` uses.
    pub fn build(&self) -> Value {
        let mut m = Map::new();
        m.insert("v".into(), json!(2));
        m.insert("uuid".into(), json!(self.uuid));
        m.insert("name".into(), json!(self.name));
        m.insert("version".into(), json!(self.version));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        m.insert("type".into(), json!(self.kind));
        m.insert("os".into(), json!(self.os));
        if let Some(origin) = &self.origin {
            m.insert("origin".into(), json!(origin));
        }
        m.insert("published_at".into(), json!(self.published_at));
        m.insert(
            "files".into(),
            json!([{"sha1": self.file.sha1, "size": self.file.size, "compression": self.file.compression}]),
        );
        if let Some(z) = &self.zvol {
            m.insert("nic_driver".into(), json!(z.nic_driver));
            m.insert("disk_driver".into(), json!(z.disk_driver));
            m.insert("cpu_type".into(), json!(z.cpu_type));
            m.insert("image_size".into(), json!(z.image_size));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(is_uuid("c58161c0-2547-11e2-a75e-9fdca1940570"));
        assert!(!is_uuid("C58161C0-2547-11E2-A75E-9FDCA1940570"));
        assert!(is_published_at("2018-01-04T11:35:37Z"));
        assert!(is_published_at("2018-03-15T16:59:40.102Z"));
        assert!(!is_published_at("2018-03-15T16:59:40.1Z"));
        assert!(is_platform_stamp(&json!("20141030T081701Z")));
        assert!(!is_platform_stamp(&json!("20111030T081701Z")));
    }

    #[test]
    fn zvol_fields_and_unknown_keys() {
        let m = Manifest::from_value(json!({"v": 2, "uuid": "c58161c0-2547-11e2-a75e-9fdca1940570",
            "name": "x", "version": "1", "type": "zvol", "os": "linux", "stream_size": 1}));
        let report = m.validate();
        let fields: Vec<&str> = report.problems.iter().map(|p| p.location.as_str()).collect();
        assert!(fields.contains(&"stream_size"));
        // Not required by imgadm (only IMGAPI's dc mode): warnings.
        assert!(!fields.contains(&"nic_driver"));
        let warned: Vec<&str> = report.warnings.iter().map(|p| p.location.as_str()).collect();
        assert!(warned.contains(&"nic_driver") && warned.contains(&"image_size"));
    }
}
