//! jfetch: download with mirror fallback, resume and verification while streaming.
mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jfetch"), cli::run)
}
