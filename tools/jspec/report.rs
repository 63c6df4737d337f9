//! `show`, `info` and `validate`: reading a whole document.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use jcore::Status;
use jcore::exit::StatusError;
use jcore::format::{ajspec, imgadm, json, pot};
use serde_json::{Map, Value, json};

use crate::doc::{self, Doc, problem_line};
use crate::edit::human_time;
use crate::plan::Format;

/// A number when the text is one (sizes, timestamps), the text otherwise.
fn number_or_text(text: &str) -> Value {
    text.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The keys the tag/arch structure covers; every other row is shown as it is.
fn known_keys(d: &ajspec::Document) -> HashSet<String> {
    let mut keys: HashSet<String> = ["tags", "maintenance", "entrypoint", "ajspec"].map(String::from).into();
    for tag in d.tags() {
        for field in ["name", "maintainer", "comment", "url", "description", "arch"] {
            keys.insert(format!("{tag}.{field}"));
        }
        for arch in d.arches(&tag) {
            for field in ["timestamp", "sum", "size", "source"] {
                keys.insert(format!("{tag}.{field}.{arch}"));
            }
        }
    }
    keys
}

/// Rows outside the tag/arch structure (legacy or unknown keys), with their tokens.
fn other_rows(d: &ajspec::Document) -> Vec<(String, Vec<String>)> {
    let known = known_keys(d);
    d.rows()
        .filter(|(_, r)| !known.contains(&r.key))
        .map(|(_, r)| (r.key.clone(), r.tokens.clone()))
        .collect()
}

/// The normalized JSON of an .ajspec: tags → fields → arch → image fields.
pub fn ajspec_json(d: &ajspec::Document) -> Value {
    let mut tags = Map::new();
    for tag in d.tags() {
        let mut t = Map::new();
        let key = |field: &str| format!("{tag}.{field}");
        if let Some(name) = d.scalar(&key("name")) {
            t.insert("name".into(), json!(name));
        }
        let maintainers = d.list(&key("maintainer"));
        if !maintainers.is_empty() {
            t.insert("maintainer".into(), json!(maintainers));
        }
        for field in ["comment", "url"] {
            if let Some(v) = d.scalar(&key(field)) {
                t.insert(field.into(), json!(v));
            }
        }
        let description = d.text_lines(&key("description"));
        if !description.is_empty() {
            t.insert("description".into(), json!(description));
        }
        let mut arches = Map::new();
        for arch in d.arches(&tag) {
            let mut a = Map::new();
            for field in ["timestamp", "sum", "size"] {
                if let Some(v) = d.scalar(&format!("{tag}.{field}.{arch}")) {
                    a.insert(field.into(), if field == "sum" { json!(v) } else { number_or_text(v) });
                }
            }
            a.insert("source".into(), json!(d.list(&format!("{tag}.source.{arch}"))));
            arches.insert(arch, Value::Object(a));
        }
        t.insert("arch".into(), Value::Object(arches));
        tags.insert(tag, Value::Object(t));
    }
    let mut out = Map::new();
    out.insert("tags".into(), Value::Object(tags));
    for global in ["maintenance", "entrypoint", "ajspec"] {
        if let Some(v) = d.scalar(global) {
            out.insert(global.into(), json!(v));
        }
    }
    let other = other_rows(d);
    if !other.is_empty() {
        let rows: Vec<Value> = other.into_iter().map(|(k, t)| json!({"key": k, "tokens": t})).collect();
        out.insert("other_rows".into(), Value::Array(rows));
    }
    Value::Object(out)
}

fn ajspec_text(d: &ajspec::Document) -> String {
    let mut out = String::new();
    let tags = d.tags();
    let _ = writeln!(out, "tags: {}", tags.join(" "));
    for tag in &tags {
        let _ = writeln!(out, "[{tag}]");
        let key = |field: &str| format!("{tag}.{field}");
        for field in ["name", "comment", "url"] {
            if let Some(v) = d.scalar(&key(field)) {
                let _ = writeln!(out, "  {field:<12}{v}");
            }
        }
        for m in d.list(&key("maintainer")) {
            let _ = writeln!(out, "  {:<12}{m}", "maintainer");
        }
        for line in d.text_lines(&key("description")) {
            let _ = writeln!(out, "  {:<12}{line}", "description");
        }
        for arch in d.arches(tag) {
            let _ = writeln!(out, "  [{arch}]");
            let field = |f: &str| d.scalar(&format!("{tag}.{f}.{arch}"));
            if let Some(ts) = field("timestamp") {
                let _ = writeln!(out, "    {:<11}{ts} ({})", "timestamp", human_time(ts));
            }
            for f in ["sum", "size"] {
                if let Some(v) = field(f) {
                    let _ = writeln!(out, "    {f:<11}{v}");
                }
            }
            for source in d.list(&format!("{tag}.source.{arch}")) {
                let _ = writeln!(out, "    {:<11}{source}", "source");
            }
        }
    }
    for global in ["maintenance", "entrypoint", "ajspec"] {
        if let Some(v) = d.scalar(global) {
            let _ = writeln!(out, "{global}: {v}");
        }
    }
    for (key, tokens) in other_rows(d) {
        let _ = writeln!(out, "other row: {key}: {}", tokens.join(" "));
    }
    out
}

fn json_text(v: &Value) -> String {
    json::flatten(v).into_iter().map(|(path, value)| format!("{path}: {value}\n")).collect()
}

fn pot_json(meta: &pot::Meta) -> Value {
    match meta {
        pot::Meta::Plain => json!({"origin": null}),
        pot::Meta::Origin { pot, tag, snapshot } => {
            json!({"origin": {"pot": pot, "tag": tag, "snapshot": snapshot}})
        }
    }
}

fn pot_text(meta: &pot::Meta) -> String {
    match meta {
        pot::Meta::Plain => "origin: - (plain image, not layered)\n".to_string(),
        pot::Meta::Origin { pot, tag, snapshot } => {
            format!("origin: {meta} (layered on pot {pot}, tag {tag}, snapshot {snapshot})\n")
        }
    }
}

pub fn show(path: &Path, format: Option<Format>, as_json: bool) -> anyhow::Result<Status> {
    let loaded = doc::load(path, format)?;
    let text = match (&loaded.doc, as_json) {
        (Doc::Ajspec(d), true) => json::to_text(&ajspec_json(d)),
        (Doc::Ajspec(d), false) => ajspec_text(d),
        (Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v), true) => json::to_text(v),
        (Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v), false) => json_text(v),
        (Doc::PotMeta(meta, _), true) => json::to_text(&pot_json(meta)),
        (Doc::PotMeta(meta, _), false) => pot_text(meta),
    };
    doc::emit(None, text.as_bytes())?;
    Ok(Status::Success)
}

