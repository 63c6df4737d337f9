//! jrun: run a command inside a jail.
//!
//! Shape (no import circles): `args` (clap only) → `plan` (derived, checked) → the work
//! modules, which take the plan: `job` (user, environment), `linux` / `freebsd` (the jail),
//! `signals`; `linux` uses `mounts`, `seccomp` and `tty`.
use jcli as common;
mod args;
#[cfg(target_os = "freebsd")]
mod freebsd;
mod job;
#[cfg(target_os = "linux")]
mod limits;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod mounts;
// FreeBSD's decisions and its confined paths; compiled for tests everywhere, so that they
// run on Linux too (the Linux side works by descriptor in mounts.rs).
#[cfg(any(test, target_os = "freebsd"))]
mod jail_plan;
#[cfg(any(test, target_os = "freebsd"))]
mod paths;
mod plan;
#[cfg(target_os = "linux")]
mod seccomp;
mod signals;
#[cfg(target_os = "linux")]
mod stdio;
mod users;

use std::process::ExitCode;

use anyhow::bail;
use jcore::Status;

use crate::args::Cli;
use crate::plan::{Plan, Target};

fn main() -> ExitCode {
    // No signal cleanup: jrun forwards SIGINT/SIGTERM/SIGHUP to its command instead.
    common::main(common::Tool { name: "jrun", signal_cleanup: false }, run)
}

/// Runs jrun.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    // Before looking at DIR, which may well be unreadable to the user.
    if !nix::unistd::geteuid().is_root() {
        bail!("must run as root (rootless user namespaces are not supported yet)");
    }
    run_plan(Plan::from_args(cli)?)
}

#[cfg(target_os = "linux")]
fn run_plan(plan: Plan) -> anyhow::Result<Status> {
    match plan.target {
        Target::Existing(ref name) => {
            bail!("{name}: existing jails are not supported on Linux, use --root DIR")
        }
        Target::Root(ref setup) => {
            let job = crate::job::Job::prepare(&setup.root, &plan)?;
            crate::linux::run(setup, job)
        }
    }
}

#[cfg(target_os = "freebsd")]
fn run_plan(plan: Plan) -> anyhow::Result<Status> {
    match plan.target {
        Target::Existing(ref jail) => crate::freebsd::run_existing(jail, &plan),
        Target::Root(ref setup) => {
            let job = crate::job::Job::prepare(&setup.root, &plan)?;
            crate::freebsd::run_root(setup, job, &plan)
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
fn run_plan(_plan: Plan) -> anyhow::Result<Status> {
    bail!("jails are supported on FreeBSD and Linux only")
}
