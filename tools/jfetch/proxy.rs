//! Which proxy a URL goes through, read from the environment as curl documents it
//! (curl(1) "ENVIRONMENT", libcurl `CURLOPT_NOPROXY`):
//!
//! - `http_proxy` for http:// URLs, in lower case only when the process runs as a CGI
//!   script (`REQUEST_METHOD` set: there `HTTP_PROXY` comes from the client's `Proxy:`
//!   header, "httpoxy"); otherwise `HTTP_PROXY` too;
//! - `https_proxy` / `HTTPS_PROXY` for https:// URLs;
//! - `all_proxy` / `ALL_PROXY` when the scheme's own variable is unset;
//! - `no_proxy` / `NO_PROXY`: comma- or space-separated host names (matching the name and
//!   every name under it, with or without a leading dot), `*` (everything), IP addresses
//!   and CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
//!
//! The lower-case variable wins over the upper-case one. A proxy URL without a scheme is
//! an HTTP proxy; without a port it is on 1080 (curl's default), 443 for https://.
//! ureq reads the environment itself but takes one variable for every scheme and knows no
//! CIDR, so jfetch decides here, per URL (redirects included), and hands ureq the result.

use std::fmt;
use std::net::IpAddr;

use anyhow::{anyhow, bail};
use percent_encoding::percent_decode_str;

/// A proxy named by the environment.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    /// What it speaks.
    pub kind: Kind,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Credentials from the proxy URL's userinfo, percent-decoded.
    pub credentials: Option<(String, String)>,
    /// The variable it came from, for messages.
    pub variable: &'static str,
}

/// The proxy protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An HTTP proxy: `GET http://…` for http:// URLs, `CONNECT` for https://.
    Http,
    /// SOCKS4, the client resolving the name.
    Socks4,
    /// SOCKS4a, the proxy resolving the name.
    Socks4a,
    /// SOCKS5, the client resolving the name.
    Socks5,
    /// SOCKS5, the proxy resolving the name.
    Socks5h,
}

impl fmt::Display for Proxy {
    /// The proxy without its credentials: what messages may show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.kind {
            Kind::Http => "http",
            Kind::Socks4 => "socks4",
            Kind::Socks4a => "socks4a",
            Kind::Socks5 => "socks5",
            Kind::Socks5h => "socks5h",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for Proxy {
    /// As Display: credentials never reach a message, not even a debug one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Proxy {
    /// Parses a proxy URL as curl does (no scheme: http; no port: 1080).
    pub fn parse(text: &str, variable: &'static str) -> anyhow::Result<Proxy> {
        let with_scheme = if text.contains("://") { text.to_string() } else { format!("http://{text}") };
        let url = url::Url::parse(&with_scheme).map_err(|e| anyhow!("{variable}: not a proxy URL ({e})"))?;
        let kind = match url.scheme() {
            "http" => Kind::Http,
            "socks4" => Kind::Socks4,
            "socks4a" => Kind::Socks4a,
            "socks5" | "socks" => Kind::Socks5,
            "socks5h" => Kind::Socks5h,
            // Refused, never bypassed: going direct would surprise whoever set the variable.
            other => bail!(
                "{variable}: {other}:// proxies are not supported (http, socks4, socks4a, socks5, socks5h)"
            ),
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => bail!("{variable}: the proxy URL names no host"),
        };
        let credentials = (!url.username().is_empty() || url.password().is_some()).then(|| {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(url.username()), decode(url.password().unwrap_or("")))
        });
        Ok(Proxy { kind, host, port: url.port().unwrap_or(1080), credentials, variable })
    }
}

