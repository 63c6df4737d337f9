//! Root confinement: open (or create) a path inside a directory tree as if that directory
//! were `/`, without ever leaving it, and hand back a descriptor to work on.
//!
//! Why descriptors: a path checked by name and then used by name can be swapped in between
//! (a symlink put in place of a directory by whoever owns the tree). Here every component is
//! opened relative to the descriptor of its parent, so what is finally opened is reached
//! through the tree only, and the caller then acts on the descriptor (fstat, read,
//! `move_mount` onto it, `/proc/self/fd/N`), never on the name again.
//!
//! Semantics are those of Linux's `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`:
//! absolute symlinks start again at the root, `..` stops at the root, at most 40 symlinks.
//! On Linux 5.6 and later that system call does the work; elsewhere (FreeBSD, older
//! kernels, or a seccomp filter that refuses openat2) a walk one component at a time with
//! `openat(O_NOFOLLOW)` gives the same answer: a symlink is never followed by the kernel,
//! its text is read with `readlinkat` and walked here, with `..` taken from the stack of
//! directories already opened (never `..` of the file system, which a concurrent rename
//! could turn into a way out). Magic links of /proc (`/proc/self/fd/N`) are thereby never
//! followed either: their text is resolved inside the root like any other symlink.
//!
//! [`create_in_root`] makes missing components (`mkdir -p`, or an empty file last) with
//! the same walk, for mount points. What it creates is created in the directory it walked
//! to, by descriptor: a component swapped for a symlink after its creation is not followed.
//!
//! Meant to be the one confinement primitive of jtools: jrun's mount points and image files
//! use it; jsnap's extractor (`tree/extract.rs`) walks the same way and can move onto it.
//! It deliberately does not decide policy (which file types are acceptable, sizes): callers
//! check the descriptor they get; [`read_regular_file`] is the common case of a small file.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

/// Symlinks followed before giving up, as Linux's MAXSYMLINKS.
const MAX_SYMLINKS: usize = 40;

/// What [`create_in_root`] makes when the last component is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A directory (mode 0755).
    Directory,
    /// An empty regular file (a mount point for a file).
    File,
}

/// Opens `path` (taken as absolute inside `root`, whatever its leading `/`) with `flags`
/// (O_CLOEXEC is added), every symlink resolved inside `root`. An empty path or `/` opens
/// the root itself.
pub fn open_in_root(root: BorrowedFd<'_>, path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::ResolveFlags;
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        for _ in 0..3 {
            match rustix::fs::openat2(root, path, flags | OFlags::CLOEXEC, Mode::empty(), resolve) {
                Ok(fd) => return Ok(fd),
                // A rename somewhere in the tree during the lookup; the kernel asks to retry.
                Err(rustix::io::Errno::AGAIN) => continue,
                // Not this kernel, or refused by a seccomp filter: walk instead.
                Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM | rustix::io::Errno::INVAL) => break,
                Err(rustix::io::Errno::TOOBIG) => break,
                Err(e) => return Err(e.into()),
            }
        }
    }
    #[cfg(target_os = "freebsd")]
    {
        // O_RESOLVE_BENEATH does the walk in the kernel for the common case, a path that
        // never leaves the root (no `..` above it, no absolute symlink): the answer is then
        // the one the walk gives, in one system call. Anything else (ENOTCAPABLE when the
        // lookup would leave the root) is left to the walk, whose answer is authoritative.
        let beneath = flags | OFlags::RESOLVE_BENEATH | OFlags::CLOEXEC;
        let relative = path.strip_prefix("/").unwrap_or(path);
        let relative = if relative.as_os_str().is_empty() { Path::new(".") } else { relative };
        if beneath_is_enforced(root)
            && let Ok(fd) = rustix::fs::openat(root, relative, beneath, Mode::empty())
        {
            return Ok(fd);
        }
    }
    walk(root, path, flags, None)
}

