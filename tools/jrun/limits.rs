//! Linux: a pids and a memory limit for the whole jail, with a control group of its own.
//!
//! cgroup v2 first (one directory, `pids.max` and `memory.max`; the controllers must be
//! enabled in the parent's `cgroup.subtree_control`, which jrun tries), then the v1
//! hierarchies (`pids.max`, `memory.limit_in_bytes`) on hosts still running those. The
//! group is made beside jrun's own (under it in the hierarchy), init is moved into it before
//! the command exists (every process of the jail follows), and it is removed when the jail
//! has ended.
//!
//! Asked for on the command line and impossible here, a limit fails the run with what is
//! missing. The default pids limit is applied where the controller is available and
//! skipped where it is not (a host without delegated cgroups still runs jails).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::unistd::Pid;

use crate::plan::Limits;

/// The groups made for one jail: the directories, and how to join them.
pub struct Cgroup {
    dirs: Vec<PathBuf>,
}

impl Cgroup {
    /// Makes the group(s) with the limits set; `None` when nothing is to be limited.
    pub fn create(limits: &Limits) -> anyhow::Result<Option<Cgroup>> {
        let mut wanted: Vec<(&str, u64, bool)> = Vec::new();
        if let Some(pids) = limits.pids_max {
            wanted.push(("pids", pids, limits.pids_explicit));
        }
        if let Some(memory) = limits.memory_max {
            wanted.push(("memory", memory, true));
        }
        if wanted.is_empty() {
            return Ok(None);
        }
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").context("/proc/self/mountinfo")?;
        let membership = std::fs::read_to_string("/proc/self/cgroup").context("/proc/self/cgroup")?;
        // The PID alone is not unique: a jrun killed with SIGKILL leaves its (empty) group
        // behind, and a later jrun can get the same PID. Such leftovers are removed on the
        // way (rmdir only succeeds on a group with no processes).
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("jrun-{}-{started}", std::process::id());
        let mut group = Cgroup { dirs: Vec::new() };
        for (controller, value, explicit) in wanted {
            match group.limit(&mountinfo, &membership, &name, controller, value) {
                Ok(()) => {}
                Err(e) if explicit => {
                    return Err(e.context(format!(
                        "--{controller}-max: cgroups with the {controller} controller are not available or not delegated to jrun"
                    )));
                }
                Err(_) => {}
            }
        }
        Ok(if group.dirs.is_empty() { None } else { Some(group) })
    }

    fn limit(
        &mut self,
        mountinfo: &str,
        membership: &str,
        name: &str,
        controller: &str,
        value: u64,
    ) -> anyhow::Result<()> {
        if let Some(base) = v2_dir(mountinfo, membership) {
            let enabled = std::fs::read_to_string(base.join("cgroup.subtree_control")).unwrap_or_default();
            if !enabled.split_whitespace().any(|c| c == controller) {
                let _ = std::fs::write(base.join("cgroup.subtree_control"), format!("+{controller}"));
            }
            let enabled = std::fs::read_to_string(base.join("cgroup.subtree_control")).unwrap_or_default();
            if enabled.split_whitespace().any(|c| c == controller) {
                let dir = self.make(&base.join(name))?;
                let file = if controller == "pids" { "pids.max" } else { "memory.max" };
                return write(&dir.join(file), value);
            }
        }
        let Some(base) = v1_dir(mountinfo, membership, controller) else {
            bail!("no {controller} controller (neither in cgroup v2 nor v1)");
        };
        let dir = self.make(&base.join(name))?;
        let file = if controller == "pids" { "pids.max" } else { "memory.limit_in_bytes" };
        write(&dir.join(file), value)
    }

    fn make(&mut self, dir: &Path) -> anyhow::Result<PathBuf> {
        if !self.dirs.iter().any(|d| d == dir) {
            if let Some(parent) = dir.parent() {
                remove_leftovers(parent);
            }
            std::fs::create_dir(dir).with_context(|| dir.display().to_string())?;
            self.dirs.push(dir.to_path_buf());
        }
        Ok(dir.to_path_buf())
    }

    /// Moves `pid` (the jail's init, before it starts the command) into the group(s).
    pub fn add(&self, pid: Pid) -> anyhow::Result<()> {
        for dir in &self.dirs {
            let procs = dir.join("cgroup.procs");
            std::fs::write(&procs, pid.as_raw().to_string()).with_context(|| procs.display().to_string())?;
        }
        Ok(())
    }
}

impl Drop for Cgroup {
    /// Removes the group(s) once the jail's processes are gone (the kernel may take a few
    /// moments after init's death to empty them), on errors too.
    fn drop(&mut self) {
        for dir in self.dirs.iter().rev() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while std::fs::remove_dir(dir).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Removes the `jrun-PID-…` groups that jruns killed before their Drop left in `parent`:
/// only those whose jrun is gone (a live one may not have moved its init in yet), and only
/// when empty (rmdir refuses a group that still has processes).
fn remove_leftovers(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("jrun-")) else { continue };
        let Ok(pid) = rest.split('-').next().unwrap_or_default().parse::<u32>() else { continue };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

fn write(file: &Path, value: u64) -> anyhow::Result<()> {
    std::fs::write(file, value.to_string()).with_context(|| file.display().to_string())
}

/// jrun's own cgroup v2 directory, when a cgroup2 hierarchy is mounted.
fn v2_dir(mountinfo: &str, membership: &str) -> Option<PathBuf> {
    let mount = mounts(mountinfo).find(|(fstype, _, _)| *fstype == "cgroup2")?.1;
    let path = membership.lines().find_map(|line| line.strip_prefix("0::"))?;
    Some(PathBuf::from(mount).join(path.trim_start_matches('/')))
}

/// jrun's own directory in the v1 hierarchy of `controller`.
fn v1_dir(mountinfo: &str, membership: &str, controller: &str) -> Option<PathBuf> {
    let mount = mounts(mountinfo)
        .find(|(fstype, _, options)| *fstype == "cgroup" && options.split(',').any(|o| o == controller))?
        .1;
    let path = membership.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers.split(',').any(|c| c == controller).then_some(path)
    })?;
    Some(PathBuf::from(mount).join(path.trim_start_matches('/')))
}

/// (file system type, mount point, super options) of each line of /proc/self/mountinfo.
fn mounts(mountinfo: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    mountinfo.lines().filter_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let point = left.split(' ').nth(4)?;
        let mut right = right.split(' ');
        let fstype = right.next()?;
        let _source = right.next()?;
        Some((fstype, point, right.next().unwrap_or("")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_directories_from_proc() {
        let mountinfo = "32 31 0:29 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n\
                         40 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        let membership = "8:pids:/a/b\n0::/c\n";
        assert_eq!(v1_dir(mountinfo, membership, "pids").unwrap(), Path::new("/sys/fs/cgroup/pids/a/b"));
        assert_eq!(v2_dir(mountinfo, membership).unwrap(), Path::new("/sys/fs/cgroup/unified/c"));
        assert!(v1_dir(mountinfo, membership, "memory").is_none());
    }
}
