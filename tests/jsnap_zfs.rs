//! jsnap on real zfs-fuse pools on temporary files: `-m none` pools, and pools whose
//! datasets mount as on a host, with the child datasets of a pot (`m`) and a Bastille jail
//! (`root`) and their user properties, checked against `zfs send`/`zfs receive` themselves.
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::jsnap;
use common::zfs::{Pool, get, is_mounted, source, zfs_ok};

// ---------------------------------------------------------------------------------------
// ZFS

fn lines(run: &common::Run) -> Vec<String> {
    run.stdout_str().lines().map(String::from).collect()
}

#[test]
fn zfs_full_and_incremental_round_trips() {
    let Some(pool) = Pool::new() else { return };
    let (src, mnt) = pool.mounted("src");
    fs::write(mnt.join("one"), common::noise(300_000, 1)).unwrap();
    jsnap().args(["create", &format!("{src}@s1")]).run().success().stdout_is(format!("{src}@s1\n"));
    fs::write(mnt.join("two"), b"second").unwrap();
    jsnap().args(["create", &format!("{src}@s2")]).run().success();

    // The full stream is zfs send's own, byte for byte.
    let full = jsnap().args(["send", &format!("{src}@s1")]).run();
    full.success();
    let reference = Command::new("zfs").args(["send", &format!("{src}@s1")]).output().unwrap().stdout;
    assert_eq!(full.stdout, reference, "jsnap send must pass zfs send through unchanged");

    let dst = pool.ds("dst");
    jsnap().args(["recv", &dst]).stdin(full.stdout.clone()).run().success();
    let inc = jsnap().args(["send", &format!("{src}@s2"), "--from", "@s1"]).run();
    inc.success();
    jsnap().args(["recv", &dst]).stdin(inc.stdout.clone()).run().success();
    assert_eq!(lines(&jsnap().args(["list", &dst]).run()), [format!("{dst}@s1"), format!("{dst}@s2")]);

    // -I: every intermediate snapshot.
    fs::write(mnt.join("three"), b"3").unwrap();
    jsnap().args(["create", &format!("{src}@s3")]).run().success();
    fs::write(mnt.join("four"), b"4").unwrap();
    jsnap().args(["create", &format!("{src}@s4")]).run().success();
    let all = jsnap().args(["send", "-I", "--from", &format!("{src}@s2"), &format!("{src}@s4")]).run();
    all.success();
    jsnap().args(["recv", &dst]).stdin(all.stdout.clone()).run().success();
    let names: Vec<String> = (1..=4).map(|i| format!("{dst}@s{i}")).collect();
    assert_eq!(lines(&jsnap().args(["list", &dst]).run()), names);

    // The received data is the sent data.
    let dst_mnt = pool.dir().join("mnt-dst");
    zfs_ok("zfs", &["set", &format!("mountpoint={}", dst_mnt.display()), &dst]);
    assert_eq!(fs::read(dst_mnt.join("one")).unwrap(), common::noise(300_000, 1));
    assert_eq!(fs::read(dst_mnt.join("four")).unwrap(), b"4");
    assert!(!pool.all().iter().any(|n| n.contains("jsnap-recv")), "temporary dataset left");
}

/// -R -p: the descendants come along, through the temporary name and the rename.
#[test]
fn zfs_replication_stream_brings_descendants() {
    let Some(pool) = Pool::new() else { return };
    let src = pool.ds("src");
    zfs_ok("zfs", &["create", &src]);
    zfs_ok("zfs", &["create", &format!("{src}/child")]);
    zfs_ok("zfs", &["snapshot", "-r", &format!("{src}@s")]);
    let stream = jsnap().args(["send", "-R", "-p", &format!("{src}@s")]).run();
    stream.success();
    let rep = pool.ds("rep");
    jsnap().args(["recv", &rep]).stdin(stream.stdout.clone()).run().success();
    let all = pool.all();
    for name in [rep.clone(), format!("{rep}@s"), format!("{rep}/child"), format!("{rep}/child@s")] {
        assert!(all.contains(&name), "{name} missing: {all:?}");
    }
    assert!(!all.iter().any(|n| n.contains("jsnap-recv")), "temporary dataset left: {all:?}");
}

