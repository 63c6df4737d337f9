//! Push: an image of a layout (a manifest, or an index and each of its manifests) to a
//! repository, as distribution-spec's "Push" section orders it: blobs first, each checked
//! with `HEAD` and uploaded only when missing (or mounted from `--mount-from`'s repository,
//! `POST …/blobs/uploads/?mount=DIGEST&from=REPO`); then the manifests of an index by
//! digest; then the top manifest or index by tag, `PUT` with its own media type.
//!
//! Uploads: a blob up to the chunk size goes in one request (`POST` for a session, then
//! `PUT ?digest=` with the bytes); a larger one in `PATCH` chunks with `Content-Range`,
//! closed by an empty `PUT ?digest=`. The bytes are read from the layout through its
//! verifying reader: a blob that does not match its digest is never committed (the chunked
//! upload is not closed; a monolithic `PUT` is refused by the registry, which checks the
//! digest too) and the push ends with exit 1 naming the blob. A failed upload starts again
//! from a new session, up to `--retries` times.

use std::collections::HashSet;
use std::io::Read;

use anyhow::{Context, anyhow, bail};
use jcore::exit::StatusError;
use jcore::oci::layout::Layout;
use jcore::oci::*;
use serde_json::{Value, json};

use super::pull::{Mirror, is_index, mirrors, parse_index, parse_manifest};
use super::session::{Payload, failure, header};
use super::{Job, Mode, Target, message};
use crate::source::{Access, OpenError};

/// What a push did, for the JSON record.
#[derive(Default)]
struct Counts {
    uploaded: u64,
    existing: u64,
    mounted: u64,
    bytes: u64,
}

/// Pushes to every destination in turn; the JSON record.
pub fn push(job: &Job, access: &Access) -> anyhow::Result<Value> {
    let Mode::Push { layout, image, destinations, mount_from, chunk_size } = &job.mode else {
        unreachable!("a push job")
    };
    let layout = Layout::open(layout).map_err(|e| {
        let text = e.to_string();
        if e.invalid { anyhow::Error::from(StatusError::negative(text)) } else { anyhow!(text) }
    })?;
    let top = select(&layout, image.as_deref())?;
    let mut extra = Vec::new();
    if let Some(from) = mount_from {
        if !super::valid_repository(from) {
            bail!("--mount-from: '{from}' is not a repository name");
        }
        extra.push(format!("repository:{from}:pull"));
    }
    let mirrors = mirrors(job, access, destinations, true)?;
    let mut records = Vec::new();
    for mirror in &mirrors {
        let mut pusher = Pusher {
            access,
            layout: &layout,
            mirror,
            mount_from: mount_from.as_deref(),
            chunk_size: *chunk_size,
            done: HashSet::new(),
            counts: Counts::default(),
        };
        if !extra.is_empty() {
            mirror.session.add_scopes(&extra);
        }
        let reference = match &mirror.reference.target {
            Target::Tag(tag) => tag.clone(),
            Target::Digest(digest) if *digest == top.digest => digest.clone(),
            Target::Digest(digest) => {
                bail!("{}: the image's digest is {}, not {digest}", mirror.reference, top.digest)
            }
        };
        pusher
            .push_tree(&top, &reference, 0)
            .map_err(|e| super::prefixed(&mirror.reference.to_string(), e))?;
        let Counts { uploaded, existing, mounted, bytes } = pusher.counts;
        records.push(json!({
            "destination": mirror.reference.to_string(),
            "digest": top.digest,
            "media_type": top.media_type,
            "uploaded": uploaded,
            "existing": existing,
            "mounted": mounted,
            "bytes": bytes,
        }));
    }
    Ok(json!({ "status": "ok", "destinations": records }))
}

