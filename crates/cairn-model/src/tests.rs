//! Model round trips, concurrent edits, validation.

use automerge::{ROOT, ReadDoc, transaction::Transactable};

use super::*;

const T0: Millis = 1_700_000_000_000;

fn id(n: u8) -> ObjectId {
    [n; 16]
}

/// A stand-in for cairn-core's sealer (which uses cairn-crypto): reversible and bound to the
/// person and field, but never the value's own bytes, so a scan for them proves that only
/// what the sealer returned entered the document.
pub(crate) struct TestSealer;

impl TestSealer {
    fn bytes(person: &ObjectId, field: IdentityField, value: &str) -> Vec<u8> {
        let mut out = b"SEALED".to_vec();
        out.extend_from_slice(person);
        out.push(field as u8);
        out.extend(value.bytes().map(|byte| byte ^ 0x5a));
        out
    }

    /// The text a value holds, as a reader would open it (`""` when empty).
    pub(crate) fn open(person: &ObjectId, field: IdentityField, value: &IdentityValue) -> String {
        match value {
            IdentityValue::Empty => String::new(),
            IdentityValue::Plain(text) => text.expose().to_owned(),
            IdentityValue::Sealed(bytes) => {
                let prefix = Self::bytes(person, field, "");
                assert!(bytes.starts_with(&prefix), "sealed for another person or field");
                String::from_utf8(bytes[prefix.len()..].iter().map(|byte| byte ^ 0x5a).collect()).expect("utf-8")
            }
        }
    }
}

impl IdentitySealer for TestSealer {
    fn seal(&mut self, person: &ObjectId, field: IdentityField, value: &Sensitive) -> Result<Vec<u8>, ModelError> {
        Ok(Self::bytes(person, field, value.expose()))
    }

    fn holds(&mut self, person: &ObjectId, field: IdentityField, current: &IdentityValue, value: &Sensitive) -> bool {
        Self::open(person, field, current) == value.expose()
    }
}

/// The text of person `person`'s `field` in `record`.
fn identity_text(record: &CaseRecord, person: &ObjectId, field: IdentityField) -> String {
    TestSealer::open(person, field, record.person(person).expect("person").identity.get(field))
}

fn sample_case() -> CaseDoc {
    let mut case = CaseDoc::new_case("두만강 도하 사건 (river crossing)", "worker-a", T0).expect("case");
    let person = NewPerson {
        pseudonym: "A-17".into(),
        roles: vec!["victim".into(), "source".into(), "victim".into()],
        identity: Identity {
            real_name: Sensitive("김영희".into()),
            home_town: Sensitive("회령".into()),
            ..Identity::default()
        },
    };
    case.add_person(&id(1), &person, &mut TestSealer, T0 + 1).expect("person");
    let event = NewEvent {
        title: "Arrest near Tumen".into(),
        description: "중국 공안에 체포됨".into(),
        date_start: "2019-03".into(),
        date_end: "2019-05-02".into(),
        certainty: "approximate".into(),
        place: "Tumen, Jilin".into(),
    };
    case.add_event(&id(2), &event, T0 + 2).expect("event");
    let act = NewAct {
        act_type: "forced_repatriation".into(),
        victim: id_to_hex(&id(1)),
        agency: "cn_public_security".into(),
        unit: "Border unit 3".into(),
        facility: "Tumen detention centre".into(),
        consequences: "Handed to the MSS".into(),
    };
    case.add_act(&id(2), &id(3), &act, T0 + 3).expect("act");
    case.add_note(&id(4), "Follow up in spring.\n봄에 다시 확인.", "worker-a", T0 + 4).expect("note");
    case.set_field(CaseField::Tags, "repatriation, 2019, repatriation", T0 + 5).expect("tags");
    case
}

/// Saves `doc` the way the vault does (one chunk per edit after the first) and loads it back
/// from those chunks and from a snapshot; both must give the same record.
fn check_round_trip<R>(doc: &mut Document<R>, chunks: &[Vec<u8>])
where
    R: autosurgeon::Hydrate + autosurgeon::Reconcile + PartialEq + std::fmt::Debug,
{
    let expected = doc.record().expect("record");
    let from_chunks = Document::<R>::load(chunks.iter().map(Vec::as_slice), "reader").expect("load chunks");
    assert_eq!(from_chunks.record().expect("record"), expected);
    let snapshot = doc.snapshot();
    let from_snapshot = Document::<R>::load([snapshot.as_slice()], "reader").expect("load snapshot");
    assert_eq!(from_snapshot.record().expect("record"), expected);
}

#[test]
fn case_document_round_trips() {
    let mut case = CaseDoc::new_case("Case", "worker-a", T0).expect("case");
    let mut chunks = vec![case.take_changes().expect("first chunk")];
    assert_eq!(case.take_changes(), None, "no edit, no chunk");
    let mut sample = sample_case();
    let first = sample.take_changes().expect("chunk");
    chunks = vec![first];
    sample.add_note(&id(9), "두 번째 메모", "worker-b", T0 + 10).expect("note");
    chunks.push(sample.take_changes().expect("incremental chunk"));
    assert!(chunks[1].len() < chunks[0].len(), "an edit's chunk holds only that edit");
    check_round_trip(&mut sample, &chunks);

    let record = sample.record().expect("record");
    assert_eq!(record.schema, SCHEMA_VERSION);
    assert_eq!(record.status, INITIAL_STATUS);
    assert_eq!(record.risk, INITIAL_RISK);
    assert_eq!(record.distinct_tags(), ["repatriation", "2019"]);
    let person = record.person(&id(1)).expect("person");
    assert_eq!(person.roles, ["victim", "source"]);
    assert_eq!(identity_text(&record, &id(1), IdentityField::RealName), "김영희");
    assert!(person.identity.real_name.sealed().is_some(), "written sealed");
    assert!(!person.identity.birth_date.is_set(), "an empty field stays empty");
    assert!(!format!("{person:?}").contains("김영희"), "Debug must not show identity fields");
    for text in ["김영희", "회령"] {
        assert!(!contains(&sample.history_bytes(), text.as_bytes()), "{text} entered the document as text");
    }
    let event = &record.events[&id_to_hex(&id(2))];
    assert_eq!((event.date_start.as_str(), event.date_end.as_str()), ("2019-03", "2019-05-02"));
    let act = &event.acts[&id_to_hex(&id(3))];
    assert_eq!(act.perpetrator.agency, "cn_public_security");
    assert_eq!(record.counts(), CaseCounts { persons: 1, testimonies: 0, events: 1, acts: 1, notes: 2, attachments: 0 });
    let _ = case.heads();
}

