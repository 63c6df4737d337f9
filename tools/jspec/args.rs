//! The jspec command line: the clap definition only. Nothing here imports the rest of the
//! tool; `plan.rs` derives what the work modules take, `main.rs` dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  jspec get -t 14.1 .ajspec sum:amd64          the SHA-256 AppJail verifies
  jspec set -t 14.2 .ajspec source:amd64+=https://m.example/nginx/14.2-amd64-image.appjail
  jspec validate manifest.json                 exit 1 and every problem when invalid
  jspec new --format ajspec --name web --tag 14.2 --arch amd64 \\
        --source https://m.example/web/14.2-amd64-image.appjail web.appjail > .ajspec
  jspec convert --to imgadm --image web.appjail -t 14.2 -a amd64 .ajspec";

/// Read, write, create, validate and convert image metadata: AppJail .ajspec, SmartOS
/// imgadm manifests, appc ACI manifests, pot .meta, OCI image configs, manifests, indexes
/// and layouts.
///
/// The format of FILE is detected from its content (ajspec text, JSON with v/uuid for
/// imgadm, JSON with acKind for ACI, one line '-' or POT:TAG@SNAPSHOT for a pot .meta; OCI
/// JSON by its mediaType or shape: manifests → index, config and layers → manifest, rootfs →
/// config, imageLayoutVersion → oci-layout); --format overrides. FILE '-' is standard
/// input.
///
/// .ajspec files are read exactly as AppJail reads them (its tokenizer: both quote kinds,
/// backslash rules, `key+:` rows) and values are printed literally, never evaluated.
/// Edits rewrite only the rows of the keys concerned: comments, blank lines, order and
/// spacing of every other line stay byte for byte, and setting a value to what it already
/// is leaves the file untouched. Every value is checked before anything is written, and
/// files are replaced atomically.
#[derive(Parser, Debug)]
#[command(name = "jspec", version, after_long_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// A metadata format that can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// AppJail .ajspec
    Ajspec,
    /// SmartOS imgadm manifest (v2)
    Imgadm,
    /// appc ACI image manifest
    Aci,
    /// pot .meta line
    PotMeta,
    /// OCI image config, manifest, index or oci-layout (which one: from the content); for
    /// new, an OCI image layout or archive
    Oci,
    /// OCI image config
    OciConfig,
    /// OCI image manifest
    OciManifest,
    /// OCI image index (a layout's index.json)
    OciIndex,
    /// OCI oci-layout file
    OciLayout,
}

