//! TLS for ureq, built by jfetch rather than by ureq, for three things ureq's own rustls
//! connector cannot be told to do:
//!
//! - trust a self-signed server certificate given as the trusted file (`--cacert`, or a
//!   file in the system store), as curl does: one made with `openssl req -x509` carries
//!   `CA:TRUE`, and webpki refuses a CA certificate as the end entity (`CaUsedAsEndEntity`)
//!   even when it is the very anchor. We accept it when its DER equals a trusted
//!   certificate, it is valid for the name asked for and it has not expired;
//! - say what went wrong in plain words (issuer, expiry date, both names);
//! - refuse to fall back to built-in roots: the store is the system's
//!   (rustls-native-certs: `SSL_CERT_FILE`, `SSL_CERT_DIR`, the bundle files and hashed
//!   directories of Debian, FreeBSD base and ports, illumos…) or `--cacert`'s, and when
//!   there is none the https request fails saying so.
//!
//! The connector itself is ureq's `RustlsConnector` with our `ClientConfig`.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, StreamOwned,
};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

/// Where trust comes from.
#[derive(Clone, Debug)]
pub struct Trust {
    /// `--cacert FILE`: replaces the system store, as in curl.
    pub cacert: Option<PathBuf>,
    /// `--insecure`: no verification at all (warned about on every connection, even with -q).
    pub insecure: bool,
}

/// A plain-words TLS failure (what [`crate::source`] shows after the source's name).
#[derive(Debug)]
pub struct TlsFailure(pub String);

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsFailure {}

/// Wraps connections to https:// URLs in TLS with jfetch's verifier. Clones share one
/// configuration, read once.
#[derive(Clone, Debug)]
pub struct TlsConnector {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    trust: Trust,
    config: OnceLock<Result<Arc<ClientConfig>, String>>,
}

impl TlsConnector {
    /// A connector; the trust store is read at the first https connection or
    /// [`check`](Self::check).
    pub fn new(trust: Trust) -> TlsConnector {
        TlsConnector { shared: Arc::new(Shared { trust, config: OnceLock::new() }) }
    }

    /// Reads the trust store now: an unusable one is an error before any transfer.
    pub fn check(&self) -> Result<(), String> {
        self.config().map(|_| ())
    }

    fn config(&self) -> Result<Arc<ClientConfig>, String> {
        self.shared.config.get_or_init(|| build_config(&self.shared.trust).map(Arc::new)).clone()
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>, ureq::Error> {
        self.config().map_err(|e| ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, TlsFailure(e))))
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Err(ureq::Error::Io(io::Error::other("TLS without a connection")));
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let config = self.client_config()?;
        let host = details.uri.host().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_string()).map_err(|_| {
            ureq::Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                TlsFailure(format!("{host}: not a TLS server name")),
            ))
        })?;
        if self.shared.trust.insecure {
            // On every use, not once: the bytes of this transfer are unauthenticated.
            eprintln!("jfetch: warning: --insecure: the certificate of {host} is not verified");
        }
        let mut conn = ClientConnection::new(config, name).map_err(|e| plain(&e))?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock).map_err(|e| {
            match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(tls) => plain(tls),
                None => ureq::Error::Io(e),
            }
        })?;
        let buffers =
            LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport { buffers, stream: StreamOwned { conn, sock } })))
    }
}

/// A TLS connection.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// A rustls error as an I/O error carrying the plain-words message.
fn plain(err: &rustls::Error) -> ureq::Error {
    ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, TlsFailure(describe(err))))
}

fn describe(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => other.0.to_string(),
        rustls::Error::InvalidCertificate(cert) => format!("certificate not accepted: {cert:?}"),
        other => format!("TLS: {other}"),
    }
}

fn build_config(trust: &Trust) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = if trust.insecure {
        Arc::new(Unverified(provider))
    } else {
        let (roots, origin) = trusted_certificates(trust)?;
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(roots.iter().cloned());
        if added == 0 {
            return Err(format!("no usable CA certificate in {origin}"));
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
            .map_err(|e| format!("TLS: {e}"))?;
        Arc::new(Verifier { inner, trusted: roots })
    };
    Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
}