#[test]
fn testimony_document_round_trips() {
    let case = sample_case();
    let case_record = case.record().expect("record");
    let new = NewTestimony {
        source_person: id_to_hex(&id(1)),
        date: "2023-11-02".into(),
        place: "Yanji".into(),
        interviewer: "worker-a".into(),
        interpreter: String::new(),
        language: "ko".into(),
        consent_given: true,
        consent_scopes: vec!["documentation".into(), "share_with_hq".into()],
        consent_conditions: "이름은 절대 공개하지 말 것".into(),
        narrative: "저는 2019년 3월에 보위부에서 조사를 받았습니다.".into(),
        transcript: "Q: 언제? A: 2019년".into(),
    };
    let mut testimony = TestimonyDoc::new_testimony(&id(0), &case_record, &new, "worker-a", T0).expect("testimony");
    let mut chunks = vec![testimony.take_changes().expect("chunk")];
    testimony.set_narrative("저는 2019년 3월에 국가보위성에서 조사를 받았습니다.", T0 + 1).expect("edit");
    chunks.push(testimony.take_changes().expect("chunk"));
    check_round_trip(&mut testimony, &chunks);
    let record = testimony.record().expect("record");
    assert_eq!(record.narrative.as_str(), "저는 2019년 3월에 국가보위성에서 조사를 받았습니다.");
    assert_eq!(record.consent.scopes, ["documentation", "share_with_hq"]);
    assert_eq!(record.language, "ko");
    assert_eq!(record.case_id, id_to_hex(&id(0)));
}

#[test]
fn concurrent_edits_of_one_field_are_a_visible_conflict() {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    a.set_field(CaseField::Title, "Title by A", T0 + 100).expect("a");
    b.set_field(CaseField::Title, "Title by B", T0 + 200).expect("b");
    // Unrelated concurrent edits merge cleanly.
    a.add_note(&id(10), "note by A", "worker-a", T0 + 101).expect("note a");
    b.set_field(CaseField::Status, "ready_for_handover", T0 + 201).expect("status b");
    let mut b_copy = b.fork("worker-b");
    a.merge(&mut b_copy).expect("merge into a");
    let mut a_copy = a.fork("worker-a");
    b.merge(&mut a_copy).expect("merge into b");

    for replica in [&mut a, &mut b] {
        let record = replica.record().expect("record");
        assert_eq!(record.notes.len(), 2);
        assert_eq!(record.status, "ready_for_handover");
        let conflicts = replica.conflicts().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let conflict = &conflicts[0];
        assert_eq!(conflict.path, "title");
        let mut seen: Vec<(&str, &str, Millis)> =
            conflict.values.iter().map(|v| (v.value.as_str(), v.by.as_str(), v.at)).collect();
        seen.sort();
        assert_eq!(seen, [("Title by A", "worker-a", T0 + 100), ("Title by B", "worker-b", T0 + 200)]);
        assert_eq!(conflict.values.iter().filter(|v| v.shown).count(), 1);
        let shown = conflict.values.iter().find(|v| v.shown).expect("shown");
        assert_eq!(record.title, shown.value, "the record shows the marked value");
    }
    // Both replicas agree on the order, so a choice means the same value everywhere.
    assert_eq!(a.conflicts().expect("a"), b.conflicts().expect("b"));

    let choice = a.conflicts().expect("c")[0].values.iter().position(|v| v.value == "Title by A").expect("A");
    assert_eq!(a.resolve_conflict("title", 7, T0 + 300), Err(ModelError::InvalidChoice));
    assert_eq!(a.resolve_conflict("status", 0, T0 + 300), Err(ModelError::NoSuchConflict));
    a.resolve_conflict("title", choice, T0 + 300).expect("resolve");
    assert!(a.conflicts().expect("after").is_empty());
    assert_eq!(a.record().expect("record").title, "Title by A");
    // The resolution travels like any edit.
    b.apply_chunk(&a.take_changes().expect("changes")).expect("apply");
    assert!(b.conflicts().expect("b after").is_empty());
    assert_eq!(b.record().expect("record").title, "Title by A");
}

#[test]
fn setting_a_conflicted_field_resolves_it() {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    a.set_field(CaseField::Risk, "low", T0 + 1).expect("a");
    b.set_field(CaseField::Risk, "critical", T0 + 2).expect("b");
    a.merge(&mut b).expect("merge");
    assert_eq!(a.conflicts().expect("c").len(), 1);
    let shown = a.record().expect("r").risk;
    a.set_field(CaseField::Risk, &shown, T0 + 3).expect("set the shown value again");
    assert!(a.conflicts().expect("c").is_empty());
}

#[test]
fn concurrent_narrative_edits_merge_as_text() {
    let case = sample_case().record().expect("case");
    let new = NewTestimony {
        source_person: id_to_hex(&id(1)),
        language: "ko".into(),
        narrative: "첫째 문장입니다. 둘째 문장입니다. 셋째 문장입니다.".into(),
        ..NewTestimony::default()
    };
    let mut base = TestimonyDoc::new_testimony(&id(0), &case, &new, "worker-a", T0).expect("testimony");
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    a.set_narrative("서문: 면담은 밤에 진행됨. 첫째 문장입니다. 둘째 문장입니다. 셋째 문장입니다.", T0 + 1).expect("a");
    b.set_narrative("첫째 문장입니다. 둘째 문장을 고쳤습니다. 셋째 문장입니다. 추가: 보위부 구류장.", T0 + 2).expect("b");
    a.merge(&mut b).expect("merge");
    let merged = a.record().expect("record").narrative.0;
    assert_eq!(
        merged,
        "서문: 면담은 밤에 진행됨. 첫째 문장입니다. 둘째 문장을 고쳤습니다. 셋째 문장입니다. 추가: 보위부 구류장."
    );
    assert!(a.conflicts().expect("conflicts").is_empty(), "text merges, it does not conflict");
}

#[test]
fn concurrent_additions_both_survive() {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    a.add_person(&id(20), &NewPerson { pseudonym: "B-02".into(), ..NewPerson::default() }, &mut TestSealer, T0).expect("a");
    b.add_person(&id(21), &NewPerson { pseudonym: "C-03".into(), ..NewPerson::default() }, &mut TestSealer, T0).expect("b");
    b.add_note(&id(22), "note", "worker-b", T0).expect("b note");
    a.merge(&mut b).expect("merge");
    let record = a.record().expect("record");
    assert_eq!(record.persons.len(), 3);
    assert_eq!(record.notes.len(), 2);
    assert!(a.conflicts().expect("c").is_empty());
}

fn check_refused(result: Result<(), ModelError>, expected: ModelError) {
    assert_eq!(result, Err(expected.clone()));
    assert!(!expected.to_string().is_empty());
    assert!(!expected.code().is_empty());
}

