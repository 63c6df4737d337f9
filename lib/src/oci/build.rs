//! Building an image from layer files: each layer is read once, its compressed bytes hashed
//! for the manifest's descriptor and its decoded bytes (any jcore codec, or none) hashed for
//! the config's `rootfs.diff_ids`; then config, manifest and the index entry are made.
//!
//! Deterministic: the documents are serialised as Go's `encoding/json` would
//! ([`to_canonical_json`]), and the only time in them is the `created` the caller gives
//! ([`created_from_env`] reads `SOURCE_DATE_EPOCH`); without one there is no `created`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde_json::Map;

use super::*;
use crate::codec::{Decoder, Format};
use crate::digest::{Algorithm, Hasher};

/// A layer blob file and what describes it.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The blob file (compressed or not) as it will be stored.
    pub path: PathBuf,
    /// Its descriptor: media type from the compression, SHA-256 digest and size of the file.
    pub descriptor: Descriptor,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
    /// The compression found.
    pub format: Format,
}

/// A reader that hashes (SHA-256) and counts what passes through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
    pub(crate) bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R, algorithm: Algorithm) -> HashingReader<R> {
        HashingReader { inner, hasher: algorithm.hasher(), bytes: 0 }
    }

    /// `ALGORITHM:HEX` and the byte count so far.
    pub(crate) fn finish(self) -> (String, u64) {
        let algorithm = self.hasher.algorithm();
        (format!("{}:{}", algorithm_prefix(algorithm), self.hasher.finalize().to_hex()), self.bytes)
    }
}

pub(crate) fn algorithm_prefix(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Sha512 => "sha512",
        _ => "sha256",
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The layer media type for a compression. The image-spec defines only none, gzip and zstd
/// (layer.md); xz, bzip2, lz4 and lzma get the same naming pattern (`+xz`, …), which
/// `validate` warns about and most runtimes cannot unpack.
pub fn layer_media_type(format: Format) -> String {
    match format {
        Format::None => MEDIA_TYPE_LAYER.to_string(),
        Format::Gzip => MEDIA_TYPE_LAYER_GZIP.to_string(),
        Format::Zstd => MEDIA_TYPE_LAYER_ZSTD.to_string(),
        other => format!("{MEDIA_TYPE_LAYER}+{}", other.name()),
    }
}

/// Reads a layer file once: digest and size of the file, the codec, and the diff ID of the
/// decoded tar. The decoded data must start like a tar (a ustar/GNU header or the zero block
/// of an empty archive).
pub fn describe_layer(path: &Path) -> Result<Layer, Error> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::new(&name, e))?;
    let mut compressed =
        HashingReader::new(io::BufReader::with_capacity(crate::io::BUFFER_SIZE, file), Algorithm::Sha256);
    let (format, diff_id) = {
        let decoder = Decoder::pass_through(&mut compressed)
            .map_err(|e| Error::new(&name, e))?
            .with_threads(crate::threads::resolve(None));
        let format = decoder.format();
        let mut plain = HashingReader::new(decoder, Algorithm::Sha256);
        let mut head = [0u8; 512];
        let got = crate::io::read_full(&mut plain, &mut head).map_err(|e| Error::invalid(&name, e))?;
        if !looks_like_tar(&head[..got]) {
            return Err(Error::invalid(&name, "not a tar archive (after decompression)"));
        }
        io::copy(&mut plain, &mut io::sink()).map_err(|e| Error::invalid(&name, e))?;
        (format, plain.finish().0)
    };
    let (digest, size) = compressed.finish();
    let descriptor =
        Descriptor { media_type: layer_media_type(format), digest, size, ..Descriptor::default() };
    Ok(Layer { path: path.to_path_buf(), descriptor, diff_id, format })
}

/// A writer that hashes (SHA-256) and counts what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    bytes: u64,
}

