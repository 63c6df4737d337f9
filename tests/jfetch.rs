//! jfetch against real servers on loopback: nginx (plain and TLS with a throw-away CA made
//! by the openssl CLI) and a small HTTP server of our own that misbehaves on purpose.
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::Cmd;
use common::nginx::{dead_port, start_nginx};
use sha2::{Digest, Sha256};

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// jfetch with no proxy or CA settings inherited from the environment.
fn jfetch() -> Cmd {
    let mut cmd = common::jfetch();
    for var in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
    ] {
        cmd.command().env_remove(var);
    }
    cmd
}

fn json_of(text: &str) -> serde_json::Value {
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON record in {text:?}"));
    serde_json::from_str(line).expect("valid JSON record")
}

// ---------------------------------------------------------------------------------------
// The misbehaving server. The first path segment chooses the behaviour:
//   /ok       honours Range (206), the reference behaviour
//   /e500     always 500            /e404    always 404
//   /flaky    500 for the first two requests, then like /ok
//   /cut      the first response stops half way (connection closed), later ones are fine
//   /cutalways every response stops half way through what it promised
//   /wrong    the right length, wrong bytes (honours Range)
//   /norange  ignores Range: always 200 with the whole file
//   /changing a new version (ETag) at every request, the first one cut half way
//   /stall    sends the headers, then nothing
//   /slow     the body in 10 pieces, 250 ms apart
//   /gzip     the file as is, labelled Content-Encoding: gzip
//   /redirect 302 to /ok/...        /loop    302 to itself
// A proxy request (absolute URL) is served like the path it names.

#[derive(Clone, Debug)]
struct Logged {
    target: String,
    path: String,
    range: Option<u64>,
    user_agent: String,
    accept_encoding: String,
    if_range: String,
    authorization: String,
    at: Instant,
}

struct Server {
    port: u16,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl Server {
    fn start(data: Vec<u8>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let data = Arc::new(data);
        let shared_log = Arc::clone(&log);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (data, log) = (Arc::clone(&data), Arc::clone(&shared_log));
                thread::spawn(move || {
                    let _ = serve(stream, &data, &log);
                });
            }
        });
        Server { port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The requests made so far whose path starts with `prefix`.
    fn requests(&self, prefix: &str) -> Vec<Logged> {
        self.log.lock().unwrap().iter().filter(|r| r.path.starts_with(prefix)).cloned().collect()
    }
}

fn serve(stream: TcpStream, data: &[u8], log: &Mutex<Vec<Logged>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    if request_line.starts_with("CONNECT ") {
        // A proxy tunnel (ureq tunnels plain http too): log it, accept it, and serve the
        // request that follows inside it.
        let target = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                break;
            }
        }
        let entry = Logged {
            target,
            path: "CONNECT".into(),
            range: None,
            user_agent: String::new(),
            accept_encoding: String::new(),
            if_range: String::new(),
            authorization: String::new(),
            at: Instant::now(),
        };
        log.lock().unwrap().push(entry);
        (&stream).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        request_line.clear();
        reader.read_line(&mut request_line)?;
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (mut range, mut user_agent, mut accept_encoding, mut if_range, mut authorization) =
        (None, String::new(), String::new(), String::new(), String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        let value = value.trim().to_string();
        match name.to_ascii_lowercase().as_str() {
            "range" => {
                range = value
                    .strip_prefix("bytes=")
                    .and_then(|r| r.strip_suffix('-'))
                    .and_then(|n| n.parse().ok())
            }
            "user-agent" => user_agent = value,
            "accept-encoding" => accept_encoding = value,
            "if-range" => if_range = value,
            "authorization" => authorization = value,
            _ => {}
        }
    }
    let path = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/".to_string(), |at| rest[at..].to_string()),
        None => target.clone(),
    };
    let seen = {
        let mut log = log.lock().unwrap();
        let kind = path.split('/').nth(1).unwrap_or("").to_string();
        let seen = log.iter().filter(|r| r.path.split('/').nth(1) == Some(kind.as_str())).count();
        log.push(Logged {
            target,
            path: path.clone(),
            range,
            user_agent,
            accept_encoding,
            if_range,
            authorization: authorization.clone(),
            at: Instant::now(),
        });
        seen
    };
    let mut out = stream;
    let kind = path.split('/').nth(1).unwrap_or("");
    let rest = &path[1 + kind.len()..];
    match kind {
        "ok" | "slow" | "gzip" => ranged(&mut out, data, range, data.len(), kind),
        "flaky" if seen >= 2 => ranged(&mut out, data, range, data.len(), kind),
        "flaky" | "e500" => head(&mut out, "500 Internal Server Error", 0, &[]),
        "e404" => head(&mut out, "404 Not Found", 0, &[]),
        "cut" if seen >= 1 => ranged(&mut out, data, range, data.len(), kind),
        "cut" | "cutalways" => {
            let from = range.unwrap_or(0) as usize;
            let half = from + (data.len() - from) / 2;
            ranged(&mut out, data, range, half, kind)
        }
        "wrong" => {
            let bad: Vec<u8> = data.iter().map(|b| b ^ 0x5a).collect();
            ranged(&mut out, &bad, range, bad.len(), kind)
        }
        "norange" => ranged(&mut out, data, None, data.len(), kind),
        "changing" => {
            // A new version of the file at every request (ETag "vN"); the first is cut.
            let version: Vec<u8> = data.iter().map(|b| b ^ seen as u8).collect();
            let etag = format!("ETag: \"v{seen}\"");
            head(&mut out, "200 OK", version.len(), &[&etag])?;
            let stop = if seen == 0 { version.len() / 2 } else { version.len() };
            out.write_all(&version[..stop])
        }
        "stall" => {
            head(&mut out, "200 OK", data.len(), &[])?;
            thread::sleep(Duration::from_secs(20));
            Ok(())
        }
        "redirect" => head(&mut out, "302 Found", 0, &[&format!("Location: /ok{rest}")]),
        "loop" => head(&mut out, "302 Found", 0, &[&format!("Location: /loop{rest}")]),
        "space" => head(&mut out, "302 Found", 0, &["Location: /ok/a b c"]),
        "tofile" => head(&mut out, "302 Found", 0, &["Location: file:///etc/passwd"]),
        "busy" if seen >= 1 => ranged(&mut out, data, range, data.len(), kind),
        "busy" => head(&mut out, "503 Service Unavailable", 0, &["Retry-After: 2"]),
        "busydate" if seen >= 1 => ranged(&mut out, data, range, data.len(), kind),
        "busydate" => {
            // An HTTP date 3 s ahead (whole seconds: at least 2 s from now).
            let when = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
            let date = when.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
            head(&mut out, "429 Too Many Requests", 0, &[&format!("Retry-After: {date}")])
        }
        "busylong" => head(&mut out, "503 Service Unavailable", 0, &["Retry-After: 3600"]),
        // Basic user "us er", password "p@ss:w" (RFC 7617), else 401.
        "auth" if authorization == "Basic dXMgZXI6cEBzczp3" => {
            ranged(&mut out, data, range, data.len(), kind)
        }
        "auth" => head(&mut out, "401 Unauthorized", 0, &["WWW-Authenticate: Basic realm=\"t\""]),
        _ => head(&mut out, "404 Not Found", 0, &[]),
    }
}

