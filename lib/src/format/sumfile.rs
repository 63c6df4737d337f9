//! Digest lines as the common tools write them, and reading them back for `-c`.
//!
//! | style | line | written by |
//! | --- | --- | --- |
//! | GNU | `hex  name` (`hex *name` in binary mode) | sha256sum, b3sum, `jsum` |
//! | BSD tag | `SHA256 (name) = hex` | FreeBSD sha256(1), coreutils `--tag`, `jsum --tag` |
//! | bare | `hex` | FreeBSD `sha256 -q`, pot `.skein`, Bastille `.sha256`, `jsum -q` |
//! | reversed | `hex name` (one space) | FreeBSD `sha256 -r` (read only) |
//!
//! A name holding a backslash, newline or carriage return is escaped as coreutils does:
//! the line starts with `\` and the name has `\\`, `\n`, `\r`. Reading strips one trailing
//! CR (files edited on Windows), like coreutils.
//!
//! Names are bytes: file names need not be UTF-8.

use crate::digest::Algorithm;

/// How a digest line is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `hex  name`.
    Gnu,
    /// `TAG (name) = hex`.
    Bsd,
    /// `hex` alone.
    Bare,
}

/// Writes one line (with its newline) for `name`'s digest `hex`.
pub fn format_line(style: Style, algorithm: Algorithm, hex: &str, name: &[u8]) -> Vec<u8> {
    let (escaped, name) = escape_name(name);
    let mut line = Vec::with_capacity(hex.len() + name.len() + 16);
    if escaped && style != Style::Bare {
        line.push(b'\\');
    }
    match style {
        Style::Gnu => {
            line.extend_from_slice(hex.as_bytes());
            line.extend_from_slice(b"  ");
            line.extend_from_slice(&name);
        }
        Style::Bsd => {
            line.extend_from_slice(algorithm.tag().as_bytes());
            line.extend_from_slice(b" (");
            line.extend_from_slice(&name);
            line.extend_from_slice(b") = ");
            line.extend_from_slice(hex.as_bytes());
        }
        Style::Bare => line.extend_from_slice(hex.as_bytes()),
    }
    line.push(b'\n');
    line
}

/// Escapes a name the coreutils way; returns whether anything needed escaping.
pub fn escape_name(name: &[u8]) -> (bool, Vec<u8>) {
    if !name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r')) {
        return (false, name.to_vec());
    }
    let mut out = Vec::with_capacity(name.len() + 4);
    for &b in name {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    (true, out)
}

fn unescape_name(name: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(name.len());
    let mut bytes = name.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next()? {
            b'\\' => out.push(b'\\'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            _ => return None,
        }
    }
    Some(out)
}

/// One parsed line of a sum file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The algorithm named by a BSD tag; `None` for GNU-style lines (decide by length).
    pub algorithm: Option<Algorithm>,
    /// The digest as written (hex, either case).
    pub hex: String,
    /// The file name, unescaped.
    pub name: Vec<u8>,
}

/// Parses one line (without its newline). `None` means improperly formatted.
pub fn parse_line(line: &[u8]) -> Option<Entry> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (escaped, rest) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let entry = parse_bsd(rest).or_else(|| parse_gnu(rest))?;
    if !escaped {
        return Some(entry);
    }
    let name = unescape_name(&entry.name)?;
    Some(Entry { name, ..entry })
}

fn is_hex(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit)
}

/// `TAG (name) = hex`; the name may itself contain `) = `, so the last one ends it.
fn parse_bsd(line: &[u8]) -> Option<Entry> {
    let open = find(line, b" (")?;
    let tag = std::str::from_utf8(&line[..open]).ok()?;
    let algorithm = Algorithm::from_name(tag)?;
    let after = &line[open + 2..];
    let close = rfind(after, b") = ")?;
    let hex = &after[close + 4..];
    if !is_hex(hex) {
        return None;
    }
    Some(Entry {
        algorithm: Some(algorithm),
        hex: String::from_utf8(hex.to_vec()).ok()?,
        name: after[..close].to_vec(),
    })
}

/// `hex  name`, `hex *name`, or the reversed BSD form `hex name`.
fn parse_gnu(line: &[u8]) -> Option<Entry> {
    let space = line.iter().position(|&b| b == b' ')?;
    let hex = &line[..space];
    if !is_hex(hex) {
        return None;
    }
    let mut name = &line[space + 1..];
    if let Some(rest) = name.strip_prefix(b" ").or_else(|| name.strip_prefix(b"*")) {
        name = rest;
    }
    if name.is_empty() {
        return None;
    }
    Some(Entry { algorithm: None, hex: String::from_utf8(hex.to_vec()).ok()?, name: name.to_vec() })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn gnu_and_bsd_lines_round_trip() {
        for style in [Style::Gnu, Style::Bsd] {
            for name in [&b"img.xz"[..], b"a b", b"we\\ird\nna) = me\r"] {
                let line = format_line(style, Algorithm::Sha256, HEX, name);
                let entry = parse_line(&line[..line.len() - 1]).expect("parses");
                assert_eq!(entry.name, name, "{style:?}");
                assert_eq!(entry.hex, HEX);
                let tag = (style == Style::Bsd).then_some(Algorithm::Sha256);
                assert_eq!(entry.algorithm, tag);
            }
        }
    }

    #[test]
    fn formats_match_coreutils() {
        assert_eq!(format_line(Style::Gnu, Algorithm::Sha256, HEX, b"f"), format!("{HEX}  f\n").into_bytes());
        assert_eq!(
            format_line(Style::Bsd, Algorithm::Sha256, HEX, b"f"),
            format!("SHA256 (f) = {HEX}\n").into_bytes()
        );
        assert_eq!(
            format_line(Style::Gnu, Algorithm::Sha256, HEX, b"a\nb"),
            format!("\\{HEX}  a\\nb\n").into_bytes()
        );
        assert_eq!(
            format_line(Style::Bare, Algorithm::Sha256, HEX, b"a\nb"),
            format!("{HEX}\n").into_bytes()
        );
    }

    #[test]
    fn reads_binary_marker_reversed_form_and_crlf() {
        assert_eq!(parse_line(format!("{HEX} *img").as_bytes()).unwrap().name, b"img");
        assert_eq!(parse_line(format!("{HEX} img").as_bytes()).unwrap().name, b"img");
        assert_eq!(parse_line(format!("{HEX}  img\r").as_bytes()).unwrap().name, b"img");
        assert_eq!(
            parse_line(format!("Skein1024 (x) = {}", "ab".repeat(128)).as_bytes()).unwrap().algorithm,
            Some(Algorithm::Skein1024)
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        for bad in
            ["", "# comment", "nothex  name", HEX, &format!("{HEX}  "), "MD5 (x) = abcd", "\\abc  a\\qb"]
        {
            assert_eq!(parse_line(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
