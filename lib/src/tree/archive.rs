//! The deterministic tar writer: a sorted walk of a directory into ustar headers, with a
//! PAX extended header only for what ustar cannot hold.
//!
//! PAX records are `LEN KEY=VALUE\n` where LEN decides where the value ends, so values hold
//! any bytes (an xattr or a name with 0x0a is fine). What goes there, in the forms that both
//! bsdtar and GNU tar restore: sub-second mtimes (`mtime=S.N`, trailing zeros dropped as
//! libarchive does), xattrs as `SCHILY.xattr.NAME`, POSIX ACLs as star's `SCHILY.acl.access`
//! and `SCHILY.acl.default` text (`user:1001:r--:1001`, numeric like our owners; GNU tar
//! reads it with `--acls`, bsdtar by default) instead of the raw `system.posix_acl_*` xattrs,
//! and sparse files (any file with a hole, found with SEEK_DATA/SEEK_HOLE) as GNU's PAX
//! sparse format 1.0 (`GNU.sparse.major=1`, `minor=0`, `name`, `realsize`; the map in the
//! data), which GNU tar and bsdtar restore with their holes.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::sys;
use crate::io::Error;

/// What to put in the archive besides the files themselves.
#[derive(Debug, Default, Clone)]
pub struct ArchiveOptions {
    /// Paths matching any of these `fnmatch(3)` patterns are left out (a directory with its
    /// contents). A pattern matches the whole name without its leading `./`, or any trailing
    /// part of it that starts after a `/`, as in GNU tar's default (unanchored) mode.
    pub exclude: Vec<String>,
    /// Write user and group names (looked up on this machine) next to the numeric ids.
    pub owner_names: bool,
    /// Do not descend into directories on another file system than the one of the archived
    /// directory (the mount point itself is written, empty, as GNU tar does). Without it,
    /// only kernel file systems of running jails are not descended into
    /// (devfs, procfs, nullfs…; on Linux proc, sysfs, devpts…).
    pub one_file_system: bool,
}

/// What the walk left out and why (sockets cannot be archived), for the caller to report.
#[derive(Debug, Default)]
pub struct ArchiveSummary {
    /// Entries written (not counting PAX headers).
    pub entries: u64,
    /// `(archive name, reason)` of each path skipped.
    pub skipped: Vec<(String, String)>,
}

/// Largest value of an 11-digit octal field (size, mtime).
const MAX_OCTAL_11: u64 = 0o77_777_777_777;
/// Largest value of a 7-digit octal field (uid, gid, device numbers).
const MAX_OCTAL_7: u64 = 0o7_777_777;

/// Writes `members` of `dir` (like `tar -C DIR MEMBER...`; `.` when empty) to `out` as a
/// deterministic tar stream: directories walked in byte order of names, numeric owners,
/// mtimes to the nanosecond, no atime/ctime, hard links stored as links, holes as holes. Finishes the
/// archive with its two zero blocks but does not flush `out`.
pub fn archive<W: Write>(
    dir: &Path,
    members: &[String],
    options: &ArchiveOptions,
    out: &mut W,
) -> Result<ArchiveSummary, Error> {
    let mut writer = Writer::new(dir, options)?;
    let default = [".".to_string()];
    let members = if members.is_empty() { &default[..] } else { members };
    for member in members {
        let name = normalize_member(member)?;
        writer.add(name, out)?;
    }
    out.write_all(&[0u8; 1024]).map_err(|e| Error::new("write", e))?;
    Ok(writer.summary)
}

/// A MEMBER argument as its archive name: repeated and trailing slashes removed, `..` and
/// absolute paths refused (tar would strip them; a jail image must not contain them).
fn normalize_member(member: &str) -> Result<String, Error> {
    let invalid =
        |why: &str| Error::new(member, io::Error::new(io::ErrorKind::InvalidInput, why.to_string()));
    if member.starts_with('/') {
        return Err(invalid("absolute member paths are not allowed (members are relative to the directory)"));
    }
    // A leading "./" is kept (AppJail's members are "./jail", "./init"...); other "." parts go.
    let mut parts: Vec<&str> = member.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if member == "." || member.starts_with("./") {
        parts.insert(0, ".");
    }
    if parts.is_empty() {
        return Err(invalid("empty member path"));
    }
    if parts.contains(&"..") {
        return Err(invalid("member paths must not contain '..'"));
    }
    Ok(parts.join("/"))
}

pub(super) struct Writer<'a> {
    root: PathBuf,
    options: &'a ArchiveOptions,
    exclude: Vec<CString>,
    /// First archive name seen for each (device, inode) with several links.
    links: HashMap<(u64, u64), Vec<u8>>,
    buffer: Vec<u8>,
    names: Names,
    pub(super) summary: ArchiveSummary,
    /// The device of the archived directory (for mount points under it).
    root_dev: Option<u64>,
    /// Writing an OCI layer: a name starting with `.wh.` cannot be archived (it would read
    /// as a whiteout), and ACLs stay xattrs.
    pub(super) layer: bool,
}