#[test]
fn zfs_mountpoint_paths_resolve_to_their_dataset() {
    let Some(pool) = Pool::new() else { return };
    let (src, mnt) = pool.mounted("jail");
    let path = mnt.display().to_string();
    jsnap().args(["create", &format!("{path}@before")]).run().success().stdout_is(format!("{src}@before\n"));
    // Default name: jsnap-YYYYmmddTHHMMSSZ.
    let run = jsnap().args(["create", &path]).run();
    run.success();
    let made = run.stdout_str().trim().to_string();
    let stamp = made.strip_prefix(&format!("{src}@jsnap-")).expect("default name");
    assert_eq!(stamp.len(), 16);
    assert!(stamp.as_bytes()[8] == b'T' && stamp.ends_with('Z'), "{made}");
    assert_eq!(lines(&jsnap().args(["list", &path]).run()), [format!("{src}@before"), made.clone()]);

    let json = jsnap().args(["list", &path, "--json"]).run();
    json.success();
    let first: serde_json::Value = serde_json::from_str(json.stdout_str().lines().next().unwrap()).unwrap();
    assert_eq!(first["snapshot"], format!("{src}@before"));
    assert_eq!(first["dataset"], src);
    assert_eq!(first["name"], "before");
    assert!(first["created"].as_str().unwrap().ends_with('Z'));

    let by_path = jsnap().args(["send", &format!("{path}@before")]).run();
    by_path.success();
    let by_name = jsnap().args(["send", &format!("{src}@before")]).run();
    assert_eq!(by_path.stdout, by_name.stdout);

    jsnap().args(["destroy", &format!("{path}@before")]).run().success();
    assert_eq!(lines(&jsnap().args(["list", &src]).run()), [made]);

    // A directory inside the dataset is not its mountpoint.
    fs::create_dir(mnt.join("sub")).unwrap();
    jsnap().args(["create", &mnt.join("sub").display().to_string()]).run().code(2).one_line_error("jsnap");
}

#[test]
fn zfs_missing_datasets_are_one_line_errors() {
    let Some(pool) = Pool::new() else { return };
    let missing = pool.ds("nope");
    for args in [
        vec!["send".to_string(), format!("{missing}@x")],
        vec!["list".to_string(), missing.clone()],
        vec!["create".to_string(), missing.clone()],
        vec!["destroy".to_string(), format!("{missing}@x")],
    ] {
        jsnap().args(&args).run().code(2).one_line_error("jsnap").stderr_contains(&missing);
    }
    // Receiving under a parent that does not exist.
    let orphan = pool.ds("no/child");
    jsnap().args(["recv", &orphan]).stdin(b"x".to_vec()).run().code(2).one_line_error("jsnap");
    // A snapshot that does not exist on an existing dataset.
    let (src, _) = pool.mounted("src");
    jsnap()
        .args(["send", &format!("{src}@never")])
        .run()
        .code(2)
        .one_line_error("jsnap")
        .stderr_contains(&src);
}

#[test]
fn zfs_garbage_and_truncated_streams_leave_no_dataset() {
    let Some(pool) = Pool::new() else { return };
    let (src, mnt) = pool.mounted("src");
    fs::write(mnt.join("data"), common::noise(500_000, 7)).unwrap();
    jsnap().args(["create", &format!("{src}@s")]).run().success();
    let stream = jsnap().args(["send", &format!("{src}@s")]).run().stdout;
    let before = pool.all();
    let target = pool.ds("target");
    for (what, input) in [
        ("garbage", common::noise(100_000, 3)),
        ("truncated", stream[..stream.len() / 2].to_vec()),
        ("empty", Vec::new()),
    ] {
        let run = jsnap().args(["recv", &target]).stdin(input).run();
        run.code(2).one_line_error("jsnap").stderr_contains(&target);
        assert_eq!(pool.all(), before, "{what} stream left a dataset behind");
    }
    // An incremental stream into a dataset that lacks its origin: refused, nothing changes.
    fs::write(mnt.join("more"), b"x").unwrap();
    jsnap().args(["create", &format!("{src}@t")]).run().success();
    let inc = jsnap().args(["send", &format!("{src}@t"), "--from", "@s"]).run().stdout;
    let before = pool.all();
    jsnap().args(["recv", &target]).stdin(inc).run().code(2).one_line_error("jsnap");
    assert_eq!(pool.all(), before);
}

/// jsnap killed in the middle of receiving a new dataset: once the stream is closed, no
/// dataset is left (neither the target nor the temporary one).
#[test]
fn zfs_interrupted_receive_leaves_no_dataset() {
    let Some(pool) = Pool::new() else { return };
    let (src, mnt) = pool.mounted("src");
    fs::write(mnt.join("data"), common::noise(4 << 20, 11)).unwrap();
    jsnap().args(["create", &format!("{src}@s")]).run().success();
    let stream = jsnap().args(["send", &format!("{src}@s")]).run().stdout;
    let before = pool.all();
    let mut cmd = Command::new(bin!(jsnap));
    cmd.args(["recv", &pool.ds("target")]);
    // zfs-fuse gives no sign that the receive began: give it half a second before the signal.
    let started = std::time::Instant::now();
    let status = common::kill_mid_stream(&mut cmd, &stream[..stream.len() / 2], || {
        started.elapsed() > std::time::Duration::from_millis(500)
    });
    assert!(!status.success());
    let mut left = pool.all();
    for _ in 0..50 {
        if left == before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        left = pool.all();
    }
    assert_eq!(left, before, "an interrupted receive left a dataset");
}