/// Whether this kernel enforces O_RESOLVE_BENEATH (FreeBSD 13 and later): before, open(2)
/// ignored the unknown flag, and a path would be followed out of the root. Asked once: `..`
/// of the root must be refused.
#[cfg(target_os = "freebsd")]
fn beneath_is_enforced(root: BorrowedFd<'_>) -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    // 0: not asked yet, 1: enforced, 2: not.
    static ENFORCED: AtomicU8 = AtomicU8::new(0);
    match ENFORCED.load(Ordering::Relaxed) {
        1 => return true,
        2 => return false,
        _ => {}
    }
    let probe = OFlags::PATH | OFlags::DIRECTORY | OFlags::RESOLVE_BENEATH | OFlags::CLOEXEC;
    let enforced =
        matches!(rustix::fs::openat(root, "..", probe, Mode::empty()), Err(rustix::io::Errno::NOTCAPABLE));
    ENFORCED.store(if enforced { 1 } else { 2 }, Ordering::Relaxed);
    enforced
}

/// Like [`create_in_root`] (or, with `create` unset, [`open_in_root`] with `O_PATH`), and
/// also says where it ended: the path inside the root, absolute and free of symlinks and
/// `..`, of what the descriptor refers to. For interfaces that take a name after all
/// (FreeBSD's nmount(2) and jail_set(2)): the caller checks the name still leads to the
/// descriptor, or uses the name relative to it.
pub fn locate_in_root(
    root: BorrowedFd<'_>,
    path: &Path,
    create: Option<Kind>,
) -> io::Result<(OwnedFd, PathBuf)> {
    let mut names = Vec::new();
    let fd = walk_naming(root, path, OFlags::PATH, create, &mut names)?;
    let mut inside = PathBuf::from("/");
    inside.extend(names);
    Ok((fd, inside))
}

/// Like [`open_in_root`] with `O_PATH` (a descriptor to mount on, stat or open further),
/// creating what is missing first: directories for every missing component, and for the
/// last one a directory or an empty file as `kind` says. An existing last component is
/// taken as it is, whatever its type (the caller checks).
pub fn create_in_root(root: BorrowedFd<'_>, path: &Path, kind: Kind) -> io::Result<OwnedFd> {
    walk(root, path, OFlags::PATH, Some(kind))
}

/// Reads a regular file inside `root` of at most `limit` bytes. `Ok(None)` when it does not
/// exist; an error when it is anything but a regular file (a FIFO, a device, a directory) or
/// larger than `limit`. Opened without blocking (a FIFO cannot hang the reader) and checked
/// on the descriptor, then read no further than the limit (the file may grow meanwhile).
pub fn read_regular_file(root: BorrowedFd<'_>, path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = match open_in_root(root, path, flags) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    if stat.st_size as u64 > limit {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("larger than {limit} bytes")));
    }
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(std::fs::File::from(fd), limit + 1), &mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("larger than {limit} bytes")));
    }
    Ok(Some(bytes))
}

/// The component walk (see the module doc); creates what is missing when `create` is set.
fn walk(root: BorrowedFd<'_>, path: &Path, flags: OFlags, create: Option<Kind>) -> io::Result<OwnedFd> {
    walk_naming(root, path, flags, create, &mut Vec::new())
}

