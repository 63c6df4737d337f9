//! SmartOS `imgadm` / IMGAPI image manifests, spec version 2 (../shared/specs/imgadm.md).
//!
//! - [`Manifest::parse`] reads the JSON (syntax errors carry line and column) and keeps
//!   key order, so a rewrite changes only what was asked.
//! - [`Manifest::validate`] applies the rules of node-imgmanifest as imgadm runs them
//!   (`validateMinimalManifest` plus the field validators): required `v uuid name version
//!   type os`, UUID form, the enums of `type`, `os`, `state`, `compression`, the zvol-only
//!   fields (required for `zvol`, invalid otherwise), at most one file (two for `lxd`)
//!   with a truthy `sha1` and `size` and a known `compression`, `requirements` keys, and
//!   unknown top-level keys rejected (keys inside `files[]` are not checked, as imgadm).
//! - A manifest without `v` is treated like imgadm does: with `creator_uuid` it is a v1
//!   manifest and is validated as [`upgrade_v1`] turns it into v2 (with a warning);
//!   without, it is invalid ("manifest does not have a \"v\" field").
//! - [`NewManifest::build`] writes a manifest within the writer limits (R1–R3).
//!
//! For jfetch: [`Manifest::uuid`] and [`Manifest::file`] (`files[0]`: sha1, size,
//! compression).
//!
//! This module does not hash files, generate UUIDs or read the clock: callers pass them.

use serde_json::{Map, Value, json};

use super::{Problem, Report, SyntaxError, json as jsonfmt};

/// The image types the validator accepts.
pub const TYPES: [&str; 6] = ["zone-dataset", "lx-dataset", "zvol", "docker", "lxd", "other"];
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
    /// `compression`.
    pub fn file(&self) -> Option<File> {
        let file = self.value.get("files")?.get(0)?;
        Some(File {
            sha1: file.get("sha1")?.as_str()?.to_string(),
            size: file.get("size")?.as_u64()?,
            compression: file.get("compression")?.as_str()?.to_string(),
        })
    }

    /// Whether this is a v1 manifest imgadm would upgrade (no `v`, has `creator_uuid`).
    pub fn is_v1(&self) -> bool {
        self.value.get("v").is_none() && self.value.get("creator_uuid").is_some()
    }

    /// Validates as imgadm does before installing (module docs).
    pub fn validate(&self) -> Report {
        let mut report = Report::default();
        if self.value.get("v").is_none() {
            if !self.is_v1() {
                report.problems.push(Problem::new("v", "manifest does not have a \"v\" field"));
                return report;
            }
            report.warnings.push(Problem::new(
                "v",
                "v1 manifest: validated as imgadm upgrades it to v2 (jspec convert)",
            ));
            validate_v2(&upgrade_v1(&self.value), &mut report);
            return report;
        }
        validate_v2(&self.value, &mut report);
        report
    }
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

fn is_bool(v: &Value) -> bool {
    v.is_boolean() || matches!(v.as_str(), Some("true" | "false"))
}

fn is_positive(v: &Value) -> bool {
    v.as_u64().is_some_and(|n| n > 0)
}

/// `Number(v) >= 0`: a non-negative integer or a string holding one.
fn is_version_number(v: &Value) -> bool {
    v.as_u64().is_some() || v.as_str().is_some_and(|s| s.parse::<u64>().is_ok())
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn check_string(report: &mut Report, field: &str, v: &Value, max: usize, allowed: fn(char) -> bool) {
    match v.as_str() {
        None => report.problems.push(Problem::new(field, "must be a string")),
        Some(s) if s.is_empty() || s.chars().count() > max => {
            report.problems.push(Problem::new(field, format!("must be 1 to {max} characters")))
        }
        Some(s) if !s.chars().all(allowed) => {
            report.problems.push(Problem::new(field, format!("invalid characters in '{s}'")))
        }
        Some(_) => {}
    }
}

fn check_url(report: &mut Report, field: &str, v: &Value) {
    match v.as_str() {
        Some(s) if (s.starts_with("http://") || s.starts_with("https://")) && s.len() <= 1024 => {}
        _ => report
            .problems
            .push(Problem::new(field, "must be an http: or https: URL of at most 1024 characters")),
    }
}

fn check_enum(report: &mut Report, field: &str, v: &Value, allowed: &[&str]) {
    if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
        report.problems.push(Problem::new(field, format!("must be one of: {}", allowed.join(", "))));
    }
}

