//! Users and groups of a jail, read from the image's own /etc/passwd and /etc/group (never
//! the host's: the same name can have another UID in the image, and the host's NSS modules
//! have no business here). Both files have the same format on FreeBSD and Linux.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

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
    let passwd_path = crate::paths::resolve_in_root(root, Path::new("/etc/passwd"))?;
    let passwd = match std::fs::read(&passwd_path) {
        Ok(bytes) => parse_passwd(&String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| passwd_path.display().to_string()),
    };
    let group_path = crate::paths::resolve_in_root(root, Path::new("/etc/group"))?;
    let groups = match std::fs::read(&group_path) {
        Ok(bytes) => parse_group(&String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| group_path.display().to_string()),
    };
    let spec = spec.unwrap_or("root");
    let numeric = spec.parse::<u32>().ok();
    let entry = passwd.iter().find(|e| e.name == spec || Some(e.uid) == numeric);
    let entry = match (entry, numeric) {
        (Some(entry), _) => entry.clone(),
        (None, Some(uid)) => PasswdEntry { name: spec.to_string(), uid, gid: uid, home: "/".into() },
        (None, None) if spec == "root" => {
            PasswdEntry { name: "root".into(), uid: 0, gid: 0, home: "/root".into() }
        }
        (None, None) => bail!("-u {spec}: no such user in {}", passwd_path.display()),
    };
    let mut gids = vec![entry.gid];
    for group in &groups {
        if group.members.contains(&entry.name) && !gids.contains(&group.gid) {
            gids.push(group.gid);
        }
    }
    let home = if entry.home.is_empty() { "/".to_string() } else { entry.home };
    Ok(User { name: entry.name, uid: entry.uid, gid: entry.gid, groups: gids, home: PathBuf::from(home) })
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
    fn root_works_without_passwd() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(lookup(dir.path(), None).unwrap().uid, 0);
    }
}
