//! What the JSON metadata formats (imgadm manifests, ACI manifests) share.
//!
//! - [`parse`]: a JSON object, with the 1-based line and column of any syntax error.
//! - Dotted paths: `files.0.sha1`, `requirements.min_platform.7.0`. A number indexes an
//!   array; at an object, a key containing dots (`"7.0"`) is found by joining components
//!   when no shorter key matches. [`get`], [`set`], [`append`], [`remove`].
//! - [`to_text`]: two-space pretty printing with a final LF. Key order is kept
//!   (serde_json `preserve_order`), so unknown-but-allowed fields survive a rewrite in
//!   place.
//!
//! This module knows nothing about what the fields mean; see [`super::imgadm`] and
//! [`super::aci`].

use serde_json::{Map, Value};

use super::SyntaxError;

/// Parses a JSON document whose top level must be an object.
pub fn parse(text: &[u8]) -> Result<Value, SyntaxError> {
    let value: Value = serde_json::from_slice(text).map_err(|e| {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the position is reported separately.
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        SyntaxError { line: e.line().max(1), column: e.column(), message }
    })?;
    if !value.is_object() {
        return Err(SyntaxError { line: 1, column: 1, message: "the top level is not a JSON object".into() });
    }
    Ok(value)
}

/// The document as written by jtools: pretty-printed with two spaces, final LF.
pub fn to_text(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a Value always serialises");
    text.push('\n');
    text
}

fn components(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// Finds the object key starting at component `i`: the single component when it exists,
/// else the shortest join of components that does. Returns the key and how many
/// components it used.
fn object_key(map: &Map<String, Value>, parts: &[&str]) -> Option<(String, usize)> {
    (1..=parts.len()).map(|n| (parts[..n].join("."), n)).find(|(key, _)| map.contains_key(key))
}

/// The value at a dotted path.
pub fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(root);
    }
    let parts = components(path);
    let mut current = root;
    let mut i = 0;
    while i < parts.len() {
        match current {
            Value::Object(map) => {
                let (key, used) = object_key(map, &parts[i..])?;
                current = &map[&key];
                i += used;
            }
            Value::Array(items) => {
                current = items.get(parts[i].parse::<usize>().ok()?)?;
                i += 1;
            }
            _ => return None,
        }
    }
    Some(current)
}

/// Why a path cannot be written.
pub type PathError = String;

/// The parent container of the last component, created as needed (missing components
/// become objects), and the last component.
fn parent_mut<'a>(root: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), PathError> {
    enum Step {
        Leaf(String),
        Descend(String, usize),
        Create(String),
        Index(usize),
    }
    let parts = components(path);
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("{path}: empty path component"));
    }
    let mut current = root;
    let mut i = 0;
    loop {
        let remaining = &parts[i..];
        let step = match &*current {
            Value::Object(map) => match object_key(map, remaining) {
                Some((key, used)) if used == remaining.len() => Step::Leaf(key),
                Some((key, used)) => Step::Descend(key, used),
                None if remaining.len() == 1 => Step::Leaf(remaining[0].to_string()),
                None => Step::Create(remaining[0].to_string()),
            },
            Value::Array(_) if remaining.len() == 1 => Step::Leaf(remaining[0].to_string()),
            Value::Array(items) => {
                let index: usize = remaining[0]
                    .parse()
                    .map_err(|_| format!("{path}: '{}' is not an array index", remaining[0]))?;
                if index >= items.len() {
                    return Err(format!("{path}: index {index} out of range ({} items)", items.len()));
                }
                Step::Index(index)
            }
            _ => return Err(format!("{path}: '{}' is inside a value that is not an object", remaining[0])),
        };
        current = match step {
            Step::Leaf(key) => return Ok((current, key)),
            Step::Descend(key, used) => {
                i += used;
                current.get_mut(&key).expect("key found above")
            }
            Step::Create(key) => {
                i += 1;
                let map = current.as_object_mut().expect("object above");
                map.entry(key).or_insert_with(|| Value::Object(Map::new()))
            }
            Step::Index(index) => {
                i += 1;
                current.get_mut(index).expect("index checked above")
            }
        };
    }
}

/// Sets the value at a dotted path, creating missing objects on the way; an array index
/// equal to the length appends. Returns whether the document changed.
pub fn set(root: &mut Value, path: &str, value: Value) -> Result<bool, PathError> {
    let (parent, last) = parent_mut(root, path)?;
    match parent {
        Value::Object(map) => {
            if map.get(&last) == Some(&value) {
                return Ok(false);
            }
            map.insert(last, value);
            Ok(true)
        }
        Value::Array(items) => {
            let index: usize = last.parse().map_err(|_| format!("{path}: '{last}' is not an array index"))?;
            if index == items.len() {
                items.push(value);
            } else if let Some(slot) = items.get_mut(index) {
                if *slot == value {
                    return Ok(false);
                }
                *slot = value;
            } else {
                return Err(format!("{path}: index {index} out of range ({} items)", items.len()));
            }
            Ok(true)
        }
        _ => Err(format!("{path}: parent is not an object or array")),
    }
}

