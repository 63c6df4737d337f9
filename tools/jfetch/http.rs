//! The HTTP(S) client: one ureq agent configured once for every source.
//!
//! - Trust: HTTPS verifies against the system's CA bundle (the file named by SSL_CERT_FILE,
//!   else the first bundle found at the usual Debian/FreeBSD/RHEL paths), falling back to
//!   the Mozilla roots built into ureq only when the system has no bundle at all.
//! - No content decoding: ureq is built without its `gzip` feature and we ask for
//!   `identity`, because a decoded body would no longer match the published digest nor
//!   line up with Range offsets.
//! - Timeouts: a connect timeout and a per-read stall timeout, never a total one (a large
//!   image on a slow link is fine as long as bytes keep coming).
//! - Proxies come from ALL_PROXY/HTTPS_PROXY/HTTP_PROXY/NO_PROXY (ureq's default).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use ureq::Agent;
use ureq::config::AutoHeaderValue;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// Redirects followed before giving up on a source.
pub const MAX_REDIRECTS: u32 = 10;

/// CA bundles tried, in order, when SSL_CERT_FILE is not set.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",     // Debian, Ubuntu, Alpine
    "/usr/local/share/certs/ca-root-nss.crt", // FreeBSD ca_root_nss
    "/etc/ssl/cert.pem",                      // FreeBSD base, macOS, OpenBSD
    "/etc/pki/tls/certs/ca-bundle.crt",       // RHEL, Fedora
];

/// The agent every HTTP source uses.
pub fn agent(timeout: Duration) -> anyhow::Result<Agent> {
    let config = Agent::config_builder()
        // We read 4xx/5xx ourselves: 404 moves on, 5xx is retried, 206/416 drive resume.
        .http_status_as_error(false)
        .max_redirects(MAX_REDIRECTS)
        .user_agent(AutoHeaderValue::Provided(Arc::new(user_agent())))
        .accept_encoding(AutoHeaderValue::Provided(Arc::new("identity".into())))
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .tls_config(TlsConfig::builder().root_certs(root_certs()?).build())
        .build();
    Ok(config.new_agent())
}

/// `jtools-jfetch/<version>`.
pub fn user_agent() -> String {
    format!("jtools-jfetch/{}", env!("CARGO_PKG_VERSION"))
}

fn root_certs() -> anyhow::Result<RootCerts> {
    let bundle = match std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        // An explicit bundle that cannot be read is an error, not a silent fallback.
        Some(path) => PathBuf::from(path),
        None => match SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
            Some(path) => path.to_path_buf(),
            None => return Ok(RootCerts::WebPki),
        },
    };
    let certs = load_pem_certs(&bundle).with_context(|| format!("CA bundle {}", bundle.display()))?;
    Ok(RootCerts::new_with_certs(&certs))
}

fn load_pem_certs(path: &Path) -> anyhow::Result<Vec<Certificate<'static>>> {
    let pem = std::fs::read(path)?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(cert) = item? {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        bail!("no certificates in it");
    }
    Ok(certs)
}