fn check_uuid(report: &mut Report, field: &str, v: &Value) {
    if !v.as_str().is_some_and(is_uuid) {
        report.problems.push(Problem::new(field, "must be a lowercase UUID"));
    }
}

fn check_string_array(report: &mut Report, field: &str, v: &Value, max: Option<usize>) {
    let Some(items) = v.as_array() else {
        report.problems.push(Problem::new(field, "must be an array of strings"));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if max.is_none_or(|m| s.chars().count() <= m) => {}
            _ => report.problems.push(Problem::new(
                format!("{field}.{i}"),
                match max {
                    Some(m) => format!("must be a string of at most {m} characters"),
                    None => "must be a string".to_string(),
                },
            )),
        }
    }
}

fn validate_v2(m: &Value, report: &mut Report) {
    let Some(map) = m.as_object() else {
        report.problems.push(Problem::new("", "not a JSON object"));
        return;
    };
    for key in map.keys() {
        if !FIELDS.contains(&key.as_str()) {
            report.problems.push(Problem::new(key, "unknown field (imgadm rejects it)"));
        }
    }
    for required in ["v", "uuid", "name", "version", "type", "os"] {
        if !map.contains_key(required) {
            report.problems.push(Problem::new(required, "missing (required)"));
        }
    }
    let state = map.get("state").and_then(Value::as_str);
    let unfinished = matches!(state, Some("creating" | "failed"));
    let kind = map.get("type").and_then(Value::as_str);
    for (key, v) in map {
        let field = key.as_str();
        match field {
            "v" if !is_version_number(v) => {
                report.problems.push(Problem::new(field, "must be a non-negative integer (2)"))
            }
            "uuid" | "owner" | "origin" => check_uuid(report, field, v),
            "name" => {
                check_string(report, field, v, 1024, |c| c.is_ascii_alphanumeric() || "._/ -".contains(c))
            }
            "version" => {
                check_string(report, field, v, 512, |c| c.is_ascii_alphanumeric() || "._/+-".contains(c))
            }
            "description" => check_string(report, field, v, 10240, |_| true),
            "homepage" | "eula" => check_url(report, field, v),
            "icon" | "disabled" | "activated" | "public" | "generate_passwords" if !is_bool(v) => {
                report.problems.push(Problem::new(field, "must be a boolean"))
            }
            "state" => check_enum(report, field, v, &STATES),
            "error" => {
                if state != Some("failed") {
                    report.problems.push(Problem::new(field, "only allowed with state 'failed'"));
                } else if !v.get("message").is_some_and(Value::is_string) {
                    report.problems.push(Problem::new(field, "must be an object with a 'message'"));
                }
            }
            "published_at" if !v.as_str().is_some_and(is_published_at) => report
                .problems
                .push(Problem::new(field, "must look like 2018-01-04T11:35:37Z (0 or 3 fraction digits)")),
            "type" if !(unfinished && v.as_str() == Some("null")) => check_enum(report, field, v, &TYPES),
            "os" if !(unfinished && v.as_str() == Some("null")) => check_enum(report, field, v, &OSES),
            "files" => validate_files(report, v, kind == Some("lxd")),
            "acl" => match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check_uuid(report, &format!("acl.{i}"), item);
                    }
                }
                None => report.problems.push(Problem::new(field, "must be an array of UUIDs")),
            },
            "requirements" => validate_requirements(report, v),
            "users" => validate_users(report, v),
            "billing_tags" => check_string_array(report, field, v, Some(128)),
            "channels" => check_string_array(report, field, v, None),
            "inherited_directories" => {
                check_string_array(report, field, v, None);
                if kind != Some("zone-dataset") {
                    report.problems.push(Problem::new(field, "only allowed with type 'zone-dataset'"));
                }
            }
            "traits" => match v.as_object() {
                Some(traits) => {
                    for (k, t) in traits {
                        if !(t.is_string() || t.is_boolean() || t.is_array()) {
                            report.problems.push(Problem::new(
                                format!("traits.{k}"),
                                "must be a string, a boolean or an array",
                            ));
                        }
                    }
                }
                None => report.problems.push(Problem::new(field, "must be an object")),
            },
            "tags" => {
                if !v.is_object() {
                    report.problems.push(Problem::new(field, "must be an object"));
                } else if serde_json::to_string(v).map_or(0, |s| s.len()) > 100 * 1024 {
                    report.problems.push(Problem::new(field, "JSON-encoded tags exceed 100 KiB"));
                }
            }
            "nic_driver" | "disk_driver" | "cpu_type" if !v.is_string() => {
                report.problems.push(Problem::new(field, "must be a string"))
            }
            "image_size" if !is_positive(v) => {
                report.problems.push(Problem::new(field, "must be a positive integer (MiB)"))
            }
            "urn" if !v.is_string() => report.problems.push(Problem::new(field, "must be a string")),
            _ => {}
        }
    }
    for field in ZVOL_FIELDS {
        match (kind == Some("zvol"), map.contains_key(field)) {
            (true, false) => report.problems.push(Problem::new(field, "required for type 'zvol'")),
            (false, true) if kind.is_some() => {
                report.problems.push(Problem::new(field, "only allowed with type 'zvol'"))
            }
            _ => {}
        }
    }
    if map.contains_key("urn") {
        report.warnings.push(Problem::new("urn", "deprecated; older imgadm versions reject it"));
    }
}

