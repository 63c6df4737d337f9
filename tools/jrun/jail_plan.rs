//! FreeBSD throw-away jails, decided: which jail(2) parameters, which mounts in which order,
//! what a leftover mount from an earlier run looks like, how lo0 is configured, which parts
//! of the login class apply. Plain data in, plain data out, no system calls: this module
//! compiles and is unit-tested on every platform, and `freebsd.rs` is the thin layer that
//! hands the results to jail_set(2), nmount(2), unmount(2), ioctl(2) and setusercontext(3).
//!
//! Decisions (the issue left them open):
//! - **The jail goes with jrun.** Where the kernel has jail descriptors (FreeBSD 15), the
//!   jail is made with `JAIL_OWN_DESC`: jrun holds the owning descriptor, and when jrun
//!   exits, however it exits (SIGKILL included), the kernel closes it and removes the jail
//!   with every process in it. Elsewhere the jail is created persistent (so that it exists
//!   until the command is attached, as jail(8) does) and made `nopersist` as soon as the
//!   command runs in it: it then goes away by itself with its last process, jrun removes it
//!   (jail_remove) when the command ends or after a forwarded signal ended it, and the
//!   command has a parent-death signal, so a SIGKILLed jrun takes the command along (what
//!   the command started in the background lives on until it ends; only descriptors close
//!   that gap). An older kernel is recognised by its answer: EINVAL without a message for
//!   the unknown flag.
//! - **Leftover mounts refuse the run, listed.** Any devfs, procfs, fdescfs or nullfs mount
//!   on or below DIR (or on a read-only view of DIR, see below) when the run starts is
//!   either in use (another run or jail on DIR) or left by a run that was killed. The
//!   kernel does not record who made a mount, so jrun cannot tell them apart from an
//!   operator's own (a ports tree nullfs'd into DIR, a running jail's devfs); unmounting
//!   what might be in use is worse than a refused run. The message names every mount
//!   point and how to remove them; file systems jrun never makes (ZFS datasets, UFS, tmpfs
//!   below DIR) are the image's own and are left alone.
//! - **`--ro` is a view, never a self-mount.** DIR is nullfs-mounted read-only on a fresh
//!   directory made by jrun (mkdtemp under /tmp, mode 0700), and that directory is the
//!   jail's path; mount points are made in DIR before. mount_nullfs refuses a directory on
//!   itself before FreeBSD 14; the view works the same on every release, so there is one
//!   mechanism to get right.
//! - **`--net none`**: a vnet jail (`vnet=new`) whose lo0 jrun brings up with ioctls
//!   (SIOCSIFFLAGS, then SIOCAIFADDR 127.0.0.1/8; the kernel adds ::1 itself) from a child
//!   attached to the jail, before the command starts: no /sbin/ifconfig needed in the image,
//!   and none of the host's run inside. Without VIMAGE in the kernel, `ip4=new` on
//!   127.0.0.1 and `ip6=new` on ::1 instead; then the jail shares the host's loopback
//!   addresses, so host services on 127.0.0.1 (or on all addresses) are reachable from it.
//! - **`-u` applies the login class** as `jexec -U` does: setusercontext(3) with
//!   `LOGIN_SETALL` minus `LOGIN_SETGROUP` (jrun sets the groups from the image's own
//!   files) and `LOGIN_SETLOGIN` (setlogin(2) would rename the caller's session), after the
//!   class was read from the image's master.passwd, confined. The class's PATH and setenv
//!   entries replace jrun's defaults; the -e settings still win.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use jcore::confine::Kind;

use crate::plan::{EnvSetting, MountSpec, Net};

/// jail_set(2) flags (sys/jail.h).
pub const JAIL_CREATE: i32 = 0x01;
pub const JAIL_UPDATE: i32 = 0x02;
/// FreeBSD 15: return an owning jail descriptor in the "desc" parameter; closing it removes
/// the jail.
pub const JAIL_OWN_DESC: i32 = 0x80;
/// The values of jailsys parameters (sysvshm, vnet, ip4…).
pub const JAIL_SYS_NEW: i32 = 1;
pub const JAIL_SYS_INHERIT: i32 = 2;

/// nmount(2) flags (sys/mount.h).
pub const MNT_RDONLY: i32 = 0x0000_0001;
pub const MNT_NOSUID: i32 = 0x0000_0008;

/// The devfs ruleset jail(8) uses for jails (devfsrules_jail in /etc/defaults/devfs.rules).
pub const DEVFS_JAIL_RULESET: &str = "4";

