//! OCI image layout directories (image-layout.md): `oci-layout`, `index.json` and
//! `blobs/ALGORITHM/ENCODED`, written atomically and read with every blob verified; and OCI
//! archives (a tar of a layout, possibly compressed, as FreeBSD ships
//! `container-image-*.txz`) unpacked into a layout.
//!
//! Every read of a blob checks its size and digest against the descriptor that led to it; a
//! mismatch is an [`Error::invalid`] naming the blob (`blobs/sha256/…`). JSON blobs are read
//! whole but bounded ([`MAX_JSON_BLOB`]); layers are streamed through [`BlobReader`], which
//! fails at the end of the data when the digest differs.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::build::{HashingReader, Image, Layer};
use super::validate::{check_digest, validate};
use super::*;
use crate::digest::Algorithm;
use crate::format::{Problem, Report};
use crate::io::AtomicDir;

/// The largest manifest, index or config jtools reads (containerd reads at most 4 MiB of a
/// manifest; configs of real images stay far below this).
pub const MAX_JSON_BLOB: u64 = 8 << 20;

/// `blobs/ALGORITHM/ENCODED` for a digest (image-layout.md "Blobs"); the digest must be
/// valid, so the path can never leave `blobs/`.
pub fn blob_relative_path(digest: &str) -> Result<PathBuf, Error> {
    check_digest(digest).map_err(|e| Error::invalid(digest, e))?;
    let (algorithm, encoded) = digest.split_once(':').expect("checked");
    Ok(Path::new("blobs").join(algorithm).join(encoded))
}

fn write_file(dir: &Path, relative: &Path, bytes: &[u8]) -> Result<(), Error> {
    let path = dir.join(relative);
    fs::write(&path, bytes).map_err(|e| Error::new(relative.display().to_string(), e))
}

/// Writes a new layout directory `target` holding one image: the layer files are copied into
/// `blobs/sha256/` (their digests checked again while copying), then config, manifest,
/// `index.json` (the manifest with its platform and `ref.name`) and `oci-layout`. The layout
/// is built beside `target` and renamed into place: on any error nothing is left.
pub fn write_layout(target: &Path, image: &Image, layers: &[Layer]) -> Result<(), Error> {
    write_layout_images(target, &[(image, layers)])
}

/// Like [`write_layout`] for several images (one per platform, or several tags), listed in
/// `index.json` in the order given; blobs they share are stored once.
pub fn write_layout_images(target: &Path, images: &[(&Image, &[Layer])]) -> Result<(), Error> {
    let name = target.display().to_string();
    if fs::symlink_metadata(target).is_ok() {
        return Err(Error::new(&name, "already exists"));
    }
    let dir = AtomicDir::create(target).map_err(|e| Error::new(&name, e.io()))?;
    fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(|e| Error::new(&name, e))?;
    let blobs = dir.path().join("blobs").join("sha256");
    fs::create_dir_all(&blobs).map_err(|e| Error::new(&name, e))?;
    let mut index = Index { schema_version: 2, media_type: MEDIA_TYPE_INDEX.to_string(), ..Index::default() };
    for (image, layers) in images {
        for layer in layers.iter() {
            copy_layer(dir.path(), layer)?;
        }
        let config = &image.manifest.config;
        write_file(dir.path(), &blob_relative_path(&config.digest)?, &image.config_bytes)?;
        write_file(
            dir.path(),
            &blob_relative_path(&image.manifest_descriptor.digest)?,
            &image.manifest_bytes,
        )?;
        index.manifests.push(image.manifest_descriptor.clone());
    }
    write_file(dir.path(), Path::new("index.json"), &to_canonical_json(&index))?;
    write_file(dir.path(), Path::new("oci-layout"), &to_canonical_json(&OciLayout::default()))?;
    dir.commit().map_err(|e| Error::new(&name, e.io()))
}