fn head(out: &mut TcpStream, status: &str, length: usize, extra: &[&str]) -> std::io::Result<()> {
    let mut text = format!("HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n");
    for h in extra {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    out.write_all(text.as_bytes())
}

/// Serves `data` from the Range offset (206) or whole (200), stopping after byte `stop`.
fn ranged(
    out: &mut TcpStream,
    data: &[u8],
    range: Option<u64>,
    stop: usize,
    kind: &str,
) -> std::io::Result<()> {
    let len = data.len();
    let from = range.map_or(0, |r| r as usize);
    if from > len {
        return head(out, "416 Range Not Satisfiable", 0, &[&format!("Content-Range: bytes */{len}")]);
    }
    let gzip = "Content-Encoding: gzip".to_string();
    let content_range = format!("Content-Range: bytes {from}-{}/{len}", len.saturating_sub(1));
    let mut extra: Vec<&str> = Vec::new();
    if kind == "gzip" {
        extra.push(&gzip);
    }
    if range.is_some() {
        extra.push(&content_range);
        head(out, "206 Partial Content", len - from, &extra)?;
    } else {
        head(out, "200 OK", len, &extra)?;
    }
    let body = &data[from..stop.max(from)];
    if kind == "slow" {
        let piece = body.len().div_ceil(10).max(1);
        for chunk in body.chunks(piece) {
            thread::sleep(Duration::from_millis(250));
            out.write_all(chunk)?;
            out.flush()?;
        }
        return Ok(());
    }
    out.write_all(body)?;
    out.flush()
}

// ---------------------------------------------------------------------------------------
// nginx

#[test]
fn nginx_http_to_file_verified_quietly_without_tty() {
    let Some(nginx) = start_nginx() else { return };
    let data = common::noise(4 << 20, 1);
    std::fs::write(nginx.www().join("img.txz"), &data).unwrap();
    let dir = common::tempdir();
    jfetch()
        .args(["-o", "img.txz", "--sha256", &sha256_hex(&data), "--size", &data.len().to_string()])
        .arg(nginx.url("img.txz"))
        .dir(dir.path())
        .run()
        .success()
        // stderr is not a terminal: no progress bar, nothing at all.
        .stderr_is_empty()
        .stdout_is("");
    assert_eq!(std::fs::read(dir.path().join("img.txz")).unwrap(), data);
    assert!(!dir.path().join("img.txz.part").exists());
}

#[test]
fn nginx_https_verifies_against_ssl_cert_file() {
    let Some(nginx) = start_nginx() else { return };
    let data = common::noise(300_000, 2);
    std::fs::write(nginx.www().join("img.txz"), &data).unwrap();
    let run = jfetch()
        .env("SSL_CERT_FILE", nginx.ca())
        .args(["--sha256", &sha256_hex(&data), &nginx.tls_url("img.txz")])
        .run();
    run.success();
    assert_eq!(run.stdout, data);
    // Not trusted by the system store: refused at once (no retries), exit 2.
    let dir = common::tempdir();
    let started = Instant::now();
    jfetch()
        .args(["-o", "img.txz", "--retries", "3", &nginx.tls_url("img.txz")])
        .dir(dir.path())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("img.txz");
    assert!(started.elapsed() < Duration::from_secs(2), "a TLS failure must not be retried");
    assert!(!dir.path().join("img.txz").exists());
}

#[test]
fn nginx_resumes_part_left_by_earlier_run() {
    let Some(nginx) = start_nginx() else { return };
    let data = common::noise(2 << 20, 3);
    std::fs::write(nginx.www().join("img.txz"), &data).unwrap();
    let dir = common::tempdir();
    let held = 700_001;
    std::fs::write(dir.path().join("img.txz.part"), &data[..held]).unwrap();
    let run = jfetch()
        .args(["-q", "--json", "-o", "img.txz", "--sha256", &sha256_hex(&data), &nginx.url("img.txz")])
        .dir(dir.path())
        .run();
    run.success();
    let record = json_of(&run.stdout_str());
    assert_eq!(record["resumed"], held as u64);
    assert_eq!(record["bytes"], data.len() as u64);
    assert_eq!(std::fs::read(dir.path().join("img.txz")).unwrap(), data);

    // A .part that is not a prefix of the file: the mismatch starts over from byte 0.
    std::fs::remove_file(dir.path().join("img.txz")).unwrap();
    std::fs::write(dir.path().join("img.txz.part"), vec![7u8; held]).unwrap();
    jfetch()
        .args(["-o", "img.txz", "--sha256", &sha256_hex(&data), &nginx.url("img.txz")])
        .dir(dir.path())
        .run()
        .success()
        .stderr_contains("starting over");
    assert_eq!(std::fs::read(dir.path().join("img.txz")).unwrap(), data);

    // A complete .part (an earlier run died before the rename): nginx answers 416 to the
    // Range from its end; the bytes held are verified and renamed.
    std::fs::remove_file(dir.path().join("img.txz")).unwrap();
    std::fs::write(dir.path().join("img.txz.part"), &data).unwrap();
    jfetch()
        .args(["-q", "-o", "img.txz", "--sha256", &sha256_hex(&data), &nginx.url("img.txz")])
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(std::fs::read(dir.path().join("img.txz")).unwrap(), data);
    assert!(!dir.path().join("img.txz.part").exists());
}

// ---------------------------------------------------------------------------------------
// Local sources

#[test]
fn file_url_and_plain_path() {
    let dir = common::tempdir();
    let data = common::noise(100_000, 4);
    let src = dir.path().join("src.img");
    std::fs::write(&src, &data).unwrap();
    let run = jfetch().args(["--sha256", &sha256_hex(&data)]).arg(format!("file://{}", src.display())).run();
    run.success();
    assert_eq!(run.stdout, data);
    jfetch().args(["-o", "copy.img", "src.img"]).dir(dir.path()).run().success();
    assert_eq!(std::fs::read(dir.path().join("copy.img")).unwrap(), data);
    // A missing path moves on to the next source.
    jfetch().args(["-q", "-o", "copy2.img", "missing.img", "src.img"]).dir(dir.path()).run().success();
    assert_eq!(std::fs::read(dir.path().join("copy2.img")).unwrap(), data);
}

// ---------------------------------------------------------------------------------------
// Faults

#[test]
fn server_500_is_retried_then_next_source() {
    let data = common::noise(200_000, 5);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let run = jfetch()
        .args(["--json", "-o", "out", "--retries", "2", "--sha256", &sha256_hex(&data)])
        .args([server.url("/e500/f"), server.url("/ok/f")])
        .dir(dir.path())
        .run();
    run.success().stderr_contains("retry 1/2").stderr_contains("HTTP 500");
    assert_eq!(server.requests("/e500").len(), 3);
    let record = json_of(&run.stdout_str());
    assert_eq!(record["status"], "ok");
    assert_eq!(record["source"], server.url("/ok/f"));
    assert_eq!(record["sources"][0]["attempts"], 3);
    assert_eq!(record["sources"][0]["error"], "HTTP 500 Internal Server Error");
    assert_eq!(record["sources"][1]["attempts"], 1);
    assert_eq!(record["digest"], format!("sha256:{}", sha256_hex(&data)));
    assert_eq!(record["verified"], true);
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
}

#[test]
fn server_500_recovers_on_same_source() {
    let data = common::noise(50_000, 6);
    let server = Server::start(data.clone());
    let run = jfetch().args(["-q", "--sha256", &sha256_hex(&data), &server.url("/flaky/f")]).run();
    run.success().stderr_is_empty();
    assert_eq!(run.stdout, data);
    assert_eq!(server.requests("/flaky").len(), 3);
}

#[test]
fn not_found_moves_on_without_retry() {
    let data = common::noise(50_000, 7);
    let server = Server::start(data.clone());
    let run = jfetch().args(["--retries", "3", &server.url("/e404/f"), &server.url("/ok/f")]).run();
    run.success().stderr_contains("HTTP 404");
    assert_eq!(run.stdout, data);
    assert_eq!(server.requests("/e404").len(), 1);
    // Only a 404: exit 2, one line.
    jfetch()
        .args(["-o", "x", &server.url("/e404/f")])
        .dir(common::tempdir().path())
        .run()
        .code(2)
        .one_line_error("jfetch");
}

#[test]
fn cut_body_resumes_with_range_on_same_source() {
    let data = common::noise(300_000, 8);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    jfetch()
        .args(["-q", "-o", "out", "--sha256", &sha256_hex(&data), &server.url("/cut/f")])
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
    let ranges: Vec<_> = server.requests("/cut").iter().map(|r| r.range).collect();
    assert_eq!(ranges, vec![None, Some(150_000)]);
}

#[test]
fn cut_body_resumes_on_next_source() {
    let data = common::noise(300_000, 9);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    jfetch()
        .args(["-q", "-o", "out", "--retries", "0", "--sha256", &sha256_hex(&data)])
        .args([server.url("/cutalways/f"), server.url("/ok/f")])
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
    assert_eq!(server.requests("/ok")[0].range, Some(150_000));
}

#[test]
fn wrong_bytes_are_dropped_and_next_source_starts_over() {
    let data = common::noise(200_000, 10);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let run = jfetch()
        .args(["--json", "-o", "out", "--sha256", &sha256_hex(&data)])
        .args([server.url("/wrong/f"), server.url("/ok/f")])
        .dir(dir.path())
        .run();
    run.success().stderr_contains("sha256 mismatch");
    let record = json_of(&run.stdout_str());
    assert!(record["sources"][0]["error"].as_str().unwrap().contains("mismatch"));
    assert_eq!(server.requests("/ok")[0].range, None, "after a mismatch the next source starts at byte 0");
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
}

#[test]
fn wrong_bytes_everywhere_exit_1_and_leave_nothing() {
    let data = common::noise(200_000, 11);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    std::fs::write(dir.path().join("out"), b"previous good file").unwrap();
    jfetch()
        .args(["-q", "-o", "out", "--sha256", &sha256_hex(&data)])
        .args([server.url("/wrong/a"), server.url("/wrong/b")])
        .dir(dir.path())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("mismatch");
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), b"previous good file");
    assert!(!dir.path().join("out.part").exists());
    // Same for a file that never existed: no OUT at all.
    jfetch()
        .args(["-q", "-o", "new", "--sum", &format!("sha256:{}", sha256_hex(&data)), &server.url("/wrong/a")])
        .dir(dir.path())
        .run()
        .code(1);
    assert!(!dir.path().join("new").exists() && !dir.path().join("new.part").exists());
}

