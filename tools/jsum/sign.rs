//! `--keygen`, `--sign` and `--verify`: minisign and signify signatures over files and
//! streams. The formats and the cryptography are jcore's ([`jcore::sign`]); this module reads
//! and writes the files, finds passwords and reports verdicts.
//!
//! Exit status: 0 every signature verified; 1 a signature is missing, by another key, bad,
//! or its trusted comment changed; 2 a key or signature file is malformed or unreadable.
//! Secret keys and passwords are never printed: not on stdout, not in errors, not in
//! `--json` (the records hold public keys and key ids only).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jcore::Status;
use jcore::io::{AtomicFile, Error, Input, Output, RawStdout};
use jcore::sign::{self, Comments, Format, KeyError, Mode, PublicKey, SecretKey, Signature, Zeroizing};

use crate::plan::{KeySource, KeygenPlan, PasswordSource, SignPlan, VerifyPlan};

/// Key and signature files are a few lines; anything bigger is not one (signify `-e` files
/// carry their message and are read separately).
const KEY_FILE_MAX: u64 = 64 * 1024;

pub fn keygen(plan: &KeygenPlan) -> anyhow::Result<Status> {
    for path in [&plan.seckey, &plan.pubkey] {
        if !plan.force && fs::symlink_metadata(path).is_ok() {
            bail!("{}: already exists (-f replaces it)", path.display());
        }
    }
    let password = plan.password.as_ref().map(read_password).transpose()?;
    let key = SecretKey::generate().context("key generation")?;
    let public = key.public_key();
    let (secret_text, public_comment) = match plan.format {
        Format::Minisign => {
            let salt = random_bytes::<32>()?;
            let comment = plan.comment.clone().unwrap_or_else(|| {
                if password.is_some() { "minisign encrypted secret key" } else { "minisign secret key" }
                    .into()
            });
            let text = sign::minisign::secret_key_file(
                &key,
                password.as_deref().map(|p| (p.as_slice(), salt)),
                &comment,
            )?;
            (text, format!("minisign public key {}", public.key_id))
        }
        Format::Signify => {
            let salt = random_bytes::<16>()?;
            let comment = plan.comment.clone().unwrap_or_else(|| "signify secret key".into());
            let text = sign::signify::secret_key_file(
                &key,
                password.as_deref().map(|p| p.as_slice()),
                salt,
                &comment,
            )?;
            (text, "signify public key".to_string())
        }
    };
    let public_comment = match (&plan.comment, plan.format) {
        (Some(c), Format::Signify) => format!("{c} public key"),
        _ => public_comment,
    };
    write_key_file(&plan.seckey, secret_text.as_bytes(), 0o600)?;
    write_key_file(&plan.pubkey, public.to_file(&public_comment).as_bytes(), 0o644)?;
    let mut out = io::stdout().lock();
    if plan.json {
        let record = serde_json::json!({
            "public_key": public.to_base64(),
            "key_id": public.key_id.to_string(),
            "pubkey": plan.pubkey.display().to_string(),
            "seckey": plan.seckey.display().to_string(),
            "encrypted": password.is_some(),
        });
        writeln!(out, "{record}")?;
    } else {
        // The public key, to paste after -P; never the secret one.
        writeln!(out, "{}", public.to_base64())?;
    }
    Ok(Status::Success)
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    // A fresh key pair is random anyway; deriving salts from it would need care, the OS
    // source needs none.
    let mut bytes = [0u8; N];
    let mut urandom = fs::File::open("/dev/urandom").context("/dev/urandom")?;
    urandom.read_exact(&mut bytes).context("/dev/urandom")?;
    Ok(bytes)
}

/// Writes a key file atomically with the given mode. The temporary file is created under a
/// umask that leaves it private from its first byte on (AtomicFile creates it 0666 & umask),
/// so a secret key is never readable by others, not even before the chmod.
fn write_key_file(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    // SAFETY: umask is process-wide; jsum is single-threaded here.
    let old = unsafe { libc::umask(0o077) };
    let file = AtomicFile::create(path);
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    let mut file = file?;
    fs::set_permissions(file.temp_path(), fs::Permissions::from_mode(mode))
        .map_err(|e| Error::new(path.display().to_string(), e))?;
    file.write_all(contents).map_err(|e| Error::new(path.display().to_string(), e))?;
    file.commit()?;
    Ok(())
}

