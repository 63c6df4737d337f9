//! Command line of jrun. Not implemented yet: every invocation fails with exit 2.
use clap::Parser;
use jcore::Status;

/// run a command inside a jail (not implemented yet)
#[derive(Parser, Debug)]
#[command(name = "jrun", version)]
pub struct Cli {
    /// Arguments (ignored until jrun is implemented)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(_cli: Cli) -> anyhow::Result<Status> {
    anyhow::bail!("not implemented yet")
}
