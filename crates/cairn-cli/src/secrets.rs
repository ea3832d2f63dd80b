//! Where secrets come from: a file, the environment (for scripts), or a terminal prompt.

use std::io::IsTerminal;

use anyhow::Context;
use cairn_core::{ExposeSecret, SecretString};

use crate::{
    Cli,
    exit::{Mismatch, Usage},
};

/// The current passphrase: `--passphrase-file`, then `CAIRN_PASSPHRASE`, then a prompt.
pub(crate) fn passphrase(cli: &Cli) -> anyhow::Result<SecretString> {
    if let Some(path) = &cli.passphrase_file {
        let content = SecretString::from(std::fs::read_to_string(path).context("could not read the passphrase file")?);
        let first_line = content.expose_secret().lines().next().unwrap_or_default().to_owned();
        return Ok(SecretString::from(first_line));
    }
    if let Some(value) = env_secret("CAIRN_PASSPHRASE") {
        return Ok(value);
    }
    prompt("Passphrase: ", "no passphrase: run in a terminal, or set CAIRN_PASSPHRASE or --passphrase-file")
}

/// A new passphrase, from `env_var` or typed twice.
pub(crate) fn new_passphrase(env_var: &str, label: &str) -> anyhow::Result<SecretString> {
    if let Some(value) = env_secret(env_var) {
        return Ok(value);
    }
    let first = prompt(&format!("{label}: "), "no new passphrase: run in a terminal or set the environment variable")?;
    let second = prompt(&format!("{label} (again): "), "no terminal")?;
    if first.expose_secret() != second.expose_secret() {
        return Err(Mismatch.into());
    }
    Ok(first)
}

/// A secret from `env_var` or a prompt.
pub(crate) fn secret(env_var: &str, label: &str) -> anyhow::Result<SecretString> {
    if let Some(value) = env_secret(env_var) {
        return Ok(value);
    }
    prompt(&format!("{label}: "), "no terminal to prompt on: set the environment variable")
}

fn env_secret(name: &str) -> Option<SecretString> {
    std::env::var(name).ok().map(SecretString::from)
}

fn prompt(label: &str, without_terminal: &'static str) -> anyhow::Result<SecretString> {
    if !std::io::stdin().is_terminal() {
        return Err(Usage(without_terminal).into());
    }
    let typed = rpassword::prompt_password(label).context("could not read from the terminal")?;
    Ok(SecretString::from(typed))
}
