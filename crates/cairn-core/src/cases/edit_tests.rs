//! Edits of existing case items and typed merges, through the session: one transaction each,
//! the digest, summary and search index kept in step, and identity fields never searchable.

use cairn_model::{CaseDoc, Document, ModelError, TestimonyDoc};

use super::{
    pipeline::{DocRoot, load_doc, read, transact},
    test_support::{chunk_count, digest_of},
    *,
};
use crate::Session;

/// A new vault whose edits are by "Worker A".
fn session() -> (crate::testing::TestVault, Session) {
    let (dir, mut session) = super::test_support::session();
    session.set_worker_name("Worker A").expect("name");
    (dir, session)
}

/// A case with one person (with a real name), one event with one act, one note and one
/// testimony.
struct Sample {
    case: ObjectId,
    person: ObjectId,
    event: ObjectId,
    act: ObjectId,
    note: ObjectId,
    testimony: ObjectId,
}

fn sample(session: &mut Session) -> Sample {
    let case = session.create_case("Edits").expect("case");
    let identity = Identity { real_name: Sensitive("박은비밀".into()), ..Identity::default() };
    let person = NewPerson { pseudonym: "K-01".into(), roles: vec!["victim".into()], identity };
    let person = session.add_person(&case, &person).expect("person");
    let event = NewEvent {
        title: "Detention at Onsong".into(),
        date_start: "2019-03".into(),
        place: "Onsong".into(),
        ..NewEvent::default()
    };
    let event = session.add_event(&case, &event).expect("event");
    let act = NewAct {
        act_type: "arbitrary_detention".into(),
        victim: id_to_hex(&person),
        unit: "Unit 1".into(),
        ..NewAct::default()
    };
    let act = session.add_act(&event, &act).expect("act");
    let note = session.add_note(&case, "first note", None).expect("note");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        interviewer: "Worker A".into(),
        narrative: "진술".into(),
        ..NewTestimony::default()
    };
    let testimony = session.add_testimony(&case, &testimony).expect("testimony");
    Sample { case, person, event, act, note, testimony }
}

/// A concurrent edit from a second device: made by another worker on the document as stored
/// now, and returned as the chunk sync will deliver (see [`deliver`]). Edits this device
/// makes before the delivery are concurrent with it.
fn edit_on_device_b<R: DocRoot>(
    session: &mut Session,
    case: &ObjectId,
    doc_id: &ObjectId,
    edit: impl FnOnce(&mut Document<R>) -> Result<(), ModelError>,
) -> (ObjectId, ObjectId, Vec<Vec<u8>>) {
    let mut other: Document<R> = read(session.vault_mut(), |tx| load_doc(tx, case, doc_id, "Worker B")).expect("load");
    let before = other.heads();
    edit(&mut other).expect("edit on device B");
    (*case, *doc_id, other.changes_since(&before))
}

/// The identity keys device B seals with in these tests: this vault's own (no organisation),
/// so this device opens what B wrote.
fn keys_of(session: &mut Session) -> super::IdentityKeys {
    session.identity_keys(true).expect("identity keys")
}

/// The identity text of a person as this device opens it.
fn shown(session: &mut Session, person: &ObjectId, field: IdentityField) -> String {
    session.reveal_identity(person).expect("reveal").identity.get(field).expose().to_owned()
}

/// Delivers a change from [`edit_on_device_b`] as sync and bundles do: through the write path
/// for received changes, which stores it, moves the digest and re-indexes the document.
fn deliver(session: &mut Session, (case, doc_id, changes): (ObjectId, ObjectId, Vec<Vec<u8>>)) {
    use super::pipeline::apply_remote_changes;
    transact(session.vault_mut(), |tx| {
        let custody = vec![None; changes.len()];
        if doc_id == case {
            apply_remote_changes::<CaseRecord>(tx, &case, &doc_id, &changes, &custody, "Worker A", 2_000)?;
        } else {
            apply_remote_changes::<cairn_model::TestimonyRecord>(tx, &case, &doc_id, &changes, &custody, "Worker A", 2_000)?;
        }
        Ok(())
    })
    .expect("deliver");
}

