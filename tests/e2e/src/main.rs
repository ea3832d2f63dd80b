//! End-to-end test of the real Cairn desktop binary, driven over WebDriver like a person would:
//! `tauri-driver` (port 4444) in front of WebKitWebDriver, under Xvfb. See scripts/test-desktop.
//!
//! Usage: `cairn-e2e <path to cairn-desktop> <screenshot folder> <path to cairn>`. Each vault is
//! created in a fresh temporary folder with the test-only fast key derivation; the `cairn`
//! command line is the team device the app syncs with. Prints one line per step
//! and a closing `N passed, N failed` line; exits non-zero on the first failure.
#![deny(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod driver;
mod journey;
mod keyboard;
mod peer;
mod scan;

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::driver::Window;

/// Starts the app through tauri-driver with these arguments and environment language.
pub(crate) async fn launch(app: &std::path::Path, args: &[String], screenshots: &std::path::Path) -> Result<Window> {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("tauri:options".into(), json!({ "application": app, "args": args }));
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect("http://127.0.0.1:4444")
        .await
        .context("start a WebDriver session (is tauri-driver running?)")?;
    Ok(Window { client, screenshots: screenshots.to_owned() })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(app), Some(screenshots), Some(cairn)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: cairn-e2e <path to cairn-desktop> <screenshot folder> <path to cairn>");
        return ExitCode::from(2);
    };
    let app = std::path::absolute(PathBuf::from(app)).expect("absolute path");
    let cairn = std::path::absolute(PathBuf::from(cairn)).expect("absolute path");
    let screenshots = PathBuf::from(screenshots);
    if let Err(error) = std::fs::create_dir_all(&screenshots) {
        eprintln!("cannot create {}: {error}", screenshots.display());
        return ExitCode::FAILURE;
    }
    let report = journey::run(&app, &screenshots, &cairn).await;
    println!();
    println!("{} passed, {} failed", report.passed, report.failed);
    if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
