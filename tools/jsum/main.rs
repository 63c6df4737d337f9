//! jsum: compute and verify digests, or hash a stream on its way through a pipe.
use jcli as common;
mod check;
mod cli;
mod compute;
mod tee;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jsum"), cli::run)
}
