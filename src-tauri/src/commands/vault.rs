//! Vault commands: first run, recovery-code confirmation, unlock, recover, lock, status,
//! passphrase change, settings and activity pings.

use cairn_core::{ExposeSecret, KdfChoice, SecretString, WipeGesture};
use serde::{Deserialize, Serialize};

use super::{DesktopState, blocking, in_session};
use crate::{
    error::{CommandError, CommandResult},
    lock_anywhere::{LockAnywhere, LockAnywhereStatus},
    settings::{Language, MAX_AUTO_LOCK_MINUTES, MIN_AUTO_LOCK_MINUTES, Settings, WindowTitle},
    state::{LockReason, PhaseName},
};
use ts_rs::TS;

/// Everything the shell of the UI needs before (and after) unlock. Nothing sensitive.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "AppState")]
pub(crate) struct AppStateDto {
    phase: PhaseName,
    /// The language to show now.
    language: Language,
    /// The stored choice: `None` follows the system locale.
    language_choice: Option<Language>,
    auto_lock_minutes: u32,
    min_auto_lock_minutes: u32,
    max_auto_lock_minutes: u32,
    min_passphrase_chars: usize,
    /// New vaults get the insecure test-only key derivation (automated tests only).
    test_mode: bool,
    /// Why the vault was last locked in this run.
    last_lock: Option<LockReason>,
    /// The window's title and icon: the app's, or neutral ones.
    window_title: WindowTitle,
    /// The panic lock from any program: the global shortcut and the tray item.
    lock_anywhere: LockAnywhereStatus,
}

fn app_state_dto(app: &tauri::AppHandle, state: &crate::state::Desktop) -> AppStateDto {
    use tauri::Manager;
    let settings = state.settings();
    AppStateDto {
        phase: state.phase_name(),
        language: settings.effective_language(),
        language_choice: settings.language,
        auto_lock_minutes: settings.auto_lock_minutes,
        min_auto_lock_minutes: MIN_AUTO_LOCK_MINUTES,
        max_auto_lock_minutes: MAX_AUTO_LOCK_MINUTES,
        min_passphrase_chars: cairn_core::MIN_PASSPHRASE_CHARS,
        // From the vault itself when there is one (a vault made for tests stays marked however
        // the app is launched), else from the flag that would make one.
        test_mode: state.options.insecure_fast_kdf
            || cairn_core::vault_uses_insecure_kdf(&state.options.vault_dir).unwrap_or(false),
        last_lock: state.last_lock(),
        window_title: settings.window_title,
        lock_anywhere: app.state::<LockAnywhere>().status(),
    }
}

/// Saves and applies `settings`: the auto-lock delay, the window's title and icon (a neutral
/// title follows the language shown), and the lock from anywhere (its tray menu follows the
/// language and the icon).
fn save_settings(app: &tauri::AppHandle, desktop: &crate::state::Desktop, settings: Settings) -> CommandResult<AppStateDto> {
    use tauri::Manager;
    settings.save(&desktop.options.settings_file).map_err(|_| CommandError::settings_not_saved())?;
    desktop.apply_settings(settings);
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.set_title(settings.window_title_text());
        if let Some(icon) = crate::window_icon(app, &settings) {
            let _ = window.set_icon(icon);
        }
    }
    crate::lock_anywhere::apply(app, &settings);
    desktop.activity();
    Ok(app_state_dto(app, desktop))
}

/// The phase, language and settings.
#[tauri::command]
pub(crate) async fn app_state(app: tauri::AppHandle, state: DesktopState<'_>) -> CommandResult<AppStateDto> {
    let desktop = state.inner().clone();
    // The phase looks for the vault on disk.
    blocking(move || Ok(app_state_dto(&app, &desktop))).await
}

/// The recovery code to show once, grouped `XXXX-XXXX-…`.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "RecoveryCode")]
pub(crate) struct RecoveryCodeDto {
    code: String,
}