#[test]
fn edits_round_trip_and_refresh_the_summary() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    let case_digest = digest_of(&mut session, &s.case, &s.case);
    let person = PersonEdit {
        pseudonym: Some("K-02".into()),
        roles: Some(vec!["witness".into(), "source".into()]),
        real_name: Some(Sensitive(String::new())),
        home_town: Some(Sensitive("청진".into())),
        ..PersonEdit::default()
    };
    session.edit_person(&s.person, &person).expect("person");
    let event = EventEdit {
        title: Some("Detention at Hoeryong".into()),
        description: Some("구류장".into()),
        date_end: Some("2019-06".into()),
        certainty: Some("exact".into()),
        ..EventEdit::default()
    };
    session.edit_event(&s.event, &event).expect("event");
    let act = ActEdit {
        act_type: Some("torture".into()),
        agency: Some("kp_state_security".into()),
        consequences: Some("injured".into()),
        ..ActEdit::default()
    };
    session.edit_act(&s.act, &act).expect("act");
    session.edit_note(&s.note, "edited note").expect("note");
    let testimony = TestimonyEdit {
        date: Some("2024-01-15".into()),
        place: Some("Seoul".into()),
        interpreter: Some("Interpreter 2".into()),
        language: Some("en".into()),
        consent_given: Some(true),
        consent_scopes: Some(vec!["documentation".into(), "share_with_hq".into()]),
        consent_conditions: Some("no photos".into()),
        ..TestimonyEdit::default()
    };
    session.edit_testimony_metadata(&s.testimony, &testimony).expect("testimony");
    assert_ne!(digest_of(&mut session, &s.case, &s.case).heads_hash, case_digest.heads_hash);

    let view = session.open_case(&s.case).expect("open");
    let record = &view.record;
    let person = record.person(&s.person).expect("person");
    assert_eq!(person.pseudonym, "K-02");
    assert_eq!(person.roles, ["witness", "source"]);
    assert!(!person.identity.real_name.is_set());
    assert_eq!(shown(&mut session, &s.person, IdentityField::HomeTown), "청진");
    let event = &record.events[&id_to_hex(&s.event)];
    assert_eq!(
        (event.title.as_str(), event.description.as_str(), event.date_start.as_str(), event.date_end.as_str()),
        ("Detention at Hoeryong", "구류장", "2019-03", "2019-06")
    );
    assert_eq!((event.date_certainty.as_str(), event.place.as_str()), ("exact", "Onsong"));
    let act = &event.acts[&id_to_hex(&s.act)];
    assert_eq!((act.act_type.as_str(), act.perpetrator.agency.as_str()), ("torture", "kp_state_security"));
    assert_eq!((act.perpetrator.unit.as_str(), act.consequences.as_str()), ("Unit 1", "injured"));
    assert_eq!(record.notes[&id_to_hex(&s.note)].text, "edited note");
    let (_, testimony) = &view.testimonies[0];
    assert_eq!(
        (testimony.date.as_str(), testimony.place.as_str(), testimony.language.as_str()),
        ("2024-01-15", "Seoul", "en")
    );
    assert_eq!((testimony.interviewer.as_str(), testimony.interpreter.as_str()), ("Worker A", "Interpreter 2"));
    assert_eq!(testimony.consent.scopes, ["documentation", "share_with_hq"]);
    assert_eq!((testimony.consent.given, testimony.consent.conditions.as_str()), (true, "no photos"));
    assert_eq!(testimony.narrative.as_str(), "진술");
    let listed = &session.list_cases().expect("list")[0];
    assert_eq!((listed.counts.persons, listed.counts.events, listed.counts.notes, listed.conflicts), (1, 1, 1, 0));

    // Saving the same values again writes nothing.
    let count = chunk_count(&mut session, &s.case, &s.case);
    session.edit_note(&s.note, "edited note").expect("same note");
    session.edit_person(&s.person, &PersonEdit { pseudonym: Some("K-02".into()), ..PersonEdit::default() }).expect("same");
    assert_eq!(chunk_count(&mut session, &s.case, &s.case), count);
}

