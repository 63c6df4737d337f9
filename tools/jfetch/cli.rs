//! The jfetch command line: the clap definition, turning flags into a [`Plan`], and the
//! outputs (OUT.part renamed to OUT once verified, or stdout) around the transfer.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use jcore::Status;
use jcore::digest::{Algorithm, Expected};
use serde_json::json;

use crate::args::{Cli, Order};
use crate::cache::{self, Cache};
use crate::fetch::{Fetcher, Plan, Report, Sink};
use crate::signature::{Checked, FileCheckError, ImageSignature, Remote};
use crate::source::{Access, Source};
use crate::tls::Trust;
use crate::{http, netrc, signature, spec};
use jcore::io::AtomicFile;

/// Runs jfetch.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    if crate::cli_registry::wanted(&cli) {
        return crate::cli_registry::run(&cli, &access(&cli)?);
    }
    let remote = Remote::new(|| access(&cli), cli.retries, Duration::from_secs_f64(cli.retry_max_time));
    let output = cli.output.as_deref().filter(|p| !jcore::io::is_std(Some(p)));
    let key = signature_key(&cli)?;
    // A spec given with a key is verified here, before a single source is asked for anything.
    let (plan, spec_signature) = plan(&cli, key.as_ref(), &remote)?;
    let image_signature = match (&cli.sig, &key) {
        (Some(sig), Some(key)) => Some(ImageSignature::load(sig, key, output.is_none(), &remote)?),
        _ => None,
    };
    let mut report = Report::default();
    let mut cache_state = None;
    let job = Job { plan: &plan, remote: &remote, signature: image_signature.as_ref() };
    let result = fetch(&cli, &job, output, &mut report, &mut cache_state);
    if cli.json {
        print_summary(&plan, output, &report, spec_signature.as_ref(), cache_state, &result)?;
    }
    result.map(|()| Status::Success)
}

/// The plan and what goes with it for one transfer.
struct Job<'a> {
    plan: &'a Plan,
    remote: &'a Remote<'a>,
    /// `--sig`, loaded and checked against the key.
    signature: Option<&'a ImageSignature>,
}

/// `--pubkey` or `--pubkey-string`, when something is to be checked with it.
fn signature_key(cli: &Cli) -> anyhow::Result<Option<jcore::sign::PublicKey>> {
    let has_key = cli.pubkey.is_some() || cli.pubkey_string.is_some();
    for (given, flag) in [(cli.sig.is_some(), "--sig"), (cli.spec_sig.is_some(), "--spec-sig")] {
        if given && !has_key {
            bail!("{flag}: give the key to check it with: --pubkey FILE or --pubkey-string KEY");
        }
    }
    if has_key && cli.spec.is_none() && cli.sig.is_none() {
        bail!("--pubkey: nothing to verify with it: give --spec (signed) or --sig SIG");
    }
    signature::load_key(cli.pubkey.as_deref(), cli.pubkey_string.as_deref())
}

