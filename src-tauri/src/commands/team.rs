//! Team commands: this device's fingerprint and enrollment request (file and QR code), roster
//! import with fingerprint confirmation, the roster; on an HQ vault: create the organisation,
//! enroll a device (after comparing its fingerprint) and revoke one.
//!
//! Files are chosen in native dialogs opened from Rust and read here; a file waiting for the
//! worker's confirmation is held in Rust (`Desktop::pending_file`) and dropped on lock.

use cairn_core::{
    files,
    team::{Role, Standing},
};
use serde::Serialize;
use tauri_plugin_dialog::DialogExt;

use super::{DesktopState, blocking, in_session};
use crate::{
    error::{CommandError, CommandResult},
    state::PendingFile,
};
use ts_rs::TS;

/// This device, as the team screen shows it.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Device")]
pub(crate) struct DeviceDto {
    device_id: String,
    fingerprint: String,
    organisation_fingerprint: Option<String>,
}

/// This device's id and fingerprints.
#[tauri::command]
pub(crate) async fn device_identity(state: DesktopState<'_>) -> CommandResult<DeviceDto> {
    let identity = in_session(&state, |session| session.device_identity()).await?;
    Ok(DeviceDto {
        device_id: identity.device_id,
        fingerprint: identity.fingerprint,
        organisation_fingerprint: identity.organisation_fingerprint,
    })
}

/// A QR code as rows of dark (true) and light modules.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "QrMatrix")]
pub(crate) struct QrDto {
    width: usize,
    dark: Vec<bool>,
}

fn qr(text: &str) -> CommandResult<QrDto> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| CommandError::invalid("too long for a QR code"))?;
    let width = code.width();
    let dark = code.to_colors().into_iter().map(|color| color == qrcode::Color::Dark).collect();
    Ok(QrDto { width, dark })
}

/// An enrollment request to hand to HQ.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "EnrollmentRequest")]
pub(crate) struct EnrollmentRequestDto {
    device_id: String,
    fingerprint: String,
    /// The request as text (`CAIRN-ENROLL1:…`), also shown as a QR code.
    text: String,
    qr: QrDto,
}

/// Makes this device's enrollment request (self-signed); the file is saved with
/// `save_enrollment_request`.
#[tauri::command]
pub(crate) async fn enrollment_request(state: DesktopState<'_>, name: String) -> CommandResult<EnrollmentRequestDto> {
    let desktop = state.inner().clone();
    blocking(move || {
        let request = desktop.with_session(|session| session.enrollment_request(&name))?;
        Ok(EnrollmentRequestDto {
            qr: qr(&request.text)?,
            device_id: request.device_id,
            fingerprint: request.fingerprint,
            text: request.text,
        })
    })
    .await
}

/// Saves this device's enrollment request to a file chosen by the worker (e.g. on a USB stick).
#[tauri::command]
pub(crate) async fn save_enrollment_request(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    name: String,
) -> CommandResult<bool> {
    let desktop = state.inner().clone();
    blocking(move || {
        let request = desktop.with_session(|session| session.enrollment_request(&name))?;
        // A neutral name: a file left on a stick must not say which app made it.
        let Some(file) = app.dialog().file().set_file_name("request").blocking_save_file() else {
            return Ok(false);
        };
        desktop.activity();
        let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
        // Atomically: a stick pulled mid-write holds the old file or the new, never half.
        files::write_atomically(&path, &request.bytes)
            .map_err(|error| CommandError::from(cairn_core::CoreError::Io(error.kind())))?;
        Ok(true)
    })
    .await
}

fn pick_file(app: &tauri::AppHandle, limit: usize) -> CommandResult<Option<Vec<u8>>> {
    let Some(file) = app.dialog().file().blocking_pick_file() else { return Ok(None) };
    let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
    match files::read_limited(&path, limit) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(files::LimitedReadError::TooLarge) => Err(CommandError::invalid("the file is too large")),
        Err(files::LimitedReadError::Io(error)) => Err(CommandError::from(cairn_core::CoreError::Io(error.kind()))),
    }
}

/// A roster file waiting for the worker to compare its organisation fingerprint.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "RosterPreview")]
pub(crate) struct RosterPreviewDto {
    organisation_fingerprint: String,
    /// Whether this device already trusts an organisation (then the fingerprint must match it).
    already_pinned: bool,
}

