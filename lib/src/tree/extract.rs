//! The safe extractor: a tar stream into a directory, refusing every member that would land
//! outside it.
//!
//! How it stays inside: a member name with an absolute path or a `..` component is refused;
//! each parent directory is opened from the root by [`crate::confine::open_beneath`], which
//! refuses a symlink anywhere on the way (openat2 `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`,
//! or a walk with `O_NOFOLLOW | O_DIRECTORY` per component; a symlink or file where a
//! directory should be is refused, by name); the entry itself is created with `*at` calls relative to that parent after removing whatever
//! had its name, so nothing is ever written through an existing symlink or hard link. Hard
//! link targets are resolved the same way and linked without following a symlink. Symlinks
//! are created with their target as is (jail roots hold absolute ones) and never followed.
//! Device nodes need root and an explicit request. Directory modes, owners and mtimes are set
//! after everything else, deepest first, so that a read-only directory can be filled and its
//! mtime is not changed afterwards by the creation of its contents. File flags (immutable,
//! append-only…) come last of all, in a final pass, and a locked file in the way of a member
//! is unlocked before it is replaced (bsdtar does the same).
//!
//! The stream is parsed by libarchive (see [`super::libarchive`] for why and what was
//! measured); this module decides what lands on disk. Per member: data (holes left as
//! holes: libarchive hands out sparse files as blocks with offsets), owner, mode (chown
//! clears setuid bits and `security.capability`), xattrs and POSIX ACLs (so a capability is
//! set after the chown that would clear it), mtime to the nanosecond.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{FileType, OFlags};

use super::libarchive::{self, AclEntry, Header};
use super::sys::{self, Time};
use crate::confine::{self, BeneathError, Refusal};
use crate::io::Error;

/// What the extractor may do beyond files, directories, symlinks, hard links and fifos.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Create character and block device nodes (only possible as root); refused otherwise.
    pub devices: bool,
    /// Restore the numeric owners of the archive (default: when running as root).
    pub owners: bool,
    /// The target directory was made for this extraction: when the archive has no entry
    /// for it (`./`), it gets the mode a plain `mkdir` gives (0777 less the umask), as with
    /// `mkdir DIR && bsdtar -xpf - -C DIR`, not the private mode it was made with.
    pub new_directory: bool,
    /// The stream is an OCI layer applied onto what `dir` holds (see [`super::layer`]):
    /// `.wh.NAME` deletes NAME and `.wh..wh..opq` clears its directory, of what was there
    /// before this layer only; an entry replaces whatever has its name, a directory tree
    /// too; a directory this layer changes without an entry for it keeps its mtime.
    pub layer: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions { devices: false, owners: sys::is_root(), new_directory: false, layer: false }
    }
}

/// What the extraction did.
#[derive(Debug, Default)]
pub struct ExtractSummary {
    /// Members created.
    pub extracted: u64,
    /// Members refused or that failed (each was reported through the callback).
    pub problems: u64,
    /// The archive had an entry for the target directory itself (`./`), whose mode, owner
    /// and mtime were restored; without one, a new target gets the mode bsdtar gives it.
    pub root_entry: bool,
    /// What was kept only in part, one line each (`NAME: what`): file flags or xattrs this
    /// system has no place for, NFSv4 ACLs on Linux, libarchive's warnings. Not failures:
    /// bsdtar warns about the same and exits 0. At most [`MAX_WARNINGS`] are kept.
    pub warnings: Vec<String>,
}

/// The most warnings kept (a hostile archive could warn for each of millions of members).
pub const MAX_WARNINGS: usize = 1000;

impl ExtractSummary {
    fn warn(&mut self, name: &[u8], what: &str) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("{}: {what}", escaped(name)));
        }
    }
}

/// An error in the stream itself, naming the member it happened in (or after).
fn stream_error(e: io::Error, member: Option<&[u8]>) -> Error {
    let why = escaped(e.to_string().as_bytes());
    let what = match member {
        Some(name) => format!("tar stream: {}", escaped(name)),
        None => "tar stream".to_string(),
    };
    Error::new(what, io::Error::new(e.kind(), why))
}

