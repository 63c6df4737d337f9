//! The jsnap command line: the clap definition only. It imports nothing else of the tool;
//! `plan.rs` turns it into what the work modules take. `Cli` (clap's `CommandFactory`) is
//! what jcli's `--generate man` renders into man/jsnap.1.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  jsnap create zroot/jails/web                    prints zroot/jails/web@jsnap-20260101T120000Z
  jsnap create /usr/local/appjail/jails/web/jail@before-upgrade
  jsnap create -r zroot/pot/jails/web@1700000000  the pot and its m, atomically
  jsnap list zroot/jails/web --json
  jsnap send zroot/jails/web@b --from @a | ssh host jsnap recv tank/web
  jsnap send -R zroot/jails/web@b | jpack -c zstd > web.zfs.zst
  jpack -d < web.zfs.zst | jsnap recv -x encryption zroot/jails/web2
  jsnap send --dir /usr/local/appjail/jails/web ./jail ./init ./conf/volumes ./conf/config.conf | jpack -c xz > web.appjail
  jsnap send --dir /jails/web --exclude './tmp/*' > web.tar
  jsnap send --dir /jails/web --base /jails/web.old | jpack -c gzip > layer.tar.gz
  jsnap recv --dir /jails/web2 --layer base.tar.gz --layer layer.tar.gz
  jpack -d < web.appjail | jsnap recv --dir /usr/local/appjail/jails/web2";