fn validate_files(report: &mut Report, v: &Value, lxd: bool) {
    let Some(files) = v.as_array() else {
        report.problems.push(Problem::new("files", "must be an array"));
        return;
    };
    let max = if lxd { 2 } else { 1 };
    if files.len() > max {
        report.problems.push(Problem::new("files", format!("at most {max} file(s)")));
    }
    for (i, file) in files.iter().enumerate() {
        let at = |k: &str| format!("files.{i}.{k}");
        let Some(f) = file.as_object() else {
            report.problems.push(Problem::new(format!("files.{i}"), "must be an object"));
            continue;
        };
        if !f.get("sha1").is_some_and(truthy) {
            report.problems.push(Problem::new(at("sha1"), "missing (required)"));
        } else if !f["sha1"]
            .as_str()
            .is_some_and(|s| s.len() == 40 && s.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            report.problems.push(Problem::new(at("sha1"), "must be 40 hexadecimal digits"));
        }
        match f.get("size") {
            Some(s) if s.as_u64().is_some_and(|n| n > 0) => {}
            Some(_) => report.problems.push(Problem::new(at("size"), "must be a positive integer")),
            None => report.problems.push(Problem::new(at("size"), "missing (required)")),
        }
        match f.get("compression") {
            Some(c) => check_enum(report, &at("compression"), c, &COMPRESSIONS),
            None => report.problems.push(Problem::new(at("compression"), "missing (required)")),
        }
    }
}

/// `YYYYMMDDTHHMMSSZ` with year ≥ 2012 and valid ranges.
fn is_platform_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r.clone()].iter().all(u8::is_ascii_digit).then(|| s[r].parse().ok()).flatten()
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
        (num(0..4), num(4..6), num(6..8), num(9..11), num(11..13), num(13..15))
    else {
        return false;
    };
    y >= 2012 && (1..=12).contains(&mo) && (1..=31).contains(&d) && h <= 23 && mi <= 59 && se <= 59
}

fn validate_requirements(report: &mut Report, v: &Value) {
    let Some(req) = v.as_object() else {
        report.problems.push(Problem::new("requirements", "must be an object"));
        return;
    };
    let brand = req.get("brand").and_then(Value::as_str);
    for (key, r) in req {
        let at = format!("requirements.{key}");
        match key.as_str() {
            "networks" => match r.as_array() {
                Some(nets) => {
                    for (i, n) in nets.iter().enumerate() {
                        let ok = n.as_object().is_some_and(|o| {
                            o.len() == 2
                                && o.get("name").is_some_and(Value::is_string)
                                && o.contains_key("description")
                        });
                        if !ok {
                            report.problems.push(Problem::new(
                                format!("{at}.{i}"),
                                "must be an object with exactly 'name' and 'description'",
                            ));
                        }
                    }
                }
                None => report.problems.push(Problem::new(at, "must be an array")),
            },
            "brand" if !r.is_string() => report.problems.push(Problem::new(at, "must be a string")),
            "ssh_key" if !r.is_boolean() => report.problems.push(Problem::new(at, "must be a boolean")),
            "min_ram" | "max_ram" if !is_positive(r) => {
                report.problems.push(Problem::new(at, "must be a positive integer (MiB)"))
            }
            "min_platform" | "max_platform" => match r.as_object() {
                Some(p) if !p.is_empty() => {
                    for (version, stamp) in p {
                        if version == "undefined" || version.is_empty() {
                            report
                                .problems
                                .push(Problem::new(format!("{at}.{version}"), "invalid SDC version key"));
                        }
                        if !stamp.as_str().is_some_and(is_platform_stamp) {
                            report.problems.push(Problem::new(
                                format!("{at}.{version}"),
                                "must be a platform stamp YYYYMMDDTHHMMSSZ",
                            ));
                        }
                    }
                }
                _ => report.problems.push(Problem::new(at, "must be a non-empty object {version: stamp}")),
            },
            "bootrom" => {
                check_enum(report, &at, r, &["bios", "uefi"]);
                if brand != Some("bhyve") {
                    report.problems.push(Problem::new(at, "only allowed with brand 'bhyve'"));
                }
            }
            "brand" | "ssh_key" | "min_ram" | "max_ram" => {}
            _ => report.problems.push(Problem::new(at, "unsupported requirement")),
        }
    }
    if let (Some(min), Some(max)) =
        (req.get("min_ram").and_then(Value::as_u64), req.get("max_ram").and_then(Value::as_u64))
        && min > max
    {
        report.problems.push(Problem::new("requirements.min_ram", "greater than max_ram"));
    }
}