/// The certificates trusted: `--cacert`'s, else the system's, and where they came from.
fn trusted_certificates(trust: &Trust) -> Result<(Vec<CertificateDer<'static>>, String), String> {
    if let Some(path) = &trust.cacert {
        let name = path.display().to_string();
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("--cacert {name}: {e}"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("--cacert {name}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("--cacert {name}: no PEM certificates in it"));
        }
        return Ok((certs, name));
    }
    let found = rustls_native_certs::load_native_certs();
    // An explicit SSL_CERT_FILE or SSL_CERT_DIR that cannot be read is an error, never a
    // reason to use something else.
    let explicit = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|x| !x.is_empty()).map(|x| (*v, x)));
    if let Some(err) = found.errors.first() {
        let why = match &err.kind {
            rustls_native_certs::ErrorKind::Io { inner, .. } => jcore::exit::message(inner),
            _ => err.to_string(),
        };
        match &explicit {
            Some(("SSL_CERT_FILE", path)) => return Err(format!("CA bundle {path} (SSL_CERT_FILE): {why}")),
            Some((var, path)) => return Err(format!("CA directory {path} ({var}): {why}")),
            None if found.certs.is_empty() => return Err(format!("trust store: {err}")),
            None => {}
        }
    }
    if found.certs.is_empty() {
        return Err("no system trust store found (SSL_CERT_FILE, SSL_CERT_DIR, the system's CA bundle); \
                    give one with --cacert FILE"
            .into());
    }
    Ok((found.certs, "the system trust store".into()))
}

/// webpki's verification, then: a trusted certificate accepted as its own end entity, and
/// failures worded for people.
#[derive(Debug)]
struct Verifier {
    inner: Arc<WebPkiServerVerifier>,
    trusted: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let err = match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(ok) => return Ok(ok),
            Err(err) => err,
        };
        let info = der::CertInfo::parse(end_entity.as_ref());
        let pinned = self.trusted.iter().any(|t| t.as_ref() == end_entity.as_ref());
        if pinned
            && (ca_as_end_entity(&err)
                || matches!(err, rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)))
        {
            let cert = webpki::EndEntityCert::try_from(end_entity)
                .map_err(|_| worded("the certificate cannot be parsed".into()))?;
            if cert.verify_is_valid_for_subject_name(server_name).is_err() {
                let names = info.as_ref().map_or(String::new(), |i| i.subject.clone());
                return Err(worded(format!("certificate is for {names}, not {}", server_name.to_str())));
            }
            if let Some(info) = &info
                && let Some(not_after) = info.not_after
                && now.as_secs() > not_after
            {
                return Err(worded(format!("certificate expired on {}", date(not_after))));
            }
            return Ok(ServerCertVerified::assertion());
        }
        Err(word(err, info.as_ref(), server_name))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// webpki's refusal of a CA certificate as the server's, which rustls passes on as "other".
fn ca_as_end_entity(err: &rustls::Error) -> bool {
    match err {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => other
            .0
            .downcast_ref::<webpki::Error>()
            .is_some_and(|e| matches!(e, webpki::Error::CaUsedAsEndEntity)),
        _ => false,
    }
}

fn worded(text: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(TlsFailure(text)))))
}

