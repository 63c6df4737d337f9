//! Reading tar streams through libarchive, the library bsdtar (and FreeBSD's own tar(1)) is
//! built on: it parses every tar dialect the field writes and hands over each member's
//! metadata and data blocks; the extractor (`extract.rs`) stays ours and writes with
//! `openat(O_NOFOLLOW)` relative to the target, so libarchive never touches the disk.
//!
//! Why libarchive and not the `tar` crate, measured on the conformance corpus (libarchive's
//! own 70 test archives that decompress, `tests/jsnap_tar.rs`, trees compared with
//! `bsdtar -xpf`): with the `tar` crate 0.4.46, 38 of 70 extracted like bsdtar (leaving aside
//! the mode of a new TARGET) and 32 did not: it has no PAX sparse support (0.0/0.1/1.0 land
//! as `GNUSparseFile.N/NAME`), no Solaris/star ACLs, no sub-second times, refuses blank or
//! space-filled numeric fields, redundant long-name headers, GNU volume labels and hard
//! links with a size, and reads a directory's size as data. Bringing it to bsdtar's fidelity
//! means rewriting its header layer, i.e. writing our own tar reader; libarchive already is
//! that reader, maintained, fuzzed (oss-fuzz) and in FreeBSD base. With it, the corpus
//! extracts like bsdtar (see the test for the few rows where libarchive 3.6.2 itself differs
//! from newer upstream expectations).
//!
//! Why a hand-declared FFI: the calls needed are ~30 plain C functions of a stable ABI
//! (libarchive 3.x); the `-sys` crates on crates.io are either unmaintained since 2017
//! (`libarchive3-sys`) or wrap extraction through libarchive's own disk writer
//! (`compress-tools`), which is exactly what we must not use. Linked with `-larchive`
//! (Debian `libarchive-dev`, FreeBSD base).
//!
//! Only the tar format and no decompression filter are enabled: codecs are jpack's job
//! (`jpack -d | jsnap recv --dir`), and libarchive's external-program filters are not
//! something a receiver of untrusted input should start. libarchive bounds its own header
//! sizes (pax and long-name headers of 1 MiB and more are "Special header too large")
//! before allocating; `tests/jsnap_tar.rs` fuzzes the reader under a memory limit.

use std::ffi::{CStr, c_char, c_int, c_long, c_ulong, c_void};
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

#[repr(C)]
struct Archive {
    _private: [u8; 0],
}
#[repr(C)]
struct RawEntry {
    _private: [u8; 0],
}

type ReadCallback = unsafe extern "C" fn(*mut Archive, *mut c_void, *mut *const c_void) -> isize;

#[link(name = "archive")]
unsafe extern "C" {
    fn archive_read_new() -> *mut Archive;
    fn archive_read_support_format_tar(a: *mut Archive) -> c_int;
    fn archive_read_open(
        a: *mut Archive,
        client: *mut c_void,
        open: Option<unsafe extern "C" fn(*mut Archive, *mut c_void) -> c_int>,
        read: Option<ReadCallback>,
        close: Option<unsafe extern "C" fn(*mut Archive, *mut c_void) -> c_int>,
    ) -> c_int;
    fn archive_read_next_header(a: *mut Archive, entry: *mut *mut RawEntry) -> c_int;
    fn archive_read_data_block(
        a: *mut Archive,
        buf: *mut *const c_void,
        size: *mut usize,
        offset: *mut i64,
    ) -> c_int;
    fn archive_read_free(a: *mut Archive) -> c_int;
    fn archive_error_string(a: *mut Archive) -> *const c_char;

    fn archive_entry_pathname(e: *mut RawEntry) -> *const c_char;
    fn archive_entry_hardlink(e: *mut RawEntry) -> *const c_char;
    fn archive_entry_symlink(e: *mut RawEntry) -> *const c_char;
    fn archive_entry_filetype(e: *mut RawEntry) -> libc::mode_t;
    fn archive_entry_perm(e: *mut RawEntry) -> libc::mode_t;
    fn archive_entry_uid(e: *mut RawEntry) -> i64;
    fn archive_entry_gid(e: *mut RawEntry) -> i64;
    fn archive_entry_mtime(e: *mut RawEntry) -> libc::time_t;
    fn archive_entry_mtime_nsec(e: *mut RawEntry) -> c_long;
    fn archive_entry_mtime_is_set(e: *mut RawEntry) -> c_int;
    fn archive_entry_size(e: *mut RawEntry) -> i64;
    fn archive_entry_rdevmajor(e: *mut RawEntry) -> libc::dev_t;
    fn archive_entry_rdevminor(e: *mut RawEntry) -> libc::dev_t;
    fn archive_entry_fflags(e: *mut RawEntry, set: *mut c_ulong, clear: *mut c_ulong);
    fn archive_entry_fflags_text(e: *mut RawEntry) -> *const c_char;
    fn archive_entry_xattr_reset(e: *mut RawEntry) -> c_int;
    fn archive_entry_xattr_next(
        e: *mut RawEntry,
        name: *mut *const c_char,
        value: *mut *const c_void,
        size: *mut usize,
    ) -> c_int;
    fn archive_entry_acl_types(e: *mut RawEntry) -> c_int;
    fn archive_entry_acl_reset(e: *mut RawEntry, want: c_int) -> c_int;
    fn archive_entry_acl_next(
        e: *mut RawEntry,
        want: c_int,
        kind: *mut c_int,
        permset: *mut c_int,
        tag: *mut c_int,
        qual: *mut c_int,
        name: *mut *const c_char,
    ) -> c_int;
}

