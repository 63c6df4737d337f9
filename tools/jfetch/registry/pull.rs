//! Pull: the manifest named by the reference (an index resolved to one platform), its
//! config and layers, into a new OCI image layout.
//!
//! Manifests are small (at most [`MAX_JSON_BLOB`]) and read whole; their digest is checked
//! against the one they were asked by (a child of an index), or against the registry's
//! `Docker-Content-Digest` when asked by tag. A Docker v2 manifest is converted to OCI as
//! skopeo converts it ([`jcore::oci::docker`]): the layout's manifest and config digests are
//! then skopeo's, not the registry's. Blobs go through [`Fetcher`]: every mirror is a source, the
//! one that served the manifest first. The layout is built beside the target and renamed
//! in at the end, after [`Layout::open`] and [`Layout::resolve`] read it back: on any error
//! nothing is left.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, anyhow, bail};
use jcore::digest::{Algorithm, Expected};
use jcore::exit::StatusError;
use jcore::io::{AtomicDir, AtomicFile};
use jcore::oci::layout::{Layout, MAX_JSON_BLOB, blob_relative_path};
use jcore::oci::*;
use serde_json::{Value, json};

use super::session::{Payload, Session, Settings, failure, header};
use super::{Job, Mode, Reference, Target, all_failed, message};
use crate::fetch::{Fetcher, Plan, Report, Sink};
use crate::source::{Access, Body, OpenError, Origin, Source, into_body};

/// Every manifest type jfetch reads, for `Accept`.
pub const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// One registry holding the image.
pub struct Mirror {
    /// As given.
    pub reference: Reference,
    /// Its session.
    pub session: Rc<Session>,
}

/// A manifest or index as served.
pub struct Document {
    /// The bytes, as the digest covers them.
    pub bytes: Vec<u8>,
    /// Its media type (its `mediaType` field, else the Content-Type).
    pub media_type: String,
    /// Its digest.
    pub digest: String,
}

/// Sessions for the references, with the scopes a pull needs.
pub fn mirrors(
    job: &Job,
    access: &Access,
    references: &[Reference],
    push: bool,
) -> anyhow::Result<Vec<Mirror>> {
    let settings = Settings {
        plain_http: job.plain_http,
        retries: job.retries,
        retry_max_time: job.retry_max_time,
        quiet: job.quiet,
    };
    if !job.plain_http {
        access.client.check_trust()?;
    }
    references
        .iter()
        .map(|r| {
            let actions = if push { "pull,push" } else { "pull" };
            let scopes = vec![format!("repository:{}:{actions}", r.repository)];
            let session =
                Session::new(access, &r.host, &r.repository, r.credentials.as_ref(), scopes, &settings)?;
            Ok(Mirror { reference: r.clone(), session: Rc::new(session) })
        })
        .collect()
}

