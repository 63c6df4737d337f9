//! ACLs that Linux does not keep as xattrs, as bsdtar archives them on FreeBSD.
//!
//! NFSv4 ACLs (FreeBSD's ZFS, UFS with `nfsv4acls`): star's `SCHILY.acl.ace` record, in the
//! text libarchive's `archive_acl_to_text_l` writes with
//! `ARCHIVE_ENTRY_ACL_STYLE_EXTRA_ID | SEPARATOR_COMMA | COMPACT` (its pax writer's
//! choice): `owner@:rwxpaARWcCos::allow,user:1001:raRcs:I:allow:1001,...`. Owners are
//! numeric here, as everywhere in jtools (a name means something else inside the jail):
//! the id takes the place of the name, and is repeated as the extra field, as libarchive
//! writes it for an entry without a name. bsdtar and star read it back on FreeBSD.
//!
//! The text is built here from entries with libarchive's bit values (which are FreeBSD's
//! for permissions, see `archive_entry.h` and `sys/acl.h`), so that it is testable
//! anywhere against libarchive's own test strings. Reading a file's ACL is FreeBSD's
//! acl(3) (`acl_get_link_np`), compiled there only: written by hand, as no crate of the
//! workspace binds acl(3), and it is the dozen calls bsdtar itself makes. The same calls
//! read FreeBSD's POSIX.1e ACLs (UFS with `acls`), written as `SCHILY.acl.access` and
//! `SCHILY.acl.default` in the text the Linux writer uses (`user:1001:r-x:1001`, see
//! archive.rs), instead of the raw `system.posix1e.*` extattrs UFS keeps them in.

/// Who an entry is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// `owner@`: the file's owner.
    Owner,
    /// `group@`: the file's group.
    Group,
    /// `everyone@`.
    Everyone,
    /// `user:ID`.
    User(u32),
    /// `group:ID`.
    GroupId(u32),
}

/// What an entry does (`allow`, `deny`, `audit`, `alarm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Grants the permissions.
    Allow,
    /// Refuses them.
    Deny,
    /// Logs their use.
    Audit,
    /// Raises an alarm on their use.
    Alarm,
}

/// One NFSv4 ACL entry: permission bits and inheritance flags in libarchive's values
/// (`ARCHIVE_ENTRY_ACL_READ_DATA` … and `ARCHIVE_ENTRY_ACL_ENTRY_FILE_INHERIT` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Allow, deny, audit or alarm.
    pub kind: Kind,
    /// Whom it is about.
    pub who: Who,
    /// Permission bits (`ARCHIVE_ENTRY_ACL_READ_DATA` …).
    pub perms: u32,
    /// Inheritance flags (`ARCHIVE_ENTRY_ACL_ENTRY_FILE_INHERIT` …).
    pub flags: u32,
    /// The user or group name to write instead of the id (libarchive writes the name it
    /// looked up; jtools writes none: owners are numeric).
    pub name: Option<Vec<u8>>,
}

/// libarchive's permission letters in its order (`nfsv4_acl_perm_map` in archive_acl.c);
/// the values are `ARCHIVE_ENTRY_ACL_*`, equal to FreeBSD's `ACL_*` of sys/acl.h.
const PERMS: &[(u32, u8)] = &[
    (0x0008, b'r'), // READ_DATA / LIST_DIRECTORY
    (0x0010, b'w'), // WRITE_DATA / ADD_FILE
    (0x0001, b'x'), // EXECUTE
    (0x0020, b'p'), // APPEND_DATA / ADD_SUBDIRECTORY
    (0x0800, b'd'), // DELETE
    (0x0100, b'D'), // DELETE_CHILD
    (0x0200, b'a'), // READ_ATTRIBUTES
    (0x0400, b'A'), // WRITE_ATTRIBUTES
    (0x0040, b'R'), // READ_NAMED_ATTRS
    (0x0080, b'W'), // WRITE_NAMED_ATTRS
    (0x1000, b'c'), // READ_ACL
    (0x2000, b'C'), // WRITE_ACL
    (0x4000, b'o'), // WRITE_OWNER
    (0x8000, b's'), // SYNCHRONIZE
];