const ARCHIVE_EOF: c_int = 1;
const ARCHIVE_OK: c_int = 0;
const ARCHIVE_WARN: c_int = -20;

/// ACL types and tags as libarchive numbers them.
pub const ACL_TYPE_ACCESS: c_int = 0x100;
pub const ACL_TYPE_DEFAULT: c_int = 0x200;
pub const ACL_TYPE_NFS4: c_int = 0x3c00;
pub const ACL_USER: c_int = 10001;
pub const ACL_USER_OBJ: c_int = 10002;
pub const ACL_GROUP: c_int = 10003;
pub const ACL_GROUP_OBJ: c_int = 10004;
pub const ACL_MASK: c_int = 10005;
pub const ACL_OTHER: c_int = 10006;

/// File types as libarchive returns them (the traditional `S_IF*` values on every platform).
pub const AE_IFMT: u32 = 0o170000;
pub const AE_IFREG: u32 = 0o100000;
pub const AE_IFLNK: u32 = 0o120000;
pub const AE_IFCHR: u32 = 0o020000;
pub const AE_IFBLK: u32 = 0o060000;
pub const AE_IFDIR: u32 = 0o040000;
pub const AE_IFIFO: u32 = 0o010000;

/// One POSIX.1e ACL entry: libarchive tag, permission bits (rwx = 4/2/1) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclEntry {
    pub tag: c_int,
    pub perm: u16,
    pub id: u32,
}

/// A member's header, copied out of libarchive.
#[derive(Debug, Default)]
pub struct Header {
    pub path: Vec<u8>,
    pub hardlink: Option<Vec<u8>>,
    pub symlink: Option<Vec<u8>>,
    /// `AE_IF*`.
    pub filetype: u32,
    pub perm: u32,
    pub uid: i64,
    pub gid: i64,
    /// Seconds and nanoseconds, when the archive has an mtime.
    pub mtime: Option<(i64, i64)>,
    pub size: i64,
    pub rdev: (u64, u64),
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    pub acl_access: Vec<AclEntry>,
    pub acl_default: Vec<AclEntry>,
    /// The member carries an NFSv4 ACL (Linux has no place for it).
    pub acl_nfs4: bool,
    /// File flags as libarchive maps them to this platform (`chflags(2)` bits on the BSDs,
    /// `FS_*_FL` on Linux) and the text of the archive (`SCHILY.fflags`), for the names
    /// that have no equivalent here.
    pub fflags_set: u64,
    pub fflags_text: Option<String>,
    /// libarchive's warning for this header (the member is still usable).
    pub warning: Option<String>,
}

struct Client<R> {
    input: R,
    buffer: Vec<u8>,
    error: Option<io::Error>,
}

