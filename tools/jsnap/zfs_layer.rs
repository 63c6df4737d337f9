//! `send --layer --from OLD DATASET@NEW`: the changes between two snapshots of one dataset
//! as an OCI layer (whiteouts for what is gone), written by the same tree comparison as
//! `send --dir NEW --base OLD`.
//!
//! The snapshots' trees are read where ZFS shows them, `MOUNTPOINT/.zfs/snapshot/NAME`
//! (OpenZFS and FreeBSD, reachable even with `snapdir=hidden`). zfs-fuse has no `.zfs`
//! directory: there each snapshot is cloned read-only onto a temporary mountpoint, and the
//! clone destroyed afterwards, on error and on SIGINT/SIGTERM too.
//!
//! Why not `zfs diff`: zfs-fuse does not have it, and its output names changed paths but not
//! their metadata, so both trees are read for the entries anyway. On a big tree with few
//! changes it would spare the walk of unchanged directories; that is left for later.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use jcore::Status;
use jcore::io::Output;
use jcore::tree::{self, ArchiveOptions};

use crate::zfs::Zfs;

/// A snapshot's tree, and the clone that shows it when `.zfs` does not.
struct SnapshotTree {
    path: PathBuf,
    clone: Option<Clone>,
}

/// A temporary read-only clone, destroyed on drop.
struct Clone {
    program: std::ffi::OsString,
    name: String,
    mountpoint: PathBuf,
    action: u64,
}

impl Drop for Clone {
    fn drop(&mut self) {
        destroy_clone(&self.program, &self.name, &self.mountpoint);
        jcore::io::unregister_cleanup_action(self.action);
    }
}

fn destroy_clone(program: &std::ffi::OsString, name: &str, mountpoint: &Path) {
    // zfs-fuse may hold a just-read file system busy for a moment: retry for a while.
    for _ in 0..40 {
        let done = Command::new(program)
            .args(["destroy", name])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir(mountpoint);
}

impl SnapshotTree {
    fn open(zfs: &Zfs, snapshot: &str, which: &str) -> Result<SnapshotTree> {
        let (dataset, snap) = snapshot.split_once('@').expect("a checked snapshot name");
        let argv = ["get", "-H", "-p", "-o", "value", "mounted,mountpoint", dataset].map(String::from);
        let values = zfs.output(&argv, dataset)?;
        let mut lines = values.lines();
        let (mounted, mountpoint) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        if mounted == "yes" && mountpoint.starts_with('/') {
            let shown = Path::new(mountpoint).join(".zfs/snapshot").join(snap);
            if shown.is_dir() {
                return Ok(SnapshotTree { path: shown, clone: None });
            }
        }
        if !zfs.exists(snapshot)? {
            bail!("{snapshot}: no such snapshot");
        }
        let name = format!("{dataset}-jsnap-layer-{}-{which}", std::process::id());
        let base = std::env::temp_dir();
        let dir = tempfile_dir(&base, which)?;
        let program = zfs.program();
        let action = {
            let (program, name, dir) = (program.clone(), name.clone(), dir.clone());
            jcore::io::register_cleanup_action(Box::new(move || destroy_clone(&program, &name, &dir)))
        };
        let clone = Clone { program, name: name.clone(), mountpoint: dir.clone(), action };
        let argv = [
            "clone".to_string(),
            "-o".into(),
            "readonly=on".into(),
            "-o".into(),
            format!("mountpoint={}", dir.display()),
            snapshot.into(),
            name,
        ];
        zfs.output(&argv, snapshot)?;
        Ok(SnapshotTree { path: dir, clone: Some(clone) })
    }
}

/// An empty directory for a clone's mountpoint, private to this run.
fn tempfile_dir(base: &Path, which: &str) -> Result<PathBuf> {
    for attempt in 0..100u32 {
        let dir = base.join(format!("jsnap-layer-{}-{which}-{attempt}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| dir.display().to_string()),
        }
    }
    bail!("{}: no free name for a clone's mountpoint", base.display())
}

/// Writes the layer from `from` (a full `DATASET@SNAP`) to `snapshot` on stdout.
pub fn send(zfs: &Zfs, snapshot: &str, from: &str, force: bool) -> Result<Status> {
    let (dataset, _) = snapshot.split_once('@').expect("a checked snapshot name");
    let (from_dataset, _) = from.split_once('@').expect("a checked snapshot name");
    if from_dataset != dataset {
        bail!("{from}: --layer compares two snapshots of one dataset, not of {dataset}");
    }
    let mut out = Output::create(None, true, force)?;
    let old = SnapshotTree::open(zfs, from, "old")?;
    let new = SnapshotTree::open(zfs, snapshot, "new")?;
    // A layer is of one dataset's tree, like zfs send without -R: a child dataset's
    // mountpoint inside it is an empty directory in both trees.
    let options = ArchiveOptions { one_file_system: true, ..ArchiveOptions::default() };
    let summary = tree::archive_changes(&new.path, &old.path, &options, &mut out)?;
    out.commit()?;
    drop((new.clone, old.clone));
    for (name, why) in &summary.skipped {
        eprintln!("jsnap: {name}: {why}");
    }
    Ok(Status::Success)
}
