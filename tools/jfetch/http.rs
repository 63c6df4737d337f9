//! The HTTP(S) client: ureq agents configured once, one per way of reaching a server
//! (direct, through an HTTP proxy, through a SOCKS proxy), chosen per URL.
//!
//! - Trust and TLS: [`crate::tls`] (system store or `--cacert`, never built-in roots).
//! - Proxies: [`crate::proxy`] decides per URL. ureq 3 tunnels every request through an
//!   HTTP proxy with CONNECT, which stock squid and tinyproxy refuse for plain http:// on
//!   port 80 and above 1024 ("deny CONNECT !SSL_ports"), and which curl, wget and fetch(1)
//!   never do for http://. So http:// URLs through an HTTP proxy go on an agent whose
//!   resolver returns the proxy's address and whose transport writes the request line in
//!   absolute form (`GET http://host/path HTTP/1.1`, RFC 9112 3.2.2); https:// goes through
//!   ureq's CONNECT connector, SOCKS through ureq's SOCKS connector.
//! - Redirects are followed by [`crate::source`], not ureq: each hop picks its own proxy,
//!   Locations with raw spaces are accepted, and file:// is refused.
//! - No content decoding: ureq is built without `gzip` and we ask for `identity`, because a
//!   decoded body would no longer match the published digest nor line up with Range offsets.
//! - Timeouts: a connect timeout and a per-read stall timeout, never a total one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::Agent;
use ureq::config::AutoHeaderValue;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, SocksConnector, TcpConnector,
    Transport,
};

use crate::proxy::{self, Kind, Proxy};
use crate::tls::{TlsConnector, Trust};

/// Redirects followed before giving up on a source (wget's limit; curl's is 50).
pub const MAX_REDIRECTS: u32 = 20;

/// How the agents are set up.
pub struct Settings {
    /// Connect timeout, and per-read stall timeout.
    pub timeout: Duration,
    /// Trust for https.
    pub trust: Trust,
}

/// The agents, created on first use.
pub struct Client {
    settings: Settings,
    tls: TlsConnector,
    proxies: proxy::Environment,
    agents: RefCell<HashMap<Option<Proxy>, Agent>>,
}

/// A request's route: the agent to use and the proxy it goes through.
pub struct Route {
    /// The agent.
    pub agent: Agent,
    /// The proxy, when there is one.
    pub proxy: Option<Proxy>,
    /// `Proxy-Authorization` to send with the request itself (HTTP proxy, http:// URL);
    /// ureq sends it on the CONNECT for https://.
    pub proxy_authorization: Option<String>,
}

impl Client {
    /// A client with the environment's proxies.
    pub fn new(settings: Settings) -> Client {
        let tls = TlsConnector::new(settings.trust.clone());
        Client { settings, tls, proxies: proxy::Environment::from_env(), agents: RefCell::default() }
    }

    /// Reads the trust store now (there are https sources): its errors come first.
    pub fn check_trust(&self) -> anyhow::Result<()> {
        self.tls.check().map_err(|e| anyhow::anyhow!(e))
    }

    /// The route for a URL of this scheme and host.
    pub fn route(&self, scheme: &str, host: &str) -> anyhow::Result<Route> {
        let proxy = self.proxies.for_url(scheme, host)?;
        // An HTTP proxy takes http:// in absolute form and https:// through CONNECT: two agents.
        let key = proxy.clone().map(|mut p| {
            if p.kind == Kind::Http && scheme == "https" {
                p.variable = "CONNECT";
            }
            p
        });
        let agent =
            self.agents.borrow_mut().entry(key).or_insert_with(|| self.agent(proxy.as_ref(), scheme)).clone();
        let proxy_authorization = proxy
            .as_ref()
            .filter(|p| p.kind == Kind::Http && scheme == "http")
            .and_then(|p| p.credentials.as_ref())
            .map(|(user, pass)| basic(user, pass));
        Ok(Route { agent, proxy, proxy_authorization })
    }

