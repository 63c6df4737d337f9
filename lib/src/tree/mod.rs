//! A directory tree as a tar stream and back: the deterministic writer ([`archive`]) and the
//! safe extractor ([`extract`]) behind `jsnap send --dir` / `recv --dir`, shared with every
//! tool that packs or unpacks a jail root.
//!
//! The writer produces ustar headers with a PAX extended header only where ustar cannot
//! hold a value (names over 100 bytes that cannot be split, link targets over 100 bytes,
//! sizes of 8 GiB and more, large ids, sub-second mtimes, xattrs as `SCHILY.xattr.*`, POSIX
//! ACLs as `SCHILY.acl.*`, sparse files as PAX sparse 1.0). Entries come in a sorted
//! depth-first walk, with numeric owners and no atime or ctime, so two runs over an
//! unchanged tree give the same bytes. GNU tar and bsdtar read the result.
//!
//! The extractor reads the stream through libarchive (see `libarchive.rs` for why) and
//! writes relative to descriptors that jcore's confinement primitive opened
//! ([`crate::confine::open_beneath`]): it refuses members that would escape the target
//! directory (see [`extract`](mod@extract) for how) and reports each refusal by name
//! instead of stopping.
//!
//! OCI layers ([`layer`]): the changes between two trees as a tar with whiteouts
//! ([`archive_changes`]), and the extractor in layer mode ([`ExtractOptions::layer`]), which
//! applies whiteouts and opaque markers with the same confinement as every other member.
//!
//! File flags are written as `SCHILY.fflags` (FreeBSD chflags; on Linux immutable,
//! append-only and nodump) and restored last. On FreeBSD, extattrs are written as bsdtar
//! writes them there (`LIBARCHIVE.xattr.*` and `SCHILY.xattr.*`) and NFSv4 ACLs as
//! `SCHILY.acl.ace`, POSIX.1e ACLs as `SCHILY.acl.access`/`default` ([`acl`]). Not handled: NFSv4 ACLs on Linux (warned about), and
//! restoring them on FreeBSD (warned about); ACL entries by user or group name (owners and ACLs are numeric, as jail images
//! need: a name means something else inside the jail).

pub mod acl;
pub mod archive;
pub mod extract;
pub mod layer;
mod libarchive;
mod sys;

pub use archive::{ArchiveOptions, ArchiveSummary, archive};
pub use extract::{ExtractOptions, ExtractSummary, extract};
pub use layer::archive_changes;
