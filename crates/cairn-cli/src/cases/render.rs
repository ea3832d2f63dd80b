//! Core case types rendered for the terminal: the JSON of every case command, and the
//! text shown without `--json`. One module builds every shape, so the table below (the
//! documented contract) and the code that honours it change together.
//!
//! The JSON shapes are stable (fields may be added, never renamed or removed). Ids are 32
//! lower-case hex characters; times are integers, milliseconds since the Unix epoch.
//!
//! | command | JSON |
//! |---|---|
//! | `case new --title T` | `{"id"}` (without `--json`: the id alone on a line) |
//! | `case list` | `{"cases": [{"id","title","status","risk","created_at","updated_at","persons","testimonies","events","notes","attachments","acts","conflicts","tags":[…],"act_types":[…],"first_date","last_date","deleted","handover"}]}` (`conflicts` counts every document of the case; `deleted`: archived at HQ after a team member deleted it; `handover`: draft, ready or received) |
//! | `case show ID` | `{"id","title","status","risk","team","tags":[…],"created_at","created_by","updated_at","persons":[{"id","pseudonym","roles":[…],"identity":{"real_name",…}|null,"identity_recorded":[…],"identity_sealed":[…]}],"testimonies":[{"id","source_person","date","place","interviewer","interpreter","language","consent":{"given","scopes":[…],"conditions"},"narrative","transcript"}],"events":[{"id","title","description","date_start","date_end","date_precision","certainty","place","acts":[{"id","type","victim","perpetrator":{"agency","unit","facility"},"consequences"}]}],"notes":[{"id","at","by","text"}],"attachments":[{"id","file_name","media_type","original_size","stored_size","original_hash","stored_hash","metadata","added_at","added_by"}],"conflicts":[…as in `conflicts`],"arriving_testimonies":[…]}` (`identity` is null unless `--show-sensitive`, and then holds what this device can open: a field sealed for HQ is null and listed in `identity_sealed`, which is always present, as is `identity_recorded`; `arriving_testimonies`: ids of testimonies whose document has not fully arrived from a peer yet) |
//! | `case set ID FIELD VALUE` | `{"id","field","value"}` |
//! | `case delete ID` | `{"id","deleted":true}` |
//! | `case custody ID` | `{"case_id","changes":[{"document_id","change_hash","signer","signer_name","first_seen_ms","first_roster_version","verdict","flagged"}],"flagged"}` (one entry per change of every document of the case, the case document first; `change_hash` is 64 hex characters; `signer` is the device id the change names, null when unsigned; `signer_name` its roster name, if known; `first_seen_ms` and `first_roster_version` say when this vault first had the change, null for changes held from before custody existed; `verdict` is `signed`, `unsigned`, `bad_signature`, `unknown_signer` or `received_after_revocation`; every verdict but `signed` is `flagged`; the top-level `flagged` counts them) |
//! | `person add`, `testimony add`, `event add`, `act add`, `note add` | `{"id","case_id"}` |
//! | `person edit`, `event edit`, `act edit`, `testimony edit`, `note edit` (by the item's id) | `{"id","case_id"}` |
//! | `attach CASE FILE` | `{"id","case_id","file_name","media_type","original_size","stored_size","original_hash","stored_hash","metadata","removed_parts"}` |
//! | `attachment get ID --out F` | `{"id","case_id","path","size","sha256"}` |
//! | `search QUERY` | `{"query","hits":[{"case_id","title","status","fields":[…],"snippet"}]}` |
//! | `conflicts CASE` | `{"case_id","conflicts":[{"document_id","document","path","mergeable","sealed","values":[{"choice","value","by","at","shown","object","sealed"}]}]}` (a `sealed` value is an identity value this device cannot open: `value` is empty and only HQ resolves the conflict) |
//! | `conflicts CASE --resolve PATH --choose N` | `{"case_id","document_id","path","resolved":true}` |
//! | `conflicts CASE --merge PATH --value V` | `{"case_id","document_id","path","merged":true}` |
//! | `vocab list [KIND]` | `{"vocabularies":[{"kind","terms":[{"code","en","ko"}]}]}` |
//! | `worker show` / `worker set NAME` | `{"worker"}` |

use std::path::Path;

use std::collections::BTreeMap;

