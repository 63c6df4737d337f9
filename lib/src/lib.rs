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
//! ## Features
//!
//! Each concern is a Cargo feature, so that a tool links only what it uses (jrun links none
//! of the codecs, digests or TLS). `exit`, `io`, `threads` and `confine` are always there;
//! the default is every feature, so that `cargo test -p jcore` tests everything.
//!
//! | feature | module | brings in |
//! | --- | --- | --- |
//! | `codec` | [`codec`] | zstd, liblzma, libsais (C); bzip2, flate2, lz4_flex |
//! | `digest` | [`digest`] | libcrypto, blake3, the own Skein |
//! | `sign` | [`sign`] | ring, blake2, scrypt, bcrypt-pbkdf |
//! | `format` | [`format`] | serde_json; implies `digest` (sum files name algorithms) |
//! | `tree` | [`tree`] | libarchive, tar |
//! | `oci` | [`oci`] | implies `codec`, `digest`, `format`, `tree` |
//!
//! The tools ask for: jsnap `codec tree`, jpack `codec`, jsum `digest sign format`, jfetch
//! `oci sign`, jspec `oci`, jrun none.
//!
//! The crate has no command-line dependencies: argument parsing, help text and man pages
//! belong to the binaries in `tools/`.
#![deny(missing_docs)]

#[cfg(feature = "codec")]
pub mod codec;
pub mod confine;
#[cfg(feature = "digest")]
pub mod digest;
pub mod exit;
#[cfg(feature = "format")]
pub mod format;
pub mod io;
#[cfg(feature = "oci")]
pub mod oci;
#[cfg(feature = "sign")]
pub mod sign;
pub mod threads;
#[cfg(feature = "tree")]
pub mod tree;

pub use exit::Status;