#[test]
fn ignored_range_is_handled_by_skipping() {
    let data = common::noise(300_000, 12);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let sources = [server.url("/cutalways/f"), server.url("/norange/f")];
    jfetch()
        .args(["-q", "-o", "out", "--retries", "0", "--sha256", &sha256_hex(&data)])
        .args(&sources)
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
    assert_eq!(server.requests("/norange")[0].range, Some(150_000));
    // To stdout: the half already written is not written again.
    let run = jfetch().args(["-q", "--retries", "0", "--sha256", &sha256_hex(&data)]).args(&sources).run();
    run.success();
    assert_eq!(run.stdout, data);
}

#[test]
fn file_changed_between_attempts_is_not_spliced() {
    let data = common::noise(200_000, 29);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    jfetch()
        .args(["-o", "out", &server.url("/changing/f")])
        .dir(dir.path())
        .run()
        .success()
        .stderr_contains("changed");
    let requests = server.requests("/changing");
    assert_eq!(requests.len(), 2);
    assert_eq!((requests[1].range, requests[1].if_range.as_str()), (Some(100_000), "\"v0\""));
    // The whole of version 1, not half of version 0 followed by half of version 1.
    let version1: Vec<u8> = data.iter().map(|b| b ^ 1).collect();
    assert!(std::fs::read(dir.path().join("out")).unwrap() == version1);
}

