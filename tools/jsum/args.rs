//! The jsum command line: the clap definition and nothing else. It imports nothing from the
//! rest of the tool; `plan.rs` turns it into a `Plan` before any work
//! starts.

use std::path::PathBuf;

use clap::Parser;
use jcore::digest::Algorithm;

const EXAMPLES: &str = "\
Examples:
  jsum image.xz                          sha256, GNU format: HEX  image.xz
  jsum -a sha256,blake3 image.xz         both in one pass, BSD tag lines
  jsum -q -a skein1024 image.xz          the digest alone (pot .skein, Bastille .sha256)
  sha256sum *.xz > SUMS; jsum -c SUMS    verify a sum file written by sha256sum or b3sum
  jsum --expect \"$(cat web.sha256)\" web.txz
  cat web_1.0.xz web_1.0.xz.meta | jsum --expect \"$(cat web_1.0.xz.skein)\"
  jpack -c xz < root.tar | jsum --tee -q -o web.sha256 > web.txz

Signatures (minisign and signify files):
  jsum --keygen -s release.key -p release.pub           minisign key pair (--signify: signify's)
  jsum --keygen -s release.key -p release.pub --password-file pw
  jsum --sign -s release.key web.ajspec                 writes web.ajspec.minisig
  jsum --sign -s release.key -t 'web 1.0' web.txz       with a trusted comment
  jsum --verify -p release.pub web.ajspec               checks web.ajspec.minisig
  jsum --verify -P RWQ... -x web.txz.minisig - < web.txz
  jpack -c xz < root.tar | jsum --tee --sign -s release.key -x web.txz.minisig > web.txz
  jsum --verify --signify -p base.pub SHA256            OpenBSD: checks SHA256.sig
  jsum --verify -e -p base.pub -o SHA256 SHA256.sig     signify -e: verify, then extract";

/// Compute and verify digests: sha256, sha1, sha512, blake3, skein256, skein512, skein1024.
///
/// With FILEs (standard input when none or '-'), print one digest line per file and
/// algorithm. Several algorithms are computed in one pass over the data, each on its own
/// thread. Skein is FreeBSD's: Skein-256-256, Skein-512-512 and Skein-1024-1024.
///
/// Output formats: GNU ('HEX  NAME', the default for one algorithm), BSD tag
/// ('ALGO (NAME) = HEX', with --tag and whenever several algorithms are asked for), bare
/// ('HEX' alone, with -q: the format of pot .skein and Bastille .sha256 files). Names with
/// a backslash or newline are escaped as coreutils does.
///
/// With --keygen, --sign and --verify, jsum makes and checks Ed25519 signatures in
/// minisign's files (.minisig with a signed trusted comment; prehashed BLAKE2b or, with -l,
/// legacy) or OpenBSD signify's (.sig, also -e embedded). Public key files are the same in
/// both formats; verification tells the signature format from the file. Passwords of
/// secret keys come from --password-file or --password-fd, never the command line.
/// Verification exits 1 when a signature is missing, made by another key (wrong key id),
/// bad, or its trusted comment was changed; 2 when a key or signature file is malformed.
#[derive(Parser, Debug)]
#[command(name = "jsum", version, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Digest algorithms, comma-separated or repeated [default: sha256]
    #[arg(short = 'a', long = "algorithm", value_name = "ALGO", value_delimiter = ',')]
    pub algorithms: Vec<Algorithm>,

    /// Print BSD tag lines: ALGO (NAME) = HEX
    #[arg(long, conflicts_with = "check")]
    pub tag: bool,

    /// Print the digest alone; with -c or --expect, print nothing for inputs that verify
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Name to print for standard input instead of '-'
    #[arg(long, value_name = "NAME", conflicts_with = "check")]
    pub label: Option<String>,

    /// Print one JSON record per line instead of digest lines
    #[arg(long)]
    pub json: bool,

    /// Verify the digests listed in SUMFILEs (GNU, BSD tag or b3sum lines; standard input when none)
    #[arg(short = 'c', long, help_heading = "Verification")]
    pub check: bool,

    /// Verify the input against a digest, [ALGO:]HEX; repeat for several algorithms
    #[arg(long, value_name = "[ALGO:]HEX", help_heading = "Verification")]
    pub expect: Vec<String>,

    /// With -c: print nothing, the exit status tells
    #[arg(long, help_heading = "Verification")]
    pub status: bool,

    /// With -c: skip listed files that do not exist instead of failing
    #[arg(long, help_heading = "Verification")]
    pub ignore_missing: bool,

    /// With -c: warn about each improperly formatted line
    #[arg(short = 'w', long, help_heading = "Verification")]
    pub warn: bool,

    /// With -c: fail when a line is improperly formatted
    #[arg(long, help_heading = "Verification")]
    pub strict: bool,

    /// Copy standard input to standard output unchanged while hashing it; digest lines go to
    /// -o FILE, or to standard error
    #[arg(long, help_heading = "Pipes")]
    pub tee: bool,

    /// Write the digest lines to FILE (atomically replaced) instead of standard output; with
    /// --verify -e, the verified message
    #[arg(short = 'o', long = "output", value_name = "FILE", conflicts_with = "check")]
    pub output: Option<PathBuf>,

    /// With --tee: write the data even when standard output is a terminal; with --keygen:
    /// replace existing key files
    #[arg(short = 'f', long, help_heading = "Pipes")]
    pub force: bool,

    /// Threads for hashing: BLAKE3 on large files, and the threads several digests share [default: all cores]
    #[arg(short = 'T', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// Create an Ed25519 key pair: secret key -s SECKEY (mode 0600), public key -p PUBKEY
    #[arg(long, help_heading = "Signatures", conflicts_with_all = ["check", "sign", "verify", "tee", "expect"])]
    pub keygen: bool,

    /// Sign each FILE with -s SECKEY: writes FILE.minisig (FILE.sig with --signify)
    #[arg(long, help_heading = "Signatures", conflicts_with_all = ["check", "verify", "expect"])]
    pub sign: bool,

    /// Verify each FILE against its signature FILE.minisig (FILE.sig with --signify, or -x)
    /// and the public key -p PUBKEY or -P KEY
    #[arg(long, help_heading = "Signatures", conflicts_with_all = ["check", "expect"])]
    pub verify: bool,

    /// The secret key file (--keygen writes it, --sign reads it)
    #[arg(short = 's', long = "seckey", value_name = "SECKEY", help_heading = "Signatures")]
    pub seckey: Option<PathBuf>,

    /// The public key file (--keygen writes it, --verify reads it)
    #[arg(short = 'p', long = "pubkey", value_name = "PUBKEY", help_heading = "Signatures")]
    pub pubkey: Option<PathBuf>,

    /// The public key given inline, as base64 (RWQ…, the second line of a public key file)
    #[arg(
        short = 'P',
        long = "pubkey-string",
        value_name = "KEY",
        help_heading = "Signatures",
        conflicts_with = "pubkey"
    )]
    pub pubkey_string: Option<String>,

    /// The signature file, instead of FILE.minisig or FILE.sig (one FILE; needed for stdin)
    #[arg(short = 'x', long = "sigfile", value_name = "SIGFILE", help_heading = "Signatures")]
    pub sigfile: Option<PathBuf>,

    /// --sign: the trusted comment, signed with the data [default: timestamp:SECONDS,
    /// file:NAME and hashed, as minisign writes it; SOURCE_DATE_EPOCH sets the time]
    #[arg(short = 't', long = "trusted-comment", value_name = "TEXT", help_heading = "Signatures")]
    pub trusted_comment: Option<String>,

    /// The untrusted comment of a new signature or key (minisign -c, signify -c)
    #[arg(long = "comment", value_name = "TEXT", help_heading = "Signatures")]
    pub comment: Option<String>,

    /// Use signify's files: keys from signify -G, FILE.sig, no trusted comment
    #[arg(long, help_heading = "Signatures")]
    pub signify: bool,

    /// signify -e: --sign writes the message after the signature in FILE.sig; --verify
    /// takes such files as FILE and writes the message to -o FILE when it verifies
    #[arg(short = 'e', long, help_heading = "Signatures")]
    pub embedded: bool,

    /// --sign: minisign's legacy mode (minisign -l): sign the data itself, not its BLAKE2b
    #[arg(short = 'l', long, help_heading = "Signatures")]
    pub legacy: bool,

    /// Read the secret key's password from the first line of FILE (--keygen: encrypt with it)
    #[arg(long, value_name = "FILE", help_heading = "Signatures", conflicts_with = "password_fd")]
    pub password_file: Option<PathBuf>,

    /// Read the secret key's password from file descriptor N (up to its first line break)
    #[arg(long, value_name = "N", help_heading = "Signatures")]
    pub password_fd: Option<i32>,

    /// Input files (standard input when none or '-'); with -c, the sum files
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
