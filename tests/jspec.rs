//! jspec: every corpus file, AppJail's tokenizer edge cases, edits that keep bytes,
//! creation from real images (digests checked with the sha2/sha1 crates and sha512sum),
//! conversion, validation and bad input.
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{jspec, shared_dir, tempdir};
use sha1::Digest as _;

fn corpus(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(shared_dir().join("corpus").join(dir))
        .expect("corpus folder")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".ajspec") || name.ends_with(".json") || name.ends_with(".meta")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {dir}");
    files
}

fn all_corpus() -> Vec<PathBuf> {
    [corpus("ajspec"), corpus("smartos"), corpus("appc-jetpack"), corpus("pot")].concat()
}

/// A writable copy of `src` in `dir`.
fn copy_in(dir: &Path, src: &Path) -> PathBuf {
    let dst = dir.join(src.file_name().unwrap());
    fs::write(&dst, fs::read(src).unwrap()).unwrap();
    dst
}

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, data).unwrap();
    path
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

fn sha1_hex(data: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(data))
}

// ---------------------------------------------------------------------------------------
// Corpus

#[test]
fn corpus_files_parse_and_show() {
    for file in all_corpus() {
        jspec().arg("show").arg(&file).run().success();
        let run = jspec().args(["show", "--json"]).arg(&file).run();
        run.success();
        let value: serde_json::Value = serde_json::from_slice(&run.stdout).expect("show --json prints JSON");
        assert!(value.is_object(), "{}", file.display());
        jspec().arg("info").arg(&file).run().success();
    }
}

#[test]
fn corpus_ajspec_validates_and_shows_what_appjail_reads() {
    // Every published file is valid but nginx's, which was published in maintenance mode
    // (AppJail refuses to import it: checked below).
    for file in corpus("ajspec") {
        if !file.ends_with("AppJail-makejails_nginx.ajspec") {
            jspec().arg("validate").arg(&file).run().success();
        }
    }
    let hello = shared_dir().join("corpus/ajspec/AppJail-makejails_hello.ajspec");
    jspec().args(["get", "-t", "latest"]).arg(&hello).arg("arch").run().success().stdout_is("amd64\ni386\n");
    jspec().args(["get", "-t", "latest"]).arg(&hello).arg("source:i386").run().success().stdout_is(
        "https://dtxdf.duckdns.org/47E8R3y9z2/hello_latest_i386_image_appjail\n\
         https://anonget.onrender.com/47E8R3y9z2/hello_latest_i386_image_appjail\n",
    );
    let python = shared_dir().join("corpus/ajspec/AppJail-makejails_python.ajspec");
    // Tags with dots and dashes: keys are never split on '.'.
    jspec()
        .args(["get", "-t", "13.4-311"])
        .arg(&python)
        .arg("sum:amd64")
        .run()
        .success()
        .stdout_is("d17032c3bc5227396a9009b6544d9fa54ece0158a67a1cd6c73e761eecee4a71\n");
    let tags = jspec().arg("get").arg(&python).arg("tags").run();
    assert_eq!(tags.stdout_str().lines().count(), 16);
    let nginx = shared_dir().join("corpus/ajspec/AppJail-makejails_nginx.ajspec");
    jspec()
        .arg("validate")
        .arg(&nginx)
        .run()
        .code(1)
        .stdout_contains("maintenance mode, AppJail refuses to import")
        .stdout_contains("'--<name>_ajspec'");
}

#[test]
fn corpus_smartos_validates_as_the_readme_says() {
    let dir = shared_dir().join("corpus/smartos");
    for name in [
        "c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json",
        "649d6948-4f1d-11e8-8249-1b9928638559.incremental.imgmanifest.json",
        "fauxnodejs-1.4.0.imgmanifest.json",
    ] {
        jspec().arg("validate").arg(dir.join(name)).run().success();
    }
    // v1: valid as imgadm upgrades it, and the upgrade itself is a valid v2 manifest.
    let v1 = dir.join("fauxubuntu.v1-dsmanifest.json");
    jspec().arg("validate").arg(&v1).run().success().stdout_contains("v1 manifest");
    let upgraded = jspec().args(["convert", "--to", "imgadm"]).arg(&v1).run();
    upgraded.success();
    let value: serde_json::Value = serde_json::from_slice(&upgraded.stdout).unwrap();
    assert_eq!(value["v"], 2);
    assert_eq!(value["owner"], "a979f956-12cb-4216-bf4c-ae73e6f14dde");
    assert_eq!(value["image_size"], 16384);
    assert_eq!(value["files"][0]["compression"], "bzip2");
    assert!(value["files"][0].get("path").is_none() && value.get("creator_name").is_none());
    jspec().args(["validate", "-"]).stdin(upgraded.stdout.clone()).run().success();
    // No v and no creator_uuid: imgadm refuses it.
    jspec()
        .arg("validate")
        .arg(dir.join("01b2c898-945f-11e1-a523-af1afbe22822.getimage-example.json"))
        .run()
        .code(1)
        .stdout_contains(":v: manifest does not have a \"v\" field")
        .one_line_error("jspec");
}

#[test]
fn corpus_aci_validates_except_the_jetpack_build_manifest() {
    let dir = shared_dir().join("corpus/appc-jetpack");
    jspec().arg("validate").arg(dir.join("appc-spec-examples-image.json")).run().success();
    jspec()
        .arg("validate")
        .arg(dir.join("jetpack-example.showenv-manifest.json"))
        .run()
        .code(1)
        .stdout_contains(":acKind: missing")
        .stdout_contains(":acVersion: missing");
}

/// The keys of an .ajspec that have exactly one row (raw file keys).
fn single_row_keys(text: &str) -> Vec<String> {
    let keys: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.split(':').next().unwrap().replace(['+', '*'], ""))
        .collect();
    let mut single: Vec<String> =
        keys.iter().filter(|k| keys.iter().filter(|o| o == k).count() == 1).cloned().collect();
    single.dedup();
    single
}

