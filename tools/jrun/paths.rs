//! Paths inside a jail's root, for the FreeBSD side, on jcore's one confinement primitive
//! (`jcore::confine`: symlinks resolved as the jail would see them, `..` stopping at the
//! root, every component opened by descriptor). FreeBSD's nmount(2) and jail_set(2) take
//! names; jrun hands them names derived from descriptors only: a mount point is opened
//! confined and then mounted on as the current directory (`fspath` "."), so nothing is
//! looked up by name between the check and the use, and a symlink swapped into DIR during
//! setup cannot send a mount (made as host root) outside DIR.
//!
//! Compiled on every platform so that its tests run everywhere; only freebsd.rs uses it.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use jcore::confine::{self, Kind};
use rustix::fs::{Mode, OFlags};

/// A path inside the jail's root, opened.
#[derive(Debug)]
pub struct Located {
    /// An O_PATH descriptor of it.
    pub fd: OwnedFd,
    /// The path the walk ended at inside the root: absolute, no symlinks, no `..`.
    pub inside: PathBuf,
    /// Its host path: the root's host path and the path the walk ended at inside the root
    /// (for messages, and to find the mount made on it in the mount table).
    pub host: PathBuf,
}

/// The root directory `root` (a canonical host path), opened to resolve paths in.
pub fn open_root(root: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(root, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?)
}

/// Opens `path` (inside the jail) under `root_fd`, whose host path is `root`; with `create`,
/// what is missing is made first (directories, and the last component as `create` says).
pub fn locate(
    root_fd: BorrowedFd<'_>,
    root: &Path,
    path: &Path,
    create: Option<Kind>,
) -> io::Result<Located> {
    let (fd, inside) = confine::locate_in_root(root_fd, path, create)?;
    let host = root.join(inside.strip_prefix("/").unwrap_or(&inside));
    let host = host.components().collect();
    Ok(Located { fd, inside, host })
}

/// Checks that the working directory `path` is a directory inside the jail.
pub fn check_directory(root_fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    confine::open_in_root(root_fd, path, OFlags::PATH | OFlags::DIRECTORY).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_and_dotdot_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("usr/etc")).unwrap();
        symlink("/usr/etc", root.join("etc")).unwrap();
        symlink("../../../../..", root.join("usr/up")).unwrap();
        let fd = open_root(&root).unwrap();
        let at = |path: &str| locate(fd.as_fd(), &root, Path::new(path), None).map(|l| l.host);
        assert_eq!(at("/etc").unwrap(), root.join("usr/etc"));
        assert_eq!(at("/../../etc").unwrap(), root.join("usr/etc"));
        assert_eq!(at("/usr/up/usr").unwrap(), root.join("usr"));
        assert_eq!(at("/").unwrap(), root);
        symlink("loop", root.join("loop")).unwrap();
        assert!(at("/loop/x").is_err());
    }

    #[test]
    fn mount_points_are_made_inside_the_root_even_through_a_hostile_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        let host = base.join("host");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&host).unwrap();
        // The image's /dev points at a host directory by absolute path: inside the root,
        // that is /<host path>, made there, never on the host.
        symlink(&host, root.join("dev")).unwrap();
        let fd = open_root(&root).unwrap();
        let dev = locate(fd.as_fd(), &root, Path::new("/dev"), Some(Kind::Directory)).unwrap();
        assert_eq!(dev.host, root.join(host.strip_prefix("/").unwrap()));
        assert_eq!(dev.inside, host);
        assert!(dev.host.is_dir());
        let stat = rustix::fs::fstat(&dev.fd).unwrap();
        assert_eq!(rustix::fs::FileType::from_raw_mode(stat.st_mode), rustix::fs::FileType::Directory);
        let file = locate(fd.as_fd(), &root, Path::new("/etc/resolv.conf"), Some(Kind::File)).unwrap();
        assert_eq!(file.host, root.join("etc/resolv.conf"));
        assert!(file.host.is_file());
        assert_eq!(std::fs::read_dir(&host).unwrap().count(), 0, "nothing made on the host");
        check_directory(fd.as_fd(), Path::new("/etc")).unwrap();
        assert!(check_directory(fd.as_fd(), Path::new("/etc/resolv.conf")).is_err());
        assert!(check_directory(fd.as_fd(), Path::new("/missing")).is_err());
    }
}
