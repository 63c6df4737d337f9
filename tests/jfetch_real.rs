//! jfetch where operators' networks differ from a plain loopback nginx: stock squid and
//! tinyproxy, a SOCKS5 proxy, private CAs and broken certificates, and servers that answer
//! Range, If-Range and 416 each their own way (lighttpd, apache2, busybox httpd, python's
//! http.server). Every server is the real program, unprivileged, on loopback.
mod common;

use common::Cmd;
use common::nginx::{dead_port, start_nginx, start_nginx_with_cert};
use common::servers::{self, Pki};
use sha2::{Digest, Sha256};

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// jfetch with no proxy or trust settings inherited from the environment.
fn jfetch() -> Cmd {
    let mut cmd = Cmd::new(bin!(jfetch));
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NETRC",
        "REQUEST_METHOD",
    ] {
        cmd.command().env_remove(var);
    }
    cmd
}

// ---------------------------------------------------------------------------------------
// Proxies

#[test]
fn squid_stock_rules_http_goes_in_absolute_form() {
    let test = "squid_stock_rules_http_goes_in_absolute_form";
    let (Some(nginx), Some(squid)) = (start_nginx(), servers::squid(test)) else { return };
    let data = common::noise(300_000, 60);
    std::fs::write(nginx.www().join("f"), &data).unwrap();
    let run = jfetch()
        .env("http_proxy", squid.url(""))
        .args(["-q", "--sha256", &sha256_hex(&data), &nginx.url("f")])
        .run();
    run.success();
    assert_eq!(run.stdout, data);
    let log = squid.read("access.log");
    assert!(log.contains(&format!("GET {}", nginx.url("f"))), "squid access.log: {log}");
}

#[test]
fn squid_stock_rules_refuse_connect_to_other_ports_clearly() {
    let test = "squid_stock_rules_refuse_connect_to_other_ports_clearly";
    let (Some(nginx), Some(squid)) = (start_nginx(), servers::squid(test)) else { return };
    std::fs::write(nginx.www().join("f"), b"x").unwrap();
    // "http_access deny CONNECT !SSL_ports": the tunnel is refused, and said so; no
    // direct connection instead.
    jfetch()
        .env("https_proxy", squid.url(""))
        .args(["-q", "--cacert", &nginx.ca().display().to_string(), &nginx.tls_url("f")])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains(&format!("proxy http://127.0.0.1:{}: refused the tunnel (CONNECT)", squid.port))
        .stderr_contains("403");
}

#[test]
fn tinyproxy_http_absolute_form_and_https_connect() {
    let test = "tinyproxy_http_absolute_form_and_https_connect";
    let (Some(nginx), Some(proxy)) = (start_nginx(), servers::tinyproxy(test, None)) else { return };
    let data = common::noise(200_000, 61);
    std::fs::write(nginx.www().join("f"), &data).unwrap();
    let sha = sha256_hex(&data);
    // HTTP_PROXY (upper case) counts outside CGI; https_proxy for https://.
    let run = jfetch().env("HTTP_PROXY", proxy.url("")).args(["-q", "--sha256", &sha, &nginx.url("f")]).run();
    run.success();
    assert_eq!(run.stdout, data);
    let ca = nginx.ca().display().to_string();
    let run = jfetch()
        .env("https_proxy", proxy.url(""))
        .args(["-q", "--cacert", &ca, "--sha256", &sha, &nginx.tls_url("f")])
        .run();
    run.success();
    assert_eq!(run.stdout, data);
    let log = proxy.read("tinyproxy.log");
    assert!(log.contains(&format!("GET {}", nginx.url("f"))), "tinyproxy log: {log}");
    assert!(
        log.contains(&format!(
            "CONNECT 127.0.0.1:{}",
            nginx.tls_url("f").split(':').nth(2).unwrap().split('/').next().unwrap()
        )),
        "tinyproxy log: {log}"
    );
    // In a CGI context HTTP_PROXY is the client's "Proxy:" header (httpoxy): not used.
    let run = jfetch()
        .env("HTTP_PROXY", "http://127.0.0.1:1")
        .env("REQUEST_METHOD", "GET")
        .args(["-q", &nginx.url("f")])
        .run();
    run.success();
}

