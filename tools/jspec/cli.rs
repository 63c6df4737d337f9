//! Command line of jspec. Not implemented yet: every invocation fails with exit 2.
use clap::Parser;
use jcore::Status;

/// read, write, create, validate and convert image metadata (not implemented yet)
#[derive(Parser, Debug)]
#[command(name = "jspec", version)]
pub struct Cli {
    /// Arguments (ignored until jspec is implemented)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(_cli: Cli) -> anyhow::Result<Status> {
    anyhow::bail!("not implemented yet")
}
