//! Edits of items that exist already (persons, events, acts, notes, testimony metadata), and
//! typed merges: a value the worker types to settle a conflicting text field.
//!
//! An edit is checked exactly like the add it mirrors; then only the fields whose value
//! changes are written, each as a direct write at its own key. Two devices that edit
//! *different* fields of one item therefore merge cleanly, and an edit never touches a field
//! it does not change. That matters beyond tidiness: Automerge takes any write to a field
//! that holds concurrent values, even of the value shown, as settling the conflict, so
//! rewriting untouched fields would silently drop the other values.
//!
//! A typed merge names its field by conflict path (`persons/<id>/pseudonym`,
//! `events/<id>/place`, `interviewer`, …). It is accepted only for the single text fields an
//! edit can change ([`CaseDoc::can_merge`], [`TestimonyDoc::can_merge`]): objects, lists,
//! identifiers (victim, source person) and anything unknown are refused with
//! [`ModelError::ConflictNotMergeable`]. The value is checked by the same rules as an edit and
//! always written, so the conflict is gone afterwards.
//!
//! Identity fields are sealed (see `identity.rs`): an edit gives their new text, which is
//! checked, then sealed by the caller's [`IdentitySealer`]; only sealed bytes are written.
//! Keep, clear and replace are the only edits, so a device that cannot open a sealed value
//! never needs to.

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile};

use crate::{
    CaseDoc, CaseField, CaseRecord, Document, IdentityField, IdentitySealer, IdentityValue, Millis, ModelError, ObjectId,
    Sensitive, TestimonyDoc, TestimonyRecord, VocabKind,
    case::{check_agency, check_dates, check_optional_date, check_roles, check_scopes},
    id_to_hex, parse_id, validate,
};

/// Changes to a person. `None` leaves a field as it is (keep); an empty identity field clears
/// it; any other value replaces it (sealed anew). `Debug` never shows identity values (they
/// are [`Sensitive`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonEdit {
    /// New pseudonym code (must stay unique in the case).
    pub pseudonym: Option<String>,
    /// New role codes (vocabulary `role`), replacing the old ones.
    pub roles: Option<Vec<String>>,
    /// Real name.
    pub real_name: Option<Sensitive>,
    /// Date of birth as told.
    pub birth_date: Option<Sensitive>,
    /// Home town.
    pub home_town: Option<Sensitive>,
    /// Family.
    pub family: Option<Sensitive>,
    /// How to reach the person.
    pub contact: Option<Sensitive>,
}

impl PersonEdit {
    /// The change of `field` (`None`: keep).
    pub fn identity_change(&self, field: IdentityField) -> Option<&Sensitive> {
        match field {
            IdentityField::RealName => self.real_name.as_ref(),
            IdentityField::BirthDate => self.birth_date.as_ref(),
            IdentityField::HomeTown => self.home_town.as_ref(),
            IdentityField::Family => self.family.as_ref(),
            IdentityField::Contact => self.contact.as_ref(),
        }
    }

    /// Whether the edit changes any identity field.
    pub fn changes_identity(&self) -> bool {
        IdentityField::ALL.into_iter().any(|field| self.identity_change(field).is_some())
    }

    /// The change of the identity field named `name` (as in [`crate::Identity::FIELDS`]).
    pub fn identity_field_mut(&mut self, name: &str) -> Option<&mut Option<Sensitive>> {
        match name {
            "real_name" => Some(&mut self.real_name),
            "birth_date" => Some(&mut self.birth_date),
            "home_town" => Some(&mut self.home_town),
            "family" => Some(&mut self.family),
            "contact" => Some(&mut self.contact),
            _ => None,
        }
    }
}

/// Changes to an event (the fields of [`crate::NewEvent`]). `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventEdit {
    /// Short title (required: cannot be emptied).
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Start date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or empty).
    pub date_start: Option<String>,
    /// End date for a period (or empty).
    pub date_end: Option<String>,
    /// `exact`, `approximate` or `uncertain` (empty means approximate).
    pub certainty: Option<String>,
    /// Coarse place.
    pub place: Option<String>,
}

