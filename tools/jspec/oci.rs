//! OCI images in jspec: `info` of the four documents, `validate` of a whole image layout
//! directory or archive, and `new --format oci` (a layout or archive from layer files). The
//! formats themselves are jcore's ([`jcore::oci`]); this module only puts them on the command
//! line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use jcore::Status;
use jcore::codec::Format as Codec;
use jcore::format::{Problem, Report};
use jcore::oci::build::{self, ImageSpec, describe_layer, looks_like_tar};
use jcore::oci::layout::{self, Layout, MAX_JSON_BLOB};
use jcore::oci::{self, Descriptor, ImageConfig, Index, Kind, Manifest};
use serde_json::Value;

use crate::plan::{Format, NewPlan};
use crate::report::print_report;

fn strings(v: &Value, pointer: &str) -> Vec<String> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).collect())
        .unwrap_or_default()
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
}

fn keys(v: &Value, pointer: &str) -> Vec<String> {
    v.pointer(pointer).and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

fn platform_of(v: &Value) -> Option<String> {
    let p = v.get("platform")?;
    let mut s = format!("{}/{}", text(p, "/os")?, text(p, "/architecture")?);
    if let Some(variant) = text(p, "/variant") {
        let _ = write!(s, "/{variant}");
    }
    Some(s)
}

/// The summary `jspec info` prints for an OCI document, like `skopeo inspect` does for an
/// image: platform, created, the command, layers with sizes, the index's images.
pub fn info(kind: Kind, v: &Value) -> String {
    let mut out = String::new();
    let row = |out: &mut String, key: &str, value: &str| {
        let _ = writeln!(out, "{:<14}{value}", format!("{key}:"));
    };
    row(&mut out, "type", kind.name());
    match kind {
        Kind::Config => {
            let mut platform = format!(
                "{}/{}",
                text(v, "/os").unwrap_or_else(|| "?".into()),
                text(v, "/architecture").unwrap_or_else(|| "?".into())
            );
            if let Some(variant) = text(v, "/variant") {
                let _ = write!(platform, "/{variant}");
            }
            row(&mut out, "platform", &platform);
            for (key, pointer) in
                [("os.version", "/os.version"), ("created", "/created"), ("author", "/author")]
            {
                if let Some(value) = text(v, pointer) {
                    row(&mut out, key, &value);
                }
            }
            for (key, field) in [("entrypoint", "Entrypoint"), ("cmd", "Cmd"), ("env", "Env")] {
                let values = strings(v, &format!("/config/{field}"));
                if !values.is_empty() {
                    row(&mut out, key, &values.join(" "));
                }
            }
            for (key, field) in [("user", "User"), ("workdir", "WorkingDir"), ("stop signal", "StopSignal")] {
                if let Some(value) = text(v, &format!("/config/{field}")) {
                    row(&mut out, key, &value);
                }
            }
            for (key, field) in [("ports", "ExposedPorts"), ("volumes", "Volumes")] {
                let values = keys(v, &format!("/config/{field}"));
                if !values.is_empty() {
                    row(&mut out, key, &values.join(" "));
                }
            }
            if let Some(labels) = v.pointer("/config/Labels").and_then(Value::as_object) {
                for (k, value) in labels {
                    row(&mut out, "label", &format!("{k}={}", value.as_str().unwrap_or("?")));
                }
            }
            let diff_ids = strings(v, "/rootfs/diff_ids");
            row(&mut out, "layers", &diff_ids.len().to_string());
            for d in diff_ids {
                row(&mut out, "diff_id", &d);
            }
        }
        Kind::Manifest => {
            if let Some(m) = text(v, "/mediaType") {
                row(&mut out, "mediaType", &m);
            }
            if let (Some(d), Some(s)) = (text(v, "/config/digest"), text(v, "/config/size")) {
                row(&mut out, "config", &format!("{d} ({s} bytes)"));
            }
            let layers = v.get("layers").and_then(Value::as_array).cloned().unwrap_or_default();
            let total: u64 = layers.iter().filter_map(|l| l.get("size").and_then(Value::as_u64)).sum();
            row(&mut out, "layers", &format!("{} ({total} bytes)", layers.len()));
            for l in &layers {
                let line = format!(
                    "{} {} bytes {}",
                    text(l, "/digest").unwrap_or_default(),
                    text(l, "/size").unwrap_or_default(),
                    text(l, "/mediaType").unwrap_or_default()
                );
                row(&mut out, "layer", &line);
            }
            annotations(&mut out, v);
        }
        Kind::Index => {
            let manifests = v.get("manifests").and_then(Value::as_array).cloned().unwrap_or_default();
            row(&mut out, "manifests", &manifests.len().to_string());
            for m in &manifests {
                let mut line = text(m, "/digest").unwrap_or_default();
                if let Some(p) = platform_of(m) {
                    let _ = write!(line, " {p}");
                }
                if let Some(name) = m.pointer("/annotations").and_then(|a| a.get(oci::ANNOTATION_REF_NAME)) {
                    let _ = write!(line, " {}", name.as_str().unwrap_or("?"));
                }
                row(&mut out, "manifest", &line);
            }
            annotations(&mut out, v);
        }
        Kind::Layout => {
            row(&mut out, "version", &text(v, "/imageLayoutVersion").unwrap_or_default());
        }
    }
    out
}

fn annotations(out: &mut String, v: &Value) {
    if let Some(map) = v.get("annotations").and_then(Value::as_object) {
        for (k, value) in map {
            let _ = writeln!(out, "{:<14}{k}={}", "annotation:", value.as_str().unwrap_or("?"));
        }
    }
}

/// `info DIR` of an image layout: each image of index.json with its ref.name, platform,
/// created time, command and layers (manifest and config read and verified, layers not).
pub fn layout_info(root: &Path) -> anyhow::Result<String> {
    let layout = Layout::open(root)?;
    let mut out = String::new();
    let _ = writeln!(out, "{:<14}{}", "layout:", root.display());
    let _ = writeln!(out, "{:<14}{}", "images:", layout.index.manifests.len());
    for descriptor in &layout.index.manifests {
        let _ = writeln!(out, "[{}]", descriptor.ref_name().unwrap_or(&descriptor.digest));
        let image = match layout.resolve(Some(&descriptor.digest), None) {
            Ok(image) => image,
            Err(e) => {
                let _ = writeln!(out, "  {e}");
                continue;
            }
        };
        let c = &image.config;
        let row = |out: &mut String, key: &str, value: &str| {
            let _ = writeln!(out, "  {:<12}{value}", format!("{key}:"));
        };
        row(&mut out, "manifest", &image.manifest_descriptor.digest);
        let mut platform = format!("{}/{}", c.os, c.architecture);
        if let Some(v) = &c.variant {
            let _ = write!(platform, "/{v}");
        }
        row(&mut out, "platform", &platform);
        if let Some(created) = &c.created {
            row(&mut out, "created", created);
        }
        if let Some(run) = &c.config {
            let command: Vec<&str> = run.entrypoint.iter().chain(&run.cmd).map(String::as_str).collect();
            if !command.is_empty() {
                row(&mut out, "command", &command.join(" "));
            }
        }
        let total: u64 = image.layers().iter().map(|l| l.size).sum();
        row(&mut out, "layers", &format!("{} ({total} bytes)", image.layers().len()));
        for l in image.layers() {
            row(&mut out, "layer", &format!("{} {} bytes {}", l.digest, l.size, l.media_type));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// validate: layouts and archives

/// `validate` of an image layout directory or an OCI archive: `None` when `path` is neither
/// (a document, read by the caller). An archive is a file whose first bytes are a
/// compression's magic or a tar header: no metadata document starts like that.
pub fn validate_image(path: &Path, format: Option<Format>) -> anyhow::Result<Option<Status>> {
    if jcore::io::is_std(Some(path)) || !matches!(format, None | Some(Format::Oci(None))) {
        return Ok(None);
    }
    let name = path.display().to_string();
    let Ok(meta) = fs::metadata(path) else { return Ok(None) };
    if meta.is_dir() {
        let report = check_layout(path);
        return print_report(&name, "OCI image layout", &report).map(Some);
    }
    let mut head = vec![0u8; 512];
    let mut file = fs::File::open(path).map_err(|e| jcore::io::Error::new(&name, e))?;
    let got = jcore::io::read_full(&mut file, &mut head).map_err(|e| jcore::io::Error::new(&name, e))?;
    head.truncate(got);
    if Codec::detect(&head).is_none() && !looks_like_tar(&head) {
        return Ok(None);
    }
    // The archive is extracted into a private directory that goes when this returns.
    let scratch = jcore::io::AtomicDir::create(
        &std::env::temp_dir().join(format!("jspec-validate-{}", std::process::id())),
    )?;
    let root = scratch.path().join("layout");
    let report = match layout::extract_archive(path, &root) {
        Ok(()) => check_layout(&root),
        Err(e) if e.invalid => {
            Report { problems: vec![Problem::new("", e.to_string())], ..Report::default() }
        }
        Err(e) => return Err(e.into()),
    };
    print_report(&name, "OCI archive", &report).map(Some)
}

/// Reads and validates one of the layout's own files: every problem at `FILE:FIELD` (or
/// `FILE:LINE:COL` for malformed JSON). Whether it is valid.
fn check_document(root: &Path, file: &str, kind: Kind, report: &mut Report) -> bool {
    let path = root.join(file);
    let mut bytes = Vec::new();
    let read = fs::File::open(&path).and_then(|f| f.take(MAX_JSON_BLOB + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        report.problems.push(Problem::new(file, format!("{e} (an image layout must have it)")));
        return false;
    }
    let value = match layout::parse_value(&bytes) {
        Ok(v) => v,
        Err(e) => {
            report.problems.push(Problem::new(format!("{file}:{}:{}", e.line, e.column), e.message));
            return false;
        }
    };
    let at = |loc: &str| if loc.is_empty() { file.to_string() } else { format!("{file}:{loc}") };
    let r = oci::validate::validate(kind, &value);
    for p in &r.problems {
        report.problems.push(Problem::new(at(&p.location), p.message.clone()));
    }
    for w in &r.warnings {
        report.warnings.push(Problem::new(at(&w.location), w.message.clone()));
    }
    r.is_valid()
}

/// Everything `validate DIR` checks: `oci-layout` and `index.json` as documents, then every
/// image reachable from the index with each blob's size and digest ([`Layout::check`]), and
/// each layer's diff_id (the digest of the decoded tar) against the config.
fn check_layout(root: &Path) -> Report {
    let mut report = Report::default();
    let layout_ok = check_document(root, "oci-layout", Kind::Layout, &mut report);
    let index_ok = check_document(root, "index.json", Kind::Index, &mut report);
    if !(layout_ok && index_ok) {
        return report;
    }
    let layout = match Layout::open(root) {
        Ok(l) => l,
        Err(e) => {
            report.problems.push(Problem::new("", e.to_string()));
            return report;
        }
    };
    let checked = layout.check();
    report.problems.extend(checked.problems);
    report.warnings.extend(checked.warnings);
    if report.is_valid() {
        // Only once every blob verified: the diff_ids are a second, slower look.
        for (at, descriptor) in layout.index.manifests.iter().enumerate() {
            check_diff_ids(&layout, &format!("index.json manifests.{at}"), descriptor, 0, &mut report);
        }
    }
    report
}

fn check_diff_ids(layout: &Layout, at: &str, descriptor: &Descriptor, depth: usize, report: &mut Report) {
    let Ok(bytes) = layout.read_blob(descriptor) else { return };
    match descriptor.media_type.as_str() {
        oci::MEDIA_TYPE_INDEX | oci::MEDIA_TYPE_DOCKER_LIST if depth < 4 => {
            let Ok(index) = serde_json::from_slice::<Index>(&bytes) else { return };
            for (i, d) in index.manifests.iter().enumerate() {
                check_diff_ids(layout, &format!("{at} manifests.{i}"), d, depth + 1, report);
            }
        }
        oci::MEDIA_TYPE_MANIFEST | oci::MEDIA_TYPE_DOCKER_MANIFEST => {
            warnings(at, descriptor, Kind::Manifest, &bytes, report);
            let Ok(manifest) = serde_json::from_slice::<Manifest>(&bytes) else { return };
            let Ok(config_bytes) = layout.read_blob(&manifest.config) else { return };
            warnings(at, &manifest.config, Kind::Config, &config_bytes, report);
            let Ok(mut config_value) = layout::parse_value(&config_bytes) else { return };
            // As Go reads it (FreeBSD's images write "cmd"): the warning above says so.
            if let Some(Value::Object(run)) = config_value.get_mut("config") {
                oci::fold_keys_as_go(run, oci::RUN_CONFIG_FIELDS);
            }
            let Ok(config) = serde_json::from_value::<ImageConfig>(config_value) else { return };
            for (i, layer) in manifest.layers.iter().enumerate() {
                let tar_layer = layer.media_type.starts_with("application/vnd.oci.image.layer.")
                    || layer.media_type.starts_with("application/vnd.docker.image.rootfs.");
                let Ok(path) = layout.blob_path(&layer.digest) else { continue };
                if !tar_layer || !path.exists() {
                    continue;
                }
                let blob = format!("blobs/{}", layer.digest.replacen(':', "/", 1));
                match describe_layer(&path) {
                    Ok(described) => {
                        if config.rootfs.diff_ids.get(i) != Some(&described.diff_id) {
                            report.problems.push(Problem::new(
                                at,
                                format!(
                                    "{blob}: diff_id mismatch: the decoded layer is {}, the config's \
                                     rootfs.diff_ids.{i} says {}",
                                    described.diff_id,
                                    config.rootfs.diff_ids.get(i).map_or("nothing", String::as_str)
                                ),
                            ));
                        }
                    }
                    Err(e) => report.problems.push(Problem::new(at, format!("{blob}: {}", e.message))),
                }
            }
        }
        _ => {}
    }
}

/// The validator's warnings about a blob [`Layout::check`] found valid (it keeps only
/// problems): a layer type runtimes may not unpack, a key Go reads case-insensitively.
fn warnings(at: &str, descriptor: &Descriptor, kind: Kind, bytes: &[u8], report: &mut Report) {
    let Ok(value) = layout::parse_value(bytes) else { return };
    let blob = format!("blobs/{}", descriptor.digest.replacen(':', "/", 1));
    for w in oci::validate::validate(kind, &value).warnings {
        report.warnings.push(Problem::new(at, format!("{blob}:{}: {}", w.location, w.message)));
    }
}

// ---------------------------------------------------------------------------------------
// new --format oci

fn pairs(items: &[String], flag: &str) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow!("{flag} '{item}': expected KEY=VALUE"))
        })
        .collect()
}

/// The compression of an archive `-o FILE`: `--compression`, else FILE's extension
/// (`.txz`, `.tar.gz`, …), else none.
fn archive_codec(given: Option<&str>, output: &Path) -> anyhow::Result<Codec> {
    if let Some(name) = given {
        return Codec::from_name(name).ok_or_else(|| anyhow!("--compression {name}: unknown codec"));
    }
    let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(Codec::from_name(ext).unwrap_or(Codec::None))
}

pub fn new(plan: &NewPlan) -> anyhow::Result<Status> {
    let o = &plan.oci;
    let output = plan.output.as_deref().ok_or_else(|| {
        anyhow!("new --format oci needs -o DIR (a new layout directory) or --archive -o FILE")
    })?;
    if o.layers.is_empty() {
        bail!("new --format oci needs the layer files (tars, plain or compressed), base first");
    }
    if fs::symlink_metadata(output).is_ok() {
        bail!("{}: already exists", output.display());
    }
    let created = match plan.timestamp {
        Some(t) => Some(t),
        None => build::created_from_env()?,
    };
    let spec = ImageSpec {
        os: plan.os.clone(),
        architecture: plan.arch.clone(),
        variant: o.variant.clone(),
        os_version: o.os_version.clone(),
        created,
        author: o.author.clone(),
        user: plan.user.clone(),
        env: o.env.clone(),
        entrypoint: o.entrypoint.clone(),
        cmd: o.cmd.clone(),
        working_dir: o.workdir.clone(),
        exposed_ports: o.ports.clone(),
        volumes: o.volumes.clone(),
        stop_signal: o.stop_signal.clone(),
        labels: pairs(&plan.labels, "--label")?,
        annotations: pairs(&o.annotations, "--annotation")?,
        created_by: o.created_by.clone(),
        ref_name: o.ref_name.clone(),
    };
    let codec = if o.archive { Some(archive_codec(plan.compression.as_deref(), output)?) } else { None };
    // The document fields are checked before any layer is read (they may be large).
    let placeholder = build::Layer {
        path: PathBuf::new(),
        descriptor: Descriptor::of_bytes(oci::MEDIA_TYPE_LAYER, b""),
        diff_id: oci::sha256_digest(b""),
        format: Codec::None,
    };
    build::build_image(&spec, std::slice::from_ref(&placeholder))?;
    // Layers compressed here are written beside the output first (the same file system, so
    // the layout's copy is cheap) and removed with the scratch directory.
    let scratch = match &o.layer_compression {
        Some(_) => Some(jcore::io::AtomicDir::create(output)?),
        None => None,
    };
    let layers = match (&o.layer_compression, &scratch) {
        (Some(name), Some(scratch)) => {
            let codec =
                Codec::from_name(name).ok_or_else(|| anyhow!("--layer-compression {name}: unknown codec"))?;
            if o.layers.iter().filter(|l| l.as_os_str() == "-").count() > 1 {
                bail!("-: standard input can be one layer only");
            }
            let threads = jcore::threads::resolve(None);
            let mut layers = Vec::new();
            for (i, path) in o.layers.iter().enumerate() {
                let blob = scratch.path().join(format!("layer{i}"));
                let layer = if path.as_os_str() == "-" {
                    if std::io::stdin().is_terminal() {
                        bail!("-: refusing to read a layer from a terminal");
                    }
                    build::compress_layer("-", std::io::stdin().lock(), codec, None, threads, &blob)?
                } else {
                    let name = path.display().to_string();
                    let file = fs::File::open(path).map_err(|e| jcore::io::Error::new(&name, e))?;
                    build::compress_layer(&name, file, codec, None, threads, &blob)?
                };
                layers.push(layer);
            }
            layers
        }
        _ => o.layers.iter().map(|l| describe_layer(l)).collect::<Result<Vec<_>, _>>()?,
    };
    let image = build::build_image(&spec, &layers)?;
    match codec {
        None => layout::write_layout(output, &image, &layers)?,
        Some(codec) => {
            // The layout is made in a private directory beside the archive, then archived.
            let scratch = jcore::io::AtomicDir::create(output)?;
            let dir = scratch.path().join("layout");
            layout::write_layout(&dir, &image, &layers)?;
            layout::write_archive(&dir, output, codec, None)?;
        }
    }
    Ok(Status::Success)
}

// ---------------------------------------------------------------------------------------
// convert: OCI image config ↔ the other formats

/// The labels that carry the other formats' name, version and description
/// (annotations.md's keys, which Docker and buildah also write as config labels).
const LABEL_TITLE: &str = "org.opencontainers.image.title";
const LABEL_VERSION: &str = "org.opencontainers.image.version";
const LABEL_DESCRIPTION: &str = "org.opencontainers.image.description";

/// The architecture as FreeBSD (`uname -p`) names it, which .ajspec and ACI labels use:
/// Go's `arm64` → `aarch64`, `386` → `i386`; others unchanged.
fn freebsd_architecture(go: &str) -> String {
    match go {
        "arm64" => "aarch64".into(),
        "386" => "i386".into(),
        other => other.into(),
    }
}

/// What an OCI image config says that the other formats hold: os, architecture (FreeBSD's
/// name), created, Entrypoint and Cmd (as one command), and the title, version and
/// description labels. The rest has no place in them and is named in a warning.
pub fn config_summary(v: &Value) -> crate::convert::Summary {
    let mut v = v.clone();
    if let Some(Value::Object(run)) = v.get_mut("config") {
        oci::fold_keys_as_go(run, oci::RUN_CONFIG_FIELDS);
    }
    let label = |k: &str| {
        v.pointer("/config/Labels").and_then(|l| l.get(k)).and_then(Value::as_str).map(str::to_string)
    };
    let mut exec = strings(&v, "/config/Entrypoint");
    exec.extend(strings(&v, "/config/Cmd"));
    let mut dropped = Vec::new();
    if let Some(run) = v.get("config").and_then(Value::as_object) {
        for (key, value) in run {
            let empty = value.is_null()
                || value.as_array().is_some_and(Vec::is_empty)
                || value.as_object().is_some_and(|o| o.is_empty());
            if empty || ["Entrypoint", "Cmd"].contains(&key.as_str()) {
                continue;
            }
            if key == "Labels" {
                for l in value.as_object().into_iter().flat_map(|m| m.keys()) {
                    if ![LABEL_TITLE, LABEL_VERSION, LABEL_DESCRIPTION].contains(&l.as_str()) {
                        dropped.push(format!("config.Labels.{l}"));
                    }
                }
            } else {
                dropped.push(format!("config.{key}"));
            }
        }
    }
    for key in ["rootfs", "history", "author", "variant", "os.version"] {
        if v.get(key).is_some() {
            dropped.push(key.to_string());
        }
    }
    if !dropped.is_empty() {
        eprintln!("jspec: warning: not carried over (no place in the target): {}", dropped.join(", "));
    }
    crate::convert::Summary {
        name: label(LABEL_TITLE),
        version: label(LABEL_VERSION),
        description: label(LABEL_DESCRIPTION),
        arch: text(&v, "/architecture").map(|a| freebsd_architecture(&a)),
        os: text(&v, "/os"),
        timestamp: text(&v, "/created")
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second()),
        exec,
        ..Default::default()
    }
}

