//! Sources: where the bytes come from (an http(s) URL, a file:// URL or a plain path), and
//! what one request for "the file from byte N on" returns, classified for the retry policy.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use std::time::{Duration, SystemTime};

use anyhow::anyhow;
use percent_encoding::percent_decode_str;
use ureq::http::Response;
use url::Url;

use crate::http::DnsFailure;
use crate::http::{self, Client, MAX_REDIRECTS};
use crate::netrc;
use crate::proxy::Proxy;
use crate::tls::TlsFailure;

/// One place the file can be fetched from.
#[derive(Clone, Debug)]
pub enum Source {
    /// An http:// or https:// URL.
    Http(HttpSource),
    /// A local file (file:// URL or plain path).
    File(PathBuf),
    /// A source that opens itself (a blob in a registry, [`crate::registry`]): the retries,
    /// resume and verification of [`crate::fetch`] apply to it as to a URL.
    Origin(std::rc::Rc<dyn Origin>),
}

/// What a [`Source::Origin`] does: one request for the file from byte `offset` on.
pub trait Origin: fmt::Debug {
    /// Asks for the file from byte `offset` on.
    fn open(&self, access: &Access, offset: u64) -> Result<Body, OpenError>;
    /// How it is named in messages (no credentials).
    fn name(&self) -> String;
}

/// An http(s) URL, its credentials kept apart so that nothing prints them.
#[derive(Clone)]
pub struct HttpSource {
    /// The URL without userinfo.
    url: Url,
    /// User and password from the URL's userinfo, percent-decoded (RFC 3986 3.2.1).
    credentials: Option<(String, Option<String>)>,
}

impl fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

/// What requests need besides the URL: the agents, netrc, the plain-http auth policy.
pub struct Access {
    /// The agents.
    pub client: Client,
    /// The netrc text, when there is one to read.
    pub netrc: Option<String>,
    /// Send Basic credentials over plain http too (`--plain-auth`).
    pub plain_auth: bool,
}

impl Source {
    /// Parses a command-line SOURCE. Other URL schemes are refused rather than read as
    /// paths, so that a typo like `htps://` is not reported as a missing file.
    pub fn parse(text: &str) -> anyhow::Result<Source> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let mut url = Url::parse(text).map_err(|e| anyhow!("{}: not a URL ({e})", redact(text)))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(anyhow!("{}: the URL names no host", redact(text)));
            }
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            let credentials = (!url.username().is_empty() || url.password().is_some())
                .then(|| (decode(url.username()), url.password().map(decode)));
            let _ = url.set_username("");
            let _ = url.set_password(None);
            return Ok(Source::Http(HttpSource { url, credentials }));
        }
        if lower.starts_with("file://") {
            // file:///abs/path or file://localhost/abs/path; no percent-decoding of names.
            let rest = &text["file://".len()..];
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(anyhow!("{text}: a file:// URL needs an absolute path"));
            }
            return Ok(Source::File(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://")
            && !scheme.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(anyhow!(
                "{}: unsupported scheme '{scheme}' (http, https, file or a path)",
                redact(text)
            ));
        }
        Ok(Source::File(PathBuf::from(text)))
    }

    /// Whether this is an https:// URL.
    pub fn is_https(&self) -> bool {
        matches!(self, Source::Http(s) if s.url.scheme() == "https")
    }

    /// Asks for the file from byte `offset` on (the whole file when 0). With `if_range`
    /// (the validator of the response the held bytes came from), a server whose file has
    /// changed since sends the whole new file instead of a range of it.
    pub fn open(&self, access: &Access, offset: u64, if_range: Option<&str>) -> Result<Body, OpenError> {
        match self {
            Source::Http(source) => open_http(access, source, offset, if_range),
            Source::File(path) => open_file(path, offset),
            Source::Origin(origin) => origin.open(access, offset),
        }
    }

    /// The file's size as a HEAD (or the file system) tells it, when a ranged request did
    /// not say (a 416 without Content-Range, as lighttpd and apache send).
    pub fn total(&self, access: &Access) -> Option<u64> {
        match self {
            Source::Http(source) => {
                let response = send(access, source, "HEAD", 0, None).ok()?;
                if response.status().as_u16() != 200 {
                    return None;
                }
                response.headers().get("content-length")?.to_str().ok()?.trim().parse().ok()
            }
            Source::File(path) => std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len()),
            Source::Origin(_) => None,
        }
    }
}