/// `--raw`, `-L`, `-e`, `-c` and `recv -o`, `-x` exist only on OpenZFS/FreeBSD. Where zfs
/// refuses them (zfs-fuse), the refusal comes back as one line naming the dataset and nothing
/// is created; where it takes them, the stream received is the snapshot. (The argv built for
/// OpenZFS is unit-tested in tools/jsnap/zfs.rs.)
#[test]
fn zfs_flags_zfs_fuse_lacks_fail_cleanly() {
    let Some(pool) = Pool::new() else { return };
    let (src, mnt) = pool.mounted("src");
    fs::write(mnt.join("f"), b"data").unwrap();
    jsnap().args(["create", &format!("{src}@s")]).run().success();
    let stream = jsnap().args(["send", &format!("{src}@s")]).run().stdout;
    for (i, flag) in ["--raw", "-L", "-e", "-c"].into_iter().enumerate() {
        let before = pool.all();
        let run = jsnap().args(["send", flag, &format!("{src}@s")]).run();
        if run.code == Some(0) {
            let back = pool.ds(&format!("sent{i}"));
            jsnap().args(["recv", &back]).stdin(run.stdout.clone()).run().success();
            assert_eq!(fs::read(pool.mount(&back).join("f")).unwrap(), b"data", "send {flag}");
        } else {
            run.code(2).one_line_error("jsnap").stderr_contains(&src);
            assert_eq!(pool.all(), before, "send {flag}");
        }
    }
    for (i, args) in [["-o", "atime=off"], ["-x", "atime"]].into_iter().enumerate() {
        let before = pool.all();
        let target = pool.ds(&format!("t{i}"));
        let run = jsnap().arg("recv").args(args).arg(&target).stdin(stream.clone()).run();
        if run.code == Some(0) {
            assert!(pool.all().contains(&target), "recv {args:?}");
            if args[0] == "-o" {
                assert_eq!(get("atime", &target), "off");
            }
        } else {
            run.code(2).one_line_error("jsnap").stderr_contains(&target);
            assert_eq!(pool.all(), before, "recv {args:?} left a dataset");
        }
    }
}

/// Names are validated before zfs runs: nothing that looks like an option or shell syntax
/// reaches it (JSNAP_ZFS points at a program that would fail the test if it ran).
#[test]
fn invalid_names_are_refused_before_zfs_runs() {
    let dir = common::tempdir();
    let canary = dir.path().join("ran");
    let fake = dir.path().join("zfs");
    fs::write(&fake, format!("#!/bin/sh\ntouch {}\nexit 0\n", canary.display())).unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    for args in [
        vec!["send", "tank/a;rm -rf /@x"],
        vec!["send", "--", "-R@x"],
        vec!["send", "tank/a@s", "--from", "@s;x"],
        vec!["create", "tank/a@b c"],
        vec!["create", "tank/../a"],
        vec!["recv", "tank/a b"],
        vec!["destroy", "tank/a"],
        vec!["list", "tank/a$(id)"],
    ] {
        jsnap().args(&args).env("JSNAP_ZFS", &fake).run().code(2).one_line_error("jsnap");
    }
    assert!(!canary.exists(), "zfs ran on an invalid name");
}

// ---------------------------------------------------------------------------------------
// Pools whose datasets mount

/// Every dataset and snapshot under `ds`.
fn tree(ds: &str) -> Vec<String> {
    let out = zfs_ok("zfs", &["list", "-H", "-r", "-t", "all", "-o", "name", ds]);
    out.lines().map(String::from).collect()
}

fn no_temporaries(pool: &Pool) {
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("jsnap-recv")), "temporary dataset left: {all:?}");
}

