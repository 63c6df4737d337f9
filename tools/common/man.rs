//! Man pages from the clap definitions. Beyond what clap_mangen renders, each subcommand
//! gets its own subsections (synopsis, description, options), the command's long
//! after-help becomes EXAMPLES, and every page ends with the shared EXIT STATUS and SEE ALSO.

use clap_mangen::Man;

type RenderSection = fn(&Man, &mut dyn std::io::Write) -> std::io::Result<()>;

const TOOLS: [&str; 6] = ["jsnap", "jpack", "jsum", "jfetch", "jspec", "jrun"];

/// The roff source of a tool's page, section 1.
pub fn man_page(cmd: clap::Command) -> Vec<u8> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let name = cmd.get_name().to_string();
    let man = Man::new(cmd.clone()).source("jtools").manual("jtools manual");
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
    drop_repeated_preamble(out)
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
