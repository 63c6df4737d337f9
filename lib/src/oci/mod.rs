//! OCI images (opencontainers/image-spec v1.1): the JSON documents, their validation, building
//! an image from layer files, and image layout directories and archives.
//!
//! - The types: [`ImageConfig`], [`Manifest`], [`Index`], [`OciLayout`], [`Descriptor`],
//!   [`Platform`]. Every type keeps the fields it does not know in `extra`, so a document read
//!   and written again loses nothing. Maps (labels, annotations, exposed ports) are
//!   `BTreeMap`s and the fields are declared in the order of the Go structs of
//!   `specs-go/v1`, so jtools writes the same bytes as Go's `encoding/json` would.
//! - [`validate`]: what the image-spec requires of each document, on the parsed JSON, every
//!   problem at once (a typed parse would stop at the first).
//! - [`build`]: layer files (any jcore codec) to config, manifest and index, deterministic.
//! - [`layout`]: writing an image layout directory atomically, reading one back with every
//!   blob verified against its digest, and unpacking OCI archives (a tar of a layout,
//!   possibly compressed).
//!
//! Not here: registries (jfetch), layer diffs and whiteouts (jsnap), applying layers to a
//! tree ([`crate::tree`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub mod build;
pub mod docker;
pub mod layout;
pub mod validate;

/// `application/vnd.oci.image.manifest.v1+json` (media-types.md).
pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`.
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.oci.image.config.v1+json`.
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// `application/vnd.oci.image.layer.v1.tar`: an uncompressed layer.
pub const MEDIA_TYPE_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// `application/vnd.oci.image.layer.v1.tar+gzip`.
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// `application/vnd.oci.image.layer.v1.tar+zstd`.
pub const MEDIA_TYPE_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// `application/vnd.oci.empty.v1+json` (manifest.md "Guidance for an Empty Descriptor").
pub const MEDIA_TYPE_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// Docker's schema 2 manifest, which registries and skopeo also serve.
pub const MEDIA_TYPE_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's manifest list, the index of Docker schema 2.
pub const MEDIA_TYPE_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker's image config.
pub const MEDIA_TYPE_DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker's gzip-compressed layer.
pub const MEDIA_TYPE_DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The annotation naming an image in a layout's `index.json` (annotations.md; what skopeo's
/// `oci:DIR:TAG` and umoci's `--image DIR:TAG` look up).
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation with the image's creation time (RFC 3339).
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// The `imageLayoutVersion` of `oci-layout` (image-layout.md).
pub const LAYOUT_VERSION: &str = "1.0.0";

fn is_false(b: &bool) -> bool {
    !*b
}

/// A content descriptor (descriptor.md): what a blob is, its digest and size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The blob's media type.
    pub media_type: String,
    /// `ALGORITHM:ENCODED`, e.g. `sha256:` and 64 lowercase hex digits.
    pub digest: String,
    /// The blob's size in bytes.
    pub size: u64,
    /// Where else the blob may be downloaded from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Annotations (in an index: `org.opencontainers.image.ref.name`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The blob itself, base64 (embedded content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// In an index: the platform of the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The artifact's type, for artifact manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Fields jtools does not know, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Descriptor {
    /// A descriptor of `bytes` with SHA-256.
    pub fn of_bytes(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            ..Descriptor::default()
        }
    }

    /// The `org.opencontainers.image.ref.name` annotation.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations.get(ANNOTATION_REF_NAME).map(String::as_str)
    }
}

/// `sha256:` and the lowercase hex SHA-256 of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::digest::Algorithm::Sha256.digest(bytes).to_hex())
}