/// Changes to an act (the fields of [`crate::NewAct`]). `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActEdit {
    /// Act type code (vocabulary `act_type`).
    pub act_type: Option<String>,
    /// Victim's person id (hex; must be a person of the case).
    pub victim: Option<String>,
    /// Perpetrator agency code (vocabulary `agency`; empty when unknown).
    pub agency: Option<String>,
    /// Perpetrator unit.
    pub unit: Option<String>,
    /// Facility.
    pub facility: Option<String>,
    /// Consequences.
    pub consequences: Option<String>,
}

/// Changes to a testimony's metadata (every field but the narrative and transcript, which
/// have their own collaborative setters). `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestimonyEdit {
    /// The person who gave it (person id in the case, hex).
    pub source_person: Option<String>,
    /// Interview date (or empty).
    pub date: Option<String>,
    /// Coarse place.
    pub place: Option<String>,
    /// Interviewer.
    pub interviewer: Option<String>,
    /// Interpreter (or empty).
    pub interpreter: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// Whether informed consent was given.
    pub consent_given: Option<bool>,
    /// Consent scope codes (vocabulary `consent_scope`), replacing the old ones.
    pub consent_scopes: Option<Vec<String>>,
    /// Consent conditions in the person's words.
    pub consent_conditions: Option<String>,
}

/// A value to write. Deliberately not `Debug`.
enum Put {
    Str(String),
    /// A sealed identity value.
    Bytes(Vec<u8>),
    Bool(bool),
    List(Vec<String>),
}

/// The writes an edit makes, by path from the document root.
struct Plan {
    base: Vec<String>,
    /// Write every checked field, changed or not (a typed merge must write to settle).
    force: bool,
    writes: Vec<(Vec<String>, Put)>,
}

impl Plan {
    fn new(base: &[&str], force: bool) -> Plan {
        Plan { base: base.iter().map(|segment| (*segment).to_owned()).collect(), force, writes: Vec::new() }
    }

    fn put(&mut self, path: &[&str], value: Put, unchanged: bool) {
        if self.force || !unchanged {
            let mut full = self.base.clone();
            full.extend(path.iter().map(|segment| (*segment).to_owned()));
            self.writes.push((full, value));
        }
    }

    fn text(&mut self, path: &[&str], value: String, current: &str) {
        let unchanged = value == current;
        self.put(path, Put::Str(value), unchanged);
    }
}

fn plan_person(
    record: &CaseRecord,
    id: &str,
    edit: &PersonEdit,
    sealer: &mut dyn IdentitySealer,
    force: bool,
) -> Result<Plan, ModelError> {
    let person = record.persons.get(id).ok_or(ModelError::UnknownPerson)?;
    let mut plan = Plan::new(&["persons", id], force);
    if let Some(pseudonym) = &edit.pseudonym {
        let pseudonym = validate::required_line("pseudonym", pseudonym)?;
        if record.persons.iter().any(|(other, existing)| other != id && existing.pseudonym == pseudonym) {
            return Err(ModelError::DuplicatePseudonym);
        }
        plan.text(&["pseudonym"], pseudonym, &person.pseudonym);
    }
    if let Some(roles) = &edit.roles {
        let roles = check_roles(roles)?;
        let unchanged = roles == person.roles;
        plan.put(&["roles"], Put::List(roles), unchanged);
    }
    let person_id = parse_id(id)?;
    for field in IdentityField::ALL {
        let Some(value) = edit.identity_change(field) else { continue };
        let value = field.check(value)?;
        let path = ["identity", field.name()];
        if value.is_set() {
            // Sealing is randomised, so an unchanged value is found only by a sealer that can
            // open the current one; any other replacement is written.
            if !force && sealer.holds(&person_id, field, person.identity.get(field), &value) {
                continue;
            }
            let sealed = sealer.seal(&person_id, field, &value)?;
            if sealed.is_empty() {
                return Err(ModelError::SealingFailed);
            }
            plan.put(&path, Put::Bytes(sealed), false);
        } else {
            let unchanged = !person.identity.get(field).is_set();
            plan.put(&path, Put::Str(String::new()), unchanged);
        }
    }
    Ok(plan)
}