/// Asks for a roster file and shows its organisation fingerprint; nothing is imported yet.
#[tauri::command]
pub(crate) async fn preview_roster(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
) -> CommandResult<Option<RosterPreviewDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.activity();
        let Some(bytes) = pick_file(&app, cairn_core::team::MAX_ROSTER_FILE_LEN)? else { return Ok(None) };
        desktop.activity();
        let organisation_fingerprint = cairn_core::team::preview_roster_fingerprint(&bytes)?;
        let already_pinned = desktop.with_session(|session| session.device_identity())?.organisation_fingerprint.is_some();
        desktop.hold_file(PendingFile::Roster(bytes))?;
        Ok(Some(RosterPreviewDto { organisation_fingerprint, already_pinned }))
    })
    .await
}

/// What an import changed.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "RosterImported")]
pub(crate) struct RosterImportedDto {
    roster_version: u64,
    epoch: u32,
    organisation_fingerprint: String,
    first_pin: bool,
    /// HQ's root key changed to the one the held roster had announced: the organisation
    /// fingerprint is new.
    rotated_root: bool,
    standing: StandingDto,
}

/// A device's place on the roster.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Standing")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum StandingDto {
    Member { role: &'static str },
    Revoked { at: u64 },
}

fn standing(standing: Standing) -> StandingDto {
    match standing {
        Standing::Member(role) => StandingDto::Member { role: role.as_str() },
        Standing::Revoked { at } => StandingDto::Revoked { at },
    }
}

/// Imports the roster shown by `preview_roster`, after the worker confirmed the
/// organisation fingerprint (as typed from HQ's screen or paper).
#[tauri::command]
pub(crate) async fn import_roster(
    state: DesktopState<'_>,
    confirmed_fingerprint: String,
) -> CommandResult<RosterImportedDto> {
    let desktop = state.inner().clone();
    blocking(move || {
        let Some(PendingFile::Roster(bytes)) = desktop.take_file() else { return Err(CommandError::wrong_phase()) };
        let confirmed = Some(confirmed_fingerprint.trim()).filter(|text| !text.is_empty());
        let imported = desktop.with_session(|session| session.import_roster(&bytes, confirmed))?;
        Ok(RosterImportedDto {
            roster_version: imported.roster_version,
            epoch: imported.epoch,
            organisation_fingerprint: imported.organisation_fingerprint,
            first_pin: imported.first_pin,
            rotated_root: imported.rotated_root,
            standing: standing(imported.standing),
        })
    })
    .await
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "RosterMember")]
pub(crate) struct MemberDto {
    device_id: String,
    name: Option<String>,
    role: &'static str,
    fingerprint: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "RevokedDevice")]
pub(crate) struct RevokedDto {
    device_id: String,
    name: Option<String>,
    revoked_at: u64,
    fingerprint: String,
}

/// The roster this device holds.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Roster")]
pub(crate) struct RosterDto {
    organisation_name: Option<String>,
    organisation_fingerprint: String,
    version: u64,
    epoch: u32,
    this_device: String,
    standing: StandingDto,
    is_hq_vault: bool,
    members: Vec<MemberDto>,
    revoked: Vec<RevokedDto>,
}

/// The roster, or `None` before the first import (or organisation creation).
#[tauri::command]
pub(crate) async fn roster(state: DesktopState<'_>) -> CommandResult<Option<RosterDto>> {
    let Some(view) = in_session(&state, |session| session.roster()).await? else { return Ok(None) };
    Ok(Some(RosterDto {
        organisation_name: view.organisation_name,
        organisation_fingerprint: view.organisation_fingerprint,
        version: view.version,
        epoch: view.epoch,
        this_device: view.this_device,
        standing: standing(view.standing),
        is_hq_vault: view.is_hq_vault,
        members: view
            .members
            .into_iter()
            .map(|member| MemberDto {
                device_id: member.device_id,
                name: member.name,
                role: member.role.as_str(),
                fingerprint: member.fingerprint,
            })
            .collect(),
        revoked: view
            .revoked
            .into_iter()
            .map(|revoked| RevokedDto {
                device_id: revoked.device_id,
                name: revoked.name,
                revoked_at: revoked.revoked_at,
                fingerprint: revoked.fingerprint,
            })
            .collect(),
    }))
}

/// A new organisation.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Organisation")]
pub(crate) struct OrganisationDto {
    fingerprint: String,
    roster_version: u64,
}

/// HQ: makes this vault the HQ of a new organisation.
#[tauri::command]
pub(crate) async fn create_organisation(
    state: DesktopState<'_>,
    org_name: String,
    device_name: String,
) -> CommandResult<OrganisationDto> {
    let created = in_session(&state, move |session| session.create_organisation(&org_name, &device_name)).await?;
    Ok(OrganisationDto { fingerprint: created.fingerprint, roster_version: created.roster_version })
}

