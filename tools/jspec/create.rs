//! `new` (metadata for an image file) and `aci-id`.

use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use jcore::Status;
use jcore::codec::Format as Codec;
use jcore::digest::Algorithm;
use jcore::format::{aci, ajspec, imgadm, json, pot};
use jcore::io::Input;

use crate::doc;
use crate::plan::{Format, NewPlan};

/// What jspec learns from one pass over an image file.
pub struct ImageFacts {
    /// Lowercase hex digests, in the order asked for.
    pub digests: Vec<String>,
    pub size: u64,
    /// The compression found from the magic bytes (`None`: no known magic).
    pub compression: Option<Codec>,
}

/// Hashes an image with `algorithms` in one pass (one thread each) and sniffs its
/// compression.
pub fn describe_image(path: &Path, algorithms: &[Algorithm]) -> anyhow::Result<ImageFacts> {
    let mut input = Input::open(Some(path))?;
    let name = input.name().to_string();
    let mut head = vec![0u8; Codec::MAGIC_LEN];
    let got = jcore::io::read_full(&mut input, &mut head).map_err(|e| jcore::io::Error::new(&name, e))?;
    head.truncate(got);
    let mut whole = std::io::Read::chain(&head[..], &mut input);
    let (digests, size) =
        jcore::digest::hash_reader(&mut whole, algorithms).map_err(|e| jcore::io::Error::new(&name, e))?;
    let digests = digests.iter().map(|d| d.to_hex()).collect();
    Ok(ImageFacts { digests, size, compression: Codec::detect(&head) })
}

/// Unix seconds now, or the override.
pub fn now_or(timestamp: Option<i64>) -> i64 {
    timestamp.unwrap_or_else(|| jiff::Timestamp::now().as_second())
}

/// `YYYY-MM-DDTHH:MM:SSZ` (imgadm's published_at with no fraction).
pub fn published_at(seconds: i64) -> anyhow::Result<String> {
    let t = jiff::Timestamp::from_second(seconds).map_err(|e| anyhow!("timestamp {seconds}: {e}"))?;
    Ok(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn required<'a>(value: &'a Option<String>, flag: &str, format: &str) -> anyhow::Result<&'a str> {
    value.as_deref().ok_or_else(|| anyhow!("new --format {format} needs {flag}"))
}

fn image_path<'a>(args: &'a NewPlan, format: &str) -> anyhow::Result<&'a Path> {
    args.image.as_deref().ok_or_else(|| anyhow!("new --format {format} needs an IMAGE file"))
}

pub fn new(args: &NewPlan) -> anyhow::Result<Status> {
    match args.format {
        Format::Ajspec => new_ajspec(args),
        Format::Imgadm => new_imgadm(args),
        Format::Aci => new_aci(args),
        Format::PotMeta => {
            let meta = match &args.origin {
                Some(origin) => pot::Meta::parse(origin).map_err(|e| anyhow!("--origin {e}"))?,
                None => pot::Meta::Plain,
            };
            doc::emit(args.output.as_deref(), meta.to_line().as_bytes())?;
            Ok(Status::Success)
        }
        Format::Oci(_) => crate::oci::new(args),
    }
}

/// The rows `image export` writes for one tag/arch, checked (file key, value).
pub struct Block {
    pub tag: String,
    pub arch: String,
    pub name: String,
    pub timestamp: i64,
    pub sum: String,
    pub size: u64,
    pub sources: Vec<String>,
}

impl Block {
    pub fn check(&self) -> anyhow::Result<()> {
        let check = |key: String, value: &str| {
            ajspec::check_value(&key, value, false).map(|_| ()).map_err(|e| anyhow!(e))
        };
        check("tags".into(), &self.tag)?;
        check(format!("{}.arch", self.tag), &self.arch)?;
        check(format!("{}.name", self.tag), &self.name)?;
        for source in &self.sources {
            check(format!("{}.source.{}", self.tag, self.arch), source)?;
        }
        Ok(())
    }