/// Pulls into a new layout; the JSON record of what was pulled.
pub fn pull(job: &Job, access: &Access) -> anyhow::Result<Value> {
    let Mode::Pull { references, output, platform } = &job.mode else { unreachable!("a pull job") };
    let name = output.display().to_string();
    if fs::symlink_metadata(output).is_ok() {
        bail!("{name}: already exists (the layout is created; give a new directory)");
    }
    let mirrors = mirrors(job, access, references, false)?;
    // The top manifest from the first registry that serves it.
    let mut failures = Vec::new();
    let mut found = None;
    for (i, mirror) in mirrors.iter().enumerate() {
        let target = mirror.reference.target.as_str();
        let expected = match &mirror.reference.target {
            Target::Digest(d) => Some(d.as_str()),
            Target::Tag(_) => None,
        };
        match fetch_manifest(access, mirror, target, expected, None) {
            Ok(document) => {
                found = Some((i, document));
                break;
            }
            Err(e) => {
                if i + 1 < mirrors.len() && !job.quiet {
                    eprintln!("jfetch: {}: {}; trying the next source", mirror.reference, message(&e));
                }
                failures.push((mirror.reference.to_string(), e));
            }
        }
    }
    let Some((first, top)) = found else { return Err(all_failed(failures)) };
    let mut order: Vec<&Mirror> = vec![&mirrors[first]];
    order.extend(mirrors.iter().enumerate().filter(|(i, _)| *i != first).map(|(_, m)| m));
    let served_by = &mirrors[first].reference;
    let (document, chosen_platform) = if is_index(&top.media_type) {
        let index = parse_index(&format!("{served_by}: index"), &top.bytes)?;
        let chosen = choose(&index, platform).map_err(|e| anyhow!("{served_by}: {e}"))?;
        let document = from_mirrors(job, &order, |m| {
            fetch_manifest(access, m, &chosen.digest, Some(&chosen.digest), Some(chosen.size))
        })?;
        (document, chosen.platform.clone())
    } else {
        (top, None)
    };
    if is_index(&document.media_type) {
        bail!("{served_by}: the index for {platform} names another index; jfetch resolves one level");
    }
    let manifest = parse_manifest(&format!("{served_by}: manifest {}", document.digest), &document.bytes)?;

    let dir = AtomicDir::create(output).map_err(anyhow::Error::from)?;
    let io_err = |e: std::io::Error| jcore::io::Error::new(&name, e);
    fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).map_err(io_err)?;
    fs::create_dir_all(dir.path().join("blobs/sha256")).map_err(io_err)?;
    let mut blobs = vec![manifest.config.clone()];
    blobs.extend(manifest.layers.iter().cloned());
    let mut bytes = document.bytes.len() as u64;
    let mut count = 1;
    for blob in &blobs {
        let relative = blob_relative_path(&blob.digest)
            .map_err(|e| negative_if(e.invalid, format!("{served_by}: {e}")))?;
        if dir.path().join(&relative).exists() {
            continue; // the same blob twice
        }
        fetch_blob(job, access, &order, blob, &dir.path().join(&relative))?;
        bytes += blob.size;
        count += 1;
    }
    // A Docker v2 manifest becomes an OCI one, as `skopeo copy docker://… oci:…` converts it
    // (an OCI layout with Docker media types is read by none of the OCI tools); the served
    // manifest and config are not kept, the layers are the same blobs.
    let served = (document.media_type == MEDIA_TYPE_DOCKER_MANIFEST)
        .then(|| json!({ "media_type": document.media_type, "digest": document.digest }));
    let document = if served.is_some() {
        if manifest.config.size > MAX_JSON_BLOB {
            return Err(negative_if(true, format!("{served_by}: config larger than {MAX_JSON_BLOB} bytes")));
        }
        let config_path = dir.path().join(blob_relative_path(&manifest.config.digest)?);
        let config = fs::read(&config_path).map_err(io_err)?;
        let converted = jcore::oci::docker::convert(&manifest, &config)
            .map_err(|e| negative_if(true, format!("{served_by}: manifest {}: {e}", document.digest)))?;
        if !manifest.layers.iter().any(|l| l.digest == manifest.config.digest) {
            fs::remove_file(&config_path).map_err(io_err)?;
        }
        let config_digest = sha256_digest(&converted.config);
        write_blob(dir.path(), &config_digest, &converted.config)?;
        Document {
            digest: sha256_digest(&converted.manifest),
            bytes: converted.manifest,
            media_type: MEDIA_TYPE_MANIFEST.to_string(),
        }
    } else {
        document
    };
    write_blob(dir.path(), &document.digest, &document.bytes)?;
    let mut entry = Descriptor {
        media_type: document.media_type.clone(),
        digest: document.digest.clone(),
        size: document.bytes.len() as u64,
        platform: chosen_platform,
        ..Descriptor::default()
    };
    if let Target::Tag(tag) = &served_by.target {
        entry.annotations.insert(ANNOTATION_REF_NAME.to_string(), tag.clone());
    }
    let index = Index {
        schema_version: 2,
        media_type: MEDIA_TYPE_INDEX.to_string(),
        manifests: vec![entry],
        ..Index::default()
    };
    fs::write(dir.path().join("index.json"), to_canonical_json(&index)).map_err(io_err)?;
    fs::write(dir.path().join("oci-layout"), to_canonical_json(&OciLayout::default())).map_err(io_err)?;
    // Read back as any consumer would: the manifest, the config and its diff_ids.
    let layout = Layout::open(dir.path()).map_err(|e| negative_if(e.invalid, format!("{served_by}: {e}")))?;
    layout.resolve(None, None).map_err(|e| negative_if(e.invalid, format!("{served_by}: {}", e.message)))?;
    dir.commit()?;
    Ok(json!({
        "status": "ok",
        "source": served_by.to_string(),
        "output": name,
        "digest": document.digest,
        "media_type": document.media_type,
        "platform": index.manifests[0].platform.as_ref().map(|p| p.to_string()),
        "blobs": count,
        "bytes": bytes,
        "converted_from": served,
    }))
}

