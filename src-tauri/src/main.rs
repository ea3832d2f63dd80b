//! Cairn desktop: the Tauri 2 shell. Thin commands over `cairn-core` (see `commands/`), the
//! Rust-side idle auto-lock (`idle.rs`), the lock on sleep and screen lock (`os_lock.rs`), and the
//! embedded Svelte UI (`ui/dist`).
#![deny(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod bindings;
mod command_names;
mod commands;
mod error;
mod events;
mod idle;
mod lock_anywhere;
mod media;
mod options;
mod os_lock;
mod recent;
mod settings;
mod state;
mod work;

use std::{process::ExitCode, sync::Arc};

use tauri::Manager;

use crate::{options::Options, settings::Settings, state::Desktop, state::LockReason};

/// Tells the window the vault is locked, then reloads the page, so that every view (and
/// every piece of case text the page held) is gone even if the page ignored the event.
pub(crate) fn on_locked(app: &tauri::AppHandle, reason: LockReason) {
    app.state::<Arc<media::MediaStreams>>().clear();
    events::vault_locked(app, reason);
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.reload();
    }
}

/// The panic lock (`cairn lock`): the window disappears at once, the session closes (keys
/// zeroized; a running import is cancelled and rolled back), the page reloads, and the window
/// comes back minimized on the unlock screen.
pub(crate) fn panic_lock(app: &tauri::AppHandle, desktop: &state::Desktop) {
    let window = app.get_webview_window("main");
    if let Some(window) = &window {
        let _ = window.hide();
    }
    desktop.lock(LockReason::Panic);
    on_locked(app, LockReason::Panic);
    if let Some(window) = &window {
        let _ = window.minimize();
        let _ = window.show();
    }
}

/// The panic lock from the global shortcut or the tray item (see `lock_anywhere.rs`).
pub(crate) fn panic_lock_from(app: &tauri::AppHandle) {
    let desktop = app.state::<Arc<Desktop>>().inner().clone();
    panic_lock(app, &desktop);
}

/// The window's (and the tray item's) icon: the app's own, or a plain note with the neutral
/// title. `None` when the app has no icon of its own.
pub(crate) fn window_icon(app: &tauri::AppHandle, settings: &Settings) -> Option<tauri::image::Image<'static>> {
    match settings.window_title {
        settings::WindowTitle::App => app.default_window_icon().map(|icon| icon.clone().to_owned()),
        settings::WindowTitle::Notes => Some(tauri::include_image!("icons/neutral.png")),
    }
}

/// Opens the main window. Its web data is ephemeral (nothing kept on disk: no cache, no
/// storage), except under WebDriver automation, which WebKitGTK does not allow on an
/// ephemeral context (`TAURI_WEBVIEW_AUTOMATION=true`, set by tauri-driver for the E2E tests).
fn open_window(app: &tauri::App, settings: &Settings) -> tauri::Result<()> {
    let automation = std::env::var("TAURI_WEBVIEW_AUTOMATION").is_ok_and(|value| value == "true");
    let mut builder = tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App("index.html".into()));
    if let Some(icon) = window_icon(app.handle(), settings) {
        builder = builder.icon(icon)?;
    }
    let window = builder
        .title(settings.window_title_text())
        .inner_size(1200.0, 820.0)
        .min_inner_size(800.0, 600.0)
        .incognito(!automation)
        .disable_drag_drop_handler()
        .build()?;
    media::configure_webview(&window)?;
    Ok(())
}