/// Both entries wrapped at once (before the hop to the blocking pool), then checked there.
fn secrets(passphrase: String, again: String) -> (SecretString, SecretString) {
    (SecretString::from(passphrase), SecretString::from(again))
}

/// For changes to the vault's protection (passphrase, duress passphrase, wipes): the vault must
/// be open, and the current passphrase is proved by opening the vault with it a second time (an
/// attempt the failed-unlock limit counts, like any other), so that someone who finds the laptop
/// unlocked cannot lock the owner out, nor arm or disarm a wipe.
fn prove_current_passphrase(desktop: &crate::state::Desktop, current: &SecretString) -> CommandResult<()> {
    if desktop.phase_name() != PhaseName::Unlocked {
        return Err(CommandError::locked());
    }
    cairn_core::unlock_vault(&desktop.options.vault_dir, current)?.lock();
    Ok(())
}

fn new_passphrase(passphrase: SecretString, again: SecretString) -> CommandResult<SecretString> {
    if passphrase.expose_secret() != again.expose_secret() {
        return Err(CommandError::passphrase_mismatch());
    }
    cairn_core::check_new_passphrase(passphrase.expose_secret())?;
    Ok(passphrase)
}

/// First run: creates the vault (calibrating the key derivation takes a few seconds) and
/// returns the recovery code. The app stays closed until the code is typed back.
#[tauri::command]
pub(crate) async fn create_vault(
    state: DesktopState<'_>,
    passphrase: String,
    passphrase_again: String,
) -> CommandResult<RecoveryCodeDto> {
    let (passphrase, again) = secrets(passphrase, passphrase_again);
    let desktop = state.inner().clone();
    blocking(move || {
        let passphrase = new_passphrase(passphrase, again)?;
        if desktop.phase_name() != PhaseName::NoVault {
            return Err(CommandError::wrong_phase());
        }
        let kdf = if desktop.options.insecure_fast_kdf { KdfChoice::InsecureTestOnly } else { KdfChoice::Calibrate };
        let since = desktop.lock_count();
        let (session, code) = cairn_core::create_vault(&desktop.options.vault_dir, &passphrase, kdf)?;
        let shown = RecoveryCodeDto { code: code.display_grouped().to_string() };
        desktop.await_recovery_confirmation_unless_locked_since(session, code, since)?;
        Ok(shown)
    })
    .await
}

/// Checks the recovery code typed back after creation; on a match the vault opens.
#[tauri::command]
pub(crate) async fn confirm_recovery_code(state: DesktopState<'_>, typed: String) -> CommandResult<()> {
    let typed = SecretString::from(typed);
    let desktop = state.inner().clone();
    blocking(move || desktop.confirm_recovery_code(typed.expose_secret())).await
}

/// Unlocks with the passphrase.
#[tauri::command]
pub(crate) async fn unlock(state: DesktopState<'_>, passphrase: String) -> CommandResult<()> {
    let passphrase = SecretString::from(passphrase);
    let desktop = state.inner().clone();
    blocking(move || {
        match desktop.phase_name() {
            PhaseName::Unlocked => return Ok(()),
            PhaseName::NoVault => return Err(cairn_core::CoreError::VaultNotFound.into()),
            // A new vault waiting for its recovery code to be typed back stays waiting.
            PhaseName::ConfirmRecovery => return Err(CommandError::wrong_phase()),
            PhaseName::Locked => {}
        }
        let since = desktop.lock_count();
        let session = cairn_core::unlock_vault(&desktop.options.vault_dir, &passphrase)?;
        desktop.open_unless_locked_since(session, since)
    })
    .await
}

/// Opens the vault with the recovery code and sets a new passphrase.
#[tauri::command]
pub(crate) async fn recover(
    state: DesktopState<'_>,
    code: String,
    passphrase: String,
    passphrase_again: String,
) -> CommandResult<()> {
    let code = SecretString::from(code);
    let (passphrase, again) = secrets(passphrase, passphrase_again);
    let desktop = state.inner().clone();
    blocking(move || {
        let passphrase = new_passphrase(passphrase, again)?;
        let since = desktop.lock_count();
        let session = cairn_core::recover_vault(&desktop.options.vault_dir, &code, &passphrase)?;
        desktop.open_unless_locked_since(session, since)
    })
    .await
}

