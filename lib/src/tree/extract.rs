//! The safe extractor: a tar stream into a directory, refusing every member that would land
//! outside it.
//!
//! How it stays inside: a member name with an absolute path or a `..` component is refused;
//! each parent directory is opened component by component from the root with
//! `O_NOFOLLOW | O_DIRECTORY` (a symlink or file where a directory should be is refused); the
//! entry itself is created with `*at` calls relative to that parent after removing whatever
//! had its name, so nothing is ever written through an existing symlink or hard link. Hard
//! link targets are resolved the same way and linked without following a symlink. Symlinks
//! are created with their target as is (jail roots hold absolute ones) and never followed.
//! Device nodes need root and an explicit request. Directory modes, owners and mtimes are set
//! after everything else, deepest first, so that a read-only directory can be filled and its
//! mtime is not changed afterwards by the creation of its contents.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::rc::Rc;

use super::sys;
use crate::io::Error;

/// What the extractor may do beyond files, directories, symlinks, hard links and fifos.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Create character and block device nodes (only possible as root); refused otherwise.
    pub devices: bool,
    /// Restore the numeric owners of the archive (default: when running as root).
    pub owners: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions { devices: false, owners: sys::is_root() }
    }
}

/// What the extraction did.
#[derive(Debug, Default)]
pub struct ExtractSummary {
    /// Members created.
    pub extracted: u64,
    /// Members refused or that failed (each was reported through the callback).
    pub problems: u64,
}

/// An error in the stream itself. The tar crate quotes the bytes of a bad header in its
/// message; from garbage input those are binary (even newlines), so such a message is
/// replaced by a plain one: errors stay one printable line.
fn stream_error(e: io::Error) -> Error {
    let text = e.to_string();
    if text.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return Error::new("tar stream", e);
    }
    Error::new("tar stream", io::Error::new(e.kind(), "not a tar archive (invalid header)"))
}

/// Extracts the tar stream `input` into the existing directory `dir`. Each refused member
/// (unsafe name, unsupported type, device without permission) and each member that could not
/// be restored is passed to `report(name, why)` and skipped; the rest goes on. A stream that
/// is not a readable tar archive is an error.
pub fn extract<R: Read>(
    input: R,
    dir: &Path,
    options: &ExtractOptions,
    report: &mut dyn FnMut(&str, &str),
) -> Result<ExtractSummary, Error> {
    let root = sys::open_root(dir).map_err(|e| Error::new(dir.display().to_string(), e))?;
    let mut counted = Counted { inner: input, bytes: 0 };
    let mut extractor = Extractor {
        root,
        options,
        cache: None,
        dirs: Vec::new(),
        buffer: vec![0u8; 256 * 1024],
        summary: ExtractSummary::default(),
    };
    {
        let mut archive = tar::Archive::new(&mut counted);
        let entries = archive.entries().map_err(stream_error)?;
        for entry in entries {
            let mut entry = entry.map_err(stream_error)?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            match extractor.entry(&mut entry) {
                Ok(true) => extractor.summary.extracted += 1,
                Ok(false) => {}
                Err(Problem::Member(why)) => {
                    extractor.summary.problems += 1;
                    report(&name, &why);
                }
                Err(Problem::Stream(e)) => return Err(stream_error(e)),
            }
        }
    }
    if counted.bytes == 0 {
        return Err(Error::new("tar stream", io::Error::new(io::ErrorKind::InvalidData, "empty input")));
    }
    extractor.finish_directories(report);
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

/// Counts the bytes read, to tell an empty input from an empty archive.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Metadata restored on each member.
#[derive(Debug, Default)]
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
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
    buffer: Vec<u8>,
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

/// Opens the directory `parts` under `root` without following symlinks, creating missing
/// directories (mode 0755) when `create`.
fn walk(root: BorrowedFd<'_>, parts: &[Vec<u8>], create: bool) -> Result<OwnedFd, String> {
    let mut dir = root.try_clone_to_owned().map_err(|e| e.to_string())?;
    for (i, part) in parts.iter().enumerate() {
        let opened = match sys::open_dir_at(dir.as_fd(), part) {
            Err(e) if create && e.kind() == io::ErrorKind::NotFound => {
                sys::mkdir_at(dir.as_fd(), part, 0o755).and_then(|()| sys::open_dir_at(dir.as_fd(), part))
            }
            other => other,
        };
        dir = opened.map_err(|e| {
            let shown = display(&parts[..=i]);
            let symlink = sys::lstat_at(dir.as_fd(), part)
                .is_ok_and(|st| st.is_some_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK));
            match e.raw_os_error() {
                Some(libc::ELOOP | libc::ENOTDIR) if symlink => format!("refused: '{shown}' is a symlink"),
                Some(libc::ENOTDIR) => format!("refused: '{shown}' is not a directory"),
                _ => format!("{shown}: {e}"),
            }
        })?;
    }
    Ok(dir)
}

