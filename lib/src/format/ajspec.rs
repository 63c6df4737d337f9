//! AppJail `.ajspec` image metadata (spec: ../shared/specs/ajspec.md).
//!
//! An `.ajspec` is an AppJail template file: rows `key: value`, comments, blank lines.
//! Reading follows AppJail's C helper (`libexec/appjail-config`, `template.c` and `word.c`)
//! exactly, because a file jtools accepts must be a file AppJail accepts, and a value
//! jtools reads must be the value AppJail imports:
//!
//! - a line ends at LF; a NUL byte ends it early; blank and `#` lines are kept but ignored;
//! - the key part (before the first `:`) holds only `A-Z a-z 0-9 . _ -`, plus `*` (ignored)
//!   and `+` (an append row, after at least one key character); anything else is a syntax
//!   error, and one syntax error rejects the whole file;
//! - the value is split by [`tokenize`]: spaces separate, both quote kinds group, a closing
//!   quote always ends a token, `""` yields nothing, backslash escapes only `\` and the open
//!   quote;
//! - a scalar is token 0 of row 0; a list is every token of every row; description is one
//!   line per row. Values are text, never evaluated.
//!
//! jtools deviations (spec "jtools" rules): `$ { }` in keys are rejected; a CR before LF is
//! stripped with a warning (AppJail would keep it in the value), and lines are always
//! written with LF only.
//!
//! Edits ([`Document::set`], [`Document::append`], [`Document::delete`],
//! [`Document::update`]) touch only the rows of the key concerned: every other byte of the
//! file (comments, blank lines, order, `+` marks, odd spacing) is written back unchanged,
//! and setting a value to what it already reads leaves the file byte-identical. New rows
//! use the canonical form `key: value` with strings double-quoted ([`render_row`]).
//!
//! For consumers such as jfetch the narrow API is:
//!
//! ```
//! use jcore::format::ajspec::Document;
//! let doc = Document::parse("tags: 14.1\n14.1.arch: amd64\n14.1.name: \"login\"\n\
//!     14.1.sum.amd64: 0a4808ca7683a3704a4bb4d03da4e09107b872234ac89fe9fdf2ca7f837040a0\n\
//!     14.1.source.amd64: \"file:///data/14.1-amd64-image.appjail\"\n").unwrap();
//! assert_eq!(doc.tags(), ["14.1"]);
//! let image = doc.image("14.1", "amd64").unwrap();
//! assert_eq!(image.sources, ["file:///data/14.1-amd64-image.appjail"]);
//! assert_eq!(doc.maintenance(), None);
//! ```
//!
//! This module does not fetch, hash or verify images; it only reads and writes metadata.

use std::collections::{HashMap, HashSet};

use super::{Problem, Report, SyntaxError};

/// The architectures AppJail accepts (`lib_check_arch`). `arm64` and `aarch64` are distinct
/// keys in a file; [`Document::image`] treats them as aliases when looking one up.
pub const ARCHES: [&str; 22] = [
    "arm64",
    "aarch64",
    "amd64",
    "arm",
    "armv6",
    "armv7",
    "i386",
    "mips",
    "mipsel",
    "mips64",
    "mips64el",
    "mipshf",
    "mipselhf",
    "mips64elhf",
    "mipsn32",
    "powerpc",
    "powerpcspe",
    "powerpc64",
    "powerpc64le",
    "riscv",
    "riscv64",
    "riscv64sf",
];

/// Whether AppJail accepts `arch` as an architecture name.
pub fn is_arch(arch: &str) -> bool {
    ARCHES.contains(&arch)
}

/// Splits a value (the bytes after `:`) into tokens as AppJail's `wrdinit` does. The error
/// gives the 0-based byte offset in `value` and the reason.
pub fn tokenize(value: &[u8]) -> Result<Vec<String>, (usize, &'static str)> {
    let mut tokens = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut open: Option<(u8, usize)> = None;
    let mut i = 0;
    let finish = |current: &mut Vec<u8>, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(String::from_utf8_lossy(current).into_owned());
            current.clear();
        }
    };
    while i < value.len() {
        let c = value[i];
        i += 1;
        match c {
            b'"' | b'\'' => match open {
                None => open = Some((c, i - 1)),
                Some((q, _)) if q == c => {
                    open = None;
                    // A closing quote always ends the token: `"abc"def` is two tokens.
                    finish(&mut current, &mut tokens);
                }
                Some(_) => current.push(c),
            },
            b'\\' => {
                let Some(&next) = value.get(i) else {
                    return Err((i - 1, "backslash at the end of the value"));
                };
                i += 1;
                if next == b'\\' || open.is_some_and(|(q, _)| q == next) {
                    current.push(next);
                } else {
                    // Any other escaped byte is kept with its backslash, and consumed:
                    // `\ ` does not split and `\"` outside quotes does not open a quote.
                    current.push(b'\\');
                    current.push(next);
                }
            }
            b' ' if open.is_none() => finish(&mut current, &mut tokens),
            _ => current.push(c),
        }
    }
    if let Some((_, at)) = open {
        return Err((at, "unterminated quote"));
    }
    finish(&mut current, &mut tokens);
    Ok(tokens)
}

