//! Property tests standing in for cargo-fuzz (which needs nightly): the .ajspec parser and
//! the JSON readers and validators never panic on random or mutated input, syntax errors
//! point at a line that exists, and what the writer emits reads back unchanged.

use std::path::PathBuf;

use jcore::format::ajspec::{self, Document};
use jcore::format::json_text::{self, Edit};
use jcore::format::{aci, imgadm, json};
use proptest::prelude::*;
use serde_json::Value;

/// Bytes biased towards what the tokenizer and line grammar treat specially.
fn ajspec_bytes() -> impl Strategy<Value = Vec<u8>> {
    let special = prop::sample::select(b"\"'\\ :+*#\n\r\t\0${}.-_aZ09".to_vec());
    prop::collection::vec(prop_oneof![4 => special, 1 => any::<u8>()], 0..300)
}

fn line_count(data: &[u8]) -> usize {
    data.split(|&c| c == b'\n').count()
}

fn check_ajspec(data: &[u8]) -> Result<(), TestCaseError> {
    match Document::parse_bytes(data) {
        Ok(doc) => {
            if !doc.had_crlf() {
                prop_assert_eq!(
                    doc.to_bytes(),
                    data.to_vec(),
                    "unchanged documents are written back byte for byte"
                );
            }
            let _ = doc.validate();
            for tag in doc.tags() {
                for arch in doc.arches(&tag) {
                    prop_assert!(doc.image(&tag, &arch).is_some());
                }
            }
        }
        Err(e) => {
            prop_assert!(
                e.line >= 1 && e.line <= line_count(data),
                "line {} of {}",
                e.line,
                line_count(data)
            );
            prop_assert!(e.column >= 1);
        }
    }
    Ok(())
}

/// Random edits of a real file: replace, insert or delete a byte at some position.
fn mutate(mut data: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, kind, byte) in edits {
        if data.is_empty() {
            data.push(byte);
            continue;
        }
        let at = at % data.len();
        match kind % 3 {
            0 => data[at] = byte,
            1 => data.insert(at, byte),
            _ => {
                data.remove(at);
            }
        }
    }
    data
}