/// Removes whatever has `name` in `dir` so that a new entry can be created there; an existing
/// directory is kept when `keep_directory`. Returns whether a directory is (still) there.
fn make_room(dir: BorrowedFd<'_>, name: &[u8], keep_directory: bool) -> io::Result<bool> {
    match sys::lstat_at(dir, name)? {
        None => Ok(false),
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => {
            if keep_directory {
                return Ok(true);
            }
            sys::unlink_at(dir, name, true)?;
            Ok(false)
        }
        Some(_) => {
            sys::unlink_at(dir, name, false)?;
            Ok(false)
        }
    }
}

impl Extractor<'_> {
    /// Extracts one member; `Ok(false)` for headers that create nothing.
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<bool, Problem> {
        use tar::EntryType as T;
        let kind = entry.header().entry_type();
        if matches!(kind, T::XGlobalHeader) {
            return Ok(false);
        }
        let parts = components(&entry.path_bytes()).map_err(Problem::Member)?;
        let meta = read_meta(entry)?;
        if parts.is_empty() {
            if kind.is_dir() {
                self.dirs.push((parts, meta));
                return Ok(true);
            }
            return Err(Problem::Member("refused: empty name".into()));
        }
        let (name, parent) = parts.split_last().expect("non-empty");
        match kind {
            T::Regular | T::Continuous | T::GNUSparse => {
                let dir = self.parent(parent)?;
                // Usually nothing is in the way: try first, make room only when needed.
                let file = match sys::create_file_at(dir.as_fd(), name, 0o600) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let removed_dir = make_room(dir.as_fd(), name, false)?;
                        self.forget_if(removed_dir);
                        sys::create_file_at(dir.as_fd(), name, 0o600)?
                    }
                    other => other?,
                };
                self.write_file(file, entry, &meta)?;
            }
            T::Directory => {
                let dir = self.parent(parent)?;
                match sys::mkdir_at(dir.as_fd(), name, 0o700) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        if !make_room(dir.as_fd(), name, true)? {
                            sys::mkdir_at(dir.as_fd(), name, 0o700)?;
                        }
                    }
                    other => other?,
                }
                self.dirs.push((parts.clone(), meta));
            }
            T::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| Problem::Member("symlink without target".into()))?;
                let dir = self.parent(parent)?;
                let removed_dir = make_room(dir.as_fd(), name, false)?;
                self.forget_if(removed_dir);
                sys::symlink_at(&target, dir.as_fd(), name)?;
                if self.options.owners {
                    sys::chown_at(dir.as_fd(), name, meta.uid, meta.gid)?;
                }
                sys::set_mtime_at(dir.as_fd(), name, meta.mtime)?;
            }
            T::Link => self.hard_link(entry, &parts)?,
            T::Fifo | T::Char | T::Block => self.node(entry, &parts, &meta)?,
            other => {
                return Err(Problem::Member(format!(
                    "refused: unsupported entry type '{}'",
                    other.as_byte() as char
                )));
            }
        }
        Ok(true)
    }

    /// The parent directory of a member, opened (and created if missing) without following
    /// symlinks; reuses the last one when it is the same.
    fn parent(&mut self, parent: &[Vec<u8>]) -> Result<Rc<OwnedFd>, Problem> {
        if let Some((path, fd)) = &self.cache
            && path == parent
        {
            return Ok(fd.clone());
        }
        let fd = Rc::new(walk(self.root.as_fd(), parent, true).map_err(Problem::Member)?);
        self.cache = Some((parent.to_vec(), fd.clone()));
        Ok(fd)
    }

    /// A removed directory may be the cached parent: forget it.
    fn forget_if(&mut self, removed_directory: bool) {
        if removed_directory {
            self.cache = None;
        }
    }

    fn write_file<R: Read>(
        &mut self,
        mut file: std::fs::File,
        entry: &mut tar::Entry<'_, R>,
        meta: &Meta,
    ) -> Result<(), Problem> {
        loop {
            let n = match entry.read(&mut self.buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Problem::Stream(e)),
            };
            file.write_all(&self.buffer[..n])?;
        }
        self.restore(file.as_fd(), meta)
    }

    /// xattrs, owner, then mode (chown clears setuid bits), then mtime, on an open file.
    fn restore(&self, fd: BorrowedFd<'_>, meta: &Meta) -> Result<(), Problem> {
        for (key, value) in &meta.xattrs {
            sys::set_xattr(fd, key, value)
                .map_err(|e| Problem::Member(format!("xattr {}: {e}", String::from_utf8_lossy(key))))?;
        }
        if self.options.owners {
            sys::chown(fd, meta.uid, meta.gid)?;
        }
        sys::chmod(fd, meta.mode)?;
        sys::set_mtime(fd, meta.mtime)?;
        Ok(())
    }

    fn hard_link<R: Read>(&mut self, entry: &tar::Entry<'_, R>, parts: &[Vec<u8>]) -> Result<(), Problem> {
        let target =
            entry.link_name_bytes().ok_or_else(|| Problem::Member("hard link without target".into()))?;
        let target =
            components(&target).map_err(|why| Problem::Member(format!("hard link target: {why}")))?;
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
        let removed_dir = make_room(dir.as_fd(), name, false)?;
        self.forget_if(removed_dir);
        sys::link_at(target_dir.as_fd(), target_name, dir.as_fd(), name)
            .map_err(|e| Problem::Member(format!("hard link to {}: {e}", display(&target))))?;
        Ok(())
    }

    /// A fifo, or a device node when allowed.
    fn node<R: Read>(
        &mut self,
        entry: &tar::Entry<'_, R>,
        parts: &[Vec<u8>],
        meta: &Meta,
    ) -> Result<(), Problem> {
        let header = entry.header();
        let (type_bits, device) = match header.entry_type() {
            tar::EntryType::Fifo => (libc::S_IFIFO, 0),
            kind => {
                if !self.options.devices {
                    return Err(Problem::Member(
                        "refused: device node (not asked to create device nodes)".into(),
                    ));
                }
                if !sys::is_root() {
                    return Err(Problem::Member("refused: device node (needs root)".into()));
                }
                let major = header.device_major()?.unwrap_or(0);
                let minor = header.device_minor()?.unwrap_or(0);
                let bits = if kind == tar::EntryType::Char { libc::S_IFCHR } else { libc::S_IFBLK };
                (bits, sys::makedev(major, minor))
            }
        };
        let (name, parent) = parts.split_last().expect("non-empty");
        let dir = self.parent(parent)?;
        let removed_dir = make_room(dir.as_fd(), name, false)?;
        self.forget_if(removed_dir);
        // mode_t is u32 on Linux, u16 on FreeBSD.
        #[allow(clippy::unnecessary_cast)]
        sys::mknod_at(dir.as_fd(), name, type_bits as u32 | 0o600, device)?;
        if self.options.owners {
            sys::chown_at(dir.as_fd(), name, meta.uid, meta.gid)?;
        }
        sys::chmod_at(dir.as_fd(), name, meta.mode)?;
        sys::set_mtime_at(dir.as_fd(), name, meta.mtime)?;
        Ok(())
    }

    /// Sets the metadata of every extracted directory, deepest first.
    fn finish_directories(&mut self, report: &mut dyn FnMut(&str, &str)) {
        self.cache = None;
        let mut dirs = std::mem::take(&mut self.dirs);
        dirs.sort_by_key(|(parts, _)| std::cmp::Reverse(parts.len()));
        for (parts, meta) in dirs {
            let result = walk(self.root.as_fd(), &parts, false)
                .map_err(Problem::Member)
                .and_then(|fd| self.restore(fd.as_fd(), &meta));
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
}

/// The metadata of a member from its header and PAX records (which override it).
fn read_meta<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Meta, Problem> {
    let header = entry.header();
    let mut meta = Meta {
        mode: header.mode()? & 0o7777,
        uid: 0,
        gid: 0,
        mtime: header.mtime()? as i64,
        xattrs: Vec::new(),
    };
    let (mut uid, mut gid) = (header.uid()?, header.gid()?);
    if let Some(records) = entry.pax_extensions()? {
        for record in records {
            let record = record?;
            let value = record.value_bytes();
            let number =
                || std::str::from_utf8(value).ok().and_then(|v| v.split('.').next()?.parse::<i64>().ok());
            match record.key_bytes() {
                b"uid" => uid = number().unwrap_or(-1) as u64,
                b"gid" => gid = number().unwrap_or(-1) as u64,
                b"mtime" => meta.mtime = number().unwrap_or(meta.mtime),
                key => {
                    if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                        meta.xattrs.push((name.to_vec(), value.to_vec()));
                    }
                }
            }
        }
    }
    meta.uid = u32::try_from(uid).map_err(|_| Problem::Member(format!("uid {uid} out of range")))?;
    meta.gid = u32::try_from(gid).map_err(|_| Problem::Member(format!("gid {gid} out of range")))?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused() {
        assert!(components(b"/etc/passwd").is_err());
        assert!(components(b"../x").is_err());
        assert!(components(b"a/../../x").is_err());
        assert_eq!(components(b"./a//b/./c").unwrap(), vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert!(components(b"./").unwrap().is_empty());
    }
}