/// [`walk`], also leaving in `names` the components of where it ended, from the root down.
fn walk_naming(
    root: BorrowedFd<'_>,
    path: &Path,
    flags: OFlags,
    create: Option<Kind>,
    names: &mut Vec<OsString>,
) -> io::Result<OwnedFd> {
    names.clear();
    // Directories opened below the root, innermost last; `..` pops one (and its name).
    let mut stack: Vec<OwnedFd> = Vec::new();
    // Components still to walk, the next one last.
    let mut pending: Vec<OsString> = Vec::new();
    push_components(&mut pending, path);
    // Symlinks followed, and retries after a component changed under us.
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            stack.pop();
            names.pop();
            continue;
        }
        let last = pending.is_empty();
        let parent = stack.last().map_or(root, |fd| fd.as_fd());
        let open_flags = if last {
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC
        } else {
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
        };
        let opened = rustix::fs::openat(parent, &part, open_flags, Mode::empty());
        let error = match opened {
            Ok(fd) => {
                // O_PATH | O_NOFOLLOW opens a symlink itself instead of failing.
                let is_link = open_flags.contains(OFlags::PATH)
                    && FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode) == FileType::Symlink;
                if !is_link {
                    names.push(part);
                    if last {
                        return Ok(fd);
                    }
                    stack.push(fd);
                    continue;
                }
                rustix::io::Errno::LOOP
            }
            Err(e) => e,
        };
        match error {
            // A symlink where we refused to follow one (FreeBSD says EMLINK), or a
            // non-directory in the middle of the path: see whether it is a link.
            rustix::io::Errno::LOOP | rustix::io::Errno::MLINK | rustix::io::Errno::NOTDIR => {
                match rustix::fs::readlinkat(parent, &part, Vec::new()) {
                    Ok(target) => {
                        links += 1;
                        if links > MAX_SYMLINKS {
                            return Err(rustix::io::Errno::LOOP.into());
                        }
                        let target = OsStr::from_bytes(target.as_bytes());
                        if target.as_bytes().starts_with(b"/") {
                            stack.clear();
                            names.clear();
                        }
                        push_components(&mut pending, Path::new(target));
                    }
                    // Not a symlink (any more): a real non-directory, or it changed since
                    // the open; try again a bounded number of times.
                    Err(rustix::io::Errno::INVAL) if error != rustix::io::Errno::NOTDIR => {
                        links += 1;
                        if links > MAX_SYMLINKS {
                            return Err(error.into());
                        }
                        pending.push(part);
                    }
                    Err(_) => return Err(error.into()),
                }
            }
            rustix::io::Errno::NOENT if create.is_some() => {
                let made = if !last || create == Some(Kind::Directory) {
                    rustix::fs::mkdirat(parent, &part, Mode::from_raw_mode(0o755))
                } else {
                    let file_flags =
                        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                    rustix::fs::openat(parent, &part, file_flags, Mode::from_raw_mode(0o644)).map(drop)
                };
                match made {
                    // Someone else made it meanwhile: take what is there, as with mkdir -p.
                    Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(rustix::io::Errno::LOOP.into());
                }
                pending.push(part);
            }
            e => return Err(e.into()),
        }
    }
    // The path ended at a directory on the stack, or at the root.
    let here = stack.last().map_or(root, |fd| fd.as_fd());
    Ok(rustix::fs::openat(here, ".", flags | OFlags::CLOEXEC, Mode::empty())?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn dir_fd(path: &Path) -> OwnedFd {
        rustix::fs::open(path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap()
    }

    /// The path of what `fd` opened, as /proc tells it.
    fn where_is(fd: &OwnedFd) -> std::path::PathBuf {
        std::fs::read_link(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(fd))).unwrap()
    }

    fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/etc")).unwrap();
        std::fs::write(root.join("usr/etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
        std::fs::write(dir.path().join("outside"), "host\n").unwrap();
        symlink("/usr/etc", root.join("etc")).unwrap();
        symlink("../../../../..", root.join("usr/up")).unwrap();
        symlink("../outside", root.join("escape")).unwrap();
        symlink("/proc/self/root", root.join("magic")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        (dir, root)
    }

    /// Both ways must agree: openat2 (where the kernel has it) and the walk.
    fn both(root: &Path, path: &str, flags: OFlags) -> [io::Result<OwnedFd>; 2] {
        let fd = dir_fd(root);
        [open_in_root(fd.as_fd(), Path::new(path), flags), walk(fd.as_fd(), Path::new(path), flags, None)]
    }

    #[test]
    fn symlinks_and_dotdot_stay_inside_the_root() {
        let (_dir, root) = tree();
        let root = root.canonicalize().unwrap();
        for result in both(&root, "/etc/passwd", OFlags::RDONLY) {
            assert_eq!(where_is(&result.unwrap()), root.join("usr/etc/passwd"));
        }
        for result in both(&root, "/../../etc", OFlags::PATH) {
            assert_eq!(where_is(&result.unwrap()), root.join("usr/etc"));
        }
        for result in both(&root, "/usr/up/usr", OFlags::PATH) {
            assert_eq!(where_is(&result.unwrap()), root.join("usr"));
        }
        for result in both(&root, "escape", OFlags::RDONLY) {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::NotFound);
        }
        for result in both(&root, "/magic/etc", OFlags::PATH) {
            assert!(result.is_err(), "a magic link followed");
        }
        for result in both(&root, "/loop/x", OFlags::PATH) {
            assert_eq!(result.unwrap_err().raw_os_error(), Some(libc::ELOOP));
        }
        for result in both(&root, "/", OFlags::PATH | OFlags::DIRECTORY) {
            assert_eq!(where_is(&result.unwrap()), root);
        }
    }

    #[test]
    fn create_makes_what_is_missing_inside_the_root() {
        let (dir, root) = tree();
        let root = root.canonicalize().unwrap();
        let fd = dir_fd(&root);
        let made = create_in_root(fd.as_fd(), Path::new("/etc/a/b"), Kind::Directory).unwrap();
        assert_eq!(where_is(&made), root.join("usr/etc/a/b"));
        let file = create_in_root(fd.as_fd(), Path::new("/usr/up/f"), Kind::File).unwrap();
        assert_eq!(where_is(&file), root.join("f"));
        assert!(root.join("f").is_file());
        // `escape` points at ../outside, which inside the root is /outside: made there.
        create_in_root(fd.as_fd(), Path::new("/escape"), Kind::File).unwrap();
        assert!(root.join("outside").is_file());
        assert_eq!(std::fs::read(dir.path().join("outside")).unwrap(), b"host\n");
    }

    #[test]
    fn locate_names_where_the_walk_ended() {
        let (_dir, root) = tree();
        let root = root.canonicalize().unwrap();
        let fd = dir_fd(&root);
        for (path, inside) in [
            ("/etc/passwd", "/usr/etc/passwd"),
            ("/../../etc", "/usr/etc"),
            ("/usr/up/usr", "/usr"),
            ("usr/etc/..", "/usr"),
            ("/", "/"),
        ] {
            let (opened, named) = locate_in_root(fd.as_fd(), Path::new(path), None).unwrap();
            assert_eq!(named, Path::new(inside), "{path}");
            assert_eq!(
                where_is(&opened),
                root.join(&inside[1..]).components().collect::<PathBuf>(),
                "{path}"
            );
        }
        let (made, named) =
            locate_in_root(fd.as_fd(), Path::new("/etc/new/dir"), Some(Kind::Directory)).unwrap();
        assert_eq!(named, Path::new("/usr/etc/new/dir"));
        assert_eq!(where_is(&made), root.join("usr/etc/new/dir"));
        assert!(locate_in_root(fd.as_fd(), Path::new("/escape"), None).is_err());
        assert_eq!(
            locate_in_root(fd.as_fd(), Path::new("/loop/x"), None).unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
    }

    #[test]
    fn read_regular_file_refuses_fifos_devices_and_big_files() {
        let (_dir, root) = tree();
        let fd = dir_fd(&root);
        let text = read_regular_file(fd.as_fd(), Path::new("/etc/passwd"), 100).unwrap().unwrap();
        assert_eq!(text, b"root:x:0:0::/:/bin/sh\n");
        assert!(read_regular_file(fd.as_fd(), Path::new("/nothing"), 100).unwrap().is_none());
        assert!(read_regular_file(fd.as_fd(), Path::new("/etc/passwd"), 10).is_err());
        rustix::fs::mknodat(fd.as_fd(), "fifo", FileType::Fifo, Mode::from_raw_mode(0o644), 0).unwrap();
        assert!(read_regular_file(fd.as_fd(), Path::new("/fifo"), 100).is_err());
        symlink("/dev/zero", root.join("zero")).unwrap();
        assert!(read_regular_file(fd.as_fd(), Path::new("/zero"), 100).unwrap().is_none());
    }
}
