//! The validator imgadm itself runs: SmartOS's `src/img` bundles node-imgmanifest 3.1.0
//! (TritonDataCenter/smartos-live `src/img/node_modules/imgmanifest`, identical to the npm
//! release but for a copyright line), which rejects `type: lxd` and more than one file;
//! 3.2.x (IMGAPI's) accepts both. Installed from the npm registry into the target directory
//! once; its npm package carries the upstream test suite (`test/basics.test.js`).

use std::path::PathBuf;

/// The version imgadm bundles.
pub const IMGADM_IMGMANIFEST: &str = "3.1.0";

/// The directory holding `node_modules/imgmanifest` 3.1.0; `None` (test skipped) when node
/// or npm is missing or the install fails.
pub fn imgmanifest_of_imgadm() -> Option<PathBuf> {
    let dir = super::npm_package("imgmanifest", IMGADM_IMGMANIFEST)?;
    // Its npm package carries the upstream test suite the tests read.
    if !dir.join("node_modules/imgmanifest/test/basics.test.js").exists() {
        super::skip("the imgmanifest npm package has no test/basics.test.js");
        return None;
    }
    Some(dir)
}
