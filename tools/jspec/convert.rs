//! `convert`: every source format is read into one neutral [`Summary`] of an image, from
//! which every target format is written. What a target needs but the source lacks comes
//! from the options or, for digests, from `--image`.

use anyhow::{anyhow, bail};
use jcore::Status;
use jcore::digest::Algorithm;
use jcore::exit::StatusError;
use jcore::format::{aci, ajspec, imgadm, json};
use jcore::oci::Kind;
use serde_json::Value;

use crate::create::{self, Block, ImageFacts};
use crate::doc::{self, Doc};
use crate::plan::{ConvertPlan, Format};

/// What the formats share about one image.
#[derive(Default, Debug)]
pub struct Summary {
    pub name: Option<String>,
    pub version: Option<String>,
    pub arch: Option<String>,
    pub os: Option<String>,
    pub kind: Option<String>,
    pub uuid: Option<String>,
    pub description: Option<String>,
    pub timestamp: Option<i64>,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub sha1: Option<String>,
    pub compression: Option<String>,
    pub sources: Vec<String>,
    pub exec: Vec<String>,
}

/// The one element of `items` matching `wanted`, or the only one when none was asked for.
fn pick(items: Vec<String>, wanted: Option<&str>, what: &str) -> anyhow::Result<String> {
    match wanted {
        Some(w) if items.iter().any(|i| i == w) => Ok(w.to_string()),
        Some(w) => bail!("{what} '{w}' not listed (have: {})", items.join(" ")),
        None if items.len() == 1 => Ok(items.into_iter().next().expect("one")),
        None => bail!("several {what}s ({}): choose one with -{}", items.join(" "), &what[..1]),
    }
}

fn from_ajspec(d: &ajspec::Document, args: &ConvertPlan) -> anyhow::Result<Summary> {
    let tag = pick(d.tags(), args.tag.as_deref(), "tag")?;
    let arch = pick(d.arches(&tag), args.arch.as_deref(), "arch")?;
    let image = d.image(&tag, &arch).ok_or_else(|| anyhow!("no image for {tag}/{arch}"))?;
    let description = d.text_lines(&format!("{tag}.description"));
    Ok(Summary {
        name: image.name,
        version: Some(tag),
        arch: Some(arch),
        // AppJail runs FreeBSD jails.
        os: Some("freebsd".into()),
        description: (!description.is_empty()).then(|| description.join("\n")),
        timestamp: image.timestamp.map(|t| t as i64),
        size: image.size,
        sha256: image.sum.map(|s| s.to_ascii_lowercase()),
        sources: image.sources,
        ..Summary::default()
    })
}

fn from_imgadm(v: &Value) -> Summary {
    let manifest = imgadm::Manifest::from_value(v.clone());
    let v = if manifest.is_v1() { imgadm::upgrade_v1(v) } else { v.clone() };
    let manifest = imgadm::Manifest::from_value(v.clone());
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let file = manifest.file();
    Summary {
        name: s("name"),
        version: s("version"),
        os: s("os"),
        kind: s("type"),
        uuid: s("uuid"),
        description: s("description"),
        timestamp: s("published_at").and_then(|p| p.parse::<jiff::Timestamp>().ok()).map(|t| t.as_second()),
        size: file.as_ref().map(|f| f.size),
        sha1: file.as_ref().map(|f| f.sha1.to_ascii_lowercase()),
        compression: file.map(|f| f.compression),
        ..Summary::default()
    }
}

fn from_aci(v: &Value) -> Summary {
    let label = |k: &str| {
        v.get("labels")?
            .as_array()?
            .iter()
            .find(|l| l.get("name").and_then(Value::as_str) == Some(k))?
            .get("value")?
            .as_str()
            .map(str::to_string)
    };
    let exec = v
        .pointer("/app/exec")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    Summary {
        name: v.get("name").and_then(Value::as_str).map(str::to_string),
        version: label("version"),
        arch: label("arch"),
        os: label("os"),
        exec,
        ..Summary::default()
    }
}