/// Snapshot a jail's ZFS dataset or directory, and stream it out and back in.
///
/// ZFS: DATASET arguments are dataset names (zroot/jails/web); PATH arguments (starting with
/// '/' or '.') stand for the dataset mounted there (what is mounted, not what a mountpoint
/// property says: canmount=off containers and boot environments that show the same
/// mountpoint are not it). jsnap runs the `zfs` command from PATH (or $JSNAP_ZFS) with an
/// argument vector, never through a shell. zfs errors come back as one line naming the
/// dataset, exit 2.
///
/// Directories: `send --dir` writes a deterministic tar stream (sorted, numeric owners, mtimes,
/// no atime/ctime, PAX headers only where needed) that GNU tar and bsdtar read; `recv --dir`
/// extracts a tar stream and refuses every member that would land outside DIR. A DIR that
/// does not exist is built under a temporary name beside it and renamed into place only when
/// the whole stream extracted cleanly: a truncated or corrupt stream, a refused member or a
/// signal leaves no DIR behind. An existing DIR is extracted into in place, as tar does.
///
/// A new dataset is received unmounted (zfs receive -u) under a temporary name beside it
/// (PARENT/jsnap-recv-PID) and renamed into place, so a failed or interrupted receive leaves
/// no dataset behind. Then, unless -u, it and its descendants are mounted where their
/// mountpoint says (canmount=on only, parents first), except where a file system is mounted
/// already: a -p or -R stream carries the sender's mountpoint, and received on the same host
/// it would cover the live jail. A mount that is refused or fails is one error line (exit 2)
/// saying the dataset was received; the dataset is kept, never destroyed.
///
/// Fidelity: `send --dir` keeps sub-second mtimes, sparse files (written as PAX 1.0 sparse:
/// GNU tar and bsdtar restore the holes), xattrs and POSIX ACLs (SCHILY.xattr.*, SCHILY.acl.*,
/// which both tars restore) and file flags (SCHILY.fflags). `recv --dir` reads every tar
/// bsdtar reads (ustar, pax, GNU, star, v7; old and PAX sparse, long names, base-256
/// numbers, pax global headers) through libarchive and restores flags last, after content,
/// owner, mode, xattrs (security.capability after the chown that would clear it) and times.
/// On Linux only the flags with a Linux equivalent exist (immutable, append-only, nodump);
/// the others are reported (--json: kept_in_part), never dropped silently. Headers and pax
/// records of 1 MiB or more are refused before anything is allocated.
///
/// Where bsdtar and GNU tar disagree, jsnap follows bsdtar: an old-style directory with a
/// size is two members; sparse 1.0 archives with comment lines are accepted; a member with
/// an empty name is refused (no DIR is created); pax headers of 1 MiB or more are refused;
/// xattrs and ACLs are always restored (GNU tar needs --xattrs --acls); owners are numeric;
/// reading stops at the first end-of-archive marker. Compressed input goes through `jpack -d`.
///
/// OCI layers: `send --dir NEW --base OLD` writes only what changed from OLD to NEW, in the
/// same tar format, with OCI whiteouts: `.wh.NAME` for a deleted NAME (one for a deleted
/// directory), `.wh..wh..opq` for a directory whose old contents are all gone (then every
/// entry it holds follows), the headers of the directories on the way to each change, and
/// POSIX ACLs as `system.posix_acl_*` xattrs (what umoci, containerd and Docker read).
/// `recv --dir DIR --layer FILE...` applies layers in order as the image spec says (a
/// whiteout deletes only what lower layers made; an entry replaces whatever has its name, a
/// directory tree too; a directory entry's xattrs replace the lower ones; a directory a
/// layer changes without an entry keeps its mtime), with the refusals of a plain recv (names
/// with `..`, absolute names, anything reached through a symlink, whiteouts included). Two
/// ZFS snapshots are not compared with `zfs diff` (zfs-fuse has none): give their mounted
/// trees as NEW and OLD.
///
/// Platform notes: --raw, -L, -e, -c (zfs send) and -o, -x (zfs receive) need OpenZFS or
/// FreeBSD; zfs-fuse refuses them with one error line.
#[derive(Parser, Debug)]
#[command(name = "jsnap", version, after_long_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Take a snapshot of a dataset (default name jsnap-YYYYmmddTHHMMSSZ, UTC); prints DATASET@NAME
    Create {
        /// DATASET or PATH (a mounted file system), optionally followed by @NAME
        #[arg(value_name = "DATASET|PATH[@NAME]")]
        target: String,
        /// Also snapshot every descendant, atomically (one zfs snapshot -r: all or none)
        #[arg(short = 'r', long)]
        recursive: bool,
    },
    /// List the snapshots of a dataset, oldest first
    List {
        /// DATASET or PATH (a mountpoint)
        #[arg(value_name = "DATASET|PATH")]
        target: String,
        /// One JSON object per line: snapshot, dataset, name, creation (unix seconds), created
        /// (RFC 3339), createtxg, used and referenced (bytes)
        #[arg(long)]
        json: bool,
    },
    /// Write a snapshot as a zfs send stream, or a directory as a tar stream, to stdout
    Send(SendArgs),
    /// Read a zfs send stream into a dataset, or a tar stream into a directory, from stdin
    #[command(visible_alias = "receive")]
    Recv(RecvArgs),
    /// Destroy a snapshot (only snapshots: DATASET@SNAP)
    Destroy {
        /// DATASET@SNAP or PATH@SNAP
        #[arg(value_name = "DATASET@SNAP")]
        snapshot: String,
        /// Also destroy the snapshot of that name on every descendant (zfs destroy -r)
        #[arg(short = 'r', long)]
        recursive: bool,
    },
}