/// The proxy settings of the environment.
#[derive(Default)]
pub struct Environment {
    http: Option<(String, &'static str)>,
    https: Option<(String, &'static str)>,
    all: Option<(String, &'static str)>,
    no_proxy: Vec<Rule>,
}

/// One `no_proxy` entry.
#[derive(Debug, PartialEq)]
enum Rule {
    All,
    Name(String),
    Net(IpAddr, u8),
}

impl Environment {
    /// Reads the process environment.
    pub fn from_env() -> Environment {
        Environment::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `get` (tests give a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Environment {
        let pick = |names: &[&'static str]| {
            names.iter().find_map(|n| get(n).filter(|v| !v.trim().is_empty()).map(|v| (v, *n)))
        };
        let cgi = get("REQUEST_METHOD").is_some();
        let http = if cgi { pick(&["http_proxy"]) } else { pick(&["http_proxy", "HTTP_PROXY"]) };
        let no_proxy = pick(&["no_proxy", "NO_PROXY"]).map(|(v, _)| parse_no_proxy(&v)).unwrap_or_default();
        Environment {
            http,
            https: pick(&["https_proxy", "HTTPS_PROXY"]),
            all: pick(&["all_proxy", "ALL_PROXY"]),
            no_proxy,
        }
    }

    /// The proxy for a URL of this scheme and host, or None to go direct.
    pub fn for_url(&self, scheme: &str, host: &str) -> anyhow::Result<Option<Proxy>> {
        let chosen = match scheme {
            "http" => self.http.as_ref(),
            "https" => self.https.as_ref(),
            _ => None,
        }
        .or(self.all.as_ref());
        let Some((text, variable)) = chosen else { return Ok(None) };
        if self.bypassed(host) {
            return Ok(None);
        }
        Proxy::parse(text, variable).map(Some)
    }

    fn bypassed(&self, host: &str) -> bool {
        let host =
            host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.no_proxy.iter().any(|rule| match rule {
            Rule::All => true,
            Rule::Name(name) => ip.is_none() && (host == *name || host.ends_with(&format!(".{name}"))),
            Rule::Net(net, bits) => ip.is_some_and(|ip| in_network(ip, *net, *bits)),
        })
    }
}

fn parse_no_proxy(value: &str) -> Vec<Rule> {
    value
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            if entry == "*" {
                return Rule::All;
            }
            let bare = entry.trim_start_matches('[').replace("]", "");
            if let Some((net, bits)) = bare.split_once('/')
                && let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u8>())
            {
                return Rule::Net(net, bits);
            }
            if let Ok(ip) = bare.parse::<IpAddr>() {
                return Rule::Net(ip, if ip.is_ipv4() { 32 } else { 128 });
            }
            // A port after the name is ignored, as curl does.
            let name = entry.trim_start_matches('.').trim_end_matches('.');
            let name =
                name.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map_or(name, |(n, _)| n);
            Rule::Name(name.to_ascii_lowercase())
        })
        .collect()
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Environment {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Environment::from_lookup(|n| map.get(n).cloned())
    }

    fn chosen(e: &Environment, scheme: &str, host: &str) -> Option<String> {
        e.for_url(scheme, host).unwrap().map(|p| p.to_string())
    }

    #[test]
    fn variable_per_scheme_and_all_proxy_as_fallback() {
        let e = env(&[("http_proxy", "h:1"), ("HTTPS_PROXY", "s:2"), ("ALL_PROXY", "socks5h://a:3")]);
        assert_eq!(chosen(&e, "http", "x").as_deref(), Some("http://h:1"));
        assert_eq!(chosen(&e, "https", "x").as_deref(), Some("http://s:2"));
        let e = env(&[("https_proxy", "s:2"), ("all_proxy", "socks5h://a:3")]);
        assert_eq!(chosen(&e, "http", "x").as_deref(), Some("socks5h://a:3"));
    }

    #[test]
    fn upper_case_http_proxy_ignored_in_cgi() {
        let e = env(&[("HTTP_PROXY", "evil:1")]);
        assert_eq!(chosen(&e, "http", "x").as_deref(), Some("http://evil:1"));
        let e = env(&[("HTTP_PROXY", "evil:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(chosen(&e, "http", "x"), None);
    }

    #[test]
    fn no_proxy_names_suffixes_star_ips_and_cidr() {
        let e = env(&[
            ("http_proxy", "p:1"),
            ("no_proxy", "example.com, .corp.local,10.0.0.0/8 ::1,192.168.1.5"),
        ]);
        for host in [
            "example.com",
            "a.example.com",
            "EXAMPLE.COM.",
            "x.corp.local",
            "corp.local",
            "10.2.3.4",
            "[::1]",
            "192.168.1.5",
        ] {
            assert_eq!(chosen(&e, "http", host), None, "{host}");
        }
        for host in ["notexample.com", "example.org", "11.0.0.1", "192.168.1.6"] {
            assert!(chosen(&e, "http", host).is_some(), "{host}");
        }
        let e = env(&[("http_proxy", "p:1"), ("NO_PROXY", "*")]);
        assert_eq!(chosen(&e, "http", "anything"), None);
    }

    #[test]
    fn proxy_url_forms() {
        let p = Proxy::parse("http://us%40er:p%3Ass@proxy:3128", "http_proxy").unwrap();
        assert_eq!(p.credentials, Some(("us@er".into(), "p:ss".into())));
        assert_eq!(p.to_string(), "http://proxy:3128");
        assert_eq!(Proxy::parse("proxy", "x").unwrap().port, 1080);
        assert!(Proxy::parse("https://proxy:443", "x").unwrap_err().to_string().contains("not supported"));
        assert_eq!(Proxy::parse("socks4a://[::1]:9", "x").unwrap().to_string(), "socks4a://[::1]:9");
    }
}