/// Locks now (the Lock button and the panic shortcut), then does what every other lock does:
/// the window is told and reloaded, so nothing of a case stays in the page's memory.
#[tauri::command]
pub(crate) async fn lock(app: tauri::AppHandle, state: DesktopState<'_>) -> CommandResult<()> {
    let desktop = state.inner().clone();
    // Locking waits for the command holding the session (a cancelled import rolls back first).
    blocking(move || {
        desktop.lock(LockReason::User);
        crate::on_locked(&app, LockReason::User);
        Ok(())
    })
    .await
}

/// The user did something: postpones the idle auto-lock.
#[tauri::command]
pub(crate) async fn activity(state: DesktopState<'_>) -> CommandResult<()> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.activity();
        Ok(())
    })
    .await
}

/// Facts about the open vault for the settings screen.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "VaultStatus")]
pub(crate) struct VaultStatusDto {
    format_version: u16,
    schema_version: u32,
    kdf_memory_mib: u32,
    kdf_iterations: u32,
    insecure_kdf: bool,
    device_id: String,
    case_count: u64,
    /// The failed-unlock wipe: after this many wrong passphrases in a row the keys are
    /// destroyed (null: off).
    unlock_limit: Option<u32>,
    /// The lowest and highest limit that may be set.
    unlock_limit_min: u32,
    unlock_limit_max: u32,
    /// Whether a duress passphrase is set.
    duress: bool,
    /// The app's panic wipe: the confirmation gesture chosen, or null when it is off.
    panic_wipe: Option<WipeGestureDto>,
}

/// How the worker confirms the panic wipe in the app.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "WipeGesture")]
pub(crate) enum WipeGestureDto {
    /// Type WIPE (삭제 in Korean).
    TypeWord,
    /// Hold the wipe button down for three seconds.
    HoldButton,
}

impl From<WipeGesture> for WipeGestureDto {
    fn from(gesture: WipeGesture) -> Self {
        match gesture {
            WipeGesture::TypeWord => WipeGestureDto::TypeWord,
            WipeGesture::HoldButton => WipeGestureDto::HoldButton,
        }
    }
}

impl From<WipeGestureDto> for WipeGesture {
    fn from(gesture: WipeGestureDto) -> Self {
        match gesture {
            WipeGestureDto::TypeWord => WipeGesture::TypeWord,
            WipeGestureDto::HoldButton => WipeGesture::HoldButton,
        }
    }
}

/// Format, key derivation, device and number of cases.
#[tauri::command]
pub(crate) async fn vault_status(state: DesktopState<'_>) -> CommandResult<VaultStatusDto> {
    let (status, panic_wipe) = in_session(&state, |session| Ok((session.status()?, session.panic_wipe_gesture()?))).await?;
    Ok(VaultStatusDto {
        format_version: status.format_version,
        schema_version: status.schema_version,
        kdf_memory_mib: status.kdf.memory_kib / 1024,
        kdf_iterations: status.kdf.iterations,
        insecure_kdf: status.insecure_kdf,
        device_id: status.device_id,
        case_count: status.case_count,
        unlock_limit: status.unlock_limit,
        unlock_limit_min: cairn_core::UNLOCK_LIMIT_MIN,
        unlock_limit_max: cairn_core::UNLOCK_LIMIT_MAX,
        duress: status.duress,
        panic_wipe: panic_wipe.map(WipeGestureDto::from),
    })
}