/// The platform a manifest is for (image-index.md `platform`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture in Go's `GOARCH` terms (`amd64`, `arm64`, `386`, `riscv64`).
    pub architecture: String,
    /// Operating system in Go's `GOOS` terms (`freebsd`, `linux`).
    pub os: String,
    /// The OS version (Windows builds use it).
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Required OS features.
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// CPU variant (`v7` for arm, `v8` for arm64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// `os/architecture[/variant]`, as `--platform` takes it.
    pub fn parse(text: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = text.split('/').collect();
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(format!("'{text}' is not OS/ARCHITECTURE[/VARIANT]"));
        }
        let (architecture, mapped_variant) = go_architecture(parts[1]);
        let variant = parts.get(2).map(|v| v.to_string()).or(mapped_variant.map(str::to_string));
        Ok(Platform {
            os: parts[0].to_string(),
            architecture: architecture.to_string(),
            variant,
            ..Platform::default()
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The Go architecture name (and variant) for an architecture as FreeBSD (`uname -p`),
/// Linux (`uname -m`) or Debian names it, following containerd's `platforms.Normalize`:
/// `x86_64`→`amd64`, `aarch64`/`arm64`→`arm64` (variant `v8` dropped, as containerd does),
/// `i386`/`i486`/`i586`/`i686`→`386`, `armv7`/`armv7l`/`armhf`→`arm` `v7`, `armv6`/`armel`→`arm`
/// `v6`, `powerpc64`→`ppc64`, `powerpc64le`→`ppc64le`, `riscv64`→`riscv64`. Names it does not
/// know are returned unchanged.
pub fn go_architecture(name: &str) -> (&str, Option<&'static str>) {
    match name {
        "amd64" | "x86_64" | "x86-64" => ("amd64", None),
        "aarch64" | "arm64" => ("arm64", None),
        "i386" | "i486" | "i586" | "i686" | "386" => ("386", None),
        "armv7" | "armv7l" | "armv7hf" | "armhf" => ("arm", Some("v7")),
        "armv6" | "armv6l" | "armel" => ("arm", Some("v6")),
        "powerpc64" | "ppc64" => ("ppc64", None),
        "powerpc64le" | "ppc64le" => ("ppc64le", None),
        "riscv64" => ("riscv64", None),
        other => (other, None),
    }
}

/// An image manifest (manifest.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`MEDIA_TYPE_MANIFEST`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// The artifact type (artifact manifests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The image config blob.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (referrers API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An image index (image-index.md); a layout's `index.json` is one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// [`MEDIA_TYPE_INDEX`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    /// The artifact type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The manifests (or nested indexes).
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `oci-layout` file of an image layout (image-layout.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciLayout {
    /// [`LAYOUT_VERSION`].
    pub image_layout_version: String,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for OciLayout {
    fn default() -> OciLayout {
        OciLayout { image_layout_version: LAYOUT_VERSION.to_string(), extra: Map::new() }
    }
}

/// An image configuration (config.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// When the image was created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who built it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Go architecture name.
    pub architecture: String,
    /// Go OS name.
    pub os: String,
    /// OS version.
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Required OS features.
    #[serde(rename = "os.features", default, skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// How to run a container of the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RunConfig>,
    /// The layers' diff IDs.
    pub rootfs: RootFs,
    /// How each layer was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `config` object of an image configuration: execution parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    /// `user`, `uid`, `user:group`, `uid:gid`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `PORT/tcp`, `PORT/udp` or `PORT`, each mapped to `{}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, Map<String, Value>>,
    /// `NAME=VALUE` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// The program and its first arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// Default arguments (the command when there is no entrypoint).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// Directories that hold data, each mapped to `{}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Map<String, Value>>,
    /// The working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The signal that stops the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The keys of [`RunConfig`] as Go's image-spec struct names them.
pub const RUN_CONFIG_FIELDS: &[&str] = &[
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
    "ArgsEscaped",
];

/// Go's `encoding/json`, which every reference tool decodes with, matches object keys to
/// struct fields case-insensitively when no key matches exactly: FreeBSD's
/// `make-oci-image.sh` writes `"config":{"cmd":[…]}` and podman runs that command. This
/// renames such keys of `obj` to their field names (an exact key wins), so jcore reads what
/// Go reads; it returns the keys renamed.
pub fn fold_keys_as_go(obj: &mut Map<String, Value>, fields: &[&str]) -> Vec<String> {
    let mut renamed = Vec::new();
    for field in fields {
        if obj.contains_key(*field) {
            continue;
        }
        if let Some(key) = obj.keys().find(|k| k.eq_ignore_ascii_case(field)).cloned() {
            let value = obj.remove(&key).expect("present");
            obj.insert(field.to_string(), value);
            renamed.push(key);
        }
    }
    renamed
}

/// The `rootfs` object: the uncompressed layers' digests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `sha256:` digests of each layer's uncompressed tar, base first.
    pub diff_ids: Vec<String>,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `history`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// When, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The command that made the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The entry made no layer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub empty_layer: bool,
    /// Fields jtools does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The serialisation jtools writes for blobs: compact, fields in the Go structs' order, maps
/// sorted — what Go's `encoding/json` writes for the same values, so digests are stable.
pub fn to_canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("OCI types always serialise")
}

/// Which OCI document a JSON object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An image manifest.
    Manifest,
    /// An image index.
    Index,
    /// An image configuration.
    Config,
    /// An `oci-layout` file.
    Layout,
}

impl Kind {
    /// The name used in messages and by `oci-image-tool validate --type`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Manifest => "manifest",
            Kind::Index => "imageIndex",
            Kind::Config => "config",
            Kind::Layout => "oci-layout",
        }
    }
}

/// Recognises an OCI document by its content: the `mediaType` when it names one, else its
/// shape (`manifests` → index, `config`+`layers` → manifest, `rootfs` → config,
/// `imageLayoutVersion` → layout). `None` for anything else.
pub fn detect(value: &Value) -> Option<Kind> {
    let obj = value.as_object()?;
    match obj.get("mediaType").and_then(Value::as_str) {
        Some(MEDIA_TYPE_MANIFEST) | Some(MEDIA_TYPE_DOCKER_MANIFEST) => return Some(Kind::Manifest),
        Some(MEDIA_TYPE_INDEX) | Some(MEDIA_TYPE_DOCKER_LIST) => return Some(Kind::Index),
        _ => {}
    }
    if obj.contains_key("imageLayoutVersion") {
        Some(Kind::Layout)
    } else if obj.contains_key("manifests") && obj.contains_key("schemaVersion") {
        Some(Kind::Index)
    } else if obj.contains_key("config") && obj.contains_key("layers") && obj.contains_key("schemaVersion") {
        Some(Kind::Manifest)
    } else if obj.contains_key("rootfs") && obj.contains_key("architecture") {
        Some(Kind::Config)
    } else {
        None
    }
}

/// What went wrong with an OCI file or blob: the thing (a path, a blob `blobs/sha256/…`, a
/// reference) and why.
#[derive(Debug)]
pub struct Error {
    /// What the error is about.
    pub what: String,
    /// Why.
    pub message: String,
    /// Whether the content is wrong (a digest or size mismatch, an invalid document) rather
    /// than unreadable: tools exit 1 for these, 2 for the others.
    pub invalid: bool,
}

impl Error {
    /// An error that is not about the content (I/O, a missing reference).
    pub fn new(what: impl Into<String>, message: impl fmt::Display) -> Error {
        Error { what: what.into(), message: message.to_string(), invalid: false }
    }

    /// Content that is wrong: a digest mismatch, a document that does not validate.
    pub fn invalid(what: impl Into<String>, message: impl fmt::Display) -> Error {
        Error { what: what.into(), message: message.to_string(), invalid: true }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.message)
    }
}

impl std::error::Error for Error {}
