//! Editing JSON text in place, so that a change rewrites only the bytes of the value
//! concerned: indentation, blank lines, inline arrays and key order of everything else
//! stay as the author wrote them.
//!
//! [`apply`] takes the text and one [`Edit`] (addressed by concrete [`Step`]s, found with
//! [`steps`] on the parsed value) and returns the edited text, or `None` when the edit
//! needs a shape it does not handle (a new nested object, an insertion into an empty
//! object). Callers then fall back to pretty-printing the whole value, and should compare
//! the result of `apply` with the value they expect before trusting it.

use serde_json::Value;

/// One step of a resolved path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A change to make to the text.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Replace the value at the path, or add it as a new member of an existing, non-empty
    /// object (or as the next element of an array).
    Set(Vec<Step>, Value),
    /// Append to the array at the path.
    Append(Vec<Step>, Value),
    /// Remove the member or element at the path.
    Remove(Vec<Step>),
}

/// The concrete steps of a dotted path in `root`, resolved as [`super::json::get`] does
/// (keys with dots are found by joining components).
pub fn steps(root: &Value, path: &str) -> Option<Vec<Step>> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    let mut current = root;
    let mut i = 0;
    while i < parts.len() {
        match current {
            Value::Object(map) => {
                let (key, used) = (1..=parts.len() - i)
                    .map(|n| (parts[i..i + n].join("."), n))
                    .find(|(key, _)| map.contains_key(key))?;
                current = &map[&key];
                out.push(Step::Key(key));
                i += used;
            }
            Value::Array(items) => {
                let index: usize = parts[i].parse().ok()?;
                current = items.get(index)?;
                out.push(Step::Index(index));
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

struct Node {
    start: usize,
    end: usize,
    kind: Kind,
}

enum Kind {
    Scalar,
    Object(Vec<Member>),
    Array(Vec<Node>),
}

struct Member {
    key: String,
    key_start: usize,
    value: Node,
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    fn string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_space();
        let start = self.at;
        let kind = match self.peek()? {
            b'{' => Kind::Object(self.object()?),
            b'[' => Kind::Array(self.array()?),
            b'"' => {
                self.string()?;
                Kind::Scalar
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                {
                    self.at += 1;
                }
                if self.at == start {
                    return None;
                }
                Kind::Scalar
            }
        };
        Some(Node { start, end: self.at, kind })
    }

    fn object(&mut self) -> Option<Vec<Member>> {
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.skip_space();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(members);
        }
        loop {
            self.skip_space();
            let key_start = self.at;
            self.string()?;
            let key: String = serde_json::from_slice(&self.text[key_start..self.at]).ok()?;
            self.skip_space();
            self.expect(b':')?;
            let value = self.value()?;
            members.push(Member { key, key_start, value });
            self.skip_space();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(members);
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<Vec<Node>> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(items);
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }
}

fn child<'n>(node: &'n Node, step: &Step) -> Option<&'n Node> {
    match (&node.kind, step) {
        (Kind::Object(members), Step::Key(k)) => members.iter().find(|m| &m.key == k).map(|m| &m.value),
        (Kind::Array(items), Step::Index(i)) => items.get(*i),
        _ => None,
    }
}

fn walk<'n>(root: &'n Node, steps: &[Step]) -> Option<&'n Node> {
    steps.iter().try_fold(root, child)
}

/// The separator before a new member or element placed after one that starts at
/// `start`: a newline and the same indentation when the existing one is on its own line.
fn separator(text: &str, start: usize) -> String {
    let before = &text[..start];
    let indent_len = before.len() - before.trim_end_matches([' ', '\t']).len();
    if before[..before.len() - indent_len].ends_with('\n') {
        format!(",\n{}", &before[before.len() - indent_len..])
    } else {
        ", ".to_string()
    }
}

