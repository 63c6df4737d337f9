//! The command to run, resolved before any fork: who runs it (from the jail's own passwd and
//! group files), in which directory, with which environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use jcore::Status;
use jcore::exit::StatusError;

use crate::plan::{EnvSetting, Plan};
use crate::users::User;

/// PATH of the clean environment: the union of FreeBSD's login class default and the usual
/// Linux one, so the same command line works in both kinds of image.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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
/// A program that exists but "is not found" lacks its interpreter (`#!`) or its ELF loader
/// in the jail (a dynamically linked busybox in an image without /lib): say which.
pub fn exec_error(
    program: &std::ffi::OsStr,
    err: &std::io::Error,
    env: &[(OsString, OsString)],
) -> StatusError {
    let name = program.to_string_lossy();
    if err.kind() == std::io::ErrorKind::NotFound {
        let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
        // Only where the error comes from inside the jail's root (Linux: after pivot_root).
        let found = if cfg!(target_os = "linux") { find_program(program, path.as_deref()) } else { None };
        let message = match found.and_then(|file| missing_loader(&file)) {
            Some(loader) => format!("{name}: cannot run: {loader} is missing inside the jail"),
            None => format!("{name}: command not found"),
        };
        StatusError { status: Status::Code(127), message }
    } else {
        StatusError { status: Status::Code(126), message: format!("{name}: {}", jcore::exit::message(err)) }
    }
}

/// Where execvp would find `program`: itself when it has a `/`, else the first regular file
/// of that name in PATH.
fn find_program(program: &std::ffi::OsStr, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    if program.as_bytes().contains(&b'/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(path.unwrap_or(DEFAULT_PATH.as_ref()))
        .map(|dir| dir.join(program))
        .find(|file| std::fs::metadata(file).is_ok_and(|m| m.is_file()))
}

/// The interpreter or ELF program interpreter (dynamic loader) `file` names, when it is
/// missing; described for the message. An interpreter that exists is looked into in turn
/// (a `#!/bin/sh` script whose /bin/sh is a dynamic busybox without its loader).
fn missing_loader(file: &Path) -> Option<String> {
    missing_loader_within(file, 4)
}

fn missing_loader_within(file: &Path, depth: usize) -> Option<String> {
    if depth == 0 {
        return None;
    }
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(file).ok()?.take(64 * 1024).read_to_end(&mut head).ok()?;
    let (what, loader) = if let Some(line) = head.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next()?;
        let text = String::from_utf8_lossy(line);
        ("its interpreter", text.split_whitespace().next()?.to_string())
    } else {
        ("its dynamic loader", elf_interpreter(&head)?)
    };
    match std::fs::metadata(&loader) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = if what == "its dynamic loader" {
                " (a dynamically linked program; use a static one, such as busybox-static's busybox)"
            } else {
                ""
            };
            Some(format!("{what} {loader}{hint}"))
        }
        Ok(_) => missing_loader_within(Path::new(&loader), depth - 1)
            .map(|inner| format!("{what} {loader} exists, but {inner}")),
        Err(_) => None,
    }
}

/// PT_INTERP of a 64- or 32-bit little-endian ELF file, from its first bytes.
fn elf_interpreter(head: &[u8]) -> Option<String> {
    if head.get(..4)? != b"\x7fELF" || *head.get(5)? != 1 {
        return None;
    }
    let wide = *head.get(4)? == 2;
    let read = |at: usize, len: usize| -> Option<u64> {
        let bytes = head.get(at..at + len)?;
        Some(bytes.iter().rev().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    };
    let (phoff, phentsize, phnum) = if wide {
        (read(0x20, 8)?, read(0x36, 2)?, read(0x38, 2)?)
    } else {
        (read(0x1c, 4)?, read(0x2a, 2)?, read(0x2c, 2)?)
    };
    for index in 0..phnum {
        let entry = usize::try_from(phoff + index * phentsize).ok()?;
        if read(entry, 4)? != 3 {
            continue; // not PT_INTERP
        }
        let (offset, size) = if wide {
            (read(entry + 8, 8)?, read(entry + 32, 8)?)
        } else {
            (read(entry + 4, 4)?, read(entry + 16, 4)?)
        };
        let start = usize::try_from(offset).ok()?;
        let bytes = head.get(start..start + usize::try_from(size).ok()?)?;
        let path = bytes.split(|&b| b == 0).next()?;
        return Some(String::from_utf8_lossy(path).into_owned());
    }
    None
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

    #[test]
    fn the_loader_of_a_dynamic_program_is_found() {
        // Any dynamically linked program of this machine names its loader.
        let ls = find_program("ls".as_ref(), Some("/usr/bin:/bin".as_ref())).unwrap();
        let mut head = Vec::new();
        std::io::Read::read_to_end(&mut std::fs::File::open(&ls).unwrap(), &mut head).unwrap();
        let loader = elf_interpreter(&head).unwrap();
        assert!(loader.starts_with('/') && loader.contains("ld-"), "{loader}");
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s");
        std::fs::write(&script, "#!/nonexistent/sh -e\n").unwrap();
        assert_eq!(missing_loader(&script).unwrap(), "its interpreter /nonexistent/sh");
    }
}
