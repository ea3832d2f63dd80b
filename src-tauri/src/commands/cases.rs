//! Case commands: list, search, open, add and edit (persons, testimonies, events and acts,
//! notes), attachments (import with metadata removal, export a copy), conflicts (keep a value,
//! or merge a text field by typing one), vocabularies.
//!
//! DTOs carry what the views render. A person's identity fields are not part of the case
//! view: only which of them are recorded, and which are sealed for HQ (this device cannot open
//! them: a field device, once enrolled). `reveal_identity` returns the ones this device opens,
//! separately permissioned, when the worker asks to see them; the person edit form loads them
//! the same way and sends back only the identity fields the worker changed (a sealed field can
//! be replaced or cleared, never read).

use cairn_core::cases::{
    ActEdit, CaseField, CaseView, DocumentKind, EventEdit, NewAct, NewEvent, NewPerson, NewTestimony, ObjectId, PersonEdit,
    Sensitive, TestimonyEdit, id_to_hex, parse_id,
};
use serde::{Deserialize, Serialize};

use super::{DesktopState, blocking, in_session};
use crate::error::{CommandError, CommandResult};
use ts_rs::TS;

pub(crate) fn id(text: &str) -> CommandResult<ObjectId> {
    parse_id(text).map_err(|_| CommandError::invalid("invalid id"))
}

/// A case in the list, with what the list's filters need.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "CaseSummary")]
pub(crate) struct CaseSummaryDto {
    id: String,
    title: String,
    status: String,
    risk: String,
    created_at: i64,
    updated_at: i64,
    persons: u32,
    testimonies: u32,
    events: u32,
    notes: u32,
    attachments: u32,
    conflicts: u32,
    tags: Vec<String>,
    act_types: Vec<String>,
    /// Earliest and latest event dates (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), for the date filter.
    first_date: Option<String>,
    last_date: Option<String>,
    /// Handover to HQ: `draft`, `ready` or `received`.
    handover: String,
}

/// Every case, most recently changed first.
#[tauri::command]
pub(crate) async fn list_cases(state: DesktopState<'_>) -> CommandResult<Vec<CaseSummaryDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.with_session(|session| {
            // Everything the list and its filters show is kept by core's write path: no
            // case is opened here.
            Ok(session
                .list_cases()?
                .into_iter()
                .map(|summary| CaseSummaryDto {
                    id: id_to_hex(&summary.id),
                    title: summary.title,
                    status: summary.status,
                    risk: summary.risk,
                    created_at: summary.created_at,
                    updated_at: summary.updated_at,
                    persons: summary.counts.persons,
                    testimonies: summary.counts.testimonies,
                    events: summary.counts.events,
                    notes: summary.counts.notes,
                    attachments: summary.counts.attachments,
                    conflicts: summary.conflicts,
                    tags: summary.tags,
                    act_types: summary.act_types,
                    first_date: summary.first_date,
                    last_date: summary.last_date,
                    handover: summary.handover.code().to_owned(),
                })
                .collect())
        })
    })
    .await
}

/// A search result.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "SearchHit")]
pub(crate) struct SearchHitDto {
    case_id: String,
    title: String,
    status: String,
    fields: Vec<String>,
    snippet: String,
}

/// Full-text search over the cases (titles, tags, pseudonyms, notes, events, narratives).
#[tauri::command]
pub(crate) async fn search_cases(state: DesktopState<'_>, query: String) -> CommandResult<Vec<SearchHitDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.with_session(|session| {
            Ok(session
                .search(&query, cairn_core::cases::DEFAULT_SEARCH_LIMIT)?
                .into_iter()
                .map(|hit| SearchHitDto {
                    case_id: id_to_hex(&hit.case_id),
                    title: hit.title,
                    status: hit.status,
                    fields: hit.fields,
                    snippet: hit.snippet,
                })
                .collect())
        })
    })
    .await
}

/// Creates a case; returns its id.
#[tauri::command]
pub(crate) async fn create_case(state: DesktopState<'_>, title: String) -> CommandResult<String> {
    in_session(&state, move |session| Ok(id_to_hex(&session.create_case(&title)?))).await
}

