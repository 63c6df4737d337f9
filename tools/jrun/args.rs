//! The jrun command line: the clap definition only. It imports nothing else from jrun; the
//! plan (plan.rs) is derived from it before anything is forked or mounted.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

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
/// is a jail made with jail_set(2), with SysV IPC of its own (sysvshm, sysvsem, sysvmsg =
/// new), devfs on DIR/dev (ruleset 4), fdescfs on DIR/dev/fd and procfs on DIR/proc (as
/// jail(8)'s mount.devfs, mount.fdescfs, mount.procfs), each mounted on a directory opened
/// confined to DIR; the jail is removed with whatever still runs in it when the command ends,
/// and its mounts undone. On FreeBSD 15 jrun holds the jail's owning descriptor, so the jail
/// also goes when jrun is killed; before, the jail is not persistent once the command runs in
/// it and the command dies with jrun. File systems still mounted on or below DIR (a killed
/// run's, or in use) make jrun refuse DIR, listing them. On Linux it is a
/// set of new namespaces (mount, PID, UTS, IPC, and network unless --net host): jrun
/// pivot_roots into DIR, mounts a fresh /proc and a minimal /dev (null, zero, full, random,
/// urandom, tty, pts, shm), adds the --mount bind mounts, and runs a minimal init of its own as
/// PID 1 that forwards signals to the command and reaps orphans. All mounts live in the new
/// mount namespace: nothing remains mounted on the host afterwards, and every process of the
/// jail ends with the command, and with jrun if jrun is killed. Missing mount points are
/// created in DIR. Every path inside DIR is opened confined to DIR (symlinks resolved as the
/// jail would, never leading out) and mounted on by descriptor with the new mount API
/// (Linux 5.12 or later); a step that cannot be done fails the run.
///
/// DIR and the --mount binds are nodev and nosuid (unless --suid), with every mount below
/// them; --ro and :ro are read-only all the way down. Standard input, output and error that
/// are files reach the command as pipes (unless --direct-stdio). With terminals on stdin and
/// stdout, the command gets a pseudo-terminal of its own, relayed by jrun (as ssh -t), in a
/// session of its own; it never shares the caller's terminal.
///
/// The command runs as USER (root by default) with the groups the jail's own /etc/passwd
/// and /etc/group give it (on FreeBSD, with -u, also its login class from the jail's
/// master.passwd and login.conf, as jexec -U applies it: resource limits, umask, priority,
/// PATH and environment; -e settings still win), in the working directory -w (default /), with a clean
/// environment: PATH, HOME, USER, TERM and the -e values only (with --root always, with an
/// existing jail when -l is given; otherwise jrun's environment and the -e values). No file
/// descriptor other than 0, 1 and 2 reaches it. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to jrun are passed
/// on to the command.
///
/// The jail's /etc/passwd and /etc/group are read as input: confined to DIR, regular files
/// of at most 4 MiB only; -u NAME refuses a name that maps to UID 0 unless it is root or 0.
///
/// On Linux, root in the jail keeps only Docker's default capabilities minus CAP_MKNOD,
/// CAP_AUDIT_WRITE and CAP_SETFCAP (so no mounting, no device nodes, no hostname change, no
/// file capabilities), and /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus and /proc/fs
/// are read-only. The command runs with no_new_privs and a seccomp filter, as under
/// systemd-nspawn, that refuses (EPERM) the kernel keyrings (the jail also gets a session
/// keyring of its own), kexec, modules, bpf, perf_event_open, userfaultfd, io_uring, swap,
/// reboot, clock changes, open_by_handle_at, mounting, new user namespaces and setns, TIOCSTI,
/// and making setuid or setgid files (unless --suid). A cgroup (v2, else v1) limits the
/// jail to --pids-max processes (4096 by default where the pids controller is available) and
/// to --memory-max bytes; /dev/shm holds --shm-size bytes.
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

    /// Network: none (a network of its own with loopback only; on FreeBSD a vnet jail with lo0
    /// up on 127.0.0.1, or without VIMAGE ip4/ip6 on the host's 127.0.0.1 and ::1) or host
    /// (the host's) [default: none]
    #[arg(long, value_enum, value_name = "NET", requires = "root", help_heading = "Throw-away jail")]
    pub net: Option<Net>,

    /// Make the root directory read-only (/dev, /proc and --mount keep their own modes; on
    /// FreeBSD the jail's root is then a read-only nullfs view of DIR in /tmp)
    #[arg(long, requires = "root", help_heading = "Throw-away jail")]
    pub ro: bool,

    /// Bind-mount host directory or file SRC on DST inside the jail; ':ro' for read-only
    #[arg(long = "mount", value_name = "SRC:DST[:ro]", value_parser = parse_mount, requires = "root",
          help_heading = "Throw-away jail")]
    pub mounts: Vec<MountSpec>,

    /// Let the jail make setuid and setgid files (packages that install them), and mount DIR
    /// and the binds without nosuid. The command still runs with no_new_privs: such files
    /// never raise its own privileges [default: nosuid, and making them is refused]
    #[arg(long, requires = "root", help_heading = "Throw-away jail")]
    pub suid: bool,

    /// Size of the jail's /dev/shm (K, M, G suffixes)
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size, requires = "root",
          help_heading = "Throw-away jail")]
    pub shm_size: u64,

    /// Most processes and threads the jail may have at once (a cgroup pids limit; 0 for none)
    /// [default: 4096 where the pids controller is available]
    #[arg(long, value_name = "N", requires = "root", help_heading = "Limits")]
    pub pids_max: Option<u64>,

    /// Most memory the jail may use (a cgroup memory limit, K, M, G suffixes) [default: none]
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "root", help_heading = "Limits")]
    pub memory_max: Option<u64>,

    /// Pass standard input, output and error to the jail as they are even when they are
    /// files (the jail could then reopen them through /proc/self/fd) [default: pipes]
    #[arg(long, requires = "root", help_heading = "Throw-away jail")]
    pub direct_stdio: bool,

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
    /// A network of its own with only a loopback interface (FreeBSD: a vnet jail with lo0 up).
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

/// One -e: NAME=VALUE, or NAME alone to copy jrun's own value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvSetting {
    pub name: OsString,
    pub value: Option<OsString>,
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

/// Parses a size: bytes, or with a K, M, G or T suffix (powers of 1024), as systemd and
/// Docker take them.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{text}: expected a size such as 512M or 2G")),
    };
    let value: u64 = number.parse().map_err(|_| format!("{text}: expected a size such as 512M or 2G"))?;
    value.checked_mul(1 << shift).ok_or_else(|| format!("{text}: too large"))
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
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("12Q").is_err());
    }
}
