//! Model round trips, concurrent edits, validation.

use automerge::{ROOT, transaction::Transactable};

use super::*;

const T0: Millis = 1_700_000_000_000;

fn id(n: u8) -> ObjectId {
    [n; 16]
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
    case.add_person(&id(1), &person, T0 + 1).expect("person");
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
    assert_eq!(person.identity.real_name.expose(), "김영희");
    assert!(!format!("{person:?}").contains("김영희"), "Debug must not show identity fields");
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
    a.add_person(&id(20), &NewPerson { pseudonym: "B-02".into(), ..NewPerson::default() }, T0).expect("a");
    b.add_person(&id(21), &NewPerson { pseudonym: "C-03".into(), ..NewPerson::default() }, T0).expect("b");
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
        case.add_person(&id(32), &NewPerson { pseudonym: "A-17".into(), ..NewPerson::default() }, T0),
        ModelError::DuplicatePseudonym,
    );
    check_refused(
        case.add_person(
            &id(32),
            &NewPerson { pseudonym: "X".into(), roles: vec!["boss".into()], ..NewPerson::default() },
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