#[test]
fn invalid_edits_are_refused_with_specific_errors() {
    let mut case = sample_case();
    let before = case.record().expect("record");
    let victim = id_to_hex(&id(1));
    let act =
        |act_type: &str, victim: &str| NewAct { act_type: act_type.into(), victim: victim.into(), ..NewAct::default() };
    check_refused(case.add_act(&id(2), &id(30), &act("beating", &victim), T0), ModelError::UnknownTerm { kind: "act_type" });
    check_refused(case.add_act(&id(2), &id(30), &act("torture", &id_to_hex(&id(99))), T0), ModelError::UnknownPerson);
    check_refused(case.add_act(&id(98), &id(30), &act("torture", &victim), T0), ModelError::UnknownEvent);
    check_refused(case.add_act(&id(2), &id(30), &act("torture", "nope"), T0), ModelError::InvalidId);
    let event = |start: &str, end: &str| NewEvent {
        title: "t".into(),
        date_start: start.into(),
        date_end: end.into(),
        ..NewEvent::default()
    };
    check_refused(case.add_event(&id(31), &event("2019-02-30", ""), T0), ModelError::InvalidDate);
    check_refused(case.add_event(&id(31), &event("2019", "2018"), T0), ModelError::DateRangeReversed);
    check_refused(
        case.add_event(&id(31), &NewEvent { title: "t".into(), certainty: "sure".into(), ..NewEvent::default() }, T0),
        ModelError::InvalidCertainty,
    );
    check_refused(
        case.add_person(&id(32), &NewPerson { pseudonym: "A-17".into(), ..NewPerson::default() }, &mut TestSealer, T0),
        ModelError::DuplicatePseudonym,
    );
    check_refused(
        case.add_person(
            &id(32),
            &NewPerson { pseudonym: "X".into(), roles: vec!["boss".into()], ..NewPerson::default() },
            &mut TestSealer,
            T0,
        ),
        ModelError::UnknownTerm { kind: "role" },
    );
    check_refused(case.set_field(CaseField::Title, "  ", T0), ModelError::Empty { field: "title" });
    check_refused(case.set_field(CaseField::Status, "closed", T0), ModelError::UnknownTerm { kind: "case_status" });
    check_refused(case.add_note(&id(33), "", "w", T0), ModelError::Empty { field: "note" });
    assert_eq!(CaseField::parse("owner"), Err(ModelError::UnknownField));
    let testimony = NewTestimony { source_person: id_to_hex(&id(1)), language: "korean".into(), ..NewTestimony::default() };
    assert_eq!(
        TestimonyDoc::new_testimony(&id(0), &before, &testimony, "w", T0).map(|_| ()),
        Err(ModelError::InvalidLanguage)
    );
    let testimony = NewTestimony { source_person: id_to_hex(&id(7)), language: "ko".into(), ..NewTestimony::default() };
    assert_eq!(
        TestimonyDoc::new_testimony(&id(0), &before, &testimony, "w", T0).map(|_| ()),
        Err(ModelError::UnknownPerson)
    );
    assert_eq!(case.record().expect("record"), before, "refused edits change nothing");
    assert_eq!(case.take_changes().map(|c| !c.is_empty()), Some(true));
}

#[test]
fn documents_with_missing_or_odd_fields_still_load() {
    let mut raw = automerge::AutoCommit::new();
    raw.put(ROOT, "title", "Only a title").expect("put");
    raw.put(ROOT, "future_field", 42).expect("put");
    let bytes = raw.save();
    let doc = CaseDoc::load([bytes.as_slice()], "w").expect("load");
    let record = doc.record().expect("record");
    assert_eq!(record.title, "Only a title");
    assert!(record.persons.is_empty());
    assert_eq!(CaseDoc::load([b"not automerge".as_slice()], "w").map(|_| ()), Err(ModelError::DocumentUnreadable));
    assert_eq!(CaseDoc::load(std::iter::empty::<&[u8]>(), "w").map(|_| ()), Err(ModelError::DocumentUnreadable));
    let mut wrong = automerge::AutoCommit::new();
    wrong.put(ROOT, "persons", "not a map").expect("put");
    let bytes = wrong.save();
    assert_eq!(CaseDoc::load([bytes.as_slice()], "w").map(|_| ()), Err(ModelError::DocumentShape));
}

fn sample_testimony(case: &CaseDoc) -> TestimonyDoc {
    let new = NewTestimony {
        source_person: id_to_hex(&id(1)),
        date: "2023-11".into(),
        place: "Yanji".into(),
        interviewer: "worker-a".into(),
        language: "ko".into(),
        consent_given: true,
        consent_scopes: vec!["documentation".into()],
        narrative: "진술".into(),
        ..NewTestimony::default()
    };
    TestimonyDoc::new_testimony(&id(0), &case.record().expect("case"), &new, "worker-a", T0).expect("testimony")
}

/// Two replicas of `base` after each made its edits, merged both ways.
fn merged(a: &mut CaseDoc, b: &mut CaseDoc) {
    let mut b_copy = b.fork("worker-b");
    a.merge(&mut b_copy).expect("merge into a");
    let mut a_copy = a.fork("worker-a");
    b.merge(&mut a_copy).expect("merge into b");
}

#[test]
fn edits_change_exactly_the_fields_given() {
    let mut case = sample_case();
    case.take_changes();
    let person = PersonEdit {
        pseudonym: Some(" A-18 ".into()),
        roles: Some(vec!["witness".into(), "victim".into(), "witness".into()]),
        real_name: Some(Sensitive(String::new())),
        contact: Some(Sensitive("+82 10 0000 0000".into())),
        ..PersonEdit::default()
    };
    case.edit_person(&id(1), &person, &mut TestSealer, T0 + 10).expect("person");
    let event = EventEdit {
        title: Some("Arrest in Tumen".into()),
        date_start: Some("2019-04".into()),
        certainty: Some("uncertain".into()),
        place: Some(String::new()),
        ..EventEdit::default()
    };
    case.edit_event(&id(2), &event, T0 + 11).expect("event");
    let act = ActEdit {
        act_type: Some("torture".into()),
        agency: Some(String::new()),
        facility: Some("Onsong holding centre".into()),
        ..ActEdit::default()
    };
    case.edit_act(&id(3), &act, T0 + 12).expect("act");
    case.edit_note(&id(4), "Follow up in summer.", T0 + 13).expect("note");
    let chunk = case.take_changes().expect("the edits were written");

    let record = case.record().expect("record");
    let person = record.person(&id(1)).expect("person");
    assert_eq!(
        (person.pseudonym.as_str(), person.roles.as_slice()),
        ("A-18", &["witness".to_owned(), "victim".to_owned()][..])
    );
    assert!(!person.identity.real_name.is_set(), "an empty identity field clears it");
    assert_eq!(identity_text(&record, &id(1), IdentityField::HomeTown), "회령", "fields not given stay");
    assert_eq!(identity_text(&record, &id(1), IdentityField::Contact), "+82 10 0000 0000");
    let event = &record.events[&id_to_hex(&id(2))];
    assert_eq!(
        (event.title.as_str(), event.date_start.as_str(), event.date_end.as_str(), event.date_certainty.as_str()),
        ("Arrest in Tumen", "2019-04", "2019-05-02", "uncertain")
    );
    assert_eq!((event.place.as_str(), event.description.as_str()), ("", "중국 공안에 체포됨"));
    let act = &event.acts[&id_to_hex(&id(3))];
    assert_eq!((act.act_type.as_str(), act.perpetrator.agency.as_str()), ("torture", ""));
    assert_eq!(
        (act.perpetrator.unit.as_str(), act.perpetrator.facility.as_str()),
        ("Border unit 3", "Onsong holding centre")
    );
    assert_eq!(act.victim, id_to_hex(&id(1)));
    let note = &record.notes[&id_to_hex(&id(4))];
    assert_eq!((note.text.as_str(), note.by.as_str(), note.at), ("Follow up in summer.", "worker-a", T0 + 4));
    assert!(
        !format!("{:?}", PersonEdit { contact: Some(Sensitive("010-1234".into())), ..PersonEdit::default() })
            .contains("010-1234")
    );

    // Edits round-trip through storage, and an edit to the values already there writes nothing.
    let loaded = CaseDoc::load([case.snapshot().as_slice()], "reader").expect("load");
    assert_eq!(loaded.record().expect("record"), record);
    assert!(!chunk.is_empty());
    case.edit_person(
        &id(1),
        &PersonEdit { pseudonym: Some("A-18".into()), ..PersonEdit::default() },
        &mut TestSealer,
        T0 + 20,
    )
    .expect("same");
    case.edit_note(&id(4), "Follow up in summer.", T0 + 20).expect("same note");
    assert_eq!(case.take_changes(), None, "nothing changed, nothing written");

    let mut testimony = sample_testimony(&case);
    testimony.take_changes();
    let edit = TestimonyEdit {
        date: Some("2023-11-05".into()),
        interviewer: Some("worker-b".into()),
        interpreter: Some("통역 1".into()),
        language: Some("ko-KP".into()),
        consent_given: Some(false),
        consent_scopes: Some(vec![]),
        consent_conditions: Some("no names".into()),
        ..TestimonyEdit::default()
    };
    testimony.edit_metadata(&record, &edit, T0 + 30).expect("metadata");
    let edited = testimony.record().expect("record");
    assert_eq!(
        (edited.date.as_str(), edited.interviewer.as_str(), edited.language.as_str()),
        ("2023-11-05", "worker-b", "ko-kp")
    );
    assert_eq!((edited.place.as_str(), edited.narrative.as_str()), ("Yanji", "진술"));
    assert_eq!(edited.consent, Consent { given: false, scopes: vec![], conditions: "no names".into() });
}