#[test]
fn edits_of_unknown_ids_are_not_found() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    let unknown = [7u8; 16];
    let codes = [
        session.edit_person(&unknown, &PersonEdit::default()).expect_err("person").code(),
        session.edit_event(&unknown, &EventEdit::default()).expect_err("event").code(),
        session.edit_act(&unknown, &ActEdit::default()).expect_err("act").code(),
        session.edit_note(&unknown, "text").expect_err("note").code(),
        session.edit_testimony_metadata(&unknown, &TestimonyEdit::default()).expect_err("testimony").code(),
        // An id of another kind is not found either.
        session.edit_event(&s.person, &EventEdit::default()).expect_err("kind").code(),
        session.edit_note(&s.act, "text").expect_err("kind").code(),
        session.merge_conflict(&s.case, &unknown, "interviewer", "x").expect_err("document").code(),
    ];
    assert_eq!(codes, ["not_found"; 8]);
}

#[test]
fn invalid_edits_are_refused_with_nothing_written() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    let before = session.open_case(&s.case).expect("open");
    let digests = session.case_digests(&s.case).expect("digests");
    let case_chunks = chunk_count(&mut session, &s.case, &s.case);
    let refused = [
        session
            .edit_person(
                &s.person,
                &PersonEdit { pseudonym: Some("K-09".into()), roles: Some(vec!["boss".into()]), ..Default::default() },
            )
            .expect_err("role"),
        session.edit_act(&s.act, &ActEdit { act_type: Some("beating".into()), ..ActEdit::default() }).expect_err("act type"),
        session.edit_act(&s.act, &ActEdit { agency: Some("police".into()), ..ActEdit::default() }).expect_err("agency"),
        session
            .edit_testimony_metadata(
                &s.testimony,
                &TestimonyEdit { consent_scopes: Some(vec!["sell".into()]), ..Default::default() },
            )
            .expect_err("scope"),
    ];
    assert!(refused.iter().all(|error| error.code() == "unknown_term"), "{refused:?}");
    let error = session.edit_event(&s.event, &EventEdit { date_end: Some("2018".into()), ..EventEdit::default() });
    assert_eq!(error.expect_err("range").code(), "date_range_reversed");
    let error =
        session.edit_testimony_metadata(&s.testimony, &TestimonyEdit { language: Some("??".into()), ..Default::default() });
    assert_eq!(error.expect_err("language").code(), "invalid_language");
    let after = session.open_case(&s.case).expect("open");
    assert_eq!(after.record, before.record);
    assert_eq!(after.testimonies, before.testimonies);
    assert_eq!(session.case_digests(&s.case).expect("digests"), digests);
    assert_eq!(chunk_count(&mut session, &s.case, &s.case), case_chunks);
}

#[test]
fn concurrent_edits_of_different_fields_merge_cleanly() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    let (person, event) = (s.person, s.event);
    let keys = keys_of(&mut session);
    let from_b = edit_on_device_b(&mut session, &s.case, &s.case, |doc: &mut CaseDoc| {
        let edit = PersonEdit { home_town: Some(Sensitive("무산".into())), ..PersonEdit::default() };
        doc.edit_person(&person, &edit, &mut keys.sealer(&s.case), 1_000)?;
        doc.edit_event(&event, &EventEdit { place: Some("Musan".into()), ..EventEdit::default() }, 1_000)
    });
    // This device saves the whole form of each, having changed other fields.
    let form = PersonEdit {
        pseudonym: Some("K-03".into()),
        roles: Some(vec!["victim".into()]),
        real_name: Some(Sensitive("박은비밀".into())),
        // As the form shows it: unchanged here, changed on device B.
        home_town: Some(Sensitive(String::new())),
        ..PersonEdit::default()
    };
    session.edit_person(&s.person, &form).expect("person");
    let event_form = EventEdit {
        title: Some("Detention".into()),
        description: Some(String::new()),
        date_start: Some("2019-03".into()),
        date_end: Some(String::new()),
        certainty: Some("approximate".into()),
        place: Some("Onsong".into()),
    };
    session.edit_event(&s.event, &event_form).expect("event");
    deliver(&mut session, from_b);
    let view = session.open_case(&s.case).expect("open");
    assert!(view.conflicts.is_empty(), "{:?}", view.conflicts);
    let person = view.record.person(&s.person).expect("person");
    assert_eq!(person.pseudonym, "K-03");
    assert_eq!(shown(&mut session, &s.person, IdentityField::HomeTown), "무산");
    assert_eq!(shown(&mut session, &s.person, IdentityField::RealName), "박은비밀");
    let event = &view.record.events[&id_to_hex(&s.event)];
    assert_eq!((event.title.as_str(), event.place.as_str()), ("Detention", "Musan"));
}

