//! Recording audio in the app: pieces sealed as they arrive, finished into an attachment,
//! recovered after an interruption, and read back by range.

use cairn_core::{
    CoreError, Session,
    cases::{NewPerson, NewTestimony, ObjectId, id_to_hex},
    testing::TestVault,
};

const CHUNK: usize = 64 * 1024;

fn audio(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Records `data` in pieces about one second long; returns the recording id.
fn record(session: &mut Session, case_id: &ObjectId, data: &[u8]) -> ObjectId {
    record_testimony(session, case_id, None, data)
}

/// [`record`], linked to `testimony`.
fn record_testimony(session: &mut Session, case_id: &ObjectId, testimony: Option<&ObjectId>, data: &[u8]) -> ObjectId {
    let recording = session.start_recording(case_id, testimony, "audio/mp4; codecs=mp4a").expect("start");
    let mut offset = 0u64;
    for piece in data.chunks(9_000) {
        offset = session.append_recording(&recording, offset, piece).expect("append");
    }
    assert_eq!(offset, data.len() as u64);
    recording
}

fn export(session: &mut Session, attachment: &ObjectId) -> Vec<u8> {
    let mut out = Vec::new();
    session.export_attachment(attachment, &mut out).expect("export");
    out
}

#[test]
fn a_finished_recording_is_an_attachment_that_streams_by_range() {
    let (_vault, mut session) = TestVault::create();
    let case_id = session.create_case("녹음 사례").expect("case");
    let data = audio(2 * CHUNK + 30_000);
    let recording = record(&mut session, &case_id, &data);
    assert!(session.is_recording());
    let info = session.finish_recording(&recording).expect("finish");
    assert!(!session.is_recording());
    assert_eq!(info.id, recording);
    assert_eq!(info.reference.metadata, "recorded");
    assert_eq!(info.reference.media_type, "audio/mp4");
    assert!(info.reference.file_name.starts_with("recording-") && info.reference.file_name.ends_with(".m4a"));
    let view = session.open_case(&case_id).expect("open");
    assert!(view.record.attachments.contains_key(&id_to_hex(&recording)));
    assert_eq!(export(&mut session, &recording), data);

    let stream = session.open_stream(&recording).expect("stream");
    assert_eq!((stream.len, stream.media_type.as_str()), (data.len() as u64, "audio/mp4"));
    for (offset, len) in [(0usize, 100usize), (CHUNK - 3, 10), (CHUNK * 2, 1 << 20), (data.len() - 1, 5)] {
        let bytes = session.read_stream(&stream, offset as u64, len).expect("range");
        assert_eq!(&bytes[..], &data[offset..(offset + len).min(data.len())]);
    }
    assert!(session.read_stream(&stream, data.len() as u64, 10).expect("past the end").is_empty());
    // Finishing twice is refused.
    assert_eq!(session.finish_recording(&recording).expect_err("again").code(), "recording_not_active");
}

#[test]
fn pieces_out_of_order_are_refused_and_the_recording_goes_on() {
    let (_vault, mut session) = TestVault::create();
    let case_id = session.create_case("case").expect("case");
    let recording = session.start_recording(&case_id, None, "audio/webm;codecs=opus").expect("start");
    assert_eq!(session.append_recording(&recording, 0, b"first").expect("first"), 5);
    for (offset, why) in [(0u64, "a repeat"), (9, "a gap")] {
        let error = session.append_recording(&recording, offset, b"again").expect_err(why);
        assert_eq!(error.code(), "recording_out_of_order", "{why}");
    }
    assert_eq!(session.append_recording(&recording, 5, b" second").expect("second"), 12);
    let info = session.finish_recording(&recording).expect("finish");
    assert_eq!(export(&mut session, &info.id), b"first second");
    assert_eq!(info.reference.media_type, "audio/webm");
}

#[test]
fn bad_formats_unknown_cases_and_unknown_recordings_are_refused() {
    let (_vault, mut session) = TestVault::create();
    let case_id = session.create_case("case").expect("case");
    assert_eq!(
        session.start_recording(&case_id, None, "video/mp4").expect_err("video").code(),
        "recording_unsupported_format"
    );
    assert!(matches!(session.start_recording(&[9; 16], None, "audio/mp4"), Err(CoreError::NotFound(_))));
    assert_eq!(session.append_recording(&[1; 16], 0, b"x").expect_err("unknown").code(), "recording_not_active");
    let recording = session.start_recording(&case_id, None, "audio/ogg").expect("start");
    let huge = vec![0u8; cairn_core::recordings::MAX_RECORDING_PIECE + 1];
    assert_eq!(session.append_recording(&recording, 0, &huge).expect_err("huge").code(), "recording_piece_too_large");
    assert!(matches!(session.open_stream(&[3; 16]), Err(CoreError::NotFound(_))));
}

#[test]
fn a_recording_cut_off_by_a_lock_is_recovered_up_to_its_last_complete_chunk() {
    let (vault, mut session) = TestVault::create();
    let case_id = session.create_case("case").expect("case");
    let data = audio(3 * CHUNK + 12_000);
    let recording = record(&mut session, &case_id, &data);
    // Locking (dropping the session) mid-recording: the writer and its partial chunk are gone.
    drop(session);
    let mut session = vault.reopen();
    let recovered = session.recover_recordings().expect("recover");
    assert_eq!(recovered.len(), 1);
    let info = &recovered[0];
    assert_ne!(info.id, recording);
    assert_eq!(info.case_id, case_id);
    assert_eq!(info.reference.metadata, "recorded_interrupted");
    assert!(info.reference.file_name.ends_with("-interrupted.m4a"), "{}", info.reference.file_name);
    assert_eq!(export(&mut session, &info.id), data[..3 * CHUNK]);
    assert_eq!(session.open_case(&case_id).expect("open").record.attachments.len(), 1);
    assert!(session.recover_recordings().expect("again").is_empty());
}

#[test]
fn discarding_leaves_nothing_and_active_recordings_are_not_recovered() {
    let (vault, mut session) = TestVault::create();
    let case_id = session.create_case("case").expect("case");
    let discarded = record(&mut session, &case_id, &audio(2 * CHUNK));
    session.discard_recording(&discarded).expect("discard");
    let active = record(&mut session, &case_id, &audio(2 * CHUNK));
    assert!(session.recover_recordings().expect("recover").is_empty(), "the active one is left alone");
    let info = session.finish_recording(&active).expect("finish");
    assert_eq!(session.open_case(&case_id).expect("open").record.attachments.len(), 1);
    assert_eq!(export(&mut session, &info.id).len(), 2 * CHUNK);
    drop(session);
    let mut session = vault.reopen();
    assert!(session.recover_recordings().expect("recover").is_empty());
}

#[test]
fn deleting_the_case_mid_recording_stops_it_and_keeps_nothing() {
    let (_vault, mut session) = TestVault::create();
    let case_id = session.create_case("case").expect("case");
    let recording = record(&mut session, &case_id, &audio(CHUNK + 10));
    session.delete_case(&case_id).expect("delete");
    let error = session.append_recording(&recording, (CHUNK + 10) as u64, &audio(CHUNK)).expect_err("stopped");
    assert_eq!(error.code(), "recording_stopped");
    assert_eq!(session.finish_recording(&recording).expect_err("gone").code(), "recording_not_active");
    assert!(session.recover_recordings().expect("recover").is_empty());
}

/// A case with one person and one testimony; returns the case and the testimony.
fn case_with_testimony(session: &mut Session, title: &str) -> (ObjectId, ObjectId) {
    let case = session.create_case(title).expect("case");
    let person = session.add_person(&case, &NewPerson { pseudonym: "A-17".into(), ..NewPerson::default() }).expect("person");
    let testimony = NewTestimony { source_person: id_to_hex(&person), language: "ko".into(), ..NewTestimony::default() };
    (case, session.add_testimony(&case, &testimony).expect("testimony"))
}

#[test]
fn a_recording_is_linked_to_the_testimony_being_recorded_even_when_cut_off() {
    let (vault, mut session) = TestVault::create();
    let (case_id, testimony) = case_with_testimony(&mut session, "면담");
    let (other_case, other_testimony) = case_with_testimony(&mut session, "다른 사례");

    // Finished: the attachment names the testimony, and it survives reopening.
    let finished = record_testimony(&mut session, &case_id, Some(&testimony), &audio(CHUNK + 10));
    let info = session.finish_recording(&finished).expect("finish");
    assert_eq!(info.reference.testimony, id_to_hex(&testimony));
    // Unlinked: the field stays empty.
    let plain = record(&mut session, &case_id, &audio(100));
    assert_eq!(session.finish_recording(&plain).expect("finish").reference.testimony, "");
    // A testimony of another case, or no testimony at all, is refused and nothing starts.
    for wrong in [other_testimony, [5; 16], other_case] {
        let refused = session.start_recording(&case_id, Some(&wrong), "audio/mp4");
        assert!(matches!(refused, Err(CoreError::NotFound("testimony"))), "{refused:?}");
    }
    assert!(!session.is_recording());

    // Cut off by a lock: the salvaged recording keeps its link.
    record_testimony(&mut session, &case_id, Some(&testimony), &audio(2 * CHUNK + 7));
    session.lock();
    let mut session = vault.reopen();
    let recovered = session.recover_recordings().expect("recover");
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].reference.testimony, id_to_hex(&testimony));
    let attachments = session.open_case(&case_id).expect("open").record.attachments;
    let linked: Vec<&str> =
        attachments.values().map(|attachment| attachment.testimony.as_str()).filter(|t| !t.is_empty()).collect();
    assert_eq!(linked, [id_to_hex(&testimony).as_str(), id_to_hex(&testimony).as_str()]);
}