fn copy_layer(dir: &Path, layer: &Layer) -> Result<(), Error> {
    let source = layer.path.display().to_string();
    let relative = blob_relative_path(&layer.descriptor.digest)?;
    let path = dir.join(&relative);
    if path.exists() {
        return Ok(()); // the same layer twice in one image
    }
    let input = File::open(&layer.path).map_err(|e| Error::new(&source, e))?;
    let mut reader = HashingReader::new(input, Algorithm::Sha256);
    let mut output = File::create(&path).map_err(|e| Error::new(relative.display().to_string(), e))?;
    io::copy(&mut reader, &mut output).map_err(|e| Error::new(&source, e))?;
    output.flush().map_err(|e| Error::new(relative.display().to_string(), e))?;
    let (digest, size) = reader.finish();
    if digest != layer.descriptor.digest || size != layer.descriptor.size {
        return Err(Error::invalid(&source, "changed while the image was built"));
    }
    Ok(())
}

/// A reader of a blob that checks size and digest: reading past the descriptor's size, or
/// reaching the end with a different digest or size, is an `InvalidData` error naming the
/// blob.
pub struct BlobReader {
    name: String,
    expected_digest: String,
    expected_size: u64,
    inner: Option<HashingReader<io::BufReader<File>>>,
}

impl BlobReader {
    fn fail(&mut self, message: String) -> io::Error {
        self.inner = None;
        io::Error::new(io::ErrorKind::InvalidData, Error::invalid(&self.name, message))
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(inner) = self.inner.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: already failed", self.name)));
        };
        let n = inner.read(buf)?;
        if inner.bytes > self.expected_size {
            let message = format!("longer than its size {}", self.expected_size);
            return Err(self.fail(message));
        }
        if n == 0 && !buf.is_empty() {
            let inner = self.inner.take().expect("present");
            let (digest, size) = inner.finish();
            if size != self.expected_size {
                return Err(
                    self.fail(format!("{size} bytes, but its descriptor says {}", self.expected_size))
                );
            }
            if digest != self.expected_digest {
                return Err(
                    self.fail(format!("digest mismatch: got {digest}, expected {}", self.expected_digest))
                );
            }
            // Done and verified: later reads return end of data again.
            self.inner = None;
            self.expected_size = u64::MAX;
            return Ok(0);
        }
        Ok(n)
    }
}

/// An image resolved in a layout: its manifest, config and layer descriptors, the manifest
/// and config read and verified.
#[derive(Clone, Debug)]
pub struct ResolvedImage {
    /// The descriptor that led to the manifest (from `index.json` or a nested index).
    pub manifest_descriptor: Descriptor,
    /// The manifest.
    pub manifest: Manifest,
    /// The config.
    pub config: ImageConfig,
}

impl ResolvedImage {
    /// The layer descriptors, base first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.manifest.layers
    }
}

/// An opened image layout.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
    /// `oci-layout`.
    pub layout: OciLayout,
    /// `index.json`.
    pub index: Index,
}

fn parse_document<T: serde::de::DeserializeOwned>(name: &str, kind: Kind, bytes: &[u8]) -> Result<T, Error> {
    // NAME:LINE:COL: why, as every jtools syntax error.
    let mut value = crate::format::json::parse(bytes).map_err(|e| {
        let at = if e.column > 0 {
            format!("{name}:{}:{}", e.line, e.column)
        } else {
            format!("{name}:{}", e.line)
        };
        Error::invalid(at, e.message)
    })?;
    if kind == Kind::Config
        && let Some(Value::Object(run)) = value.get_mut("config")
    {
        fold_keys_as_go(run, RUN_CONFIG_FIELDS);
    }
    let report = validate(kind, &value);
    if !report.is_valid() {
        let all: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        return Err(Error::invalid(name, format!("not a valid {}: {}", kind.name(), all.join("; "))));
    }
    serde_json::from_value(value).map_err(|e| Error::invalid(name, e))
}

