//! The small harness every integration test uses: run a real binary with given stdin in a
//! fresh directory, then assert on status, stdout and stderr; and the policy for tests that
//! need a program or service this machine may lack (SKIPPED, or a failure under
//! `JTOOLS_REQUIRE_ALL=1`, which CI sets).
// Each test file uses a different subset.
#![allow(dead_code)]

pub mod access_log;
pub mod actool;
pub mod imgadm;
pub mod nginx;
pub mod oci;
pub mod privilege;
pub mod registry;
pub mod servers;
pub mod tree;
pub mod zfs;

// Each test file uses a different subset (as with the functions above).
#[allow(unused_imports)]
pub use privilege::{is_root, require_root, unprivileged_pass};

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A command being prepared.
pub struct Cmd {
    command: Command,
    stdin: Option<Vec<u8>>,
    display: String,
}

/// The directory of the built tools: target/<profile>/, the parent of the directory
/// (target/<profile>/deps/) that holds this test executable — where assert_cmd's
/// `cargo_bin` looks too. Each tool is its own package (tools/<tool>/Cargo.toml), so cargo
/// gives the tests of this package no `CARGO_BIN_EXE_<tool>`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's own path");
    let dir = exe.parent().expect("the test executable's directory");
    if dir.ends_with("deps") { dir.parent().unwrap().to_path_buf() } else { dir.to_path_buf() }
}

/// The path of a tool's built binary; panics when it has not been built.
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.is_file() {
        panic!("{}: no such binary: run `cargo build --workspace` first (`make test` does)", path.display());
    }
    path
}

/// The path of a tool's built binary as a `&'static str`, for the tests that run it
/// through `Command` or a shell: `bin!(jsum)`.
#[macro_export]
macro_rules! bin {
    ($name:ident) => {{
        static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        PATH.get_or_init(|| $crate::common::bin(stringify!($name)).to_string_lossy().into_owned()).as_str()
    }};
}

macro_rules! tool {
    ($name:ident) => {
        /// A command running this tool's real binary.
        pub fn $name() -> Cmd {
            Cmd::new(bin(stringify!($name)))
        }
    };
}
tool!(jsnap);
tool!(jpack);
tool!(jsum);
tool!(jfetch);
tool!(jspec);
tool!(jrun);

impl Cmd {
    /// Any program.
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let display = program.as_ref().to_string_lossy().into_owned();
        let mut command = Command::new(program);
        command.stdin(Stdio::null());
        Cmd { command, stdin: None, display }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.display.push(' ');
        self.display.push_str(&arg.as_ref().to_string_lossy());
        self.command.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.command.env(key, value);
        self
    }

    /// Feeds these bytes on stdin.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(data.into());
        self
    }

    /// Reads stdin from a file.
    pub fn stdin_file(mut self, path: impl AsRef<Path>) -> Cmd {
        let file = std::fs::File::open(path.as_ref()).expect("open stdin file");
        self.command.stdin(file);
        self
    }

    /// The underlying command, for what the builder does not cover.
    pub fn command(&mut self) -> &mut Command {
        &mut self.command
    }

    /// Runs to completion and captures stdout and stderr.
    pub fn run(mut self) -> Run {
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if self.stdin.is_some() {
            self.command.stdin(Stdio::piped());
        }
        let mut child = self.command.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", self.display));
        let writer = self.stdin.take().map(|data| {
            let mut pipe = child.stdin.take().expect("piped stdin");
            // A thread, so a tool that writes before reading everything cannot deadlock us.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            })
        });
        let output = child.wait_with_output().expect("wait for child");
        if let Some(w) = writer {
            let _ = w.join();
        }
        Run {
            display: self.display,
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A finished run.
pub struct Run {
    pub display: String,
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    fn context(&self) -> String {
        format!(
            "command: {}\nstatus: {:?}\nstderr: {}\nstdout: {}",
            self.display,
            self.code,
            self.stderr,
            String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(2000)])
        )
    }

    /// Asserts exit status 0.
    pub fn success(&self) -> &Run {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.context());
        self
    }

    /// Asserts an exit status.
    pub fn code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "expected exit {code}\n{}", self.context());
        self
    }

    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stdout_is(&self, expected: impl AsRef<[u8]>) -> &Run {
        assert_eq!(
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(expected.as_ref()),
            "stdout differs\n{}",
            self.context()
        );
        self
    }

    pub fn stdout_contains(&self, needle: &str) -> &Run {
        assert!(self.stdout_str().contains(needle), "stdout lacks {needle:?}\n{}", self.context());
        self
    }

    pub fn stderr_contains(&self, needle: &str) -> &Run {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}\n{}", self.context());
        self
    }

    pub fn stderr_is_empty(&self) -> &Run {
        assert!(self.stderr.is_empty(), "stderr not empty\n{}", self.context());
        self
    }

    /// Asserts the one-line error convention: `tool: ...` on a single line.
    pub fn one_line_error(&self, tool: &str) -> &Run {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one error line\n{}", self.context());
        assert!(
            lines[0].starts_with(&format!("{tool}: ")),
            "error must start with '{tool}: '\n{}",
            self.context()
        );
        self
    }
}

