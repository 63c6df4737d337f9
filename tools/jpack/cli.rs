//! Command line of jpack. Not implemented yet: every invocation fails with exit 2.
use clap::Parser;
use jcore::Status;

/// stream compression and decompression: zstd, xz, gzip, bzip2, lz4 (not implemented yet)
#[derive(Parser, Debug)]
#[command(name = "jpack", version)]
pub struct Cli {
    /// Arguments (ignored until jpack is implemented)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(_cli: Cli) -> anyhow::Result<Status> {
    anyhow::bail!("not implemented yet")
}
