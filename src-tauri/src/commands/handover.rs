//! Handover to HQ: mark a case ready (the worker confirms first when a testimony's consent
//! lacks sharing with HQ), and every case's handover state with the cases purged here. Core
//! verifies receipts and purges by the roster's policy after every sync and bundle import and
//! at unlock; `handover_status` settles first, so what it shows is current.

use cairn_core::{
    cases::id_to_hex,
    handover::{HandoverOverview, HandoverState},
    team::HandoverPurge,
};
use serde::Serialize;
use ts_rs::TS;

use super::{DesktopState, cases::id, in_session};
use crate::error::CommandResult;

/// Marks a case ready for handover (or not). Refused with `handover_consent_unconfirmed` when
/// a testimony's consent lacks sharing with HQ and `consent_confirmed` is false.
#[tauri::command]
pub(crate) async fn set_ready_for_handover(
    state: DesktopState<'_>,
    case_id: String,
    ready: bool,
    consent_confirmed: bool,
) -> CommandResult<()> {
    let case_id = id(&case_id)?;
    in_session(&state, move |session| session.set_ready_for_handover(&case_id, ready, consent_confirmed)).await
}

/// One case's handover.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "CaseHandover")]
pub(crate) struct CaseHandoverDto {
    id: String,
    title: String,
    /// `draft`, `ready` or `received`.
    state: String,
    received_at: Option<i64>,
    purge_due_at: Option<i64>,
}

/// Every case's handover on this device.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "HandoverStatus")]
pub(crate) struct HandoverStatusDto {
    /// HQ's vault: the list is the intake list.
    is_hq: bool,
    /// `keep`, `immediately` or `after_days`; null outside a team.
    policy: Option<String>,
    /// Days, for `after_days`.
    policy_days: Option<u16>,
    cases: Vec<CaseHandoverDto>,
    /// How many cases were handed over and purged here (nothing else of them is left).
    purged: u32,
}

impl From<HandoverOverview> for HandoverStatusDto {
    fn from(overview: HandoverOverview) -> Self {
        let (policy, policy_days) = match overview.policy {
            None => (None, None),
            Some(HandoverPurge::Keep) => (Some("keep"), None),
            Some(HandoverPurge::Immediately) => (Some("immediately"), None),
            Some(HandoverPurge::AfterDays(days)) => (Some("after_days"), Some(days.get())),
        };
        HandoverStatusDto {
            is_hq: overview.is_hq,
            policy: policy.map(str::to_owned),
            policy_days,
            cases: overview
                .cases
                .into_iter()
                .filter(|case| case.state != HandoverState::Draft)
                .map(|case| CaseHandoverDto {
                    id: id_to_hex(&case.case_id),
                    title: case.title,
                    state: case.state.code().to_owned(),
                    received_at: case.received_at,
                    purge_due_at: case.purge_due_at,
                })
                .collect(),
            purged: u32::try_from(overview.purged.len()).unwrap_or(u32::MAX),
        }
    }
}

/// The cases marked ready or received, and how many were purged here. Settles first: a
/// receipt that arrived is verified, a purge that is due is done.
#[tauri::command]
pub(crate) async fn handover_status(state: DesktopState<'_>) -> CommandResult<HandoverStatusDto> {
    in_session(&state, move |session| {
        session.settle_handovers()?;
        Ok(HandoverStatusDto::from(session.handover_status()?))
    })
    .await
}

/// One device that signed changes of a case.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "CustodySigner")]
pub(crate) struct CustodySignerDto {
    /// Its device id (hex); null for changes that carry no signature.
    device_id: Option<String>,
    /// Its name on the roster, when known.
    name: Option<String>,
    changes: u32,
    first_seen_ms: Option<i64>,
    last_seen_ms: Option<i64>,
}

/// A change the custody trail cannot vouch for.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "FlaggedChange")]
pub(crate) struct FlaggedChangeDto {
    document_id: String,
    /// The change's hash (hex).
    change_hash: String,
    signer: Option<String>,
    /// `unsigned`, `bad_signature`, `unknown_signer` or `received_after_revocation`.
    verdict: String,
}

/// Who recorded what in a case, as this vault holds it (HQ keeps every signature).
#[derive(Debug, Serialize, TS)]
#[ts(rename = "CustodyTrail")]
pub(crate) struct CustodyTrailDto {
    total: u32,
    signers: Vec<CustodySignerDto>,
    flagged: Vec<FlaggedChangeDto>,
}

/// The custody trail of a case: each signing device with its number of changes, and every
/// change that is flagged.
#[tauri::command]
pub(crate) async fn custody_trail(state: DesktopState<'_>, case_id: String) -> CommandResult<CustodyTrailDto> {
    let case_id = id(&case_id)?;
    in_session(&state, move |session| {
        let entries = session.custody_trail(&case_id)?;
        let mut signers: Vec<CustodySignerDto> = Vec::new();
        let mut flagged = Vec::new();
        for entry in &entries {
            let seen = entry.first_seen_ms;
            match signers.iter_mut().find(|signer| signer.device_id == entry.signer) {
                Some(signer) => {
                    signer.changes += 1;
                    signer.first_seen_ms = match (signer.first_seen_ms, seen) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    signer.last_seen_ms = signer.last_seen_ms.max(seen);
                }
                None => signers.push(CustodySignerDto {
                    device_id: entry.signer.clone(),
                    name: entry.signer_name.clone(),
                    changes: 1,
                    first_seen_ms: seen,
                    last_seen_ms: seen,
                }),
            }
            if entry.verdict.is_flagged() {
                flagged.push(FlaggedChangeDto {
                    document_id: id_to_hex(&entry.document_id),
                    change_hash: hex::encode(entry.change_hash),
                    signer: entry.signer.clone(),
                    verdict: entry.verdict.as_str().to_owned(),
                });
            }
        }
        Ok(CustodyTrailDto { total: u32::try_from(entries.len()).unwrap_or(u32::MAX), signers, flagged })
    })
    .await
}