/// A row of the file: `key: value`, with its tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The key without `*` and `+`.
    pub key: String,
    /// Whether the row was marked `+` (append). It does not change what readers see.
    pub append: bool,
    /// The value's tokens.
    pub tokens: Vec<String>,
}

#[derive(Clone, Debug)]
enum Kind {
    Blank,
    Comment,
    Row(Row),
}

#[derive(Clone, Debug)]
struct Line {
    /// The line's bytes without its LF (and without a CR stripped before the LF).
    text: Vec<u8>,
    /// Whether the line ended with LF in the input (the last line may not).
    newline: bool,
    /// Whether a CR was stripped before the LF.
    had_cr: bool,
    kind: Kind,
}

/// A parsed `.ajspec`: every line as read, plus the rows' meaning.
#[derive(Clone, Debug)]
pub struct Document {
    lines: Vec<Line>,
    /// Key → indices of its rows in `lines`, in file order (catalogues have thousands of
    /// keys; lookups must not scan the file).
    index: HashMap<String, Vec<usize>>,
}

/// What a tag/arch pair of the file says about one image file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// `<tag>.name`.
    pub name: Option<String>,
    /// `<tag>.sum.<arch>`: SHA-256 of the (compressed) image file, as written in the file.
    pub sum: Option<String>,
    /// `<tag>.size.<arch>` when present and numeric.
    pub size: Option<u64>,
    /// `<tag>.timestamp.<arch>` (unix seconds) when present and numeric.
    pub timestamp: Option<u64>,
    /// `<tag>.source.<arch>`: the mirrors, in file order.
    pub sources: Vec<String>,
    /// The architecture name the file uses (differs from the one asked for when
    /// `arm64`/`aarch64` matched as aliases).
    pub arch: String,
}

fn is_space(c: u8) -> bool {
    // C isspace in the C locale.
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')
}

