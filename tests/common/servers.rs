//! Real servers and proxies for jfetch's tests, each an unprivileged process in the test's
//! temporary directory, bound to loopback on a free port, killed when dropped: squid and
//! tinyproxy with their stock Debian rules (only the port, the address and the file paths
//! changed), microsocks (SOCKS5), danted (SOCKS4, 4a and 5), lighttpd, apache2, busybox httpd and python's
//! http.server; and a throw-away PKI made with the openssl CLI.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::nginx::dead_port;

/// A running server or proxy.
pub struct Daemon {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    /// The prefix of the shared-memory segments it makes in /dev/shm (squid), removed
    /// with it: killed, it cannot remove them itself.
    shm_prefix: Option<String>,
}

impl Daemon {
    /// Its temporary directory (configuration, logs, `www/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The served directory.
    pub fn www(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// The URL of a served file (or, for a proxy, the proxy URL when `name` is empty).
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// A file the daemon wrote (its log).
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(prefix) = &self.shm_prefix
            && let Ok(entries) = std::fs::read_dir("/dev/shm")
        {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(prefix.as_str()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A directory the unprivileged daemon can write, with `www/` in it.
pub fn daemon_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = super::tempdir();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    for p in [dir.path().to_path_buf(), dir.path().join("www")] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    dir
}

/// `program args…`, as nobody when we are root (setpriv), in `dir`, waited for until it
/// accepts connections on `port`.
pub fn spawn(test: &str, program: &Path, args: &[String], dir: tempfile::TempDir, port: u16) -> Daemon {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let child = cmd
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{test}: start {}: {e}", program.display()));
    let mut daemon = Daemon { child, port, dir, shm_prefix: None };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = daemon.child.try_wait() {
            panic!("{test}: {} exited ({status}): {}", program.display(), daemon.read("stderr.log"));
        }
        assert!(
            Instant::now() < deadline,
            "{test}: {} did not start: {}",
            program.display(),
            daemon.read("stderr.log")
        );
        thread::sleep(Duration::from_millis(50));
    }
    daemon
}

pub fn find(program: &str, places: &[&str]) -> Option<PathBuf> {
    if let Some(p) = places.iter().map(PathBuf::from).find(|p| p.is_file()) {
        return Some(p);
    }
    if super::have(program) { super::which(program) } else { None }
}

/// squid with Debian's /etc/squid/squid.conf: its ACLs (localhost allowed, CONNECT only to
/// port 443) as shipped; only the port, the address and the log and pid paths changed.
pub fn squid(test: &str) -> Option<Daemon> {
    let program = find("squid", &["/usr/sbin/squid"])?;
    let stock = std::fs::read_to_string("/etc/squid/squid.conf").ok()?;
    let dir = daemon_dir();
    let port = dead_port();
    let d = dir.path().display();
    let mut conf: String = stock
        .lines()
        .map(|line| match line.trim() {
            "http_port 3128" => format!("http_port 127.0.0.1:{port}"),
            l if l.starts_with("coredump_dir") => format!("coredump_dir {d}"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    conf.push_str(&format!(
        "\npid_filename {d}/squid.pid\ncache_log {d}/cache.log\naccess_log stdio:{d}/access.log\n\
         cache_store_log none\nnetdb_filename none\nshutdown_lifetime 0 seconds\nvisible_hostname jtools-test\n"
    ));
    std::fs::write(dir.path().join("squid.conf"), conf).unwrap();
    let conf = format!("{d}/squid.conf");
    // A service name of its own: squid names its /dev/shm segments after it
    // (`squid-cf__queues.shm` by default), and a squid run by another user (the root pass
    // runs it as nobody, the unprivileged pass as the CI user) or left over cannot share
    // them: it exits 1 at start. (Letters and digits only, says squid.)
    let service = format!("jtoolssquid{}x{port}", std::process::id());
    let args = ["-N".into(), "-n".into(), service.clone(), "-f".into(), conf];
    let mut daemon = spawn(test, &program, &args, dir, port);
    daemon.shm_prefix = Some(format!("{service}-"));
    Some(daemon)
}

/// tinyproxy with Debian's /etc/tinyproxy/tinyproxy.conf (Allow 127.0.0.1, every CONNECT
/// port), on loopback; `basic_auth` adds a `BasicAuth user password` line.
pub fn tinyproxy(test: &str, basic_auth: Option<(&str, &str)>) -> Option<Daemon> {
    let program = find("tinyproxy", &["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"])?;
    let stock = std::fs::read_to_string("/etc/tinyproxy/tinyproxy.conf").ok()?;
    let dir = daemon_dir();
    let port = dead_port();
    let d = dir.path().display();
    let mut conf: String = stock
        .lines()
        .filter(|l| !l.starts_with("User ") && !l.starts_with("Group "))
        .map(|line| match line.split_whitespace().next() {
            Some("Port") => format!("Port {port}"),
            Some("LogFile") => format!("LogFile \"{d}/tinyproxy.log\""),
            Some("PidFile") => format!("PidFile \"{d}/tinyproxy.pid\""),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    conf.push_str("\nListen 127.0.0.1\n");
    if let Some((user, password)) = basic_auth {
        conf.push_str(&format!("BasicAuth {user} {password}\n"));
    }
    std::fs::write(dir.path().join("tinyproxy.conf"), conf).unwrap();
    let conf = format!("{d}/tinyproxy.conf");
    Some(spawn(test, &program, &["-d".into(), "-c".into(), conf], dir, port))
}

/// microsocks, a SOCKS5 proxy.
pub fn microsocks(test: &str) -> Option<Daemon> {
    let program = find("microsocks", &["/usr/bin/microsocks"])?;
    let dir = daemon_dir();
    let port = dead_port();
    Some(spawn(test, &program, &["-i".into(), "127.0.0.1".into(), "-p".into(), port.to_string()], dir, port))
}

/// Dante's danted, a SOCKS4, SOCKS4a and SOCKS5 server, letting loopback clients through.
pub fn danted(test: &str) -> Option<Daemon> {
    let program = find("danted", &["/usr/sbin/danted"])?;
    let dir = daemon_dir();
    let port = dead_port();
    let d = dir.path().display();
    let conf = format!(
        "logoutput: {d}/danted.log\ninternal: 127.0.0.1 port = {port}\nexternal: 127.0.0.1\n\
         clientmethod: none\nsocksmethod: none\n\
         client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\nsocks pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 log: connect }}\n"
    );
    std::fs::write(dir.path().join("danted.conf"), conf).unwrap();
    let args =
        ["-f", &format!("{d}/danted.conf"), "-p", &format!("{d}/danted.pid"), "-N", "1"].map(String::from);
    Some(spawn(test, &program, &args, dir, port))
}

/// lighttpd serving `www/`.
pub fn lighttpd(test: &str) -> Option<Daemon> {
    let program = find("lighttpd", &["/usr/sbin/lighttpd"])?;
    let dir = daemon_dir();
    let port = dead_port();
    let d = dir.path().display();
    let conf = format!(
        "server.document-root = \"{d}/www\"\nserver.port = {port}\nserver.bind = \"127.0.0.1\"\n\
         server.errorlog = \"{d}/error.log\"\nserver.stat-cache-engine = \"disable\"\n"
    );
    // No stat cache: lighttpd's default keeps a file's old size for about a second, and a
    // test that rewrites a served file (a tampered spec) would get a cut body instead.
    std::fs::write(dir.path().join("lighttpd.conf"), conf).unwrap();
    Some(spawn(test, &program, &["-D".into(), "-f".into(), format!("{d}/lighttpd.conf")], dir, port))
}

/// apache2 (one process, -X) serving `www/` with Debian's modules.
pub fn apache2(test: &str) -> Option<Daemon> {
    let program = find("apache2", &["/usr/sbin/apache2"])?;
    let modules = Path::new("/usr/lib/apache2/modules");
    let dir = daemon_dir();
    let port = dead_port();
    let d = dir.path().display();
    let m = modules.display();
    let conf = format!(
        "ServerRoot \"{d}\"\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n\
         LoadModule mpm_event_module {m}/mod_mpm_event.so\nLoadModule authz_core_module {m}/mod_authz_core.so\n\
         PidFile {d}/httpd.pid\nErrorLog {d}/error.log\nDefaultRuntimeDir {d}\nMutex file:{d} default\n\
         DocumentRoot \"{d}/www\"\n<Directory \"{d}/www\">\n  Require all granted\n</Directory>\n"
    );
    std::fs::write(dir.path().join("httpd.conf"), conf).unwrap();
    Some(spawn(test, &program, &["-X".into(), "-f".into(), format!("{d}/httpd.conf")], dir, port))
}

/// busybox httpd (the static busybox) serving `www/`.
pub fn busybox_httpd(test: &str) -> Option<Daemon> {
    let program = find("busybox", &["/bin/busybox", "/usr/bin/busybox"])?;
    let dir = daemon_dir();
    let port = dead_port();
    let www = dir.path().join("www").display().to_string();
    let args = ["httpd", "-f", "-p", &format!("127.0.0.1:{port}"), "-h", &www].map(String::from);
    Some(spawn(test, &program, &args, dir, port))
}

/// python3's http.server, which ignores Range (always 200, whole file).
pub fn python_http(test: &str) -> Option<Daemon> {
    let program = find("python3", &["/usr/bin/python3"])?;
    let dir = daemon_dir();
    let port = dead_port();
    let www = dir.path().join("www").display().to_string();
    let args = ["-m", "http.server", "--bind", "127.0.0.1", "--directory", &www, &port.to_string()]
        .map(String::from);
    Some(spawn(test, &program, &args, dir, port))
}

/// A throw-away PKI: a CA, and leaf certificates for 127.0.0.1 as tests need them.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A new CA (`ca.crt`, `ca.key`) named "jtools test CA".
    pub fn new() -> Pki {
        Pki::with_name("jtools test CA")
    }

    /// A new CA with this common name.
    pub fn with_name(cn: &str) -> Pki {
        let dir = super::tempdir();
        let pki = Pki { dir };
        pki.openssl(
            &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
            &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", &format!("/CN={cn}")],
        );
        std::fs::write(pki.path("index.txt"), "").unwrap();
        std::fs::write(pki.path("serial"), "01\n").unwrap();
        std::fs::write(
            pki.path("ca.cnf"),
            "[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
             default_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n",
        )
        .unwrap();
        pki
    }

    /// A path in the PKI's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn openssl(&self, first: &[&str], rest: &[&str]) {
        let out =
            Command::new("openssl").args(first).args(rest).current_dir(self.dir.path()).output().unwrap();
        assert!(out.status.success(), "openssl {first:?} {rest:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A leaf `NAME.crt`/`NAME.key` signed by the CA, for `san` (e.g. `IP:127.0.0.1`),
    /// valid from `start` to `end` (openssl's YYYYMMDDHHMMSSZ) or for two days.
    pub fn leaf(&self, name: &str, san: &str, validity: Option<(&str, &str)>) -> (PathBuf, PathBuf) {
        let (key, csr, crt, ext) =
            (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"), format!("{name}.ext"));
        std::fs::write(
            self.path(&ext),
            format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
        )
        .unwrap();
        self.openssl(
            &["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
            &["-keyout", &key, "-out", &csr, "-subj", &format!("/CN={name}")],
        );
        let (start, end) = validity.unwrap_or(("", ""));
        let mut args = vec![
            "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", &csr, "-out",
            &crt, "-extfile", &ext, "-notext",
        ];
        if validity.is_some() {
            args.extend(["-startdate", start, "-enddate", end]);
        } else {
            args.extend(["-days", "2"]);
        }
        self.openssl(&["ca"], &args);
        (self.path(&crt), self.path(&key))
    }

    /// A self-signed certificate for 127.0.0.1 made as people make them,
    /// `openssl req -x509` (which marks it CA:TRUE).
    pub fn self_signed(&self, name: &str) -> (PathBuf, PathBuf) {
        let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
        self.openssl(
            &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
            &[
                "-keyout",
                &key,
                "-out",
                &crt,
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
        );
        (self.path(&crt), self.path(&key))
    }
}
