//! One registry as jfetch talks to it: requests over jfetch's HTTP client (its proxies and
//! trust), with the authentication the registry asks for, and its errors in one line.
//!
//! Authentication (distribution's token spec, docs/spec/auth/token.md): a request is sent
//! as it is; a 401 carries `WWW-Authenticate`. `Basic realm=…` means the registry takes the
//! credentials itself; `Bearer realm=URL,service=S,scope=…` means a token from URL
//! (`GET URL?service=S&scope=repository:REPO:pull,push`, with the credentials as Basic when
//! there are some, anonymous otherwise), sent as `Authorization: Bearer TOKEN`. The
//! credentials come from the reference's userinfo, then `JFETCH_CREDS` (USER:PASSWORD),
//! then netrc (the registry's host name), then the auth files of skopeo, podman and docker
//! ([`super::authfile`]). They go only over https unless `--plain-auth`,
//! as for any jfetch URL, and the Authorization header never follows a redirect to another
//! origin (blob GETs are redirected to storage by many registries).

use std::cell::RefCell;
use std::io::Read;
use std::time::Duration;

use anyhow::anyhow;
use ureq::http::Response;
use url::Url;

use crate::http::{self, MAX_REDIRECTS};
use crate::netrc;
use crate::source::{Access, OpenError, classify_ureq, retry_after};

/// The largest error body or token response read.
const MAX_SMALL_BODY: u64 = 1 << 20;

/// What a request sends.
pub enum Payload<'a> {
    /// Nothing.
    Empty,
    /// These bytes (a manifest).
    Bytes(&'a [u8]),
    /// `len` bytes from a reader (a blob or a chunk of one): sent once, never replayed.
    Stream(&'a mut dyn Read, u64),
}

/// A registry: `scheme://host[:port]`, the credentials for it, and the authorization
/// obtained so far.
pub struct Session {
    base: Url,
    /// `HOST[:PORT]`, for messages.
    pub host: String,
    credentials: Option<(String, String)>,
    /// The token scopes asked for (`repository:REPO:pull,push`).
    scopes: RefCell<Vec<String>>,
    authorization: RefCell<Option<String>>,
    retries: u32,
    retry_max_time: Duration,
    quiet: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.host)
    }
}

/// How a session is set up.
pub struct Settings {
    /// Plain http instead of https.
    pub plain_http: bool,
    /// Retries per request after a transient failure.
    pub retries: u32,
    /// The longest Retry-After granted, in all.
    pub retry_max_time: Duration,
    /// No warnings.
    pub quiet: bool,
}

impl Session {
    /// A session with `host` for these token scopes; credentials from the reference's
    /// userinfo (`user`, `password`), `JFETCH_CREDS`, netrc or an auth file.
    pub fn new(
        access: &Access,
        host: &str,
        repository: &str,
        userinfo: Option<&(String, Option<String>)>,
        scopes: Vec<String>,
        settings: &Settings,
    ) -> anyhow::Result<Session> {
        let scheme = if settings.plain_http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{host}/"))
            .map_err(|e| anyhow!("docker://{host}: not a registry address ({e})"))?;
        let name = base.host_str().unwrap_or_default().to_string();
        let from_env = || {
            std::env::var("JFETCH_CREDS").ok().filter(|v| !v.is_empty()).map(|v| match v.split_once(':') {
                Some((u, p)) => (u.to_string(), p.to_string()),
                None => (v, String::new()),
            })
        };
        let from_netrc =
            |login: Option<&str>| access.netrc.as_deref().and_then(|n| netrc::lookup(n, &name, login));
        let credentials = match userinfo {
            Some((user, Some(password))) => Some((user.clone(), password.clone())),
            Some((user, None)) => from_netrc(Some(user)),
            None => {
                from_env().or_else(|| from_netrc(None)).or_else(|| super::authfile::lookup(host, repository))
            }
        };
        Ok(Session {
            base,
            host: host.to_string(),
            credentials,
            scopes: RefCell::new(scopes),
            authorization: RefCell::new(None),
            retries: settings.retries,
            retry_max_time: settings.retry_max_time,
            quiet: settings.quiet,
        })
    }

    /// Asks for these token scopes too (`repository:OTHER:pull` for a mount).
    pub fn add_scopes(&self, scopes: &[String]) {
        let mut held = self.scopes.borrow_mut();
        for scope in scopes {
            if !held.contains(scope) {
                held.push(scope.clone());
            }
        }
    }