/// Parses one line (without LF); the error is (0-based column, message).
fn parse_line(text: &[u8]) -> Result<Kind, (usize, String)> {
    let text = match text.iter().position(|&c| c == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    let Some(start) = text.iter().position(|&c| !is_space(c)) else {
        return Ok(Kind::Blank);
    };
    if text[start] == b'#' {
        return Ok(Kind::Comment);
    }
    let mut key = String::new();
    let mut append = false;
    let mut value: &[u8] = b"";
    let mut i = start;
    while i < text.len() {
        let c = text[i];
        match c {
            b'*' => {}
            b'+' if key.is_empty() => return Err((i, "'+' before any key character".into())),
            b'+' => append = true,
            b':' if key.is_empty() => return Err((i, "':' without a key".into())),
            b':' => {
                value = &text[i + 1..];
                break;
            }
            b'$' | b'{' | b'}' => return Err((i, "template variables are not allowed in a key".into())),
            c if is_key_char(c) => key.push(c as char),
            b'\r' => return Err((i, "carriage return in a key".into())),
            c if is_space(c) => return Err((i, "whitespace in a key".into())),
            c => return Err((i, format!("invalid byte {:?} in a key", c as char))),
        }
        i += 1;
    }
    let value_start = i + 1;
    let tokens = tokenize(value).map_err(|(at, why)| (value_start + at, why.to_string()))?;
    Ok(Kind::Row(Row { key, append, tokens }))
}

impl Document {
    /// Parses a file's text. The error names the first line AppJail would reject.
    pub fn parse(text: &str) -> Result<Document, SyntaxError> {
        Document::parse_bytes(text.as_bytes())
    }

    /// Parses a file's bytes (values need not be UTF-8; they are read lossily).
    pub fn parse_bytes(data: &[u8]) -> Result<Document, SyntaxError> {
        let mut lines = Vec::new();
        let mut rest = data;
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            let (mut text, newline, next) = match rest.iter().position(|&c| c == b'\n') {
                Some(lf) => (&rest[..lf], true, &rest[lf + 1..]),
                None => (rest, false, &rest[rest.len()..]),
            };
            rest = next;
            let had_cr = newline && text.last() == Some(&b'\r');
            if had_cr {
                text = &text[..text.len() - 1];
            }
            let kind = parse_line(text).map_err(|(column, message)| SyntaxError {
                line: number,
                column: column + 1,
                message,
            })?;
            lines.push(Line { text: text.to_vec(), newline, had_cr, kind });
        }
        Ok(Document::with_lines(lines))
    }

    /// An empty document.
    pub fn new() -> Document {
        Document::with_lines(Vec::new())
    }

    fn with_lines(lines: Vec<Line>) -> Document {
        let mut doc = Document { lines, index: HashMap::new() };
        doc.reindex();
        doc
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (i, line) in self.lines.iter().enumerate() {
            if let Kind::Row(row) = &line.kind {
                self.index.entry(row.key.clone()).or_default().push(i);
            }
        }
    }

    /// The file's bytes: untouched lines exactly as read (LF line ends only).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            out.extend_from_slice(&line.text);
            // A last line without LF stays so; one that rows were appended after gains it.
            if line.newline || i != last {
                out.push(b'\n');
            }
        }
        out
    }

    /// Whether any line ended with CR LF (read leniently; written back with LF only).
    pub fn had_crlf(&self) -> bool {
        self.lines.iter().any(|l| l.had_cr)
    }

    /// Every row with its 1-based line number, in file order.
    pub fn rows(&self) -> impl Iterator<Item = (usize, &Row)> {
        self.lines.iter().enumerate().filter_map(|(i, l)| match &l.kind {
            Kind::Row(row) => Some((i + 1, row)),
            _ => None,
        })
    }

    /// The rows of one key, with line numbers.
    pub fn rows_of<'a>(&'a self, key: &str) -> impl Iterator<Item = (usize, &'a Row)> + use<'a> {
        self.index.get(key).into_iter().flatten().filter_map(|&i| match &self.lines[i].kind {
            Kind::Row(row) => Some((i + 1, row)),
            _ => None,
        })
    }

    /// A scalar: token 0 of row 0 of `key`; absent when there is no row or it has no token.
    pub fn scalar(&self, key: &str) -> Option<&str> {
        self.rows_of(key).next().and_then(|(_, r)| r.tokens.first()).map(String::as_str)
    }

    /// A list: every token of every row of `key`, in file order.
    pub fn list(&self, key: &str) -> Vec<&str> {
        self.rows_of(key).flat_map(|(_, r)| r.tokens.iter().map(String::as_str)).collect()
    }

    /// Lines: one per row of `key`, its tokens joined by one space.
    pub fn text_lines(&self, key: &str) -> Vec<String> {
        self.rows_of(key).map(|(_, r)| r.tokens.join(" ")).collect()
    }

    /// The tags, without duplicates, in file order.
    pub fn tags(&self) -> Vec<String> {
        unique(self.list("tags"))
    }

    /// The architectures listed for `tag`, without duplicates, in file order.
    pub fn arches(&self, tag: &str) -> Vec<String> {
        unique(self.list(&format!("{tag}.arch")))
    }

    /// The global `maintenance` text: while present, AppJail refuses to import.
    pub fn maintenance(&self) -> Option<String> {
        self.scalar("maintenance").map(str::to_string)
    }

    /// What the file says about the image of `tag` for `arch`, or `None` when the tag is
    /// not listed in `tags` or the architecture not in `<tag>.arch`. `arm64` and `aarch64`
    /// match each other when only the other spelling is listed (spec pitfall P11).
    pub fn image(&self, tag: &str, arch: &str) -> Option<Image> {
        if !self.list("tags").contains(&tag) {
            return None;
        }
        let arches = self.arches(tag);
        let arch = if arches.iter().any(|a| a == arch) {
            arch.to_string()
        } else {
            let alias = match arch {
                "arm64" => "aarch64",
                "aarch64" => "arm64",
                _ => return None,
            };
            arches.iter().find(|a| *a == alias)?.clone()
        };
        let number = |field: &str| self.scalar(&format!("{tag}.{field}.{arch}")).and_then(|v| v.parse().ok());
        Some(Image {
            name: self.scalar(&format!("{tag}.name")).map(str::to_string),
            sum: self.scalar(&format!("{tag}.sum.{arch}")).map(str::to_string),
            size: number("size"),
            timestamp: number("timestamp"),
            sources: self.list(&format!("{tag}.source.{arch}")).into_iter().map(str::to_string).collect(),
            arch,
        })
    }

    fn row_indices(&self, key: &str) -> Vec<usize> {
        self.index.get(key).cloned().unwrap_or_default()
    }

    fn push_line(&mut self, line: Line) {
        if let Kind::Row(row) = &line.kind {
            self.index.entry(row.key.clone()).or_default().push(self.lines.len());
        }
        self.lines.push(line);
    }

    fn make_line(key: &str, append: bool, value: &str) -> Line {
        let text = render_row(key, append, value);
        let kind = parse_line(text.as_bytes()).expect("rendered rows always parse");
        Line { text: text.into_bytes(), newline: true, had_cr: false, kind }
    }

    /// `KEY=VALUE`: removes every row of `key`, then appends one row `key: value` at the
    /// end. When the key has exactly one row that already reads as `value`, nothing changes
    /// (the file stays byte-identical). `value` must have passed [`check_value`]. Returns
    /// whether the document changed.
    pub fn set(&mut self, key: &str, value: &str) -> bool {
        let rows = self.row_indices(key);
        let wanted = expected_tokens(value);
        if rows.len() == 1 && matches!(&self.lines[rows[0]].kind, Kind::Row(r) if r.tokens == wanted) {
            return false;
        }
        self.remove_rows(&rows);
        self.push_line(Document::make_line(key, false, value));
        true
    }

    /// `KEY+=VALUE`: appends a `key+: value` row at the end. For `tags` and `<tag>.arch`
    /// nothing happens when the value is already listed. Returns whether it changed.
    pub fn append(&mut self, key: &str, value: &str) -> bool {
        if is_dedup_list(key) && self.list(key).contains(&value) {
            return false;
        }
        self.push_line(Document::make_line(key, true, value));
        true
    }

    /// Removes every row of `key`; returns how many there were.
    pub fn delete(&mut self, key: &str) -> usize {
        let rows = self.row_indices(key);
        self.remove_rows(&rows);
        rows.len()
    }

    /// AppJail's `appjail-config set` as `image export` uses it: the key's rows become
    /// `values` in place (row 0 is rewritten where it is, further values follow it as
    /// `+` rows, other old rows go); a key without rows gets them at the end. Rows that
    /// already read as wanted are left untouched. Returns whether anything changed.
    pub fn update(&mut self, key: &str, values: &[&str]) -> bool {
        let rows = self.row_indices(key);
        let current: Vec<Vec<String>> = rows
            .iter()
            .map(|&i| match &self.lines[i].kind {
                Kind::Row(r) => r.tokens.clone(),
                _ => unreachable!(),
            })
            .collect();
        let wanted: Vec<Vec<String>> = values.iter().map(|v| expected_tokens(v)).collect();
        if current == wanted {
            return false;
        }
        let Some(&first) = rows.first() else {
            for (n, v) in values.iter().enumerate() {
                self.push_line(Document::make_line(key, n > 0, v));
            }
            return true;
        };
        let first_append = matches!(&self.lines[first].kind, Kind::Row(r) if r.append);
        let new_lines: Vec<Line> = values
            .iter()
            .enumerate()
            .map(|(n, v)| {
                if n == 0 && current.first() == Some(&wanted[0]) {
                    self.lines[first].clone()
                } else {
                    Document::make_line(key, n > 0 || first_append, v)
                }
            })
            .collect();
        self.remove_rows(&rows[1..]);
        self.lines.splice(first..first + 1, new_lines);
        self.reindex();
        true
    }

    fn remove_rows(&mut self, rows: &[usize]) {
        if rows.is_empty() {
            return;
        }
        let drop: HashSet<usize> = rows.iter().copied().collect();
        let mut i = 0;
        self.lines.retain(|_| {
            i += 1;
            !drop.contains(&(i - 1))
        });
        self.reindex();
    }

    /// Checks what AppJail's import and the jtools rules need (spec §5, §8.2): a `tags`
    /// list; per tag a valid tag name, `arch` list, `name`; per arch a known architecture,
    /// `sum` (64 hex, lowercase), at least one `source`, numeric `size` and `timestamp`
    /// where present; no CRLF line ends, no `maintenance`, no rows for a tag or arch that
    /// is not listed (each makes AppJail's import refuse). Warnings: ignored tokens or rows
    /// of scalars, legacy keys.
    pub fn validate(&self) -> Report {
        let mut report = Report::default();
        let first_line = |key: &str| self.rows_of(key).next().map(|(n, _)| n);
        let at = |line: Option<usize>| line.map(|n| n.to_string()).unwrap_or_default();
        let tags = self.tags();
        if tags.is_empty() {
            report.problems.push(Problem::new("", "no tags: the file lists no 'tags'"));
        }
        for tag in &tags {
            let tag_line = first_line("tags");
            if !is_tag_name(tag) {
                report.problems.push(Problem::new(at(tag_line), format!("tag '{tag}': invalid tag name")));
            }
            let name_key = format!("{tag}.name");
            match self.scalar(&name_key) {
                None => report.problems.push(Problem::new(at(tag_line), format!("{name_key}: missing"))),
                Some(name) if !is_image_name(name) => report.problems.push(Problem::new(
                    at(first_line(&name_key)),
                    format!("{name_key}: invalid image name '{name}'"),
                )),
                Some(_) => {}
            }
            let arches = self.arches(tag);
            if arches.is_empty() {
                report.problems.push(Problem::new(at(tag_line), format!("{tag}.arch: missing")));
            }
            for arch in &arches {
                self.validate_arch(tag, arch, &mut report);
            }
        }
        self.scalar_warnings(&mut report);
        self.unlisted_tags_and_arches(&tags, &mut report);
        // AppJail's tokenizer keeps a CR before LF in the value (spec §2: `c0ffee⟨CR⟩`), so
        // in a CRLF file the sum fails `lib_check_sum` ("invalid checksum") and the last
        // tag of `tags` and the arches no longer compare equal in `_image_chktag` /
        // `_image_chkarch` ("Cannot find tag") — AppJail share/appjail/cmd/image,
        // image_import. jspec reads such files leniently but they do not import.
        let crlf: Vec<usize> =
            self.lines.iter().enumerate().filter(|(_, l)| l.had_cr).map(|(n, _)| n + 1).collect();
        if let Some(first) = crlf.first() {
            report.problems.push(Problem::new(
                first.to_string(),
                format!(
                    "CRLF line ends ({} line(s)): AppJail keeps the CR in values and its import refuses \
                     the file (invalid checksum, tag not found); rewrite it with LF",
                    crlf.len()
                ),
            ));
        }
        // image_import: `maintenance` non-empty → `lib_err EX_NOPERM "MAINTENANCE MODE: …"`.
        if let Some(text) = self.maintenance() {
            report.problems.push(Problem::new(
                self.rows_of("maintenance").next().map(|(n, _)| n.to_string()).unwrap_or_default(),
                format!("maintenance mode, AppJail refuses to import: {text}"),
            ));
        }
        report
    }

    /// Rows for a tag not listed in `tags`, or for an arch not listed in `<tag>.arch`:
    /// AppJail's import of it stops with "Cannot find tag" / "Cannot find architecture"
    /// (`_image_chktag`, `_image_chkarch` in share/appjail/cmd/image compare with the
    /// lists only; no arm64/aarch64 aliasing).
    fn unlisted_tags_and_arches(&self, tags: &[String], report: &mut Report) {
        let mut reported: Vec<(String, Option<String>)> = Vec::new();
        for (n, row) in self.rows() {
            let (tag, arch) = match field_of(&row.key) {
                Field::Name
                | Field::Arch
                | Field::Maintainer
                | Field::Comment
                | Field::Url
                | Field::Description => match row.key.rsplit_once('.') {
                    Some((tag, _)) => (tag.to_string(), None),
                    None => continue,
                },
                Field::Sum | Field::Size | Field::Timestamp | Field::Source => {
                    let Some((head, arch)) = row.key.rsplit_once('.') else { continue };
                    let Some((tag, _)) = head.rsplit_once('.') else { continue };
                    (tag.to_string(), Some(arch.to_string()))
                }
                _ => continue,
            };
            if !tags.contains(&tag) {
                if !reported.contains(&(tag.clone(), None)) {
                    report.problems.push(Problem::new(
                        n.to_string(),
                        format!(
                            "{}: tag '{tag}' is not listed in 'tags': AppJail cannot find it to import",
                            row.key
                        ),
                    ));
                    reported.push((tag, None));
                }
                continue;
            }
            if let Some(arch) = arch
                && !self.arches(&tag).contains(&arch)
                && !reported.contains(&(tag.clone(), Some(arch.clone())))
            {
                report.problems.push(Problem::new(
                    n.to_string(),
                    format!(
                        "{}: architecture '{arch}' is not listed in '{tag}.arch': AppJail cannot find it to import",
                        row.key
                    ),
                ));
                reported.push((tag, Some(arch)));
            }
        }
    }

    fn validate_arch(&self, tag: &str, arch: &str, report: &mut Report) {
        let key = |field: &str| format!("{tag}.{field}.{arch}");
        let line = |key: &str| self.rows_of(key).next().map(|(n, _)| n.to_string());
        let arch_line = line(&format!("{tag}.arch")).unwrap_or_default();
        if !is_arch(arch) {
            report
                .problems
                .push(Problem::new(&arch_line, format!("{tag}.arch: unknown architecture '{arch}'")));
        }
        let sum_key = key("sum");
        match self.scalar(&sum_key) {
            None => report.problems.push(Problem::new(&arch_line, format!("{sum_key}: missing"))),
            Some(sum) if !is_sum(sum) => report.problems.push(Problem::new(
                line(&sum_key).unwrap_or_default(),
                format!("{sum_key}: not 64 hexadecimal digits: '{sum}'"),
            )),
            Some(sum) if sum.bytes().any(|c| c.is_ascii_uppercase()) => report.problems.push(Problem::new(
                line(&sum_key).unwrap_or_default(),
                format!("{sum_key}: uppercase hex never matches AppJail's lowercase sha256 output"),
            )),
            Some(_) => {}
        }
        let source_key = key("source");
        if self.list(&source_key).is_empty() {
            report.problems.push(Problem::new(&arch_line, format!("{source_key}: no source")));
        }
        for field in ["size", "timestamp"] {
            let k = key(field);
            match self.scalar(&k) {
                Some(v) if !is_number(v) => report
                    .problems
                    .push(Problem::new(line(&k).unwrap_or_default(), format!("{k}: not a number: '{v}'"))),
                None if field == "timestamp" => report.warnings.push(Problem::new(
                    &arch_line,
                    format!("{k}: missing: AppJail will download the image on every update"),
                )),
                _ => {}
            }
        }
    }

    fn scalar_warnings(&self, report: &mut Report) {
        let mut seen: HashSet<&str> = HashSet::new();
        for (n, row) in self.rows() {
            let kind = field_of(&row.key);
            if matches!(kind, Field::Legacy) {
                report.warnings.push(Problem::new(
                    n.to_string(),
                    format!("{}: legacy key, ignored by current AppJail", row.key),
                ));
            }
            if !kind.is_scalar() {
                continue;
            }
            if !seen.insert(row.key.as_str()) {
                report
                    .warnings
                    .push(Problem::new(n.to_string(), format!("{}: extra row ignored (scalar)", row.key)));
            } else {
                if row.tokens.len() > 1 {
                    report.warnings.push(Problem::new(
                        n.to_string(),
                        format!("{}: only the first token '{}' is read", row.key, row.tokens[0]),
                    ));
                }
            }
        }
    }
}