impl<'a> Writer<'a> {
    pub(super) fn new(root: &Path, options: &'a ArchiveOptions) -> Result<Writer<'a>, Error> {
        let mut exclude = Vec::new();
        for pattern in &options.exclude {
            exclude.push(sys::c_name(pattern.as_bytes()).map_err(|e| Error::new(pattern.clone(), e))?);
        }
        Ok(Writer {
            root: root.to_path_buf(),
            options,
            exclude,
            links: HashMap::new(),
            buffer: vec![0u8; 256 * 1024],
            names: Names::default(),
            summary: ArchiveSummary::default(),
            root_dev: fs::metadata(root).ok().map(|m| m.dev()),
            layer: false,
        })
    }

    /// GNU tar's unanchored match: the pattern against the name as stored, and against every
    /// trailing part of it that starts after a `/`.
    pub(super) fn excluded(&self, name: &[u8]) -> bool {
        if self.exclude.is_empty() || name == b"." {
            return false;
        }
        let mut starts = vec![0];
        starts.extend(name.iter().enumerate().filter(|(_, b)| **b == b'/').map(|(i, _)| i + 1));
        self.exclude.iter().any(|p| starts.iter().any(|&s| sys::fnmatch(p, &name[s..])))
    }

    /// Why the contents of the directory `path` are left out, if they are: it is a mount
    /// point of another file system and `one_file_system` was asked, or of a kernel file
    /// system (a jail's devfs, procfs, nullfs…).
    pub(super) fn other_file_system(&self, path: &Path, meta: &fs::Metadata) -> Option<String> {
        let root_dev = self.root_dev?;
        if meta.dev() == root_dev {
            return None;
        }
        if self.options.one_file_system {
            return Some("mount point: contents of another file system not archived".into());
        }
        match sys::is_virtual_fs(path) {
            Ok(Some(kind)) => Some(format!("mount point of {kind}: contents not archived")),
            _ => None,
        }
    }

    /// Adds one path (archive name relative to the root) and, for a directory, everything
    /// under it.
    fn add<W: Write>(&mut self, name: String, out: &mut W) -> Result<(), Error> {
        let path = self.root.join(&name);
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::new(path.display().to_string(), e))?;
        self.add_entry(name.into_bytes(), &path, &meta, out)
    }

    pub(super) fn add_entry<W: Write>(
        &mut self,
        name: Vec<u8>,
        path: &Path,
        meta: &fs::Metadata,
        out: &mut W,
    ) -> Result<(), Error> {
        if self.excluded(&name) {
            return Ok(());
        }
        if self.write_entry(&name, path, meta, out)? {
            return self.add_children(&name, path, out);
        }
        Ok(())
    }

