//! Thin safe wrappers over the `*at` system calls the extractor needs. Every call that takes
//! a name works relative to an open directory and never follows a symlink in that name,
//! which is what keeps a hostile archive inside the target directory.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A byte string as a C string (a name with a NUL byte cannot exist on disk).
pub fn c_name(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

/// Opens a directory by path (the extraction root; symlinks in DIR itself are the user's choice).
pub fn open_root(path: &Path) -> io::Result<OwnedFd> {
    let c = c_name(path.as_os_str().as_bytes())?;
    // SAFETY: c is a valid NUL-terminated string; the returned fd is owned by us.
    let fd = check(unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) })?;
    // SAFETY: fd was just returned by open and is not owned elsewhere.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens the directory `name` under `dir` without following a symlink.
pub fn open_dir_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    let c = c_name(name)?;
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: valid fd and C string; the returned fd is owned by us.
    let fd = check(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags) })?;
    // SAFETY: fd was just returned by openat.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Creates a new regular file `name` under `dir`; fails if anything already has that name.
pub fn create_file_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<File> {
    let c = c_name(name)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: valid fd and C string; the returned fd is owned by the File.
    let fd = check(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags, mode as libc::c_uint) })?;
    // SAFETY: fd was just returned by openat.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// `lstat` of `name` under `dir`; `None` when nothing has that name.
pub fn lstat_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<libc::stat>> {
    let c = c_name(name)?;
    // SAFETY: stat is plain data; fstatat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid fd, C string and out pointer.
    let ret = unsafe { libc::fstatat(dir.as_raw_fd(), c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
    if ret < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::NotFound { Ok(None) } else { Err(err) };
    }
    Ok(Some(st))
}

/// Removes `name` under `dir` (an empty directory when `directory`).
pub fn unlink_at(dir: BorrowedFd<'_>, name: &[u8], directory: bool) -> io::Result<()> {
    let c = c_name(name)?;
    let flags = if directory { libc::AT_REMOVEDIR } else { 0 };
    // SAFETY: valid fd and C string.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), flags) }).map(drop)
}

/// Creates the directory `name` under `dir`.
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: valid fd and C string.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), c.as_ptr(), mode as libc::mode_t) }).map(drop)
}

/// Creates the symlink `name` under `dir` pointing at `target` (never followed by us).
pub fn symlink_at(target: &[u8], dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let t = c_name(target)?;
    let c = c_name(name)?;
    // SAFETY: valid C strings and fd.
    check(unsafe { libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), c.as_ptr()) }).map(drop)
}

/// Hard-links `old_name` under `old_dir` (not following a symlink) as `new_name` under `new_dir`.
pub fn link_at(
    old_dir: BorrowedFd<'_>,
    old_name: &[u8],
    new_dir: BorrowedFd<'_>,
    new_name: &[u8],
) -> io::Result<()> {
    let o = c_name(old_name)?;
    let n = c_name(new_name)?;
    // SAFETY: valid fds and C strings; flags 0 = do not follow a symlink at old_name.
    check(unsafe { libc::linkat(old_dir.as_raw_fd(), o.as_ptr(), new_dir.as_raw_fd(), n.as_ptr(), 0) })
        .map(drop)
}

/// Creates a fifo or device node `name` under `dir`.
pub fn mknod_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32, device: u64) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: valid fd and C string.
    check(unsafe { libc::mknodat(dir.as_raw_fd(), c.as_ptr(), mode as libc::mode_t, device as libc::dev_t) })
        .map(drop)
}

/// Changes the owner of `name` under `dir` without following a symlink.
pub fn chown_at(dir: BorrowedFd<'_>, name: &[u8], uid: u32, gid: u32) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: valid fd and C string.
    check(unsafe { libc::fchownat(dir.as_raw_fd(), c.as_ptr(), uid, gid, libc::AT_SYMLINK_NOFOLLOW) })
        .map(drop)
}

/// Changes the mode of `name` under `dir` (only called on fifos and device nodes just created).
pub fn chmod_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: valid fd and C string.
    check(unsafe { libc::fchmodat(dir.as_raw_fd(), c.as_ptr(), mode as libc::mode_t, 0) }).map(drop)
}

