//! Identity sealed for HQ from the first keystroke (issue 11, DESIGN §1 T3): a field device
//! that records a person's real name keeps only a value sealed to HQ's intake key. Its vault
//! (the files, every decrypted page and WAL frame, every document opened with its case key,
//! history included), the bundles it writes and the bytes of a live sync never hold the name
//! in the clear, and the device itself cannot show it; HQ can. A vault outside any team seals
//! to a key of its own, which enrollment replaces by HQ's and destroys. A roster policy can
//! add coordinators, for values written after it. A conflict between sealed values waits for
//! HQ.

use std::path::Path;

use cairn_core::{
    Session,
    cases::{Identity, IdentityField, NewPerson, PersonEdit, Sensitive},
    team::Role,
    testing::{
        PairOutcome, TestTeam, TestVault, decrypted_vault_pages, document_contents, identity_sealing_key, sync_pair,
        sync_pair_traffic,
    },
};

/// The person's real name, in Latin letters and in Korean (UTF-8), and other identity text:
/// unique, so any copy of them anywhere is found.
const NAME: &str = "Kim Young-hee Q7ZX";
const NAME_KO: &str = "김영희순";
const HOME_TOWN: &str = "회령시 남문동 HT93";
const CONTACT: &str = "+86 138 0000 4417";

fn needles() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("name", NAME.as_bytes().to_vec()),
        ("Korean name", NAME_KO.as_bytes().to_vec()),
        ("home town", HOME_TOWN.as_bytes().to_vec()),
        ("contact", CONTACT.as_bytes().to_vec()),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Which needles `bytes` holds (named by `place`).
fn found_in(place: &str, bytes: &[u8]) -> Vec<String> {
    needles()
        .into_iter()
        .filter(|(_, needle)| contains(bytes, needle))
        .map(|(what, _)| format!("{what} in {place}"))
        .collect()
}

fn identity() -> Identity {
    Identity {
        real_name: Sensitive(format!("{NAME} / {NAME_KO}")),
        home_town: Sensitive(HOME_TOWN.into()),
        contact: Sensitive(CONTACT.into()),
        ..Identity::default()
    }
}

/// Everything of `session`'s vault a seized laptop and a coerced passphrase give: the raw
/// files, every page and WAL frame decrypted with K_db, every document of every case opened
/// with its case key (every chunk and the whole history, uncompressed).
fn vault_residue(session: &mut Session, folder: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).expect("vault folder") {
        let path = entry.expect("entry").path();
        found.extend(found_in(&format!("file {:?}", path.file_name()), &std::fs::read(&path).expect("read")));
    }
    for page in decrypted_vault_pages(session) {
        found.extend(found_in(&format!("{:?} page {}", page.source, page.page_number), &page.plaintext));
    }
    for case in session.list_cases().expect("list") {
        for digest in session.case_digests(&case.id).expect("digests") {
            found.extend(found_in("a document", &document_contents(session, &case.id, &digest.doc_id)));
        }
    }
    found
}

/// Syncs devices `a` and `b` of `team` (`a` < `b`).
fn sync_devices(team: &mut TestTeam, a: usize, b: usize) {
    let (left, right) = team.devices.split_at_mut(b);
    done(sync_pair(&mut left[a].session, &mut right[0].session, None));
}

fn done(outcome: Result<PairOutcome, String>) {
    assert!(matches!(outcome, Ok(PairOutcome::Done(..))), "{outcome:?}");
}

/// The scans have teeth: the same name typed into a note (which is not an identity field) is
/// found in the decrypted pages (its search row) and in the opened document.
#[test]
fn the_scans_find_a_name_that_is_not_sealed() {
    let mut team = TestTeam::new(1);
    let folder = team.devices[0].vault.path().to_owned();
    let field = &mut team.devices[0].session;
    let case = field.create_case("Control").expect("case");
    field.add_note(&case, &format!("met {NAME} / {NAME_KO}"), None).expect("note");
    let residue = vault_residue(field, &folder);
    assert!(residue.iter().any(|place| place.contains("page")), "{residue:?}");
    assert!(residue.iter().any(|place| place.contains("document")), "{residue:?}");
    assert!(residue.iter().any(|place| place.starts_with("Korean name")), "{residue:?}");
    let (_, traffic) = sync_pair_traffic(field, &mut team.hq.session, None).expect("sync");
    assert!(traffic.iter().all(|message| found_in("a sync message", message).is_empty()), "sealed in transit");
    assert!(!found_in("HQ's copy", &document_contents(&mut team.hq.session, &case, &case)).is_empty());
}