    /// Writes one entry (header and data) without what is under it; whether it is a
    /// directory whose contents are to be archived too (not a mount point left out).
    pub(super) fn write_entry<W: Write>(
        &mut self,
        name: &[u8],
        path: &Path,
        meta: &fs::Metadata,
        out: &mut W,
    ) -> Result<bool, Error> {
        let name = name.to_vec();
        let what = || path.display().to_string();
        if self.layer && name.rsplit(|&b| b == b'/').next().is_some_and(|base| base.starts_with(b".wh.")) {
            let why = "a name starting with .wh. cannot be in an OCI layer (it reads as a whiteout)";
            return Err(Error::new(what(), io::Error::new(io::ErrorKind::InvalidInput, why)));
        }
        let kind = meta.file_type();
        let mut entry = Entry::from_metadata(meta);
        if self.options.owner_names {
            entry.uname = self.names.user(meta.uid());
            entry.gname = self.names.group(meta.gid());
        }
        entry.xattrs = sys::xattrs(path).map_err(|e| Error::new(what(), e))?;
        // OCI layers keep POSIX ACLs as the raw `system.posix_acl_*` xattrs: the Go tar
        // readers of umoci, containerd and Docker read SCHILY.xattr.* and not star's
        // SCHILY.acl.* (umoci ignores the latter), and they write them that way too.
        if !self.layer {
            entry.take_acls();
        }
        // FreeBSD: an NFSv4 ACL, else POSIX.1e ones, as bsdtar writes them there (Linux
        // has no NFSv4 ACLs and reads its POSIX ones from the xattrs above).
        #[cfg(target_os = "freebsd")]
        {
            let acl = super::acl::read(path).map_err(|e| Error::new(what(), e))?;
            entry.acl_ace = acl.and_then(|acl| super::acl::text(&acl));
            if entry.acl_ace.is_none() && !kind.is_symlink() {
                let posix =
                    |default| super::acl::read_posix(path, default).map_err(|e| Error::new(what(), e));
                entry.acl_access = posix(false)?;
                if kind.is_dir() {
                    entry.acl_default = posix(true)?;
                }
            }
        }
        if kind.is_dir() {
            entry.fflags = file_flags(path, meta, None);
            entry.name = name.clone();
            entry.name.push(b'/');
            entry.kind = b'5';
            entry.write_header(out)?;
            self.summary.entries += 1;
            if let Some(why) = self.other_file_system(path, meta) {
                self.summary.skipped.push((String::from_utf8_lossy(&name).into_owned(), why));
                return Ok(false);
            }
            return Ok(true);
        }
        entry.name = name.clone();
        if !kind.is_symlink() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.links.get(&key) {
                entry.kind = b'1';
                entry.link = first.clone();
                entry.xattrs.clear();
                entry.fflags = None;
                entry.acl_access = None;
                entry.acl_default = None;
                entry.acl_ace = None;
                entry.write_header(out)?;
                self.summary.entries += 1;
                return Ok(false);
            }
            self.links.insert(key, name.clone());
        }
        if kind.is_file() {
            entry.kind = b'0';
            entry.size = meta.len();
            // O_NOFOLLOW: a file replaced by a symlink since the walk's lstat is not followed.
            let file = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .map_err(|e| Error::new(what(), e))?;
            entry.sparse = data_ranges(&file, meta).map_err(|e| Error::new(what(), e))?;
            entry.fflags = file_flags(path, meta, Some(&file));
            entry.write_header(out)?;
            match &entry.sparse {
                Some(map) => self.copy_sparse(path, &file, map, out)?,
                None => self.copy_file(path, file, meta.len(), out)?,
            }
        } else if kind.is_symlink() {
            entry.kind = b'2';
            entry.link =
                fs::read_link(path).map_err(|e| Error::new(what(), e))?.as_os_str().as_bytes().to_vec();
            entry.write_header(out)?;
        } else if kind.is_fifo() {
            entry.kind = b'6';
            entry.write_header(out)?;
        } else if kind.is_char_device() || kind.is_block_device() {
            entry.kind = if kind.is_char_device() { b'3' } else { b'4' };
            (entry.major, entry.minor) = sys::major_minor(meta.rdev());
            entry.write_header(out)?;
        } else {
            self.summary.skipped.push((String::from_utf8_lossy(&name).into_owned(), "socket ignored".into()));
            return Ok(false);
        }
        self.summary.entries += 1;
        Ok(false)
    }

    /// A whiteout: an empty regular file, mode 0, owned by 0:0, mtime 0, as umoci writes
    /// them (the name is all an applier reads).
    pub(super) fn write_whiteout<W: Write>(&mut self, name: Vec<u8>, out: &mut W) -> Result<(), Error> {
        let entry = Entry { name, kind: b'0', ..Entry::default() };
        entry.write_header(out)?;
        self.summary.entries += 1;
        Ok(())
    }

    fn add_children<W: Write>(&mut self, name: &[u8], path: &Path, out: &mut W) -> Result<(), Error> {
        let what = || path.display().to_string();
        let mut children = Vec::new();
        for child in fs::read_dir(path).map_err(|e| Error::new(what(), e))? {
            let child = child.map_err(|e| Error::new(what(), e))?;
            children.push(child.file_name());
        }
        children.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for child in children {
            let child_path = path.join(&child);
            let meta = fs::symlink_metadata(&child_path)
                .map_err(|e| Error::new(child_path.display().to_string(), e))?;
            let mut child_name = Vec::with_capacity(name.len() + 1 + child.len());
            child_name.extend_from_slice(name);
            child_name.push(b'/');
            child_name.extend_from_slice(child.as_bytes());
            self.add_entry(child_name, &child_path, &meta, out)?;
        }
        Ok(())
    }

    /// Copies exactly `size` bytes and the padding; a file that changed size while being
    /// read is an error (the archive would be inconsistent).
    fn copy_file<W: Write>(
        &mut self,
        path: &Path,
        mut file: fs::File,
        size: u64,
        out: &mut W,
    ) -> Result<(), Error> {
        let what = || path.display().to_string();
        let mut left = size;
        while left > 0 {
            let want = left.min(self.buffer.len() as u64) as usize;
            let n = match file.read(&mut self.buffer[..want]) {
                Ok(0) => {
                    return Err(Error::new(what(), io::Error::other("file shrank while being archived")));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::new(what(), e)),
            };
            out.write_all(&self.buffer[..n]).map_err(|e| Error::new("write", e))?;
            left -= n as u64;
        }
        let pad = padding(size);
        out.write_all(&[0u8; 512][..pad]).map_err(|e| Error::new("write", e))
    }
}