#[test]
fn edits_of_unknown_items_are_refused() {
    let mut case = sample_case();
    let before = case.record().expect("record");
    let name = PersonEdit { pseudonym: Some("Z".into()), ..PersonEdit::default() };
    check_refused(case.edit_person(&id(90), &name, &mut TestSealer, T0), ModelError::UnknownPerson);
    check_refused(case.edit_event(&id(90), &EventEdit::default(), T0), ModelError::UnknownEvent);
    check_refused(case.edit_act(&id(90), &ActEdit::default(), T0), ModelError::UnknownAct);
    check_refused(case.edit_note(&id(90), "text", T0), ModelError::UnknownNote);
    // An event id is not an act id.
    check_refused(case.edit_act(&id(2), &ActEdit::default(), T0), ModelError::UnknownAct);
    assert_eq!(case.record().expect("record"), before);
}

#[test]
fn invalid_edits_are_refused_and_change_nothing() {
    let mut case = sample_case();
    case.add_person(&id(5), &NewPerson { pseudonym: "B-02".into(), ..NewPerson::default() }, &mut TestSealer, T0)
        .expect("second");
    case.take_changes();
    let before = case.record().expect("record");
    let person = |edit: PersonEdit| edit;
    // A valid field beside an invalid one is not written either.
    check_refused(
        case.edit_person(
            &id(1),
            &person(PersonEdit {
                pseudonym: Some("A-99".into()),
                roles: Some(vec!["boss".into()]),
                ..PersonEdit::default()
            }),
            &mut TestSealer,
            T0,
        ),
        ModelError::UnknownTerm { kind: "role" },
    );
    check_refused(
        case.edit_person(
            &id(1),
            &PersonEdit { pseudonym: Some("B-02".into()), ..PersonEdit::default() },
            &mut TestSealer,
            T0,
        ),
        ModelError::DuplicatePseudonym,
    );
    check_refused(
        case.edit_person(&id(1), &PersonEdit { pseudonym: Some(" ".into()), ..PersonEdit::default() }, &mut TestSealer, T0),
        ModelError::Empty { field: "pseudonym" },
    );
    check_refused(
        case.edit_person(
            &id(1),
            &PersonEdit { home_town: Some(Sensitive("a\nb".into())), ..PersonEdit::default() },
            &mut TestSealer,
            T0,
        ),
        ModelError::NotSingleLine { field: "home town" },
    );
    // The start moves after the end already recorded (2019-05-02).
    check_refused(
        case.edit_event(&id(2), &EventEdit { date_start: Some("2020".into()), ..EventEdit::default() }, T0),
        ModelError::DateRangeReversed,
    );
    check_refused(
        case.edit_event(&id(2), &EventEdit { date_end: Some("2019-02-30".into()), ..EventEdit::default() }, T0),
        ModelError::InvalidDate,
    );
    check_refused(
        case.edit_event(&id(2), &EventEdit { certainty: Some("sure".into()), ..EventEdit::default() }, T0),
        ModelError::InvalidCertainty,
    );
    check_refused(
        case.edit_event(&id(2), &EventEdit { title: Some(String::new()), ..EventEdit::default() }, T0),
        ModelError::Empty { field: "event title" },
    );
    check_refused(
        case.edit_act(&id(3), &ActEdit { act_type: Some("beating".into()), ..ActEdit::default() }, T0),
        ModelError::UnknownTerm { kind: "act_type" },
    );
    check_refused(
        case.edit_act(&id(3), &ActEdit { agency: Some("police".into()), ..ActEdit::default() }, T0),
        ModelError::UnknownTerm { kind: "agency" },
    );
    check_refused(
        case.edit_act(&id(3), &ActEdit { victim: Some(id_to_hex(&id(77))), ..ActEdit::default() }, T0),
        ModelError::UnknownPerson,
    );
    check_refused(case.edit_note(&id(4), " ", T0), ModelError::Empty { field: "note" });
    assert_eq!(case.record().expect("record"), before, "refused edits change nothing");
    assert_eq!(case.take_changes(), None, "refused edits write nothing");

    let mut testimony = sample_testimony(&case);
    testimony.take_changes();
    let refused = [
        (TestimonyEdit { language: Some("korean".into()), ..TestimonyEdit::default() }, ModelError::InvalidLanguage),
        (TestimonyEdit { date: Some("2023-13".into()), ..TestimonyEdit::default() }, ModelError::InvalidDate),
        (TestimonyEdit { source_person: Some(id_to_hex(&id(77))), ..TestimonyEdit::default() }, ModelError::UnknownPerson),
        (
            TestimonyEdit { consent_scopes: Some(vec!["publish_everything".into()]), ..TestimonyEdit::default() },
            ModelError::UnknownTerm { kind: "consent_scope" },
        ),
    ];
    for (edit, error) in refused {
        check_refused(testimony.edit_metadata(&before, &edit, T0), error);
    }
    assert_eq!(testimony.take_changes(), None);
}