#[test]
fn a_field_device_never_holds_in_the_clear_a_name_it_recorded_and_hq_reads_it() {
    let mut team = TestTeam::new(1);
    let folder = team.devices[0].vault.path().to_owned();
    let field = &mut team.devices[0].session;
    let case = field.create_case("Crossing at Hoeryong").expect("case");
    let person = field
        .add_person(&case, &NewPerson { pseudonym: "A-17".into(), roles: vec!["victim".into()], identity: identity() })
        .expect("person");

    // The device that typed it cannot show it: every recorded field is "sealed", not empty.
    let revealed = field.reveal_identity(&person).expect("reveal");
    assert_eq!(revealed.identity, Identity::default(), "nothing opens on the field device");
    assert_eq!(revealed.sealed, [IdentityField::RealName, IdentityField::HomeTown, IdentityField::Contact]);
    let view = field.open_case(&case).expect("open");
    assert_eq!(view.identity_sealed[&cairn_core::cases::id_to_hex(&person)], revealed.sealed);
    assert!(!view.record.persons.values().next().expect("person").identity.birth_date.is_set());
    assert!(field.search(NAME, 10).expect("search").is_empty() && field.search(NAME_KO, 10).expect("search").is_empty());
    let residue = vault_residue(field, &folder);
    assert!(residue.is_empty(), "{residue:?}");

    // A bundle for HQ: neither the file nor what HQ holds after importing it.
    let stick = tempfile::tempdir().expect("stick");
    let written = field.export_bundles(stick.path(), &[], &mut ()).expect("export");
    assert!(!written.is_empty());
    for entry in std::fs::read_dir(stick.path()).expect("stick") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("bundle");
        let residue = found_in("a bundle", &bytes);
        assert!(residue.is_empty(), "{residue:?}");
    }
    let hq = &mut team.hq.session;
    hq.import_bundles(stick.path(), &mut ()).expect("import");
    let opened = hq.reveal_identity(&person).expect("HQ reveals");
    assert_eq!(opened.identity.real_name.expose(), format!("{NAME} / {NAME_KO}"));
    assert_eq!(opened.identity.home_town.expose(), HOME_TOWN);
    assert!(opened.sealed.is_empty());
    assert!(hq.open_case(&case).expect("open").identity_sealed.is_empty());
    assert!(hq.search(NAME, 10).expect("search").is_empty() && hq.search(NAME_KO, 10).expect("search").is_empty());
    let residue = found_in("HQ's copy of the case document", &document_contents(hq, &case, &case));
    assert!(residue.is_empty(), "what travelled holds only sealed values: {residue:?}");

    // The field worker replaces the name (without reading it) and clears the contact; a live
    // sync carries the edit to HQ. Nothing of the old or new name crosses in the clear.
    let field = &mut team.devices[0].session;
    let replace = PersonEdit {
        real_name: Some(Sensitive(format!("{NAME} (corrected) {NAME_KO}"))),
        contact: Some(Sensitive(String::new())),
        ..PersonEdit::default()
    };
    field.edit_person(&person, &replace).expect("replace and clear");
    assert_eq!(field.reveal_identity(&person).expect("reveal").sealed, [IdentityField::RealName, IdentityField::HomeTown]);
    let (outcome, traffic) = sync_pair_traffic(field, &mut team.hq.session, None).expect("sync");
    assert!(matches!(outcome, PairOutcome::Done(..)));
    assert!(!traffic.is_empty());
    for message in &traffic {
        let residue = found_in("a sync message", message);
        assert!(residue.is_empty(), "{residue:?}");
    }
    let opened = team.hq.session.reveal_identity(&person).expect("HQ reveals");
    assert_eq!(opened.identity.real_name.expose(), format!("{NAME} (corrected) {NAME_KO}"));
    assert!(!opened.identity.contact.is_set(), "cleared");
    let field = &mut team.devices[0].session;
    let residue = vault_residue(field, &folder);
    assert!(residue.is_empty(), "{residue:?}");
    let residue = found_in("HQ's copy after sync", &document_contents(&mut team.hq.session, &case, &case));
    assert!(residue.is_empty(), "{residue:?}");
}