/// Crypto-shreds a case.
#[tauri::command]
pub(crate) async fn delete_case(state: DesktopState<'_>, case_id: String) -> CommandResult<()> {
    let case_id = id(&case_id)?;
    in_session(&state, move |session| session.delete_case(&case_id)).await
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "Person")]
pub(crate) struct PersonDto {
    id: String,
    pseudonym: String,
    roles: Vec<String>,
    /// Names of the identity fields that hold a value (the values are not sent).
    identity_recorded: Vec<&'static str>,
    /// Names of the recorded identity fields sealed for HQ: this device cannot open them
    /// ("sealed for HQ", distinct from empty); they can be replaced or cleared.
    identity_sealed: Vec<&'static str>,
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "Testimony")]
pub(crate) struct TestimonyDto {
    id: String,
    source_person: String,
    date: String,
    place: String,
    interviewer: String,
    interpreter: String,
    language: String,
    consent_given: bool,
    consent_scopes: Vec<String>,
    consent_conditions: String,
    narrative: String,
    transcript: String,
    /// The testimony document's heads as shown (hex): the base the narrative and transcript
    /// editors send back with their saves, so a change from a peer is merged, not reverted.
    heads: Vec<String>,
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "Act")]
pub(crate) struct ActDto {
    id: String,
    act_type: String,
    victim: String,
    agency: String,
    unit: String,
    facility: String,
    consequences: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "CaseEvent")]
pub(crate) struct EventDto {
    id: String,
    title: String,
    description: String,
    date_start: String,
    date_end: String,
    date_certainty: String,
    place: String,
    acts: Vec<ActDto>,
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "Note")]
pub(crate) struct NoteDto {
    id: String,
    at: i64,
    by: String,
    text: String,
}

#[derive(Debug, Serialize, TS)]
#[ts(rename = "Attachment")]
pub(crate) struct AttachmentDto {
    pub(crate) id: String,
    pub(crate) file_name: String,
    pub(crate) media_type: String,
    pub(crate) stored_size: u64,
    /// `stripped`, `kept` or `not_an_image`.
    pub(crate) metadata: String,
    pub(crate) added_at: i64,
    pub(crate) added_by: String,
    /// Whether its content is on this device (one added on another device arrives with the
    /// sync after its case document).
    pub(crate) arrived: bool,
    /// The testimony a recording was made of (hex id), if it is linked to one.
    pub(crate) testimony: Option<String>,
}

/// The testimony an attachment is linked to: none when the reference's field is empty.
pub(crate) fn linked_testimony(testimony: String) -> Option<String> {
    (!testimony.is_empty()).then_some(testimony)
}

/// A case as the editor shows it.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "CaseDetail")]
pub(crate) struct CaseDto {
    id: String,
    title: String,
    status: String,
    risk: String,
    team: String,
    tags: Vec<String>,
    created_at: i64,
    created_by: String,
    updated_at: i64,
    persons: Vec<PersonDto>,
    testimonies: Vec<TestimonyDto>,
    events: Vec<EventDto>,
    notes: Vec<NoteDto>,
    attachments: Vec<AttachmentDto>,
    conflicts: usize,
}

