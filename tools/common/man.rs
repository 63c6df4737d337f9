//! Man pages from the clap definitions. Beyond what clap_mangen renders, each subcommand
//! gets its own subsections (synopsis, description, options), the command's long
//! after-help becomes EXAMPLES, and every page ends with the shared EXIT STATUS and SEE ALSO.
//! The roff is then made `mandoc -Tlint` clean ([`lint_clean`]; tests/man.rs runs mandoc on
//! every page): an upper-case title and a parseable date, no `.br` around a blank line,
//! no trailing whitespace, no text line over 80 bytes.

use clap_mangen::Man;

type RenderSection = fn(&Man, &mut dyn std::io::Write) -> std::io::Result<()>;

const TOOLS: [&str; 6] = ["jsnap", "jpack", "jsum", "jfetch", "jspec", "jrun"];

/// The pages' date (`.TH` third field). Fixed, so that generating a page twice gives the
/// same bytes (tests/man.rs compares the committed pages with the binaries' output).
const DATE: &str = "2026-12-01";

/// Longest text line mandoc accepts without a style finding.
const MAX_LINE: usize = 80;

/// The roff source of a tool's page, section 1.
pub fn man_page(cmd: clap::Command) -> Vec<u8> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let name = cmd.get_name().to_string();
    let man =
        Man::new(cmd.clone()).title(name.to_uppercase()).date(DATE).source("jtools").manual("jtools manual");
    let mut out = Vec::new();
    let sections: [RenderSection; 4] = [
        Man::render_title,
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
    ];
    for render in sections {
        render(&man, &mut out).expect("render to memory");
    }
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).expect("render to memory");
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render_subcommand(&name, sub, &mut out);
    }
    if cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some() {
        let mut extra = Vec::new();
        man.render_extra_section(&mut extra).expect("render to memory");
        out.extend(String::from_utf8_lossy(&extra).replacen(".SH EXTRA", ".SH EXAMPLES", 1).bytes());
    }
    out.extend(exit_status_section(&name).bytes());
    out.extend(see_also_section(&name).bytes());
    lint_clean(&drop_repeated_preamble(out))
}

/// Rewrites clap_mangen's roff into what `mandoc -Tlint` accepts without findings, with
/// the same rendering: `.br`, blank line, `.br` (a paragraph gap clap_mangen writes inside
/// option descriptions) becomes `.sp`; trailing blanks go (unless escaped); text lines over
/// [`MAX_LINE`] bytes are split, at a blank in filled text (a newline is a blank there) and
/// with a `\` continuation elsewhere (no-fill blocks and lines that start with a blank,
/// whose spacing matters), never inside an escape sequence.
pub fn lint_clean(page: &[u8]) -> Vec<u8> {
    let text = ascii_escapes(&String::from_utf8_lossy(page));
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut no_fill = false;
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == ".br" && lines.get(i + 1) == Some(&"") && lines.get(i + 2) == Some(&".br") {
            out.push_str(".sp\n");
            i += 3;
            continue;
        }
        let line = strip_trailing_blanks(lines[i]);
        i += 1;
        if line.starts_with('.') || line.starts_with('\'') {
            match line.split_whitespace().next() {
                Some(".nf" | ".EX") => no_fill = true,
                Some(".fi" | ".EE") => no_fill = false,
                _ => {}
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let continuation = no_fill || line.starts_with(' ');
        for piece in split_text_line(line, continuation) {
            out.push_str(&piece);
            out.push('\n');
        }
    }
    out.into_bytes()
}

fn strip_trailing_blanks(line: &str) -> &str {
    let trimmed = line.trim_end_matches([' ', '\t']);
    // `\ ` is an escaped blank: keep one after an odd run of backslashes.
    let backslashes = trimmed.bytes().rev().take_while(|&b| b == b'\\').count();
    if backslashes % 2 == 1 && trimmed.len() < line.len() { &line[..trimmed.len() + 1] } else { trimmed }
}

/// Byte offsets where an escape sequence or a plain character starts (the places a line
/// may be split).
fn token_starts(line: &str) -> Vec<usize> {
    let b = line.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        starts.push(i);
        if b[i] != b'\\' {
            i += line[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        // `\fB`, `\f(CW`, `\f[B]`, `\*(Aq`, `\*x`, `\(aq`, `\[em]`, `\-`, `\&` …
        i += 1;
        let arg = |j: usize| -> usize {
            match b.get(j) {
                Some(b'(') => j + 3,
                Some(b'[') => line[j..].find(']').map_or(b.len(), |k| j + k + 1),
                Some(_) => j + 1,
                None => j,
            }
        };
        i = match b.get(i) {
            Some(b'f' | b'*' | b'n' | b'F' | b'g' | b'k' | b'm' | b'M' | b'Y' | b'V') => arg(i + 1),
            Some(b'(') => i + 3,
            Some(b'[') => line[i..].find(']').map_or(b.len(), |k| i + k + 1),
            Some(_) => i + line[i..].chars().next().map_or(1, char::len_utf8),
            None => i,
        }
        .min(b.len());
    }
    starts
}

/// Non-ASCII characters as roff `\[uXXXX]` escapes: mandoc measures line length after this
/// conversion (a 3-byte `—` counts as the 8 bytes of `\[u2014]`), and groff without
/// preconv renders raw UTF-8 as Latin-1 noise.
fn ascii_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}

fn split_text_line(line: &str, continuation: bool) -> Vec<String> {
    if line.len() <= MAX_LINE {
        return vec![line.to_string()];
    }
    let starts = token_starts(line);
    let mut pieces = Vec::new();
    let mut from = 0;
    loop {
        if line.len() - from <= MAX_LINE {
            pieces.push(line[from..].to_string());
            break;
        }
        let limit = from + if continuation { MAX_LINE - 1 } else { MAX_LINE };
        let mut candidates = starts.iter().copied().filter(|&s| s > from && s <= limit);
        let cut = if continuation {
            // Any token boundary whose next character cannot start a control line.
            candidates.rfind(|&s| !matches!(line.as_bytes()[s], b'.' | b'\''))
        } else {
            // A plain blank (not `\ `): the blank is dropped, the newline stands for it.
            candidates.rfind(|&s| line.as_bytes()[s] == b' ' && s > from && !line[from..s].is_empty())
        };
        let Some(cut) = cut else {
            pieces.push(line[from..].to_string());
            break;
        };
        if continuation {
            pieces.push(format!("{}\\", &line[from..cut]));
            from = cut;
        } else {
            pieces.push(line[from..cut].trim_end().to_string());
            from = cut + 1;
            // A line may not start with a control character once split.
            while line.as_bytes().get(from) == Some(&b' ') {
                from += 1;
            }
            if matches!(line.as_bytes().get(from), Some(b'.' | b'\'')) {
                // Escape with a zero-width `\&` by keeping it on the next line's start.
                let rest = &line[from..];
                let mut next = split_text_line(&format!("\\&{rest}"), false);
                pieces.append(&mut next);
                return pieces;
            }
        }
    }
    pieces
}

/// Every clap_mangen render call starts with the same two-line string definition; a page
/// needs it once.
fn drop_repeated_preamble(page: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&page);
    let mut seen_preamble = false;
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(".ie \\n(.g .ds Aq") {
            let next = lines.next().unwrap_or_default();
            if !seen_preamble {
                out.push_str(line);
                out.push_str(next);
                seen_preamble = true;
            }
            continue;
        }
        out.push_str(line);
    }
    out.into_bytes()
}