    /// Whether the registry is reached over https.
    pub fn is_https(&self) -> bool {
        self.base.scheme() == "https"
    }

    /// The URL of an API path (`v2/REPO/manifests/TAG`).
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("API paths are relative URLs")
    }

    /// A `Location` the registry gave, made absolute.
    pub fn join(&self, location: &str) -> Result<Url, OpenError> {
        self.base.join(location).map_err(|e| OpenError::Permanent(anyhow!("a malformed Location ({e})")))
    }

    /// One request, authenticated as the registry asks (a 401 is answered once with the
    /// credentials or a token, then the request is sent again; a stream is not replayed:
    /// the 401 is then a transient failure, so that the caller starts the upload over).
    pub fn send(
        &self,
        access: &Access,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        mut payload: Payload,
    ) -> Result<Response<ureq::Body>, OpenError> {
        let mut renewed = false;
        loop {
            let response = self.exchange(access, method, url, headers, &mut payload)?;
            if response.status().as_u16() != 401 {
                return Ok(response);
            }
            let sent = self.authorization.borrow().is_some();
            if renewed {
                return Err(OpenError::Permanent(self.refused(sent)));
            }
            let challenge = header(&response, "www-authenticate").unwrap_or_default();
            self.negotiate(access, &challenge, sent)?;
            renewed = true;
            if matches!(payload, Payload::Stream(..)) {
                return Err(OpenError::Transient(anyhow!("authorization renewed"), Some(Duration::ZERO)));
            }
        }
    }

    fn refused(&self, sent: bool) -> anyhow::Error {
        if sent && self.credentials.is_some() {
            anyhow!("authentication required (HTTP 401): the credentials were refused")
        } else if self.credentials.is_some() && !self.is_https() {
            anyhow!(
                "authentication required (HTTP 401): credentials not sent over plain http (--plain-auth sends them)"
            )
        } else {
            anyhow!(
                "authentication required (HTTP 401): no credentials (give them in the reference, JFETCH_CREDS, ~/.netrc or an auth file)"
            )
        }
    }

    /// Answers a challenge: Basic credentials, or a Bearer token from the realm.
    fn negotiate(&self, access: &Access, challenge: &str, sent: bool) -> Result<(), OpenError> {
        let (scheme, params) = parse_challenge(challenge);
        let allowed = |url: &Url| url.scheme() == "https" || access.plain_auth;
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => match &self.credentials {
                Some((user, password)) if allowed(&self.base) && !sent => {
                    *self.authorization.borrow_mut() = Some(http::basic(user, password));
                    Ok(())
                }
                _ => Err(OpenError::Permanent(self.refused(sent))),
            },
            "bearer" => {
                let realm = params
                    .iter()
                    .find(|(k, _)| k == "realm")
                    .map(|(_, v)| v.as_str())
                    .ok_or_else(|| OpenError::Permanent(anyhow!("a Bearer challenge without a realm")))?;
                let mut url = self.base.join(realm).map_err(|e| {
                    OpenError::Permanent(anyhow!("the token realm '{realm}' is not a URL ({e})"))
                })?;
                {
                    let mut query = url.query_pairs_mut();
                    if let Some((_, service)) = params.iter().find(|(k, _)| k == "service") {
                        query.append_pair("service", service);
                    }
                    let mut scopes = self.scopes.borrow().clone();
                    for (_, scope) in params.iter().filter(|(k, _)| k == "scope") {
                        if !scopes.contains(scope) {
                            scopes.push(scope.clone());
                        }
                    }
                    for scope in &scopes {
                        query.append_pair("scope", scope);
                    }
                }
                let login = self.credentials.as_ref().filter(|_| allowed(&url));
                let token = self.token(access, &url, login)?;
                *self.authorization.borrow_mut() = Some(format!("Bearer {token}"));
                Ok(())
            }
            "" => Err(OpenError::Permanent(anyhow!("HTTP 401 without a WWW-Authenticate challenge"))),
            other => Err(OpenError::Permanent(anyhow!(
                "HTTP 401 asks for '{other}' authentication, which jfetch does not speak"
            ))),
        }
    }

    /// A token from the realm.
    fn token(
        &self,
        access: &Access,
        url: &Url,
        login: Option<&(String, String)>,
    ) -> Result<String, OpenError> {
        let realm = format!("token server {}", url.origin().ascii_serialization());
        let mut headers = Vec::new();
        if let Some((user, password)) = login {
            headers.push(("Authorization", http::basic(user, password)));
        }
        let response =
            raw(access, "GET", url, &headers, &mut Payload::Empty, None).map_err(|e| prefix(e, &realm))?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            let why =
                if login.is_some() { "the credentials were refused" } else { "no credentials were sent" };
            return Err(OpenError::Permanent(anyhow!("{realm}: HTTP {status}: {why}")));
        }
        if status != 200 {
            return Err(prefix(failure(response), &realm));
        }
        let body = small_body(response);
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| OpenError::Permanent(anyhow!("{realm}: the token response is not JSON ({e})")))?;
        let token = value.get("token").or_else(|| value.get("access_token")).and_then(|t| t.as_str());
        match token {
            Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) => Ok(t.to_string()),
            _ => Err(OpenError::Permanent(anyhow!("{realm}: the token response holds no token"))),
        }
    }

    fn exchange(
        &self,
        access: &Access,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        payload: &mut Payload,
    ) -> Result<Response<ureq::Body>, OpenError> {
        let authorization = self.authorization.borrow().clone();
        let origin = self.base.origin();
        raw(access, method, url, headers, payload, authorization.map(|a| (a, origin)))
    }

    /// Tries `attempt` until it succeeds, retrying transient failures with backoff (or the
    /// Retry-After the registry asks for, up to the time allowed in all).
    pub fn retrying<T>(
        &self,
        what: &str,
        mut attempt: impl FnMut() -> Result<T, OpenError>,
    ) -> anyhow::Result<T> {
        let mut failures = 0;
        let mut paused = Duration::ZERO;
        loop {
            match attempt() {
                Ok(value) => return Ok(value),
                Err(OpenError::Permanent(e)) => return Err(e),
                Err(OpenError::RangeNotSatisfiable(_)) => {
                    return Err(anyhow!("range not satisfiable"));
                }
                Err(OpenError::Transient(e, asked)) => {
                    failures += 1;
                    if failures > self.retries {
                        return Err(e);
                    }
                    let pause = asked.unwrap_or_else(|| crate::fetch::backoff(failures));
                    if asked.is_some() && paused + pause > self.retry_max_time {
                        let max = self.retry_max_time.as_secs_f64();
                        return Err(anyhow!(
                            "{}; it asks to retry in {:.0}s, more than --retry-max-time {max:.0}s allows",
                            jcore::exit::message(e.as_ref()),
                            pause.as_secs_f64()
                        ));
                    }
                    paused += pause;
                    if !self.quiet && pause > Duration::ZERO {
                        eprintln!(
                            "jfetch: {}: {what}: {}; retry {failures}/{} in {:.1}s",
                            self.host,
                            jcore::exit::message(e.as_ref()),
                            self.retries,
                            pause.as_secs_f64()
                        );
                    }
                    std::thread::sleep(pause);
                }
            }
        }
    }
}