fn read_bounded(path: &Path, name: &str) -> Result<Vec<u8>, Error> {
    let file = File::open(path).map_err(|e| Error::new(name, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_JSON_BLOB + 1).read_to_end(&mut bytes).map_err(|e| Error::new(name, e))?;
    if bytes.len() as u64 > MAX_JSON_BLOB {
        return Err(Error::invalid(name, format!("larger than {MAX_JSON_BLOB} bytes")));
    }
    Ok(bytes)
}

impl Layout {
    /// Opens a layout directory: `oci-layout` with version 1.0.0 and a valid `index.json`.
    pub fn open(root: &Path) -> Result<Layout, Error> {
        let at = |file: &str| root.join(file).display().to_string();
        let layout_bytes = read_bounded(&root.join("oci-layout"), &at("oci-layout"))?;
        let layout: OciLayout = parse_document(&at("oci-layout"), Kind::Layout, &layout_bytes)?;
        let index_bytes = read_bounded(&root.join("index.json"), &at("index.json"))?;
        let index: Index = parse_document(&at("index.json"), Kind::Index, &index_bytes)?;
        Ok(Layout { root: root.to_path_buf(), layout, index })
    }

    /// The layout directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a blob.
    pub fn blob_path(&self, digest: &str) -> Result<PathBuf, Error> {
        Ok(self.root.join(blob_relative_path(digest)?))
    }

    /// Opens a blob for streaming with verification (see [`BlobReader`]).
    pub fn open_blob(&self, descriptor: &Descriptor) -> Result<BlobReader, Error> {
        let relative = blob_relative_path(&descriptor.digest)?;
        let name = relative.display().to_string();
        let algorithm = match descriptor.digest.split_once(':').map(|(a, _)| a) {
            Some("sha256") => Algorithm::Sha256,
            Some("sha512") => Algorithm::Sha512,
            _ => return Err(Error::new(&name, "a digest algorithm jtools cannot verify")),
        };
        let file = File::open(self.root.join(&relative)).map_err(|e| Error::new(&name, e))?;
        let reader = io::BufReader::with_capacity(crate::io::BUFFER_SIZE, file);
        Ok(BlobReader {
            name,
            expected_digest: descriptor.digest.clone(),
            expected_size: descriptor.size,
            inner: Some(HashingReader::new(reader, algorithm)),
        })
    }

    /// Reads a whole blob (at most [`MAX_JSON_BLOB`] bytes), verified.
    pub fn read_blob(&self, descriptor: &Descriptor) -> Result<Vec<u8>, Error> {
        let name = blob_relative_path(&descriptor.digest)?.display().to_string();
        if descriptor.size > MAX_JSON_BLOB {
            return Err(Error::invalid(&name, format!("larger than {MAX_JSON_BLOB} bytes")));
        }
        let mut bytes = Vec::new();
        self.open_blob(descriptor)?.read_to_end(&mut bytes).map_err(|e| into_error(&name, e))?;
        Ok(bytes)
    }

    /// Reads a whole blob through a verifying reader to the end.
    pub fn verify_blob(&self, descriptor: &Descriptor) -> Result<(), Error> {
        let name = blob_relative_path(&descriptor.digest)?.display().to_string();
        io::copy(&mut self.open_blob(descriptor)?, &mut io::sink()).map_err(|e| into_error(&name, e))?;
        Ok(())
    }

    fn read_document<T: serde::de::DeserializeOwned>(
        &self,
        descriptor: &Descriptor,
        kind: Kind,
    ) -> Result<T, Error> {
        let bytes = self.read_blob(descriptor)?;
        let name = blob_relative_path(&descriptor.digest)?.display().to_string();
        parse_document(&name, kind, &bytes)
    }

    /// The images of `index.json` by their `ref.name` (`None` for unnamed ones).
    pub fn refs(&self) -> Vec<(Option<&str>, &Descriptor)> {
        self.index.manifests.iter().map(|d| (d.ref_name(), d)).collect()
    }

    /// Finds an image: `reference` is a `ref.name` (a tag as `skopeo oci:DIR:TAG` writes it)
    /// or a manifest digest; without one the layout must hold one image. An index found on
    /// the way is resolved to `platform` (without one: its only manifest). The manifest and
    /// config are read and verified; layers are not (see [`Layout::verify_blob`]).
    pub fn resolve(
        &self,
        reference: Option<&str>,
        platform: Option<&Platform>,
    ) -> Result<ResolvedImage, Error> {
        let what = format!("{}:{}", self.root.display(), reference.unwrap_or(""));
        let candidates: Vec<&Descriptor> = match reference {
            Some(r) => {
                self.index.manifests.iter().filter(|d| d.ref_name() == Some(r) || d.digest == r).collect()
            }
            None => self.index.manifests.iter().collect(),
        };
        if candidates.is_empty() {
            let names: Vec<&str> = self.index.manifests.iter().filter_map(Descriptor::ref_name).collect();
            return Err(Error::new(what, format!("no such image; the layout has: {}", list_or_none(&names))));
        }
        let chosen = self.choose(&what, &candidates, platform)?;
        self.follow(&what, chosen.clone(), platform, 0)
    }

    fn choose<'a>(
        &self,
        what: &str,
        candidates: &[&'a Descriptor],
        platform: Option<&Platform>,
    ) -> Result<&'a Descriptor, Error> {
        if candidates.len() == 1 {
            return Ok(candidates[0]);
        }
        let Some(wanted) = platform else {
            let listed: Vec<String> = candidates.iter().map(|d| describe(d)).collect();
            return Err(Error::new(what, format!("several images; choose one of: {}", listed.join(", "))));
        };
        let matching: Vec<&&Descriptor> = candidates.iter().filter(|d| platform_matches(d, wanted)).collect();
        match matching.as_slice() {
            [one] => Ok(one),
            [] => {
                let listed: Vec<String> = candidates.iter().map(|d| describe(d)).collect();
                Err(Error::new(what, format!("no image for {wanted}; there are: {}", listed.join(", "))))
            }
            _ => Err(Error::new(what, format!("several images for {wanted}"))),
        }
    }

    fn follow(
        &self,
        what: &str,
        descriptor: Descriptor,
        platform: Option<&Platform>,
        depth: usize,
    ) -> Result<ResolvedImage, Error> {
        match descriptor.media_type.as_str() {
            MEDIA_TYPE_INDEX | MEDIA_TYPE_DOCKER_LIST => {
                if depth >= 4 {
                    return Err(Error::invalid(what, "indexes nested too deep"));
                }
                let index: Index = self.read_document(&descriptor, Kind::Index)?;
                let candidates: Vec<&Descriptor> = index.manifests.iter().collect();
                if candidates.is_empty() {
                    return Err(Error::invalid(what, "the index lists no manifest"));
                }
                let chosen = self.choose(what, &candidates, platform)?.clone();
                self.follow(what, chosen, platform, depth + 1)
            }
            _ => {
                let manifest: Manifest = self.read_document(&descriptor, Kind::Manifest)?;
                let config: ImageConfig = self.read_document(&manifest.config, Kind::Config)?;
                if config.rootfs.diff_ids.len() != manifest.layers.len() {
                    return Err(Error::invalid(
                        what,
                        format!(
                            "the manifest has {} layers but the config {} diff_ids",
                            manifest.layers.len(),
                            config.rootfs.diff_ids.len()
                        ),
                    ));
                }
                Ok(ResolvedImage { manifest_descriptor: descriptor, manifest, config })
            }
        }
    }

    /// Checks the whole layout: every image reachable from `index.json` resolved (every
    /// platform of nested indexes), every manifest, config and layer blob verified. Every
    /// problem is reported, each at the blob or document concerned.
    pub fn check(&self) -> Report {
        let mut report = Report::default();
        let mut pending: Vec<(String, Descriptor, usize)> = self
            .index
            .manifests
            .iter()
            .enumerate()
            .map(|(i, d)| (format!("index.json manifests.{i}"), d.clone(), 0))
            .collect();
        while let Some((at, descriptor, depth)) = pending.pop() {
            match descriptor.media_type.as_str() {
                MEDIA_TYPE_INDEX | MEDIA_TYPE_DOCKER_LIST if depth < 4 => {
                    match self.read_document::<Index>(&descriptor, Kind::Index) {
                        Ok(index) => {
                            for (i, d) in index.manifests.into_iter().enumerate() {
                                pending.push((format!("{at} manifests.{i}"), d, depth + 1));
                            }
                        }
                        Err(e) => report.problems.push(Problem::new(at, e.to_string())),
                    }
                }
                MEDIA_TYPE_MANIFEST | MEDIA_TYPE_DOCKER_MANIFEST => {
                    match self.follow(&at, descriptor, None, depth) {
                        Ok(image) => {
                            for layer in image.layers() {
                                if let Err(e) = self.verify_blob(layer) {
                                    report.problems.push(Problem::new(&at, e.to_string()));
                                }
                            }
                        }
                        Err(e) => report.problems.push(Problem::new(at, e.to_string())),
                    }
                }
                other => {
                    // Artifacts and unknown types: the blob is verified, its content not read.
                    if let Err(e) = self.verify_blob(&descriptor) {
                        report.problems.push(Problem::new(&at, e.to_string()));
                    } else {
                        report.warnings.push(Problem::new(at, format!("'{other}' not checked further")));
                    }
                }
            }
        }
        report
    }
}