/// Reads a password: the first line of a file or descriptor, without its line break.
fn read_password(source: &PasswordSource) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let (name, mut reader): (String, Box<dyn Read>) = match source {
        PasswordSource::File(path) => {
            let name = path.display().to_string();
            let file = fs::File::open(path).map_err(|e| Error::new(&name, e))?;
            (name, Box::new(file))
        }
        PasswordSource::Fd(fd) => {
            if *fd < 0 {
                bail!("--password-fd {fd}: not a file descriptor");
            }
            // SAFETY: the user handed us this descriptor to read the password from; it is
            // ours to read and close.
            let file = unsafe { <fs::File as std::os::fd::FromRawFd>::from_raw_fd(*fd) };
            (format!("--password-fd {fd}"), Box::new(file))
        }
    };
    let mut bytes = Zeroizing::new(Vec::new());
    (&mut reader).take(4096).read_to_end(&mut bytes).map_err(|e| Error::new(&name, e))?;
    let end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let mut password = Zeroizing::new(bytes[..end].to_vec());
    if password.last() == Some(&b'\r') {
        password.pop();
    }
    if password.is_empty() {
        bail!("{name}: empty password");
    }
    Ok(password)
}

fn read_small(path: &Path) -> anyhow::Result<Vec<u8>> {
    let name = path.display().to_string();
    let file = fs::File::open(path).map_err(|e| Error::new(&name, e))?;
    let mut bytes = Vec::new();
    file.take(KEY_FILE_MAX + 1).read_to_end(&mut bytes).map_err(|e| Error::new(&name, e))?;
    if bytes.len() as u64 > KEY_FILE_MAX {
        bail!("{name}: too large for a key or signature file");
    }
    Ok(bytes)
}

fn load_secret_key(path: &Path, password: Option<&PasswordSource>) -> anyhow::Result<SecretKey> {
    let name = path.display().to_string();
    let text = Zeroizing::new(read_small(path)?);
    let given = password.map(read_password).transpose()?;
    let parsed = match SecretKey::parse(&text, given.as_deref().map(|p| p.as_slice())) {
        // No password given: ask on the terminal, as minisign and signify do.
        Err(KeyError::NeedsPassword) if given.is_none() => {
            let typed = prompt_password(&name)?;
            SecretKey::parse(&text, Some(&typed))
        }
        other => other,
    };
    parsed.map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// Reads a password from the controlling terminal without echo. Without a terminal (a
/// script, CI) the key cannot be opened: say which flags give the password.
fn prompt_password(name: &str) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    let no_terminal =
        || anyhow::anyhow!("{name}: the secret key is encrypted: give --password-file or --password-fd");
    let mut tty =
        fs::OpenOptions::new().read(true).write(true).open("/dev/tty").map_err(|_| no_terminal())?;
    let saved = termios::tcgetattr(&tty).map_err(|_| no_terminal())?;
    let mut silent = saved.clone();
    silent.local_flags.remove(LocalFlags::ECHO);
    write!(tty, "Password for {name}: ")?;
    termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &silent)?;
    let mut password = Zeroizing::new(Vec::new());
    let mut byte = [0u8; 1];
    let read = loop {
        match tty.read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) if byte[0] == b'\n' => break Ok(()),
            Ok(_) if password.len() < 4096 => password.push(byte[0]),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &saved)?;
    writeln!(tty)?;
    read.map_err(|e| Error::new("/dev/tty", e))?;
    if password.last() == Some(&b'\r') {
        password.pop();
    }
    Ok(password)
}

fn load_public_key(source: &KeySource) -> anyhow::Result<PublicKey> {
    match source {
        KeySource::File(path) => {
            let text = read_small(path)?;
            PublicKey::parse(&text).with_context(|| path.display().to_string())
        }
        KeySource::Inline(text) => PublicKey::from_base64(text).context("-P"),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

fn file_name(path: Option<&Path>) -> String {
    path.and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "-".into())
}

/// minisign's default trusted comment, `timestamp:<seconds>\tfile:<name>[\thashed]`, with
/// the time from SOURCE_DATE_EPOCH when set, so that a rebuild signs the same bytes.
fn default_trusted_comment(path: Option<&Path>, mode: Mode) -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    let hashed = if mode == Mode::Prehashed { "\thashed" } else { "" };
    format!("timestamp:{seconds}\tfile:{}{hashed}", file_name(path))
}