fn case_dto(view: CaseView) -> CaseDto {
    let record = view.record;
    let identity_sealed = view.identity_sealed;
    let mut notes: Vec<NoteDto> =
        record.notes.into_iter().map(|(id, note)| NoteDto { id, at: note.at, by: note.by, text: note.text }).collect();
    notes.sort_by_key(|note| note.at);
    let mut attachments: Vec<AttachmentDto> = record
        .attachments
        .into_iter()
        .map(|(id, attachment)| AttachmentDto {
            arrived: !view.arriving_attachments.iter().any(|arriving| id_to_hex(arriving) == id),
            id,
            file_name: attachment.file_name,
            media_type: attachment.media_type,
            stored_size: attachment.stored_size,
            metadata: attachment.metadata,
            added_at: attachment.added_at,
            added_by: attachment.added_by,
            testimony: linked_testimony(attachment.testimony),
        })
        .collect();
    attachments.sort_by_key(|attachment| attachment.added_at);
    let heads_of = |document: &ObjectId| -> Vec<String> {
        view.document_heads
            .iter()
            .find(|(id, _)| id == document)
            .map(|(_, heads)| heads.iter().map(hex::encode).collect())
            .unwrap_or_default()
    };
    let mut testimonies: Vec<TestimonyDto> = view
        .testimonies
        .iter()
        .cloned()
        .map(|(id, testimony)| TestimonyDto {
            heads: heads_of(&id),
            id: id_to_hex(&id),
            source_person: testimony.source_person,
            date: testimony.date,
            place: testimony.place,
            interviewer: testimony.interviewer,
            interpreter: testimony.interpreter,
            language: testimony.language,
            consent_given: testimony.consent.given,
            consent_scopes: testimony.consent.scopes,
            consent_conditions: testimony.consent.conditions,
            narrative: testimony.narrative.0,
            transcript: testimony.transcript.0,
        })
        .collect();
    testimonies.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
    let mut persons: Vec<PersonDto> = record
        .persons
        .into_iter()
        .map(|(id, person)| PersonDto {
            identity_recorded: person
                .identity
                .fields()
                .into_iter()
                .filter(|(_, value)| value.is_set())
                .map(|(field, _)| field.name())
                .collect(),
            identity_sealed: identity_sealed.get(&id).into_iter().flatten().map(|field| field.name()).collect(),
            id,
            pseudonym: person.pseudonym,
            roles: person.roles,
        })
        .collect();
    persons.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
    let mut events: Vec<EventDto> = record
        .events
        .into_iter()
        .map(|(id, event)| EventDto {
            id,
            title: event.title,
            description: event.description,
            date_start: event.date_start,
            date_end: event.date_end,
            date_certainty: event.date_certainty,
            place: event.place,
            acts: event
                .acts
                .into_iter()
                .map(|(id, act)| ActDto {
                    id,
                    act_type: act.act_type,
                    victim: act.victim,
                    agency: act.perpetrator.agency,
                    unit: act.perpetrator.unit,
                    facility: act.perpetrator.facility,
                    consequences: act.consequences,
                })
                .collect(),
        })
        .collect();
    events.sort_by(|a, b| a.date_start.cmp(&b.date_start).then(a.id.cmp(&b.id)));
    CaseDto {
        id: id_to_hex(&view.id),
        title: record.title,
        status: record.status,
        risk: record.risk,
        team: record.team,
        tags: record.tags,
        created_at: record.created_at,
        created_by: record.created_by,
        updated_at: view.updated_at,
        persons,
        testimonies,
        events,
        notes,
        attachments,
        conflicts: view.conflicts.len(),
    }
}

/// Opens a case for the editor.
#[tauri::command]
pub(crate) async fn open_case(state: DesktopState<'_>, case_id: String) -> CommandResult<CaseDto> {
    let case_id = id(&case_id)?;
    let desktop = state.inner().clone();
    blocking(move || desktop.with_session(|session| Ok(case_dto(session.open_case(&case_id)?)))).await
}

/// Sets a case field: `title`, `status`, `risk`, `team` or `tags` (comma-separated).
#[tauri::command]
pub(crate) async fn set_case_field(
    state: DesktopState<'_>,
    case_id: String,
    field: String,
    value: String,
) -> CommandResult<()> {
    let case_id = id(&case_id)?;
    let field = CaseField::parse(&field).map_err(|_| CommandError::invalid("unknown case field"))?;
    in_session(&state, move |session| session.set_case_field(&case_id, field, &value)).await
}

/// The identifying fields of a person, as typed by the worker. No `Debug`: it holds identity
/// values, which must never reach a log or a panic message.
#[derive(Default, Deserialize, Serialize, TS)]
#[ts(rename = "Identity")]
pub(crate) struct IdentityDto {
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    home_town: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    contact: String,
}

/// Adds a person; returns their id.
#[tauri::command]
pub(crate) async fn add_person(
    state: DesktopState<'_>,
    case_id: String,
    pseudonym: String,
    roles: Vec<String>,
    identity: IdentityDto,
) -> CommandResult<String> {
    let case_id = id(&case_id)?;
    let person = NewPerson {
        pseudonym,
        roles,
        identity: cairn_core::cases::Identity {
            real_name: Sensitive(identity.real_name),
            birth_date: Sensitive(identity.birth_date),
            home_town: Sensitive(identity.home_town),
            family: Sensitive(identity.family),
            contact: Sensitive(identity.contact),
        },
    };
    in_session(&state, move |session| Ok(id_to_hex(&session.add_person(&case_id, &person)?))).await
}

/// A person's identity fields as this device can show them. No `Debug`: it holds identity
/// values.
#[derive(Serialize, TS)]
#[ts(rename = "RevealedIdentity")]
pub(crate) struct RevealedIdentityDto {
    /// The fields this device opens (a field that is empty or sealed for HQ is empty here).
    identity: IdentityDto,
    /// Names of the recorded fields sealed for HQ: this device cannot open them.
    sealed: Vec<&'static str>,
}

