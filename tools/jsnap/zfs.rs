//! The ZFS side of jsnap: argument vectors for the `zfs` command (built by pure functions, so
//! that flags this machine's zfs lacks are still tested), running it without a shell, and
//! mounting what a receive brought.
//!
//! Platform notes. FreeBSD and OpenZFS 2.x `zfs` have every flag used here. zfs-fuse 0.7
//! (Debian's `zfs-fuse`, used by the tests; pool version 23) lacks: `send --raw`/`-w` (no
//! native encryption), `send -L`, `-e`, `-c`, `receive -o PROP=VALUE` and `-x PROP`,
//! resumable receive (`-s`, `receive -A`), `list -p` and `get -t` (it does accept
//! `receive -u`). jsnap passes those flags through unchanged; zfs-fuse then fails with its
//! own "invalid option" message, reported as one line naming the dataset. The listing uses
//! only `zfs get -H -p -d 1`, which both have.
//!
//! Which dataset a PATH is comes from the kernel's mount table (`mounts.rs`: mountinfo on
//! Linux, statfs on FreeBSD), else from `zfs list -o mounted`; whether a mountpoint is in use,
//! from `zfs list -o mounted` and the device numbers of the path and its parent.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result, anyhow, bail};

pub use crate::plan::{RecvFlags, SendFlags};

/// The `zfs` program: `$JSNAP_ZFS`, or `zfs` from PATH.
pub struct Zfs {
    program: OsString,
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
    if flags.large_block {
        argv.push("-L".into());
    }
    if flags.embed {
        argv.push("-e".into());
    }
    if flags.compressed {
        argv.push("-c".into());
    }
    if let Some(from) = &flags.from {
        argv.push(if flags.intermediate { "-I" } else { "-i" }.into());
        argv.push(from.clone());
    }
    argv.push(snapshot.into());
    argv
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
    for prop in &flags.exclude_props {
        argv.push("-x".into());
        argv.push(prop.clone());
    }
    argv.push(target.into());
    argv
}

/// `zfs snapshot` argv: `-r` takes the snapshot of every descendant in the same transaction
/// (all or none), which a loop over `zfs snapshot` could not.
pub fn snapshot_argv(snapshot: &str, recursive: bool) -> Vec<String> {
    let mut argv = vec!["snapshot".to_string()];
    if recursive {
        argv.push("-r".into());
    }
    argv.push(snapshot.into());
    argv
}

/// `zfs destroy` argv for a snapshot; `-r`: the snapshot of that name on every descendant.
pub fn destroy_snapshot_argv(snapshot: &str, recursive: bool) -> Vec<String> {
    let mut argv = vec!["destroy".to_string()];
    if recursive {
        argv.push("-r".into());
    }
    argv.push(snapshot.into());
    argv
}

/// `zfs list` argv for a file system and its descendants, parents first, with what deciding
/// whether to mount them takes.
pub fn mount_listing_argv(dataset: &str) -> Vec<String> {
    ["list", "-H", "-r", "-t", "filesystem", "-o", "name,canmount,mountpoint,mounted", dataset]
        .map(String::from)
        .to_vec()
}

/// One file system in [`mount_listing_argv`]'s output.
#[derive(Debug, PartialEq, Eq)]
pub struct FileSystem {
    pub name: String,
    /// `canmount=on` (not `off`, not `noauto`: `zfs mount -a` would not mount those either).
    pub canmount: bool,
    /// The mountpoint, `None` for `none`, `legacy` or `-`.
    pub mountpoint: Option<String>,
    pub mounted: bool,
}