impl<W: io::Write> io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Compresses a plain tar layer from `input` into the file `blob` with `format` (at
/// `level`, on `threads` threads), in one pass: the diff ID is hashed from the tar as it is
/// read, the descriptor's digest and size from the compressed bytes as they are written —
/// what FreeBSD's make-oci-image.sh does with `tee >(sha256) | gzip | sha256`, where
/// [`describe_layer`] of a compressed file has to decode it again. `name` names the input
/// in errors; an input that is not a plain tar (already compressed, or not a tar) is refused.
pub fn compress_layer(
    name: &str,
    input: impl Read,
    format: Format,
    level: Option<u32>,
    threads: usize,
    blob: &Path,
) -> Result<Layer, Error> {
    let mut plain = HashingReader::new(input, Algorithm::Sha256);
    let mut buf = vec![0u8; crate::io::BUFFER_SIZE];
    let got = crate::io::read_full(&mut plain, &mut buf[..512]).map_err(|e| Error::new(name, e))?;
    if !looks_like_tar(&buf[..got]) {
        let why = match Format::detect(&buf[..got]) {
            Some(found) if found != Format::None => {
                format!(
                    "already {}-compressed (layers given compressed are taken without --layer-compression)",
                    found.name()
                )
            }
            _ => "not a tar archive".to_string(),
        };
        return Err(Error::invalid(name, why));
    }
    let blob_name = blob.display().to_string();
    let file = File::create(blob).map_err(|e| Error::new(&blob_name, e))?;
    let out = HashingWriter {
        inner: io::BufWriter::with_capacity(crate::io::BUFFER_SIZE, file),
        hasher: Algorithm::Sha256.hasher(),
        bytes: 0,
    };
    let on_write = |e: io::Error| Error::new(&blob_name, e);
    let mut encoder = crate::codec::Encoder::new(format, level, threads, out).map_err(on_write)?;
    io::Write::write_all(&mut encoder, &buf[..got]).map_err(on_write)?;
    loop {
        let n = match plain.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::new(name, e)),
        };
        io::Write::write_all(&mut encoder, &buf[..n]).map_err(on_write)?;
    }
    let mut out = encoder.finish().map_err(on_write)?;
    io::Write::flush(&mut out).map_err(on_write)?;
    let digest = format!("sha256:{}", out.hasher.finalize().to_hex());
    let descriptor =
        Descriptor { media_type: layer_media_type(format), digest, size: out.bytes, ..Descriptor::default() };
    Ok(Layer { path: blob.to_path_buf(), descriptor, diff_id: plain.finish().0, format })
}

/// Whether `head` (at least 512 bytes) starts a tar archive: a ustar or GNU header, or the zero
/// block of an empty archive.
pub fn looks_like_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if head.iter().all(|&b| b == 0) {
        return true;
    }
    &head[257..262] == b"ustar"
}

/// What an image is made of besides its layers. Field names follow the image config
/// (config.md); `annotations` go to the manifest, `ref_name` to the index entry.
#[derive(Clone, Debug, Default)]
pub struct ImageSpec {
    /// `os` (default `freebsd`).
    pub os: Option<String>,
    /// The architecture in any spelling [`go_architecture`] knows (default: the host's).
    pub architecture: Option<String>,
    /// The CPU variant, when the architecture name does not imply it.
    pub variant: Option<String>,
    /// `os.version` (FreeBSD images: the release, e.g. `14.2-RELEASE`).
    pub os_version: Option<String>,
    /// Seconds since the epoch for `created` (config, history and the
    /// `org.opencontainers.image.created` annotation); `None` writes no time at all.
    pub created: Option<i64>,
    /// `author`.
    pub author: Option<String>,
    /// `config.User`.
    pub user: Option<String>,
    /// `config.Env`, `NAME=VALUE`.
    pub env: Vec<String>,
    /// `config.Entrypoint`.
    pub entrypoint: Vec<String>,
    /// `config.Cmd`.
    pub cmd: Vec<String>,
    /// `config.WorkingDir`.
    pub working_dir: Option<String>,
    /// `config.ExposedPorts`: `PORT`, `PORT/tcp`, `PORT/udp`.
    pub exposed_ports: Vec<String>,
    /// `config.Volumes`.
    pub volumes: Vec<String>,
    /// `config.StopSignal`.
    pub stop_signal: Option<String>,
    /// `config.Labels`.
    pub labels: BTreeMap<String, String>,
    /// Manifest annotations: `org.opencontainers.image.*`, and `org.freebsd.jail.*` which
    /// ocijail turns into jail parameters; passed through as given.
    pub annotations: BTreeMap<String, String>,
    /// `history[].created_by` of every layer (default: none).
    pub created_by: Option<String>,
    /// The `org.opencontainers.image.ref.name` of the image in the layout's index (a tag).
    pub ref_name: Option<String>,
}

/// `SOURCE_DATE_EPOCH` (reproducible-builds.org) when set: an integer number of seconds.
pub fn created_from_env() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(None),
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::new("SOURCE_DATE_EPOCH", format!("'{text}' is not a number of seconds"))),
    }
}

