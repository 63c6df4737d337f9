//! The system calls of the tree code, named for what the writer and the extractor need.
//! Every call that takes a name works relative to an open directory and never follows a
//! symlink in that name, which is what keeps a hostile archive inside the target directory
//! (the walk from the root to that directory is [`crate::confine`]'s).
//!
//! The calls themselves are rustix's (the `*at` family, stat, times, owners, inode flags,
//! statfs, umask) and the `xattr` crate's (Linux xattrs, FreeBSD extattrs under the same
//! `user.`/`system.` names libarchive gives them). What is still written by hand here has
//! no crate that covers it, each said where it is: FreeBSD's `fchflags(2)` and
//! `fnmatch(3)` (GNU tar's `--exclude` semantics, which no Rust glob crate reproduces).

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Timespec, Timestamps, Uid};

/// A byte string as a C string (a name with a NUL byte cannot exist on disk).
pub fn c_name(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))
}

/// Opens a directory by path (the extraction root; symlinks in DIR itself are the user's choice).
pub fn open_root(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?)
}

/// Opens the directory `name` under `dir` without following a symlink.
pub fn open_dir_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// Creates a new regular file `name` under `dir`; fails if anything already has that name.
pub fn create_file_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(mode as _))?.into())
}

/// The type of `name` under `dir` (not following a symlink); `None` when nothing has that name.
pub fn file_type_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<FileType>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode as _))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Removes `name` under `dir` (an empty directory when `directory`).
pub fn unlink_at(dir: BorrowedFd<'_>, name: &[u8], directory: bool) -> io::Result<()> {
    let flags = if directory { AtFlags::REMOVEDIR } else { AtFlags::empty() };
    Ok(rustix::fs::unlinkat(dir, name, flags)?)
}

/// Creates the directory `name` under `dir`.
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<()> {
    Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(mode as _))?)
}

/// Creates the symlink `name` under `dir` pointing at `target` (never followed by us).
pub fn symlink_at(target: &[u8], dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    Ok(rustix::fs::symlinkat(target, dir, name)?)
}

/// Hard-links `old_name` under `old_dir` (not following a symlink) as `new_name` under `new_dir`.
pub fn link_at(
    old_dir: BorrowedFd<'_>,
    old_name: &[u8],
    new_dir: BorrowedFd<'_>,
    new_name: &[u8],
) -> io::Result<()> {
    // No AT_SYMLINK_FOLLOW: a symlink at old_name is linked itself, never its target.
    Ok(rustix::fs::linkat(old_dir, old_name, new_dir, new_name, AtFlags::empty())?)
}

/// Creates a fifo or device node `name` under `dir` (`file_type` says which).
pub fn mknod_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
    file_type: FileType,
    mode: u32,
    device: u64,
) -> io::Result<()> {
    Ok(rustix::fs::mknodat(dir, name, file_type, Mode::from_raw_mode(mode as _), device as _)?)
}

/// The owner ids as rustix takes them: -1 (u32::MAX) is "leave as it is" for chown(2), which
/// is what an archive's id of 4294967295 always did here.
fn owner(uid: u32, gid: u32) -> (Option<Uid>, Option<Gid>) {
    ((uid != u32::MAX).then(|| Uid::from_raw(uid)), (gid != u32::MAX).then(|| Gid::from_raw(gid)))
}

/// Changes the owner of `name` under `dir` without following a symlink.
pub fn chown_at(dir: BorrowedFd<'_>, name: &[u8], uid: u32, gid: u32) -> io::Result<()> {
    let (uid, gid) = owner(uid, gid);
    Ok(rustix::fs::chownat(dir, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)?)
}

/// Changes the mode of `name` under `dir` (only called on fifos and device nodes just created).
pub fn chmod_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<()> {
    Ok(rustix::fs::chmodat(dir, name, Mode::from_raw_mode(mode as _), AtFlags::empty())?)
}

/// An mtime: seconds and nanoseconds.
pub type Time = (i64, i64);

