//! jpack: stream compression and decompression: zstd, xz, gzip, bzip2, lz4.
use jcli as common;
mod cli;
mod list;
mod stream;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jpack"), cli::run)
}
