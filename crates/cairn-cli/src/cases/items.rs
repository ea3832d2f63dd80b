//! Persons, testimonies, events, acts and notes: the items inside a case, added under
//! their case (an act under its event) and edited by their own id.
//!
//! An edit names only the fields it changes; the others are left alone, so a field in
//! conflict is never settled by an unrelated edit.

use cairn_core::cases::{
    ActEdit, EventEdit, Identity, NewAct, NewEvent, NewPerson, NewTestimony, ObjectId, PersonEdit, Sensitive, TestimonyEdit,
    id_to_hex,
};

use super::{
    args::{ActSub, EventSub, NoteSub, PersonSub, TestimonySub},
    input::{id_arg, read_text, require_changes},
    render, session,
};
use crate::{Cli, output};

/// Prints an added item: its id alone as text, `{"id","case_id"}` as JSON.
fn print_created(json: bool, id: &ObjectId, case_id: &ObjectId, what: &str) -> anyhow::Result<()> {
    output::result(json, &render::item(id, case_id), || format!("{what} {}", id_to_hex(id)))
}

/// Prints an edited item: "… saved" as text, `{"id","case_id"}` as JSON.
fn print_saved(json: bool, id: &ObjectId, case_id: &ObjectId, what: &str) -> anyhow::Result<()> {
    output::result(json, &render::item(id, case_id), || format!("{what} {} saved", id_to_hex(id)))
}

/// `person add` and `person edit`.
pub(super) fn run_person(cli: &Cli, command: &PersonSub) -> anyhow::Result<()> {
    match command {
        PersonSub::Add { case, pseudonym, roles, identity, json } => {
            let case_id = id_arg(case)?;
            let sensitive = |value: &Option<String>| Sensitive(value.clone().unwrap_or_default());
            let person = NewPerson {
                pseudonym: pseudonym.clone(),
                roles: roles.clone(),
                identity: Identity {
                    real_name: sensitive(&identity.real_name),
                    birth_date: sensitive(&identity.birth_date),
                    home_town: sensitive(&identity.home_town),
                    family: sensitive(&identity.family),
                    contact: sensitive(&identity.contact),
                },
            };
            let mut session = session(cli)?;
            let id = session.add_person(&case_id, &person)?;
            session.lock();
            print_created(*json, &id, &case_id, "person")
        }
        PersonSub::Edit { id, pseudonym, roles, no_roles, identity, json } => {
            let person_id = id_arg(id)?;
            let sensitive = |value: &Option<String>| value.clone().map(Sensitive);
            let edit = PersonEdit {
                pseudonym: pseudonym.clone(),
                roles: if *no_roles { Some(Vec::new()) } else { Some(roles.clone()).filter(|roles| !roles.is_empty()) },
                real_name: sensitive(&identity.real_name),
                birth_date: sensitive(&identity.birth_date),
                home_town: sensitive(&identity.home_town),
                family: sensitive(&identity.family),
                contact: sensitive(&identity.contact),
            };
            require_changes(edit != PersonEdit::default())?;
            let mut session = session(cli)?;
            session.edit_person(&person_id, &edit)?;
            let case_id = session.case_of(&person_id)?;
            session.lock();
            print_saved(*json, &person_id, &case_id, "person")
        }
    }
}

/// `testimony add` and `testimony edit` (metadata, narrative, transcript).
pub(super) fn run_testimony(cli: &Cli, command: &TestimonySub) -> anyhow::Result<()> {
    match command {
        TestimonySub::Add {
            case,
            person,
            narrative_file,
            transcript_file,
            language,
            date,
            place,
            interviewer,
            interpreter,
            consent,
            no_consent,
            consent_conditions,
            json,
        } => {
            let case_id = id_arg(case)?;
            id_arg(person)?;
            let testimony = NewTestimony {
                source_person: person.clone(),
                date: date.clone().unwrap_or_default(),
                place: place.clone().unwrap_or_default(),
                interviewer: interviewer.clone().unwrap_or_default(),
                interpreter: interpreter.clone().unwrap_or_default(),
                language: language.clone(),
                consent_given: !no_consent && !consent.is_empty(),
                consent_scopes: consent.clone(),
                consent_conditions: consent_conditions.clone().unwrap_or_default(),
                narrative: read_text(narrative_file)?,
                transcript: transcript_file.as_ref().map(read_text).transpose()?.unwrap_or_default(),
            };
            let mut session = session(cli)?;
            let id = session.add_testimony(&case_id, &testimony)?;
            session.lock();
            print_created(*json, &id, &case_id, "testimony")
        }
        TestimonySub::Edit {
            id,
            narrative_file,
            transcript_file,
            person,
            date,
            place,
            interviewer,
            interpreter,
            language,
            consent,
            no_consent,
            consent_conditions,
            json,
        } => {
            let testimony_id = id_arg(id)?;
            if let Some(person) = person {
                id_arg(person)?;
            }
            let (consent_given, consent_scopes) = match (consent.is_empty(), *no_consent) {
                // Withdrawing consent withdraws every scope (the model's rule).
                (_, true) => (Some(false), None),
                (false, false) => (Some(true), Some(consent.clone())),
                (true, false) => (None, None),
            };
            let edit = TestimonyEdit {
                source_person: person.clone(),
                date: date.clone(),
                place: place.clone(),
                interviewer: interviewer.clone(),
                interpreter: interpreter.clone(),
                language: language.clone(),
                consent_given,
                consent_scopes,
                consent_conditions: consent_conditions.clone(),
            };
            let metadata = edit != TestimonyEdit::default();
            require_changes(metadata || narrative_file.is_some() || transcript_file.is_some())?;
            let narrative = narrative_file.as_ref().map(read_text).transpose()?;
            let transcript = transcript_file.as_ref().map(read_text).transpose()?;
            let mut session = session(cli)?;
            if metadata {
                session.edit_testimony_metadata(&testimony_id, &edit)?;
            }
            if let Some(text) = narrative {
                session.set_narrative(&testimony_id, &text)?;
            }
            if let Some(text) = transcript {
                session.set_transcript(&testimony_id, &text)?;
            }
            let case_id = session.case_of(&testimony_id)?;
            session.lock();
            print_saved(*json, &testimony_id, &case_id, "testimony")
        }
    }
}