impl Default for Document {
    fn default() -> Self {
        Document::new()
    }
}

fn unique(items: Vec<&str>) -> Vec<String> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|item| seen.insert(*item)).map(str::to_string).collect()
}

/// The tokens a canonical row for `value` reads back as (an empty string reads as none).
fn expected_tokens(value: &str) -> Vec<String> {
    if value.is_empty() { Vec::new() } else { vec![value.to_string()] }
}

/// The canonical text of a row (without LF): `key: value` or `key+: value`, strings
/// double-quoted with `\` and `"` escaped, bare values as they are.
pub fn render_row(key: &str, append: bool, value: &str) -> String {
    let plus = if append { "+" } else { "" };
    let value = match field_of(key).quoting() {
        Quoting::Bare => value.to_string(),
        Quoting::Quoted => quote(value),
    };
    format!("{key}{plus}: {value}")
}

/// `value` as one double-quoted token (W2): only `\` and `"` are escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

enum Quoting {
    Bare,
    Quoted,
}

/// What a file key means, found from its last components (tags contain dots, so a key is
/// never split from the front).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Tags,
    Arch,
    Sum,
    Size,
    Timestamp,
    Source,
    Name,
    Maintainer,
    Comment,
    Url,
    Description,
    Maintenance,
    Entrypoint,
    Ajspec,
    Legacy,
    Unknown,
}