    /// Adds or replaces the block in `d` as `appjail image export` plus the publisher's
    /// `source:ARCH+=` do: tag and arch appended when not listed, the scalars rewritten
    /// in place (or added at the end), sources replaced when given.
    pub fn apply(&self, d: &mut ajspec::Document) -> anyhow::Result<bool> {
        self.check()?;
        let (tag, arch) = (&self.tag, &self.arch);
        let mut changed = false;
        for (key, value) in [("tags".to_string(), tag.as_str()), (format!("{tag}.arch"), arch.as_str())] {
            changed |= if d.list(&key).is_empty() { d.update(&key, &[value]) } else { d.append(&key, value) };
        }
        let scalars = [
            (format!("{tag}.name"), self.name.clone()),
            (format!("{tag}.timestamp.{arch}"), self.timestamp.to_string()),
            (format!("{tag}.sum.{arch}"), self.sum.clone()),
            (format!("{tag}.size.{arch}"), self.size.to_string()),
        ];
        for (key, value) in &scalars {
            changed |= d.update(key, &[value.as_str()]);
        }
        if !self.sources.is_empty() {
            let sources: Vec<&str> = self.sources.iter().map(String::as_str).collect();
            changed |= d.update(&format!("{tag}.source.{arch}"), &sources);
        }
        Ok(changed)
    }
}

fn new_ajspec(args: &NewPlan) -> anyhow::Result<Status> {
    let image = image_path(args, "ajspec")?;
    let name = required(&args.name, "--name", "ajspec")?;
    let tag = required(&args.tag, "--tag", "ajspec")?;
    let arch = required(&args.arch, "--arch", "ajspec")?;
    // Values are checked before the image is read (it may be large) and before any write.
    let mut block = Block {
        tag: tag.into(),
        arch: arch.into(),
        name: name.into(),
        timestamp: now_or(args.timestamp),
        sum: String::new(),
        size: 0,
        sources: args.sources.clone(),
    };
    block.check()?;
    let mut loaded = match &args.update {
        Some(update) => Some(doc::load(update, Some(Format::Ajspec))?),
        None => None,
    };
    let facts = describe_image(image, &[Algorithm::Sha256])?;
    block.sum = facts.digests[0].clone();
    block.size = facts.size;
    if args.sources.is_empty() {
        eprintln!(
            "jspec: warning: no --source: AppJail needs at least one mirror (add it with \
             jspec set -t {tag} FILE source:{arch}+=URL)"
        );
    }
    if let (Some(update), Some(loaded)) = (&args.update, loaded.as_mut()) {
        let doc::Doc::Ajspec(d) = &mut loaded.doc else { unreachable!("loaded as ajspec") };
        let changed = block.apply(d).with_context(|| loaded.name.clone())?;
        doc::save(update, loaded, changed)?;
        return Ok(Status::Success);
    }
    let mut d = ajspec::Document::new();
    block.apply(&mut d)?;
    doc::emit(args.output.as_deref(), &d.to_bytes())?;
    Ok(Status::Success)
}

/// The imgadm compression name for a detected codec.
pub fn imgadm_compression(detected: Option<Codec>) -> anyhow::Result<&'static str> {
    match detected {
        None | Some(Codec::None) => Ok("none"),
        Some(Codec::Gzip) => Ok("gzip"),
        Some(Codec::Bzip2) => Ok("bzip2"),
        Some(Codec::Xz) => Ok("xz"),
        Some(other) => bail!("the image is {other}-compressed: imgadm installs only gzip, bzip2, xz or none"),
    }
}

/// The compression to record: `given` (checked against the magic bytes, imgadm R5) or
/// the detected one.
pub fn choose_compression(given: Option<&str>, facts: &ImageFacts) -> anyhow::Result<String> {
    let detected = imgadm_compression(facts.compression)?;
    match given {
        None => Ok(detected.to_string()),
        Some(c) if !imgadm::COMPRESSIONS.contains(&c) => {
            bail!("--compression {c}: must be one of {}", imgadm::COMPRESSIONS.join(", "))
        }
        Some(c) if c != detected && !(c == "none" && facts.compression.is_none()) => {
            bail!("--compression {c} contradicts the image's magic bytes ({detected})")
        }
        Some(c) => Ok(c.to_string()),
    }
}