#[test]
fn stall_after_headers_times_out_then_next_source() {
    let data = common::noise(100_000, 13);
    let server = Server::start(data.clone());
    let started = Instant::now();
    let run = jfetch()
        .args(["--timeout", "1", "--retries", "0", "--sha256", &sha256_hex(&data)])
        .args([server.url("/stall/f"), server.url("/ok/f")])
        .run();
    run.success().stderr_contains("/stall/f").stderr_contains("stalled");
    assert_eq!(run.stdout, data);
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
}

#[test]
fn slow_trickle_is_not_a_stall() {
    let data = common::noise(100_000, 14);
    let server = Server::start(data.clone());
    let started = Instant::now();
    let run = jfetch()
        .args(["--timeout", "1", "--retries", "0", "--sha256", &sha256_hex(&data), &server.url("/slow/f")])
        .run();
    run.success().stderr_is_empty();
    assert_eq!(run.stdout, data);
    // 10 pieces 250 ms apart: longer than --timeout in total, never idle that long.
    assert!(started.elapsed() > Duration::from_millis(2000));
}

#[test]
fn refused_connection_moves_on() {
    let data = common::noise(10_000, 15);
    let server = Server::start(data.clone());
    let dead = format!("http://127.0.0.1:{}/f", dead_port());
    let run = jfetch().args(["--retries", "1", &dead, &server.url("/ok/f")]).run();
    run.success().stderr_contains("retry 1/1");
    assert_eq!(run.stdout, data);
}

#[test]
fn network_failure_exits_2_keeps_part_and_next_run_resumes() {
    let data = common::noise(400_000, 16);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let sha = sha256_hex(&data);
    jfetch()
        .args(["-q", "-o", "out", "--retries", "0", "--sha256", &sha, &server.url("/cutalways/f")])
        .dir(dir.path())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("cut short");
    assert!(!dir.path().join("out").exists());
    assert_eq!(std::fs::read(dir.path().join("out.part")).unwrap(), &data[..200_000]);
    let run = jfetch().args(["-o", "out", "--sha256", &sha, &server.url("/ok/f")]).dir(dir.path()).run();
    run.success().stderr_contains("resuming at byte 200000");
    assert_eq!(server.requests("/ok")[0].range, Some(200_000));
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
    assert!(!dir.path().join("out.part").exists());
}

