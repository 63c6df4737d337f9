//! `--spec FILE` (or URL, read by signature.rs): sources, digest and size from an AppJail .ajspec or an imgadm manifest,
//! read with the one parser of each format in jcore.
//! - .ajspec: refuse when `maintenance` is set (with its text), as `appjail image import`
//!   does; the tag (default `latest`) must be in `tags` and the arch (default: the host's,
//!   as AppJail names it) in `<tag>.arch`; sources are `<tag>.source.<arch>` in file order,
//!   the digest `sha256:<tag>.sum.<arch>`, the size `<tag>.size.<arch>` when it is a number.
//! - imgadm manifest (JSON): `files[0].sha1` and `files[0].size`; the one source is
//!   `<--source-base>/<uuid>/file` (the IMGAPI layout), and `--source-base` is required.
//!
//! The format is told by content: a JSON object is a manifest, anything else an .ajspec.

use anyhow::{Context, bail};
use jcore::digest::{Algorithm, Expected};
use jcore::format::{ajspec, imgadm};

/// What a specification says about the file to fetch.
pub struct Resolved {
    /// Source URLs, in the file's order.
    pub sources: Vec<String>,
    /// The digest the file must have.
    pub expected: Option<Expected>,
    /// The size the file must have.
    pub size: Option<u64>,
}

/// Picks from the spec `data` (read from `name`, and verified when a key was given) the file
/// for `tag` and `arch` (the host's when `None`), or, for an imgadm manifest, its first file
/// under `source_base`.
pub fn resolve(
    name: &str,
    data: &[u8],
    tag: &str,
    arch: Option<&str>,
    source_base: Option<&str>,
) -> anyhow::Result<Resolved> {
    if data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return from_manifest(name, data, source_base);
    }
    let arch = arch.map_or_else(host_arch, str::to_string);
    from_ajspec(name, data, tag, &arch)
}

fn from_ajspec(name: &str, data: &[u8], tag: &str, arch: &str) -> anyhow::Result<Resolved> {
    let doc = ajspec::Document::parse_bytes(data).map_err(|e| anyhow::anyhow!("{name}:{e}"))?;
    if let Some(message) = doc.maintenance() {
        bail!("{name}: the image is in maintenance: {message}");
    }
    let Some(image) = doc.image(tag, arch) else {
        if !doc.tags().iter().any(|t| t == tag) {
            bail!("{name}: no tag '{tag}' (tags: {})", doc.tags().join(", "));
        }
        bail!("{name}: tag '{tag}' has no arch '{arch}' (arches: {})", doc.arches(tag).join(", "));
    };
    if image.sources.is_empty() {
        bail!("{name}: tag '{tag}' lists no source for arch '{}'", image.arch);
    }
    let Some(sum) = image.sum else {
        bail!("{name}: tag '{tag}' has no sum for arch '{}': refusing an unverifiable download", image.arch);
    };
    let expected = Expected::parse(&sum, Some(Algorithm::Sha256))
        .map_err(|e| anyhow::anyhow!("{name}: {tag}.sum.{}: {e}", image.arch))?;
    Ok(Resolved { sources: image.sources, expected: Some(expected), size: image.size })
}

fn from_manifest(name: &str, data: &[u8], source_base: Option<&str>) -> anyhow::Result<Resolved> {
    let manifest = imgadm::Manifest::parse(data).map_err(|e| anyhow::anyhow!("{name}:{e}"))?;
    let Some(base) = source_base else {
        bail!("{name}: an imgadm manifest names no download location: give --source-base URL");
    };
    let uuid = manifest.uuid().with_context(|| format!("{name}: the manifest has no uuid"))?;
    let file = manifest.file().with_context(|| format!("{name}: the manifest has no files[0]"))?;
    let expected = Expected::parse(&file.sha1, Some(Algorithm::Sha1))
        .map_err(|e| anyhow::anyhow!("{name}: files.0.sha1: {e}"))?;
    let source = format!("{}/{uuid}/file", base.trim_end_matches('/'));
    Ok(Resolved { sources: vec![source], expected: Some(expected), size: Some(file.size) })
}

/// The host architecture under the name AppJail uses (FreeBSD's `uname -m`/`uname -p`
/// names: amd64, arm64, i386), so that `-a` can be left out on the machine that runs jails.
pub fn host_arch() -> String {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "i386",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_arch_uses_freebsd_names() {
        let arch = host_arch();
        assert!(!arch.is_empty());
        assert_ne!(arch, "x86_64");
        assert_ne!(arch, "aarch64");
    }
}
