//! Tamper loops (issue 12): bytes flipped in every page of `vault.db`, in every chunk and the
//! header of a sealed blob, in every byte of a wrapped case key, and in every frame of the
//! WAL. Each flip must end in a clean `vault_damaged` (never a panic, never altered data
//! returned as good), or, for the WAL, in the state of the commit before the damaged frame;
//! and the vault stays usable where the design says so (a damaged blob or case key harms only
//! its own case). A flipped version byte of a stored item is damage too, not "a newer Cairn".

use std::{
    collections::BTreeMap,
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
};

use cairn_core::{
    CoreError, SecretString, Session,
    cases::{CaseSummary, NewPerson, NewTestimony, ObjectId, SearchHit, id_to_hex, parse_id},
    create_vault,
    testing::wrapped_case_keys,
    unlock_vault,
};
use cairn_scenarios::{CHUNK, PASSPHRASE_A, Rng};
use cairn_store::{KdfChoice, Vault};

/// SQLCipher's page: 4096 bytes, the last 80 reserved for the IV (16) and the HMAC (64).
const PAGE: usize = 4096;
const RESERVED: usize = 80;
const IV: usize = 16;
/// The WAL's header, and each frame's header before its page.
const WAL_HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

/// The words the fixture's texts hold, searched for in every snapshot.
const TERMS: [&str; 6] = ["표식-제목-하나", "MARK-title-two", "MARK-note-a", "압록강-증언-표식", "PSEUDO-7", "MARK-wal"];

/// What the fixture holds: its cases and their attachment.
struct Fixture {
    cases: Vec<ObjectId>,
    attachment: ObjectId,
    content: Vec<u8>,
}

/// A small vault (test KDF: every unlock is cheap): a case with a note, a person, a testimony
/// and an attachment of four chunks, and two cases with a note each.
fn fill(dir: &Path) -> Fixture {
    let (mut session, _) =
        create_vault(dir, &SecretString::from(PASSPHRASE_A), KdfChoice::InsecureTestOnly).expect("create");
    let first = session.create_case("표식-제목-하나 사례").expect("case");
    session.add_note(&first, "MARK-note-a: 가족 연락", None).expect("note");
    let person = NewPerson { pseudonym: "PSEUDO-7".into(), ..NewPerson::default() };
    let person = session.add_person(&first, &person).expect("person");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        narrative: "압록강-증언-표식 을 건넜다".into(),
        ..NewTestimony::default()
    };
    session.add_testimony(&first, &testimony).expect("testimony");
    let content = Rng::new(7).bytes(3 * CHUNK + 1234);
    let attachment = session.attach_reader(&first, "evidence.bin", &mut content.as_slice(), true).expect("attach").id;
    let second = session.create_case("MARK-title-two").expect("case");
    session.add_note(&second, "두 번째 메모", None).expect("note");
    let third = session.create_case("세 번째 사례").expect("case");
    session.add_note(&third, "세 번째 메모", None).expect("note");
    session.lock();
    Fixture { cases: vec![first, second, third], attachment, content }
}

/// Everything a front end can read of the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    case_count: u64,
    listed: Vec<CaseSummary>,
    /// Each case as opened (its `Debug` text: every field of every document).
    views: Vec<String>,
    searches: Vec<Vec<SearchHit>>,
    /// Every attachment's content.
    attachments: BTreeMap<String, Vec<u8>>,
}

fn read_everything(session: &mut Session) -> Result<Snapshot, CoreError> {
    let case_count = session.status()?.case_count;
    let listed = session.list_cases()?;
    let (mut views, mut attachments) = (Vec::new(), BTreeMap::new());
    for summary in &listed {
        let view = session.open_case(&summary.id)?;
        for hex in view.record.attachments.keys() {
            let mut content = Vec::new();
            session.export_attachment(&parse_id(hex).expect("attachment id"), &mut content)?;
            attachments.insert(hex.clone(), content);
        }
        views.push(format!("{view:?}"));
    }
    let searches = TERMS.iter().map(|term| session.search(term, 100)).collect::<Result<_, _>>()?;
    Ok(Snapshot { case_count, listed, views, searches, attachments })
}

fn open(dir: &Path) -> Result<Session, CoreError> {
    unlock_vault(dir, &SecretString::from(PASSPHRASE_A))
}

/// Copies the vault folder's files (not the WAL index, which SQLite rebuilds).
fn copy_vault(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).expect("remove the old copy");
    }
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the vault folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        if !name.to_string_lossy().ends_with("-shm") {
            std::fs::copy(&path, to.join(name)).expect("copy");
        }
    }
}

/// Flips one bit of byte `at` of `file`.
fn flip(file: &Path, at: usize, bit: u8) {
    let mut bytes = std::fs::read(file).expect("read");
    bytes[at] ^= 1 << bit;
    std::fs::write(file, bytes).expect("write");
}

