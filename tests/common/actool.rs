//! appc's reference validator `actool`, built from Debian's golang-github-appc-spec-dev
//! (the Go source under /usr/share/gocode/src/github.com/appc/spec, with its dependencies
//! packaged beside it) with golang-go, offline: GOPATH=/usr/share/gocode, GO111MODULE=off.
//! tests/setup.d/jspec.sh builds it into /usr/local/bin; without that, the first test that
//! needs it builds it into the target directory.

use std::path::{Path, PathBuf};

use super::{Cmd, have, skip, which};

const SOURCE: &str = "/usr/share/gocode/src/github.com/appc/spec/actool";

/// The actool binary; `None` (test skipped) when it is not installed and cannot be built.
pub fn actool() -> Option<PathBuf> {
    // appc's actool, not any program of that name.
    if let Some(path) = which("actool")
        && Cmd::new(&path).arg("version").run().stdout_str().starts_with("actool version")
    {
        return Some(path);
    }
    let built = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("actool/actool");
    if built.exists() {
        return Some(built);
    }
    if !have("go") {
        return None;
    }
    if !Path::new(SOURCE).is_dir() {
        skip("golang-github-appc-spec-dev is not installed (no appc source to build actool)");
        return None;
    }
    let dir = built.parent().unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let run = Cmd::new("go")
        .args(["build", "-o"])
        .arg(&built)
        .arg("github.com/appc/spec/actool")
        .env("GOPATH", "/usr/share/gocode")
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOCACHE", dir.join("cache"))
        .dir(dir)
        .run();
    if run.code != Some(0) {
        skip(&format!("building actool failed: {}", run.stderr));
        return None;
    }
    Some(built)
}