/// Counts the bytes read, to tell an empty input from an empty archive.
struct Counted<R> {
    inner: R,
    bytes: Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// Extracts the tar stream `input` into the existing directory `dir`. Each refused member
/// (unsafe name, unsupported type, device without permission) and each member that could not
/// be restored is passed to `report(name, why)` and skipped; the rest goes on. A stream that
/// is not a readable tar archive is an error (naming the member it broke in).
pub fn extract<R: Read>(
    input: R,
    dir: &Path,
    options: &ExtractOptions,
    report: &mut dyn FnMut(&str, &str),
) -> Result<ExtractSummary, Error> {
    let root = sys::open_root(dir).map_err(|e| Error::new(dir.display().to_string(), e))?;
    let bytes = Rc::new(std::cell::Cell::new(0));
    let counted = Counted { inner: input, bytes: bytes.clone() };
    let empty = || Error::new("tar stream", io::Error::new(io::ErrorKind::InvalidData, "empty input"));
    let mut reader = match libarchive::Reader::new(counted) {
        Ok(reader) => reader,
        Err(_) if bytes.get() == 0 => return Err(empty()),
        Err(e) => return Err(stream_error(e, None)),
    };
    let mut extractor = Extractor {
        root,
        options,
        cache: None,
        dirs: Vec::new(),
        flags: Vec::new(),
        upper: HashSet::new(),
        touched: HashMap::new(),
        summary: ExtractSummary::default(),
    };
    let mut last: Option<Vec<u8>> = None;
    loop {
        let header = match reader.next_header() {
            Ok(Some(header)) => header,
            Ok(None) => break,
            Err(e) => {
                let after = last.as_ref().map(|name| [b"after ", &name[..]].concat());
                return Err(stream_error(e, after.as_deref()));
            }
        };
        if let Some(warning) = &header.warning {
            extractor.summary.warn(&header.path, warning);
        }
        match extractor.entry(&mut reader, &header) {
            Ok(()) => extractor.summary.extracted += 1,
            Err(Problem::Member(why)) => {
                extractor.summary.problems += 1;
                report(&escaped(&header.path), &why);
            }
            Err(Problem::Stream(e)) => return Err(stream_error(e, Some(&header.path))),
        }
        last = Some(header.path);
    }
    if bytes.get() == 0 {
        return Err(empty());
    }
    if options.new_directory && !extractor.summary.root_entry {
        sys::chmod(extractor.root.as_fd(), 0o777 & !sys::umask())
            .map_err(|e| Error::new(dir.display().to_string(), e))?;
    }
    let headers: HashSet<Vec<Vec<u8>>> = extractor.dirs.iter().map(|(parts, _)| parts.clone()).collect();
    extractor.finish_directories(report);
    extractor.finish_touched(&headers, report);
    extractor.finish_flags(report);
    Ok(extractor.summary)
}

/// Why one member was not extracted: its own problem, or a broken stream (fatal).
enum Problem {
    Member(String),
    Stream(io::Error),
}

impl From<io::Error> for Problem {
    fn from(e: io::Error) -> Self {
        Problem::Member(e.to_string())
    }
}

/// Metadata restored on each member.
#[derive(Debug, Default)]
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: Option<Time>,
    /// xattrs, POSIX ACLs included (Linux keeps them as `system.posix_acl_*` xattrs).
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

struct Extractor<'a> {
    root: OwnedFd,
    options: &'a ExtractOptions,
    /// The last parent directory opened, by its components (archives are sorted, so the
    /// next member is usually in the same directory).
    cache: Option<(Vec<Vec<u8>>, Rc<OwnedFd>)>,
    /// Directories to finish at the end.
    dirs: Vec<(Vec<Vec<u8>>, Meta)>,
    /// File flags to set in the final pass.
    flags: Vec<(Vec<Vec<u8>>, u64)>,
    /// Layers: the paths this layer extracted and their ancestors (what its whiteouts
    /// must not delete: they apply to the layers below only, OCI image-spec layer.md).
    upper: HashSet<Vec<Vec<u8>>>,
    /// Layers: the directories this layer changed, with the mtime they had before it (put
    /// back at the end unless the layer has an entry for them, as umoci does).
    touched: HashMap<Vec<Vec<u8>>, Time>,
    summary: ExtractSummary,
}

/// The components of a member name; `Err` for an absolute path or a `..` component.
fn components(name: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if name.starts_with(b"/") {
        return Err("refused: absolute path".into());
    }
    let mut parts = Vec::new();
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err("refused: '..' in path".into()),
            _ => parts.push(part.to_vec()),
        }
    }
    Ok(parts)
}

fn display(parts: &[Vec<u8>]) -> String {
    String::from_utf8_lossy(&parts.join(&b'/')).into_owned()
}