/// The file system types jrun mounts, hence the ones a leftover mount can have.
pub const JRUN_FSTYPES: [&str; 4] = ["nullfs", "devfs", "fdescfs", "procfs"];

/// A value of a jail(2) or nmount(2) parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A C string.
    Text(OsString),
    /// A native int.
    Int(i32),
    /// Raw bytes (an array of in_addr or in6_addr).
    Bytes(Vec<u8>),
    /// A boolean set by its name alone ("persist", "nopersist").
    Flag,
    /// An int the kernel fills in (the jail descriptor).
    IntOut,
}

/// One name/value pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub value: Value,
}

fn param(name: &'static str, value: Value) -> Param {
    Param { name, value }
}

/// What the kernel offers, found out at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernel {
    /// Jail descriptors (FreeBSD 15).
    pub descriptors: bool,
    /// VIMAGE, hence vnet jails (GENERIC since FreeBSD 12).
    pub vnet: bool,
}

/// The jail to create.
#[derive(Clone, Debug)]
pub struct JailRequest<'a> {
    /// The jail's root on the host: DIR, or the read-only view of it.
    pub path: &'a Path,
    /// A name of its own ([`jail_name`]), so that jrun can tell its jail from a later one
    /// that got the same JID.
    pub name: &'a str,
    pub hostname: &'a str,
    pub net: Net,
}

/// The name of jrun's jail: unique among live jails (the PID of jrun and the time it
/// started), never all digits (a JID), and with no dot (a dot names a child jail).
pub fn jail_name(pid: u32, nanos: u128) -> String {
    format!("jrun-{pid}-{nanos:x}")
}

/// The parameters of jail_set(2) that create the jail, in order.
pub fn jail_parameters(request: &JailRequest<'_>, kernel: Kernel) -> Vec<Param> {
    let mut params = vec![
        param("path", Value::Text(request.path.as_os_str().to_owned())),
        param("name", Value::Text(request.name.into())),
        param("host.hostname", Value::Text(request.hostname.into())),
    ];
    match (request.net, kernel.vnet) {
        (Net::Host, _) => {
            params.push(param("ip4", Value::Int(JAIL_SYS_INHERIT)));
            params.push(param("ip6", Value::Int(JAIL_SYS_INHERIT)));
        }
        // A network stack of its own; lo0 is brought up once the jail exists.
        (Net::None, true) => params.push(param("vnet", Value::Int(JAIL_SYS_NEW))),
        (Net::None, false) => {
            params.push(param("ip4", Value::Int(JAIL_SYS_NEW)));
            params.push(param("ip4.addr", Value::Bytes(vec![127, 0, 0, 1])));
            params.push(param("ip6", Value::Int(JAIL_SYS_NEW)));
            let mut loopback6 = vec![0u8; 16];
            loopback6[15] = 1;
            params.push(param("ip6.addr", Value::Bytes(loopback6)));
        }
    }
    // SysV IPC of its own (jail(8)'s `sysvshm=new` etc.): off by default, and PostgreSQL's
    // initdb, among others, fails without it; "new" keeps it apart from the host's.
    for ipc in ["sysvshm", "sysvsem", "sysvmsg"] {
        params.push(param(ipc, Value::Int(JAIL_SYS_NEW)));
    }
    // Persistent until the command is attached (see the module doc).
    params.push(param("persist", Value::Flag));
    if kernel.descriptors {
        params.push(param("desc", Value::IntOut));
    }
    params
}

/// The jail_set(2) flags that go with [`jail_parameters`].
pub fn creation_flags(kernel: Kernel) -> i32 {
    if kernel.descriptors { JAIL_CREATE | JAIL_OWN_DESC } else { JAIL_CREATE }
}

/// Whether a failed creation with descriptors means the kernel has none (FreeBSD 14 and
/// older check the flags first and answer EINVAL, with no message): then try without.
pub fn descriptors_refused(errno: i32, message: &str) -> bool {
    errno == libc::EINVAL && message.is_empty()
}

/// Without descriptors, once the command is attached: the jail stops being persistent, so
/// that it ends with its last process even if jrun cannot remove it. `None` with
/// descriptors (the owning descriptor does that, and more).
pub fn after_attach(jid: i32, kernel: Kernel) -> Option<(Vec<Param>, i32)> {
    if kernel.descriptors {
        return None;
    }
    Some((vec![param("jid", Value::Int(jid)), param("nopersist", Value::Flag)], JAIL_UPDATE))
}

/// Where a mount goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A directory on the host made by jrun (the read-only view).
    View,
    /// A path inside the jail, opened confined to the jail's root.
    Jail(PathBuf),
}

