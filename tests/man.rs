//! The committed man pages must be exactly what the binaries generate (`make man`), and
//! pass `mandoc -Tlint` without a single finding (style level included).
mod common;

use common::Cmd;

fn check(page: &str, cmd: Cmd) {
    let run = cmd.run();
    run.success();
    let path = common::repo_root().join("man").join(page);
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == run.stdout,
        "man/{page} differs from what the binary generates: run `make man` and commit"
    );
}

#[test]
fn man_pages_are_current() {
    check("jsnap.1", common::jsnap().args(["--generate", "man"]));
    check("jpack.1", common::jpack().args(["--generate", "man"]));
    check("jsum.1", common::jsum().args(["--generate", "man"]));
    check("jfetch.1", common::jfetch().args(["--generate", "man"]));
    check("jspec.1", common::jspec().args(["--generate", "man"]));
    check("jrun.1", common::jrun().args(["--generate", "man"]));
    check("jtools.7", common::jsum().args(["--generate", "overview"]));
}

#[test]
fn every_tool_prints_the_same_overview() {
    let reference = common::jsum().args(["--generate", "overview"]).run().stdout;
    for cmd in [common::jsnap(), common::jpack(), common::jfetch(), common::jspec(), common::jrun()] {
        let run = cmd.args(["--generate", "overview"]).run();
        run.success();
        assert_eq!(run.stdout, reference);
    }
}

/// Issue 18: jspec.1 had 19 mandoc findings (`.br` before and after a blank line, an
/// unparseable date) and every page long lines, trailing blanks and a lower-case title.
#[test]
fn man_pages_pass_mandoc_lint() {
    if !common::have("mandoc") {
        return;
    }
    let mut findings = Vec::new();
    for page in ["jsnap.1", "jpack.1", "jsum.1", "jfetch.1", "jspec.1", "jrun.1", "jtools.7"] {
        let path = common::repo_root().join("man").join(page);
        let run = Cmd::new("mandoc").args(["-Tlint", "-Wall"]).arg(&path).run();
        let text = format!("{}{}", run.stdout_str(), run.stderr);
        if run.code != Some(0) || !text.trim().is_empty() {
            findings.push(format!("man/{page} (exit {:?}):\n{text}", run.code));
        }
    }
    assert!(findings.is_empty(), "mandoc -Tlint findings:\n{}", findings.join("\n"));
}

/// Skips name the test from its thread (tests/common/mod.rs::test_name): libtest must
/// keep naming test threads after the test, with one thread as with several.
#[test]
fn skips_are_named_after_the_running_test() {
    assert_eq!(common::test_name(), "skips_are_named_after_the_running_test");
}
