//! Two extracted trees compared member by member, as `jsnap recv --dir` must match
//! `bsdtar -xpf`: names, types, content, modes, owners, mtimes to the nanosecond, symlink
//! targets, hard-link groups, holes of sparse files and every xattr (POSIX ACLs included,
//! which Linux keeps as `system.posix_acl_*` xattrs).

use std::collections::BTreeMap;
#[cfg(target_os = "linux")]
use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What is compared of one member.
#[derive(Debug, PartialEq, Eq)]
pub struct Member {
    pub kind: &'static str,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: (i64, i64),
    pub size: u64,
    /// SHA-256 of a regular file's content.
    pub content: Option<Vec<u8>>,
    pub target: Option<Vec<u8>>,
    /// For a file with several links: the first name (in byte order) of its link group.
    pub link_group: Option<Vec<u8>>,
    /// The data ranges (SEEK_DATA/SEEK_HOLE) of a regular file.
    pub data: Vec<(u64, u64)>,
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Every member under `root` (root itself as "."), by name.
pub fn snapshot(root: &Path) -> BTreeMap<Vec<u8>, Member> {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), b".".to_vec())];
    let mut all = Vec::new();
    // As a user, a tree extracted with its archive's modes can hold directories and files
    // their owner may not read (mode 000, say); root reads them anyway. Then the owner's
    // read (and search) bit is added for the walk and the mode put back at the end: what
    // is recorded is the mode found.
    let mut opened: Vec<(PathBuf, u32)> = Vec::new();
    let not_root = !super::is_root();
    while let Some((path, name)) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let wanted = if meta.is_dir() { 0o500 } else { 0o400 };
        if not_root && (meta.is_dir() || meta.is_file()) && meta.mode() & wanted != wanted {
            let mode = meta.mode() & 0o7777;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode | wanted)).unwrap();
            opened.push((path.clone(), mode));
        }
        if meta.is_dir() {
            for e in fs::read_dir(&path).unwrap() {
                let e = e.unwrap();
                let mut child = name.clone();
                child.push(b'/');
                child.extend_from_slice(e.file_name().as_bytes());
                stack.push((e.path(), child));
            }
        }
        all.push((path, name, meta));
    }
    all.sort_by(|a, b| a.1.cmp(&b.1));
    for (_, name, meta) in &all {
        if meta.is_file() && meta.nlink() > 1 {
            inodes.entry(meta.ino()).or_insert_with(|| name.clone());
        }
    }
    for (path, name, meta) in all {
        let ft = meta.file_type();
        use std::os::unix::fs::FileTypeExt;
        let kind = if ft.is_dir() {
            "dir"
        } else if ft.is_symlink() {
            "symlink"
        } else if ft.is_file() {
            "file"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_char_device() {
            "char"
        } else if ft.is_block_device() {
            "block"
        } else {
            "other"
        };
        let is_root = name == b".";
        let member = Member {
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            // bsdtar leaves the mtime of the directory it extracts into alone.
            mtime: if is_root { (0, 0) } else { (meta.mtime(), meta.mtime_nsec()) },
            size: if ft.is_file() { meta.len() } else { 0 },
            content: ft.is_file().then(|| digest(&path, &data_ranges(&path, meta.len()))),
            target: ft.is_symlink().then(|| fs::read_link(&path).unwrap().as_os_str().as_bytes().to_vec()),
            link_group: (ft.is_file() && meta.nlink() > 1).then(|| inodes[&meta.ino()].clone()),
            data: if ft.is_file() { data_ranges(&path, meta.len()) } else { Vec::new() },
            xattrs: xattrs(&path),
        };
        out.insert(name, member);
    }
    // Deepest first, so that each is reached through the parents still open.
    for (path, mode) in opened.into_iter().rev() {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    out
}

/// The data ranges of a file as SEEK_DATA/SEEK_HOLE report them.
pub fn data_ranges(path: &Path, len: u64) -> Vec<(u64, u64)> {
    use std::os::fd::AsRawFd;
    let file = fs::File::open(path).unwrap();
    let fd = file.as_raw_fd();
    let mut out = Vec::new();
    let mut at = 0i64;
    while (at as u64) < len {
        // SAFETY: valid fd.
        let data = unsafe { libc::lseek(fd, at, libc::SEEK_DATA) };
        if data < 0 {
            break;
        }
        // SAFETY: valid fd.
        let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
        out.push((data as u64, hole as u64));
        at = hole;
    }
    out
}

/// No xattrs are compared off Linux: these tree comparisons run on Linux (where CI runs
/// them); on FreeBSD the test files only have to compile (the FreeBSD check).
#[cfg(not(target_os = "linux"))]
pub fn xattrs(_path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    Vec::new()
}

/// All xattrs of a path (not following a symlink), sorted.
#[cfg(target_os = "linux")]
pub fn xattrs(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let mut names = vec![0u8; 65536];
    // SAFETY: valid C string and buffer.
    let len = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if len <= 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for name in names[..len as usize].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cn = CString::new(name).unwrap();
        let mut value = vec![0u8; 1 << 16];
        // SAFETY: valid C strings and buffer.
        let n = unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
        if n >= 0 {
            value.truncate(n as usize);
            out.push((name.to_vec(), value));
        }
    }
    out.sort();
    out
}

/// The differences between two snapshots, one line each (empty when equal).
pub fn differences(expected: &BTreeMap<Vec<u8>, Member>, actual: &BTreeMap<Vec<u8>, Member>) -> Vec<String> {
    let mut out = Vec::new();
    let show = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    for (name, want) in expected {
        match actual.get(name) {
            None => out.push(format!("{}: missing", show(name))),
            Some(got) if got != want => {
                let mut what = Vec::new();
                macro_rules! field {
                    ($f:ident) => {
                        if got.$f != want.$f {
                            what.push(format!("{} {:?} != {:?}", stringify!($f), got.$f, want.$f));
                        }
                    };
                }
                field!(kind);
                field!(mode);
                field!(uid);
                field!(gid);
                field!(mtime);
                field!(size);
                field!(target);
                field!(link_group);
                field!(data);
                field!(xattrs);
                if got.content != want.content {
                    what.push("content differs".into());
                }
                out.push(format!("{}: {}", show(name), what.join("; ")));
            }
            Some(_) => {}
        }
    }
    for name in actual.keys() {
        if !expected.contains_key(name) {
            out.push(format!("{}: not expected", show(name)));
        }
    }
    out
}

/// SHA-256 of a file's data ranges (holes read as zeros: with equal ranges, equal digests
/// mean equal content, without reading gigabytes of holes).
fn digest(path: &Path, ranges: &[(u64, u64)]) -> Vec<u8> {
    use sha2::Digest;
    use std::os::unix::fs::FileExt;
    let mut hasher = sha2::Sha256::new();
    let file = fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    for &(start, end) in ranges {
        let mut at = start;
        while at < end {
            let want = ((end - at) as usize).min(buf.len());
            let n = file.read_at(&mut buf[..want], at).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            at += n as u64;
        }
    }
    hasher.finalize().to_vec()
}
