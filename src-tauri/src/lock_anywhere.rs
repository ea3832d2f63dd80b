//! The panic lock from anywhere (opt-in in Settings): Ctrl+Shift+L grabbed from the X server,
//! so it locks while another program has the keyboard, and a tray item whose menu locks.
//!
//! Both end in [`crate::panic_lock`], as `cairn lock` does: the window hides at once, the
//! session closes, the page reloads. The shortcut is the one the page already knows, so a
//! worker learns one gesture. Wayland gives no program a global shortcut: there the worker binds
//! `cairn lock` to a desktop shortcut (README), and Settings says so.

use std::{path::Path, sync::Mutex};

use serde::Serialize;
use tauri::{
    AppHandle, Manager,
    menu::{Menu, MenuItem},
    tray::TrayIconBuilder,
};
use tauri_plugin_global_shortcut::{Code, GlobalShortcutExt, Modifiers, Shortcut, ShortcutState};
use ts_rs::TS;

use crate::settings::{Language, Settings};

/// The tray item's id (one tray item at most).
const TRAY_ID: &str = "lock";
/// The tray menu's one item.
const LOCK_ITEM_ID: &str = "lock-now";

/// Ctrl+Shift+L, as in the page.
pub(crate) fn shortcut() -> Shortcut {
    Shortcut::new(Some(Modifiers::CONTROL | Modifiers::SHIFT), Code::KeyL)
}

/// Whether the shortcut works, as Settings shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ShortcutStatus {
    /// Not turned on.
    Off,
    /// Grabbed from the X server: it locks whatever program has the keyboard.
    Active,
    /// A Wayland session: no program may grab a key; bind `cairn lock` instead.
    Wayland,
    /// No display to grab it from.
    NoDisplay,
    /// Another program holds Ctrl+Shift+L.
    Taken,
}

/// What is in place now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "LockAnywhere")]
pub(crate) struct LockAnywhereStatus {
    /// Whether the worker turned it on.
    pub(crate) enabled: bool,
    /// The global shortcut.
    pub(crate) shortcut: ShortcutStatus,
    /// Whether the tray item is shown (it needs the panel's indicator library).
    pub(crate) tray: bool,
}

impl Default for LockAnywhereStatus {
    fn default() -> Self {
        LockAnywhereStatus { enabled: false, shortcut: ShortcutStatus::Off, tray: false }
    }
}

/// The status, shared with the commands (managed by the app).
#[derive(Debug, Default)]
pub(crate) struct LockAnywhere {
    status: Mutex<LockAnywhereStatus>,
}