#[test]
fn stdout_fallback_continues_from_byte_written() {
    let data = common::noise(500_000, 17);
    let server = Server::start(data.clone());
    let run = jfetch()
        .args(["-q", "--retries", "0", "--sha256", &sha256_hex(&data)])
        .args([server.url("/cutalways/f"), server.url("/ok/f")])
        .run();
    run.success();
    assert_eq!(run.stdout, data);
    assert_eq!(server.requests("/ok")[0].range, Some(250_000));
}

#[test]
fn stdout_final_mismatch_exits_1_in_pipeline() {
    let data = common::noise(100_000, 18);
    let server = Server::start(data.clone());
    let jfetch_bin = bin!(jfetch);
    common::sh(&format!("{jfetch_bin} -q --sha256 {} {} | wc -c", sha256_hex(&data), server.url("/wrong/f")))
        .run()
        .code(1)
        .stderr_contains("mismatch");
}

#[test]
fn size_is_checked() {
    let data = common::noise(100_000, 19);
    let server = Server::start(data.clone());
    jfetch().args(["-q", "--size", "100000", &server.url("/ok/f")]).run().success();
    let dir = common::tempdir();
    jfetch()
        .args(["-o", "out", "--size", "99999", &server.url("/ok/f")])
        .dir(dir.path())
        .run()
        .code(1)
        .one_line_error("jfetch")
        .stderr_contains("expected 99999");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn cache_hit_is_verified_and_needs_no_network() {
    let data = common::noise(200_000, 20);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let sha = sha256_hex(&data);
    let cache = dir.path().join("cache");
    let cache_arg = cache.display().to_string();
    let run = jfetch()
        .args(["--json", "-o", "a", "--cache", &cache_arg, "--sha256", &sha, &server.url("/ok/f")])
        .dir(dir.path())
        .run();
    run.success();
    assert_eq!(json_of(&run.stdout_str())["cache"], "stored");
    let entry = cache.join("sha256").join(&sha);
    assert_eq!(std::fs::read(&entry).unwrap(), data);

    let dead = format!("http://127.0.0.1:{}/f", dead_port());
    let run = jfetch()
        .args(["--json", "-o", "b", "--cache", &cache_arg, "--sha256", &sha, &dead])
        .dir(dir.path())
        .run();
    run.success();
    assert_eq!(json_of(&run.stdout_str())["cache"], "hit");
    assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), data);
    let run = jfetch().args(["--cache", &cache_arg, "--sha256", &sha, &dead]).run();
    run.success();
    assert_eq!(run.stdout, data);

    // A corrupted entry is not used: removed, then fetched again (here to stdout, which
    // stores its copy too).
    std::fs::write(&entry, b"bit rot").unwrap();
    let run = jfetch().args(["--json", "--cache", &cache_arg, "--sha256", &sha, &server.url("/ok/f")]).run();
    run.success().stderr_contains("corrupt");
    assert_eq!(json_of(&run.stderr)["cache"], "stored");
    assert_eq!(run.stdout, data);
    assert_eq!(std::fs::read(&entry).unwrap(), data);
    assert_eq!(server.requests("/ok").len(), 2);
}

#[test]
fn json_summary_on_failure() {
    let server = Server::start(vec![1, 2, 3]);
    let dir = common::tempdir();
    let run = jfetch()
        .args(["-q", "--json", "-o", "out", "--retries", "0", &server.url("/e500/f")])
        .dir(dir.path())
        .run();
    run.code(2);
    let record = json_of(&run.stdout_str());
    assert_eq!(record["status"], "error");
    assert_eq!(record["source"], serde_json::Value::Null);
    assert_eq!(record["sources"][0]["attempts"], 1);
    assert!(record["error"].as_str().unwrap().contains("HTTP 500"));
    // Streaming to stdout: the record goes to stderr.
    let run = jfetch().args(["-q", "--json", &server.url("/ok/f")]).run();
    run.success();
    assert_eq!(run.stdout, vec![1, 2, 3]);
    assert_eq!(json_of(&run.stderr)["bytes"], 3);
}

#[test]
fn proxy_from_environment() {
    let data = common::noise(20_000, 21);
    let proxy = Server::start(data.clone());
    let run = jfetch()
        .env("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .args(["--sha256", &sha256_hex(&data), "http://mirror.example.invalid/ok/f"])
        .run();
    run.success();
    assert_eq!(run.stdout, data);
    // Through the proxy in absolute form (as curl, wget and fetch(1) send plain http), never
    // a CONNECT tunnel (stock squid and tinyproxy refuse those to port 80) nor direct.
    assert!(proxy.requests("CONNECT").is_empty());
    let requests = proxy.requests("/ok");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].target, "http://mirror.example.invalid/ok/f");
}

#[test]
fn redirects_are_followed_with_a_limit() {
    let data = common::noise(20_000, 22);
    let server = Server::start(data.clone());
    let run = jfetch().args(["--sha256", &sha256_hex(&data), &server.url("/redirect/f")]).run();
    run.success();
    assert_eq!(run.stdout, data);
    jfetch().args(["-q", &server.url("/loop/f")]).run().code(2);
    let loops = server.requests("/loop").len();
    assert!((20..=22).contains(&loops), "{loops} requests for a redirect loop");
}