/// An mtime: seconds and nanoseconds.
pub type Time = (i64, i64);

fn times(mtime: Time) -> [libc::timespec; 2] {
    [
        libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT },
        libc::timespec { tv_sec: mtime.0 as libc::time_t, tv_nsec: mtime.1.clamp(0, 999_999_999) as _ },
    ]
}

/// Sets the mtime of `name` under `dir` without following a symlink (atime left alone).
pub fn set_mtime_at(dir: BorrowedFd<'_>, name: &[u8], mtime: Time) -> io::Result<()> {
    let c = c_name(name)?;
    let ts = times(mtime);
    // SAFETY: valid fd, C string and two timespecs.
    check(unsafe { libc::utimensat(dir.as_raw_fd(), c.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) })
        .map(drop)
}

/// Sets the mtime of an open file (atime left alone).
pub fn set_mtime(fd: BorrowedFd<'_>, mtime: Time) -> io::Result<()> {
    let ts = times(mtime);
    // SAFETY: valid fd and two timespecs.
    check(unsafe { libc::futimens(fd.as_raw_fd(), ts.as_ptr()) }).map(drop)
}

/// Changes the owner of an open file.
pub fn chown(fd: BorrowedFd<'_>, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: valid fd.
    check(unsafe { libc::fchown(fd.as_raw_fd(), uid, gid) }).map(drop)
}

/// Changes the mode of an open file.
pub fn chmod(fd: BorrowedFd<'_>, mode: u32) -> io::Result<()> {
    // SAFETY: valid fd.
    check(unsafe { libc::fchmod(fd.as_raw_fd(), mode as libc::mode_t) }).map(drop)
}

/// Sets an extended attribute on an open file.
#[cfg(target_os = "linux")]
pub fn set_xattr(fd: BorrowedFd<'_>, name: &[u8], value: &[u8]) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: valid fd, C string and value buffer.
    check(unsafe { libc::fsetxattr(fd.as_raw_fd(), c.as_ptr(), value.as_ptr().cast(), value.len(), 0) })
        .map(drop)
}

/// Removes the extended attributes of an open file that are not in `keep` (names). Linux
/// only; elsewhere nothing is removed (FreeBSD's extattr namespaces would need a listing
/// per namespace: not done, layers applied there keep a directory's old extattrs).
#[cfg(target_os = "linux")]
pub fn remove_other_xattrs(fd: BorrowedFd<'_>, keep: &[&[u8]]) -> io::Result<()> {
    let mut names = vec![0u8; 1024];
    let len = loop {
        // SAFETY: valid fd and buffer of the given length.
        let ret = unsafe { libc::flistxattr(fd.as_raw_fd(), names.as_mut_ptr().cast(), names.len()) };
        if ret >= 0 {
            break ret as usize;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ERANGE) => names.resize(names.len() * 4, 0),
            Some(libc::ENOTSUP) => return Ok(()),
            _ => return Err(err),
        }
    };
    for name in names[..len].split(|&b| b == 0).filter(|n| !n.is_empty() && !keep.contains(n)) {
        let c = c_name(name)?;
        // SAFETY: valid fd and C string.
        if unsafe { libc::fremovexattr(fd.as_raw_fd(), c.as_ptr()) } < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::ENODATA) {
                return Err(err);
            }
        }
    }
    Ok(())
}

/// See the Linux version: nothing is removed here.
#[cfg(not(target_os = "linux"))]
pub fn remove_other_xattrs(_fd: BorrowedFd<'_>, _keep: &[&[u8]]) -> io::Result<()> {
    Ok(())
}

/// FreeBSD has extattr(2) namespaces instead of name prefixes: `user.NAME` is NAME in the
/// user namespace and `system.NAME` NAME in the system namespace (libarchive's mapping,
/// what bsdtar restores). Any other prefix has no place there: [`io::ErrorKind::Unsupported`]
/// (the extractor warns and goes on).
#[cfg(target_os = "freebsd")]
pub fn set_xattr(fd: BorrowedFd<'_>, name: &[u8], value: &[u8]) -> io::Result<()> {
    let (namespace, attr) = extattr_namespace(name)?;
    let c = c_name(attr)?;
    // SAFETY: valid fd, C string and value buffer.
    let ret = unsafe {
        libc::extattr_set_fd(fd.as_raw_fd(), namespace, c.as_ptr(), value.as_ptr().cast(), value.len())
    };
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
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

/// Neither Linux nor FreeBSD: no extended attributes.
#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub fn set_xattr(_fd: BorrowedFd<'_>, _name: &[u8], _value: &[u8]) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Neither Linux nor FreeBSD: no extended attributes are read.
#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub fn xattrs(_path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    Ok(Vec::new())
}