/// `jsnap send`.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// The snapshot (DATASET@SNAP or PATH@SNAP); with --dir, the members to archive, paths
    /// under DIR as with `tar -C DIR MEMBER...` (default: '.')
    #[arg(value_name = "SNAPSHOT|MEMBER")]
    pub targets: Vec<String>,

    /// Archive this directory as a tar stream instead of sending a snapshot
    #[arg(long, value_name = "DIR", help_heading = "Directories")]
    pub dir: Option<PathBuf>,

    /// With --dir: write only the changes from this earlier tree to DIR, as an OCI layer:
    /// new and changed entries (type, content, mode, owner, mtime, xattrs and ACLs, file
    /// flags, symlink target, hard links), `.wh.NAME` for each deleted NAME and
    /// `.wh..wh..opq` for a directory whose old contents are all gone; no MEMBER arguments
    #[arg(long, value_name = "OLD", requires = "dir", help_heading = "Directories")]
    pub base: Option<PathBuf>,

    /// With --dir: leave out paths matching this glob (repeatable; matched like GNU tar
    /// --exclude against the name and each trailing part of it)
    #[arg(long, value_name = "GLOB", requires = "dir", help_heading = "Directories")]
    pub exclude: Vec<String>,

    /// With --dir: also write user and group names (numeric ids are always written)
    #[arg(long, requires = "dir", help_heading = "Directories")]
    pub owner_names: bool,

    /// With --dir: stay on DIR's file system (mount points are archived, empty, as with GNU
    /// tar --one-file-system). Without it, only the contents of kernel file systems that a
    /// running jail mounts (devfs, procfs, fdescfs, nullfs; proc, sysfs, devpts…) are left out
    #[arg(long, requires = "dir", help_heading = "Directories")]
    pub one_file_system: bool,

    /// Send an incremental stream from this earlier snapshot (@SNAP or DATASET@SNAP): zfs send -i
    #[arg(long, value_name = "SNAP", conflicts_with = "dir", help_heading = "ZFS")]
    pub from: Option<String>,

    /// With --from: write the changes from that snapshot to SNAPSHOT as an OCI layer (a tar
    /// with whiteouts, as --dir NEW --base OLD writes for two trees) instead of a zfs send
    /// stream. The trees are read through MOUNTPOINT/.zfs/snapshot, or through temporary
    /// read-only clones where that does not exist (zfs-fuse); one dataset, no descendants
    #[arg(long, requires = "from", conflicts_with_all = ["dir", "intermediate", "replicate", "props", "raw", "large_block", "embed", "compressed"], help_heading = "ZFS")]
    pub layer: bool,

    /// With --from: include every intermediate snapshot (zfs send -I)
    #[arg(short = 'I', long, requires = "from", help_heading = "ZFS")]
    pub intermediate: bool,

    /// Replication stream: descendants, their snapshots and properties (zfs send -R)
    #[arg(short = 'R', long, conflicts_with = "dir", help_heading = "ZFS")]
    pub replicate: bool,

    /// Include the dataset's properties (zfs send -p)
    #[arg(short = 'p', long, conflicts_with = "dir", help_heading = "ZFS")]
    pub props: bool,

    /// Send encrypted blocks as stored (zfs send -w; OpenZFS and FreeBSD only, not zfs-fuse)
    #[arg(long, conflicts_with = "dir", help_heading = "ZFS")]
    pub raw: bool,

    /// Keep blocks larger than 128 KiB as they are (zfs send -L; OpenZFS and FreeBSD only)
    #[arg(short = 'L', long, conflicts_with = "dir", help_heading = "ZFS")]
    pub large_block: bool,

    /// Send embedded (tiny, inline) blocks as they are (zfs send -e; OpenZFS and FreeBSD only)
    #[arg(short = 'e', long, conflicts_with = "dir", help_heading = "ZFS")]
    pub embed: bool,

    /// Send compressed blocks as stored, not decompressed (zfs send -c; OpenZFS and FreeBSD only)
    #[arg(short = 'c', long, conflicts_with = "dir", help_heading = "ZFS")]
    pub compressed: bool,

    /// Write binary data even when stdout is a terminal
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// `jsnap recv`.
#[derive(Args, Debug)]
pub struct RecvArgs {
    /// The dataset to create or update (DATASET or DATASET@SNAP); not with --dir
    #[arg(value_name = "DATASET", required_unless_present = "dir", conflicts_with = "dir")]
    pub target: Option<String>,

    /// Extract a tar stream into this directory instead of receiving a zfs stream; a new
    /// directory appears only when the whole stream extracted cleanly
    #[arg(long, value_name = "DIR", help_heading = "Directories")]
    pub dir: Option<PathBuf>,