#[test]
fn user_agent_and_no_content_decoding() {
    let data = common::noise(20_000, 23);
    let server = Server::start(data.clone());
    // Labelled gzip but stored as sent: a decoded body would break the digest.
    let run = jfetch().args(["--sha256", &sha256_hex(&data), &server.url("/gzip/f")]).run();
    run.success();
    assert_eq!(run.stdout, data);
    let request = &server.requests("/gzip")[0];
    assert_eq!(request.user_agent, format!("jtools-jfetch/{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(request.accept_encoding, "identity");
}

#[test]
fn order_random_shuffles_sources() {
    let data = common::noise(1000, 24);
    let server = Server::start(data.clone());
    let mut first = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let run = jfetch()
            .args(["-q", "--json", "--order", "random", &server.url("/ok/a"), &server.url("/ok/b")])
            .run();
        run.success();
        first.insert(json_of(&run.stderr)["source"].as_str().unwrap().to_string());
    }
    assert_eq!(first.len(), 2, "12 shuffles always picked the same source first");
    let run = jfetch().args(["-q", "--order", "seq", &server.url("/ok/a"), &server.url("/ok/b")]).run();
    run.success();
    assert_eq!(server.requests("/ok").last().unwrap().path, "/ok/a");
}

/// `--spec` resolves through jcore::format::ajspec / imgadm, which are not merged on this
/// branch yet: until then it must fail clearly, with exit 2, for both kinds of file.
#[test]
fn spec_errors_are_one_line() {
    let corpus = common::shared_dir().join("corpus");
    let manifest = corpus.join("smartos/c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json");
    let dir = common::tempdir();
    let d = dir.path();
    // A manifest says nothing about where the file lives: --source-base is required.
    jfetch()
        .args(["--spec", &manifest.display().to_string()])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("--source-base");
    jfetch().args(["--spec", "missing.ajspec"]).dir(d).run().code(2).one_line_error("jfetch");
    std::fs::write(d.join("bad.ajspec"), "tags: latest\nlatest.arch: \"amd64\n").unwrap();
    jfetch()
        .args(["--spec", "bad.ajspec"])
        .dir(d)
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("bad.ajspec:2:");
    // No sum for the arch: refuse to download something that cannot be verified.
    std::fs::write(
        d.join("nosum.ajspec"),
        "tags: latest\nlatest.arch: amd64\nlatest.source.amd64: http://127.0.0.1:1/x\n",
    )
    .unwrap();
    jfetch()
        .args(["--spec", "nosum.ajspec", "-a", "amd64"])
        .dir(d)
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("no sum");
    jfetch()
        .args(["--spec", "nosum.ajspec", "-a", "riscv"])
        .dir(d)
        .run()
        .code(2)
        .stderr_contains("has no arch 'riscv'");
}

// --spec with real corpus files whose sources point at the test server.

/// The real hello .ajspec with its amd64/i386 sources, sums and sizes pointed at our server.
fn hello_ajspec(server: &Server, data: &[u8]) -> Option<String> {
    let path = common::shared_dir().join("corpus/ajspec/AppJail-makejails_hello.ajspec");
    let Ok(text) = std::fs::read_to_string(&path) else {
        common::skip("the shared corpus is missing");
        return None;
    };
    let mut out = String::new();
    for line in text.lines() {
        let line = match line.split_once(':') {
            Some(("latest.sum.amd64", _)) => format!("latest.sum.amd64: {}", sha256_hex(data)),
            Some(("latest.size.amd64", _)) => format!("latest.size.amd64: {}", data.len()),
            Some(("latest.source.amd64", _)) => {
                format!("latest.source.amd64: \"{}\"", server.url("/e404/amd64"))
            }
            Some(("latest.source.amd64+", _)) => {
                format!("latest.source.amd64+: \"{}\"", server.url("/ok/amd64"))
            }
            Some(("latest.source.i386", _)) => format!("latest.source.i386: \"{}\"", server.url("/ok/i386")),
            Some(("latest.source.i386+", _)) => {
                format!("latest.source.i386+: \"{}\"", server.url("/wrong/i386"))
            }
            _ => line.to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Some(out)
}

#[test]
fn spec_ajspec_sources_sum_and_size_for_tag_and_arch() {
    let data = common::noise(100_000, 30);
    let server = Server::start(data.clone());
    let Some(spec) = hello_ajspec(&server, &data) else { return };
    let dir = common::tempdir();
    std::fs::write(dir.path().join("hello.ajspec"), spec).unwrap();
    jfetch()
        .args(["-q", "--spec", "hello.ajspec", "-t", "latest", "-a", "amd64", "-o", "img"])
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(std::fs::read(dir.path().join("img")).unwrap(), data);
    assert_eq!(server.requests("/e404/amd64").len(), 1, "sources in file order");
    // i386 keeps the original (real) sum: both its sources serve other bytes.
    jfetch()
        .args(["-q", "--spec", "hello.ajspec", "-a", "i386", "-o", "img386"])
        .dir(dir.path())
        .run()
        .code(1);
    jfetch().args(["--spec", "hello.ajspec", "-t", "nosuchtag"]).dir(dir.path()).run().code(2);
}

#[test]
fn spec_ajspec_in_maintenance_is_refused() {
    let path = common::shared_dir().join("corpus/ajspec/AppJail-makejails_nginx.ajspec");
    jfetch()
        .args(["--spec", &path.display().to_string(), "-t", "13.4", "-a", "amd64"])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("This image is uploading");
}

#[test]
fn spec_imgadm_manifest_with_source_base() {
    let data = common::noise(65_000, 31);
    let server = Server::start(data.clone());
    let path =
        common::shared_dir().join("corpus/smartos/c58161c0-2547-11e2-a75e-9fdca1940570.imgmanifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    manifest["files"][0]["sha1"] = hex::encode(sha1::Sha1::digest(&data)).into();
    manifest["files"][0]["size"] = data.len().into();
    let dir = common::tempdir();
    std::fs::write(dir.path().join("m.json"), manifest.to_string()).unwrap();
    jfetch()
        .args(["-q", "--spec", "m.json", "--source-base", &server.url("/ok/images"), "-o", "file"])
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(std::fs::read(dir.path().join("file")).unwrap(), data);
    assert_eq!(server.requests("/ok")[0].path, "/ok/images/c58161c0-2547-11e2-a75e-9fdca1940570/file");
}

#[test]
fn progress_bar_on_a_terminal_only() {
    if !common::have("script") {
        return;
    }
    let data = common::noise(100_000, 25);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let bin = bin!(jfetch);
    // script(1) runs jfetch on a pseudo-terminal: the bar shows the rate and the ETA. A
    // terminal of a known type: with TERM unset (a CI runner, the unprivileged pass's clean
    // environment) indicatif draws nothing, since it cannot tell what the terminal does.
    let run = Cmd::new("script")
        .args(["-qefc", &format!("{bin} -o out {}", server.url("/slow/f")), "/dev/null"])
        .env("TERM", "xterm")
        .dir(dir.path())
        .run();
    run.success().stdout_contains("ETA");
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
    let run = Cmd::new("script")
        .args(["-qefc", &format!("{bin} -q -o out2 {}", server.url("/slow/f")), "/dev/null"])
        .env("TERM", "xterm")
        .dir(dir.path())
        .run();
    run.success();
    assert!(!run.stdout_str().contains("ETA"), "-q must silence the bar: {}", run.stdout_str());
}

#[test]
fn out_appears_only_when_complete_and_interrupt_keeps_part() {
    let data = common::noise(100_000, 26);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let (out, part) = (dir.path().join("out"), dir.path().join("out.part"));
    let sha = sha256_hex(&data);
    let mut child = Command::new(bin!(jfetch))
        .args(["-q", "-o", "out", "--sha256", &sha, &server.url("/slow/f")])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(1200));
    assert!(!out.exists(), "OUT must not exist before it is verified");
    let held = std::fs::metadata(&part).expect("OUT.part during the transfer").len();
    assert!(held > 0 && held < data.len() as u64);
    // SIGTERM: the .part stays for a later run (it is not a temporary file to clean up).
    terminate(child.id());
    child.wait().unwrap();
    assert!(!out.exists());
    let held = std::fs::metadata(&part).unwrap().len();
    assert!(held > 0);
    jfetch()
        .args(["-q", "-o", "out", "--sha256", &sha, &server.url("/ok/f")])
        .dir(dir.path())
        .run()
        .success();
    assert_eq!(server.requests("/ok")[0].range, Some(held));
    assert_eq!(std::fs::read(&out).unwrap(), data);
}

#[test]
fn second_run_on_same_out_is_refused_while_first_runs() {
    let data = common::noise(50_000, 27);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let mut first = Command::new(bin!(jfetch))
        .args(["-q", "-o", "out", &server.url("/slow/f")])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(500));
    jfetch()
        .args(["-q", "-o", "out", &server.url("/ok/f")])
        .dir(dir.path())
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("in use by another jfetch");
    assert!(first.wait().unwrap().success());
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
}

#[test]
fn broken_pipe_is_quiet() {
    let data = common::noise(3 << 20, 28);
    let server = Server::start(data);
    let bin = bin!(jfetch);
    common::sh(&format!("{bin} {} | head -c 10 > /dev/null", server.url("/ok/f")))
        .run()
        .success()
        .stderr_is_empty();
}

fn terminate(pid: u32) {
    let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    assert!(status.success());
}

#[test]
fn bad_arguments_are_one_line_errors() {
    jfetch().args(["--sum", "sha256", "x"]).run().code(2).one_line_error("jfetch");
    jfetch().args(["--sha256", "abc", "x"]).run().code(2).one_line_error("jfetch");
    jfetch().args(["ftp://h/x"]).run().code(2).one_line_error("jfetch").stderr_contains("unsupported scheme");
    jfetch().args(["--cache", "/tmp", "x"]).run().code(2).one_line_error("jfetch").stderr_contains("--cache");
    jfetch().args(["--timeout", "0", "x"]).run().code(2);
    // An explicit CA bundle that cannot be used is an error, not a silent fallback.
    jfetch()
        .env("SSL_CERT_FILE", "/nonexistent/ca.pem")
        .args(["https://127.0.0.1:1/x"])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("CA bundle /nonexistent/ca.pem");
}

// ---------------------------------------------------------------------------------------
// Servers asking to wait, odd redirects, credentials

#[test]
fn retry_after_seconds_is_honoured() {
    let data = common::noise(10_000, 40);
    let server = Server::start(data.clone());
    let run = jfetch().args(["--sha256", &sha256_hex(&data), &server.url("/busy/f")]).run();
    run.success().stderr_contains("retry 1/3 in 2.0s");
    assert_eq!(run.stdout, data);
    let requests = server.requests("/busy");
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(1900), "waited only {waited:?}");
}

#[test]
fn retry_after_http_date_is_honoured() {
    let data = common::noise(10_000, 41);
    let server = Server::start(data.clone());
    let run = jfetch().args(["-q", "--sha256", &sha256_hex(&data), &server.url("/busydate/f")]).run();
    run.success();
    let requests = server.requests("/busydate");
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(1500), "waited only {waited:?}");
}