impl Writer<'_> {
    /// The map, then each data range of a sparse file, and the padding.
    fn copy_sparse<W: Write>(
        &mut self,
        path: &Path,
        file: &fs::File,
        map: &[(u64, u64)],
        out: &mut W,
    ) -> Result<(), Error> {
        use std::os::unix::fs::FileExt;
        let what = || path.display().to_string();
        let head = sparse_map(map);
        out.write_all(&head).map_err(|e| Error::new("write", e))?;
        let mut total = 0u64;
        for &(offset, len) in map {
            let mut done = 0u64;
            while done < len {
                let want = (len - done).min(self.buffer.len() as u64) as usize;
                let n = match file.read_at(&mut self.buffer[..want], offset + done) {
                    Ok(0) => {
                        return Err(Error::new(what(), io::Error::other("file shrank while being archived")));
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::new(what(), e)),
                };
                out.write_all(&self.buffer[..n]).map_err(|e| Error::new("write", e))?;
                done += n as u64;
            }
            total += len;
        }
        out.write_all(&[0u8; 512][..padding(total)]).map_err(|e| Error::new("write", e))
    }
}

/// The `SCHILY.fflags` text of a file or directory. FreeBSD has the flags in the stat
/// data; Linux needs an open file (the one being archived, or the directory opened here).
/// Unreadable flags (a file system without them) are no flags.
#[allow(unused_variables)]
pub(super) fn file_flags(path: &Path, meta: &fs::Metadata, file: Option<&fs::File>) -> Option<String> {
    #[cfg(target_os = "freebsd")]
    {
        use std::os::freebsd::fs::MetadataExt as _;
        sys::flags_text(u64::from(meta.st_flags()))
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsFd;
        let flags = match file {
            Some(file) => sys::flags(file.as_fd()),
            None => fs::File::open(path).and_then(|dir| sys::flags(dir.as_fd())),
        };
        flags.ok().and_then(sys::flags_text)
    }
    #[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
    None
}

/// Zero bytes after `size` bytes of data up to the next 512-byte block.
fn padding(size: u64) -> usize {
    ((512 - size % 512) % 512) as usize
}

/// One archive member's header fields.
#[derive(Default, Clone)]
struct Entry {
    name: Vec<u8>,
    kind: u8,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: i64,
    mtime_nsec: i64,
    size: u64,
    link: Vec<u8>,
    /// The data ranges `(offset, length)` of a file with holes (PAX sparse 1.0).
    sparse: Option<Vec<(u64, u64)>>,
    acl_access: Option<Vec<u8>>,
    acl_default: Option<Vec<u8>>,
    /// `SCHILY.acl.ace`: an NFSv4 ACL (FreeBSD), libarchive's text.
    acl_ace: Option<Vec<u8>>,
    major: u32,
    minor: u32,
    uname: Vec<u8>,
    gname: Vec<u8>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// `SCHILY.fflags`: file flags (FreeBSD chflags, Linux immutable/append/nodump).
    fflags: Option<String>,
}

impl Entry {
    /// Moves the POSIX ACL xattrs into the star text form both reference tars restore.
    fn take_acls(&mut self) {
        let mut rest = Vec::new();
        for (key, value) in std::mem::take(&mut self.xattrs) {
            let slot = match &key[..] {
                b"system.posix_acl_access" => &mut self.acl_access,
                b"system.posix_acl_default" => &mut self.acl_default,
                _ => {
                    rest.push((key, value));
                    continue;
                }
            };
            match acl_text(&value) {
                Some(text) => *slot = Some(text),
                None => rest.push((key, value)),
            }
        }
        self.xattrs = rest;
    }

    fn from_metadata(meta: &fs::Metadata) -> Entry {
        Entry {
            mode: meta.mode() & 0o7777,
            uid: u64::from(meta.uid()),
            gid: u64::from(meta.gid()),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            ..Entry::default()
        }
    }

    /// The PAX records this entry needs, sorted by key (empty for most entries).
    fn pax_records(&self, split: Option<usize>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut records = Vec::new();
        if let Some(map) = &self.sparse {
            // The header's own name is GNU's stand-in; the real one is GNU.sparse.name.
            records.push((b"GNU.sparse.major".to_vec(), b"1".to_vec()));
            records.push((b"GNU.sparse.minor".to_vec(), b"0".to_vec()));
            records.push((b"GNU.sparse.name".to_vec(), self.name.clone()));
            records.push((b"GNU.sparse.realsize".to_vec(), self.size.to_string().into_bytes()));
            let stored = sparse_map(map).len() as u64 + map.iter().map(|r| r.1).sum::<u64>();
            if stored > MAX_OCTAL_11 {
                records.push((b"size".to_vec(), stored.to_string().into_bytes()));
            }
        } else {
            if self.name.len() > 100 && split.is_none() {
                records.push((b"path".to_vec(), self.name.clone()));
            }
            if self.size > MAX_OCTAL_11 {
                records.push((b"size".to_vec(), self.size.to_string().into_bytes()));
            }
        }
        if let Some(text) = &self.fflags {
            records.push((b"SCHILY.fflags".to_vec(), text.clone().into_bytes()));
        }
        if let Some(text) = &self.acl_access {
            records.push((b"SCHILY.acl.access".to_vec(), text.clone()));
        }
        if let Some(text) = &self.acl_default {
            records.push((b"SCHILY.acl.default".to_vec(), text.clone()));
        }
        if self.link.len() > 100 {
            records.push((b"linkpath".to_vec(), self.link.clone()));
        }
        if self.uid > MAX_OCTAL_7 {
            records.push((b"uid".to_vec(), self.uid.to_string().into_bytes()));
        }
        if self.gid > MAX_OCTAL_7 {
            records.push((b"gid".to_vec(), self.gid.to_string().into_bytes()));
        }
        if self.mtime < 0 || self.mtime as u64 > MAX_OCTAL_11 || self.mtime_nsec != 0 {
            records.push((b"mtime".to_vec(), pax_time(self.mtime, self.mtime_nsec).into_bytes()));
        }
        if !self.uname.is_empty() && self.uname.len() > 31 {
            records.push((b"uname".to_vec(), self.uname.clone()));
        }
        if !self.gname.is_empty() && self.gname.len() > 31 {
            records.push((b"gname".to_vec(), self.gname.clone()));
        }
        for (key, value) in &self.xattrs {
            records.extend(xattr_records(key, value, LIBARCHIVE_XATTRS));
        }
        if let Some(text) = &self.acl_ace {
            records.push((b"SCHILY.acl.ace".to_vec(), text.clone()));
        }
        records.sort();
        records
    }