#[test]
fn corpus_round_trips_byte_identical() {
    let dir = tempdir();
    for src in corpus("ajspec") {
        let file = copy_in(dir.path(), &src);
        let original = fs::read(&file).unwrap();
        let keys = single_row_keys(&String::from_utf8(original.clone()).unwrap());
        assert!(!keys.is_empty());
        for key in keys {
            let value = jspec().arg("get").arg(&file).arg(&key).run();
            value.success();
            let value = value.stdout_str().trim_end_matches('\n').to_string();
            jspec().arg("set").arg(&file).arg(format!("{key}={value}")).run().success();
            assert_eq!(fs::read(&file).unwrap(), original, "{}: set {key}={value}", src.display());
        }
        // Through stdin and stdout too.
        jspec().args(["set", "-", "tags+=placeholder"]).stdin(original.clone()).run().success();
    }
    for src in corpus("pot") {
        let file = copy_in(dir.path(), &src);
        let original = fs::read(&file).unwrap();
        jspec().arg("validate").arg(&file).run().success();
        let origin = jspec().arg("get").arg(&file).arg("origin").run();
        let origin = origin.stdout_str();
        jspec().arg("set").arg(&file).arg(format!("origin={}", origin.trim_end())).run().success();
        assert_eq!(fs::read(&file).unwrap(), original);
    }
    for src in [corpus("smartos"), corpus("appc-jetpack")].concat() {
        let file = copy_in(dir.path(), &src);
        let original = fs::read(&file).unwrap();
        let shown = jspec().arg("show").arg(&file).run();
        shown.success();
        for line in shown.stdout_str().lines() {
            let (path, value) = line.split_once(": ").unwrap();
            jspec().arg("set").arg(&file).arg(format!("{path}={value}")).run().success();
            assert_eq!(fs::read(&file).unwrap(), original, "{}: set {path}={value}", src.display());
        }
    }
}

#[test]
fn pot_meta_matches_the_corpus_and_its_skein() {
    let dir = shared_dir().join("corpus/pot");
    let run = jspec().args(["new", "--format", "pot-meta"]).run();
    run.success().stdout_is(fs::read(dir.join("example_1.0.xz.meta")).unwrap());
    // The .skein covers image ‖ meta: our .meta bytes must give the published digest.
    let mut data = fs::read(dir.join("example_1.0.xz.NOT-REAL-XZ")).unwrap();
    data.extend_from_slice(&run.stdout);
    let digest = skein::Skein1024_1024::digest(&data);
    let skein = fs::read_to_string(dir.join("example_1.0.xz.skein")).unwrap();
    assert_eq!(format!("{}\n", hex::encode(digest)), skein);
    let layered =
        jspec().args(["new", "--format", "pot-meta", "--origin", "freebsd_13_2:1.8@1707396231"]).run();
    layered.success().stdout_is("freebsd_13_2:1.8@1707396231\n");
    jspec()
        .args(["new", "--format", "pot-meta", "--origin", "no-colon"])
        .run()
        .code(2)
        .one_line_error("jspec");
}

// ---------------------------------------------------------------------------------------
// AppJail's tokenizer (ajspec.md §2): each vector read through `get` of a list key.

fn tokens_of(value: &[u8], with_lf: bool) -> common::Run {
    let dir = tempdir();
    let mut data = b"t.source.amd64:".to_vec();
    data.extend_from_slice(value);
    if with_lf {
        data.push(b'\n');
    }
    let file = write(dir.path(), "t.ajspec", data);
    jspec().arg("get").arg(&file).arg("t.source.amd64").run()
}

macro_rules! token_case {
    ($name:ident, $value:expr, [$($token:expr),*]) => {
        #[test]
        fn $name() {
            let expected: Vec<&[u8]> = vec![$($token.as_ref()),*];
            let run = tokens_of($value, true);
            if expected.is_empty() {
                run.code(1);
            } else {
                let mut out = Vec::new();
                for t in expected {
                    out.extend_from_slice(t);
                    out.push(b'\n');
                }
                run.success().stdout_is(out);
            }
        }
    };
}

token_case!(token_spaces_separate, b"  a   b ", [b"a", b"b"]);
token_case!(token_tab_is_not_a_separator, b"a\tb", [b"a\tb"]);
token_case!(token_double_quotes_group, b"\"a b\"", [b"a b"]);
token_case!(token_other_quote_inside_is_literal, b"\"a 'b'\"", [b"a 'b'"]);
token_case!(token_single_quotes_group, b"'a\"b'", [b"a\"b"]);
token_case!(token_closing_quote_ends_token, b"\"abc\"def", [b"abc", b"def"]);
token_case!(token_opening_quote_does_not_split, b"abc\"def\"", [b"abcdef"]);
token_case!(token_empty_quotes_split, b"a\"\"b", [b"a", b"b"]);
token_case!(token_empty_quotes_yield_nothing, b"\"\"", []);
token_case!(token_empty_quotes_then_word, b"\"\" x", [b"x"]);
token_case!(token_adjacent_single_quoted, b"'it''s'", [b"it", b"s"]);
token_case!(token_escaped_double_quote, b"\"a\\\"b\"", [b"a\"b"]);
token_case!(token_escaped_single_quote, b"'a\\'b'", [b"a'b"]);
token_case!(token_escape_of_other_quote_kept, b"\"a\\'b\"", [b"a\\'b"]);
token_case!(token_escaped_double_in_single, b"'a \\\"b\\\"'", [b"a \\\"b\\\""]);
token_case!(token_escaped_quote_outside_quotes, b"a\\\"b", [b"a\\\"b"]);
token_case!(token_double_backslash, b"a\\\\b", [b"a\\b"]);
token_case!(token_double_backslash_quoted, b"\"a\\\\b\"", [b"a\\b"]);
token_case!(token_escaped_space_does_not_split, b"a\\ b", [b"a\\ b"]);
token_case!(token_backslash_n_is_literal, b"a\\nb", [b"a\\nb"]);
token_case!(token_hash_and_dollar_are_data, b"$(rm -rf /) `x` #c", [b"$(rm", b"-rf", b"/)", b"`x`", b"#c"]);

#[test]
fn token_cr_after_quote_is_a_token() {
    // Without a final LF the CR is not a CRLF line end: AppJail's token rules apply.
    tokens_of(b"\"abc\"\r", false).success().stdout_is(b"abc\n\r\n");
    tokens_of(b"c0ffee\r", false).success().stdout_is(b"c0ffee\r\n");
}