#[test]
fn typed_merges_settle_person_and_testimony_conflicts() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    let person = s.person;
    let keys = keys_of(&mut session);
    let case_from_b = edit_on_device_b(&mut session, &s.case, &s.case, |doc: &mut CaseDoc| {
        let edit =
            PersonEdit { pseudonym: Some("K-B".into()), contact: Some(Sensitive("010-B".into())), ..Default::default() };
        doc.edit_person(&person, &edit, &mut keys.sealer(&s.case), 1_000)
    });
    let testimony_from_b = edit_on_device_b(&mut session, &s.case, &s.testimony, |doc: &mut TestimonyDoc| {
        let edit = TestimonyEdit { interviewer: Some("Worker B".into()), ..TestimonyEdit::default() };
        doc.edit_metadata(&CaseRecord::default(), &edit, 1_000)
    });
    let edit = PersonEdit { pseudonym: Some("K-A".into()), contact: Some(Sensitive("010-A".into())), ..Default::default() };
    session.edit_person(&s.person, &edit).expect("a person");
    session
        .edit_testimony_metadata(&s.testimony, &TestimonyEdit { interviewer: Some("Kim".into()), ..Default::default() })
        .expect("a");
    deliver(&mut session, case_from_b);
    deliver(&mut session, testimony_from_b);
    // An edit of another field meanwhile leaves the conflicts as delivered.
    session.edit_note(&s.note, "re-indexed").expect("note");

    let conflicts = session.conflicts(&s.case).expect("conflicts");
    let mut found: Vec<(&str, &str, bool)> =
        conflicts.iter().map(|c| (c.document_kind.as_str(), c.conflict.path.as_str(), c.mergeable())).collect();
    found.sort();
    let pseudonym = format!("persons/{}/pseudonym", id_to_hex(&s.person));
    let contact = format!("persons/{}/identity/contact", id_to_hex(&s.person));
    let mut expected =
        vec![("case", contact.as_str(), true), ("case", pseudonym.as_str(), true), ("testimony", "interviewer", true)];
    expected.sort();
    assert_eq!(found, expected);
    // Two conflicting values in the case document and one in the testimony.
    assert_eq!(session.list_cases().expect("list")[0].conflicts, 3);

    // A refused value leaves the conflict as it was.
    let error = session.merge_conflict(&s.case, &s.case, &pseudonym, "  ").expect_err("empty");
    assert_eq!(error.code(), "field_empty");
    session.merge_conflict(&s.case, &s.case, &pseudonym, "K-AB").expect("merge pseudonym");
    session.merge_conflict(&s.case, &s.case, &contact, "010-A / 010-B").expect("merge contact");
    session.merge_conflict(&s.case, &s.testimony, "interviewer", "Kim, Worker B").expect("merge interviewer");
    assert!(session.conflicts(&s.case).expect("after").is_empty());
    assert_eq!(session.list_cases().expect("list")[0].conflicts, 0);
    let view = session.open_case(&s.case).expect("open");
    let person = view.record.person(&s.person).expect("person");
    assert_eq!(person.pseudonym, "K-AB");
    assert_eq!(shown(&mut session, &s.person, IdentityField::Contact), "010-A / 010-B");
    assert_eq!(view.testimonies[0].1.interviewer, "Kim, Worker B");
    // The testimony must be named under its own case.
    let other = session.create_case("Other").expect("other");
    assert_eq!(session.merge_conflict(&other, &s.testimony, "interviewer", "x").expect_err("case").code(), "not_found");
}

