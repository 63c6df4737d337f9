//! The jrun command line: the clap definition, and the step that turns it into a [`Plan`]
//! (which jail, which command, as whom) before anything is forked or mounted.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use jcore::Status;

use crate::job::EnvSetting;

const USAGE: &str = "\
jrun [OPTIONS] JAIL [--] COMMAND [ARG]...
       jrun --root DIR [OPTIONS] [--] COMMAND [ARG]...";

const EXAMPLES: &str = "\
Examples:
  jrun --root rootfs -- sh -c 'echo hello'
  tar -cf - src | jrun --root rootfs -w /build -- tar -xf -
  jrun --root rootfs --ro --mount out:/out -u nobody -- make
  jrun --root rootfs --net host -e HTTP_PROXY -- pkg install -y nginx
  jrun web -- service nginx status           (FreeBSD, by name)
  jrun -l -u www 12 -- env                   (FreeBSD, by JID)";

/// Run a command inside a jail, with stdin, stdout, stderr and the exit status wired through.
///
/// With JAIL (a name or a JID), the command runs in an existing FreeBSD jail, attached with
/// jail_attach(2) as jexec(8) does; Linux has no such jails (use --root).
///
/// With --root DIR, the command runs in a throw-away jail on the directory. On FreeBSD that
/// is a jail made with jail_set(2), with devfs on DIR/dev (ruleset 4), removed with whatever
/// still runs in it when the command ends, and its mounts undone. On Linux it is a
/// set of new namespaces (mount, PID, UTS, IPC, and network unless --net host): jrun
/// pivot_roots into DIR, mounts a fresh /proc and a minimal /dev (null, zero, full, random,
/// urandom, tty, pts, shm), adds the --mount bind mounts, and runs a minimal init of its own as
/// PID 1 that forwards signals to the command and reaps orphans. All mounts live in the new
/// mount namespace: nothing remains mounted on the host afterwards, and every process of the
/// jail ends with the command. Missing mount points are created in DIR.
///
/// The command runs as USER (root by default) with the groups the jail's own /etc/passwd
/// and /etc/group give it, in the working directory -w (default /), with a clean
/// environment: PATH, HOME, USER, TERM and the -e values only (with --root always, with an
/// existing jail when -l is given; otherwise jrun's environment and the -e values). No file
/// descriptor other than 0, 1 and 2 reaches it. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to jrun are passed
/// on to the command.
///
/// On Linux, root in the jail keeps only Docker's default capabilities minus CAP_MKNOD and
/// CAP_AUDIT_WRITE (so no mounting, no device nodes, no hostname change), and /proc/sys and
/// /proc/sysrq-trigger are read-only.
///
/// jrun needs root. The jail isolates a build; for untrusted code, use -u as well.
#[derive(Parser, Debug)]
#[command(name = "jrun", version, override_usage = USAGE, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Run in a throw-away jail on this directory instead of an existing jail
    #[arg(long, value_name = "DIR", help_heading = "Throw-away jail")]
    pub root: Option<PathBuf>,

    /// Hostname inside the jail [default: the name of DIR]
    #[arg(long, value_name = "NAME", requires = "root", help_heading = "Throw-away jail")]
    pub hostname: Option<String>,

    /// Network: none (a network of its own with loopback only) or host (the host's) [default: none]
    #[arg(long, value_enum, value_name = "NET", requires = "root", help_heading = "Throw-away jail")]
    pub net: Option<Net>,

    /// Make the root directory read-only (/dev, /proc and --mount keep their own modes)
    #[arg(long, requires = "root", help_heading = "Throw-away jail")]
    pub ro: bool,

    /// Bind-mount host directory or file SRC on DST inside the jail; ':ro' for read-only
    #[arg(long = "mount", value_name = "SRC:DST[:ro]", value_parser = parse_mount, requires = "root",
          help_heading = "Throw-away jail")]
    pub mounts: Vec<MountSpec>,

    /// Run as USER, a name or a numeric UID from the jail's /etc/passwd [default: root]
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,

    /// Working directory inside the jail [default: /]
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<PathBuf>,

    /// Set NAME to VALUE in the command's environment; NAME alone copies jrun's own value
    #[arg(short = 'e', long = "env", value_name = "NAME=VALUE", value_parser = parse_env)]
    pub env: Vec<EnvSetting>,

    /// Existing jail: clean login environment (PATH, HOME, USER, TERM, -e) instead of
    /// jrun's own; --root always starts clean
    #[arg(short = 'l', long = "login")]
    pub login: bool,

    /// The jail (name or JID) unless --root is given, then the command and its arguments
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub args: Vec<OsString>,
}