/// Appends to the array at a dotted path (created when missing).
pub fn append(root: &mut Value, path: &str, value: Value) -> Result<(), PathError> {
    let (parent, last) = parent_mut(root, path)?;
    let slot = match parent {
        Value::Object(map) => map.entry(last).or_insert_with(|| Value::Array(Vec::new())),
        Value::Array(items) => {
            let index: usize = last.parse().map_err(|_| format!("{path}: '{last}' is not an array index"))?;
            let len = items.len();
            items.get_mut(index).ok_or_else(|| format!("{path}: index {index} out of range ({len} items)"))?
        }
        _ => return Err(format!("{path}: parent is not an object or array")),
    };
    match slot {
        Value::Array(items) => {
            items.push(value);
            Ok(())
        }
        _ => Err(format!("{path}: not an array ('+=' appends to arrays)")),
    }
}

/// Removes the value at a dotted path; returns it, or `None` when there was none.
pub fn remove(root: &mut Value, path: &str) -> Result<Option<Value>, PathError> {
    if get(root, path).is_none() {
        return Ok(None);
    }
    let (parent, last) = parent_mut(root, path)?;
    Ok(match parent {
        // shift_remove keeps the order of the remaining keys.
        Value::Object(map) => map.shift_remove(&last),
        Value::Array(items) => {
            let index: usize = last.parse().map_err(|_| format!("{path}: '{last}' is not an array index"))?;
            (index < items.len()).then(|| items.remove(index))
        }
        _ => None,
    })
}

/// Turns command-line text into a JSON value shaped like `like` (the value it replaces or
/// the type the field must have): strings stay strings (`version=1.0` is the string
/// "1.0"), numbers and booleans are parsed, anything else is read as JSON when it parses
/// and as a string otherwise.
pub fn value_from_text(text: &str, like: Option<&Value>) -> Result<Value, String> {
    match like {
        Some(Value::String(_)) => Ok(Value::String(text.to_string())),
        Some(Value::Number(_)) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Number(_)) => Ok(v),
            _ => Err(format!("'{text}' is not a number")),
        },
        Some(Value::Bool(_)) => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("'{text}' is not true or false")),
        },
        _ => Ok(serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_string()))),
    }
}

/// A value as `get` prints it: strings raw, arrays of scalars one per line, anything else
/// as compact JSON.
pub fn display_lines(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            items.iter().flat_map(display_lines).collect()
        }
        Value::Object(_) | Value::Array(_) => vec![serde_json::to_string(value).expect("serialises")],
        other => vec![other.to_string()],
    }
}

/// Every leaf as (`dotted.path`, compact value), in document order: the human-readable
/// `show` of a JSON document.
pub fn flatten(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten_into(value, String::new(), &mut out);
    out
}

fn flatten_into(value: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    let join = |key: &str| if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten_into(v, join(k), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten_into(v, join(&i.to_string()), out);
            }
        }
        Value::String(s) => out.push((prefix, s.clone())),
        other => out.push((prefix, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths() {
        let mut v = json!({"files": [{"sha1": "a"}], "requirements": {"min_platform": {"7.0": "x"}}});
        assert_eq!(get(&v, "files.0.sha1"), Some(&json!("a")));
        assert_eq!(get(&v, "requirements.min_platform.7.0"), Some(&json!("x")));
        assert!(!set(&mut v, "files.0.sha1", json!("a")).unwrap());
        assert!(set(&mut v, "requirements.min_platform.7.0", json!("y")).unwrap());
        assert_eq!(get(&v, "requirements.min_platform.7.0"), Some(&json!("y")));
        assert!(set(&mut v, "a.b", json!(1)).unwrap());
        assert_eq!(v["a"]["b"], json!(1));
        append(&mut v, "billing_tags", json!("t")).unwrap();
        assert_eq!(v["billing_tags"], json!(["t"]));
        assert_eq!(remove(&mut v, "files.0.sha1").unwrap(), Some(json!("a")));
        assert_eq!(remove(&mut v, "nothing.here").unwrap(), None);
        assert!(set(&mut v, "files.5", json!(1)).is_err());
    }

    #[test]
    fn errors_have_lines() {
        let err = parse(b"{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(parse(b"[1]").is_err());
    }

    #[test]
    fn typing_follows_the_old_value() {
        assert_eq!(value_from_text("1.0", Some(&json!("x"))).unwrap(), json!("1.0"));
        assert_eq!(value_from_text("12", Some(&json!(1))).unwrap(), json!(12));
        assert!(value_from_text("x", Some(&json!(1))).is_err());
        assert_eq!(value_from_text("true", None).unwrap(), json!(true));
        assert_eq!(value_from_text("a b", None).unwrap(), json!("a b"));
    }
}