fn into_error(name: &str, e: io::Error) -> Error {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
        Some(inner) => {
            Error { what: inner.what.clone(), message: inner.message.clone(), invalid: inner.invalid }
        }
        None => Error::new(name, e),
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() { "no named image".to_string() } else { names.join(", ") }
}

fn describe(d: &Descriptor) -> String {
    match (&d.platform, d.ref_name()) {
        (Some(p), Some(n)) => format!("{n} ({p})"),
        (Some(p), None) => p.to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) => d.digest.clone(),
    }
}

/// Whether a descriptor's platform is `wanted`: os and architecture equal, and the variant
/// equal when `wanted` names one.
fn platform_matches(d: &Descriptor, wanted: &Platform) -> bool {
    d.platform.as_ref().is_some_and(|p| {
        p.os == wanted.os
            && p.architecture == wanted.architecture
            && (wanted.variant.is_none() || p.variant == wanted.variant)
    })
}

/// Unpacks an OCI archive — a tar of a layout, compressed with any jcore codec or not — into
/// the new directory `target` and checks it ([`Layout::check`]): every blob verified. Only
/// directories and regular files are taken; an absolute path, a `..`, a link or a device is
/// refused. Built beside `target` and renamed in: on error nothing is left.
pub fn unpack_archive(archive: &Path, target: &Path) -> Result<Layout, Error> {
    let name = archive.display().to_string();
    let target_name = target.display().to_string();
    let dir = extract_members(archive, target)?;
    let layout = Layout::open(dir.path()).map_err(|e| Error::invalid(&name, e))?;
    let report = layout.check();
    if let Some(p) = report.problems.first() {
        return Err(Error::invalid(&name, p));
    }
    dir.commit().map_err(|e| Error::new(&target_name, e.io()))?;
    Layout::open(target)
}