#[test]
fn concurrent_edits_of_different_fields_merge_cleanly() {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    // Both devices save the whole person form; each changed a different field.
    let form = |pseudonym: &str, home_town: &str| PersonEdit {
        pseudonym: Some(pseudonym.into()),
        roles: Some(vec!["victim".into(), "source".into()]),
        real_name: Some(Sensitive("김영희".into())),
        home_town: Some(Sensitive(home_town.into())),
        ..PersonEdit::default()
    };
    a.edit_person(&id(1), &form("A-18", "회령"), &mut TestSealer, T0 + 1).expect("a person");
    b.edit_person(&id(1), &form("A-17", "무산"), &mut TestSealer, T0 + 2).expect("b person");
    a.edit_event(&id(2), &EventEdit { place: Some("Yanji".into()), ..EventEdit::default() }, T0 + 3).expect("a event");
    b.edit_event(&id(2), &EventEdit { title: Some("Arrest".into()), ..EventEdit::default() }, T0 + 4).expect("b event");
    a.edit_act(&id(3), &ActEdit { unit: Some("Unit 5".into()), ..ActEdit::default() }, T0 + 5).expect("a act");
    b.edit_act(&id(3), &ActEdit { consequences: Some("Sent to a camp".into()), ..ActEdit::default() }, T0 + 6)
        .expect("b act");
    merged(&mut a, &mut b);
    for replica in [&mut a, &mut b] {
        assert!(replica.conflicts().expect("conflicts").is_empty());
        let record = replica.record().expect("record");
        let person = record.person(&id(1)).expect("person");
        let home_town = identity_text(&record, &id(1), IdentityField::HomeTown);
        assert_eq!((person.pseudonym.as_str(), home_town.as_str()), ("A-18", "무산"));
        let event = &record.events[&id_to_hex(&id(2))];
        assert_eq!((event.title.as_str(), event.place.as_str()), ("Arrest", "Yanji"));
        let act = &event.acts[&id_to_hex(&id(3))];
        assert_eq!((act.perpetrator.unit.as_str(), act.consequences.as_str()), ("Unit 5", "Sent to a camp"));
    }

    let mut base = sample_testimony(&base);
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    let case = sample_case().record().expect("case");
    a.edit_metadata(&case, &TestimonyEdit { interviewer: Some("A".into()), ..TestimonyEdit::default() }, T0).expect("a");
    b.edit_metadata(&case, &TestimonyEdit { place: Some("Helong".into()), ..TestimonyEdit::default() }, T0).expect("b");
    a.merge(&mut b).expect("merge");
    assert!(a.conflicts().expect("conflicts").is_empty());
    let record = a.record().expect("record");
    assert_eq!((record.interviewer.as_str(), record.place.as_str()), ("A", "Helong"));
}

#[test]
fn adds_and_edits_leave_unrelated_conflicts_for_the_worker() {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    a.set_field(CaseField::Title, "Title by A", T0 + 100).expect("a");
    b.set_field(CaseField::Title, "Title by B", T0 + 200).expect("b");
    a.merge(&mut b).expect("merge");
    a.add_note(&id(40), "another note", "worker-a", T0 + 300).expect("note");
    a.add_person(&id(41), &NewPerson { pseudonym: "C-1".into(), ..NewPerson::default() }, &mut TestSealer, T0 + 301)
        .expect("person");
    a.edit_note(&id(4), "edited", T0 + 302).expect("edit");
    a.set_field(CaseField::Tags, "x, y", T0 + 303).expect("tags");
    let conflicts = a.conflicts().expect("conflicts");
    assert_eq!(conflicts.len(), 1, "only writing the title itself may settle its conflict");
    assert_eq!(conflicts[0].path, "title");

    let mut base = sample_testimony(&base);
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    let case = sample_case().record().expect("case");
    a.edit_metadata(&case, &TestimonyEdit { interviewer: Some("A".into()), ..TestimonyEdit::default() }, T0).expect("a");
    b.edit_metadata(&case, &TestimonyEdit { interviewer: Some("B".into()), ..TestimonyEdit::default() }, T0).expect("b");
    a.merge(&mut b).expect("merge");
    a.set_narrative("새 진술", T0 + 1).expect("narrative");
    assert_eq!(a.conflicts().expect("conflicts").len(), 1, "saving the narrative keeps the interviewer conflict");
}

/// A case where both devices changed person 1's pseudonym and real name, event 2's start date
/// and place, act 3's facility and note 4, and the title.
fn conflicted_case() -> CaseDoc {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    for (doc, tag) in [(&mut a, "A"), (&mut b, "B")] {
        let person = PersonEdit {
            pseudonym: Some(format!("P-{tag}")),
            real_name: Some(Sensitive(format!("이름 {tag}"))),
            ..PersonEdit::default()
        };
        doc.edit_person(&id(1), &person, &mut TestSealer, T0 + 1).expect("person");
        let date = if tag == "A" { "2019-04" } else { "2019-03-20" };
        let event = EventEdit { date_start: Some(date.into()), place: Some(format!("Place {tag}")), ..EventEdit::default() };
        doc.edit_event(&id(2), &event, T0 + 2).expect("event");
        doc.edit_act(&id(3), &ActEdit { facility: Some(format!("Facility {tag}")), ..ActEdit::default() }, T0 + 3)
            .expect("act");
        doc.edit_note(&id(4), &format!("Note {tag}"), T0 + 4).expect("note");
        doc.set_field(CaseField::Title, &format!("Title {tag}"), T0 + 5).expect("title");
    }
    merged(&mut a, &mut b);
    a
}

#[test]
fn typed_merges_settle_text_conflicts() {
    let mut case = conflicted_case();
    let person = id_to_hex(&id(1));
    let event = id_to_hex(&id(2));
    let act = format!("events/{event}/acts/{}", id_to_hex(&id(3)));
    let mut paths: Vec<String> = case.conflicts().expect("conflicts").into_iter().map(|c| c.path).collect();
    paths.sort();
    let mut expected = vec![
        format!("{act}/perpetrator/facility"),
        format!("events/{event}/date_start"),
        format!("events/{event}/place"),
        format!("notes/{}/text", id_to_hex(&id(4))),
        format!("persons/{person}/identity/real_name"),
        format!("persons/{person}/pseudonym"),
        "title".to_owned(),
    ];
    expected.sort();
    assert_eq!(paths, expected);
    assert!(paths.iter().all(|path| CaseDoc::can_merge(path)), "every one is a text field");

    // Checked like an edit: the conflict stays when the value is refused.
    let date = format!("events/{event}/date_start");
    check_refused(case.merge_conflict(&date, "2019-04-31", &mut TestSealer, T0 + 10), ModelError::InvalidDate);
    check_refused(case.merge_conflict(&date, "2019-06", &mut TestSealer, T0 + 10), ModelError::DateRangeReversed);
    check_refused(case.merge_conflict("title", " ", &mut TestSealer, T0 + 10), ModelError::Empty { field: "title" });
    assert_eq!(case.conflicts().expect("conflicts").len(), 7);

    case.merge_conflict(&format!("persons/{person}/pseudonym"), "P-AB", &mut TestSealer, T0 + 11).expect("pseudonym");
    case.merge_conflict(&format!("persons/{person}/identity/real_name"), "이름 AB", &mut TestSealer, T0 + 12)
        .expect("identity");
    case.merge_conflict(&date, "2019-03", &mut TestSealer, T0 + 13).expect("date");
    case.merge_conflict(&format!("events/{event}/place"), "Place A or B", &mut TestSealer, T0 + 14).expect("place");
    case.merge_conflict(&format!("{act}/perpetrator/facility"), "Facility A/B", &mut TestSealer, T0 + 15).expect("facility");
    case.merge_conflict(&format!("notes/{}/text", id_to_hex(&id(4))), "Note A\nNote B", &mut TestSealer, T0 + 16)
        .expect("note");
    case.merge_conflict("title", "Title AB", &mut TestSealer, T0 + 17).expect("title");
    assert!(case.conflicts().expect("conflicts").is_empty());
    let record = case.record().expect("record");
    let merged_person = record.person(&id(1)).expect("person");
    let real_name = identity_text(&record, &id(1), IdentityField::RealName);
    assert_eq!((merged_person.pseudonym.as_str(), real_name.as_str()), ("P-AB", "이름 AB"));
    assert_eq!(record.events[&event].date_start, "2019-03");
    assert_eq!(record.title, "Title AB");
    // Merging again: nothing is in conflict any more.
    check_refused(case.merge_conflict("title", "Again", &mut TestSealer, T0 + 18), ModelError::NoSuchConflict);
}