/// Shows a person's identity fields (only when the worker asks: "Show identity"): the ones
/// this device opens; the ones sealed for HQ are only named (a field device never reads them).
#[tauri::command]
pub(crate) async fn reveal_identity(
    state: DesktopState<'_>,
    case_id: String,
    person_id: String,
) -> CommandResult<RevealedIdentityDto> {
    let (case_id, person_id) = (id(&case_id)?, id(&person_id)?);
    in_session(&state, move |session| {
        if session.case_of(&person_id)? != case_id {
            return Err(cairn_core::CoreError::NotFound("person"));
        }
        let revealed = session.reveal_identity(&person_id)?;
        let identity = &revealed.identity;
        Ok(RevealedIdentityDto {
            identity: IdentityDto {
                real_name: identity.real_name.expose().to_owned(),
                birth_date: identity.birth_date.expose().to_owned(),
                home_town: identity.home_town.expose().to_owned(),
                family: identity.family.expose().to_owned(),
                contact: identity.contact.expose().to_owned(),
            },
            sealed: revealed.sealed.iter().map(|field| field.name()).collect(),
        })
    })
    .await
}

/// A new testimony as the form sends it.
#[derive(Debug, Deserialize, TS)]
#[ts(rename = "NewTestimony")]
pub(crate) struct NewTestimonyDto {
    source_person: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    interviewer: String,
    #[serde(default)]
    interpreter: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    consent_given: bool,
    #[serde(default)]
    consent_scopes: Vec<String>,
    #[serde(default)]
    consent_conditions: String,
    #[serde(default)]
    narrative: String,
}

/// Adds a testimony; returns its id.
#[tauri::command]
pub(crate) async fn add_testimony(
    state: DesktopState<'_>,
    case_id: String,
    testimony: NewTestimonyDto,
) -> CommandResult<String> {
    let case_id = id(&case_id)?;
    let testimony = NewTestimony {
        source_person: testimony.source_person,
        date: testimony.date,
        place: testimony.place,
        interviewer: testimony.interviewer,
        interpreter: testimony.interpreter,
        language: testimony.language,
        consent_given: testimony.consent_given,
        consent_scopes: testimony.consent_scopes,
        consent_conditions: testimony.consent_conditions,
        narrative: testimony.narrative,
        transcript: String::new(),
    };
    in_session(&state, move |session| Ok(id_to_hex(&session.add_testimony(&case_id, &testimony)?))).await
}

/// The heads an editor sends back (hex), checked.
fn base_heads(base: &[String]) -> CommandResult<Vec<[u8; 32]>> {
    base.iter()
        .map(|head| {
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(head, &mut bytes).map_err(|_| CommandError::invalid("invalid document version"))?;
            Ok(bytes)
        })
        .collect()
}

/// Saves a testimony's narrative as edited on the version `base` (the heads the editor showed,
/// then those this command returned): a change that arrived from a peer meanwhile is merged,
/// never reverted. Returns the heads of the saved version, the editor's next base.
#[tauri::command]
pub(crate) async fn set_narrative(
    state: DesktopState<'_>,
    testimony_id: String,
    base: Vec<String>,
    text: String,
) -> CommandResult<Vec<String>> {
    let (testimony_id, base) = (id(&testimony_id)?, base_heads(&base)?);
    in_session(&state, move |session| {
        Ok(session.set_narrative_from(&testimony_id, &base, &text)?.iter().map(hex::encode).collect())
    })
    .await
}

/// Saves a testimony's transcript on the version `base` (like `set_narrative`).
#[tauri::command]
pub(crate) async fn set_transcript(
    state: DesktopState<'_>,
    testimony_id: String,
    base: Vec<String>,
    text: String,
) -> CommandResult<Vec<String>> {
    let (testimony_id, base) = (id(&testimony_id)?, base_heads(&base)?);
    in_session(&state, move |session| {
        Ok(session.set_transcript_from(&testimony_id, &base, &text)?.iter().map(hex::encode).collect())
    })
    .await
}

/// A new event as the form sends it.
#[derive(Debug, Deserialize, TS)]
#[ts(rename = "NewEvent")]
pub(crate) struct NewEventDto {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    date_start: String,
    #[serde(default)]
    date_end: String,
    #[serde(default)]
    certainty: String,
    #[serde(default)]
    place: String,
}