/// Regression: on a pool whose datasets mount (every real pool), receiving a new dataset
/// failed with "cannot rename …jsnap-recv-PID: dataset is busy". Now it is received
/// unmounted, renamed, then mounted where it inherits its mountpoint; -u leaves it unmounted;
/// -F into a new dataset works the same way.
#[test]
fn zfs_recv_new_dataset_on_a_pool_whose_datasets_mount_is_not_busy() {
    let Some(pool) = Pool::mounting() else { return };
    let src = pool.ds("src");
    zfs_ok("zfs", &["create", &src]);
    let src_mnt = pool.root().join("src");
    assert!(is_mounted(&src));
    fs::write(src_mnt.join("data"), common::noise(200_000, 4)).unwrap();
    jsnap().args(["create", &format!("{src}@s")]).run().success();
    let stream = jsnap().args(["send", &format!("{src}@s")]).run();
    stream.success();

    let dst = pool.ds("dst");
    jsnap().args(["recv", &dst]).stdin(stream.stdout.clone()).run().success().stderr_is_empty();
    assert!(is_mounted(&dst), "received dataset not mounted");
    assert_eq!(get("mountpoint", &dst), pool.root().join("dst").display().to_string());
    assert_eq!(fs::read(pool.root().join("dst/data")).unwrap(), common::noise(200_000, 4));

    let unmounted = pool.ds("unmounted");
    jsnap().args(["recv", "-u", &unmounted]).stdin(stream.stdout.clone()).run().success();
    assert!(!is_mounted(&unmounted), "-u mounted the dataset");
    assert!(tree(&unmounted).contains(&format!("{unmounted}@s")));

    let forced = pool.ds("forced");
    jsnap().args(["recv", "-F", &format!("{forced}@renamed")]).stdin(stream.stdout.clone()).run().success();
    assert!(is_mounted(&forced));
    assert_eq!(tree(&forced), [forced.clone(), format!("{forced}@renamed")]);

    // An incremental receive into the mounted dataset: reading it above may have changed it
    // (atime), which zfs receive refuses without -F.
    fs::write(src_mnt.join("more"), b"more").unwrap();
    jsnap().args(["create", &format!("{src}@t")]).run().success();
    let inc = jsnap().args(["send", "--from", "@s", &format!("{src}@t")]).run();
    jsnap().args(["recv", "-F", &dst]).stdin(inc.stdout.clone()).run().success();
    assert_eq!(fs::read(pool.root().join("dst/more")).unwrap(), b"more");
    no_temporaries(&pool);
}

/// `create -r` is one `zfs snapshot -r`: all descendants or none (a child that already has
/// the name fails it, and no other snapshot appears); `destroy -r` removes the snapshot of
/// that name from every descendant.
#[test]
fn zfs_create_r_is_atomic_and_destroy_r_reaches_every_descendant() {
    let Some(pool) = Pool::mounting() else { return };
    let (a, b, c) = (pool.ds("a"), pool.ds("a/b"), pool.ds("a/b/c"));
    for ds in [&a, &b, &c] {
        zfs_ok("zfs", &["create", ds]);
    }
    zfs_ok("zfs", &["snapshot", &format!("{b}@taken")]);
    let before = pool.all();
    jsnap().args(["create", "-r", &format!("{a}@taken")]).run().code(2).one_line_error("jsnap");
    assert_eq!(pool.all(), before, "a failed create -r left snapshots");

    // By path (the mounted dataset), recursive.
    let path = pool.root().join("a").display().to_string();
    jsnap().args(["create", "-r", &format!("{path}@all")]).run().success().stdout_is(format!("{a}@all\n"));
    for ds in [&a, &b, &c] {
        assert!(pool.all().contains(&format!("{ds}@all")), "{ds}@all missing");
    }
    // Without -r: only the dataset.
    jsnap().args(["create", &format!("{a}@one")]).run().success();
    assert!(!pool.all().contains(&format!("{b}@one")));

    jsnap().args(["destroy", "-r", &format!("{a}@all")]).run().success();
    assert!(!pool.all().iter().any(|n| n.ends_with("@all")), "{:?}", pool.all());
    // destroy -r still destroys only snapshots.
    jsnap().args(["destroy", "-r", &a]).run().code(2).one_line_error("jsnap");
    assert!(pool.all().contains(&c));
}

