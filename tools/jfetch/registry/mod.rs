//! OCI distribution registries (distribution-spec v1.1, the Docker registry API v2): pull an
//! image into an OCI image layout, push one from a layout.
//!
//! - [`Reference`]: `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`, skopeo's transport name, with
//!   the host always given (no implicit docker.io).
//! - [`session`]: one registry, its authentication (anonymous, Basic, Bearer tokens from the
//!   realm a `WWW-Authenticate` challenge names) and its error bodies, over jfetch's own
//!   HTTP client: proxies, trust, netrc and redaction are the ones every URL gets.
//! - [`pull`]: manifests (an index resolved to one platform) fetched and verified in memory,
//!   blobs through [`crate::fetch::Fetcher`] (retries, Retry-After, Range resume, the next
//!   mirror, the digest checked while streaming) into a layout built beside its target.
//! - [`push`]: blobs that the registry lacks uploaded (monolithic, or chunked above a size,
//!   or mounted from another repository), then manifests by digest and the top one by tag.
//!
//! Not here: building images (jcore::oci::build), unpacking layers (jsnap), signatures.

pub mod authfile;
pub mod pull;
pub mod push;
pub mod session;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail};
use jcore::oci::Platform;
use percent_encoding::percent_decode_str;

/// What a registry command does, derived from the flags.
pub struct Job {
    /// Pull or push.
    pub mode: Mode,
    /// Talk plain http to the registries (`--plain-http`).
    pub plain_http: bool,
    /// Retries per request after a transient failure.
    pub retries: u32,
    /// The longest Retry-After granted, in all, per registry.
    pub retry_max_time: Duration,
    /// No warnings.
    pub quiet: bool,
    /// Print a JSON record.
    pub json: bool,
}

/// Pull or push.
pub enum Mode {
    /// Pull the image named by the references (mirrors of one image) into a new layout.
    Pull {
        /// The registries, in the order tried.
        references: Vec<Reference>,
        /// The layout directory to create.
        output: PathBuf,
        /// The platform an index is resolved to.
        platform: Platform,
    },
    /// Push an image of a layout to each destination in turn.
    Push {
        /// The layout directory.
        layout: PathBuf,
        /// The image in it: a `ref.name` or a manifest digest (else its only image).
        image: Option<String>,
        /// Where to push.
        destinations: Vec<Reference>,
        /// A repository on the same registry to mount blobs from.
        mount_from: Option<String>,
        /// Blobs larger than this go in chunks of this size.
        chunk_size: u64,
    },
}

/// Whether a command-line SOURCE is a registry reference.
pub fn is_reference(text: &str) -> bool {
    text.len() > 9 && text[..9].eq_ignore_ascii_case("docker://")
}

/// The tag or digest a reference names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A tag (`latest` when none is written, as skopeo and docker do).
    Tag(String),
    /// A manifest digest.
    Digest(String),
}

impl Target {
    /// The tag or digest as it goes in `/v2/REPO/manifests/…`.
    pub fn as_str(&self) -> &str {
        match self {
            Target::Tag(t) | Target::Digest(t) => t,
        }
    }
}

/// `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`, credentials kept apart.
#[derive(Clone)]
pub struct Reference {
    /// `HOST[:PORT]`.
    pub host: String,
    /// The repository (`library/alpine`).
    pub repository: String,
    /// The tag or digest.
    pub target: Target,
    /// User and password from the userinfo, percent-decoded.
    pub credentials: Option<(String, Option<String>)>,
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Tag(t) => write!(f, "docker://{}/{}:{t}", self.host, self.repository),
            Target::Digest(d) => write!(f, "docker://{}/{}@{d}", self.host, self.repository),
        }
    }
}

impl Reference {
    /// Parses `docker://[USER[:PASSWORD]@]HOST[:PORT]/REPO[:TAG|@DIGEST]`.
    pub fn parse(text: &str) -> anyhow::Result<Reference> {
        let shown = crate::source::redact(text);
        let fail = |why: &str| anyhow!("{shown}: {why}");
        if !is_reference(text) {
            return Err(fail("not a docker:// reference"));
        }
        let rest = &text[9..];
        let (authority, path) =
            rest.split_once('/').ok_or_else(|| fail("write docker://HOST[:PORT]/REPOSITORY[:TAG]"))?;
        let (userinfo, host) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let host_ok = !host.is_empty()
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            && !host.starts_with(['-', '.', ':']);
        if !host_ok {
            return Err(fail("the reference names no registry host (docker://HOST[:PORT]/REPOSITORY)"));
        }
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = userinfo.map(|u| match u.split_once(':') {
            Some((user, password)) => (decode(user), Some(decode(password))),
            None => (decode(u), None),
        });
        let (repository, target) = match path.split_once('@') {
            Some((repository, digest)) => {
                jcore::oci::validate::check_digest(digest).map_err(|e| fail(&e))?;
                (repository, Target::Digest(digest.to_string()))
            }
            None => {
                let last = path.rfind('/').map_or(0, |i| i + 1);
                match path[last..].rfind(':') {
                    Some(colon) => {
                        let tag = &path[last + colon + 1..];
                        if !valid_tag(tag) {
                            return Err(fail(&format!(
                                "'{tag}' is not a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})"
                            )));
                        }
                        (&path[..last + colon], Target::Tag(tag.to_string()))
                    }
                    None => (path, Target::Tag("latest".into())),
                }
            }
        };
        if !valid_repository(repository) {
            return Err(fail(&format!(
                "'{repository}' is not a repository name (lowercase letters, digits, and . _ - / between them)"
            )));
        }
        Ok(Reference { host: host.to_string(), repository: repository.to_string(), target, credentials })
    }
}

