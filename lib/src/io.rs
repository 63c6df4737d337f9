//! Input and output conventions shared by every tool.
//!
//! - Input is stdin when no file or `-` is given ([`Input::open`]).
//! - Output is stdout unless `-o FILE` ([`Output::create`]). A file output is atomic: data
//!   goes to a temporary file in the same directory, which is fsynced and renamed over FILE
//!   only by [`Output::commit`]. Dropped without a commit (an error, a panic) or interrupted
//!   by SIGINT/SIGTERM/SIGHUP (see [`install_signal_cleanup`]), the temporary file is removed
//!   and FILE is untouched.
//! - Binary data is never written to a terminal unless forced.
//! - Buffers are [`BUFFER_SIZE`] (1 MiB), not the 8 KiB default.
//!
//! What this module does not do: decide exit codes ([`crate::exit`]) or show progress.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

/// The size of the I/O buffers the tools use.
pub const BUFFER_SIZE: usize = 1 << 20;

/// An I/O error together with the thing it happened to (a file name, `stdout`, a URL).
/// Displays as the thing; the cause is its [`source`](std::error::Error::source), so the
/// one-line message of [`crate::exit::message`] reads `thing: why`.
#[derive(Debug)]
pub struct Error {
    what: String,
    source: io::Error,
}

impl Error {
    /// Wraps `source` with the name of the thing concerned.
    pub fn new(what: impl Into<String>, source: io::Error) -> Self {
        Error { what: what.into(), source }
    }

    /// The name of the thing concerned.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The underlying I/O error.
    pub fn io(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Whether a command-line path means stdin/stdout: absent or `-`.
pub fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p == Path::new("-"))
}

/// The name to show for a path argument: the path as given, `-` for stdin/stdout.
pub fn display_name(path: Option<&Path>) -> String {
    match path {
        Some(p) if !is_std(Some(p)) => p.display().to_string(),
        _ => "-".to_string(),
    }
}

/// An opened input: a file or stdin, with the name to use in messages.
pub struct Input {
    name: String,
    reader: Box<dyn Read + Send>,
    file: Option<File>,
}

impl Input {
    /// Opens `path`, or stdin when it is absent or `-`.
    pub fn open(path: Option<&Path>) -> Result<Input, Error> {
        if is_std(path) {
            return Ok(Input { name: "-".into(), reader: Box::new(io::stdin()), file: None });
        }
        let path = path.expect("checked by is_std");
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::new(&name, e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(Error::new(&name, io::Error::from_raw_os_error(libc::EISDIR)));
        }
        let reader = file.try_clone().map_err(|e| Error::new(&name, e))?;
        Ok(Input { name, reader: Box::new(reader), file: Some(file) })
    }

