//! jspec: read, write, create, validate and convert image metadata.
mod cli;
#[path = "../common/mod.rs"]
mod common;
mod convert;
mod create;
mod doc;
mod edit;
mod report;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jspec"), cli::run)
}
