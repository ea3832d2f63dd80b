//! Non-sensitive desktop settings: language, auto-lock minutes, the window's title and icon,
//! and whether the panic lock works from anywhere.
//!
//! They are needed before the vault is unlocked (the unlock screen must already speak the
//! user's language, the idle timer must know its limit), so they live in a small JSON file in
//! the per-user config folder. Nothing about cases is ever written there.

use std::{fs, path::Path};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Shortest auto-lock delay the user can choose, in minutes.
pub(crate) const MIN_AUTO_LOCK_MINUTES: u32 = 1;
/// Longest auto-lock delay the user can choose, in minutes.
pub(crate) const MAX_AUTO_LOCK_MINUTES: u32 = 60;
/// Auto-lock delay of a fresh install, in minutes.
pub(crate) const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;
/// Largest settings file read (anything bigger is not ours: defaults are used).
const MAX_SETTINGS_BYTES: u64 = 4096;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Language {
    /// Korean.
    Ko,
    /// English.
    En,
}

impl Language {
    /// Korean when the system locale is Korean, English otherwise.
    pub(crate) fn from_locale(locale: Option<&str>) -> Language {
        match locale {
            Some(locale) if locale.to_ascii_lowercase().starts_with("ko") => Language::Ko,
            _ => Language::En,
        }
    }

    /// The language of the system locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, in that order).
    pub(crate) fn from_system() -> Language {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()));
        Language::from_locale(locale.as_deref())
    }
}

/// The window's title and icon in the taskbar and the window list (and the tray item's). `Notes`
/// says nothing of what the app is: a plain note icon and the title "Notes". Both are set
/// before the page loads, so they hold from the start, before any unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub(crate) enum WindowTitle {
    /// "Cairn".
    #[default]
    App,
    /// "Notes", or "메모" in Korean.
    Notes,
}

impl WindowTitle {
    /// The title shown, in `language`.
    pub(crate) fn text(self, language: Language) -> &'static str {
        match (self, language) {
            (WindowTitle::App, _) => "Cairn",
            (WindowTitle::Notes, Language::Ko) => "메모",
            (WindowTitle::Notes, Language::En) => "Notes",
        }
    }
}

/// The settings as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// The chosen language; `None` follows the system locale.
    #[serde(default)]
    pub(crate) language: Option<Language>,
    /// Minutes without activity before the vault locks itself.
    #[serde(default = "default_minutes")]
    pub(crate) auto_lock_minutes: u32,
    /// The window's title and icon.
    #[serde(default)]
    pub(crate) window_title: WindowTitle,
    /// Whether Ctrl+Shift+L locks from any program and a tray item offers "Lock now" (see
    /// `lock_anywhere.rs`). Off until the worker turns it on.
    #[serde(default)]
    pub(crate) lock_anywhere: bool,
}

fn default_minutes() -> u32 {
    DEFAULT_AUTO_LOCK_MINUTES
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: None,
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
            window_title: WindowTitle::App,
            lock_anywhere: false,
        }
    }
}

impl Settings {
    /// Reads the settings; a missing, oversized or unreadable file gives the defaults.
    pub(crate) fn load(path: &Path) -> Settings {
        let Ok(metadata) = fs::metadata(path) else { return Settings::default() };
        if metadata.len() > MAX_SETTINGS_BYTES {
            return Settings::default();
        }
        let Ok(text) = fs::read_to_string(path) else { return Settings::default() };
        let mut settings: Settings = serde_json::from_str(&text).unwrap_or_default();
        settings.auto_lock_minutes = settings.auto_lock_minutes.clamp(MIN_AUTO_LOCK_MINUTES, MAX_AUTO_LOCK_MINUTES);
        settings
    }

    /// Writes the settings atomically (temporary file, fsync, rename, folder fsync).
    pub(crate) fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        cairn_core::files::write_atomically(path, text.as_bytes())
    }

    /// The language to show.
    pub(crate) fn effective_language(&self) -> Language {
        self.language.unwrap_or_else(Language::from_system)
    }

    /// The window's title text, in the language shown.
    pub(crate) fn window_title_text(&self) -> &'static str {
        self.window_title.text(self.effective_language())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_locales_choose_korean() {
        assert_eq!(Language::from_locale(Some("ko_KR.UTF-8")), Language::Ko);
        assert_eq!(Language::from_locale(Some("KO")), Language::Ko);
        assert_eq!(Language::from_locale(Some("en_US.UTF-8")), Language::En);
        assert_eq!(Language::from_locale(Some("C")), Language::En);
        assert_eq!(Language::from_locale(None), Language::En);
    }

    #[test]
    fn settings_round_trip_and_bad_files_give_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("desktop-settings.json");
        assert_eq!(Settings::load(&path), Settings::default());
        let settings = Settings {
            language: Some(Language::Ko),
            auto_lock_minutes: 1,
            window_title: WindowTitle::Notes,
            lock_anywhere: true,
        };
        settings.save(&path).expect("save");
        assert_eq!(Settings::load(&path), settings);
        fs::write(&path, "{ not json").expect("write");
        assert_eq!(Settings::load(&path), Settings::default());
        fs::write(&path, r#"{"language":"en","auto_lock_minutes":0}"#).expect("write");
        assert_eq!(Settings::load(&path).auto_lock_minutes, MIN_AUTO_LOCK_MINUTES);
        fs::write(&path, vec![b' '; 10_000]).expect("write");
        assert_eq!(Settings::load(&path), Settings::default());
        // A file from before the window title keeps the app's own.
        fs::write(&path, r#"{"language":"ko","auto_lock_minutes":5}"#).expect("write");
        assert_eq!(Settings::load(&path).window_title, WindowTitle::App);
        // ... and the lock from anywhere stays off until turned on.
        assert!(!Settings::load(&path).lock_anywhere);
    }

    #[test]
    fn the_neutral_title_says_nothing_of_the_app_in_either_language() {
        let notes =
            |language| Settings { language: Some(language), window_title: WindowTitle::Notes, ..Settings::default() };
        assert_eq!(notes(Language::Ko).window_title_text(), "메모");
        assert_eq!(notes(Language::En).window_title_text(), "Notes");
        assert_eq!(Settings::default().window_title_text(), "Cairn");
    }
}
