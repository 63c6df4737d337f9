//! jpack: stream compression and decompression: zstd, xz, gzip, bzip2, lz4.
//!
//! Layout, no circles: `args` (clap only) → `plan` (what to do, derived once) → the work
//! modules `stream` and `list`, which take the plan; this file dispatches.
use jcli as common;
mod args;
mod list;
mod plan;
mod stream;

use std::process::ExitCode;

use jcore::Status;

use plan::Mode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jpack"), run)
}

fn run(cli: args::Cli) -> anyhow::Result<Status> {
    // 1 MiB pipe buffers: a stage of a pipeline moving GiBs, not a wakeup per 64 KiB.
    jcore::io::enlarge_pipe_buffers();
    match Mode::from_cli(cli)? {
        Mode::Compress { format, level, settings } => stream::compress(format, level, &settings),
        Mode::Decompress { pass_through, settings } => stream::decompress(pass_through, &settings),
        Mode::Test { settings } => stream::test(&settings),
        Mode::Detect { file } => list::detect(file.as_deref()),
        Mode::List => list::list(),
    }
}