use cairn_core::cases::{
    ApproxDate, AttachmentInfo, CaseConflict, CaseSummary, CaseView, CustodyEntry, IdentityField, ObjectId,
    RevealedIdentity, SearchHit, Vocabulary, id_to_hex,
};
use serde_json::{Value, json};

/// `case new`: `{"id"}`.
pub(super) fn new_case(case_id: &ObjectId) -> Value {
    json!({"id": id_to_hex(case_id)})
}

/// `case list`: one summary per case, with counts.
pub(super) fn case_list(cases: &[CaseSummary]) -> Value {
    json!({
        "cases": cases.iter().map(|case| json!({
            "id": id_to_hex(&case.id),
            "title": case.title,
            "status": case.status,
            "risk": case.risk,
            "created_at": case.created_at,
            "updated_at": case.updated_at,
            "persons": case.counts.persons,
            "testimonies": case.counts.testimonies,
            "events": case.counts.events,
            "notes": case.counts.notes,
            "attachments": case.counts.attachments,
            "acts": case.counts.acts,
            "conflicts": case.conflicts,
            "tags": case.tags,
            "act_types": case.act_types,
            "first_date": case.first_date,
            "last_date": case.last_date,
            "deleted": case.deleted,
            "handover": case.handover.code(),
        })).collect::<Vec<_>>(),
    })
}