/// libarchive's inheritance flag letters in its order (`nfsv4_acl_flag_map`).
const FLAGS: &[(u32, u8)] = &[
    (0x0200_0000, b'f'), // FILE_INHERIT
    (0x0400_0000, b'd'), // DIRECTORY_INHERIT
    (0x1000_0000, b'i'), // INHERIT_ONLY
    (0x0800_0000, b'n'), // NO_PROPAGATE_INHERIT
    (0x2000_0000, b'S'), // SUCCESSFUL_ACCESS
    (0x4000_0000, b'F'), // FAILED_ACCESS
    (0x0100_0000, b'I'), // INHERITED
];

/// The `SCHILY.acl.ace` text of an ACL, `None` when it has no entries.
pub fn text(acl: &[Entry]) -> Option<Vec<u8>> {
    if acl.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (i, entry) in acl.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        append_entry(&mut out, entry);
    }
    Some(out)
}

/// One entry as `append_entry` of archive_acl.c writes an NFSv4 one.
fn append_entry(out: &mut Vec<u8>, entry: &Entry) {
    let id = match entry.who {
        Who::Owner => {
            out.extend_from_slice(b"owner@:");
            None
        }
        Who::Group => {
            out.extend_from_slice(b"group@:");
            None
        }
        Who::Everyone => {
            out.extend_from_slice(b"everyone@:");
            None
        }
        Who::User(id) | Who::GroupId(id) => {
            out.extend_from_slice(if matches!(entry.who, Who::User(_)) { b"user:" } else { b"group:" });
            match &entry.name {
                Some(name) => out.extend_from_slice(name),
                None => out.extend_from_slice(id.to_string().as_bytes()),
            }
            out.push(b':');
            Some(id)
        }
    };
    out.extend(PERMS.iter().filter(|(bit, _)| entry.perms & bit != 0).map(|(_, c)| c));
    out.push(b':');
    out.extend(FLAGS.iter().filter(|(bit, _)| entry.flags & bit != 0).map(|(_, c)| c));
    out.push(b':');
    out.extend_from_slice(match entry.kind {
        Kind::Allow => b"allow",
        Kind::Deny => b"deny",
        Kind::Audit => b"audit",
        Kind::Alarm => b"alarm",
    });
    // STYLE_EXTRA_ID: the id once more at the end of user and group entries.
    if let Some(id) = id {
        out.push(b':');
        out.extend_from_slice(id.to_string().as_bytes());
    }
}

/// FreeBSD: the NFSv4 ACL of a path (not following a symlink) as bsdtar reads it
/// (`archive_disk_acl_freebsd.c`): `None` for a file system without NFSv4 ACLs and for a
/// trivial ACL (one the mode says all of), which bsdtar leaves out too.
#[cfg(target_os = "freebsd")]
pub fn read(path: &std::path::Path) -> std::io::Result<Option<Vec<Entry>>> {
    freebsd::read(path)
}

/// FreeBSD: the POSIX.1e access (or with `default`, default) ACL of a path as star text,
/// `None` for a file system without them, a trivial access ACL (the mode says it all) and
/// an empty default ACL, which bsdtar leaves out too.
#[cfg(target_os = "freebsd")]
pub fn read_posix(path: &std::path::Path, default: bool) -> std::io::Result<Option<Vec<u8>>> {
    freebsd::read_posix(path, default)
}

