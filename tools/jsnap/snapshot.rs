//! The ZFS subcommands: create, list, destroy, send and recv.

use std::io::{IsTerminal, Write};
use std::path::Path;

use std::sync::Arc;
use std::sync::atomic::AtomicI32;

use anyhow::{Result, bail};
use jcore::Status;

use crate::names;
use crate::plan::{RecvFlags, ZfsRecv, ZfsSend};
use crate::zfs::{self, Zfs};

/// A dataset from a DATASET or PATH argument.
fn resolve_dataset(zfs: &Zfs, arg: &str) -> Result<String> {
    if names::is_path(arg) {
        return zfs.dataset_at(Path::new(arg));
    }
    names::check_dataset(arg)?;
    Ok(arg.to_string())
}

/// `DATASET@SNAP` from a `DATASET@SNAP` or `PATH@SNAP` argument.
fn resolve_snapshot(zfs: &Zfs, arg: &str) -> Result<String> {
    if names::is_path(arg) {
        let (path, snap) = names::split_path_snapshot(arg);
        let Some(snap) = snap else { bail!("{arg}: not a snapshot (PATH@SNAP)") };
        let full = format!("{}@{snap}", zfs.dataset_at(Path::new(path))?);
        names::split_snapshot(&full)?;
        return Ok(full);
    }
    names::split_snapshot(arg)?;
    Ok(arg.to_string())
}

/// `create [-r]`. `-r` is one `zfs snapshot -r`: every descendant gets the snapshot in the
/// same transaction, or none does (a child that already has the name fails the whole call).
pub fn create(target: &str, recursive: bool) -> Result<Status> {
    let zfs = Zfs::from_env();
    let (base, snap) = if names::is_path(target) {
        names::split_path_snapshot(target)
    } else {
        match target.split_once('@') {
            Some((d, s)) => (d, Some(s)),
            None => (target, None),
        }
    };
    let dataset = resolve_dataset(&zfs, base)?;
    let snap = snap.map(str::to_string).unwrap_or_else(|| format!("jsnap-{}", utc_stamp(now())));
    let full = format!("{dataset}@{snap}");
    names::split_snapshot(&full)?;
    zfs.output(&zfs::snapshot_argv(&full, recursive), &full)?;
    println!("{full}");
    Ok(Status::Success)
}

/// `destroy [-r] DATASET@SNAP`: only snapshots (the name is checked to hold `@`).
pub fn destroy(arg: &str, recursive: bool) -> Result<Status> {
    let zfs = Zfs::from_env();
    let full = resolve_snapshot(&zfs, arg)?;
    zfs.output(&zfs::destroy_snapshot_argv(&full, recursive), &full)?;
    Ok(Status::Success)
}

/// One snapshot in `jsnap list`.
#[derive(Default, Debug)]
struct Snapshot {
    name: String,
    createtxg: u64,
    creation: i64,
    used: u64,
    referenced: u64,
}

pub fn list(target: &str, json: bool) -> Result<Status> {
    let zfs = Zfs::from_env();
    let dataset = resolve_dataset(&zfs, target)?;
    let output = zfs.output(&zfs::list_argv(&dataset), &dataset)?;
    let snapshots = parse_listing(&dataset, &output);
    let mut out = std::io::stdout().lock();
    for s in &snapshots {
        if json {
            let short = s.name.split_once('@').map(|(_, n)| n).unwrap_or_default();
            let record = serde_json::json!({
                "snapshot": s.name,
                "dataset": dataset,
                "name": short,
                "creation": s.creation,
                "created": rfc3339(s.creation),
                "createtxg": s.createtxg,
                "used": s.used,
                "referenced": s.referenced,
            });
            writeln!(out, "{record}")?;
        } else {
            writeln!(out, "{}", s.name)?;
        }
    }
    out.flush()?;
    Ok(Status::Success)
}