/// Fills in the digests and size from `--image`, after checking those the source has.
fn add_image(summary: &mut Summary, facts: ImageFacts) -> anyhow::Result<()> {
    let (sha256, sha1) = (&facts.digests[0], &facts.digests[1]);
    let mismatch = |what: &str, expected: &str, actual: &str| -> anyhow::Error {
        StatusError::negative(format!("--image does not match the source: {what} {expected} != {actual}"))
            .into()
    };
    if let Some(sum) = &summary.sha256
        && sum != sha256
    {
        return Err(mismatch("sha256", sum, sha256));
    }
    if let Some(expected) = &summary.sha1
        && expected != sha1
    {
        return Err(mismatch("sha1", expected, sha1));
    }
    if let Some(size) = summary.size
        && size != facts.size
    {
        return Err(mismatch("size", &size.to_string(), &facts.size.to_string()));
    }
    let compression = create::imgadm_compression(facts.compression).ok().map(str::to_string);
    summary.sha256 = Some(sha256.clone());
    summary.sha1 = Some(sha1.clone());
    summary.size = Some(facts.size);
    if summary.compression.is_none() {
        summary.compression = compression;
    }
    Ok(())
}

/// A name AppJail accepts: the last path component, other characters turned into `_`.
fn appjail_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

/// An AC identifier: lowercase, other characters turned into `-`.
fn ac_name(name: &str) -> String {
    let lower: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-._~/".contains(c) { c } else { '-' })
        .collect();
    lower.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

fn to_ajspec(s: Summary, args: &ConvertPlan) -> anyhow::Result<Vec<u8>> {
    let name = args
        .name
        .clone()
        .or(s.name.map(|n| appjail_name(&n)))
        .ok_or_else(|| anyhow!("no name: give --name"))?;
    let tag = args.tag.clone().or(s.version).ok_or_else(|| anyhow!("no tag: give -t TAG"))?;
    let arch = args.arch.clone().or(s.arch).ok_or_else(|| anyhow!("no architecture: give -a ARCH"))?;
    let sum =
        s.sha256.ok_or_else(|| anyhow!("an .ajspec needs the SHA-256 of the image: give --image FILE"))?;
    let size = s.size.ok_or_else(|| anyhow!("no size: give --image FILE"))?;
    let sources = if args.sources.is_empty() { s.sources } else { args.sources.clone() };
    if sources.is_empty() {
        eprintln!("jspec: warning: no source: add mirrors with --source URL (AppJail needs at least one)");
    }
    let block = Block { tag, arch, name, timestamp: create::now_or(s.timestamp), sum, size, sources };
    let mut d = ajspec::Document::new();
    block.apply(&mut d)?;
    Ok(d.to_bytes())
}

fn imgadm_os(os: &str) -> String {
    match os {
        "freebsd" | "openbsd" | "netbsd" | "dragonfly" => "bsd".into(),
        other => other.into(),
    }
}

fn to_imgadm(s: Summary, args: &ConvertPlan) -> anyhow::Result<Vec<u8>> {
    let sha1 = s
        .sha1
        .ok_or_else(|| anyhow!("an imgadm manifest needs the SHA-1 of the image: give --image FILE"))?;
    let size = s.size.ok_or_else(|| anyhow!("no size: give --image FILE"))?;
    let compression = s.compression.ok_or_else(|| anyhow!("unknown compression: give --image FILE"))?;
    let manifest = imgadm::NewManifest {
        uuid: args
            .uuid
            .clone()
            .or(s.uuid)
            .map(|u| u.to_ascii_lowercase())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        name: args.name.clone().or(s.name).ok_or_else(|| anyhow!("no name: give --name"))?,
        version: args.tag.clone().or(s.version).ok_or_else(|| anyhow!("no version: give -t VERSION"))?,
        description: s.description,
        kind: args.kind.clone().or(s.kind).unwrap_or_else(|| "other".into()),
        os: args.os.clone().or(s.os.as_deref().map(imgadm_os)).unwrap_or_else(|| "bsd".into()),
        published_at: create::published_at(create::now_or(s.timestamp))?,
        file: imgadm::File { sha1, size, compression },
        origin: None,
        zvol: None,
    }
    .build();
    create::refuse_invalid(&imgadm::Manifest::from_value(manifest.clone()).validate())?;
    Ok(json::to_text(&manifest).into_bytes())
}

fn to_aci(s: Summary, args: &ConvertPlan) -> anyhow::Result<Vec<u8>> {
    let name = ac_name(&args.name.clone().or(s.name).ok_or_else(|| anyhow!("no name: give --name"))?);
    let mut labels = Vec::new();
    if let Some(v) = args.tag.clone().or(s.version) {
        labels.push(("version".to_string(), v));
    }
    let os = s.os.map(|o| if o == "bsd" { "freebsd".to_string() } else { o });
    if let Some(os) = os {
        labels.push(("os".into(), os));
    }
    if let Some(arch) = args.arch.clone().or(s.arch) {
        labels.push(("arch".into(), arch));
    }
    let mut annotations = Vec::new();
    if let Some(t) = s.timestamp {
        annotations.push(("created".to_string(), create::published_at(t)?));
    }
    let manifest =
        aci::NewManifest { name, labels, exec: s.exec, user: None, group: None, annotations }.build();
    create::refuse_invalid(&aci::validate(&manifest))?;
    Ok(json::to_text(&manifest).into_bytes())
}

pub fn convert(args: &ConvertPlan) -> anyhow::Result<Status> {
    let loaded = doc::load(&args.file, args.from)?;
    let name = loaded.name.clone();
    if let (Doc::Imgadm(v), Format::Imgadm) = (&loaded.doc, args.to) {
        // imgadm to imgadm: the v1 upgrade, every other field kept as it is.
        let upgraded =
            if imgadm::Manifest::from_value(v.clone()).is_v1() { imgadm::upgrade_v1(v) } else { v.clone() };
        doc::emit(args.output.as_deref(), json::to_text(&upgraded).as_bytes())?;
        return Ok(Status::Success);
    }
    let mut summary = match &loaded.doc {
        Doc::Ajspec(d) => from_ajspec(d, args),
        Doc::Imgadm(v) => Ok(from_imgadm(v)),
        Doc::Aci(v) => Ok(from_aci(v)),
        Doc::PotMeta(..) => Err(anyhow!("a pot .meta holds no image metadata to convert")),
        Doc::Oci(Kind::Config, v) => Ok(crate::oci::config_summary(v)),
        Doc::Oci(kind, _) => Err(anyhow!(
            "an OCI {} holds no image metadata to convert: give its config (the blob the \
             manifest's config.digest names)",
            kind.name()
        )),
    }
    .map_err(|e| e.context(name.clone()))?;
    if let Some(image) = &args.image {
        add_image(&mut summary, create::describe_image(image, &[Algorithm::Sha256, Algorithm::Sha1])?)?;
    }
    let data = match args.to {
        Format::Ajspec => to_ajspec(summary, args),
        Format::Imgadm => to_imgadm(summary, args),
        Format::Aci => to_aci(summary, args),
        Format::PotMeta => bail!("a pot .meta holds no image metadata: use new --format pot-meta"),
        Format::Oci(None | Some(Kind::Config)) => crate::oci::to_config(summary, args),
        Format::Oci(Some(kind)) => {
            bail!(
                "convert writes an OCI image config, not a {}: use --to oci or new --format oci",
                kind.name()
            )
        }
    }
    .map_err(|e| e.context(name))?;
    doc::emit(args.output.as_deref(), &data)?;
    Ok(Status::Success)
}