/// Like [`unpack_archive`] but without checking the layout: the members are extracted (with
/// the same refusals) into the new directory `target`, for a caller that checks it itself
/// and reports every problem (`jspec validate`).
pub fn extract_archive(archive: &Path, target: &Path) -> Result<(), Error> {
    let dir = extract_members(archive, target)?;
    dir.commit().map_err(|e| Error::new(target.display().to_string(), e.io()))
}

fn extract_members(archive: &Path, target: &Path) -> Result<AtomicDir, Error> {
    let name = archive.display().to_string();
    let target_name = target.display().to_string();
    if fs::symlink_metadata(target).is_ok() {
        return Err(Error::new(&target_name, "already exists"));
    }
    let file = File::open(archive).map_err(|e| Error::new(&name, e))?;
    let decoder =
        crate::codec::Decoder::pass_through(io::BufReader::with_capacity(crate::io::BUFFER_SIZE, file))
            .map_err(|e| Error::new(&name, e))?
            .with_threads(crate::threads::resolve(None));
    let dir = AtomicDir::create(target).map_err(|e| Error::new(&target_name, e.io()))?;
    fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(|e| Error::new(&target_name, e))?;
    let mut tar = tar::Archive::new(decoder);
    let entries = tar.entries().map_err(|e| Error::invalid(&name, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::invalid(&name, e))?;
        let raw = entry.path().map_err(|e| Error::invalid(&name, e))?.into_owned();
        let member = format!("{name}: {}", raw.display());
        let relative =
            safe_relative(&raw).ok_or_else(|| Error::invalid(&member, "a path outside the layout"))?;
        if relative.as_os_str().is_empty() {
            continue; // "." itself
        }
        let path = dir.path().join(&relative);
        match entry.header().entry_type() {
            tar::EntryType::Directory => fs::create_dir_all(&path).map_err(|e| Error::new(&member, e))?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent).map_err(|e| Error::new(&member, e))?;
                }
                let mut out = File::create(&path).map_err(|e| Error::new(&member, e))?;
                io::copy(&mut entry, &mut out).map_err(|e| Error::invalid(&member, e))?;
            }
            // pax and GNU long-name headers are consumed by the tar crate itself.
            other => {
                return Err(Error::invalid(
                    &member,
                    format!("a {other:?} entry; an OCI archive holds files only"),
                ));
            }
        }
    }
    Ok(dir)
}

