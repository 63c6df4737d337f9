//! jsum: compute and verify digests, hash a stream on its way through a pipe, and make and
//! check minisign and signify signatures.
//!
//! Layout (no import circles): `args` (clap only) → `plan` (the derived [`plan::Plan`]) →
//! the work modules `compute`, `check`, `tee` and `sign`, which take the plan's pieces.
use jcli as common;
mod args;
mod check;
mod compute;
mod plan;
mod sign;
mod tee;

use std::process::ExitCode;

use jcore::Status;
use plan::Plan;

fn main() -> ExitCode {
    common::main(common::Tool::new("jsum"), run)
}

/// Runs jsum.
fn run(cli: args::Cli) -> anyhow::Result<Status> {
    if let Some(n) = cli.threads {
        // The rayon pool is what BLAKE3 uses for large inputs; the hashing threads of several
        // digests are capped too.
        let n = jcore::threads::resolve(Some(n));
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
        jcore::digest::set_hashing_threads(n);
    }
    match Plan::from_args(cli)? {
        Plan::Compute { algorithms, files, printing, output } => {
            compute::run(&algorithms, &files, &printing, output.as_deref())
        }
        Plan::Check { sum_files, options } => check::run(&sum_files, &options),
        Plan::Expect { expected, file, quiet, json, label } => {
            tee::expect(&expected, file.as_deref(), quiet, json, label.as_deref())
        }
        Plan::Tee { algorithms, expected, file, printing, output, force } => {
            tee::tee(&algorithms, &expected, file.as_deref(), &printing, output.as_deref(), force)
        }
        Plan::Keygen(plan) => sign::keygen(&plan),
        Plan::Sign(plan) => sign::sign(&plan),
        Plan::Verify(plan) => sign::verify(&plan),
    }
}