/// Adds an event; returns its id.
#[tauri::command]
pub(crate) async fn add_event(state: DesktopState<'_>, case_id: String, event: NewEventDto) -> CommandResult<String> {
    let case_id = id(&case_id)?;
    let event = NewEvent {
        title: event.title,
        description: event.description,
        date_start: event.date_start,
        date_end: event.date_end,
        certainty: event.certainty,
        place: event.place,
    };
    in_session(&state, move |session| Ok(id_to_hex(&session.add_event(&case_id, &event)?))).await
}

/// A new act as the form sends it.
#[derive(Debug, Deserialize, TS)]
#[ts(rename = "NewAct")]
pub(crate) struct NewActDto {
    act_type: String,
    #[serde(default)]
    victim: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    facility: String,
    #[serde(default)]
    consequences: String,
}

/// Adds an act to an event; returns its id.
#[tauri::command]
pub(crate) async fn add_act(state: DesktopState<'_>, event_id: String, act: NewActDto) -> CommandResult<String> {
    let event_id = id(&event_id)?;
    let act = NewAct {
        act_type: act.act_type,
        victim: act.victim,
        agency: act.agency,
        unit: act.unit,
        facility: act.facility,
        consequences: act.consequences,
    };
    in_session(&state, move |session| Ok(id_to_hex(&session.add_act(&event_id, &act)?))).await
}

/// Adds a note by this device's worker; returns its id.
#[tauri::command]
pub(crate) async fn add_note(state: DesktopState<'_>, case_id: String, text: String) -> CommandResult<String> {
    let case_id = id(&case_id)?;
    in_session(&state, move |session| Ok(id_to_hex(&session.add_note(&case_id, &text, None)?))).await
}

/// Changes to a person as the edit form sends them: a field left out (or `null`) stays as it
/// is; an empty identity field clears it. Not `Debug`: it may carry identity values.
#[derive(Deserialize, TS)]
#[ts(rename = "PersonEdit", optional_fields)]
pub(crate) struct PersonEditDto {
    #[serde(default)]
    pseudonym: Option<String>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    real_name: Option<String>,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    home_town: Option<String>,
    #[serde(default)]
    family: Option<String>,
    #[serde(default)]
    contact: Option<String>,
}

/// Edits a person: only the fields sent, and of those only the ones that change, are written.
#[tauri::command]
pub(crate) async fn edit_person(state: DesktopState<'_>, person_id: String, edit: PersonEditDto) -> CommandResult<()> {
    let person_id = id(&person_id)?;
    let edit = PersonEdit {
        pseudonym: edit.pseudonym,
        roles: edit.roles,
        real_name: edit.real_name.map(Sensitive),
        birth_date: edit.birth_date.map(Sensitive),
        home_town: edit.home_town.map(Sensitive),
        family: edit.family.map(Sensitive),
        contact: edit.contact.map(Sensitive),
    };
    in_session(&state, move |session| session.edit_person(&person_id, &edit)).await
}

/// Changes to an event (fields left out stay).
#[derive(Debug, Deserialize, TS)]
#[ts(rename = "EventEdit", optional_fields)]
pub(crate) struct EventEditDto {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    date_start: Option<String>,
    #[serde(default)]
    date_end: Option<String>,
    #[serde(default)]
    certainty: Option<String>,
    #[serde(default)]
    place: Option<String>,
}

/// Edits an event.
#[tauri::command]
pub(crate) async fn edit_event(state: DesktopState<'_>, event_id: String, edit: EventEditDto) -> CommandResult<()> {
    let event_id = id(&event_id)?;
    let edit = EventEdit {
        title: edit.title,
        description: edit.description,
        date_start: edit.date_start,
        date_end: edit.date_end,
        certainty: edit.certainty,
        place: edit.place,
    };
    in_session(&state, move |session| session.edit_event(&event_id, &edit)).await
}

/// Changes to an act (fields left out stay).
#[derive(Debug, Deserialize, TS)]
#[ts(rename = "ActEdit", optional_fields)]
pub(crate) struct ActEditDto {
    #[serde(default)]
    act_type: Option<String>,
    #[serde(default)]
    victim: Option<String>,
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    facility: Option<String>,
    #[serde(default)]
    consequences: Option<String>,
}

