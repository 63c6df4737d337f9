//! Command line of jfetch. Not implemented yet: every invocation fails with exit 2.
use clap::Parser;
use jcore::Status;

/// download with mirror fallback, resume and verification while streaming (not implemented yet)
#[derive(Parser, Debug)]
#[command(name = "jfetch", version)]
pub struct Cli {
    /// Arguments (ignored until jfetch is implemented)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(_cli: Cli) -> anyhow::Result<Status> {
    anyhow::bail!("not implemented yet")
}
