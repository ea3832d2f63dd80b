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