impl LockAnywhere {
    /// What is in place now.
    pub(crate) fn status(&self) -> LockAnywhereStatus {
        *self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The kind of display session, from the environment the app started in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DisplayKind {
    /// An X11 session: the shortcut can be grabbed.
    X11,
    /// A Wayland session (an X11 grab would only see X11 programs' keys).
    Wayland,
    /// Neither.
    None,
}

impl DisplayKind {
    /// From `XDG_SESSION_TYPE`, `WAYLAND_DISPLAY` and `DISPLAY`.
    pub(crate) fn from_env(session_type: Option<&str>, wayland_display: Option<&str>, display: Option<&str>) -> Self {
        let set = |value: Option<&str>| value.is_some_and(|value| !value.is_empty());
        if session_type == Some("wayland") || set(wayland_display) {
            DisplayKind::Wayland
        } else if set(display) {
            DisplayKind::X11
        } else {
            DisplayKind::None
        }
    }

    fn current() -> Self {
        let var = |name| std::env::var(name).ok();
        DisplayKind::from_env(
            var("XDG_SESSION_TYPE").as_deref(),
            var("WAYLAND_DISPLAY").as_deref(),
            var("DISPLAY").as_deref(),
        )
    }
}

/// Where the tray's indicator library can be: a missing one makes the tray crate panic, so it
/// is looked for first.
const INDICATOR_LIBRARIES: [&str; 2] = ["libayatana-appindicator3.so.1", "libappindicator3.so.1"];

fn indicator_library_present(roots: &[&Path]) -> bool {
    let mut folders: Vec<std::path::PathBuf> = Vec::new();
    for root in roots {
        folders.push(root.to_path_buf());
        // Debian's multiarch folders (/usr/lib/x86_64-linux-gnu).
        if let Ok(entries) = std::fs::read_dir(root) {
            folders.extend(entries.flatten().map(|entry| entry.path()).filter(|path| path.is_dir()));
        }
    }
    folders.iter().any(|folder| INDICATOR_LIBRARIES.iter().any(|name| folder.join(name).is_file()))
}

/// Brings the shortcut and the tray item in line with `settings` (called at start and after
/// every settings change: the tray's text follows the language, its icon the window's).
pub(crate) fn apply(app: &AppHandle, settings: &Settings) -> LockAnywhereStatus {
    let status = if settings.lock_anywhere {
        LockAnywhereStatus { enabled: true, shortcut: grab(app), tray: show_tray(app, settings) }
    } else {
        release(app);
        LockAnywhereStatus::default()
    };
    *app.state::<LockAnywhere>().status.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = status;
    status
}

fn grab(app: &AppHandle) -> ShortcutStatus {
    match DisplayKind::current() {
        DisplayKind::Wayland => return ShortcutStatus::Wayland,
        DisplayKind::None => return ShortcutStatus::NoDisplay,
        DisplayKind::X11 => {}
    }
    let shortcuts = app.global_shortcut();
    if shortcuts.is_registered(shortcut()) {
        return ShortcutStatus::Active;
    }
    match shortcuts.register(shortcut()) {
        Ok(()) => ShortcutStatus::Active,
        Err(_) => ShortcutStatus::Taken,
    }
}

fn release(app: &AppHandle) {
    let shortcuts = app.global_shortcut();
    if shortcuts.is_registered(shortcut()) {
        let _ = shortcuts.unregister(shortcut());
    }
    let _ = app.remove_tray_by_id(TRAY_ID);
}

fn show_tray(app: &AppHandle, settings: &Settings) -> bool {
    // Rebuilt each time: the menu's language and the icon may have changed.
    let _ = app.remove_tray_by_id(TRAY_ID);
    if !indicator_library_present(&[Path::new("/usr/lib"), Path::new("/usr/lib64"), Path::new("/usr/local/lib")]) {
        return false;
    }
    let label = match settings.effective_language() {
        Language::Ko => "지금 잠그기",
        Language::En => "Lock now",
    };
    let built = (|| -> tauri::Result<()> {
        let lock = MenuItem::with_id(app, LOCK_ITEM_ID, label, true, None::<&str>)?;
        let menu = Menu::with_items(app, &[&lock])?;
        let mut tray = TrayIconBuilder::with_id(TRAY_ID).menu(&menu).tooltip(settings.window_title_text());
        if let Some(icon) = crate::window_icon(app, settings) {
            tray = tray.icon(icon);
        }
        tray.on_menu_event(|app, event| {
            if event.id() == LOCK_ITEM_ID {
                crate::panic_lock_from(app);
            }
        })
        .build(app)?;
        Ok(())
    })();
    built.is_ok()
}

/// The plugin, whose handler locks on the shortcut's press (the release is ignored).
pub(crate) fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, pressed, event| {
            if *pressed == shortcut() && event.state() == ShortcutState::Pressed {
                crate::panic_lock_from(app);
            }
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_kind_decides_whether_a_key_can_be_grabbed() {
        assert_eq!(DisplayKind::from_env(Some("x11"), None, Some(":0")), DisplayKind::X11);
        assert_eq!(DisplayKind::from_env(None, None, Some(":99")), DisplayKind::X11);
        // XWayland sets DISPLAY too, but a grab there sees only X11 programs' keys.
        assert_eq!(DisplayKind::from_env(Some("wayland"), Some("wayland-0"), Some(":0")), DisplayKind::Wayland);
        assert_eq!(DisplayKind::from_env(None, Some("wayland-0"), Some(":0")), DisplayKind::Wayland);
        assert_eq!(DisplayKind::from_env(Some("tty"), Some(""), Some("")), DisplayKind::None);
        assert_eq!(DisplayKind::from_env(None, None, None), DisplayKind::None);
    }

    #[test]
    fn the_indicator_library_is_found_in_a_multiarch_folder_only_when_there() {
        let root = tempfile::tempdir().expect("tempdir");
        assert!(!indicator_library_present(&[root.path()]));
        let multiarch = root.path().join("x86_64-linux-gnu");
        std::fs::create_dir(&multiarch).expect("mkdir");
        std::fs::write(multiarch.join("libayatana-appindicator3.so.0"), b"").expect("write");
        assert!(!indicator_library_present(&[root.path()]));
        std::fs::write(multiarch.join("libayatana-appindicator3.so.1"), b"").expect("write");
        assert!(indicator_library_present(&[root.path()]));
    }

    #[test]
    fn the_global_shortcut_is_the_pages_ctrl_shift_l() {
        assert_eq!(shortcut(), "ctrl+shift+KeyL".parse::<Shortcut>().expect("parse"));
    }
}