    fn write_header<W: Write>(&self, out: &mut W) -> Result<(), Error> {
        if let Some(map) = &self.sparse {
            let records = self.pax_records(None);
            let stand_in = Entry {
                name: sparse_stand_in(&self.name),
                size: sparse_map(map).len() as u64 + map.iter().map(|r| r.1).sum::<u64>(),
                sparse: None,
                xattrs: Vec::new(),
                acl_access: None,
                acl_default: None,
                acl_ace: None,
                ..self.clone()
            };
            stand_in.write_pax(&self.name, &records, out)?;
            return out.write_all(&stand_in.ustar_block(None)).map_err(|e| Error::new("write", e));
        }
        let split = split_name(&self.name);
        let records = self.pax_records(split);
        self.write_pax(&self.name, &records, out)?;
        out.write_all(&self.ustar_block(split)).map_err(|e| Error::new("write", e))
    }

    /// The PAX extended header holding `records`, if there are any.
    fn write_pax<W: Write>(
        &self,
        name: &[u8],
        records: &[(Vec<u8>, Vec<u8>)],
        out: &mut W,
    ) -> Result<(), Error> {
        if !records.is_empty() {
            let body = pax_body(records);
            let mut pax = Entry {
                name: pax_header_name(name),
                kind: b'x',
                mode: 0o644,
                mtime: self.mtime.clamp(0, MAX_OCTAL_11 as i64),
                size: body.len() as u64,
                ..Entry::default()
            };
            pax.name.truncate(100);
            out.write_all(&pax.ustar_block(None)).map_err(|e| Error::new("write", e))?;
            out.write_all(&body).map_err(|e| Error::new("write", e))?;
            out.write_all(&[0u8; 512][..padding(body.len() as u64)]).map_err(|e| Error::new("write", e))?;
        }
        Ok(())
    }

    /// The 512-byte ustar header. Fields that do not fit were put in the PAX header; here
    /// they are truncated, or written in base-256 (which GNU tar and bsdtar both read).
    fn ustar_block(&self, split: Option<usize>) -> [u8; 512] {
        let mut header = tar::Header::new_ustar();
        header.set_mode(self.mode);
        header.set_uid(self.uid);
        header.set_gid(self.gid);
        header.set_size(self.size);
        header.set_mtime(self.mtime.clamp(0, MAX_OCTAL_11 as i64) as u64);
        header.set_entry_type(tar::EntryType::new(self.kind));
        let (major, minor) = (u64::from(self.major).min(MAX_OCTAL_7), u64::from(self.minor).min(MAX_OCTAL_7));
        let ustar = header.as_ustar_mut().expect("ustar header");
        copy_field(&mut ustar.dev_major, format!("{major:07o}").as_bytes());
        copy_field(&mut ustar.dev_minor, format!("{minor:07o}").as_bytes());
        match split {
            Some(at) => {
                copy_field(&mut ustar.prefix, &self.name[..at]);
                copy_field(&mut ustar.name, &self.name[at + 1..]);
            }
            None => copy_field(&mut ustar.name, &self.name),
        }
        copy_field(&mut ustar.linkname, &self.link);
        copy_field(&mut ustar.uname, &self.uname);
        copy_field(&mut ustar.gname, &self.gname);
        header.set_cksum();
        *header.as_bytes()
    }
}