fn plan_event(record: &CaseRecord, id: &str, edit: &EventEdit, force: bool) -> Result<Plan, ModelError> {
    let event = record.events.get(id).ok_or(ModelError::UnknownEvent)?;
    let mut plan = Plan::new(&["events", id], force);
    if let Some(title) = &edit.title {
        plan.text(&["title"], validate::required_line("event title", title)?, &event.title);
    }
    if let Some(description) = &edit.description {
        let description = validate::text("description", description, validate::MAX_TEXT_CHARS, false)?;
        plan.text(&["description"], description, &event.description);
    }
    if let Some(place) = &edit.place {
        plan.text(&["place"], validate::optional_line("place", place)?, &event.place);
    }
    if edit.date_start.is_some() || edit.date_end.is_some() || edit.certainty.is_some() {
        // The range is checked as it will be after the edit: a new start against the end
        // already recorded, and so on.
        let pick = |change: &Option<String>, current: &str| change.clone().unwrap_or_else(|| current.to_owned());
        let (start, end, certainty) = check_dates(
            &pick(&edit.date_start, &event.date_start),
            &pick(&edit.date_end, &event.date_end),
            &pick(&edit.certainty, &event.date_certainty),
        )?;
        if edit.date_start.is_some() {
            plan.text(&["date_start"], start, &event.date_start);
        }
        if edit.date_end.is_some() {
            plan.text(&["date_end"], end, &event.date_end);
        }
        if edit.certainty.is_some() {
            plan.text(&["date_certainty"], certainty, &event.date_certainty);
        }
    }
    Ok(plan)
}

fn plan_act(record: &CaseRecord, id: &str, edit: &ActEdit, force: bool) -> Result<Plan, ModelError> {
    let (event_id, act) = record
        .events
        .iter()
        .find_map(|(event_id, event)| event.acts.get(id).map(|act| (event_id, act)))
        .ok_or(ModelError::UnknownAct)?;
    let mut plan = Plan::new(&["events", event_id, "acts", id], force);
    if let Some(act_type) = &edit.act_type {
        plan.text(&["act_type"], validate::term(VocabKind::ActType, act_type)?, &act.act_type);
    }
    if let Some(victim) = &edit.victim {
        let victim = id_to_hex(&parse_id(victim)?);
        if !record.persons.contains_key(&victim) {
            return Err(ModelError::UnknownPerson);
        }
        plan.text(&["victim"], victim, &act.victim);
    }
    let perpetrator = &act.perpetrator;
    if let Some(agency) = &edit.agency {
        plan.text(&["perpetrator", "agency"], check_agency(agency)?, &perpetrator.agency);
    }
    if let Some(unit) = &edit.unit {
        plan.text(&["perpetrator", "unit"], validate::optional_line("unit", unit)?, &perpetrator.unit);
    }
    if let Some(facility) = &edit.facility {
        plan.text(&["perpetrator", "facility"], validate::optional_line("facility", facility)?, &perpetrator.facility);
    }
    if let Some(consequences) = &edit.consequences {
        let consequences = validate::text("consequences", consequences, validate::MAX_TEXT_CHARS, false)?;
        plan.text(&["consequences"], consequences, &act.consequences);
    }
    Ok(plan)
}

