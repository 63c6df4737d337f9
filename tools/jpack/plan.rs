//! What jpack was asked to do, derived once from the command line before any work starts
//! (ripgrep's low-level flags → high-level args). The work modules take these types, never
//! the clap struct.

use std::path::PathBuf;

use jcore::codec::Format;

use crate::args::Cli;

/// What jpack was asked to do, decided once from the flags.
#[derive(Debug)]
pub enum Mode {
    Compress { format: Format, level: Option<u32>, settings: Settings },
    Decompress { pass_through: bool, settings: Settings },
    Test { settings: Settings },
    Detect { file: Option<PathBuf> },
    List,
}

/// Input, output and threads, shared by the modes that stream data.
#[derive(Debug)]
pub struct Settings {
    pub file: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub force: bool,
    pub threads: usize,
    /// Do not verify xz checks (xz's --ignore-check).
    pub ignore_check: bool,
}

impl Mode {
    pub fn from_cli(cli: Cli) -> anyhow::Result<Mode> {
        if (cli.list || cli.detect || cli.test) && cli.output.is_some() {
            anyhow::bail!("-o: only with compression or -d");
        }
        if cli.ignore_check && !(cli.decompress || cli.test) {
            anyhow::bail!("--ignore-check: only with -d or -t");
        }
        let settings = Settings {
            file: cli.file,
            output: cli.output,
            force: cli.force,
            threads: jcore::threads::resolve(cli.threads),
            ignore_check: cli.ignore_check,
        };
        Ok(if cli.list {
            Mode::List
        } else if cli.detect {
            Mode::Detect { file: settings.file }
        } else if cli.test {
            Mode::Test { settings }
        } else if cli.decompress {
            Mode::Decompress { pass_through: cli.pass_through, settings }
        } else {
            let format = cli.codec.unwrap_or(Format::Zstd);
            // Checked here so that a bad level is a usage error before any output exists.
            format.level(cli.level)?;
            Mode::Compress { format, level: cli.level, settings }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn modes_exclude_each_other() {
        assert!(Cli::try_parse_from(["jpack", "-d", "-c", "xz"]).is_err());
        assert!(Cli::try_parse_from(["jpack", "-d", "-t"]).is_err());
        assert!(Cli::try_parse_from(["jpack", "--pass-through"]).is_err());
        let cli = Cli::try_parse_from(["jpack", "-c", "bzip", "-l", "3"]).unwrap();
        assert!(matches!(
            Mode::from_cli(cli).unwrap(),
            Mode::Compress { format: Format::Bzip2, level: Some(3), .. }
        ));
        let cli = Cli::try_parse_from(["jpack", "-c", "gz", "-l", "12"]).unwrap();
        assert!(Mode::from_cli(cli).is_err());
    }
}