#[test]
fn values_typed_before_enrollment_are_resealed_to_hq_and_the_own_key_is_destroyed() {
    let (vault, mut session) = TestVault::create();
    assert_eq!(identity_sealing_key(&mut session), None, "made only when first needed");
    let case = session.create_case("Before the team").expect("case");
    let person =
        session.add_person(&case, &NewPerson { pseudonym: "B-2".into(), identity: identity(), ..NewPerson::default() });
    let person = person.expect("person");
    // Before any organisation the device holds the key it sealed to, and reads the values.
    let revealed = session.reveal_identity(&person).expect("reveal");
    assert_eq!(revealed.identity.home_town.expose(), HOME_TOWN);
    assert!(revealed.sealed.is_empty());
    let wrapped_key = identity_sealing_key(&mut session).expect("a pre-enrollment key");
    let old_value = session.open_case(&case).expect("open").record.persons.values().next().expect("p").identity.clone();
    let residue = vault_residue(&mut session, vault.path());
    assert!(residue.is_empty(), "sealed before it was written: {residue:?}");

    let mut team = TestTeam::new(0);
    let index = team.enroll_existing(vault, session, Role::Field, "late field device");
    let session = &mut team.devices[index].session;
    assert_eq!(identity_sealing_key(session), None, "destroyed at enrollment");
    let revealed = session.reveal_identity(&person).expect("reveal");
    assert_eq!(revealed.sealed, [IdentityField::RealName, IdentityField::HomeTown, IdentityField::Contact]);
    let now = session.open_case(&case).expect("open").record.persons.values().next().expect("p").identity.clone();
    assert_ne!(now.real_name, old_value.real_name, "resealed as a new value");
    // No page or WAL frame keeps the destroyed key.
    for page in decrypted_vault_pages(session) {
        assert!(!contains(&page.plaintext, &wrapped_key), "{:?} page {}", page.source, page.page_number);
    }
    let folder = team.devices[index].vault.path().to_owned();
    let residue = vault_residue(&mut team.devices[index].session, &folder);
    assert!(residue.is_empty(), "{residue:?}");
    // The reseal is an ordinary change: it reaches HQ, which reads the values.
    done(sync_pair(&mut team.devices[index].session, &mut team.hq.session, None));
    let opened = team.hq.session.reveal_identity(&person).expect("HQ reveals");
    assert_eq!(opened.identity.contact.expose(), CONTACT);
    assert!(opened.sealed.is_empty());
    // HQ's vault went through the same: its own earlier values moved to the intake key.
    assert_eq!(identity_sealing_key(&mut team.hq.session), None);
    // Unlocking again finds nothing left to do.
    let TestDeviceParts { vault, session } = take(&mut team, index);
    session.lock();
    let mut session = vault.reopen();
    assert_eq!(session.reveal_identity(&person).expect("reveal").sealed.len(), 3);
}

/// A device's vault and session, taken out of a team (to lock and reopen).
struct TestDeviceParts {
    vault: TestVault,
    session: Session,
}

fn take(team: &mut TestTeam, index: usize) -> TestDeviceParts {
    let device = team.devices.remove(index);
    TestDeviceParts { vault: device.vault, session: device.session }
}

#[test]
fn hq_reads_values_it_typed_before_creating_the_organisation() {
    let (vault, mut session) = TestVault::create();
    let case = session.create_case("HQ's own").expect("case");
    let person =
        session.add_person(&case, &NewPerson { pseudonym: "H-1".into(), identity: identity(), ..NewPerson::default() });
    let person = person.expect("person");
    assert!(identity_sealing_key(&mut session).is_some());
    session.create_organisation("Org", "HQ").expect("organisation");
    assert_eq!(identity_sealing_key(&mut session), None);
    let opened = session.reveal_identity(&person).expect("reveal");
    assert_eq!(opened.identity.home_town.expose(), HOME_TOWN);
    let residue = vault_residue(&mut session, vault.path());
    assert!(residue.is_empty(), "{residue:?}");
}