impl Field {
    fn quoting(self) -> Quoting {
        match self {
            Field::Tags | Field::Arch | Field::Sum | Field::Size | Field::Timestamp => Quoting::Bare,
            _ => Quoting::Quoted,
        }
    }

    fn is_scalar(self) -> bool {
        matches!(
            self,
            Field::Sum
                | Field::Size
                | Field::Timestamp
                | Field::Name
                | Field::Comment
                | Field::Url
                | Field::Maintenance
                | Field::Entrypoint
                | Field::Ajspec
        )
    }
}

fn field_of(key: &str) -> Field {
    match key {
        "tags" => return Field::Tags,
        "maintenance" => return Field::Maintenance,
        "entrypoint" => return Field::Entrypoint,
        "ajspec" => return Field::Ajspec,
        _ => {}
    }
    let Some((head, last)) = key.rsplit_once('.') else {
        return Field::Unknown;
    };
    match last {
        "arch" => return Field::Arch,
        "name" => return Field::Name,
        "maintainer" => return Field::Maintainer,
        "comment" => return Field::Comment,
        "url" => return Field::Url,
        "description" => return Field::Description,
        "timestamp" | "entrypoint" | "ajspec" => return Field::Legacy,
        _ => {}
    }
    match head.rsplit_once('.').map(|(_, field)| field) {
        Some("sum") => Field::Sum,
        Some("size") => Field::Size,
        Some("timestamp") => Field::Timestamp,
        Some("source") => Field::Source,
        _ => Field::Unknown,
    }
}

