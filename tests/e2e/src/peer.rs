//! A second team device for the sync step: the `cairn` command line on a vault of its own.
//! It is the organisation's HQ (it enrolls the app's device from the request the app made),
//! writes a case, and waits for the app with `cairn sync serve --once` on loopback.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, PoisonError},
};

use anyhow::{Context, Result, bail, ensure};

/// The passphrase of the peer's vault.
const PEER_PASSPHRASE: &str = "두만강 상류 본부 HQ passphrase";

/// The `cairn` binary and a vault it opens.
pub(crate) struct Peer {
    cairn: PathBuf,
}

impl Peer {
    pub(crate) fn new(cairn: &Path) -> Self {
        Peer { cairn: cairn.to_owned() }
    }

    fn command(&self, vault: &Path, passphrase: &str, args: &[&str]) -> Command {
        let mut command = Command::new(&self.cairn);
        command
            .arg("--vault")
            .arg(vault)
            .args(args)
            .env("CAIRN_PASSPHRASE", passphrase)
            .env_remove("CAIRN_VAULT")
            .stdin(Stdio::null());
        command
    }

    /// Runs `cairn --vault VAULT ARGS…` with `passphrase`; answers its standard output.
    pub(crate) fn run_on(&self, vault: &Path, passphrase: &str, args: &[&str]) -> Result<String> {
        let output = self.command(vault, passphrase, args).output().with_context(|| format!("run cairn {args:?}"))?;
        if !output.status.success() {
            bail!("cairn {args:?} exited with {}: {}", output.status, String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs a command on the peer's own vault.
    pub(crate) fn run(&self, vault: &Path, args: &[&str]) -> Result<String> {
        self.run_on(vault, PEER_PASSPHRASE, args)
    }

    /// A JSON command on the peer's own vault.
    pub(crate) fn json(&self, vault: &Path, args: &[&str]) -> Result<serde_json::Value> {
        let text = self.run(vault, args)?;
        serde_json::from_str(&text).with_context(|| format!("cairn {args:?} printed no JSON"))
    }

    /// `cairn sync serve --listen 127.0.0.1:0 --once` in the background; answers the server and
    /// the address it listens on (on its first lines on standard error, which `--json` leaves out).
    pub(crate) fn serve_once(&self, vault: &Path) -> Result<Serving> {
        let mut child = self
            .command(vault, PEER_PASSPHRASE, &["sync", "serve", "--listen", "127.0.0.1:0", "--once"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("start cairn sync serve")?;
        let mut stderr = BufReader::new(child.stderr.take().context("the server's standard error")?);
        let notices = Arc::new(Mutex::new(String::new()));
        let server = Server { child: Some(child), notices: notices.clone() };
        // The line naming the address; the peer's test vault makes it warn about its
        // test-only key derivation first.
        let mut address = String::new();
        let mut said = String::new();
        for _ in 0..5 {
            let mut line = String::new();
            stderr.read_line(&mut line).context("the server's first lines")?;
            said.push_str(&line);
            if let Some(word) = line.split_whitespace().find(|word| word.starts_with("127.0.0.1:")) {
                address = word.to_owned();
                break;
            }
        }
        ensure!(address.starts_with("127.0.0.1:"), "the server said {said:?}");
        // Keep draining standard error so the server never blocks on a full pipe; keep what
        // it says (the app's fingerprint, for the person at HQ to compare).
        std::thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).unwrap_or(0) > 0 {
                notices.lock().unwrap_or_else(PoisonError::into_inner).push_str(&line);
                line.clear();
            }
        });
        Ok(Serving { server, address })
    }
}

/// A `cairn sync serve --once` under way; killed if dropped before it finished.
pub(crate) struct Server {
    child: Option<Child>,
    notices: Arc<Mutex<String>>,
}

/// The server and its address.
pub(crate) struct Serving {
    pub(crate) server: Server,
    pub(crate) address: String,
}

impl Server {
    /// Waits for the server to end; answers its summary of the one session (`Synced: …`) and
    /// what it said on standard error after its first line.
    pub(crate) fn finish(mut self) -> Result<(String, String)> {
        let child = self.child.take().context("the server was already awaited")?;
        let output = child.wait_with_output().context("wait for cairn sync serve")?;
        ensure!(output.status.success(), "cairn sync serve exited with {}", output.status);
        let notices = self.notices.lock().unwrap_or_else(PoisonError::into_inner).clone();
        Ok((String::from_utf8_lossy(&output.stdout).into_owned(), notices))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