fn negative_if(invalid: bool, text: String) -> anyhow::Error {
    if invalid { StatusError::negative(text).into() } else { anyhow!(text) }
}

/// Whether a media type is an index (OCI or Docker's list).
pub fn is_index(media_type: &str) -> bool {
    media_type == MEDIA_TYPE_INDEX || media_type == MEDIA_TYPE_DOCKER_LIST
}

/// Tries a step on each registry in turn.
fn from_mirrors<T>(
    job: &Job,
    order: &[&Mirror],
    mut step: impl FnMut(&Mirror) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut failures = Vec::new();
    for (i, mirror) in order.iter().enumerate() {
        match step(mirror) {
            Ok(value) => return Ok(value),
            Err(e) => {
                if i + 1 < order.len() && !job.quiet {
                    eprintln!("jfetch: {}: {}; trying the next source", mirror.reference, message(&e));
                }
                failures.push((mirror.reference.to_string(), e));
            }
        }
    }
    Err(all_failed(failures))
}

/// The index entry for `wanted`: os and architecture equal, and the variant when `wanted`
/// names one (the first of several, as an index lists its preferred one first).
fn choose<'a>(index: &'a Index, wanted: &Platform) -> anyhow::Result<&'a Descriptor> {
    let matches = |p: &Platform| {
        p.os == wanted.os
            && p.architecture == wanted.architecture
            && (wanted.variant.is_none() || p.variant == wanted.variant)
    };
    if let Some(found) = index.manifests.iter().find(|d| d.platform.as_ref().is_some_and(matches)) {
        return Ok(found);
    }
    let listed: Vec<String> =
        index.manifests.iter().filter_map(|d| d.platform.as_ref()).map(|p| p.to_string()).collect();
    let listed = if listed.is_empty() { "none named".to_string() } else { listed.join(", ") };
    Err(anyhow!("no image for {wanted} (--platform); the index has: {listed}"))
}

/// Parses and validates a document: `LINE:COL` for bad JSON, every problem for one that does
/// not validate (exit 1: the content is wrong, whoever served it).
fn parse_value(what: &str, kind: Kind, bytes: &[u8]) -> anyhow::Result<Value> {
    let value =
        jcore::oci::layout::parse_value(bytes).map_err(|e| StatusError::negative(format!("{what}: {e}")))?;
    let report = jcore::oci::validate::validate(kind, &value);
    if !report.is_valid() {
        let all: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        return Err(StatusError::negative(format!(
            "{what}: not a valid {}: {}",
            kind.name(),
            all.join("; ")
        ))
        .into());
    }
    Ok(value)
}

/// An index, parsed and validated.
pub fn parse_index(what: &str, bytes: &[u8]) -> anyhow::Result<Index> {
    let value = parse_value(what, Kind::Index, bytes)?;
    serde_json::from_value(value).map_err(|e| StatusError::negative(format!("{what}: {e}")).into())
}

/// A manifest, parsed and validated.
pub fn parse_manifest(what: &str, bytes: &[u8]) -> anyhow::Result<Manifest> {
    let value = parse_value(what, Kind::Manifest, bytes)?;
    serde_json::from_value(value).map_err(|e| StatusError::negative(format!("{what}: {e}")).into())
}

/// `sha256:`/`sha512:` digest of bytes, in the algorithm of `like`.
fn digest_like(like: &str, bytes: &[u8]) -> anyhow::Result<String> {
    let algorithm = match like.split_once(':').map(|(a, _)| a) {
        Some("sha256") | None => Algorithm::Sha256,
        Some("sha512") => Algorithm::Sha512,
        Some(other) => bail!("{other}: a digest algorithm jfetch cannot verify"),
    };
    Ok(format!("{}:{}", algorithm, algorithm.digest(bytes).to_hex()))
}