/// Flags to a plan: sources in order, the expected digest and size; with --spec and a key,
/// the spec's verified signature.
fn plan(
    cli: &Cli,
    key: Option<&jcore::sign::PublicKey>,
    remote: &Remote,
) -> anyhow::Result<(Plan, Option<Checked>)> {
    let mut spec_signature = None;
    let (texts, expected, size) = match &cli.spec {
        Some(path) => {
            let read = signature::read_spec(path, cli.spec_sig.as_deref(), key, remote)?;
            spec_signature = read.checked;
            let resolved = spec::resolve(
                &read.name,
                &read.data,
                &cli.tag,
                cli.arch.as_deref(),
                cli.source_base.as_deref(),
            )?;
            (resolved.sources, resolved.expected, resolved.size)
        }
        None => {
            let expected = match (&cli.sha256, &cli.sum) {
                (Some(hex), _) => Some(
                    Expected::parse(hex, Some(Algorithm::Sha256))
                        .map_err(|e| anyhow::anyhow!("--sha256: {e}"))?,
                ),
                (None, Some(sum)) => {
                    if !sum.contains(':') {
                        bail!("--sum: write ALGO:HEX, e.g. blake3:{}", "0".repeat(8));
                    }
                    Some(Expected::parse(sum, None).map_err(|e| anyhow::anyhow!("--sum: {e}"))?)
                }
                (None, None) => None,
            };
            (cli.sources.clone(), expected, cli.size)
        }
    };
    let mut sources = texts.iter().map(|t| Source::parse(t)).collect::<anyhow::Result<Vec<_>>>()?;
    if cli.order == Order::Random {
        shuffle(&mut sources);
    }
    if cli.cache.is_some() && expected.is_none() {
        bail!("--cache: the cache is keyed by digest; give --sha256 or --sum");
    }
    let retry_max_time = Duration::from_secs_f64(cli.retry_max_time);
    let plan = Plan { sources, expected, size, retries: cli.retries, retry_max_time, quiet: cli.quiet };
    Ok((plan, spec_signature))
}

/// Cache lookup, then the transfer into OUT.part or stdout, then the cache insert.
fn fetch(
    cli: &Cli,
    job: &Job,
    output: Option<&Path>,
    report: &mut Report,
    cache_state: &mut Option<&'static str>,
) -> anyhow::Result<()> {
    let plan = job.plan;
    if output.is_none() {
        jcore::io::check_binary_stdout(cli.force)?;
    }
    let cache = cli.cache.clone().map(Cache::new);
    if let (Some(cache), Some(expected)) = (&cache, &plan.expected) {
        match cache.lookup(expected, plan.size) {
            Ok(Some(hit)) => {
                *cache_state = Some("hit");
                if let Some(signature) = job.signature {
                    report.signature = Some(check_hit(signature, &hit)?);
                }
                return deliver_hit(&hit, output, plan, report);
            }
            Ok(None) => *cache_state = Some("miss"),
            Err(warning) => {
                *cache_state = Some("miss");
                if !plan.quiet {
                    eprintln!("jfetch: {warning}");
                }
            }
        }
    }
    let access = job.remote.access()?;
    if plan.sources.iter().any(Source::is_https) {
        access.client.check_trust()?;
    }
    match output {
        Some(out) => fetch_to_file(plan, access, job.signature, out, report)?,
        None => fetch_to_stdout(plan, access, job.signature, cache.as_ref(), report, cache_state)?,
    }
    if let (Some(cache), Some(expected), Some(out)) = (&cache, &plan.expected, output) {
        store(plan, cache.insert(expected, out), cache_state);
    }
    Ok(())
}

/// The agents and credentials every http source uses.
fn access(cli: &Cli) -> anyhow::Result<Access> {
    let trust = Trust { cacert: cli.cacert.clone(), insecure: cli.insecure };
    let client = http::Client::new(http::Settings { timeout: Duration::from_secs_f64(cli.timeout), trust });
    let netrc = match netrc::default_path().filter(|_| !cli.no_netrc) {
        // A missing file is no netrc; $NETRC naming an unreadable one is an error.
        Some(path) => match fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound && std::env::var_os("NETRC").is_none() => None,
            Err(e) => return Err(jcore::io::Error::new(path.display().to_string(), e).into()),
        },
        None => None,
    };
    Ok(Access { client, netrc, plain_auth: cli.plain_auth })
}

fn store(plan: &Plan, result: io::Result<()>, cache_state: &mut Option<&'static str>) {
    match result {
        Ok(()) => *cache_state = Some("stored"),
        Err(e) if !plan.quiet => eprintln!("jfetch: cache: {e}"),
        Err(_) => {}
    }
}

