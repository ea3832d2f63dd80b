//! Exports (issue 11): the Uwazi CSVs against committed golden files, the JSON export read
//! back, refusal on field devices, and no identity value in any exported byte.
//!
//! Regenerate the golden files deliberately with
//! `CAIRN_UPDATE_FIXTURES=1 cargo test -p cairn-core --test export`.

use std::{collections::BTreeMap, path::Path};

use cairn_core::{
    CoreError, Session,
    cases::{CaseView, Identity, NewAct, NewEvent, NewPerson, NewTestimony, Sensitive, id_to_hex},
    export::{ExportError, ExportedCase, UWAZI_CSV_NAME, cases_json, uwazi_files},
    team::Role,
    testing::{TestTeam, TestVault},
};
use cairn_model::types::{
    Act, AttachmentRef, CaseRecord, CollabText, Consent, Event, IdentityValue, Note, Perpetrator, Person, SealedIdentity,
    TestimonyRecord, TestimonyRef,
};
use serde_json::Value;

const REAL_NAME: &str = "김진짜이름";
const BIRTH_DATE: &str = "1987-02-03";
const HOME_TOWN: &str = "혜산시비밀동";
const FAMILY: &str = "어머니박비밀";
const CONTACT: &str = "+82-10-5555-0199";

/// The identity a worker types.
fn typed_identity() -> Identity {
    Identity {
        real_name: Sensitive(REAL_NAME.into()),
        birth_date: Sensitive(BIRTH_DATE.into()),
        home_town: Sensitive(HOME_TOWN.into()),
        family: Sensitive(FAMILY.into()),
        contact: Sensitive(CONTACT.into()),
    }
}

/// Identity values as plain text (as an older version left them): the strongest case, since
/// nothing but the export's own rule keeps them out.
fn identity() -> SealedIdentity {
    let plain = |text: &str| IdentityValue::Plain(Sensitive(text.into()));
    SealedIdentity {
        real_name: plain(REAL_NAME),
        birth_date: plain(BIRTH_DATE),
        home_town: plain(HOME_TOWN),
        family: plain(FAMILY),
        contact: plain(CONTACT),
    }
}

fn hex(byte: u8) -> String {
    format!("{byte:02x}").repeat(16)
}

fn id(byte: u8) -> [u8; 16] {
    [byte; 16]
}