/// A PAX time: seconds, and a fraction without trailing zeros when there is one. A negative
/// time with a fraction is written as one signed decimal (-1.25 is 1.25 s before 1970),
/// which is how GNU tar and libarchive read it.
fn pax_time(secs: i64, nsec: i64) -> String {
    if nsec == 0 {
        return secs.to_string();
    }
    let (sign, whole, frac) =
        if secs < 0 { ("-", -(secs + 1), 1_000_000_000 - nsec) } else { ("", secs, nsec) };
    let frac = format!("{frac:09}");
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// GNU's stand-in header name of a sparse file, `DIR/GNUSparseFile.0/BASE` (GNU puts its
/// process id where we put 0, to stay deterministic), cut to fit the 100-byte name field:
/// readers that know PAX sparse use `GNU.sparse.name`, others extract the stand-in.
fn sparse_stand_in(name: &[u8]) -> Vec<u8> {
    let (dir, base) = match name.iter().rposition(|&b| b == b'/') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => (&b"."[..], name),
    };
    let mut out = [dir, b"/GNUSparseFile.0/", base].concat();
    if out.len() > 100 {
        out = [&b"GNUSparseFile.0/"[..], &base[..base.len().min(84)]].concat();
    }
    out
}

/// The map that starts the data of a PAX 1.0 sparse member: the number of ranges, then
/// offset and length of each, one decimal per line, padded to a whole block.
fn sparse_map(map: &[(u64, u64)]) -> Vec<u8> {
    let mut text = format!("{}\n", map.len());
    for (offset, len) in map {
        text.push_str(&format!("{offset}\n{len}\n"));
    }
    let mut bytes = text.into_bytes();
    let pad = padding(bytes.len() as u64);
    bytes.resize(bytes.len() + pad, 0);
    bytes
}

/// The data ranges of a file that has holes, `None` for a dense one. A file whose blocks
/// cover its size is dense without asking; otherwise SEEK_DATA/SEEK_HOLE tell (a file system
/// without them reports the whole file as data).
fn data_ranges(file: &fs::File, meta: &fs::Metadata) -> io::Result<Option<Vec<(u64, u64)>>> {
    let size = meta.len();
    if size == 0 || meta.blocks() * 512 >= size {
        return Ok(None);
    }
    let mut ranges = sys::data_ranges(file, size)?;
    if ranges.len() == 1 && ranges[0] == (0, size) {
        return Ok(None);
    }
    // A file ending in a hole gets an empty last range at its end, as GNU tar writes it.
    if ranges.last().is_none_or(|&(o, l)| o + l < size) {
        ranges.push((size, 0));
    }
    Ok(Some(ranges))
}

/// A Linux `system.posix_acl_*` xattr value as star's text (`SCHILY.acl.*`), numeric ids
/// with the id repeated as the fourth field as libarchive and GNU tar write it; `None` for
/// a value that is not a version-2 ACL (kept as an xattr then).
fn acl_text(value: &[u8]) -> Option<Vec<u8>> {
    if value.len() < 4 || !(value.len() - 4).is_multiple_of(8) || value[..4] != 2u32.to_le_bytes() {
        return None;
    }
    let mut parts = Vec::new();
    for entry in value[4..].chunks(8) {
        let tag = u16::from_le_bytes([entry[0], entry[1]]);
        let perm = u16::from_le_bytes([entry[2], entry[3]]);
        let id = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
        let rwx: String = [(4, 'r'), (2, 'w'), (1, 'x')]
            .iter()
            .map(|&(bit, c)| if perm & bit != 0 { c } else { '-' })
            .collect();
        parts.push(match tag {
            0x01 => format!("user::{rwx}"),
            0x02 => format!("user:{id}:{rwx}:{id}"),
            0x04 => format!("group::{rwx}"),
            0x08 => format!("group:{id}:{rwx}:{id}"),
            0x10 => format!("mask::{rwx}"),
            0x20 => format!("other::{rwx}"),
            _ => return None,
        });
    }
    Some(parts.join(",").into_bytes())
}

/// Copies as much of `value` as fits; the rest of the field stays NUL.
fn copy_field(field: &mut [u8], value: &[u8]) {
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

/// Where to split a name longer than 100 bytes into ustar prefix (≤ 155) and name (≤ 100),
/// at a `/`; `None` when it fits as is or cannot be split (then a PAX `path` record holds it).
fn split_name(name: &[u8]) -> Option<usize> {
    if name.len() <= 100 {
        return None;
    }
    // The last possible slash that leaves a non-empty name part of at most 100 bytes and a prefix ≤ 155.
    (0..name.len().min(156))
        .rev()
        .find(|&i| name[i] == b'/' && name.len() - i - 1 <= 100 && name.len() - i > 1)
}

/// The name of a PAX header entry, fixed by the member name (GNU tar's `%d/PaxHeaders/%f`
/// without the process id, so that it is deterministic).
fn pax_header_name(name: &[u8]) -> Vec<u8> {
    let trimmed = name.strip_suffix(b"/").unwrap_or(name);
    let (dir, base) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (&b"."[..], trimmed),
    };
    let mut out = dir.to_vec();
    out.extend_from_slice(b"/PaxHeaders/");
    out.extend_from_slice(base);
    if out.len() > 100 {
        let mut short = b"PaxHeaders/".to_vec();
        short.extend_from_slice(&base[..base.len().min(89)]);
        return short;
    }
    out
}

