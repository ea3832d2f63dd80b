//! Edits of a case: the case document and testimony documents, each edit validated first.
//! Every add writes only its new item (see `edit.rs` for why nothing else may be rewritten).

use crate::{
    Act, ApproxDate, AttachmentRef, CaseRecord, Certainty, CollabText, Consent, Document, Event, Identity, IdentitySealer,
    Millis, ModelError, Note, ObjectId, ObjectKind, Perpetrator, Person, SCHEMA_VERSION, TestimonyRecord, TestimonyRef,
    VocabKind, check_identity, check_range, id_to_hex, identity::seal_identity, parse_id, validate,
};

/// A case document (document id = case id).
pub type CaseDoc = Document<CaseRecord>;
/// A testimony document (document id = testimony id).
pub type TestimonyDoc = Document<TestimonyRecord>;

/// The status of a new case.
pub const INITIAL_STATUS: &str = "draft";
/// The risk level of a new case: people hiding in China are at risk by default.
pub const INITIAL_RISK: &str = "high";

/// A case field that `set` can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseField {
    /// The title.
    Title,
    /// The status (vocabulary `case_status`).
    Status,
    /// The risk level (vocabulary `risk_level`).
    Risk,
    /// The assigned team.
    Team,
    /// The tags (comma-separated when set from text).
    Tags,
}

impl CaseField {
    /// Every settable field.
    pub const ALL: [CaseField; 5] = [CaseField::Title, CaseField::Status, CaseField::Risk, CaseField::Team, CaseField::Tags];

    /// Parses a field name (`title`, `status`, `risk`, `team`, `tags`).
    pub fn parse(name: &str) -> Result<CaseField, ModelError> {
        CaseField::ALL.into_iter().find(|field| field.name() == name.trim()).ok_or(ModelError::UnknownField)
    }

    /// The field's name.
    pub fn name(self) -> &'static str {
        match self {
            CaseField::Title => "title",
            CaseField::Status => "status",
            CaseField::Risk => "risk",
            CaseField::Team => "team",
            CaseField::Tags => "tags",
        }
    }
}

/// A new person.
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    /// Pseudonym code.
    pub pseudonym: String,
    /// Role codes.
    pub roles: Vec<String>,
    /// Identifying fields as typed (sensitive; may be empty): sealed before they are written.
    pub identity: Identity,
}

/// A new event.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// Short title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Start date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or empty).
    pub date_start: String,
    /// End date for a period (or empty).
    pub date_end: String,
    /// `exact`, `approximate` or `uncertain` (empty means approximate).
    pub certainty: String,
    /// Coarse place.
    pub place: String,
}

/// A new act.
#[derive(Debug, Clone, Default)]
pub struct NewAct {
    /// Act type code.
    pub act_type: String,
    /// Victim's person id (hex).
    pub victim: String,
    /// Perpetrator agency code (or empty).
    pub agency: String,
    /// Perpetrator unit.
    pub unit: String,
    /// Facility.
    pub facility: String,
    /// Consequences.
    pub consequences: String,
}

/// A new testimony.
#[derive(Debug, Clone, Default)]
pub struct NewTestimony {
    /// The person who gave it (person id in the case, hex).
    pub source_person: String,
    /// Interview date (or empty).
    pub date: String,
    /// Coarse place.
    pub place: String,
    /// Interviewer.
    pub interviewer: String,
    /// Interpreter (or empty).
    pub interpreter: String,
    /// Language tag.
    pub language: String,
    /// Whether informed consent was given.
    pub consent_given: bool,
    /// Consent scope codes.
    pub consent_scopes: Vec<String>,
    /// Consent conditions in the person's words.
    pub consent_conditions: String,
    /// The narrative.
    pub narrative: String,
    /// The transcript.
    pub transcript: String,
}

/// Counts shown in case lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaseCounts {
    /// Persons.
    pub persons: u32,
    /// Testimonies.
    pub testimonies: u32,
    /// Events.
    pub events: u32,
    /// Acts over all events.
    pub acts: u32,
    /// Notes.
    pub notes: u32,
    /// Attachments.
    pub attachments: u32,
}