fn times(mtime: Time) -> Timestamps {
    Timestamps {
        last_access: Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_OMIT },
        last_modification: Timespec { tv_sec: mtime.0 as _, tv_nsec: mtime.1.clamp(0, 999_999_999) as _ },
    }
}

/// Sets the mtime of `name` under `dir` without following a symlink (atime left alone).
pub fn set_mtime_at(dir: BorrowedFd<'_>, name: &[u8], mtime: Time) -> io::Result<()> {
    Ok(rustix::fs::utimensat(dir, name, &times(mtime), AtFlags::SYMLINK_NOFOLLOW)?)
}

/// Sets the mtime of an open file (atime left alone).
pub fn set_mtime(fd: BorrowedFd<'_>, mtime: Time) -> io::Result<()> {
    Ok(rustix::fs::futimens(fd, &times(mtime))?)
}

/// Changes the owner of an open file.
pub fn chown(fd: BorrowedFd<'_>, uid: u32, gid: u32) -> io::Result<()> {
    let (uid, gid) = owner(uid, gid);
    Ok(rustix::fs::fchown(fd, uid, gid)?)
}

/// Changes the mode of an open file.
pub fn chmod(fd: BorrowedFd<'_>, mode: u32) -> io::Result<()> {
    Ok(rustix::fs::fchmod(fd, Mode::from_raw_mode(mode as _))?)
}

/// A borrowed descriptor for the `xattr` crate, whose fd calls come as a trait on
/// `AsRawFd` types (it implements it for `File` only).
struct XattrFd<'a>(BorrowedFd<'a>);

impl AsRawFd for XattrFd<'_> {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl xattr::FileExt for XattrFd<'_> {}

/// "No such attribute" (removed meanwhile): ENODATA on Linux, ENOATTR on FreeBSD.
#[cfg(target_os = "linux")]
const NO_ATTRIBUTE: i32 = libc::ENODATA;
#[cfg(target_os = "freebsd")]
const NO_ATTRIBUTE: i32 = libc::ENOATTR;
#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
const NO_ATTRIBUTE: i32 = -1;

/// A file system without xattrs (or extattrs): it has none, which is not an error.
fn no_xattr_support(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EOPNOTSUPP) || e.kind() == io::ErrorKind::Unsupported
}

/// Sets an extended attribute on an open file. On FreeBSD, extattr(2) has namespaces
/// instead of name prefixes: `user.NAME` is NAME in the user namespace and `system.NAME`
/// NAME in the system namespace (libarchive's mapping, what bsdtar restores, and the
/// `xattr` crate's); any other prefix has no place there: [`io::ErrorKind::Unsupported`]
/// (the extractor warns and goes on).
pub fn set_xattr(fd: BorrowedFd<'_>, name: &[u8], value: &[u8]) -> io::Result<()> {
    if cfg!(target_os = "freebsd") {
        extattr_namespace(name)?;
    }
    xattr::FileExt::set_xattr(&XattrFd(fd), OsStr::from_bytes(name), value)
}

