//! jspec: read, write, create, validate and convert image metadata.
use jcli as common;
mod cli;
mod convert;
mod create;
mod doc;
mod edit;
mod report;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jspec"), cli::run)
}
