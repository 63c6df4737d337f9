//! The file formats the tools read and write. Each format has exactly one parser and one
//! writer here, used by every tool that touches it.
//!
//! - [`sumfile`]: digest lines (GNU `sha256sum`, BSD `--tag`, bare hex as in pot `.skein`
//!   and Bastille `.sha256` files, b3sum).
//! - [`ajspec`]: AppJail `.ajspec` image metadata: AppJail's exact tokenizer, lookups by tag
//!   and architecture, byte-preserving edits.
//! - [`imgadm`]: SmartOS image manifests (v2): the validator's rules, the v1 upgrade, new
//!   manifests.
//! - [`aci`]: appc ImageManifest validation and creation, and the SHA-512 image ID.
//! - [`pot`]: pot's one-line `.meta` file.
//! - [`json`]: what the JSON formats share: parsing with line numbers, dotted paths
//!   (`files.0.sha1`), key-order-preserving output.
//! - [`json_text`]: edits of JSON text that rewrite only the value concerned.

use std::fmt;

pub mod aci;
pub mod ajspec;
pub mod imgadm;
pub mod json;
pub mod json_text;
pub mod pot;
pub mod sumfile;

/// A file that cannot be read as its format: where (1-based line and byte column) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based byte column within the line (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    /// `LINE:COLUMN: message` (a caller prefixes the file name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column > 0 {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            write!(f, "{}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for SyntaxError {}

/// One thing a validator found wrong (or worth a warning) in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: a line number (`12`) for text formats, a field path (`files.0.sha1`) for JSON.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at `location`.
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { location: location.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.location, self.message)
        }
    }
}

/// The result of validating a document: problems make it invalid, warnings do not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What makes the document invalid for its consumers.
    pub problems: Vec<Problem>,
    /// What is accepted but suspicious (ignored tokens, legacy keys, CRLF line ends).
    pub warnings: Vec<Problem>,
}

impl Report {
    /// Whether no problem was found.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}