/// The image of `index.json` to push: by `ref.name` or digest, else the only one.
fn select(layout: &Layout, image: Option<&str>) -> anyhow::Result<Descriptor> {
    let all = &layout.index.manifests;
    let candidates: Vec<&Descriptor> = match image {
        Some(name) => all.iter().filter(|d| d.ref_name() == Some(name) || d.digest == name).collect(),
        None => all.iter().collect(),
    };
    let names: Vec<String> = all.iter().map(|d| d.ref_name().unwrap_or(&d.digest).to_string()).collect();
    let root = layout.root().display();
    match candidates.as_slice() {
        [one] => Ok((*one).clone()),
        [] if image.is_some() => {
            bail!("{root}: no image '{}'; the layout has: {}", image.unwrap_or(""), names.join(", "))
        }
        [] => bail!("{root}: the layout holds no image"),
        _ => bail!("{root}: several images; choose one with --ref: {}", names.join(", ")),
    }
}

struct Pusher<'a> {
    access: &'a Access,
    layout: &'a Layout,
    mirror: &'a Mirror,
    mount_from: Option<&'a str>,
    chunk_size: u64,
    /// Blobs handled already (shared by the manifests of an index).
    done: HashSet<String>,
    counts: Counts,
}

impl Pusher<'_> {
    /// A manifest (its blobs, then itself) or an index (each manifest, then itself), put
    /// under `reference` (a tag, or the digest for the children of an index).
    fn push_tree(&mut self, descriptor: &Descriptor, reference: &str, depth: usize) -> anyhow::Result<()> {
        let bytes = self.layout.read_blob(descriptor).map_err(oci_error)?;
        let what = format!("{} ({})", descriptor.digest, descriptor.media_type);
        if is_index(&descriptor.media_type) {
            if depth > 2 {
                bail!("{what}: indexes nested too deep");
            }
            let index = parse_index(&what, &bytes)?;
            for child in &index.manifests {
                self.push_tree(child, &child.digest, depth + 1)?;
            }
        } else if descriptor.media_type == MEDIA_TYPE_MANIFEST
            || descriptor.media_type == MEDIA_TYPE_DOCKER_MANIFEST
        {
            let manifest = parse_manifest(&what, &bytes)?;
            let mut blobs = vec![manifest.config.clone()];
            blobs.extend(manifest.layers.iter().cloned());
            for blob in &blobs {
                if self.done.insert(blob.digest.clone()) {
                    self.push_blob(blob).with_context(|| format!("blob {}", blob.digest))?;
                }
            }
        } else {
            bail!("{what}: not an image manifest or index; jfetch pushes images");
        }
        self.put_manifest(reference, descriptor, &bytes)
    }

    fn repository(&self) -> &str {
        &self.mirror.reference.repository
    }

    /// HEAD, then a mount or an upload when the registry lacks the blob.
    fn push_blob(&mut self, blob: &Descriptor) -> anyhow::Result<()> {
        let session = &self.mirror.session;
        let access = self.access;
        let url = session.url(&format!("v2/{}/blobs/{}", self.repository(), blob.digest));
        let exists = session.retrying("HEAD", || {
            let response = session.send(access, "HEAD", &url, &[], Payload::Empty)?;
            match response.status().as_u16() {
                200 => Ok(true),
                404 => Ok(false),
                _ => Err(failure(response)),
            }
        })?;
        if exists {
            self.counts.existing += 1;
            return Ok(());
        }
        let mut preset = None;
        if let Some(from) = self.mount_from {
            let mut url = session.url(&format!("v2/{}/blobs/uploads/", self.repository()));
            url.query_pairs_mut().append_pair("mount", &blob.digest).append_pair("from", from);
            let response =
                session.retrying("mount", || session.send(access, "POST", &url, &[], Payload::Empty))?;
            match response.status().as_u16() {
                201 => {
                    self.counts.mounted += 1;
                    return Ok(());
                }
                // Not mountable (absent there, or not allowed): the registry opened an
                // upload session instead.
                202 => preset = header(&response, "location"),
                _ => return Err(into_anyhow(failure(response))),
            }
        }
        session.retrying("upload", || self.upload(blob, preset.take()))?;
        self.counts.uploaded += 1;
        self.counts.bytes += blob.size;
        Ok(())
    }

    /// One upload: a session (or the one a mount request opened), the bytes, the commit.
    fn upload(&self, blob: &Descriptor, preset: Option<String>) -> Result<(), OpenError> {
        let session = &self.mirror.session;
        let access = self.access;
        let mut location = match preset {
            Some(location) => session.join(&location)?,
            None => {
                let url = session.url(&format!("v2/{}/blobs/uploads/", self.repository()));
                let response = session.send(access, "POST", &url, &[], Payload::Empty)?;
                if response.status().as_u16() != 202 {
                    return Err(failure(response));
                }
                let location = header(&response, "location")
                    .ok_or_else(|| OpenError::Permanent(anyhow!("an upload session without a Location")))?;
                session.join(&location)?
            }
        };
        let mut reader = self.layout.open_blob(blob).map_err(|e| OpenError::Permanent(oci_error(e)))?;
        let octets = ("Content-Type", "application/octet-stream".to_string());
        if blob.size <= self.chunk_size {
            location.query_pairs_mut().append_pair("digest", &blob.digest);
            let mut body = (&mut reader).take(blob.size);
            let sent =
                session.send(access, "PUT", &location, &[octets], Payload::Stream(&mut body, blob.size));
            check_end(&mut reader)?;
            let response = sent?;
            return match response.status().as_u16() {
                201 => Ok(()),
                _ => Err(failure(response)),
            };
        }
        let mut offset = 0;
        while offset < blob.size {
            let n = self.chunk_size.min(blob.size - offset);
            let range = ("Content-Range", format!("{offset}-{}", offset + n - 1));
            let mut body = (&mut reader).take(n);
            let headers = [octets.clone(), range];
            let response =
                session.send(access, "PATCH", &location, &headers, Payload::Stream(&mut body, n))?;
            if response.status().as_u16() != 202 {
                return Err(failure(response));
            }
            let next = header(&response, "location")
                .ok_or_else(|| OpenError::Permanent(anyhow!("a chunk accepted without a Location")))?;
            location = session.join(&next)?;
            offset += n;
        }
        // Only a blob that matched its digest is committed.
        check_end(&mut reader)?;
        location.query_pairs_mut().append_pair("digest", &blob.digest);
        let response = session.send(access, "PUT", &location, &[], Payload::Empty)?;
        match response.status().as_u16() {
            201 => Ok(()),
            _ => Err(failure(response)),
        }
    }

    /// `PUT /v2/REPO/manifests/REFERENCE` with the manifest's own media type.
    fn put_manifest(&self, reference: &str, descriptor: &Descriptor, bytes: &[u8]) -> anyhow::Result<()> {
        let session = &self.mirror.session;
        let access = self.access;
        let url = session.url(&format!("v2/{}/manifests/{reference}", self.repository()));
        let headers = [("Content-Type", descriptor.media_type.clone())];
        let what = format!("manifest {reference}");
        let response = session
            .retrying(&what, || {
                let response = session.send(access, "PUT", &url, &headers, Payload::Bytes(bytes))?;
                if response.status().as_u16() != 201 {
                    return Err(failure(response));
                }
                Ok(response)
            })
            .with_context(|| what.clone())?;
        if let Some(digest) = header(&response, "docker-content-digest")
            && digest != descriptor.digest
        {
            bail!("{what}: the registry stored it as {digest}, not {}", descriptor.digest);
        }
        Ok(())
    }
}

/// The blob reader at its end: it verifies size and digest there.
fn check_end(reader: &mut impl Read) -> Result<(), OpenError> {
    // What the request did not send (it failed half-way) is read too: the whole blob is
    // what the digest covers.
    match std::io::copy(reader, &mut std::io::sink()) {
        Ok(_) => Ok(()),
        Err(e) => Err(OpenError::Permanent(
            StatusError::negative(format!("the layout's {}", message(&e.into()))).into(),
        )),
    }
}

fn oci_error(e: jcore::oci::Error) -> anyhow::Error {
    let text = e.to_string();
    if e.invalid { StatusError::negative(text).into() } else { anyhow!(text) }
}

fn into_anyhow(e: OpenError) -> anyhow::Error {
    match e {
        OpenError::Transient(e, _) | OpenError::Permanent(e) => e,
        OpenError::RangeNotSatisfiable(_) => anyhow!("range not satisfiable"),
    }
}
