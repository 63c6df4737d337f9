//! Docker image manifest v2 schema 2 to OCI, the conversion `skopeo copy docker://… oci:…`
//! makes (containers/image, `internal/image/docker_schema2.go`, `convertToManifestOCI1`), so
//! that a layout pulled from a registry that serves Docker manifests is an OCI layout every
//! OCI tool reads (skopeo, umoci and oci-image-tool read only OCI media types from a layout).
//!
//! What containers/image does, and so what this does:
//! - the config is decoded into the image-spec `Image` struct and encoded again: fields OCI
//!   does not have (`container_config`, `docker_version`, `Hostname`, …) are dropped, and the
//!   config gets a new digest;
//! - each layer keeps its digest, size and URLs; only the media type changes (gzip, plain and
//!   the two foreign types); any other layer type is an error, as it is there;
//! - the manifest is a new OCI manifest of that config and those layers (no annotations).
//!
//! The bytes are Go's `encoding/json` bytes for the same values (field order of the Go
//! structs, `omitempty`, HTML-escaped `<`, `>`, `&`), so the digests equal skopeo's.

use serde_json::{Map, Value};

use super::{
    Descriptor, ImageConfig, MEDIA_TYPE_CONFIG, MEDIA_TYPE_DOCKER_LAYER, MEDIA_TYPE_LAYER,
    MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_MANIFEST, Manifest, RUN_CONFIG_FIELDS, RunConfig, fold_keys_as_go,
    to_canonical_json,
};

/// Docker's uncompressed layer type.
pub const MEDIA_TYPE_DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// Docker's foreign (non-distributable) layer types.
pub const MEDIA_TYPE_DOCKER_FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar";
/// The gzip form of [`MEDIA_TYPE_DOCKER_FOREIGN`].
pub const MEDIA_TYPE_DOCKER_FOREIGN_GZIP: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

/// The OCI layer type for a Docker one, as containers/image maps it.
pub fn layer_media_type(docker: &str) -> Result<&'static str, String> {
    Ok(match docker {
        MEDIA_TYPE_DOCKER_LAYER => MEDIA_TYPE_LAYER_GZIP,
        MEDIA_TYPE_DOCKER_LAYER_TAR => MEDIA_TYPE_LAYER,
        MEDIA_TYPE_DOCKER_FOREIGN => "application/vnd.oci.image.layer.nondistributable.v1.tar",
        MEDIA_TYPE_DOCKER_FOREIGN_GZIP => "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        other => return Err(format!("layer media type '{other}' has no OCI equivalent")),
    })
}

/// A converted image: the OCI manifest's and config's bytes.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The OCI manifest, as Go encodes it.
    pub manifest: Vec<u8>,
    /// The OCI config, as Go encodes it.
    pub config: Vec<u8>,
}

