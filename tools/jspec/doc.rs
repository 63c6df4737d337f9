//! Reading a metadata file (format detection, syntax errors as `FILE:LINE:COL: why`) and
//! writing it back (atomically, and only when it changed).

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, anyhow};
use jcore::format::ajspec;
use jcore::format::{Problem, Report, aci, imgadm, json, json_text, pot};
use jcore::io::{AtomicFile, Input, Output, is_std};
use jcore::oci;
use serde_json::Value;

use crate::plan::Format;

/// A parsed document of one of the formats.
pub enum Doc {
    Ajspec(ajspec::Document),
    Imgadm(Value),
    Aci(Value),
    /// A pot `.meta` and its bytes as read.
    PotMeta(pot::Meta, Vec<u8>),
    /// An OCI config, manifest, index or oci-layout.
    Oci(oci::Kind, Value),
}

/// A document with where it came from.
pub struct Loaded {
    /// Name for messages (`-` for stdin).
    pub name: String,
    pub doc: Doc,
    /// A JSON document's text, kept in step with edits made through [`Loaded::edit_text`]
    /// so that a rewrite changes only the values concerned; `None` once an edit could not
    /// be made in place (the document is then pretty-printed).
    pub json_text: Option<String>,
}

impl Loaded {
    /// Mirrors an edit of the JSON value in the kept text.
    pub fn edit_text(&mut self, edit: Option<json_text::Edit>) {
        self.json_text = match (self.json_text.take(), edit) {
            (Some(text), Some(edit)) => json_text::apply(&text, &edit),
            _ => None,
        };
    }

    /// The bytes to write: the edited text when it still parses to the edited value,
    /// otherwise the value pretty-printed.
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.doc, &self.json_text) {
            (Doc::Imgadm(v) | Doc::Aci(v) | Doc::Oci(_, v), Some(text))
                if json::parse(text.as_bytes()).as_ref() == Ok(v) =>
            {
                text.clone().into_bytes()
            }
            _ => self.doc.to_bytes(),
        }
    }
}

impl Doc {
    pub fn format_name(&self) -> &'static str {
        match self {
            Doc::Ajspec(_) => "ajspec",
            Doc::Imgadm(_) => "imgadm manifest",
            Doc::Aci(_) => "ACI manifest",
            Doc::PotMeta(..) => "pot .meta",
            Doc::Oci(kind, _) => match kind {
                oci::Kind::Config => "OCI image config",
                oci::Kind::Manifest => "OCI image manifest",
                oci::Kind::Index => "OCI image index",
                oci::Kind::Layout => "OCI oci-layout",
            },
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Doc::Ajspec(d) => d.to_bytes(),
            Doc::Imgadm(v) | Doc::Aci(v) => json::to_text(v).into_bytes(),
            Doc::PotMeta(meta, _) => meta.to_line().into_bytes(),
            // Blobs are compact JSON; an edited one is written the same way.
            Doc::Oci(_, v) => serde_json::to_vec(v).expect("JSON values serialise"),
        }
    }

    pub fn validate(&self) -> Report {
        match self {
            Doc::Ajspec(d) => d.validate(),
            Doc::Imgadm(v) => imgadm::Manifest::from_value(v.clone()).validate(),
            Doc::Aci(v) => aci::validate(v),
            Doc::PotMeta(_, raw) => pot::validate(raw),
            Doc::Oci(kind, v) => oci::validate::validate(*kind, v),
        }
    }
}

/// The format of `data` when not given: JSON that [`oci::detect`] recognises (its
/// `mediaType`, or `manifests`, `config`+`layers`, `rootfs`, `imageLayoutVersion`) is OCI,
/// JSON with `acKind` (or an `app`/`labels` section and no `uuid`: a Jetpack build
/// manifest) is ACI, other JSON imgadm, one line `-` or `POT:TAG@SNAP` a pot .meta, other
/// text ajspec.
pub fn detect(data: &[u8]) -> Format {
    if pot::looks_like_meta(data) {
        return Format::PotMeta;
    }
    let first = data.iter().find(|c| !c.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Format::Ajspec;
    }
    match json::parse(data) {
        Ok(value @ Value::Object(_)) if oci::detect(&value).is_some() => Format::Oci(oci::detect(&value)),
        Ok(Value::Object(map)) => {
            let aci_like = map.contains_key("acKind")
                || ((map.contains_key("app") || map.get("labels").is_some_and(Value::is_array))
                    && !map.contains_key("uuid"));
            if aci_like { Format::Aci } else { Format::Imgadm }
        }
        _ => Format::Imgadm,
    }
}