/// A URL as it may be shown: userinfo removed.
pub fn redact(text: &str) -> String {
    match text.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => text.to_string(),
            }
        }
        None => text.to_string(),
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Http(source) => f.write_str(source.url.as_str()),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Origin(origin) => f.write_str(&origin.name()),
        }
    }
}

/// What a source sent back.
pub struct Body {
    /// The bytes, from `start` on.
    pub reader: Box<dyn Read>,
    /// Offset in the file of the first byte `reader` yields: the offset asked for when the
    /// range was honoured, 0 when the server sent the whole file instead (200 for a Range).
    pub start: u64,
    /// The size of the whole file, when the source said it.
    pub total: Option<u64>,
    /// What identifies this version of the file (a strong ETag, else Last-Modified).
    pub validator: Option<String>,
}

/// Why a request failed, which decides what happens next.
#[derive(Debug)]
pub enum OpenError {
    /// Worth another try on the same source after a pause (refused, reset, timeout, 5xx);
    /// the pause the server asked for (Retry-After), when it did.
    Transient(anyhow::Error, Option<Duration>),
    /// This source will not serve the file (4xx, TLS failure, missing file): next source.
    Permanent(anyhow::Error),
    /// 416: nothing at or after the offset; carries the file size when the server said it.
    RangeNotSatisfiable(Option<u64>),
}

/// One request, following redirects (each hop with its own proxy and credentials).
fn send(
    access: &Access,
    source: &HttpSource,
    method: &str,
    offset: u64,
    if_range: Option<&str>,
) -> Result<Response<ureq::Body>, OpenError> {
    let mut url = source.url.clone();
    let origin = url.origin();
    for _ in 0..=MAX_REDIRECTS {
        let host = url.host_str().unwrap_or_default().to_string();
        let route = access.client.route(url.scheme(), &host).map_err(OpenError::Permanent)?;
        let mut request = ureq::http::Request::builder().method(method).uri(url.as_str());
        if offset > 0 {
            request = request.header("Range", format!("bytes={offset}-"));
            if let Some(validator) = if_range {
                request = request.header("If-Range", validator);
            }
        }
        if let Some(auth) = &route.proxy_authorization {
            request = request.header("Proxy-Authorization", auth);
        }
        // The URL's own credentials go only to its own origin (curl without
        // --location-trusted); netrc's go to the host they are written for.
        let login = source.credentials.as_ref().filter(|_| url.origin() == origin);
        let credentials = match login {
            Some((user, Some(password))) => Some((user.clone(), password.clone())),
            Some((user, None)) => access.netrc.as_deref().and_then(|n| netrc::lookup(n, &host, Some(user))),
            None => access.netrc.as_deref().and_then(|n| netrc::lookup(n, &host, None)),
        };
        let mut withheld = false;
        if let Some((user, password)) = &credentials {
            if url.scheme() == "https" || access.plain_auth {
                request = request.header("Authorization", http::basic(user, password));
            } else {
                withheld = true;
            }
        }
        let request = request.body(()).map_err(|e| OpenError::Permanent(anyhow!("{e}")))?;
        let response = route.agent.run(request).map_err(|e| classify_ureq(e, route.proxy.as_ref()))?;
        let status = response.status().as_u16();
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(location) = response.headers().get("location")
        {
            // Bytes, not text: a Location with raw spaces or UTF-8 is still a place to go.
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
            let _ = url.set_username("");
            let _ = url.set_password(None);
            continue;
        }
        if status == 401 {
            let why = if withheld {
                "credentials not sent over plain http (--plain-auth sends them)"
            } else if credentials.is_some() {
                "the credentials were refused"
            } else {
                "no credentials (give them in the URL or ~/.netrc)"
            };
            return Err(OpenError::Permanent(anyhow!("authentication required (HTTP 401): {why}")));
        }
        if status == 407 {
            let via = route.proxy.as_ref().map_or(String::new(), |p| format!(" by {p}"));
            return Err(OpenError::Permanent(anyhow!(
                "proxy authentication required (HTTP 407){via}: give user:password in the proxy URL"
            )));
        }
        return Ok(response);
    }
    Err(OpenError::Permanent(anyhow!("more than {MAX_REDIRECTS} redirects")))
}