/// `event add` and `event edit`.
pub(super) fn run_event(cli: &Cli, command: &EventSub) -> anyhow::Result<()> {
    match command {
        EventSub::Add { case, title, description, date, date_end, certainty, place, json } => {
            let case_id = id_arg(case)?;
            let event = NewEvent {
                title: title.clone(),
                description: description.clone(),
                date_start: date.clone().unwrap_or_default(),
                date_end: date_end.clone().unwrap_or_default(),
                certainty: certainty.clone().unwrap_or_default(),
                place: place.clone().unwrap_or_default(),
            };
            let mut session = session(cli)?;
            let id = session.add_event(&case_id, &event)?;
            session.lock();
            print_created(*json, &id, &case_id, "event")
        }
        EventSub::Edit { id, title, description, date, date_end, certainty, place, json } => {
            let event_id = id_arg(id)?;
            let edit = EventEdit {
                title: title.clone(),
                description: description.clone(),
                date_start: date.clone(),
                date_end: date_end.clone(),
                certainty: certainty.clone(),
                place: place.clone(),
            };
            require_changes(edit != EventEdit::default())?;
            let mut session = session(cli)?;
            session.edit_event(&event_id, &edit)?;
            let case_id = session.case_of(&event_id)?;
            session.lock();
            print_saved(*json, &event_id, &case_id, "event")
        }
    }
}

/// `act add` (under its event) and `act edit`.
pub(super) fn run_act(cli: &Cli, command: &ActSub) -> anyhow::Result<()> {
    match command {
        ActSub::Add { event, act_type, victim, perpetrator, unit, facility, consequences, json } => {
            let event_id = id_arg(event)?;
            id_arg(victim)?;
            let act = NewAct {
                act_type: act_type.clone(),
                victim: victim.clone(),
                agency: perpetrator.clone().unwrap_or_default(),
                unit: unit.clone().unwrap_or_default(),
                facility: facility.clone().unwrap_or_default(),
                consequences: consequences.clone().unwrap_or_default(),
            };
            let mut session = session(cli)?;
            let id = session.add_act(&event_id, &act)?;
            let case_id = session.case_of(&id)?;
            session.lock();
            print_created(*json, &id, &case_id, "act")
        }
        ActSub::Edit { id, act_type, victim, perpetrator, unit, facility, consequences, json } => {
            let act_id = id_arg(id)?;
            if let Some(victim) = victim {
                id_arg(victim)?;
            }
            let edit = ActEdit {
                act_type: act_type.clone(),
                victim: victim.clone(),
                agency: perpetrator.clone(),
                unit: unit.clone(),
                facility: facility.clone(),
                consequences: consequences.clone(),
            };
            require_changes(edit != ActEdit::default())?;
            let mut session = session(cli)?;
            session.edit_act(&act_id, &edit)?;
            let case_id = session.case_of(&act_id)?;
            session.lock();
            print_saved(*json, &act_id, &case_id, "act")
        }
    }
}

/// `note add` and `note edit` (the text only; author and date stay).
pub(super) fn run_note(cli: &Cli, command: &NoteSub) -> anyhow::Result<()> {
    match command {
        NoteSub::Add { case, text, by, json } => {
            let case_id = id_arg(case)?;
            let mut session = session(cli)?;
            let id = session.add_note(&case_id, text, by.as_deref())?;
            session.lock();
            print_created(*json, &id, &case_id, "note")
        }
        NoteSub::Edit { id, text, json } => {
            let note_id = id_arg(id)?;
            let mut session = session(cli)?;
            session.edit_note(&note_id, text)?;
            let case_id = session.case_of(&note_id)?;
            session.lock();
            print_saved(*json, &note_id, &case_id, "note")
        }
    }
}