/// A fixed case, built without a vault: fixed ids, times, vocabulary codes, and Korean text
/// with commas, quotes and line breaks.
fn fixed_case(case_byte: u8, title: &str, created_at: i64) -> CaseView {
    let person_a = hex(case_byte + 1);
    let person_b = hex(case_byte + 2);
    let event = hex(case_byte + 3);
    let act = hex(case_byte + 4);
    let testimony = id(case_byte + 5);
    let note = hex(case_byte + 6);
    let audio = hex(case_byte + 7);
    let persons = BTreeMap::from([
        (
            person_a.clone(),
            Person { pseudonym: "A-17".into(), roles: vec!["victim".into(), "source".into()], identity: identity() },
        ),
        (person_b.clone(), Person { pseudonym: "B-02".into(), roles: vec!["witness".into()], identity: identity() }),
    ]);
    let acts = BTreeMap::from([(
        act,
        Act {
            act_type: "torture".into(),
            victim: person_a.clone(),
            perpetrator: Perpetrator {
                agency: "kp_state_security".into(),
                unit: "도 보위부, \"7과\"".into(),
                facility: "혜산 구류장".into(),
                person: String::new(),
            },
            consequences: "갈비뼈 골절,\n장기 통증".into(),
        },
    )]);
    let events = BTreeMap::from([(
        event,
        Event {
            title: "구금과 조사".into(),
            description: "국경에서 체포됨.\n\"조사\"는 3주, 매일 밤.".into(),
            date_start: "2019-03".into(),
            date_end: "2019-05".into(),
            date_certainty: "approximate".into(),
            place: "양강도 혜산".into(),
            acts,
        },
    )]);
    let notes = BTreeMap::from([(
        note,
        Note {
            at: created_at + 3_600_000, by: "활동가 1".into(), text: "후속 면담 필요, 4월.\r\n보안 주의".into()
        },
    )]);
    let attachments = BTreeMap::from([(
        audio.clone(),
        AttachmentRef {
            blob_id: hex(0xee),
            file_name: "면담 1|녹음.ogg".into(),
            media_type: "application/octet-stream".into(),
            original_size: 123_456,
            original_hash: "ab".repeat(32),
            stored_size: 123_456,
            stored_hash: "ab".repeat(32),
            metadata: "recorded".into(),
            added_at: created_at + 7_200_000,
            added_by: "활동가 1".into(),
            address: "cd".repeat(32),
            testimony: String::new(),
        },
    )]);
    let record = CaseRecord {
        schema: 1,
        title: title.into(),
        status: "ready_for_handover".into(),
        risk: "critical".into(),
        team: "북부팀".into(),
        tags: vec!["국경".into(), "보위부|구류장".into()],
        created_at,
        created_by: "활동가 1".into(),
        persons,
        testimonies: BTreeMap::from([(id_to_hex(&testimony), TestimonyRef { added_at: created_at })]),
        events,
        notes,
        attachments,
        handover_ready_at: 0,
    };
    let testimony_record = TestimonyRecord {
        schema: 1,
        case_id: id_to_hex(&id(case_byte)),
        source_person: person_a,
        date: "2023-11-14".into(),
        place: "서울".into(),
        interviewer: "활동가 1".into(),
        interpreter: String::new(),
        language: "ko".into(),
        consent: Consent {
            given: true,
            scopes: vec!["documentation".into(), "share_with_hq".into()],
            conditions: "이름, 얼굴 공개 금지".into(),
        },
        narrative: CollabText("그날 밤, 그들은 \"조용히 하라\"고 했다.\n다음 날 이송됐다.".into()),
        transcript: CollabText("질문: 언제였나요?\r\n답: 2019년 봄, 3월쯤".into()),
        audio: vec![audio],
    };
    CaseView {
        id: id(case_byte),
        record,
        testimonies: vec![(testimony, testimony_record)],
        conflicts: Vec::new(),
        arriving_testimonies: Vec::new(),
        arriving_attachments: Vec::new(),
        identity_sealed: BTreeMap::new(),
        document_heads: Vec::new(),
        updated_at: created_at,
    }
}

fn fixed_cases() -> Vec<ExportedCase> {
    vec![
        // 2023-11-14 22:13:20 UTC.
        ExportedCase { view: fixed_case(0x10, "두만강 사건, \"2019\"", 1_700_000_000_000), deleted: false },
        // The same pseudonyms and event title in another case: titles get their ids.
        ExportedCase { view: fixed_case(0x20, "혜산 사건", 1_700_086_400_000), deleted: false },
    ]
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/uwazi"))
}

#[test]
fn uwazi_csvs_match_the_golden_files() {
    let files = uwazi_files(&fixed_cases());
    let update = std::env::var_os("CAIRN_UPDATE_FIXTURES").is_some();
    let folders: Vec<_> = files.iter().map(|file| file.folder).collect();
    assert_eq!(folders, ["1_cases", "2_persons", "3_events", "4_attachments", "5_acts", "6_testimonies", "7_notes"]);
    for file in &files {
        let path = fixtures().join(file.folder).join(UWAZI_CSV_NAME);
        if update {
            std::fs::create_dir_all(path.parent().expect("folder")).expect("fixture folder");
            std::fs::write(&path, &file.csv).expect("write fixture");
        }
        let golden = std::fs::read_to_string(&path).expect("golden file (CAIRN_UPDATE_FIXTURES=1 writes it)");
        assert_eq!(file.csv, golden, "{} differs from its golden file", file.folder);
    }
    let rows: Vec<_> = files.iter().map(|file| file.rows).collect();
    assert_eq!(rows, [2, 4, 2, 2, 2, 2, 2]);
}

