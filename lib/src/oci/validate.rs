//! What the image-spec (v1.1) requires of each document, checked on the parsed JSON so that
//! every problem is reported at once, each at a field path (`layers.0.digest`).
//!
//! Problems are what the spec says MUST (and what its JSON schemas in `schema/*.json`
//! reject); warnings are SHOULDs and things consumers may not handle (an unknown layer media
//! type, an architecture that is not a Go `GOARCH`). Unknown fields are allowed: the spec
//! says consumers MUST ignore them (manifest.md, config.md "Additional fields").

use base64::Engine;
use serde_json::{Map, Value};

use super::*;
use crate::format::{Problem, Report};

/// Validates a document of the given kind.
pub fn validate(kind: Kind, value: &Value) -> Report {
    let mut v = Validator::default();
    match kind {
        Kind::Manifest => v.manifest(value),
        Kind::Index => v.index(value),
        Kind::Config => v.config(value),
        Kind::Layout => v.layout(value),
    }
    v.report
}

/// Validates one content descriptor (descriptor.md), as `schema/content-descriptor.json`.
pub fn validate_descriptor(value: &Value) -> Report {
    let mut v = Validator::default();
    v.descriptor(value, "");
    v.report
}

/// Validates a document whose kind is [`detect`]ed from its content; `None` when it is not
/// recognisably an OCI document.
pub fn validate_detected(value: &Value) -> Option<(Kind, Report)> {
    let kind = detect(value)?;
    Some((kind, validate(kind, value)))
}

/// Go's `GOOS` values (`go tool dist list`), which image-index.md and config.md say `os`
/// SHOULD be one of.
const GO_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "illumos",
    "ios",
    "js",
    "linux",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
];

/// Go's `GOARCH` values.
const GO_ARCH: &[&str] = &[
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64", "ppc64le",
    "riscv64", "s390x", "wasm",
];

/// Annotation keys the spec pre-defines (annotations.md "Pre-Defined Annotation Keys"). The
/// `org.opencontainers` namespace is reserved: other keys in it MUST NOT be used.
const PREDEFINED_ANNOTATIONS: &[&str] = &[
    "org.opencontainers.image.created",
    "org.opencontainers.image.authors",
    "org.opencontainers.image.url",
    "org.opencontainers.image.documentation",
    "org.opencontainers.image.source",
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.vendor",
    "org.opencontainers.image.licenses",
    "org.opencontainers.image.ref.name",
    "org.opencontainers.image.title",
    "org.opencontainers.image.description",
    "org.opencontainers.image.base.digest",
    "org.opencontainers.image.base.name",
    // Legacy keys from image-spec 1.0 that tools still write.
    "org.opencontainers.image.base.ref.name",
];

/// A media type as RFC 6838 section 4.2 restricts it, the pattern of
/// `schema/defs-descriptor.json`:
/// `^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`.
pub fn is_media_type(s: &str) -> bool {
    fn name(part: &str) -> bool {
        let b = part.as_bytes();
        !b.is_empty()
            && b.len() <= 127
            && b[0].is_ascii_alphanumeric()
            && b.iter().all(|&c| c.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&c))
    }
    match s.split_once('/') {
        Some((kind, sub)) => name(kind) && name(sub),
        None => false,
    }
}

/// Checks a digest string (descriptor.md "Digests"): the grammar
/// `algorithm ":" encoded` with `algorithm = [a-z0-9]+ ([+._-] [a-z0-9]+)*` and
/// `encoded = [a-zA-Z0-9=_-]+`, and for the registered algorithms `sha256` (64) and `sha512`
/// (128) lowercase hex of that length ("Registered algorithms"). `Ok(false)` for a valid
/// digest with an algorithm jtools cannot verify (allowed: "implementations SHOULD allow
/// digests with unrecognized algorithms to pass validation if they comply with the grammar").
pub fn check_digest(s: &str) -> Result<bool, String> {
    let Some((algorithm, encoded)) = s.split_once(':') else {
        return Err(format!("'{s}' is not ALGORITHM:ENCODED"));
    };
    let component_ok =
        |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if algorithm.split(['+', '.', '_', '-']).any(|c| !component_ok(c)) {
        return Err(format!("'{algorithm}' is not a digest algorithm (lowercase letters and digits)"));
    }
    if encoded.is_empty() || !encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b)) {
        return Err(format!("'{s}' has an invalid encoded part"));
    }
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => return Ok(false),
    };
    if encoded.len() != hex_len || !encoded.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!("a {algorithm} digest is {hex_len} lowercase hex digits"));
    }
    Ok(true)
}