/// A pot as `pot create` makes it (POT_ZFS_ROOT/jails/NAME with child `m`, conf/ in the
/// parent) and exports it (`zfs snapshot -r` named by epoch seconds, `zfs send -R`, then the
/// user properties `:pot.tag` and `:pot.snap` set): the replication stream received as pot's
/// import names it (dots as `_`) brings both datasets, their snapshots and properties, mounts
/// them where pot looks for them (`m` inheriting its mountpoint, as import's `zfs inherit`
/// makes it), and pot's next export of the imported pot (exactly one snapshot, `:pot.tag`
/// read back, `zfs send -R`) works.
#[test]
fn zfs_pot_layout_round_trips_with_its_child_and_user_properties() {
    let Some(pool) = Pool::mounting() else { return };
    let jails = pool.ds("pot/jails");
    zfs_ok("zfs", &["create", &pool.ds("pot")]);
    zfs_ok("zfs", &["create", &jails]);
    let web = format!("{jails}/web");
    zfs_ok("zfs", &["create", &web]);
    zfs_ok("zfs", &["create", &format!("{web}/m")]);
    let web_dir = pool.root().join("pot/jails/web");
    fs::create_dir_all(web_dir.join("conf")).unwrap();
    fs::write(web_dir.join("conf/pot.conf"), "pot.level=0\npot.type=single\nhost.hostname=\"web\"\n")
        .unwrap();
    fs::create_dir_all(web_dir.join("m/etc")).unwrap();
    fs::write(web_dir.join("m/etc/rc.conf"), "sshd_enable=\"YES\"\n").unwrap();
    fs::write(web_dir.join("m/blob"), common::noise(300_000, 8)).unwrap();
    let snap = "1700000000";
    jsnap().args(["create", "-r", &format!("{web}@{snap}")]).run().success();
    zfs_ok("zfs", &["set", ":pot.tag=1.0", &web]);
    zfs_ok("zfs", &["set", &format!(":pot.snap={snap}"), &web]);
    // A later export carries the properties set by the first one.
    let stream = jsnap().args(["send", "-R", &format!("{web}@{snap}")]).run();
    stream.success();

    let local = format!("{jails}/web_1_0");
    jsnap().args(["recv", &local]).stdin(stream.stdout.clone()).run().success().stderr_is_empty();
    assert_eq!(
        tree(&local),
        [local.clone(), format!("{local}@{snap}"), format!("{local}/m"), format!("{local}/m@{snap}")]
    );
    assert_eq!(get(":pot.tag", &local), "1.0");
    assert_eq!(get(":pot.snap", &local), snap);
    let local_dir = pool.root().join("pot/jails/web_1_0");
    assert!(is_mounted(&local) && is_mounted(&format!("{local}/m")), "pot datasets not mounted");
    assert!(source("mountpoint", &format!("{local}/m")).starts_with("inherited"));
    assert_eq!(get("mountpoint", &format!("{local}/m")), local_dir.join("m").display().to_string());
    assert_eq!(
        fs::read(local_dir.join("conf/pot.conf")).unwrap(),
        fs::read(web_dir.join("conf/pot.conf")).unwrap()
    );
    assert_eq!(fs::read(local_dir.join("m/blob")).unwrap(), common::noise(300_000, 8));
    no_temporaries(&pool);

    // pot export of the imported pot: `zfs list -d 1 -t snapshot` finds exactly one.
    let snaps = zfs_ok("zfs", &["list", "-H", "-d", "1", "-t", "snapshot", "-o", "name", &local]);
    assert_eq!(snaps.trim(), format!("{local}@{snap}"));
    let again = jsnap().args(["send", "-R", &format!("{local}@{snap}")]).run();
    again.success();
    let third = format!("{jails}/web3");
    // pot's own import: zfs receive.
    common::sh(&format!("zfs receive {third}")).stdin(again.stdout.clone()).run().success();
    assert_eq!(get(":pot.tag", &third), "1.0");
    assert_eq!(tree(&third).len(), 4);
}

/// A Bastille jail on ZFS (jails/NAME with child `root`) exported as `bastille export`
/// does it (`zfs snapshot -r …@bastille_NAME_DATE`, `zfs send -R`, the temporary snapshots
/// destroyed) and imported: both datasets with their user properties, `root` mounted where
/// Bastille's import expects it (JAILSDIR/NAME/root, which it would otherwise `zfs set`),
/// both mounted (`zfs mount` lists them), and the next export of the imported jail works.
#[test]
fn zfs_bastille_layout_round_trips_with_its_child_and_user_properties() {
    let Some(pool) = Pool::mounting() else { return };
    let jails = pool.ds("bastille/jails");
    zfs_ok("zfs", &["create", &pool.ds("bastille")]);
    zfs_ok("zfs", &["create", &jails]);
    let web = format!("{jails}/web");
    zfs_ok("zfs", &["create", "-o", "atime=off", &web]);
    zfs_ok("zfs", &["create", &format!("{web}/root")]);
    zfs_ok("zfs", &["set", "org.example:owner=ops", &web]);
    zfs_ok("zfs", &["set", "org.example:role=www", &format!("{web}/root")]);
    let jails_dir = pool.root().join("bastille/jails");
    fs::write(jails_dir.join("web/jail.conf"), "web {\n  path = /usr/local/bastille/jails/web/root;\n}\n")
        .unwrap();
    fs::write(jails_dir.join("web/fstab"), "").unwrap();
    fs::create_dir_all(jails_dir.join("web/root/etc")).unwrap();
    fs::write(jails_dir.join("web/root/etc/motd"), "bastille\n").unwrap();

    let date = "2025-06-16-204338";
    let snap = format!("{web}@bastille_web_{date}");
    jsnap().args(["create", "-r", &snap]).run().success();
    let stream = jsnap().args(["send", "-R", &snap]).run();
    stream.success();
    jsnap().args(["destroy", "-r", &snap]).run().success();
    assert!(!pool.all().iter().any(|n| n.contains("@bastille_")), "temporary snapshots left");

    let imported = format!("{jails}/web2");
    jsnap().args(["recv", &imported]).stdin(stream.stdout.clone()).run().success().stderr_is_empty();
    let root = format!("{imported}/root");
    assert_eq!(get("org.example:owner", &imported), "ops");
    assert_eq!(get("org.example:role", &root), "www");
    assert_eq!(get("atime", &imported), "off");
    assert_eq!(get("mountpoint", &root), jails_dir.join("web2/root").display().to_string());
    let mounts = zfs_ok("zfs", &["mount"]);
    for ds in [&imported, &root] {
        assert!(mounts.lines().any(|l| l.split_whitespace().next() == Some(ds.as_str())), "{ds}: {mounts}");
    }
    assert_eq!(fs::read(jails_dir.join("web2/root/etc/motd")).unwrap(), b"bastille\n");
    assert!(jails_dir.join("web2/jail.conf").exists());
    no_temporaries(&pool);

    // The next export of the imported jail.
    let next = format!("{imported}@bastille_web2_2025-06-17-101010");
    jsnap().args(["create", "-r", &next]).run().success();
    let stream = jsnap().args(["send", "-R", &next]).run();
    stream.success();
    let third = format!("{jails}/web3");
    jsnap().args(["recv", "-u", &third]).stdin(stream.stdout.clone()).run().success();
    assert!(tree(&third).contains(&format!("{third}/root@bastille_web2_2025-06-17-101010")));
    assert!(!is_mounted(&third) && !is_mounted(&format!("{third}/root")), "-u mounted");
}

