//! `--spec FILE`: sources, digest and size from an AppJail .ajspec or an imgadm manifest.
//!
//! The parsers belong in jcore (`jcore::format::ajspec` and `jcore::format::imgadm`), which
//! are being written on another branch. This is the one place that will call them: pick the
//! tag/arch entry of an .ajspec (refusing when `maintenance` is set) or files[0] of an imgadm
//! manifest with `--source-base`. Until they are merged, `--spec` fails with exit 2.

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

/// Reads `path` and picks the file for `tag` and `arch` (host arch when `None`), or for an
/// imgadm manifest, the first file under `source_base`.
pub fn resolve(
    path: &Path,
    tag: &str,
    arch: Option<&str>,
    source_base: Option<&str>,
) -> anyhow::Result<Resolved> {
    let _ = (tag, arch, source_base);
    bail!(
        "{}: --spec is not available yet in this build (the .ajspec and imgadm parsers are not merged); \
         give the sources and --sha256/--sum instead",
        path.display()
    )
}