/// PAX records `"LEN KEY=VALUE\n"`, where LEN counts its own digits.
fn pax_body(records: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in records {
        append_pax_record(&mut body, key, value);
    }
    body
}

/// One PAX record (see [`pax_body`]).
#[cfg(test)]
pub(super) fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    append_pax_record(&mut body, key, value);
    body
}

fn append_pax_record(body: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let rest = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    body.extend_from_slice(len.to_string().as_bytes());
    body.push(b' ');
    body.extend_from_slice(key);
    body.push(b'=');
    body.extend_from_slice(value);
    body.push(b'\n');
}

/// Whether xattrs are also written as `LIBARCHIVE.xattr.*` (FreeBSD: bsdtar's form there,
/// beside `SCHILY.xattr.*`; on Linux GNU tar reads SCHILY only and warns about the other).
const LIBARCHIVE_XATTRS: bool = cfg!(target_os = "freebsd");

/// The PAX records of one xattr. As libarchive's pax writer writes them
/// (`archive_write_pax_header_xattr`) when `libarchive_too`: the name URL-encoded
/// (`%XX` for bytes outside `!`..`~`, `%` and `=`) in both, `LIBARCHIVE.xattr.NAME` with
/// the value in base64 without padding and `SCHILY.xattr.NAME` with the raw value. Else
/// the `SCHILY.xattr.NAME` record alone, with the name as it is (GNU tar's form).
fn xattr_records(name: &[u8], value: &[u8], libarchive_too: bool) -> Vec<(Vec<u8>, Vec<u8>)> {
    if !libarchive_too {
        return vec![([&b"SCHILY.xattr."[..], name].concat(), value.to_vec())];
    }
    let mut encoded = Vec::with_capacity(name.len());
    for &b in name {
        if !(33..=126).contains(&b) || b == b'%' || b == b'=' {
            encoded.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            encoded.push(b);
        }
    }
    use base64::Engine as _;
    let base64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(value).into_bytes();
    vec![
        ([&b"LIBARCHIVE.xattr."[..], &encoded].concat(), base64),
        ([&b"SCHILY.xattr."[..], &encoded].concat(), value.to_vec()),
    ]
}

/// User and group names by id, looked up once each.
#[derive(Default)]
struct Names {
    users: HashMap<u32, Vec<u8>>,
    groups: HashMap<u32, Vec<u8>>,
}

impl Names {
    fn user(&mut self, uid: u32) -> Vec<u8> {
        self.users.entry(uid).or_insert_with(|| lookup_user(uid)).clone()
    }

    fn group(&mut self, gid: u32) -> Vec<u8> {
        self.groups.entry(gid).or_insert_with(|| lookup_group(gid)).clone()
    }
}

fn lookup_user(uid: u32) -> Vec<u8> {
    let mut buf = vec![0 as libc::c_char; 16384];
    // SAFETY: passwd is plain data filled by getpwuid_r.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result = std::ptr::null_mut();
    // SAFETY: valid pointers and buffer length; on success pw_name points into buf.
    let ret = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if ret != 0 || result.is_null() {
        return Vec::new();
    }
    // SAFETY: pw_name is a NUL-terminated string inside buf.
    unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }.to_bytes().to_vec()
}