/// The extended attributes of a path (not following a symlink), sorted by name. A file
/// system without xattr support has none.
#[cfg(target_os = "linux")]
pub fn xattrs(path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let c = c_name(path.as_os_str().as_bytes())?;
    let mut names = vec![0u8; 1024];
    let len = loop {
        // SAFETY: valid C string and buffer of the given length.
        let ret = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
        if ret >= 0 {
            break ret as usize;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ERANGE) => names.resize(names.len() * 4, 0),
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(err),
        }
    };
    let mut out = Vec::new();
    for name in names[..len].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        if let Some(value) = xattr_value(&c, name)? {
            out.push((name.to_vec(), value));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(target_os = "linux")]
fn xattr_value(path: &CString, name: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let cname = c_name(name)?;
    let mut value = vec![0u8; 256];
    loop {
        // SAFETY: valid C strings and buffer of the given length.
        let ret =
            unsafe { libc::lgetxattr(path.as_ptr(), cname.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
        if ret >= 0 {
            value.truncate(ret as usize);
            return Ok(Some(value));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ERANGE) => value.resize(value.len() * 4, 0),
            // Removed between list and get.
            Some(libc::ENODATA) => return Ok(None),
            _ => return Err(err),
        }
    }
}

/// The effective user is root (owners and device nodes can be restored).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A device number from its parts.
// The libc types differ between Linux (u32) and FreeBSD (i32).
#[allow(clippy::unnecessary_cast)]
pub fn makedev(major: u32, minor: u32) -> u64 {
    libc::makedev(major as _, minor as _) as u64
}

/// The parts of a device number.
#[allow(clippy::unnecessary_cast)]
pub fn major_minor(device: u64) -> (u32, u32) {
    let d = device as libc::dev_t;
    (libc::major(d) as u32, libc::minor(d) as u32)
}

/// `fnmatch(3)` without flags, as GNU tar matches `--exclude` (a `*` also matches `/`).
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
    let mut flags: libc::c_long = 0;
    // SAFETY: valid fd; FS_IOC_GETFLAGS writes a long (the kernel reads an int's worth).
    check(unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_GETFLAGS as _, &mut flags) })?;
    Ok(flags as u64 & 0xffff_ffff)
}

/// Sets the file flags of an open file.
#[cfg(target_os = "linux")]
pub fn set_flags(fd: BorrowedFd<'_>, flags: u64) -> io::Result<()> {
    let value = flags as libc::c_long;
    // SAFETY: valid fd and pointer to the value.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_SETFLAGS as _, &value) }).map(drop)
}

#[cfg(target_os = "linux")]
const FS_IOC_GETFLAGS: u64 = 0x8008_6601;
#[cfg(target_os = "linux")]
const FS_IOC_SETFLAGS: u64 = 0x4008_6602;

#[cfg(target_os = "freebsd")]
pub fn flags(fd: BorrowedFd<'_>) -> io::Result<u64> {
    // SAFETY: stat is plain data; fstat fills it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid fd and out pointer.
    check(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(u64::from(st.st_flags))
}

#[cfg(target_os = "freebsd")]
pub fn set_flags(fd: BorrowedFd<'_>, flags: u64) -> io::Result<()> {
    // SAFETY: valid fd.
    check(unsafe { libc::fchflags(fd.as_raw_fd(), flags as libc::c_ulong) }).map(drop)
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
    let c = c_name(name)?;
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    // SAFETY: valid fd and C string; the returned fd is owned by us.
    let fd = check(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags) })?;
    // SAFETY: fd was just returned by openat.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens the existing regular file `name` under `dir` for writing (a hard link whose
