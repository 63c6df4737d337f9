//! The registry of compression formats: names, the spellings jail tools use, detection
//! from magic bytes, level ranges, and streaming encoders and decoders for every format.
//! jpack is a command line over this module; jspec, jfetch and jsnap use it to name,
//! recognise, compress or decompress an image. One definition, used everywhere.
//!
//! - [`Format`]: names, aliases, extensions, [`Format::detect`] and [`Format::levels`].
//! - [`Encoder`] ([`encode`]): a `Write` that compresses into another `Write`, multi-threaded
//!   for every format, ended by an explicit [`Encoder::finish`].
//! - [`Decoder`] ([`decode`]): a `Read` that detects the format from the magic bytes and
//!   decompresses concatenated streams, failing with a [`DecodeError`] (format, byte offset)
//!   on corrupt, truncated or trailing data.
//!
//! Memory stays bounded whatever the input size: nothing here buffers a whole stream.
//!
//! Magic bytes (see ../shared/specs/README.md, rule S5): zstd `28 b5 2f fd` (RFC 8878),
//! xz `fd 37 7a 58 5a 00`, gzip `1f 8b`, bzip2 `42 5a 68` ("BZh"), lz4 frame `04 22 4d 18`
//! (legacy `02 21 4c 18`),
//! legacy .lzma (lzma_alone) has no magic: its 13-byte header is recognised by xz's own rule
//! ([`is_lzma_alone`]). A skippable frame (`5X 2a 4d 18`, shared by zstd and lz4; pzstd
//! writes one first) says nothing by itself: [`Format::detect`] takes it as zstd, and the
//! [`Decoder`] looks past leading skippable frames to the frame that follows.

mod bz2;
mod bzip2_blocks;
mod bzip2_decode;
pub mod decode;
pub mod encode;
mod layout;
mod lz4;
mod multistream;
mod parallel;
mod xz;

pub use decode::{DecodeError, Decoder};
pub use encode::Encoder;

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
        Format::ALL.into_iter().find(|f| f.name() == key || f.aliases().contains(&key.as_str()))
    }

    /// The other spellings [`from_name`](Format::from_name) accepts for this format.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Format::Zstd => &["zst", "tzst"],
            Format::Xz => &["txz"],
            Format::Gzip => &["gz", "tgz"],
            Format::Bzip2 => &["bz2", "bzip", "tbz", "tbz2"],
            Format::Lz4 => &["tlz4"],
            Format::Lzma => &["tlz"],
            Format::None => &["raw", "tar"],
        }
    }

    /// How many leading bytes [`detect`](Format::detect) wants to see (the .lzma header).
    pub const MAGIC_LEN: usize = 13;

    /// The format whose magic bytes start `head`, or `None` for data with no known magic
    /// (`Format::None` is never returned: "no magic" is not proof of raw data).
    pub fn detect(head: &[u8]) -> Option<Format> {
        const MAGICS: [(&[u8], Format); 6] = [
            (&[0x28, 0xb5, 0x2f, 0xfd], Format::Zstd),
            (&[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], Format::Xz),
            (&[0x1f, 0x8b], Format::Gzip),
            (b"BZh", Format::Bzip2),
            (&[0x04, 0x22, 0x4d, 0x18], Format::Lz4),
            // The lz4 legacy format (`lz4 -l`).
            (&[0x02, 0x21, 0x4c, 0x18], Format::Lz4),
        ];
        if let Some((_, format)) = MAGICS.iter().find(|(magic, _)| head.starts_with(magic)) {
            return Some(*format);
        }
        if is_skippable_frame(head) {
            return Some(Format::Zstd);
        }
        if is_lzma_alone(head) {
            return Some(Format::Lzma);
        }
        None
    }

    /// The compression levels the format accepts and its default, or `None` for
    /// [`Format::None`].
    pub fn levels(self) -> Option<Levels> {
        let (min, max, default) = match self {
            Format::Zstd => (1, 22, 3),
            Format::Xz | Format::Lzma => (0, 9, 6),
            Format::Gzip => (1, 9, 6),
            Format::Bzip2 => (1, 9, 9),
            // lz4_flex has the fast compressor only, which is the lz4 CLI's default (-1).
            Format::Lz4 => (1, 1, 1),
            Format::None => return None,
        };
        Some(Levels { min, max, default })
    }

    /// The level to use: `requested`, checked against [`Format::levels`], or the default.
    pub fn level(self, requested: Option<u32>) -> Result<u32, LevelError> {
        let Some(levels) = self.levels() else {
            return match requested {
                None => Ok(0),
                Some(level) => Err(LevelError { format: self, level }),
            };
        };
        match requested {
            None => Ok(levels.default),
            Some(level) if (levels.min..=levels.max).contains(&level) => Ok(level),
            Some(level) => Err(LevelError { format: self, level }),
        }
    }
}

