//! ZFS dataset and snapshot names: validated before they reach `zfs`, so that a name can
//! never be taken for an option or carry characters ZFS would reject with a worse message.

use anyhow::{Result, bail};

/// ZFS limits a full name to 255 bytes (ZFS_MAX_DATASET_NAME_LEN - 1).
const MAX_NAME: usize = 255;

/// Characters ZFS accepts in a name component (OpenZFS also takes a space; we do not, so
/// names stay safe to print and paste).
fn valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

fn check_component(full: &str, part: &str, what: &str) -> Result<()> {
    if part.is_empty() {
        bail!("{full}: invalid {what} name: empty component");
    }
    if part == "." || part == ".." {
        bail!("{full}: invalid {what} name: '{part}' component");
    }
    if let Some(c) = part.chars().find(|c| !valid_char(*c)) {
        bail!("{full}: invalid {what} name: character {c:?} not allowed");
    }
    Ok(())
}

/// Checks a dataset name: `pool[/child...]`, the pool starting with a letter.
pub fn check_dataset(name: &str) -> Result<()> {
    if name.is_empty() {
        bail!("empty dataset name");
    }
    if name.len() > MAX_NAME {
        bail!("{name}: invalid dataset name: longer than {MAX_NAME} bytes");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        bail!("{name}: invalid dataset name: must start with a letter (the pool name)");
    }
    for part in name.split('/') {
        check_component(name, part, "dataset")?;
    }
    Ok(())
}

/// Checks a snapshot's short name (after `@`).
pub fn check_snapshot_name(full: &str, snap: &str) -> Result<()> {
    check_component(full, snap, "snapshot")
}

/// Splits `DATASET@SNAP` and checks both parts.
pub fn split_snapshot(full: &str) -> Result<(&str, &str)> {
    let Some((dataset, snap)) = full.split_once('@') else {
        bail!("{full}: not a snapshot name (DATASET@SNAP)");
    };
    check_dataset(dataset)?;
    check_snapshot_name(full, snap)?;
    if full.len() > MAX_NAME {
        bail!("{full}: invalid snapshot name: longer than {MAX_NAME} bytes");
    }
    Ok((dataset, snap))
}

/// Whether a command-line argument names a path (a jail's mountpoint) rather than a dataset.
pub fn is_path(arg: &str) -> bool {
    arg.starts_with('/') || arg == "." || arg == ".." || arg.starts_with("./") || arg.starts_with("../")
}

/// Splits `PATH@NAME` at its last `@` when the whole argument is not an existing path.
pub fn split_path_snapshot(arg: &str) -> (&str, Option<&str>) {
    if std::path::Path::new(arg).exists() {
        return (arg, None);
    }
    match arg.rsplit_once('@') {
        Some((path, snap)) if !snap.contains('/') => (path, Some(snap)),
        _ => (arg, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datasets() {
        for good in ["tank", "tank/jails/web", "zroot/pot/jails/a_b-c.d:e"] {
            check_dataset(good).unwrap();
        }
        for bad in
            ["", "-R", "tank/", "/tank", "tank//a", "tank/../etc", "tank/a b", "tank/a;rm", "1tank", "t@x"]
        {
            assert!(check_dataset(bad).is_err(), "{bad}");
        }
        assert!(check_dataset(&"a".repeat(256)).is_err());
    }

    #[test]
    fn snapshots() {
        assert_eq!(split_snapshot("tank/a@s1").unwrap(), ("tank/a", "s1"));
        for bad in ["tank/a", "tank/a@", "@s", "tank/a@s@t", "tank/a@s/x", "-i@s"] {
            assert!(split_snapshot(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert!(is_path("/usr/local/appjail/jails/web/jail"));
        assert!(is_path("./jail"));
        assert!(!is_path("tank/jails"));
        assert_eq!(split_path_snapshot("/nonexistent/x@snap"), ("/nonexistent/x", Some("snap")));
        assert_eq!(split_path_snapshot("/tmp"), ("/tmp", None));
    }
}
