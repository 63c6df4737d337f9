//! OCI layers: the changes from a base tree to a new one as a tar stream with whiteouts
//! ([`archive_changes`]), and their application (the extractor with
//! [`ExtractOptions::layer`](super::ExtractOptions::layer)).
//!
//! What counts as a change follows umoci (`oci/layer/generate.go` over go-mtree with the
//! keywords size, type, uid, gid, mode, link, nlink, tar_time, sha256digest, xattr), with
//! mtimes to the nanosecond rather than the second, file flags too, and hard-link groups
//! compared by their names rather than by the link count: an entry is written when its type,
//! content, mode, owner, mtime, xattrs (POSIX ACLs included), file flags, symlink target,
//! device number or set of hard-linked names differs, or when it is new. A change of type
//! is just the new entry (an applier replaces whatever has the name, a directory tree too,
//! as umoci and containerd do); a deleted entry is a whiteout `DIR/.wh.NAME` (one for a
//! deleted directory, not one per file under it, unlike umoci).
//!
//! Opaque directories: when a directory lost entries and nothing of its old contents is
//! kept as it was (every old name deleted, replaced by another type, or changed; no old
//! subdirectory kept), it gets `DIR/.wh..wh..opq` instead of one whiteout per deleted name:
//! everything it now holds is in the layer anyway, so the marker costs nothing and says
//! "the lower contents are gone" in one entry.
//!
//! Parents: every directory on the way to a change is written too (its header only), as
//! containerd and Docker do, so that an applier that creates missing parents gets their
//! metadata right. Order inside a directory: its header, the opaque marker or the whiteouts,
//! then its entries in byte order, so that appliers that apply whiteouts as they come
//! (Docker) cannot delete what the same layer adds. The entries are in the format of a
//! plain `archive` (same headers, PAX records, sparse files): same trees, same bytes.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::archive::{ArchiveOptions, ArchiveSummary, Writer, file_flags};
use super::extract::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use super::sys;
use crate::io::Error;

/// Writes the changes from `base` to `new` (two directories) to `out` as an OCI layer:
/// the tar stream [`archive`](super::archive) would write of `new`, less what `base`
/// already has as it is, plus whiteouts for what `base` has and `new` has not. `options`
/// as for `archive` (excluded names are neither compared nor whited out). Finishes the
/// archive with its two zero blocks but does not flush `out`.
pub fn archive_changes<W: Write>(
    new: &Path,
    base: &Path,
    options: &ArchiveOptions,
    out: &mut W,
) -> Result<ArchiveSummary, Error> {
    let meta =
        |path: &Path| fs::symlink_metadata(path).map_err(|e| Error::new(path.display().to_string(), e));
    let (new_meta, base_meta) = (meta(new)?, meta(base)?);
    for (path, meta) in [(new, &new_meta), (base, &base_meta)] {
        if !meta.is_dir() {
            return Err(Error::new(path.display().to_string(), io::Error::other("not a directory")));
        }
    }
    let mut writer = Writer::new(new, options)?;
    writer.layer = true;
    let new_groups = link_groups(new, &writer)?;
    let base_groups = link_groups(base, &writer)?;
    let mut diff = Diff { writer, new_groups, base_groups, pending: Vec::new(), buffers: Default::default() };
    diff.directory(b".", new, base, &new_meta, &base_meta, out)?;
    out.write_all(&[0u8; 1024]).map_err(|e| Error::new("write", e))?;
    Ok(diff.writer.summary)
}

/// The names of each file with several links, by (device, inode), in byte order.
type Groups = HashMap<(u64, u64), Vec<Vec<u8>>>;

/// The hard-link groups of a tree (only files with more than one link), excluded names left
/// out as the writer leaves them out.
fn link_groups(root: &Path, writer: &Writer<'_>) -> Result<Groups, Error> {
    let mut groups = Groups::new();
    let mut stack = vec![(root.to_path_buf(), b".".to_vec())];
    while let Some((path, name)) = stack.pop() {
        for (child, child_path, meta) in children(&path, &name, writer)? {
            if meta.is_dir() {
                stack.push((child_path, child));
            } else if meta.is_file() && meta.nlink() > 1 {
                groups.entry((meta.dev(), meta.ino())).or_default().push(child);
            }
        }
    }
    for names in groups.values_mut() {
        names.sort();
    }
    Ok(groups)
}

