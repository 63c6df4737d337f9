//! jsnap: snapshot a jail's ZFS dataset or directory and stream it out and back in.
use jcli as common;
mod cli;
mod dir;
mod names;
mod snapshot;
mod zfs;

use std::process::ExitCode;

fn main() -> ExitCode {
    common::main(common::Tool::new("jsnap"), cli::run)
}