/// Converts a Docker v2 schema 2 manifest and its config blob.
pub fn convert(manifest: &Manifest, docker_config: &[u8]) -> Result<Converted, String> {
    let config = config_to_oci(docker_config)?;
    let layers = manifest
        .layers
        .iter()
        .map(|l| {
            Ok(Descriptor {
                media_type: layer_media_type(&l.media_type)?.to_string(),
                digest: l.digest.clone(),
                size: l.size,
                urls: l.urls.clone(),
                ..Descriptor::default()
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let oci = Manifest {
        schema_version: 2,
        media_type: MEDIA_TYPE_MANIFEST.to_string(),
        config: Descriptor::of_bytes(MEDIA_TYPE_CONFIG, &config),
        layers,
        ..Manifest::default()
    };
    Ok(Converted { manifest: go_escape(to_canonical_json(&oci)), config })
}

/// A Docker image config decoded as Go decodes it into image-spec's `Image` and encoded
/// again: unknown fields dropped, nulls and empty strings omitted, `config` always present.
pub fn config_to_oci(docker: &[u8]) -> Result<Vec<u8>, String> {
    let mut value: Value = serde_json::from_slice(docker).map_err(|e| format!("config: {e}"))?;
    let Some(top) = value.as_object_mut() else { return Err("config: not a JSON object".into()) };
    const TOP: &[&str] = &[
        "created",
        "author",
        "architecture",
        "os",
        "os.version",
        "os.features",
        "variant",
        "config",
        "rootfs",
        "history",
    ];
    fold_keys_as_go(top, TOP);
    top.retain(|k, v| TOP.contains(&k.as_str()) && !v.is_null());
    if let Some(Value::Object(run)) = top.get_mut("config") {
        fold_keys_as_go(run, RUN_CONFIG_FIELDS);
        run.retain(|k, v| RUN_CONFIG_FIELDS.contains(&k.as_str()) && !v.is_null());
    }
    if let Some(Value::Array(history)) = top.get_mut("history") {
        for entry in history.iter_mut().filter_map(Value::as_object_mut) {
            entry.retain(|_, v| !v.is_null());
        }
    }
    let mut config: ImageConfig = serde_json::from_value(value).map_err(|e| format!("config: {e}"))?;
    config.extra.clear();
    config.rootfs.extra.clear();
    let none_if_empty = |s: &mut Option<String>| {
        if s.as_deref() == Some("") {
            *s = None;
        }
    };
    none_if_empty(&mut config.author);
    none_if_empty(&mut config.os_version);
    none_if_empty(&mut config.variant);
    config.created = config.created.as_deref().map(go_time).transpose()?;
    // `Config ImageConfig` is a struct, not a pointer: Go always writes it.
    let run = config.config.get_or_insert_with(RunConfig::default);
    none_if_empty(&mut run.user);
    none_if_empty(&mut run.working_dir);
    none_if_empty(&mut run.stop_signal);
    // ArgsEscaped (deprecated, a bool with omitempty) is the only field kept beyond the typed
    // ones, and it is the Go struct's last, where `extra` is written.
    let escaped = run.extra.get("ArgsEscaped") == Some(&Value::Bool(true));
    run.extra = Map::new();
    if escaped {
        run.extra.insert("ArgsEscaped".into(), Value::Bool(true));
    }
    for entry in &mut config.history {
        entry.extra.clear();
        entry.created = entry.created.as_deref().map(go_time).transpose()?;
        none_if_empty(&mut entry.created_by);
        none_if_empty(&mut entry.author);
        none_if_empty(&mut entry.comment);
    }
    Ok(go_escape(to_canonical_json(&config)))
}

/// A timestamp as Go's `time.Time` writes it back (RFC 3339 with the fraction's trailing
/// zeros cut, the offset as given, `Z` for UTC).
fn go_time(text: &str) -> Result<String, String> {
    let bad = || format!("config: time '{text}' is not RFC 3339");
    let (date_time, offset) = match text.rfind(['Z', '+', '-']) {
        Some(i) if i > 10 => (&text[..i], &text[i..]),
        _ => return Err(bad()),
    };
    // Go's "Z07:00" layout writes a zero offset as Z.
    let offset = if matches!(offset, "+00:00" | "-00:00") { "Z" } else { offset };
    let (whole, fraction) = match date_time.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            (w, f.trim_end_matches('0'))
        }
        Some(_) => return Err(bad()),
        None => (date_time, ""),
    };
    if whole.len() != 19 || whole.as_bytes()[10] != b'T' {
        return Err(bad());
    }
    let dot = if fraction.is_empty() { "" } else { "." };
    Ok(format!("{whole}{dot}{fraction}{offset}"))
}

/// Go's `encoding/json` escapes `<`, `>` and `&` (and U+2028, U+2029) in strings; serde_json
/// does not. Outside strings JSON has none of these, so a plain replacement is exact.
pub fn go_escape(json: Vec<u8>) -> Vec<u8> {
    if !json.iter().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xe2)) {
        return json;
    }
    let mut out = Vec::with_capacity(json.len() + 32);
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            0xe2 if json.get(i + 1) == Some(&0x80) && matches!(json.get(i + 2), Some(0xa8 | 0xa9)) => {
                out.extend_from_slice(if json[i + 2] == 0xa8 { b"\\u2028" } else { b"\\u2029" });
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_escape_matches_encoding_json() {
        let s = serde_json::to_vec(&serde_json::json!({"c": "/bin/sh -c a && b <x>\u{2028}é"})).unwrap();
        assert_eq!(
            String::from_utf8(go_escape(s)).unwrap(),
            r#"{"c":"/bin/sh -c a \u0026\u0026 b \u003cx\u003e\u2028é"}"#
        );
    }

    #[test]
    fn go_time_cuts_trailing_fraction_zeros_and_keeps_the_offset() {
        assert_eq!(go_time("2024-01-02T03:04:05.120000000Z").unwrap(), "2024-01-02T03:04:05.12Z");
        assert_eq!(go_time("2024-01-02T03:04:05.000Z").unwrap(), "2024-01-02T03:04:05Z");
        assert_eq!(go_time("2024-01-02T03:04:05+02:00").unwrap(), "2024-01-02T03:04:05+02:00");
        assert_eq!(go_time("2024-01-02T03:04:05+00:00").unwrap(), "2024-01-02T03:04:05Z");
        assert!(go_time("yesterday").is_err());
    }

    #[test]
    fn docker_fields_nulls_and_empty_strings_are_dropped() {
        let docker = br#"{"architecture":"amd64","os":"freebsd","docker_version":"20.10",
            "config":{"Hostname":"","User":"","Env":["A=1"],"Cmd":null,"Entrypoint":null,"ArgsEscaped":true},
            "container_config":{"Cmd":["x"]},"created":"2024-01-02T03:04:05.5Z",
            "rootfs":{"type":"layers","diff_ids":["sha256:00"]},"history":[{"created_by":"a && b","empty_layer":false}]}"#;
        let oci = String::from_utf8(config_to_oci(docker).unwrap()).unwrap();
        assert_eq!(
            oci,
            r#"{"created":"2024-01-02T03:04:05.5Z","architecture":"amd64","os":"freebsd","config":{"Env":["A=1"],"ArgsEscaped":true},"rootfs":{"type":"layers","diff_ids":["sha256:00"]},"history":[{"created_by":"a \u0026\u0026 b"}]}"#
        );
    }

    #[test]
    fn unknown_layer_type_is_an_error_as_in_containers_image() {
        assert!(layer_media_type("application/vnd.docker.image.rootfs.diff.tar.zstd").is_err());
        assert_eq!(layer_media_type(MEDIA_TYPE_DOCKER_LAYER).unwrap(), MEDIA_TYPE_LAYER_GZIP);
    }
}
