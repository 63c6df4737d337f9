//! Users and groups of a jail, read from the image's own /etc/passwd and /etc/group (never
//! the host's: the same name can have another UID in the image, and the host's NSS modules
//! have no business here). Both files have the same format on FreeBSD and Linux.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rustix::fs::{Mode, OFlags};

/// Whom the command runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// All group IDs, the primary one first.
    pub groups: Vec<u32>,
    pub home: PathBuf,
}

/// One line of a passwd file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

/// One line of a group file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct GroupEntry {
    gid: u32,
    members: Vec<String>,
}

/// Finds `spec` (a name or a numeric UID; root when `None`) in `root`/etc/passwd and its
/// groups in `root`/etc/group. A numeric UID missing from the file is still accepted (as
/// `docker run -u 1234` does), with GID = UID; root is accepted without any passwd file.
pub fn lookup(root: &Path, spec: Option<&str>) -> anyhow::Result<User> {
    let root_fd = rustix::fs::open(root, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .with_context(|| root.display().to_string())?;
    let passwd = parse_passwd(&read_image_file(root_fd.as_fd(), "/etc/passwd")?);
    let groups = parse_group(&read_image_file(root_fd.as_fd(), "/etc/group")?);
    let spec = spec.unwrap_or("root");
    let numeric = spec.parse::<u32>().ok();
    let entry = passwd.iter().find(|e| e.name == spec || Some(e.uid) == numeric);
    let entry = match (entry, numeric) {
        (Some(entry), _) => entry.clone(),
        (None, Some(uid)) => PasswdEntry { name: spec.to_string(), uid, gid: uid, home: "/".into() },
        (None, None) if spec == "root" => {
            PasswdEntry { name: "root".into(), uid: 0, gid: 0, home: "/root".into() }
        }
        (None, None) => bail!("-u {spec}: no such user in the jail's /etc/passwd"),
    };
    // The image's passwd is input, not authority: a `nobody:x:0:0` line must not turn
    // `-u nobody` into root.
    if entry.uid == 0 && spec != "root" && spec != "0" {
        bail!("-u {spec}: maps to UID 0 in the jail's /etc/passwd; use -u root (or 0) to run as root");
    }
    let mut gids = vec![entry.gid];
    for group in &groups {
        if group.members.contains(&entry.name) && !gids.contains(&group.gid) {
            gids.push(group.gid);
        }
    }
    let home = if entry.home.is_empty() { "/".to_string() } else { entry.home };
    Ok(User { name: entry.name, uid: entry.uid, gid: entry.gid, groups: gids, home: PathBuf::from(home) })
}

/// The login class of `name` from the image's /etc/master.passwd (read as passwd is:
/// confined, a regular file of bounded size), `None` when it names none.
#[cfg(target_os = "freebsd")]
pub fn login_class(root: &Path, name: &str) -> anyhow::Result<Option<String>> {
    let root_fd = rustix::fs::open(root, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .with_context(|| root.display().to_string())?;
    let text = read_image_file(root_fd.as_fd(), "/etc/master.passwd")?;
    Ok(crate::jail_plan::login_class(&text, name))
}

/// The most jrun reads of the image's passwd or group: far beyond any real one (a few
/// hundred bytes to a few hundred kilobytes), small enough that a hostile one costs nothing.
const MAX_FILE_LEN: u64 = 4 << 20;

/// The text of `path` in the image (empty when missing), read confined to the image's root,
/// from a regular file only and at most [`MAX_FILE_LEN`] bytes: a symlink to /dev/zero or to
/// a host file, a FIFO or a 3 GiB sparse file is refused before the jail exists.
fn read_image_file(root: BorrowedFd<'_>, path: &str) -> anyhow::Result<String> {
    match jcore::confine::read_regular_file(root, Path::new(path), MAX_FILE_LEN) {
        Ok(Some(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(None) => Ok(String::new()),
        Err(e) => Err(anyhow::anyhow!("{path} in the jail: {}", jcore::exit::message(&e))),
    }
}

/// Parses name:password:uid:gid:gecos:home:shell lines, skipping comments, NIS `+`/`-`
/// lines and malformed lines (as getpwent(3) does).
fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter(|line| !line.starts_with(['#', '+', '-']))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 7 || fields[0].is_empty() {
                return None;
            }
            Some(PasswdEntry {
                name: fields[0].to_string(),
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
                home: fields[5].to_string(),
            })
        })
        .collect()
}

/// Parses name:password:gid:member,member lines.
fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter(|line| !line.starts_with(['#', '+', '-']))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 4 || fields[0].is_empty() {
                return None;
            }
            Some(GroupEntry {
                gid: fields[2].parse().ok()?,
                members: fields[3].split(',').filter(|m| !m.is_empty()).map(str::to_string).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(passwd: &str, group: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
        std::fs::write(dir.path().join("etc/group"), group).unwrap();
        dir
    }

    const PASSWD: &str = "# comment\nroot:*:0:0:Charlie &:/root:/bin/csh\nwww:*:80:80:World Wide Web Owner:/nonexistent:/usr/sbin/nologin\nbroken:x:nan:1::/:/bin/sh\n";
    const GROUP: &str = "wheel:*:0:root\nwww:*:80:\nstaff:*:20:root,www\n";

    #[test]
    fn names_and_uids_resolve_with_their_groups() {
        let dir = root_with(PASSWD, GROUP);
        let www = lookup(dir.path(), Some("www")).unwrap();
        assert_eq!(
            www,
            User { name: "www".into(), uid: 80, gid: 80, groups: vec![80, 20], home: "/nonexistent".into() }
        );
        assert_eq!(lookup(dir.path(), Some("80")).unwrap(), www);
        let root = lookup(dir.path(), None).unwrap();
        assert_eq!((root.uid, root.groups, root.home), (0, vec![0, 20], PathBuf::from("/root")));
    }

    #[test]
    fn unknown_names_fail_unknown_uids_pass() {
        let dir = root_with(PASSWD, GROUP);
        assert!(lookup(dir.path(), Some("broken")).is_err());
        assert!(lookup(dir.path(), Some("nobody")).unwrap_err().to_string().contains("no such user"));
        let anon = lookup(dir.path(), Some("1234")).unwrap();
        assert_eq!((anon.uid, anon.gid, anon.groups), (1234, 1234, vec![1234]));
    }

    #[test]
    fn a_name_mapping_to_uid_0_is_refused() {
        let dir = root_with("root:x:0:0::/root:/bin/sh\nnobody:x:0:0::/:/bin/sh\n", "");
        let err = lookup(dir.path(), Some("nobody")).unwrap_err().to_string();
        assert!(err.contains("UID 0"), "{err}");
        assert_eq!(lookup(dir.path(), Some("root")).unwrap().uid, 0);
        assert_eq!(lookup(dir.path(), Some("0")).unwrap().uid, 0);
    }

    #[test]
    fn hostile_passwd_files_are_refused() {
        let dir = root_with("", "");
        let passwd = dir.path().join("etc/passwd");
        std::fs::remove_file(&passwd).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &passwd).unwrap();
        // Inside the root, /dev/zero does not exist: as if there were no passwd.
        assert_eq!(lookup(dir.path(), None).unwrap().uid, 0);
        std::fs::remove_file(&passwd).unwrap();
        let big = std::fs::File::create(&passwd).unwrap();
        big.set_len(3 << 30).unwrap();
        let err = lookup(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("larger than"), "{err}");
        std::fs::remove_file(&passwd).unwrap();
        nix::unistd::mkfifo(&passwd, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        let err = lookup(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn root_works_without_passwd() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(lookup(dir.path(), None).unwrap().uid, 0);
    }
}