/// The context tauri-build generated (config, embedded UI, ACL). Its generated code unwraps
/// and prints.
#[allow(clippy::unwrap_used, clippy::print_stderr)]
fn context() -> tauri::Context<tauri::Wry> {
    tauri::tauri_build_context!()
}

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    cairn_core::harden_process();
    let options = match Options::parse(std::env::args_os().skip(1), std::env::var_os("CAIRN_VAULT")) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("cairn-desktop: {message}");
            return ExitCode::from(2);
        }
    };
    let settings = Settings::load(&options.settings_file);
    let desktop = Arc::new(Desktop::new(options, settings));
    let watcher_state = desktop.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(lock_anywhere::plugin())
        .manage(desktop.clone())
        .manage(Arc::new(media::MediaStreams::default()))
        .manage(lock_anywhere::LockAnywhere::default())
        .invoke_handler(tauri::generate_handler![
            commands::vault::app_state,
            commands::vault::create_vault,
            commands::vault::confirm_recovery_code,
            commands::vault::unlock,
            commands::vault::recover,
            commands::vault::lock,
            commands::vault::activity,
            commands::vault::vault_status,
            commands::vault::change_passphrase,
            commands::vault::begin_rekey,
            commands::vault::cancel_rekey,
            commands::vault::rekey,
            commands::vault::set_unlock_limit,
            commands::vault::set_duress,
            commands::vault::remove_duress,
            commands::vault::set_panic_wipe,
            commands::vault::panic_wipe,
            commands::vault::set_settings,
            commands::vault::set_window_title,
            commands::vault::set_lock_anywhere,
            commands::cases::list_cases,
            commands::cases::search_cases,
            commands::cases::create_case,
            commands::cases::delete_case,
            commands::handover::set_ready_for_handover,
            commands::handover::handover_status,
            commands::handover::custody_trail,
            commands::exports::export_case,
            commands::exports::export_evidence,
            commands::team::roster_expiry,
            commands::cases::open_case,
            commands::cases::set_case_field,
            commands::cases::add_person,
            commands::cases::reveal_identity,
            commands::cases::add_testimony,
            commands::cases::set_narrative,
            commands::cases::set_transcript,
            commands::cases::add_event,
            commands::cases::add_act,
            commands::cases::add_note,
            commands::cases::case_conflicts,
            commands::cases::resolve_conflict,
            commands::cases::edit_person,
            commands::cases::edit_event,
            commands::cases::edit_act,
            commands::cases::edit_testimony,
            commands::cases::edit_note,
            commands::cases::merge_conflict,
            commands::cases::vocabularies,
            commands::cases::worker_name,
            commands::cases::set_worker_name,
            commands::recording::start_recording,
            commands::recording::append_recording,
            commands::recording::finish_recording,
            commands::recording::discard_recording,
            commands::recording::recover_recordings,
            commands::recording::open_media,
            commands::recording::read_media,
            commands::attachments::import_attachment,
            commands::attachments::export_attachment,
            commands::attachments::cancel_work,
            commands::team::device_identity,
            commands::team::enrollment_request,
            commands::team::save_enrollment_request,
            commands::team::preview_roster,
            commands::team::import_roster,
            commands::team::roster,
            commands::team::create_organisation,
            commands::team::preview_enrollment,
            commands::team::enroll_device,
            commands::team::revoke_device,
            commands::team::export_roster,
            commands::sync::sync_overview,
            commands::sync::sync_serve,
            commands::sync::sync_connect,
            commands::sync::sync_discover,
            commands::sync::cancel_sync,
            commands::bundles::export_bundles,
            commands::bundles::import_bundles,
        ])
        .setup(move |app| {
            // Before any dialog can open: GTK must not list the files the worker picks.
            recent::forget_recent_files();
            // The title and icon chosen in Settings, from the first frame (neutral ones before
            // unlock too).
            let settings = watcher_state.settings();
            open_window(app, &settings)?;
            lock_anywhere::apply(app.handle(), &settings);
            let handle = app.handle().clone();
            idle::spawn_watcher(watcher_state.clone(), move |reason| on_locked(&handle, reason))?;
            let handle = app.handle().clone();
            let panic_handle = app.handle().clone();
            let panic_state = watcher_state.clone();
            let on_panic: os_lock::OnPanic = Arc::new(move || panic_lock(&panic_handle, &panic_state));
            os_lock::spawn_watchers(watcher_state, move |reason| on_locked(&handle, reason), on_panic)?;
            Ok(())
        })
        .build(context());
    let app = match app {
        Ok(app) => app,
        Err(_) => {
            eprintln!("cairn-desktop: the window could not be created");
            return ExitCode::FAILURE;
        }
    };
    app.run(move |_, event| {
        if let tauri::RunEvent::Exit = event {
            desktop.lock(LockReason::User);
        }
    });
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use crate::command_names::COMMANDS;

    /// The capability grants exactly the declared commands (and only listening to events).
    #[test]
    fn the_capability_grants_exactly_the_declared_commands() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).expect("capabilities/main.json");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        let mut granted: Vec<String> = capability["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .map(|permission| permission.as_str().expect("a permission name").to_owned())
            .collect();
        granted.sort();
        let mut expected: Vec<String> = COMMANDS.iter().map(|name| format!("allow-{}", name.replace('_', "-"))).collect();
        expected.extend(["core:event:allow-listen".to_owned(), "core:event:allow-unlisten".to_owned()]);
        expected.sort();
        assert_eq!(granted, expected);
    }

    /// The CSP allows no remote origin and no inline script or style.
    #[test]
    fn the_csp_is_strict() {
        let config: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json");
        assert_eq!(config["app"]["withGlobalTauri"], serde_json::json!(false));
        let csp = config["app"]["security"]["csp"].as_object().expect("csp");
        assert_eq!(csp["default-src"], "'self'");
        assert_eq!(csp["script-src"], "'self'");
        assert_eq!(csp["connect-src"], "ipc: http://ipc.localhost");
        // Playback is fed by the page (Media Source Extensions, a blob: URL); nothing else.
        assert_eq!(csp["media-src"], "'self' blob:");
        for (directive, sources) in csp {
            let sources = sources.as_str().expect("a source list");
            assert!(!sources.contains("unsafe"), "{directive}: {sources}");
            assert!(!sources.contains("https:") && !sources.contains('*'), "{directive}: {sources}");
        }
    }
}
