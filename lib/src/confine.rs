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
//! A second mode, [`open_beneath`], refuses symlinks instead of resolving them: every
//! component, the last one included, must be a real directory (or the last one whatever
//! `flags` accept), never a symlink, and `..` must not leave the root. That is how an
//! extractor walks (a member never lands behind a symlink, bsdtar's "secure symlinks"), and
//! an OCI layer's whiteouts: a jail's own absolute symlinks must neither be followed out of
//! the tree nor, resolved inside it, redirect a member or a deletion elsewhere in it. Linux
//! 5.6 and later: `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`, one system call; the
//! walk (`openat(O_NOFOLLOW)` per component) everywhere else and to say which component was
//! refused and why. It can also create the missing directories on the way (`mkdir -p`).
//!
//! Setting `JTOOLS_CONFINE_WALK=1` in the environment makes both modes skip openat2 (and
//! FreeBSD's O_RESOLVE_BENEATH) and always walk: the tests run the hostile cases through
//! both paths this way, and it is a way out should a kernel's openat2 misbehave.
//!
//! The one confinement primitive of jtools: jrun's mount points and image files use
//! [`open_in_root`] and friends, jsnap's extractor and layers (`tree/extract.rs`)
//! [`open_beneath`]. It deliberately does not decide policy (which file types are
//! acceptable, sizes): callers check the descriptor they get; [`read_regular_file`] is the
//! common case of a small file.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

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
    if kernel_resolution() {
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
        if kernel_resolution()
            && beneath_is_enforced(root)
            && let Ok(fd) = rustix::fs::openat(root, relative, beneath, Mode::empty())
        {
            return Ok(fd);
        }
    }
    walk(root, path, flags, None)
}

/// Whether the kernel may resolve paths (openat2, O_RESOLVE_BENEATH) or the walk must do
/// it all: `JTOOLS_CONFINE_WALK=1` says walk (see the module doc). Asked once.
fn kernel_resolution() -> bool {
    static KERNEL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KERNEL.get_or_init(|| std::env::var_os("JTOOLS_CONFINE_WALK").is_none_or(|v| v.is_empty() || v == "0"))
}

/// What [`open_beneath`] refused or failed at.
#[derive(Debug)]
pub enum Refusal {
    /// A symlink where a directory (or the last component) was to be.
    Symlink,
    /// Something other than a directory in the middle of the path.
    NotDirectory,
    /// A `..` that would leave the root.
    Escape,
    /// Any other error (a missing component when not creating, permissions…).
    Io(io::Error),
}

/// Why [`open_beneath`] failed, and at which component.
#[derive(Debug)]
pub struct BeneathError {
    /// The path from the root to the component that failed, that component included (empty:
    /// the root itself).
    pub at: PathBuf,
    /// What went wrong there.
    pub why: Refusal,
}

impl std::fmt::Display for BeneathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = self.at.display();
        match &self.why {
            Refusal::Symlink => write!(f, "refused: '{at}' is a symlink"),
            Refusal::NotDirectory => write!(f, "refused: '{at}' is not a directory"),
            Refusal::Escape => write!(f, "refused: '{at}' leaves the root"),
            Refusal::Io(e) => write!(f, "{at}: {e}"),
        }
    }
}

impl std::error::Error for BeneathError {}

impl From<BeneathError> for io::Error {
    fn from(e: BeneathError) -> io::Error {
        let errno = match &e.why {
            Refusal::Symlink => rustix::io::Errno::LOOP,
            Refusal::NotDirectory => rustix::io::Errno::NOTDIR,
            Refusal::Escape => rustix::io::Errno::XDEV,
            Refusal::Io(io) => return io::Error::new(io.kind(), e.to_string()),
        };
        io::Error::new(io::Error::from(errno).kind(), e.to_string())
    }
}

