//! The ZFS side of jsnap: argument vectors for the `zfs` command (built by pure functions, so
//! that flags this machine's zfs lacks are still tested), and running it without a shell.
//!
//! Platform notes. FreeBSD and OpenZFS 2.x `zfs` have every flag used here. zfs-fuse 0.7
//! (Debian's `zfs-fuse`, used by the tests) lacks: `send --raw`/`-w` (no native encryption),
//! `receive -o PROP=VALUE`, resumable receive (`-s`, `receive -A`), `list -p` and `get -t`
//! (it does accept `receive -u`). jsnap passes those flags through unchanged; zfs-fuse then fails with its
//! own "invalid option" message, reported as one line naming the dataset. The listing uses
//! only `zfs get -H -p -d 1`, which both have.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, anyhow, bail};

/// The `zfs` program: `$JSNAP_ZFS`, or `zfs` from PATH.
pub struct Zfs {
    program: OsString,
}

/// What `zfs send` should send.
#[derive(Debug, Default, Clone)]
pub struct SendFlags {
    /// Incremental source (`@SNAP` or `DATASET@SNAP`).
    pub from: Option<String>,
    /// `-I`: every intermediate snapshot between `from` and the snapshot.
    pub intermediate: bool,
    /// `-R`: the dataset, its descendants and their snapshots and properties.
    pub replicate: bool,
    /// `-p`: include properties.
    pub props: bool,
    /// `-w` (OpenZFS `--raw`): encrypted blocks as they are on disk.
    pub raw: bool,
}

/// `zfs send` argv (without the program name).
pub fn send_argv(snapshot: &str, flags: &SendFlags) -> Vec<String> {
    let mut argv = vec!["send".to_string()];
    if flags.replicate {
        argv.push("-R".into());
    }
    if flags.props {
        argv.push("-p".into());
    }
    if flags.raw {
        // `-w` is the spelling FreeBSD's and OpenZFS's zfs both accept.
        argv.push("-w".into());
    }
    if let Some(from) = &flags.from {
        argv.push(if flags.intermediate { "-I" } else { "-i" }.into());
        argv.push(from.clone());
    }
    argv.push(snapshot.into());
    argv
}

/// What `zfs receive` should do.
#[derive(Debug, Default, Clone)]
pub struct RecvFlags {
    /// `-F`: roll back the target to its latest snapshot first (and destroy what is in the way).
    pub force: bool,
    /// `-u`: do not mount the received file system.
    pub no_mount: bool,
    /// `-o PROP=VALUE`: properties set on the received dataset.
    pub props: Vec<String>,
}

/// `zfs receive` argv (without the program name).
pub fn recv_argv(target: &str, flags: &RecvFlags) -> Vec<String> {
    let mut argv = vec!["receive".to_string()];
    if flags.force {
        argv.push("-F".into());
    }
    if flags.no_mount {
        argv.push("-u".into());
    }
    for prop in &flags.props {
        argv.push("-o".into());
        argv.push(prop.clone());
    }
    argv.push(target.into());
    argv
}

/// `zfs get` argv listing the snapshots of a dataset with what `jsnap list` shows.
pub fn list_argv(dataset: &str) -> Vec<String> {
    ["get", "-H", "-p", "-o", "name,property,value", "-d", "1", "createtxg,creation,used,referenced", dataset]
        .map(String::from)
        .to_vec()
}

impl Zfs {
    /// The program from the environment.
    pub fn from_env() -> Zfs {
        Zfs { program: std::env::var_os("JSNAP_ZFS").unwrap_or_else(|| "zfs".into()) }
    }

    fn command(&self, argv: &[String]) -> Command {
        let mut command = Command::new(&self.program);
        command.args(argv).stdin(Stdio::null());
        command
    }

    fn spawn_error(&self, e: std::io::Error) -> anyhow::Error {
        anyhow!("{}: {e}", Path::new(&self.program).display())
    }

    /// Runs zfs, returns its stdout; on failure the error is `NAME: <zfs's first message line>`.
    pub fn output(&self, argv: &[String], name: &str) -> Result<String> {
        let output = self.command(argv).output().map_err(|e| self.spawn_error(e))?;
        if !output.status.success() {
            bail!("{name}: {}", first_line(&output.stderr, output.status));
        }
        String::from_utf8(output.stdout).with_context(|| format!("{name}: zfs output is not UTF-8"))
    }