#[test]
fn token_trailing_backslash_is_a_syntax_error() {
    tokens_of(b" a\\", true)
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("t.ajspec:1:")
        .stderr_contains("backslash");
}

#[test]
fn token_unterminated_quote_is_a_syntax_error() {
    tokens_of(b" \"abc", true)
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("t.ajspec:1:")
        .stderr_contains("unterminated");
}

// ---------------------------------------------------------------------------------------
// Line grammar (ajspec.md §1)

#[test]
fn line_grammar_syntax_errors_name_the_line() {
    let dir = tempdir();
    for (text, line) in [
        ("tags: 1\n1.arch : amd64\n", 2),
        ("tags: 1\n\n+: x\n", 3),
        (": x\n", 1),
        ("# ok\nta gs: 1\n", 2),
        ("tags: 1\n${V}: 2\n", 2),
        ("tags: 1\nkey\r: 2\n", 2),
    ] {
        let file = write(dir.path(), "bad.ajspec", text);
        jspec()
            .arg("show")
            .arg(&file)
            .run()
            .code(2)
            .one_line_error("jspec")
            .stderr_contains(&format!("bad.ajspec:{line}:"));
    }
}

#[test]
fn line_grammar_marks_comments_blanks_and_keyless_rows() {
    let dir = tempdir();
    let text =
        "  # comment: not a row\n\t \n*ta+gs: 1\n1.arch+: amd64\n1.comment\n1.url: a # not a comment\n";
    let file = write(dir.path(), "g.ajspec", text);
    jspec().arg("get").arg(&file).arg("tags").run().success().stdout_is("1\n");
    jspec().args(["get", "-t", "1"]).arg(&file).arg("comment").run().code(1);
    jspec().args(["get", "-t", "1"]).arg(&file).arg("url").run().success().stdout_is("a\n");
    // A NUL ends the line: the unterminated quote after it is never read.
    let file = write(dir.path(), "nul.ajspec", b"tags: 1\0 \"x\n");
    jspec().arg("get").arg(&file).arg("tags").run().success().stdout_is("1\n");
}

#[test]
fn crlf_files_are_read_leniently_and_written_with_lf() {
    let dir = tempdir();
    let sum = "ab".repeat(32);
    let text = format!("tags: 1\r\n1.sum.amd64: {sum}\r\n");
    let file = write(dir.path(), "crlf.ajspec", &text);
    jspec()
        .args(["get", "-t", "1"])
        .arg(&file)
        .arg("sum:amd64")
        .run()
        .success()
        .stdout_is(format!("{sum}\n"))
        .stderr_contains("CRLF");
    jspec().args(["set", "-t", "1"]).arg(&file).arg("name=x").run().success();
    let written = fs::read_to_string(&file).unwrap();
    assert!(!written.contains('\r'), "{written:?}");
    assert_eq!(written, format!("tags: 1\n1.sum.amd64: {sum}\n1.name: \"x\"\n"));
}

// ---------------------------------------------------------------------------------------
// get / set / del on .ajspec

const SAMPLE: &str = "# published by hand\ntags+: 14.2\n14.2.arch: amd64\n14.2.name:   \"web\"   \n\n\
14.2.description: \"first line\"\n14.2.description+: \"\"\n14.2.description+: second  line\n\
14.2.sum.amd64: 0a4808ca7683a3704a4bb4d03da4e09107b872234ac89fe9fdf2ca7f837040a0\n\
14.2.source.amd64: \"https://b.example/x\" 'https://a.example/x'\ntags+: 13.5\ntags+: 14.2\n";

#[test]
fn get_reads_as_appjail() {
    let dir = tempdir();
    let file = write(dir.path(), ".ajspec", SAMPLE);
    // Sorted and unique.
    jspec().arg("get").arg(&file).arg("tags").run().success().stdout_is("13.5\n14.2\n");
    // File order, several tokens per row.
    jspec()
        .args(["get", "-t", "14.2"])
        .arg(&file)
        .arg("source:amd64")
        .run()
        .success()
        .stdout_is("https://b.example/x\nhttps://a.example/x\n");
    // One line per row; an empty row is an empty line; tokens joined by one space.
    jspec()
        .args(["get", "-t", "14.2"])
        .arg(&file)
        .arg("description")
        .run()
        .success()
        .stdout_is("first line\n\nsecond line\n");
    jspec().arg("get").arg(&file).arg("14.2.name").run().success().stdout_is("web\n").stderr_is_empty();
    // AppJail reads a scalar as its first token: the rest is reported, not printed.
    let file2 = write(dir.path(), "c.ajspec", "1.comment: Python image\n1.comment: again\n");
    jspec()
        .args(["get", "-t", "1"])
        .arg(&file2)
        .arg("comment")
        .run()
        .success()
        .stdout_is("Python\n")
        .stderr_contains("c.ajspec:1: 1.comment: only the first token")
        .stderr_contains("c.ajspec:2: 1.comment: extra row ignored");
    jspec().args(["get", "-t", "14.2"]).arg(&file).arg("size:amd64").run().code(1).one_line_error("jspec");
    // show: the whole document, rows outside the tag structure included.
    let legacy =
        write(dir.path(), "legacy.ajspec", format!("{SAMPLE}14.2.timestamp: 1686859585\nfoo: 'x y'\n"));
    jspec()
        .arg("show")
        .arg(&legacy)
        .run()
        .success()
        .stdout_contains("    source     https://a.example/x\n")
        .stdout_contains("  description second line\n")
        .stdout_contains("other row: 14.2.timestamp: 1686859585\nother row: foo: x y\n");
    jspec().args(["get", "-t", "14.2"]).arg(&file).arg("sum:vax").run().code(2).one_line_error("jspec");
    jspec().args(["get", "-t", "14.2"]).arg(&file).arg("bogus").run().code(2).one_line_error("jspec");
}

