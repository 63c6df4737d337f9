//! The modes that print text: `--detect` and `--list`.

use std::io::Write;
use std::path::Path;

use jcore::Status;
use jcore::codec::{Decoder, Format};
use jcore::io::{Input, Output};

/// Prints the format the magic bytes of the input say, `none` when they say nothing.
pub fn detect(file: Option<&Path>) -> anyhow::Result<Status> {
    let input = Input::open(file)?;
    let name = input.name().to_string();
    let decoder = Decoder::pass_through(input).map_err(|e| jcore::io::Error::new(&name, e))?;
    let mut out = Output::stdout();
    writeln!(out, "{}", decoder.format()).map_err(|e| jcore::io::Error::new("stdout", e))?;
    out.commit()?;
    Ok(Status::Success)
}

/// Prints one line per codec: name, level range, default level, other spellings.
pub fn list() -> anyhow::Result<Status> {
    let mut text = format!("{:<7} {:<7} {:<8} {}\n", "codec", "levels", "default", "also");
    for format in Format::ALL {
        let (range, default) = match format.levels() {
            Some(l) if l.min == l.max => (l.min.to_string(), l.default.to_string()),
            Some(l) => (format!("{}-{}", l.min, l.max), l.default.to_string()),
            None => ("-".to_string(), "-".to_string()),
        };
        let aliases = format.aliases().join(" ");
        text.push_str(format!("{:<7} {:<7} {:<8} {}", format.name(), range, default, aliases).trim_end());
        text.push('\n');
    }
    let mut out = Output::stdout();
    out.write_all(text.as_bytes()).map_err(|e| jcore::io::Error::new("stdout", e))?;
    out.commit()?;
    Ok(Status::Success)
}