/// The entries of a directory, sorted by name, without the excluded ones: (archive name,
/// path, lstat).
fn children(
    path: &Path,
    name: &[u8],
    writer: &Writer<'_>,
) -> Result<Vec<(Vec<u8>, PathBuf, fs::Metadata)>, Error> {
    let what = |p: &Path, e| Error::new(p.display().to_string(), e);
    let mut names = Vec::new();
    for entry in fs::read_dir(path).map_err(|e| what(path, e))? {
        names.push(entry.map_err(|e| what(path, e))?.file_name());
    }
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let mut out = Vec::with_capacity(names.len());
    for child in names {
        let child_name = [name, b"/", child.as_bytes()].concat();
        if writer.excluded(&child_name) {
            continue;
        }
        let child_path = path.join(&child);
        let meta = fs::symlink_metadata(&child_path).map_err(|e| what(&child_path, e))?;
        out.push((child_name, child_path, meta));
    }
    Ok(out)
}

/// The last component of an archive name.
fn base_name(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b'/').next().unwrap_or(name)
}

/// A file's type, to tell a change of type from a change of attributes.
fn kind(meta: &fs::Metadata) -> u8 {
    let t = meta.file_type();
    match () {
        _ if t.is_dir() => b'd',
        _ if t.is_file() => b'f',
        _ if t.is_symlink() => b'l',
        _ if t.is_fifo() => b'p',
        _ if t.is_char_device() => b'c',
        _ if t.is_block_device() => b'b',
        _ => b's',
    }
}

struct Diff<'a> {
    writer: Writer<'a>,
    new_groups: Groups,
    base_groups: Groups,
    /// Directories on the way to the current one whose headers are not written yet (they
    /// did not change themselves): written as soon as something under them is.
    pending: Vec<(Vec<u8>, PathBuf, fs::Metadata)>,
    /// Two read buffers for comparing contents.
    buffers: (Vec<u8>, Vec<u8>),
}

/// What became of one old entry of a directory.
enum Old {
    /// Kept as a directory: compared below.
    Directory(PathBuf, Box<fs::Metadata>),
    /// Same type, nothing changed.
    Same,
    /// Same type, changed: the new entry is written.
    Changed,
    /// Another type now, or new: the new entry is written with all it holds.
    Replaced,
}

