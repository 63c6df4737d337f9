//! Command line of jsnap. Not implemented yet: every invocation fails with exit 2.
use clap::Parser;
use jcore::Status;

/// snapshot a jail's ZFS dataset or directory and stream it out and back in (not implemented yet)
#[derive(Parser, Debug)]
#[command(name = "jsnap", version)]
pub struct Cli {
    /// Arguments (ignored until jsnap is implemented)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(_cli: Cli) -> anyhow::Result<Status> {
    anyhow::bail!("not implemented yet")
}
