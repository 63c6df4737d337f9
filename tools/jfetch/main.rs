//! jfetch: download with mirror fallback, resume and verification while streaming.
use jcli as common;
mod args;
mod cache;
mod cli;
mod cli_registry;
mod fetch;
mod http;
mod netrc;
mod proxy;
mod registry;
mod signature;
mod source;
mod spec;
mod tls;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jfetch"), cli::run)
}