/// By hand: no crate of the workspace binds FreeBSD's acl(3) (see the module doc).
#[cfg(target_os = "freebsd")]
mod freebsd {
    use super::{Entry, Kind, Who};
    use std::ffi::{CString, c_int, c_void};
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    // sys/acl.h
    const ACL_TYPE_ACCESS: c_int = 2;
    const ACL_TYPE_DEFAULT: c_int = 3;
    const ACL_TYPE_NFS4: c_int = 4;
    const ACL_FIRST_ENTRY: c_int = 0;
    const ACL_NEXT_ENTRY: c_int = 1;
    const ACL_USER_OBJ: u32 = 0x01;
    const ACL_USER: u32 = 0x02;
    const ACL_GROUP_OBJ: u32 = 0x04;
    const ACL_GROUP: u32 = 0x08;
    const ACL_MASK: u32 = 0x10;
    const ACL_OTHER: u32 = 0x20;
    const ACL_EVERYONE: u32 = 0x40;
    const ACL_ENTRY_TYPE_ALLOW: u16 = 0x0100;
    const ACL_ENTRY_TYPE_DENY: u16 = 0x0200;
    const ACL_ENTRY_TYPE_AUDIT: u16 = 0x0400;
    const ACL_ENTRY_TYPE_ALARM: u16 = 0x0800;
    /// FreeBSD's inheritance flags and libarchive's for them (`acl_nfs4_flag_map`).
    const FLAG_MAP: &[(u16, u32)] = &[
        (0x0001, 0x0200_0000), // FILE_INHERIT
        (0x0002, 0x0400_0000), // DIRECTORY_INHERIT
        (0x0004, 0x0800_0000), // NO_PROPAGATE_INHERIT
        (0x0008, 0x1000_0000), // INHERIT_ONLY
        (0x0010, 0x2000_0000), // SUCCESSFUL_ACCESS
        (0x0020, 0x4000_0000), // FAILED_ACCESS
        (0x0080, 0x0100_0000), // INHERITED
    ];
    /// The NFSv4 permission bits (ACL_FULL_SET): the same values in libarchive.
    const PERM_BITS: &[u32] =
        &[0x1, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000];

    type Acl = *mut c_void;
    type AclEntry = *mut c_void;

    // In FreeBSD's libc (lib/libc/posix1e).
    unsafe extern "C" {
        fn acl_get_link_np(path: *const std::ffi::c_char, kind: c_int) -> Acl;
        fn acl_is_trivial_np(acl: Acl, trivial: *mut c_int) -> c_int;
        fn acl_get_entry(acl: Acl, which: c_int, entry: *mut AclEntry) -> c_int;
        fn acl_get_tag_type(entry: AclEntry, tag: *mut u32) -> c_int;
        fn acl_get_qualifier(entry: AclEntry) -> *mut c_void;
        fn acl_get_entry_type_np(entry: AclEntry, kind: *mut u16) -> c_int;
        fn acl_get_flagset_np(entry: AclEntry, flags: *mut *mut u16) -> c_int;
        fn acl_get_flag_np(flags: *mut u16, flag: u16) -> c_int;
        fn acl_get_permset(entry: AclEntry, perms: *mut *mut c_int) -> c_int;
        fn acl_get_perm_np(perms: *mut c_int, perm: u32) -> c_int;
        fn acl_free(object: *mut c_void) -> c_int;
    }