/// The network of a throw-away jail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Net {
    /// A network of its own: only a loopback interface (Linux), no addresses (FreeBSD).
    None,
    /// The host's network.
    Host,
}

/// One --mount: a host path bound on a path inside the jail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountSpec {
    pub source: PathBuf,
    pub target: PathBuf,
    pub read_only: bool,
}

/// Where the command runs.
#[derive(Debug)]
pub enum Target {
    /// An existing jail, by name or JID.
    Existing(String),
    /// A throw-away jail on a directory.
    Root(RootSetup),
}

/// What a throw-away jail is made of.
#[derive(Debug)]
pub struct RootSetup {
    /// The root directory, canonical.
    pub root: PathBuf,
    pub hostname: String,
    pub net: Net,
    pub read_only: bool,
    pub mounts: Vec<MountSpec>,
}

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

fn parse_mount(text: &str) -> Result<MountSpec, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, read_only) = match parts.as_slice() {
        [source, target] => (source, target, false),
        [source, target, "ro"] => (source, target, true),
        [source, target, "rw"] => (source, target, false),
        _ => return Err("expected SRC:DST or SRC:DST:ro (paths cannot contain ':')".into()),
    };
    if source.is_empty() || !target.starts_with('/') {
        return Err("SRC must not be empty and DST must be an absolute path inside the jail".into());
    }
    Ok(MountSpec { source: PathBuf::from(source), target: PathBuf::from(target), read_only })
}

fn parse_env(text: &str) -> Result<EnvSetting, String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(OsString::from(value))),
        None => (text, None),
    };
    if name.is_empty()
        || name.contains('\0')
        || value.as_ref().is_some_and(|v| v.to_string_lossy().contains('\0'))
    {
        return Err("expected NAME=VALUE or NAME".into());
    }
    Ok(EnvSetting { name: OsString::from(name), value })
}

impl Cli {
    /// Derives the plan, rejecting what makes no sense.
    pub fn plan(self) -> anyhow::Result<Plan> {
        let mut args = self.args;
        // clap consumes a `--` before the first positional argument but keeps one after it:
        // in `jrun JAIL -- COMMAND`, it separates the jail from its command.
        if self.root.is_none() && args.get(1).is_some_and(|a| a == "--") {
            args.remove(1);
        }
        let target = match self.root {
            Some(root) => Target::Root(root_setup(&root, self.hostname, self.net, self.ro, self.mounts)?),
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
        let workdir = self.workdir.unwrap_or_else(|| PathBuf::from("/"));
        if !workdir.is_absolute() {
            bail!("-w {}: must be an absolute path inside the jail", workdir.display());
        }
        let clean_env = self.login || matches!(target, Target::Root(_));
        Ok(Plan { target, command: args, user: self.user, workdir, env: self.env, clean_env })
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
    Ok(RootSetup { root: canonical, hostname, net: net.unwrap_or(Net::None), read_only, mounts: resolved })
}

/// Runs jrun.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    // Before looking at DIR, which may well be unreadable to the user.
    if !nix::unistd::geteuid().is_root() {
        bail!("must run as root (rootless user namespaces are not supported yet)");
    }
    run_plan(cli.plan()?)
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
            crate::freebsd::run_root(setup, job)
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
fn run_plan(_plan: Plan) -> anyhow::Result<Status> {
    bail!("jails are supported on FreeBSD and Linux only")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn mount_specs() {
        let m = parse_mount("/a:/b:ro").unwrap();
        assert_eq!((m.source, m.target, m.read_only), ("/a".into(), "/b".into(), true));
        assert!(!parse_mount("/a:/b").unwrap().read_only);
        assert!(parse_mount("/a:b").is_err());
        assert!(parse_mount("/a:/b:rx").is_err());
        assert!(parse_mount("/a").is_err());
    }

    #[test]
    fn jail_and_command_split_on_double_dash() {
        let plan = Cli::try_parse_from(["jrun", "-u", "www", "web", "--", "sh", "-c", "echo --"])
            .unwrap()
            .plan()
            .unwrap();
        assert!(matches!(plan.target, Target::Existing(ref j) if j == "web"));
        assert_eq!(plan.command, ["sh", "-c", "echo --"]);
        let plan = Cli::try_parse_from(["jrun", "web", "ls", "-l"]).unwrap().plan().unwrap();
        assert_eq!(plan.command, ["ls", "-l"]);
        let plan =
            Cli::try_parse_from(["jrun", "--root", "/", "--", "env", "--", "x"]).unwrap().plan().unwrap();
        assert_eq!(plan.command, ["env", "--", "x"]);
        assert!(plan.clean_env);
    }
}