#[test]
fn tinyproxy_basic_auth_from_percent_encoded_proxy_url() {
    let test = "tinyproxy_basic_auth_from_percent_encoded_proxy_url";
    let (Some(nginx), Some(proxy)) = (start_nginx(), servers::tinyproxy(test, Some(("jt", "pw")))) else {
        return;
    };
    let data = common::noise(50_000, 62);
    std::fs::write(nginx.www().join("f"), &data).unwrap();
    // "%70w" is "pw": the password is percent-decoded before it is sent.
    let with_auth = format!("http://jt:%70w@127.0.0.1:{}", proxy.port);
    let run = jfetch().env("http_proxy", &with_auth).args(["-q", "--json", "-o", "-", &nginx.url("f")]).run();
    run.success();
    assert_eq!(run.stdout, data);
    // Wrong password: the 407 is named, the password is not.
    let wrong = format!("http://jt:s%65cret@127.0.0.1:{}", proxy.port);
    let run = jfetch().env("http_proxy", &wrong).args(["-q", "--json", "-o", "-", &nginx.url("f")]).run();
    // tinyproxy answers a bad BasicAuth with 401 (not 407): the status is named either way.
    run.code(2).stderr_contains("HTTP 401");
    let stderr = &run.stderr;
    assert!(!stderr.contains("s%65cret") && !stderr.contains("secret"), "{stderr}");
}

#[test]
fn no_proxy_cidr_and_names_go_direct_others_never_bypass() {
    let Some(nginx) = start_nginx() else { return };
    std::fs::write(nginx.www().join("f"), b"direct").unwrap();
    let dead_proxy = format!("http://127.0.0.1:{}", dead_port());
    for rule in ["127.0.0.0/8", "127.0.0.1", "*", "example.com, 127.0.0.0/16"] {
        let run =
            jfetch().env("http_proxy", &dead_proxy).env("no_proxy", rule).args(["-q", &nginx.url("f")]).run();
        run.success();
        assert_eq!(run.stdout, b"direct", "no_proxy={rule}");
    }
    // Not excluded: through the (dead) proxy, named in the error; never direct.
    jfetch()
        .env("http_proxy", &dead_proxy)
        .env("NO_PROXY", "10.0.0.0/8,localhost")
        .args(["-q", "--retries", "0", &nginx.url("f")])
        .run()
        .code(2)
        .stderr_contains(&format!("proxy {dead_proxy}: "));
}

#[test]
fn socks5_and_socks5h_through_microsocks() {
    let test = "socks5_and_socks5h_through_microsocks";
    let (Some(nginx), Some(socks)) = (start_nginx(), servers::microsocks(test)) else { return };
    let data = common::noise(100_000, 63);
    std::fs::write(nginx.www().join("f"), &data).unwrap();
    for scheme in ["socks5", "socks5h"] {
        let proxy = format!("{scheme}://127.0.0.1:{}", socks.port);
        let run = jfetch()
            .env("all_proxy", &proxy)
            .args(["-q", "--sha256", &sha256_hex(&data), &nginx.url("f")])
            .run();
        run.success();
        assert_eq!(run.stdout, data);
    }
    // A SOCKS proxy that is down fails the transfer: never a silent direct connection.
    let down = format!("socks5h://127.0.0.1:{}", dead_port());
    jfetch()
        .env("ALL_PROXY", &down)
        .args(["-q", "--retries", "0", &nginx.url("f")])
        .run()
        .code(2)
        .stderr_contains("proxy socks5h://");
    // A scheme jfetch cannot speak is refused by name.
    jfetch()
        .env("http_proxy", "https://127.0.0.1:3128")
        .args(["-q", &nginx.url("f")])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("https:// proxies are not supported");
}