/// A `-p`/`-R` stream of a jail whose mountpoint is set locally carries that mountpoint:
/// received on the same host it would mount over the live jail. jsnap leaves it unmounted
/// and says so; the received dataset is kept (a mount that fails never costs the stream),
/// and the live jail's files are what they were. With -u nothing is mounted and all is well.
#[test]
fn zfs_recv_does_not_mount_over_a_live_jail_and_keeps_what_it_received() {
    let Some(pool) = Pool::mounting() else { return };
    let live = pool.dir().join("jails/web");
    let web = pool.ds("web");
    zfs_ok("zfs", &["create", "-o", &format!("mountpoint={}", live.display()), &web]);
    fs::write(live.join("who"), b"the live jail").unwrap();
    jsnap().args(["create", &format!("{web}@s")]).run().success();
    for flag in ["-R", "-p"] {
        let stream = jsnap().args(["send", flag, &format!("{web}@s")]).run();
        stream.success();
        let copy = pool.ds(&format!("copy{}", flag.trim_start_matches('-')));
        let run = jsnap().args(["recv", &copy]).stdin(stream.stdout.clone()).run();
        run.code(2).one_line_error("jsnap").stderr_contains(&copy).stderr_contains("in use");
        assert!(run.stderr.contains("received"), "{}", run.stderr);
        assert_eq!(tree(&copy), [copy.clone(), format!("{copy}@s")], "the received dataset was not kept");
        assert!(!is_mounted(&copy));
        assert_eq!(get("mountpoint", &copy), live.display().to_string());
        assert_eq!(fs::read(live.join("who")).unwrap(), b"the live jail");
        assert!(is_mounted(&web));
        // Given its own mountpoint, it mounts with the sender's data.
        let own = pool.dir().join(format!("own{flag}"));
        zfs_ok("zfs", &["set", &format!("mountpoint={}", own.display()), &copy]);
        if !is_mounted(&copy) {
            zfs_ok("zfs", &["mount", &copy]);
        }
        assert_eq!(fs::read(own.join("who")).unwrap(), b"the live jail");
    }
    let stream = jsnap().args(["send", "-R", &format!("{web}@s")]).run();
    let quiet = pool.ds("quiet");
    jsnap().args(["recv", "-u", &quiet]).stdin(stream.stdout.clone()).run().success();
    assert!(!is_mounted(&quiet));
    no_temporaries(&pool);
}

/// A mount that fails after the receive (here the mountpoint is a regular file) is one line
/// saying the dataset was received, and the dataset with its snapshot is kept.
#[test]
fn zfs_recv_keeps_the_dataset_when_only_the_mount_fails() {
    let Some(pool) = Pool::mounting() else { return };
    let src = pool.ds("src");
    zfs_ok("zfs", &["create", &src]);
    fs::write(pool.root().join("src/f"), b"kept").unwrap();
    jsnap().args(["create", &format!("{src}@s")]).run().success();
    let stream = jsnap().args(["send", &format!("{src}@s")]).run();
    fs::write(pool.root().join("blocked"), b"a file where the mountpoint would be").unwrap();
    let blocked = pool.ds("blocked");
    let run = jsnap().args(["recv", &blocked]).stdin(stream.stdout.clone()).run();
    run.code(2).one_line_error("jsnap").stderr_contains(&blocked).stderr_contains("received");
    assert_eq!(tree(&blocked), [blocked.clone(), format!("{blocked}@s")]);
    assert!(!is_mounted(&blocked));
    assert_eq!(fs::read(pool.mount(&blocked).join("f")).unwrap(), b"kept");
    no_temporaries(&pool);
}