#[test]
fn typed_merges_refuse_everything_but_text_fields() {
    let mut base = sample_case();
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    // Both devices create person 50 at once (ids are random, so only in a test): the
    // person itself is an object in conflict.
    a.add_person(&id(50), &NewPerson { pseudonym: "X-1".into(), ..NewPerson::default() }, &mut TestSealer, T0).expect("a");
    b.add_person(&id(50), &NewPerson { pseudonym: "X-2".into(), ..NewPerson::default() }, &mut TestSealer, T0).expect("b");
    a.edit_person(&id(1), &PersonEdit { roles: Some(vec!["witness".into()]), ..PersonEdit::default() }, &mut TestSealer, T0)
        .expect("a");
    b.edit_person(
        &id(1),
        &PersonEdit { roles: Some(vec!["perpetrator".into()]), ..PersonEdit::default() },
        &mut TestSealer,
        T0,
    )
    .expect("b");
    let victim = id_to_hex(&id(5));
    for doc in [&mut a, &mut b] {
        doc.add_person(&id(5), &NewPerson { pseudonym: "V".into(), ..NewPerson::default() }, &mut TestSealer, T0).ok();
    }
    merged(&mut a, &mut b);
    let conflicts = a.conflicts().expect("conflicts");
    let object = conflicts.iter().find(|c| c.values.iter().any(|v| v.is_object)).expect("an object conflict");
    assert!(!CaseDoc::can_merge(&object.path), "{}", object.path);
    check_refused(a.merge_conflict(&object.path, "X-3", &mut TestSealer, T0 + 1), ModelError::ConflictNotMergeable);
    let person = id_to_hex(&id(1));
    let event = id_to_hex(&id(2));
    for path in [
        format!("persons/{person}"),
        format!("persons/{person}/roles"),
        format!("persons/{person}/roles/0"),
        format!("persons/{person}/identity"),
        format!("persons/{person}/identity/passport"),
        format!("events/{event}/acts/{}/victim", id_to_hex(&id(3))),
        format!("events/{event}/acts"),
        "tags".to_owned(),
        "created_by".to_owned(),
        "schema".to_owned(),
        "attachments/x/file_name".to_owned(),
        "nothing/at/all".to_owned(),
        String::new(),
    ] {
        assert!(!CaseDoc::can_merge(&path), "{path}");
        check_refused(a.merge_conflict(&path, &victim, &mut TestSealer, T0 + 1), ModelError::ConflictNotMergeable);
    }
    assert!(!TestimonyDoc::can_merge("source_person") && !TestimonyDoc::can_merge("consent/given"));
    assert!(
        !TestimonyDoc::can_merge("consent") && !TestimonyDoc::can_merge("narrative") && !TestimonyDoc::can_merge("audio")
    );
    // A mergeable path that is not in conflict.
    check_refused(
        a.merge_conflict(&format!("events/{event}/place"), "x", &mut TestSealer, T0 + 1),
        ModelError::NoSuchConflict,
    );
    // A mergeable path under the wrong event names no field.
    let wrong = format!("events/{}/acts/{}/consequences", id_to_hex(&id(9)), id_to_hex(&id(3)));
    check_refused(a.merge_conflict(&wrong, "x", &mut TestSealer, T0 + 1), ModelError::NoSuchConflict);
}

#[test]
fn typed_merge_settles_a_testimony_conflict_everywhere() {
    let case = sample_case();
    let mut base = sample_testimony(&case);
    let mut a = base.fork("worker-a");
    let mut b = base.fork("worker-b");
    let record = case.record().expect("case");
    a.edit_metadata(&record, &TestimonyEdit { interviewer: Some("Kim".into()), ..TestimonyEdit::default() }, T0).expect("a");
    b.edit_metadata(&record, &TestimonyEdit { interviewer: Some("Lee".into()), ..TestimonyEdit::default() }, T0).expect("b");
    let mut b_copy = b.fork("worker-b");
    a.merge(&mut b_copy).expect("merge");
    let conflicts = a.conflicts().expect("conflicts");
    assert_eq!(conflicts.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), ["interviewer"]);
    assert!(TestimonyDoc::can_merge("interviewer") && TestimonyDoc::can_merge("consent/conditions"));
    check_refused(a.merge_conflict("interviewer", "Kim\nLee", T0 + 1), ModelError::NotSingleLine { field: "interviewer" });
    a.merge_conflict("interviewer", "Kim and Lee", T0 + 1).expect("merge");
    assert!(a.conflicts().expect("after").is_empty());
    // The merge travels like any edit and settles the conflict on the other device too.
    b.apply_chunk(&a.take_changes().expect("changes")).expect("apply");
    assert!(b.conflicts().expect("b").is_empty());
    assert_eq!(b.record().expect("record").interviewer, "Kim and Lee");
}