#[test]
fn socks4_and_socks4a_through_dante() {
    let test = "socks4_and_socks4a_through_dante";
    let (Some(nginx), Some(socks)) = (start_nginx(), servers::danted(test)) else { return };
    let data = common::noise(100_000, 70);
    std::fs::write(nginx.www().join("f"), &data).unwrap();
    for scheme in ["socks4", "socks4a", "socks5"] {
        let proxy = format!("{scheme}://127.0.0.1:{}", socks.port);
        let run = jfetch()
            .env("all_proxy", &proxy)
            .args(["-q", "--sha256", &sha256_hex(&data), &nginx.url("f")])
            .run();
        run.success();
        assert_eq!(run.stdout, data, "{scheme}");
    }
    let log = socks.read("danted.log");
    // Through the SOCKS server, not around it: it logged each connection.
    assert!(log.matches("tcp/connect").count() >= 3, "danted log: {log}");
}

#[test]
fn basic_auth_over_https_by_default_not_over_http() {
    let Some(nginx) = start_nginx() else { return };
    let data = common::noise(30_000, 71);
    std::fs::write(nginx.www().join("private/f"), &data).unwrap();
    let ca = nginx.ca().display().to_string();
    let with_user = |url: String| url.replacen("://", "://jt:p%40ss%3Bw@", 1);
    let run = jfetch().args(["-q", "--cacert", &ca, &with_user(nginx.tls_url("private/f"))]).run();
    run.success();
    assert_eq!(run.stdout, data);
    // Over plain http the password stays home and the 401 says why.
    let run = jfetch().args(["--json", "-o", "-", &with_user(nginx.url("private/f"))]).run();
    run.code(2).stderr_contains("credentials not sent over plain http (--plain-auth sends them)");
    assert!(!run.stderr.contains("p%40ss") && !run.stderr.contains("p@ss"), "{}", run.stderr);
    let run = jfetch().args(["-q", "--plain-auth", &with_user(nginx.url("private/f"))]).run();
    run.success();
    assert_eq!(run.stdout, data);
    // Wrong password over https: refused, named, not retried.
    let wrong = nginx.tls_url("private/f").replacen("://", "://jt:nope@", 1);
    jfetch()
        .args(["--cacert", &ca, &wrong])
        .run()
        .code(2)
        .one_line_error("jfetch")
        .stderr_contains("the credentials were refused");
}

// ---------------------------------------------------------------------------------------
// Trust

#[test]
fn cacert_bundle_and_self_signed_leaf_are_trusted() {
    if !common::have("openssl") {
        return;
    }
    let pki = Pki::new();
    let (cert, key) = pki.self_signed("self");
    let Some(nginx) = start_nginx_with_cert(Some((&cert, &key))) else { return };
    let data = common::noise(50_000, 64);
    std::fs::write(nginx.www().join("f"), &data).unwrap();
    // `openssl req -x509` marks it CA:TRUE; given as the trusted file it is accepted, as curl does.
    let run = jfetch().args(["-q", "--cacert", &cert.display().to_string(), &nginx.tls_url("f")]).run();
    run.success();
    assert_eq!(run.stdout, data);
    let run = jfetch().env("SSL_CERT_FILE", &cert).args(["-q", &nginx.tls_url("f")]).run();
    run.success();
    // Not trusted (the system bundle only): words, not library Debug text.
    let run =
        jfetch().env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt").args([&nginx.tls_url("f")]).run();
    // Permanent: no retries (no "retry 1/3" warnings), one line.
    run.code(2)
        .one_line_error("jfetch")
        .stderr_contains("certificate not trusted")
        .stderr_contains("--cacert or SSL_CERT_FILE");
    // --insecure: accepted, with a warning even under -q.
    let run = jfetch()
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .args(["-q", "-k", &nginx.tls_url("f")])
        .run();
    run.success().stderr_contains("warning: --insecure");
    assert_eq!(run.stdout, data);
}

