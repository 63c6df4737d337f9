//! The registry of compression formats: names, the spellings jail tools use, and detection
//! from magic bytes. jpack builds its encoders and decoders on it; jspec and jfetch use it
//! to name or recognise an image's compression. One definition, used everywhere.
//!
//! Magic bytes (see ../shared/specs/README.md, rule S5): zstd `28 b5 2f fd` (RFC 8878),
//! xz `fd 37 7a 58 5a 00`, gzip `1f 8b`, bzip2 `42 5a 68` ("BZh"), lz4 frame `04 22 4d 18`,
//! legacy .lzma `5d 00 00` (lzma_alone: properties byte 0x5d, dictionary size little-endian).

use std::fmt;
use std::str::FromStr;

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Zstandard.
    Zstd,
    /// xz (LZMA2 in the .xz container).
    Xz,
    /// gzip (deflate in gzip members).
    Gzip,
    /// bzip2.
    Bzip2,
    /// LZ4 frame format.
    Lz4,
    /// Legacy .lzma (lzma_alone), read-only in jpack.
    Lzma,
    /// Not compressed.
    None,
}

impl Format {
    /// Every format, in the order tools list them.
    pub const ALL: [Format; 7] =
        [Format::Zstd, Format::Xz, Format::Gzip, Format::Bzip2, Format::Lz4, Format::Lzma, Format::None];

    /// The canonical name: `zstd xz gzip bzip2 lz4 lzma none`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Zstd => "zstd",
            Format::Xz => "xz",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Lz4 => "lz4",
            Format::Lzma => "lzma",
            Format::None => "none",
        }
    }

    /// The usual file name extension, without the dot (`None` has none).
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Format::Zstd => Some("zst"),
            Format::Xz => Some("xz"),
            Format::Gzip => Some("gz"),
            Format::Bzip2 => Some("bz2"),
            Format::Lz4 => Some("lz4"),
            Format::Lzma => Some("lzma"),
            Format::None => None,
        }
    }

    /// Looks a format up by any spelling jail tools use: canonical names, extensions
    /// (`zst`, `gz`, `bz2`), AppJail's `bzip`, tarball suffixes (`txz`, `tgz`, `tzst`,
    /// `tbz2`), ignoring case and a leading dot.
    pub fn from_name(name: &str) -> Option<Format> {
        let key = name.trim_start_matches('.').to_ascii_lowercase();
        let format = match key.as_str() {
            "zstd" | "zst" | "tzst" => Format::Zstd,
            "xz" | "txz" => Format::Xz,
            "gzip" | "gz" | "tgz" => Format::Gzip,
            "bzip2" | "bz2" | "bzip" | "tbz" | "tbz2" => Format::Bzip2,
            "lz4" | "tlz4" => Format::Lz4,
            "lzma" | "tlz" => Format::Lzma,
            "none" | "raw" | "tar" => Format::None,
            _ => return None,
        };
        Some(format)
    }

    /// How many leading bytes [`detect`](Format::detect) wants to see.
    pub const MAGIC_LEN: usize = 6;

    /// The format whose magic bytes start `head`, or `None` for data with no known magic
    /// (`Format::None` is never returned: "no magic" is not proof of raw data).
    pub fn detect(head: &[u8]) -> Option<Format> {
        const MAGICS: [(&[u8], Format); 5] = [
            (&[0x28, 0xb5, 0x2f, 0xfd], Format::Zstd),
            (&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], Format::Xz),
            (&[0x1f, 0x8b], Format::Gzip),
            (b"BZh", Format::Bzip2),
            (&[0x04, 0x22, 0x4d, 0x18], Format::Lz4),
        ];
        if let Some((_, format)) = MAGICS.iter().find(|(magic, _)| head.starts_with(magic)) {
            return Some(*format);
        }
        // lzma_alone has no magic; its properties byte is 0x5d for every file xz and
        // lzma-utils write at their presets, followed by a little-endian dictionary size.
        if head.len() >= 3 && head[0] == 0x5d && head[1] == 0x00 && head[2] == 0x00 {
            return Some(Format::Lzma);
        }
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown format name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown compression format '{}' (known: zstd, xz, gzip, bzip2, lz4, lzma, none)", self.0)
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::from_name(s).ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Format::from_name("bzip"), Some(Format::Bzip2));
        assert_eq!(Format::from_name(".TXZ"), Some(Format::Xz));
        assert_eq!(Format::from_name("tzst"), Some(Format::Zstd));
        assert_eq!(Format::from_name("gz"), Some(Format::Gzip));
        assert!("lrzip".parse::<Format>().is_err());
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
    }

    #[test]
    fn magic_detection() {
        assert_eq!(Format::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0]), Some(Format::Zstd));
        assert_eq!(Format::detect(&[0xfd, b'7', b'z', b'X', b'Z', 0]), Some(Format::Xz));
        assert_eq!(Format::detect(&[0x1f, 0x8b, 8]), Some(Format::Gzip));
        assert_eq!(Format::detect(b"BZh91AY"), Some(Format::Bzip2));
        assert_eq!(Format::detect(&[4, 0x22, 0x4d, 0x18]), Some(Format::Lz4));
        assert_eq!(Format::detect(&[0x5d, 0, 0, 0x80, 0]), Some(Format::Lzma));
        assert_eq!(Format::detect(b"IMAGE\n"), None);
        assert_eq!(Format::detect(b""), None);
    }
}