pub fn sign(plan: &SignPlan) -> anyhow::Result<Status> {
    let key = load_secret_key(&plan.seckey, plan.password.as_ref())?;
    let suffix = if plan.mode == Mode::Signify { ".sig" } else { ".minisig" };
    let untrusted = plan.comment.clone().unwrap_or_else(|| match plan.mode {
        // signify names the public key to verify with, from the secret key's name.
        Mode::Signify => {
            let public = with_suffix(&plan.seckey.with_extension(""), ".pub");
            format!("verify with {}", file_name(Some(&public)))
        }
        _ => "signature from minisign secret key".into(),
    });
    let mut status = Status::Success;
    for input in &plan.inputs {
        let comments = Comments {
            untrusted: untrusted.clone(),
            trusted: plan
                .trusted_comment
                .clone()
                .unwrap_or_else(|| default_trusted_comment(input.as_deref(), plan.mode)),
        };
        let target = plan.sigfile.clone().or_else(|| input.as_ref().map(|p| with_suffix(p, suffix)));
        match sign_one(&key, plan, input.as_deref(), target.as_deref(), &comments) {
            Ok(()) => {
                if plan.json {
                    let record = serde_json::json!({
                        "name": input.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into()),
                        "signature": target.as_ref().map(|p| p.display().to_string()),
                        "key_id": key.key_id.to_string(),
                        "format": if plan.mode == Mode::Signify { "signify" } else { "minisign" },
                    });
                    if plan.tee || target.is_none() {
                        eprintln!("{record}");
                    } else {
                        println!("{record}");
                    }
                }
            }
            Err(err) => {
                eprintln!("jsum: {}", jcore::exit::message(err.as_ref()));
                status = Status::Failure;
            }
        }
    }
    Ok(status)
}

fn sign_one(
    key: &SecretKey,
    plan: &SignPlan,
    input: Option<&Path>,
    target: Option<&Path>,
    comments: &Comments,
) -> anyhow::Result<()> {
    // Open the signature file first: a bad -x path should fail before any data flows.
    let mut out = match target {
        Some(path) => Output::create(Some(path), false, false)?,
        None => Output::stdout(),
    };
    let mut source = Input::open(input)?;
    let name = source.name().to_string();
    let mut signer = sign::Signer::new(key, plan.mode);
    let mut embedded = Vec::new();
    if plan.tee {
        jcore::io::check_binary_stdout(plan.force)?;
        jcore::io::enlarge_pipe_buffers();
    }
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::new(&name, e).into()),
        };
        if plan.tee {
            RawStdout.write_all(&buf[..n]).map_err(|e| Error::new("stdout", e))?;
        }
        signer.update(&buf[..n]).with_context(|| name.clone())?;
        if plan.embedded {
            embedded.extend_from_slice(&buf[..n]);
        }
    }
    let signature = signer.finish(comments);
    let out_name = out.name();
    out.write_all(&signature.to_bytes()).map_err(|e| Error::new(&out_name, e))?;
    if plan.embedded {
        out.write_all(&embedded).map_err(|e| Error::new(&out_name, e))?;
    }
    out.commit()?;
    Ok(())
}

/// One input's verdict.
enum Verdict {
    Good(sign::Verified),
    /// Exit 1: missing, wrong key, bad signature or trusted comment.
    Bad(String),
}

pub fn verify(plan: &VerifyPlan) -> anyhow::Result<Status> {
    let key = load_public_key(&plan.key)?;
    let mut status = Status::Success;
    let mut stdout = io::stdout().lock();
    for input in &plan.inputs {
        let name = match (input, &plan.label) {
            (None, Some(label)) => label.clone(),
            (None, None) => "-".into(),
            (Some(p), _) => p.display().to_string(),
        };
        let verdict = match verify_one(&key, plan, input.as_deref()) {
            Ok(v) => v,
            Err(err) => {
                eprintln!("jsum: {}", jcore::exit::message(err.as_ref()));
                status = status.worst(jcore::exit::status_of(err.as_ref()));
                continue;
            }
        };
        let (ok, reason, verified) = match &verdict {
            Verdict::Good(v) => (true, None, Some(v)),
            Verdict::Bad(reason) => (false, Some(reason.as_str()), None),
        };
        if let Some(reason) = reason {
            eprintln!("jsum: {reason}");
            status = status.worst(Status::Negative);
        }
        if plan.tee {
            // stdout carries the data.
            if !ok || plan.quiet {
                continue;
            }
            eprintln!("{name}: OK");
            continue;
        }
        if plan.quiet && ok {
            continue;
        }
        if plan.json {
            let record = serde_json::json!({
                "name": name,
                "status": if ok { "OK" } else { "FAILED" },
                "key_id": key.key_id.to_string(),
                "trusted_comment": verified.filter(|v| v.trusted_comment.is_some()).map(|v| v.trusted_comment_lossy()),
                "reason": reason,
            });
            writeln!(stdout, "{record}")?;
        } else {
            writeln!(stdout, "{name}: {}", if ok { "OK" } else { "FAILED" })?;
        }
    }
    stdout.flush()?;
    Ok(status)
}