#[test]
fn ssl_cert_dir_hashed_directory_is_read() {
    let Some(nginx) = start_nginx() else { return };
    if !common::have("c_rehash") && !common::have("openssl") {
        return;
    }
    std::fs::write(nginx.www().join("f"), b"hashed").unwrap();
    // The FreeBSD certctl / Debian layout: HASH.0 links in a directory.
    let dir = common::tempdir();
    let out = std::process::Command::new("openssl")
        .args(["x509", "-hash", "-noout", "-in"])
        .arg(nginx.ca())
        .output()
        .unwrap();
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::fs::copy(nginx.ca(), dir.path().join("test-ca.pem")).unwrap();
    std::os::unix::fs::symlink("test-ca.pem", dir.path().join(format!("{hash}.0"))).unwrap();
    // SSL_CERT_DIR alone: the system bundle is not read, only the directory can vouch.
    let run = jfetch().env("SSL_CERT_DIR", dir.path()).args(["-q", &nginx.tls_url("f")]).run();
    run.success();
    // The negative: a directory without the CA.
    let empty = common::tempdir();
    jfetch()
        .env("SSL_CERT_DIR", empty.path())
        .args(["-q", "--retries", "0", &nginx.tls_url("f")])
        .run()
        .code(2)
        .stderr_contains("no system trust store found");
    assert_eq!(run.stdout, b"hashed");
}

#[test]
fn unknown_issuer_expired_and_wrong_name_in_plain_words() {
    if !common::have("openssl") {
        return;
    }
    let pki = Pki::new();
    let ca = pki.path("ca.crt").display().to_string();
    let other = Pki::with_name("another CA");
    let other_ca = other.path("ca.crt").display().to_string();
    let cases: [(&str, (std::path::PathBuf, std::path::PathBuf), &str, String); 3] = [
        (
            "expired",
            pki.leaf("expired", "IP:127.0.0.1", Some(("20200101000000Z", "20200102000000Z"))),
            &ca,
            "certificate expired on 2020-01-02 00:00:00 UTC".into(),
        ),
        (
            "wrongname",
            pki.leaf("wrongname", "DNS:wrong.example", None),
            &ca,
            "certificate is for wrong.example, not 127.0.0.1".into(),
        ),
        (
            "unknown",
            pki.leaf("unknown", "IP:127.0.0.1", None),
            &other_ca,
            "certificate not trusted: issuer \"jtools test CA\"; give it with --cacert or SSL_CERT_FILE"
                .into(),
        ),
    ];
    for (name, (cert, key), trusted, expected) in &cases {
        let Some(nginx) = start_nginx_with_cert(Some((cert, key))) else { return };
        std::fs::write(nginx.www().join("f"), b"x").unwrap();
        let run = jfetch().args(["-q", "--retries", "0", "--cacert", trusted, &nginx.tls_url("f")]).run();
        run.code(2).one_line_error("jfetch");
        let stderr = &run.stderr;
        assert!(stderr.contains(expected.as_str()), "{name}: {stderr}");
        assert!(!stderr.contains("Other(") && !stderr.contains("OtherError"), "{name}: {stderr}");
    }
}

// ---------------------------------------------------------------------------------------
// Servers: 416, Range ignored, If-Range, zero-length files

fn stale_part_longer_than_file_restarts(test: &str, server: Option<servers::Daemon>) {
    let Some(server) = server else { return };
    let data = common::noise(100_000, 65);
    std::fs::write(server.www().join("f"), &data).unwrap();
    let dir = common::tempdir();
    // A .part longer than the file (an earlier, larger version) with its validator: the
    // 416 carries no Content-Range on some servers; the HEAD says the size, and it is not
    // the .part's: start over, no digest needed to get it right.
    let mut longer = data.clone();
    longer.extend_from_slice(&[9u8; 5000]);
    std::fs::write(dir.path().join("f.part"), &longer).unwrap();
    std::fs::write(dir.path().join("f.part.validator"), format!("{}\n\"old\"\n", server.url("f"))).unwrap();
    let run = jfetch().args(["-o", "f", &server.url("f")]).dir(dir.path()).run();
    run.success();
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), data, "{test}");
    assert!(!dir.path().join("f.part").exists());
    assert!(!dir.path().join("f.part.validator").exists());
    // The file became empty on the server; a stale .part is still there: the empty file.
    std::fs::write(server.www().join("f"), b"").unwrap();
    // lighttpd's default stat cache ("simple") keeps a file's old size for about a second:
    // a request within it gets the old Content-Length and then no body (a cut, exit 2 in a
    // loaded CI run). A file that changed a moment ago, not this instant, is the case here.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    std::fs::remove_file(dir.path().join("f")).unwrap();
    std::fs::write(dir.path().join("f.part"), &data[..1000]).unwrap();
    std::fs::write(dir.path().join("f.part.validator"), format!("{}\n\"old\"\n", server.url("f"))).unwrap();
    for _ in 0..2 {
        jfetch().args(["-q", "-o", "f", &server.url("f")]).dir(dir.path()).run().success();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"", "{test}");
    }
}

