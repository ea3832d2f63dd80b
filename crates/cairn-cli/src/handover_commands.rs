//! `cairn handover status|receipts|policy`: handover to HQ over core's `handover` module.
//! Marking a case ready is `cairn case ready`.
//!
//! JSON contracts:
//!
//! | command | JSON |
//! |---|---|
//! | `handover status` | `{"is_hq","policy":{"kind":"keep"\|"immediately"\|"after_days","days"}\|null,"cases":[{"id","title","state":"draft"\|"ready"\|"received","ready_at","received_at","purge_due_at"}],"purged":[{"id","purged_at"}]}` (times in ms, null when not set) |
//! | `handover receipts` | `{"receipts":[{"case_id","signed_by","signer_name","issued_at","documents","attachments","verdict":"covers"\|"partial"\|"refused","refused_code"}]}` |

use std::num::NonZeroU16;

use cairn_core::{
    cases::id_to_hex,
    handover::{HandoverOverview, ReceiptVerdict, ReceiptView},
    team::HandoverPurge,
};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::{Cli, output, vault_commands};

/// `cairn handover …`
#[derive(Debug, Subcommand)]
pub(crate) enum HandoverCommand {
    /// Every case's handover state (draft, ready, received by HQ) and the cases purged here
    /// after HQ's receipt; on HQ, the intake list. Verifies receipts that arrived first.
    Status {
        /// JSON (see the crate documentation for the shape).
        #[arg(long)]
        json: bool,
    },
    /// The receipts this vault holds, each checked against the roster and what it holds.
    Receipts {
        /// JSON (see the crate documentation for the shape).
        #[arg(long)]
        json: bool,
    },
    /// HQ: what field devices do with a case once HQ's receipt covers it: `keep`,
    /// `immediately`, or `after-days N`. Issues a new roster to carry to every device.
    Policy {
        #[command(subcommand)]
        purge: PurgeArg,
    },
}

/// The purge policy as typed.
#[derive(Debug, Subcommand)]
pub(crate) enum PurgeArg {
    /// Keep handed-over cases on field devices.
    Keep,
    /// Purge a case as soon as a covering receipt is verified.
    Immediately,
    /// Purge a case N days (1–65535) after a covering receipt was verified.
    AfterDays {
        /// The number of days.
        days: NonZeroU16,
    },
}

pub(crate) fn run(cli: &Cli, command: &HandoverCommand) -> anyhow::Result<()> {
    match command {
        HandoverCommand::Status { json } => {
            let mut session = vault_commands::open(cli)?;
            let settled = session.settle_handovers()?;
            let overview = session.handover_status()?;
            session.lock();
            if settled.cases_purged > 0 {
                output::notice(format_args!("{} case(s) purged after HQ's receipt.", settled.cases_purged));
            }
            output::result(*json, &status_json(&overview), || status_text(&overview))
        }
        HandoverCommand::Receipts { json } => {
            let mut session = vault_commands::open(cli)?;
            let receipts = session.receipts()?;
            session.lock();
            let value = json!({ "receipts": receipts.iter().map(receipt_json).collect::<Vec<_>>() });
            output::result(*json, &value, || receipts_text(&receipts))
        }
        HandoverCommand::Policy { purge } => {
            let purge = match purge {
                PurgeArg::Keep => HandoverPurge::Keep,
                PurgeArg::Immediately => HandoverPurge::Immediately,
                PurgeArg::AfterDays { days } => HandoverPurge::AfterDays(*days),
            };
            let mut session = vault_commands::open(cli)?;
            let issued = session.set_handover_purge(purge)?;
            session.lock();
            output::line(format_args!(
                "Handover policy: {} (roster version {}).",
                policy_text(purge),
                issued.roster_version
            ));
            output::line("Carry the new roster to every device: cairn org roster --out FILE");
            Ok(())
        }
    }
}

fn policy_json(policy: HandoverPurge) -> Value {
    match policy {
        HandoverPurge::Keep => json!({ "kind": "keep", "days": null }),
        HandoverPurge::Immediately => json!({ "kind": "immediately", "days": null }),
        HandoverPurge::AfterDays(days) => json!({ "kind": "after_days", "days": days.get() }),
    }
}

fn policy_text(policy: HandoverPurge) -> String {
    match policy {
        HandoverPurge::Keep => "keep cases on field devices".to_owned(),
        HandoverPurge::Immediately => "purge a case as soon as HQ's receipt covers it".to_owned(),
        HandoverPurge::AfterDays(days) => format!("purge a case {days} day(s) after HQ's receipt covers it"),
    }
}

fn status_json(overview: &HandoverOverview) -> Value {
    json!({
        "is_hq": overview.is_hq,
        "policy": overview.policy.map(policy_json),
        "cases": overview.cases.iter().map(|case| json!({
            "id": id_to_hex(&case.case_id),
            "title": case.title,
            "state": case.state.code(),
            "ready_at": case.ready_at,
            "received_at": case.received_at,
            "purge_due_at": case.purge_due_at,
        })).collect::<Vec<_>>(),
        "purged": overview.purged.iter().map(|purged| json!({
            "id": id_to_hex(&purged.case_id),
            "purged_at": purged.purged_at,
        })).collect::<Vec<_>>(),
    })
}

fn status_text(overview: &HandoverOverview) -> String {
    let mut out = String::new();
    match overview.policy {
        None => out.push_str("Not in a team: nothing is handed over yet.\n"),
        Some(_) if overview.is_hq => {
            out.push_str("HQ vault: intake list (receipts are issued when a ready case is whole here).\n")
        }
        Some(policy) => out.push_str(&format!("Policy: {}.\n", policy_text(policy))),
    }
    for case in &overview.cases {
        let state = match case.state.code() {
            "ready" => "ready for handover",
            "received" if overview.is_hq => "receipt issued",
            "received" => "received by HQ",
            other => other,
        };
        out.push_str(&format!("{}  {:<20}  {}\n", id_to_hex(&case.case_id), state, case.title));
    }
    if !overview.purged.is_empty() {
        out.push_str(&format!("{} case(s) handed over and purged from this device.\n", overview.purged.len()));
    }
    out.trim_end().to_owned()
}

fn receipt_json(receipt: &ReceiptView) -> Value {
    let (verdict, code) = match receipt.verdict {
        ReceiptVerdict::Covers => ("covers", None),
        ReceiptVerdict::Partial => ("partial", None),
        ReceiptVerdict::Refused(code) => ("refused", Some(code)),
    };
    json!({
        "case_id": id_to_hex(&receipt.case_id),
        "signed_by": receipt.signed_by,
        "signer_name": receipt.signer_name,
        "issued_at": receipt.issued_at_ms,
        "documents": receipt.documents,
        "attachments": receipt.attachments,
        "verdict": verdict,
        "refused_code": code,
    })
}

fn receipts_text(receipts: &[ReceiptView]) -> String {
    if receipts.is_empty() {
        return "No receipts.".to_owned();
    }
    receipts
        .iter()
        .map(|receipt| {
            let verdict = match receipt.verdict {
                ReceiptVerdict::Covers => "covers everything held here".to_owned(),
                ReceiptVerdict::Partial => "valid; this device holds more than it names".to_owned(),
                ReceiptVerdict::Refused(code) => format!("refused [{code}]"),
            };
            format!(
                "{}  by {}  {} document(s), {} attachment(s): {}",
                id_to_hex(&receipt.case_id),
                receipt.signer_name.as_deref().unwrap_or(&receipt.signed_by),
                receipt.documents,
                receipt.attachments,
                verdict
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