/// The GOOS for an imgadm or ACI os name.
fn go_os(os: &str) -> String {
    match os {
        "bsd" => "freebsd".into(),
        "smartos" => "illumos".into(),
        other => other.into(),
    }
}

/// An OCI image config from what another format says: os and architecture (Go's names),
/// created, the command as Cmd, name/version/description as the org.opencontainers.image
/// labels, and with `--image LAYER` the layer's diff_id. The image file's digests, size,
/// compression and mirrors belong to a manifest, not a config: named in a warning.
pub fn to_config(s: crate::convert::Summary, args: &crate::plan::ConvertPlan) -> anyhow::Result<Vec<u8>> {
    let arch = args.arch.clone().or(s.arch).ok_or_else(|| anyhow!("no architecture: give -a ARCH"))?;
    let os =
        args.os.clone().map(|o| go_os(&o)).or(s.os.map(|o| go_os(&o))).unwrap_or_else(|| "freebsd".into());
    let mut dropped = Vec::new();
    // With --image the digests and size are the layer's, computed here: not the source's.
    let from_source = args.image.is_none();
    for (present, what) in [
        (from_source && (s.sha256.is_some() || s.sha1.is_some()), "the image's digests"),
        (from_source && s.size.is_some(), "its size"),
        (!s.sources.is_empty(), "its mirrors"),
        (s.uuid.is_some(), "the uuid"),
        (s.kind.is_some(), "the imgadm type"),
    ] {
        if present {
            dropped.push(what);
        }
    }
    if !dropped.is_empty() {
        eprintln!(
            "jspec: warning: not carried over: {} (they belong in a manifest: jspec new --format oci)",
            dropped.join(", ")
        );
    }
    let diff_ids = match &args.image {
        Some(layer) => vec![describe_layer(layer)?.diff_id],
        None => {
            eprintln!("jspec: warning: no --image LAYER: rootfs.diff_ids is empty");
            Vec::new()
        }
    };
    let mut labels = BTreeMap::new();
    for (key, value) in [
        (LABEL_TITLE, args.name.clone().or(s.name)),
        (LABEL_VERSION, args.tag.clone().or(s.version)),
        (LABEL_DESCRIPTION, s.description),
    ] {
        if let Some(value) = value {
            labels.insert(key.to_string(), value);
        }
    }
    let (architecture, variant) = oci::go_architecture(&arch);
    let config = ImageConfig {
        created: s.timestamp.map(build::rfc3339).transpose()?,
        architecture: architecture.to_string(),
        os,
        variant: variant.map(str::to_string),
        config: Some(oci::RunConfig { cmd: s.exec, labels, ..Default::default() }),
        rootfs: oci::RootFs { kind: "layers".into(), diff_ids, ..Default::default() },
        ..Default::default()
    };
    let report = oci::validate::validate(Kind::Config, &serde_json::to_value(&config)?);
    crate::create::refuse_invalid(&report)?;
    Ok(oci::to_canonical_json(&config))
}