/// Opens `path` (relative to `root`; a leading `/` is ignored) with `flags` (O_CLOEXEC is
/// added) without following any symlink on the way or at the end, and without `..` leaving
/// the root (see the module doc). With `create`, missing components are made as
/// directories (mode 0755 less the umask) on the way, the last one included: for opening
/// a directory to extract into. An empty path or `.` opens the root itself.
pub fn open_beneath(
    root: BorrowedFd<'_>,
    path: &Path,
    flags: OFlags,
    create: bool,
) -> Result<OwnedFd, BeneathError> {
    #[cfg(target_os = "linux")]
    if kernel_resolution() && !OPENAT2_MISSING.load(std::sync::atomic::Ordering::Relaxed) {
        use rustix::fs::ResolveFlags;
        let relative = path.strip_prefix("/").unwrap_or(path);
        let relative = if relative.as_os_str().is_empty() { Path::new(".") } else { relative };
        // NO_SYMLINKS implies NO_MAGICLINKS.
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
        for _ in 0..3 {
            match rustix::fs::openat2(root, relative, flags | OFlags::CLOEXEC, Mode::empty(), resolve) {
                Ok(fd) => return Ok(fd),
                // A rename somewhere in the tree during the lookup; the kernel asks to retry.
                Err(rustix::io::Errno::AGAIN) => continue,
                Err(rustix::io::Errno::NOSYS) => {
                    OPENAT2_MISSING.store(true, std::sync::atomic::Ordering::Relaxed);
                    break;
                }
                // Anything else (a symlink, a missing directory to create, a seccomp
                // filter's EPERM): the walk decides, and says where and why.
                Err(_) => break,
            }
        }
    }
    walk_beneath(root, path, flags, create)
}

