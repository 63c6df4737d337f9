//! Linux: the seccomp filter of the jail's command, and no_new_privs.
//!
//! A deny list built from systemd-nspawn's and Docker's defaults (both allow lists; their
//! differences from "everything" are what is refused here), for what a jail has no business
//! doing even as root with the kept capabilities: the kernel keyrings (shared with the host:
//! a jail could read host root's keys), loading kernels or modules, BPF, perf, swapping,
//! rebooting, the clock, raw I/O ports, handles of host files, io_uring (which bypasses
//! this filter), mounting (the new mount API included), new user namespaces (through
//! unshare, clone and setns; clone3 passes its flags in memory, which a filter cannot read,
//! so it answers ENOSYS and the C libraries fall back to clone), typing into a terminal
//! (TIOCSTI, TIOCLINUX), and making setuid or setgid files that host users could run
//! (chmod and file creation with those bits, as systemd's RestrictSUIDSGID=). Refused calls
//! fail with EPERM, as under nspawn.
//!
//! ptrace and process_vm_* stay allowed: the jail sees only its own processes (its own PID
//! namespace), so there is nothing outside to trace.
//!
//! The filter is compiled with seccompiler (rust-vmm, Firecracker's; pure Rust, so nothing
//! to link) before the fork, and installed between fork and exec, after the user change.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};

/// Refused outright.
const DENIED: &[libc::c_long] = &[
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_fanotify_init,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_reboot,
    libc::SYS_acct,
    libc::SYS_settimeofday,
    libc::SYS_clock_settime,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_quotactl,
    libc::SYS_syslog,
    libc::SYS_vhangup,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_lookup_dcookie,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_move_mount,
    libc::SYS_open_tree,
    libc::SYS_mount_setattr,
    libc::SYS_setns,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_iopl,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_ioperm,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_uselib,
    #[cfg(target_arch = "x86_64")]
    libc::SYS__sysctl,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_nfsservctl,
];

/// The architecture the filter is for (it checks the calling convention too).
#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;
#[cfg(target_arch = "riscv64")]
const ARCH: TargetArch = TargetArch::riscv64;

/// The filters, in the order they are installed: the deny list (EPERM), then the calls whose
/// arguments a filter cannot read (ENOSYS): clone3, and openat2 unless `allow_suid`.
/// With `allow_suid` (--suid), setuid and setgid files may be made.
pub fn filters(allow_suid: bool) -> anyhow::Result<Vec<BpfProgram>> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = DENIED.iter().map(|&call| (call, Vec::new())).collect();
    let flag = |index: u8, bit: u64| -> anyhow::Result<SeccompCondition> {
        Ok(SeccompCondition::new(index, SeccompCmpArgLen::Qword, SeccompCmpOp::MaskedEq(bit), bit)?)
    };
    let equal = |index: u8, value: u64| -> anyhow::Result<SeccompCondition> {
        Ok(SeccompCondition::new(index, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, value)?)
    };
    let newuser = libc::CLONE_NEWUSER as u64;
    rules.insert(libc::SYS_unshare, vec![SeccompRule::new(vec![flag(0, newuser)?])?]);
    // clone's flags are its first argument on x86_64 and aarch64 alike.
    rules.insert(libc::SYS_clone, vec![SeccompRule::new(vec![flag(0, newuser)?])?]);
    rules.insert(
        libc::SYS_ioctl,
        vec![
            SeccompRule::new(vec![equal(1, libc::TIOCSTI)?])?,
            SeccompRule::new(vec![equal(1, libc::TIOCLINUX)?])?,
        ],
    );
    if allow_suid {
        return finish(rules, false);
    }
    // Setuid and setgid bits, by the argument that carries the mode.
    let suid = libc::S_ISUID as u64;
    let sgid = libc::S_ISGID as u64;
    // The mode counts only when a file is made: O_CREAT, or O_TMPFILE (linked in later).
    let making = [libc::O_CREAT as u64, libc::O_TMPFILE as u64];
    let mut mode_rules =
        |call: libc::c_long, mode_index: u8, flags_index: Option<u8>| -> anyhow::Result<()> {
            let mut list = Vec::new();
            for bit in [suid, sgid] {
                match flags_index {
                    None => list.push(SeccompRule::new(vec![flag(mode_index, bit)?])?),
                    Some(index) => {
                        for make in making {
                            list.push(SeccompRule::new(vec![flag(mode_index, bit)?, flag(index, make)?])?);
                        }
                    }
                }
            }
            rules.insert(call, list);
            Ok(())
        };
    mode_rules(libc::SYS_fchmod, 1, None)?;
    mode_rules(libc::SYS_fchmodat, 2, None)?;
    mode_rules(libc::SYS_fchmodat2, 2, None)?;
    mode_rules(libc::SYS_openat, 3, Some(2))?;
    mode_rules(libc::SYS_mknodat, 2, None)?;
    #[cfg(target_arch = "x86_64")]
    {
        mode_rules(libc::SYS_chmod, 1, None)?;
        mode_rules(libc::SYS_open, 2, Some(1))?;
        mode_rules(libc::SYS_creat, 1, None)?;
        mode_rules(libc::SYS_mknod, 1, None)?;
    }
    finish(rules, true)
}

/// The two filters; with `no_openat2`, openat2 answers ENOSYS too (its mode is in memory,
/// out of a filter's sight; the C libraries and programs fall back to openat).
fn finish(rules: BTreeMap<i64, Vec<SeccompRule>>, no_openat2: bool) -> anyhow::Result<Vec<BpfProgram>> {
    let deny =
        SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), ARCH)?;
    let mut unseen: BTreeMap<i64, Vec<SeccompRule>> = [(libc::SYS_clone3, Vec::new())].into_iter().collect();
    if no_openat2 {
        unseen.insert(libc::SYS_openat2, Vec::new());
    }
    let clone3 =
        SeccompFilter::new(unseen, SeccompAction::Allow, SeccompAction::Errno(libc::ENOSYS as u32), ARCH)?;
    Ok(vec![deny.try_into()?, clone3.try_into()?])
}

/// Sets no_new_privs and installs `filters`; between fork and exec (no allocation).
pub fn install(filters: &[BpfProgram]) -> std::io::Result<()> {
    for filter in filters {
        seccompiler::apply_filter(filter).map_err(|e| std::io::Error::other(format!("seccomp: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_compile() {
        let filters = super::filters(false).unwrap();
        assert_eq!(filters.len(), 2);
        assert!(filters.iter().all(|f| !f.is_empty()));
    }
}