/// Turns the app's panic wipe on with the confirmation `gesture` the worker chose, or off
/// (`None`). The current passphrase is asked for: someone who finds the laptop unlocked must
/// not be able to arm (or disarm) it.
#[tauri::command]
pub(crate) async fn set_panic_wipe(
    state: DesktopState<'_>,
    current: String,
    gesture: Option<WipeGestureDto>,
) -> CommandResult<()> {
    let current = SecretString::from(current);
    let desktop = state.inner().clone();
    blocking(move || {
        prove_current_passphrase(&desktop, &current)?;
        desktop.with_session(|session| session.set_panic_wipe_gesture(gesture.map(WipeGesture::from)))
    })
    .await
}

/// The panic wipe, once the worker made the gesture chosen at setup: every keyslot destroyed
/// (neither the passphrase nor the recovery code opens anything from then on), then the vault's
/// files removed; the page reloads on the first-run screen. Refused unless the vault is open
/// and the app's panic wipe was turned on. Returns the milliseconds until the keys were gone.
#[tauri::command]
pub(crate) async fn panic_wipe(app: tauri::AppHandle, state: DesktopState<'_>) -> CommandResult<u64> {
    let desktop = state.inner().clone();
    blocking(move || {
        if desktop.with_session(|session| session.panic_wipe_gesture())?.is_none() {
            return Err(CommandError::invalid("the panic wipe is off"));
        }
        let report = desktop.wipe()?;
        crate::on_locked(&app, LockReason::User);
        Ok(report.unrecoverable_after.as_millis() as u64)
    })
    .await
}

/// Turns the failed-unlock wipe on (after `limit` wrong passphrases in a row the keys are
/// destroyed) or off (`None`). The current passphrase is asked for, as for a passphrase
/// change: someone who finds the laptop unlocked must not be able to arm a wipe.
#[tauri::command]
pub(crate) async fn set_unlock_limit(state: DesktopState<'_>, current: String, limit: Option<u32>) -> CommandResult<()> {
    let current = SecretString::from(current);
    let desktop = state.inner().clone();
    blocking(move || {
        prove_current_passphrase(&desktop, &current)?;
        desktop.with_session(|session| session.set_unlock_limit(limit))
    })
    .await
}

/// Sets (or replaces) the duress passphrase: typed at the unlock screen, it destroys this
/// vault's keys and opens a decoy. With `decoy_from_folder`, the decoy holds the cases of
/// another vault the worker picks in a folder dialog (opened with `decoy_passphrase`; that
/// vault is wiped once its cases are copied); without, the decoy is empty. Returns the number
/// of cases in the decoy, or `None` when the worker closed the folder dialog. The current
/// passphrase is asked for, as for a passphrase change.
#[tauri::command]
pub(crate) async fn set_duress(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    current: String,
    duress: String,
    duress_again: String,
    decoy_from_folder: bool,
    decoy_passphrase: Option<String>,
) -> CommandResult<Option<u64>> {
    let current = SecretString::from(current);
    let (duress, again) = secrets(duress, duress_again);
    let decoy_passphrase = decoy_passphrase.map(SecretString::from);
    let desktop = state.inner().clone();
    blocking(move || {
        let duress = new_passphrase(duress, again)?;
        prove_current_passphrase(&desktop, &current)?;
        let source = if decoy_from_folder {
            let Some(folder) = super::bundles::pick_folder(&app, &desktop)? else { return Ok(None) };
            if !cairn_core::vault_exists(&folder) {
                return Err(cairn_core::CoreError::VaultNotFound.into());
            }
            let passphrase = decoy_passphrase.ok_or_else(|| CommandError::invalid("the decoy vault's passphrase"))?;
            Some(cairn_core::unlock_vault(&folder, &passphrase)?)
        } else {
            None
        };
        let cases = match &source {
            Some(source) => source.status()?.case_count,
            None => 0,
        };
        desktop.with_session(|session| session.set_duress(&duress, source))?;
        Ok(Some(cases))
    })
    .await
}

/// Removes the duress passphrase (and empties the decoy). The current passphrase is asked for.
#[tauri::command]
pub(crate) async fn remove_duress(state: DesktopState<'_>, current: String) -> CommandResult<()> {
    let current = SecretString::from(current);
    let desktop = state.inner().clone();
    blocking(move || {
        prove_current_passphrase(&desktop, &current)?;
        desktop.with_session(|session| session.remove_duress())
    })
    .await
}

