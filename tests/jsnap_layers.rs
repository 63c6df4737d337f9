//! OCI layers (`jsnap send --dir NEW --base OLD`, `jsnap recv --dir DIR --layer FILE...`)
//! against umoci, the reference that writes whiteouts: layers umoci repacks (deleted files
//! and directories, a directory emptied and refilled, type changes both ways, modes, owners,
//! symlinks, hard links, xattrs, ACLs) applied by jsnap give the tree `umoci raw unpack`
//! gives; the layer jsnap writes, added with `umoci raw add-layer` and unpacked by umoci,
//! gives the new tree. Hostile layers (python3's tarfile writes them) are refused with
//! nothing written or deleted outside, and a stack with a bad layer leaves DIR as it was.
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::jsnap;
use common::tree::{differences, snapshot};

/// umoci unpack keeps owners only as root (rootless mode maps every owner to the user).
fn ready() -> bool {
    if !common::require_root(
        "umoci unpack keeps owners only as root (rootless, it maps them all to the user)",
    ) {
        return false;
    }
    ["umoci", "python3", "setfattr", "setfacl", "bsdtar"].iter().all(|p| common::have(p))
}

/// Runs a shell script in `dir`, which must succeed.
fn script(dir: &Path, text: &str) {
    common::sh(&format!("set -eu\n{text}")).dir(dir).run().success();
}

/// The base tree: files, a directory with a subdirectory, hard links, symlinks, a fifo,
/// owners, modes, an xattr and an ACL.
const BASE: &str = r#"
mkdir -p d/sub e keep acl quiet/deep
echo q > quiet/deep/q
echo a > d/a; echo b > d/b; echo c > d/sub/c
echo x > e/x
echo f > f
echo k > keep/k; chown 1001:1002 keep/k
echo same > same; echo same2 > same2
echo h > h1; ln h1 h2
ln -s foo link
mkfifo p
echo xf > xf; setfattr -n user.test -v 'one value' xf
echo acl > acl/file; setfacl -m u:1003:r acl/file
setfattr -n user.dir -v gone-later keep; setfattr -n user.dir -v stays quiet
setfacl -d -m u:1003:rx acl
chmod 4755 f
touch -d @1500000000.25 same2
"#;