#[test]
fn no_consent_means_no_sharing_scope() {
    let case = sample_case();
    let record = case.record().expect("record");
    // A new testimony with scopes but without consent is refused.
    let new = NewTestimony {
        source_person: id_to_hex(&id(1)),
        language: "ko".into(),
        consent_given: false,
        consent_scopes: vec!["documentation".into()],
        ..NewTestimony::default()
    };
    assert_eq!(
        TestimonyDoc::new_testimony(&id(0), &record, &new, "worker-a", T0).err(),
        Some(ModelError::ScopesWithoutConsent)
    );
    let mut testimony = sample_testimony(&case);
    testimony.take_changes();
    // Withdrawing consent in the same edit as naming scopes is refused, and changes nothing.
    let contradictory = TestimonyEdit {
        consent_given: Some(false),
        consent_scopes: Some(vec!["documentation".into()]),
        ..TestimonyEdit::default()
    };
    assert_eq!(testimony.edit_metadata(&record, &contradictory, T0 + 1), Err(ModelError::ScopesWithoutConsent));
    assert_eq!(testimony.take_changes(), None);
    // Withdrawing consent withdraws every scope, in one change.
    let withdraw = TestimonyEdit { consent_given: Some(false), ..TestimonyEdit::default() };
    testimony.edit_metadata(&record, &withdraw, T0 + 2).expect("withdraw");
    assert!(testimony.take_changes().is_some());
    let consent = testimony.record().expect("record").consent;
    assert_eq!((consent.given, consent.scopes.len()), (false, 0));
    // Without consent, adding a scope alone is refused.
    let scope_only = TestimonyEdit { consent_scopes: Some(vec!["share_with_hq".into()]), ..TestimonyEdit::default() };
    assert_eq!(testimony.edit_metadata(&record, &scope_only, T0 + 3), Err(ModelError::ScopesWithoutConsent));
    // Consent given again, scopes may follow.
    let regive = TestimonyEdit {
        consent_given: Some(true),
        consent_scopes: Some(vec!["share_with_hq".into()]),
        ..TestimonyEdit::default()
    };
    testimony.edit_metadata(&record, &regive, T0 + 4).expect("consent again");
    assert_eq!(testimony.record().expect("record").consent.scopes, ["share_with_hq"]);
}

#[test]
fn replicas_exchange_exactly_the_changes_the_other_lacks() {
    let mut a = sample_case();
    let mut b = a.fork("worker-b");
    a.set_field(CaseField::Title, "from a", T0 + 1).expect("a");
    a.set_field(CaseField::Risk, "low", T0 + 2).expect("a");
    b.set_field(CaseField::Team, "from b", T0 + 3).expect("b");
    // b's head is unknown to a: a sends a superset (here its whole history), never a gap.
    let history = a.change_count();
    let to_b = a.changes_since(&b.heads());
    assert_eq!(to_b.len(), history);
    assert!(b.apply_changes(&to_b).expect("apply on b"));
    // b now knows every head of a: it sends exactly the one change a lacks.
    let to_a = b.changes_since(&a.heads());
    assert_eq!(to_a.len(), 1);
    assert!(a.apply_changes(&to_a).expect("apply on a"));
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.record().expect("a"), b.record().expect("b"));
    // Applying the same changes again changes nothing; nothing is missing any more.
    assert!(!b.apply_changes(&to_b).expect("again"));
    assert!(a.changes_since(&b.heads()).is_empty());
    // From a known base, only what is new travels.
    b.set_field(CaseField::Title, "from b", T0 + 4).expect("b");
    assert_eq!(b.changes_since(&a.heads()).len(), 1);
}

#[test]
fn changes_wait_for_their_dependencies_and_damaged_ones_are_refused() {
    let mut a = sample_case();
    let mut b = a.fork("worker-b");
    let base = b.heads();
    a.set_field(CaseField::Title, "first", T0 + 1).expect("first");
    a.set_field(CaseField::Title, "second", T0 + 2).expect("second");
    let changes = a.changes_since(&base);
    assert_eq!(changes.len(), 2);
    // The second alone cannot apply yet: it waits, the heads do not move.
    assert!(!b.apply_changes(&changes[1..]).expect("orphan"));
    assert!(b.has_missing_dependencies());
    assert_eq!(b.heads(), base);
    assert!(b.apply_changes(&changes[..1]).expect("dependency"));
    assert!(!b.has_missing_dependencies());
    assert_eq!(b.record().expect("b").title, "second");
    // A flipped byte is refused before anything is applied.
    let mut c = a.fork("worker-c");
    c.set_field(CaseField::Team, "c", T0 + 3).expect("c");
    let before = c.heads();
    let a_before = a.heads();
    a.set_field(CaseField::Title, "third", T0 + 5).expect("third");
    let third = a.changes_since(&a_before);
    assert_eq!(third.len(), 1);
    for index in 0..third[0].len() {
        let mut damaged = third.clone();
        damaged[0][index] ^= 0x40;
        // The chunk checksum covers every byte: each flip is refused, nothing is applied.
        let outcome = c.apply_changes(&damaged);
        assert_eq!(outcome, Err(ModelError::DocumentUnreadable), "byte {index}");
        assert_eq!(c.heads(), before);
    }
}

