//! jfetch: download with mirror fallback, resume and verification while streaming.
use jcli as common;
mod cache;
mod cli;
mod fetch;
mod http;
mod source;
mod spec;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jfetch"), cli::run)
}
