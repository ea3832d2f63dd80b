//! The JSON export: every exported case whole (its persons without identity fields, events
//! with their acts, testimonies with narrative and transcript, notes, attachment metadata).
//!
//! Shape (format `cairn-cases`, version 1):
//!
//! ```text
//! {"format":"cairn-cases","version":1,"cases":[{
//!   "id","title","status","risk","team","tags":[…],"created_at","created_by","deleted",
//!   "persons":[{"id","pseudonym","roles":[…]}],
//!   "events":[{"id","title","description","date_start","date_end","date_certainty","place",
//!              "acts":[{"id","act_type","victim","perpetrator":{"agency","unit","facility","person"},"consequences"}]}],
//!   "testimonies":[{"id","source_person","date","place","interviewer","interpreter","language",
//!                   "consent":{"given","scopes":[…],"conditions"},"narrative","transcript","audio":[…]}],
//!   "notes":[{"id","at","by","text"}],
//!   "attachments":[{"id","file_name","media_type","original_size","original_sha256","stored_size",
//!                   "stored_sha256","metadata","added_at","added_by"}]}]}
//! ```
//!
//! Ids are 32 hex digits; times are milliseconds since the Unix epoch; codes are vocabulary
//! codes. A person's identity fields are never part of it.

use serde_json::{Value, json};

use super::ExportedCase;
use crate::cases::id_to_hex;

/// Name of the JSON export format.
pub const JSON_FORMAT: &str = "cairn-cases";
/// Version of the JSON export format.
pub const JSON_VERSION: u32 = 1;

/// The JSON export of `cases`, pretty-printed, ending with a newline.
pub fn cases_json(cases: &[ExportedCase]) -> String {
    let value = json!({
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "cases": cases.iter().map(case_json).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn case_json(case: &ExportedCase) -> Value {
    let record = &case.view.record;
    json!({
        "id": id_to_hex(&case.view.id),
        "title": record.title,
        "status": record.status,
        "risk": record.risk,
        "team": record.team,
        "tags": record.tags,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "deleted": case.deleted,
        // Only the pseudonym and roles: identity fields never leave through an export.
        "persons": record.persons.iter().map(|(id, person)| json!({
            "id": id,
            "pseudonym": person.pseudonym,
            "roles": person.roles,
        })).collect::<Vec<_>>(),
        "events": record.events.iter().map(|(id, event)| json!({
            "id": id,
            "title": event.title,
            "description": event.description,
            "date_start": event.date_start,
            "date_end": event.date_end,
            "date_certainty": event.date_certainty,
            "place": event.place,
            "acts": event.acts.iter().map(|(id, act)| json!({
                "id": id,
                "act_type": act.act_type,
                "victim": act.victim,
                "perpetrator": {
                    "agency": act.perpetrator.agency,
                    "unit": act.perpetrator.unit,
                    "facility": act.perpetrator.facility,
                    "person": act.perpetrator.person,
                },
                "consequences": act.consequences,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "testimonies": case.view.testimonies.iter().map(|(id, testimony)| json!({
            "id": id_to_hex(id),
            "source_person": testimony.source_person,
            "date": testimony.date,
            "place": testimony.place,
            "interviewer": testimony.interviewer,
            "interpreter": testimony.interpreter,
            "language": testimony.language,
            "consent": {
                "given": testimony.consent.given,
                "scopes": testimony.consent.scopes,
                "conditions": testimony.consent.conditions,
            },
            "narrative": testimony.narrative.as_str(),
            "transcript": testimony.transcript.as_str(),
            "audio": testimony.audio,
        })).collect::<Vec<_>>(),
        "notes": record.notes.iter().map(|(id, note)| json!({
            "id": id,
            "at": note.at,
            "by": note.by,
            "text": note.text,
        })).collect::<Vec<_>>(),
        "attachments": record.attachments.iter().map(|(id, attachment)| json!({
            "id": id,
            "file_name": attachment.file_name,
            "media_type": attachment.media_type,
            "original_size": attachment.original_size,
            "original_sha256": attachment.original_hash,
            "stored_size": attachment.stored_size,
            "stored_sha256": attachment.stored_hash,
            "metadata": attachment.metadata,
            "added_at": attachment.added_at,
            "added_by": attachment.added_by,
        })).collect::<Vec<_>>(),
    })
}