fn plan_note(record: &CaseRecord, id: &str, text: &str, force: bool) -> Result<Plan, ModelError> {
    let note = record.notes.get(id).ok_or(ModelError::UnknownNote)?;
    let mut plan = Plan::new(&["notes", id], force);
    plan.text(&["text"], validate::text("note", text, validate::MAX_TEXT_CHARS, true)?, &note.text);
    Ok(plan)
}

fn plan_case_field(record: &CaseRecord, field: CaseField, value: &str) -> Result<Plan, ModelError> {
    let (value, current) = match field {
        CaseField::Title => (validate::required_line("title", value)?, &record.title),
        CaseField::Status => (validate::term(VocabKind::CaseStatus, value)?, &record.status),
        CaseField::Risk => (validate::term(VocabKind::RiskLevel, value)?, &record.risk),
        CaseField::Team => (validate::optional_line("team", value)?, &record.team),
        // A list: settled by choosing, or by setting the tags anew.
        CaseField::Tags => return Err(ModelError::ConflictNotMergeable),
    };
    let mut plan = Plan::new(&[], true);
    plan.text(&[field.name()], value, current);
    Ok(plan)
}

fn plan_testimony(
    record: &TestimonyRecord,
    case: &CaseRecord,
    edit: &TestimonyEdit,
    force: bool,
) -> Result<Plan, ModelError> {
    let mut plan = Plan::new(&[], force);
    if let Some(person) = &edit.source_person {
        let person = id_to_hex(&parse_id(person)?);
        if !case.persons.contains_key(&person) {
            return Err(ModelError::UnknownPerson);
        }
        plan.text(&["source_person"], person, &record.source_person);
    }
    if let Some(date) = &edit.date {
        plan.text(&["date"], check_optional_date(date)?, &record.date);
    }
    if let Some(place) = &edit.place {
        plan.text(&["place"], validate::optional_line("place", place)?, &record.place);
    }
    if let Some(interviewer) = &edit.interviewer {
        plan.text(&["interviewer"], validate::optional_line("interviewer", interviewer)?, &record.interviewer);
    }
    if let Some(interpreter) = &edit.interpreter {
        plan.text(&["interpreter"], validate::optional_line("interpreter", interpreter)?, &record.interpreter);
    }
    if let Some(language) = &edit.language {
        plan.text(&["language"], validate::language(language)?, &record.language);
    }
    // No consent means no sharing scope: scopes given without consent are refused, and
    // withdrawing consent withdraws every scope (in the same change, so they travel together).
    let given = edit.consent_given.unwrap_or(record.consent.given);
    let scopes = match &edit.consent_scopes {
        Some(scopes) => Some(check_scopes(scopes)?),
        None if !given && !record.consent.scopes.is_empty() => Some(Vec::new()),
        None => None,
    };
    if !given && scopes.as_ref().is_some_and(|scopes| !scopes.is_empty()) {
        return Err(ModelError::ScopesWithoutConsent);
    }
    if let Some(given) = edit.consent_given {
        plan.put(&["consent", "given"], Put::Bool(given), given == record.consent.given);
    }
    if let Some(scopes) = scopes {
        let unchanged = scopes == record.consent.scopes;
        plan.put(&["consent", "scopes"], Put::List(scopes), unchanged);
    }
    if let Some(conditions) = &edit.consent_conditions {
        let conditions = validate::text("consent conditions", conditions, validate::MAX_TEXT_CHARS, false)?;
        plan.text(&["consent", "conditions"], conditions, &record.consent.conditions);
    }
    Ok(plan)
}

