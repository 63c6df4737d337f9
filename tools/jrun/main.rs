//! jrun: run a command inside a jail.
use jcli as common;
mod cli;
#[cfg(target_os = "freebsd")]
mod freebsd;
mod job;
#[cfg(target_os = "linux")]
mod linux;
mod paths;
mod signals;
mod users;

use std::process::ExitCode;

fn main() -> ExitCode {
    // No signal cleanup: jrun forwards SIGINT/SIGTERM/SIGHUP to its command instead.
    common::main(common::Tool { name: "jrun", signal_cleanup: false }, cli::run)
}
