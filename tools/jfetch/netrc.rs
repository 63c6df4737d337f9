//! `~/.netrc` (or the file `$NETRC` names), read as curl reads it (lib/netrc.c): tokens
//! separated by white space, a token in double quotes may hold spaces and the escapes
//! `\"`, `\\`, `\n`, `\r`, `\t`; `machine NAME` starts an entry, `default` the entry for
//! every other host (it must come last), `login` and `password` fill it, `macdef` skips to
//! the next empty line, `account` is read and ignored. The first entry for the host wins;
//! with a login already in the URL only an entry with that login gives the password.
//! No crate reads netrc with curl's quoting (the `netrc` crates on crates.io stop at
//! spaces), so this is the 80 lines it takes.

use std::path::PathBuf;

/// Where the netrc file is: `$NETRC`, else `~/.netrc`.
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".netrc"))
}

/// The login and password for `host` (and `login`, when the URL has one).
pub fn lookup(text: &str, host: &str, login: Option<&str>) -> Option<(String, String)> {
    let tokens = tokenize(text);
    let mut entries: Vec<(Option<String>, Option<String>, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        let next = tokens.get(i + 1).cloned();
        match token {
            "machine" => {
                entries.push((Some(next.unwrap_or_default().to_ascii_lowercase()), None, None));
                i += 2;
            }
            "default" => {
                entries.push((None, None, None));
                i += 1;
            }
            "login" | "password" | "account" => {
                if let Some(entry) = entries.last_mut() {
                    match token {
                        "login" => entry.1 = next,
                        "password" => entry.2 = next,
                        _ => {}
                    }
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    let host = host.to_ascii_lowercase();
    entries
        .into_iter()
        .filter(|(machine, _, _)| machine.as_ref().is_none_or(|m| *m == host))
        .find(|(_, user, _)| login.is_none_or(|l| user.as_deref() == Some(l)))
        .map(|(_, user, password)| (user.unwrap_or_default(), password.unwrap_or_default()))
}

/// The tokens of a netrc text, `macdef` bodies removed.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut chars = line.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            if first == '#' && tokens.last().is_none_or(|t: &String| t != "password") {
                break; // a comment, unless it is a password starting with '#'
            }
            let mut token = String::new();
            if first == '"' {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => token.push('\n'),
                            Some('r') => token.push('\r'),
                            Some('t') => token.push('\t'),
                            Some(other) => token.push(other),
                            None => {}
                        },
                        c => token.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    token.push(c);
                }
            }
            tokens.push(token);
        }
        if tokens.last().is_some_and(|t| t == "macdef") {
            // The macro's name is on this line; its body runs to the next empty line.
            for body in lines.by_ref() {
                if body.trim().is_empty() {
                    break;
                }
            }
        }
    }
    // `macdef` and its name stay in the list; lookup skips words it does not know.
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_default_and_quoted_tokens() {
        let text = "machine a.example login alice password \"p a\\\"ss\"\n\
                    # a comment\n\
                    machine B.example\n  login bob\n  password #hash\n\
                    macdef init\ncd /pub\n\n\
                    default login anon password guest\n";
        assert_eq!(lookup(text, "a.example", None), Some(("alice".into(), "p a\"ss".into())));
        assert_eq!(lookup(text, "b.EXAMPLE", None), Some(("bob".into(), "#hash".into())));
        assert_eq!(lookup(text, "c.example", None), Some(("anon".into(), "guest".into())));
        assert_eq!(lookup(text, "a.example", Some("anon")), Some(("anon".into(), "guest".into())));
        assert_eq!(lookup("machine x login y password z", "other", None), None);
    }
}