impl CaseRecord {
    /// Counts of the case's parts.
    pub fn counts(&self) -> CaseCounts {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        CaseCounts {
            persons: count(self.persons.len()),
            testimonies: count(self.testimonies.len()),
            events: count(self.events.len()),
            acts: count(self.events.values().map(|event| event.acts.len()).sum()),
            notes: count(self.notes.len()),
            attachments: count(self.attachments.len()),
        }
    }

    /// Every object the case holds, with its kind: persons, testimonies, events, the acts of
    /// every event, notes and attachments. Keys that are not ids (a damaged or hostile
    /// document) are skipped: they cannot be looked up by id anyway.
    pub fn objects(&self) -> Vec<(ObjectId, ObjectKind)> {
        let mut objects = Vec::new();
        let mut add = |key: &String, kind: ObjectKind| {
            if let Ok(id) = parse_id(key) {
                objects.push((id, kind));
            }
        };
        self.persons.keys().for_each(|key| add(key, ObjectKind::Person));
        self.testimonies.keys().for_each(|key| add(key, ObjectKind::Testimony));
        for (key, event) in &self.events {
            add(key, ObjectKind::Event);
            event.acts.keys().for_each(|key| add(key, ObjectKind::Act));
        }
        self.notes.keys().for_each(|key| add(key, ObjectKind::Note));
        self.attachments.keys().for_each(|key| add(key, ObjectKind::Attachment));
        objects
    }

    /// Tags without duplicates (two devices may add the same tag concurrently).
    pub fn distinct_tags(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for tag in &self.tags {
            if !seen.contains(tag) {
                seen.push(tag.clone());
            }
        }
        seen
    }

    /// The person with this id.
    pub fn person(&self, id: &ObjectId) -> Option<&Person> {
        self.persons.get(&id_to_hex(id))
    }
}