#[test]
fn set_replaces_rows_and_keeps_every_other_byte() {
    let dir = tempdir();
    let file = write(dir.path(), ".ajspec", SAMPLE);
    jspec().args(["set", "-t", "14.2"]).arg(&file).arg("name=site").run().success();
    let expected = SAMPLE.replace("14.2.name:   \"web\"   \n", "") + "14.2.name: \"site\"\n";
    assert_eq!(fs::read_to_string(&file).unwrap(), expected);
    jspec()
        .args(["set", "-t", "14.2"])
        .arg(&file)
        .arg("source:amd64+=https://c.example/x?a=b=c")
        .arg("comment=say \"hi\" \\ $(x)")
        .run()
        .success();
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.ends_with(
        "14.2.source.amd64+: \"https://c.example/x?a=b=c\"\n14.2.comment: \"say \\\"hi\\\" \\\\ $(x)\"\n"
    ));
    jspec()
        .args(["get", "-t", "14.2"])
        .arg(&file)
        .arg("comment")
        .run()
        .success()
        .stdout_is("say \"hi\" \\ $(x)\n");
    // arch/tags append only when not listed.
    let before = fs::read(&file).unwrap();
    jspec().args(["set", "-t", "14.2"]).arg(&file).arg("arch+=amd64").arg("tags+=13.5").run().success();
    assert_eq!(fs::read(&file).unwrap(), before);
    // Sums are written lowercase.
    jspec()
        .args(["set", "-t", "14.2"])
        .arg(&file)
        .arg(format!("sum:i386={}", "AB".repeat(32)))
        .run()
        .success();
    assert!(fs::read_to_string(&file).unwrap().ends_with(&format!("14.2.sum.i386: {}\n", "ab".repeat(32))));
}

#[test]
fn refused_changes_leave_the_file_untouched() {
    let dir = tempdir();
    let file = write(dir.path(), ".ajspec", SAMPLE);
    for bad in [
        "sum:amd64=xyz",
        "size:amd64=12a",
        "timestamp:amd64=-1",
        "name=has space",
        "arch=vax",
        "tags=bad/tag",
        "comment=",
        "url+=http://x",
        "comment=line\nbreak",
    ] {
        // The bad value comes after a good one: nothing at all is written.
        jspec()
            .args(["set", "-t", "14.2"])
            .arg(&file)
            .arg("maintainer=someone")
            .arg(bad)
            .run()
            .code(2)
            .one_line_error("jspec");
        assert_eq!(fs::read_to_string(&file).unwrap(), SAMPLE, "after {bad:?}");
    }
    jspec().arg("set").arg(&file).arg("no equals sign").run().code(2).one_line_error("jspec");
    jspec().arg("set").arg(&file).arg("bad key=1").run().code(2).one_line_error("jspec");
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind");
}

#[test]
fn set_on_stdin_writes_stdout() {
    jspec()
        .args(["set", "-", "maintenance=uploading"])
        .stdin(SAMPLE)
        .run()
        .success()
        .stdout_is(format!("{SAMPLE}maintenance: \"uploading\"\n"));
}

#[test]
fn del_removes_every_row_of_a_key() {
    let dir = tempdir();
    let file = write(dir.path(), ".ajspec", SAMPLE);
    jspec().args(["del", "-t", "14.2"]).arg(&file).arg("description").arg("source:amd64").run().success();
    let text = fs::read_to_string(&file).unwrap();
    assert!(!text.contains("description") && !text.contains("source"));
    assert!(
        text.starts_with("# published by hand\ntags+: 14.2\n14.2.arch: amd64\n14.2.name:   \"web\"   \n\n")
    );
    jspec().arg("del").arg(&file).arg("tags").run().success();
    jspec().arg("get").arg(&file).arg("tags").run().code(1);
}

// ---------------------------------------------------------------------------------------
// validate