/// header carries data), without following a symlink.
pub fn open_write_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<File> {
    let c = c_name(name)?;
    let flags = libc::O_WRONLY | libc::O_TRUNC | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: valid fd and C string; the returned fd is owned by the File.
    let fd = check(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags) })?;
    // SAFETY: fd was just returned by openat.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// The process umask (read by setting and restoring it; the extractor is single-threaded).
pub fn umask() -> u32 {
    // SAFETY: umask has no preconditions.
    let mask = unsafe { libc::umask(0o022) };
    // SAFETY: as above.
    unsafe { libc::umask(mask) };
    #[allow(clippy::unnecessary_cast)]
    let mask = mask as u32;
    mask
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
    let c = c_name(path.as_os_str().as_bytes())?;
    // SAFETY: statfs is plain data filled by statfs(2).
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and out pointer.
    check(unsafe { libc::statfs(c.as_ptr(), &mut st) })?;
    #[allow(clippy::unnecessary_cast)]
    let magic = st.f_type as i64;
    Ok(KINDS.iter().find(|(m, _)| *m == magic).map(|(_, kind)| *kind))
}

#[cfg(target_os = "freebsd")]
pub fn is_virtual_fs(path: &Path) -> io::Result<Option<&'static str>> {
    const KINDS: &[&str] = &["devfs", "fdescfs", "procfs", "linprocfs", "linsysfs", "nullfs", "mqueuefs"];
    let c = c_name(path.as_os_str().as_bytes())?;
    // SAFETY: statfs is plain data filled by statfs(2).
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and out pointer.
    check(unsafe { libc::statfs(c.as_ptr(), &mut st) })?;
    // SAFETY: f_fstypename is a NUL-terminated array filled by the kernel.
    let name = unsafe { std::ffi::CStr::from_ptr(st.f_fstypename.as_ptr()) }.to_bytes();
    Ok(KINDS.iter().find(|k| k.as_bytes() == name).copied())
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
pub fn is_virtual_fs(_path: &Path) -> io::Result<Option<&'static str>> {
    Ok(None)
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

/// FreeBSD: the extattrs of a path (not following a symlink) in the user and system
/// namespaces, named `user.NAME` and `system.NAME` as libarchive names them (so that
/// `SCHILY.xattr.user.NAME` restores them on FreeBSD and as xattrs on Linux). A file
/// system without extattrs, or a system namespace we may not read, has none.
#[cfg(target_os = "freebsd")]
pub fn xattrs(path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let c = c_name(path.as_os_str().as_bytes())?;
    let mut out = Vec::new();
    for (namespace, prefix) in [(1, &b"user."[..]), (2, b"system.")] {
        // SAFETY: a null buffer asks for the size.
        let len = unsafe { libc::extattr_list_link(c.as_ptr(), namespace, std::ptr::null_mut(), 0) };
        if len <= 0 {
            continue;
        }
        let mut list = vec![0u8; len as usize];
        // SAFETY: valid C string and buffer of the given length.
        let len =
            unsafe { libc::extattr_list_link(c.as_ptr(), namespace, list.as_mut_ptr().cast(), list.len()) };
        if len <= 0 {
            continue;
        }
        list.truncate(len as usize);
        // Each name is one length byte followed by that many bytes (extattr_list_file(2)).
        let mut at = 0;
        while at < list.len() {
            let n = list[at] as usize;
            let name = &list[(at + 1).min(list.len())..(at + 1 + n).min(list.len())];
            at += 1 + n;
            let cname = c_name(name)?;
            // SAFETY: as above.
            let size = unsafe {
                libc::extattr_get_link(c.as_ptr(), namespace, cname.as_ptr(), std::ptr::null_mut(), 0)
            };
            if size < 0 {
                continue;
            }
            let mut value = vec![0u8; size as usize];
            // SAFETY: as above.
            let got = unsafe {
                libc::extattr_get_link(
                    c.as_ptr(),
                    namespace,
                    cname.as_ptr(),
                    value.as_mut_ptr().cast(),
                    value.len(),
                )
            };
            if got < 0 {
                continue;
            }
            value.truncate(got as usize);
            out.push(([prefix, name].concat(), value));
        }
    }
    out.sort();
    Ok(out)
}

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
}
