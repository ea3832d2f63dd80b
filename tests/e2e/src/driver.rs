//! A thin layer over fantoccini for driving Cairn's window: find by `data-testid`, wait for
//! what the user would see, type, click, read text, take screenshots after the page painted.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, Locator, elements::Element};
use tokio::time::{Instant, sleep};

/// How long to wait for something to appear, unless a step says otherwise.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// The window under test.
pub(crate) struct Window {
    pub(crate) client: Client,
    pub(crate) screenshots: PathBuf,
}

/// `[data-testid="…"]`.
pub(crate) fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Window {
    /// Waits until an element matching `css` is in the page and displayed.
    pub(crate) async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && element.is_displayed().await.unwrap_or(false)
            {
                return Ok(element);
            }
            if Instant::now() >= deadline {
                bail!("`{css}` did not appear within {timeout:?}");
            }
            sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits for the element with this test id.
    pub(crate) async fn get(&self, id: &str) -> Result<Element> {
        self.wait_for(&tid(id), DEFAULT_WAIT).await
    }

    /// Whether an element with this test id is in the page now.
    pub(crate) async fn present(&self, id: &str) -> bool {
        self.client.find(Locator::Css(&tid(id))).await.is_ok()
    }

    /// Waits until the element with this test id is gone.
    pub(crate) async fn wait_gone(&self, id: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while self.present(id).await {
            if Instant::now() >= deadline {
                bail!("`{id}` was still shown after {timeout:?}");
            }
            sleep(Duration::from_millis(150)).await;
        }
        Ok(())
    }

    /// Clicks the element with this test id.
    pub(crate) async fn click(&self, id: &str) -> Result<()> {
        let element = self.get(id).await?;
        wait_enabled(&element, id).await?;
        element.click().await.with_context(|| format!("click `{id}`"))
    }

    /// Clears the field with this test id and types `text` into it, key by key.
    pub(crate) async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let element = self.get(id).await?;
        element.clear().await.with_context(|| format!("clear `{id}`"))?;
        if !text.is_empty() {
            element.send_keys(text).await.with_context(|| format!("type into `{id}`"))?;
        }
        let value = element.prop("value").await?.unwrap_or_default();
        if value != text {
            bail!("`{id}` holds {value:?} after typing {text:?}");
        }
        Ok(())
    }

    /// Chooses an option of the `<select>` with this test id by its value.
    pub(crate) async fn select(&self, id: &str, value: &str) -> Result<()> {
        self.get(id).await?.select_by_value(value).await.with_context(|| format!("select {value} in `{id}`"))
    }

    /// Chooses an option of the `<select>` with this test id by its visible text.
    pub(crate) async fn select_label(&self, id: &str, label: &str) -> Result<()> {
        self.get(id).await?.select_by_label(label).await.with_context(|| format!("select {label:?} in `{id}`"))
    }

    /// Appends `text` to what the field with this test id holds, key by key.
    pub(crate) async fn append(&self, id: &str, text: &str) -> Result<()> {
        let element = self.get(id).await?;
        element.click().await?;
        self.client
            .execute(
                "const e = arguments[0]; e.setSelectionRange(e.value.length, e.value.length);",
                vec![serde_json::to_value(&element)?],
            )
            .await?;
        element.send_keys(text).await.with_context(|| format!("type into `{id}`"))
    }

    /// Runs `script` in the page and answers what it returns.
    pub(crate) async fn script(&self, script: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(script, Vec::new()).await?)
    }

    /// The text of the whole page.
    pub(crate) async fn page_text(&self) -> Result<String> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    /// The visible text of the element with this test id.
    pub(crate) async fn text(&self, id: &str) -> Result<String> {
        Ok(self.get(id).await?.text().await?)
    }

    /// Waits until the element with this test id shows text containing `needle`.
    pub(crate) async fn wait_text(&self, id: &str, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(&tid(id))).await {
                let text = element.text().await.unwrap_or_default();
                if text.contains(needle) {
                    return Ok(text);
                }
                if Instant::now() >= deadline {
                    bail!("`{id}` shows {text:?}, not {needle:?}");
                }
            } else if Instant::now() >= deadline {
                bail!("`{id}` did not appear within {timeout:?}");
            }
            sleep(Duration::from_millis(150)).await;
        }
    }

    /// The page's main heading (`h1`).
    pub(crate) async fn heading(&self) -> Result<String> {
        Ok(self.wait_for("h1", DEFAULT_WAIT).await?.text().await?)
    }

    /// Saves a PNG of the window as `<name>.png`, after two animation frames so the
    /// screenshot shows what the DOM already says.
    pub(crate) async fn screenshot(&self, name: &str) -> Result<()> {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(done));",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        if png.len() < 1000 || !png.starts_with(b"\x89PNG") {
            bail!("screenshot {name} is not a PNG");
        }
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("write {}", path.display()))?;
        Ok(())
    }
}

async fn wait_enabled(element: &Element, id: &str) -> Result<()> {
    let deadline = Instant::now() + DEFAULT_WAIT;
    while !element.is_enabled().await.unwrap_or(false) {
        if Instant::now() >= deadline {
            bail!("`{id}` stayed disabled");
        }
        sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