fn shared() -> PathBuf {
    std::env::var_os("JTOOLS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

fn corpus_files(ext: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["ajspec", "smartos", "appc-jetpack"] {
        let Ok(entries) = std::fs::read_dir(shared().join("corpus").join(dir)) else { continue };
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == ext) {
                out.push(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

fn check_json(data: &[u8]) -> Result<(), TestCaseError> {
    match json::parse(data) {
        Ok(v) => check_value(&v)?,
        Err(e) => prop_assert!(e.line >= 1 && e.line <= line_count(data)),
    }
    Ok(())
}

fn check_value(v: &Value) -> Result<(), TestCaseError> {
    let _ = imgadm::Manifest::from_value(v.clone()).validate();
    let _ = imgadm::upgrade_v1(v);
    let _ = aci::validate(v);
    let mut copy = v.clone();
    for path in ["files.0.sha1", "a.b.c", "requirements.min_platform.7.0", "0", "labels.1.value", ".", "x..y"]
    {
        let _ = json::get(v, path);
        let _ = json::set(&mut copy, path, Value::from(1));
        let _ = json::append(&mut copy, path, Value::from(1));
        let _ = json::remove(&mut copy, path);
    }
    let _ = json::flatten(v);
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9.:/ -]{0,12}".prop_map(Value::from),
        prop::sample::select(vec!["zvol", "smartos", "2", "ImageManifest", "0.8.11", "true"])
            .prop_map(Value::from),
    ];
    let keys = prop::sample::select(vec![
        "v",
        "uuid",
        "name",
        "version",
        "type",
        "os",
        "files",
        "sha1",
        "size",
        "compression",
        "requirements",
        "min_platform",
        "networks",
        "users",
        "acKind",
        "acVersion",
        "labels",
        "app",
        "exec",
        "user",
        "value",
        "creator_uuid",
        "image_size",
        "state",
        "error",
        "tags",
        "eventHandlers",
        "dependencies",
    ]);
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn ajspec_random_bytes(data in ajspec_bytes()) {
        check_ajspec(&data)?;
    }

    #[test]
    fn ajspec_mutated_corpus(
        pick in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(b"\"'\\ :+\n\r\0#xa".to_vec())), 1..6),
    ) {
        let files = corpus_files("ajspec");
        prop_assume!(!files.is_empty());
        check_ajspec(&mutate(files[pick % files.len()].clone(), &edits))?;
    }

    #[test]
    fn ajspec_written_values_read_back(value in "[^\n\r\u{0}]{1,40}", bare in "[0-9]{1,12}") {
        prop_assume!(!value.trim().is_empty());
        let mut doc = Document::parse("# keep me\ntags: 1\n").unwrap();
        let key = "1.source.amd64";
        prop_assert_eq!(ajspec::check_value(key, &value, false), Ok(value.clone()));
        doc.set(key, &value);
        doc.append(key, &value);
        doc.set("1.size.amd64", &bare);
        let text = doc.to_bytes();
        let again = Document::parse_bytes(&text).unwrap();
        prop_assert_eq!(again.list(key), vec![value.as_str(), value.as_str()]);
        prop_assert_eq!(again.scalar("1.size.amd64"), Some(bare.as_str()));
        prop_assert!(text.starts_with(b"# keep me\ntags: 1\n"));
    }

    #[test]
    fn json_random_bytes(data in prop::collection::vec(prop_oneof![
        3 => prop::sample::select(b"{}[]\":,0123456789.-eE \ntrufalsn\\".to_vec()),
        1 => any::<u8>(),
    ], 0..200)) {
        check_json(&data)?;
    }

    #[test]
    fn json_mutated_corpus(
        pick in any::<usize>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), prop::sample::select(b"{}[]\":,0 \n\\a".to_vec())), 1..6),
    ) {
        let files = corpus_files("json");
        prop_assume!(!files.is_empty());
        check_json(&mutate(files[pick % files.len()].clone(), &edits))?;
    }

    #[test]
    fn json_random_values(v in json_value()) {
        check_value(&v)?;
    }

    #[test]
    fn json_text_edits_agree_with_value_edits(pick in any::<usize>(), leaf in any::<usize>(), op in 0u8..3, n in any::<i64>()) {
        let files = corpus_files("json");
        prop_assume!(!files.is_empty());
        let text = String::from_utf8(files[pick % files.len()].clone()).unwrap();
        let mut value = json::parse(text.as_bytes()).unwrap();
        let leaves = json::flatten(&value);
        let path = leaves[leaf % leaves.len()].0.clone();
        let new = Value::from(n);
        let edit = match op {
            0 => {
                json::set(&mut value, &path, new.clone()).unwrap();
                json_text::steps(&value, &path).map(|s| Edit::Set(s, new))
            }
            1 => {
                let steps = json_text::steps(&value, &path);
                json::remove(&mut value, &path).unwrap();
                steps.map(Edit::Remove)
            }
            _ => {
                let parent = path.rsplit_once('.').map_or("", |(p, _)| p).to_string();
                prop_assume!(json::get(&value, &parent).is_some_and(Value::is_array));
                json::append(&mut value, &parent, new.clone()).unwrap();
                json_text::steps(&value, &parent).map(|s| Edit::Append(s, new))
            }
        };
        if let Some(edited) = edit.and_then(|e| json_text::apply(&text, &e)) {
            prop_assert_eq!(json::parse(edited.as_bytes()).unwrap(), value);
        }
    }

    #[test]
    fn ajspec_edit_sequences_match_a_fresh_parse(
        ops in prop::collection::vec((0u8..4, prop::sample::select(vec!["tags", "1.arch", "1.name", "1.source.amd64", "x.y"]), "[a-z0-9]{1,6}"), 1..12),
    ) {
        let mut doc = Document::parse("# c\ntags: 1\n1.arch: amd64\n\n1.source.amd64: \"u\"\n").unwrap();
        for (op, key, value) in ops {
            match op {
                0 => { doc.set(key, &value); }
                1 if ajspec::is_list_key(key) => { doc.append(key, &value); }
                2 => { doc.delete(key); }
                _ => { doc.update(key, &[value.as_str(), "second"]); }
            }
            let fresh = Document::parse_bytes(&doc.to_bytes()).unwrap();
            for k in ["tags", "1.arch", "1.name", "1.source.amd64", "x.y"] {
                prop_assert_eq!(doc.get(k), fresh.get(k), "key {}", k);
                prop_assert_eq!(doc.rows_of(k).collect::<Vec<_>>(), fresh.rows_of(k).collect::<Vec<_>>());
            }
        }
    }
}
