//! `--spec FILE`: sources, digest and size from an AppJail .ajspec or an imgadm manifest.
//!
//! The parsers belong in jcore (`jcore::format::ajspec` and `jcore::format::imgadm`), which
//! are being written on another branch; jfetch must not grow a second parser. This module is
//! the one place that will call them:
//! - .ajspec: refuse when `maintenance` is set (with its text); the tag (default `latest`)
//!   must be in `tags` and the arch (default: the host's, as AppJail names it) in
//!   `<tag>.arch`; sources are `<tag>.source.<arch>` in file order, the digest
//!   `sha256:<tag>.sum.<arch>`, the size `<tag>.size.<arch>` when it is a number.
//! - imgadm manifest: `files[0].sha1` and `files[0].size`; the one source is
//!   `<--source-base>/<uuid>/file`, and `--source-base` is required.
//!
//! Until those parsers are merged, [`resolve`] fails (exit 2) and says so.

use std::path::Path;

use anyhow::bail;
use jcore::digest::Expected;

/// What a specification says about the file to fetch.
pub struct Resolved {
    /// Source URLs, in the file's order.
    pub sources: Vec<String>,
    /// The digest the file must have.
    pub expected: Option<Expected>,
    /// The size the file must have.
    pub size: Option<u64>,
}

/// Reads `path` and picks the file for `tag` and `arch` (the host's when `None`), or, for an
/// imgadm manifest, its first file under `source_base`.
pub fn resolve(
    path: &Path,
    tag: &str,
    arch: Option<&str>,
    source_base: Option<&str>,
) -> anyhow::Result<Resolved> {
    let arch = arch.map_or_else(host_arch, str::to_string);
    let _ = (tag, arch, source_base);
    bail!(
        "{}: --spec is not available yet in this build (the .ajspec and imgadm parsers are not merged); \
         give the sources and --sha256/--sum instead",
        path.display()
    )
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