fn ajspec_info(d: &ajspec::Document) -> String {
    let mut out = String::new();
    let tags = d.tags();
    let names: Vec<String> = tags
        .iter()
        .filter_map(|t| d.scalar(&format!("{t}.name")).map(str::to_string))
        .fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
    let _ = writeln!(out, "{:<13}{}", "name:", names.join(" "));
    let _ = writeln!(out, "{:<13}{}", "tags:", tags.join(" "));
    let _ = writeln!(out, "{:<13}{}", "maintenance:", d.maintenance().as_deref().unwrap_or("no"));
    for tag in &tags {
        for arch in d.arches(tag) {
            let Some(image) = d.image(tag, &arch) else { continue };
            let size = image.size.map_or("size unknown".to_string(), |s| format!("{s} bytes"));
            let time = image.timestamp.map_or("no timestamp".to_string(), |t| human_time(&t.to_string()));
            let sum = image.sum.as_deref().unwrap_or("no sum");
            let _ = writeln!(
                out,
                "{tag}/{arch}: {size}, {time}, {} source(s), sha256 {sum}",
                image.sources.len()
            );
        }
    }
    out
}

fn imgadm_info(v: &Value) -> String {
    let mut out = String::new();
    let m = imgadm::Manifest::from_value(v.clone());
    let field = |k: &str| v.get(k).map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string));
    for key in ["uuid", "name", "version", "type", "os", "state", "public", "published_at", "origin", "owner"]
    {
        if let Some(value) = field(key) {
            let _ = writeln!(out, "{:<14}{value}", format!("{key}:"));
        }
    }
    if let Some(d) = field("description") {
        let _ = writeln!(out, "{:<14}{d}", "description:");
    }
    match m.file() {
        Some(f) => {
            let _ = writeln!(out, "{:<14}{} bytes, {}, sha1 {}", "file:", f.size, f.compression, f.sha1);
        }
        None => {
            let _ = writeln!(out, "{:<14}none", "file:");
        }
    }
    if m.is_v1() {
        let _ = writeln!(out, "{:<14}1 (imgadm upgrades it to 2)", "v:");
    }
    out
}

