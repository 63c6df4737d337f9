//! The jpack command line: the clap definition only. It imports nothing else of the tool;
//! [`crate::plan`] derives what to do from it, and the man page is generated from
//! [`Cli::command`](clap::CommandFactory::command).

use std::path::PathBuf;

use clap::{ArgGroup, Parser};
use jcore::codec::Format;

const EXAMPLES: &str = "\
Examples:
  jsnap send web@1 | jpack -c xz | jsum --tee -o web.sha256 > web.txz
  jpack -d < web.txz | jsnap recv tank/jails/web    format detected from magic bytes
  jpack -c gzip -l 9 -o root.tgz root.tar            atomic: root.tgz appears only when complete
  jpack -c bzip -T 4 root.tar > root.tbz             AppJail's spelling of bzip2
  jpack -d --pass-through < maybe.tar > root.tar     accept compressed or raw input
  jpack --detect image                               zstd xz gzip bzip2 lz4 lzma none
  jpack -t image.xz && echo intact";

/// Compress and decompress streams: zstd, xz, gzip, bzip2, lz4 (and legacy .lzma).
///
/// Compresses FILE (standard input when none or '-') to standard output or -o FILE, with
/// CODEC at LEVEL on N threads. With -d, decompresses whatever format the magic bytes
/// say, including concatenated streams (cat a.zst b.zst, pigz, pbzip2, lbzip2), which
/// decode to the concatenation. The output is what the reference CLIs read and write:
/// zstd, xz, gzip/pigz, bzip2/lbzip2/pbzip2 and lz4 read jpack's output, and jpack reads
/// theirs. Checksums are always written (zstd and lz4 content checksums, xz CRC64, gzip
/// CRC32, bzip2 block CRCs) and always verified.
///
/// Memory stays bounded whatever the input size. Compression is multi-threaded for every
/// codec: gzip as pigz does (one member, parallel blocks), bzip2 as pbzip2 does (parallel
/// streams), lz4 in parallel independent blocks, zstd and xz by their libraries' threads.
/// Decompression of xz streams with several blocks, of concatenated bzip2 streams and of
/// the blocks of one bzip2 stream (what bzip2 and lbzip2 write) is multi-threaded too.
///
/// Bad input (a truncated stream, a flipped byte, garbage, an empty input, trailing
/// garbage after a stream) is a one-line error saying what is wrong (CRC or length
/// mismatch, corrupt block, truncation), the format, the stream it is in and the byte
/// offset, exit status 2; with -o nothing is left behind. With -t the same findings give
/// exit status 1.
///
/// What the reference CLIs let through, jpack lets through with the same warning and
/// exit status: zero bytes after the last gzip or bzip2 stream are ignored silently (tar
/// tapes pad with them); other data after the last gzip member is a warning, the output
/// is kept and the exit status is 2 (gzip: "decompression OK, trailing garbage ignored");
/// after the last bzip2 stream it is a warning with exit status 0 (bzip2: "trailing
/// garbage after EOF ignored"); an xz stream whose check type cannot be verified decodes
/// with a warning and exit status 2, as xz does, unless --ignore-check. Trailing data after
/// zstd, xz (other than stream padding), lz4 and .lzma streams is an error, as it is for
/// their CLIs. Skippable frames may come anywhere in zstd and lz4 input; the frame after
/// them decides which format it is.
#[derive(Parser, Debug)]
#[command(
    name = "jpack",
    version,
    after_long_help = EXAMPLES,
    group(ArgGroup::new("mode").args(["decompress", "test", "detect", "list"])),
)]
pub struct Cli {
    /// Compression codec: zstd, xz, gzip, bzip2, lz4, lzma, none; also zst, gz, bz2, bzip,
    /// txz, tgz, tzst, tbz2 [default: zstd]
    #[arg(short = 'c', long = "codec", value_name = "CODEC", conflicts_with = "mode")]
    pub codec: Option<Format>,

    /// Compression level [default: the codec's, see --list]. gzip levels are zlib-rs's
    /// (as zlib-ng's), a little faster and a little looser than GNU gzip's at the same
    /// number; lz4 has level 1 only
    #[arg(short = 'l', long = "level", value_name = "LEVEL", conflicts_with = "mode")]
    pub level: Option<u32>,

    /// Threads for compression, and for decompressing xz and bzip2 [default: all cores; 0
    /// means all cores]
    #[arg(short = 'T', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// Write to FILE, atomically: a temporary file renamed into place when complete,
    /// removed on error or interruption
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write compressed data to standard output even when it is a terminal
    #[arg(short = 'f', long)]
    pub force: bool,

    /// Decompress; the format comes from the magic bytes
    #[arg(short = 'd', long)]
    pub decompress: bool,

    /// With -d: copy input that has no known magic bytes unchanged instead of failing
    #[arg(long, requires = "decompress")]
    pub pass_through: bool,

    /// With -d or -t: do not verify xz integrity checks, as xz --ignore-check does (an xz
    /// check type that cannot be verified is then no warning); other formats' checksums
    /// are still verified
    #[arg(long)]
    pub ignore_check: bool,

    /// Test integrity: decompress, verify every checksum, write nothing; exit status 1 if
    /// the data is damaged
    #[arg(short = 't', long)]
    pub test: bool,

    /// Print the format of FILE from its magic bytes: zstd xz gzip bzip2 lz4 lzma none
    #[arg(long)]
    pub detect: bool,

    /// Print the codecs with their level ranges and defaults
    #[arg(long)]
    pub list: bool,

    /// Input file (standard input when none or '-')
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