/// The snapshots of `dataset` in `zfs get -H -p -o name,property,value` output, oldest
/// (lowest creation txg, which unlike the creation time never ties) first.
fn parse_listing(dataset: &str, output: &str) -> Vec<Snapshot> {
    let prefix = format!("{dataset}@");
    let mut snapshots: Vec<Snapshot> = Vec::new();
    for line in output.lines() {
        let mut fields = line.split('\t');
        let (Some(name), Some(property), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if !name.starts_with(&prefix) {
            continue;
        }
        if snapshots.last().is_none_or(|s| s.name != name) {
            snapshots.push(Snapshot { name: name.to_string(), ..Snapshot::default() });
        }
        let s = snapshots.last_mut().expect("pushed");
        match property {
            "createtxg" => s.createtxg = value.parse().unwrap_or(0),
            "creation" => s.creation = value.parse().unwrap_or(0),
            "used" => s.used = value.parse().unwrap_or(0),
            "referenced" => s.referenced = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    snapshots.sort_by_key(|s| s.createtxg);
    snapshots
}

pub fn send(args: &ZfsSend) -> Result<Status> {
    let zfs = Zfs::from_env();
    let [target] = args.targets.as_slice() else {
        bail!("send: exactly one snapshot expected (DATASET@SNAP), or --dir DIR");
    };
    let snapshot = resolve_snapshot(&zfs, target)?;
    let from = match &args.from {
        Some(from) => Some(check_from(&snapshot, from)?),
        None => None,
    };
    jcore::io::check_binary_stdout(args.force)?;
    if args.layer {
        let from = from.expect("clap: --layer requires --from");
        let full = if from.starts_with('@') {
            format!("{}{from}", snapshot.split_once('@').expect("checked").0)
        } else {
            from
        };
        return crate::zfs_layer::send(&zfs, &snapshot, &full, args.force);
    }
    let flags = zfs::SendFlags { from, ..args.flags.clone() };
    zfs.stream(&zfs::send_argv(&snapshot, &flags), &snapshot, false, true)?;
    Ok(Status::Success)
}

/// `--from`: `@SNAP`, `SNAP` (taken as `@SNAP`) or `DATASET@SNAP`.
fn check_from(snapshot: &str, from: &str) -> Result<String> {
    let short = from.strip_prefix('@').unwrap_or(from);
    if !short.contains('@') {
        names::check_snapshot_name(from, short)?;
        return Ok(format!("@{short}"));
    }
    names::split_snapshot(from)?;
    if from == snapshot {
        bail!("{from}: --from is the snapshot being sent");
    }
    Ok(from.to_string())
}

pub fn recv(args: &ZfsRecv) -> Result<Status> {
    let zfs = Zfs::from_env();
    let target = args.target.as_str();
    let (dataset, snap) = match target.split_once('@') {
        Some((d, s)) => {
            names::split_snapshot(target)?;
            (d, Some(s))
        }
        None => {
            names::check_dataset(target)?;
            (target, None)
        }
    };
    if std::io::stdin().is_terminal() {
        bail!("{target}: refusing to read a zfs stream from a terminal");
    }
    if zfs.exists(dataset)? {
        // zfs applies an incremental (or -F) receive into an existing dataset completely or
        // not at all: no dataset can be left behind.
        zfs.stream(&zfs::recv_argv(target, &args.flags), target, true, false)?;
        return Ok(Status::Success);
    }
    receive_new(&zfs, dataset, snap, &args.flags)?;
    if args.flags.no_mount {
        return Ok(Status::Success);
    }
    // Received and in place: a mount that fails now is reported, and the dataset stays.
    let problems = zfs.mount_tree(dataset)?;
    match problems.as_slice() {
        [] => Ok(Status::Success),
        [first, rest @ ..] => {
            let more = if rest.is_empty() { String::new() } else { format!(" (and {} more)", rest.len()) };
            bail!("{dataset}: received, but {first}{more}; mount it with zfs mount once that is solved")
        }
    }
}

/// Receives a new dataset under a temporary sibling name and renames it into place, so that
/// a failed or interrupted receive never leaves a dataset under the requested name, and
/// whatever the failed receive left under the temporary name is destroyed.
///
/// The receive is always `-u`: a mounted file system cannot be renamed on every zfs
/// (zfs-fuse: "dataset is busy"), and `zfs receive` without `-u` exits 1 when only the
/// mount fails, which must not cost the received stream. [`recv`] mounts afterwards.
fn receive_new(zfs: &Zfs, dataset: &str, snap: Option<&str>, flags: &RecvFlags) -> Result<()> {
    let Some((parent, _)) = dataset.rsplit_once('/') else {
        bail!("{dataset}: cannot receive into a pool's root dataset that does not exist");
    };
    if !zfs.exists(parent)? {
        bail!("{dataset}: parent dataset {parent} does not exist");
    }
    let temp = format!("{parent}/jsnap-recv-{}", std::process::id());
    if zfs.exists(&temp)? {
        bail!("{dataset}: temporary dataset {temp} exists (left by a crashed jsnap? destroy it)");
    }
    let temp_target = match snap {
        Some(s) => format!("{temp}@{s}"),
        None => temp.clone(),
    };
    let unmounted = RecvFlags { no_mount: true, ..flags.clone() };
    let pid = Arc::new(AtomicI32::new(0));
    let action = zfs::destroy_on_signal(zfs.program(), temp.clone(), pid.clone());
    let result = zfs
        .stream_with_pid(&zfs::recv_argv(&temp_target, &unmounted), dataset, true, false, &pid)
        .and_then(|()| zfs.output(&["rename".into(), temp.clone(), dataset.into()], dataset).map(drop));
    if result.is_err() && zfs.exists(&temp)? {
        let _ = zfs.output(&["destroy".into(), "-r".into(), temp.clone()], &temp);
    }
    jcore::io::unregister_cleanup_action(action);
    result
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Civil UTC date and time of a unix time: (year, month, day, hour, minute, second).
fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs / 3600, secs / 60 % 60, secs % 60)
}

/// `YYYYmmddTHHMMSSZ`, the default snapshot name's suffix.
fn utc_stamp(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// RFC 3339 in UTC.
fn rfc3339(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_423_554), "2026-11-23T08:45:54Z");
    }

    #[test]
    fn listing_is_sorted_by_txg_and_ignores_other_datasets() {
        let out = "t/a\tcreatetxg\t7\nt/a@new\tcreatetxg\t20\nt/a@new\tcreation\t5\n\
                   t/a@old\tcreatetxg\t13\nt/a@old\tcreation\t5\nt/ab@x\tcreatetxg\t1\n";
        let names: Vec<_> = parse_listing("t/a", out).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["t/a@old", "t/a@new"]);
    }

    #[test]
    fn from_forms() {
        assert_eq!(check_from("t/a@b", "@a").unwrap(), "@a");
        assert_eq!(check_from("t/a@b", "a").unwrap(), "@a");
        assert_eq!(check_from("t/a@b", "t/a@a").unwrap(), "t/a@a");
        assert!(check_from("t/a@b", "t/a@b").is_err());
        assert!(check_from("t/a@b", "@-x").is_ok());
        assert!(check_from("t/a@b", "@a;b").is_err());
    }
}