/// A PATH stands for the dataset mounted there, not for whichever dataset's `mountpoint`
/// property names it: a `canmount=off` container and an unmounted sibling with the same
/// mountpoint (FreeBSD's zroot/ROOT and boot environments) are not it.
#[test]
fn zfs_path_maps_to_the_mounted_dataset_not_the_mountpoint_property() {
    let Some(pool) = Pool::mounting() else { return };
    let place = pool.dir().join("jail");
    let at = format!("mountpoint={}", place.display());
    zfs_ok("zfs", &["create", "-o", "canmount=off", "-o", &at, &pool.ds("a-container")]);
    zfs_ok("zfs", &["create", "-o", &at, &pool.ds("b-live")]);
    zfs_ok("zfs", &["create", "-o", "canmount=noauto", "-o", &at, &pool.ds("c-other")]);
    assert!(is_mounted(&pool.ds("b-live")) && !is_mounted(&pool.ds("c-other")));
    let path = place.display().to_string();
    jsnap()
        .args(["create", &format!("{path}@x")])
        .run()
        .success()
        .stdout_is(format!("{}@x\n", pool.ds("b-live")));
    assert_eq!(lines(&jsnap().args(["list", &path]).run()), [format!("{}@x", pool.ds("b-live"))]);
    // Nothing mounted there: an error, not the first property match.
    zfs_ok("zfs", &["unmount", &pool.ds("b-live")]);
    jsnap().args(["create", &format!("{path}@y")]).run().code(2).one_line_error("jsnap");
    assert!(!pool.all().iter().any(|n| n.ends_with("@y")));
}

/// Under a parent left unmounted (its received mountpoint is in use: here by a tmpfs, as a
/// live jail's nullfs or devfs would be), the children that inherit a mountpoint below it
/// stay unmounted too rather than land inside whatever is mounted there.
#[test]
fn zfs_recv_leaves_children_of_a_refused_parent_unmounted() {
    if !common::require_root("mounting a tmpfs") {
        return;
    }
    let Some(pool) = Pool::mounting() else { return };
    let busy = pool.dir().join("busy");
    let snd = pool.ds("snd");
    zfs_ok("zfs", &["create", "-o", &format!("mountpoint={}", busy.display()), &snd]);
    zfs_ok("zfs", &["create", &format!("{snd}/root")]);
    fs::write(busy.join("root/motd"), b"sent").unwrap();
    jsnap().args(["create", "-r", &format!("{snd}@s")]).run().success();
    let stream = jsnap().args(["send", "-R", &format!("{snd}@s")]).run();
    stream.success();
    zfs_ok("zfs", &["set", &format!("mountpoint={}", pool.dir().join("moved").display()), &snd]);
    let _ = fs::create_dir_all(&busy);
    let mounted = Command::new("mount").args(["-t", "tmpfs", "tmpfs"]).arg(&busy).status().unwrap();
    assert!(mounted.success(), "mount -t tmpfs");
    let _unmount = Unmount(busy.clone());

    let copy = pool.ds("copy");
    let run = jsnap().args(["recv", &copy]).stdin(stream.stdout.clone()).run();
    run.code(2).one_line_error("jsnap").stderr_contains("in use").stderr_contains("(and 1 more)");
    assert!(!is_mounted(&copy) && !is_mounted(&format!("{copy}/root")));
    assert!(fs::read_dir(&busy).unwrap().next().is_none(), "something landed in the tmpfs");
    assert!(tree(&copy).contains(&format!("{copy}/root@s")), "the received datasets were not kept");
}

/// Unmounts a test mount when dropped (also when the test panics).
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The flags zfs-fuse lacks reach `zfs` as OpenZFS and FreeBSD spell them, through the whole
/// receive of a new dataset (unmounted under the temporary name, renamed, then mounted): a
/// stand-in `zfs` (JSNAP_ZFS) records every argv.
#[test]
fn openzfs_flags_reach_zfs_in_order() {
    let dir = common::tempdir();
    let log = dir.path().join("argv");
    let fake = dir.path().join("zfs");
    let script = format!(
        r#"#!/bin/sh
echo "$*" >> {log}
for last; do :; done
case $1 in
list)
  case " $* " in
  *" -r "*) printf '%s\ton\tnone\tno\n' "$last" ;;
  *) [ "$last" = tank/jails ] || exit 1 ;;
  esac ;;
receive) cat > /dev/null ;;
send) echo stream ;;
esac
exit 0
"#,
        log = log.display()
    );
    fs::write(&fake, script).unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    jsnap()
        .args(["recv", "-o", "atime=off", "-x", "encryption", "-x", "mountpoint", "tank/jails/web"])
        .env("JSNAP_ZFS", &fake)
        .stdin(b"stream".to_vec())
        .run()
        .success();
    jsnap()
        .args(["send", "-R", "-L", "-e", "-c", "tank/jails/web@s"])
        .env("JSNAP_ZFS", &fake)
        .run()
        .success();
    let argv = fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = argv.lines().filter(|l| !l.starts_with("list ")).collect();
    let temp = calls[0].rsplit(' ').next().unwrap().to_string();
    assert!(temp.starts_with("tank/jails/jsnap-recv-"), "{argv}");
    assert_eq!(
        calls,
        [
            format!("receive -u -o atime=off -x encryption -x mountpoint {temp}").as_str(),
            &format!("rename {temp} tank/jails/web"),
            "send -R -L -e -c tank/jails/web@s",
        ],
        "{argv}"
    );
    // With nothing mountable (mountpoint none), nothing is mounted.
    assert!(!argv.lines().any(|l| l.starts_with("mount")), "{argv}");
}

