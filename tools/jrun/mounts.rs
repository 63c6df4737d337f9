//! Linux: the jail's root, built by descriptor with the new mount API (Linux 5.12).
//!
//! Nothing inside DIR is used by name after it is opened: DIR is opened once; every mount
//! point in it is opened (or created) through `jcore::confine`, confined to DIR; file systems
//! are made with fsopen/fsmount, copies of mount trees with open_tree, and all of them are
//! attached with move_mount onto those descriptors. So a symlink swapped into DIR while jrun
//! works can neither send a mount (or a mkdir) outside DIR nor make a step silently vanish:
//! every step either happens on what was opened or fails the run.
//!
//! Flags are set with mount_setattr on whole trees (`AT_RECURSIVE`): DIR and the --mount
//! binds are nosuid and nodev including every mount below them (device nodes come only from
//! jrun's own /dev), and --ro or `:ro` are read-only all the way down, not just at the top.
//!
//! Paths on the host side (DIR itself, --mount sources, /dev/null and friends) are the
//! operator's and are opened by name, once.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use anyhow::{Context, bail};
use jcore::confine::{self, Kind};
use rustix::fs::{CWD, FileType, Mode, OFlags};
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, fsconfig_create,
    fsconfig_set_flag, fsconfig_set_string, fsmount, fsopen, move_mount, open_tree,
};

use crate::plan::RootSetup;

/// Host device nodes bound into the jail's /dev.
const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// Parts of /proc that act on the whole machine (kernel settings, the magic SysRq key):
/// read-only in the jail, as Docker does.
const PROC_READ_ONLY: [&str; 5] = ["sys", "sysrq-trigger", "irq", "bus", "fs"];

/// A directory tree of the jail, ready to be made the root: `tree` is the root of a mount.
pub struct Root {
    pub tree: OwnedFd,
}