    /// Frees the ACL when done.
    struct Owned(Acl);

    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: an ACL returned by acl_get_link_np, freed once.
            unsafe { acl_free(self.0) };
        }
    }

    fn check(ret: c_int) -> io::Result<c_int> {
        if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret) }
    }

    /// The ACL of `kind` of a path (not following a symlink); `None` for a file system
    /// without such ACLs and for a trivial one (the mode says all of it).
    fn get(path: &Path, kind: c_int) -> io::Result<Option<Owned>> {
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
        // SAFETY: a valid C string; the ACL returned is ours to free.
        let acl = unsafe { acl_get_link_np(c.as_ptr(), kind) };
        if acl.is_null() {
            let e = io::Error::last_os_error();
            // EINVAL: this file system has ACLs of the other brand or none, or a default
            // ACL was asked of a non-directory; EOPNOTSUPP: no ACLs at all.
            return match e.raw_os_error() {
                Some(libc::EINVAL | libc::EOPNOTSUPP) => Ok(None),
                _ => Err(e),
            };
        }
        let acl = Owned(acl);
        let mut trivial = 0;
        // SAFETY: a valid ACL and out pointer. (A default ACL is never "trivial": an empty
        // one has no entries, see read_posix.)
        if kind != ACL_TYPE_DEFAULT && unsafe { acl_is_trivial_np(acl.0, &mut trivial) } == 0 && trivial == 1
        {
            return Ok(None);
        }
        Ok(Some(acl))
    }

    pub fn read_posix(path: &Path, default: bool) -> io::Result<Option<Vec<u8>>> {
        let Some(acl) = get(path, if default { ACL_TYPE_DEFAULT } else { ACL_TYPE_ACCESS })? else {
            return Ok(None);
        };
        let mut parts: Vec<String> = Vec::new();
        let mut entry: AclEntry = std::ptr::null_mut();
        let mut which = ACL_FIRST_ENTRY;
        // SAFETY (the calls below): as in `read`.
        while check(unsafe { acl_get_entry(acl.0, which, &mut entry) })? == 1 {
            which = ACL_NEXT_ENTRY;
            let mut tag = 0u32;
            check(unsafe { acl_get_tag_type(entry, &mut tag) })?;
            let mut permset: *mut c_int = std::ptr::null_mut();
            check(unsafe { acl_get_permset(entry, &mut permset) })?;
            let mut rwx = String::new();
            for (bit, c) in [(4u32, 'r'), (2, 'w'), (1, 'x')] {
                rwx.push(if check(unsafe { acl_get_perm_np(permset, bit) })? == 1 { c } else { '-' });
            }
            parts.push(match tag {
                ACL_USER_OBJ => format!("user::{rwx}"),
                ACL_GROUP_OBJ => format!("group::{rwx}"),
                ACL_MASK => format!("mask::{rwx}"),
                ACL_OTHER => format!("other::{rwx}"),
                ACL_USER | ACL_GROUP => {
                    let q = unsafe { acl_get_qualifier(entry) };
                    if q.is_null() {
                        return Err(io::Error::last_os_error());
                    }
                    let id = unsafe { *(q as *const u32) };
                    unsafe { acl_free(q) };
                    let who = if tag == ACL_USER { "user" } else { "group" };
                    format!("{who}:{id}:{rwx}:{id}")
                }
                _ => continue,
            });
        }
        Ok((!parts.is_empty()).then(|| parts.join(",").into_bytes()))
    }

    pub fn read(path: &Path) -> io::Result<Option<Vec<Entry>>> {
        let Some(acl) = get(path, ACL_TYPE_NFS4)? else {
            return Ok(None);
        };
        let mut entries = Vec::new();
        let mut entry: AclEntry = std::ptr::null_mut();
        let mut which = ACL_FIRST_ENTRY;
        // SAFETY (the calls below): a valid ACL, the entry it just handed out, out pointers
        // to locals; the qualifier is freed after reading it.
        while check(unsafe { acl_get_entry(acl.0, which, &mut entry) })? == 1 {
            which = ACL_NEXT_ENTRY;
            let mut tag = 0u32;
            check(unsafe { acl_get_tag_type(entry, &mut tag) })?;
            let who = match tag {
                ACL_USER_OBJ => Who::Owner,
                ACL_GROUP_OBJ => Who::Group,
                ACL_EVERYONE => Who::Everyone,
                ACL_USER | ACL_GROUP => {
                    let q = unsafe { acl_get_qualifier(entry) };
                    if q.is_null() {
                        return Err(io::Error::last_os_error());
                    }
                    // uid_t and gid_t are both u32.
                    let id = unsafe { *(q as *const u32) };
                    unsafe { acl_free(q) };
                    if tag == ACL_USER { Who::User(id) } else { Who::GroupId(id) }
                }
                // libarchive skips what it has no tag for.
                _ => continue,
            };
            let mut kind = 0u16;
            check(unsafe { acl_get_entry_type_np(entry, &mut kind) })?;
            let kind = match kind {
                ACL_ENTRY_TYPE_ALLOW => Kind::Allow,
                ACL_ENTRY_TYPE_DENY => Kind::Deny,
                ACL_ENTRY_TYPE_AUDIT => Kind::Audit,
                ACL_ENTRY_TYPE_ALARM => Kind::Alarm,
                _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid NFSv4 ACL entry type")),
            };
            let mut flagset: *mut u16 = std::ptr::null_mut();
            check(unsafe { acl_get_flagset_np(entry, &mut flagset) })?;
            let mut flags = 0;
            for &(bit, ours) in FLAG_MAP {
                if check(unsafe { acl_get_flag_np(flagset, bit) })? == 1 {
                    flags |= ours;
                }
            }
            let mut permset: *mut c_int = std::ptr::null_mut();
            check(unsafe { acl_get_permset(entry, &mut permset) })?;
            let mut perms = 0;
            for &bit in PERM_BITS {
                if check(unsafe { acl_get_perm_np(permset, bit) })? == 1 {
                    perms |= bit;
                }
            }
            entries.push(Entry { kind, who, perms, flags, name: None });
        }
        Ok(Some(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // libarchive's bit values (archive_entry.h), to spell the test ACLs as its tests do.
    const READ_DATA: u32 = 0x8;
    const WRITE_DATA: u32 = 0x10;
    const EXECUTE: u32 = 0x1;
    const APPEND_DATA: u32 = 0x20;
    const READ_NAMED_ATTRS: u32 = 0x40;
    const WRITE_NAMED_ATTRS: u32 = 0x80;
    const DELETE_CHILD: u32 = 0x100;
    const READ_ATTRIBUTES: u32 = 0x200;
    const WRITE_ATTRIBUTES: u32 = 0x400;
    const DELETE: u32 = 0x800;
    const READ_ACL: u32 = 0x1000;
    const WRITE_ACL: u32 = 0x2000;
    const WRITE_OWNER: u32 = 0x4000;
    const SYNCHRONIZE: u32 = 0x8000;
    const INHERITED: u32 = 0x0100_0000;
    const FILE_INHERIT: u32 = 0x0200_0000;
    const DIRECTORY_INHERIT: u32 = 0x0400_0000;
    const NO_PROPAGATE_INHERIT: u32 = 0x0800_0000;
    const INHERIT_ONLY: u32 = 0x1000_0000;

    /// An entry; the inheritance flags are in `perms` as libarchive keeps them.
    fn e(kind: Kind, bits: u32, who: Who, name: &str) -> Entry {
        let flags = bits & 0xff00_0000;
        let name = (!name.is_empty()).then(|| name.as_bytes().to_vec());
        Entry { kind, who, perms: bits & !flags, flags, name }
    }

    /// libarchive/test/test_acl_text.c: `acls1`, written with `STYLE_EXTRA_ID | COMPACT`,
    /// is `acltext[11]` (there with newlines; the pax writer separates with commas).
    #[test]
    fn nfs4_text_is_libarchives_compact_form() {
        let acl = [
            e(
                Kind::Allow,
                READ_DATA
                    | WRITE_DATA
                    | APPEND_DATA
                    | READ_ATTRIBUTES
                    | READ_NAMED_ATTRS
                    | READ_ACL
                    | WRITE_OWNER,
                Who::User(77),
                "user77",
            ),
            e(
                Kind::Deny,
                WRITE_DATA
                    | APPEND_DATA
                    | DELETE_CHILD
                    | DELETE
                    | FILE_INHERIT
                    | DIRECTORY_INHERIT
                    | INHERIT_ONLY
                    | NO_PROPAGATE_INHERIT,
                Who::User(101),
                "user101",
            ),
            e(
                Kind::Allow,
                READ_DATA | READ_ATTRIBUTES | READ_NAMED_ATTRS | READ_ACL | INHERITED,
                Who::GroupId(78),
                "group78",
            ),
            e(
                Kind::Allow,
                READ_DATA
                    | WRITE_DATA
                    | EXECUTE
                    | APPEND_DATA
                    | READ_ATTRIBUTES
                    | WRITE_ATTRIBUTES
                    | READ_NAMED_ATTRS
                    | WRITE_NAMED_ATTRS
                    | READ_ACL
                    | WRITE_ACL
                    | WRITE_OWNER,
                Who::Owner,
                "",
            ),
            e(
                Kind::Allow,
                READ_DATA | WRITE_DATA | APPEND_DATA | READ_ATTRIBUTES | READ_NAMED_ATTRS | READ_ACL,
                Who::Group,
                "",
            ),
            e(
                Kind::Allow,
                READ_DATA | READ_ATTRIBUTES | READ_NAMED_ATTRS | READ_ACL | SYNCHRONIZE,
                Who::Everyone,
                "",
            ),
        ];
        let expected = "user:user77:rwpaRco::allow:77\n\
                        user:user101:wpdD:fdin:deny:101\n\
                        group:group78:raRc:I:allow:78\n\
                        owner@:rwxpaARWcCo::allow\n\
                        group@:rwpaRc::allow\n\
                        everyone@:raRcs::allow";
        assert_eq!(String::from_utf8(text(&acl).unwrap()).unwrap(), expected.replace('\n', ","));
        // Numeric, as jtools writes them: the id in the name's place too.
        let numeric: Vec<Entry> = acl.iter().cloned().map(|e| Entry { name: None, ..e }).collect();
        let text = String::from_utf8(text(&numeric).unwrap()).unwrap();
        assert!(
            text.starts_with("user:77:rwpaRco::allow:77,user:101:wpdD:fdin:deny:101,group:78:"),
            "{text}"
        );
        assert_eq!(super::text(&[]), None);
    }

    /// libarchive/test/test_acl_pax.c: `acls4` and `acls5` as libarchive's pax writer
    /// wrote them into test_acl_pax_nfs4.tar (the records copied from that archive).
    #[test]
    fn nfs4_records_match_libarchives_pax_writer() {
        let all_but_execute = READ_DATA
            | WRITE_DATA
            | APPEND_DATA
            | READ_ATTRIBUTES
            | WRITE_ATTRIBUTES
            | READ_NAMED_ATTRS
            | WRITE_NAMED_ATTRS
            | READ_ACL
            | WRITE_ACL
            | WRITE_OWNER
            | SYNCHRONIZE;
        let read = READ_DATA | READ_ATTRIBUTES | READ_NAMED_ATTRS | READ_ACL;
        let group = READ_DATA
            | WRITE_DATA
            | APPEND_DATA
            | READ_ATTRIBUTES
            | READ_NAMED_ATTRS
            | READ_ACL
            | SYNCHRONIZE;
        let acls4 = [
            e(Kind::Allow, all_but_execute, Who::Owner, ""),
            e(Kind::Allow, read | SYNCHRONIZE | INHERITED, Who::User(77), "user77"),
            e(Kind::Deny, READ_DATA | WRITE_DATA | EXECUTE, Who::User(78), "user78"),
            e(Kind::Allow, group, Who::Group, ""),
            e(
                Kind::Deny,
                WRITE_DATA | APPEND_DATA | WRITE_ATTRIBUTES | WRITE_NAMED_ATTRS | WRITE_ACL | WRITE_OWNER,
                Who::GroupId(78),
                "group78",
            ),
            e(Kind::Allow, read | SYNCHRONIZE, Who::Everyone, ""),
        ];
        let acls5 = [
            e(Kind::Allow, all_but_execute | EXECUTE, Who::Owner, ""),
            e(Kind::Allow, group | WRITE_OWNER, Who::User(77), "user77"),
            e(Kind::Audit, WRITE_DATA | APPEND_DATA | 0x2000_0000, Who::User(77), "user77"),
            e(Kind::Allow, group, Who::Group, ""),
            e(Kind::Alarm, read | 0x4000_0000, Who::GroupId(78), "group78"),
            e(Kind::Allow, read | SYNCHRONIZE, Who::Everyone, ""),
        ];
        let record = |acl: &[Entry]| {
            let value = text(acl).unwrap();
            let body = super::super::archive::pax_record(b"SCHILY.acl.ace", &value);
            String::from_utf8(body).unwrap()
        };
        assert_eq!(
            record(&acls4),
            "174 SCHILY.acl.ace=owner@:rwpaARWcCos::allow,user:user77:raRcs:I:allow:77,\
             user:user78:rwx::deny:78,group@:rwpaRcs::allow,group:group78:wpAWCo::deny:78,\
             everyone@:raRcs::allow\n"
        );
        assert_eq!(
            record(&acls5),
            "178 SCHILY.acl.ace=owner@:rwxpaARWcCos::allow,user:user77:rwpaRcos::allow:77,\
             user:user77:wp:S:audit:77,group@:rwpaRcs::allow,group:group78:raRc:F:alarm:78,\
             everyone@:raRcs::allow\n"
        );
    }
}