#[test]
fn a_case_lists_every_object_it_holds() {
    let case = sample_case();
    let record = case.record().expect("record");
    let objects = record.objects();
    assert_eq!(objects.len() as u32, {
        let counts = record.counts();
        counts.persons + counts.testimonies + counts.events + counts.acts + counts.notes + counts.attachments
    });
    assert!(objects.iter().any(|(_, kind)| *kind == crate::ObjectKind::Person));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn identity_fields_enter_the_document_only_sealed() {
    let mut case = sample_case();
    // Replace, clear and keep: each new value goes through the sealer; nothing typed is ever
    // written as text, so not even the history holds it.
    let edit = PersonEdit {
        real_name: Some(Sensitive("박은비밀".into())),
        family: Some(Sensitive("누나 박가족\n동생".into())),
        home_town: Some(Sensitive(String::new())),
        ..PersonEdit::default()
    };
    case.edit_person(&id(1), &edit, &mut TestSealer, T0 + 10).expect("edit");
    let record = case.record().expect("record");
    assert_eq!(identity_text(&record, &id(1), IdentityField::RealName), "박은비밀");
    assert_eq!(identity_text(&record, &id(1), IdentityField::Family), "누나 박가족\n동생");
    assert!(!record.person(&id(1)).expect("person").identity.home_town.is_set(), "cleared");
    let history = case.history_bytes();
    for text in ["김영희", "회령", "박은비밀", "박가족"] {
        assert!(!contains(&history, text.as_bytes()), "{text} entered the document as text");
    }
    // Checked as text before sealing.
    check_refused(
        case.edit_person(
            &id(1),
            &PersonEdit { real_name: Some(Sensitive("a\nb".into())), ..PersonEdit::default() },
            &mut TestSealer,
            T0,
        ),
        ModelError::NotSingleLine { field: "real name" },
    );
    // A sealer that cannot tell (a field device) writes a replacement even of the same text;
    // one that can (TestSealer) writes nothing for it.
    case.take_changes();
    case.edit_person(
        &id(1),
        &PersonEdit { real_name: Some(Sensitive("박은비밀".into())), ..PersonEdit::default() },
        &mut TestSealer,
        T0 + 11,
    )
    .expect("same");
    assert_eq!(case.take_changes(), None);
    /// Randomised like the real sealer: the same text seals to different bytes each time.
    struct Blind(u8);
    impl IdentitySealer for Blind {
        fn seal(&mut self, person: &ObjectId, field: IdentityField, value: &Sensitive) -> Result<Vec<u8>, ModelError> {
            self.0 += 1;
            let mut sealed = TestSealer.seal(person, field, value)?;
            sealed.push(self.0);
            Ok(sealed)
        }
    }
    case.edit_person(
        &id(1),
        &PersonEdit { real_name: Some(Sensitive("박은비밀".into())), ..PersonEdit::default() },
        &mut Blind(0),
        T0 + 12,
    )
    .expect("same, blind");
    assert!(case.take_changes().is_some());
    // A sealer that fails stops the edit; nothing is written.
    struct Failing;
    impl IdentitySealer for Failing {
        fn seal(&mut self, _: &ObjectId, _: IdentityField, _: &Sensitive) -> Result<Vec<u8>, ModelError> {
            Err(ModelError::SealingFailed)
        }
    }
    check_refused(
        case.edit_person(
            &id(1),
            &PersonEdit { contact: Some(Sensitive("010".into())), ..PersonEdit::default() },
            &mut Failing,
            T0,
        ),
        ModelError::SealingFailed,
    );
    assert_eq!(case.take_changes(), None);
}

#[test]
fn sealed_values_in_conflict_are_reported_as_sealed_bytes() {
    let mut case = conflicted_case();
    let path = format!("persons/{}/identity/real_name", id_to_hex(&id(1)));
    assert_eq!(IdentityField::of_path(&path), Some((id_to_hex(&id(1)).as_str(), IdentityField::RealName)));
    assert_eq!(IdentityField::of_path("persons/x/pseudonym"), None);
    let conflict = case.conflicts().expect("conflicts").into_iter().find(|c| c.path == path).expect("identity conflict");
    let mut opened: Vec<String> = conflict
        .values
        .iter()
        .map(|value| {
            assert!(value.value.is_empty(), "no rendering of sealed bytes");
            let bytes = value.sealed.clone().expect("sealed bytes");
            TestSealer::open(&id(1), IdentityField::RealName, &IdentityValue::Sealed(bytes))
        })
        .collect();
    opened.sort();
    assert_eq!(opened, ["이름 A", "이름 B"]);
    // Keeping one writes its sealed bytes back as they were.
    let choice = conflict.values.iter().position(|value| !value.shown).expect("the other value");
    let kept = conflict.values[choice].sealed.clone().expect("bytes");
    case.resolve_conflict(&path, choice, T0 + 20).expect("resolve");
    assert_eq!(
        case.record().expect("record").person(&id(1)).expect("person").identity.real_name,
        IdentityValue::Sealed(kept)
    );
}

#[test]
fn plain_identity_text_from_an_older_version_is_resealed_and_its_history_can_be_dropped() {
    // A document as a version before sealing wrote it: identity fields as text.
    let mut case = sample_case();
    let person = id_to_hex(&id(1));
    let identity = case.doc.get(ROOT, "persons").expect("get").expect("persons").1;
    let identity = case.doc.get(&identity, person.as_str()).expect("get").expect("person").1;
    let identity = case.doc.get(&identity, "identity").expect("get").expect("identity").1;
    case.doc.put(&identity, "real_name", "옛이름").expect("plain");
    case.doc.put(&identity, "contact", "010-옛연락").expect("plain");
    case.commit(T0 + 30);
    let record = case.record().expect("record");
    assert_eq!(record.person(&id(1)).expect("person").identity.real_name, IdentityValue::Plain(Sensitive("옛이름".into())));
    let mut seen = Vec::new();
    let resealed = case
        .reseal_identity(
            |person, field, value| {
                seen.push(field);
                Ok(match value {
                    IdentityValue::Plain(text) => Some(TestSealer.seal(person, field, text)?),
                    _ => None,
                })
            },
            T0 + 31,
        )
        .expect("reseal");
    assert_eq!(resealed, 2);
    assert_eq!(seen.len(), 5, "every field of the person was offered");
    let record = case.record().expect("record");
    assert_eq!(identity_text(&record, &id(1), IdentityField::RealName), "옛이름");
    assert_eq!(identity_text(&record, &id(1), IdentityField::HomeTown), "회령", "untouched");
    assert!(contains(&case.history_bytes(), "옛이름".as_bytes()), "the history still holds the old text");
    // Rewritten without history (only for a document no other device holds).
    let mut fresh = case.rewritten("worker-a", T0 + 32).expect("rewrite").expect("no conflicts");
    assert_eq!(fresh.record().expect("record"), record);
    assert!(!contains(&fresh.history_bytes(), "옛이름".as_bytes()));
    assert!(!contains(&fresh.history_bytes(), "010-옛연락".as_bytes()));
    // Nothing left to reseal: no change at all.
    fresh.take_changes();
    assert_eq!(fresh.reseal_identity(|_, _, _| Ok(None), T0 + 33), Ok(0));
    assert_eq!(fresh.take_changes(), None);
    // A field in conflict is left to the worker; a conflicted document is not rewritten.
    let mut conflicted = conflicted_case();
    let mut offered = Vec::new();
    conflicted
        .reseal_identity(
            |_, field, _| {
                offered.push(field);
                Ok(None)
            },
            T0 + 40,
        )
        .expect("reseal");
    assert!(!offered.contains(&IdentityField::RealName));
    assert!(conflicted.rewritten("worker-a", T0 + 41).expect("rewrite").is_none());
}

#[test]
fn change_hashes_name_every_change_and_what_is_new() {
    let mut a = sample_case();
    let history = a.change_hashes();
    assert_eq!(history.len(), a.change_count());
    assert_eq!(a.unsaved_change_hashes(), history, "nothing saved yet: every change is new");
    a.take_changes().expect("saved");
    assert!(a.unsaved_change_hashes().is_empty());
    let base = a.heads();
    a.set_field(CaseField::Title, "one", T0 + 1).expect("one");
    a.set_field(CaseField::Risk, "low", T0 + 2).expect("two");
    let new = a.unsaved_change_hashes();
    assert_eq!(new.len(), 2);
    assert_eq!(a.change_hashes()[history.len()..], new[..], "in causal order, after the history");
    // The hashed form of what a replica lacks names the same changes.
    let hashed = a.hashed_changes_since(&base);
    assert_eq!(hashed.iter().map(|(hash, _)| *hash).collect::<Vec<_>>(), new);
    assert_eq!(hashed.iter().map(|(_, bytes)| bytes.clone()).collect::<Vec<_>>(), a.changes_since(&base));
    // Applying reports each change's hash and whether it was held already.
    let mut b = CaseDoc::empty("worker-b");
    let mut c = a.fork("worker-c");
    let changes: Vec<Vec<u8>> = hashed.iter().map(|(_, bytes)| bytes.clone()).collect();
    let applied = c.apply_changes_hashed(&changes).expect("held");
    assert!(!applied.moved);
    assert!(applied.changes.iter().all(|change| change.held_before));
    let all = a.changes_since(&[]);
    let applied = b.apply_changes_hashed(&all).expect("apply");
    assert_eq!(applied.changes.iter().map(|change| change.hash).collect::<Vec<_>>(), a.change_hashes());
    assert!(applied.changes.iter().all(|change| !change.held_before), "an empty replica held nothing");
    assert!(applied.moved);
}