fn word(err: rustls::Error, info: Option<&der::CertInfo>, server_name: &ServerName<'_>) -> rustls::Error {
    let rustls::Error::InvalidCertificate(cert) = &err else { return err };
    let text = match cert {
        CertificateError::UnknownIssuer => {
            let issuer = info.map_or("unknown".to_string(), |i| i.issuer.clone());
            format!("certificate not trusted: issuer {issuer}; give it with --cacert or SSL_CERT_FILE")
        }
        _ if ca_as_end_entity(&err) => {
            let subject = info.map_or(String::new(), |i| i.subject.clone());
            format!(
                "certificate not trusted: {subject} is a self-signed CA certificate; give it with --cacert or SSL_CERT_FILE"
            )
        }
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("certificate expired on {}", date(not_after.as_secs()))
        }
        CertificateError::Expired => match info.and_then(|i| i.not_after) {
            Some(t) => format!("certificate expired on {}", date(t)),
            None => "certificate expired".into(),
        },
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("certificate not valid before {}", date(not_before.as_secs()))
        }
        CertificateError::NotValidForNameContext { expected, presented } => {
            // rustls gives the names in Debug form (`DnsName("a.example")`): keep the quoted part.
            let names: Vec<&str> =
                presented.iter().map(|p| p.split('"').nth(1).unwrap_or(p.as_str())).collect();
            format!("certificate is for {}, not {}", names.join(", "), expected.to_str())
        }
        CertificateError::NotValidForName => {
            let subject = info.map_or(String::new(), |i| i.subject.clone());
            format!("certificate is for {subject}, not {}", server_name.to_str())
        }
        CertificateError::Revoked => "certificate revoked".into(),
        CertificateError::BadSignature => {
            let issuer = info.map_or("unknown".to_string(), |i| i.issuer.clone());
            format!("certificate not trusted: its signature does not verify against the trusted {issuer}")
        }
        other => format!("certificate not accepted: {other:?}"),
    };
    worded(text)
}

/// A UNIX time as `2026-12-01 19:00:00 UTC`.
fn date(secs: u64) -> String {
    jiff::Timestamp::from_second(secs as i64)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| format!("{secs} s after 1970"))
}

/// `--insecure`: every certificate accepted; signatures still checked by the provider's
/// algorithms so the handshake itself is sound.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The few certificate fields the messages name. Hand-read DER: webpki exposes neither the
/// issuer nor the validity, and a full X.509 parser (x509-parser: nom, asn1-rs, der-parser
/// and more) would be a dependency tree for one line of an error message. Anything
/// unexpected gives `None`, and the message goes without the detail.
mod der {
    /// Issuer and subject common names (or the whole name's text) and notAfter.
    pub struct CertInfo {
        pub issuer: String,
        pub subject: String,
        pub not_after: Option<u64>,
    }

    /// One TLV: tag, contents, rest.
    fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = data.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    impl CertInfo {
        pub fn parse(cert: &[u8]) -> Option<CertInfo> {
            let (_, cert, _) = tlv(cert)?;
            let (_, tbs, _) = tlv(cert)?;
            let (tag, _, mut rest) = tlv(tbs)?;
            if tag == 0xa0 {
                rest = tlv(rest)?.2; // serial, after the explicit version
            }
            let rest = tlv(rest)?.2; // signature algorithm
            let (_, issuer, rest) = tlv(rest)?;
            let (_, validity, rest) = tlv(rest)?;
            let (_, subject, _) = tlv(rest)?;
            let not_after = tlv(validity).and_then(|(_, _, r)| tlv(r)).and_then(|(t, v, _)| time(t, v));
            Some(CertInfo { issuer: name(issuer), subject: name(subject), not_after })
        }
    }

    /// The CN of a Name, else its other string attributes joined.
    fn name(mut rdns: &[u8]) -> String {
        let mut parts = Vec::new();
        let mut cn = None;
        while let Some((_, set, rest)) = tlv(rdns) {
            rdns = rest;
            if let Some((_, pair, _)) = tlv(set)
                && let Some((_, oid, value)) = tlv(pair)
                && let Some((_, text, _)) = tlv(value)
            {
                let text = String::from_utf8_lossy(text).into_owned();
                if oid == [0x55, 0x04, 0x03] {
                    cn = Some(text.clone());
                }
                parts.push(text);
            }
        }
        cn.map_or_else(|| format!("\"{}\"", parts.join(", ")), |cn| format!("\"{cn}\""))
    }

    /// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as UNIX seconds.
    fn time(tag: u8, value: &[u8]) -> Option<u64> {
        let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
        let full = match tag {
            0x17 => {
                let yy: u32 = text.get(..2)?.parse().ok()?;
                format!("{}{text}", if yy >= 50 { "19" } else { "20" })
            }
            0x18 => text.to_string(),
            _ => return None,
        };
        let stamp = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", &full).ok()?;
        let ts = stamp.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
        u64::try_from(ts.as_second()).ok()
    }
}