/// One nmount(2) jrun makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountRequest {
    pub fstype: &'static str,
    pub place: Place,
    /// Options besides fstype and fspath, in order.
    pub options: Vec<(&'static str, OsString)>,
    pub flags: i32,
    /// Made in DIR, before anything is mounted, when missing (`None`: it must exist; for
    /// /dev/fd, which devfs provides).
    pub create: Option<Kind>,
    /// How the request is named in messages.
    pub what: String,
}

/// What the mounts are made from.
#[derive(Clone, Debug)]
pub struct MountInputs<'a> {
    pub root: &'a Path,
    pub read_only: bool,
    pub mounts: &'a [MountSpec],
    pub suid: bool,
}

/// The mounts of a throw-away jail, in the order they are made (they are undone in reverse):
/// the read-only view of DIR (with --ro), devfs on /dev with the jail ruleset, fdescfs on
/// /dev/fd and procfs on /proc (what jail(8)'s mount.devfs, mount.fdescfs and mount.procfs
/// do), then the --mount nullfs binds in the order given. DIR's view and the binds are
/// nosuid unless --suid, as on Linux; the pseudo file systems always are. (FreeBSD has
/// device nodes on devfs only: nodev is implied.)
pub fn mount_requests(inputs: &MountInputs<'_>) -> Vec<MountRequest> {
    let nosuid = if inputs.suid { 0 } else { MNT_NOSUID };
    let mut requests = Vec::new();
    if inputs.read_only {
        requests.push(MountRequest {
            fstype: "nullfs",
            place: Place::View,
            options: vec![("target", inputs.root.as_os_str().to_owned())],
            flags: MNT_RDONLY | nosuid,
            create: None,
            what: "--ro".into(),
        });
    }
    requests.push(MountRequest {
        fstype: "devfs",
        place: Place::Jail("/dev".into()),
        options: vec![("ruleset", DEVFS_JAIL_RULESET.into())],
        flags: MNT_NOSUID,
        create: Some(Kind::Directory),
        what: "devfs on /dev".into(),
    });
    requests.push(MountRequest {
        fstype: "fdescfs",
        place: Place::Jail("/dev/fd".into()),
        options: Vec::new(),
        flags: MNT_NOSUID,
        create: None,
        what: "fdescfs on /dev/fd".into(),
    });
    requests.push(MountRequest {
        fstype: "procfs",
        place: Place::Jail("/proc".into()),
        options: Vec::new(),
        flags: MNT_NOSUID,
        create: Some(Kind::Directory),
        what: "procfs on /proc".into(),
    });
    for spec in inputs.mounts {
        let kind = if spec.source.is_dir() { Kind::Directory } else { Kind::File };
        requests.push(MountRequest {
            fstype: "nullfs",
            place: Place::Jail(spec.target.clone()),
            options: vec![("target", spec.source.as_os_str().to_owned())],
            flags: if spec.read_only { MNT_RDONLY | nosuid } else { nosuid },
            create: Some(kind),
            what: format!("--mount {}", spec.source.display()),
        });
    }
    requests
}

/// The whole nmount(2) parameter list of `request`, mounted on the current directory
/// (`fspath` "."; see freebsd.rs: the mount point is reached by descriptor, never by name).
pub fn nmount_parameters(request: &MountRequest) -> Vec<Param> {
    let mut params =
        vec![param("fstype", Value::Text(request.fstype.into())), param("fspath", Value::Text(".".into()))];
    for (name, value) in &request.options {
        params.push(param(name, Value::Text(value.clone())));
    }
    params
}

/// One line of the kernel's mount table (getmntinfo(3)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountEntry {
    pub fstype: String,
    /// f_mntfromname: the source (a directory for nullfs, the type's name otherwise).
    pub from: PathBuf,
    /// f_mntonname: the mount point.
    pub on: PathBuf,
}

/// The mounts under DIR (`root`, canonical) that jrun could have made: of jrun's types, on
/// or below DIR, or on or below a read-only view of DIR (a nullfs whose source is DIR),
/// deepest first (the order to unmount them in).
pub fn stale_mounts<'a>(root: &Path, table: &'a [MountEntry]) -> Vec<&'a MountEntry> {
    let ours = |entry: &&MountEntry| JRUN_FSTYPES.contains(&entry.fstype.as_str());
    let views: Vec<&Path> = table
        .iter()
        .filter(ours)
        .filter(|e| e.fstype == "nullfs" && e.from == root)
        .map(|e| e.on.as_path())
        .collect();
    let mut stale: Vec<&MountEntry> = table
        .iter()
        .filter(ours)
        .filter(|e| e.on.starts_with(root) || views.iter().any(|view| e.on.starts_with(view)))
        .collect();
    // Later mounts sit on earlier ones: the table lists them in mount order.
    stale.reverse();
    stale.sort_by_key(|e| std::cmp::Reverse(e.on.components().count()));
    stale
}