/// What HQ compares before enrolling.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "EnrollmentPreview")]
pub(crate) struct RequestPreviewDto {
    device_id: String,
    fingerprint: String,
    requested_name: String,
}

/// HQ: reads an enrollment request, from a file (`text` empty: a dialog opens) or as pasted
/// text (`CAIRN-ENROLL1:…`, e.g. from a QR scanner), and shows the requester's fingerprint.
#[tauri::command]
pub(crate) async fn preview_enrollment(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    text: String,
) -> CommandResult<Option<RequestPreviewDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        let bytes = if text.trim().is_empty() {
            desktop.activity();
            let Some(bytes) = pick_file(&app, cairn_core::team::MAX_REQUEST_FILE_LEN)? else { return Ok(None) };
            desktop.activity();
            bytes
        } else {
            text.trim().as_bytes().to_vec()
        };
        let preview = cairn_core::team::read_enrollment_request(&bytes)?;
        desktop.hold_file(PendingFile::Request(bytes))?;
        Ok(Some(RequestPreviewDto {
            device_id: preview.device_id,
            fingerprint: preview.fingerprint,
            requested_name: preview.requested_name,
        }))
    })
    .await
}

/// What an enrollment or revocation issued.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Issued")]
pub(crate) struct IssuedDto {
    device_id: String,
    roster_version: u64,
    epoch: u32,
}

/// HQ: enrolls the previewed device, once the fingerprint read from its screen was typed.
#[tauri::command]
pub(crate) async fn enroll_device(
    state: DesktopState<'_>,
    role: String,
    name: String,
    confirmed_fingerprint: String,
) -> CommandResult<IssuedDto> {
    let role = match role.as_str() {
        "field" => Role::Field,
        "coordinator" => Role::Coordinator,
        "hq" => Role::Hq,
        _ => return Err(CommandError::invalid("unknown role")),
    };
    let desktop = state.inner().clone();
    blocking(move || {
        let Some(PendingFile::Request(bytes)) = desktop.take_file() else { return Err(CommandError::wrong_phase()) };
        let issued = desktop.with_session(|session| session.enroll_device(&bytes, role, &name, &confirmed_fingerprint))?;
        Ok(IssuedDto { device_id: issued.device_id, roster_version: issued.roster_version, epoch: issued.epoch })
    })
    .await
}

/// HQ: revokes a device; the team key rotates.
#[tauri::command]
pub(crate) async fn revoke_device(state: DesktopState<'_>, device_id: String) -> CommandResult<IssuedDto> {
    let issued = in_session(&state, move |session| session.revoke_device(&device_id)).await?;
    Ok(IssuedDto { device_id: issued.device_id, roster_version: issued.roster_version, epoch: issued.epoch })
}

/// HQ: saves the current signed roster to a file to carry to the devices.
#[tauri::command]
pub(crate) async fn export_roster(app: tauri::AppHandle, state: DesktopState<'_>) -> CommandResult<bool> {
    let desktop = state.inner().clone();
    blocking(move || {
        let bytes = desktop.with_session(|session| session.roster_bytes())?;
        // A neutral name: a file left on a stick must not say which app made it.
        let Some(file) = app.dialog().file().set_file_name("roster").blocking_save_file() else {
            return Ok(false);
        };
        desktop.activity();
        let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
        files::write_atomically(&path, &bytes)
            .map_err(|error| CommandError::from(cairn_core::CoreError::Io(error.kind())))?;
        Ok(true)
    })
    .await
}

/// How long the roster this device holds stays valid.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "RosterExpiry")]
pub(crate) struct RosterExpiryDto {
    /// `valid`, `expires_soon` or `expired`.
    status: String,
    /// When it ends or ended (ms since the Unix epoch); null when valid.
    at: Option<u64>,
}

/// Whether the roster expires soon or has expired (while expired, this device syncs cases only
/// with HQ devices until a newer roster arrives).
#[tauri::command]
pub(crate) async fn roster_expiry(state: DesktopState<'_>) -> CommandResult<RosterExpiryDto> {
    in_session(&state, |session| {
        let now = u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0);
        let expiry = session.roster_expiry(now)?;
        let at = match expiry {
            cairn_core::team::RosterExpiry::Valid => None,
            cairn_core::team::RosterExpiry::ExpiresSoon { at } | cairn_core::team::RosterExpiry::Expired { at } => Some(at),
        };
        Ok(RosterExpiryDto { status: expiry.code().to_owned(), at })
    })
    .await
}
