//! `jspec validate` on .ajspec files fails (exit 1, with the reason) wherever AppJail's
//! `appjail image import` would refuse the file (share/appjail/cmd/image, image_import:
//! `_image_chktag`, `_image_chkarch`, the MAINTENANCE MODE check, `lib_check_sum`). AppJail
//! runs on FreeBSD only, so these cases are written from its code (cited in
//! lib/src/format/ajspec.rs), one test per case.
mod common;

use std::fs;
use std::path::PathBuf;

use common::{jspec, tempdir};

const SUM: &str = "d17032c3bc5227396a9009b6544d9fa54ece0158a67a1cd6c73e761eecee4a71";

fn good() -> String {
    format!(
        "tags: 14.2\n14.2.name: web\n14.2.arch: amd64\n14.2.sum.amd64: {SUM}\n\
         14.2.source.amd64: https://m.example/web/14.2-amd64-image.appjail\n14.2.timestamp.amd64: 1700000000\n"
    )
}

fn validate(text: &str) -> (common::Run, tempfile::TempDir) {
    let dir = tempdir();
    let path: PathBuf = dir.path().join(".ajspec");
    fs::write(&path, text).unwrap();
    (jspec().arg("validate").arg(&path).run(), dir)
}

#[test]
fn ajspec_good_file_is_valid() {
    validate(&good()).0.success();
}

/// Issue 17: a CRLF .ajspec validated with a warning; AppJail keeps the CR in the values
/// and its import refuses the file.
#[test]
fn ajspec_crlf_file_is_invalid_as_appjail_import_refuses_it() {
    let (run, _dir) = validate(&good().replace('\n', "\r\n"));
    run.code(1).stdout_contains(":1: CRLF line ends (6 line(s))").stdout_contains("import refuses");
    // Still readable for repair.
    let dir = tempdir();
    let path = dir.path().join(".ajspec");
    fs::write(&path, good().replace('\n', "\r\n")).unwrap();
    jspec()
        .args(["get", "-t", "14.2"])
        .arg(&path)
        .arg("sum:amd64")
        .run()
        .success()
        .stdout_is(format!("{SUM}\n"));
}

/// Issue 17: `maintenance` set validated with exit 0; AppJail refuses to import
/// ("MAINTENANCE MODE: …").
#[test]
fn ajspec_maintenance_set_is_invalid() {
    let (run, _dir) = validate(&format!("{}maintenance: \"uploading, try later\"\n", good()));
    run.code(1).stdout_contains(":7: maintenance mode, AppJail refuses to import: uploading,");
}

/// Issue 17: rows for a tag that `tags` does not list: AppJail's import says "Cannot find
/// tag".
#[test]
fn ajspec_tag_not_listed_is_invalid() {
    let text = format!("{}14.3.name: web\n14.3.arch: amd64\n14.3.sum.amd64: {SUM}\n", good());
    let (run, _dir) = validate(&text);
    run.code(1).stdout_contains(":7: 14.3.name: tag '14.3' is not listed in 'tags'");
}

/// Issue 17: rows for an architecture that `<tag>.arch` does not list: "Cannot find
/// architecture" (no arm64/aarch64 aliasing in AppJail).
#[test]
fn ajspec_arch_not_listed_is_invalid() {
    let text = format!(
        "{}14.2.sum.aarch64: {SUM}\n14.2.source.aarch64: https://m.example/web/14.2-aarch64-image.appjail\n",
        good()
    );
    let (run, _dir) = validate(&text);
    run.code(1).stdout_contains(":7: 14.2.sum.aarch64: architecture 'aarch64' is not listed in '14.2.arch'");
}