/// The document FILE and how to read it.
#[derive(Args, Debug)]
pub struct Source {
    /// Read FILE as this format instead of detecting it
    #[arg(short = 'F', long = "format", value_name = "FORMAT")]
    pub format: Option<Format>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a value (list values one per line)
    ///
    /// With -t TAG, KEY is AppJail's keyword (name, arch, tags, maintainer, comment, url,
    /// description, maintenance, entrypoint, ajspec, sum:ARCH, source:ARCH, size:ARCH,
    /// timestamp:ARCH, timestamp-human:ARCH); without, the raw file key (14.1.sum.amd64).
    /// tags and arch print sorted and unique, source and maintainer in file order,
    /// description one line per row. For JSON formats KEY is a dotted path (files.0.sha1).
    /// Exit 1 when the key is not set.
    #[command(after_long_help = "Examples:
  jspec get -t 14.1 .ajspec source:amd64      every mirror, in file order
  jspec get .ajspec 14.1.sum.amd64            the same file key without -t
  jspec get manifest.json files.0.sha1")]
    Get {
        #[command(flatten)]
        source: Source,
        /// Tag for AppJail keywords
        #[arg(short = 't', long = "tag")]
        tag: Option<String>,
        /// The metadata file ('-' for standard input)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Keyword (with -t), file key or dotted JSON path
        #[arg(value_name = "KEY")]
        key: String,
    },
    /// Change values in place (atomic); FILE '-' reads standard input and writes standard output
    ///
    /// KEY=VALUE replaces every row of the key with one row at the end of the file;
    /// KEY+=VALUE appends a row (tags, arch, source, maintainer, description; arch and tags
    /// only when not yet listed). Values are split at the first '=' only and checked before
    /// anything is written (sum: 64 hex, size/timestamp: digits, arch: AppJail's list, tag
    /// and name patterns); a refused change leaves the file untouched. For JSON formats KEY
    /// is a dotted path, VALUE keeps the type of the value it replaces, += appends to an
    /// array, and the changed manifest must still validate.
    #[command(after_long_help = "Examples:
  jspec set -t 14.2 .ajspec sum:amd64=$(jsum -q web.appjail) size:amd64=48213
  jspec set -t 14.2 .ajspec 'source:amd64+=https://m2.example/web/14.2-amd64-image.appjail'
  jspec set manifest.json files.0.size=1048576 description='Base image'
  cat .ajspec | jspec set - maintenance='uploading, try later' > new.ajspec")]
    Set {
        #[command(flatten)]
        source: Source,
        /// Tag for AppJail keywords
        #[arg(short = 't', long = "tag")]
        tag: Option<String>,
        /// The metadata file ('-': standard input to standard output)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// KEY=VALUE or KEY+=VALUE
        #[arg(value_name = "KEY=VALUE", required = true)]
        assignments: Vec<String>,
    },
    /// Delete every row of keys (JSON: remove the fields)
    #[command(after_long_help = "Examples:
  jspec del .ajspec maintenance               the upload is done: allow imports again
  jspec del -t 14.1 .ajspec source:amd64
  jspec del manifest.json urn")]
    Del {
        #[command(flatten)]
        source: Source,
        /// Tag for AppJail keywords
        #[arg(short = 't', long = "tag")]
        tag: Option<String>,
        /// The metadata file ('-': standard input to standard output)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Keys to delete
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
    },
    /// Print the whole document, human-readable or as normalized JSON
    #[command(after_long_help = "Examples:
  jspec show .ajspec                          tags, arches, sums, mirrors
  jspec show --json .ajspec | jq '.tags[\"14.1\"].arch.amd64.sum'")]
    Show {
        #[command(flatten)]
        source: Source,
        /// Print normalized JSON
        #[arg(long)]
        json: bool,
        /// The metadata file ('-' for standard input)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a summary, like `appjail image metadata info` or `imgadm info`
    ///
    /// For an OCI image layout directory: each image of its index.json (ref.name, platform,
    /// created, command, layers), manifests and configs verified against their digests.
    #[command(after_long_help = "Examples:
  jspec info .ajspec
  jspec info manifest.json
  jspec info oci/")]
    Info {
        #[command(flatten)]
        source: Source,
        /// The metadata file ('-' for standard input) or OCI layout directory
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Check the metadata: exit 0 valid, 1 invalid with every problem listed
    ///
    /// Invalid means the reference tool refuses it. .ajspec: every tag has arch, name and
    /// per arch a sum (64 lowercase hex) and at least one source; size and timestamp
    /// numeric; and nothing AppJail's import refuses: CRLF line ends, maintenance set,
    /// rows for a tag or arch that is not listed. imgadm: what imgadm's install accepts
    /// (its bundled validator: required fields, UUIDs, enums, files, unknown keys; v1
    /// manifests as imgadm upgrades them), with warnings for what fails later (no files,
    /// upper-case sha1). ACI: what actool validate accepts (acKind, acVersion, AC
    /// identifier names and labels, os/arch, annotations, app). OCI: what the image-spec
    /// (v1.1) requires of a config, manifest, index or oci-layout (media types, digests
    /// sha256: and 64 hex, sizes, platform fields, annotation keys). Problems are printed as
    /// FILE:LINE: or FILE:FIELD:.
    ///
    /// FILE may also be an OCI image layout directory or an OCI archive (a tar of one,
    /// compressed with any codec jpack reads, as FreeBSD's container-image-*.txz): oci-layout
    /// and index.json are validated, then every manifest the index lists (nested indexes
    /// followed), its config and its layers, each blob's size and digest checked and each
    /// layer decoded to check its diff_id. Problems are printed as FILE:BLOB: why.
    #[command(after_long_help = "Examples:
  jspec validate .ajspec && git commit -m 'publish 14.2' .ajspec
  jspec validate manifest.json
  jspec validate oci/                         a layout: every blob checked
  jspec validate FreeBSD-14.3-RELEASE-amd64-container-image-static.txz")]
    Validate {
        #[command(flatten)]
        source: Source,
        /// The metadata file ('-' for standard input), OCI layout directory or OCI archive
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Create metadata for an image file
    ///
    /// ajspec: timestamp now, sum = SHA-256 of IMAGE, size = its bytes; --update FILE adds
    /// or replaces that tag/arch block in an existing file as `appjail image export`
    /// does. imgadm: v 2, a fresh UUID unless given, published_at now, files[0] with the
    /// SHA-1, size and compression of IMAGE (detected from its magic bytes unless given).
    /// aci: an ImageManifest. pot-meta: the one-line .meta ('-' when not layered).
    ///
    /// oci: an OCI image layout directory -o DIR (which must not exist; written beside it
    /// and renamed into place) or, with --archive, an OCI archive -o FILE, from the layer
    /// files IMAGE... (base first; tars, plain or compressed with any codec jpack reads):
    /// each layer's digest and size as stored, its diff_id from the decoded tar; os (default
    /// freebsd) and architecture (default the host's) as Go names them, FreeBSD's names
    /// mapped as containerd does (amd64, aarch64/arm64 → arm64, i386 → 386, riscv64). The
    /// time written is --timestamp, else SOURCE_DATE_EPOCH, else none: the same inputs give
    /// the same digests.
    ///
    /// Architectures are written as given for the other formats: arm64 and aarch64 are
    /// distinct keys in an .ajspec, and a default AppJail import on arm64 hardware asks for
    /// aarch64 (uname -p), so prefer aarch64 there. Readers (jfetch) match the two as
    /// aliases.
    #[command(after_long_help = "Examples:
  jspec new --format ajspec --name web --tag 14.2 --arch amd64 \\
        --source https://m.example/web/14.2-amd64-image.appjail web.appjail > .ajspec
  jspec new --format ajspec --update .ajspec --name web --tag 14.3 --arch amd64 web-14.3.appjail
  jspec new --format imgadm --name web --version 1.0.0 --os bsd --type other web.zfs.xz -o web.json
  jspec new --format aci --name example.com/web --label os=freebsd --label arch=amd64 --exec /bin/sh
  jspec new --format pot-meta --origin freebsd_13_2:1.8@1707396231 > web_1.0.xz.meta
  jsnap send --dir /jails/web | jpack -c gzip > web.tar.gz
  jspec new --format oci -a amd64 --ref-name web:14.2 --cmd /bin/sh --port 80/tcp \\
        --annotation org.freebsd.jail.allow.raw_sockets=true -o web-oci web.tar.gz
  jspec new --format oci --archive -o web.txz base.tar.zst web.tar.gz")]
    New(Box<NewArgs>),
    /// Convert between formats, carrying what maps
    ///
    /// From an .ajspec, -t and -a pick the image (default: the only one). Digests a target
    /// needs but the source lacks (imgadm's SHA-1, AppJail's SHA-256) are computed from
    /// --image, which is also checked against the digests and size the source has.
    ///
    /// OCI (--to oci, or an OCI image config as FILE): a config carries os and architecture
    /// (Go's names to OCI, FreeBSD's from it: arm64 ↔ aarch64, 386 ↔ i386; imgadm's bsd ↔
    /// freebsd), created ↔ timestamp/published_at, Entrypoint and Cmd ↔ ACI's app.exec, and
    /// the labels org.opencontainers.image.title/version/description ↔ name, tag or version,
    /// description; with --to oci, --image LAYER gives rootfs.diff_ids. Dropped with a warning:
    /// from OCI, Env, User, WorkingDir, ExposedPorts, Volumes, other labels, diff_ids,
    /// history; to OCI, the image file's digests, size, mirrors, uuid and type (a manifest's,
    /// not a config's: use new --format oci).
    #[command(after_long_help = "Examples:
  jspec convert --to imgadm -t 14.2 -a amd64 --image web.appjail .ajspec -o web.json
  jspec convert --to ajspec --arch amd64 --image web.zfs.xz --source https://m.example/web.zfs.xz web.json
  jspec convert --to aci -t 14.2 .ajspec
  jspec convert --to imgadm old.dsmanifest     upgrade a v1 manifest to v2
  jspec convert --to oci -a amd64 --image web.tar.gz web.json -o config.json
  jspec convert --to ajspec --image web.appjail --source https://m.example/web.appjail config.json")]
    Convert(Box<ConvertArgs>),
    /// Print the ACI image ID: sha512-<hex of the uncompressed tar>
    ///
    /// IMAGE may be a plain tar or compressed in any format jpack reads (gzip, bzip2, xz,
    /// zstd, lz4, lzma), detected from its magic bytes: the ID is the same whatever the
    /// compression.
    #[command(
        name = "aci-id",
        after_long_help = "Examples:
  jspec aci-id web.aci
  xz -dc web.aci | jspec aci-id -"
    )]
    AciId {
        /// The ACI file ('-' for standard input)
        #[arg(value_name = "IMAGE")]
        image: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct NewArgs {
    /// What to create
    #[arg(long = "format", value_name = "FORMAT")]
    pub format: Format,
    /// Image name (ajspec, imgadm, aci)
    #[arg(long)]
    pub name: Option<String>,
    /// Tag (ajspec)
    #[arg(short = 't', long)]
    pub tag: Option<String>,
    /// Architecture (ajspec; oci: any spelling, mapped to Go's name [default: the host's])
    #[arg(short = 'a', long)]
    pub arch: Option<String>,
    /// Mirror URL of the image, repeat for several (ajspec)
    #[arg(long = "source", value_name = "URL")]
    pub sources: Vec<String>,
    /// Add or replace the tag/arch block in this .ajspec, in place (ajspec)
    #[arg(long, value_name = "FILE")]
    pub update: Option<PathBuf>,
    /// Unix seconds to record instead of now (ajspec timestamp, imgadm published_at)
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: Option<i64>,
    /// Version (imgadm)
    #[arg(long)]
    pub version: Option<String>,
    /// Operating system: smartos, linux, windows, bsd, illumos, other (imgadm); Go's GOOS
    /// [default: freebsd] (oci)
    #[arg(long)]
    pub os: Option<String>,
    /// Image type: zone-dataset, lx-dataset, zvol, docker, other (imgadm)
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Compression of IMAGE: gzip, bzip2, xz, none [default: detected] (imgadm); of the
    /// archive (oci --archive)
    #[arg(long)]
    pub compression: Option<String>,
    /// Image UUID [default: a fresh random one] (imgadm)
    #[arg(long)]
    pub uuid: Option<String>,
    /// Description (imgadm)
    #[arg(long)]
    pub description: Option<String>,
    /// imgadm: UUID of the base image of an incremental image; pot-meta: POT:TAG@SNAPSHOT
    #[arg(long)]
    pub origin: Option<String>,
    /// NIC driver, required for zvol images (imgadm)
    #[arg(long)]
    pub nic_driver: Option<String>,
    /// Disk driver, required for zvol images (imgadm)
    #[arg(long)]
    pub disk_driver: Option<String>,
    /// CPU type, required for zvol images (imgadm)
    #[arg(long)]
    pub cpu_type: Option<String>,
    /// Image size in MiB, required for zvol images (imgadm)
    #[arg(long, value_name = "MIB")]
    pub image_size: Option<u64>,
    /// Label NAME=VALUE, repeat for several (aci; oci: config.Labels)
    #[arg(long = "label", value_name = "NAME=VALUE")]
    pub labels: Vec<String>,
    /// One argument of app.exec, repeat for the command's arguments (aci)
    #[arg(long = "exec", value_name = "ARG", allow_hyphen_values = true)]
    pub exec: Vec<String>,
    /// app.user [default: 0] (aci); config.User: USER, UID, USER:GROUP, UID:GID (oci)
    #[arg(long)]
    pub user: Option<String>,
    /// app.group [default: 0] (aci)
    #[arg(long)]
    pub group: Option<String>,
    /// One argument of config.Cmd, repeat for the command's arguments (oci)
    #[arg(long = "cmd", value_name = "ARG", allow_hyphen_values = true, help_heading = "OCI")]
    pub cmd: Vec<String>,
    /// One argument of config.Entrypoint, repeat for its arguments (oci)
    #[arg(long = "entrypoint", value_name = "ARG", allow_hyphen_values = true, help_heading = "OCI")]
    pub entrypoint: Vec<String>,
    /// config.Env entry NAME=VALUE, repeat for several (oci)
    #[arg(long = "env", value_name = "NAME=VALUE", help_heading = "OCI")]
    pub env: Vec<String>,
    /// config.WorkingDir (oci)
    #[arg(long = "workdir", value_name = "DIR", help_heading = "OCI")]
    pub workdir: Option<String>,
    /// config.ExposedPorts: PORT, PORT/tcp or PORT/udp, repeat for several (oci)
    #[arg(long = "port", value_name = "PORT[/PROTO]", help_heading = "OCI")]
    pub ports: Vec<String>,
    /// config.Volumes: a directory that holds data, repeat for several (oci)
    #[arg(long = "volume", value_name = "DIR", help_heading = "OCI")]
    pub volumes: Vec<String>,
    /// config.StopSignal, e.g. SIGTERM (oci)
    #[arg(long = "stop-signal", value_name = "SIGNAL", help_heading = "OCI")]
    pub stop_signal: Option<String>,
    /// Manifest annotation KEY=VALUE: org.opencontainers.image.* (annotations.md) or
    /// org.freebsd.jail.* (ocijail's jail parameters), repeat for several (oci)
    #[arg(long = "annotation", value_name = "KEY=VALUE", help_heading = "OCI")]
    pub annotations: Vec<String>,
    /// The image's org.opencontainers.image.ref.name in index.json: a tag (14.2) or, as
    /// FreeBSD's images, NAME:TAG; what skopeo oci:DIR:REF and umoci --image DIR:REF find (oci)
    #[arg(long = "ref-name", value_name = "REF", help_heading = "OCI")]
    pub ref_name: Option<String>,
    /// CPU variant (v7 for arm; implied by armv7 and armv6) (oci)
    #[arg(long, help_heading = "OCI")]
    pub variant: Option<String>,
    /// os.version, e.g. 14.2-RELEASE (oci)
    #[arg(long = "os-version", value_name = "VERSION", help_heading = "OCI")]
    pub os_version: Option<String>,
    /// The config's author (oci)
    #[arg(long, help_heading = "OCI")]
    pub author: Option<String>,
    /// history[].created_by of each layer (oci)
    #[arg(long = "created-by", value_name = "TEXT", help_heading = "OCI")]
    pub created_by: Option<String>,
    /// Write an OCI archive (a tar of the layout) to -o FILE instead of a layout directory,
    /// compressed with --compression CODEC (any jpack writes) or, without it, as FILE's
    /// extension says (.tar none, .tgz/.gz gzip, .txz/.xz xz, .tzst/.zst zstd, .tbz/.bz2
    /// bzip2, .lz4) (oci)
    #[arg(long, help_heading = "OCI")]
    pub archive: bool,
    /// Compress each layer, given as a plain tar (a file or '-' for standard input), with
    /// CODEC (gzip, zstd; any jpack writes) while reading it: the diff_id is hashed from the
    /// tar and the blob's digest from the compressed bytes in the same pass, as FreeBSD's
    /// make-oci-image.sh does with tee, so no layer is decoded again (oci)
    #[arg(long = "layer-compression", value_name = "CODEC", help_heading = "OCI")]
    pub layer_compression: Option<String>,
    /// Write to FILE (atomically) instead of standard output (oci: the layout directory or
    /// archive, required)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The image file to describe ('-' for standard input); oci: the layer files, base first
    #[arg(value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Target format
    #[arg(long = "to", value_name = "FORMAT")]
    pub to: Format,
    #[command(flatten)]
    pub source: Source,
    /// Tag: which image of an .ajspec, or the tag of a new one
    #[arg(short = 't', long)]
    pub tag: Option<String>,
    /// Architecture: which image of an .ajspec, or the arch of a new one
    #[arg(short = 'a', long)]
    pub arch: Option<String>,
    /// The image file, to compute digests the source lacks and check those it has
    #[arg(long, value_name = "FILE")]
    pub image: Option<PathBuf>,
    /// Mirror URL for an .ajspec target, repeat for several
    #[arg(long = "source", value_name = "URL")]
    pub sources: Vec<String>,
    /// Name for the target instead of the source's
    #[arg(long)]
    pub name: Option<String>,
    /// imgadm os [default: from the source, else bsd]
    #[arg(long)]
    pub os: Option<String>,
    /// imgadm type [default: from the source, else other]
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// imgadm UUID [default: from the source, else a fresh one]
    #[arg(long)]
    pub uuid: Option<String>,
    /// Write to FILE (atomically) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The metadata file to convert ('-' for standard input)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