/// Parses `zfs list -H -o name,canmount,mountpoint,mounted` lines.
pub fn parse_file_systems(listing: &str) -> Vec<FileSystem> {
    listing
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let (name, canmount, mountpoint, mounted) = (f.next()?, f.next()?, f.next()?, f.next()?);
            let mountpoint = match mountpoint {
                "none" | "legacy" | "-" | "" => None,
                path => Some(path.to_string()),
            };
            Some(FileSystem {
                name: name.to_string(),
                canmount: canmount == "on",
                mountpoint,
                mounted: mounted == "yes",
            })
        })
        .collect()
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

    /// The program run.
    pub fn program(&self) -> OsString {
        self.program.clone()
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
        self.stream_with_pid(argv, name, stdin, stdout, &AtomicI32::new(0))
    }

    /// [`Zfs::stream`], publishing the child's pid in `pid` while it runs (for a signal-time
    /// cleanup action).
    pub fn stream_with_pid(
        &self,
        argv: &[String],
        name: &str,
        stdin: bool,
        stdout: bool,
        pid: &AtomicI32,
    ) -> Result<()> {
        let mut command = self.command(argv);
        if stdin {
            command.stdin(Stdio::inherit());
        }
        command.stdout(if stdout { Stdio::inherit() } else { Stdio::null() });
        command.stderr(Stdio::piped());
        die_with_parent(&mut command);
        let mut child = command.spawn().map_err(|e| self.spawn_error(e))?;
        pid.store(child.id() as i32, Ordering::SeqCst);
        let mut stderr = Vec::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_end(&mut stderr);
        }
        let status = child.wait().map_err(|e| self.spawn_error(e));
        pid.store(0, Ordering::SeqCst);
        let status = status?;
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

    /// The dataset mounted exactly at `path`: what is mounted there, not what a `mountpoint`
    /// property says. FreeBSD's default layout has `canmount=off` containers and boot
    /// environments that all show `mountpoint=/`; only one of them is mounted.
    pub fn dataset_at(&self, path: &Path) -> Result<String> {
        let shown = path.display().to_string();
        let real = std::fs::canonicalize(path).with_context(|| shown.clone())?;
        // The kernel's table first (it also knows mountpoint=legacy datasets), then zfs's.
        if let Some(dataset) = crate::mounts::zfs_mounted_at(&real) {
            return Ok(dataset);
        }
        let argv =
            ["list", "-H", "-o", "name,canmount,mountpoint,mounted", "-t", "filesystem"].map(String::from);
        let listing = self.output(&argv, &shown)?;
        mounted_at(&parse_file_systems(&listing), &real)
            .ok_or_else(|| anyhow!("{shown}: not the mountpoint of a mounted ZFS dataset"))
    }

    /// Mounts `dataset` and its descendants that would mount at boot (`canmount=on`, a
    /// mountpoint, not mounted yet), parents first. A file system whose mountpoint is in use
    /// (another file system mounted there: a live jail whose mountpoint a `-p`/`-R` stream
    /// carried over) is left unmounted. Returns one line per file system not mounted.
    pub fn mount_tree(&self, dataset: &str) -> Result<Vec<String>> {
        let listing = self.output(&mount_listing_argv(dataset), dataset)?;
        let file_systems = parse_file_systems(&listing);
        let mut problems = Vec::new();
        // Under a parent left unmounted, a child inheriting its mountpoint would land in
        // whatever is at the parent's path (the live jail's tree): it stays unmounted too.
        let mut left_out: Vec<&str> = Vec::new();
        for fs in &file_systems {
            if let Some(parent) = left_out.iter().find(|p| fs.name.starts_with(&format!("{p}/"))) {
                problems.push(format!("{}: not mounted: its parent {parent} is not", fs.name));
                left_out.push(&fs.name);
                continue;
            }
            let Some(mountpoint) = &fs.mountpoint else { continue };
            if !fs.canmount || fs.mounted {
                continue;
            }
            let attempt = match self.mountpoint_in_use(Path::new(mountpoint)) {
                Ok(Some(user)) => Err(anyhow!("{}: not mounted: {mountpoint} is in use ({user})", fs.name)),
                Ok(None) => self.output(&["mount".into(), fs.name.clone()], &fs.name).map(drop),
                Err(e) => Err(e),
            };
            if let Err(e) = attempt {
                problems.push(format!("{e:#}"));
                left_out.push(&fs.name);
            }
        }
        Ok(problems)
    }

    /// What is mounted at `path` already: a mounted dataset with that mountpoint, or any other
    /// file system (a different device than its parent directory's). Asked afresh for each
    /// file system: the ones mounted just before count.
    fn mountpoint_in_use(&self, path: &Path) -> Result<Option<String>> {
        let argv = ["list", "-H", "-o", "name,canmount,mountpoint,mounted", "-t", "filesystem"];
        let everything = self.output(&argv.map(String::from), &path.display().to_string())?;
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(name) = mounted_at(&parse_file_systems(&everything), &real) {
            return Ok(Some(format!("{name} is mounted there")));
        }
        Ok(is_mount_point(&real).then(|| "a file system is mounted there".to_string()))
    }
}

/// The mounted dataset whose mountpoint is `path`.
fn mounted_at(file_systems: &[FileSystem], path: &Path) -> Option<String> {
    file_systems
        .iter()
        .find(|fs| fs.mounted && fs.mountpoint.as_deref().is_some_and(|m| Path::new(m) == path))
        .map(|fs| fs.name.clone())
}

/// Whether something is mounted at `path`: it lies on another device than its parent (works
/// for every file system on Linux and FreeBSD alike; a path that does not exist is not).
fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(here), Some(parent)) = (std::fs::symlink_metadata(path), path.parent()) else {
        return false;
    };
    std::fs::metadata(parent).is_ok_and(|p| p.dev() != here.dev())
}