fn is_dedup_list(key: &str) -> bool {
    matches!(field_of(key), Field::Tags | Field::Arch)
}

/// Whether rows of `key` may be appended (`KEY+=VALUE`): list and lines keys only.
pub fn is_list_key(key: &str) -> bool {
    matches!(
        field_of(key),
        Field::Tags | Field::Arch | Field::Source | Field::Maintainer | Field::Description
    )
}

/// Whether `key` is a well-formed file key jtools may write (key characters only).
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(is_key_char)
}

/// AppJail's image-name rule: `^[a-zA-Z0-9_][a-zA-Z0-9_-]*$`.
pub fn is_image_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// AppJail's tag rule: `^[a-zA-Z0-9_][a-zA-Z0-9._-]*$`.
pub fn is_tag_name(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    bytes.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        && bytes.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// 64 hexadecimal digits (either case, as AppJail's check; write lowercase).
pub fn is_sum(sum: &str) -> bool {
    sum.len() == 64 && sum.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `^[0-9]+$`.
pub fn is_number(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|c| c.is_ascii_digit())
}

/// Checks a value before it is written under `key` (spec §6 type checks, W7) and returns
/// it as it will be written (a sum in lowercase). `append` is `KEY+=VALUE`.
pub fn check_value(key: &str, value: &str, append: bool) -> Result<String, String> {
    if !is_valid_key(key) {
        return Err(format!("invalid key '{key}' (allowed: A-Z a-z 0-9 . _ -)"));
    }
    let field = field_of(key);
    if append && !is_list_key(key) {
        return Err(format!("{key}: '+=' only applies to tags, arch, source, maintainer and description"));
    }
    if value.bytes().any(|c| matches!(c, b'\n' | b'\r' | 0)) {
        return Err(format!("{key}: values cannot contain LF, CR or NUL"));
    }
    if value.trim().is_empty() && !(field == Field::Description && value.is_empty()) {
        // An empty string reads back as absent (W7); only a blank description line exists.
        return Err(format!("{key}: empty value"));
    }
    let bad = |what: &str| Err(format!("{key}: '{value}' is not {what}"));
    match field {
        Field::Tags if !is_tag_name(value) => bad("a valid tag ([a-zA-Z0-9_][a-zA-Z0-9._-]*)"),
        Field::Arch if !is_arch(value) => bad("a known architecture"),
        Field::Name if !is_image_name(value) => bad("a valid image name ([a-zA-Z0-9_][a-zA-Z0-9_-]*)"),
        Field::Sum if !is_sum(value) => bad("64 hexadecimal digits"),
        Field::Sum => Ok(value.to_ascii_lowercase()),
        Field::Size | Field::Timestamp if !is_number(value) => bad("a number"),
        Field::Legacy => Err(format!("{key}: legacy key, not written by jtools")),
        _ => Ok(value.to_string()),
    }
}

/// Maps AppJail's CLI keyword (`name`, `sum:amd64`, …; spec §6) with tag `tag` to the file
/// key (`14.2.sum.amd64`). `tags`, `maintenance`, `entrypoint` and `ajspec` ignore the tag.
pub fn keyword_key(tag: &str, keyword: &str) -> Result<String, String> {
    if let Some((field, arch)) = keyword.split_once(':') {
        if !matches!(field, "sum" | "source" | "size" | "timestamp") {
            return Err(format!("unknown keyword '{keyword}' (sum, source, size, timestamp take :ARCH)"));
        }
        if !is_arch(arch) {
            return Err(format!("{keyword}: unknown architecture '{arch}'"));
        }
        return Ok(format!("{tag}.{field}.{arch}"));
    }
    match keyword {
        "tags" | "maintenance" | "entrypoint" | "ajspec" => Ok(keyword.to_string()),
        "name" | "maintainer" | "comment" | "url" | "description" | "arch" => Ok(format!("{tag}.{keyword}")),
        _ => Err(format!(
            "unknown keyword '{keyword}' (name maintainer maintenance comment url description arch tags \
             entrypoint ajspec sum:ARCH source:ARCH size:ARCH timestamp:ARCH)"
        )),
    }
}

/// How `get` reads a key: `Scalar` (first token of the first row), `List` (every token;
/// `sorted` for tags and arch, which AppJail prints sorted and unique) or `Lines`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Token 0 of row 0.
    Scalar,
    /// Every token of every row; sorted and unique when `sorted`.
    List {
        /// Sorted and unique (tags, arch).
        sorted: bool,
    },
    /// One line per row.
    Lines,
}

