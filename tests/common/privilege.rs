//! Root and non-root: which code path a test is on, and the one named way for a test that
//! genuinely needs root (ZFS through zfs-fuse, mounts and namespaces that need
//! CAP_SYS_ADMIN in the initial user namespace, apt-get) to step aside.
//!
//! CI runs the suite twice: as root (`make test`), then every test binary again as an
//! unprivileged user (`.ci/run.d/unprivileged.sh`, which sets `JTOOLS_UNPRIVILEGED_PASS=1`).
//! In that second pass [`require_root`] reports the test as root-only — one line on stderr
//! and one in the file `JTOOLS_ROOT_ONLY_LOG` names, which the script counts and prints —
//! and the test returns; everything else must pass as that user, on its non-root code
//! paths. Outside that pass a non-root run is an ordinary skip through [`super::skip`],
//! which `JTOOLS_REQUIRE_ALL=1` turns into a failure: no test passes silently because it was
//! not root.

use std::io::Write;

/// Whether the tests run as root (effective uid 0).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Whether this is CI's unprivileged pass (`JTOOLS_UNPRIVILEGED_PASS=1`).
pub fn unprivileged_pass() -> bool {
    std::env::var_os("JTOOLS_UNPRIVILEGED_PASS").is_some_and(|v| v == "1")
}

/// True when running as root. Otherwise the running test is root-only for `reason`: in
/// the unprivileged pass it is reported as such (`ROOT-ONLY: <test>: <reason>`, also
/// appended to `JTOOLS_ROOT_ONLY_LOG`) and false is returned; elsewhere it is a skip
/// ([`super::skip`]: a failure under `JTOOLS_REQUIRE_ALL=1`). The caller returns early on
/// false.
pub fn require_root(reason: &str) -> bool {
    if is_root() {
        return true;
    }
    if !unprivileged_pass() {
        return super::skip(&format!("needs root: {reason}"));
    }
    // The log has libtest's full name (with any module path), which `--exact` takes.
    let full_name = std::thread::current().name().map(str::to_string).unwrap_or_else(super::test_name);
    let line = format!("{}\t{full_name}\t{reason}", test_binary());
    eprintln!("ROOT-ONLY: {}: {reason}", super::test_name());
    if let Some(log) = std::env::var_os("JTOOLS_ROOT_ONLY_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("open {}: {e}", log.to_string_lossy()));
        // One write per line with O_APPEND: lines from parallel tests do not interleave.
        file.write_all(format!("{line}\n").as_bytes()).expect("write the root-only log");
    }
    false
}

/// The running test binary's name without cargo's hash (`jsnap-0123abcd` is `jsnap`).
fn test_binary() -> String {
    let exe = std::env::current_exe().ok();
    let name = exe.as_deref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_else(|| "?".into());
    match name.rsplit_once('-') {
        Some((stem, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => stem.into(),
        _ => name,
    }
}