/// Whether `head` starts with a .lzma (LZMA_Alone) header, by the rule xz itself uses to
/// tell .lzma from other data (xz's `is_format_lzma`, src/xz/coder.c): 13 bytes; a
/// properties byte that decodes to lc/lp/pb with pb <= 4 and lc + lp <= 4; a dictionary
/// size of 2^n or 2^n + 2^(n-1) (or UINT32_MAX); an uncompressed size that is unknown
/// (all ones) or at most 256 GiB. Files written with other properties than xz's presets
/// (a 4 KiB dictionary, lc=0 lp=2) pass; random data almost never does.
pub fn is_lzma_alone(head: &[u8]) -> bool {
    if head.len() < 13 {
        return false;
    }
    let props = head[0];
    // liblzma's lzma_lzma_lclppb_decode: props = (pb * 5 + lp) * 9 + lc.
    if props > (4 * 5 + 4) * 9 + 8 {
        return false;
    }
    let (lc, lp) = (props % 9, props / 9 % 5);
    if lc + lp > 4 {
        return false;
    }
    let dict = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    if dict != u32::MAX {
        if dict == 0 {
            return false;
        }
        let mut d = dict - 1;
        d |= d >> 2;
        d |= d >> 3;
        d |= d >> 4;
        d |= d >> 8;
        d |= d >> 16;
        if d.wrapping_add(1) != dict {
            return false;
        }
    }
    let size = u64::from_le_bytes(head[5..13].try_into().expect("8 bytes"));
    size == u64::MAX || size <= 1 << 38
}

/// The first four bytes of a skippable frame (zstd and lz4 share them): `5X 2a 4d 18`.
pub(crate) fn is_skippable_frame(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18]
}

/// The compression levels of a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels {
    /// The fastest level.
    pub min: u32,
    /// The strongest level.
    pub max: u32,
    /// The level used when none is given (the reference CLI's default).
    pub default: u32,
}

/// A level outside the range of its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelError {
    /// The format.
    pub format: Format,
    /// The level asked for.
    pub level: u32,
}

impl fmt::Display for LevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format.levels() {
            Some(l) => {
                write!(f, "level {} is out of range for {} ({}-{})", self.level, self.format, l.min, l.max)
            }
            None => write!(f, "{} has no compression levels", self.format),
        }
    }
}

impl std::error::Error for LevelError {}

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
        let lzma = [0x5d, 0, 0, 0x80, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(Format::detect(&lzma), Some(Format::Lzma));
        assert_eq!(Format::detect(&lzma[..12]), None);
        assert_eq!(Format::detect(&[0x50, 0x2a, 0x4d, 0x18, 4, 0]), Some(Format::Zstd));
        assert_eq!(Format::detect(b"IMAGE\n"), None);
        assert_eq!(Format::detect(b""), None);
    }

    /// xz's rule, not its presets: lc/lp/pb and dictionary sizes other than 0x5d and 8 MiB.
    #[test]
    fn lzma_alone_header_with_any_valid_properties() {
        let header = |props: u8, dict: u32, size: u64| {
            let mut h = vec![props];
            h.extend_from_slice(&dict.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h
        };
        for (lc, lp, pb) in [(3, 0, 2), (0, 2, 0), (4, 0, 4), (0, 0, 0), (1, 3, 1)] {
            let props = (pb * 5 + lp) * 9 + lc;
            for dict in [4096, 1 << 20, 3 << 19, 1 << 30, u32::MAX] {
                assert!(is_lzma_alone(&header(props, dict, 1234)), "lc={lc} lp={lp} pb={pb} dict={dict}");
            }
        }
        assert!(!is_lzma_alone(&header(225, 4096, 0)), "props byte over 224");
        assert!(!is_lzma_alone(&header((2 * 5 + 3) * 9 + 2, 4096, 0)), "lc + lp = 5");
        assert!(!is_lzma_alone(&header(0x5d, 5000, 0)), "dictionary not 2^n or 2^n+2^(n-1)");
        assert!(!is_lzma_alone(&header(0x5d, 0, 0)), "dictionary 0");
        assert!(!is_lzma_alone(&header(0x5d, 4096, (1 << 38) + 1)), "size over 256 GiB");
        assert!(is_lzma_alone(&header(0x5d, 4096, u64::MAX)), "unknown size");
    }

    #[test]
    fn levels() {
        assert_eq!(Format::Zstd.level(None), Ok(3));
        assert_eq!(Format::Xz.level(Some(9)), Ok(9));
        assert_eq!(Format::Bzip2.level(None), Ok(9));
        assert!(Format::Gzip.level(Some(0)).is_err());
        assert!(Format::None.level(Some(1)).is_err());
        assert_eq!(Format::None.level(None), Ok(0));
        let err = Format::Zstd.level(Some(30)).unwrap_err();
        assert_eq!(err.to_string(), "level 30 is out of range for zstd (1-22)");
    }
}