/// The path of a member's components, for [`confine::open_beneath`].
fn joined(parts: &[Vec<u8>]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(&parts.join(&b'/')))
}

/// Opens the directory `parts` under `root` without following a symlink anywhere on the
/// way (confine's beneath mode), creating missing directories (mode 0755) when `create`.
fn walk(root: BorrowedFd<'_>, parts: &[Vec<u8>], create: bool) -> Result<OwnedFd, String> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    confine::open_beneath(root, &joined(parts), flags, create).map_err(|e| e.to_string())
}

/// Removes whatever has `name` in `dir` so that a new entry can be created there; an existing
/// directory is kept when `keep_directory`, else removed (with its contents when
/// `whole_tree`: a layer's entry replaces a lower directory). Returns whether a directory
/// is (still) there.
fn make_room(dir: BorrowedFd<'_>, name: &[u8], keep_directory: bool, whole_tree: bool) -> io::Result<bool> {
    match sys::file_type_at(dir, name)? {
        None => Ok(false),
        Some(FileType::Directory) => {
            if keep_directory {
                // An immutable directory takes no new entries and no chmod: unlock it (the
                // archive's flags are set again in the final pass), as bsdtar does.
                unlock(dir, name)?;
                return Ok(true);
            }
            if whole_tree {
                remove_tree(dir, name)?;
            } else {
                remove(dir, name, true)?;
            }
            Ok(false)
        }
        Some(_) => {
            remove(dir, name, false)?;
            Ok(false)
        }
    }
}

/// Removes `name`; when a file flag (immutable, append-only, no-unlink) forbids it, clears
/// those flags and tries once more, as bsdtar does when it replaces a `schg` file.
fn remove(dir: BorrowedFd<'_>, name: &[u8], directory: bool) -> io::Result<()> {
    match sys::unlink_at(dir, name, directory) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES)) && sys::LOCKING_FLAGS != 0 => {
            match unlock_fd(dir, name) {
                Ok(true) => sys::unlink_at(dir, name, directory),
                _ => Err(e),
            }
        }
        other => other,
    }
}

/// Removes `name` and, if it is a directory, everything under it, never following a
/// symlink (each directory is opened with `O_NOFOLLOW` from its parent's descriptor).
fn remove_tree(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    let Some(kind) = sys::file_type_at(dir, name)? else {
        return Ok(());
    };
    if kind != FileType::Directory {
        return remove(dir, name, false);
    }
    unlock(dir, name)?;
    let fd = sys::open_dir_at(dir, name)?;
    for child in children(fd.as_fd())? {
        remove_tree(fd.as_fd(), &child)?;
    }
    remove(dir, name, true)
}

/// The names in an open directory, without `.` and `..`.
fn children(dir: BorrowedFd<'_>) -> io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir)? {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(name);
        }
    }
    Ok(names)
}

/// The directory `parts` under `root` if it is there, opened without following symlinks:
/// `None` when a component is missing or not a directory (nothing to delete there), an
/// error when one is a symlink (a whiteout never reaches through one).
fn open_existing(root: BorrowedFd<'_>, parts: &[Vec<u8>]) -> Result<Option<OwnedFd>, String> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    match confine::open_beneath(root, &joined(parts), flags, false) {
        Ok(fd) => Ok(Some(fd)),
        Err(BeneathError { why: Refusal::NotDirectory, .. }) => Ok(None),
        Err(BeneathError { why: Refusal::Io(e), .. })
            if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The prefix of a whiteout's name; `.wh..wh..opq` is the opaque marker of its directory.
pub(crate) const WHITEOUT_PREFIX: &[u8] = b".wh.";
pub(crate) const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

/// Clears the locking flags of the existing directory `name`, if it has any (a file system
/// without flags has none).
fn unlock(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    if sys::LOCKING_FLAGS == 0 {
        return Ok(());
    }
    match unlock_fd(dir, name) {
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::ENOTTY | libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL)
            ) =>
        {
            Ok(())
        }
        other => other.map(drop),
    }
}