/// Removes the extended attributes of an open file that are not in `keep` (names).
pub fn remove_other_xattrs(fd: BorrowedFd<'_>, keep: &[&[u8]]) -> io::Result<()> {
    let file = XattrFd(fd);
    let names = match xattr::FileExt::list_xattr(&file) {
        Ok(names) => names,
        Err(e) if no_xattr_support(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for name in names.filter(|n| !keep.contains(&n.as_bytes())) {
        match xattr::FileExt::remove_xattr(&file, &name) {
            Err(e) if e.raw_os_error() != Some(NO_ATTRIBUTE) => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// The extattr namespace and the name inside it of an xattr name (see [`set_xattr`]).
#[cfg(any(target_os = "freebsd", test))]
pub fn extattr_namespace(name: &[u8]) -> io::Result<(libc::c_int, &[u8])> {
    // EXTATTR_NAMESPACE_USER = 1, EXTATTR_NAMESPACE_SYSTEM = 2 (sys/extattr.h).
    let unsupported = || io::Error::new(io::ErrorKind::Unsupported, "no such extattr namespace on FreeBSD");
    let (namespace, attr) = if let Some(attr) = name.strip_prefix(b"user.") {
        (1, attr)
    } else if let Some(attr) = name.strip_prefix(b"system.") {
        (2, attr)
    } else {
        return Err(unsupported());
    };
    if attr.is_empty() {
        return Err(unsupported());
    }
    Ok((namespace, attr))
}

#[cfg(not(any(target_os = "freebsd", test)))]
fn extattr_namespace(_name: &[u8]) -> io::Result<()> {
    Ok(())
}

/// The extended attributes of a path (not following a symlink), sorted by name. On FreeBSD
/// the extattrs of the user and system namespaces, named `user.NAME` and `system.NAME` as
/// libarchive names them (a system namespace we may not read has none). A file system
/// without xattr support has none.
pub fn xattrs(path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let names = match xattr::list(path) {
        Ok(names) => names,
        Err(e) if no_xattr_support(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for name in names {
        // UFS keeps ACLs as these system extattrs: they are archived as the ACLs they are
        // (`SCHILY.acl.*`, see acl.rs), and bsdtar skips the extattrs too.
        const ACL_EXTATTRS: &[&[u8]] =
            &[b"system.nfs4.acl", b"system.posix1e.acl_access", b"system.posix1e.acl_default"];
        if cfg!(target_os = "freebsd") && ACL_EXTATTRS.contains(&name.as_bytes()) {
            continue;
        }
        // None: removed between list and get.
        if let Some(value) = xattr::get(path, &name)? {
            out.push((name.into_vec(), value));
        }
    }
    out.sort();
    Ok(out)
}

/// The effective user is root (owners and device nodes can be restored).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A device number from its parts.
pub fn makedev(major: u32, minor: u32) -> u64 {
    rustix::fs::makedev(major, minor) as u64
}

/// The parts of a device number.
pub fn major_minor(device: u64) -> (u32, u32) {
    let d = device as rustix::fs::Dev;
    (rustix::fs::major(d), rustix::fs::minor(d))
}

/// `fnmatch(3)` without flags, as GNU tar matches `--exclude` (a `*` also matches `/`).
/// By hand: the C library's own matcher is the reference GNU tar uses; the glob crates
/// (glob, globset) differ in `*` across `/`, bracket and backslash handling.
pub fn fnmatch(pattern: &CString, name: &[u8]) -> bool {
    let Ok(n) = c_name(name) else { return false };
    // SAFETY: valid C strings.
    unsafe { libc::fnmatch(pattern.as_ptr(), n.as_ptr(), 0) == 0 }
}

/// The file flags that make a file unchangeable or unremovable (cleared before replacing a
/// file, restored last): immutable and append-only (Linux `FS_IMMUTABLE_FL | FS_APPEND_FL`;
/// FreeBSD `SF_IMMUTABLE | UF_IMMUTABLE | SF_APPEND | UF_APPEND | SF_NOUNLINK | UF_NOUNLINK`).
#[cfg(target_os = "linux")]
pub const LOCKING_FLAGS: u64 = 0x10 | 0x20;
#[cfg(target_os = "freebsd")]
#[allow(clippy::unnecessary_cast)] // the flag constants' type differs between libc versions
pub const LOCKING_FLAGS: u64 = (libc::SF_IMMUTABLE
    | libc::UF_IMMUTABLE
    | libc::SF_APPEND
    | libc::UF_APPEND
    | libc::SF_NOUNLINK
    | libc::UF_NOUNLINK) as u64;
#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub const LOCKING_FLAGS: u64 = 0;

/// The file flags of an open file (`FS_IOC_GETFLAGS` on Linux, `st_flags` on FreeBSD).
#[cfg(target_os = "linux")]
pub fn flags(fd: BorrowedFd<'_>) -> io::Result<u64> {
    Ok(u64::from(rustix::fs::ioctl_getflags(fd)?.bits()))
}

/// Sets the file flags of an open file.
#[cfg(target_os = "linux")]
pub fn set_flags(fd: BorrowedFd<'_>, flags: u64) -> io::Result<()> {
    let flags = rustix::fs::IFlags::from_bits_retain(flags as u32);
    Ok(rustix::fs::ioctl_setflags(fd, flags)?)
}

#[cfg(target_os = "freebsd")]
pub fn flags(fd: BorrowedFd<'_>) -> io::Result<u64> {
    Ok(u64::from(rustix::fs::fstat(fd)?.st_flags))
}

#[cfg(target_os = "freebsd")]
pub fn set_flags(fd: BorrowedFd<'_>, flags: u64) -> io::Result<()> {
    // By hand: neither rustix nor nix has fchflags(2) (nix only the path-based chflags).
    // SAFETY: valid fd.
    if unsafe { libc::fchflags(fd.as_raw_fd(), flags as libc::c_ulong) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub fn flags(_fd: BorrowedFd<'_>) -> io::Result<u64> {
    Ok(0)
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub fn set_flags(_fd: BorrowedFd<'_>, _flags: u64) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Opens `name` under `dir` to read or change its flags, without following a symlink or
/// blocking on a fifo.
pub fn open_for_flags_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// Opens the existing regular file `name` under `dir` for writing (a hard link whose
/// header carries data), without following a symlink.
pub fn open_write_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?.into())
}

/// The process umask (read by setting and restoring it; the extractor is single-threaded).
pub fn umask() -> u32 {
    let mask = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(mask);
    mask.bits() as u32
}

/// The kind of a kernel file system mounted at `path` (what a running jail mounts and an
/// image must not contain), `None` for an ordinary one. Linux: by `statfs` magic (tmpfs and
/// devtmpfs share one, so neither is listed); FreeBSD: by `f_fstypename`.
#[cfg(target_os = "linux")]
pub fn is_virtual_fs(path: &Path) -> io::Result<Option<&'static str>> {
    const KINDS: &[(i64, &str)] = &[
        (0x9fa0, "proc"),
        (0x6265_6572, "sysfs"),
        (0x1cd1, "devpts"),
        (0x0027_e0eb, "cgroup"),
        (0x6367_7270, "cgroup2"),
        (0x6462_6720, "debugfs"),
        (0x7472_6163, "tracefs"),
        (0x7363_6673, "securityfs"),
        (0xcafe_4a11, "bpf"),
        (0x1980_0202, "mqueue"),
        (0x6573_5543, "fusectl"),
        (0x4249_4e4d, "binfmt_misc"),
        (0x6165_676c, "pstore"),
        (0x6265_6570, "configfs"),
        (0xde5e_81e4, "efivarfs"),
    ];
    #[allow(clippy::unnecessary_cast)]
    let magic = rustix::fs::statfs(path)?.f_type as i64;
    Ok(KINDS.iter().find(|(m, _)| *m == magic).map(|(_, kind)| *kind))
}

#[cfg(target_os = "freebsd")]
pub fn is_virtual_fs(path: &Path) -> io::Result<Option<&'static str>> {
    const KINDS: &[&str] = &["devfs", "fdescfs", "procfs", "linprocfs", "linsysfs", "nullfs", "mqueuefs"];
    let st = rustix::fs::statfs(path)?;
    // f_fstypename: a NUL-terminated name in a fixed array.
    let name: Vec<u8> = st.f_fstypename.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    Ok(KINDS.iter().find(|k| k.as_bytes() == name).copied())
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub fn is_virtual_fs(_path: &Path) -> io::Result<Option<&'static str>> {
    Ok(None)
}

/// The data ranges `(offset, length)` of an open file of `size` bytes, found with
/// SEEK_DATA/SEEK_HOLE (a file system without them reports the whole file as data).
pub fn data_ranges(file: &File, size: u64) -> io::Result<Vec<(u64, u64)>> {
    use rustix::fs::SeekFrom;
    let fd = file.as_fd();
    let mut ranges = Vec::new();
    let mut at = 0u64;
    while at < size {
        let data = match rustix::fs::seek(fd, SeekFrom::Data(at)) {
            Ok(data) => data,
            // Only a hole from here on.
            Err(rustix::io::Errno::NXIO) => break,
            Err(e) => return Err(e.into()),
        };
        let hole = rustix::fs::seek(fd, SeekFrom::Hole(data))?.min(size);
        if hole > data {
            ranges.push((data, hole - data));
        }
        at = hole;
    }
    Ok(ranges)
}

/// File flags as the `SCHILY.fflags` text bsdtar writes (libarchive's names, in bit order),
/// `None` when no flag that an image keeps is set. Linux: immutable, append-only and nodump
/// (the `FS_*_FL` bits libarchive maps to `schg`, `sappnd`, `nodump`); ext4's bookkeeping
/// bits (extents, …) are not flags of the file's owner and are left out.
pub fn flags_text(flags: u64) -> Option<String> {
    let names: Vec<&str> =
        FLAG_NAMES.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, name)| *name).collect();
    (!names.is_empty()).then(|| names.join(","))
}

#[cfg(target_os = "linux")]
const FLAG_NAMES: &[(u64, &str)] = &[(0x20, "sappnd"), (0x10, "schg"), (0x40, "nodump")];

/// FreeBSD's chflags(2) bits (sys/stat.h) by the names libarchive and strtofflags(3) use.
#[cfg(target_os = "freebsd")]
const FLAG_NAMES: &[(u64, &str)] = &[
    (0x0000_0001, "nodump"),
    (0x0000_0002, "uchg"),
    (0x0000_0004, "uappnd"),
    (0x0000_0008, "opaque"),
    (0x0000_0010, "uunlnk"),
    (0x0000_0080, "system"),
    (0x0000_0100, "sparse"),
    (0x0000_0200, "offline"),
    (0x0000_0400, "reparse"),
    (0x0000_0800, "uarch"),
    (0x0000_1000, "rdonly"),
    (0x0000_8000, "hidden"),
    (0x0001_0000, "arch"),
    (0x0002_0000, "schg"),
    (0x0004_0000, "sappnd"),
    (0x0010_0000, "sunlnk"),
];

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
const FLAG_NAMES: &[(u64, &str)] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_text_names_the_flags_images_keep() {
        assert_eq!(flags_text(0), None);
        #[cfg(target_os = "linux")]
        {
            assert_eq!(flags_text(0x10 | 0x40).as_deref(), Some("schg,nodump"));
            assert_eq!(flags_text(0x80000), None, "ext4's extents flag is no file flag");
        }
        #[cfg(target_os = "freebsd")]
        assert_eq!(flags_text(0x20000 | 0x100000 | 0x800).as_deref(), Some("uarch,schg,sunlnk"));
    }

    #[test]
    fn freebsd_extattr_namespaces_follow_libarchive() {
        assert_eq!(extattr_namespace(b"user.comment").unwrap(), (1, &b"comment"[..]));
        assert_eq!(extattr_namespace(b"system.posix1e.acl_access").unwrap().0, 2);
        for refused in [&b"security.capability"[..], b"trusted.x", b"user.", b"comment"] {
            assert_eq!(extattr_namespace(refused).unwrap_err().kind(), io::ErrorKind::Unsupported);
        }
    }

    #[test]
    fn an_archive_id_of_minus_one_leaves_the_owner_alone() {
        assert_eq!(owner(u32::MAX, 5), (None, Some(Gid::from_raw(5))));
        assert_eq!(owner(0, u32::MAX), (Some(Uid::ROOT), None));
    }

    #[test]
    fn data_ranges_find_the_holes() {
        use std::os::unix::fs::FileExt;
        let dir = tempfile::tempdir().unwrap();
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.path().join("f"))
            .unwrap();
        file.write_all_at(b"data", 1 << 20).unwrap();
        file.set_len(4 << 20).unwrap();
        let ranges = data_ranges(&file, 4 << 20).unwrap();
        // The file system decides the granularity; the data is in one range, the rest holes.
        assert_eq!(ranges.len(), 1, "{ranges:?}");
        let (offset, len) = ranges[0];
        assert!(offset <= 1 << 20 && offset + len >= (1 << 20) + 4 && len < 4 << 20, "{ranges:?}");
    }
}