fn open_http(
    access: &Access,
    source: &HttpSource,
    offset: u64,
    if_range: Option<&str>,
) -> Result<Body, OpenError> {
    let response = send(access, source, "GET", offset, if_range)?;
    into_body(response, offset)
}

/// A response to a GET for the file from byte `offset` on, read as [`Source::open`]
/// answers: 200 and 206 give the body, 416 says where the file ends, 5xx, 408 and 429 are
/// transient (with the Retry-After asked for), other statuses permanent.
pub fn into_body(response: Response<ureq::Body>, offset: u64) -> Result<Body, OpenError> {
    let status = response.status();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    // A weak ETag may not be used in If-Range (RFC 9110 13.1.5).
    let validator = header("etag").filter(|e| !e.starts_with("W/")).or_else(|| header("last-modified"));
    match status.as_u16() {
        200 => {
            let total = response.body().content_length();
            Ok(Body { reader: Box::new(response.into_body().into_reader()), start: 0, total, validator })
        }
        206 => {
            let range = header("content-range")
                .as_deref()
                .and_then(ContentRange::parse)
                .ok_or_else(|| OpenError::Permanent(anyhow!("206 without a valid Content-Range")))?;
            if range.start > offset {
                return Err(OpenError::Permanent(anyhow!(
                    "asked for bytes from {offset}, got a range starting at {}",
                    range.start
                )));
            }
            let reader = Box::new(response.into_body().into_reader());
            Ok(Body { reader, start: range.start, total: range.total, validator })
        }
        416 => {
            let total =
                header("content-range").as_deref().and_then(ContentRange::parse).and_then(|r| r.total);
            Err(OpenError::RangeNotSatisfiable(total))
        }
        code => {
            let reason = status.canonical_reason().unwrap_or("");
            let text = format!("HTTP {code} {reason}");
            let text = text.trim_end();
            if status.is_server_error() || code == 408 || code == 429 {
                let wait = header("retry-after").as_deref().and_then(retry_after);
                Err(OpenError::Transient(anyhow!("{text}"), wait))
            } else {
                Err(OpenError::Permanent(anyhow!("{text}")))
            }
        }
    }
}

/// A Retry-After value: seconds, or an HTTP date (RFC 9110 10.2.3).
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::try_from(SystemTime::now()).ok()?;
    let secs = (when.as_millisecond() - now.as_millisecond()).max(0);
    Some(Duration::from_millis(secs as u64))
}

/// Splits ureq's errors into worth-retrying and not, in words that say what failed.
pub fn classify_ureq(err: ureq::Error, proxy: Option<&Proxy>) -> OpenError {
    use ureq::Error as E;
    let via = |text: String| match proxy {
        Some(p) => format!("proxy {p}: {text}"),
        None => text,
    };
    let tls = match &err {
        E::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<TlsFailure>()).map(|t| t.0.clone()),
        _ => None,
    };
    if let Some(text) = tls {
        return OpenError::Permanent(anyhow!("TLS: {text}"));
    }
    if let E::Io(io) = &err
        && let Some(dns) = io.get_ref().and_then(|i| i.downcast_ref::<DnsFailure>())
    {
        let err = anyhow!("{}", via(dns.to_string()));
        return if dns.transient { OpenError::Transient(err, None) } else { OpenError::Permanent(err) };
    }
    let permanent = match &err {
        E::HostNotFound => return OpenError::Permanent(anyhow!("{}", via("host not found (DNS)".into()))),
        E::ConnectProxyFailed(why) => {
            return OpenError::Permanent(anyhow!("{}", via(format!("refused the tunnel (CONNECT): {why}"))));
        }
        E::BadUri(_)
        | E::Http(_)
        | E::TooManyRedirects
        | E::RedirectFailed
        | E::InvalidProxyUrl
        | E::Tls(_)
        | E::Pem(_)
        | E::Rustls(_) => true,
        E::Io(io) => io.kind() == io::ErrorKind::InvalidData,
        _ => false,
    };
    let err = anyhow!("{}", via(describe_ureq(&err)));
    if permanent { OpenError::Permanent(err) } else { OpenError::Transient(err, None) }
}