/// The refusal for leftover mounts.
pub fn stale_message(root: &Path, stale: &[&MountEntry]) -> String {
    let list: Vec<String> = stale.iter().map(|e| format!("{} ({})", e.on.display(), e.fstype)).collect();
    format!(
        "{}: file systems are mounted on or below it, in use by another run or jail, or left by \
         a run that was killed: {}; unmount them (umount -f, in this order) and run again; \
         never remove DIR while they are mounted",
        root.display(),
        list.join(", ")
    )
}

/// The name unmount(2) takes with MNT_BYFSID: the file system by its ID, so that no path
/// is looked up again when undoing a mount (a renamed parent cannot redirect it).
pub fn fsid_name(fsid: [i32; 2]) -> String {
    format!("FSID:{}:{}", fsid[0], fsid[1])
}

// lo0's ioctls. The libc crate has neither struct in_aliasreq nor these request numbers for
// FreeBSD; the structures are built as bytes here (the layouts of net/if.h and
// netinet/in_var.h on 64-bit FreeBSD) so that their tests run on any machine.

/// _IOW(group, number, len) and _IOWR of sys/ioccom.h.
const fn ioctl_number(inout: u32, group: u8, number: u8, len: usize) -> u64 {
    (inout | ((len as u32 & 0x1fff) << 16) | ((group as u32) << 8) | number as u32) as u64
}
const IOC_IN: u32 = 0x8000_0000;
const IOC_INOUT: u32 = 0xc000_0000;
/// sizeof(struct ifreq) and sizeof(struct in_aliasreq) on FreeBSD's 64-bit platforms.
pub const IFREQ_LEN: usize = 32;
pub const IN_ALIASREQ_LEN: usize = 68;
pub const SIOCGIFFLAGS: u64 = ioctl_number(IOC_INOUT, b'i', 17, IFREQ_LEN);
pub const SIOCSIFFLAGS: u64 = ioctl_number(IOC_IN, b'i', 16, IFREQ_LEN);
pub const SIOCAIFADDR: u64 = ioctl_number(IOC_IN, b'i', 43, IN_ALIASREQ_LEN);
/// IFF_UP of net/if.h.
pub const IFF_UP: u16 = 0x1;
/// The loopback interface of every vnet.
pub const LOOPBACK: &str = "lo0";

/// A struct ifreq naming `interface`, with ifr_flags set to `flags` (the low 16 bits;
/// ifr_flagshigh stays 0).
pub fn ifreq_flags(interface: &str, flags: u16) -> [u8; IFREQ_LEN] {
    let mut request = [0u8; IFREQ_LEN];
    request[..interface.len()].copy_from_slice(interface.as_bytes());
    request[16..18].copy_from_slice(&flags.to_ne_bytes());
    request
}

/// ifr_flags of a struct ifreq.
pub fn ifreq_flags_of(request: &[u8; IFREQ_LEN]) -> u16 {
    u16::from_ne_bytes([request[16], request[17]])
}

/// A struct sockaddr_in (BSD layout: sin_len, sin_family, port, address, zeros).
fn sockaddr_in(address: [u8; 4]) -> [u8; 16] {
    let mut sockaddr = [0u8; 16];
    sockaddr[0] = 16;
    sockaddr[1] = 2; // AF_INET
    sockaddr[4..8].copy_from_slice(&address);
    sockaddr
}

/// A struct in_aliasreq adding `address`/`prefix` to `interface` (for SIOCAIFADDR): the
/// name, then ifra_addr, ifra_broadaddr (none), ifra_mask, ifra_vhid (0).
pub fn in_aliasreq(interface: &str, address: [u8; 4], prefix: u32) -> [u8; IN_ALIASREQ_LEN] {
    let mut request = [0u8; IN_ALIASREQ_LEN];
    request[..interface.len()].copy_from_slice(interface.as_bytes());
    request[16..32].copy_from_slice(&sockaddr_in(address));
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix.min(32)) };
    request[48..64].copy_from_slice(&sockaddr_in(mask.to_be_bytes()));
    request
}

