//! Which ZFS dataset the kernel has mounted at a path: the mount table, not the `mountpoint`
//! property (FreeBSD's default layout has `canmount=off` containers and boot environments
//! that all show `/`; a `mountpoint=legacy` dataset shows no path at all).
//!
//! Linux: the last (topmost) `/proc/self/mountinfo` entry at the path, file system type `zfs`
//! (OpenZFS) or `fuse.zfs` (zfs-fuse), whose source is the dataset. FreeBSD: `statfs(2)`,
//! `f_fstypename` `zfs`, `f_mntfromname` the dataset, when `f_mntonname` is the path.
//! Elsewhere `None`, and the caller asks `zfs list -o mounted`.

use std::path::Path;

/// The dataset mounted exactly at `path` (canonical), as the kernel says; `None` when the
/// kernel's table says no ZFS file system is mounted there, or cannot be read here.
pub fn zfs_mounted_at(path: &Path) -> Option<String> {
    platform::zfs_mounted_at(path)
}

#[cfg(target_os = "linux")]
mod platform {
    use std::path::Path;

    pub fn zfs_mounted_at(path: &Path) -> Option<String> {
        let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        super::from_mountinfo(&table, path)
    }
}

#[cfg(target_os = "freebsd")]
mod platform {
    use std::ffi::{CStr, CString};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    pub fn zfs_mounted_at(path: &Path) -> Option<String> {
        let c_path = CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: statfs fills the zeroed struct; the path is a valid C string.
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statfs(c_path.as_ptr(), &mut fs) } != 0 {
            return None;
        }
        // SAFETY: the kernel NUL-terminates the three name fields.
        let (kind, on, from) = unsafe {
            (
                CStr::from_ptr(fs.f_fstypename.as_ptr()),
                CStr::from_ptr(fs.f_mntonname.as_ptr()),
                CStr::from_ptr(fs.f_mntfromname.as_ptr()),
            )
        };
        super::from_statfs(kind.to_bytes(), on.to_bytes(), from.to_bytes(), path)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
mod platform {
    pub fn zfs_mounted_at(_path: &std::path::Path) -> Option<String> {
        None
    }
}

/// The dataset in a `statfs` result for `path`: only when it is a ZFS mount *at* `path`
/// (statfs of a directory inside a mount reports the mount it lies on).
#[cfg_attr(not(any(test, target_os = "freebsd")), allow(dead_code))]
fn from_statfs(kind: &[u8], on: &[u8], from: &[u8], path: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    (kind == b"zfs" && on == path.as_os_str().as_bytes()).then(|| String::from_utf8_lossy(from).into_owned())
}

/// The dataset in mountinfo lines for `path`: the last entry there (the one on top) when it
/// is ZFS. Fields: id parent major:minor root mountpoint options [optional...] - type source
/// superoptions; the mountpoint has space, tab, newline and backslash escaped as `\ooo`.
#[cfg_attr(not(any(test, target_os = "linux")), allow(dead_code))]
fn from_mountinfo(table: &str, path: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let wanted = path.as_os_str().as_bytes();
    let mut found = None;
    for line in table.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(mountpoint) = fields.get(4) else { continue };
        if unescape(mountpoint) != wanted {
            continue;
        }
        let Some(dash) = fields.iter().position(|f| *f == "-") else { continue };
        let (kind, source) = (fields.get(dash + 1).copied(), fields.get(dash + 2).copied());
        found = match (kind, source) {
            (Some("zfs" | "fuse.zfs"), Some(source)) => {
                Some(String::from_utf8_lossy(&unescape(source)).into_owned())
            }
            _ => None,
        };
    }
    found
}

/// Undoes mountinfo's `\ooo` octal escapes.
#[cfg_attr(not(any(test, target_os = "linux")), allow(dead_code))]
fn unescape(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b))
        {
            out.push((bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
22 1 0:21 / / rw,relatime shared:1 - zfs zroot/ROOT/default rw,xattr,posixacl
43 22 0:40 / /jails/web rw,relatime - fuse.zfs tank/jails/web rw,user_id=0
44 43 0:41 / /jails/web/dev rw,nosuid - devtmpfs udev rw
45 22 0:42 / /jails/my\\040jail rw - zfs tank/jails/my_jail rw
46 22 0:43 / /mnt/legacy rw shared:5 master:1 - zfs tank/legacy rw
47 22 0:44 / /mnt/legacy rw - tmpfs tmpfs rw
48 22 0:45 / /jails/web rw - zfs tank/jails/web-upgraded rw
";

    #[test]
    fn mountinfo_names_the_dataset_on_top() {
        let at = |p: &str| from_mountinfo(TABLE, Path::new(p));
        assert_eq!(at("/").as_deref(), Some("zroot/ROOT/default"));
        // Mounted twice: the later mount covers the earlier one.
        assert_eq!(at("/jails/web").as_deref(), Some("tank/jails/web-upgraded"));
        assert_eq!(at("/jails/web/dev"), None, "devfs, not ZFS");
        assert_eq!(at("/jails/my jail").as_deref(), Some("tank/jails/my_jail"));
        // A legacy dataset covered by a tmpfs: the path is not the dataset any more.
        assert_eq!(at("/mnt/legacy"), None);
        assert_eq!(at("/jails"), None, "a directory, not a mount");
    }

    #[test]
    fn statfs_only_counts_a_mount_at_the_path() {
        let p = Path::new("/usr/local/jails/web");
        assert_eq!(
            from_statfs(b"zfs", b"/usr/local/jails/web", b"zroot/jails/web", p).as_deref(),
            Some("zroot/jails/web")
        );
        assert_eq!(from_statfs(b"zfs", b"/", b"zroot/ROOT/default", p), None, "a directory inside /");
        assert_eq!(from_statfs(b"nullfs", b"/usr/local/jails/web", b"/data", p), None);
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape("a\\040b\\011c\\134d\\012"), b"a b\tc\\d\n");
        assert_eq!(unescape("trailing\\04"), b"trailing\\04");
        assert_eq!(unescape("\\999"), b"\\999");
    }
}
