//! The plan: what jsum was asked to do, derived once from the flags (ripgrep's low-level
//! flags → high-level args), so that the work modules never see clap.

use std::path::PathBuf;

use anyhow::bail;
use jcore::digest::{Algorithm, Expected};
use jcore::format::sumfile::Style;
use jcore::sign;

use crate::args::Cli;

/// How digest lines are printed.
#[derive(Clone, Debug)]
pub struct Printing {
    pub style: Style,
    pub json: bool,
    pub label: Option<String>,
}

/// Options of check mode.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub quiet: bool,
    pub status: bool,
    pub ignore_missing: bool,
    pub warn: bool,
    pub strict: bool,
    pub json: bool,
    /// The algorithm for untagged lines, when the user named exactly one with -a.
    pub algorithm: Option<Algorithm>,
}

/// Where a secret key's password comes from: never the command line itself.
#[derive(Clone, Debug)]
pub enum PasswordSource {
    File(PathBuf),
    Fd(i32),
}

/// Where the public key comes from.
#[derive(Clone, Debug)]
pub enum KeySource {
    File(PathBuf),
    Inline(String),
}

#[derive(Debug)]
pub struct KeygenPlan {
    pub seckey: PathBuf,
    pub pubkey: PathBuf,
    pub format: sign::Format,
    pub password: Option<PasswordSource>,
    pub comment: Option<String>,
    pub force: bool,
    pub json: bool,
}

#[derive(Debug)]
pub struct SignPlan {
    pub seckey: PathBuf,
    pub password: Option<PasswordSource>,
    pub mode: sign::Mode,
    /// Inputs; `None` is standard input.
    pub inputs: Vec<Option<PathBuf>>,
    /// The signature file of the one input, instead of INPUT.minisig / INPUT.sig.
    pub sigfile: Option<PathBuf>,
    pub trusted_comment: Option<String>,
    pub comment: Option<String>,
    pub embedded: bool,
    pub tee: bool,
    pub force: bool,
    pub json: bool,
}

#[derive(Debug)]
pub struct VerifyPlan {
    pub key: KeySource,
    pub inputs: Vec<Option<PathBuf>>,
    pub sigfile: Option<PathBuf>,
    /// The suffix of signature files found beside their input: `.minisig` or `.sig`.
    pub suffix: &'static str,
    pub embedded: bool,
    /// With `embedded`: where the verified message goes.
    pub output: Option<PathBuf>,
    pub tee: bool,
    pub force: bool,
    pub quiet: bool,
    pub json: bool,
    pub label: Option<String>,
}

/// What jsum was asked to do, decided once from the flags.
#[derive(Debug)]
pub enum Plan {
    Compute {
        algorithms: Vec<Algorithm>,
        files: Vec<PathBuf>,
        printing: Printing,
        output: Option<PathBuf>,
    },
    Check {
        sum_files: Vec<PathBuf>,
        options: CheckOptions,
    },
    Expect {
        expected: Vec<Expected>,
        file: Option<PathBuf>,
        quiet: bool,
        json: bool,
        label: Option<String>,
    },
    Tee {
        algorithms: Vec<Algorithm>,
        expected: Vec<Expected>,
        file: Option<PathBuf>,
        printing: Printing,
        output: Option<PathBuf>,
        force: bool,
    },
    Keygen(KeygenPlan),
    Sign(SignPlan),
    Verify(VerifyPlan),
}

impl Plan {
    /// Derives the plan, rejecting flag combinations that make no sense.
    pub fn from_args(cli: Cli) -> anyhow::Result<Plan> {
        if cli.keygen || cli.sign || cli.verify {
            return signature_plan(cli);
        }
        let signature_flags = [
            (cli.seckey.is_some(), "-s"),
            (cli.pubkey.is_some(), "-p"),
            (cli.pubkey_string.is_some(), "-P"),
            (cli.sigfile.is_some(), "-x"),
            (cli.trusted_comment.is_some(), "-t"),
            (cli.comment.is_some(), "--comment"),
            (cli.signify, "--signify"),
            (cli.embedded, "-e"),
            (cli.legacy, "-l"),
            (cli.password_file.is_some(), "--password-file"),
            (cli.password_fd.is_some(), "--password-fd"),
        ];
        if let Some((_, flag)) = signature_flags.iter().find(|(given, _)| *given) {
            bail!("{flag} goes with --keygen, --sign or --verify");
        }
        digest_plan(cli)
    }
}