#[test]
fn lighttpd_416_without_content_range_restarts() {
    let test = "lighttpd_416_without_content_range_restarts";
    stale_part_longer_than_file_restarts(test, servers::lighttpd(test));
}

#[test]
fn apache2_416_without_content_range_restarts() {
    let test = "apache2_416_without_content_range_restarts";
    stale_part_longer_than_file_restarts(test, servers::apache2(test));
}

#[test]
fn busybox_httpd_download_resume_and_zero_length() {
    let test = "busybox_httpd_download_resume_and_zero_length";
    let Some(server) = servers::busybox_httpd(test) else { return };
    let data = common::noise(300_000, 66);
    std::fs::write(server.www().join("f"), &data).unwrap();
    std::fs::write(server.www().join("empty"), b"").unwrap();
    let dir = common::tempdir();
    std::fs::write(dir.path().join("f.part"), &data[..100_000]).unwrap();
    let run = jfetch()
        .args(["--json", "-o", "f", "--sha256", &sha256_hex(&data), &server.url("f")])
        .dir(dir.path())
        .run();
    run.success().stderr_contains("resuming at byte 100000");
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), data);
    jfetch().args(["-q", "-o", "empty", "--size", "0", &server.url("empty")]).dir(dir.path()).run().success();
    assert_eq!(std::fs::read(dir.path().join("empty")).unwrap(), b"");
}

#[test]
fn python_http_server_ignores_range_part_kept_by_validator() {
    let test = "python_http_server_ignores_range_part_kept_by_validator";
    let Some(server) = servers::python_http(test) else { return };
    let data = common::noise(200_000, 67);
    std::fs::write(server.www().join("f"), &data).unwrap();
    let dir = common::tempdir();
    // No digest, no validator: a .part from who knows where is not trusted.
    std::fs::write(dir.path().join("f.part"), vec![1u8; 50_000]).unwrap();
    let run = jfetch().args(["-o", "f", &server.url("f")]).dir(dir.path()).run();
    run.success().stderr_contains("no digest and no validator");
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), data);
    // A zero-length file from a server that sends no Range support at all.
    std::fs::write(server.www().join("empty"), b"").unwrap();
    jfetch().args(["-q", "-o", "empty", &server.url("empty")]).dir(dir.path()).run().success();
    assert_eq!(std::fs::read(dir.path().join("empty")).unwrap(), b"");
}

#[test]
fn file_changed_on_server_between_runs_restarts_with_if_range() {
    let Some(nginx) = start_nginx() else { return };
    if !common::have("curl") {
        return;
    }
    let old = common::noise(200_000, 68);
    std::fs::write(nginx.www().join("f"), &old).unwrap();
    // The ETag nginx gives the old version, as an earlier run would have kept it.
    let out = std::process::Command::new("curl").args(["-sI", &nginx.url("f")]).output().unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_string();
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("ETag: ").or_else(|| l.strip_prefix("etag: ")))
        .unwrap()
        .trim()
        .to_string();
    let dir = common::tempdir();
    std::fs::write(dir.path().join("f.part"), &old[..100_000]).unwrap();
    std::fs::write(dir.path().join("f.part.validator"), format!("{}\n{etag}\n", nginx.url("f"))).unwrap();
    // A new version replaces it (new mtime and size: a new ETag).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let new = common::noise(210_000, 69);
    std::fs::write(nginx.www().join("f"), &new).unwrap();
    let run = jfetch().args(["-o", "f", &nginx.url("f")]).dir(dir.path()).run();
    run.success().stderr_contains("resuming at byte 100000").stderr_contains("changed on the server");
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), new);
    // Same version: If-Range matches and the resume is kept.
    let out = std::process::Command::new("curl").args(["-sI", &nginx.url("f")]).output().unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_string();
    let etag = head.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap().trim().to_string();
    std::fs::remove_file(dir.path().join("f")).unwrap();
    std::fs::write(dir.path().join("f.part"), &new[..100_000]).unwrap();
    std::fs::write(dir.path().join("f.part.validator"), format!("{}\n{etag}\n", nginx.url("f"))).unwrap();
    let run = jfetch().args(["--json", "-q", "-o", "f", &nginx.url("f")]).dir(dir.path()).run();
    run.success();
    assert!(run.stdout_str().contains("\"resumed\":100000"), "{}", run.stdout_str());
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), new);
}