fn validate_users(report: &mut Report, v: &Value) {
    let Some(users) = v.as_array() else {
        report.problems.push(Problem::new("users", "must be an array"));
        return;
    };
    for (i, u) in users.iter().enumerate() {
        if !u.as_object().is_some_and(|o| o.len() == 1 && o.get("name").is_some_and(Value::is_string)) {
            report.problems.push(Problem::new(format!("users.{i}"), "must be exactly {\"name\": STRING}"));
        }
    }
}

/// node-imgmanifest's `upgradeTo2` for a v1 (DSAPI) manifest (spec §6). Key order is kept
/// where keys survive; `v` comes first.
pub fn upgrade_v1(v1: &Value) -> Value {
    const DROPPED: [&str; 10] = [
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
            "creator_uuid" => {
                out.insert("owner".into(), value.clone());
            }
            "files" => {
                let files: Vec<Value> =
                    value.as_array().map(|f| f.iter().map(upgrade_file).collect()).unwrap_or_default();
                out.insert("files".into(), Value::Array(files));
            }
            "image_size" => {
                let size =
                    value.as_str().and_then(|s| s.parse::<u64>().ok()).map_or(value.clone(), |n| json!(n));
                out.insert("image_size".into(), size);
            }
            "published_at" => {
                out.insert(key.clone(), add_seconds(value));
            }
            k if DROPPED.contains(&k) => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    match old.get("restricted_to_uuid") {
        Some(uuid) => {
            out.insert("public".into(), json!(false));
            out.insert("acl".into(), json!([uuid]));
        }
        None => {
            out.entry("public").or_insert(json!(true));
        }
    }
    out.entry("disabled").or_insert(json!(false));
    let disabled = out.get("disabled").is_some_and(|d| d == &json!(true) || d == &json!("true"));
    out.entry("state").or_insert(json!(if disabled { "disabled" } else { "active" }));
    if !out.contains_key("published_at")
        && let Some(created) = old.get("created_at")
    {
        out.insert("published_at".into(), add_seconds(created));
    }
    Value::Object(out)
}

/// `…THH:MMZ` gets `:00` seconds.
fn add_seconds(value: &Value) -> Value {
    match value.as_str() {
        Some(s) if s.len() == 17 && s.ends_with('Z') && s.as_bytes()[10] == b'T' => {
            json!(format!("{}:00Z", &s[..16]))
        }
        _ => value.clone(),
    }
}

fn upgrade_file(file: &Value) -> Value {
    let Some(f) = file.as_object() else { return file.clone() };
    let mut out = Map::new();
    let name = f.get("path").or_else(|| f.get("url")).and_then(Value::as_str).unwrap_or("");
    for (k, v) in f {
        if k != "path" && k != "url" {
            out.insert(k.clone(), v.clone());
        }
    }
    if !out.contains_key("compression") {
        let compression = if name.ends_with(".gz") {
            "gzip"
        } else if name.ends_with(".bz2") {
            "bzip2"
        } else {
            "none"
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
        assert!(is_platform_stamp("20141030T081701Z"));
        assert!(!is_platform_stamp("20111030T081701Z"));
    }

    #[test]
    fn zvol_fields_and_unknown_keys() {
        let m = Manifest::from_value(json!({"v": 2, "uuid": "c58161c0-2547-11e2-a75e-9fdca1940570",
            "name": "x", "version": "1", "type": "zvol", "os": "linux", "stream_size": 1}));
        let report = m.validate();
        let fields: Vec<&str> = report.problems.iter().map(|p| p.location.as_str()).collect();
        assert!(fields.contains(&"stream_size"));
        assert!(fields.contains(&"nic_driver"));
        assert!(fields.contains(&"image_size"));
    }
}