fn check_tags(value: &str) -> Result<Vec<String>, ModelError> {
    let mut tags = Vec::new();
    for tag in value.split(',') {
        let tag = validate::optional_line("tag", tag)?;
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

pub(crate) fn check_dates(start: &str, end: &str, certainty: &str) -> Result<(String, String, String), ModelError> {
    let parse = |text: &str| -> Result<Option<ApproxDate>, ModelError> {
        if text.trim().is_empty() { Ok(None) } else { ApproxDate::parse(text).map(Some) }
    };
    let (start, end) = (parse(start)?, parse(end)?);
    check_range(start.as_ref(), end.as_ref())?;
    let certainty = if certainty.trim().is_empty() { Certainty::Approximate } else { Certainty::parse(certainty)? };
    let show = |date: Option<ApproxDate>| date.map(|d| d.to_string()).unwrap_or_default();
    Ok((show(start), show(end), certainty.name().to_owned()))
}

/// Role codes, checked against the vocabulary, without duplicates (in the order given).
pub(crate) fn check_roles(roles: &[String]) -> Result<Vec<String>, ModelError> {
    check_codes(VocabKind::Role, roles)
}

/// Consent scope codes, checked and without duplicates.
pub(crate) fn check_scopes(scopes: &[String]) -> Result<Vec<String>, ModelError> {
    check_codes(VocabKind::ConsentScope, scopes)
}

fn check_codes(kind: VocabKind, codes: &[String]) -> Result<Vec<String>, ModelError> {
    let mut checked = Vec::new();
    for code in codes {
        let code = validate::term(kind, code)?;
        if !checked.contains(&code) {
            checked.push(code);
        }
    }
    Ok(checked)
}

/// An agency code, or empty when the agency is unknown.
pub(crate) fn check_agency(value: &str) -> Result<String, ModelError> {
    if value.trim().is_empty() { Ok(String::new()) } else { validate::term(VocabKind::Agency, value) }
}

/// An interview date: empty, or an approximate date in its normal form.
pub(crate) fn check_optional_date(value: &str) -> Result<String, ModelError> {
    if value.trim().is_empty() { Ok(String::new()) } else { Ok(ApproxDate::parse(value)?.to_string()) }
}

impl Document<CaseRecord> {
    /// A new case titled `title`, created by `author` at `now`.
    pub fn new_case(title: &str, author: &str, now: Millis) -> Result<CaseDoc, ModelError> {
        let record = CaseRecord {
            schema: SCHEMA_VERSION,
            title: validate::required_line("title", title)?,
            status: INITIAL_STATUS.to_owned(),
            risk: INITIAL_RISK.to_owned(),
            created_at: now,
            created_by: validate::optional_line("worker", author)?,
            ..CaseRecord::default()
        };
        Document::create(&record, author, now)
    }

    /// Sets a case field from text (tags: comma-separated). Writing directly resolves a
    /// conflict on that field.
    pub fn set_field(&mut self, field: CaseField, value: &str, now: Millis) -> Result<(), ModelError> {
        match field {
            CaseField::Title => self.put_root_str("title", &validate::required_line("title", value)?, now),
            CaseField::Status => self.put_root_str("status", &validate::term(VocabKind::CaseStatus, value)?, now),
            CaseField::Risk => self.put_root_str("risk", &validate::term(VocabKind::RiskLevel, value)?, now),
            CaseField::Team => self.put_root_str("team", &validate::optional_line("team", value)?, now),
            CaseField::Tags => {
                let tags = check_tags(value)?;
                self.write_at(&["tags"], tags, now)
            }
        }
    }

    /// Adds a person with id `id`. The identity fields are checked as text, then sealed by
    /// `sealer`; only the sealed bytes are written.
    pub fn add_person(
        &mut self,
        id: &ObjectId,
        person: &NewPerson,
        sealer: &mut dyn IdentitySealer,
        now: Millis,
    ) -> Result<(), ModelError> {
        let pseudonym = validate::required_line("pseudonym", &person.pseudonym)?;
        let roles = check_roles(&person.roles)?;
        let identity = check_identity(&person.identity)?;
        if self.record()?.persons.values().any(|existing| existing.pseudonym == pseudonym) {
            return Err(ModelError::DuplicatePseudonym);
        }
        let identity = seal_identity(id, &identity, sealer)?;
        self.write_at(&["persons", &id_to_hex(id)], Person { pseudonym, roles, identity }, now)
    }

    /// Records that testimony `id` (its own document) belongs to this case.
    pub fn add_testimony_ref(&mut self, id: &ObjectId, now: Millis) -> Result<(), ModelError> {
        self.write_at(&["testimonies", &id_to_hex(id)], TestimonyRef { added_at: now }, now)
    }

    /// Adds an event with id `id`.
    pub fn add_event(&mut self, id: &ObjectId, event: &NewEvent, now: Millis) -> Result<(), ModelError> {
        let title = validate::required_line("event title", &event.title)?;
        let description = validate::text("description", &event.description, validate::MAX_TEXT_CHARS, false)?;
        let place = validate::optional_line("place", &event.place)?;
        let (date_start, date_end, date_certainty) = check_dates(&event.date_start, &event.date_end, &event.certainty)?;
        let event = Event { title, description, date_start, date_end, date_certainty, place, ..Event::default() };
        self.write_at(&["events", &id_to_hex(id)], event, now)
    }

    /// Adds act `id` to event `event_id`.
    pub fn add_act(&mut self, event_id: &ObjectId, id: &ObjectId, act: &NewAct, now: Millis) -> Result<(), ModelError> {
        let act_type = validate::term(VocabKind::ActType, &act.act_type)?;
        let victim = id_to_hex(&parse_id(&act.victim)?);
        let agency = check_agency(&act.agency)?;
        let unit = validate::optional_line("unit", &act.unit)?;
        let facility = validate::optional_line("facility", &act.facility)?;
        let consequences = validate::text("consequences", &act.consequences, validate::MAX_TEXT_CHARS, false)?;
        let record = self.record()?;
        if !record.persons.contains_key(&victim) {
            return Err(ModelError::UnknownPerson);
        }
        let event_id = id_to_hex(event_id);
        if !record.events.contains_key(&event_id) {
            return Err(ModelError::UnknownEvent);
        }
        let perpetrator = Perpetrator { agency, unit, facility, person: String::new() };
        let act = Act { act_type, victim, perpetrator, consequences };
        self.write_at(&["events", &event_id, "acts", &id_to_hex(id)], act, now)
    }

    /// Adds a note with id `id`, written by `by` at `now`.
    pub fn add_note(&mut self, id: &ObjectId, text: &str, by: &str, now: Millis) -> Result<(), ModelError> {
        let text = validate::text("note", text, validate::MAX_TEXT_CHARS, true)?;
        let by = validate::required_line("worker", by)?;
        self.write_at(&["notes", &id_to_hex(id)], Note { at: now, by, text }, now)
    }

    /// Adds an attachment reference with id `id`.
    pub fn add_attachment(&mut self, id: &ObjectId, attachment: AttachmentRef, now: Millis) -> Result<(), ModelError> {
        let file_name = validate::optional_line("file name", &attachment.file_name)?;
        self.write_at(&["attachments", &id_to_hex(id)], AttachmentRef { file_name, ..attachment }, now)
    }

    /// Removes an attachment reference (the caller deletes the blob).
    pub fn remove_attachment(&mut self, id: &ObjectId, now: Millis) -> Result<AttachmentRef, ModelError> {
        let key = id_to_hex(id);
        let removed = self.record()?.attachments.remove(&key).ok_or(ModelError::UnknownAttachment)?;
        self.delete_at(&["attachments", &key], now)?;
        Ok(removed)
    }
}

impl Document<TestimonyRecord> {
    /// A new testimony document of case `case_id`, checked against the case (the source
    /// person must be one of its persons).
    pub fn new_testimony(
        case_id: &ObjectId,
        case: &CaseRecord,
        testimony: &NewTestimony,
        author: &str,
        now: Millis,
    ) -> Result<TestimonyDoc, ModelError> {
        let source_person = id_to_hex(&parse_id(&testimony.source_person)?);
        if !case.persons.contains_key(&source_person) {
            return Err(ModelError::UnknownPerson);
        }
        let date = check_optional_date(&testimony.date)?;
        let scopes = check_scopes(&testimony.consent_scopes)?;
        if !testimony.consent_given && !scopes.is_empty() {
            return Err(ModelError::ScopesWithoutConsent);
        }
        let record = TestimonyRecord {
            schema: SCHEMA_VERSION,
            case_id: id_to_hex(case_id),
            source_person,
            date,
            place: validate::optional_line("place", &testimony.place)?,
            interviewer: validate::optional_line("interviewer", &testimony.interviewer)?,
            interpreter: validate::optional_line("interpreter", &testimony.interpreter)?,
            language: validate::language(&testimony.language)?,
            consent: Consent {
                given: testimony.consent_given,
                scopes,
                conditions: validate::text(
                    "consent conditions",
                    &testimony.consent_conditions,
                    validate::MAX_TEXT_CHARS,
                    false,
                )?,
            },
            narrative: CollabText(validate::text("narrative", &testimony.narrative, validate::MAX_NARRATIVE_CHARS, false)?),
            transcript: CollabText(validate::text(
                "transcript",
                &testimony.transcript,
                validate::MAX_NARRATIVE_CHARS,
                false,
            )?),
            audio: Vec::new(),
        };
        Document::create(&record, author, now)
    }

    /// Replaces the narrative with `text`. Only the difference is recorded, so a concurrent
    /// edit of another part of the narrative on another device survives the merge.
    pub fn set_narrative(&mut self, text: &str, now: Millis) -> Result<(), ModelError> {
        let text = validate::text("narrative", text, validate::MAX_NARRATIVE_CHARS, false)?;
        self.write_at(&["narrative"], CollabText(text), now)
    }

    /// Replaces the transcript with `text` (recorded as a difference, like the narrative).
    pub fn set_transcript(&mut self, text: &str, now: Millis) -> Result<(), ModelError> {
        let text = validate::text("transcript", text, validate::MAX_NARRATIVE_CHARS, false)?;
        self.write_at(&["transcript"], CollabText(text), now)
    }
}