/// Whether a string is an RFC 3339 date-time (config.md `created`, annotations.md
/// `org.opencontainers.image.created`).
pub fn is_rfc3339(s: &str) -> bool {
    // jiff's Timestamp parser takes RFC 3339 (and some ISO 8601 beyond it): require the
    // RFC 3339 shape `YYYY-MM-DDTHH:MM:SS` as well.
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':'
        && s.parse::<jiff::Timestamp>().is_ok()
}

#[derive(Default)]
struct Validator {
    report: Report,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

impl Validator {
    fn problem(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.report.problems.push(Problem::new(at, message));
    }

    fn warning(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.report.warnings.push(Problem::new(at, message));
    }

    fn object<'a>(&mut self, value: &'a Value, at: &str) -> Option<&'a Map<String, Value>> {
        let obj = value.as_object();
        if obj.is_none() {
            self.problem(at, "must be a JSON object");
        }
        obj
    }

    /// An optional string field; a present non-string is a problem.
    fn opt_str<'a>(&mut self, obj: &'a Map<String, Value>, path: &str, key: &str) -> Option<&'a str> {
        match obj.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.problem(join(path, key), "must be a string");
                None
            }
        }
    }

    fn req_str<'a>(&mut self, obj: &'a Map<String, Value>, path: &str, key: &str) -> Option<&'a str> {
        if !obj.contains_key(key) {
            self.problem(join(path, key), "is required");
        }
        self.opt_str(obj, path, key)
    }

    fn string_list(&mut self, obj: &Map<String, Value>, path: &str, key: &str) -> Vec<String> {
        let at = join(path, key);
        match obj.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => self.problem(format!("{at}.{i}"), "must be a string"),
                    }
                }
                out
            }
            Some(_) => {
                self.problem(at, "must be a list of strings");
                Vec::new()
            }
        }
    }

    fn schema_version(&mut self, obj: &Map<String, Value>) {
        // manifest.md, image-index.md: "This REQUIRED property specifies the image manifest
        // schema version. For this version of the specification, this MUST be 2".
        match obj.get("schemaVersion") {
            None => self.problem("schemaVersion", "is required"),
            Some(v) if v.as_u64() == Some(2) => {}
            Some(v) => self.problem("schemaVersion", format!("must be 2, not {v}")),
        }
    }

    fn media_type_field(&mut self, obj: &Map<String, Value>, expected: &str, docker: &str) {
        // manifest.md/image-index.md `mediaType`: "This property SHOULD be used ... When
        // used, this field MUST contain the media type".
        match self.opt_str(obj, "", "mediaType") {
            None => {
                if !obj.contains_key("mediaType") {
                    self.warning("mediaType", format!("should be {expected}"));
                }
            }
            Some(m) if m == expected => {}
            Some(m) if m == docker => {
                self.warning("mediaType", format!("{m} is Docker's schema 2, not OCI"));
            }
            Some(m) => self.problem("mediaType", format!("must be {expected}, not '{m}'")),
        }
    }

    /// annotations.md "Rules": a map of string to string; keys in the reserved
    /// `org.opencontainers` namespace only the pre-defined ones.
    fn annotations(&mut self, obj: &Map<String, Value>, path: &str) {
        let at = join(path, "annotations");
        let Some(value) = obj.get("annotations") else { return };
        let Some(map) = value.as_object() else {
            self.problem(at, "must be an object of strings");
            return;
        };
        for (key, value) in map {
            let key_at = format!("{at}.{key}");
            if key.is_empty() {
                self.problem(&at, "an annotation key must not be empty");
            }
            let Some(text) = value.as_str() else {
                self.problem(key_at, "an annotation value must be a string");
                continue;
            };
            if key.starts_with("org.opencontainers.") && !PREDEFINED_ANNOTATIONS.contains(&key.as_str()) {
                self.problem(&key_at, "the org.opencontainers namespace is reserved; not a pre-defined key");
            }
            if key == ANNOTATION_CREATED && !is_rfc3339(text) {
                self.problem(&key_at, format!("'{text}' is not an RFC 3339 date-time"));
            }
            if !key.contains('.') && !key.is_empty() {
                self.warning(key_at, "keys should be namespaced in reverse domain notation");
            }
        }
    }

    /// descriptor.md "Properties".
    fn descriptor(&mut self, value: &Value, path: &str) -> Option<String> {
        let obj = self.object(value, path)?;
        let media_type = self.req_str(obj, path, "mediaType");
        if let Some(m) = media_type
            && !is_media_type(m)
        {
            self.problem(join(path, "mediaType"), format!("'{m}' is not an RFC 6838 media type"));
        }
        let digest = self.req_str(obj, path, "digest");
        if let Some(d) = digest {
            match check_digest(d) {
                Ok(true) => {}
                Ok(false) => self.warning(join(path, "digest"), "an algorithm jtools cannot verify"),
                Err(e) => self.problem(join(path, "digest"), e),
            }
        }
        // `size` "REQUIRED ... int64"; the schema: integer, minimum 0.
        let size = match obj.get("size") {
            None => {
                self.problem(join(path, "size"), "is required");
                None
            }
            Some(v) => match v.as_u64().filter(|&n| n <= i64::MAX as u64) {
                Some(n) => Some(n),
                None => {
                    self.problem(join(path, "size"), format!("must be a non-negative integer, not {v}"));
                    None
                }
            },
        };
        for (i, url) in self.string_list(obj, path, "urls").iter().enumerate() {
            if !is_uri(url) {
                self.problem(format!("{}.{i}", join(path, "urls")), format!("'{url}' is not a URI"));
            }
        }
        if let Some(data) = self.opt_str(obj, path, "data") {
            // "The decoded data MUST be identical to the referenced content".
            match base64::engine::general_purpose::STANDARD.decode(data) {
                Err(e) => self.problem(join(path, "data"), format!("not base64: {e}")),
                Ok(bytes) => {
                    if size.is_some_and(|s| s != bytes.len() as u64) {
                        self.problem(join(path, "data"), "its length differs from size");
                    }
                    if let Some(d) = digest.filter(|d| d.starts_with("sha256:"))
                        && sha256_digest(&bytes) != d
                    {
                        self.problem(join(path, "data"), "its digest differs from digest");
                    }
                }
            }
        }
        if let Some(t) = self.opt_str(obj, path, "artifactType")
            && !is_media_type(t)
        {
            self.problem(join(path, "artifactType"), format!("'{t}' is not an RFC 6838 media type"));
        }
        self.annotations(obj, path);
        if let Some(p) = obj.get("platform") {
            self.platform(p, &join(path, "platform"));
        }
        media_type.map(str::to_string)
    }

    /// image-index.md `platform`: `architecture` and `os` REQUIRED strings, values SHOULD be
    /// Go's; `os.features` and `features` string lists, `features` reserved.
    fn platform(&mut self, value: &Value, path: &str) {
        let Some(obj) = self.object(value, path) else { return };
        self.os_arch(obj, path);
        self.string_list(obj, path, "os.features");
        self.opt_str(obj, path, "os.version");
        if !self.string_list(obj, path, "features").is_empty() {
            self.warning(join(path, "features"), "is reserved for future versions of the spec");
        }
    }

    fn os_arch(&mut self, obj: &Map<String, Value>, path: &str) {
        if let Some(os) = self.req_str(obj, path, "os")
            && !GO_OS.contains(&os)
        {
            self.warning(join(path, "os"), format!("'{os}' is not a Go GOOS value"));
        }
        let arch = self.req_str(obj, path, "architecture");
        if let Some(a) = arch
            && !GO_ARCH.contains(&a)
        {
            let (mapped, _) = go_architecture(a);
            let hint = if mapped != a { format!(" (write '{mapped}')") } else { String::new() };
            self.warning(join(path, "architecture"), format!("'{a}' is not a Go GOARCH value{hint}"));
        }
        if let Some(variant) = self.opt_str(obj, path, "variant") {
            // image-index.md "Platform Variants": the listed combinations.
            let known = match arch {
                Some("arm") => &["v6", "v7", "v8"][..],
                Some("arm64") => {
                    &["v8", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9"]
                }
                Some("amd64") => &["v1", "v2", "v3", "v4"],
                _ => &[],
            };
            if !known.contains(&variant) {
                self.warning(join(path, "variant"), format!("'{variant}' is not a variant the spec lists"));
            }
        }
    }

    fn manifest(&mut self, value: &Value) {
        let Some(obj) = self.object(value, "") else { return };
        self.schema_version(obj);
        self.media_type_field(obj, MEDIA_TYPE_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST);
        let artifact_type = self.opt_str(obj, "", "artifactType");
        if let Some(t) = artifact_type
            && !is_media_type(t)
        {
            self.problem("artifactType", format!("'{t}' is not an RFC 6838 media type"));
        }
        // `config`: REQUIRED descriptor.
        match obj.get("config") {
            None => self.problem("config", "is required"),
            Some(c) => {
                if let Some(m) = self.descriptor(c, "config") {
                    // "If the manifest uses a different media type than the above, it MUST
                    // use the artifactType field" — the empty config in particular.
                    if m != MEDIA_TYPE_CONFIG && m != MEDIA_TYPE_DOCKER_CONFIG && artifact_type.is_none() {
                        if m == MEDIA_TYPE_EMPTY {
                            self.problem("artifactType", "is required when config is the empty descriptor");
                        } else {
                            self.warning("config.mediaType", format!("'{m}' is not an image config"));
                        }
                    }
                }
            }
        }
        // `layers`: REQUIRED array of descriptors.
        match obj.get("layers") {
            None => self.problem("layers", "is required"),
            Some(Value::Array(layers)) => {
                // manifest.md: "layers SHOULD have at least one entry". The schema
                // (image-manifest-schema.json `minItems: 1`) is stricter than the text, but
                // `umoci new` writes base images with no layer, which every tool reads: a
                // warning, as the text says.
                if layers.is_empty() {
                    self.warning("layers", "should have at least one entry");
                }
                for (i, layer) in layers.iter().enumerate() {
                    let at = format!("layers.{i}");
                    if let Some(m) = self.descriptor(layer, &at)
                        && !is_layer_media_type(&m)
                        && artifact_type.is_none()
                    {
                        self.warning(
                            format!("{at}.mediaType"),
                            format!("'{m}' is not a layer type of the spec"),
                        );
                    }
                }
            }
            Some(_) => self.problem("layers", "must be a list of descriptors"),
        }
        if let Some(s) = obj.get("subject") {
            self.descriptor(s, "subject");
        }
        self.annotations(obj, "");
    }

    fn index(&mut self, value: &Value) {
        let Some(obj) = self.object(value, "") else { return };
        self.schema_version(obj);
        self.media_type_field(obj, MEDIA_TYPE_INDEX, MEDIA_TYPE_DOCKER_LIST);
        if let Some(t) = self.opt_str(obj, "", "artifactType")
            && !is_media_type(t)
        {
            self.problem("artifactType", format!("'{t}' is not an RFC 6838 media type"));
        }
        match obj.get("manifests") {
            None => self.problem("manifests", "is required"),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.descriptor(item, &format!("manifests.{i}"));
                }
            }
            Some(_) => self.problem("manifests", "must be a list of descriptors"),
        }
        if let Some(s) = obj.get("subject") {
            self.descriptor(s, "subject");
        }
        self.annotations(obj, "");
    }

    fn config(&mut self, value: &Value) {
        let Some(obj) = self.object(value, "") else { return };
        // config.md "Properties": created (RFC 3339), author, architecture and os REQUIRED,
        // config, rootfs REQUIRED, history.
        if let Some(c) = self.opt_str(obj, "", "created")
            && !is_rfc3339(c)
        {
            self.problem("created", format!("'{c}' is not an RFC 3339 date-time"));
        }
        self.opt_str(obj, "", "author");
        self.os_arch(obj, "");
        self.opt_str(obj, "", "os.version");
        self.string_list(obj, "", "os.features");
        if let Some(c) = obj.get("config").filter(|c| !c.is_null()) {
            self.run_config(c);
        }
        let diff_ids = match obj.get("rootfs") {
            None => {
                self.problem("rootfs", "is required");
                None
            }
            Some(r) => self.rootfs(r),
        };
        match obj.get("history") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                let mut layers = 0;
                for (i, item) in items.iter().enumerate() {
                    let at = format!("history.{i}");
                    let Some(h) = self.object(item, &at) else { continue };
                    if let Some(c) = self.opt_str(h, &at, "created")
                        && !is_rfc3339(c)
                    {
                        self.problem(join(&at, "created"), format!("'{c}' is not an RFC 3339 date-time"));
                    }
                    for key in ["created_by", "author", "comment"] {
                        self.opt_str(h, &at, key);
                    }
                    match h.get("empty_layer") {
                        None => layers += 1,
                        Some(Value::Bool(empty)) => layers += usize::from(!empty),
                        Some(_) => self.problem(join(&at, "empty_layer"), "must be a boolean"),
                    }
                }
                if let Some(n) = diff_ids
                    && n != layers
                {
                    self.warning(
                        "history",
                        format!("{layers} entries make layers but rootfs.diff_ids has {n}"),
                    );
                }
            }
            Some(_) => self.problem("history", "must be a list"),
        }
    }

    fn rootfs(&mut self, value: &Value) -> Option<usize> {
        let obj = self.object(value, "rootfs")?;
        // "type ... MUST be set to layers".
        match self.req_str(obj, "rootfs", "type") {
            Some("layers") | None => {}
            Some(t) => self.problem("rootfs.type", format!("must be 'layers', not '{t}'")),
        }
        match obj.get("diff_ids") {
            None => {
                self.problem("rootfs.diff_ids", "is required");
                None
            }
            Some(Value::Array(ids)) => {
                for (i, id) in ids.iter().enumerate() {
                    let at = format!("rootfs.diff_ids.{i}");
                    match id.as_str() {
                        None => self.problem(at, "must be a digest string"),
                        Some(d) => {
                            if let Err(e) = check_digest(d) {
                                self.problem(at, e);
                            }
                        }
                    }
                }
                Some(ids.len())
            }
            Some(_) => {
                self.problem("rootfs.diff_ids", "must be a list of digests");
                None
            }
        }
    }

    /// config.md `config`: the execution parameters.
    fn run_config(&mut self, value: &Value) {
        let Some(raw) = self.object(value, "config") else { return };
        let mut folded = raw.clone();
        for key in fold_keys_as_go(&mut folded, RUN_CONFIG_FIELDS) {
            let field = RUN_CONFIG_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(&key)).expect("folded");
            self.warning(format!("config.{key}"), format!("Go readers take it as {field}; write {field}"));
        }
        let obj = &folded;
        self.opt_str(obj, "config", "User");
        self.opt_str(obj, "config", "StopSignal");
        if let Some(dir) = self.opt_str(obj, "config", "WorkingDir")
            && !dir.is_empty()
            && !dir.starts_with('/')
        {
            self.warning("config.WorkingDir", format!("'{dir}' is not an absolute path"));
        }
        for (i, entry) in self.string_list(obj, "config", "Env").iter().enumerate() {
            // "Entries are in the format of VARNAME=VARVALUE".
            if entry.split_once('=').is_none_or(|(name, _)| name.is_empty()) {
                self.problem(format!("config.Env.{i}"), format!("'{entry}' is not VARNAME=VARVALUE"));
            }
        }
        self.string_list(obj, "config", "Entrypoint");
        self.string_list(obj, "config", "Cmd");
        for key in ["ExposedPorts", "Volumes"] {
            let at = format!("config.{key}");
            match obj.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Object(map)) => {
                    for (name, v) in map {
                        if !v.is_object() {
                            self.problem(format!("{at}.{name}"), "must map to an empty object {}");
                        }
                        if key == "ExposedPorts" && !is_port(name) {
                            self.problem(format!("{at}.{name}"), "is not PORT, PORT/tcp or PORT/udp");
                        }
                    }
                }
                Some(_) => self.problem(at, "must be an object"),
            }
        }
        match obj.get("Labels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, v) in map {
                    if !v.is_string() {
                        self.problem(format!("config.Labels.{name}"), "a label value must be a string");
                    }
                }
            }
            Some(_) => self.problem("config.Labels", "must be an object of strings"),
        }
    }

    /// image-layout.md `oci-layout`: `imageLayoutVersion` REQUIRED, `1.0.0`.
    fn layout(&mut self, value: &Value) {
        let Some(obj) = self.object(value, "") else { return };
        match self.req_str(obj, "", "imageLayoutVersion") {
            Some(LAYOUT_VERSION) | None => {}
            Some(v) => self.problem("imageLayoutVersion", format!("'{v}' is not {LAYOUT_VERSION}")),
        }
    }
}

/// The layer media types of layer.md (and Docker's, which registries serve).
pub fn is_layer_media_type(m: &str) -> bool {
    matches!(
        m,
        MEDIA_TYPE_LAYER
            | MEDIA_TYPE_LAYER_GZIP
            | MEDIA_TYPE_LAYER_ZSTD
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
            | MEDIA_TYPE_DOCKER_LAYER
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    )
}

/// `PORT`, `PORT/tcp` or `PORT/udp` with PORT 1..=65535 (Docker also accepts `sctp`).
fn is_port(s: &str) -> bool {
    let (port, proto) = s.split_once('/').unwrap_or((s, "tcp"));
    matches!(proto, "tcp" | "udp" | "sctp") && port.parse::<u16>().is_ok_and(|p| p > 0)
}

/// An RFC 3986 URI: a scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), a colon, and no
/// whitespace or characters a URI cannot hold.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && rest.bytes().all(|b| b.is_ascii_graphic() && !b"<>\"{}|\\^`".contains(&b))
}