#[test]
fn typed_merge_of_an_object_is_refused() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    // Two devices write person X at once (ids are random, so only in a test): the person
    // itself is an object in conflict.
    let twin = [9u8; 16];
    let mut base: CaseDoc = read(session.vault_mut(), |tx| load_doc(tx, &s.case, &s.case, "Worker A")).expect("load");
    let mut chunks = Vec::new();
    let keys = keys_of(&mut session);
    for worker in ["Worker A", "Worker B"] {
        let mut device = base.fork(worker);
        let new = NewPerson { pseudonym: format!("X {worker}"), ..NewPerson::default() };
        device.add_person(&twin, &new, &mut keys.sealer(&s.case), 1_000).expect("add");
        chunks.push(device.take_changes().expect("chunk"));
    }
    transact(session.vault_mut(), |tx| {
        for chunk in &chunks {
            tx.append_record(&s.case, &s.case, chunk)?;
        }
        Ok(())
    })
    .expect("deliver");
    let conflicts = session.conflicts(&s.case).expect("conflicts");
    let path = format!("persons/{}", id_to_hex(&twin));
    let conflict = conflicts.iter().find(|c| c.conflict.path == path).expect("object conflict");
    assert!(conflict.conflict.values.iter().all(|v| v.is_object));
    assert!(!conflict.mergeable());
    let error = session.merge_conflict(&s.case, &s.case, &path, "X-C").expect_err("object");
    assert_eq!(error.code(), "conflict_not_mergeable");
    let error = session.merge_conflict(&s.case, &s.case, &format!("persons/{}/roles", id_to_hex(&s.person)), "victim");
    assert_eq!(error.expect_err("list").code(), "conflict_not_mergeable");
    assert_eq!(session.conflicts(&s.case).expect("still").len(), conflicts.len());
}

#[test]
fn search_follows_edits_and_never_holds_identity_values() {
    let (_dir, mut session) = session();
    let s = sample(&mut session);
    let found = |session: &mut Session, query: &str| session.search(query, 10).expect("search").len();
    assert_eq!(found(&mut session, "K-01"), 1);
    let edit = PersonEdit {
        pseudonym: Some("Q-77".into()),
        real_name: Some(Sensitive("최비밀이름".into())),
        family: Some(Sensitive("누나 최가족".into())),
        ..PersonEdit::default()
    };
    session.edit_person(&s.person, &edit).expect("person");
    session
        .edit_event(&s.event, &EventEdit { description: Some("보위부 구류장 지하".into()), ..Default::default() })
        .expect("e");
    session.edit_act(&s.act, &ActEdit { facility: Some("Jeongeori camp".into()), ..ActEdit::default() }).expect("act");
    session.edit_note(&s.note, "follow-up with the brother").expect("note");
    session
        .edit_testimony_metadata(&s.testimony, &TestimonyEdit { place: Some("Chongjin".into()), ..Default::default() })
        .expect("t");
    assert_eq!(found(&mut session, "K-01"), 0, "the old pseudonym is gone from the index");
    for query in ["Q-77", "구류장", "Jeongeori", "brother", "Chongjin"] {
        assert_eq!(found(&mut session, query), 1, "{query}");
    }
    // Identity values, written by an edit or by a typed merge, are never searchable.
    let person = s.person;
    let keys = keys_of(&mut session);
    let from_b = edit_on_device_b(&mut session, &s.case, &s.case, |doc: &mut CaseDoc| {
        let edit = PersonEdit { home_town: Some(Sensitive("비밀고향B".into())), ..Default::default() };
        doc.edit_person(&person, &edit, &mut keys.sealer(&s.case), 1_000)
    });
    session
        .edit_person(&s.person, &PersonEdit { home_town: Some(Sensitive("비밀고향A".into())), ..Default::default() })
        .expect("a");
    deliver(&mut session, from_b);
    let path = format!("persons/{}/identity/home_town", id_to_hex(&s.person));
    session.merge_conflict(&s.case, &s.case, &path, "비밀고향AB").expect("merge");
    for query in ["최비밀이름", "비밀이름", "최가족", "비밀고향", "비밀고향AB", "박은비밀"] {
        assert_eq!(found(&mut session, query), 0, "identity value {query} must not be searchable");
    }
    let texts = read(session.vault_mut(), |tx| {
        let mut all = Vec::new();
        for field in ["title", "tags", "pseudonym", "note", "event", "act", "narrative", "transcript", "place"] {
            all.extend(tx.search_texts(&s.case, &s.case, field)?);
            all.extend(tx.search_texts(&s.case, &s.testimony, field)?);
        }
        Ok(all)
    })
    .expect("texts");
    assert!(texts.iter().any(|text| text.contains("Q-77")));
    assert!(texts.iter().all(|text| !text.contains("비밀")), "{texts:?}");
}

