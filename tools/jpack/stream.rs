//! The modes that stream data: compress, decompress (-d) and test (-t). Each is a copy
//! loop between jcore's input, codec and output; errors name the side they happened on.

use std::io::{self, Read, Write};

use jcore::Status;
use jcore::codec::{DecodeError, Decoder, Encoder, Format};
use jcore::exit::StatusError;
use jcore::io::{BUFFER_SIZE, Error as IoError, Input, Output, read_full};

use crate::plan::Settings;

/// Compresses the input into the output with `format` at `level` (the format's default
/// when `None`).
pub fn compress(format: Format, level: Option<u32>, settings: &Settings) -> anyhow::Result<Status> {
    let mut input = Input::open(settings.file.as_deref())?;
    let output = Output::create(settings.output.as_deref(), true, settings.force)?;
    let out_name = output.name();
    let on_output = |e: io::Error| IoError::new(&out_name, e);
    let mut encoder = Encoder::new(format, level, settings.threads, output).map_err(on_output)?;
    let mut buf = vec![0u8; BUFFER_SIZE];
    loop {
        let n = read_full(&mut input, &mut buf).map_err(|e| IoError::new(input.name(), e))?;
        if n == 0 {
            break;
        }
        encoder.write_all(&buf[..n]).map_err(on_output)?;
    }
    let output = encoder.finish().map_err(on_output)?;
    output.commit()?;
    Ok(Status::Success)
}

/// Decompresses the input into the output, the format detected from its magic bytes.
pub fn decompress(pass_through: bool, settings: &Settings) -> anyhow::Result<Status> {
    let (name, mut decoder) = open_decoder(settings, pass_through)?;
    // Only now that the input looks right: a bad input leaves no output file behind.
    let mut output = Output::create(settings.output.as_deref(), true, settings.force)?;
    let out_name = output.name();
    copy(&mut decoder, &name, |data| output.write_all(data).map_err(|e| IoError::new(&out_name, e).into()))?;
    // The data is complete: a warning keeps it, as the reference CLIs do.
    output.commit()?;
    Ok(report_warnings(&decoder, &name))
}

/// Prints what the decoder let through, one line each, and returns the exit status the
/// reference CLI gives for it (see the man page).
fn report_warnings(decoder: &Decoder<Input>, name: &str) -> Status {
    let mut status = Status::Success;
    for warning in decoder.warnings() {
        eprintln!("jpack: {name}: {warning}");
        if warning.fails {
            status = Status::Failure;
        }
    }
    status
}

/// Decompresses the input and throws the data away: exit 0 when every stream is intact,
/// 1 when the data is damaged, 2 when the input cannot be read.
pub fn test(settings: &Settings) -> anyhow::Result<Status> {
    let result = open_decoder(settings, false).and_then(|(name, mut decoder)| {
        copy(&mut decoder, &name, |_| Ok(()))?;
        Ok(report_warnings(&decoder, &name))
    });
    match result {
        Err(err) if err.downcast_ref::<IoError>().and_then(|e| DecodeError::find(e.io())).is_some() => {
            Err(StatusError::negative(jcore::exit::message(err.as_ref())).into())
        }
        other => other,
    }
}

fn open_decoder(settings: &Settings, pass_through: bool) -> anyhow::Result<(String, Decoder<Input>)> {
    let input = Input::open(settings.file.as_deref())?;
    let name = input.name().to_string();
    let decoder = if pass_through { Decoder::pass_through(input) } else { Decoder::new(input) };
    let decoder = decoder
        .map_err(|e| IoError::new(&name, e))?
        .with_threads(settings.threads)
        .ignore_check(settings.ignore_check);
    Ok((name, decoder))
}

/// How much decoded data is handed to the output at once: an lz4 block (4 MiB at most)
/// then decodes straight into it, without a copy.
const DECODE_BUFFER: usize = 4 << 20;

fn copy(
    decoder: &mut Decoder<Input>,
    name: &str,
    mut write: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut buf = vec![0u8; DECODE_BUFFER];
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IoError::new(name, e).into()),
        };
        write(&buf[..n])?;
    }
}