/// Clears the locking flags of `name`; whether it had any.
fn unlock_fd(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<bool> {
    let fd = sys::open_for_flags_at(dir, name)?;
    let flags = sys::flags(fd.as_fd())?;
    if flags & sys::LOCKING_FLAGS == 0 {
        return Ok(false);
    }
    sys::set_flags(fd.as_fd(), flags & !sys::LOCKING_FLAGS).map(|()| true)
}

/// A name or message as one printable line of bounded length: bytes outside printable
/// ASCII as `\xNN`, cut after [`SHOWN`] characters with `...`.
pub(crate) fn escaped(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if out.len() >= SHOWN {
            out.push_str("...");
            break;
        }
        if b == b'\\' {
            out.push_str("\\\\");
        } else if b == b' ' || b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// How much of a name an error line shows.
const SHOWN: usize = 200;

impl Extractor<'_> {
    /// Extracts one member.
    fn entry<R: Read>(&mut self, reader: &mut libarchive::Reader<R>, header: &Header) -> Result<(), Problem> {
        use libarchive::{AE_IFBLK, AE_IFCHR, AE_IFDIR, AE_IFIFO, AE_IFLNK, AE_IFREG};
        // bsdtar skips (and fails on) an entry whose name is empty; "." and "./" name the root.
        if header.path.is_empty() {
            return Err(Problem::Member("refused: empty name".into()));
        }
        let parts = components(&header.path).map_err(Problem::Member)?;
        if self.options.layer {
            if parts.iter().rev().skip(1).any(|part| part.starts_with(WHITEOUT_PREFIX)) {
                return Err(Problem::Member("refused: a whiteout name used as a directory".into()));
            }
            if parts.last().is_some_and(|name| name.starts_with(WHITEOUT_PREFIX)) {
                return self.whiteout(&parts);
            }
            if parts.is_empty() && header.filetype != libarchive::AE_IFDIR {
                return Err(Problem::Member("refused: the root replaced by a non-directory".into()));
            }
            for depth in 0..=parts.len() {
                self.upper.insert(parts[..depth].to_vec());
            }
        }
        let meta = self.meta(header)?;
        if parts.is_empty() {
            if header.filetype == AE_IFDIR && header.hardlink.is_none() {
                self.summary.root_entry = true;
                self.dirs.push((parts, meta));
                return Ok(());
            }
            return Err(Problem::Member("refused: empty name".into()));
        }
        let (name, parent) = parts.split_last().expect("non-empty");
        if let Some(target) = &header.hardlink {
            self.hard_link(reader, target, &parts, header, &meta)?;
            self.keep_flags(&parts, header);
            return Ok(());
        }
        match header.filetype {
            AE_IFREG => {
                let dir = self.parent(parent)?;
                // Usually nothing is in the way: try first, make room only when needed.
                let file = match sys::create_file_at(dir.as_fd(), name, 0o600) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let removed_dir = make_room(dir.as_fd(), name, false, self.options.layer)?;
                        self.forget_if(removed_dir);
                        sys::create_file_at(dir.as_fd(), name, 0o600)?
                    }
                    other => other?,
                };
                write_data(reader, &file, header.size)?;
                self.restore(file.as_fd(), &meta, &header.path)?;
            }
            AE_IFDIR => {
                let dir = self.parent(parent)?;
                match sys::mkdir_at(dir.as_fd(), name, 0o700) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        if !make_room(dir.as_fd(), name, true, self.options.layer)? {
                            sys::mkdir_at(dir.as_fd(), name, 0o700)?;
                        }
                    }
                    other => other?,
                }
                self.dirs.push((parts.clone(), meta));
            }
            AE_IFLNK => {
                let target = header
                    .symlink
                    .as_ref()
                    .ok_or_else(|| Problem::Member("symlink without target".into()))?;
                let dir = self.parent(parent)?;
                let removed_dir = make_room(dir.as_fd(), name, false, self.options.layer)?;
                self.forget_if(removed_dir);
                sys::symlink_at(target, dir.as_fd(), name)?;
                if self.options.owners {
                    sys::chown_at(dir.as_fd(), name, meta.uid, meta.gid)?;
                }
                if let Some(mtime) = meta.mtime {
                    sys::set_mtime_at(dir.as_fd(), name, mtime)?;
                }
                return Ok(());
            }
            AE_IFIFO | AE_IFCHR | AE_IFBLK => self.node(header, &parts, &meta)?,
            other => {
                return Err(Problem::Member(format!("refused: unsupported entry type (mode {other:o})")));
            }
        }
        self.keep_flags(&parts, header);
        Ok(())
    }

    /// The metadata to restore: ids in range, xattrs with the ACLs as this system keeps them.
    fn meta(&mut self, header: &Header) -> Result<Meta, Problem> {
        let uid = u32::try_from(header.uid)
            .map_err(|_| Problem::Member(format!("uid {} out of range", header.uid)))?;
        let gid = u32::try_from(header.gid)
            .map_err(|_| Problem::Member(format!("gid {} out of range", header.gid)))?;
        // bsdtar writes each xattr twice (LIBARCHIVE.xattr.* and SCHILY.xattr.*) and
        // libarchive hands out both: set each name once, to the last value (what setting
        // them in order, as bsdtar does, leaves).
        let mut xattrs: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(header.xattrs.len());
        for (key, value) in &header.xattrs {
            match xattrs.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value.clone(),
                None => xattrs.push((key.clone(), value.clone())),
            }
        }
        for (key, acl) in [
            (&b"system.posix_acl_access"[..], &header.acl_access),
            (b"system.posix_acl_default", &header.acl_default),
        ] {
            if acl.is_empty() {
                continue;
            }
            if cfg!(target_os = "linux") {
                xattrs.retain(|(k, _)| k != key);
                xattrs.push((key.to_vec(), posix_acl_xattr(acl)));
            } else {
                self.summary.warn(&header.path, "POSIX.1e ACL not restored on this system");
            }
        }
        if header.acl_nfs4 {
            let why = if cfg!(target_os = "freebsd") {
                "NFSv4 ACL not restored (jsnap writes them on FreeBSD but does not set them yet)"
            } else {
                "NFSv4 ACL not restored (this system has no NFSv4 ACLs)"
            };
            self.summary.warn(&header.path, why);
        }
        Ok(Meta { mode: header.perm, uid, gid, mtime: header.mtime, xattrs })
    }

    /// Remembers the member's file flags for the final pass; flag names this system has no
    /// equivalent for are reported as warnings rather than dropped silently.
    fn keep_flags(&mut self, parts: &[Vec<u8>], header: &Header) {
        if let Some(text) = &header.fflags_text {
            let lost = unmapped_flags(text);
            if !lost.is_empty() {
                self.summary
                    .warn(&header.path, &format!("file flags not kept on this system: {}", lost.join(",")));
            }
        }
        if header.fflags_set != 0 && matches!(header.filetype, libarchive::AE_IFREG | libarchive::AE_IFDIR) {
            self.flags.push((parts.to_vec(), header.fflags_set));
        }
    }

    /// The parent directory of a member, opened (and created if missing) without following
    /// symlinks; reuses the last one when it is the same.
    fn parent(&mut self, parent: &[Vec<u8>]) -> Result<Rc<OwnedFd>, Problem> {
        if let Some((path, fd)) = &self.cache
            && path == parent
        {
            return Ok(fd.clone());
        }
        if self.options.layer {
            self.touch(parent)?;
        }
        let fd = Rc::new(walk(self.root.as_fd(), parent, true).map_err(Problem::Member)?);
        self.cache = Some((parent.to_vec(), fd.clone()));
        Ok(fd)
    }

    /// Layers: remembers the mtime the existing directory `parts` had before this layer
    /// changed it (the first time only).
    fn touch(&mut self, parts: &[Vec<u8>]) -> Result<(), Problem> {
        if self.touched.contains_key(parts) {
            return Ok(());
        }
        if let Some(fd) = open_existing(self.root.as_fd(), parts).map_err(Problem::Member)? {
            let st = rustix::fs::fstat(&fd).map_err(io::Error::from)?;
            self.touched.insert(parts.to_vec(), (st.st_mtime as i64, st.st_mtime_nsec as i64));
        }
        Ok(())
    }

    /// Layers: a whiteout member (`parts` ends in `.wh.NAME` or `.wh..wh..opq`). Deletes
    /// NAME, or for the opaque marker everything in its directory, of what lower layers put
    /// there (see [`Extractor::delete_lower`]). Missing targets are nothing to do (an earlier
    /// whiteout may have taken them); a symlink on the way is refused.
    fn whiteout(&mut self, parts: &[Vec<u8>]) -> Result<(), Problem> {
        let (file, parent) = parts.split_last().expect("a whiteout has a name");
        let opaque = file == OPAQUE_MARKER;
        let name = &file[WHITEOUT_PREFIX.len()..];
        if !opaque && (name.is_empty() || name == b"." || name == b".." || name.starts_with(WHITEOUT_PREFIX))
        {
            return Err(Problem::Member("refused: invalid whiteout name".into()));
        }
        let Some(dir) = open_existing(self.root.as_fd(), parent).map_err(Problem::Member)? else {
            return Ok(());
        };
        self.touch(parent)?;
        self.cache = None;
        let targets = if opaque { children(dir.as_fd())? } else { vec![name.to_vec()] };
        for target in targets {
            let mut path = parent.to_vec();
            path.push(target.clone());
            self.delete_lower(dir.as_fd(), &target, &path)?;
        }
        Ok(())
    }

    /// Deletes `name` in `dir` (the path `path` under the root) unless this layer made it;
    /// in a directory this layer extracted into, deletes what it did not make, deepest
    /// first, as umoci's `ociWhiteout` does.
    fn delete_lower(&mut self, dir: BorrowedFd<'_>, name: &[u8], path: &[Vec<u8>]) -> Result<(), Problem> {
        let Some(kind) = sys::file_type_at(dir, name)? else {
            return Ok(());
        };
        if !self.upper.contains(path) {
            return Ok(remove_tree(dir, name)?);
        }
        if kind == FileType::Directory {
            let fd = sys::open_dir_at(dir, name)?;
            for child in children(fd.as_fd())? {
                let mut below = path.to_vec();
                below.push(child.clone());
                self.delete_lower(fd.as_fd(), &child, &below)?;
            }
        }
        Ok(())
    }

    /// A removed directory may be the cached parent: forget it.
    fn forget_if(&mut self, removed_directory: bool) {
        if removed_directory {
            self.cache = None;
        }
    }

    /// Owner, then mode (chown clears setuid bits), then xattrs and ACLs (chown clears
    /// `security.capability`, so it comes after), then mtime, on an open file. An xattr
    /// this system has no place for (FreeBSD: other than `user.*`/`system.*`) is a warning.
    fn restore(&mut self, fd: BorrowedFd<'_>, meta: &Meta, name: &[u8]) -> Result<(), Problem> {
        if self.options.owners {
            sys::chown(fd, meta.uid, meta.gid)?;
        }
        sys::chmod(fd, meta.mode)?;
        for (key, value) in &meta.xattrs {
            match sys::set_xattr(fd, key, value) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Unsupported => {
                    self.summary.warn(name, &format!("xattr {} not restored: {e}", escaped(key)));
                }
                Err(e) => return Err(Problem::Member(format!("xattr {}: {e}", escaped(key)))),
            }
        }
        if let Some(mtime) = meta.mtime {
            sys::set_mtime(fd, mtime)?;
        }
        Ok(())
    }

    fn hard_link<R: Read>(
        &mut self,
        reader: &mut libarchive::Reader<R>,
        target: &[u8],
        parts: &[Vec<u8>],
        header: &Header,
        meta: &Meta,
    ) -> Result<(), Problem> {
        let target = components(target).map_err(|why| Problem::Member(format!("hard link target: {why}")))?;
        let Some((target_name, target_parent)) = target.split_last() else {
            return Err(Problem::Member("refused: hard link to the root".into()));
        };
        if target == parts {
            return Err(Problem::Member("refused: hard link to itself".into()));
        }
        let target_dir = walk(self.root.as_fd(), target_parent, false)
            .map_err(|why| Problem::Member(format!("hard link target: {why}")))?;
        let (name, parent) = parts.split_last().expect("non-empty");
        let dir = self.parent(parent)?;
        let removed_dir = make_room(dir.as_fd(), name, false, self.options.layer)?;
        self.forget_if(removed_dir);
        sys::link_at(target_dir.as_fd(), target_name, dir.as_fd(), name)
            .map_err(|e| Problem::Member(format!("hard link to '{}': {e}", escaped(&target.join(&b'/')))))?;
        // A pax hard link may carry data (POSIX: then it is the file's content); libarchive
        // hands it over only when it is there. bsdtar writes it into the linked file.
        if header.size > 0 {
            let file = sys::open_write_at(dir.as_fd(), name)?;
            if write_data(reader, &file, header.size)? {
                self.restore(file.as_fd(), meta, &header.path)?;
            }
        }
        Ok(())
    }

    fn node(&mut self, header: &Header, parts: &[Vec<u8>], meta: &Meta) -> Result<(), Problem> {
        let (file_type, device) = if header.filetype == libarchive::AE_IFIFO {
            (FileType::Fifo, 0)
        } else {
            if !self.options.devices {
                return Err(Problem::Member(
                    "refused: device node (not asked to create device nodes)".into(),
                ));
            }
            if !sys::is_root() {
                return Err(Problem::Member("refused: device node (needs root)".into()));
            }
            let kind = if header.filetype == libarchive::AE_IFCHR {
                FileType::CharacterDevice
            } else {
                FileType::BlockDevice
            };
            (kind, sys::makedev(header.rdev.0 as u32, header.rdev.1 as u32))
        };
        let (name, parent) = parts.split_last().expect("non-empty");
        let dir = self.parent(parent)?;
        let removed_dir = make_room(dir.as_fd(), name, false, self.options.layer)?;
        self.forget_if(removed_dir);
        sys::mknod_at(dir.as_fd(), name, file_type, 0o600, device)?;
        if self.options.owners {
            sys::chown_at(dir.as_fd(), name, meta.uid, meta.gid)?;
        }
        sys::chmod_at(dir.as_fd(), name, meta.mode)?;
        if let Some(mtime) = meta.mtime {
            sys::set_mtime_at(dir.as_fd(), name, mtime)?;
        }
        Ok(())
    }

    /// Sets the metadata of every extracted directory, deepest first.
    fn finish_directories(&mut self, report: &mut dyn FnMut(&str, &str)) {
        self.cache = None;
        let mut dirs = std::mem::take(&mut self.dirs);
        dirs.sort_by_key(|(parts, _)| std::cmp::Reverse(parts.len()));
        for (parts, meta) in dirs {
            let name = parts.join(&b'/');
            let layer = self.options.layer;
            let result = walk(self.root.as_fd(), &parts, false).map_err(Problem::Member).and_then(|fd| {
                // A layer's directory entry says all its xattrs: a lower directory's others go.
                if layer {
                    let keep: Vec<&[u8]> = meta.xattrs.iter().map(|(key, _)| &key[..]).collect();
                    sys::remove_other_xattrs(fd.as_fd(), &keep)?;
                }
                self.restore(fd.as_fd(), &meta, &name)
            });
            if let Err(problem) = result {
                let why = match problem {
                    Problem::Member(why) => why,
                    Problem::Stream(e) => e.to_string(),
                };
                self.summary.problems += 1;
                let name = if parts.is_empty() { ".".to_string() } else { display(&parts) };
                report(&name, &why);
            }
        }
    }

    /// Layers: puts back the mtime of each directory this layer changed without an entry
    /// for it (creating or removing a name changes it), deepest first.
    fn finish_touched(&mut self, headers: &HashSet<Vec<Vec<u8>>>, report: &mut dyn FnMut(&str, &str)) {
        let mut touched: Vec<_> = std::mem::take(&mut self.touched).into_iter().collect();
        touched.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        for (parts, mtime) in touched {
            if headers.contains(&parts) {
                continue;
            }
            // Gone (a later whiteout of this layer) or no longer a directory: nothing to do.
            let Ok(Some(fd)) = open_existing(self.root.as_fd(), &parts) else {
                continue;
            };
            if let Err(e) = sys::set_mtime(fd.as_fd(), mtime) {
                self.summary.problems += 1;
                let name = if parts.is_empty() { ".".to_string() } else { display(&parts) };
                report(&name, &format!("mtime: {e}"));
            }
        }
    }

    /// File flags, last of all (an immutable file or directory takes no further change),
    /// deepest first. Setting a flag keeps the mtime.
    fn finish_flags(&mut self, report: &mut dyn FnMut(&str, &str)) {
        let mut flags = std::mem::take(&mut self.flags);
        flags.sort_by_key(|(parts, _)| std::cmp::Reverse(parts.len()));
        for (parts, set) in flags {
            let (name, parent) = parts.split_last().expect("members with flags have names");
            let result = walk(self.root.as_fd(), parent, false).map_err(io::Error::other).and_then(|dir| {
                let fd = sys::open_for_flags_at(dir.as_fd(), name)?;
                let current = sys::flags(fd.as_fd())?;
                sys::set_flags(fd.as_fd(), current | set)
            });
            if let Err(e) = result {
                self.summary.problems += 1;
                report(&display(&parts), &format!("file flags: {e}"));
            }
        }
    }
}