/// Opens a damaged copy and reads everything; `Ok` with what was read, or the error's code,
/// which must be `vault_damaged`. A panic is reported as the failure it is.
fn open_damaged(dir: &Path, what: &str) -> Result<(Snapshot, Session), ()> {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<(Snapshot, Session), CoreError> {
        let mut session = open(dir)?;
        let snapshot = read_everything(&mut session)?;
        Ok((snapshot, session))
    }));
    match outcome {
        Err(_) => panic!("{what}: Cairn panicked"),
        Ok(Err(error)) => {
            assert_eq!(error.code(), "vault_damaged", "{what}: {error}");
            Err(())
        }
        Ok(Ok(read)) => Ok(read),
    }
}

#[test]
fn a_flip_in_any_database_page_is_reported_as_damage() {
    let folder = tempfile::tempdir().expect("tempdir");
    let dir = folder.path().join("vault");
    fill(&dir);
    let mut session = open(&dir).expect("open");
    let reference = read_everything(&mut session).expect("read");
    session.lock();
    assert!(!dir.join("vault.db-wal").exists(), "locking folds the WAL into the database");
    let database_len = std::fs::metadata(dir.join("vault.db")).expect("database").len() as usize;
    assert_eq!(database_len % PAGE, 0);
    let copy = folder.path().join("copy");
    let mut rng = Rng::new(0x7a3e_e2ed_0000_0001);
    let (mut damaged, mut caught_by_check) = (0, 0);
    for page in 0..database_len / PAGE {
        // One byte in the page's content, one in its IV, one in its HMAC.
        let offsets = [
            rng.below((PAGE - RESERVED) as u64) as usize,
            PAGE - RESERVED + rng.below(IV as u64) as usize,
            PAGE - RESERVED + IV + rng.below((RESERVED - IV) as u64) as usize,
        ];
        for offset in offsets {
            let what = format!("page {} byte {offset}", page + 1);
            copy_vault(&dir, &copy);
            flip(&copy.join("vault.db"), page * PAGE + offset, rng.below(8) as u8);
            match open_damaged(&copy, &what) {
                Err(()) => damaged += 1,
                Ok((snapshot, session)) => {
                    // A page no read touched (free, or an index only a check walks) must
                    // still be caught by the integrity check, and nothing read was altered.
                    assert!(snapshot == reference, "{what}: altered data read as good");
                    let check = session.check_integrity().map_err(|error| error.code());
                    assert_eq!(check, Err("vault_damaged"), "{what}: the flip went unnoticed");
                    caught_by_check += 1;
                }
            }
        }
    }
    assert!(damaged > 0 && damaged + caught_by_check == 3 * database_len / PAGE);
}

/// The fixture opened, and the store's own handle on the same vault (to rewrite rows).
fn open_both(dir: &Path) -> (Session, Vault) {
    let session = open(dir).expect("open");
    let store = Vault::unlock(dir, &SecretString::from(PASSPHRASE_A)).expect("the store's handle");
    (session, store)
}