/// RFC 3339 in UTC with a `Z` (what Go writes for a `time.Time` in UTC).
pub fn rfc3339(seconds: i64) -> Result<String, Error> {
    let t = jiff::Timestamp::from_second(seconds).map_err(|e| Error::new("created", e))?;
    Ok(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The host's architecture as Go names it.
pub fn host_architecture() -> &'static str {
    go_architecture(std::env::consts::ARCH).0
}

/// A built image: the config and manifest blobs, and the descriptor of the manifest for an
/// index (with platform and `ref.name`).
#[derive(Clone, Debug)]
pub struct Image {
    /// The config.
    pub config: ImageConfig,
    /// Its bytes, as stored in the blob.
    pub config_bytes: Vec<u8>,
    /// The manifest.
    pub manifest: Manifest,
    /// Its bytes.
    pub manifest_bytes: Vec<u8>,
    /// The index entry of the manifest.
    pub manifest_descriptor: Descriptor,
}

/// Builds config, manifest and index entry for `layers` (base first).
pub fn build_image(spec: &ImageSpec, layers: &[Layer]) -> Result<Image, Error> {
    let created = spec.created.map(rfc3339).transpose()?;
    let arch_name = spec.architecture.as_deref().unwrap_or(std::env::consts::ARCH);
    let (architecture, implied_variant) = go_architecture(arch_name);
    let variant = spec.variant.clone().or(implied_variant.map(str::to_string));
    let os = spec.os.clone().unwrap_or_else(|| "freebsd".to_string());
    let empty = || Map::new();
    let run = RunConfig {
        user: spec.user.clone(),
        exposed_ports: spec.exposed_ports.iter().map(|p| (p.clone(), empty())).collect(),
        env: spec.env.clone(),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.cmd.clone(),
        volumes: spec.volumes.iter().map(|v| (v.clone(), empty())).collect(),
        working_dir: spec.working_dir.clone(),
        labels: spec.labels.clone(),
        stop_signal: spec.stop_signal.clone(),
        extra: Map::new(),
    };
    let history = if created.is_some() || spec.created_by.is_some() {
        layers
            .iter()
            .map(|_| History {
                created: created.clone(),
                created_by: spec.created_by.clone(),
                ..History::default()
            })
            .collect()
    } else {
        Vec::new()
    };
    let config = ImageConfig {
        created: created.clone(),
        author: spec.author.clone(),
        architecture: architecture.to_string(),
        os: os.clone(),
        os_version: spec.os_version.clone(),
        variant: variant.clone(),
        config: Some(run),
        rootfs: RootFs {
            kind: "layers".to_string(),
            diff_ids: layers.iter().map(|l| l.diff_id.clone()).collect(),
            extra: Map::new(),
        },
        history,
        ..ImageConfig::default()
    };
    let config_bytes = to_canonical_json(&config);
    let mut annotations = spec.annotations.clone();
    if let Some(c) = &created {
        annotations.entry(ANNOTATION_CREATED.to_string()).or_insert_with(|| c.clone());
    }
    let manifest = Manifest {
        schema_version: 2,
        media_type: MEDIA_TYPE_MANIFEST.to_string(),
        config: Descriptor::of_bytes(MEDIA_TYPE_CONFIG, &config_bytes),
        layers: layers.iter().map(|l| l.descriptor.clone()).collect(),
        annotations,
        ..Manifest::default()
    };
    let manifest_bytes = to_canonical_json(&manifest);
    let mut manifest_descriptor = Descriptor::of_bytes(MEDIA_TYPE_MANIFEST, &manifest_bytes);
    manifest_descriptor.platform = Some(Platform {
        architecture: architecture.to_string(),
        os,
        os_version: spec.os_version.clone(),
        variant,
        ..Platform::default()
    });
    if let Some(name) = &spec.ref_name {
        manifest_descriptor.annotations.insert(ANNOTATION_REF_NAME.to_string(), name.clone());
    }
    let report = super::validate::validate(Kind::Config, &serde_json::to_value(&config).expect("serialises"));
    if let Some(p) = report.problems.first() {
        return Err(Error::invalid("config", p));
    }
    let report =
        super::validate::validate(Kind::Manifest, &serde_json::to_value(&manifest).expect("serialises"));
    if let Some(p) = report.problems.first() {
        return Err(Error::invalid("manifest", p));
    }
    Ok(Image { config, config_bytes, manifest, manifest_bytes, manifest_descriptor })
}