/// Parses `data` as `format` (detected when `None`).
pub fn parse(name: &str, data: &[u8], format: Option<Format>) -> anyhow::Result<Doc> {
    let syntax = |e: jcore::format::SyntaxError| anyhow!("{name}:{e}");
    Ok(match format.unwrap_or_else(|| detect(data)) {
        Format::Ajspec => Doc::Ajspec(ajspec::Document::parse_bytes(data).map_err(syntax)?),
        Format::Imgadm => Doc::Imgadm(json::parse(data).map_err(syntax)?),
        Format::Aci => Doc::Aci(json::parse(data).map_err(syntax)?),
        Format::PotMeta => {
            let meta =
                pot::Meta::parse(&String::from_utf8_lossy(data)).map_err(|e| anyhow!("{name}:1: {e}"))?;
            Doc::PotMeta(meta, data.to_vec())
        }
        Format::Oci(kind) => {
            let value = json::parse(data).map_err(syntax)?;
            let kind = kind.or_else(|| oci::detect(&value)).ok_or_else(|| {
                anyhow!(
                    "{name}: not an OCI image config, manifest, index or oci-layout (no mediaType, \
                     manifests, config and layers, rootfs or imageLayoutVersion); say which with \
                     --format oci-config, oci-manifest, oci-index or oci-layout"
                )
            })?;
            Doc::Oci(kind, value)
        }
    })
}

/// Reads the whole file (or stdin).
pub fn read_all(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    let mut input = Input::open(Some(path))?;
    let mut data = Vec::new();
    let name = input.name().to_string();
    input.read_to_end(&mut data).map_err(|e| jcore::io::Error::new(&name, e))?;
    Ok((name, data))
}

/// Reads and parses FILE.
pub fn load(path: &Path, format: Option<Format>) -> anyhow::Result<Loaded> {
    let (name, data) = read_all(path)?;
    let doc = parse(&name, &data, format)?;
    if let Doc::Ajspec(d) = &doc
        && d.had_crlf()
    {
        eprintln!("jspec: warning: {name}: CRLF line ends read leniently (AppJail would keep the CR)");
    }
    let json_text = match doc {
        Doc::Imgadm(_) | Doc::Aci(_) | Doc::Oci(..) => String::from_utf8(data).ok(),
        _ => None,
    };
    Ok(Loaded { name, doc, json_text })
}

/// Writes an edited document back: to stdout for `-`, otherwise atomically over the file,
/// and not at all when nothing changed.
pub fn save(path: &Path, loaded: &Loaded, changed: bool) -> anyhow::Result<()> {
    if is_std(Some(path)) {
        let mut out = Output::stdout();
        out.write_all(&loaded.bytes()).map_err(|e| jcore::io::Error::new("stdout", e))?;
        out.commit()?;
        return Ok(());
    }
    if !changed {
        return Ok(());
    }
    if let Doc::Ajspec(d) = &loaded.doc
        && d.had_crlf()
    {
        eprintln!("jspec: warning: {}: CRLF line ends written as LF", loaded.name);
    }
    write_file(path, &loaded.bytes())
}

/// Replaces `path` atomically with `data`.
pub fn write_file(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(data).map_err(|e| jcore::io::Error::new(path.display().to_string(), e))?;
    file.commit()?;
    Ok(())
}

/// Writes `data` to `-o FILE` (atomically) or stdout.
pub fn emit(output: Option<&Path>, data: &[u8]) -> anyhow::Result<()> {
    let mut out = Output::create(output, false, false)?;
    let name = out.name();
    out.write_all(data).map_err(|e| jcore::io::Error::new(name, e))?;
    out.commit()?;
    Ok(())
}

/// `FILE:LOCATION: message` for a problem.
pub fn problem_line(name: &str, problem: &Problem) -> String {
    if problem.location.is_empty() {
        format!("{name}: {}", problem.message)
    } else {
        format!("{name}:{}: {}", problem.location, problem.message)
    }
}

/// Context for errors about a key of a file.
pub fn key_context<T>(result: Result<T, String>, name: &str) -> anyhow::Result<T> {
    result.map_err(|e| anyhow!(e)).with_context(|| name.to_string())
}