/// What changes from the base: deletions, type changes both ways, an emptied and refilled
/// directory (opaque), modes, owners, a symlink retargeted, a new symlink, hard links
/// changed and added, xattrs removed and added, an ACL changed, an mtime alone.
const CHANGE: &str = r#"
rm -f same
rm -rf e; echo now-a-file > e
rm f; mkdir f; echo in > f/in
rm -rf d/*; echo n > d/n; mkdir d/m; echo m > d/m/m
chmod 700 keep; chown 1004:1005 keep
ln -sf bar link
ln -s d dlink
echo more >> h1
ln keep/k k2
setfattr -x user.test xf; echo xf2 > xf2; setfattr -n user.new -v 2 xf2
setfacl -m u:1003:rw acl/file
setfattr -x user.dir keep; setfacl -k acl
touch -d @1600000000.5 same2
rm p; mkfifo p2
"#;

/// A third step: a whole directory deleted, a deleted name back, a file in a new directory.
const CHANGE_AGAIN: &str = r#"
rm -rf d
echo back > same
rm -rf f/in; mkdir -p new/deeper; echo deep > new/deeper/file
"#;

/// The digests of the layers of `image:tag` (a local OCI layout), bottom first.
fn layer_blobs(layout: &Path, tag: &str) -> Vec<PathBuf> {
    let read = |p: &Path| -> serde_json::Value { serde_json::from_slice(&fs::read(p).unwrap()).unwrap() };
    let blob = |digest: &str| layout.join("blobs/sha256").join(digest.strip_prefix("sha256:").unwrap());
    let index = read(&layout.join("index.json"));
    let manifest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no tag {tag} in {index}"));
    let manifest = read(&blob(manifest["digest"].as_str().unwrap()));
    manifest["layers"].as_array().unwrap().iter().map(|l| blob(l["digest"].as_str().unwrap())).collect()
}

/// The member names of a (possibly compressed) tar, as bsdtar lists them.
fn names(archive: &Path) -> Vec<String> {
    let out = common::Cmd::new("bsdtar").arg("-tf").arg(archive).run();
    out.success();
    out.stdout_str().lines().map(str::to_string).collect()
}

/// An OCI layout made with umoci from BASE, then CHANGE, then CHANGE_AGAIN, each repacked
/// as a layer (`umoci unpack`, edit the rootfs, `umoci repack`): tags t1, t2, t3.
fn umoci_image(dir: &Path) -> PathBuf {
    script(
        dir,
        &format!(
            "umoci init --layout img\numoci new --image img:t0\n\
             umoci unpack --image img:t0 b0\n(cd b0/rootfs && {BASE})\numoci repack --image img:t1 b0\n\
             umoci unpack --image img:t1 b1\n(cd b1/rootfs && {CHANGE})\numoci repack --image img:t2 b1\n\
             umoci unpack --image img:t2 b2\n(cd b2/rootfs && {CHANGE_AGAIN})\numoci repack --image img:t3 b2\n"
        ),
    );
    dir.join("img")
}

#[test]
fn layers_umoci_repacks_apply_as_umoci_raw_unpack_applies_them() {
    if !ready() {
        return;
    }
    let tmp = common::tempdir();
    let layout = umoci_image(tmp.path());
    let blobs = layer_blobs(&layout, "t3");
    assert_eq!(blobs.len(), 3);
    // The test means something only if umoci wrote whiteouts.
    let second = names(&blobs[1]);
    assert!(second.iter().any(|n| n.contains(".wh.")), "no whiteouts in umoci's layer: {second:?}");
    assert!(names(&blobs[2]).iter().any(|n| n.ends_with(".wh.d")));
    for (tag, count) in [("t2", 2), ("t3", 3)] {
        let expected = tmp.path().join(format!("umoci-{tag}"));
        script(tmp.path(), &format!("umoci raw unpack --image img:{tag} umoci-{tag}"));
        let ours = tmp.path().join(format!("jsnap-{tag}"));
        jsnap()
            .args(["recv", "--dir"])
            .arg(&ours)
            .args(blobs[..count].iter().flat_map(|b| [Path::new("--layer"), b]))
            .run()
            .success();
        let diff = differences(&snapshot(&expected), &snapshot(&ours));
        assert!(diff.is_empty(), "{tag}: jsnap differs from umoci raw unpack:\n{}", diff.join("\n"));
    }
    // Onto an existing tree (the first layer applied), the other two on top.
    let existing = tmp.path().join("existing");
    jsnap().args(["recv", "--dir"]).arg(&existing).arg("--layer").arg(&blobs[0]).run().success();
    jsnap()
        .args(["recv", "--dir"])
        .arg(&existing)
        .arg("--layer")
        .arg(&blobs[1])
        .arg("--layer")
        .arg(&blobs[2])
        .run()
        .success();
    let diff = differences(&snapshot(&tmp.path().join("umoci-t3")), &snapshot(&existing));
    assert!(diff.is_empty(), "existing tree: jsnap differs from umoci raw unpack:\n{}", diff.join("\n"));
}

#[test]
fn layers_jsnap_writes_unpack_in_umoci_as_the_new_tree() {
    if !ready() {
        return;
    }
    let tmp = common::tempdir();
    let (t, old, new, newer) =
        (tmp.path(), tmp.path().join("old"), tmp.path().join("new"), tmp.path().join("newer"));
    fs::create_dir(&old).unwrap();
    script(&old, BASE);
    script(t, "cp -a old new && cp -a old newer-base");
    script(&new, CHANGE);
    script(t, "cp -a new newer");
    script(&newer, CHANGE_AGAIN);
    let send = |dir: &Path, base: Option<&Path>, out: &str| {
        let mut cmd = jsnap().args(["send", "--dir"]).arg(dir);
        if let Some(base) = base {
            cmd = cmd.arg("--base").arg(base);
        }
        let run = cmd.run();
        run.success();
        fs::write(t.join(out), &run.stdout).unwrap();
        t.join(out)
    };
    let base_layer = send(&old, None, "base.tar");
    let layer = send(&new, Some(&old), "layer.tar");
    let again = send(&newer, Some(&new), "again.tar");
    let listed = names(&layer);
    assert!(listed.iter().any(|n| n == "./d/.wh..wh..opq"), "no opaque marker: {listed:?}");
    assert!(listed.iter().any(|n| n == "./.wh.same") && listed.iter().any(|n| n == "./.wh.p"), "{listed:?}");
    assert!(!listed.iter().any(|n| n.starts_with("./quiet")), "unchanged entries in the layer: {listed:?}");
    let verbose = common::Cmd::new("bsdtar").arg("-tvf").arg(&layer).run();
    verbose.success().stdout_contains("./h2 link to ./h1").stdout_contains("./keep/k link to ./k2");
    assert!(names(&again).iter().any(|n| n == "./.wh.d"));
    // Deterministic: the same trees give the same bytes.
    assert_eq!(fs::read(&layer).unwrap(), fs::read(send(&new, Some(&old), "layer2.tar")).unwrap());

    script(
        t,
        "umoci init --layout img\numoci new --image img:t0\n\
         umoci raw add-layer --image img:t0 --tag t1 base.tar\n\
         umoci raw add-layer --image img:t1 --tag t2 layer.tar\n\
         umoci raw add-layer --image img:t2 --tag t3 again.tar\n\
         umoci raw unpack --image img:t2 umoci-t2\numoci raw unpack --image img:t3 umoci-t3\n",
    );
    for (tree, unpacked) in [(&new, "umoci-t2"), (&newer, "umoci-t3")] {
        let diff = differences(&snapshot(tree), &snapshot(&t.join(unpacked)));
        assert!(
            diff.is_empty(),
            "{unpacked}: umoci's unpack of jsnap's layers differs:\n{}",
            diff.join("\n")
        );
    }
    // And jsnap applies them the same way, into a new tree and onto an existing copy of OLD.
    let ours = t.join("ours");
    jsnap()
        .args(["recv", "--dir"])
        .arg(&ours)
        .arg("--layer")
        .arg(&base_layer)
        .arg("--layer")
        .arg(&layer)
        .arg("--layer")
        .arg(&again)
        .run()
        .success();
    let diff = differences(&snapshot(&newer), &snapshot(&ours));
    assert!(diff.is_empty(), "jsnap's stack differs:\n{}", diff.join("\n"));
    let onto = t.join("newer-base");
    jsnap()
        .args(["recv", "--dir"])
        .arg(&onto)
        .arg("--layer")
        .arg(&layer)
        .arg("--layer")
        .arg(&again)
        .run()
        .success();
    let diff = differences(&snapshot(&newer), &snapshot(&onto));
    assert!(diff.is_empty(), "jsnap onto an existing tree differs:\n{}", diff.join("\n"));
}

#[test]
fn layers_compressed_and_from_stdin() {
    if !ready() || !common::have("xz") {
        return;
    }
    let tmp = common::tempdir();
    let t = tmp.path();
    let (old, new) = (t.join("old"), t.join("new"));
    fs::create_dir(&old).unwrap();
    script(&old, BASE);
    script(t, "cp -a old new");
    script(&new, CHANGE);
    let base = jsnap().args(["send", "--dir"]).arg(&old).run();
    base.success();
    fs::write(t.join("base.tar"), &base.stdout).unwrap();
    script(t, "gzip -9 < base.tar > base.tar.gz");
    let layer = jsnap().args(["send", "--dir"]).arg(&new).arg("--base").arg(&old).run();
    layer.success();
    fs::write(t.join("layer.tar"), &layer.stdout).unwrap();
    script(t, "xz < layer.tar > layer.tar.xz");
    let ours = t.join("ours");
    jsnap()
        .args(["recv", "--dir"])
        .arg(&ours)
        .arg("--layer")
        .arg(t.join("base.tar.gz"))
        .args(["--layer", "-"])
        .stdin_file(t.join("layer.tar.xz"))
        .run()
        .success();
    let diff = differences(&snapshot(&new), &snapshot(&ours));
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    jsnap()
        .args(["recv", "--dir"])
        .arg(t.join("x"))
        .args(["--layer", "-", "--layer", "-"])
        .stdin("")
        .run()
        .code(2)
        .one_line_error("jsnap");
}

/// Writes a tar with python3's tarfile: `members` is a python list of
/// `(name, type, linkname)`; type "f" (empty file), "d", "l" (symlink).
fn python_tar(path: &Path, members: &str) {
    let code = format!(
        "import tarfile, io, sys\n\
         with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:\n\
         \x20   for name, kind, link in {members}:\n\
         \x20       i = tarfile.TarInfo(name)\n\
         \x20       i.type = {{'f': tarfile.REGTYPE, 'd': tarfile.DIRTYPE, 'l': tarfile.SYMTYPE}}[kind]\n\
         \x20       i.linkname = link\n\
         \x20       i.mode = 0o755 if kind == 'd' else 0o644\n\
         \x20       t.addfile(i, io.BytesIO(b''))\n"
    );
    common::Cmd::new("python3").args(["-c", &code]).arg(path).run().success();
}

#[test]
fn layers_hostile_whiteouts_are_refused_and_nothing_outside_is_touched() {
    if !ready() {
        return;
    }
    let tmp = common::tempdir();
    let t = tmp.path();
    let outside = t.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim"), "host\n").unwrap();
    fs::write(t.join("victim"), "host\n").unwrap();
    // The lower layer: a directory, a symlink out of the tree, a symlink to a directory in it.
    let lower = t.join("lower.tar");
    let out_link = outside.to_str().unwrap().to_string();
    python_tar(
        &lower,
        &format!(
            "[('d', 'd', ''), ('d/a', 'f', ''), ('d/victim', 'f', ''), ('out', 'l', '{out_link}'), ('rel', 'l', '../outside'), ('ind', 'l', 'd')]"
        ),
    );
    let hostile: &[(&str, &str)] = &[
        ("dotdot", "[('../.wh.victim', 'f', '')]"),
        ("whiteout of dotdot", "[('d/.wh..', 'f', '')]"),
        ("whiteout named dotdot", "[('d/.wh...', 'f', '')]"),
        ("absolute", "[('/.wh.victim', 'f', '')]"),
        ("absolute whiteout path", "[(sys.argv[1].rsplit('/', 1)[0] + '/outside/.wh.victim', 'f', '')]"),
        ("through an absolute symlink", "[('out/.wh.victim', 'f', '')]"),
        ("through a relative symlink", "[('rel/.wh.victim', 'f', '')]"),
        ("opaque through a symlink", "[('out/.wh..wh..opq', 'f', '')]"),
        ("through a symlink inside", "[('ind/.wh.a', 'f', '')]"),
        ("whiteout as a directory", "[('.wh.d/x', 'f', '')]"),
        ("empty whiteout", "[('d/.wh.', 'f', '')]"),
    ];
    let existing = t.join("existing");
    jsnap().args(["recv", "--dir"]).arg(&existing).arg("--layer").arg(&lower).run().success();
    let before = snapshot(&existing);
    for (what, members) in hostile {
        let layer = t.join("hostile.tar");
        python_tar(&layer, members);
        let fresh = t.join("fresh");
        let run = jsnap()
            .args(["recv", "--dir"])
            .arg(&fresh)
            .arg("--layer")
            .arg(&lower)
            .arg("--layer")
            .arg(&layer)
            .run();
        run.code(2).one_line_error("jsnap");
        assert!(run.stderr.contains("refused"), "{what}: {}", run.stderr);
        assert!(!fresh.exists(), "{what}: a refused stack left its directory");
        jsnap()
            .args(["recv", "--dir"])
            .arg(&existing)
            .arg("--layer")
            .arg(&layer)
            .run()
            .code(2)
            .one_line_error("jsnap");
        let diff = differences(&before, &snapshot(&existing));
        assert!(diff.is_empty(), "{what}: the existing tree changed:\n{}", diff.join("\n"));
        assert_eq!(fs::read(outside.join("victim")).unwrap(), b"host\n", "{what}");
        assert_eq!(fs::read(t.join("victim")).unwrap(), b"host\n", "{what}");
    }
    // Nothing was left beside: no temporary trees.
    let mut left: Vec<String> =
        fs::read_dir(t).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["existing", "hostile.tar", "lower.tar", "outside", "victim"]);
}

#[test]
fn layers_a_bad_layer_in_the_stack_leaves_the_directory_as_it_was() {
    if !ready() {
        return;
    }
    let tmp = common::tempdir();
    let t = tmp.path();
    let (old, new) = (t.join("old"), t.join("new"));
    fs::create_dir(&old).unwrap();
    script(&old, &format!("{BASE}\nhead -c 300000 /dev/urandom > big"));
    script(t, "cp -a old new");
    script(&new, &format!("{CHANGE}\nhead -c 300000 /dev/urandom > big2"));
    let base = jsnap().args(["send", "--dir"]).arg(&old).run();
    base.success();
    fs::write(t.join("base.tar"), &base.stdout).unwrap();
    let run = jsnap().args(["send", "--dir"]).arg(&new).arg("--base").arg(&old).run();
    run.success();
    let layer = run.stdout.clone();
    fs::write(t.join("layer.tar"), &layer).unwrap();
    script(t, "gzip < layer.tar > layer.tar.gz; cp -a old existing");
    let gz = fs::read(t.join("layer.tar.gz")).unwrap();
    let mut corrupt = gz.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    let bad: [(&str, Vec<u8>); 4] = [
        // Cut inside a block: at a block boundary, a tar without its end marker is complete
        // for bsdtar (and so for jsnap).
        ("truncated tar", layer[..layer.len() / 2 + 100].to_vec()),
        ("truncated gzip", gz[..gz.len() / 2].to_vec()),
        ("corrupt gzip", corrupt),
        ("not a tar", b"hello, this is not an archive\n".repeat(40)),
    ];
    let existing = t.join("existing");
    let before = snapshot(&existing);
    for (what, bytes) in bad {
        fs::write(t.join("bad"), &bytes).unwrap();
        let fresh = t.join("fresh");
        jsnap()
            .args(["recv", "--dir"])
            .arg(&fresh)
            .arg("--layer")
            .arg(t.join("base.tar"))
            .arg("--layer")
            .arg(t.join("bad"))
            .run()
            .code(2)
            .one_line_error("jsnap");
        assert!(!fresh.exists(), "{what}: a failed stack left its directory");
        jsnap()
            .args(["recv", "--dir"])
            .arg(&existing)
            .arg("--layer")
            .arg(t.join("bad"))
            .run()
            .code(2)
            .one_line_error("jsnap");
        let diff = differences(&before, &snapshot(&existing));
        assert!(diff.is_empty(), "{what}: the existing tree changed:\n{}", diff.join("\n"));
    }
    // A missing layer fails before anything is built.
    jsnap()
        .args(["recv", "--dir"])
        .arg(t.join("fresh"))
        .arg("--layer")
        .arg(t.join("base.tar"))
        .arg("--layer")
        .arg(t.join("nothing"))
        .run()
        .code(2)
        .one_line_error("jsnap");
    assert!(!t.join("fresh").exists());
    let mut left: Vec<String> =
        fs::read_dir(t).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["bad", "base.tar", "existing", "layer.tar", "layer.tar.gz", "new", "old"]);
}

#[test]
fn layers_send_refuses_whiteout_names_and_members() {
    let tmp = common::tempdir();
    let t = tmp.path();
    fs::create_dir_all(t.join("old")).unwrap();
    fs::create_dir_all(t.join("new")).unwrap();
    fs::write(t.join("new/.wh.file"), "x").unwrap();
    jsnap()
        .args(["send", "--dir"])
        .arg(t.join("new"))
        .arg("--base")
        .arg(t.join("old"))
        .run()
        .code(2)
        .one_line_error("jsnap")
        .stderr_contains(".wh.");
    jsnap()
        .args(["send", "--dir"])
        .arg(t.join("new"))
        .arg("--base")
        .arg(t.join("old"))
        .arg("./x")
        .run()
        .code(2)
        .one_line_error("jsnap");
    // The same trees give an empty layer.
    let run = jsnap().args(["send", "--dir"]).arg(t.join("old")).arg("--base").arg(t.join("old")).run();
    run.success();
    assert_eq!(run.stdout, vec![0u8; 1024]);
}

#[test]
fn layers_an_existing_directory_with_a_mount_under_it_is_refused() {
    if !ready() {
        return;
    }
    let tmp = common::tempdir();
    let t = tmp.path();
    let target = t.join("target");
    fs::create_dir_all(target.join("mnt")).unwrap();
    fs::write(target.join("file"), "old\n").unwrap();
    python_tar(&t.join("layer.tar"), "[('.wh.file', 'f', ''), ('new', 'f', '')]");
    let mount = common::Cmd::new("mount").args(["-t", "tmpfs", "jtools-test"]).arg(target.join("mnt")).run();
    if mount.code != Some(0) {
        common::skip(&format!("cannot mount a tmpfs here: {}", mount.stderr.trim()));
        return;
    }
    fs::write(target.join("mnt/host-file"), "host\n").unwrap();
    let run = jsnap().args(["recv", "--dir"]).arg(&target).arg("--layer").arg(t.join("layer.tar")).run();
    let _ = common::Cmd::new("umount").arg(target.join("mnt")).run();
    // The swap would have moved the mount with the old tree, and its removal reached into it.
    run.code(2).one_line_error("jsnap").stderr_contains("mounted at ./mnt");
    assert_eq!(fs::read(target.join("file")).unwrap(), b"old\n");
    assert!(!target.join("new").exists());
    let mut left: Vec<String> =
        fs::read_dir(t).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["layer.tar", "target"]);
}

/// Whiteouts apply to the layers below only (image-spec layer.md): an entry of the same
/// layer survives its whiteout whatever the order, an opaque marker after entries of its
/// directory keeps them, a whiteout of something missing is nothing to do, and a directory
/// the layer changes without an entry keeps its mtime. umoci decides what is right.
#[test]
fn layers_whiteouts_spare_their_own_layer_as_in_umoci() {
    if !ready() {
        return;
    }
    let tmp = common::tempdir();
    let t = tmp.path();
    python_tar(
        &t.join("lower.tar"),
        "[('d', 'd', ''), ('d/a', 'f', ''), ('d/b', 'f', ''), ('e', 'd', ''), ('e/x', 'f', ''), ('g', 'f', ''), ('q', 'd', ''), ('q/old', 'f', ''), ('s', 'l', 'g')]",
    );
    python_tar(
        &t.join("upper.tar"),
        "[('d/c', 'f', ''), ('d/.wh..wh..opq', 'f', ''), ('g', 'f', ''), ('.wh.g', 'f', ''), ('.wh.missing', 'f', ''), \
         ('e/y', 'f', ''), ('.wh.e', 'f', ''), ('q/.wh.old', 'f', ''), ('q/new', 'f', ''), ('.wh.s', 'f', ''), ('s', 'd', '')]",
    );
    script(
        t,
        "umoci init --layout img\numoci new --image img:t0\n\
         umoci raw add-layer --image img:t0 --tag t1 lower.tar\n\
         umoci raw add-layer --image img:t1 --tag t2 upper.tar\n\
         umoci raw unpack --image img:t2 expected\n",
    );
    let ours = t.join("ours");
    jsnap()
        .args(["recv", "--dir"])
        .arg(&ours)
        .arg("--layer")
        .arg(t.join("lower.tar"))
        .arg("--layer")
        .arg(t.join("upper.tar"))
        .run()
        .success();
    let expected = snapshot(&t.join("expected"));
    // What umoci did, spelled out (so that a change of umoci shows here too).
    let listed: Vec<String> = expected.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
    assert_eq!(listed, [".", "./d", "./d/c", "./e", "./e/y", "./g", "./q", "./q/new", "./s"]);
    // One deliberate difference: `e` (whited out, its lower file removed, a new file of this
    // layer kept) has no entry in the layer, so jsnap keeps its mtime as for every directory
    // a layer changes without an entry; umoci puts back only the mtime of the whiteout's
    // parent, leaving `e` with the time of the unpack.
    let mut expected = expected;
    expected.get_mut(&b"./e"[..]).unwrap().mtime = (0, 0);
    let diff = differences(&expected, &snapshot(&ours));
    assert!(diff.is_empty(), "jsnap differs from umoci raw unpack:\n{}", diff.join("\n"));
}
