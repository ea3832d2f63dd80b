//! The one place `cairn` prints: results (JSON or text) and messages on standard output;
//! progress notes, warnings, prompts and the error line on standard error.
//!
//! Keeping every print here means one file decides what reaches the terminal or a script,
//! and a review of what the command can reveal starts and ends in this file. The
//! exceptions are written by libraries: clap prints `--help` and parse errors, and
//! `rpassword` the passphrase prompts.
//!
//! The functions take `impl Display` rather than `String` so that a caller can print a
//! secret (the recovery code) through `format_args!` without leaving an extra copy of it on
//! the heap.
//!
//! A failed write to standard output (a full disk behind a redirection, a closed pipe) does not
//! panic: it is remembered, later writes are skipped, and `main` ends with a specific error
//! (`output_unwritable`, exit 1) instead of a crash.

// The lints that keep prints out of every other file.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::{
    fmt::Display,
    io::Write,
    sync::atomic::{AtomicBool, Ordering},
};

use serde_json::Value;

/// Set once a write to standard output failed.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Standard output could not be written (the command's result is incomplete).
#[derive(Debug, thiserror::Error)]
#[error("the output could not be written (is the disk full or the pipe closed?)")]
pub(crate) struct Unwritable;

/// Whether a write to standard output failed during the command.
pub(crate) fn failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

/// Writes to standard output, remembering a failure instead of panicking.
fn write_stdout(args: std::fmt::Arguments<'_>) {
    if failed() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout.write_fmt(args).and_then(|()| stdout.flush()).is_err() {
        STDOUT_FAILED.store(true, Ordering::Relaxed);
    }
}

/// Prints a command's result: `value` as pretty JSON with `--json`, otherwise the text,
/// which is built only when it is printed.
pub(crate) fn result(json: bool, value: &Value, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        self::json(value)
    } else {
        line(text());
        Ok(())
    }
}

/// Prints `value` as pretty JSON on one or more lines of standard output.
pub(crate) fn json(value: &Value) -> anyhow::Result<()> {
    write_stdout(format_args!("{}\n", serde_json::to_string_pretty(value)?));
    Ok(())
}

/// Prints one line of text (it may hold line breaks) on standard output.
pub(crate) fn line(text: impl Display) {
    write_stdout(format_args!("{text}\n"));
}

/// Prints an empty line on standard output, between paragraphs of a message.
pub(crate) fn blank_line() {
    write_stdout(format_args!("\n"));
}

/// Prints a line on standard error: progress and warnings that must not mix with a result
/// a script reads from standard output.
pub(crate) fn notice(text: impl Display) {
    eprintln!("{text}");
}

/// Prints a question on standard error and leaves the cursor after it, for the answer typed
/// on the same line.
pub(crate) fn prompt(text: impl Display) {
    eprint!("{text}");
}

/// Prints the error line on standard error: `error: MESSAGE [code]`, or `error: MESSAGE`
/// when the error has no stable code. Scripts match the code in brackets.
pub(crate) fn error(message: impl Display, code: Option<&str>) {
    match code {
        Some(code) => eprintln!("error: {message} [{code}]"),
        None => eprintln!("error: {message}"),
    }
}

/// A live progress line on standard error, drawn only when standard error is a terminal and
/// no JSON was asked for (scripts and logs get the summary alone).
pub(crate) struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A spinner with a message, or nothing when it would not be seen.
    pub(crate) fn spinner(json: bool) -> Progress {
        use std::io::IsTerminal;
        if json || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(Some(bar))
    }

    /// Replaces the message (cheap when hidden).
    pub(crate) fn set(&self, message: impl FnOnce() -> String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message());
        }
    }

    /// Removes the line, leaving the terminal as it was.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