/// A streaming zfs must not outlive jsnap: killed, jsnap could no longer clean up after a
/// receive or report a send's failure. zfs then aborts the receive itself, which removes a
/// partly received new dataset.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; the closure touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// FreeBSD would use procctl(PROC_PDEATHSIG_CTL); elsewhere the child is left alone.
#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

/// On SIGINT, SIGTERM or SIGHUP while a new dataset is being received under `temp`: stop the
/// `zfs receive` whose pid is in `pid`, wait for it (at most 5 s), then destroy `temp` (for
/// at most 3 s more). Returns the id to unregister the action.
pub fn destroy_on_signal(program: OsString, temp: String, pid: Arc<AtomicI32>) -> u64 {
    jcore::io::register_cleanup_action(Box::new(move || {
        let child = pid.load(Ordering::SeqCst);
        if child > 0 {
            // SAFETY: signalling and reaping our own child; no memory is shared.
            unsafe { libc::kill(child, libc::SIGTERM) };
            for _ in 0..100 {
                // SAFETY: as above; a null status pointer is allowed.
                if unsafe { libc::waitpid(child, std::ptr::null_mut(), libc::WNOHANG) } != 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        // zfs-fuse's daemon goes on reading the stream after the zfs process is gone and
        // keeps the dataset busy until the stream ends: retry for a while.
        let quiet = |args: &[&str]| {
            Command::new(&program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        for _ in 0..60 {
            if quiet(&["destroy", "-r", &temp]) || !quiet(&["list", "-H", "-o", "name", &temp]) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }))
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
            large_block: true,
            embed: true,
            compressed: true,
        };
        assert_eq!(
            send_argv("zroot/j@b", &flags),
            s(&["send", "-R", "-p", "-w", "-L", "-e", "-c", "-i", "@a", "zroot/j@b"])
        );
    }

    /// `-u` and `-o` (`-o`: OpenZFS and FreeBSD only) go before the target.
    #[test]
    fn recv_argv_openzfs_flags() {
        assert_eq!(recv_argv("tank/b", &RecvFlags::default()), s(&["receive", "tank/b"]));
        let flags = RecvFlags {
            force: true,
            no_mount: true,
            props: vec!["mountpoint=none".into(), "canmount=off".into()],
            exclude_props: vec!["encryption".into()],
        };
        assert_eq!(
            recv_argv("zroot/jails/web", &flags),
            s(&[
                "receive",
                "-F",
                "-u",
                "-o",
                "mountpoint=none",
                "-o",
                "canmount=off",
                "-x",
                "encryption",
                "zroot/jails/web"
            ])
        );
    }

    #[test]
    fn recursive_snapshot_and_destroy_argv() {
        assert_eq!(snapshot_argv("t/a@s", false), s(&["snapshot", "t/a@s"]));
        assert_eq!(snapshot_argv("t/a@s", true), s(&["snapshot", "-r", "t/a@s"]));
        assert_eq!(destroy_snapshot_argv("t/a@s", true), s(&["destroy", "-r", "t/a@s"]));
        assert_eq!(destroy_snapshot_argv("t/a@s", false), s(&["destroy", "t/a@s"]));
    }

    /// FreeBSD's default layout: `zroot/ROOT` (canmount=off, mountpoint none) and two boot
    /// environments with `mountpoint=/`, only one mounted. `/` is the mounted one, whatever
    /// the order.
    #[test]
    fn path_maps_to_what_is_mounted_not_the_property() {
        let listing = "zroot\ton\t/zroot\tyes\n\
                       zroot/ROOT\toff\tnone\tno\n\
                       zroot/ROOT/13.2\tnoauto\t/\tno\n\
                       zroot/ROOT/default\tnoauto\t/\tyes\n\
                       zroot/usr\toff\t/usr\tno\n\
                       zroot/usr/home\ton\t/usr/home\tyes\n";
        let fss = parse_file_systems(listing);
        assert_eq!(mounted_at(&fss, Path::new("/")).as_deref(), Some("zroot/ROOT/default"));
        assert_eq!(mounted_at(&fss, Path::new("/usr")), None, "a canmount=off container");
        assert_eq!(mounted_at(&fss, Path::new("/usr/home")).as_deref(), Some("zroot/usr/home"));
        assert_eq!(fss[1].mountpoint, None);
        assert!(!fss[2].canmount && fss[5].canmount);
    }

    #[test]
    fn list_argv_uses_flags_zfs_fuse_has() {
        let argv = list_argv("tank/a");
        assert_eq!(argv[0], "get");
        assert!(!argv.contains(&"-t".to_string()), "zfs-fuse get has no -t");
        assert_eq!(argv.last().unwrap(), "tank/a");
    }
}