#[test]
fn a_flip_in_any_blob_chunk_or_header_fails_the_export_and_leaves_no_file() {
    let folder = tempfile::tempdir().expect("tempdir");
    let dir = folder.path().join("vault");
    let fixture = fill(&dir);
    let (mut session, mut store) = open_both(&dir);
    let case = session.open_case(&fixture.cases[0]).expect("open");
    let blob = parse_id(&case.record.attachments[&id_to_hex(&fixture.attachment)].blob_id).expect("blob id");
    let chunks = store.read(|tx| tx.stored_blob_chunks(&blob)).expect("chunks");
    let header = store.read(|tx| tx.stored_blob_header(&blob)).expect("header");
    assert_eq!(chunks.len(), 4, "three whole chunks and a partial one");
    let out = folder.path().join("out");
    std::fs::create_dir(&out).expect("out folder");
    let target = out.join("evidence.bin");
    let stream = session.open_stream(&fixture.attachment).expect("stream");

    // Each chunk's first ciphertext byte, middle, first and last tag byte; every byte of the
    // header (version, key version, nonce prefix); chunks swapped, truncated or emptied.
    let mut variants: Vec<(String, Option<u32>, Vec<u8>)> = Vec::new();
    for (position, chunk) in chunks.iter().enumerate() {
        for at in [0, chunk.len() / 2, chunk.len() - 16, chunk.len() - 1] {
            let mut tampered = chunk.clone();
            tampered[at] ^= 0x20;
            variants.push((format!("chunk {position} byte {at}"), Some(position as u32), tampered));
        }
        variants.push((format!("chunk {position} truncated"), Some(position as u32), chunk[..chunk.len() - 1].to_vec()));
        variants.push((format!("chunk {position} empty"), Some(position as u32), Vec::new()));
        let other = (position + 1) % chunks.len();
        variants.push((format!("chunk {other} at {position}"), Some(position as u32), chunks[other].clone()));
    }
    for at in 0..header.len() {
        let mut tampered = header.clone();
        tampered[at] ^= 0x01;
        variants.push((format!("header byte {at}"), None, tampered));
    }
    for (what, position, tampered) in &variants {
        store
            .transaction(|tx| match position {
                Some(position) => tx.replace_stored_blob_chunk(&blob, *position, tampered),
                None => tx.replace_stored_blob_header(&blob, tampered),
            })
            .expect("tamper");
        let outcome = catch_unwind(AssertUnwindSafe(|| session.export_attachment_to(&fixture.attachment, &target, false)));
        let outcome = outcome.unwrap_or_else(|_| panic!("{what}: Cairn panicked"));
        assert_eq!(outcome.map(|_| ()).map_err(|error| error.code()), Err("vault_damaged"), "{what}");
        let left: Vec<_> = std::fs::read_dir(&out).expect("out").collect();
        assert!(left.is_empty(), "{what}: the failed export left {} files", left.len());
        // Playback authenticates each chunk it reads: the damaged one fails, the others play.
        for (index, _) in chunks.iter().enumerate() {
            let read = session.read_stream(&stream, (index * CHUNK) as u64, CHUNK);
            match read {
                Ok(bytes) => {
                    assert!(*position != Some(index as u32) && position.is_some(), "{what}: chunk {index} read as good");
                    let end = ((index + 1) * CHUNK).min(fixture.content.len());
                    assert_eq!(&bytes[..], &fixture.content[index * CHUNK..end], "{what}: chunk {index}");
                }
                Err(error) => assert_eq!(error.code(), "vault_damaged", "{what}: chunk {index}"),
            }
        }
        store
            .transaction(|tx| match position {
                Some(position) => tx.replace_stored_blob_chunk(&blob, *position, &chunks[*position as usize]),
                None => tx.replace_stored_blob_header(&blob, &header),
            })
            .expect("restore");
    }
    // Restored, it exports whole again.
    session.export_attachment_to(&fixture.attachment, &target, false).expect("export");
    assert_eq!(std::fs::read(&target).expect("exported"), fixture.content);
}

#[test]
fn a_flip_in_any_byte_of_a_wrapped_case_key_fails_only_that_case() {
    let folder = tempfile::tempdir().expect("tempdir");
    let dir = folder.path().join("vault");
    let fixture = fill(&dir);
    let (mut session, mut store) = open_both(&dir);
    let reference = read_everything(&mut session).expect("read");
    let [damaged_case, others @ ..] = &fixture.cases[..] else { unreachable!() };
    let views: Vec<String> = others.iter().map(|case| format!("{:?}", session.open_case(case).expect("open"))).collect();
    let wrapped = wrapped_case_keys(&mut session, damaged_case);
    assert_eq!(wrapped.len(), 1, "one key version");
    let wrapped = wrapped[0].clone();
    for at in 0..wrapped.len() {
        for bit in [0, 7] {
            let what = format!("byte {at} bit {bit}");
            let mut tampered = wrapped.clone();
            tampered[at] ^= 1 << bit;
            store.transaction(|tx| tx.replace_wrapped_case_key(damaged_case, 1, &tampered)).expect("tamper");
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let opened = session.open_case(damaged_case).map(|_| ()).map_err(|error| error.code());
                assert_eq!(opened, Err("vault_damaged"), "{what}: opening the case");
                let mut sink = Vec::new();
                let exported = session.export_attachment(&fixture.attachment, &mut sink).map(|_| ());
                assert_eq!(exported.map_err(|error| error.code()), Err("vault_damaged"), "{what}: export");
                assert!(sink.is_empty(), "{what}: an export wrote bytes");
                let noted = session.add_note(damaged_case, "never written", None).map(|_| ());
                assert_eq!(noted.map_err(|error| error.code()), Err("vault_damaged"), "{what}: a note");
                // The other cases, the list and search work as before.
                for (case, view) in others.iter().zip(&views) {
                    assert_eq!(&format!("{:?}", session.open_case(case).expect("another case opens")), view, "{what}");
                }
                assert_eq!(session.list_cases().expect("list"), reference.listed, "{what}");
            }));
            assert!(outcome.is_ok(), "{what}: a panic or a failed check (above)");
        }
    }
    store.transaction(|tx| tx.replace_wrapped_case_key(damaged_case, 1, &wrapped)).expect("restore");
    assert_eq!(read_everything(&mut session).expect("read"), reference, "restored, everything reads as before");

    // A damaged key never blocks erasing another case (a deletion re-wraps every key).
    let mut tampered = wrapped.clone();
    tampered[10] ^= 1;
    store.transaction(|tx| tx.replace_wrapped_case_key(damaged_case, 1, &tampered)).expect("tamper");
    session.delete_case(&others[0]).expect("another case is deleted despite the damaged key");
    assert!(session.open_case(&others[0]).is_err(), "deleted");
    assert_eq!(session.open_case(damaged_case).map(|_| ()).map_err(|error| error.code()), Err("vault_damaged"));
    for case in &others[1..] {
        session.open_case(case).expect("the rest still open");
    }
}