/// How the value of `key` is read (spec §5).
pub fn access_of(key: &str) -> Access {
    match field_of(key) {
        Field::Tags | Field::Arch => Access::List { sorted: true },
        Field::Source | Field::Maintainer => Access::List { sorted: false },
        Field::Description => Access::Lines,
        _ => Access::Scalar,
    }
}

impl Document {
    /// The value of `key` as `get` prints it: one string per output line, read as
    /// [`access_of`] says. Empty when the key is absent.
    pub fn get(&self, key: &str) -> Vec<String> {
        match access_of(key) {
            Access::Scalar => self.scalar(key).map(|v| vec![v.to_string()]).unwrap_or_default(),
            Access::List { sorted: false } => self.list(key).into_iter().map(str::to_string).collect(),
            Access::List { sorted: true } => {
                let mut items = unique(self.list(key));
                items.sort();
                items
            }
            Access::Lines => self.text_lines(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(value: &[u8]) -> Vec<String> {
        tokenize(value).unwrap()
    }

    #[test]
    fn tokenizer_vectors_from_the_spec() {
        let cases: [(&[u8], &[&str]); 21] = [
            (b"  a   b ", &["a", "b"]),
            (b"a\tb", &["a\tb"]),
            (b"\"a b\"", &["a b"]),
            (b"\"a 'b'\"", &["a 'b'"]),
            (b"'a\"b'", &["a\"b"]),
            (b"\"abc\"def", &["abc", "def"]),
            (b"abc\"def\"", &["abcdef"]),
            (b"a\"\"b", &["a", "b"]),
            (b"\"\"", &[]),
            (b"\"\" x", &["x"]),
            (b"'it''s'", &["it", "s"]),
            (b"\"a\\\"b\"", &["a\"b"]),
            (b"'a\\'b'", &["a'b"]),
            (b"\"a\\'b\"", &["a\\'b"]),
            (b"'a \\\"b\\\"'", &["a \\\"b\\\""]),
            (b"a\\\"b", &["a\\\"b"]),
            (b"a\\\\b", &["a\\b"]),
            (b"\"a\\\\b\"", &["a\\b"]),
            (b"a\\ b", &["a\\ b"]),
            (b"\"abc\"\r", &["abc", "\r"]),
            (b"c0ffee\r", &["c0ffee\r"]),
        ];
        for (input, expected) in cases {
            assert_eq!(tokens(input), expected, "value {:?}", String::from_utf8_lossy(input));
        }
        assert_eq!(tokens(b"a\\nb"), ["a\\nb"]);
        assert_eq!(tokenize(b"a\\").unwrap_err().1, "backslash at the end of the value");
        assert_eq!(tokenize(b"\"abc").unwrap_err(), (0, "unterminated quote"));
    }

    #[test]
    fn line_grammar() {
        let doc = Document::parse("  \t\n# c\n*ta+gs: a\nk\n").unwrap();
        let rows: Vec<_> = doc.rows().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[0].1.key, "tags");
        assert!(rows[0].1.append);
        assert_eq!(rows[1].1.key, "k");
        assert!(rows[1].1.tokens.is_empty());
        for (bad, line, column) in
            [("a: 1\nkey : v\n", 2, 4), ("+: x\n", 1, 1), (": x\n", 1, 1), ("${X}: 1\n", 1, 1)]
        {
            let err = Document::parse(bad).unwrap_err();
            assert_eq!((err.line, err.column), (line, column), "{bad:?}: {err}");
        }
        // A NUL ends the line: what follows is ignored.
        let doc = Document::parse_bytes(b"k: a\0\"unterminated\n").unwrap();
        assert_eq!(doc.scalar("k"), Some("a"));
    }

    #[test]
    fn edits_keep_other_bytes() {
        let text = "# head\ntags:   14.1\n\n14.1.name: 'x'  \n14.1.arch: amd64\n";
        let mut doc = Document::parse(text).unwrap();
        assert!(!doc.set("14.1.name", "x"));
        assert_eq!(doc.to_bytes(), text.as_bytes());
        assert!(doc.set("14.1.name", "y"));
        assert_eq!(doc.to_bytes(), b"# head\ntags:   14.1\n\n14.1.arch: amd64\n14.1.name: \"y\"\n");
        assert!(!doc.append("14.1.arch", "amd64"));
        assert!(doc.append("14.1.arch", "i386"));
        assert_eq!(doc.arches("14.1"), ["amd64", "i386"]);
        assert_eq!(doc.delete("14.1.arch"), 2);
    }

    #[test]
    fn update_rewrites_in_place() {
        let mut doc = Document::parse("a.sum.amd64: 1\nx: \"y\"\na.source.amd64: \"u\"\n").unwrap();
        assert!(doc.update("a.source.amd64", &["u", "v"]));
        assert!(!doc.update("a.source.amd64", &["u", "v"]));
        assert_eq!(
            doc.to_bytes(),
            b"a.sum.amd64: 1\nx: \"y\"\na.source.amd64: \"u\"\na.source.amd64+: \"v\"\n"
        );
    }

    #[test]
    fn keywords_and_values() {
        assert_eq!(keyword_key("14.2", "sum:amd64").unwrap(), "14.2.sum.amd64");
        assert_eq!(keyword_key("14.2", "tags").unwrap(), "tags");
        assert!(keyword_key("14.2", "sum:vax").is_err());
        assert_eq!(check_value("1.sum.amd64", &"AB".repeat(32), false).unwrap(), "ab".repeat(32));
        assert!(check_value("1.size.amd64", "12a", false).is_err());
        assert!(check_value("1.name", "a b", false).is_err());
        assert!(check_value("1.description", "", true).is_ok());
        assert!(check_value("1.comment", "", false).is_err());
        assert!(check_value("1.comment", "x", true).is_err());
        assert_eq!(render_row("1.url", false, "a\"b\\c"), "1.url: \"a\\\"b\\\\c\"");
    }
}
