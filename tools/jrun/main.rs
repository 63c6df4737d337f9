//! jrun: run a command inside a jail.
mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jrun"), cli::run)
}