#[test]
fn a_flip_in_any_wal_frame_gives_the_commit_before_it_or_damage() {
    let folder = tempfile::tempdir().expect("tempdir");
    let dir = folder.path().join("vault");
    let fixture = fill(&dir);
    // The session stays open, as the app keeps it: its commits sit in the WAL.
    let mut session = open(&dir).expect("open");
    let mut states = vec![read_everything(&mut session).expect("read")];
    let wal = dir.join("vault.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|meta| meta.len()).unwrap_or(0), 0, "the unlock checkpointed the WAL");
    session.add_note(&fixture.cases[0], "MARK-wal 첫 번째", None).expect("note");
    states.push(read_everything(&mut session).expect("read"));
    session.set_case_field(&fixture.cases[1], cairn_core::cases::CaseField::Title, "MARK-wal 제목").expect("title");
    states.push(read_everything(&mut session).expect("read"));
    let person =
        session.add_person(&fixture.cases[2], &NewPerson { pseudonym: "MARK-wal-P".into(), ..NewPerson::default() });
    let testimony = NewTestimony {
        source_person: id_to_hex(&person.expect("person")),
        language: "ko".into(),
        narrative: "MARK-wal 증언".into(),
        ..NewTestimony::default()
    };
    states.push(read_everything(&mut session).expect("read"));
    session.add_testimony(&fixture.cases[2], &testimony).expect("testimony");
    states.push(read_everything(&mut session).expect("read"));
    let bytes = std::fs::read(&wal).expect("the WAL");
    assert!(bytes.len() > WAL_HEADER + FRAME_HEADER + PAGE, "the WAL holds the commits");
    let frame_len = FRAME_HEADER + PAGE;
    assert_eq!((bytes.len() - WAL_HEADER) % frame_len, 0);
    let frames = (bytes.len() - WAL_HEADER) / frame_len;
    // The commit each frame belongs to (a commit frame names the database size).
    let mut commit_of = Vec::new();
    let mut commits = 0;
    for frame in 0..frames {
        commit_of.push(commits + 1);
        let start = WAL_HEADER + frame * frame_len;
        if bytes[start + 4..start + 8] != [0; 4] {
            commits += 1;
        }
    }
    assert_eq!(commits, states.len() - 1, "one commit per write");

    let copy = folder.path().join("copy");
    let mut rng = Rng::new(0x3a1f_2a3e_0000_0001);
    let (mut earlier, mut damaged) = (0, 0);
    let mut targets: Vec<(String, usize, usize)> =
        (0..WAL_HEADER).map(|at| (format!("WAL header byte {at}"), at, 0)).collect();
    for (frame, commit) in commit_of.iter().enumerate() {
        let start = WAL_HEADER + frame * frame_len;
        let page = start + FRAME_HEADER;
        let offsets = [
            start,
            start + 4,
            start + 8 + rng.below(8) as usize,
            start + 16 + rng.below(8) as usize,
            page + rng.below((PAGE - RESERVED) as u64) as usize,
            page + PAGE - RESERVED + rng.below(IV as u64) as usize,
            page + PAGE - RESERVED + IV + rng.below((RESERVED - IV) as u64) as usize,
        ];
        for at in offsets {
            targets.push((format!("frame {frame} byte {}", at - start), at, *commit));
        }
    }
    for (what, at, commit) in targets {
        copy_vault(&dir, &copy);
        flip(&copy.join("vault.db-wal"), at, rng.below(8) as u8);
        match open_damaged(&copy, &what) {
            Err(()) => damaged += 1,
            Ok((snapshot, _)) => {
                let state = states.iter().position(|state| *state == snapshot);
                let state = state.unwrap_or_else(|| panic!("{what}: a state no commit left (a mix, or garbage)"));
                // SQLite's recovery stops at the first frame whose checksum fails: the damaged
                // frame's commit and every later one are dropped, every earlier one is kept.
                assert_eq!(state, commit.saturating_sub(1), "{what}: the state after commit {state}");
                earlier += 1;
            }
        }
    }
    assert!(earlier > damaged, "most flips fall back to the commit before ({earlier}, {damaged} damaged)");
    session.lock();
}
