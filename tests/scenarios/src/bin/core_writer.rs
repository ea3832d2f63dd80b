//! A process for the kill -9 loops through cairn-core (`tests/core_kill.rs`): it unlocks a vault
//! as the app does, makes one kind of write in a loop, and prints `DO …` before each write and
//! `ACK …` once it is committed, until it is killed. `READY` follows the unlock (and, for
//! recordings, the salvage of interrupted ones that the app runs right after it).
//!
//! Usage: `core-writer MODE DIR ROUND`, MODE one of `edits`, `recordings`, `roster`, `delete`;
//! ROUND seeds the writer's choices and makes its tokens unique. The passphrase comes from
//! `CAIRN_PASSPHRASE`; the roster mode imports, in order, the files of the folder
//! `CAIRN_ROSTERS` (named by version) newer than the roster the vault holds, and ends with
//! `DONE` when none is left. Test-only vaults.

use std::{
    io::{StdoutLock, Write},
    path::{Path, PathBuf},
};

use cairn_core::{
    SecretString, Session,
    cases::{CaseField, NewPerson, NewTestimony, ObjectId, id_to_hex, parse_id},
    unlock_vault,
};
use cairn_scenarios::{RecordingPlan, Rng, attachment_content, token};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The case statuses the edit loop sets.
const STATUSES: [&str; 3] = ["draft", "ready_for_handover", "handed_over"];

