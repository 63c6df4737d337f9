//! jsnap: snapshot a jail's ZFS dataset or directory and stream it out and back in.
//!
//! Shape: `args` (clap only) → `plan` (what was asked, without clap) → the work modules
//! `snapshot` (ZFS subcommands, over `zfs`: the argv builders and the runner, and `mounts`:
//! the kernel's mount table) and `dir`
//! (tar streams, over jcore::tree) with `layers` (OCI layer stacks) and `zfs_layer` (a layer
//! between two snapshots). Dispatch is here; nothing imports `main`.
use jcli as common;
mod args;
mod dir;
mod layers;
mod mounts;
mod names;
mod plan;
mod snapshot;
mod zfs;
mod zfs_layer;

use std::process::ExitCode;

use jcore::Status;
use plan::Plan;

fn main() -> ExitCode {
    common::main(common::Tool::new("jsnap"), run)
}

fn run(cli: args::Cli) -> anyhow::Result<Status> {
    // Streams of GiBs through 64 KiB pipes spend their time waking the other stage (a
    // profile of `send --dir | cat` showed a fifth of it in pipe wakeups).
    jcore::io::enlarge_pipe_buffers();
    match Plan::from_cli(cli) {
        Plan::Create { target, recursive } => snapshot::create(&target, recursive),
        Plan::List { target, json } => snapshot::list(&target, json),
        Plan::Destroy { snapshot, recursive } => snapshot::destroy(&snapshot, recursive),
        Plan::SendZfs(send) => snapshot::send(&send),
        Plan::SendDir(dir, send) => dir::send(&dir, &send),
        Plan::RecvZfs(recv) => snapshot::recv(&recv),
        Plan::RecvDir(dir, recv) => dir::recv(&dir, &recv),
    }
}
