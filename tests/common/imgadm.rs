//! The validator imgadm itself runs: SmartOS's `src/img` bundles node-imgmanifest 3.1.0
//! (TritonDataCenter/smartos-live `src/img/node_modules/imgmanifest`, identical to the npm
//! release but for a copyright line), which rejects `type: lxd` and more than one file;
//! 3.2.x (IMGAPI's) accepts both. Installed from the npm registry into the target directory
//! once; its npm package carries the upstream test suite (`test/basics.test.js`).

use std::path::PathBuf;

use super::{Cmd, have, skip};

/// The version imgadm bundles.
pub const IMGADM_IMGMANIFEST: &str = "3.1.0";

/// The directory holding `node_modules/imgmanifest` 3.1.0; `None` (test skipped) when node
/// or npm is missing or the install fails.
pub fn imgmanifest_of_imgadm(test: &str) -> Option<PathBuf> {
    if !have("node", test) || !have("npm", test) {
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("imgmanifest-{IMGADM_IMGMANIFEST}"));
    if !dir.join("node_modules/imgmanifest/test/basics.test.js").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let run = Cmd::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
            .arg(&dir)
            .arg(format!("imgmanifest@{IMGADM_IMGMANIFEST}"))
            .run();
        if run.code != Some(0) {
            skip(test, &format!("npm install imgmanifest@{IMGADM_IMGMANIFEST} failed: {}", run.stderr));
            return None;
        }
    }
    Some(dir)
}
