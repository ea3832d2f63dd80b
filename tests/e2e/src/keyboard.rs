//! Another program with the keyboard focus, and keys pressed there as the X server sees them
//! (xdotool, through XTEST), not through WebDriver: the global lock shortcut must work while
//! the app's window does not have the focus.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};

fn xdotool(args: &[&str]) -> Result<String> {
    let output = Command::new("xdotool")
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .context("running xdotool (scripts/setup-desktop installs it)")?;
    ensure!(output.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&output.stderr).trim());
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `xmessage`, a small window of another program, holding the keyboard focus. Closed on drop.
pub(crate) struct OtherProgram {
    child: Child,
    window: String,
}

impl OtherProgram {
    /// Opens it beside the app's window and gives it the focus.
    pub(crate) fn start() -> Result<Self> {
        let child = Command::new("xmessage")
            .args(["-geometry", "+900+650", "another program"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting xmessage (scripts/setup-desktop installs x11-utils)")?;
        let mut other = OtherProgram { child, window: String::new() };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // xdotool search fails while nothing matches.
            if let Ok(found) = xdotool(&["search", "--name", "^xmessage$"])
                && let Some(window) = found.lines().next()
            {
                other.window = window.to_owned();
                break;
            }
            if Instant::now() > deadline {
                bail!("xmessage's window did not appear");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        other.focus()?;
        Ok(other)
    }

    /// Gives it the keyboard focus, and checks that it has it.
    pub(crate) fn focus(&self) -> Result<()> {
        xdotool(&["windowfocus", "--sync", &self.window])?;
        let focused = xdotool(&["getwindowfocus"])?;
        ensure!(focused == self.window, "the focus is on window {focused}, not on xmessage's {}", self.window);
        Ok(())
    }

    /// Presses `keys` (xdotool's names: `ctrl+shift+l`) while it has the focus.
    pub(crate) fn press(&self, keys: &str) -> Result<()> {
        self.focus()?;
        xdotool(&["key", "--clearmodifiers", keys])?;
        Ok(())
    }
}

impl Drop for OtherProgram {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