#[test]
fn retry_after_beyond_retry_max_time_moves_on_at_once() {
    let data = common::noise(10_000, 42);
    let server = Server::start(data.clone());
    let started = Instant::now();
    let run = jfetch()
        .args(["--retry-max-time", "5", "--sha256", &sha256_hex(&data)])
        .args([server.url("/busylong/f"), server.url("/ok/f")])
        .run();
    run.success().stderr_contains("more than --retry-max-time 5s allows");
    assert_eq!(run.stdout, data);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.requests("/busylong").len(), 1);
}

#[test]
fn redirect_to_location_with_raw_spaces() {
    let data = common::noise(10_000, 43);
    let server = Server::start(data.clone());
    let run = jfetch().args(["--sha256", &sha256_hex(&data), &server.url("/space/f")]).run();
    run.success();
    assert_eq!(run.stdout, data);
    assert_eq!(server.requests("/ok")[0].path, "/ok/a%20b%20c");
}

#[test]
fn redirect_to_file_url_is_refused() {
    let server = Server::start(vec![1, 2, 3]);
    jfetch()
        .args(["-q", &server.url("/tofile/f")])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("file: URL refused");
}

#[test]
fn url_credentials_percent_decoded_sent_only_over_https_unless_asked() {
    let data = common::noise(10_000, 44);
    let server = Server::start(data.clone());
    // "us er" / "p@ss:w", percent-encoded in the URL as RFC 3986 wants.
    let url = format!("http://us%20er:p%40ss%3Aw@127.0.0.1:{}/auth/f", server.port);
    let run = jfetch().args(["-q", "--json", "-o", "-", &url]).run();
    run.code(2).stderr_contains("credentials not sent over plain http");
    assert_eq!(server.requests("/auth")[0].authorization, "");
    let secret_free =
        |text: &str| !text.contains("p@ss") && !text.contains("p%40ss") && !text.contains("us%20er");
    assert!(secret_free(&run.stderr), "{}", run.stderr);
    let run = jfetch().args(["--plain-auth", "--sha256", &sha256_hex(&data), &url]).run();
    run.success();
    assert_eq!(run.stdout, data);
    assert_eq!(server.requests("/auth")[1].authorization, "Basic dXMgZXI6cEBzczp3");
}

