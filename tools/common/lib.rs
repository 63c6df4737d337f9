//! Glue shared by the six binaries: the `main` every tool calls, `--generate` for man pages
//! and shell completions, and the progress bar. This is the package `jcli` (tools/common/Cargo.toml),
//! compiled once and linked into every binary; each tool's `main.rs`
//! brings it in as `use jcli as common;`. It lives apart from jcore because jcore
//! deliberately has no CLI dependencies (clap, indicatif).

mod man;
mod overview;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jcore::Status;

pub use man::man_page;
pub use overview::overview_page;

/// What differs between tools in how `main` starts them.
pub struct Tool {
    /// The binary's name, the prefix of every error message.
    pub name: &'static str,
    /// Remove registered temporary files on SIGINT/SIGTERM/SIGHUP. jrun turns this off: it
    /// forwards those signals to its command instead.
    pub signal_cleanup: bool,
}

impl Tool {
    /// A tool with the default behaviour.
    pub const fn new(name: &'static str) -> Tool {
        Tool { name, signal_cleanup: true }
    }
}

/// The `main` of every tool: handles `--generate`, parses the command line (usage errors
/// exit 2), runs the tool and maps its result to the exit status (jcore::exit).
pub fn main<C: Parser>(tool: Tool, run: fn(C) -> anyhow::Result<Status>) -> ExitCode {
    if tool.signal_cleanup {
        jcore::io::install_signal_cleanup();
    }
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.len() == 3 && args[1] == "--generate" {
        return generate::<C>(tool.name, &args[2].to_string_lossy());
    }
    let cli = match C::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    jcore::exit::finish(tool.name, run(cli))
}

/// `tool --generate man|overview|complete-bash|complete-zsh|complete-fish` prints the page
/// or completion script built from the clap definition (the committed man/ pages come from
/// here, and a test checks they are current).
fn generate<C: CommandFactory>(name: &str, what: &str) -> ExitCode {
    let mut out = Vec::new();
    let mut cmd = C::command();
    let shell = |s: clap_complete::Shell, out: &mut Vec<u8>, cmd: &mut clap::Command| {
        clap_complete::generate(s, cmd, name, out);
    };
    match what {
        "man" => out = man_page(cmd),
        "overview" => out = overview_page(),
        "complete-bash" => shell(clap_complete::Shell::Bash, &mut out, &mut cmd),
        "complete-zsh" => shell(clap_complete::Shell::Zsh, &mut out, &mut cmd),
        "complete-fish" => shell(clap_complete::Shell::Fish, &mut out, &mut cmd),
        other => {
            eprintln!(
                "{name}: --generate: unknown '{other}' (man, overview, complete-bash, complete-zsh, complete-fish)"
            );
            return ExitCode::from(2);
        }
    }
    match std::io::stdout().lock().write_all(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: stdout: {e}");
            ExitCode::from(2)
        }
    }
}

/// A byte-count progress bar on stderr, drawn only when stderr is a terminal and not
/// `quiet`; otherwise hidden (all calls on it are then no-ops).
pub fn progress(total: Option<u64>, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {binary_bytes_per_sec} ETA {eta}")
                .expect("valid template"),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{bytes} {binary_bytes_per_sec} {elapsed}").expect("valid template"),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
