//! The registry side of the command line: docker:// sources and --push turned into a
//! [`registry::Job`], and its JSON record.

use std::time::Duration;

use anyhow::{anyhow, bail};
use jcore::Status;
use jcore::oci::Platform;

use crate::args::Cli;
use crate::registry::{self, Job, Mode, Reference};
use crate::source::Access;

/// Whether the command is about a registry: a docker:// SOURCE or --push.
pub fn wanted(cli: &Cli) -> bool {
    cli.push.is_some() || cli.sources.iter().any(|s| registry::is_reference(s))
}

/// Runs the registry job the flags describe.
pub fn run(cli: &Cli, access: &Access) -> anyhow::Result<Status> {
    let job = job(cli)?;
    let record = registry::run(&job, access)?;
    if job.json {
        println!("{record}");
    }
    Ok(Status::Success)
}

fn job(cli: &Cli) -> anyhow::Result<Job> {
    if let Some(url) = cli.sources.iter().find(|s| !registry::is_reference(s)) {
        bail!(
            "{}: a registry command takes docker://HOST/REPOSITORY[:TAG] sources only",
            crate::source::redact(url)
        );
    }
    let unused = [
        (cli.sha256.is_some(), "--sha256"),
        (cli.sum.is_some(), "--sum"),
        (cli.size.is_some(), "--size"),
        (cli.cache.is_some(), "--cache"),
        (cli.spec.is_some(), "--spec"),
        (cli.sig.is_some(), "--sig"),
        (cli.pubkey.is_some(), "--pubkey"),
        (cli.pubkey_string.is_some(), "--pubkey-string"),
    ];
    if let Some((_, flag)) = unused.iter().find(|(given, _)| *given) {
        bail!("{flag}: not for registries (every manifest and blob is verified against its own digest)");
    }
    if cli.order == crate::args::Order::Random {
        // Registries are tried in the order given; a shuffled order is not offered yet.
        bail!("--order random: registries are tried in the order given");
    }
    let references = cli.sources.iter().map(|s| Reference::parse(s)).collect::<anyhow::Result<Vec<_>>>()?;
    let mode = match &cli.push {
        Some(layout) => {
            if cli.platform.is_some() {
                bail!("--platform: a push sends the layout's image as it is (an index with every platform)");
            }
            Mode::Push {
                layout: layout.clone(),
                image: cli.image_ref.clone(),
                destinations: references,
                mount_from: cli.mount_from.clone(),
                chunk_size: registry::parse_size(&cli.chunk_size)
                    .map_err(|e| anyhow!("--chunk-size: {e}"))?,
            }
        }
        None => {
            let output = match &cli.output {
                Some(dir) if !jcore::io::is_std(Some(dir)) => dir.clone(),
                _ => bail!("pulling an image needs -o DIR, the OCI image layout to create"),
            };
            let platform = match &cli.platform {
                Some(text) => Platform::parse(text).map_err(|e| anyhow!("--platform: {e}"))?,
                None => registry::host_platform(),
            };
            Mode::Pull { references, output, platform }
        }
    };
    Ok(Job {
        mode,
        plain_http: cli.plain_http,
        retries: cli.retries,
        retry_max_time: Duration::from_secs_f64(cli.retry_max_time),
        quiet: cli.quiet,
        json: cli.json,
    })
}