// ---------------------------------------------------------------------------------------
// DNS

/// Runs `script` under sh in a private network, mount and PID namespace (every process
/// started there ends with it) whose resolv.conf names only 127.0.0.1. With `dns`,
/// dnsmasq (a real DNS server) answers there: `ok.test` is 127.0.0.1 and every other name
/// is NXDOMAIN; without, nothing answers. Nothing reaches the host's resolver.
fn in_private_dns(dns: bool, script: &str) -> Option<common::Run> {
    if !common::have("dnsmasq") || !common::have("unshare") || !common::have("python3") {
        return None;
    }
    if !common::require_root("a network namespace with its own resolver and addresses") {
        return None;
    }
    let dir = common::tempdir();
    let d = dir.path().display();
    std::fs::write(dir.path().join("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        .unwrap();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    std::fs::write(dir.path().join("www/f"), b"resolved\n").unwrap();
    let wrapper = format!(
        r#"set -e
ip link set lo up
mount --bind {d}/resolv.conf /etc/resolv.conf
if {dns}; then
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces \
    --listen-address=127.0.0.1 --port=53 --pid-file={d}/dnsmasq.pid --user=root \
    --address=/ok.test/127.0.0.1 --address=/#/ >{d}/dnsmasq.log 2>&1 &
fi
python3 -m http.server --bind 127.0.0.1 --directory {d}/www 8080 >{d}/http.log 2>&1 &
for i in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8080))' 2>/dev/null &&
    {{ ! {dns} || getent hosts ok.test >/dev/null 2>&1; }} && break
  sleep 0.1
done
set +e
{script}
"#
    );
    let run = Cmd::new("unshare")
        .args(["--net", "--mount", "--pid", "--fork", "sh", "-c", &wrapper])
        .env("JFETCH", bin!(jfetch))
        .run();
    Some(run)
}

#[test]
fn dns_nxdomain_is_named_and_not_retried() {
    // The same resolver answers a name it knows: the setup works, so the failure below is
    // the resolver's answer, not a broken namespace.
    let script = r#"
"$JFETCH" http://ok.test:8080/f || exit 90
"$JFETCH" --retries 3 http://no-such-host.invalid/f
echo "exit=$?" >&2
"#;
    let Some(run) = in_private_dns(true, script) else { return };
    run.stdout_is("resolved\n")
        .stderr_contains(
            "jfetch: http://no-such-host.invalid/f: cannot resolve host no-such-host.invalid (DNS): ",
        )
        // NXDOMAIN is an answer: exit 2 and no retry (curl does not retry it either).
        .stderr_contains("exit=2");
    assert!(!run.stderr.contains("retry"), "an NXDOMAIN was retried: {}", run.stderr);
}

#[test]
fn dns_resolver_unreachable_is_named_and_retried() {
    // No DNS server listens: the resolver gets no answer (EAI_AGAIN), which is worth a
    // retry.
    let script = r#"
"$JFETCH" --retries 2 http://ok.test:8080/f
echo "exit=$?" >&2
"#;
    let Some(run) = in_private_dns(false, script) else { return };
    run.stdout_is("")
        .stderr_contains("jfetch: http://ok.test:8080/f: cannot resolve host ok.test (DNS): ")
        .stderr_contains("retry 1/2")
        .stderr_contains("retry 2/2")
        .stderr_contains("exit=2");
}
