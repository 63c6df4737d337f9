//! Paths inside a jail's root, resolved on the host side as the jail would see them: symlinks
//! in the image are followed relative to the root, and `..` stops at the root. Without this,
//! an image whose /etc is a symlink to an absolute path would make jrun read, or mount over,
//! a host path.

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Symlinks followed before giving up, as Linux's MAXSYMLINKS.
const MAX_SYMLINKS: usize = 40;

/// The host path of `path` (taken as absolute inside the jail) under `root`. The last
/// components need not exist; existing ones are resolved through symlinks within the root.
pub fn resolve_in_root(root: &Path, path: &Path) -> io::Result<PathBuf> {
    let mut resolved = PathBuf::new();
    // Components still to walk, last one first.
    let mut pending: Vec<OsString> = Vec::new();
    push_components(&mut pending, path);
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = root.join(&resolved).join(&part);
        match std::fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = std::fs::read_link(&candidate)?;
                if target.is_absolute() {
                    resolved.clear();
                }
                push_components(&mut pending, &target);
            }
            _ => resolved.push(&part),
        }
    }
    Ok(root.join(resolved))
}

fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    for component in path.components().rev() {
        match component {
            Component::Normal(name) => pending.push(name.to_os_string()),
            Component::ParentDir => pending.push("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
}

/// Makes sure `path` (inside the jail) exists, as a directory or as an empty file, so that
/// something can be mounted on it; returns its host path.
pub fn mount_point(root: &Path, path: &Path, directory: bool) -> io::Result<PathBuf> {
    let host = resolve_in_root(root, path)?;
    if std::fs::symlink_metadata(&host).is_ok() {
        return Ok(host);
    }
    if directory {
        std::fs::create_dir_all(&host)?;
    } else {
        if let Some(parent) = host.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&host)?;
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_and_dotdot_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/etc")).unwrap();
        symlink("/usr/etc", root.join("etc")).unwrap();
        symlink("../../../../..", root.join("usr/up")).unwrap();
        assert_eq!(resolve_in_root(root, Path::new("/etc/passwd")).unwrap(), root.join("usr/etc/passwd"));
        assert_eq!(resolve_in_root(root, Path::new("/../../etc")).unwrap(), root.join("usr/etc"));
        assert_eq!(resolve_in_root(root, Path::new("/usr/up/tmp")).unwrap(), root.join("tmp"));
        symlink("loop", root.join("loop")).unwrap();
        assert!(resolve_in_root(root, Path::new("/loop/x")).is_err());
    }
}
