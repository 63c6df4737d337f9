//! jcore: the shared library of the jtools.
//!
//! Every jtools binary is a thin command line over this crate. It holds the things that must
//! behave the same in every tool, implemented once:
//!
//! - [`exit`]: the exit-status policy (0 success, 1 negative answer, 2 error) and the one-line
//!   `tool: what: why` error message, including the quiet end on a broken pipe.
//! - [`io`]: stdin/stdout conventions, large buffers, atomic `-o FILE` output that is removed
//!   on error or on SIGINT/SIGTERM, and the refusal to write binary data to a terminal.
//! - [`digest`]: the registry of digest algorithms (SHA-2, SHA-1, BLAKE3, FreeBSD Skein) and a
//!   hasher that computes several of them in one pass, each on its own thread.
//! - [`codec`]: the registry of compression formats (names, aliases, magic-byte detection,
//!   levels) and streaming, multi-threaded encoders and decoders for each of them.
//! - [`format`]: the file formats the tools read and write (sum files, AppJail `.ajspec`,
//!   imgadm and ACI manifests, pot `.meta`).
//! - [`oci`]: OCI image metadata (config, manifest, index, layout), validation, building, and
//!   image layout directories and archives.
//! - [`sign`]: Ed25519 keys and signatures in minisign and signify files.
//! - [`threads`]: the default worker count.
//! - [`tree`]: a directory as a deterministic tar stream, and a tar stream safely back into
//!   a directory.
//!
//! The crate has no command-line dependencies: argument parsing, help text and man pages
//! belong to the binaries in `tools/`.
#![deny(missing_docs)]

pub mod codec;
pub mod confine;
pub mod digest;
pub mod exit;
pub mod format;
pub mod io;
pub mod oci;
pub mod sign;
pub mod threads;
pub mod tree;

pub use exit::Status;
