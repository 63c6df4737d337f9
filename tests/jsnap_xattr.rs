//! xattrs in the form bsdtar writes them: `bsdtar --xattrs` puts every xattr in a pax header
//! twice, as `LIBARCHIVE.xattr.<URL-encoded name>=<base64>` and as
//! `SCHILY.xattr.<URL-encoded name>=<raw value>` (libarchive's `archive_write_pax_header_xattr`);
//! `jsnap recv --dir` of such an archive must leave the tree `bsdtar -xpf` leaves, every
//! xattr name and value included.
mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use common::jsnap;
use common::tree::{differences, snapshot};

/// Sets an xattr with the reference tool (`setfattr`, the attr package), the value in hex
/// so that it may hold any byte.
fn setfattr(path: &Path, name: &[u8], value: &[u8]) {
    let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
    common::Cmd::new("setfattr")
        .arg("-n")
        .arg(OsStr::from_bytes(name))
        .arg("-v")
        .arg(format!("0x{hex}"))
        .arg(path)
        .run()
        .success();
}

#[test]
fn recv_restores_the_xattrs_bsdtar_writes_as_bsdtar_does() {
    if !common::have("bsdtar") || !common::have("setfattr") {
        return;
    }
    let work = common::tempdir();
    let src = work.path().join("src");
    fs::create_dir_all(src.join("etc")).unwrap();
    fs::write(src.join("etc/plain"), "plain\n").unwrap();
    fs::write(src.join("etc/binary"), "binary\n").unwrap();
    fs::write(src.join("odd names"), "odd\n").unwrap();
    let every_byte: Vec<u8> = (0..=255).collect();
    setfattr(&src.join("etc/plain"), b"user.comment", b"hello");
    setfattr(&src.join("etc/binary"), b"user.every-byte", &every_byte);
    setfattr(&src.join("etc/binary"), b"user.newline", b"a\nb=c\n");
    // Names libarchive URL-encodes: a space, '=', '%' and a byte outside ASCII.
    setfattr(&src.join("odd names"), b"user.a b=c%\xe9", b"odd");
    setfattr(&src.join("etc"), b"user.on-a-directory", b"dir");

    let archive = common::Cmd::new("bsdtar")
        .args(["--xattrs", "--format", "pax", "-cf", "-", "-C"])
        .arg(&src)
        .arg(".")
        .run();
    archive.success();
    let archive = archive.stdout.clone();
    // The archive really holds bsdtar's form (else this test would prove nothing new).
    let has = |needle: &[u8]| archive.windows(needle.len()).any(|w| w == needle);
    assert!(has(b" LIBARCHIVE.xattr.user.comment=aGVsbG8\n"), "no LIBARCHIVE.xattr record");
    assert!(has(b" SCHILY.xattr.user.comment=hello\n"), "no SCHILY.xattr record");
    assert!(has(b"LIBARCHIVE.xattr.user.a%20b%3Dc%25%E9="), "names are not URL-encoded");

    let expected = work.path().join("bsdtar");
    fs::create_dir(&expected).unwrap();
    common::Cmd::new("bsdtar")
        .args(["--xattrs", "-xpf", "-", "-C"])
        .arg(&expected)
        .stdin(archive.clone())
        .run()
        .success();
    let actual = work.path().join("jsnap");
    jsnap().args(["recv", "--dir"]).arg(&actual).stdin(archive).run().success();

    let reference = snapshot(&expected);
    // bsdtar restored what was set (the comparison below is against the real values).
    let binary = &reference[&b"./etc/binary"[..]];
    assert!(binary.xattrs.contains(&(b"user.every-byte".to_vec(), every_byte)), "{:?}", binary.xattrs);
    assert!(reference[&b"./etc"[..]].xattrs.contains(&(b"user.on-a-directory".to_vec(), b"dir".to_vec())));
    let diff = differences(&reference, &snapshot(&actual));
    assert!(diff.is_empty(), "jsnap and bsdtar -xpf differ:\n{}", diff.join("\n"));
}
