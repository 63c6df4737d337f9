//! The content-addressed cache: `DIR/<algorithm>/<hex>`, one file per digest.
//!
//! An entry is trusted only after it is hashed again (a disk or a user may have changed it);
//! a bad entry is removed and the download goes ahead. Entries are added atomically (a
//! temporary name in the same directory, then a rename and a directory fsync: jcore's
//! atomic file, or its `rename_durably` step for a hard link), as hard links of the downloaded
//! file when the cache is on the same filesystem, else as copies.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use jcore::digest::Expected;
use jcore::io::AtomicFile;

use crate::fetch::hash_file;

/// A cache directory.
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache rooted at `dir` (created on first insert).
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    /// Where the file with this digest lives.
    pub fn entry(&self, expected: &Expected) -> PathBuf {
        self.dir.join(expected.algorithm.name()).join(expected.to_hex())
    }

    /// The entry for this digest when it exists and verifies (digest, and size when
    /// given). A bad entry is removed; the reason is returned for a warning.
    pub fn lookup(&self, expected: &Expected, size: Option<u64>) -> Result<Option<PathBuf>, String> {
        let path = self.entry(expected);
        if !path.is_file() {
            return Ok(None);
        }
        let (digest, len) =
            hash_file(&path, expected.algorithm).map_err(|e| format!("{}: {e}", path.display()))?;
        let reason = if size.is_some_and(|s| s != len) {
            Some(format!("size {len}, expected {}", size.unwrap_or(0)))
        } else if !expected.matches(&digest) {
            Some(format!("{} is {}", expected.algorithm, digest.to_hex()))
        } else {
            None
        };
        match reason {
            None => Ok(Some(path)),
            Some(reason) => {
                let _ = fs::remove_file(&path);
                Err(format!("cache entry {} was corrupt ({reason}); removed", path.display()))
            }
        }
    }

    /// The entry as an atomic file, for a stream whose copy is kept once verified
    /// ([`AtomicFile::commit`]: fsync, rename, directory fsync); dropped, it leaves nothing.
    pub fn temp_file(&self, expected: &Expected) -> Result<AtomicFile, jcore::io::Error> {
        let entry = self.entry(expected);
        if let Some(dir) = entry.parent() {
            fs::create_dir_all(dir).map_err(|e| jcore::io::Error::new(dir.display().to_string(), e))?;
        }
        AtomicFile::create(&entry)
    }

    /// Adds a verified file: hard-linked when possible (renamed into place with the
    /// directory fsynced, as an atomic commit does), else copied through an atomic file.
    pub fn insert(&self, expected: &Expected, file: &Path) -> io::Result<()> {
        let temp = self.temp_path(expected)?;
        jcore::io::register_cleanup(&temp);
        let linked =
            fs::hard_link(file, &temp).and_then(|()| jcore::io::rename_durably(&temp, &self.entry(expected)));
        if linked.is_err() {
            let _ = fs::remove_file(&temp);
        }
        jcore::io::unregister_cleanup(&temp);
        if linked.is_ok() {
            return Ok(());
        }
        let words = |e: jcore::io::Error| io::Error::other(jcore::exit::message(&e));
        let mut atomic = AtomicFile::create(&self.entry(expected)).map_err(words)?;
        io::copy(&mut File::open(file)?, &mut atomic)?;
        atomic.commit().map_err(words)
    }

    fn temp_path(&self, expected: &Expected) -> io::Result<PathBuf> {
        let dir = self.dir.join(expected.algorithm.name());
        fs::create_dir_all(&dir)?;
        Ok(dir.join(format!(".{}.{}.jtools-tmp", expected.to_hex(), std::process::id())))
    }
}

/// Places a copy of `from` at `out` atomically: a hard link when the two share a
/// filesystem (no data copied), else a copy; an existing `out` is replaced only at the end.
pub fn place(from: &Path, out: &Path) -> Result<(), jcore::io::Error> {
    let name = out.display().to_string();
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name =
        out.file_name().ok_or_else(|| jcore::io::Error::new(&name, io::Error::other("not a file name")))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}.jtools-link", std::process::id()));
    let temp = dir.join(temp_name);
    let _ = fs::remove_file(&temp);
    if fs::hard_link(from, &temp).is_ok() {
        return jcore::io::rename_durably(&temp, out).map_err(|e| {
            let _ = fs::remove_file(&temp);
            jcore::io::Error::new(&name, e)
        });
    }
    let mut atomic = jcore::io::AtomicFile::create(out)?;
    let mut input = File::open(from).map_err(|e| jcore::io::Error::new(from.display().to_string(), e))?;
    io::copy(&mut input, &mut atomic).map_err(|e| jcore::io::Error::new(&name, e))?;
    atomic.commit()
}