    /// With --dir: apply this OCI layer (a tar, compressed in any format jpack reads, or '-'
    /// for stdin, once) instead of extracting stdin; repeatable, applied in order: whiteouts
    /// delete, opaque markers clear a directory's lower contents, later layers override
    /// earlier ones. The whole stack or nothing: a new DIR appears only when every layer
    /// applied cleanly; an existing DIR is copied beside itself, the layers applied to the
    /// copy, and the copy swapped in (renameat2 RENAME_EXCHANGE on Linux) and the old tree
    /// removed — refused when a file system is mounted under DIR
    #[arg(
        long,
        value_name = "FILE",
        requires = "dir",
        conflicts_with = "target",
        help_heading = "Directories"
    )]
    pub layer: Vec<PathBuf>,

    /// With --dir: create device nodes (only as root; refused otherwise)
    #[arg(long, requires = "dir", help_heading = "Directories")]
    pub devices: bool,

    /// With --dir: do not restore owners even as root
    #[arg(long, requires = "dir", help_heading = "Directories")]
    pub no_owners: bool,

    /// With --dir: print a JSON record on stdout (members extracted, problems, and what was
    /// kept only in part — file flags or xattrs this system has no place for) instead of
    /// warning on stderr
    #[arg(long, requires = "dir", help_heading = "Directories")]
    pub json: bool,

    /// Roll back an existing target to its latest snapshot first (zfs receive -F)
    #[arg(short = 'F', conflicts_with = "dir", help_heading = "ZFS")]
    pub force: bool,

    /// Do not mount the received dataset and its descendants (zfs receive -u)
    #[arg(short = 'u', conflicts_with = "dir", help_heading = "ZFS")]
    pub no_mount: bool,

    /// Set a property on the received dataset (zfs receive -o; OpenZFS and FreeBSD only)
    #[arg(short = 'o', value_name = "PROP=VALUE", conflicts_with = "dir", help_heading = "ZFS")]
    pub props: Vec<String>,

    /// Do not take this property from the stream; inherit it instead (zfs receive -x, as
    /// pot's `-x encryption`; OpenZFS and FreeBSD only)
    #[arg(short = 'x', value_name = "PROP", conflicts_with = "dir", help_heading = "ZFS")]
    pub exclude_props: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn zfs_flags_conflict_with_dir() {
        assert!(Cli::try_parse_from(["jsnap", "send", "--dir", "/x", "--from", "@a"]).is_err());
        assert!(Cli::try_parse_from(["jsnap", "send", "-I", "t/a@b"]).is_err());
        assert!(Cli::try_parse_from(["jsnap", "recv"]).is_err());
        assert!(Cli::try_parse_from(["jsnap", "recv", "--dir", "/x", "-F"]).is_err());
        Cli::try_parse_from(["jsnap", "recv", "-F", "-u", "-o", "a=b", "t/a"]).unwrap();
        Cli::try_parse_from(["jsnap", "send", "--dir", "/x", "./jail", "./init"]).unwrap();
        Cli::try_parse_from(["jsnap", "recv", "-x", "encryption", "-x", "mountpoint", "t/a"]).unwrap();
        Cli::try_parse_from(["jsnap", "send", "-L", "-e", "-c", "-R", "t/a@s"]).unwrap();
        assert!(Cli::try_parse_from(["jsnap", "send", "--dir", "/x", "-c"]).is_err());
        Cli::try_parse_from(["jsnap", "create", "-r", "t/a@s"]).unwrap();
        Cli::try_parse_from(["jsnap", "send", "--dir", "/new", "--base", "/old"]).unwrap();
        Cli::try_parse_from(["jsnap", "recv", "--dir", "/x", "--layer", "a", "--layer", "-"]).unwrap();
        assert!(Cli::try_parse_from(["jsnap", "send", "--base", "/old", "t/a@s"]).is_err());
        assert!(Cli::try_parse_from(["jsnap", "recv", "--layer", "a", "t/a"]).is_err());
        Cli::try_parse_from(["jsnap", "destroy", "-r", "t/a@s"]).unwrap();
    }
}
