//! What jspec is asked to do, derived from the command line and free of clap: the work
//! modules (`edit`, `report`, `create`, `convert`) take a [`Job`] part and never see the
//! clap structs (ripgrep's low-level flags → `hiargs`). This is the only module that
//! reads `args`.

use std::path::PathBuf;

use jcore::format::imgadm::Zvol;
use jcore::oci::Kind as OciKind;

use crate::args::{self, Cli, ConvertArgs, NewArgs};

/// A metadata format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Ajspec,
    Imgadm,
    Aci,
    PotMeta,
    /// An OCI document; `None`: which kind is detected from the content.
    Oci(Option<OciKind>),
}

impl From<args::Format> for Format {
    fn from(f: args::Format) -> Format {
        match f {
            args::Format::Ajspec => Format::Ajspec,
            args::Format::Imgadm => Format::Imgadm,
            args::Format::Aci => Format::Aci,
            args::Format::PotMeta => Format::PotMeta,
            args::Format::Oci => Format::Oci(None),
            args::Format::OciConfig => Format::Oci(Some(OciKind::Config)),
            args::Format::OciManifest => Format::Oci(Some(OciKind::Manifest)),
            args::Format::OciIndex => Format::Oci(Some(OciKind::Index)),
            args::Format::OciLayout => Format::Oci(Some(OciKind::Layout)),
        }
    }
}

/// `new --format oci`: what goes into the image besides its layers.
#[derive(Debug, Default)]
pub struct OciPlan {
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub ports: Vec<String>,
    pub volumes: Vec<String>,
    pub stop_signal: Option<String>,
    pub annotations: Vec<String>,
    pub ref_name: Option<String>,
    pub variant: Option<String>,
    pub os_version: Option<String>,
    pub author: Option<String>,
    pub created_by: Option<String>,
    /// Write an archive to `-o`, not a layout directory.
    pub archive: bool,
    /// Compress plain-tar layers with this codec as they are read (one pass).
    pub layer_compression: Option<String>,
    /// The layer files, base first.
    pub layers: Vec<PathBuf>,
}

/// The document a read/edit subcommand works on.
#[derive(Debug)]
pub struct Target {
    pub file: PathBuf,
    /// `None`: detect from the content.
    pub format: Option<Format>,
    /// AppJail tag for keywords (`-t`).
    pub tag: Option<String>,
}

/// `new`: everything any format may use; each format checks what it requires.
#[derive(Debug)]
pub struct NewPlan {
    pub format: Format,
    pub name: Option<String>,
    pub tag: Option<String>,
    pub arch: Option<String>,
    pub sources: Vec<String>,
    pub update: Option<PathBuf>,
    pub timestamp: Option<i64>,
    pub version: Option<String>,
    pub os: Option<String>,
    pub kind: Option<String>,
    pub compression: Option<String>,
    pub uuid: Option<String>,
    pub description: Option<String>,
    pub origin: Option<String>,
    /// `Some` when all four zvol options were given.
    pub zvol: Option<Zvol>,
    pub labels: Vec<String>,
    pub exec: Vec<String>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub output: Option<PathBuf>,
    pub image: Option<PathBuf>,
    pub oci: OciPlan,
}

/// `convert`.
#[derive(Debug)]
pub struct ConvertPlan {
    pub to: Format,
    pub file: PathBuf,
    pub from: Option<Format>,
    pub tag: Option<String>,
    pub arch: Option<String>,
    pub image: Option<PathBuf>,
    pub sources: Vec<String>,
    pub name: Option<String>,
    pub os: Option<String>,
    pub kind: Option<String>,
    pub uuid: Option<String>,
    pub output: Option<PathBuf>,
}

/// One subcommand, ready to run.
#[derive(Debug)]
pub enum Job {
    Get(Target, String),
    Set(Target, Vec<String>),
    Del(Target, Vec<String>),
    Show(Target, bool),
    Info(Target),
    Validate(Target),
    New(Box<NewPlan>),
    Convert(Box<ConvertPlan>),
    AciId(PathBuf),
}

fn target(source: args::Source, file: PathBuf, tag: Option<String>) -> Target {
    Target { file, format: source.format.map(Format::from), tag }
}

impl NewPlan {
    fn derive(a: NewArgs) -> anyhow::Result<NewPlan> {
        let zvol = match (a.nic_driver, a.disk_driver, a.cpu_type, a.image_size) {
            (Some(nic_driver), Some(disk_driver), Some(cpu_type), Some(image_size)) => {
                Some(Zvol { nic_driver, disk_driver, cpu_type, image_size })
            }
            (None, None, None, None) => None,
            _ => anyhow::bail!(
                "zvol images need all of --nic-driver, --disk-driver, --cpu-type and --image-size"
            ),
        };
        let format: Format = a.format.into();
        let mut images = a.images;
        let (image, layers) = match format {
            Format::Oci(None) => (None, std::mem::take(&mut images)),
            Format::Oci(Some(_)) => {
                anyhow::bail!(
                    "new: --format oci writes a whole image (layout or archive); not oci-config etc."
                )
            }
            _ if images.len() > 1 => anyhow::bail!("new --format {:?}: one IMAGE only", a.format),
            _ => (images.pop(), Vec::new()),
        };
        let oci = OciPlan {
            cmd: a.cmd,
            entrypoint: a.entrypoint,
            env: a.env,
            workdir: a.workdir,
            ports: a.ports,
            volumes: a.volumes,
            stop_signal: a.stop_signal,
            annotations: a.annotations,
            ref_name: a.ref_name,
            variant: a.variant,
            os_version: a.os_version,
            author: a.author,
            created_by: a.created_by,
            archive: a.archive,
            layer_compression: a.layer_compression.clone(),
            layers,
        };
        Ok(NewPlan {
            format,
            name: a.name,
            tag: a.tag,
            arch: a.arch,
            sources: a.sources,
            update: a.update,
            timestamp: a.timestamp,
            version: a.version,
            os: a.os,
            kind: a.kind,
            compression: a.compression,
            uuid: a.uuid,
            description: a.description,
            origin: a.origin,
            zvol,
            labels: a.labels,
            exec: a.exec,
            user: a.user,
            group: a.group,
            output: a.output,
            image,
            oci,
        })
    }
}

impl From<ConvertArgs> for ConvertPlan {
    fn from(a: ConvertArgs) -> ConvertPlan {
        ConvertPlan {
            to: a.to.into(),
            file: a.file,
            from: a.source.format.map(Format::from),
            tag: a.tag,
            arch: a.arch,
            image: a.image,
            sources: a.sources,
            name: a.name,
            os: a.os,
            kind: a.kind,
            uuid: a.uuid,
            output: a.output,
        }
    }
}

impl Job {
    /// Derives the job from the parsed command line; fails on combinations clap cannot
    /// express.
    pub fn derive(cli: Cli) -> anyhow::Result<Job> {
        use args::Command as C;
        Ok(match cli.command {
            C::Get { source, tag, file, key } => Job::Get(target(source, file, tag), key),
            C::Set { source, tag, file, assignments } => Job::Set(target(source, file, tag), assignments),
            C::Del { source, tag, file, keys } => Job::Del(target(source, file, tag), keys),
            C::Show { source, json, file } => Job::Show(target(source, file, None), json),
            C::Info { source, file } => Job::Info(target(source, file, None)),
            C::Validate { source, file } => Job::Validate(target(source, file, None)),
            C::New(a) => Job::New(Box::new(NewPlan::derive(*a)?)),
            C::Convert(a) => Job::Convert(Box::new((*a).into())),
            C::AciId { image } => Job::AciId(image),
        })
    }
}