/// `case list` as text: one line per case, most recently changed first.
pub(super) fn case_list_text(cases: &[CaseSummary]) -> String {
    if cases.is_empty() {
        return "no cases".to_owned();
    }
    cases
        .iter()
        .map(|case| {
            let conflicts = if case.conflicts > 0 { format!("  ({} conflicts)", case.conflicts) } else { String::new() };
            format!("{}  {:<20} {}{conflicts}", id_to_hex(&case.id), case.status, case.title)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `case set`: `{"id","field","value"}`.
pub(super) fn case_field_set(case_id: &ObjectId, field: &str, value: &str) -> Value {
    json!({"id": id_to_hex(case_id), "field": field, "value": value})
}

/// `case delete`: `{"id","deleted":true}`.
pub(super) fn case_deleted(case_id: &ObjectId) -> Value {
    json!({"id": id_to_hex(case_id), "deleted": true})
}

/// `case custody`: every change of the case with its signer and verdict.
pub(super) fn custody_trail(case_id: &ObjectId, trail: &[CustodyEntry]) -> Value {
    json!({
        "case_id": id_to_hex(case_id),
        "changes": trail.iter().map(|entry| json!({
            "document_id": id_to_hex(&entry.document_id),
            "change_hash": hash_hex(&entry.change_hash),
            "signer": entry.signer,
            "signer_name": entry.signer_name,
            "first_seen_ms": entry.first_seen_ms,
            "first_roster_version": entry.first_roster_version,
            "verdict": entry.verdict.as_str(),
            "flagged": entry.verdict.is_flagged(),
        })).collect::<Vec<_>>(),
        "flagged": trail.iter().filter(|entry| entry.verdict.is_flagged()).count(),
    })
}

/// A change hash as 64 lower-case hex characters.
fn hash_hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `case custody` as text: a count, then one line per change (flagged ones marked `!`).
pub(super) fn custody_trail_text(trail: &[CustodyEntry]) -> String {
    let flagged = trail.iter().filter(|entry| entry.verdict.is_flagged()).count();
    let mut lines = vec![format!("{} changes, {flagged} flagged", trail.len())];
    for entry in trail {
        let mark = if entry.verdict.is_flagged() { "!" } else { " " };
        let signer = match (&entry.signer_name, &entry.signer) {
            (Some(name), _) => name.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => "-".to_owned(),
        };
        lines.push(format!(
            "{mark} {:<25} {}  {}  {signer}",
            entry.verdict.as_str(),
            &id_to_hex(&entry.document_id)[..8],
            &hash_hex(&entry.change_hash)[..16],
        ));
    }
    lines.join("\n")
}

/// A person, testimony, event, act or note added or edited: `{"id","case_id"}`.
pub(super) fn item(id: &ObjectId, case_id: &ObjectId) -> Value {
    json!({"id": id_to_hex(id), "case_id": id_to_hex(case_id)})
}

/// `attach`: the stored attachment and the metadata parts removed from it.
pub(super) fn attachment(info: &AttachmentInfo) -> Value {
    let r = &info.reference;
    json!({
        "id": id_to_hex(&info.id),
        "case_id": id_to_hex(&info.case_id),
        "file_name": r.file_name,
        "media_type": r.media_type,
        "original_size": r.original_size,
        "stored_size": r.stored_size,
        "original_hash": r.original_hash,
        "stored_hash": r.stored_hash,
        "metadata": r.metadata,
        "removed_parts": info.removed_parts,
    })
}

/// `attach` as text: the id, the stored size and what happened to the metadata.
pub(super) fn attachment_text(info: &AttachmentInfo) -> String {
    format!(
        "attachment {} ({} bytes stored, metadata {})",
        id_to_hex(&info.id),
        info.reference.stored_size,
        info.reference.metadata
    )
}

/// `attachment get`: where the attachment was written, its size and hash.
pub(super) fn exported_attachment(info: &AttachmentInfo, out: &Path) -> Value {
    json!({
        "id": id_to_hex(&info.id),
        "case_id": id_to_hex(&info.case_id),
        "path": out.to_string_lossy(),
        "size": info.reference.stored_size,
        "sha256": info.reference.stored_hash,
    })
}

/// `search`: the query and the cases found.
pub(super) fn search_hits(query: &str, hits: &[SearchHit]) -> Value {
    json!({
        "query": query,
        "hits": hits.iter().map(|hit| json!({
            "case_id": id_to_hex(&hit.case_id),
            "title": hit.title,
            "status": hit.status,
            "fields": hit.fields,
            "snippet": hit.snippet,
        })).collect::<Vec<_>>(),
    })
}

/// `search` as text: each case found with the fields that matched and a snippet.
pub(super) fn search_hits_text(hits: &[SearchHit]) -> String {
    if hits.is_empty() {
        return "no cases found".to_owned();
    }
    hits.iter()
        .map(|hit| format!("{}  {}  [{}]\n    {}", id_to_hex(&hit.case_id), hit.title, hit.fields.join(", "), hit.snippet))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `conflicts`: the case and its conflicts.
pub(super) fn case_conflicts(case_id: &ObjectId, conflicts: &[CaseConflict]) -> Value {
    json!({"case_id": id_to_hex(case_id), "conflicts": conflict_list(conflicts)})
}

/// `conflicts --resolve`: `{"case_id","document_id","path","resolved":true}`.
pub(super) fn conflict_resolved(case_id: &ObjectId, document_id: &ObjectId, path: &str) -> Value {
    json!({"case_id": id_to_hex(case_id), "document_id": id_to_hex(document_id), "path": path, "resolved": true})
}

/// `conflicts --merge`: `{"case_id","document_id","path","merged":true}`.
pub(super) fn conflict_merged(case_id: &ObjectId, document_id: &ObjectId, path: &str) -> Value {
    json!({"case_id": id_to_hex(case_id), "document_id": id_to_hex(document_id), "path": path, "merged": true})
}

/// Conflicts as a JSON list, shared by `conflicts` and `case show`.
fn conflict_list(conflicts: &[CaseConflict]) -> Value {
    Value::Array(
        conflicts
            .iter()
            .map(|c| {
                json!({
                    "document_id": id_to_hex(&c.document_id),
                    "document": c.document_kind.as_str(),
                    "path": c.conflict.path,
                    "mergeable": c.mergeable(),
                    "sealed": c.sealed(),
                    "values": c.conflict.values.iter().enumerate().map(|(choice, v)| json!({
                        "choice": choice,
                        "value": v.value,
                        "by": v.by,
                        "at": v.at,
                        "shown": v.shown,
                        "object": v.is_object,
                        "sealed": v.sealed.is_some(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// `conflicts` as text: every value of every conflict, numbered for `--choose`, and how to
/// resolve or merge.
pub(super) fn conflicts_text(conflicts: &[CaseConflict]) -> String {
    if conflicts.is_empty() {
        return "no conflicts".to_owned();
    }
    let mut lines = Vec::new();
    for c in conflicts {
        lines.push(format!("{} {} / {}:", c.document_kind, id_to_hex(&c.document_id), c.conflict.path));
        for (choice, v) in c.conflict.values.iter().enumerate() {
            let shown = if v.shown { "  (shown)" } else { "" };
            if v.sealed.is_some() {
                lines.push(format!("  [{choice}] (sealed for HQ) by {} at {}{shown}", v.by, v.at));
            } else {
                lines.push(format!("  [{choice}] {:?} by {} at {}{shown}", v.value, v.by, v.at));
            }
        }
        if c.sealed() {
            lines.push("  These values are sealed for HQ: HQ resolves this conflict.".to_owned());
        }
    }
    lines.push("Resolve with: cairn conflicts CASE --resolve PATH --choose N [--document ID]".to_owned());
    lines.push("or, for a text field, merge: cairn conflicts CASE --merge PATH --value TEXT [--document ID]".to_owned());
    lines.join("\n")
}

/// `case show`: the whole case. Identity fields are `null` unless `revealed` (with
/// `--show-sensitive`) holds what this device opened; a field sealed for others is `null`
/// there too, and named in `identity_sealed`.
pub(super) fn case_view(view: &CaseView, revealed: Option<&BTreeMap<String, RevealedIdentity>>) -> Value {
    let record = &view.record;
    let persons: Vec<Value> = record
        .persons
        .iter()
        .map(|(id, person)| {
            let sealed = view.identity_sealed.get(id).cloned().unwrap_or_default();
            let identity = match revealed.and_then(|revealed| revealed.get(id)) {
                Some(opened) => Value::Object(
                    IdentityField::ALL
                        .iter()
                        .map(|field| {
                            let value = if opened.sealed.contains(field) {
                                Value::Null
                            } else {
                                json!(opened.identity.get(*field).expose())
                            };
                            (field.name().to_owned(), value)
                        })
                        .collect(),
                ),
                None => Value::Null,
            };
            let recorded: Vec<&str> =
                person.identity.fields().iter().filter(|(_, value)| value.is_set()).map(|(field, _)| field.name()).collect();
            json!({
                "id": id,
                "pseudonym": person.pseudonym,
                "roles": person.roles,
                "identity": identity,
                "identity_recorded": recorded,
                "identity_sealed": sealed.iter().map(|field| field.name()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let testimonies: Vec<Value> = view
        .testimonies
        .iter()
        .map(|(id, t)| {
            json!({
                "id": id_to_hex(id),
                "source_person": t.source_person,
                "date": t.date,
                "place": t.place,
                "interviewer": t.interviewer,
                "interpreter": t.interpreter,
                "language": t.language,
                "consent": {"given": t.consent.given, "scopes": t.consent.scopes, "conditions": t.consent.conditions},
                "narrative": t.narrative.as_str(),
                "transcript": t.transcript.as_str(),
            })
        })
        .collect();
    let events: Vec<Value> = record
        .events
        .iter()
        .map(|(id, e)| {
            let precision =
                ApproxDate::parse(&e.date_start).map(|d| d.precision().name()).unwrap_or("unknown");
            json!({
                "id": id,
                "title": e.title,
                "description": e.description,
                "date_start": e.date_start,
                "date_end": e.date_end,
                "date_precision": precision,
                "certainty": e.date_certainty,
                "place": e.place,
                "acts": e.acts.iter().map(|(id, a)| json!({
                    "id": id,
                    "type": a.act_type,
                    "victim": a.victim,
                    "perpetrator": {"agency": a.perpetrator.agency, "unit": a.perpetrator.unit, "facility": a.perpetrator.facility},
                    "consequences": a.consequences,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let notes: Vec<Value> =
        record.notes.iter().map(|(id, n)| json!({"id": id, "at": n.at, "by": n.by, "text": n.text})).collect();
    let attachments: Vec<Value> = record
        .attachments
        .iter()
        .map(|(id, a)| {
            json!({
                "id": id,
                "file_name": a.file_name,
                "media_type": a.media_type,
                "original_size": a.original_size,
                "stored_size": a.stored_size,
                "original_hash": a.original_hash,
                "stored_hash": a.stored_hash,
                "metadata": a.metadata,
                "added_at": a.added_at,
                "added_by": a.added_by,
            })
        })
        .collect();
    json!({
        "id": id_to_hex(&view.id),
        "title": record.title,
        "status": record.status,
        "risk": record.risk,
        "team": record.team,
        "tags": record.distinct_tags(),
        "created_at": record.created_at,
        "created_by": record.created_by,
        "updated_at": view.updated_at,
        "persons": persons,
        "testimonies": testimonies,
        "events": events,
        "notes": notes,
        "attachments": attachments,
        "conflicts": conflict_list(&view.conflicts),
        "arriving_testimonies": view.arriving_testimonies.iter().map(id_to_hex).collect::<Vec<_>>(),
    })
}

/// A readable rendering of the JSON view (one place decides what is shown).
pub(super) fn case_view_text(value: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = vec![
        format!("{}  {}", s(&value["id"]), s(&value["title"])),
        format!("status: {}   risk: {}   team: {}", s(&value["status"]), s(&value["risk"]), s(&value["team"])),
    ];
    let list = |key: &str| value[key].as_array().cloned().unwrap_or_default();
    for person in list("persons") {
        let roles: Vec<String> = person["roles"].as_array().into_iter().flatten().map(&s).collect();
        out.push(format!("person {}  {}  [{}]", s(&person["id"]), s(&person["pseudonym"]), roles.join(", ")));
        if let Some(identity) = person["identity"].as_object() {
            for (name, field) in identity {
                if !s(field).is_empty() {
                    out.push(format!("    {name}: {}", s(field)));
                }
            }
        }
        for name in person["identity_sealed"].as_array().into_iter().flatten() {
            out.push(format!("    {}: sealed for HQ", s(name)));
        }
    }
    for t in list("testimonies") {
        out.push(format!(
            "testimony {}  source {}  {}  {}",
            s(&t["id"]),
            s(&t["source_person"]),
            s(&t["date"]),
            s(&t["language"])
        ));
        out.push(format!("    {}", s(&t["narrative"]).replace('\n', "\n    ")));
    }
    for e in list("events") {
        out.push(format!(
            "event {}  {}  {}–{} ({})  {}",
            s(&e["id"]),
            s(&e["title"]),
            s(&e["date_start"]),
            s(&e["date_end"]),
            s(&e["certainty"]),
            s(&e["place"])
        ));
        for a in e["acts"].as_array().into_iter().flatten() {
            out.push(format!(
                "    act {}  {}  victim {}  by {}",
                s(&a["id"]),
                s(&a["type"]),
                s(&a["victim"]),
                s(&a["perpetrator"]["agency"])
            ));
        }
    }
    for n in list("notes") {
        out.push(format!("note {}  by {} at {}: {}", s(&n["id"]), s(&n["by"]), n["at"], s(&n["text"])));
    }
    for a in list("attachments") {
        out.push(format!(
            "attachment {}  {}  {} bytes  metadata {}",
            s(&a["id"]),
            s(&a["file_name"]),
            a["stored_size"],
            s(&a["metadata"])
        ));
    }
    let arriving = list("arriving_testimonies").len();
    if arriving > 0 {
        out.push(format!("{arriving} testimony(ies) still arriving from a peer: sync again to complete them"));
    }
    let conflicts = list("conflicts").len();
    if conflicts > 0 {
        out.push(format!("{conflicts} conflict(s): run `cairn conflicts {}`", s(&value["id"])));
    }
    out.join("\n")
}

/// `vocab list`: each vocabulary's terms with their English and Korean labels.
pub(super) fn vocabularies(selected: &[&Vocabulary]) -> Value {
    json!({
        "vocabularies": selected.iter().map(|v| json!({
            "kind": v.kind.name(),
            "terms": v.terms.iter().map(|t| json!({"code": t.code, "en": t.en, "ko": t.ko})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// `vocab list` as text: a heading per vocabulary, one term per line.
pub(super) fn vocabularies_text(selected: &[&Vocabulary]) -> String {
    selected
        .iter()
        .map(|v| {
            let terms: Vec<String> = v.terms.iter().map(|t| format!("  {:<26} {} / {}", t.code, t.en, t.ko)).collect();
            format!("{}:\n{}", v.kind.name(), terms.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `worker show` and `worker set`: `{"worker"}`.
pub(super) fn worker(name: &str) -> Value {
    json!({"worker": name})
}
