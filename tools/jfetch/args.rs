//! The jfetch command line: the clap definition only. It imports nothing else from the tool,
//! so the man page and completions need no more than this file; cli.rs derives the plan.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  jfetch -o web.txz --sha256 HEX https://a.example/web.txz https://b.example/web.txz
  jfetch --sum blake3:HEX --size 104857600 --order random -o web.txz URL1 URL2 URL3
  jfetch --sha256 HEX URL | jpack -d | jsnap recv tank/jails/web
  jfetch --cache /var/cache/jtools --sha256 HEX -o web.txz URL
  jfetch --json -q -o web.txz --sha256 HEX URL      summary record on stdout
  jfetch -o base.txz /mnt/mirror/base.txz            a plain path or file:// URL works too

Signatures (minisign or signify public keys, as jsum -p/-P takes them):
  jfetch --pubkey release.pub --spec https://a.example/web.ajspec -o web.txz
                                   checks web.ajspec.minisig (or .sig) before any download
  jfetch --pubkey release.pub --sig URL.minisig -o web.txz URL     the file itself
  jfetch --pubkey-string RWQ... --sig web.txz.minisig URL | jpack -d | jsnap recv tank/web

Registries (OCI distribution; docker://HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]):
  jfetch -o web-layout docker://registry.example/jails/web:14.2    pull an image to an OCI layout
  jfetch --platform freebsd/arm64 -o web docker://reg-a.example/web:1 docker://reg-b.example/web:1
  jfetch --push web-layout docker://registry.example/jails/web:14.2 push a layout's image
  jfetch --plain-http --push web --ref 14.2 docker://127.0.0.1:5000/web:14.2";

/// Download with mirror fallback, resume, and verification while streaming.
///
/// SOURCEs (http://, https://, file:// or a plain path) are tried in the order given, or
/// shuffled with --order random. A transient failure (connection refused or reset, stall,
/// 5xx, a body cut short) is retried with backoff up to --retries times, then the next
/// source continues from the byte reached (Range: bytes=N-); a 4xx moves on at once. A
/// server that ignores Range is handled by skipping the bytes already held.
///
/// With -o OUT, data goes to OUT.part, which is fsynced and renamed to OUT only when its
/// size and digest match; a digest mismatch empties it and moves to the next source; a
/// network failure keeps it, and the next run resumes it. Without -o, data streams to
/// standard output as it arrives; a fallback continues from the byte already written.
///
/// With --pubkey, a spec is trusted only when its signature verifies, and --sig checks the
/// file's own minisign or signify signature: minisign's default (prehashed) signatures while
/// the bytes stream by, legacy and signify ones on the finished OUT.part before the rename
/// (they need the whole file, so they are refused for standard output).
///
/// Exit status: 0 delivered (and verified when a digest, size or signature was given); 1 no
/// source delivered and at least one served wrong content (digest, size or signature
/// mismatch), or a spec or signature was refused (unsigned, another key, tampered); 2 network
/// or other errors, and malformed key or signature files.
///
/// HTTPS verifies certificates against the system trust store (SSL_CERT_FILE,
/// SSL_CERT_DIR, the system's bundle and hashed directories) or --cacert, never built-in
/// roots. Proxies come from the environment as in curl: http_proxy (and HTTP_PROXY outside
/// CGI), https_proxy, all_proxy, no_proxy (names, domain suffixes, *, addresses, CIDR); an
/// HTTP proxy gets http:// requests in absolute form and https:// through CONNECT; socks4,
/// socks4a, socks5 and socks5h proxies are used too. Credentials come from the URL
/// (user:password@, percent-decoded) or netrc, and are never printed. A 429 or 503 with
/// Retry-After waits as asked, up to --retry-max-time. Content is never decoded (no gzip),
/// so digests and offsets stay true.
///
/// Registries (OCI distribution, Docker registry API v2): a SOURCE
/// docker://HOST[:PORT]/REPOSITORY[:TAG|@sha256:HEX] (skopeo's transport name; the tag
/// defaults to latest) pulls that image into the OCI image layout -o DIR, which must not
/// exist: it is built beside DIR and renamed into place once complete, with index.json naming
/// the image by its tag (org.opencontainers.image.ref.name). Several docker:// SOURCEs are
/// mirrors of one image: each step goes to the next one when a registry fails. The manifest
/// is asked for with the OCI and Docker v2 media types; an index (or Docker manifest list)
/// is resolved to --platform, or the host's platform; a Docker v2 manifest is converted to
/// an OCI one as `skopeo copy` converts it (the config re-encoded without Docker's fields, the
/// layers unchanged; the layout's digests are skopeo's, the served one is in --json's
/// converted_from). Every manifest and blob is verified against its digest while it streams; a blob cut short is resumed with Range, retried and taken from
/// the next mirror as any download. With --push DIR, the SOURCEs are destinations: the
/// layout's image (--ref, or its only one; an index with all its manifests) is pushed to
/// each: blobs the registry has (HEAD) are skipped, --mount-from mounts them from another
/// repository, the others are uploaded in one request or, above --chunk-size, in chunks;
/// then the manifests, and the tag. Registries are reached over https unless --plain-http.
/// Authentication is what the registry asks for: none, Basic, or a Bearer token from the
/// realm its WWW-Authenticate challenge names; credentials come from the reference
/// (docker://USER:PASSWORD@HOST/…), JFETCH_CREDS=USER:PASSWORD, netrc (the registry's
/// host name), or the auth file skopeo login, podman and docker write ($REGISTRY_AUTH_FILE,
/// else $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
/// ~/.docker/config.json), and go only over https unless --plain-auth. Exit status 1 when a manifest or
/// blob does not match its digest, or a manifest does not validate; nothing is kept then.
#[derive(Parser, Debug)]
#[command(name = "jfetch", version, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Where to fetch from: http(s):// or file:// URLs, or plain paths (mirrors of one file)
    #[arg(value_name = "SOURCE", required_unless_present = "spec")]
    pub sources: Vec<String>,

    /// Write to OUT (through OUT.part) instead of standard output
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// The SHA-256 the file must have
    #[arg(long, value_name = "HEX", conflicts_with = "sum", help_heading = "Verification")]
    pub sha256: Option<String>,

    /// The digest the file must have: ALGO:HEX (sha256, sha1, sha512, blake3, skein256, skein512, skein1024)
    #[arg(long, value_name = "ALGO:HEX", help_heading = "Verification")]
    pub sum: Option<String>,

    /// The size the file must have, in bytes
    #[arg(long, value_name = "N", help_heading = "Verification")]
    pub size: Option<u64>,

    /// Order in which sources are tried
    #[arg(long, value_enum, default_value_t = Order::Seq)]
    pub order: Order,

    /// Retries per source after a transient failure
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// Seconds to wait for a connection, and for each read before the transfer counts as stalled
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_timeout)]
    pub timeout: f64,

    /// The longest wait a server's Retry-After is granted, in all, per source; a server
    /// asking for more is left for the next source
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_seconds)]
    pub retry_max_time: f64,

    /// Trust the certificates in FILE (PEM: a CA bundle, or the server's own self-signed
    /// certificate) instead of the system trust store
    #[arg(long, value_name = "FILE", help_heading = "TLS and credentials")]
    pub cacert: Option<PathBuf>,

    /// Do not verify https certificates (a warning is printed for every connection)
    #[arg(short = 'k', long, help_heading = "TLS and credentials")]
    pub insecure: bool,

    /// Send credentials (URL user:password, netrc) over plain http too; by default they go
    /// only over https
    #[arg(long, help_heading = "TLS and credentials")]
    pub plain_auth: bool,

    /// Do not read credentials from $NETRC or ~/.netrc
    #[arg(long, help_heading = "TLS and credentials")]
    pub no_netrc: bool,

    /// Content-addressed cache (DIR/ALGO/HEX): a verified hit is used without any network
    /// access; a verified download is added
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// No progress bar and no warnings
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Print a JSON summary record (source used, bytes, attempts per source, digest): on
    /// standard output with -o, on standard error when the data goes to standard output
    #[arg(long)]
    pub json: bool,

    /// Write binary data to standard output even when it is a terminal
    #[arg(short = 'f', long)]
    pub force: bool,

    /// Take sources, digest and size from an AppJail .ajspec or an imgadm manifest (a path,
    /// or an http(s) URL fetched first)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sources", "sha256", "sum", "size"], help_heading = "Specification")]
    pub spec: Option<PathBuf>,

    /// With an .ajspec: the tag to fetch
    #[arg(
        short = 't',
        long,
        value_name = "TAG",
        default_value = "latest",
        requires = "spec",
        help_heading = "Specification"
    )]
    pub tag: String,

    /// With an .ajspec: the architecture to fetch [default: the host's]
    #[arg(short = 'a', long, value_name = "ARCH", requires = "spec", help_heading = "Specification")]
    pub arch: Option<String>,

    /// With an imgadm manifest: the image server; the file is fetched from URL/<uuid>/file
    #[arg(long, value_name = "URL", requires = "spec", help_heading = "Specification")]
    pub source_base: Option<String>,

    /// Trust this minisign or signify public key file: a --spec must be signed by it (its
    /// signature verified before anything is downloaded), and --sig is checked with it
    #[arg(long, value_name = "PUBKEY", help_heading = "Signatures")]
    pub pubkey: Option<PathBuf>,

    /// The public key as its base64 string (RWQ..., as minisign -P takes it)
    #[arg(long, value_name = "KEY", conflicts_with = "pubkey", help_heading = "Signatures")]
    pub pubkey_string: Option<String>,

    /// The spec's signature (a path or URL) instead of SPEC.minisig, else SPEC.sig, beside it
    #[arg(long, value_name = "SIG", requires = "spec", help_heading = "Signatures")]
    pub spec_sig: Option<String>,

    /// The file's own minisign or signify signature (a path or URL): a mirror serving bytes
    /// it does not verify is left like one with a wrong digest
    #[arg(long, value_name = "SIG", help_heading = "Signatures")]
    pub sig: Option<String>,

    /// Push the image of the OCI layout DIR to the docker:// SOURCEs
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "spec"], help_heading = "Registries")]
    pub push: Option<PathBuf>,

    /// With --push: the image to push, by its org.opencontainers.image.ref.name or its
    /// manifest digest [default: the layout's only image]
    #[arg(long = "ref", value_name = "NAME", requires = "push", help_heading = "Registries")]
    pub image_ref: Option<String>,

    /// Pulling an index: the platform to take, OS/ARCH[/VARIANT] (Go names; x86_64,
    /// aarch64, i386 are mapped as containerd maps them) [default: the host's]
    #[arg(long, value_name = "OS/ARCH", help_heading = "Registries")]
    pub platform: Option<String>,

    /// Talk plain http to the registries (a registry on loopback or a trusted network)
    #[arg(long, help_heading = "Registries")]
    pub plain_http: bool,

    /// With --push: mount the blobs the destination lacks from this repository of the same
    /// registry (POST …/blobs/uploads/?mount=DIGEST&from=REPO) before uploading them
    #[arg(long, value_name = "REPO", requires = "push", help_heading = "Registries")]
    pub mount_from: Option<String>,

    /// With --push: blobs larger than SIZE are uploaded in chunks of SIZE (PATCH), smaller
    /// ones in one request (N, or with K, M, G)
    #[arg(long, value_name = "SIZE", default_value = "64M", help_heading = "Registries")]
    pub chunk_size: String,
}

/// Source order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// As given
    Seq,
    /// Shuffled (AppJail's default)
    Random,
}

fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Ok(secs),
        _ => Err(format!("'{text}' is not a positive number of seconds")),
    }
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs >= 0.0 && secs.is_finite() && secs < 1e9 => Ok(secs),
        _ => Err(format!("'{text}' is not a number of seconds")),
    }
}
