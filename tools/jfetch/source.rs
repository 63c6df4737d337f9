//! Sources: where the bytes come from (an http(s) URL, a file:// URL or a plain path), and
//! what one request for "the file from byte N on" returns, classified for the retry policy.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use ureq::Agent;

/// One place the file can be fetched from.
#[derive(Clone, Debug)]
pub enum Source {
    /// An http:// or https:// URL.
    Http(String),
    /// A local file (file:// URL or plain path).
    File(PathBuf),
}

impl Source {
    /// Parses a command-line SOURCE. Other URL schemes are refused rather than read as
    /// paths, so that a typo like `htps://` is not reported as a missing file.
    pub fn parse(text: &str) -> anyhow::Result<Source> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(Source::Http(text.to_string()));
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
            return Err(anyhow!("{text}: unsupported scheme '{scheme}' (http, https, file or a path)"));
        }
        Ok(Source::File(PathBuf::from(text)))
    }

    /// Asks for the file from byte `offset` on (the whole file when 0). With `if_range`
    /// (the validator of the response the held bytes came from), a server whose file has
    /// changed since sends the whole new file instead of a range of it.
    pub fn open(&self, agent: &Agent, offset: u64, if_range: Option<&str>) -> Result<Body, OpenError> {
        match self {
            Source::Http(url) => open_http(agent, url, offset, if_range),
            Source::File(path) => open_file(path, offset),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Http(url) => f.write_str(url),
            Source::File(path) => write!(f, "{}", path.display()),
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
    /// Worth another try on the same source after a pause (refused, reset, timeout, 5xx).
    Transient(anyhow::Error),
    /// This source will not serve the file (4xx, TLS failure, missing file): next source.
    Permanent(anyhow::Error),
    /// 416: nothing at or after the offset; carries the file size when the server said it.
    RangeNotSatisfiable(Option<u64>),
}

fn open_http(agent: &Agent, url: &str, offset: u64, if_range: Option<&str>) -> Result<Body, OpenError> {
    let mut request = agent.get(url);
    if offset > 0 {
        request = request.header("Range", format!("bytes={offset}-"));
        if let Some(validator) = if_range {
            request = request.header("If-Range", validator);
        }
    }
    let response = request.call().map_err(classify_ureq)?;
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
            let err = anyhow!("{}", format!("HTTP {code} {reason}").trim_end());
            if status.is_server_error() || code == 408 || code == 429 {
                Err(OpenError::Transient(err))
            } else {
                Err(OpenError::Permanent(err))
            }
        }
    }
}

/// Splits ureq's errors into worth-retrying and not.
fn classify_ureq(err: ureq::Error) -> OpenError {
    use ureq::Error as E;
    let permanent = match &err {
        E::BadUri(_)
        | E::Http(_)
        | E::TooManyRedirects
        | E::RedirectFailed
        | E::InvalidProxyUrl
        | E::Tls(_)
        | E::Pem(_)
        | E::Rustls(_) => true,
        // A certificate rejected during the handshake surfaces as InvalidData.
        E::Io(io) => io.kind() == io::ErrorKind::InvalidData,
        _ => false,
    };
    let err = anyhow!(describe_ureq(&err));
    if permanent { OpenError::Permanent(err) } else { OpenError::Transient(err) }
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