/// Mounts everything the jail sees on a copy of DIR's mount tree and attaches it over DIR.
/// The caller pivot_roots into [`Root::tree`].
pub fn build_root(setup: &RootSetup) -> anyhow::Result<Root> {
    // From here on, nothing mounted propagates back to the host.
    rustix::mount::mount_change(
        "/",
        rustix::mount::MountPropagationFlags::PRIVATE | rustix::mount::MountPropagationFlags::REC,
    )
    .context("make / private")?;
    let dir =
        rustix::fs::open(&setup.root, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .with_context(|| setup.root.display().to_string())?;

    // Mount points first, created where missing while DIR may still be written (--ro comes
    // next). Each --mount source is copied (open_tree) now too, to know its kind.
    make_point(dir.as_fd(), "/proc", Kind::Directory).context("/proc")?;
    make_point(dir.as_fd(), "/dev", Kind::Directory).context("/dev")?;
    let mut binds = Vec::with_capacity(setup.mounts.len());
    for spec in &setup.mounts {
        let what = || format!("--mount {}:{}", spec.source.display(), spec.target.display());
        let flags =
            OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC | OpenTreeFlags::AT_RECURSIVE;
        let source = open_tree(CWD, &spec.source, flags).map_err(io::Error::from).with_context(what)?;
        let kind = if is_dir(source.as_fd())? { Kind::Directory } else { Kind::File };
        make_point(dir.as_fd(), &spec.target.to_string_lossy(), kind).with_context(what)?;
        let mut attributes = MountAttrFlags::MOUNT_ATTR_NODEV;
        if !setup.suid {
            attributes |= MountAttrFlags::MOUNT_ATTR_NOSUID;
        }
        if spec.read_only {
            attributes |= MountAttrFlags::MOUNT_ATTR_RDONLY;
        }
        set_attributes(source.as_fd(), attributes).with_context(what)?;
        binds.push((source, kind));
    }

    // A copy of DIR with every mount below it, nosuid, nodev (and read-only for --ro) all the
    // way down, attached over DIR: pivot_root needs a mount, and this one is ours alone.
    let flags = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_RECURSIVE
        | OpenTreeFlags::AT_EMPTY_PATH;
    let tree = open_tree(&dir, "", flags).map_err(io::Error::from).context("open_tree DIR")?;
    let mut attributes = MountAttrFlags::MOUNT_ATTR_NODEV;
    if !setup.suid {
        attributes |= MountAttrFlags::MOUNT_ATTR_NOSUID;
    }
    if setup.read_only {
        attributes |= MountAttrFlags::MOUNT_ATTR_RDONLY;
    }
    set_attributes(tree.as_fd(), attributes).context("flags of DIR")?;
    attach(tree.as_fd(), dir.as_fd()).context("attach DIR")?;

    mount_proc(open_point(tree.as_fd(), "/proc", Kind::Directory)?.as_fd()).context("/proc")?;
    build_dev(open_point(tree.as_fd(), "/dev", Kind::Directory)?.as_fd(), setup.shm_size).context("/dev")?;
    for ((source, kind), spec) in binds.iter().zip(&setup.mounts) {
        let what = || format!("--mount {}:{}", spec.source.display(), spec.target.display());
        let point = open_point(tree.as_fd(), &spec.target.to_string_lossy(), *kind).with_context(what)?;
        attach(source.as_fd(), point.as_fd()).with_context(what)?;
    }
    Ok(Root { tree })
}

/// Makes sure `path` exists in the tree at `root` as a `kind`.
fn make_point(root: BorrowedFd<'_>, path: &str, kind: Kind) -> anyhow::Result<()> {
    let fd = confine::create_in_root(root, Path::new(path), kind)?;
    check_kind(fd.as_fd(), kind)
}

/// Opens the mount point `path` (made by [`make_point`]) in the tree at `root`.
fn open_point(root: BorrowedFd<'_>, path: &str, kind: Kind) -> anyhow::Result<OwnedFd> {
    let fd = confine::open_in_root(root, Path::new(path), OFlags::PATH)
        .with_context(|| format!("{path} in the jail"))?;
    check_kind(fd.as_fd(), kind).with_context(|| format!("{path} in the jail"))?;
    Ok(fd)
}

fn check_kind(fd: BorrowedFd<'_>, kind: Kind) -> anyhow::Result<()> {
    let stat = rustix::fs::fstat(fd)?;
    match (kind, FileType::from_raw_mode(stat.st_mode)) {
        (Kind::Directory, FileType::Directory) => Ok(()),
        (Kind::File, FileType::RegularFile) => Ok(()),
        (Kind::Directory, other) => bail!("not a directory ({other:?})"),
        (Kind::File, other) => bail!("not a regular file ({other:?}), cannot mount a file on it"),
    }
}

fn is_dir(fd: BorrowedFd<'_>) -> io::Result<bool> {
    Ok(FileType::from_raw_mode(rustix::fs::fstat(fd)?.st_mode) == FileType::Directory)
}

/// Attaches the detached mount `mount` on the object `point` refers to.
fn attach(mount: BorrowedFd<'_>, point: BorrowedFd<'_>) -> io::Result<()> {
    move_mount(
        mount,
        "",
        point,
        "",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
    .map_err(io::Error::from)
}

/// Sets `attributes` on the mount `mount` and every mount below it (mount_setattr(2), which
/// rustix does not wrap yet).
fn set_attributes(mount: BorrowedFd<'_>, attributes: MountAttrFlags) -> io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr =
        MountAttr { attr_set: u64::from(attributes.bits()), attr_clr: 0, propagation: 0, userns_fd: 0 };
    // SAFETY: mount_setattr reads `size` bytes of `attr` and the empty path; both outlive the call.
    let done = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            mount.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if done != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSYS) {
            return Err(io::Error::other(
                "mount_setattr: not on this kernel (jrun needs Linux 5.12 or later)",
            ));
        }
        return Err(err);
    }
    Ok(())
}

/// A new file system of type `fstype` with `options` (key=value, or a flag alone),
/// detached, with mount `attributes`.
fn new_fs(fstype: &str, options: &[&str], attributes: MountAttrFlags) -> anyhow::Result<OwnedFd> {
    let fs = fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC)
        .map_err(io::Error::from)
        .with_context(|| format!("fsopen {fstype}"))?;
    for option in options {
        let set = match option.split_once('=') {
            Some((key, value)) => fsconfig_set_string(&fs, key, value),
            None => fsconfig_set_flag(&fs, *option),
        };
        set.map_err(io::Error::from).with_context(|| format!("{fstype} option {option}"))?;
    }
    fsconfig_create(&fs).map_err(io::Error::from).with_context(|| format!("create {fstype}"))?;
    fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attributes)
        .map_err(io::Error::from)
        .with_context(|| format!("fsmount {fstype}"))
}