/// What a typed merge on the case document writes, found from the conflict path.
enum CaseTarget<'p> {
    Field(CaseField),
    Person(&'p str, PersonEdit),
    Event(&'p str, EventEdit),
    Act(&'p str, ActEdit),
    Note(&'p str),
}

/// The edit a typed merge of `value` at `path` amounts to, or `None` if the path is not a
/// single text field of the case document.
fn case_target<'p>(path: &'p str, value: &str) -> Option<CaseTarget<'p>> {
    let segments: Vec<&'p str> = path.split('/').collect();
    let text = Some(value.to_owned());
    Some(match segments.as_slice() {
        [field @ ("title" | "status" | "risk" | "team")] => CaseTarget::Field(CaseField::parse(field).ok()?),
        ["persons", id, "pseudonym"] => CaseTarget::Person(id, PersonEdit { pseudonym: text, ..PersonEdit::default() }),
        ["persons", id, "identity", field] => {
            let mut edit = PersonEdit::default();
            *edit.identity_field_mut(field)? = Some(Sensitive(value.to_owned()));
            CaseTarget::Person(id, edit)
        }
        ["events", id, field] => {
            let mut edit = EventEdit::default();
            *match *field {
                "title" => &mut edit.title,
                "description" => &mut edit.description,
                "place" => &mut edit.place,
                "date_start" => &mut edit.date_start,
                "date_end" => &mut edit.date_end,
                "date_certainty" => &mut edit.certainty,
                _ => return None,
            } = text;
            CaseTarget::Event(id, edit)
        }
        ["events", _, "acts", id, field @ ("act_type" | "consequences")] => CaseTarget::Act(
            id,
            if *field == "act_type" {
                ActEdit { act_type: text, ..ActEdit::default() }
            } else {
                ActEdit { consequences: text, ..ActEdit::default() }
            },
        ),
        ["events", _, "acts", id, "perpetrator", field] => {
            let mut edit = ActEdit::default();
            *match *field {
                "agency" => &mut edit.agency,
                "unit" => &mut edit.unit,
                "facility" => &mut edit.facility,
                _ => return None,
            } = text;
            CaseTarget::Act(id, edit)
        }
        ["notes", id, "text"] => CaseTarget::Note(id),
        _ => return None,
    })
}

/// The edit a typed merge at `path` of a testimony document amounts to, if the path is one
/// of its single text fields. The source person is an identifier: chosen, never typed.
fn testimony_target(path: &str, value: &str) -> Option<TestimonyEdit> {
    let mut edit = TestimonyEdit::default();
    *match path {
        "date" => &mut edit.date,
        "place" => &mut edit.place,
        "interviewer" => &mut edit.interviewer,
        "interpreter" => &mut edit.interpreter,
        "language" => &mut edit.language,
        "consent/conditions" => &mut edit.consent_conditions,
        _ => return None,
    } = Some(value.to_owned());
    Some(edit)
}

impl<R: Hydrate + Reconcile> Document<R> {
    /// Makes `writes` as one change at `now` (none if there is nothing to write). If a write
    /// fails, nothing is changed.
    fn apply(&mut self, plan: Plan, now: Millis) -> Result<(), ModelError> {
        for (path, value) in plan.writes {
            if let Err(error) = self.put_at(&path, value) {
                self.doc.rollback();
                return Err(error);
            }
        }
        self.commit(now);
        Ok(())
    }

    fn put_at(&mut self, path: &[String], value: Put) -> Result<(), ModelError> {
        let (last, parents) = path.split_last().ok_or(ModelError::DocumentShape)?;
        let obj = self.object_at(parents)?;
        match value {
            Put::Str(text) => self.doc.put(&obj, last.as_str(), text)?,
            Put::Bytes(bytes) => self.doc.put(&obj, last.as_str(), ScalarValue::Bytes(bytes))?,
            Put::Bool(flag) => self.doc.put(&obj, last.as_str(), flag)?,
            // Reconciled as a list, so an unchanged element is not rewritten.
            Put::List(items) => autosurgeon::reconcile_prop(&mut self.doc, &obj, last.as_str(), items)?,
        }
        Ok(())
    }

    /// The map at `path` from the root.
    fn object_at<S: AsRef<str>>(&mut self, path: &[S]) -> Result<ObjId, ModelError> {
        let mut obj = ROOT;
        for segment in path {
            let segment = segment.as_ref();
            obj = match self.child(&obj, segment) {
                Some(child) => child,
                // A document written by another version may lack a nested object (its record
                // hydrates it as empty): create it rather than refuse the edit.
                None if self.doc.get(&obj, segment)?.is_none() => self.doc.put_object(&obj, segment, ObjType::Map)?,
                None => return Err(ModelError::DocumentShape),
            };
        }
        Ok(obj)
    }

    /// Writes `value` at `path` (keys from the root) as one change at `now`, touching nothing
    /// else in the document: adds and collaborative-text saves use this instead of
    /// reconciling the whole root, which would settle every unrelated conflict (see the
    /// module docs).
    pub(crate) fn write_at<V: Reconcile>(&mut self, path: &[&str], value: V, now: Millis) -> Result<(), ModelError> {
        let (last, parents) = path.split_last().ok_or(ModelError::DocumentShape)?;
        let written =
            self.object_at(parents).and_then(|obj| Ok(autosurgeon::reconcile_prop(&mut self.doc, &obj, *last, value)?));
        if let Err(error) = written {
            self.doc.rollback();
            return Err(error);
        }
        self.commit(now);
        Ok(())
    }

    /// Deletes the key at `path` as one change at `now`.
    pub(crate) fn delete_at(&mut self, path: &[&str], now: Millis) -> Result<(), ModelError> {
        let (last, parents) = path.split_last().ok_or(ModelError::DocumentShape)?;
        let deleted = self.object_at(parents).and_then(|obj| Ok(self.doc.delete(&obj, *last)?));
        if let Err(error) = deleted {
            self.doc.rollback();
            return Err(error);
        }
        self.commit(now);
        Ok(())
    }

    /// Checks that a typed merge at `path` writes exactly that field, then writes it.
    fn apply_merge(&mut self, path: &str, plan: Plan, now: Millis) -> Result<(), ModelError> {
        let exact = matches!(plan.writes.as_slice(), [(written, Put::Str(_) | Put::Bytes(_))] if written.join("/") == path);
        if !exact {
            // The path named an act under another event, or similar: not this field.
            return Err(ModelError::NoSuchConflict);
        }
        self.apply(plan, now)
    }
}

impl CaseDoc {
    /// Edits person `id`: only the fields given, and of those only the ones that change, are
    /// written. Checked like [`CaseDoc::add_person`] (pseudonym unique, roles in the
    /// vocabulary, identity fields single lines except family); a new identity value is
    /// sealed by `sealer`.
    pub fn edit_person(
        &mut self,
        id: &ObjectId,
        edit: &PersonEdit,
        sealer: &mut dyn IdentitySealer,
        now: Millis,
    ) -> Result<(), ModelError> {
        let plan = plan_person(&self.record()?, &id_to_hex(id), edit, sealer, false)?;
        self.apply(plan, now)
    }

    /// Reseals identity values in place, as one change: for every person and identity field
    /// that does not hold concurrent values, `reseal` gets the person, the field and its value
    /// and returns the new sealed bytes to write, or `None` to leave it. A field in conflict is
    /// left alone (writing it would settle the conflict). Returns how many values were
    /// rewritten.
    pub fn reseal_identity(
        &mut self,
        mut reseal: impl FnMut(&ObjectId, IdentityField, &IdentityValue) -> Result<Option<Vec<u8>>, ModelError>,
        now: Millis,
    ) -> Result<usize, ModelError> {
        let record = self.record()?;
        let mut plan = Plan::new(&["persons"], false);
        for (key, person) in &record.persons {
            let Ok(person_id) = parse_id(key) else { continue };
            for (field, value) in person.identity.fields() {
                if self.conflicted(&format!("persons/{key}/identity/{}", field.name())).is_ok() {
                    continue;
                }
                if let Some(sealed) = reseal(&person_id, field, value)? {
                    if sealed.is_empty() {
                        return Err(ModelError::SealingFailed);
                    }
                    plan.put(&[key.as_str(), "identity", field.name()], Put::Bytes(sealed), false);
                }
            }
        }
        let count = plan.writes.len();
        if count > 0 {
            self.apply(plan, now)?;
        }
        Ok(count)
    }

    /// Edits event `id` (checked like [`CaseDoc::add_event`]; a date is checked against the
    /// other end of the range as it will be).
    pub fn edit_event(&mut self, id: &ObjectId, edit: &EventEdit, now: Millis) -> Result<(), ModelError> {
        let plan = plan_event(&self.record()?, &id_to_hex(id), edit, false)?;
        self.apply(plan, now)
    }

    /// Edits act `id`, in whichever event holds it (checked like [`CaseDoc::add_act`]).
    pub fn edit_act(&mut self, id: &ObjectId, edit: &ActEdit, now: Millis) -> Result<(), ModelError> {
        let plan = plan_act(&self.record()?, &id_to_hex(id), edit, false)?;
        self.apply(plan, now)
    }

    /// Replaces the text of note `id` (its author and time stay as they were).
    pub fn edit_note(&mut self, id: &ObjectId, text: &str, now: Millis) -> Result<(), ModelError> {
        let plan = plan_note(&self.record()?, &id_to_hex(id), text, false)?;
        self.apply(plan, now)
    }

    /// Whether a conflict at `path` can be settled by typing a value ([`CaseDoc::merge_conflict`]).
    pub fn can_merge(path: &str) -> bool {
        case_target(path, "").is_some()
    }

    /// Settles the conflict at `path` with a typed `value`, written as a new edit that
    /// supersedes every concurrent value. Only single text fields can be merged (see the
    /// module docs); the value is checked as an edit of that field would be, and sealed by
    /// `sealer` when the field is an identity field.
    pub fn merge_conflict(
        &mut self,
        path: &str,
        value: &str,
        sealer: &mut dyn IdentitySealer,
        now: Millis,
    ) -> Result<(), ModelError> {
        let target = case_target(path, value).ok_or(ModelError::ConflictNotMergeable)?;
        self.conflicted(path)?;
        let record = self.record()?;
        let plan = match target {
            CaseTarget::Field(field) => plan_case_field(&record, field, value)?,
            CaseTarget::Person(id, edit) => plan_person(&record, id, &edit, sealer, true)?,
            CaseTarget::Event(id, edit) => plan_event(&record, id, &edit, true)?,
            CaseTarget::Act(id, edit) => plan_act(&record, id, &edit, true)?,
            CaseTarget::Note(id) => plan_note(&record, id, value, true)?,
        };
        self.apply_merge(path, plan, now)
    }
}

impl TestimonyDoc {
    /// Edits the testimony's metadata (checked like [`TestimonyDoc::new_testimony`]; the
    /// source person must be one of `case`'s persons). Only changed fields are written.
    pub fn edit_metadata(&mut self, case: &CaseRecord, edit: &TestimonyEdit, now: Millis) -> Result<(), ModelError> {
        let plan = plan_testimony(&self.record()?, case, edit, false)?;
        self.apply(plan, now)
    }

    /// Whether a conflict at `path` can be settled by typing a value.
    pub fn can_merge(path: &str) -> bool {
        testimony_target(path, "").is_some()
    }

    /// Settles the conflict at `path` with a typed `value` (see [`CaseDoc::merge_conflict`]).
    pub fn merge_conflict(&mut self, path: &str, value: &str, now: Millis) -> Result<(), ModelError> {
        let edit = testimony_target(path, value).ok_or(ModelError::ConflictNotMergeable)?;
        self.conflicted(path)?;
        // No source person in a merge edit, so the case's persons are not consulted.
        let plan = plan_testimony(&self.record()?, &CaseRecord::default(), &edit, true)?;
        self.apply_merge(path, plan, now)
    }
}
