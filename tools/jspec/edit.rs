//! `get`, `set` and `del`: one key at a time, every change checked before anything is
//! written.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail};
use jcore::Status;
use jcore::exit::StatusError;
use jcore::format::json_text::{self, Edit};
use jcore::format::{ajspec, json, pot};
use serde_json::Value;

use crate::doc::{self, Doc, key_context};
use crate::plan::Format;

/// The file key for KEY: AppJail's keyword with -t, the raw key without.
fn ajspec_key(tag: Option<&str>, key: &str) -> Result<String, String> {
    match tag {
        Some(tag) => {
            if !ajspec::is_tag_name(tag) {
                return Err(format!("-t {tag}: invalid tag name"));
            }
            ajspec::keyword_key(tag, key)
        }
        None if ajspec::is_valid_key(key) => Ok(key.to_string()),
        None => Err(format!("invalid key '{key}' (allowed: A-Z a-z 0-9 . _ -; keywords need -t TAG)")),
    }
}

/// The keys of a pot .meta: `origin` (the line), `pot`, `tag`, `snapshot`.
fn pot_field(meta: &pot::Meta, key: &str) -> anyhow::Result<Option<String>> {
    let origin = match meta {
        pot::Meta::Plain => None,
        pot::Meta::Origin { pot, tag, snapshot } => Some((pot, tag, snapshot)),
    };
    Ok(match key {
        "origin" => Some(meta.to_string()),
        "pot" => origin.map(|o| o.0.clone()),
        "tag" => origin.map(|o| o.1.clone()),
        "snapshot" => origin.map(|o| o.2.clone()),
        _ => bail!("unknown key '{key}' (a pot .meta has origin, pot, tag, snapshot)"),
    })
}

fn no_tag_for_json(tag: Option<&str>) -> anyhow::Result<()> {
    if tag.is_some() {
        bail!("-t applies to .ajspec files only");
    }
    Ok(())
}

fn print_lines(lines: &[String]) -> anyhow::Result<()> {
    let mut out = jcore::io::Output::stdout();
    for line in lines {
        writeln!(out, "{line}").map_err(|e| jcore::io::Error::new("stdout", e))?;
    }
    out.commit()?;
    Ok(())
}

pub fn get(path: &Path, format: Option<Format>, tag: Option<&str>, key: &str) -> anyhow::Result<Status> {
    let loaded = doc::load(path, format)?;
    let name = &loaded.name;
    let lines = match &loaded.doc {
        Doc::Ajspec(d) => {
            if let (Some(t), Some(arch)) = (tag, key.strip_prefix("timestamp-human:")) {
                let file_key = key_context(ajspec_key(Some(t), &format!("timestamp:{arch}")), name)?;
                d.get(&file_key).iter().map(|v| human_time(v)).collect()
            } else {
                let file_key = key_context(ajspec_key(tag, key), name)?;
                warn_ignored(name, d, &file_key);
                d.get(&file_key)
            }
        }
        Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v) => {
            no_tag_for_json(tag)?;
            json::get(v, key).map(json::display_lines).unwrap_or_default()
        }
        Doc::PotMeta(meta, _) => {
            no_tag_for_json(tag)?;
            pot_field(meta, key)?.into_iter().collect()
        }
    };
    if lines.is_empty() {
        return Err(StatusError::negative(format!("{name}: {key}: not set")).into());
    }
    print_lines(&lines)?;
    Ok(Status::Success)
}

/// AppJail reads a scalar as token 0 of row 0: say so when more is there (spec §3).
fn warn_ignored(name: &str, d: &ajspec::Document, key: &str) {
    if ajspec::access_of(key) != ajspec::Access::Scalar {
        return;
    }
    let mut rows = d.rows_of(key);
    if let Some((line, row)) = rows.next()
        && row.tokens.len() > 1
    {
        eprintln!(
            "jspec: warning: {name}:{line}: {key}: only the first token is read; {:?} ignored",
            &row.tokens[1..]
        );
    }
    for (line, _) in rows {
        eprintln!("jspec: warning: {name}:{line}: {key}: extra row ignored");
    }
}

/// Unix seconds as RFC 3339 UTC; the text itself when it is not a number.
pub fn human_time(seconds: &str) -> String {
    seconds
        .parse::<i64>()
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| seconds.to_string())
}

/// `KEY=VALUE` or `KEY+=VALUE`, split at the first `=`.
fn split_assignment(arg: &str) -> anyhow::Result<(&str, &str, bool)> {
    let (key, value) =
        arg.split_once('=').ok_or_else(|| anyhow!("'{arg}': expected KEY=VALUE or KEY+=VALUE"))?;
    Ok(match key.strip_suffix('+') {
        Some(key) => (key, value, true),
        None => (key, value, false),
    })
}

