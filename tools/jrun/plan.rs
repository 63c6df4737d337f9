//! The plan: everything jrun was asked to do, derived once from the command line (args.rs)
//! and checked before anything is forked or mounted. Work modules take the plan, never clap.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::args::Cli;
pub use crate::args::{EnvSetting, MountSpec, Net};

/// Where the command runs.
#[derive(Debug)]
pub enum Target {
    /// An existing jail, by name or JID.
    Existing(String),
    /// A throw-away jail on a directory.
    Root(RootSetup),
}

/// What a throw-away jail is made of.
// The Linux-only settings (limits, suid, shm, stdio) are not read on FreeBSD yet.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[derive(Debug)]
pub struct RootSetup {
    /// The root directory, canonical.
    pub root: PathBuf,
    pub hostname: String,
    pub net: Net,
    pub read_only: bool,
    pub mounts: Vec<MountSpec>,
    /// Setuid files work, and may be made (--suid).
    pub suid: bool,
    /// Bytes of /dev/shm.
    pub shm_size: u64,
    pub limits: Limits,
    /// Files on 0, 1, 2 passed as they are (--direct-stdio), not through pipes.
    pub direct_stdio: bool,
}

/// Limits of the whole jail.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[derive(Debug, Default)]
pub struct Limits {
    /// Processes and threads at once.
    pub pids_max: Option<u64>,
    /// Whether the pids limit was asked for (then failing to set it fails the run).
    pub pids_explicit: bool,
    /// Bytes of memory.
    pub memory_max: Option<u64>,
}

/// The pids limit when none is given: ample for builds, and it stops a fork bomb.
const DEFAULT_PIDS_MAX: u64 = 4096;

/// Everything jrun was asked to do, decided once from the flags.
#[derive(Debug)]
pub struct Plan {
    pub target: Target,
    pub command: Vec<OsString>,
    pub user: Option<String>,
    pub workdir: PathBuf,
    pub env: Vec<EnvSetting>,
    /// Start from an empty environment (always with --root).
    pub clean_env: bool,
}

impl Plan {
    /// Derives the plan from the command line, rejecting what makes no sense.
    pub fn from_args(cli: Cli) -> anyhow::Result<Plan> {
        let this = cli;
        let mut args = this.args;
        // clap consumes a `--` before the first positional argument but keeps one after it:
        // in `jrun JAIL -- COMMAND`, it separates the jail from its command.
        if this.root.is_none() && args.get(1).is_some_and(|a| a == "--") {
            args.remove(1);
        }
        let target = match this.root {
            Some(root) => {
                let mut setup = root_setup(&root, this.hostname, this.net, this.ro, this.mounts)?;
                setup.suid = this.suid;
                setup.shm_size = this.shm_size;
                setup.direct_stdio = this.direct_stdio;
                setup.limits = Limits {
                    pids_max: match this.pids_max {
                        Some(0) => None,
                        Some(n) => Some(n),
                        None => Some(DEFAULT_PIDS_MAX),
                    },
                    pids_explicit: this.pids_max.is_some_and(|n| n > 0),
                    memory_max: this.memory_max,
                };
                Target::Root(setup)
            }
            None => {
                if args.len() < 2 {
                    bail!(
                        "missing COMMAND: usage: jrun JAIL -- COMMAND [ARG]... or jrun --root DIR -- COMMAND [ARG]..."
                    );
                }
                Target::Existing(args.remove(0).to_string_lossy().into_owned())
            }
        };
        if args.is_empty() {
            bail!("missing COMMAND after --root DIR");
        }
        let workdir = this.workdir.unwrap_or_else(|| PathBuf::from("/"));
        if !workdir.is_absolute() {
            bail!("-w {}: must be an absolute path inside the jail", workdir.display());
        }
        let clean_env = this.login || matches!(target, Target::Root(_));
        Ok(Plan { target, command: args, user: this.user, workdir, env: this.env, clean_env })
    }
}

fn root_setup(
    root: &std::path::Path,
    hostname: Option<String>,
    net: Option<Net>,
    read_only: bool,
    mounts: Vec<MountSpec>,
) -> anyhow::Result<RootSetup> {
    let canonical = root.canonicalize().with_context(|| root.display().to_string())?;
    if !canonical.is_dir() {
        bail!("{}: not a directory", root.display());
    }
    let hostname = match hostname {
        Some(name) => name,
        None => {
            canonical.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "jail".into())
        }
    };
    // sethostname(2) takes at most 64 bytes (HOST_NAME_MAX on Linux; FreeBSD allows more).
    if hostname.is_empty() || hostname.len() > 64 || hostname.contains('\0') {
        bail!("--hostname {hostname:?}: must be 1 to 64 bytes");
    }
    let mut resolved = Vec::with_capacity(mounts.len());
    for m in mounts {
        let source = m.source.canonicalize().with_context(|| format!("--mount {}", m.source.display()))?;
        resolved.push(MountSpec { source, ..m });
    }
    Ok(RootSetup {
        root: canonical,
        hostname,
        net: net.unwrap_or(Net::None),
        read_only,
        mounts: resolved,
        suid: false,
        shm_size: 64 << 20,
        limits: Limits::default(),
        direct_stdio: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan_of(args: &[&str]) -> Plan {
        Plan::from_args(Cli::try_parse_from(args).unwrap()).unwrap()
    }

    #[test]
    fn jail_and_command_split_on_double_dash() {
        let plan = plan_of(&["jrun", "-u", "www", "web", "--", "sh", "-c", "echo --"]);
        assert!(matches!(plan.target, Target::Existing(ref j) if j == "web"));
        assert_eq!(plan.command, ["sh", "-c", "echo --"]);
        let plan = plan_of(&["jrun", "web", "ls", "-l"]);
        assert_eq!(plan.command, ["ls", "-l"]);
        let plan = plan_of(&["jrun", "--root", "/", "--", "env", "--", "x"]);
        assert_eq!(plan.command, ["env", "--", "x"]);
        assert!(plan.clean_env);
    }
}