    /// The name for messages: the path, or `-` for stdin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The open file when the input is a file (for its size or for memory mapping).
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// The input's size when it is a regular file.
    pub fn regular_file_len(&self) -> Option<u64> {
        let meta = self.file.as_ref()?.metadata().ok()?;
        meta.is_file().then_some(meta.len())
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read. Large
/// fixed-size chunks keep hashing and compression threads busy with few wake-ups.
pub fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Refuses to go on when stdout is a terminal and the data is binary, unless forced.
pub fn check_binary_stdout(force: bool) -> Result<(), Error> {
    if !force && io::stdout().is_terminal() {
        return Err(Error::new(
            "stdout",
            io::Error::other("refusing to write binary data to a terminal (use -f to force)"),
        ));
    }
    Ok(())
}

/// Where a tool writes its result: stdout or an atomically replaced file.
pub enum Output {
    /// Locked, buffered stdout.
    Stdout(BufWriter<io::StdoutLock<'static>>),
    /// A temporary file renamed over the target on commit.
    File(AtomicFile),
    /// An existing device, FIFO or socket (named), written in place.
    Direct(String, BufWriter<File>),
}

/// Whether `path` exists and is neither a regular file nor a directory (a device node, a
/// FIFO, a socket), following symlinks.
fn is_special_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

impl Output {
    /// Stdout when `path` is absent or `-`, otherwise an [`AtomicFile`] for `path`. With
    /// `binary`, stdout on a terminal is refused unless `force`.
    pub fn create(path: Option<&Path>, binary: bool, force: bool) -> Result<Output, Error> {
        if is_std(path) {
            if binary {
                check_binary_stdout(force)?;
            }
            return Ok(Output::stdout());
        }
        let path = path.expect("checked by is_std");
        if is_special_file(path) {
            // /dev/null, a FIFO, /dev/stdout: there is nothing to replace atomically, and
            // renaming over a device node would destroy it. Write to it directly.
            let name = path.display().to_string();
            let file = OpenOptions::new().write(true).open(path).map_err(|e| Error::new(&name, e))?;
            if binary && !force && file.is_terminal() {
                return Err(Error::new(
                    name,
                    io::Error::other("refusing to write binary data to a terminal (use -f to force)"),
                ));
            }
            return Ok(Output::Direct(name, BufWriter::with_capacity(BUFFER_SIZE, file)));
        }
        Ok(Output::File(AtomicFile::create(path)?))
    }

    /// Locked stdout with a large buffer.
    pub fn stdout() -> Output {
        Output::Stdout(BufWriter::with_capacity(BUFFER_SIZE, io::stdout().lock()))
    }

    /// The name for messages: the target path or `stdout`.
    pub fn name(&self) -> String {
        match self {
            Output::Stdout(_) => "stdout".into(),
            Output::File(f) => f.target().display().to_string(),
            Output::Direct(name, _) => name.clone(),
        }
    }

    /// Finishes the output: flushes stdout, or fsyncs and renames the file into place.
    pub fn commit(self) -> Result<(), Error> {
        match self {
            Output::Stdout(mut w) => w.flush().map_err(|e| Error::new("stdout", e)),
            Output::File(f) => f.commit(),
            Output::Direct(name, mut w) => w.flush().map_err(|e| Error::new(name, e)),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(f) => f.write(buf),
            Output::Direct(_, w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::File(f) => f.write_all(buf),
            Output::Direct(_, w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::File(f) => f.flush(),
            Output::Direct(_, w) => w.flush(),
        }
    }
}

/// Standard output without any buffer: each `write` is one `write(2)` on fd 1. For data
/// passed through a pipe (tee), where every piece should reach the reader as soon as it is
/// read, and large pieces gain nothing from a copy into a buffer.
pub struct RawStdout;

impl Write for RawStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: fd 1 stays open for the life of the process; buf is valid for its length.
        let n = unsafe { libc::write(1, buf.as_ptr().cast(), buf.len()) };
        if n < 0 { Err(io::Error::last_os_error()) } else { Ok(n as usize) }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Asks the kernel for 1 MiB pipe buffers on stdin and stdout when they are pipes (Linux;
/// a no-op elsewhere or for files). With the default 64 KiB, a pipeline moving GiBs spends
/// its time in context switches between the stages.
pub fn enlarge_pipe_buffers() {
    #[cfg(target_os = "linux")]
    for fd in [0, 1] {
        // SAFETY: fstat/fcntl on fds 0 and 1 touch no memory of ours beyond `stat`.
        unsafe {
            let mut stat: libc::stat = std::mem::zeroed();
            if libc::fstat(fd, &mut stat) == 0 && (stat.st_mode & libc::S_IFMT) == libc::S_IFIFO {
                libc::fcntl(fd, libc::F_SETPIPE_SZ, BUFFER_SIZE as libc::c_int);
            }
        }
    }
}

/// A file written under a temporary name in the target's directory and renamed over the
/// target only on [`commit`](AtomicFile::commit). Until then the target is untouched; if the
/// value is dropped uncommitted, or the process gets SIGINT/SIGTERM/SIGHUP after
/// [`install_signal_cleanup`], the temporary file is removed.
///
/// [`resume`](AtomicFile::resume) is the other mode, for transfers that outlive a process
/// (jfetch's `OUT.part`): the temporary file has a fixed name, an existing one is adopted as
/// it is, and it is kept when dropped or interrupted so that a later run can resume it; the
/// commit is the same.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
    /// Kept when dropped uncommitted ([`resume`](AtomicFile::resume)).
    keep: bool,
}

impl AtomicFile {
    /// Creates the temporary file next to `target`. An existing target's permissions are
    /// carried over so that an in-place rewrite does not change them.
    pub fn create(target: &Path) -> Result<AtomicFile, Error> {
        let name = target.display().to_string();
        let file_name =
            target.file_name().ok_or_else(|| Error::new(&name, io::Error::other("not a file name")))?;
        if target.is_dir() {
            return Err(Error::new(&name, io::Error::from_raw_os_error(libc::EISDIR)));
        }
        if is_special_file(target) {
            // Renaming over a device node or FIFO would destroy it; Output writes those directly.
            return Err(Error::new(&name, io::Error::other("not a regular file")));
        }
        // Replace what a symlink points to, not the link itself.
        let resolved;
        let target = match fs::symlink_metadata(target) {
            // A dangling link cannot be resolved: then the link itself is replaced.
            Ok(m) if m.file_type().is_symlink() && fs::canonicalize(target).is_ok() => {
                resolved = fs::canonicalize(target).map_err(|e| Error::new(&name, e))?;
                resolved.as_path()
            }
            _ => target,
        };
        let file_name = target.file_name().unwrap_or(file_name);
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let (temp, file) = create_temp(&dir, file_name).map_err(|e| Error::new(&name, e))?;
        register_cleanup(&temp);
        if let Ok(meta) = fs::metadata(target) {
            let _ = file.set_permissions(meta.permissions());
        }
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            file: Some(BufWriter::with_capacity(BUFFER_SIZE, file)),
            keep: false,
        })
    }

    /// Opens the partial file `temp` (created when absent, never truncated) for `target`:
    /// what an earlier run left there is adopted, writes go through unbuffered to where the
    /// file offset is (the
    /// start; seek through [`file`](Self::file)), and the file is kept when this value is
    /// dropped uncommitted or the process is interrupted. `temp` must be in the target's
    /// directory for the rename of [`commit`](Self::commit) to be atomic.
    pub fn resume(target: &Path, temp: &Path) -> Result<AtomicFile, Error> {
        let name = temp.display().to_string();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(temp)
            .map_err(|e| Error::new(&name, e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp: temp.to_path_buf(),
            // Unbuffered: what a kill leaves in the file is everything that arrived.
            file: Some(BufWriter::with_capacity(0, file)),
            keep: true,
        })
    }

    /// The temporary file itself, with everything written so far flushed to it: to lock,
    /// seek, truncate or read it back.
    pub fn file(&mut self) -> io::Result<&mut File> {
        let writer = self.file.as_mut().expect("file present until commit");
        writer.flush()?;
        Ok(writer.get_mut())
    }

    /// Removes the temporary file whatever the mode (nothing in it is worth keeping).
    pub fn discard(mut self) {
        self.keep = false;
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary path data is written to before the commit.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Flushes, fsyncs, renames the temporary file over the target and fsyncs the directory.
    pub fn commit(mut self) -> Result<(), Error> {
        let name = self.target.display().to_string();
        let writer = self.file.take().expect("file present until commit");
        let file = writer.into_inner().map_err(|e| Error::new(&name, e.into_error()))?;
        file.sync_all().map_err(|e| Error::new(&name, e))?;
        drop(file);
        rename_durably(&self.temp, &self.target).map_err(|e| Error::new(&name, e))?;
        unregister_cleanup(&self.temp);
        Ok(())
    }
}

/// Renames `from` over `to` and fsyncs `to`'s directory: the rename is durable only once
/// the directory entry is on disk. The step [`AtomicFile::commit`] ends with, for files
/// made otherwise (a hard link put in place).
pub fn rename_durably(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    let dir = match to.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("file present until commit").write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.as_mut().expect("file present until commit").write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("file present until commit").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.keep {
            // Whatever was written is flushed and stays for a later run.
            if let Some(mut writer) = self.file.take() {
                let _ = writer.flush();
            }
            return;
        }
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
            unregister_cleanup(&self.temp);
        }
    }
}

/// A directory built under a temporary name beside the target and renamed into place only
/// on [`commit`](AtomicDir::commit), as `zfs receive` does for a new dataset: a failed or
/// interrupted import leaves no half-filled directory. Dropped uncommitted, or on
/// SIGINT/SIGTERM/SIGHUP after [`install_signal_cleanup`], the temporary tree is removed.
/// The target must not exist.
pub struct AtomicDir {
    target: PathBuf,
    temp: PathBuf,
    cleanup: Option<u64>,
}

impl AtomicDir {
    /// Creates the temporary directory (mode 0700 until the tree sets its own) beside
    /// `target`, creating the parent directories if needed.
    pub fn create(target: &Path) -> Result<AtomicDir, Error> {
        let name = target.display().to_string();
        let file_name =
            target.file_name().ok_or_else(|| Error::new(&name, io::Error::other("not a directory name")))?;
        let parent = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::new(&name, e))?;
        let pid = std::process::id();
        let mut attempt = 0u32;
        let temp = loop {
            let mut temp_name = OsString::from(".");
            temp_name.push(file_name);
            temp_name.push(format!(".{pid}-{attempt}.jtools-tmp"));
            let temp = parent.join(temp_name);
            match std::os::unix::fs::DirBuilderExt::mode(&mut fs::DirBuilder::new(), 0o700).create(&temp) {
                Ok(()) => break temp,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(Error::new(&name, e)),
            }
        };
        let doomed = temp.clone();
        let cleanup = register_cleanup_action(Box::new(move || remove_tree(&doomed)));
        Ok(AtomicDir { target: target.to_path_buf(), temp, cleanup: Some(cleanup) })
    }

    /// The temporary directory to fill.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary directory to the target. Fails, removing the temporary tree,
    /// if the target appeared meanwhile (and is not an empty directory).
    pub fn commit(mut self) -> Result<(), Error> {
        let name = self.target.display().to_string();
        fs::rename(&self.temp, &self.target).map_err(|e| Error::new(&name, e))?;
        if let Some(id) = self.cleanup.take() {
            unregister_cleanup_action(id);
        }
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for AtomicDir {
    fn drop(&mut self) {
        if let Some(id) = self.cleanup.take() {
            unregister_cleanup_action(id);
            remove_tree(&self.temp);
        }
    }
}

/// Removes a tree, first making its directories writable (an extracted tree may hold
/// read-only directories, which would stop the removal when not root).
fn remove_tree(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fn open_up(dir: &Path) {
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    open_up(&entry.path());
                }
            }
        }
    }
    // The extraction may still be adding entries (a signal arrives mid-stream): retry.
    for _ in 0..10 {
        if fs::remove_dir_all(path).is_ok() || !path.exists() {
            return;
        }
        open_up(path);
    }
}

