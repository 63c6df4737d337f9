//! lighttpd serving `www/` with an access log, for tests that must show which requests were
//! made (or that none was: jfetch refusing an unsigned spec asks no source for anything).

use std::time::{Duration, Instant};

use super::servers::{self, Daemon};

/// lighttpd (mod_accesslog) serving `www/`, logging each request to `access.log`.
pub fn lighttpd_logged(test: &str) -> Option<Daemon> {
    let program = servers::find("lighttpd", &["/usr/sbin/lighttpd"])?;
    let dir = servers::daemon_dir();
    let port = super::nginx::dead_port();
    let d = dir.path().display();
    let conf = format!(
        "server.modules = (\"mod_accesslog\")\nserver.document-root = \"{d}/www\"\nserver.port = {port}\n\
         server.bind = \"127.0.0.1\"\nserver.errorlog = \"{d}/error.log\"\n\
         accesslog.filename = \"{d}/access.log\"\naccesslog.format = \"%r %s\"\n\
         server.stat-cache-engine = \"disable\"\n"
    );
    std::fs::write(dir.path().join("lighttpd.conf"), conf).unwrap();
    Some(servers::spawn(test, &program, &["-D".into(), "-f".into(), format!("{d}/lighttpd.conf")], dir, port))
}

/// The request lines (`GET /path HTTP/1.1 STATUS`) the server has logged so far, the
/// sentinels left out, once a request for a new `/sentinel-N` (made here) shows in the log:
/// lighttpd may buffer its log, and the sentinel, requested last, proves that every earlier
/// request has been written.
pub fn requests_until_sentinel(server: &Daemon) -> Vec<String> {
    use std::io::{Read, Write};
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let path = format!("/sentinel-{}", COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.read("access.log");
        let lines: Vec<&str> = log.lines().collect();
        if let Some(at) = lines.iter().position(|l| l.starts_with(&format!("GET {path} "))) {
            return lines[..at]
                .iter()
                .filter(|l| !l.contains(" /sentinel-"))
                .map(|l| l.to_string())
                .collect();
        }
        assert!(Instant::now() < deadline, "lighttpd did not log the sentinel request: {log}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