fn lookup_group(gid: u32) -> Vec<u8> {
    let mut buf = vec![0 as libc::c_char; 16384];
    // SAFETY: group is plain data filled by getgrgid_r.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut result = std::ptr::null_mut();
    // SAFETY: valid pointers and buffer length; on success gr_name points into buf.
    let ret = unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut result) };
    if ret != 0 || result.is_null() {
        return Vec::new();
    }
    // SAFETY: gr_name is a NUL-terminated string inside buf.
    unsafe { std::ffi::CStr::from_ptr(grp.gr_name) }.to_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let body = pax_body(&[(b"path".to_vec(), vec![b'a'; 95])]);
        let text = String::from_utf8(body.clone()).unwrap();
        let len: usize = text.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(len, body.len());
        for n in [1usize, 85, 90, 91, 92, 93, 94, 95, 96, 990, 995, 996] {
            let body = pax_body(&[(b"k".to_vec(), vec![b'v'; n])]);
            let text = String::from_utf8(body.clone()).unwrap();
            let len: usize = text.split(' ').next().unwrap().parse().unwrap();
            assert_eq!(len, body.len(), "value length {n}");
        }
    }

    #[test]
    fn long_names_split_at_a_slash_or_go_to_pax() {
        let name = [vec![b'd'; 120], b"/".to_vec(), vec![b'f'; 50]].concat();
        assert_eq!(split_name(&name), Some(120));
        assert_eq!(split_name(b"short"), None);
        assert_eq!(split_name(&[b'x'; 150]), None);
        let entry = Entry { name: vec![b'x'; 150], ..Entry::default() };
        assert_eq!(entry.pax_records(None)[0].0, b"path");
    }

    #[test]
    fn big_values_get_pax_records_and_base256_fields() {
        let entry = Entry {
            name: b"f".to_vec(),
            kind: b'0',
            size: 9 << 30,
            uid: 3_000_000,
            mtime: -5,
            ..Entry::default()
        };
        let keys: Vec<Vec<u8>> = entry.pax_records(None).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [b"mtime".to_vec(), b"size".to_vec(), b"uid".to_vec()]);
        let block = entry.ustar_block(None);
        let header = tar::Header::from_byte_slice(&block);
        assert_eq!(header.size().unwrap(), 9 << 30);
        assert_eq!(header.uid().unwrap(), 3_000_000);
        assert_eq!(header.mtime().unwrap(), 0, "negative mtimes live in the PAX record only");
    }

    #[test]
    fn acl_xattrs_become_star_text() {
        let mut value = 2u32.to_le_bytes().to_vec();
        for (tag, perm, id) in [
            (1u16, 6u16, u32::MAX),
            (2, 5, 1001),
            (4, 4, u32::MAX),
            (8, 6, 1002),
            (0x10, 7, u32::MAX),
            (0x20, 0, u32::MAX),
        ] {
            value.extend_from_slice(&tag.to_le_bytes());
            value.extend_from_slice(&perm.to_le_bytes());
            value.extend_from_slice(&id.to_le_bytes());
        }
        let text = acl_text(&value).unwrap();
        assert_eq!(text, b"user::rw-,user:1001:r-x:1001,group::r--,group:1002:rw-:1002,mask::rwx,other::---");
        assert_eq!(acl_text(b"\x01\x00\x00\x00"), None, "unknown version stays an xattr");
        assert_eq!(acl_text(&value[..7]), None);
    }

    /// The records libarchive's pax writer wrote for `user.data1=ABCDEFG` and
    /// `user.data2=XYZ` into libarchive/test/test_pax_xattr_header_all.tar (its default,
    /// both forms: what bsdtar writes on FreeBSD).
    #[test]
    fn xattrs_are_written_as_libarchive_writes_them_on_freebsd() {
        let body = |name: &[u8], value: &[u8]| pax_body(&xattr_records(name, value, true));
        assert_eq!(
            body(b"user.data1", b"ABCDEFG"),
            b"42 LIBARCHIVE.xattr.user.data1=QUJDREVGRw\n35 SCHILY.xattr.user.data1=ABCDEFG\n"
        );
        assert_eq!(
            body(b"user.data2", b"XYZ"),
            b"36 LIBARCHIVE.xattr.user.data2=WFla\n31 SCHILY.xattr.user.data2=XYZ\n"
        );
        // url_encode(): bytes outside '!'..'~', '%' and '=' as %XX, in both keys.
        let records = xattr_records(b"user.a b=%\xe9", b"\n\x00", true);
        assert_eq!(records[0], (b"LIBARCHIVE.xattr.user.a%20b%3D%25%E9".to_vec(), b"CgA".to_vec()));
        assert_eq!(records[1], (b"SCHILY.xattr.user.a%20b%3D%25%E9".to_vec(), b"\n\x00".to_vec()));
        // Linux: GNU tar's form only, the name as it is.
        assert_eq!(
            xattr_records(b"user.a b", b"v", false),
            [(b"SCHILY.xattr.user.a b".to_vec(), b"v".to_vec())]
        );
    }

    #[test]
    fn pax_times_keep_nanoseconds_and_sign() {
        assert_eq!(pax_time(5, 0), "5");
        assert_eq!(pax_time(1612325106, 123456789), "1612325106.123456789");
        assert_eq!(pax_time(1, 500_000_000), "1.5");
        assert_eq!(pax_time(-2, 750_000_000), "-1.25");
    }

    #[test]
    fn sparse_map_and_stand_in_name() {
        let map = sparse_map(&[(0, 4096), (1 << 30, 0)]);
        assert_eq!(map.len(), 512);
        assert!(map.starts_with(b"2\n0\n4096\n1073741824\n0\n\0"));
        assert_eq!(sparse_stand_in(b"./var/db/big"), b"./var/db/GNUSparseFile.0/big");
        assert!(sparse_stand_in(&[b'd'; 200]).len() <= 100);
    }

    #[test]
    fn members_are_normalized() {
        assert_eq!(normalize_member("./jail/").unwrap(), "./jail");
        assert_eq!(normalize_member("conf//volumes").unwrap(), "conf/volumes");
        assert_eq!(normalize_member(".").unwrap(), ".");
        assert!(normalize_member("../x").is_err());
        assert!(normalize_member("/etc").is_err());
        assert!(normalize_member("a/../../b").is_err());
    }
}