/// A fresh /proc of the jail's PID namespace, with the machine-wide parts read-only.
fn mount_proc(point: BorrowedFd<'_>) -> anyhow::Result<()> {
    let quiet = MountAttrFlags::MOUNT_ATTR_NOSUID
        | MountAttrFlags::MOUNT_ATTR_NODEV
        | MountAttrFlags::MOUNT_ATTR_NOEXEC;
    let proc = new_fs("proc", &[], quiet)?;
    attach(proc.as_fd(), point)?;
    // Each part is found in the new proc, copied read-only and mounted on itself by
    // descriptor. This proc is jrun's alone (not yet reachable from the jail, not in DIR),
    // so a part missing from it is missing from the kernel (sysrq-trigger without
    // CONFIG_MAGIC_SYSRQ) and there is nothing to protect; any other failure fails the run.
    for entry in PROC_READ_ONLY {
        let flags = OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_RECURSIVE
            | OpenTreeFlags::AT_SYMLINK_NOFOLLOW;
        let copy = match open_tree(&proc, entry, flags) {
            Ok(copy) => copy,
            Err(rustix::io::Errno::NOENT) => continue,
            Err(e) => return Err(io::Error::from(e)).with_context(|| format!("/proc/{entry}")),
        };
        set_attributes(copy.as_fd(), quiet | MountAttrFlags::MOUNT_ATTR_RDONLY)
            .with_context(|| format!("/proc/{entry}"))?;
        let target = rustix::fs::openat(
            &proc,
            entry,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(io::Error::from)
        .with_context(|| format!("/proc/{entry}"))?;
        attach(copy.as_fd(), target.as_fd()).with_context(|| format!("/proc/{entry}"))?;
    }
    Ok(())
}

/// A tmpfs /dev (nodev itself: the only device nodes are the host's harmless ones, bound
/// in), a private devpts and a sized /dev/shm.
fn build_dev(point: BorrowedFd<'_>, shm_size: u64) -> anyhow::Result<()> {
    let dev = new_fs(
        "tmpfs",
        &["mode=755", "size=64k"],
        MountAttrFlags::MOUNT_ATTR_NOSUID
            | MountAttrFlags::MOUNT_ATTR_NOEXEC
            | MountAttrFlags::MOUNT_ATTR_NODEV,
    )?;
    attach(dev.as_fd(), point)?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        let copy = open_tree(CWD, &host, OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC)
            .map_err(io::Error::from)
            .with_context(|| host.display().to_string())?;
        set_attributes(copy.as_fd(), MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NOEXEC)
            .with_context(|| host.display().to_string())?;
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let node = rustix::fs::openat(&dev, name, flags, Mode::from_raw_mode(0o666))
            .map_err(io::Error::from)
            .with_context(|| format!("/dev/{name}"))?;
        attach(copy.as_fd(), node.as_fd()).with_context(|| format!("bind {}", host.display()))?;
    }
    // newinstance: the jail's terminals are its own, not the host's.
    let pts = new_fs(
        "devpts",
        &["newinstance", "ptmxmode=0666", "mode=0620"],
        MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NOEXEC,
    )?;
    attach(pts.as_fd(), make_dir(dev.as_fd(), "pts")?.as_fd()).context("mount devpts")?;
    let size = format!("size={shm_size}");
    let shm = new_fs(
        "tmpfs",
        &["mode=1777", &size],
        MountAttrFlags::MOUNT_ATTR_NOSUID | MountAttrFlags::MOUNT_ATTR_NODEV,
    )?;
    attach(shm.as_fd(), make_dir(dev.as_fd(), "shm")?.as_fd()).context("mount shm")?;
    for (link, target) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        rustix::fs::symlinkat(target, &dev, link)
            .map_err(io::Error::from)
            .with_context(|| format!("symlink {link}"))?;
    }
    Ok(())
}

/// A new directory `name` in `parent`, opened.
fn make_dir(parent: BorrowedFd<'_>, name: &str) -> anyhow::Result<OwnedFd> {
    rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o755))
        .map_err(io::Error::from)
        .with_context(|| name.to_string())?;
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(parent, name, flags, Mode::empty())
        .map_err(io::Error::from)
        .with_context(|| name.to_string())
}