unsafe extern "C" fn read_callback<R: Read>(
    _a: *mut Archive,
    data: *mut c_void,
    out: *mut *const c_void,
) -> isize {
    // SAFETY: data is the Box<Client<R>> pointer given to archive_read_open, alive as long
    // as the Reader, and libarchive calls back on this thread only.
    let client = unsafe { &mut *data.cast::<Client<R>>() };
    let result = catch_unwind(AssertUnwindSafe(|| {
        loop {
            match client.input.read(&mut client.buffer) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }));
    match result {
        Ok(Ok(n)) => {
            // SAFETY: out is a valid pointer given by libarchive.
            unsafe { *out = client.buffer.as_ptr().cast() };
            n as isize
        }
        Ok(Err(e)) => {
            client.error = Some(e);
            -1
        }
        Err(_) => {
            client.error = Some(io::Error::other("reader panicked"));
            -1
        }
    }
}

/// The C locale's conversion of UTF-8 pax names fails for anything non-ASCII; names are
/// bytes to us, so the reading thread uses C.UTF-8 (where the conversion is the identity)
/// for as long as the reader lives. `uselocale` is per thread: nothing else changes.
struct ThreadLocale {
    previous: libc::locale_t,
    ours: libc::locale_t,
}

impl ThreadLocale {
    fn utf8() -> Option<ThreadLocale> {
        // SAFETY: valid C string; a null base creates a new locale object.
        let ours = unsafe { libc::newlocale(libc::LC_CTYPE_MASK, c"C.UTF-8".as_ptr(), std::ptr::null_mut()) };
        if ours.is_null() {
            return None;
        }
        // SAFETY: ours is a valid locale object.
        let previous = unsafe { libc::uselocale(ours) };
        Some(ThreadLocale { previous, ours })
    }
}

impl Drop for ThreadLocale {
    fn drop(&mut self) {
        // SAFETY: previous was returned by uselocale; ours is no longer in use after it.
        unsafe {
            libc::uselocale(self.previous);
            libc::freelocale(self.ours);
        }
    }
}

/// A tar stream being read. Not `Send`: libarchive and the locale are this thread's.
pub struct Reader<R> {
    archive: *mut Archive,
    client: Box<Client<R>>,
    _locale: Option<ThreadLocale>,
}

/// libarchive's last error message, or `what` when it has none.
fn message(archive: *mut Archive, what: &str) -> String {
    // SAFETY: archive is valid; the string (if any) lives until the next call.
    let ptr = unsafe { archive_error_string(archive) };
    if ptr.is_null() {
        return what.to_string();
    }
    // SAFETY: NUL-terminated string owned by libarchive.
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

fn bytes(ptr: *const c_char) -> Option<Vec<u8>> {
    // SAFETY: libarchive returns NUL-terminated strings or null.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec())
}

impl<R: Read> Reader<R> {
    /// Opens the stream: libarchive reads (and checks) the first header now.
    pub fn new(input: R) -> io::Result<Reader<R>> {
        let locale = ThreadLocale::utf8();
        // SAFETY: plain constructor.
        let archive = unsafe { archive_read_new() };
        if archive.is_null() {
            return Err(io::Error::other("libarchive: out of memory"));
        }
        let mut client = Box::new(Client { input, buffer: vec![0u8; 256 * 1024], error: None });
        // The box's heap address stays put when the box moves into the reader.
        let data: *mut Client<R> = &mut *client;
        let mut reader = Reader { archive, client, _locale: locale };
        // SAFETY: archive is valid; data outlives it (freed in Drop after archive_read_free).
        let ret = unsafe {
            archive_read_support_format_tar(archive);
            archive_read_open(archive, data.cast(), None, Some(read_callback::<R>), None)
        };
        if ret != ARCHIVE_OK {
            return Err(reader.error("not a tar archive"));
        }
        Ok(reader)
    }

    /// The input's own error if it failed, else libarchive's message.
    fn error(&mut self, what: &str) -> io::Error {
        if let Some(e) = self.client.error.take() {
            return e;
        }
        io::Error::new(io::ErrorKind::InvalidData, message(self.archive, what))
    }

    /// The next member's header; `None` at the end of the archive.
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        let mut entry = std::ptr::null_mut();
        // SAFETY: valid archive and out pointer.
        let ret = unsafe { archive_read_next_header(self.archive, &mut entry) };
        match ret {
            ARCHIVE_EOF => return Ok(None),
            ARCHIVE_OK | ARCHIVE_WARN => {}
            _ => return Err(self.error("invalid tar header")),
        }
        let mut header = self.copy_header(entry);
        if ret == ARCHIVE_WARN {
            header.warning = Some(message(self.archive, "warning"));
        }
        Ok(Some(header))
    }

    fn copy_header(&self, e: *mut RawEntry) -> Header {
        // SAFETY (whole block): e is the entry libarchive just returned, valid until the
        // next call to archive_read_next_header; every string is copied out.
        unsafe {
            let mut header = Header {
                path: bytes(archive_entry_pathname(e)).unwrap_or_default(),
                hardlink: bytes(archive_entry_hardlink(e)),
                symlink: bytes(archive_entry_symlink(e)),
                filetype: archive_entry_filetype(e) as u32 & AE_IFMT,
                perm: archive_entry_perm(e) as u32 & 0o7777,
                uid: archive_entry_uid(e),
                gid: archive_entry_gid(e),
                mtime: (archive_entry_mtime_is_set(e) != 0)
                    .then(|| (archive_entry_mtime(e) as i64, archive_entry_mtime_nsec(e) as i64)),
                size: archive_entry_size(e),
                rdev: (archive_entry_rdevmajor(e) as u64, archive_entry_rdevminor(e) as u64),
                ..Header::default()
            };
            if archive_entry_xattr_reset(e) > 0 {
                let (mut name, mut value, mut size) = (std::ptr::null(), std::ptr::null(), 0usize);
                while archive_entry_xattr_next(e, &mut name, &mut value, &mut size) == ARCHIVE_OK {
                    let value = if value.is_null() {
                        Vec::new()
                    } else {
                        std::slice::from_raw_parts(value.cast::<u8>(), size).to_vec()
                    };
                    header.xattrs.push((bytes(name).unwrap_or_default(), value));
                }
            }
            let types = archive_entry_acl_types(e);
            header.acl_nfs4 = types & ACL_TYPE_NFS4 != 0;
            for (want, list) in
                [(ACL_TYPE_ACCESS, &mut header.acl_access), (ACL_TYPE_DEFAULT, &mut header.acl_default)]
            {
                if types & want == 0 || archive_entry_acl_reset(e, want) <= 0 {
                    continue;
                }
                let (mut kind, mut permset, mut tag, mut qual, mut name) = (0, 0, 0, 0, std::ptr::null());
                while archive_entry_acl_next(e, want, &mut kind, &mut permset, &mut tag, &mut qual, &mut name)
                    == ARCHIVE_OK
                {
                    list.push(AclEntry { tag, perm: (permset & 7) as u16, id: qual as u32 });
                }
            }
            let (mut set, mut clear): (c_ulong, c_ulong) = (0, 0);
            archive_entry_fflags(e, &mut set, &mut clear);
            // c_ulong is u64 on 64-bit targets, u32 on 32-bit ones.
            #[allow(clippy::unnecessary_cast)]
            let set = set as u64;
            header.fflags_set = set;
            let text = archive_entry_fflags_text(e);
            if !text.is_null() {
                header.fflags_text = Some(CStr::from_ptr(text).to_string_lossy().into_owned());
            }
            header
        }
    }

    /// The next block of the current member's data and its offset in the file (gaps between
    /// blocks are holes); `None` after the last block.
    pub fn data_block(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        let (mut buf, mut size, mut offset) = (std::ptr::null(), 0usize, 0i64);
        // SAFETY: valid archive and out pointers.
        let ret = unsafe { archive_read_data_block(self.archive, &mut buf, &mut size, &mut offset) };
        match ret {
            ARCHIVE_EOF => Ok(None),
            ARCHIVE_OK | ARCHIVE_WARN => {
                let data = if buf.is_null() || size == 0 {
                    &[][..]
                } else {
                    // SAFETY: libarchive's buffer of `size` bytes, valid until the next read.
                    unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), size) }
                };
                Ok(Some((offset.max(0) as u64, data)))
            }
            _ => Err(self.error("unreadable member data")),
        }
    }
}

impl<R> Drop for Reader<R> {
    fn drop(&mut self) {
        // SAFETY: archive was created by archive_read_new and is freed once; the client
        // box it points to is dropped after this.
        unsafe { archive_read_free(self.archive) };
    }
}