fn splice(text: &str, start: usize, end: usize, with: &str) -> String {
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// Applies one edit to JSON `text` (module docs); `None` when it cannot be done in place.
pub fn apply(text: &str, edit: &Edit) -> Option<String> {
    let root = Scanner { text: text.as_bytes(), at: 0 }.value()?;
    let compact = |v: &Value| serde_json::to_string(v).ok();
    match edit {
        Edit::Set(steps, value) => {
            if let Some(node) = walk(&root, steps) {
                return Some(splice(text, node.start, node.end, &compact(value)?));
            }
            let (last, parent_steps) = steps.split_last()?;
            let parent = walk(&root, parent_steps)?;
            match (&parent.kind, last) {
                (Kind::Object(members), Step::Key(key)) => {
                    let prev = members.last()?;
                    let member = format!("{}: {}", compact(&Value::String(key.clone()))?, compact(value)?);
                    let insert = format!("{}{member}", separator(text, prev.key_start));
                    Some(splice(text, prev.value.end, prev.value.end, &insert))
                }
                (Kind::Array(items), Step::Index(i)) if *i == items.len() => {
                    append_item(text, parent, items, value)
                }
                _ => None,
            }
        }
        Edit::Append(steps, value) => {
            let node = walk(&root, steps)?;
            match &node.kind {
                Kind::Array(items) => append_item(text, node, items, value),
                _ => None,
            }
        }
        Edit::Remove(steps) => {
            let (last, parent_steps) = steps.split_last()?;
            let parent = walk(&root, parent_steps)?;
            // (start of each entry, end of each entry's value)
            let spans: Vec<(usize, usize)> = match (&parent.kind, last) {
                (Kind::Object(members), Step::Key(_)) => {
                    members.iter().map(|m| (m.key_start, m.value.end)).collect()
                }
                (Kind::Array(items), Step::Index(_)) => items.iter().map(|n| (n.start, n.end)).collect(),
                _ => return None,
            };
            let index = match (&parent.kind, last) {
                (Kind::Object(members), Step::Key(k)) => members.iter().position(|m| &m.key == k)?,
                (_, Step::Index(i)) if *i < spans.len() => *i,
                _ => return None,
            };
            let (start, end) = if spans.len() == 1 {
                (parent.start + 1, parent.end - 1)
            } else if index > 0 {
                (spans[index - 1].1, spans[index].1)
            } else {
                (spans[0].0, spans[1].0)
            };
            Some(splice(text, start, end, ""))
        }
    }
}

fn append_item(text: &str, array: &Node, items: &[Node], value: &Value) -> Option<String> {
    let value = serde_json::to_string(value).ok()?;
    match items.last() {
        Some(last) => {
            Some(splice(text, last.end, last.end, &format!("{}{value}", separator(text, last.start))))
        }
        None => Some(splice(text, array.start + 1, array.end - 1, &value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEXT: &str = "{\n  \"v\": 2,\n\n  \"files\": [ {\"sha1\": \"a\", \"size\": 1} ],\n  \"tags\": [\"x\"],\n  \"o\": {}\n}\n";

    fn edit(e: Edit) -> String {
        apply(TEXT, &e).unwrap()
    }

    #[test]
    fn edits_touch_only_their_bytes() {
        let k = |s: &str| Step::Key(s.into());
        assert_eq!(
            edit(Edit::Set(vec![k("files"), Step::Index(0), k("size")], json!(99))),
            TEXT.replace("\"size\": 1", "\"size\": 99")
        );
        assert_eq!(
            edit(Edit::Set(vec![k("name")], json!("n"))),
            TEXT.replace("\"o\": {}", "\"o\": {},\n  \"name\": \"n\"")
        );
        assert_eq!(
            edit(Edit::Append(vec![k("tags")], json!("y"))),
            TEXT.replace("[\"x\"]", "[\"x\", \"y\"]")
        );
        assert_eq!(edit(Edit::Remove(vec![k("v")])), TEXT.replace("\"v\": 2,\n\n  ", ""));
        assert_eq!(edit(Edit::Remove(vec![k("tags")])), TEXT.replace(",\n  \"tags\": [\"x\"]", ""));
        assert_eq!(edit(Edit::Remove(vec![k("tags"), Step::Index(0)])), TEXT.replace("[\"x\"]", "[]"));
        assert!(apply(TEXT, &Edit::Set(vec![k("o"), k("a")], json!(1))).is_none());
    }

    #[test]
    fn steps_join_dotted_keys() {
        let v = json!({"r": {"m": {"7.0": "x"}}, "f": [1]});
        assert_eq!(
            steps(&v, "r.m.7.0").unwrap(),
            [Step::Key("r".into()), Step::Key("m".into()), Step::Key("7.0".into())]
        );
        assert_eq!(steps(&v, "f.0").unwrap(), [Step::Key("f".into()), Step::Index(0)]);
        assert!(steps(&v, "f.1").is_none());
    }
}
