//! The command to run, resolved before any fork: who runs it (from the jail's own passwd and
//! group files), in which directory, with which environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use jcore::Status;
use jcore::exit::StatusError;

use crate::cli::Plan;
use crate::users::User;

/// PATH of the clean environment: the union of FreeBSD's login class default and the usual
/// Linux one, so the same command line works in both kinds of image.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One -e: NAME=VALUE, or NAME alone to copy jrun's own value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvSetting {
    pub name: OsString,
    pub value: Option<OsString>,
}

/// A command ready to run in a jail.
#[derive(Debug)]
pub struct Job {
    /// The program and its arguments (never empty).
    pub command: Vec<OsString>,
    pub user: User,
    /// The complete environment of the command.
    pub env: Vec<(OsString, OsString)>,
    /// The working directory, a path inside the jail.
    pub workdir: PathBuf,
}

impl Job {
    /// Resolves the plan's user against `root`/etc/passwd and builds the environment.
    pub fn prepare(root: &Path, plan: &Plan) -> anyhow::Result<Job> {
        let user = crate::users::lookup(root, plan.user.as_deref())?;
        let env = environment(&user, &plan.env, plan.clean_env);
        Ok(Job { command: plan.command.clone(), user, env, workdir: plan.workdir.clone() })
    }
}

/// The command's environment: PATH, HOME, USER and TERM (when jrun has one) when `clean`,
/// otherwise jrun's own; then the -e settings, later ones winning.
pub fn environment(user: &User, settings: &[EnvSetting], clean: bool) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = if clean {
        let mut env = vec![
            ("PATH".into(), DEFAULT_PATH.into()),
            ("HOME".into(), user.home.clone().into_os_string()),
            ("USER".into(), user.name.clone().into()),
        ];
        if let Some(term) = std::env::var_os("TERM") {
            env.push(("TERM".into(), term));
        }
        env
    } else {
        std::env::vars_os().collect()
    };
    for setting in settings {
        let value = match &setting.value {
            Some(v) => v.clone(),
            None => match std::env::var_os(&setting.name) {
                Some(v) => v,
                None => continue,
            },
        };
        env.retain(|(name, _)| *name != setting.name);
        env.push((setting.name.clone(), value));
    }
    env
}

/// Marks every descriptor above 2 close-on-exec, so that nothing jrun inherited (a shell's
/// `exec 7<file`, a build tool's jobserver pipe) reaches the command; the descriptors jrun
/// opens itself are close-on-exec already.
pub fn close_on_exec_beyond_stdio() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: close_range(2) with CLOSE_RANGE_CLOEXEC only sets flags on descriptors.
        let done = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
        if done == 0 {
            return Ok(());
        }
    }
    #[cfg(target_os = "freebsd")]
    {
        // SAFETY: as above; FreeBSD 13.1 and later.
        let done = unsafe { libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int) };
        if done == 0 {
            return Ok(());
        }
    }
    // Older kernels: one descriptor at a time, as listed by the kernel.
    let listing = if cfg!(target_os = "linux") { "/proc/self/fd" } else { "/dev/fd" };
    let open: Vec<i32> = std::fs::read_dir(listing)?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect();
    for fd in open {
        // SAFETY: F_SETFD on a descriptor number only sets its flags (EBADF for the one
        // read_dir used, already closed).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}

/// The shell's convention: 127 when the command does not exist, 126 when it cannot be run.
pub fn exec_error(program: &std::ffi::OsStr, err: &std::io::Error) -> StatusError {
    let program = program.to_string_lossy();
    if err.kind() == std::io::ErrorKind::NotFound {
        StatusError { status: Status::Code(127), message: format!("{program}: command not found") }
    } else {
        StatusError {
            status: Status::Code(126),
            message: format!("{program}: {}", jcore::exit::message(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody() -> User {
        User {
            name: "nobody".into(),
            uid: 65534,
            gid: 65534,
            groups: vec![65534],
            home: "/nonexistent".into(),
        }
    }

    #[test]
    fn clean_environment_has_only_the_basics_and_settings() {
        let settings = [
            EnvSetting { name: "A".into(), value: Some("1".into()) },
            EnvSetting { name: "PATH".into(), value: Some("/bin".into()) },
            EnvSetting { name: "JRUN_SURELY_UNSET".into(), value: None },
        ];
        let env = environment(&nobody(), &settings, true);
        let names: Vec<_> = env.iter().map(|(n, _)| n.to_string_lossy().into_owned()).collect();
        assert!(
            names.iter().all(|n| ["PATH", "HOME", "USER", "TERM", "A"].contains(&n.as_str())),
            "{names:?}"
        );
        assert!(env.contains(&("PATH".into(), "/bin".into())));
        assert!(env.contains(&("HOME".into(), "/nonexistent".into())));
        assert!(env.contains(&("USER".into(), "nobody".into())));
        assert_eq!(env.iter().filter(|(n, _)| n == "PATH").count(), 1);
    }
}