/// A cache hit is keyed by its digest; `--sig` must vouch for it too.
fn check_hit(signature: &ImageSignature, hit: &Path) -> anyhow::Result<Checked> {
    let name = hit.display().to_string();
    signature.check_file(hit).map_err(|e| match e {
        FileCheckError::Bad(why) => jcore::exit::StatusError::negative(format!("{name}: {why}")).into(),
        FileCheckError::Read(e) => jcore::io::Error::new(name, e).into(),
    })
}

/// `-o OUT`: through OUT.part (resumed when an earlier run left one), renamed when verified.
fn fetch_to_file(
    plan: &Plan,
    access: &Access,
    signature: Option<&ImageSignature>,
    out: &Path,
    report: &mut Report,
) -> anyhow::Result<()> {
    let name = out.display().to_string();
    if out.is_dir() {
        return Err(jcore::io::Error::new(&name, io::Error::from_raw_os_error(libc::EISDIR)).into());
    }
    let mut part_name = out.as_os_str().to_owned();
    part_name.push(".part");
    let part = PathBuf::from(part_name);
    let part_display = part.display().to_string();
    let io_err = |e: io::Error| jcore::io::Error::new(&part_display, e);
    // jcore's atomic file in its resume mode: an OUT.part left by an earlier run is
    // adopted, kept when this run fails, and committed with the same fsync rules as -o.
    let mut atomic = AtomicFile::resume(out, &part)?;
    let file = atomic.file().map_err(io_err)?;
    lock(file).map_err(io_err)?;
    let held = file.metadata().map_err(io_err)?.len();
    if plan.size.is_some_and(|size| held > size) {
        // Longer than the file can be: not a prefix of it.
        file.set_len(0).map_err(io_err)?;
    }
    let resume = file.metadata().map_err(io_err)?.len() > 0;
    // A duplicate descriptor shares the file offset: hashing through it leaves the sink
    // positioned at the end, where the transfer appends.
    let mut reader = file.try_clone().map_err(io_err)?;
    let mut fetcher =
        Fetcher::new(plan, access, Sink::file(atomic), resume.then_some(&mut reader)).map_err(io_err)?;
    if let Some(signature) = signature {
        fetcher.check_signature(signature, resume.then_some(&mut reader)).map_err(io_err)?;
    }
    drop(reader);
    let mut validator_name = part.as_os_str().to_owned();
    validator_name.push(".validator");
    let validator = PathBuf::from(validator_name);
    let vouched = fetcher.remember_origin_in(validator.clone());
    if resume && !vouched && plan.expected.is_none() && signature.is_none() {
        // Neither a digest nor a validator can tell whether these bytes are a prefix of
        // the file the server has now: splicing onto them could deliver a chimera.
        if !plan.quiet {
            eprintln!("jfetch: {part_display}: no digest and no validator kept for it; starting over");
        }
        fetcher.discard_held().map_err(anyhow::Error::from)?;
    } else if resume && !plan.quiet {
        eprintln!("jfetch: {part_display}: resuming at byte {}", fetcher.written());
    }
    let result = fetcher.run(report);
    let written = fetcher.written();
    let atomic = fetcher.into_sink().into_file().expect("file sink");
    if let Err(err) = result {
        // Keep what a later run can resume; an empty .part is only clutter.
        if written == 0 {
            atomic.discard();
            let _ = fs::remove_file(&validator);
        }
        return Err(err.context(name));
    }
    let _ = fs::remove_file(&validator);
    atomic.commit()?;
    Ok(())
}

/// An exclusive lock on OUT.part: two runs appending to one file would corrupt it.
fn lock(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is valid for the life of `file`.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        return Err(io::Error::other("in use by another jfetch"));
    }
    Err(err)
}