fn digest_plan(cli: Cli) -> anyhow::Result<Plan> {
    let default_algorithm = match cli.algorithms.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let expected = cli
        .expect
        .iter()
        .map(|text| {
            Expected::parse(text, default_algorithm).map_err(|e| anyhow::anyhow!("--expect {text}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut algorithms = cli.algorithms.clone();
    for e in &expected {
        if !algorithms.contains(&e.algorithm) {
            algorithms.push(e.algorithm);
        }
    }
    if algorithms.is_empty() {
        algorithms.push(Algorithm::Sha256);
    }
    let style = if cli.quiet {
        Style::Bare
    } else if cli.tag || algorithms.len() > 1 {
        Style::Bsd
    } else {
        Style::Gnu
    };
    let printing = Printing { style, json: cli.json, label: cli.label.clone() };
    if cli.check {
        if cli.tee || !expected.is_empty() {
            bail!("-c cannot be combined with --tee or --expect");
        }
        // --tag, --label and -o are refused by clap with -c: the verdict lines are not digest
        // lines (coreutils: "the --tag option is meaningless when verifying checksums").
        let options = CheckOptions {
            quiet: cli.quiet,
            status: cli.status,
            ignore_missing: cli.ignore_missing,
            warn: cli.warn,
            strict: cli.strict,
            json: cli.json,
            algorithm: default_algorithm,
        };
        return Ok(Plan::Check { sum_files: cli.files, options });
    }
    if cli.status || cli.ignore_missing || cli.warn || cli.strict {
        bail!("--status, --ignore-missing, --warn and --strict go with -c");
    }
    if cli.files.len() > 1 && (cli.tee || !expected.is_empty()) {
        bail!("--tee and --expect take one input (concatenate several with cat)");
    }
    let file = cli.files.first().cloned();
    if cli.tee {
        return Ok(Plan::Tee { algorithms, expected, file, printing, output: cli.output, force: cli.force });
    }
    if !expected.is_empty() {
        if cli.output.is_some() {
            bail!("--expect prints a verdict, not digest lines: -o goes with --tee or plain hashing");
        }
        return Ok(Plan::Expect { expected, file, quiet: cli.quiet, json: cli.json, label: cli.label });
    }
    Ok(Plan::Compute { algorithms, files: cli.files, printing, output: cli.output })
}

fn signature_plan(cli: Cli) -> anyhow::Result<Plan> {
    let digest_flags = [
        (!cli.algorithms.is_empty(), "-a"),
        (cli.tag, "--tag"),
        (cli.status, "--status"),
        (cli.ignore_missing, "--ignore-missing"),
        (cli.warn, "--warn"),
        (cli.strict, "--strict"),
    ];
    if let Some((_, flag)) = digest_flags.iter().find(|(given, _)| *given) {
        bail!("{flag} goes with digests, not with --keygen, --sign or --verify");
    }
    let password = match (cli.password_file, cli.password_fd) {
        (Some(file), _) => Some(PasswordSource::File(file)),
        (None, Some(fd)) => Some(PasswordSource::Fd(fd)),
        (None, None) => None,
    };
    let inputs: Vec<Option<PathBuf>> = if cli.files.is_empty() {
        vec![None]
    } else {
        cli.files.iter().map(|f| (f.as_os_str() != "-").then(|| f.clone())).collect()
    };
    let format = if cli.signify { sign::Format::Signify } else { sign::Format::Minisign };
    if cli.keygen {
        let (Some(seckey), Some(pubkey)) = (cli.seckey, cli.pubkey) else {
            bail!("--keygen needs -s SECKEY and -p PUBKEY");
        };
        if !cli.files.is_empty() || cli.sigfile.is_some() || cli.output.is_some() {
            bail!("--keygen writes -s SECKEY and -p PUBKEY and takes no FILE, -x or -o");
        }
        if cli.embedded || cli.legacy || cli.trusted_comment.is_some() || cli.pubkey_string.is_some() {
            bail!("-e, -l, -t and -P go with --sign or --verify");
        }
        let plan = KeygenPlan {
            seckey,
            pubkey,
            format,
            password,
            comment: cli.comment,
            force: cli.force,
            json: cli.json,
        };
        return Ok(Plan::Keygen(plan));
    }
    if cli.sigfile.is_some() && inputs.len() > 1 {
        bail!("-x names the signature of one FILE");
    }
    if cli.embedded && !cli.signify && cli.sign {
        bail!("-e writes signify's embedded signatures: add --signify");
    }
    if cli.sign {
        let Some(seckey) = cli.seckey else { bail!("--sign needs -s SECKEY") };
        if cli.pubkey.is_some() || cli.pubkey_string.is_some() {
            bail!("--sign takes the secret key -s, not -p or -P");
        }
        if cli.output.is_some() {
            bail!("--sign writes FILE.minisig (or -x SIGFILE), not -o");
        }
        if cli.signify && (cli.legacy || cli.trusted_comment.is_some()) {
            bail!(
                "signify signatures have no trusted comment and no prehashed mode: -t and -l are minisign's"
            );
        }
        let mode = match (cli.signify, cli.legacy) {
            (true, _) => sign::Mode::Signify,
            (false, true) => sign::Mode::Legacy,
            (false, false) => sign::Mode::Prehashed,
        };
        if cli.tee {
            if inputs.len() != 1 || cli.sigfile.is_none() {
                bail!("--tee --sign takes one input and writes its signature to -x SIGFILE");
            }
            if mode != sign::Mode::Prehashed || cli.embedded {
                bail!(
                    "--tee signs in minisign's prehashed mode only (legacy and signify sign the whole message at once)"
                );
            }
        }
        let plan = SignPlan {
            seckey,
            password,
            mode,
            inputs,
            sigfile: cli.sigfile,
            trusted_comment: cli.trusted_comment,
            comment: cli.comment,
            embedded: cli.embedded,
            tee: cli.tee,
            force: cli.force,
            json: cli.json,
        };
        return Ok(Plan::Sign(plan));
    }
    // --verify
    let key = match (cli.pubkey, cli.pubkey_string) {
        (Some(file), _) => KeySource::File(file),
        (None, Some(text)) => KeySource::Inline(text),
        (None, None) => bail!("--verify needs the public key: -p PUBKEY or -P KEY"),
    };
    if cli.seckey.is_some() || password.is_some() || cli.trusted_comment.is_some() || cli.comment.is_some() {
        bail!("--verify takes a public key: -s, -t, --comment and passwords go with --sign");
    }
    if cli.legacy {
        bail!("-l goes with --sign: verification reads the mode from the signature");
    }
    if cli.embedded {
        if inputs.len() != 1 || cli.sigfile.is_some() || cli.tee {
            bail!(
                "--verify -e takes one signed FILE (the signature with the message after it), no -x or --tee"
            );
        }
    } else if cli.output.is_some() {
        bail!("-o goes with --verify -e (where the verified message goes)");
    }
    if inputs.contains(&None) && cli.sigfile.is_none() && !cli.embedded {
        bail!("standard input has no FILE.minisig beside it: give the signature with -x SIGFILE");
    }
    if cli.tee && inputs.len() != 1 {
        bail!("--tee takes one input");
    }
    let plan = VerifyPlan {
        key,
        inputs,
        sigfile: cli.sigfile,
        suffix: if cli.signify { ".sig" } else { ".minisig" },
        embedded: cli.embedded,
        output: cli.output,
        tee: cli.tee,
        force: cli.force,
        quiet: cli.quiet,
        json: cli.json,
        label: cli.label,
    };
    Ok(Plan::Verify(plan))
}
