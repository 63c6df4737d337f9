//! jspec: read, write, create, validate and convert image metadata.
//!
//! Layout: `args` (clap only) → `plan` (the derived [`plan::Job`]) → the work modules
//! `edit`, `report`, `create`, `convert`, `oci` (which share `doc`); `main` dispatches. No module
//! below `plan` imports `args`.
use jcli as common;
mod args;
mod convert;
mod create;
mod doc;
mod edit;
mod oci;
mod plan;
mod report;

use std::process::ExitCode;

use jcore::Status;
use plan::Job;

fn run(cli: args::Cli) -> anyhow::Result<Status> {
    match Job::derive(cli)? {
        Job::Get(t, key) => edit::get(&t.file, t.format, t.tag.as_deref(), &key),
        Job::Set(t, assignments) => edit::set(&t.file, t.format, t.tag.as_deref(), &assignments),
        Job::Del(t, keys) => edit::del(&t.file, t.format, t.tag.as_deref(), &keys),
        Job::Show(t, json) => report::show(&t.file, t.format, json),
        Job::Info(t) => report::info(&t.file, t.format),
        Job::Validate(t) => report::validate(&t.file, t.format),
        Job::New(plan) => create::new(&plan),
        Job::Convert(plan) => convert::convert(&plan),
        Job::AciId(image) => create::aci_id(&image),
    }
}

fn main() -> ExitCode {
    common::main(common::Tool::new("jspec"), run)
}