/// Edits an act.
#[tauri::command]
pub(crate) async fn edit_act(state: DesktopState<'_>, act_id: String, edit: ActEditDto) -> CommandResult<()> {
    let act_id = id(&act_id)?;
    let edit = ActEdit {
        act_type: edit.act_type,
        victim: edit.victim,
        agency: edit.agency,
        unit: edit.unit,
        facility: edit.facility,
        consequences: edit.consequences,
    };
    in_session(&state, move |session| session.edit_act(&act_id, &edit)).await
}

/// Changes to a testimony's metadata (fields left out stay; the narrative and transcript
/// are saved by `set_narrative` and `set_transcript`).
#[derive(Debug, Deserialize, TS)]
#[ts(rename = "TestimonyEdit", optional_fields)]
pub(crate) struct TestimonyEditDto {
    #[serde(default)]
    source_person: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    interviewer: Option<String>,
    #[serde(default)]
    interpreter: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    consent_given: Option<bool>,
    #[serde(default)]
    consent_scopes: Option<Vec<String>>,
    #[serde(default)]
    consent_conditions: Option<String>,
}

/// Edits a testimony's metadata.
#[tauri::command]
pub(crate) async fn edit_testimony(
    state: DesktopState<'_>,
    testimony_id: String,
    edit: TestimonyEditDto,
) -> CommandResult<()> {
    let testimony_id = id(&testimony_id)?;
    let edit = TestimonyEdit {
        source_person: edit.source_person,
        date: edit.date,
        place: edit.place,
        interviewer: edit.interviewer,
        interpreter: edit.interpreter,
        language: edit.language,
        consent_given: edit.consent_given,
        consent_scopes: edit.consent_scopes,
        consent_conditions: edit.consent_conditions,
    };
    in_session(&state, move |session| session.edit_testimony_metadata(&testimony_id, &edit)).await
}

/// Replaces a note's text.
#[tauri::command]
pub(crate) async fn edit_note(state: DesktopState<'_>, note_id: String, text: String) -> CommandResult<()> {
    let note_id = id(&note_id)?;
    in_session(&state, move |session| session.edit_note(&note_id, &text)).await
}

/// One value of a conflicting field.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "ConflictValue")]
pub(crate) struct ConflictValueDto {
    /// The value as text (empty when `sealed`).
    value: String,
    is_object: bool,
    by: String,
    at: i64,
    shown: bool,
    /// A sealed identity value this device cannot open: shown as "sealed for HQ".
    sealed: bool,
}

/// Which document of a case a conflict is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "DocumentKind")]
pub(crate) enum DocumentKindDto {
    /// The case document.
    Case,
    /// A testimony.
    Testimony,
}

impl From<DocumentKind> for DocumentKindDto {
    fn from(kind: DocumentKind) -> Self {
        match kind {
            // The receipts document has no conflicts to show (nothing derived, never edited by
            // a worker); it belongs with the case.
            DocumentKind::Case | DocumentKind::Receipts => DocumentKindDto::Case,
            DocumentKind::Testimony => DocumentKindDto::Testimony,
        }
    }
}

/// A field edited on two devices at once.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Conflict")]
pub(crate) struct ConflictDto {
    document_id: String,
    document_kind: DocumentKindDto,
    path: String,
    /// The case field name when the conflict is on one (`title`, `status`, …).
    case_field: Option<&'static str>,
    /// Whether the conflict is on a single text field, so it can also be merged by typing a
    /// value (`merge_conflict`).
    mergeable: bool,
    /// Whether a value is sealed for HQ: only HQ resolves the conflict (keep and merge are
    /// refused here with `identity_sealed`).
    sealed: bool,
    values: Vec<ConflictValueDto>,
}

/// The unresolved conflicts of a case.
#[tauri::command]
pub(crate) async fn case_conflicts(state: DesktopState<'_>, case_id: String) -> CommandResult<Vec<ConflictDto>> {
    let case_id = id(&case_id)?;
    in_session(&state, move |session| {
        Ok(session
            .conflicts(&case_id)?
            .into_iter()
            .map(|conflict| {
                let case_field = (conflict.document_kind == DocumentKind::Case)
                    .then(|| CaseField::parse(&conflict.conflict.path).ok().map(CaseField::name))
                    .flatten();
                let (mergeable, sealed) = (conflict.mergeable(), conflict.sealed());
                ConflictDto {
                    document_id: id_to_hex(&conflict.document_id),
                    document_kind: conflict.document_kind.into(),
                    path: conflict.conflict.path,
                    case_field,
                    mergeable,
                    sealed,
                    values: conflict
                        .conflict
                        .values
                        .into_iter()
                        .map(|value| ConflictValueDto {
                            sealed: value.sealed.is_some(),
                            value: value.value,
                            is_object: value.is_object,
                            by: value.by,
                            at: value.at,
                            shown: value.shown,
                        })
                        .collect(),
                }
            })
            .collect())
    })
    .await
}