/// setusercontext(3) flags (login_cap.h).
pub const LOGIN_SETGROUP: i32 = 0x0001;
pub const LOGIN_SETLOGIN: i32 = 0x0002;
pub const LOGIN_SETALL: i32 = 0x07ff;

/// What of the login class `-u` applies, as jexec(8) -U: everything (priority, resources,
/// umask, PATH and environment, MAC label, CPU mask, login class, and the UID last) but the
/// groups, which jrun sets from the image's files, and setlogin(2), which would rename the
/// caller's session.
pub fn login_class_flags() -> i32 {
    LOGIN_SETALL & !LOGIN_SETGROUP & !LOGIN_SETLOGIN
}

/// The variables to set again after the login class changed the environment: the -e
/// settings, with the values the job resolved for them, in order.
pub fn explicit_environment(
    env: &[(OsString, OsString)],
    settings: &[EnvSetting],
) -> Vec<(OsString, OsString)> {
    let mut explicit: Vec<(OsString, OsString)> = Vec::new();
    for setting in settings {
        if let Some((name, value)) = env.iter().find(|(name, _)| *name == setting.name) {
            explicit.retain(|(n, _)| n != name);
            explicit.push((name.clone(), value.clone()));
        }
    }
    explicit
}

/// The login class of `name` in the text of a master.passwd (its fifth field), `None` when
/// the user is not there or has none (the class is then "default", or "root" for UID 0).
pub fn login_class(master_passwd: &str, name: &str) -> Option<String> {
    master_passwd
        .lines()
        .filter(|line| !line.starts_with(['#', '+', '-']))
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() >= 10 && fields[0] == name)
        .map(|fields| fields[4].to_string())
        .filter(|class| !class.is_empty())
}

/// Name/value pairs for jail_get(2), jail_set(2) and nmount(2) (freebsd.rs makes the calls):
/// each pair is two iovecs,
/// the name as a C string and the value (a C string, a native int, an output buffer, or
/// nothing for a boolean flag). An "errmsg" buffer is always added last.
#[derive(Default)]
pub struct JailParams {
    names: Vec<CString>,
    values: Vec<Option<Vec<u8>>>,
}

impl JailParams {
    /// The parameters `jail_plan` decided on.
    pub fn from_plan(params: &[Param]) -> JailParams {
        let mut this = JailParams::default();
        for Param { name, value } in params {
            match value {
                Value::Text(text) => this.text(name, text),
                Value::Int(n) => this.int(name, *n),
                Value::Bytes(bytes) => this.push(name, Some(bytes.clone())),
                Value::Flag => this.push(name, None),
                Value::IntOut => this.int(name, -1),
            }
        }
        this
    }

    pub fn push(&mut self, name: &str, value: Option<Vec<u8>>) {
        self.names.push(CString::new(name).expect("parameter names have no NUL"));
        self.values.push(value);
    }

    pub fn text(&mut self, name: &str, value: &OsStr) {
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        self.push(name, Some(bytes));
    }

    pub fn int(&mut self, name: &str, value: libc::c_int) {
        self.push(name, Some(value.to_ne_bytes().to_vec()));
    }

    /// A buffer jail_get(2) fills in.
    pub fn buffer(&mut self, name: &str, len: usize) {
        self.push(name, Some(vec![0; len]));
    }

    pub fn value(&self, name: &str) -> Option<&[u8]> {
        let at = self.names.iter().position(|n| n.as_bytes() == name.as_bytes())?;
        self.values[at].as_deref()
    }

    /// A filled-in buffer's contents, up to its first NUL.
    pub fn buffer_value(&self, name: &str) -> &[u8] {
        let bytes = self.value(name).unwrap_or_default();
        bytes.split(|&b| b == 0).next().unwrap_or_default()
    }

    /// A filled-in int.
    pub fn int_value(&self, name: &str) -> Option<libc::c_int> {
        Some(libc::c_int::from_ne_bytes(self.value(name)?.try_into().ok()?))
    }

    /// The iovecs, pointing into `self` (valid while it is not modified).
    pub fn iovecs(&mut self) -> Vec<libc::iovec> {
        let mut iov = Vec::with_capacity(self.names.len() * 2);
        for (name, value) in self.names.iter().zip(self.values.iter_mut()) {
            iov.push(libc::iovec {
                iov_base: name.as_ptr() as *mut libc::c_void,
                iov_len: name.as_bytes_with_nul().len(),
            });
            iov.push(match value {
                Some(bytes) => libc::iovec { iov_base: bytes.as_mut_ptr().cast(), iov_len: bytes.len() },
                None => libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 },
            });
        }
        iov
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The other setusercontext(3) flags of login_cap.h.
    const LOGIN_SETPATH: i32 = 0x0004;
    const LOGIN_SETRESOURCES: i32 = 0x0010;
    const LOGIN_SETUMASK: i32 = 0x0020;
    const LOGIN_SETUSER: i32 = 0x0040;
    const LOGIN_SETENV: i32 = 0x0080;