/// Writes one line and flushes it, so the test sees it before the next write starts.
struct Out(StdoutLock<'static>);

impl Out {
    fn line(&mut self, text: std::fmt::Arguments<'_>) -> Result<()> {
        self.0.write_fmt(text)?;
        self.0.write_all(b"\n")?;
        self.0.flush()?;
        Ok(())
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: core-writer edits|recordings|roster|delete DIR ROUND";
    let mode = args.next().ok_or(usage)?;
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let round: u64 = args.next().ok_or(usage)?.parse()?;
    let passphrase = SecretString::from(std::env::var("CAIRN_PASSPHRASE")?);
    let mut session = unlock_vault(&dir, &passphrase)?;
    let mut out = Out(std::io::stdout().lock());
    match mode.as_str() {
        "edits" => edits(&mut session, round, &mut out),
        "recordings" => recordings(&mut session, round, &mut out),
        "roster" => roster(&mut session, round, &mut out, Path::new(&std::env::var("CAIRN_ROSTERS")?)),
        "delete" => delete(&mut session, round, &mut out),
        _ => Err(usage.into()),
    }
}

/// A case as the edit loop knows it: its persons and testimonies.
struct Known {
    id: ObjectId,
    persons: Vec<ObjectId>,
    testimonies: Vec<ObjectId>,
}

/// Case edits through the one write path: create, title, tags, status, notes, persons,
/// testimonies (two documents in one transaction) and narratives, on up to six cases.
fn edits(session: &mut Session, round: u64, out: &mut Out) -> Result<()> {
    let mut cases = Vec::new();
    for summary in session.list_cases()? {
        let view = session.open_case(&summary.id)?;
        let persons = view.record.persons.keys().map(|id| parse_id(id)).collect::<std::result::Result<_, _>>()?;
        let testimonies = view.testimonies.iter().map(|(id, _)| *id).collect();
        cases.push(Known { id: summary.id, persons, testimonies });
    }
    out.line(format_args!("READY"))?;
    let mut rng = Rng::new(0xed17_0000_0000_0000 ^ round);
    for n in 0.. {
        let token = token(round, n);
        if cases.len() < 2 || (cases.len() < 6 && rng.below(12) == 0) {
            out.line(format_args!("DO create - {token}"))?;
            let id = session.create_case(&format!("사건 {token}"))?;
            out.line(format_args!("ACK create {} {token}", id_to_hex(&id)))?;
            cases.push(Known { id, persons: Vec::new(), testimonies: Vec::new() });
            continue;
        }
        let index = rng.below(cases.len() as u64) as usize;
        let case = &mut cases[index];
        let hex = id_to_hex(&case.id);
        match rng.below(9) {
            0 => {
                out.line(format_args!("DO title {hex} {token}"))?;
                session.set_case_field(&case.id, CaseField::Title, &format!("제목 {token}"))?;
                out.line(format_args!("ACK title {hex} {token}"))?;
            }
            1 => {
                out.line(format_args!("DO tags {hex} {token}"))?;
                session.set_case_field(&case.id, CaseField::Tags, &format!("{token}, 국경"))?;
                out.line(format_args!("ACK tags {hex} {token}"))?;
            }
            2 => {
                let status = STATUSES[rng.below(STATUSES.len() as u64) as usize];
                out.line(format_args!("DO status {hex} {status}"))?;
                session.set_case_field(&case.id, CaseField::Status, status)?;
                out.line(format_args!("ACK status {hex} {status}"))?;
            }
            3 | 4 => {
                out.line(format_args!("DO note {hex} {token}"))?;
                session.add_note(&case.id, &format!("메모 {token} 가족 연락 필요"), None)?;
                out.line(format_args!("ACK note {hex} {token}"))?;
            }
            5 => {
                out.line(format_args!("DO person {hex} {token}"))?;
                let person = NewPerson { pseudonym: token.clone(), ..NewPerson::default() };
                case.persons.push(session.add_person(&case.id, &person)?);
                out.line(format_args!("ACK person {hex} {token}"))?;
            }
            6 | 7 if !case.persons.is_empty() => {
                let person = case.persons[rng.below(case.persons.len() as u64) as usize];
                out.line(format_args!("DO testimony {hex} {token}"))?;
                let testimony = NewTestimony {
                    source_person: id_to_hex(&person),
                    language: "ko".into(),
                    narrative: format!("증언 {token} 두만강을 건넜다"),
                    ..NewTestimony::default()
                };
                let id = session.add_testimony(&case.id, &testimony)?;
                case.testimonies.push(id);
                out.line(format_args!("ACK testimony {hex} {token} {}", id_to_hex(&id)))?;
            }
            8 if !case.testimonies.is_empty() => {
                let testimony = case.testimonies[rng.below(case.testimonies.len() as u64) as usize];
                let testimony_hex = id_to_hex(&testimony);
                out.line(format_args!("DO narrative {hex} {token} {testimony_hex}"))?;
                session.set_narrative(&testimony, &format!("고친 {token} 증언"))?;
                out.line(format_args!("ACK narrative {hex} {token} {testimony_hex}"))?;
            }
            _ => {
                out.line(format_args!("DO note {hex} {token}"))?;
                session.add_note(&case.id, &format!("메모 {token} 다시 확인"), None)?;
                out.line(format_args!("ACK note {hex} {token}"))?;
            }
        }
    }
    Ok(())
}

/// Recordings into the vault's first case, piece by piece, each finished or discarded; the
/// interrupted ones a killed writer left are salvaged first, as the app does after an unlock.
fn recordings(session: &mut Session, round: u64, out: &mut Out) -> Result<()> {
    for info in session.recover_recordings()? {
        out.line(format_args!("ACK salvaged {} {}", id_to_hex(&info.id), info.reference.stored_size))?;
    }
    let case = session.list_cases()?.first().ok_or("no case")?.id;
    out.line(format_args!("READY"))?;
    for number in 0.. {
        let plan = RecordingPlan::new(round, number);
        out.line(format_args!("DO start {number}"))?;
        let recording = session.start_recording(&case, None, "audio/webm;codecs=opus")?;
        let hex = id_to_hex(&recording);
        out.line(format_args!("ACK start {number} {hex}"))?;
        let mut offset = 0;
        for (index, len) in plan.pieces.iter().enumerate() {
            let start = offset as usize;
            out.line(format_args!("DO piece {hex} {}", index + 1))?;
            offset = session.append_recording(&recording, offset, &plan.audio[start..start + len])?;
            out.line(format_args!("ACK piece {hex} {}", index + 1))?;
        }
        if plan.discard {
            out.line(format_args!("DO discard {hex}"))?;
            session.discard_recording(&recording)?;
            out.line(format_args!("ACK discard {hex}"))?;
        } else {
            out.line(format_args!("DO finish {hex}"))?;
            session.finish_recording(&recording)?;
            out.line(format_args!("ACK finish {hex}"))?;
        }
    }
    Ok(())
}

/// Imports the rosters of `folder` newer than the one held, in order, with a note written to
/// every case after each (sealed under the newest case key).
fn roster(session: &mut Session, round: u64, out: &mut Out, folder: &Path) -> Result<()> {
    let held = session.roster()?.ok_or("no roster")?.version;
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        let version = path.file_stem().and_then(|stem| stem.to_str()).ok_or("roster name")?.parse()?;
        files.push((version, path));
    }
    files.sort();
    let cases: Vec<ObjectId> = session.list_cases()?.iter().map(|summary| summary.id).collect();
    out.line(format_args!("READY"))?;
    let mut n = 0;
    for (version, path) in files.into_iter().filter(|(version, _)| *version > held) {
        let bytes = std::fs::read(path)?;
        out.line(format_args!("DO import {version}"))?;
        let imported = session.import_roster(&bytes, None)?;
        out.line(format_args!("ACK import {} {}", imported.roster_version, imported.epoch))?;
        for case in &cases {
            let token = token(round, n);
            n += 1;
            let hex = id_to_hex(case);
            out.line(format_args!("DO note {hex} {token}"))?;
            session.add_note(case, &format!("메모 {token} 명단 이후"), None)?;
            out.line(format_args!("ACK note {hex} {token}"))?;
        }
    }
    out.line(format_args!("DONE"))?;
    Ok(())
}

/// Cases created whole (title, a note, an attachment: three writes) and deleted.
fn delete(session: &mut Session, round: u64, out: &mut Out) -> Result<()> {
    let mut whole = Vec::new();
    for summary in session.list_cases()? {
        let counts = summary.counts;
        if counts.notes == 1 && counts.attachments == 1 {
            whole.push(summary.id);
        }
    }
    out.line(format_args!("READY"))?;
    let mut rng = Rng::new(0xde1e_7e00_0000_0000 ^ round);
    for n in (0..).step_by(2) {
        if whole.len() < 3 || rng.below(2) == 0 {
            let (title, note) = (token(round, n), token(round, n + 1));
            out.line(format_args!("DO create - {title}"))?;
            let case = session.create_case(&format!("삭제 {title}"))?;
            let hex = id_to_hex(&case);
            out.line(format_args!("ACK create {hex} {title}"))?;
            out.line(format_args!("DO note {hex} {note}"))?;
            session.add_note(&case, &format!("메모 {note} 지울 것"), None)?;
            out.line(format_args!("ACK note {hex} {note}"))?;
            out.line(format_args!("DO attach {hex} {n}"))?;
            let content = attachment_content(round, n);
            let info = session.attach_reader(&case, "evidence.bin", &mut content.as_slice(), true)?;
            let blob = &info.reference.blob_id;
            out.line(format_args!("ACK attach {hex} {n} {} {blob}", id_to_hex(&info.id)))?;
            whole.push(case);
        } else {
            let case = whole.remove(rng.below(whole.len() as u64) as usize);
            let hex = id_to_hex(&case);
            out.line(format_args!("DO delete {hex}"))?;
            session.delete_case(&case)?;
            out.line(format_args!("ACK delete {hex}"))?;
        }
    }
    Ok(())
}