/// Writes a member's data blocks at their offsets (the gaps stay holes) and sets the file's
/// length (a file may end in a hole). Returns whether any data came.
fn write_data<R: Read>(
    reader: &mut libarchive::Reader<R>,
    file: &std::fs::File,
    size: i64,
) -> Result<bool, Problem> {
    let mut any = false;
    let mut end = 0u64;
    loop {
        let (offset, data) = match reader.data_block() {
            Ok(Some(block)) => block,
            Ok(None) => break,
            Err(e) => return Err(Problem::Stream(e)),
        };
        if data.is_empty() {
            continue;
        }
        any = true;
        file.write_all_at(data, offset)?;
        end = end.max(offset + data.len() as u64);
    }
    let size = u64::try_from(size).unwrap_or(0);
    if end < size {
        file.set_len(size)?;
    }
    Ok(any)
}

/// The Linux `system.posix_acl_*` xattr value of a POSIX.1e ACL: a version (2) and
/// `(tag, perm, id)` entries sorted by tag then id, as the kernel requires.
fn posix_acl_xattr(acl: &[AclEntry]) -> Vec<u8> {
    const UNDEFINED_ID: u32 = u32::MAX;
    let mut entries: Vec<(u16, u16, u32)> = acl
        .iter()
        .filter_map(|e| {
            let (tag, id) = match e.tag {
                libarchive::ACL_USER_OBJ => (0x01, UNDEFINED_ID),
                libarchive::ACL_USER => (0x02, e.id),
                libarchive::ACL_GROUP_OBJ => (0x04, UNDEFINED_ID),
                libarchive::ACL_GROUP => (0x08, e.id),
                libarchive::ACL_MASK => (0x10, UNDEFINED_ID),
                libarchive::ACL_OTHER => (0x20, UNDEFINED_ID),
                _ => return None,
            };
            Some((tag, e.perm & 7, id))
        })
        .collect();
    entries.sort_by_key(|&(tag, _, id)| (tag, id));
    entries.dedup_by_key(|e| (e.0, e.2));
    let mut out = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&perm.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// The names in a `SCHILY.fflags` text that this system has no flag for. On Linux,
/// libarchive maps the append-only, immutable, nodump and a few ext2 attributes
/// (`archive_entry.c`'s flag table); FreeBSD's chflags(2) takes every name bsdtar writes.
fn unmapped_flags(text: &str) -> Vec<String> {
    if cfg!(target_os = "freebsd") {
        return Vec::new();
    }
    const LINUX: &[&str] = &[
        "sappnd",
        "sappend",
        "schg",
        "simmutable",
        "nodump",
        "noatime",
        "compress",
        "nocow",
        "notail",
        "dirsync",
        "sync",
        "journal-data",
        "securedeletion",
        "undel",
        "topdir",
        "hashidx",
        "nocompress",
    ];
    text.split([',', ' '])
        .filter(|t| !t.is_empty() && !LINUX.contains(t))
        .map(|t| escaped(t.as_bytes()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_acl_xattr_is_sorted_by_tag_then_id() {
        let e = |tag, perm, id| AclEntry { tag, perm, id };
        let acl = [
            e(libarchive::ACL_OTHER, 4, 0),
            e(libarchive::ACL_USER, 5, 1002),
            e(libarchive::ACL_USER_OBJ, 6, 0),
            e(libarchive::ACL_USER, 7, 1001),
            e(libarchive::ACL_MASK, 7, 0),
            e(libarchive::ACL_GROUP_OBJ, 4, 0),
        ];
        let value = posix_acl_xattr(&acl);
        assert_eq!(&value[..4], &2u32.to_le_bytes());
        let entries: Vec<(u16, u16, u32)> = value[4..]
            .chunks(8)
            .map(|c| {
                (
                    u16::from_le_bytes([c[0], c[1]]),
                    u16::from_le_bytes([c[2], c[3]]),
                    u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            })
            .collect();
        let undefined = u32::MAX;
        assert_eq!(
            entries,
            [
                (1, 6, undefined),
                (2, 7, 1001),
                (2, 5, 1002),
                (4, 4, undefined),
                (0x10, 7, undefined),
                (0x20, 4, undefined)
            ]
        );
    }

    #[test]
    fn error_names_are_escaped_and_cut() {
        assert_eq!(escaped(b"a b\n\x1b\\"), "a b\\x0a\\x1b\\\\");
        let long = escaped(&[b'x'; 5000]);
        assert!(long.len() < SHOWN + 10 && long.ends_with("..."));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn flags_without_a_linux_equivalent_are_listed() {
        assert_eq!(unmapped_flags("uarch,schg,nodump,sunlnk"), ["uarch", "sunlnk"]);
        assert!(unmapped_flags("schg").is_empty());
    }

    #[test]
    fn unsafe_names_are_refused() {
        assert!(components(b"/etc/passwd").is_err());
        assert!(components(b"../x").is_err());
        assert!(components(b"a/../../x").is_err());
        assert_eq!(components(b"./a//b/./c").unwrap(), vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert!(components(b"./").unwrap().is_empty());
    }
}
