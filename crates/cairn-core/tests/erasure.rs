//! Deleting a case erases it (issue 12): with the session still open, as the desktop app keeps
//! it for hours, nothing of a deleted case is left in any page of `vault.db` or frame of its
//! WAL, decrypted with the vault's own K_db (what a seized disk and a coerced passphrase give):
//! not its title, a person's pseudonym or real name, its narrative, its search rows, the
//! bytes of its wrapped case key, nor the signatures of its chain of custody. The same holds when the deletion arrives from a peer as a
//! tombstone.

use cairn_core::{
    Session,
    cases::{Identity, NewPerson, NewTestimony, ObjectId, id_to_hex},
    testing::{TestTeam, TestVault, custody_records, decrypted_vault_pages, erasure_pending, sync_pair, wrapped_case_keys},
};
use cairn_model::Sensitive;
use cairn_store::testing::PageSource;

/// What a case holds that must not survive its deletion, unique to `tag`.
struct Markers {
    title: String,
    pseudonym: String,
    real_name: String,
    narrative: String,
}

impl Markers {
    fn new(tag: &str) -> Markers {
        Markers {
            title: format!("TITLE-{tag}-7f3a9c"),
            pseudonym: format!("PSEUDO-{tag}-41be0d"),
            real_name: format!("REALNAME-{tag}-c2d8e5"),
            narrative: format!("NARRATIVE-{tag}-9a6b14 압록강을 건넌 밤"),
        }
    }

    fn all(&self) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("title", self.title.clone().into_bytes()),
            ("pseudonym", self.pseudonym.clone().into_bytes()),
            ("real name", self.real_name.clone().into_bytes()),
            // Also what the search rows hold (the indexed text is stored whole beside the index).
            ("narrative", self.narrative.clone().into_bytes()),
        ]
    }
}

/// A case with a person (pseudonym and real name) and a testimony with a narrative.
fn fill_case(session: &mut Session, markers: &Markers) -> ObjectId {
    let case = session.create_case(&markers.title).expect("case");
    let identity = Identity { real_name: Sensitive(markers.real_name.clone()), ..Identity::default() };
    let person = NewPerson { pseudonym: markers.pseudonym.clone(), identity, ..NewPerson::default() };
    let person = session.add_person(&case, &person).expect("person");
    let testimony = NewTestimony { source_person: id_to_hex(&person), language: "ko".into(), ..NewTestimony::default() };
    let testimony = session.add_testimony(&case, &testimony).expect("testimony");
    session.set_narrative(&testimony, &markers.narrative).expect("narrative");
    case
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Where each needle still appears among the decrypted pages of the session's vault.
fn residue(session: &Session, needles: &[(&'static str, Vec<u8>)]) -> Vec<String> {
    let mut found = Vec::new();
    for page in decrypted_vault_pages(session) {
        for (what, needle) in needles {
            if contains(&page.plaintext, needle) {
                found.push(format!("{what} in {:?} page {}", page.source, page.page_number));
            }
        }
    }
    found
}

/// The needles of a case: its markers, the bytes of every wrapped key it had and the
/// signatures of its chain of custody.
fn needles_of(session: &mut Session, case: &ObjectId, markers: &Markers) -> Vec<(&'static str, Vec<u8>)> {
    let mut needles = markers.all();
    needles.extend(wrapped_case_keys(session, case).into_iter().map(|wrapped| ("wrapped case key", wrapped)));
    let signatures: Vec<Vec<u8>> = custody_records(session, case)
        .into_iter()
        .filter_map(|row| row.custody.map(|custody| custody.signature.to_bytes().to_vec()))
        .collect();
    assert!(!signatures.is_empty(), "every change is signed");
    needles.extend(signatures.into_iter().map(|signature| ("custody signature", signature)));
    needles
}

#[test]
fn a_deleted_case_leaves_nothing_in_any_page_while_the_session_stays_open() {
    let (vault, mut session) = TestVault::create();
    let doomed_markers = Markers::new("doomed");
    let kept_markers = Markers::new("kept");
    let doomed = fill_case(&mut session, &doomed_markers);
    let kept = fill_case(&mut session, &kept_markers);
    let needles = needles_of(&mut session, &doomed, &doomed_markers);
    // The scan sees plaintext: before the deletion the title and search text are there.
    let before = residue(&session, &needles);
    assert!(before.iter().any(|found| found.starts_with("title")), "{before:?}");
    assert!(before.iter().any(|found| found.starts_with("wrapped case key")), "{before:?}");

    session.delete_case(&doomed).expect("delete");
    assert!(!erasure_pending(&session));
    let left = residue(&session, &needles);
    assert!(left.is_empty(), "a deleted case left: {left:?}");
    assert!(decrypted_vault_pages(&session).iter().all(|page| page.source == PageSource::Database), "WAL emptied");

    // The other case is whole, searchable and still in the pages the scan reads.
    assert_eq!(session.open_case(&kept).expect("kept").record.title, kept_markers.title);
    assert!(session.search(&doomed_markers.narrative[..16], 10).expect("search").is_empty());
    assert!(!session.search(&kept_markers.narrative[..16], 10).expect("search").is_empty());
    assert!(!residue(&session, &kept_markers.all()[..1]).is_empty(), "the kept title is still readable");

    // Locked and unlocked again: still nothing, still whole.
    session.lock();
    let mut session = vault.reopen();
    assert!(residue(&session, &needles).is_empty());
    assert_eq!(session.open_case(&kept).expect("kept").record.title, kept_markers.title);
    assert_eq!(session.list_cases().expect("list").len(), 1);
}

#[test]
fn a_deletion_received_from_a_peer_erases_the_case_the_same_way() {
    let mut team = TestTeam::new(2);
    let markers = Markers::new("peer");
    let case = fill_case(team.device(0), &markers);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    sync_pair(&mut a.session, &mut b.session, None).expect("share the case");
    assert_eq!(b.session.open_case(&case).expect("arrived").record.title, markers.title);
    let needles = needles_of(&mut b.session, &case, &markers);
    assert!(!residue(&b.session, &needles).is_empty(), "the receiving device holds the case before");

    a.session.delete_case(&case).expect("delete on a");
    sync_pair(&mut a.session, &mut b.session, None).expect("the tombstone travels");
    assert_eq!(b.session.open_case(&case).expect_err("gone").code(), "not_found");
    assert!(!erasure_pending(&b.session));
    let left = residue(&b.session, &needles);
    assert!(left.is_empty(), "a case deleted by a peer left: {left:?}");
}