    const MODERN: Kernel = Kernel { descriptors: true, vnet: true };
    const OLD: Kernel = Kernel { descriptors: false, vnet: false };

    fn names(params: &[Param]) -> Vec<&'static str> {
        params.iter().map(|p| p.name).collect()
    }

    fn value<'a>(params: &'a [Param], name: &str) -> &'a Value {
        &params.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name}")).value
    }

    #[test]
    fn net_none_is_a_vnet_jail_with_its_own_sysv_ipc_and_a_descriptor() {
        let request =
            JailRequest { path: Path::new("/j/web"), name: "jrun-1-2", hostname: "web", net: Net::None };
        let params = jail_parameters(&request, MODERN);
        assert_eq!(
            names(&params),
            ["path", "name", "host.hostname", "vnet", "sysvshm", "sysvsem", "sysvmsg", "persist", "desc"]
        );
        assert_eq!(value(&params, "name"), &Value::Text("jrun-1-2".into()));
        let name = jail_name(4242, 0x1234_5678_9abc);
        assert_eq!(name, "jrun-4242-123456789abc");
        assert!(!name.contains('.') && name.parse::<i64>().is_err());
        assert_eq!(value(&params, "path"), &Value::Text("/j/web".into()));
        assert_eq!(value(&params, "vnet"), &Value::Int(JAIL_SYS_NEW));
        for ipc in ["sysvshm", "sysvsem", "sysvmsg"] {
            assert_eq!(value(&params, ipc), &Value::Int(JAIL_SYS_NEW), "{ipc}");
        }
        assert_eq!(value(&params, "desc"), &Value::IntOut);
        assert_eq!(creation_flags(MODERN), 0x81);
        assert_eq!(after_attach(7, MODERN), None);
    }

    #[test]
    fn without_vnet_net_none_is_loopback_addresses_and_without_descriptors_nopersist() {
        let request =
            JailRequest { path: Path::new("/j/web"), name: "jrun-1-2", hostname: "web", net: Net::None };
        let params = jail_parameters(&request, OLD);
        assert!(!names(&params).contains(&"vnet") && !names(&params).contains(&"desc"));
        assert_eq!(value(&params, "ip4"), &Value::Int(JAIL_SYS_NEW));
        assert_eq!(value(&params, "ip4.addr"), &Value::Bytes(vec![127, 0, 0, 1]));
        let Value::Bytes(v6) = value(&params, "ip6.addr") else { panic!("ip6.addr") };
        assert_eq!(
            std::net::Ipv6Addr::from(<[u8; 16]>::try_from(v6.as_slice()).unwrap()),
            std::net::Ipv6Addr::LOCALHOST
        );
        assert_eq!(value(&params, "persist"), &Value::Flag);
        assert_eq!(creation_flags(OLD), JAIL_CREATE);
        let (update, flags) = after_attach(7, OLD).unwrap();
        assert_eq!(update, [param("jid", Value::Int(7)), param("nopersist", Value::Flag)]);
        assert_eq!(flags, JAIL_UPDATE);
    }

    #[test]
    fn net_host_inherits_and_only_a_silent_einval_means_no_descriptors() {
        let request = JailRequest { path: Path::new("/j"), name: "jrun-1-2", hostname: "h", net: Net::Host };
        let params = jail_parameters(&request, MODERN);
        assert_eq!(value(&params, "ip4"), &Value::Int(JAIL_SYS_INHERIT));
        assert_eq!(value(&params, "ip6"), &Value::Int(JAIL_SYS_INHERIT));
        assert!(!names(&params).contains(&"vnet"));
        assert!(descriptors_refused(libc::EINVAL, ""));
        assert!(!descriptors_refused(libc::EINVAL, "path is not a directory"));
        assert!(!descriptors_refused(libc::EPERM, ""));
    }

    #[test]
    fn mounts_come_in_jail8_order_then_binds_and_ro_is_a_view() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let binds = [
            MountSpec { source: dir.path().to_path_buf(), target: "/out".into(), read_only: false },
            MountSpec { source: file.clone(), target: "/etc/resolv.conf".into(), read_only: true },
        ];
        let inputs = MountInputs { root: Path::new("/j/web"), read_only: true, mounts: &binds, suid: false };
        let requests = mount_requests(&inputs);
        let order: Vec<(&str, &Place)> = requests.iter().map(|r| (r.fstype, &r.place)).collect();
        assert_eq!(
            order,
            [
                ("nullfs", &Place::View),
                ("devfs", &Place::Jail("/dev".into())),
                ("fdescfs", &Place::Jail("/dev/fd".into())),
                ("procfs", &Place::Jail("/proc".into())),
                ("nullfs", &Place::Jail("/out".into())),
                ("nullfs", &Place::Jail("/etc/resolv.conf".into())),
            ]
        );
        // The view: DIR itself, read-only and nosuid; never DIR on DIR.
        assert_eq!(requests[0].options, [("target", OsString::from("/j/web"))]);
        assert_eq!(requests[0].flags, MNT_RDONLY | MNT_NOSUID);
        assert_eq!(requests[1].options, [("ruleset", OsString::from("4"))]);
        // /dev/fd is devfs's own; everything else is made in DIR first when missing.
        assert_eq!(requests[2].create, None);
        assert_eq!(requests[1].create, Some(Kind::Directory));
        assert_eq!(requests[4].create, Some(Kind::Directory));
        assert_eq!(requests[5].create, Some(Kind::File));
        assert_eq!(requests[4].flags, MNT_NOSUID);
        assert_eq!(requests[5].flags, MNT_RDONLY | MNT_NOSUID);
        let params = nmount_parameters(&requests[4]);
        assert_eq!(
            params,
            [
                param("fstype", Value::Text("nullfs".into())),
                param("fspath", Value::Text(".".into())),
                param("target", Value::Text(dir.path().as_os_str().to_owned())),
            ]
        );
        let suid = MountInputs { read_only: false, suid: true, ..inputs };
        let requests = mount_requests(&suid);
        assert_eq!(requests[0].fstype, "devfs");
        assert_eq!(requests[3].flags, 0);
        assert_eq!(requests[4].flags, MNT_RDONLY);
    }

    fn entry(fstype: &str, from: &str, on: &str) -> MountEntry {
        MountEntry { fstype: fstype.into(), from: from.into(), on: on.into() }
    }

    #[test]
    fn leftover_mounts_under_dir_or_its_view_are_found_deepest_first() {
        let table = [
            entry("ufs", "/dev/ada0p2", "/"),
            entry("devfs", "devfs", "/dev"),
            entry("zfs", "zroot/j/web/usr", "/j/web/usr"),
            entry("devfs", "devfs", "/j/web/dev"),
            entry("fdescfs", "fdescfs", "/j/web/dev/fd"),
            entry("nullfs", "/srv/out", "/j/web/out"),
            entry("devfs", "devfs", "/j/webapp/dev"),
            entry("nullfs", "/j/web", "/tmp/jrun-ro.abc"),
            entry("procfs", "procfs", "/tmp/jrun-ro.abc/proc"),
            entry("nullfs", "/j/web/usr/ports", "/j/other/usr/ports"),
        ];
        let stale: Vec<&Path> =
            stale_mounts(Path::new("/j/web"), &table).iter().map(|e| e.on.as_path()).collect();
        assert_eq!(
            stale,
            [
                Path::new("/j/web/dev/fd"),
                Path::new("/tmp/jrun-ro.abc/proc"),
                Path::new("/j/web/out"),
                Path::new("/j/web/dev"),
                Path::new("/tmp/jrun-ro.abc"),
            ]
        );
        assert!(stale_mounts(Path::new("/j/clean"), &table).is_empty());
        let found = stale_mounts(Path::new("/j/web"), &table);
        let message = stale_message(Path::new("/j/web"), &found);
        assert!(message.starts_with("/j/web: file systems are mounted"), "{message}");
        assert!(message.contains("/j/web/dev/fd (fdescfs), /tmp/jrun-ro.abc/proc (procfs)"), "{message}");
        assert!(!message.contains("/j/web/usr "), "{message}");
        assert_eq!(fsid_name([-1234, 5]), "FSID:-1234:5");
    }

    #[test]
    fn parameters_become_iovec_pairs() {
        let mut params = JailParams::from_plan(&[
            param("path", Value::Text("/j".into())),
            param("jid", Value::Int(7)),
            param("ip4.addr", Value::Bytes(vec![127, 0, 0, 1])),
            param("persist", Value::Flag),
            param("desc", Value::IntOut),
        ]);
        params.buffer("errmsg", 8);
        let iov = params.iovecs();
        assert_eq!(iov.len(), 12);
        // SAFETY (test): the iovecs point into `params`, alive and unchanged here.
        let bytes =
            |i: usize| unsafe { std::slice::from_raw_parts(iov[i].iov_base as *const u8, iov[i].iov_len) };
        assert_eq!(bytes(0), b"path\0");
        assert_eq!(bytes(1), b"/j\0");
        assert_eq!(bytes(2), b"jid\0");
        assert_eq!(bytes(3), 7i32.to_ne_bytes());
        assert_eq!(bytes(5), [127, 0, 0, 1]);
        assert_eq!(bytes(6), b"persist\0");
        assert!(iov[7].iov_base.is_null() && iov[7].iov_len == 0, "a flag has no value");
        assert_eq!(bytes(9), (-1i32).to_ne_bytes());
        assert_eq!(bytes(10), b"errmsg\0");
        assert_eq!(bytes(11), [0; 8]);
        // What the kernel writes back is read from the same buffers.
        unsafe { std::ptr::copy_nonoverlapping(b"no\0x".as_ptr(), iov[11].iov_base as *mut u8, 4) };
        unsafe { std::ptr::copy_nonoverlapping(5i32.to_ne_bytes().as_ptr(), iov[9].iov_base as *mut u8, 4) };
        assert_eq!(params.buffer_value("errmsg"), b"no");
        assert_eq!(params.int_value("desc"), Some(5));
        assert_eq!(params.int_value("path"), None);
    }

    #[test]
    fn ioctl_numbers_and_structures_match_freebsd_headers() {
        // The values of sys/sockio.h on amd64, as FreeBSD's ifconfig(8) uses them.
        assert_eq!(SIOCGIFFLAGS, 0xc020_6911);
        assert_eq!(SIOCSIFFLAGS, 0x8020_6910);
        assert_eq!(SIOCAIFADDR, 0x8044_692b);
        let request = ifreq_flags(LOOPBACK, 0x8049);
        assert_eq!(&request[..4], b"lo0\0");
        assert_eq!(ifreq_flags_of(&request), 0x8049);
        assert_eq!(ifreq_flags_of(&ifreq_flags(LOOPBACK, ifreq_flags_of(&request) | IFF_UP)), 0x8049);
        let alias = in_aliasreq(LOOPBACK, [127, 0, 0, 1], 8);
        assert_eq!(&alias[..4], b"lo0\0");
        assert_eq!(alias[16..24], [16, 2, 0, 0, 127, 0, 0, 1]);
        assert_eq!(alias[32..48], [0; 16], "no broadcast address");
        assert_eq!(alias[48..56], [16, 2, 0, 0, 255, 0, 0, 0]);
        assert_eq!(alias[64..], [0; 4], "vhid 0");
    }

    #[test]
    fn login_class_is_applied_as_jexec_does_and_explicit_settings_win() {
        let flags = login_class_flags();
        assert_eq!(flags & (LOGIN_SETGROUP | LOGIN_SETLOGIN), 0);
        for wanted in [LOGIN_SETPATH, LOGIN_SETRESOURCES, LOGIN_SETUMASK, LOGIN_SETUSER, LOGIN_SETENV] {
            assert_eq!(flags & wanted, wanted);
        }
        assert_eq!(flags, 0x07fc);
        let master = "# $FreeBSD$\nroot:*:0:0::0:0:Charlie &:/root:/bin/sh\nwww:*:80:80:daemon:0:0:World Wide Web Owner:/nonexistent:/usr/sbin/nologin\nshort:x:1:1::/:/bin/sh\n";
        assert_eq!(login_class(master, "www").as_deref(), Some("daemon"));
        assert_eq!(login_class(master, "root"), None);
        assert_eq!(login_class(master, "short"), None, "a passwd line is not a master.passwd line");
        assert_eq!(login_class(master, "nobody"), None);
        let env: Vec<(OsString, OsString)> =
            [("PATH", "/bin"), ("HOME", "/"), ("A", "1")].iter().map(|(k, v)| (k.into(), v.into())).collect();
        let settings = [
            EnvSetting { name: "A".into(), value: Some("1".into()) },
            EnvSetting { name: "UNSET".into(), value: None },
            EnvSetting { name: "PATH".into(), value: Some("/bin".into()) },
        ];
        assert_eq!(
            explicit_environment(&env, &settings),
            [(OsString::from("A"), OsString::from("1")), (OsString::from("PATH"), OsString::from("/bin"))]
        );
    }
}