#[test]
fn no_identity_value_reaches_an_export() {
    let cases = fixed_cases();
    let mut exported = cases_json(&cases);
    for file in uwazi_files(&cases) {
        exported.push_str(&file.csv);
    }
    for secret in [REAL_NAME, BIRTH_DATE, HOME_TOWN, FAMILY, CONTACT] {
        assert!(!exported.contains(secret), "an identity value was exported");
    }
    for field in Identity::FIELDS {
        assert!(!exported.contains(field), "an identity field name was exported");
    }
}

/// A case with every part, through the vault's own API (real name set), on `session`.
fn documented_case(session: &mut Session, title: &str) -> [u8; 16] {
    let case_id = session.create_case(title).expect("case");
    let person = session
        .add_person(
            &case_id,
            &NewPerson { pseudonym: "P-1".into(), roles: vec!["victim".into()], identity: typed_identity() },
        )
        .expect("person");
    let person = id_to_hex(&person);
    let event = session
        .add_event(
            &case_id,
            &NewEvent {
                title: "송환, \"강제\"".into(),
                date_start: "2020".into(),
                certainty: "uncertain".into(),
                place: "신의주".into(),
                ..NewEvent::default()
            },
        )
        .expect("event");
    session
        .add_act(
            &event,
            &NewAct {
                act_type: "forced_repatriation".into(),
                victim: person.clone(),
                agency: "cn_public_security".into(),
                ..NewAct::default()
            },
        )
        .expect("act");
    session
        .add_testimony(
            &case_id,
            &NewTestimony {
                source_person: person,
                date: "2024-01".into(),
                language: "ko".into(),
                consent_given: true,
                consent_scopes: vec!["share_with_hq".into()],
                narrative: "첫 줄,\n둘째 \"줄\"".into(),
                ..NewTestimony::default()
            },
        )
        .expect("testimony");
    session.add_note(&case_id, "메모, 하나", None).expect("note");
    session.attach_reader(&case_id, "voice.ogg", &mut &b"not really audio"[..], false).expect("attachment");
    case_id
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read export")).expect("JSON")
}

fn all_bytes_under(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "a temporary file was left behind");
        if path.is_dir() {
            bytes.extend(all_bytes_under(&path));
        } else {
            bytes.extend(std::fs::read(&path).expect("file"));
        }
    }
    bytes
}