#[test]
fn coordinators_read_what_is_written_after_the_policy_lets_them() {
    let mut team = TestTeam::new(1);
    let coordinator = team.enroll(Role::Coordinator, "coordinator");
    let case = team.devices[0].session.create_case("Policy").expect("case");
    let before = NewPerson { pseudonym: "P-1".into(), identity: identity(), ..NewPerson::default() };
    let before = team.devices[0].session.add_person(&case, &before).expect("person");
    sync_devices(&mut team, 0, coordinator);
    let sealed = team.devices[coordinator].session.reveal_identity(&before).expect("reveal").sealed;
    assert_eq!(sealed.len(), 3, "HQ only by default");

    team.hq.session.set_identity_readers(&[Role::Coordinator]).expect("policy");
    team.distribute_roster().expect("roster");
    let view = team.devices[0].session.roster().expect("roster").expect("held");
    assert_eq!(view.identity_readers, [Role::Coordinator, Role::Hq]);
    let after = NewPerson { pseudonym: "P-2".into(), identity: identity(), ..NewPerson::default() };
    let after = team.devices[0].session.add_person(&case, &after).expect("person");
    sync_devices(&mut team, 0, coordinator);
    let coordinator_session = &mut team.devices[coordinator].session;
    assert_eq!(coordinator_session.reveal_identity(&after).expect("reveal").identity.contact.expose(), CONTACT);
    assert_eq!(coordinator_session.reveal_identity(&before).expect("reveal").sealed.len(), 3, "earlier writes keep theirs");
    // The field device that wrote it still cannot read it (field is no reader role).
    assert_eq!(team.devices[0].session.reveal_identity(&after).expect("reveal").sealed.len(), 3);
    done(sync_pair(&mut team.devices[0].session, &mut team.hq.session, None));
    for person in [before, after] {
        assert!(team.hq.session.reveal_identity(&person).expect("HQ").sealed.is_empty());
    }
}

#[test]
fn a_conflict_between_sealed_values_is_shown_as_sealed_and_resolved_at_hq() {
    let mut team = TestTeam::new(2);
    let case = team.devices[0].session.create_case("Conflict").expect("case");
    let person = team.devices[0].session.add_person(&case, &NewPerson { pseudonym: "C-1".into(), ..NewPerson::default() });
    let person = person.expect("person");
    let (first, rest) = team.devices.split_at_mut(1);
    done(sync_pair(&mut first[0].session, &mut rest[0].session, None));
    for (device, name) in [(&mut first[0].session, "이름 하나"), (&mut rest[0].session, "이름 둘")] {
        let edit = PersonEdit { real_name: Some(Sensitive(name.into())), ..PersonEdit::default() };
        device.edit_person(&person, &edit).expect("concurrent replace");
    }
    done(sync_pair(&mut first[0].session, &mut rest[0].session, None));
    let field = &mut first[0].session;
    let view = field.open_case(&case).expect("a conflict of sealed values opens");
    let path = format!("persons/{}/identity/real_name", cairn_core::cases::id_to_hex(&person));
    let conflict = view.conflicts.iter().find(|c| c.conflict.path == path).expect("the conflict");
    assert!(conflict.sealed() && !conflict.mergeable());
    assert!(conflict.conflict.values.iter().all(|value| value.value.is_empty() && value.sealed.is_some()));
    for error in [
        field.resolve_conflict(&case, &case, &path, 0).expect_err("resolve"),
        field.merge_conflict(&case, &case, &path, "이름").expect_err("merge"),
        field
            .edit_person(&person, &PersonEdit { real_name: Some(Sensitive("셋".into())), ..PersonEdit::default() })
            .expect_err("replace"),
    ] {
        assert_eq!(error.code(), "identity_sealed");
    }
    // Other fields of the person stay editable.
    field.edit_person(&person, &PersonEdit { pseudonym: Some("C-2".into()), ..PersonEdit::default() }).expect("pseudonym");

    done(sync_pair(field, &mut team.hq.session, None));
    let hq = &mut team.hq.session;
    let view = hq.open_case(&case).expect("open");
    let conflict = view.conflicts.iter().find(|c| c.conflict.path == path).expect("the conflict at HQ");
    assert!(!conflict.sealed() && conflict.mergeable());
    let mut values: Vec<&str> = conflict.conflict.values.iter().map(|value| value.value.as_str()).collect();
    values.sort();
    assert_eq!(values, ["이름 둘", "이름 하나"]);
    let choice = conflict.conflict.values.iter().position(|value| value.value == "이름 둘").expect("choice");
    hq.resolve_conflict(&case, &case, &path, choice).expect("HQ resolves");
    assert_eq!(hq.reveal_identity(&person).expect("reveal").identity.real_name.expose(), "이름 둘");
    done(sync_pair(&mut team.devices[0].session, &mut team.hq.session, None));
    let view = team.devices[0].session.open_case(&case).expect("open");
    assert!(view.conflicts.is_empty(), "HQ's resolution synced back");
    assert_eq!(team.devices[0].session.reveal_identity(&person).expect("reveal").sealed, [IdentityField::RealName]);
}