fn aci_info(v: &Value) -> String {
    let mut out = String::new();
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let _ = writeln!(out, "{:<13}{}", "name:", s("name"));
    let _ = writeln!(out, "{:<13}{}", "acVersion:", s("acVersion"));
    for label in v.get("labels").and_then(Value::as_array).into_iter().flatten() {
        let n = label.get("name").and_then(Value::as_str).unwrap_or("?");
        let val = label.get("value").and_then(Value::as_str).unwrap_or("?");
        let _ = writeln!(out, "{:<13}{n}={val}", "label:");
    }
    if let Some(exec) = v.pointer("/app/exec").and_then(Value::as_array) {
        let argv: Vec<&str> = exec.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(out, "{:<13}{}", "exec:", argv.join(" "));
    }
    let deps = v.get("dependencies").and_then(Value::as_array).map_or(0, Vec::len);
    let _ = writeln!(out, "{:<14}{deps}", "dependencies:");
    out
}

pub fn info(path: &Path, format: Option<Format>) -> anyhow::Result<Status> {
    if !jcore::io::is_std(Some(path)) && path.is_dir() {
        doc::emit(None, crate::oci::layout_info(path)?.as_bytes())?;
        return Ok(Status::Success);
    }
    let loaded = doc::load(path, format)?;
    let text = match &loaded.doc {
        Doc::Ajspec(d) => ajspec_info(d),
        Doc::Imgadm(v) => imgadm_info(v),
        Doc::Aci(v) => aci_info(v),
        Doc::PotMeta(meta, _) => pot_text(meta),
        Doc::Oci(kind, v) => crate::oci::info(*kind, v),
    };
    doc::emit(None, text.as_bytes())?;
    Ok(Status::Success)
}

pub fn validate(path: &Path, format: Option<Format>) -> anyhow::Result<Status> {
    if let Some(status) = crate::oci::validate_image(path, format)? {
        return Ok(status);
    }
    let loaded = doc::load(path, format)?;
    let name = &loaded.name;
    let report = loaded.doc.validate();
    print_report(name, loaded.doc.format_name(), &report)
}

/// Prints every problem and warning as `NAME:LOCATION: message` and the verdict: exit 0
/// valid (`NAME: valid KIND`), 1 invalid.
pub fn print_report(name: &str, kind: &str, report: &jcore::format::Report) -> anyhow::Result<Status> {
    let mut out = String::new();
    for p in &report.problems {
        let _ = writeln!(out, "{}", problem_line(name, p));
    }
    for w in &report.warnings {
        let _ = writeln!(
            out,
            "{}",
            problem_line(name, &jcore::format::Problem::new(&w.location, format!("warning: {}", w.message)))
        );
    }
    if report.is_valid() {
        let _ = writeln!(out, "{name}: valid {kind}");
    }
    doc::emit(None, out.as_bytes())?;
    if !report.is_valid() {
        let n = report.problems.len();
        return Err(StatusError::negative(format!("{name}: invalid {kind}: {n} problem(s)")).into());
    }
    Ok(Status::Success)
}
