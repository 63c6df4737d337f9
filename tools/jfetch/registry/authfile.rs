//! Registry credentials from the files skopeo, podman, buildah and docker keep them in
//! (containers-auth.json(5)): `$REGISTRY_AUTH_FILE` when set, else
//! `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json` and
//! `~/.docker/config.json`, the first with an entry for the registry. Each holds
//! `{"auths": {"KEY": {"auth": "base64(user:password)"}}}`, KEY being `host[:port]`, a
//! repository prefix `host[:port]/namespace[/repo]` (the longest matching wins), or
//! docker's legacy `https://host[:port]` forms. Credential helpers (`credHelpers`,
//! `credsStore`) are programs jfetch does not run; an entry without `auth` is skipped.

use std::path::PathBuf;

use base64::Engine;
use serde_json::Value;

/// The files, in the order they are read.
fn files() -> Vec<PathBuf> {
    if let Some(file) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|f| !f.is_empty()) {
        return vec![PathBuf::from(file)];
    }
    let mut files = Vec::new();
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        files.push(PathBuf::from(run).join("containers/auth.json"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        files.push(home.join(".config/containers/auth.json"));
        files.push(home.join(".docker/config.json"));
    }
    files
}

/// The user and password for `repository` on `host` (`host[:port]`).
pub fn lookup(host: &str, repository: &str) -> Option<(String, String)> {
    files().into_iter().find_map(|file| {
        let text = std::fs::read(&file).ok()?;
        let value: Value = serde_json::from_slice(&text).ok()?;
        find(value.get("auths")?, host, repository)
    })
}

/// The entry for the longest key that names the repository, its namespace, or the host.
fn find(auths: &Value, host: &str, repository: &str) -> Option<(String, String)> {
    let mut keys = Vec::new();
    let mut path = format!("{host}/{repository}");
    loop {
        keys.push(path.clone());
        match path.rfind('/') {
            Some(slash) => path.truncate(slash),
            None => break,
        }
    }
    keys.push(format!("https://{host}"));
    keys.push(format!("https://{host}/v2/"));
    keys.push(format!("http://{host}"));
    keys.iter().find_map(|key| {
        let auth = auths.get(key)?.get("auth")?.as_str()?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(auth.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some((user.to_string(), password.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_key_wins_as_containers_auth_json_says() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let auths = serde_json::json!({
            "reg.example:5000": {"auth": b64("host:h")},
            "reg.example:5000/team": {"auth": b64("team:t")},
            "https://old.example": {"auth": b64("legacy:l")},
        });
        assert_eq!(find(&auths, "reg.example:5000", "team/app"), Some(("team".into(), "t".into())));
        assert_eq!(find(&auths, "reg.example:5000", "other/app"), Some(("host".into(), "h".into())));
        assert_eq!(find(&auths, "old.example", "app"), Some(("legacy".into(), "l".into())));
        assert_eq!(find(&auths, "none.example", "app"), None);
    }
}