/// Resolves a conflict by keeping one of its values.
#[tauri::command]
pub(crate) async fn resolve_conflict(
    state: DesktopState<'_>,
    case_id: String,
    document_id: String,
    path: String,
    choice: usize,
) -> CommandResult<()> {
    let (case_id, document_id) = (id(&case_id)?, id(&document_id)?);
    in_session(&state, move |session| session.resolve_conflict(&case_id, &document_id, &path, choice)).await
}

/// Settles a conflict on a text field with a value the worker typed.
#[tauri::command]
pub(crate) async fn merge_conflict(
    state: DesktopState<'_>,
    case_id: String,
    document_id: String,
    path: String,
    value: String,
) -> CommandResult<()> {
    let (case_id, document_id) = (id(&case_id)?, id(&document_id)?);
    in_session(&state, move |session| session.merge_conflict(&case_id, &document_id, &path, &value)).await
}

/// One term of a controlled vocabulary, in both languages.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Term")]
pub(crate) struct TermDto {
    code: String,
    en: String,
    ko: String,
}

/// A controlled vocabulary.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Vocabulary")]
pub(crate) struct VocabularyDto {
    kind: &'static str,
    terms: Vec<TermDto>,
}

/// Every controlled vocabulary (act types, agencies, roles, consent scopes, statuses, risks).
#[tauri::command]
pub(crate) async fn vocabularies() -> CommandResult<Vec<VocabularyDto>> {
    blocking(|| {
        let all = cairn_core::cases::vocabularies().map_err(|_| CommandError::internal())?;
        Ok(all
            .iter()
            .map(|vocabulary| VocabularyDto {
                kind: vocabulary.kind.name(),
                terms: vocabulary
                    .terms
                    .iter()
                    .map(|term| TermDto { code: term.code.clone(), en: term.en.clone(), ko: term.ko.clone() })
                    .collect(),
            })
            .collect())
    })
    .await
}

/// The name recorded with this device's edits and notes.
#[tauri::command]
pub(crate) async fn worker_name(state: DesktopState<'_>) -> CommandResult<String> {
    in_session(&state, move |session| session.worker_name()).await
}

/// Sets the worker name.
#[tauri::command]
pub(crate) async fn set_worker_name(state: DesktopState<'_>, name: String) -> CommandResult<()> {
    in_session(&state, move |session| session.set_worker_name(&name)).await
}

#[cfg(test)]
mod tests {
    use cairn_core::{
        cases::{Identity, NewPerson, Sensitive},
        testing::TestVault,
    };

    use super::*;

    /// What the page receives when it opens a case holds no identity value, only which fields
    /// are recorded: the values cross only through the separately granted `reveal_identity`.
    #[test]
    fn no_identity_value_crosses_to_the_page_when_a_case_is_opened() {
        let (_vault, mut session) = TestVault::create();
        let case = session.create_case("사건 identity probe").expect("case");
        let identity = Identity {
            real_name: Sensitive("REALNAME-DTO-5b1e".into()),
            home_town: Sensitive("HOMETOWN-DTO-77c0".into()),
            contact: Sensitive("CONTACT-DTO-a9d2".into()),
            ..Identity::default()
        };
        let person = session
            .add_person(&case, &NewPerson { pseudonym: "P-1".into(), identity, ..NewPerson::default() })
            .expect("person");
        let opened = serde_json::to_string(&case_dto(session.open_case(&case).expect("open"))).expect("json");
        for secret in ["REALNAME-DTO-5b1e", "HOMETOWN-DTO-77c0", "CONTACT-DTO-a9d2"] {
            assert!(!opened.contains(secret), "{secret} in the case the page receives");
        }
        assert!(opened.contains("P-1"), "the pseudonym is shown");
        // The control: the separately granted reveal does carry them (this vault opens them).
        let revealed = session.reveal_identity(&person).expect("reveal");
        assert_eq!(revealed.identity.real_name.expose(), "REALNAME-DTO-5b1e");
    }
}
