//! Debian's docker-registry (distribution 2.8) for the registry tests: one per test, on a
//! free loopback port, filesystem storage in the test's temporary directory; without auth,
//! with htpasswd (`htpasswd -B`) behind TLS, or with token auth (a small token server in
//! the test process issuing RS256 JWTs signed with the openssl CLI by a certificate the
//! registry trusts, as docs/spec/auth/jwt.md describes). Plus a throw-away image made with
//! umoci, and a loopback server that answers every request with one fixed response.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::Cmd;
use super::nginx::dead_port;

/// How the registry authenticates.
pub enum Auth<'a> {
    /// Anyone may pull and push.
    None,
    /// htpasswd with this user and password (bcrypt, `htpasswd -B`).
    Htpasswd(&'a str, &'a str),
    /// Bearer tokens from `realm`, signed by `signer` (a certificate file the registry trusts).
    Token { realm: &'a str, signer: &'a Path },
}

/// A running docker-registry.
pub struct Registry {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    tls: bool,
}

impl Registry {
    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `docker://127.0.0.1:PORT/NAME`.
    pub fn reference(&self, name: &str) -> String {
        format!("docker://127.0.0.1:{}/{name}", self.port)
    }

    /// The storage's root (`docker/registry/v2/blobs/sha256/XX/HEX/data` are the blobs).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Where the registry keeps a blob.
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.storage().join("docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data")
    }

    /// The registry's log (access log lines included).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Whether it serves https.
    pub fn is_tls(&self) -> bool {
        self.tls
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts docker-registry with this authentication, and TLS with `tls` (certificate, key).
pub fn start(auth: Auth, tls: Option<(&Path, &Path)>) -> Option<Registry> {
    let test = super::test_name();
    if !super::have("docker-registry") {
        return None;
    }
    let dir = super::tempdir();
    let port = dead_port();
    let d = dir.path().display();
    let mut config = format!(
        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n\
         storage:\n  filesystem:\n    rootdirectory: {d}/storage\n  delete:\n    enabled: true\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: jtools-test-secret\n"
    );
    if let Some((cert, key)) = tls {
        config.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            cert.display(),
            key.display()
        ));
    }
    match auth {
        Auth::None => {}
        Auth::Htpasswd(user, password) => {
            if !super::have("htpasswd") {
                return None;
            }
            let file = dir.path().join("htpasswd");
            Cmd::new("htpasswd").args(["-B", "-b", "-c"]).arg(&file).args([user, password]).run().success();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: jtools-test\n    path: {}\n",
                file.display()
            ));
        }
        Auth::Token { realm, signer } => {
            config.push_str(&format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                signer.display()
            ));
        }
    }
    std::fs::write(dir.path().join("config.yml"), config).unwrap();
    let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(dir.path().join("config.yml"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{test}: start docker-registry: {e}"));
    let mut registry = Registry { child, port, dir, tls: tls.is_some() };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = registry.child.try_wait() {
            panic!("{test}: docker-registry exited ({status}): {}", registry.log());
        }
        assert!(Instant::now() < deadline, "{test}: docker-registry did not start: {}", registry.log());
        thread::sleep(Duration::from_millis(50));
    }
    Some(registry)
}

/// The `service` of the token-auth registry.
pub const TOKEN_SERVICE: &str = "jtools-test-registry";
/// The `issuer` it trusts.
pub const TOKEN_ISSUER: &str = "jtools-test-token-server";

/// A token server: `GET /token?service=S&scope=…` with Basic credentials `user:password`
/// answers `{"token": JWT}` granting every scope asked, without credentials a token for
/// pull only; other credentials get 401. Its
/// TLS certificate and key are given; the JWTs are RS256, signed by `openssl dgst` with a
/// self-signed RSA certificate made here (`signer()`, for the registry's rootcertbundle).
pub struct TokenServer {
    /// Its port.
    pub port: u16,
    dir: tempfile::TempDir,
    /// The request lines and Authorization headers seen (`GET /token?… | Basic …`).
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl TokenServer {
    /// `https://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("https://127.0.0.1:{}/token", self.port)
    }

    /// The certificate that signs the tokens.
    pub fn signer(&self) -> PathBuf {
        self.dir.path().join("signer.crt")
    }

    /// Starts one for `user:password`, serving TLS with `cert`/`key`.
    pub fn start(user: &str, password: &str, cert: &Path, key: &Path) -> TokenServer {
        use base64::Engine;
        let dir = super::tempdir();
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=jtools token signer",
            ])
            .arg("-keyout")
            .arg(dir.path().join("signer.key"))
            .arg("-out")
            .arg(dir.path().join("signer.crt"))
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl req: {}", String::from_utf8_lossy(&out.stderr));
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(dir.path().join("signer.crt"))
            .output()
            .unwrap()
            .stdout;
        let x5c = base64::engine::general_purpose::STANDARD.encode(der);
        let config = Arc::new(server_config(cert, key));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let signer_key = dir.path().join("signer.key");
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, seen, signer_key, x5c, expected) =
                    (config.clone(), seen.clone(), signer_key.clone(), x5c.clone(), expected.clone());
                thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    let Some((line, authorization)) = read_head(&mut tls) else { return };
                    seen.lock()
                        .unwrap()
                        .push(format!("{line} | {}", authorization.clone().unwrap_or_default()));
                    // The right credentials get every scope asked; none at all get pull
                    // only (Docker Hub's anonymous tokens); wrong ones get 401.
                    let granted = match authorization.as_deref() {
                        Some(a) if a == expected => Some(false),
                        None => Some(true),
                        Some(_) => None,
                    };
                    let response = if let Some(pull_only) = granted {
                        let token = sign_token(&line, &signer_key, &x5c, pull_only);
                        let body = format!("{{\"token\":\"{token}\",\"expires_in\":300}}");
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    } else {
                        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_string()
                    };
                    let _ = tls.write_all(response.as_bytes());
                    let _ = tls.flush();
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TokenServer { port, dir, requests }
    }
}