pub fn set(
    path: &Path,
    format: Option<Format>,
    tag: Option<&str>,
    assignments: &[String],
) -> anyhow::Result<Status> {
    let mut loaded = doc::load(path, format)?;
    let name = loaded.name.clone();
    let mut changed = false;
    let kind = match &loaded.doc {
        Doc::Aci(_) => JsonKind::Aci,
        Doc::Oci(kind, _) => JsonKind::Oci(*kind),
        _ => JsonKind::Imgadm,
    };
    match &mut loaded.doc {
        Doc::Ajspec(d) => {
            // Check every assignment first: one bad value leaves the file untouched.
            let mut plan = Vec::new();
            for arg in assignments {
                let (key, value, append) = split_assignment(arg)?;
                let file_key = key_context(ajspec_key(tag, key), &name)?;
                let value = key_context(ajspec::check_value(&file_key, value, append), &name)?;
                plan.push((file_key, value, append));
            }
            for (key, value, append) in plan {
                changed |= if append { d.append(&key, &value) } else { d.set(&key, &value) };
            }
        }
        Doc::Imgadm(_) | Doc::Aci(_) | Doc::Oci(..) => {
            no_tag_for_json(tag)?;
            let before = loaded_report(&kind, json_value(&loaded.doc));
            for arg in assignments {
                let (key, text, append) = split_assignment(arg)?;
                let (Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v)) = &mut loaded.doc else { unreachable!() };
                let (did, edit) = set_json(v, key, text, append).map_err(|e| anyhow!("{name}: {e}"))?;
                if did {
                    loaded.edit_text(edit);
                }
                changed |= did;
            }
            refuse_new_problems(&name, &before, &loaded_report(&kind, json_value(&loaded.doc)))?;
        }
        Doc::PotMeta(meta, _) => {
            no_tag_for_json(tag)?;
            for arg in assignments {
                let (key, text, _) = split_assignment(arg)?;
                if key != "origin" {
                    bail!("{name}: only 'origin' can be set in a pot .meta (POT:TAG@SNAPSHOT or -)");
                }
                let new = pot::Meta::parse(text).map_err(|e| anyhow!("{name}: origin: {e}"))?;
                changed |= new != *meta;
                *meta = new;
            }
        }
    }
    doc::save(path, &loaded, changed)?;
    Ok(Status::Success)
}

/// Which JSON validator applies.
enum JsonKind {
    Imgadm,
    Aci,
    Oci(jcore::oci::Kind),
}

fn loaded_report(kind: &JsonKind, v: &Value) -> Vec<String> {
    let report = match kind {
        JsonKind::Imgadm => jcore::format::imgadm::Manifest::from_value(v.clone()).validate(),
        JsonKind::Aci => jcore::format::aci::validate(v),
        JsonKind::Oci(kind) => jcore::oci::validate::validate(*kind, v),
    };
    report.problems.iter().map(ToString::to_string).collect()
}

/// A change must not make the manifest invalid where it was valid: refuse new problems.
fn refuse_new_problems(name: &str, before: &[String], after: &[String]) -> anyhow::Result<()> {
    if let Some(problem) = after.iter().find(|p| !before.contains(p)) {
        bail!("{name}: change refused: {problem}");
    }
    Ok(())
}

/// The JSON type a known manifest field must have, for typing command-line text.
fn field_type(path: &str) -> Option<Value> {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last {
        "v" | "size" | "image_size" | "min_ram" | "max_ram" => Some(Value::from(0)),
        "icon" | "disabled" | "activated" | "public" | "generate_passwords" | "ssh_key" => {
            Some(Value::Bool(false))
        }
        "uuid" | "owner" | "name" | "version" | "description" | "homepage" | "eula" | "state"
        | "published_at" | "type" | "os" | "origin" | "nic_driver" | "disk_driver" | "cpu_type" | "urn"
        | "sha1" | "compression" | "acKind" | "acVersion" | "value" | "user" | "group" | "brand" => {
            Some(Value::String(String::new()))
        }
        _ => None,
    }
}

fn json_value(d: &Doc) -> &Value {
    match d {
        Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v) => v,
        _ => unreachable!("JSON documents only"),
    }
}

/// Applies one assignment to the value; returns whether it changed and the same change
/// as a text edit.
fn set_json(root: &mut Value, key: &str, text: &str, append: bool) -> Result<(bool, Option<Edit>), String> {
    if append {
        let value = json::value_from_text(text, None).map_err(|e| format!("{key}: {e}"))?;
        json::append(root, key, value.clone())?;
        return Ok((true, json_text::steps(root, key).map(|s| Edit::Append(s, value))));
    }
    let like = json::get(root, key).cloned().or_else(|| field_type(key));
    let value = json::value_from_text(text, like.as_ref()).map_err(|e| format!("{key}: {e}"))?;
    let changed = json::set(root, key, value.clone())?;
    Ok((changed, json_text::steps(root, key).map(|s| Edit::Set(s, value))))
}

pub fn del(
    path: &Path,
    format: Option<Format>,
    tag: Option<&str>,
    keys: &[String],
) -> anyhow::Result<Status> {
    let mut loaded = doc::load(path, format)?;
    let name = loaded.name.clone();
    let mut changed = false;
    match &mut loaded.doc {
        Doc::Ajspec(d) => {
            let file_keys = keys
                .iter()
                .map(|k| key_context(ajspec_key(tag, k), &name))
                .collect::<anyhow::Result<Vec<_>>>()?;
            for key in file_keys {
                changed |= d.delete(&key) > 0;
            }
        }
        Doc::PotMeta(meta, _) => {
            no_tag_for_json(tag)?;
            for key in keys {
                pot_field(meta, key)?;
                changed |= *meta != pot::Meta::Plain;
                *meta = pot::Meta::Plain;
            }
        }
        Doc::Imgadm(_) | Doc::Aci(_) | Doc::Oci(..) => {
            no_tag_for_json(tag)?;
            for key in keys {
                let edit = json_text::steps(json_value(&loaded.doc), key).map(Edit::Remove);
                let (Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v)) = &mut loaded.doc else { unreachable!() };
                let did = json::remove(v, key).map_err(|e| anyhow!("{name}: {e}"))?.is_some();
                if did {
                    loaded.edit_text(edit);
                }
                changed |= did;
            }
        }
    }
    doc::save(path, &loaded, changed)?;
    Ok(Status::Success)
}