/// ureq's error in words that fit `source: why` (its own texts start with `io: `,
/// `timeout: per read`...).
pub fn describe_ureq(err: &ureq::Error) -> String {
    use ureq::Timeout as T;
    match err {
        ureq::Error::Io(io) => describe_io(io),
        ureq::Error::Timeout(T::PerRead) => "stalled: no data within the --timeout".into(),
        ureq::Error::Timeout(T::Connect) => "connection timed out (--timeout)".into(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        other => other.to_string(),
    }
}

/// An I/O error from a body read, which may carry a ureq error inside.
pub fn describe_io(err: &io::Error) -> String {
    match err.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()) {
        Some(inner) => describe_ureq(inner),
        None => jcore::exit::message(err),
    }
}

fn open_file(path: &Path, offset: u64) -> Result<Body, OpenError> {
    // The caller names the source; the error says only why.
    let fail = |e: io::Error| OpenError::Permanent(e.into());
    let mut file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(fail(io::Error::from_raw_os_error(libc::EISDIR)));
    }
    let total = meta.is_file().then_some(meta.len());
    let mut start = 0;
    if offset > 0 && meta.is_file() {
        if offset > meta.len() {
            return Err(OpenError::RangeNotSatisfiable(total));
        }
        file.seek(SeekFrom::Start(offset)).map_err(fail)?;
        start = offset;
    }
    Ok(Body { reader: Box::new(file), start, total, validator: None })
}

/// A parsed `Content-Range: bytes START-END/TOTAL` (or `bytes */TOTAL` on a 416).
#[derive(Debug, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte sent.
    pub start: u64,
    /// The whole file's size, unless the server wrote `*`.
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses the header value; `None` when it is not a byte range.
    pub fn parse(value: &str) -> Option<ContentRange> {
        let rest = value.trim().strip_prefix("bytes")?.trim_start();
        let (range, total) = rest.split_once('/')?;
        let total = match total.trim() {
            "*" => None,
            t => Some(t.parse().ok()?),
        };
        let start = match range.trim() {
            "*" => total.unwrap_or(0),
            r => r.split_once('-')?.0.trim().parse().ok()?,
        };
        Some(ContentRange { start, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_forms() {
        assert_eq!(
            ContentRange::parse("bytes 100-199/200"),
            Some(ContentRange { start: 100, total: Some(200) })
        );
        assert_eq!(ContentRange::parse("bytes 5-9/*"), Some(ContentRange { start: 5, total: None }));
        assert_eq!(ContentRange::parse("bytes */300"), Some(ContentRange { start: 300, total: Some(300) }));
        assert_eq!(ContentRange::parse("items 1-2/3"), None);
    }

    #[test]
    fn source_kinds() {
        assert!(matches!(Source::parse("https://x/y").unwrap(), Source::Http(_)));
        assert!(
            matches!(Source::parse("file:///tmp/a").unwrap(), Source::File(p) if p == Path::new("/tmp/a"))
        );
        assert!(matches!(Source::parse("dir/a.txz").unwrap(), Source::File(_)));
        assert!(Source::parse("ftp://x/y").is_err());
        assert!(Source::parse("file://rel").is_err());
    }
}