    fn agent(&self, proxy: Option<&Proxy>, scheme: &str) -> Agent {
        let mut builder = Agent::config_builder()
            // We read 4xx/5xx ourselves: 404 moves on, 5xx is retried, 206/416 drive resume.
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(AutoHeaderValue::Provided(Arc::new(user_agent())))
            .accept_encoding(AutoHeaderValue::Provided(Arc::new("identity".into())))
            .timeout_connect(Some(self.settings.timeout))
            .timeout_per_read(Some(self.settings.timeout))
            // ureq's default reads the proxy variables itself (one for every scheme, no
            // CIDR); the proxy module has decided already.
            .proxy(None);
        let tls = self.tls.clone();
        match proxy {
            Some(p) if p.kind == Kind::Http && scheme == "http" => {
                let config = builder.build();
                let connector = ().chain(TcpConnector::default()).chain(AbsoluteForm).chain(tls);
                let resolver = ProxyResolver { proxy: proxy_uri(p) };
                Agent::with_parts(config, connector, resolver)
            }
            Some(p) => {
                builder = builder.proxy(Some(ureq_proxy(p)));
                let connector =
                    ().chain(SocksConnector::default())
                        .chain(ConnectProxyConnector::default())
                        .chain(TcpConnector::default())
                        .chain(tls);
                Agent::with_parts(builder.build(), connector, NamingResolver)
            }
            None => {
                let connector = ().chain(TcpConnector::default()).chain(tls);
                Agent::with_parts(builder.build(), connector, NamingResolver)
            }
        }
    }
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn proxy_uri(p: &Proxy) -> Uri {
    let host = if p.host.contains(':') { format!("[{}]", p.host) } else { p.host.clone() };
    format!("http://{host}:{}/", p.port).parse().expect("a proxy URI from parsed parts")
}

fn ureq_proxy(p: &Proxy) -> ureq::Proxy {
    let protocol = match p.kind {
        Kind::Http => ureq::ProxyProtocol::Http,
        Kind::Socks4 => ureq::ProxyProtocol::Socks4,
        Kind::Socks4a => ureq::ProxyProtocol::Socks4A,
        Kind::Socks5 | Kind::Socks5h => ureq::ProxyProtocol::Socks5,
    };
    let mut builder = ureq::Proxy::builder(protocol).host(&p.host).port(p.port);
    if p.kind == Kind::Socks5 {
        // socks5:// resolves here and hands the proxy an address, socks5h:// hands it the name.
        builder = builder.resolve_target(true);
    }
    if let Some((user, pass)) = &p.credentials {
        builder = builder.username(user).password(pass);
    }
    builder.build().expect("a proxy from parsed parts")
}

/// Resolves every target to the HTTP proxy: the connection goes there, the request line
/// names the target.
#[derive(Debug)]
struct ProxyResolver {
    proxy: Uri,
}

impl Resolver for ProxyResolver {
    fn resolve(
        &self,
        _uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        NamingResolver.resolve(&self.proxy, config, timeout)
    }
}

/// A name that could not be resolved, carried inside ureq's I/O error so that the source
/// can say "cannot resolve HOST" and retry only what the resolver calls temporary.
#[derive(Debug)]
pub struct DnsFailure {
    /// The host name asked for.
    pub host: String,
    /// The resolver's words (gai_strerror).
    pub why: String,
    /// EAI_AGAIN: the resolver could not answer now (worth a retry); anything else
    /// (EAI_NONAME, EAI_FAIL...) is an answer and is not retried, as curl does not.
    pub transient: bool,
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot resolve host {} (DNS): {}", self.host, self.why)
    }
}

impl std::error::Error for DnsFailure {}

/// ureq's resolver (getaddrinfo through std), with its failures named. std reports
/// getaddrinfo errors only as text ("failed to lookup address information: WHY", WHY from
/// gai_strerror), so the text is what can be matched; a failure of any other shape passes
/// through unchanged.
#[derive(Debug)]
struct NamingResolver;

impl Resolver for NamingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        DefaultResolver::default().resolve(uri, config, timeout).map_err(|err| match err {
            ureq::Error::Io(io) => {
                let text = io.to_string();
                match text.strip_prefix("failed to lookup address information: ") {
                    Some(why) => {
                        let host = uri.host().unwrap_or("").to_string();
                        let transient = why.contains("Temporary failure") || why.contains("try again");
                        let failure = DnsFailure { host, why: why.to_string(), transient };
                        ureq::Error::Io(std::io::Error::other(failure))
                    }
                    None => ureq::Error::Io(io),
                }
            }
            other => other,
        })
    }
}

/// Wraps the connection to an HTTP proxy so that request lines go out in absolute form.
#[derive(Debug)]
struct AbsoluteForm;

impl<In: Transport> Connector<In> for AbsoluteForm {
    type Out = AbsoluteFormTransport<In>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(inner) = chained else { return Ok(None) };
        let authority = details.uri.authority().map(|a| a.as_str()).unwrap_or_default();
        Ok(Some(AbsoluteFormTransport { inner, origin: format!("http://{authority}").into_bytes() }))
    }
}

/// The proxy connection. ureq writes a request's head (request line and headers) with one
/// `transmit_output` from the start of the output buffer, so a chunk that starts with
/// `METHOD /` is a request line, and the origin is put before its path.
struct AbsoluteFormTransport<In> {
    inner: In,
    origin: Vec<u8>,
}

impl<In> fmt::Debug for AbsoluteFormTransport<In> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AbsoluteFormTransport")
    }
}

impl<In: Transport> Transport for AbsoluteFormTransport<In> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let output = self.inner.buffers().output();
        let head = &output[..amount];
        let method_end = head.iter().take(16).position(|&b| b == b' ');
        let request_line = method_end.filter(|&i| {
            i > 0 && head[..i].iter().all(u8::is_ascii_uppercase) && head.get(i + 1) == Some(&b'/')
        });
        let Some(space) = request_line else { return self.inner.transmit_output(amount, timeout) };
        let mut rewritten = Vec::with_capacity(amount + self.origin.len());
        rewritten.extend_from_slice(&head[..=space]);
        rewritten.extend_from_slice(&self.origin);
        rewritten.extend_from_slice(&head[space + 1..]);
        if rewritten.len() > output.len() {
            return Err(ureq::Error::Io(std::io::Error::other("request head too large for the proxy form")));
        }
        output[..rewritten.len()].copy_from_slice(&rewritten);
        self.inner.transmit_output(rewritten.len(), timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// `jtools-jfetch/<version>`.
pub fn user_agent() -> String {
    format!("jtools-jfetch/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_credentials() {
        // RFC 7617's example.
        assert_eq!(basic("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }
}