fn create_temp(dir: &Path, file_name: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last_err = None;
    for attempt in 0..100u32 {
        let mut name = OsString::from(".");
        name.push(file_name);
        name.push(format!(".{pid}-{attempt}.jtools-tmp"));
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("cannot create a temporary file")))
}

static CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Registers a path to be removed if the process is killed by SIGINT, SIGTERM or SIGHUP.
/// [`AtomicFile`] registers its temporary file itself.
pub fn register_cleanup(path: &Path) {
    if let Ok(mut list) = CLEANUP.lock() {
        list.push(path.to_path_buf());
    }
}

/// Removes a path from the signal cleanup list (it was renamed or deleted).
pub fn unregister_cleanup(path: &Path) {
    if let Ok(mut list) = CLEANUP.lock() {
        list.retain(|p| p != path);
    }
}

/// An action run on SIGINT, SIGTERM or SIGHUP, with the id to unregister it.
type CleanupAction = (u64, Box<dyn Fn() + Send>);

static CLEANUP_ACTIONS: Mutex<Vec<CleanupAction>> = Mutex::new(Vec::new());

/// Registers an action to run if the process is killed by SIGINT, SIGTERM or SIGHUP, before
/// the registered paths are removed: for cleanups that are not a file (jsnap destroys a
/// partly received ZFS dataset). Returns the id for [`unregister_cleanup_action`].
pub fn register_cleanup_action(action: Box<dyn Fn() + Send>) -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Ok(mut list) = CLEANUP_ACTIONS.lock() {
        list.push((id, action));
    }
    id
}