fn prefix(err: OpenError, what: &str) -> OpenError {
    match err {
        OpenError::Transient(e, wait) => {
            OpenError::Transient(anyhow!("{what}: {}", jcore::exit::message(e.as_ref())), wait)
        }
        OpenError::Permanent(e) => {
            OpenError::Permanent(anyhow!("{what}: {}", jcore::exit::message(e.as_ref())))
        }
        other => other,
    }
}

/// One HTTP exchange through jfetch's client, following redirects for GET and HEAD;
/// `authorization` goes only to its origin.
fn raw(
    access: &Access,
    method: &str,
    url: &Url,
    headers: &[(&str, String)],
    payload: &mut Payload,
    authorization: Option<(String, url::Origin)>,
) -> Result<Response<ureq::Body>, OpenError> {
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let host = url.host_str().unwrap_or_default().to_string();
        let route = access.client.route(url.scheme(), &host).map_err(OpenError::Permanent)?;
        let mut builder = ureq::http::Request::builder().method(method).uri(url.as_str());
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        if let Some(auth) = &route.proxy_authorization {
            builder = builder.header("Proxy-Authorization", auth);
        }
        if let Some((auth, origin)) = &authorization
            && url.origin() == *origin
        {
            builder = builder.header("Authorization", auth);
        }
        let bad = |e: ureq::http::Error| OpenError::Permanent(anyhow!("{e}"));
        let sent = match payload {
            Payload::Empty if matches!(method, "PUT" | "POST" | "PATCH") => {
                let request = builder.header("Content-Length", "0").body(&[][..]).map_err(bad)?;
                route.agent.run(request)
            }
            Payload::Empty => route.agent.run(builder.body(()).map_err(bad)?),
            Payload::Bytes(bytes) => {
                let request =
                    builder.header("Content-Length", bytes.len().to_string()).body(*bytes).map_err(bad)?;
                route.agent.run(request)
            }
            Payload::Stream(reader, len) => {
                let body = ureq::SendBody::from_reader(*reader);
                let request = builder.header("Content-Length", len.to_string()).body(body).map_err(bad)?;
                route.agent.run(request)
            }
        };
        let response = sent.map_err(|e| classify_ureq(e, route.proxy.as_ref()))?;
        let status = response.status().as_u16();
        if matches!(method, "GET" | "HEAD")
            && matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(location) = response.headers().get("location")
        {
            let location = String::from_utf8_lossy(location.as_bytes()).trim().to_string();
            let next = url
                .join(&location)
                .map_err(|e| OpenError::Permanent(anyhow!("HTTP {status} to a malformed Location ({e})")))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(OpenError::Permanent(anyhow!(
                    "HTTP {status} to a {}: URL refused (only http and https redirects are followed)",
                    next.scheme()
                )));
            }
            url = next;
            continue;
        }
        return Ok(response);
    }
    Err(OpenError::Permanent(anyhow!("more than {MAX_REDIRECTS} redirects")))
}

