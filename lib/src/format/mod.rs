//! The file formats the tools read and write. Each format has exactly one parser and one
//! writer here, used by every tool that touches it.
//!
//! - [`sumfile`]: digest lines (GNU `sha256sum`, BSD `--tag`, bare hex as in pot `.skein`
//!   and Bastille `.sha256` files, b3sum).

pub mod sumfile;