/// The session keeps the document it last edited loaded (typing saves the same document again
/// and again); an edit made meanwhile by another session on the same vault (the command line
/// beside the app) must not be lost when the first session edits again.
#[test]
fn an_edit_after_another_sessions_edit_builds_on_it() {
    let (vault, mut first) = session();
    let sample = sample(&mut first);
    first.set_case_field(&sample.case, CaseField::Title, "first title").expect("first edit");
    first.set_narrative(&sample.testimony, "첫 진술").expect("first narrative");
    let mut second = vault.reopen();
    second.set_worker_name("Worker B").expect("name");
    second.set_case_field(&sample.case, CaseField::Team, "team from the other session").expect("other edit");
    second.set_narrative(&sample.testimony, "다른 세션의 진술").expect("other narrative");
    second.lock();
    first.set_case_field(&sample.case, CaseField::Title, "second title").expect("second edit");
    first.set_narrative(&sample.testimony, "다른 세션의 진술, 이어서").expect("second narrative");
    let view = first.open_case(&sample.case).expect("open");
    assert_eq!(view.record.title, "second title");
    assert_eq!(view.record.team, "team from the other session", "the other session's edit is kept");
    assert!(view.conflicts.is_empty(), "{:?}", view.conflicts);
    let testimony = &view.testimonies.iter().find(|(id, _)| *id == sample.testimony).expect("testimony").1;
    assert_eq!(testimony.narrative.as_str(), "다른 세션의 진술, 이어서");
    first.lock();
    let mut again = vault.reopen();
    assert_eq!(again.open_case(&sample.case).expect("reopen").record.team, "team from the other session");
}

#[test]
fn an_open_after_another_sessions_edit_shows_it() {
    let (vault, mut first) = session();
    let sample = sample(&mut first);
    first.open_case(&sample.case).expect("open");
    assert!(first.hot_docs.take(&sample.case).is_some(), "the case document stays loaded after an open");
    // Kept again, and the testimony with it.
    first.open_case(&sample.case).expect("open again");
    // The same worker name (it is the vault's): only the stored digests tell the kept
    // documents are out of date.
    let mut second = vault.reopen();
    second.set_case_field(&sample.case, CaseField::Title, "title from the other session").expect("other edit");
    second.set_narrative(&sample.testimony, "다른 세션의 진술").expect("other narrative");
    second.lock();
    let view = first.open_case(&sample.case).expect("open after the other session");
    assert_eq!(view.record.title, "title from the other session");
    let testimony = &view.testimonies.iter().find(|(id, _)| *id == sample.testimony).expect("testimony").1;
    assert_eq!(testimony.narrative.as_str(), "다른 세션의 진술");
    // An edit after that open builds on both sessions' work.
    first.set_case_field(&sample.case, CaseField::Team, "first's team").expect("edit");
    let view = first.open_case(&sample.case).expect("open after the edit");
    assert_eq!((view.record.title.as_str(), view.record.team.as_str()), ("title from the other session", "first's team"));
    assert!(view.conflicts.is_empty(), "{:?}", view.conflicts);
}

#[test]
fn opening_a_case_keeps_a_bounded_number_of_its_documents() {
    let (_vault, mut session) = session();
    let sample = sample(&mut session);
    for narrative in ["둘", "셋", "넷", "다섯"] {
        let testimony = NewTestimony {
            source_person: id_to_hex(&sample.person),
            language: "ko".into(),
            narrative: narrative.into(),
            ..NewTestimony::default()
        };
        session.add_testimony(&sample.case, &testimony).expect("testimony");
    }
    let view = session.open_case(&sample.case).expect("open");
    assert_eq!(view.testimonies.len(), 5);
    assert_eq!(session.hot_docs.len(), 4, "four documents at most stay loaded");
    assert!(session.hot_docs.take(&sample.case).is_some(), "the case document is among them");
}

#[test]
fn deleting_a_case_drops_the_documents_kept_loaded() {
    let (_vault, mut session) = session();
    let sample = sample(&mut session);
    session.open_case(&sample.case).expect("open");
    assert_eq!(session.hot_docs.len(), 2, "the case and its testimony");
    session.delete_case(&sample.case).expect("delete");
    assert_eq!(session.hot_docs.len(), 0, "a deleted case's text is not kept in memory");
}