/// A member path with `.` components dropped; `None` for absolute paths and `..`.
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Parses a JSON OCI document of any kind from bytes, with `LINE:COL` on syntax errors.
pub fn parse_value(bytes: &[u8]) -> Result<Value, crate::format::SyntaxError> {
    crate::format::json::parse(bytes)
}

/// Writes a layout directory as an OCI archive (`skopeo`'s `oci-archive:`, FreeBSD's
/// `container-image-*.txz`): a tar of `oci-layout`, `index.json` and `blobs/`, compressed
/// with `format` (or not). The tar is deterministic — names sorted, directories first,
/// owner 0:0, modes 0755/0644, mtime 0 — so the same layout gives the same archive. Written
/// atomically: on error no archive is left.
pub fn write_archive(
    layout: &Path,
    archive: &Path,
    format: crate::codec::Format,
    level: Option<u32>,
) -> Result<(), Error> {
    let name = archive.display().to_string();
    let report = Layout::open(layout)?.check();
    if let Some(p) = report.problems.first() {
        return Err(Error::invalid(layout.display().to_string(), p));
    }
    // Only what a layout holds, found by walking it: the archive mirrors the directory.
    let mut members = Vec::new();
    collect_members(layout, Path::new(""), &mut members)?;
    let out = crate::io::AtomicFile::create(archive).map_err(|e| Error::new(&name, e.io()))?;
    let encoder = crate::codec::Encoder::new(format, level, crate::threads::resolve(None), out)
        .map_err(|e| Error::new(&name, e))?;
    let mut tar = tar::Builder::new(encoder);
    tar.mode(tar::HeaderMode::Deterministic);
    for (relative, is_dir) in &members {
        let member = relative.display().to_string();
        let mut header = tar::Header::new_ustar();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        if *is_dir {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            tar.append_data(&mut header, format!("{member}/"), io::empty())
                .map_err(|e| Error::new(&name, e))?;
        } else {
            let file = File::open(layout.join(relative)).map_err(|e| Error::new(&member, e))?;
            let len = file.metadata().map_err(|e| Error::new(&member, e))?.len();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(len);
            tar.append_data(&mut header, &member, file.take(len)).map_err(|e| Error::new(&name, e))?;
        }
    }
    let encoder = tar.into_inner().map_err(|e| Error::new(&name, e))?;
    let out = encoder.finish().map_err(|e| Error::new(&name, e))?;
    out.commit().map_err(|e| Error::new(&name, e.io()))
}

fn collect_members(root: &Path, relative: &Path, out: &mut Vec<(PathBuf, bool)>) -> Result<(), Error> {
    let dir = root.join(relative);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map_err(|e| Error::new(dir.display().to_string(), e))?
        .collect::<Result<_, _>>()
        .map_err(|e| Error::new(dir.display().to_string(), e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = relative.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| Error::new(path.display().to_string(), e))?;
        if kind.is_dir() {
            out.push((path.clone(), true));
            collect_members(root, &path, out)?;
        } else if kind.is_file() {
            out.push((path, false));
        } else {
            return Err(Error::invalid(
                path.display().to_string(),
                "not a file or directory; not part of a layout",
            ));
        }
    }
    Ok(())
}