fn render_subcommand(tool: &str, sub: &clap::Command, out: &mut Vec<u8>) {
    let full = format!("{tool} {}", sub.get_name());
    let man = Man::new(sub.clone().name(full.clone()).bin_name(full.clone()));
    out.extend(format!(".SH \"{}\"\n", full.to_uppercase()).bytes());
    let mut body = Vec::new();
    man.render_synopsis_section(&mut body).expect("render to memory");
    man.render_description_section(&mut body).expect("render to memory");
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body).expect("render to memory");
    }
    if sub.get_after_long_help().is_some() || sub.get_after_help().is_some() {
        man.render_extra_section(&mut body).expect("render to memory");
    }
    let body =
        String::from_utf8_lossy(&body).replace(".SH EXTRA", ".SH EXAMPLES").replace("\n.SH ", "\n.SS ");
    let body = body.strip_prefix(".SH ").map_or(body.clone(), |b| format!(".SS {b}"));
    out.extend(body.bytes());
}

fn exit_status_section(tool: &str) -> String {
    let body = if tool == "jrun" {
        "The command's own exit status; 128+N when it was killed by signal N; 127 when the \
         command does not exist; 126 when it cannot be executed; 2 for errors of jrun itself."
    } else {
        "0 on success; 1 for a negative answer (a digest mismatch, a failed verification, \
         invalid metadata); 2 when the job could not be done (usage, I/O, corrupt input, \
         network). A broken pipe on standard output ends the tool quietly with status 0."
    };
    format!(".SH \"EXIT STATUS\"\n{body}\n")
}

fn see_also_section(tool: &str) -> String {
    let others: Vec<String> =
        TOOLS.iter().filter(|t| **t != tool).map(|t| format!("\\fB{t}\\fR(1)")).collect();
    format!(".SH \"SEE ALSO\"\n{}, \\fBjtools\\fR(7)\n", others.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_split_outside_escapes_and_rejoin_to_the_same_text() {
        let filled =
            format!("{} \\fBbold\\fR \\*(Aqq\\*(Aq .dot 'quote {}", "word ".repeat(20), "x ".repeat(30));
        let pieces = split_text_line(&filled, false);
        assert!(pieces.iter().all(|p| p.len() <= MAX_LINE), "{pieces:?}");
        assert!(pieces.iter().all(|p| !p.starts_with('.') && !p.starts_with('\'')), "{pieces:?}");
        let words = |s: &str| s.replace("\\&", "").split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&pieces.join(" ")), words(&filled));
        let example = format!("  jspec set {}\\fB\\-t\\fR{}", "a".repeat(70), ".b".repeat(20));
        let pieces = split_text_line(&example, true);
        assert!(pieces.iter().all(|p| p.len() <= MAX_LINE), "{pieces:?}");
        let joined: String = pieces.iter().map(|p| p.strip_suffix('\\').unwrap_or(p)).collect();
        assert_eq!(joined, example);
        assert!(pieces.iter().skip(1).all(|p| !p.starts_with('.')), "{pieces:?}");
    }

    #[test]
    fn br_around_blank_line_becomes_sp_and_trailing_blanks_go() {
        let page = b".TP\ntext  \n.br\n\n.br\nmore\\ \n";
        assert_eq!(String::from_utf8(lint_clean(page)).unwrap(), ".TP\ntext\n.sp\nmore\\ \n");
    }
}
