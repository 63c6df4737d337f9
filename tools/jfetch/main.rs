//! jfetch: download with mirror fallback, resume and verification while streaming.
mod cache;
mod cli;
#[path = "../common/mod.rs"]
mod common;
mod fetch;
mod http;
mod source;
mod spec;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jfetch"), cli::run)
}
