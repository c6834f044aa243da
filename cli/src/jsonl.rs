//! JSON-lines batch mode: one JSON object per input line, one per output line, in order.
//! A line that is not a JSON object, or lacks a required field, yields an error line and
//! the stream goes on.

use serde_json::Value;
use std::io::{BufRead, Write};
use tenxyte_core::{Error, ErrorCode};

/// The output line for a failure: `{"valid": false, "code": ...}`.
pub use tenxyte_core::batch::failure;

/// Reads `input` line by line, applies `handle` to each JSON object, writes each result.
pub fn run(
    input: impl BufRead,
    mut output: impl Write,
    mut handle: impl FnMut(Value) -> Result<Value, Error>,
) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let result = tenxyte_core::json::parse_strict(line.as_bytes(), 64)
            .map_err(|e| Error::new(ErrorCode::InvalidInput, format!("not a JSON line: {e}")))
            .and_then(|v| {
                if v.is_object() {
                    Ok(v)
                } else {
                    Err(Error::new(
                        ErrorCode::InvalidInput,
                        "each line must be a JSON object",
                    ))
                }
            })
            .and_then(&mut handle);
        let out = result.unwrap_or_else(|e| failure(&e));
        writeln!(output, "{out}")?;
        output.flush()?;
    }
    Ok(())
}

/// [`run`] over standard input and output, as every `--jsonl` command uses it.
pub fn run_stdio(handle: impl FnMut(Value) -> Result<Value, Error>) -> crate::CliResult<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    run(stdin.lock(), stdout.lock(), handle).map_err(crate::io_error)
}