/// `send --layer --from @a DS@b`: the changes between two snapshots as an OCI layer. It is
/// the layer `send --dir NEW --base OLD` writes for the same two trees, byte for byte; umoci
/// applies it onto the base to the tree of @b; and the read-only clones zfs-fuse needs (it
/// has no .zfs directory) are gone afterwards.
#[test]
fn zfs_layer_between_two_snapshots_is_the_directory_layer_and_umoci_applies_it() {
    if !common::have("umoci") {
        return;
    }
    let Some(pool) = Pool::mounting() else { return };
    let ds = pool.ds("web");
    zfs_ok("zfs", &["create", &ds]);
    let mnt = pool.root().join("web");
    let work = common::tempdir();
    let w = work.path();
    let sh = |dir: &std::path::Path, text: &str| {
        common::sh(&format!("set -eu\n{text}")).dir(dir).run().success();
    };
    sh(
        &mnt,
        "mkdir -p etc d/sub gone; echo a > etc/a; echo b > d/b; echo c > d/sub/c; echo g > gone/g\n\
         echo same > same; ln -s etc/a link; echo h > h1; ln h1 h2; chmod 640 etc/a\n\
         touch -d @1500000000.25 same",
    );
    jsnap().args(["create", &format!("{ds}@a")]).run().success();
    sh(w, &format!("cp -a {} old", mnt.display()));
    sh(
        &mnt,
        "rm -rf gone; rm d/b d/sub/c; rmdir d/sub; echo n > d/n; echo more >> h1\n\
         ln -sf d link; chmod 600 same; mkdir new; echo x > new/x",
    );
    jsnap().args(["create", &format!("{ds}@b")]).run().success();
    sh(w, &format!("cp -a {} new", mnt.display()));

    let layer = jsnap().args(["send", "--layer", "--from", "@a", &format!("{ds}@b")]).run();
    layer.success().stderr_is_empty();
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("jsnap-layer")), "clone left: {all:?}");
    let by_dir = jsnap().args(["send", "--dir"]).arg(w.join("new")).arg("--base").arg(w.join("old")).run();
    by_dir.success();
    assert!(layer.stdout == by_dir.stdout, "the snapshot layer differs from the directory layer");
    // PATH@SNAP and a full --from name give the same bytes.
    let by_path = jsnap()
        .args(["send", "--layer", "--from", &format!("{ds}@a")])
        .arg(format!("{}@b", mnt.display()))
        .run();
    assert!(by_path.success().stdout == layer.stdout);

    fs::write(w.join("layer.tar"), &layer.stdout).unwrap();
    let base = jsnap().args(["send", "--dir"]).arg(w.join("old")).run();
    fs::write(w.join("base.tar"), &base.success().stdout).unwrap();
    sh(
        w,
        "umoci init --layout img\numoci new --image img:t0\n\
         umoci raw add-layer --image img:t0 --tag t1 base.tar\n\
         umoci raw add-layer --image img:t1 --tag t2 layer.tar\n\
         umoci raw unpack --image img:t2 unpacked\n",
    );
    let diff = common::tree::differences(
        &common::tree::snapshot(&w.join("new")),
        &common::tree::snapshot(&w.join("unpacked")),
    );
    assert!(diff.is_empty(), "umoci's unpack of the snapshot layer differs from @b:\n{}", diff.join("\n"));

    // Two datasets, a missing snapshot, and flags that make no sense for a layer.
    let other = pool.ds("other");
    zfs_ok("zfs", &["create", &other]);
    jsnap().args(["create", &format!("{other}@a")]).run().success();
    jsnap()
        .args(["send", "--layer", "--from", &format!("{other}@a"), &format!("{ds}@b")])
        .run()
        .code(2)
        .one_line_error("jsnap")
        .stderr_contains("one dataset");
    jsnap()
        .args(["send", "--layer", "--from", "@nope", &format!("{ds}@b")])
        .run()
        .code(2)
        .one_line_error("jsnap")
        .stderr_contains("nope");
    jsnap().args(["send", "--layer", "-R", "--from", "@a", &format!("{ds}@b")]).run().code(2);
    jsnap().args(["send", "--layer", &format!("{ds}@b")]).run().code(2);
    let all = pool.all();
    assert!(!all.iter().any(|n| n.contains("jsnap-layer")), "clone left: {all:?}");
}