/// A response header as text.
pub fn header(response: &Response<ureq::Body>, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string())
}

/// A small body (an error, a token, a manifest is read elsewhere), at most 1 MiB.
pub fn small_body(response: Response<ureq::Body>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = response.into_body().into_reader().take(MAX_SMALL_BODY).read_to_end(&mut bytes);
    bytes
}

/// An unexpected status as an error: `HTTP 404 Not Found (MANIFEST_UNKNOWN: manifest
/// unknown)`, the registry's error codes from its JSON body (distribution-spec "Error
/// Codes"); 5xx, 408 and 429 transient with the Retry-After asked for.
pub fn failure(response: Response<ureq::Body>) -> OpenError {
    let status = response.status();
    let code = status.as_u16();
    let wait = header(&response, "retry-after").as_deref().and_then(retry_after);
    let body = small_body(response);
    let mut text = format!("HTTP {code} {}", status.canonical_reason().unwrap_or("")).trim_end().to_string();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(errors) = value.get("errors").and_then(|e| e.as_array())
    {
        let described: Vec<String> = errors
            .iter()
            .take(4)
            .map(|e| {
                let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
                let both = format!("{code}: {message}");
                both.trim_matches([':', ' ']).replace(['\n', '\r'], " ")
            })
            .filter(|s| !s.is_empty())
            .collect();
        if !described.is_empty() {
            text.push_str(&format!(" ({})", described.join("; ")));
        }
    }
    if status.is_server_error() || code == 408 || code == 429 {
        OpenError::Transient(anyhow!("{text}"), wait)
    } else {
        OpenError::Permanent(anyhow!("{text}"))
    }
}

/// `Scheme k=v, k="v"…` into the scheme and its parameters (RFC 9110 11.6.1; registries send
/// one challenge).
pub fn parse_challenge(text: &str) -> (String, Vec<(String, String)>) {
    let text = text.trim();
    let (scheme, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ',') {
            key.push(c);
        }
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.next_if(|c| *c != ',') {
                    value.push(c);
                }
            }
        }
        params.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    (scheme.to_string(), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_as_docker_hub_sends_it() {
        let (scheme, params) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(
            params,
            vec![
                ("realm".into(), "https://auth.docker.io/token".into()),
                ("service".into(), "registry.docker.io".into()),
                ("scope".into(), "repository:library/alpine:pull".into()),
            ]
        );
        let (scheme, params) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!((scheme.as_str(), params[0].1.as_str()), ("Basic", "basic-realm"));
    }
}