/// openat2 answered ENOSYS once (a kernel before 5.6): not asked again.
#[cfg(target_os = "linux")]
static OPENAT2_MISSING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The walk of [`open_beneath`]: one component at a time, each opened with O_NOFOLLOW from
/// its parent's descriptor; a failure is told apart by what has that name (lstat, never
/// followed), which is what the error says.
fn walk_beneath(
    root: BorrowedFd<'_>,
    path: &Path,
    flags: OFlags,
    create: bool,
) -> Result<OwnedFd, BeneathError> {
    let parts: Vec<Component<'_>> =
        path.components().filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir)).collect();
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut names: Vec<&OsStr> = Vec::new();
    let fail = |names: &[&OsStr], why| BeneathError { at: names.iter().collect(), why };
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            if stack.pop().is_none() {
                return Err(fail(&[OsStr::new("..")], Refusal::Escape));
            }
            names.pop();
            continue;
        };
        names.push(name);
        let last = i + 1 == parts.len();
        let parent = stack.last().map_or(root, |fd| fd.as_fd());
        let open_flags = if last {
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC
        } else {
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
        };
        // Bounded retries: a component that changes between the open and the lstat.
        let mut tries = 0;
        let fd = loop {
            tries += 1;
            let error = match rustix::fs::openat(parent, *name, open_flags, Mode::empty()) {
                // O_PATH | O_NOFOLLOW opens a symlink itself instead of failing.
                Ok(fd) if open_flags.contains(OFlags::PATH) => match rustix::fs::fstat(&fd) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                        return Err(fail(&names, Refusal::Symlink));
                    }
                    Ok(_) => break fd,
                    Err(e) => return Err(fail(&names, Refusal::Io(e.into()))),
                },
                Ok(fd) => break fd,
                Err(e) => e,
            };
            let found = match rustix::fs::statat(parent, *name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => Some(FileType::from_raw_mode(st.st_mode)),
                Err(rustix::io::Errno::NOENT) => None,
                Err(_) => return Err(fail(&names, Refusal::Io(error.into()))),
            };
            match (error, found) {
                (_, Some(FileType::Symlink)) => return Err(fail(&names, Refusal::Symlink)),
                // A symlink refused (FreeBSD says EMLINK) or a non-directory in the middle.
                (
                    rustix::io::Errno::LOOP | rustix::io::Errno::MLINK | rustix::io::Errno::NOTDIR,
                    Some(kind),
                ) if kind != FileType::Directory => {
                    return Err(fail(&names, Refusal::NotDirectory));
                }
                (rustix::io::Errno::NOENT, None) if create && tries < 4 => {
                    match rustix::fs::mkdirat(parent, *name, Mode::from_raw_mode(0o755)) {
                        // Someone else made it meanwhile: take what is there, as with mkdir -p.
                        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                        Err(e) => return Err(fail(&names, Refusal::Io(e.into()))),
                    }
                }
                // It changed between the open and the lstat: try again, a few times.
                (
                    rustix::io::Errno::LOOP
                    | rustix::io::Errno::MLINK
                    | rustix::io::Errno::NOTDIR
                    | rustix::io::Errno::NOENT,
                    _,
                ) if tries < 4 => {}
                (e, _) => return Err(fail(&names, Refusal::Io(e.into()))),
            }
        };
        if last {
            return Ok(fd);
        }
        stack.push(fd);
    }
    // The path ended at a directory on the stack (after a `..`), or at the root.
    let here = stack.last().map_or(root, |fd| fd.as_fd());
    rustix::fs::openat(here, ".", flags | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| fail(&names, Refusal::Io(e.into())))
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

    /// Both ways of the beneath mode must agree: openat2 (where the kernel has it) and the walk.
    fn both_beneath(
        root: &Path,
        path: &str,
        flags: OFlags,
        create: bool,
    ) -> [Result<OwnedFd, BeneathError>; 2] {
        let fd = dir_fd(root);
        let path = Path::new(path);
        [open_beneath(fd.as_fd(), path, flags, create), walk_beneath(fd.as_fd(), path, flags, create)]
    }

    #[test]
    fn beneath_refuses_every_symlink_and_leaving_the_root() {
        let (dir, root) = tree();
        let root = root.canonicalize().unwrap();
        let dirs = OFlags::RDONLY | OFlags::DIRECTORY;
        for result in both_beneath(&root, "usr/etc/passwd", OFlags::RDONLY, false) {
            assert_eq!(where_is(&result.unwrap()), root.join("usr/etc/passwd"));
        }
        for result in both_beneath(&root, "", dirs, false) {
            assert_eq!(where_is(&result.unwrap()), root);
        }
        for result in both_beneath(&root, "usr/etc/..", dirs, false) {
            assert_eq!(where_is(&result.unwrap()), root.join("usr"));
        }
        // A symlink in the middle, at the end, absolute or relative, pointing in or out.
        for (path, at) in [
            ("etc/passwd", "etc"),
            ("etc", "etc"),
            ("usr/up/usr", "usr/up"),
            ("escape", "escape"),
            ("magic/etc", "magic"),
            ("loop/x", "loop"),
        ] {
            for result in both_beneath(&root, path, dirs, true) {
                let e = result.unwrap_err();
                assert!(matches!(e.why, Refusal::Symlink), "{path}: {e}");
                assert_eq!(e.at, Path::new(at), "{path}");
                assert_eq!(e.to_string(), format!("refused: '{at}' is a symlink"));
            }
        }
        for result in both_beneath(&root, "usr/etc/passwd/x", dirs, true) {
            let e = result.unwrap_err();
            assert!(matches!(e.why, Refusal::NotDirectory), "{e}");
            assert_eq!(e.at, Path::new("usr/etc/passwd"));
        }
        for result in both_beneath(&root, "../outside", OFlags::RDONLY, false) {
            assert!(result.is_err(), "left the root");
        }
        assert!(matches!(
            walk_beneath(dir_fd(&root).as_fd(), Path::new("usr/../.."), dirs, false).unwrap_err().why,
            Refusal::Escape
        ));
        for result in both_beneath(&root, "usr/none/x", dirs, false) {
            let e = result.unwrap_err();
            assert!(matches!(&e.why, Refusal::Io(io) if io.kind() == io::ErrorKind::NotFound), "{e}");
            assert_eq!(e.at, Path::new("usr/none"));
        }
        // Creation: missing directories on the way, the last one included; then found as made.
        for (i, result) in both_beneath(&root, "usr/new/a/b", dirs, true).into_iter().enumerate() {
            assert_eq!(where_is(&result.unwrap()), root.join("usr/new/a/b"), "way {i}");
        }
        assert_eq!(std::fs::read(dir.path().join("outside")).unwrap(), b"host\n");
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
