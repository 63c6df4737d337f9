//! What jsnap was asked to do, derived once from the command line (as ripgrep's hiargs from
//! its flags): plain data without clap, taken by the work modules (`snapshot`, `dir`, `zfs`).
//! Only this module and `main` know `args`.

use std::path::PathBuf;

use crate::args::{Cli, Command, RecvArgs, SendArgs};

/// One invocation.
#[derive(Debug)]
pub enum Plan {
    /// `create`: a snapshot (of the dataset and, recursive, of its descendants).
    Create { target: String, recursive: bool },
    /// `list`.
    List { target: String, json: bool },
    /// `destroy`: a snapshot (recursive: of that name on every descendant too).
    Destroy { snapshot: String, recursive: bool },
    /// `send` of a snapshot.
    SendZfs(ZfsSend),
    /// `send --dir`.
    SendDir(PathBuf, DirSend),
    /// `recv` into a dataset.
    RecvZfs(ZfsRecv),
    /// `recv --dir`.
    RecvDir(PathBuf, DirRecv),
}

/// `send` of a snapshot: the argument (DATASET@SNAP or PATH@SNAP), the `--from` argument
/// and what `zfs send` is asked for.
#[derive(Debug)]
pub struct ZfsSend {
    pub targets: Vec<String>,
    pub from: Option<String>,
    /// Write an OCI layer of the changes from `from` instead of a zfs send stream.
    pub layer: bool,
    pub flags: SendFlags,
    pub force: bool,
}

/// What `zfs send` should send.
#[derive(Debug, Default, Clone)]
pub struct SendFlags {
    /// Incremental source (`@SNAP` or `DATASET@SNAP`), once checked.
    pub from: Option<String>,
    /// `-I`: every intermediate snapshot between `from` and the snapshot.
    pub intermediate: bool,
    /// `-R`: the dataset, its descendants and their snapshots and properties.
    pub replicate: bool,
    /// `-p`: include properties.
    pub props: bool,
    /// `-w` (OpenZFS `--raw`): encrypted blocks as they are on disk.
    pub raw: bool,
    /// `-L`: blocks larger than 128 KiB kept as they are.
    pub large_block: bool,
    /// `-e`: embedded blocks kept as they are.
    pub embed: bool,
    /// `-c`: compressed blocks sent as stored.
    pub compressed: bool,
}

/// `recv` into a dataset.
#[derive(Debug)]
pub struct ZfsRecv {
    /// DATASET or DATASET@SNAP.
    pub target: String,
    pub flags: RecvFlags,
}

/// What `zfs receive` should do.
#[derive(Debug, Default, Clone)]
pub struct RecvFlags {
    /// `-F`: roll back the target to its latest snapshot first (and destroy what is in the way).
    pub force: bool,
    /// `-u`: do not mount the received file systems.
    pub no_mount: bool,
    /// `-o PROP=VALUE`: properties set on the received dataset.
    pub props: Vec<String>,
    /// `-x PROP`: properties not taken from the stream.
    pub exclude_props: Vec<String>,
}

/// `send --dir`: the members to archive and how (field names as `dir.rs` reads them).
#[derive(Debug)]
pub struct DirSend {
    pub targets: Vec<String>,
    /// Write the changes from this tree only (an OCI layer).
    pub base: Option<PathBuf>,
    pub exclude: Vec<String>,
    pub owner_names: bool,
    /// Stay on DIR's file system (GNU tar --one-file-system).
    pub one_file_system: bool,
    pub force: bool,
}

/// `recv --dir`: how to extract.
#[derive(Debug)]
pub struct DirRecv {
    pub devices: bool,
    pub no_owners: bool,
    /// Report on stdout as JSON instead of warning on stderr.
    pub json: bool,
    /// OCI layers to apply in order (`-` is stdin); empty: extract stdin as a plain tar.
    pub layers: Vec<PathBuf>,
}

impl Plan {
    /// The plan for a parsed command line.
    pub fn from_cli(cli: Cli) -> Plan {
        match cli.command {
            Command::Create { target, recursive } => Plan::Create { target, recursive },
            Command::List { target, json } => Plan::List { target, json },
            Command::Destroy { snapshot, recursive } => Plan::Destroy { snapshot, recursive },
            Command::Send(args) => send(args),
            Command::Recv(args) => recv(args),
        }
    }
}

fn send(args: SendArgs) -> Plan {
    if let Some(dir) = args.dir {
        let plan = DirSend {
            targets: args.targets,
            base: args.base,
            exclude: args.exclude,
            owner_names: args.owner_names,
            one_file_system: args.one_file_system,
            force: args.force,
        };
        return Plan::SendDir(dir, plan);
    }
    let flags = SendFlags {
        from: None,
        intermediate: args.intermediate,
        replicate: args.replicate,
        props: args.props,
        raw: args.raw,
        large_block: args.large_block,
        embed: args.embed,
        compressed: args.compressed,
    };
    Plan::SendZfs(ZfsSend {
        targets: args.targets,
        from: args.from,
        layer: args.layer,
        flags,
        force: args.force,
    })
}

fn recv(args: RecvArgs) -> Plan {
    if let Some(dir) = args.dir {
        return Plan::RecvDir(
            dir,
            DirRecv { devices: args.devices, no_owners: args.no_owners, json: args.json, layers: args.layer },
        );
    }
    let flags = RecvFlags {
        force: args.force,
        no_mount: args.no_mount,
        props: args.props,
        exclude_props: args.exclude_props,
    };
    Plan::RecvZfs(ZfsRecv { target: args.target.expect("clap: required without --dir"), flags })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(argv: &[&str]) -> Plan {
        Plan::from_cli(Cli::try_parse_from(argv).unwrap())
    }

    #[test]
    fn zfs_and_dir_sides_are_told_apart() {
        assert!(matches!(plan(&["jsnap", "send", "--dir", "/x"]), Plan::SendDir(..)));
        assert!(matches!(plan(&["jsnap", "recv", "--dir", "/x"]), Plan::RecvDir(..)));
        let Plan::RecvZfs(r) = plan(&["jsnap", "recv", "-u", "-x", "encryption", "t/a"]) else { panic!() };
        assert!(r.flags.no_mount && r.flags.exclude_props == ["encryption"]);
        let Plan::SendZfs(s) = plan(&["jsnap", "send", "-R", "-L", "-c", "t/a@s"]) else { panic!() };
        assert!(s.flags.replicate && s.flags.large_block && s.flags.compressed && !s.flags.embed);
        assert!(matches!(plan(&["jsnap", "create", "-r", "t/a"]), Plan::Create { recursive: true, .. }));
    }
}
