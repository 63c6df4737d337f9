//! The jsum command line: the clap definition, and the step that turns flags into one
//! [`Mode`] before any work starts.

use std::path::PathBuf;

use anyhow::bail;
use clap::Parser;
use jcore::Status;
use jcore::digest::{Algorithm, Expected};
use jcore::format::sumfile::Style;

const EXAMPLES: &str = "\
Examples:
  jsum image.xz                          sha256, GNU format: HEX  image.xz
  jsum -a sha256,blake3 image.xz         both in one pass, BSD tag lines
  jsum -q -a skein1024 image.xz          the digest alone (pot .skein, Bastille .sha256)
  sha256sum *.xz > SUMS; jsum -c SUMS    verify a sum file written by sha256sum or b3sum
  jsum --expect \"$(cat web.sha256)\" web.txz
  cat web_1.0.xz web_1.0.xz.meta | jsum --expect \"$(cat web_1.0.xz.skein)\"
  jpack -c xz < root.tar | jsum --tee -q -o web.sha256 > web.txz";

/// Compute and verify digests: sha256, sha1, sha512, blake3, skein256, skein512, skein1024.
///
/// With FILEs (standard input when none or '-'), print one digest line per file and
/// algorithm. Several algorithms are computed in one pass over the data, each on its own
/// thread. Skein is FreeBSD's: Skein-256-256, Skein-512-512 and Skein-1024-1024.
///
/// Output formats: GNU ('HEX  NAME', the default for one algorithm), BSD tag
/// ('ALGO (NAME) = HEX', with --tag and whenever several algorithms are asked for), bare
/// ('HEX' alone, with -q: the format of pot .skein and Bastille .sha256 files). Names with
/// a backslash or newline are escaped as coreutils does.
#[derive(Parser, Debug)]
#[command(name = "jsum", version, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Digest algorithms, comma-separated or repeated [default: sha256]
    #[arg(short = 'a', long = "algorithm", value_name = "ALGO", value_delimiter = ',')]
    pub algorithms: Vec<Algorithm>,

    /// Print BSD tag lines: ALGO (NAME) = HEX
    #[arg(long)]
    pub tag: bool,

    /// Print the digest alone; with -c or --expect, print nothing for inputs that verify
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Name to print for standard input instead of '-'
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,

    /// Print one JSON record per line instead of digest lines
    #[arg(long)]
    pub json: bool,

    /// Verify the digests listed in SUMFILEs (GNU, BSD tag or b3sum lines; standard input when none)
    #[arg(short = 'c', long, help_heading = "Verification")]
    pub check: bool,

    /// Verify the input against a digest, [ALGO:]HEX; repeat for several algorithms
    #[arg(long, value_name = "[ALGO:]HEX", help_heading = "Verification")]
    pub expect: Vec<String>,

    /// With -c: print nothing, the exit status tells
    #[arg(long, help_heading = "Verification")]
    pub status: bool,

    /// With -c: skip listed files that do not exist instead of failing
    #[arg(long, help_heading = "Verification")]
    pub ignore_missing: bool,

    /// With -c: warn about each improperly formatted line
    #[arg(short = 'w', long, help_heading = "Verification")]
    pub warn: bool,

    /// With -c: fail when a line is improperly formatted
    #[arg(long, help_heading = "Verification")]
    pub strict: bool,

    /// Copy standard input to standard output unchanged while hashing it; digest lines go to
    /// -o FILE, or to standard error
    #[arg(long, help_heading = "Pipes")]
    pub tee: bool,

    /// Write the digest lines to FILE (atomically replaced) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With --tee: write the data even when standard output is a terminal
    #[arg(short = 'f', long, help_heading = "Pipes")]
    pub force: bool,

    /// Threads for BLAKE3 on large files [default: all cores]
    #[arg(short = 'T', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// Input files (standard input when none or '-'); with -c, the sum files
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

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

/// What jsum was asked to do, decided once from the flags.
#[derive(Debug)]
pub enum Mode {
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
}

impl Cli {
    /// Derives the mode, rejecting flag combinations that make no sense.
    pub fn mode(self) -> anyhow::Result<Mode> {
        let default_algorithm = match self.algorithms.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let expected = self
            .expect
            .iter()
            .map(|text| {
                Expected::parse(text, default_algorithm).map_err(|e| anyhow::anyhow!("--expect {text}: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut algorithms = self.algorithms.clone();
        for e in &expected {
            if !algorithms.contains(&e.algorithm) {
                algorithms.push(e.algorithm);
            }
        }
        if algorithms.is_empty() {
            algorithms.push(Algorithm::Sha256);
        }
        let style = if self.quiet {
            Style::Bare
        } else if self.tag || algorithms.len() > 1 {
            Style::Bsd
        } else {
            Style::Gnu
        };
        let printing = Printing { style, json: self.json, label: self.label.clone() };
        if self.check {
            if self.tee || !expected.is_empty() {
                bail!("-c cannot be combined with --tee or --expect");
            }
            let options = CheckOptions {
                quiet: self.quiet,
                status: self.status,
                ignore_missing: self.ignore_missing,
                warn: self.warn,
                strict: self.strict,
                json: self.json,
                algorithm: default_algorithm,
            };
            return Ok(Mode::Check { sum_files: self.files, options });
        }
        if self.status || self.ignore_missing || self.warn || self.strict {
            bail!("--status, --ignore-missing, --warn and --strict go with -c");
        }
        if self.files.len() > 1 && (self.tee || !expected.is_empty()) {
            bail!("--tee and --expect take one input (concatenate several with cat)");
        }
        let file = self.files.first().cloned();
        if self.tee {
            return Ok(Mode::Tee {
                algorithms,
                expected,
                file,
                printing,
                output: self.output,
                force: self.force,
            });
        }
        if !expected.is_empty() {
            if self.output.is_some() {
                bail!("--expect prints a verdict, not digest lines: -o goes with --tee or plain hashing");
            }
            return Ok(Mode::Expect {
                expected,
                file,
                quiet: self.quiet,
                json: self.json,
                label: self.label,
            });
        }
        Ok(Mode::Compute { algorithms, files: self.files, printing, output: self.output })
    }
}

/// Runs jsum.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    if let Some(n) = cli.threads {
        // The rayon pool is what BLAKE3 uses for large inputs.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(jcore::threads::resolve(Some(n))).build_global();
    }
    match cli.mode()? {
        Mode::Compute { algorithms, files, printing, output } => {
            crate::compute::run(&algorithms, &files, &printing, output.as_deref())
        }
        Mode::Check { sum_files, options } => crate::check::run(&sum_files, &options),
        Mode::Expect { expected, file, quiet, json, label } => {
            crate::tee::expect(&expected, file.as_deref(), quiet, json, label.as_deref())
        }
        Mode::Tee { algorithms, expected, file, printing, output, force } => {
            crate::tee::tee(&algorithms, &expected, file.as_deref(), &printing, output.as_deref(), force)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
