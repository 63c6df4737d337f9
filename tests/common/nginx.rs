//! nginx in a temporary prefix, plain and TLS (a throw-away CA made with openssl), for
//! the tests that download: jfetch's own and the workflows' http mirrors.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A loopback port nothing listens on.
pub fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A running nginx.
pub struct Nginx {
    child: Child,
    /// Port of the plain HTTP server.
    pub port: u16,
    tls_port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// The served directory.
    pub fn www(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// The CA certificate that signed the TLS server's.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// The plain URL of a served file.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// The https URL of a served file.
    pub fn tls_url(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/{name}", self.tls_port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().expect("spawn");
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn make_certs(dir: &Path) {
    let openssl = || {
        let mut c = Command::new("openssl");
        c.current_dir(dir);
        c
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run_ok(openssl().args(["req", "-x509"]).args(ec).args([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=jtools test CA",
    ]));
    run_ok(openssl().arg("req").args(ec).args([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]));
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run_ok(
        openssl().args(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key"]).args([
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]),
    );
}

/// nginx serving a temporary directory over HTTP and HTTPS on loopback (`www/private/`
/// behind Basic auth: jt / p@ss;w), or None (test
/// skipped) when nginx or openssl is missing. Killed when dropped.
pub fn start_nginx() -> Option<Nginx> {
    start_nginx_with_cert(None)
}

/// nginx as [`start_nginx`], its TLS server with the certificate and key given (made by
/// the test: self-signed, expired, for another name) instead of the CA-signed one.
pub fn start_nginx_with_cert(cert: Option<(&Path, &Path)>) -> Option<Nginx> {
    // nginx lives in /usr/sbin, which a non-root PATH may lack.
    if !Path::new("/usr/sbin/nginx").exists() && !super::have("nginx") {
        return None;
    }
    if !super::have("openssl") {
        return None;
    }
    let nginx = super::which("nginx").unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"));
    let dir = super::tempdir();
    let prefix = dir.path().to_path_buf();
    let prefix = prefix.as_path();
    std::fs::create_dir(prefix.join("www")).unwrap();
    std::fs::create_dir(prefix.join("logs")).unwrap();
    make_certs(prefix);
    if let Some((cert, key)) = cert {
        std::fs::copy(cert, prefix.join("server.crt")).unwrap();
        std::fs::copy(key, prefix.join("server.key")).unwrap();
    }
    let (port, tls_port) = (dead_port(), dead_port());
    let p = prefix.display();
    // /private/ needs Basic user "jt", password "p@ss;w" (nginx's {PLAIN} scheme).
    std::fs::write(prefix.join("htpasswd"), "jt:{PLAIN}p@ss;w\n").unwrap();
    std::fs::create_dir(prefix.join("www/private")).unwrap();
    let private =
        format!("location /private/ {{ auth_basic \"jtools\"; auth_basic_user_file {p}/htpasswd; }}");
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log {p}/logs/error.log;\npid {p}/nginx.pid;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  default_type application/octet-stream;\n  client_body_temp_path {p}/body;\n\
         server {{ listen 127.0.0.1:{port}; root {p}/www; {private} }}\n\
         server {{ listen 127.0.0.1:{tls_port} ssl; ssl_certificate {p}/server.crt; ssl_certificate_key {p}/server.key; root {p}/www; {private} }}\n}}\n"
    );
    std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx)
        .args(["-p", &p.to_string(), "-c", &format!("{p}/nginx.conf"), "-e", &format!("{p}/logs/error.log")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let server = Nginx { child, port, tls_port, dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err()
        || TcpStream::connect(("127.0.0.1", tls_port)).is_err()
    {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: {:?}",
            std::fs::read_to_string(prefix.join("logs/error.log"))
        );
        thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}