/// Whether CI demands that nothing is skipped.
pub fn require_all() -> bool {
    std::env::var_os("JTOOLS_REQUIRE_ALL").is_some_and(|v| v == "1")
}

/// The running test's name. libtest runs every test on a thread named after it (also with
/// `--test-threads=1`), so a skip names the test without each test typing its own name.
/// The module path is left out (`tests::x` is `x`).
pub fn test_name() -> String {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("(a thread the test started)");
    name.rsplit("::").next().unwrap_or(name).to_string()
}

/// Whether `program` is on PATH. When it is not: under `JTOOLS_REQUIRE_ALL=1` the test
/// fails; otherwise it prints `SKIPPED: <test>: <program> not installed` and the caller
/// returns early.
pub fn have(program: &str) -> bool {
    if which(program).is_some() {
        return true;
    }
    skip(&format!("{program} not installed (make test installs it)"))
}

/// Reports a skip of the running test with its reason, or fails under
/// `JTOOLS_REQUIRE_ALL=1`. Returns false.
pub fn skip(reason: &str) -> bool {
    let test = test_name();
    if require_all() {
        panic!("{test}: {reason}, and JTOOLS_REQUIRE_ALL=1 forbids skipping");
    }
    eprintln!("SKIPPED: {test}: {reason}");
    false
}

/// The full path of a program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("jtools-test-").tempdir().expect("create temp dir")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The project's shared folder (specs, corpus), beside the repository; `JTOOLS_SHARED`
/// overrides.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("JTOOLS_SHARED") {
        return PathBuf::from(dir);
    }
    repo_root().join("../shared")
}

/// Deterministic pseudo-random bytes (xorshift), for inputs that must not compress well.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs a shell pipeline with `bash -o pipefail -c`.
pub fn sh(script: &str) -> Cmd {
    Cmd::new("bash").arg("-o").arg("pipefail").arg("-c").arg(script)
}

/// Starts `cmd` with a piped stdin, writes `data` and keeps stdin open (the tool is now
/// mid-stream, waiting for more), waits until `started()` says the tool has begun its work
/// (e.g. its temporary file exists) plus a short grace, then sends SIGTERM and returns the
/// exit status. stdout is discarded; stderr is captured so it does not clutter test output.
pub fn kill_mid_stream(
    cmd: &mut Command,
    data: &[u8],
    started: impl Fn() -> bool,
) -> std::process::ExitStatus {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(data).unwrap();
    stdin.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !started() {
        assert!(std::time::Instant::now() < deadline, "{cmd:?}: did not start its work within 20 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    drop(stdin);
    status
}

/// The directory holding node_modules/imgmanifest 3.2.1 (the validator IMGAPI runs), installed
/// from the npm registry into the target directory on first use; `None` (test skipped) when
/// node or npm is missing or the install fails.
pub fn imgmanifest() -> Option<PathBuf> {
    npm_package("imgmanifest", "3.2.1")
}

/// The directory holding `node_modules/NAME` at VERSION, installed from the npm registry into
/// the target directory once. Tests of one binary run in parallel and a fresh clone has no
/// copy yet: the install goes to a directory of its own and is renamed into place whole, under
/// a lock, so no test ever sees a half-installed package.
pub fn npm_package(name: &str, version: &str) -> Option<PathBuf> {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if !have("node") || !have("npm") {
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{version}"));
    let installed = |dir: &Path| dir.join("node_modules").join(name).join("package.json").exists();
    let _guard = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if installed(&dir) {
        return Some(dir);
    }
    let staging = dir.with_extension(format!("installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).unwrap();
    let run = Cmd::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
        .arg(&staging)
        .arg(format!("{name}@{version}"))
        .run();
    if run.code != Some(0) || !installed(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        skip(&format!("npm install {name}@{version} failed: {}", run.stderr));
        return None;
    }
    // Another test binary may have installed it meanwhile: then keep that one.
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::rename(&staging, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    installed(&dir).then_some(dir)
}