#[test]
fn netrc_credentials_and_quoted_tokens() {
    let data = common::noise(10_000, 45);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let netrc = dir.path().join("netrc");
    std::fs::write(&netrc, "machine other.example login x password y\nmachine 127.0.0.1\n  login \"us er\"\n  password \"p@ss:w\"\n").unwrap();
    let url = server.url("/auth/f");
    let run = jfetch()
        .env("NETRC", &netrc)
        .args(["--plain-auth", "--json", "-q", "-o", "out", &url])
        .dir(dir.path())
        .run();
    run.success();
    assert!(!run.stdout_str().contains("p@ss"));
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
    // --no-netrc: nothing sent, the 401 says so.
    jfetch()
        .env("NETRC", &netrc)
        .args(["--plain-auth", "--no-netrc", "-q", &url])
        .run()
        .code(2)
        .stderr_contains("authentication required (HTTP 401)");
    let requests = server.requests("/auth");
    assert_eq!(requests[0].authorization, "Basic dXMgZXI6cEBzczp3");
    assert_eq!(requests[1].authorization, "");
}

#[test]
fn quiet_line_names_wrong_content_before_unreachable() {
    let data = common::noise(10_000, 46);
    let server = Server::start(data.clone());
    let dead = format!("http://127.0.0.1:{}/f", dead_port());
    let dir = common::tempdir();
    let run = jfetch()
        .args([
            "-q",
            "--retries",
            "0",
            "-o",
            "out",
            "--sha256",
            &sha256_hex(&data),
            &server.url("/wrong/f"),
            &dead,
        ])
        .dir(dir.path())
        .run();
    run.code(1)
        .one_line_error("jfetch")
        .stderr_contains("all 2 sources failed; wrong content: ")
        .stderr_contains("/wrong/f: sha256 mismatch")
        .stderr_contains("; last: ");
}

#[test]
fn no_digest_no_hashing_and_no_digest_reported() {
    let data = common::noise(10_000, 47);
    let server = Server::start(data.clone());
    let dir = common::tempdir();
    let run = jfetch().args(["--json", "-q", "-o", "out", &server.url("/ok/f")]).dir(dir.path()).run();
    run.success();
    assert_eq!(json_of(&run.stdout_str())["digest"], serde_json::Value::Null);
    assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), data);
}