#[test]
fn validate_lists_every_ajspec_problem_with_its_line() {
    let dir = tempdir();
    let text = "tags: 1\ntags+: 2\n1.arch: amd64\n1.name: \"bad name\"\n1.sum.amd64: ABC\n\
1.size.amd64: 12x\n2.arch: amd64\n2.name: \"ok\"\n2.sum.amd64: 0a4808ca7683a3704a4bb4d03da4e09107b872234ac89fe9fdf2ca7f837040a0\n2.comment: two words\n";
    let file = write(dir.path(), "v.ajspec", text);
    let run = jspec().arg("validate").arg(&file).run();
    run.code(1).one_line_error("jspec");
    let out = run.stdout_str();
    for expected in [
        "v.ajspec:4: 1.name: invalid image name",
        "v.ajspec:5: 1.sum.amd64: not 64 hexadecimal digits",
        "v.ajspec:6: 1.size.amd64: not a number",
        "v.ajspec:3: 1.source.amd64: no source",
        "v.ajspec:7: 2.source.amd64: no source",
        "v.ajspec:10: warning: 2.comment: only the first token 'two' is read",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    let empty = write(dir.path(), "empty.ajspec", "# nothing\n");
    jspec().arg("validate").arg(&empty).run().code(1).stdout_contains("no tags");
}

#[test]
fn validate_applies_imgadm_rules() {
    let dir = tempdir();
    let base = serde_json::json!({
        "v": 2, "uuid": "c58161c0-2547-11e2-a75e-9fdca1940570", "name": "n", "version": "1.0",
        "type": "zone-dataset", "os": "smartos",
        "files": [{"sha1": "f6217f583a64e1b39cea7a8700b96cbb2375bb23", "size": 65, "compression": "bzip2", "extra": 1}]
    });
    let file = write(dir.path(), "m.json", serde_json::to_vec_pretty(&base).unwrap());
    jspec().arg("validate").arg(&file).run().success();
    let cases: [(&str, serde_json::Value, &str); 8] = [
        (
            "uuid",
            serde_json::json!("C58161C0-2547-11E2-A75E-9FDCA1940570"),
            ":uuid: must be a lowercase UUID",
        ),
        ("type", serde_json::json!("vm"), ":type: must be one of"),
        ("os", serde_json::json!("freebsd"), ":os: must be one of"),
        ("stream_size", serde_json::json!(1), ":stream_size: unknown field"),
        ("image_size", serde_json::json!(10), ":image_size: only allowed with type 'zvol'"),
        ("published_at", serde_json::json!("2018-01-04 11:35"), ":published_at: must look like"),
        (
            "requirements",
            serde_json::json!({"min_platform": {"7.0": "2014-10-30"}}),
            "must be a platform stamp",
        ),
        (
            "files",
            serde_json::json!([{"sha1": "a", "size": 0, "compression": "zstd"}, {}]),
            ":files: at most 1",
        ),
    ];
    for (field, value, expected) in cases {
        let mut m = base.clone();
        m[field] = value;
        let file = write(dir.path(), "m.json", serde_json::to_vec_pretty(&m).unwrap());
        jspec().arg("validate").arg(&file).run().code(1).stdout_contains(expected);
    }
    // jtools' stricter rules are warnings: the real validator accepts these (spec R8, R3).
    let mut lenient = base.clone();
    lenient["requirements"] = serde_json::json!({"min_platform": {"undefined": "20141030T081701Z"}});
    lenient["files"][0]["sha1"] = "not-hex".into();
    let file = write(dir.path(), "m.json", serde_json::to_vec_pretty(&lenient).unwrap());
    jspec()
        .arg("validate")
        .arg(&file)
        .run()
        .success()
        .stdout_contains(":requirements.min_platform.undefined: warning: no SDC version")
        .stdout_contains(":files.0.sha1: warning: not 40 hexadecimal digits");
    let mut zvol = base.clone();
    zvol["type"] = "zvol".into();
    let file = write(dir.path(), "m.json", serde_json::to_vec_pretty(&zvol).unwrap());
    // imgadm installs a zvol without them (only IMGAPI's dc mode requires them): warnings.
    let run = jspec().arg("validate").arg(&file).run();
    run.success();
    for field in ["nic_driver", "disk_driver", "cpu_type", "image_size"] {
        run.stdout_contains(&format!(":{field}: warning: missing for type 'zvol'"));
    }
}

// ---------------------------------------------------------------------------------------
// JSON edits

#[test]
fn json_set_keeps_order_and_types_and_refuses_invalid_values() {
    let dir = tempdir();
    let src = shared_dir().join("corpus/smartos/c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json");
    let file = copy_in(dir.path(), &src);
    let original = fs::read_to_string(&file).unwrap();
    jspec().arg("set").arg(&file).arg("version=2.0").arg("files.0.size=123").run().success();
    let changed = fs::read_to_string(&file).unwrap();
    assert_eq!(
        changed,
        original
            .replace("\"version\": \"1.0.0\"", "\"version\": \"2.0\"")
            .replace("\"size\": 65", "\"size\": 123")
    );
    jspec().arg("get").arg(&file).arg("files.0.stor").run().success().stdout_is("local\n");
    jspec()
        .arg("get")
        .arg(&file)
        .arg("requirements.min_platform.7.0")
        .run()
        .success()
        .stdout_is("20141030T081701Z\n");
    for bad in
        ["files.0.size=0", "files.0.size=big", "type=vm", "uuid=nope", "bogus=1", "files.0.compression=zstd"]
    {
        jspec().arg("set").arg(&file).arg(bad).run().code(2).one_line_error("jspec");
        assert_eq!(fs::read_to_string(&file).unwrap(), changed, "after {bad}");
    }
    jspec().arg("set").arg(&file).arg("billing_tags+=promo").arg("requirements.min_ram=512").run().success();
    jspec().arg("get").arg(&file).arg("billing_tags").run().success().stdout_is("promo\n");
    jspec().arg("del").arg(&file).arg("tags").arg("billing_tags").arg("requirements.min_ram").run().success();
    let after = fs::read_to_string(&file).unwrap();
    assert!(!after.contains("\"tags\"") && after.contains("\"requirements\""));
    jspec().arg("validate").arg(&file).run().success();
    jspec().args(["get", "-t", "x"]).arg(&file).arg("name").run().code(2).one_line_error("jspec");
}

// ---------------------------------------------------------------------------------------
// new

fn image(dir: &Path) -> (PathBuf, Vec<u8>) {
    let data = common::noise(300_000, 7);
    (write(dir, "web.appjail", &data), data)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn new_ajspec_records_sum_size_and_timestamp() {
    let dir = tempdir();
    let (img, data) = image(dir.path());
    let start = now();
    let run = jspec()
        .args(["new", "--format", "ajspec", "--name", "web", "--tag", "14.2", "--arch", "amd64"])
        .args([
            "--source",
            "https://a.example/web/14.2-amd64-image.appjail",
            "--source",
            "https://b.example/w?x=1",
        ])
        .arg(&img)
        .run();
    run.success();
    let text = run.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "tags: 14.2");
    assert_eq!(lines[1], "14.2.arch: amd64");
    assert_eq!(lines[2], "14.2.name: \"web\"");
    let ts: u64 = lines[3].strip_prefix("14.2.timestamp.amd64: ").unwrap().parse().unwrap();
    assert!(ts >= start && ts <= now());
    assert_eq!(lines[4], format!("14.2.sum.amd64: {}", sha256_hex(&data)));
    assert_eq!(lines[5], format!("14.2.size.amd64: {}", data.len()));
    assert_eq!(lines[6], "14.2.source.amd64: \"https://a.example/web/14.2-amd64-image.appjail\"");
    assert_eq!(lines[7], "14.2.source.amd64+: \"https://b.example/w?x=1\"");
    jspec().args(["validate", "-"]).stdin(run.stdout.clone()).run().success();
    jspec()
        .args(["new", "--format", "ajspec", "--name", "bad name", "--tag", "1", "--arch", "amd64"])
        .arg(&img)
        .run()
        .code(2)
        .one_line_error("jspec");
    jspec().args(["new", "--format", "ajspec", "--name", "web", "--tag", "1"]).arg(&img).run().code(2);
}

#[test]
fn new_ajspec_update_adds_and_replaces_blocks() {
    let dir = tempdir();
    let corpus_file = shared_dir().join("corpus/ajspec/shen390s_login.ajspec");
    let file = copy_in(dir.path(), &corpus_file);
    let original = fs::read_to_string(&file).unwrap();
    let (img, data) = image(dir.path());
    let new = |tag: &str, arch: &str| {
        jspec()
            .args(["new", "--format", "ajspec", "--update"])
            .arg(&file)
            .args(["--name", "login", "--tag", tag, "--arch", arch, "--timestamp", "1800000000"])
            .args(["--source", "file:///data/repos/new.appjail"])
            .arg(&img)
            .run()
    };
    new("14.2", "amd64").success();
    let text = fs::read_to_string(&file).unwrap();
    let sum = sha256_hex(&data);
    assert_eq!(
        text,
        format!(
            "{original}tags+: 14.2\n14.2.arch: amd64\n14.2.name: \"login\"\n14.2.timestamp.amd64: 1800000000\n\
14.2.sum.amd64: {sum}\n14.2.size.amd64: {}\n14.2.source.amd64: \"file:///data/repos/new.appjail\"\n",
            data.len()
        )
    );
    // Replacing the block of 14.1/amd64 rewrites its rows where they are.
    new("14.1", "amd64").success();
    let replaced = fs::read_to_string(&file).unwrap();
    assert!(replaced.starts_with(&format!(
        "tags: 14.1\n14.1.arch: amd64\n14.1.name: \"login\"\n14.1.timestamp.amd64: 1800000000\n14.1.sum.amd64: {sum}\n"
    )));
    // The same block again changes nothing.
    new("14.1", "amd64").success();
    assert_eq!(fs::read_to_string(&file).unwrap(), replaced);
    jspec().arg("validate").arg(&file).run().success();
}

#[test]
fn new_imgadm_describes_compressed_images() {
    let dir = tempdir();
    let (img, _) = image(dir.path());
    for (tool, args, name) in [("gzip", "-c", "gzip"), ("bzip2", "-c", "bzip2"), ("xz", "-c", "xz")] {
        if !common::have(tool) {
            return;
        }
        let compressed = dir.path().join(format!("web.{name}"));
        common::sh(&format!("{tool} {args} '{}' > '{}'", img.display(), compressed.display()))
            .run()
            .success();
        let data = fs::read(&compressed).unwrap();
        let run = jspec()
            .args([
                "new",
                "--format",
                "imgadm",
                "--name",
                "web",
                "--version",
                "1.0.0",
                "--os",
                "bsd",
                "--type",
                "other",
            ])
            .arg(&compressed)
            .run();
        run.success();
        let m: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(m["v"], 2);
        assert_eq!(m["files"][0]["sha1"], sha1_hex(&data));
        assert_eq!(m["files"][0]["size"], data.len());
        assert_eq!(m["files"][0]["compression"], name);
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(keys[..4], ["v", "uuid", "name", "version"]);
        jspec().args(["validate", "-"]).stdin(run.stdout.clone()).run().success();
    }
    let plain = jspec()
        .args([
            "new",
            "--format",
            "imgadm",
            "--name",
            "web",
            "--version",
            "1",
            "--os",
            "bsd",
            "--type",
            "other",
        ])
        .arg(&img)
        .run();
    let m: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(m["files"][0]["compression"], "none");
    let uuid = m["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4", "a v4 UUID");
    let published = m["published_at"].as_str().unwrap();
    assert!(published.ends_with('Z') && published.len() == 20, "{published}");
    let again = jspec()
        .args([
            "new",
            "--format",
            "imgadm",
            "--name",
            "web",
            "--version",
            "1",
            "--os",
            "bsd",
            "--type",
            "other",
        ])
        .arg(&img)
        .run();
    let m2: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_ne!(m2["uuid"], m["uuid"], "every new manifest gets a fresh UUID");
    // A compression that contradicts the magic bytes, an unknown os, zvol without its fields.
    let gz = dir.path().join("web.gzip");
    for (os, kind, extra) in
        [("bsd", "other", "--compression=xz"), ("freebsd", "other", ""), ("bsd", "zvol", "")]
    {
        let mut args =
            vec!["new", "--format", "imgadm", "--name", "web", "--version", "1", "--os", os, "--type", kind];
        if !extra.is_empty() {
            args.push(extra);
        }
        let out = dir.path().join("never.json");
        jspec().args(&args).arg("-o").arg(&out).arg(&gz).run().code(2).one_line_error("jspec");
        assert!(!out.exists());
    }
    jspec()
        .args([
            "new",
            "--format",
            "imgadm",
            "--name",
            "vm",
            "--version",
            "1",
            "--os",
            "linux",
            "--type",
            "zvol",
        ])
        .args([
            "--nic-driver",
            "virtio",
            "--disk-driver",
            "virtio",
            "--cpu-type",
            "host",
            "--image-size",
            "10240",
        ])
        .args(["--uuid", "C58161C0-2547-11E2-A75E-9FDCA1940570"])
        .arg(&gz)
        .run()
        .success()
        .stdout_contains("\"uuid\": \"c58161c0-2547-11e2-a75e-9fdca1940570\"")
        .stdout_contains("\"image_size\": 10240");
}

#[test]
fn new_aci_manifest_is_valid() {
    let run = jspec()
        .args(["new", "--format", "aci", "--name", "example.com/web", "--label", "version=1.0.0"])
        .args([
            "--label",
            "os=freebsd",
            "--label",
            "arch=amd64",
            "--exec",
            "/bin/sh",
            "--exec",
            "-c",
            "--exec",
            "echo hi",
        ])
        .run();
    run.success();
    let m: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(m["acKind"], "ImageManifest");
    assert_eq!(m["app"]["exec"], serde_json::json!(["/bin/sh", "-c", "echo hi"]));
    jspec().args(["validate", "-"]).stdin(run.stdout.clone()).run().success();
    jspec().args(["new", "--format", "aci", "--name", "Not Valid"]).run().code(2).one_line_error("jspec");
    jspec().args(["new", "--format", "aci", "--name", "x", "--label", "name=y"]).run().code(2);
}

// ---------------------------------------------------------------------------------------
// convert

#[test]
fn convert_between_formats() {
    let dir = tempdir();
    let (img, data) = image(dir.path());
    let made = jspec()
        .args([
            "new",
            "--format",
            "ajspec",
            "--name",
            "web",
            "--tag",
            "14.2",
            "--arch",
            "amd64",
            "--timestamp",
            "1700000000",
        ])
        .args(["--source", "https://m.example/web.appjail"])
        .arg(&img)
        .run();
    let ajspec = write(dir.path(), ".ajspec", &made.stdout);
    let to_imgadm = jspec().args(["convert", "--to", "imgadm", "--image"]).arg(&img).arg(&ajspec).run();
    to_imgadm.success();
    let m: serde_json::Value = serde_json::from_slice(&to_imgadm.stdout).unwrap();
    assert_eq!(m["name"], "web");
    assert_eq!(m["version"], "14.2");
    assert_eq!(m["os"], "bsd");
    assert_eq!(m["published_at"], "2023-11-14T22:13:20Z");
    assert_eq!(m["files"][0]["sha1"], sha1_hex(&data));
    jspec().args(["validate", "-"]).stdin(to_imgadm.stdout.clone()).run().success();
    // Without the image there is no SHA-1 to write.
    jspec().args(["convert", "--to", "imgadm"]).arg(&ajspec).run().code(2).one_line_error("jspec");
    // An image that does not match the source's sum is a negative answer.
    let other = write(dir.path(), "other", b"other bytes");
    jspec()
        .args(["convert", "--to", "imgadm", "--image"])
        .arg(&other)
        .arg(&ajspec)
        .run()
        .code(1)
        .one_line_error("jspec");
    // Back to ajspec: the same block.
    let manifest = write(dir.path(), "m.json", &to_imgadm.stdout);
    let back = jspec()
        .args([
            "convert",
            "--to",
            "ajspec",
            "-a",
            "amd64",
            "--source",
            "https://m.example/web.appjail",
            "--image",
        ])
        .arg(&img)
        .arg(&manifest)
        .run();
    back.success().stdout_is(&made.stdout);
    let aci = jspec().args(["convert", "--to", "aci"]).arg(&ajspec).run();
    aci.success();
    let a: serde_json::Value = serde_json::from_slice(&aci.stdout).unwrap();
    assert_eq!(a["name"], "web");
    assert_eq!(
        a["labels"],
        serde_json::json!([
            {"name": "version", "value": "14.2"}, {"name": "os", "value": "freebsd"}, {"name": "arch", "value": "amd64"}
        ])
    );
    // Several tags: -t chooses.
    let python = shared_dir().join("corpus/ajspec/AppJail-makejails_python.ajspec");
    jspec().args(["convert", "--to", "aci"]).arg(&python).run().code(2).stderr_contains("-t");
    jspec()
        .args(["convert", "--to", "aci", "-t", "13.4-311"])
        .arg(&python)
        .run()
        .success()
        .stdout_contains("\"13.4-311\"");
}

// ---------------------------------------------------------------------------------------
// aci-id

#[test]
fn aci_id_hashes_the_uncompressed_tar() {
    if !common::have("tar") || !common::have("gzip") {
        return;
    }
    let dir = tempdir();
    fs::create_dir_all(dir.path().join("rootfs/bin")).unwrap();
    write(dir.path(), "rootfs/bin/hello", common::noise(200_000, 3));
    let manifest =
        jspec().args(["new", "--format", "aci", "--name", "example.com/hello", "--exec", "/bin/hello"]).run();
    write(dir.path(), "manifest", &manifest.stdout);
    common::sh(
        "tar -cf hello.tar manifest rootfs && gzip -c hello.tar > hello.aci && sha512sum hello.tar > sum",
    )
    .dir(dir.path())
    .run()
    .success();
    let sum = fs::read_to_string(dir.path().join("sum")).unwrap();
    let expected = format!("sha512-{}\n", sum.split_whitespace().next().unwrap());
    assert_eq!(expected.len(), 7 + 128 + 1);
    jspec().arg("aci-id").arg(dir.path().join("hello.tar")).run().success().stdout_is(&expected);
    jspec().arg("aci-id").arg(dir.path().join("hello.aci")).run().success().stdout_is(&expected);
    jspec()
        .args(["aci-id", "-"])
        .stdin_file(dir.path().join("hello.tar"))
        .run()
        .success()
        .stdout_is(&expected);
    // Not a tar: refused rather than a wrong ID.
    jspec().arg("aci-id").arg(dir.path().join("sum")).run().code(2).one_line_error("jspec");
    // Every compression an ACI may use decodes to the same tar, so to the same ID.
    for (tool, file) in [("xz", "hello.aci.xz"), ("bzip2", "hello.aci.bz2"), ("zstd", "hello.aci.zst")] {
        if common::have(tool) {
            common::sh(&format!("{tool} -c < hello.tar > {file}")).dir(dir.path()).run().success();
            jspec().arg("aci-id").arg(dir.path().join(file)).run().success().stdout_is(&expected);
        }
    }
    // A truncated compressed ACI is an error, never an ID of part of the tar.
    common::sh("head -c 100 hello.aci.xz > cut.aci").dir(dir.path()).run().success();
    jspec().arg("aci-id").arg(dir.path().join("cut.aci")).run().code(2).one_line_error("jspec");
}

/// Issue 18: `jspec aci-id --help` said "a plain tar or gzip-compressed; decompress other
/// formats first" while aci-id decodes every jcore codec.
#[test]
fn aci_id_help_still_says_only_tar_or_gzip() {
    let help = jspec().args(["aci-id", "--help"]).run();
    help.success();
    let text = help.stdout_str();
    assert!(!text.contains("decompress other formats first"), "{text}");
    for codec in ["gzip", "bzip2", "xz", "zstd", "lz4", "lzma"] {
        assert!(text.contains(codec), "aci-id --help does not name {codec}: {text}");
    }
    // And what it says holds: lz4 and lzma ACIs give the tar's ID too.
    let dir = tempdir();
    let tar = write(dir.path(), "plain.tar", tar_of_noise());
    let expected = jspec().arg("aci-id").arg(&tar).run().stdout;
    for (tool, file) in [("lz4", "a.aci.lz4"), ("lzma", "a.aci.lzma")] {
        if common::have(tool) {
            common::sh(&format!("{tool} -c < plain.tar > {file}")).dir(dir.path()).run().success();
            jspec().arg("aci-id").arg(dir.path().join(file)).run().success().stdout_is(&expected);
        }
    }
}

/// A small valid tar (one 512-byte header, data, two zero blocks) without calling tar.
fn tar_of_noise() -> Vec<u8> {
    let data = common::noise(3000, 9);
    let mut header = [0u8; 512];
    header[..4].copy_from_slice(b"file");
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    out.extend(&data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

// ---------------------------------------------------------------------------------------
// Bad input

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempdir();
    jspec()
        .args(["show", "/nonexistent/.ajspec"])
        .run()
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("No such file");
    let broken = write(dir.path(), "broken.json", "{\n  \"v\": 2,\n  \"uuid\" 1\n}\n");
    jspec()
        .arg("validate")
        .arg(&broken)
        .run()
        .code(2)
        .one_line_error("jspec")
        .stderr_contains("broken.json:3:");
    jspec()
        .args(["show", "--format", "imgadm"])
        .arg(shared_dir().join("corpus/ajspec/shen390s_login.ajspec"))
        .run()
        .code(2)
        .stderr_contains(":1:");
    jspec()
        .args(["get", "--format", "ajspec"])
        .arg(shared_dir().join("corpus/smartos/fauxnodejs-1.4.0.imgmanifest.json"))
        .arg("x")
        .run()
        .code(2);
    jspec().arg("bogus").run().code(2);
    jspec().args(["new", "--format", "imgadm", "--name", "x"]).run().code(2).one_line_error("jspec");
}

#[test]
fn json_edits_rewrite_only_the_values_concerned() {
    let dir = tempdir();
    let src = shared_dir().join("corpus/smartos/fauxnodejs-1.4.0.imgmanifest.json");
    let file = copy_in(dir.path(), &src);
    let original = fs::read_to_string(&file).unwrap();
    jspec()
        .arg("set")
        .arg(&file)
        .args(["version=1.5.0", "inherited_directories+=/opt/x", "requirements.min_ram=512"])
        .run()
        .success();
    jspec().arg("del").arg(&file).arg("billing_tags").run().success();
    let expected = original
        .replace("\"version\": \"1.4.0\"", "\"version\": \"1.5.0\"")
        .replace("      }\n    ]\n  },", "      }\n    ],\n    \"min_ram\": 512\n  },")
        .replace(
            "[\"/opt/node_service\"],\n  \"billing_tags\": [\"xxllpromo\"]",
            "[\"/opt/node_service\", \"/opt/x\"]",
        );
    // The blank line after "public" and the inline arrays survive.
    assert_eq!(fs::read_to_string(&file).unwrap(), expected);
    jspec().arg("validate").arg(&file).run().success();
}

#[test]
fn large_catalogue_is_not_quadratic() {
    // 5000 tags, 40000 rows: lookups once scanned the whole file per key (minutes).
    let dir = tempdir();
    let mut text = String::new();
    for i in 0..5000 {
        let t = format!("14.{i}");
        text.push_str(&format!(
            "tags+: {t}\n{t}.arch: amd64\n{t}.name: \"img\"\n{t}.timestamp.amd64: {}\n{t}.sum.amd64: {}\n\
             {t}.size.amd64: {}\n{t}.source.amd64: \"https://a.example/{t}\"\n{t}.source.amd64+: \"https://b.example/{t}\"\n",
            1_700_000_000 + i,
            sha256_hex(t.as_bytes()),
            1000 + i
        ));
    }
    let file = write(dir.path(), "big.ajspec", &text);
    let start = std::time::Instant::now();
    jspec().arg("validate").arg(&file).run().success();
    jspec().arg("info").arg(&file).run().success();
    jspec().args(["show", "--json"]).arg(&file).run().success();
    jspec().args(["set", "-t", "14.4999"]).arg(&file).arg("name=other").run().success();
    let elapsed = start.elapsed();
    assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
    assert!(fs::read_to_string(&file).unwrap().ends_with("14.4999.name: \"other\"\n"));
}

#[test]
fn info_summarises_each_format() {
    let corpus = shared_dir().join("corpus");
    jspec()
        .arg("info")
        .arg(corpus.join("ajspec/AppJail-makejails_hello.ajspec"))
        .run()
        .success()
        .stdout_contains("name:        hello\n")
        .stdout_contains("maintenance: no\n")
        .stdout_contains(
            "latest/i386: 456836 bytes, 2023-06-27T12:08:59Z, 2 source(s), sha256 \
             c4059f70eeebf09bb26a83b981683b16f3c8117476f0b1304c363a600d9d13a6\n",
        );
    jspec()
        .arg("info")
        .arg(corpus.join("ajspec/AppJail-makejails_nginx.ajspec"))
        .run()
        .success()
        .stdout_contains("maintenance: This image is uploading");
    jspec()
        .arg("info")
        .arg(corpus.join("smartos/649d6948-4f1d-11e8-8249-1b9928638559.incremental.imgmanifest.json"))
        .run()
        .success()
        .stdout_contains("uuid:         649d6948-4f1d-11e8-8249-1b9928638559\n")
        .stdout_contains("origin:       15963d90-61d7-4664-87a6-f56b16492d5a\n")
        .stdout_contains("file:         65 bytes, bzip2, sha1 f6217f583a64e1b39cea7a8700b96cbb2375bb23\n");
    jspec()
        .arg("info")
        .arg(corpus.join("appc-jetpack/appc-spec-examples-image.json"))
        .run()
        .success()
        .stdout_contains("name:        example.com/reduce-worker\n")
        .stdout_contains("label:       os=linux\n")
        .stdout_contains("exec:        /usr/bin/reduce-worker --quiet\n");
    jspec()
        .arg("info")
        .arg(corpus.join("pot/example_1.0.xz.meta"))
        .run()
        .success()
        .stdout_is("origin: - (plain image, not layered)\n");
}

// ---------------------------------------------------------------------------------------
// Layout (issue 18): args.rs is clap only, the work modules take the derived plan.

#[test]
fn jspec_args_rs_imports_nothing_from_the_tool_and_work_modules_never_see_clap() {
    let dir = common::repo_root().join("tools/jspec");
    let args = fs::read_to_string(dir.join("args.rs")).unwrap();
    assert!(!args.contains("crate::"), "args.rs must import nothing of jspec");
    for module in ["convert.rs", "create.rs", "doc.rs", "edit.rs", "report.rs"] {
        let text = fs::read_to_string(dir.join(module)).unwrap();
        for forbidden in ["crate::args", "NewArgs", "ConvertArgs", "use clap"] {
            assert!(!text.contains(forbidden), "{module} uses {forbidden}: work modules take the plan");
        }
    }
    let plan = fs::read_to_string(dir.join("plan.rs")).unwrap();
    for work in ["crate::convert", "crate::create", "crate::doc", "crate::edit", "crate::report"] {
        assert!(!plan.contains(work), "plan.rs imports {work}: a circle");
    }
}