impl Diff<'_> {
    /// Writes the headers of the directories waiting above the next change.
    fn flush<W: Write>(&mut self, out: &mut W) -> Result<(), Error> {
        for (name, path, meta) in std::mem::take(&mut self.pending) {
            self.writer.write_entry(&name, &path, &meta, out)?;
        }
        Ok(())
    }

    /// The changes in a directory present in both trees (`name` its archive name).
    fn directory<W: Write>(
        &mut self,
        name: &[u8],
        new: &Path,
        base: &Path,
        new_meta: &fs::Metadata,
        base_meta: &fs::Metadata,
        out: &mut W,
    ) -> Result<(), Error> {
        let descend = if self.attributes_changed(name, new, base, new_meta, base_meta)? {
            self.flush(out)?;
            self.writer.write_entry(name, new, new_meta, out)?
        } else {
            self.pending.push((name.to_vec(), new.to_path_buf(), new_meta.clone()));
            match self.writer.other_file_system(new, new_meta) {
                Some(why) => {
                    self.writer.summary.skipped.push((String::from_utf8_lossy(name).into_owned(), why));
                    false
                }
                None => true,
            }
        };
        if descend {
            self.entries(name, new, base, out)?;
        }
        if self.pending.last().is_some_and(|(pending, _, _)| pending == name) {
            self.pending.pop();
        }
        Ok(())
    }

    fn entries<W: Write>(&mut self, name: &[u8], new: &Path, base: &Path, out: &mut W) -> Result<(), Error> {
        let new_children = children(new, name, &self.writer)?;
        let mut base_children: HashMap<Vec<u8>, (PathBuf, fs::Metadata)> =
            children(base, name, &self.writer)?
                .into_iter()
                .map(|(child, path, meta)| (child, (path, meta)))
                .collect();
        let mut fates = Vec::with_capacity(new_children.len());
        let mut kept = 0usize;
        for (child, path, meta) in &new_children {
            let fate = match base_children.remove(child) {
                None => Old::Replaced,
                Some((_, old)) if kind(&old) != kind(meta) => Old::Replaced,
                Some((old_path, old)) if meta.is_dir() => Old::Directory(old_path, Box::new(old)),
                Some((old_path, old)) => {
                    if self.attributes_changed(child, path, &old_path, meta, &old)? {
                        Old::Changed
                    } else {
                        Old::Same
                    }
                }
            };
            if matches!(fate, Old::Directory(..) | Old::Same) {
                kept += 1;
            }
            fates.push(fate);
        }
        // What is left of the old entries was deleted.
        let mut deleted: Vec<Vec<u8>> = base_children.into_keys().collect();
        deleted.sort();
        if !deleted.is_empty() {
            self.flush(out)?;
            if kept == 0 {
                self.writer.write_whiteout([name, b"/", OPAQUE_MARKER].concat(), out)?;
            } else {
                for old in deleted {
                    let whiteout = [name, b"/", WHITEOUT_PREFIX, base_name(&old)].concat();
                    self.writer.write_whiteout(whiteout, out)?;
                }
            }
        }
        for ((child, path, meta), fate) in new_children.into_iter().zip(fates) {
            match fate {
                Old::Same => {}
                Old::Directory(old_path, old) => {
                    self.directory(&child, &path, &old_path, &meta, &old, out)?
                }
                Old::Changed => {
                    self.flush(out)?;
                    self.writer.write_entry(&child, &path, &meta, out)?;
                }
                Old::Replaced => {
                    self.flush(out)?;
                    self.writer.add_entry(child, &path, &meta, out)?;
                }
            }
        }
        Ok(())
    }

    /// Whether an entry of the same type in both trees differs in anything a layer
    /// carries: mode, owner, mtime, xattrs, file flags; content and hard-link group of a
    /// file, target of a symlink, number of a device.
    fn attributes_changed(
        &mut self,
        name: &[u8],
        new: &Path,
        base: &Path,
        new_meta: &fs::Metadata,
        base_meta: &fs::Metadata,
    ) -> Result<bool, Error> {
        let what = |p: &Path| p.display().to_string();
        let (a, b) = (new_meta, base_meta);
        if a.mode() & 0o7777 != b.mode() & 0o7777
            || a.uid() != b.uid()
            || a.gid() != b.gid()
            || (a.mtime(), a.mtime_nsec()) != (b.mtime(), b.mtime_nsec())
        {
            return Ok(true);
        }
        let t = a.file_type();
        if (t.is_char_device() || t.is_block_device()) && a.rdev() != b.rdev() {
            return Ok(true);
        }
        if t.is_symlink() {
            let target = |p: &Path| fs::read_link(p).map_err(|e| Error::new(what(p), e));
            if target(new)? != target(base)? {
                return Ok(true);
            }
        }
        if t.is_file() && (a.len() != b.len() || self.group(name, a, true) != self.group(name, b, false)) {
            return Ok(true);
        }
        let xattrs = |p: &Path| sys::xattrs(p).map_err(|e| Error::new(what(p), e));
        if xattrs(new)? != xattrs(base)? {
            return Ok(true);
        }
        // Flags need an open file on Linux: only files and directories have them here.
        if (t.is_file() || t.is_dir()) && file_flags(new, a, None) != file_flags(base, b, None) {
            return Ok(true);
        }
        // The same inode (OLD a hard-linked copy of NEW) holds the same bytes.
        let same_inode = (a.dev(), a.ino()) == (b.dev(), b.ino());
        Ok(t.is_file() && !same_inode && !self.same_content(new, base)?)
    }

    /// The names linked to a file (itself alone when it has one link).
    fn group(&self, name: &[u8], meta: &fs::Metadata, new: bool) -> Vec<Vec<u8>> {
        let groups = if new { &self.new_groups } else { &self.base_groups };
        match groups.get(&(meta.dev(), meta.ino())) {
            Some(names) if meta.nlink() > 1 => names.clone(),
            _ => vec![name.to_vec()],
        }
    }

    /// Whether two files of the same length hold the same bytes.
    fn same_content(&mut self, new: &Path, base: &Path) -> Result<bool, Error> {
        let open = |p: &Path| {
            fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(p)
                .map_err(|e| Error::new(p.display().to_string(), e))
        };
        let (mut a, mut b) = (open(new)?, open(base)?);
        let (x, y) = &mut self.buffers;
        x.resize(256 * 1024, 0);
        y.resize(256 * 1024, 0);
        loop {
            let n = read_full(&mut a, x).map_err(|e| Error::new(new.display().to_string(), e))?;
            let m = read_full(&mut b, &mut y[..n.max(1)])
                .map_err(|e| Error::new(base.display().to_string(), e))?;
            if n != m || x[..n] != y[..m] {
                return Ok(false);
            }
            if n == 0 {
                return Ok(true);
            }
        }
    }
}

/// Reads until `buf` is full or the file ends; the bytes read.
fn read_full(file: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