    /// Runs zfs with our stdin and stdout (the stream passes straight through, no copy) and
    /// its stderr captured for the message.
    pub fn stream(&self, argv: &[String], name: &str, stdin: bool, stdout: bool) -> Result<()> {
        let mut command = self.command(argv);
        if stdin {
            command.stdin(Stdio::inherit());
        }
        command.stdout(if stdout { Stdio::inherit() } else { Stdio::null() });
        command.stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| self.spawn_error(e))?;
        let mut stderr = Vec::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_end(&mut stderr);
        }
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        if status.success() {
            return Ok(());
        }
        if killed_by_sigpipe(status) {
            // Our reader went away: quiet, like any tool on a broken pipe.
            return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into());
        }
        bail!("{name}: {}", first_line(&stderr, status))
    }

    /// Whether a dataset (or snapshot) exists.
    pub fn exists(&self, name: &str) -> Result<bool> {
        let status = self
            .command(&["list".into(), "-H".into(), "-o".into(), "name".into(), name.into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| self.spawn_error(e))?;
        Ok(status.success())
    }

    /// The dataset mounted exactly at `path`.
    pub fn dataset_at(&self, path: &Path) -> Result<String> {
        let shown = path.display().to_string();
        let real = std::fs::canonicalize(path).with_context(|| shown.clone())?;
        let argv = ["list", "-H", "-o", "name,mountpoint", "-t", "filesystem"].map(String::from);
        let listing = self.output(&argv, &shown)?;
        for line in listing.lines() {
            if let Some((name, mountpoint)) = line.split_once('\t')
                && Path::new(mountpoint) == real
            {
                return Ok(name.to_string());
            }
        }
        bail!("{shown}: not the mountpoint of a ZFS dataset")
    }
}

fn killed_by_sigpipe(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(libc::SIGPIPE)
}

/// zfs's first non-empty stderr line (zfs-fuse follows an "invalid option" with its usage).
fn first_line(stderr: &[u8], status: ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => line.to_string(),
        None => format!("zfs failed ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn send_argv_full_and_incremental() {
        assert_eq!(send_argv("tank/a@s2", &SendFlags::default()), s(&["send", "tank/a@s2"]));
        let inc = SendFlags { from: Some("@s1".into()), ..Default::default() };
        assert_eq!(send_argv("tank/a@s2", &inc), s(&["send", "-i", "@s1", "tank/a@s2"]));
        let all = SendFlags { from: Some("tank/a@s1".into()), intermediate: true, ..Default::default() };
        assert_eq!(send_argv("tank/a@s3", &all), s(&["send", "-I", "tank/a@s1", "tank/a@s3"]));
    }

    /// The flags zfs-fuse lacks (`-w`) are still built as FreeBSD/OpenZFS expect them.
    #[test]
    fn send_argv_openzfs_flags() {
        let flags = SendFlags {
            replicate: true,
            props: true,
            raw: true,
            from: Some("@a".into()),
            intermediate: false,
        };
        assert_eq!(send_argv("zroot/j@b", &flags), s(&["send", "-R", "-p", "-w", "-i", "@a", "zroot/j@b"]));
    }

    /// `-u` and `-o` (`-o`: OpenZFS and FreeBSD only) go before the target.
    #[test]
    fn recv_argv_openzfs_flags() {
        assert_eq!(recv_argv("tank/b", &RecvFlags::default()), s(&["receive", "tank/b"]));
        let flags = RecvFlags {
            force: true,
            no_mount: true,
            props: vec!["mountpoint=none".into(), "canmount=off".into()],
        };
        assert_eq!(
            recv_argv("zroot/jails/web", &flags),
            s(&["receive", "-F", "-u", "-o", "mountpoint=none", "-o", "canmount=off", "zroot/jails/web"])
        );
    }

    #[test]
    fn list_argv_uses_flags_zfs_fuse_has() {
        let argv = list_argv("tank/a");
        assert_eq!(argv[0], "get");
        assert!(!argv.contains(&"-t".to_string()), "zfs-fuse get has no -t");
        assert_eq!(argv.last().unwrap(), "tank/a");
    }
}
