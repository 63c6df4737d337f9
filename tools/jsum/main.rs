//! jsum: compute and verify digests, or hash a stream on its way through a pipe.
mod check;
mod cli;
#[path = "../common/mod.rs"]
mod common;
mod compute;
mod tee;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jsum"), cli::run)
}