/// distribution-spec's tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// distribution-spec's name grammar:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
pub fn valid_repository(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.split('/').all(|component| {
            let b = component.as_bytes();
            let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            if b.is_empty() || !alnum(&b[0]) || !alnum(&b[b.len() - 1]) {
                return false;
            }
            let mut i = 0;
            while i < b.len() {
                if alnum(&b[i]) {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < b.len() && !alnum(&b[i]) {
                    i += 1;
                }
                let sep = &component[start..i];
                if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-')) {
                    return false;
                }
            }
            true
        })
}

/// The platform of this host as image indexes name it: the OS jfetch was built for (linux,
/// freebsd…) and its architecture mapped as containerd maps it.
pub fn host_platform() -> Platform {
    let (architecture, variant) = jcore::oci::go_architecture(std::env::consts::ARCH);
    Platform {
        os: std::env::consts::OS.to_string(),
        architecture: architecture.to_string(),
        variant: variant.map(str::to_string),
        ..Platform::default()
    }
}

/// Runs a registry job.
pub fn run(job: &Job, access: &crate::source::Access) -> anyhow::Result<serde_json::Value> {
    match &job.mode {
        Mode::Pull { .. } => pull::pull(job, access),
        Mode::Push { .. } => push::push(job, access),
    }
}

/// The error of a step tried on every mirror in turn, each failure remembered: wrong
/// content anywhere is a negative answer (exit 1), as in [`crate::fetch`].
pub fn all_failed(failures: Vec<(String, anyhow::Error)>) -> anyhow::Error {
    let count = failures.len();
    let negative = |e: &anyhow::Error| jcore::exit::status_of(e.as_ref()) == jcore::Status::Negative;
    let wrong = failures.iter().find(|(_, e)| negative(e)).map(|(w, e)| format!("{w}: {}", message(e)));
    let last = failures.last().map(|(w, e)| format!("{w}: {}", message(e))).unwrap_or_default();
    match wrong {
        Some(wrong) if count == 1 => jcore::exit::StatusError::negative(wrong).into(),
        Some(wrong) if wrong == last => {
            jcore::exit::StatusError::negative(format!("all {count} sources failed; wrong content: {wrong}"))
                .into()
        }
        Some(wrong) => jcore::exit::StatusError::negative(format!(
            "all {count} sources failed; wrong content: {wrong}; last: {last}"
        ))
        .into(),
        None if count == 1 => anyhow!(last),
        None => anyhow!("all {count} sources failed; last: {last}"),
    }
}

/// `what: ERROR` in one line, a negative answer (exit 1) kept as one.
pub fn prefixed(what: &str, err: anyhow::Error) -> anyhow::Error {
    let text = format!("{what}: {}", message(&err));
    if jcore::exit::status_of(err.as_ref()) == jcore::Status::Negative {
        jcore::exit::StatusError::negative(text).into()
    } else {
        anyhow!(text)
    }
}

/// The one-line text of an error chain.
pub fn message(err: &anyhow::Error) -> String {
    jcore::exit::message(err.as_ref())
}

/// Parses the size given to `--chunk-size`.
pub fn parse_size(text: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    let (digits, unit) = text.find(|c: char| !c.is_ascii_digit()).map_or((text, ""), |i| text.split_at(i));
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => bail!("'{text}' is not a size (N, NK, NM or NG)"),
    };
    let n: u64 = digits.parse().map_err(|_| anyhow!("'{text}' is not a size (N, NK, NM or NG)"))?;
    n.checked_mul(factor).filter(|&n| n > 0).ok_or_else(|| anyhow!("'{text}' is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_as_skopeo_writes_them() {
        let r = Reference::parse("docker://127.0.0.1:5000/jails/web:14.2-RELEASE").unwrap();
        assert_eq!((r.host.as_str(), r.repository.as_str()), ("127.0.0.1:5000", "jails/web"));
        assert_eq!(r.target, Target::Tag("14.2-RELEASE".into()));
        let r = Reference::parse("docker://u:p%40ss@reg.example/a/b").unwrap();
        assert_eq!(r.target, Target::Tag("latest".into()));
        assert_eq!(r.credentials, Some(("u".into(), Some("p@ss".into()))));
        assert_eq!(r.to_string(), "docker://reg.example/a/b:latest");
        let digest = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("docker://h/x@{digest}")).unwrap();
        assert_eq!(r.target, Target::Digest(digest));
        assert!(Reference::parse("docker://h/x@sha256:12").is_err());
        assert!(Reference::parse("docker://h/Upper:t").is_err());
        assert!(Reference::parse("docker:///x:t").is_err());
        assert!(Reference::parse("docker://h").is_err());
        assert!(Reference::parse("docker://h/a--b_c.d/e__f:t").is_ok());
        assert!(Reference::parse("docker://h/a-/b:t").is_err());
        let e = Reference::parse("docker://u:secret@h/x:-bad").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16M").unwrap(), 16 << 20);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("0").is_err());
        assert!(parse_size("1x").is_err());
    }
}