fn server_config(cert: &Path, key: &Path) -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer> =
        CertificateDer::pem_file_iter(cert).unwrap().map(|c| c.unwrap()).collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap()
}

/// The request line and the Authorization header of a request.
fn read_head(stream: &mut impl Read) -> Option<(String, Option<String>)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    Some((line.trim().to_string(), authorization))
}

/// A JWT granting the scopes of the request line `GET /token?…scope=…`.
fn sign_token(line: &str, key: &Path, x5c: &str, pull_only: bool) -> String {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let mut access = Vec::new();
    for pair in query.split('&') {
        let Some(("scope", value)) = pair.split_once('=') else { continue };
        let scope =
            percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned();
        // repository:NAME:ACTIONS (NAME may hold colons only in a host, not here)
        let mut parts = scope.splitn(3, ':');
        let (Some(kind), Some(name), Some(actions)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let actions: Vec<serde_json::Value> =
            actions.split(',').filter(|a| !pull_only || *a == "pull").map(|a| a.into()).collect();
        access.push(serde_json::json!({"type": kind, "name": name, "actions": actions}));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER, "sub": "jt", "aud": TOKEN_SERVICE,
        "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", access.len()),
        "access": access,
    });
    let signing_input =
        format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(signing_input.as_bytes()).unwrap();
    let signature = child.wait_with_output().unwrap().stdout;
    format!("{signing_input}.{}", b64(&signature))
}

/// A loopback HTTP server answering every request with `response` (status line, headers and
/// body, `Connection: close` added); it counts the requests.
pub struct FixedServer {
    /// Its port.
    pub port: u16,
    /// Requests answered.
    pub hits: Arc<Mutex<u32>>,
}

impl FixedServer {
    /// Starts one.
    pub fn start(status: &str, headers: &[&str], body: &str) -> FixedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(0));
        let counter = hits.clone();
        let mut response =
            format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
        for h in headers {
            response.push_str(h);
            response.push_str("\r\n");
        }
        response.push_str("\r\n");
        response.push_str(body);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if read_head(&mut stream).is_some() {
                    *counter.lock().unwrap() += 1;
                    let _ = stream.write_all(response.as_bytes());
                }
            }
        });
        FixedServer { port, hits }
    }
}

/// A umoci image `NAME` in the new layout `dir`: one layer per (path, content) group.
pub fn umoci_image(dir: &Path, name: &str, layers: &[&[(&str, &[u8])]]) {
    let layout = dir.display().to_string();
    Cmd::new("umoci").args(["init", "--layout", &layout]).run().success();
    Cmd::new("umoci").args(["new", "--image", &format!("{layout}:{name}")]).run().success();
    for (i, files) in layers.iter().enumerate() {
        let root = dir.with_extension(format!("layer{i}"));
        for (path, content) in files.iter() {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content).unwrap();
        }
        Cmd::new("umoci")
            .args(["insert", "--image", &format!("{layout}:{name}")])
            .arg(&root)
            .arg("/")
            .run()
            .success();
        std::fs::remove_dir_all(&root).unwrap();
    }
}

/// A loopback HTTP relay in front of `upstream` that cuts the first response to a blob GET
/// whose body reaches `cut` bytes (a connection lost mid-layer), and records each request
/// line with its Range header (`GET /v2/… | bytes=N-`).
pub struct CuttingRelay {
    /// Its port.
    pub port: u16,
    /// The requests relayed.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl CuttingRelay {
    /// Starts one.
    pub fn start(upstream: u16, cut: usize) -> CuttingRelay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let cut_done = Arc::new(Mutex::new(false));
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let (seen, cut_done) = (seen.clone(), cut_done.clone());
                thread::spawn(move || relay(client, upstream, cut, &seen, &cut_done));
            }
        });
        CuttingRelay { port, requests }
    }
}

/// One request (the relay asks the upstream for `Connection: close`, so one per connection).
fn relay(client: TcpStream, upstream: u16, cut: usize, seen: &Mutex<Vec<String>>, cut_done: &Mutex<bool>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let request_line = line.trim().to_string();
    let mut head = line.clone();
    let mut range = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        if let Some(value) = lower.strip_prefix("range:") {
            range = value.trim().to_string();
        }
        head.push_str(&header);
    }
    head.push_str("Connection: close\r\n\r\n");
    seen.lock().unwrap().push(format!("{request_line} | {range}"));
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
    server.write_all(head.as_bytes()).unwrap();
    let mut client = client;
    // The first blob at least `cut` bytes long is cut (the config before it is not).
    let cutting = request_line.starts_with("GET ")
        && request_line.contains("/blobs/sha256:")
        && !*cut_done.lock().unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 16384];
    let mut body_start = None;
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        response.extend_from_slice(&buf[..n]);
        if !cutting {
            if client.write_all(&response).is_err() {
                return;
            }
            response.clear();
            continue;
        }
        if body_start.is_none() {
            body_start = response.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
        }
        if let Some(start) = body_start
            && response.len() >= start + cut
        {
            *cut_done.lock().unwrap() = true;
            let _ = client.write_all(&response[..start + cut]);
            return; // dropped: the connection closes mid-body
        }
    }
    let _ = client.write_all(&response);
}