/// GET a manifest by tag or digest, read whole (bounded) and verified.
pub fn fetch_manifest(
    access: &Access,
    mirror: &Mirror,
    target: &str,
    expected: Option<&str>,
    size: Option<u64>,
) -> anyhow::Result<Document> {
    let session = &mirror.session;
    let what = format!("manifest {target}");
    let url = session.url(&format!("v2/{}/manifests/{target}", mirror.reference.repository));
    let (bytes, content_type, served_digest) = session
        .retrying(&what, || {
            let response =
                session.send(access, "GET", &url, &[("Accept", ACCEPT.to_string())], Payload::Empty)?;
            if response.status().as_u16() != 200 {
                return Err(failure(response));
            }
            let content_type = header(&response, "content-type").unwrap_or_default();
            let served = header(&response, "docker-content-digest");
            let mut bytes = Vec::new();
            response.into_body().into_reader().take(MAX_JSON_BLOB + 1).read_to_end(&mut bytes).map_err(
                |e| OpenError::Transient(anyhow!("body cut short: {}", crate::source::describe_io(&e)), None),
            )?;
            Ok((bytes, content_type, served))
        })
        .with_context(|| what.clone())?;
    if bytes.len() as u64 > MAX_JSON_BLOB {
        return Err(StatusError::negative(format!("{what}: larger than {MAX_JSON_BLOB} bytes")).into());
    }
    let digest = digest_like(expected.or(served_digest.as_deref()).unwrap_or("sha256:"), &bytes)?;
    if let Some(want) = expected.or(served_digest.as_deref())
        && want != digest
    {
        let said = if expected.is_some() { "expected" } else { "the registry's Docker-Content-Digest" };
        return Err(
            StatusError::negative(format!("{what}: digest mismatch: got {digest}, {said} {want}")).into()
        );
    }
    if let Some(size) = size
        && size != bytes.len() as u64
    {
        return Err(StatusError::negative(format!(
            "{what}: {} bytes, its descriptor says {size}",
            bytes.len()
        ))
        .into());
    }
    let field = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("mediaType").and_then(Value::as_str).map(str::to_string));
    let served_type = content_type.split(';').next().unwrap_or("").trim().to_string();
    let media_type = field.unwrap_or(served_type);
    if ![MEDIA_TYPE_MANIFEST, MEDIA_TYPE_INDEX, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_LIST]
        .contains(&media_type.as_str())
    {
        return Err(StatusError::negative(format!(
            "{what}: media type '{media_type}' is not an OCI or Docker v2 manifest or index"
        ))
        .into());
    }
    Ok(Document { bytes, media_type, digest })
}

fn write_blob(dir: &Path, digest: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let relative = blob_relative_path(digest)?;
    let mut file = AtomicFile::create(&dir.join(&relative))?;
    std::io::Write::write_all(&mut file, bytes)
        .map_err(|e| jcore::io::Error::new(relative.display().to_string(), e))?;
    file.commit()?;
    Ok(())
}

/// A blob of a repository as a [`Source`].
#[derive(Debug)]
struct BlobOrigin {
    session: Rc<Session>,
    repository: String,
    digest: String,
}

impl Origin for BlobOrigin {
    fn open(&self, access: &Access, offset: u64) -> Result<Body, OpenError> {
        let url = self.session.url(&format!("v2/{}/blobs/{}", self.repository, self.digest));
        let range = [("Range", format!("bytes={offset}-"))];
        let headers: &[(&str, String)] = if offset > 0 { &range } else { &[] };
        let response = self.session.send(access, "GET", &url, headers, Payload::Empty)?;
        match response.status().as_u16() {
            200 | 206 | 416 => into_body(response, offset),
            _ => Err(failure(response)),
        }
    }

    fn name(&self) -> String {
        format!("docker://{}/{}@{}", self.session.host, self.repository, self.digest)
    }
}

/// A blob into `path`, from the registries in order, verified while streaming.
fn fetch_blob(
    job: &Job,
    access: &Access,
    order: &[&Mirror],
    blob: &Descriptor,
    path: &Path,
) -> anyhow::Result<()> {
    let expected = Expected::parse(&blob.digest, None).map_err(|e| anyhow!("blob {}: {e}", blob.digest))?;
    let sources = order
        .iter()
        .map(|m| {
            Source::Origin(Rc::new(BlobOrigin {
                session: m.session.clone(),
                repository: m.reference.repository.clone(),
                digest: blob.digest.clone(),
            }))
        })
        .collect();
    let plan = Plan {
        sources,
        expected: Some(expected),
        size: Some(blob.size),
        retries: job.retries,
        retry_max_time: job.retry_max_time,
        quiet: job.quiet,
    };
    let atomic = AtomicFile::create(path)?;
    let mut fetcher = Fetcher::new(&plan, access, Sink::file(atomic), None)?;
    let mut report = Report::default();
    fetcher.run(&mut report)?;
    fetcher.into_sink().into_file().expect("a file sink").commit()?;
    Ok(())
}
