//! Real ZFS for tests: a zfs-fuse pool on a sparse file, destroyed when dropped; either
//! with `-m none` (nothing mounts unless a test says where) or mounting like a host's pool
//! (every dataset mounted under the pool's root, children inherit).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A zfs-fuse pool on a 128 MiB sparse file, destroyed when dropped (also when the test
/// panics), with a name unique to this process and test.
pub struct Pool {
    name: String,
    dir: tempfile::TempDir,
    /// Held for the pool's life: one pool at a time per test binary. Two tests creating
    /// nested datasets on two mounting pools at once left both `zfs create`s in D state and
    /// zfs-fuse unresponsive (a fresh-clone CI run, 2026-12-01); serial, they pass. Released
    /// after Drop has destroyed the pool.
    _serial: std::sync::MutexGuard<'static, ()>,
}

/// See [`Pool::_serial`].
static ONE_POOL_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

static POOL_COUNTER: AtomicU32 = AtomicU32::new(0);

impl Pool {
    /// A new pool with `-m none`, or `None` (test skipped) when zfs-fuse is not usable here.
    pub fn new() -> Option<Pool> {
        Pool::create(false)
    }

    /// A new pool whose datasets mount, as on a host: the root dataset at
    /// [`Pool::root`], every new dataset below it by inheritance.
    pub fn mounting() -> Option<Pool> {
        Pool::create(true)
    }

    fn create(mounting: bool) -> Option<Pool> {
        // zfs-fuse's daemon runs as root and takes pool and dataset commands from root only.
        if !super::require_root("ZFS through zfs-fuse (its daemon takes commands from root only)") {
            return None;
        }
        if !super::have("zpool") || !super::have("zfs") {
            return None;
        }
        if !Command::new("zpool").arg("list").output().is_ok_and(|o| o.status.success()) {
            let why = format!(
                "zfs-fuse daemon not running (tests/setup.d/jsnap.sh starts it){}",
                daemon_log_tail()
            );
            super::skip(&why);
            return None;
        }
        // A test that panicked while holding the lock poisons it; the pool it held is gone.
        let serial = ONE_POOL_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let n = POOL_COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("jtoolstest{}x{n}", std::process::id());
        let dir = super::tempdir();
        let file = dir.path().join("pool.img");
        fs::File::create(&file).unwrap().set_len(128 << 20).unwrap();
        let mountpoint =
            if mounting { dir.path().join("root").display().to_string() } else { "none".to_string() };
        zfs_ok("zpool", &["create", "-m", &mountpoint, &name, file.to_str().unwrap()]);
        Some(Pool { name, dir, _serial: serial })
    }

    /// The name of dataset `child` of the pool.
    pub fn ds(&self, child: &str) -> String {
        format!("{}/{child}", self.name)
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where a [`Pool::mounting`] pool's root dataset is mounted.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The pool's temporary directory (mountpoints go there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A file system mounted under the pool's temporary directory.
    pub fn mounted(&self, child: &str) -> (String, PathBuf) {
        let mountpoint = self.dir.path().join(format!("mnt-{child}"));
        let ds = self.ds(child);
        zfs_ok("zfs", &["create", "-o", &format!("mountpoint={}", mountpoint.display()), &ds]);
        (ds, mountpoint)
    }

    /// Every dataset and snapshot of the pool.
    pub fn all(&self) -> Vec<String> {
        let out = zfs_ok("zfs", &["list", "-H", "-r", "-t", "all", "-o", "name", &self.name]);
        out.lines().map(String::from).collect()
    }

    /// Mounts a received dataset under the pool's directory and returns where.
    pub fn mount(&self, ds: &str) -> PathBuf {
        let mountpoint = self.dir.path().join(format!("mnt-{}", ds.replace('/', "_")));
        zfs_ok("zfs", &["set", &format!("mountpoint={}", mountpoint.display()), ds]);
        // A dataset received with -u stays unmounted when its mountpoint changes.
        let mounted = zfs_ok("zfs", &["get", "-H", "-o", "value", "mounted", ds]);
        if mounted.trim() != "yes" {
            zfs_ok("zfs", &["mount", ds]);
        }
        mountpoint
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // zfs-fuse may still be busy with the pool for a moment (a receive being aborted, a
        // mount being released): retry for up to 10 s.
        for _ in 0..100 {
            let out = Command::new("zpool").args(["destroy", "-f", &self.name]).output();
            if out.is_ok_and(|o| o.status.success()) {
                return;
            }
            let listed = Command::new("zpool").args(["list", &self.name]).output();
            if listed.is_ok_and(|o| !o.status.success()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("warning: could not destroy test pool {}", self.name);
    }
}

/// `zfs get -H -o value PROP DATASET`, trimmed.
pub fn get(prop: &str, ds: &str) -> String {
    zfs_ok("zfs", &["get", "-H", "-o", "value", prop, ds]).trim().to_string()
}

/// `zfs get -H -o source PROP DATASET`, trimmed (`local`, `received`, `inherited from …`).
pub fn source(prop: &str, ds: &str) -> String {
    zfs_ok("zfs", &["get", "-H", "-o", "source", prop, ds]).trim().to_string()
}

/// Whether zfs reports DATASET as mounted.
pub fn is_mounted(ds: &str) -> bool {
    get("mounted", ds) == "yes"
}

/// Runs zpool/zfs, asserts success, returns stdout.
pub fn zfs_ok(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect("run zfs");
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stderr),
        daemon_log_tail()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Where tests/setup.d/jsnap.sh sends zfs-fuse's own output.
const DAEMON_LOG: &str = "/var/log/jtools-zfs-fuse.log";

/// The end of zfs-fuse's log and the free space under the temporary directory, for failure
/// messages: when the daemon dies under a test, or its pool file's disk fills up (zfs-fuse then
/// suspends the pool), that is the only trace left.
fn daemon_log_tail() -> String {
    let log = fs::read_to_string(DAEMON_LOG).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    let df = Command::new("df").arg("-h").arg(std::env::temp_dir()).output();
    let df = df.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    format!("\n--- last lines of {DAEMON_LOG}:\n{tail}\n--- df -h:\n{df}")
}
