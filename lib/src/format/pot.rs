//! pot's `<pot>_<tag>.xz.meta` file (../shared/specs/pot.md §4): one line, `-` for a plain
//! image or `<origin_pot>:<origin_tag>@<origin_snapshot>` for a layered one, written by
//! `echo` (so always one trailing LF). The `.skein` digest covers `xz ‖ meta`, so the bytes
//! must be exact: [`Meta::to_line`].

use std::fmt;

use super::{Problem, Report};

/// Whether `data` looks like a `.meta` file: one line, `-` or `POT:TAG@SNAP`, LF-ended.
pub fn looks_like_meta(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else { return false };
    let line = text.strip_suffix('\n').unwrap_or(text);
    !line.contains('\n')
        && (line == "-" || (line.contains(':') && line.contains('@') && Meta::parse(line).is_ok()))
}

/// Checks the exact bytes of a `.meta` file: what pot's `echo` writes, one line and LF
/// (the `.skein` digest covers these bytes).
pub fn validate(data: &[u8]) -> Report {
    let mut report = Report::default();
    let text = String::from_utf8_lossy(data);
    match Meta::parse(&text) {
        Err(e) => report.problems.push(Problem::new("1", e)),
        Ok(_) if data.is_empty() => report
            .problems
            .push(Problem::new("1", "empty: pot export writes '-' for a plain image (pot import creates an empty file only when the server has none)")),
        Ok(meta) if meta.to_line().as_bytes() != data => {
            report.problems.push(Problem::new("1", format!("not exactly one line ending in LF: expected {:?}", meta.to_line())))
        }
        Ok(_) => {}
    }
    report
}

/// The content of a `.meta` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meta {
    /// `-`: the image is not layered.
    Plain,
    /// A layered image and the exported pot it was cloned from.
    Origin {
        /// The origin pot's name.
        pot: String,
        /// The tag it was exported with.
        tag: String,
        /// The snapshot (epoch seconds in pot's own exports).
        snapshot: String,
    },
}

impl Meta {
    /// Parses `-` or `POT:TAG@SNAP` (the first line only, as pot's import reads it; an
    /// empty file, which import creates when the server has none, is `Plain`).
    pub fn parse(text: &str) -> Result<Meta, String> {
        let line = text.lines().next().unwrap_or("");
        if line.is_empty() || line == "-" {
            return Ok(Meta::Plain);
        }
        let (pot, rest) =
            line.split_once(':').ok_or_else(|| format!("'{line}': expected - or POT:TAG@SNAPSHOT"))?;
        let (tag, snapshot) =
            rest.rsplit_once('@').ok_or_else(|| format!("'{line}': expected - or POT:TAG@SNAPSHOT"))?;
        let bad = |part: &str| part.is_empty() || part.contains(|c: char| c.is_whitespace() || c == '/');
        if bad(pot) || bad(tag) || bad(snapshot) || tag.contains('@') {
            return Err(format!("'{line}': POT, TAG and SNAPSHOT must be non-empty words"));
        }
        Ok(Meta::Origin { pot: pot.into(), tag: tag.into(), snapshot: snapshot.into() })
    }

    /// The exact file content: the line and one LF.
    pub fn to_line(&self) -> String {
        format!("{self}\n")
    }
}

impl fmt::Display for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Meta::Plain => f.write_str("-"),
            Meta::Origin { pot, tag, snapshot } => write!(f, "{pot}:{tag}@{snapshot}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(Meta::parse("-\n").unwrap().to_line(), "-\n");
        assert_eq!(Meta::parse("").unwrap(), Meta::Plain);
        let m = Meta::parse("freebsd_13_2:1.8@1707396231\n").unwrap();
        assert_eq!(m.to_line(), "freebsd_13_2:1.8@1707396231\n");
        assert!(Meta::parse("nocolon").is_err());
        assert!(Meta::parse("a:b").is_err());
    }
}