/// Removes an action registered with [`register_cleanup_action`] (its work is done).
pub fn unregister_cleanup_action(id: u64) {
    if let Ok(mut list) = CLEANUP_ACTIONS.lock() {
        list.retain(|(i, _)| *i != id);
    }
}

/// Starts a thread that, on SIGINT, SIGTERM or SIGHUP, runs the registered cleanup actions,
/// removes every registered temporary
/// path and then lets the signal end the process as it would have (status 128+N). Call it
/// once, early in `main`; later calls do nothing.
pub fn install_signal_cleanup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                if let Ok(actions) = CLEANUP_ACTIONS.lock() {
                    for (_, action) in actions.iter() {
                        action();
                    }
                }
                if let Ok(list) = CLEANUP.lock() {
                    for path in list.iter() {
                        let _ = fs::remove_file(path);
                    }
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"hello").unwrap();
        assert!(!target.exists());
        let temp = f.temp_path().to_path_buf();
        assert!(temp.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"hello");
        assert!(!temp.exists());
    }

    #[test]
    fn resumed_atomic_file_is_adopted_kept_on_drop_and_committed() {
        use std::io::Seek;
        let dir = tempfile::tempdir().unwrap();
        let (target, part) = (dir.path().join("out"), dir.path().join("out.part"));
        std::fs::write(&part, b"held").unwrap();
        let mut file = AtomicFile::resume(&target, &part).unwrap();
        file.file().unwrap().seek(io::SeekFrom::End(0)).unwrap();
        file.write_all(b" more").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&part).unwrap(), b"held more");
        assert!(!target.exists());
        let mut file = AtomicFile::resume(&target, &part).unwrap();
        file.file().unwrap().seek(io::SeekFrom::End(0)).unwrap();
        file.write_all(b"!").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"held more!");
        assert!(!part.exists());
        AtomicFile::resume(&target, &part).unwrap().discard();
        assert!(!part.exists());
    }

    #[test]
    fn dropped_atomic_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        fs::write(&target, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"new").unwrap();
        }
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn special_files_are_written_in_place_never_replaced() {
        let mut out = Output::create(Some(Path::new("/dev/null")), true, true).unwrap();
        out.write_all(b"data").unwrap();
        out.commit().unwrap();
        let meta = fs::metadata("/dev/null").unwrap();
        assert!(!meta.is_file(), "/dev/null must stay a device");
        assert!(AtomicFile::create(Path::new("/dev/null")).is_err());
    }

    #[test]
    fn symlinked_target_is_replaced_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let link = dir.path().join("link");
        fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut f = AtomicFile::create(&link).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn std_paths() {
        assert!(is_std(None));
        assert!(is_std(Some(Path::new("-"))));
        assert!(!is_std(Some(Path::new("a"))));
        assert_eq!(display_name(None), "-");
    }
}