fn new_imgadm(args: &NewPlan) -> anyhow::Result<Status> {
    let image = image_path(args, "imgadm")?;
    let zvol = args.zvol.clone();
    // imgadm would install a zvol image without them, but IMGAPI (dc mode) refuses it and
    // a VM cannot be made from it: jspec writes only complete zvol manifests.
    if args.kind.as_deref() == Some("zvol") && zvol.is_none() {
        bail!("zvol images need all of --nic-driver, --disk-driver, --cpu-type and --image-size");
    }
    let mut manifest = imgadm::NewManifest {
        uuid: match &args.uuid {
            Some(u) => u.to_ascii_lowercase(),
            None => uuid::Uuid::new_v4().to_string(),
        },
        name: required(&args.name, "--name", "imgadm")?.into(),
        version: required(&args.version, "--version", "imgadm")?.into(),
        description: args.description.clone(),
        kind: required(&args.kind, "--type", "imgadm")?.into(),
        os: required(&args.os, "--os", "imgadm")?.into(),
        published_at: published_at(now_or(args.timestamp))?,
        // Stands in until the image is read: the other fields are checked first.
        file: imgadm::File { sha1: "0".repeat(40), size: 1, compression: "none".into() },
        origin: args.origin.clone(),
        zvol,
    };
    refuse_invalid(&imgadm::Manifest::from_value(manifest.build()).validate())?;
    let facts = describe_image(image, &[Algorithm::Sha1])?;
    let compression = choose_compression(args.compression.as_deref(), &facts)?;
    manifest.file = imgadm::File { sha1: facts.digests[0].clone(), size: facts.size, compression };
    let manifest = manifest.build();
    refuse_invalid(&imgadm::Manifest::from_value(manifest.clone()).validate())?;
    doc::emit(args.output.as_deref(), json::to_text(&manifest).as_bytes())?;
    Ok(Status::Success)
}

/// New documents must validate: the first problem is the error.
pub fn refuse_invalid(report: &jcore::format::Report) -> anyhow::Result<()> {
    if let Some(p) = report.problems.first() {
        bail!("{p}");
    }
    Ok(())
}

fn new_aci(args: &NewPlan) -> anyhow::Result<Status> {
    let labels = args
        .labels
        .iter()
        .map(|l| l.split_once('=').map(|(n, v)| (n.to_string(), v.to_string())))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| anyhow!("--label: expected NAME=VALUE"))?;
    let manifest = aci::NewManifest {
        name: required(&args.name, "--name", "aci")?.into(),
        labels,
        exec: args.exec.clone(),
        user: args.user.clone(),
        group: args.group.clone(),
        annotations: Vec::new(),
    }
    .build();
    refuse_invalid(&aci::validate(&manifest))?;
    doc::emit(args.output.as_deref(), json::to_text(&manifest).as_bytes())?;
    Ok(Status::Success)
}

pub fn aci_id(path: &Path) -> anyhow::Result<Status> {
    let input = Input::open(Some(path))?;
    let name = input.name().to_string();
    // The image ID is the SHA-512 of the uncompressed tar, whatever the ACI's compression:
    // decode any format jcore knows, and take data with no magic as the tar itself.
    let reader = BufReader::with_capacity(jcore::io::BUFFER_SIZE, input);
    let decoder = jcore::codec::Decoder::pass_through(reader).map_err(|e| jcore::io::Error::new(&name, e))?;
    let id = aci::image_id(decoder).map_err(|e| jcore::io::Error::new(&name, e))?;
    let mut out = jcore::io::Output::stdout();
    std::io::Write::write_all(&mut out, format!("{id}\n").as_bytes())
        .map_err(|e| jcore::io::Error::new("stdout", e))?;
    out.commit()?;
    Ok(Status::Success)
}