#[test]
fn json_export_reads_back_for_one_case_and_for_all() {
    let (_vault, mut session) = TestVault::create();
    let first = documented_case(&mut session, "첫 사건");
    let second = documented_case(&mut session, "둘째 사건");
    let out = tempfile::tempdir().expect("out");

    let one = out.path().join("one.json");
    let report = session.export_json_to(Some(&first), &one, false).expect("export one");
    assert_eq!(report.cases, 1);
    let value = read_json(&one);
    assert_eq!(value["format"], "cairn-cases");
    assert_eq!(value["version"], 1);
    let cases = value["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1);
    let view = session.open_case(&first).expect("open");
    let case = &cases[0];
    assert_eq!(case["id"], id_to_hex(&first));
    assert_eq!(case["title"], "첫 사건");
    assert_eq!(case["status"], view.record.status.as_str());
    assert_eq!(case["deleted"], false);
    let (person_id, person) = view.record.persons.iter().next().expect("person");
    assert_eq!(case["persons"][0]["id"], person_id.as_str());
    assert_eq!(case["persons"][0]["pseudonym"], "P-1");
    assert_eq!(case["persons"][0]["roles"], serde_json::json!(["victim"]));
    assert!(case["persons"][0].get("identity").is_none() && person.identity.real_name.is_set());
    let event = &case["events"][0];
    assert_eq!(event["title"], "송환, \"강제\"");
    assert_eq!(event["date_start"], "2020");
    assert_eq!(event["date_certainty"], "uncertain");
    assert_eq!(event["acts"][0]["act_type"], "forced_repatriation");
    assert_eq!(event["acts"][0]["victim"], person_id.as_str());
    assert_eq!(event["acts"][0]["perpetrator"]["agency"], "cn_public_security");
    let testimony = &case["testimonies"][0];
    assert_eq!(testimony["narrative"], "첫 줄,\n둘째 \"줄\"");
    assert_eq!(testimony["consent"]["scopes"], serde_json::json!(["share_with_hq"]));
    assert_eq!(case["notes"][0]["text"], "메모, 하나");
    let (_, attachment) = view.record.attachments.iter().next().expect("attachment");
    assert_eq!(case["attachments"][0]["file_name"], "voice.ogg");
    assert_eq!(case["attachments"][0]["stored_sha256"], attachment.stored_hash.as_str());

    // Refuses to overwrite, then replaces when asked.
    let refused = session.export_json_to(Some(&first), &one, false).expect_err("exists");
    assert_eq!(refused.code(), "target_exists");
    session.export_json_to(None, &one, true).expect("overwrite");
    let all = read_json(&one);
    let ids: Vec<_> = all["cases"].as_array().expect("cases").iter().map(|case| case["id"].clone()).collect();
    assert_eq!(ids, [id_to_hex(&first), id_to_hex(&second)]);
    assert_eq!(all["cases"][1]["title"], "둘째 사건");

    // Uwazi export through the session: the same CSVs as the pure function, in folders.
    let uwazi = out.path().join("uwazi");
    let report = session.export_uwazi_to(None, &uwazi, false).expect("uwazi");
    assert_eq!(report.cases, 2);
    assert_eq!(report.files.len(), 7);
    let cases = session.cases_for_export(None).expect("cases");
    for file in uwazi_files(&cases) {
        let written = std::fs::read_to_string(uwazi.join(file.folder).join(UWAZI_CSV_NAME)).expect("csv");
        assert_eq!(written, file.csv);
    }
    assert_eq!(session.export_uwazi_to(None, &uwazi, false).expect_err("exists").code(), "target_exists");
    session.export_uwazi_to(Some(&second), &uwazi, true).expect("overwrite");

    // Nothing of the identity in any byte written.
    let bytes = all_bytes_under(out.path());
    for secret in [REAL_NAME, BIRTH_DATE, HOME_TOWN, FAMILY, CONTACT] {
        assert!(!bytes.windows(secret.len()).any(|window| window == secret.as_bytes()), "identity exported");
    }
    let missing_parent = out.path().join("no/such/folder");
    assert_eq!(session.export_uwazi_to(None, &missing_parent, false).expect_err("no parent").code(), "target_folder");
}

#[test]
fn only_hq_or_a_vault_outside_any_organisation_exports() {
    let mut team = TestTeam::new(1);
    let coordinator = team.enroll(Role::Coordinator, "coordinator");
    let out = tempfile::tempdir().expect("out");

    let field_case = documented_case(team.device(0), "현장 사건");
    for index in [0, coordinator] {
        let target = out.path().join(format!("device-{index}.json"));
        let error = team.device(index).export_json_to(None, &target, false).expect_err("refused");
        assert!(matches!(error, CoreError::Export(ExportError::NotAllowed)));
        assert_eq!(error.code(), "export_not_allowed");
        assert!(!target.exists());
        let error = team.device(index).export_uwazi_to(Some(&field_case), &out.path().join("u"), false);
        assert_eq!(error.expect_err("refused").code(), "export_not_allowed");
        assert!(!out.path().join("u").exists());
    }

    let hq_case = documented_case(&mut team.hq.session, "본부 사건");
    let target = out.path().join("hq.json");
    team.hq.session.export_json_to(Some(&hq_case), &target, false).expect("HQ exports");
    assert_eq!(read_json(&target)["cases"][0]["title"], "본부 사건");
}