/// No -o: stream to stdout, keeping a copy for the cache when there is one.
fn fetch_to_stdout(
    plan: &Plan,
    access: &Access,
    signature: Option<&ImageSignature>,
    cache: Option<&Cache>,
    report: &mut Report,
    cache_state: &mut Option<&'static str>,
) -> anyhow::Result<()> {
    let copy = match (cache, &plan.expected) {
        (Some(cache), Some(expected)) => match cache.temp_file(expected) {
            Ok(temp) => Some(temp),
            Err(e) => {
                if !plan.quiet {
                    eprintln!("jfetch: cache: {}", jcore::exit::message(&e));
                }
                None
            }
        },
        _ => None,
    };
    let mut fetcher = Fetcher::new(plan, access, Sink::stdout(copy), None)?;
    if let Some(signature) = signature {
        fetcher.check_signature(signature, None)?;
    }
    let result = fetcher.run(report);
    // A copy that did not verify is dropped, which removes it.
    if let (Ok(()), Some(copy)) = (&result, fetcher.into_sink().into_file()) {
        store(plan, copy.commit().map_err(|e| io::Error::other(jcore::exit::message(&e))), cache_state);
    }
    result
}

/// A verified cache entry: linked or copied to OUT, or copied to stdout.
fn deliver_hit(hit: &Path, output: Option<&Path>, plan: &Plan, report: &mut Report) -> anyhow::Result<()> {
    let len = fs::metadata(hit).map(|m| m.len()).unwrap_or(0);
    match output {
        Some(out) => cache::place(hit, out)?,
        None => {
            let mut input = File::open(hit).with_context(|| hit.display().to_string())?;
            io::copy(&mut input, &mut jcore::io::RawStdout)
                .map_err(|e| jcore::io::Error::new("stdout", e))?;
        }
    }
    report.source = Some(hit.display().to_string());
    report.bytes = len;
    report.digest = plan
        .expected
        .as_ref()
        .map(|e| jcore::digest::Digest { algorithm: e.algorithm, bytes: e.bytes.clone() });
    Ok(())
}

fn print_summary(
    plan: &Plan,
    output: Option<&Path>,
    report: &Report,
    spec_signature: Option<&Checked>,
    cache_state: Option<&'static str>,
    result: &anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (status, error) = match result {
        Ok(()) => ("ok", None),
        Err(err) => match jcore::exit::status_of(err.as_ref()) {
            Status::Negative => ("mismatch", Some(jcore::exit::message(err.as_ref()))),
            _ => ("error", Some(jcore::exit::message(err.as_ref()))),
        },
    };
    let sources: Vec<_> = report
        .sources
        .iter()
        .map(|s| json!({"source": s.source, "attempts": s.attempts, "error": s.error}))
        .collect();
    let record = json!({
        "status": status,
        "output": output.map_or("-".to_string(), |p| p.display().to_string()),
        "source": report.source,
        "cache": cache_state,
        "bytes": report.bytes,
        "resumed": report.resumed,
        "digest": report.digest.as_ref().map(|d| format!("{}:{}", d.algorithm, d.to_hex())),
        "verified": result.is_ok() && (plan.expected.is_some() || report.signature.is_some()),
        "signature": report.signature.as_ref().map(Checked::to_json),
        "spec_signature": spec_signature.map(Checked::to_json),
        "sources": sources,
        "error": error,
    });
    let line = format!("{record}\n");
    let written = if output.is_some() {
        io::stdout().lock().write_all(line.as_bytes())
    } else {
        io::stderr().lock().write_all(line.as_bytes())
    };
    written.map_err(|e| jcore::io::Error::new(if output.is_some() { "stdout" } else { "stderr" }, e).into())
}

/// Fisher-Yates with a clock-seeded xorshift: an order, not a secret.
fn shuffle<T>(items: &mut [T]) {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut state = (nanos ^ (u64::from(std::process::id()) << 32)) | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn shuffle_keeps_items() {
        let mut v: Vec<u32> = (0..10).collect();
        shuffle(&mut v);
        v.sort();
        assert_eq!(v, (0..10).collect::<Vec<_>>());
    }
}