fn verify_one(key: &PublicKey, plan: &VerifyPlan, input: Option<&Path>) -> anyhow::Result<Verdict> {
    if plan.embedded {
        return verify_embedded(key, plan, input.expect("plan: -e takes a FILE"));
    }
    let sig_path = plan
        .sigfile
        .clone()
        .unwrap_or_else(|| with_suffix(input.expect("plan: stdin needs -x"), plan.suffix));
    let sig_name = sig_path.display().to_string();
    let sig_text = match read_small(&sig_path) {
        Ok(text) => text,
        Err(err) if err.downcast_ref::<Error>().is_some_and(|e| e.io().kind() == io::ErrorKind::NotFound) => {
            return Ok(Verdict::Bad(format!("{sig_name}: missing signature: No such file or directory")));
        }
        Err(err) => return Err(err),
    };
    let signature = Signature::parse(&sig_text).with_context(|| sig_name.clone())?;
    let result = if plan.tee {
        jcore::io::check_binary_stdout(plan.force)?;
        jcore::io::enlarge_pipe_buffers();
        let mut verifier = match sign::Verifier::new(key, &signature) {
            Ok(v) => v,
            Err(e) => return Ok(Verdict::Bad(format!("{sig_name}: {e}"))),
        };
        let mut source = Input::open(input)?;
        let name = source.name().to_string();
        let mut buf = vec![0u8; 256 * 1024];
        let mut failed = None;
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::new(&name, e).into()),
            };
            RawStdout.write_all(&buf[..n]).map_err(|e| Error::new("stdout", e))?;
            if failed.is_none()
                && let Err(e) = verifier.update(&buf[..n])
            {
                // Keep copying: the pipe's reader gets the whole stream, the status says no.
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => verifier.finish(),
        }
    } else {
        match input {
            Some(path) => match sign::verify_file(key, &signature, path) {
                Ok(v) => Ok(v),
                Err(sign::VerifyFileError::Verify(e)) => Err(e),
                Err(sign::VerifyFileError::Read(e)) => {
                    return Err(Error::new(path.display().to_string(), e).into());
                }
            },
            None => {
                let mut stdin = Input::open(None)?;
                match sign::verify_reader(key, &signature, &mut stdin) {
                    Ok(v) => Ok(v),
                    Err(sign::VerifyFileError::Verify(e)) => Err(e),
                    Err(sign::VerifyFileError::Read(e)) => return Err(Error::new("-", e).into()),
                }
            }
        }
    };
    Ok(match result {
        Ok(v) => Verdict::Good(v),
        Err(e) => Verdict::Bad(format!("{sig_name}: {e}")),
    })
}

/// signify `-e`: the file is the signature followed by the message.
fn verify_embedded(key: &PublicKey, plan: &VerifyPlan, path: &Path) -> anyhow::Result<Verdict> {
    let name = path.display().to_string();
    let file = fs::File::open(path).map_err(|e| Error::new(&name, e))?;
    // signify reads the whole file too; past the limit, refuse rather than fill memory.
    let limit = sign::WHOLE_MESSAGE_MAX as u64 + KEY_FILE_MAX;
    let mut bytes = Vec::new();
    (&file).take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::new(&name, e))?;
    if bytes.len() as u64 > limit {
        bail!("{name}: {}", sign::VerifyError::TooLarge);
    }
    let (signature, at) = Signature::parse_prefix(&bytes).with_context(|| name.clone())?;
    if signature.mode != Mode::Signify {
        bail!("{name}: a minisign signature, not a signify -e file");
    }
    match sign::verify_bytes(key, &signature, &bytes[at..]) {
        Ok(v) => {
            if let Some(output) = &plan.output {
                let mut out = Output::create(Some(output), true, plan.force)?;
                out.write_all(&bytes[at..]).map_err(|e| Error::new(out.name(), e))?;
                out.commit()?;
            }
            Ok(Verdict::Good(v))
        }
        Err(e) => Ok(Verdict::Bad(format!("{name}: {e}"))),
    }
}