/// Changes the passphrase. The current one is asked for again, so that someone who finds the
/// laptop unlocked cannot lock the owner out.
#[tauri::command]
pub(crate) async fn change_passphrase(
    state: DesktopState<'_>,
    current: String,
    passphrase: String,
    passphrase_again: String,
) -> CommandResult<()> {
    let current = SecretString::from(current);
    let (passphrase, again) = secrets(passphrase, passphrase_again);
    let desktop = state.inner().clone();
    blocking(move || {
        let passphrase = new_passphrase(passphrase, again)?;
        prove_current_passphrase(&desktop, &current)?;
        desktop.with_session(|session| session.change_passphrase(&passphrase))
    })
    .await
}

/// Starts a full re-key: returns the new recovery code, to be shown, written down and typed
/// back to [`rekey`] before it takes effect.
#[tauri::command]
pub(crate) async fn begin_rekey(state: DesktopState<'_>) -> CommandResult<RecoveryCodeDto> {
    let desktop = state.inner().clone();
    blocking(move || Ok(RecoveryCodeDto { code: desktop.begin_rekey()? })).await
}

/// Forgets a re-key started and not run.
#[tauri::command]
pub(crate) async fn cancel_rekey(state: DesktopState<'_>) -> CommandResult<()> {
    state.inner().cancel_rekey();
    Ok(())
}

/// The full re-key (`cairn_core::Session::rekey`): a new master key, the vault re-encrypted,
/// the new passphrase and the code from [`begin_rekey`] (typed back) the only secrets that open
/// it. The current passphrase is asked for again, as for a passphrase change.
#[tauri::command]
pub(crate) async fn rekey(
    state: DesktopState<'_>,
    current: String,
    code: String,
    passphrase: String,
    passphrase_again: String,
) -> CommandResult<()> {
    let current = SecretString::from(current);
    let code = SecretString::from(code);
    let (passphrase, again) = secrets(passphrase, passphrase_again);
    let desktop = state.inner().clone();
    blocking(move || {
        let passphrase = new_passphrase(passphrase, again)?;
        prove_current_passphrase(&desktop, &current)?;
        desktop.rekey(code.expose_secret(), &passphrase)
    })
    .await
}

/// Saves the language (`None`: follow the system) and the auto-lock delay.
#[tauri::command]
pub(crate) async fn set_settings(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    language: Option<Language>,
    auto_lock_minutes: u32,
) -> CommandResult<AppStateDto> {
    if !(MIN_AUTO_LOCK_MINUTES..=MAX_AUTO_LOCK_MINUTES).contains(&auto_lock_minutes) {
        return Err(CommandError::invalid("auto-lock minutes out of range"));
    }
    let desktop = state.inner().clone();
    blocking(move || save_settings(&app, &desktop, Settings { language, auto_lock_minutes, ..desktop.settings() })).await
}

/// Saves the window's title and icon (the app's, or neutral ones) and shows them at once; they
/// are set again from the settings file at every start, before the page loads.
#[tauri::command]
pub(crate) async fn set_window_title(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    title: WindowTitle,
) -> CommandResult<AppStateDto> {
    let desktop = state.inner().clone();
    blocking(move || save_settings(&app, &desktop, Settings { window_title: title, ..desktop.settings() })).await
}

/// Turns the lock from anywhere on or off: Ctrl+Shift+L grabbed from the X server (it locks
/// while another program has the keyboard) and a tray item with "Lock now". What could be put
/// in place comes back in `lock_anywhere` (no shortcut under Wayland, say).
#[tauri::command]
pub(crate) async fn set_lock_anywhere(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    enabled: bool,
) -> CommandResult<AppStateDto> {
    let desktop = state.inner().clone();
    blocking(move || save_settings(&app, &desktop, Settings { lock_anywhere: enabled, ..desktop.settings() })).await
}
