//! Case commands: cases, persons, testimonies, events, acts, notes, attachments, search,
//! conflicts and vocabularies.
//!
//! Every command takes `--json` for machine-readable output. The JSON shapes are stable
//! (fields may be added, never renamed or removed). Ids are 32 lower-case hex characters;
//! times are integers, milliseconds since the Unix epoch.
//!
//! | command | JSON |
//! |---|---|
//! | `case new --title T` | `{"id"}` (without `--json`: the id alone on a line) |
//! | `case list` | `{"cases": [{"id","title","status","risk","created_at","updated_at","persons","testimonies","events","notes","attachments","conflicts"}]}` |
//! | `case show ID` | `{"id","title","status","risk","team","tags":[…],"created_at","created_by","updated_at","persons":[{"id","pseudonym","roles":[…],"identity":{"real_name",…}|null}],"testimonies":[{"id","source_person","date","place","interviewer","interpreter","language","consent":{"given","scopes":[…],"conditions"},"narrative","transcript"}],"events":[{"id","title","description","date_start","date_end","date_precision","certainty","place","acts":[{"id","type","victim","perpetrator":{"agency","unit","facility"},"consequences"}]}],"notes":[{"id","at","by","text"}],"attachments":[{"id","file_name","media_type","original_size","stored_size","original_hash","stored_hash","metadata","added_at","added_by"}],"conflicts":[…as in `conflicts`]}` (`identity` is null unless `--show-sensitive`) |
//! | `case set ID FIELD VALUE` | `{"id","field","value"}` |
//! | `case delete ID` | `{"id","deleted":true}` |
//! | `person add`, `testimony add`, `event add`, `act add`, `note add` | `{"id","case_id"}` |
//! | `person edit`, `event edit`, `act edit`, `testimony edit`, `note edit` (by the item's id) | `{"id","case_id"}` |
//! | `attach CASE FILE` | `{"id","case_id","file_name","media_type","original_size","stored_size","original_hash","stored_hash","metadata","removed_parts"}` |
//! | `attachment get ID --out F` | `{"id","case_id","path","size","sha256"}` |
//! | `search QUERY` | `{"query","hits":[{"case_id","title","status","fields":[…],"snippet"}]}` |
//! | `conflicts CASE` | `{"case_id","conflicts":[{"document_id","document","path","mergeable","values":[{"choice","value","by","at","shown","object"}]}]}` |
//! | `conflicts CASE --resolve PATH --choose N` | `{"case_id","document_id","path","resolved":true}` |
//! | `conflicts CASE --merge PATH --value V` | `{"case_id","document_id","path","merged":true}` |
//! | `vocab list [KIND]` | `{"vocabularies":[{"kind","terms":[{"code","en","ko"}]}]}` |
//! | `worker show` / `worker set NAME` | `{"worker"}` |

use std::{io::Read, path::PathBuf};

use anyhow::Context;
use cairn_core::{
    Session,
    cases::{
        ActEdit, AttachmentInfo, CaseConflict, CaseField, CaseView, EventEdit, Identity, NewAct, NewEvent, NewPerson,
        NewTestimony, ObjectId, PersonEdit, Sensitive, TestimonyEdit, VocabKind, id_to_hex, parse_id, vocabularies,
        vocabulary,
    },
    unlock_vault,
};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::{Cli, exit::Usage, secrets};

/// Case commands (flattened into the top level).
#[derive(Debug, Subcommand)]
pub(crate) enum CaseCommand {
    /// Create, list, show, edit and delete cases.
    Case {
        #[command(subcommand)]
        command: CaseSub,
    },
    /// Persons of a case.
    Person {
        #[command(subcommand)]
        command: PersonSub,
    },
    /// Testimonies (interviews): each is its own collaboratively edited document.
    Testimony {
        #[command(subcommand)]
        command: TestimonySub,
    },
    /// Events of a case.
    Event {
        #[command(subcommand)]
        command: EventSub,
    },
    /// Acts (what was done to a victim, by whom) within an event.
    Act {
        #[command(subcommand)]
        command: ActSub,
    },
    /// Dated case notes.
    Note {
        #[command(subcommand)]
        command: NoteSub,
    },
    /// Attach a file to a case, encrypted. Photo metadata (EXIF, GPS, XMP, comments) is
    /// removed from JPEG and PNG files unless --keep-metadata is given.
    Attach {
        /// The case id.
        case: String,
        /// The file to attach (streamed; no plaintext copy is made).
        file: PathBuf,
        /// Keep the file byte for byte, including any location metadata.
        #[arg(long)]
        keep_metadata: bool,
        /// JSON: {"id","case_id","file_name","media_type","original_size","stored_size","original_hash","stored_hash","metadata","removed_parts"}.
        #[arg(long)]
        json: bool,
    },
    /// Attachments.
    Attachment {
        #[command(subcommand)]
        command: AttachmentSub,
    },
    /// Search titles, pseudonyms, notes, events, narratives and transcripts (Korean words
    /// are found with particles attached). Every term must occur in a case; quote phrases.
    Search {
        /// The query.
        query: String,
        /// Most cases to show.
        #[arg(long, default_value_t = cairn_core::cases::DEFAULT_SEARCH_LIMIT)]
        limit: usize,
        /// JSON: {"query","hits":[{"case_id","title","status","fields":[...],"snippet"}]}.
        #[arg(long)]
        json: bool,
    },
    /// List a case's conflicts (fields edited concurrently on two devices), resolve one by
    /// keeping a value, or merge one (a text field) by typing the value to keep.
    Conflicts {
        /// The case id.
        case: String,
        /// Resolve the conflict at this path (as listed).
        #[arg(long, value_name = "PATH", requires = "choose", conflicts_with = "merge")]
        resolve: Option<String>,
        /// The value to keep (its number in the listing).
        #[arg(long, value_name = "N", requires = "resolve")]
        choose: Option<usize>,
        /// Merge the conflict at this path (a single text field, as listed) with --value.
        #[arg(long, value_name = "PATH", requires = "value")]
        merge: Option<String>,
        /// The merged value (checked like an edit of that field).
        #[arg(long, value_name = "TEXT", requires = "merge")]
        value: Option<String>,
        /// The document holding the conflict (as listed; default: the case document).
        #[arg(long, value_name = "ID")]
        document: Option<String>,
        /// JSON: {"case_id","conflicts":[{"document_id","document","path","mergeable","values":[{"choice","value","by","at","shown","object"}]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Controlled vocabularies (act types, agencies, roles, consent scopes, case statuses,
    /// risk levels) with Korean and English labels.
    Vocab {
        #[command(subcommand)]
        command: VocabSub,
    },
    /// The worker name recorded with this device's edits and notes.
    Worker {
        #[command(subcommand)]
        command: WorkerSub,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CaseSub {
    /// Create a case and print its id.
    New {
        /// The title.
        #[arg(long)]
        title: String,
        /// JSON: {"id"}.
        #[arg(long)]
        json: bool,
    },
    /// List cases, most recently changed first.
    List {
        /// JSON: {"cases":[{"id","title","status","risk","created_at","updated_at","persons","testimonies","events","notes","attachments","conflicts"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Show a whole case.
    Show {
        /// The case id.
        id: String,
        /// Also show identity fields (real names, home towns, contacts).
        #[arg(long)]
        show_sensitive: bool,
        /// JSON: the whole case; see the crate documentation for the shape.
        #[arg(long)]
        json: bool,
    },
    /// Set a case field: title, status, risk, team, or tags (comma-separated).
    Set {
        /// The case id.
        id: String,
        /// title, status, risk, team or tags.
        field: String,
        /// The new value.
        value: String,
        /// JSON: {"id","field","value"}.
        #[arg(long)]
        json: bool,
    },
    /// Delete a case for good: its key, documents, attachments and index entries are
    /// destroyed (crypto-shredding).
    Delete {
        /// The case id.
        id: String,
        /// JSON: {"id","deleted":true}.
        #[arg(long)]
        json: bool,
    },
}

/// A person's identity fields as flags: on `add` a missing one is not recorded; on `edit` a
/// missing one is left as it is, and "" clears it.
#[derive(Args)]
pub(crate) struct IdentityArgs {
    /// Real name (sensitive; on edit, "" clears it).
    #[arg(long)]
    real_name: Option<String>,
    /// Date of birth as told (sensitive).
    #[arg(long)]
    birth_date: Option<String>,
    /// Home town (sensitive).
    #[arg(long)]
    home_town: Option<String>,
    /// Family (sensitive).
    #[arg(long)]
    family: Option<String>,
    /// How to reach the person (sensitive).
    #[arg(long)]
    contact: Option<String>,
}

impl std::fmt::Debug for IdentityArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Identity values never reach a log or a panic message.
        f.write_str("IdentityArgs(<redacted>)")
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum PersonSub {
    /// Add a person, shown by pseudonym.
    Add {
        /// The case id.
        case: String,
        /// Pseudonym code shown everywhere (e.g. A-17).
        #[arg(long)]
        pseudonym: String,
        /// Role (repeatable; see `vocab list role`).
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Identity fields (sensitive).
        #[command(flatten)]
        identity: IdentityArgs,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
    /// Edit a person: only the fields given change. An empty identity value ("") clears it.
    Edit {
        /// The person id.
        id: String,
        /// New pseudonym code.
        #[arg(long)]
        pseudonym: Option<String>,
        /// Role (repeatable; replaces all roles; see `vocab list role`).
        #[arg(long = "role", value_name = "ROLE", conflicts_with = "no_roles")]
        roles: Vec<String>,
        /// Remove every role.
        #[arg(long)]
        no_roles: bool,
        /// Identity fields (sensitive).
        #[command(flatten)]
        identity: IdentityArgs,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TestimonySub {
    /// Add a testimony.
    Add {
        /// The case id.
        case: String,
        /// The person who gave it (person id).
        #[arg(long)]
        person: String,
        /// File holding the narrative (UTF-8; `-` reads standard input).
        #[arg(long)]
        narrative_file: PathBuf,
        /// File holding the transcript (UTF-8).
        #[arg(long)]
        transcript_file: Option<PathBuf>,
        /// Language of the interview (ko, en, zh, …).
        #[arg(long, default_value = "ko")]
        language: String,
        /// Interview date: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// Coarse place of the interview (never an address).
        #[arg(long)]
        place: Option<String>,
        /// Interviewer.
        #[arg(long)]
        interviewer: Option<String>,
        /// Interpreter.
        #[arg(long)]
        interpreter: Option<String>,
        /// A use the person consented to (repeatable; see `vocab list consent_scope`).
        #[arg(long = "consent", value_name = "SCOPE")]
        consent: Vec<String>,
        /// Record that no informed consent was given.
        #[arg(long, conflicts_with = "consent")]
        no_consent: bool,
        /// Conditions of consent in the person's words.
        #[arg(long)]
        consent_conditions: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
    /// Edit a testimony: its metadata (only the fields given change), and replace its
    /// narrative or transcript (saved as a difference, so concurrent edits elsewhere merge).
    Edit {
        /// The testimony id.
        id: String,
        /// File holding the new narrative.
        #[arg(long)]
        narrative_file: Option<PathBuf>,
        /// File holding the new transcript.
        #[arg(long)]
        transcript_file: Option<PathBuf>,
        /// The person who gave it (person id).
        #[arg(long)]
        person: Option<String>,
        /// Interview date: YYYY, YYYY-MM or YYYY-MM-DD ("" clears it).
        #[arg(long)]
        date: Option<String>,
        /// Coarse place of the interview.
        #[arg(long)]
        place: Option<String>,
        /// Interviewer.
        #[arg(long)]
        interviewer: Option<String>,
        /// Interpreter ("" for none).
        #[arg(long)]
        interpreter: Option<String>,
        /// Language of the interview (ko, en, zh, …).
        #[arg(long)]
        language: Option<String>,
        /// A use the person consented to (repeatable; replaces the scopes and records consent).
        #[arg(long = "consent", value_name = "SCOPE")]
        consent: Vec<String>,
        /// Record that no informed consent was given (clears the scopes).
        #[arg(long, conflicts_with = "consent")]
        no_consent: bool,
        /// Conditions of consent in the person's words.
        #[arg(long)]
        consent_conditions: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum EventSub {
    /// Add an event.
    Add {
        /// The case id.
        case: String,
        /// Short title.
        #[arg(long)]
        title: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Date: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// End of a period (same forms).
        #[arg(long)]
        date_end: Option<String>,
        /// exact, approximate (default) or uncertain.
        #[arg(long)]
        certainty: Option<String>,
        /// Coarse place (a county or city).
        #[arg(long)]
        place: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
    /// Edit an event: only the fields given change ("" clears an optional one).
    Edit {
        /// The event id.
        id: String,
        /// Short title.
        #[arg(long)]
        title: Option<String>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Date: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long)]
        date: Option<String>,
        /// End of a period (same forms).
        #[arg(long)]
        date_end: Option<String>,
        /// exact, approximate or uncertain.
        #[arg(long)]
        certainty: Option<String>,
        /// Coarse place (a county or city).
        #[arg(long)]
        place: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ActSub {
    /// Add an act to an event.
    Add {
        /// The event id.
        event: String,
        /// Act type (see `vocab list act_type`).
        #[arg(long = "type", value_name = "TYPE")]
        act_type: String,
        /// The victim (person id).
        #[arg(long)]
        victim: String,
        /// Perpetrator agency (see `vocab list agency`).
        #[arg(long, value_name = "AGENCY")]
        perpetrator: Option<String>,
        /// Perpetrator unit.
        #[arg(long)]
        unit: Option<String>,
        /// Facility (detention centre, camp, station).
        #[arg(long)]
        facility: Option<String>,
        /// Consequences for the victim.
        #[arg(long)]
        consequences: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
    /// Edit an act: only the fields given change.
    Edit {
        /// The act id.
        id: String,
        /// Act type (see `vocab list act_type`).
        #[arg(long = "type", value_name = "TYPE")]
        act_type: Option<String>,
        /// The victim (person id).
        #[arg(long)]
        victim: Option<String>,
        /// Perpetrator agency (see `vocab list agency`; "" when unknown).
        #[arg(long, value_name = "AGENCY")]
        perpetrator: Option<String>,
        /// Perpetrator unit.
        #[arg(long)]
        unit: Option<String>,
        /// Facility (detention centre, camp, station).
        #[arg(long)]
        facility: Option<String>,
        /// Consequences for the victim.
        #[arg(long)]
        consequences: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum NoteSub {
    /// Add a dated note.
    Add {
        /// The case id.
        case: String,
        /// The note.
        text: String,
        /// The worker writing it (default: this device's worker name).
        #[arg(long)]
        by: Option<String>,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
    /// Replace a note's text (its author and date stay).
    Edit {
        /// The note id.
        id: String,
        /// The new text.
        text: String,
        /// JSON: {"id","case_id"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AttachmentSub {
    /// Export an attachment to a file (written beside it, renamed when complete and checked).
    Get {
        /// The attachment id.
        id: String,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        overwrite: bool,
        /// JSON: {"id","case_id","path","size","sha256"}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum VocabSub {
    /// List the terms of one vocabulary, or of all.
    List {
        /// act_type, agency, role, consent_scope, case_status or risk_level.
        kind: Option<String>,
        /// JSON: {"vocabularies":[{"kind","terms":[{"code","en","ko"}]}]}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WorkerSub {
    /// Show the worker name.
    Show {
        /// JSON: {"worker"}.
        #[arg(long)]
        json: bool,
    },
    /// Set the worker name.
    Set {
        /// The name.
        name: String,
        /// JSON: {"worker"}.
        #[arg(long)]
        json: bool,
    },
}

fn session(cli: &Cli) -> anyhow::Result<Session> {
    Ok(unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?)
}

fn id_arg(text: &str) -> anyhow::Result<ObjectId> {
    parse_id(text).map_err(|_| Usage("an id must be 32 hexadecimal characters").into())
}

fn read_text(path: &PathBuf) -> anyhow::Result<String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).context("could not read standard input as UTF-8 text")?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_string(&mut text))
            .context("could not read the file as UTF-8 text")?;
    }
    Ok(text)
}

#[allow(clippy::print_stdout)]
fn emit(json: bool, value: Value, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

fn emit_created(json: bool, id: &ObjectId, case_id: &ObjectId, what: &str) -> anyhow::Result<()> {
    emit(json, json!({"id": id_to_hex(id), "case_id": id_to_hex(case_id)}), || format!("{what} {}", id_to_hex(id)))
}

fn emit_edited(json: bool, id: &ObjectId, case_id: &ObjectId, what: &str) -> anyhow::Result<()> {
    emit(json, json!({"id": id_to_hex(id), "case_id": id_to_hex(case_id)}), || format!("{what} {} saved", id_to_hex(id)))
}

/// Refuses an edit command that names no field to change.
fn require_changes(any: bool) -> anyhow::Result<()> {
    if any { Ok(()) } else { Err(Usage("give at least one field to change (see --help)").into()) }
}

pub(crate) fn run(cli: &Cli, command: &CaseCommand) -> anyhow::Result<()> {
    match command {
        CaseCommand::Case { command } => run_case(cli, command),
        CaseCommand::Person { command } => run_person(cli, command),
        CaseCommand::Event {
            command: EventSub::Edit { id, title, description, date, date_end, certainty, place, json },
        } => {
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
            emit_edited(*json, &event_id, &case_id, "event")
        }
        CaseCommand::Act {
            command: ActSub::Edit { id, act_type, victim, perpetrator, unit, facility, consequences, json },
        } => {
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
            emit_edited(*json, &act_id, &case_id, "act")
        }
        CaseCommand::Note { command: NoteSub::Edit { id, text, json } } => {
            let note_id = id_arg(id)?;
            let mut session = session(cli)?;
            session.edit_note(&note_id, text)?;
            let case_id = session.case_of(&note_id)?;
            session.lock();
            emit_edited(*json, &note_id, &case_id, "note")
        }
        CaseCommand::Testimony { command } => run_testimony(cli, command),
        CaseCommand::Event {
            command: EventSub::Add { case, title, description, date, date_end, certainty, place, json },
        } => {
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
            emit_created(*json, &id, &case_id, "event")
        }
        CaseCommand::Act {
            command: ActSub::Add { event, act_type, victim, perpetrator, unit, facility, consequences, json },
        } => {
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
            emit_created(*json, &id, &case_id, "act")
        }
        CaseCommand::Note { command: NoteSub::Add { case, text, by, json } } => {
            let case_id = id_arg(case)?;
            let mut session = session(cli)?;
            let id = session.add_note(&case_id, text, by.as_deref())?;
            session.lock();
            emit_created(*json, &id, &case_id, "note")
        }
        CaseCommand::Attach { case, file, keep_metadata, json } => {
            let case_id = id_arg(case)?;
            let mut session = session(cli)?;
            let info = session.attach_file(&case_id, file, *keep_metadata)?;
            session.lock();
            emit(*json, attachment_json(&info), || {
                format!(
                    "attachment {} ({} bytes stored, metadata {})",
                    id_to_hex(&info.id),
                    info.reference.stored_size,
                    info.reference.metadata
                )
            })
        }
        CaseCommand::Attachment { command: AttachmentSub::Get { id, out, overwrite, json } } => {
            let attachment_id = id_arg(id)?;
            let mut session = session(cli)?;
            let info = session.export_attachment_to(&attachment_id, out, *overwrite)?;
            session.lock();
            let value = json!({
                "id": id_to_hex(&info.id),
                "case_id": id_to_hex(&info.case_id),
                "path": out.to_string_lossy(),
                "size": info.reference.stored_size,
                "sha256": info.reference.stored_hash,
            });
            emit(*json, value, || format!("written {} bytes", info.reference.stored_size))
        }
        CaseCommand::Search { query, limit, json } => {
            let mut session = session(cli)?;
            let hits = session.search(query, *limit)?;
            session.lock();
            let value = json!({
                "query": query,
                "hits": hits.iter().map(|hit| json!({
                    "case_id": id_to_hex(&hit.case_id),
                    "title": hit.title,
                    "status": hit.status,
                    "fields": hit.fields,
                    "snippet": hit.snippet,
                })).collect::<Vec<_>>(),
            });
            emit(*json, value, || {
                if hits.is_empty() {
                    return "no cases found".to_owned();
                }
                hits.iter()
                    .map(|hit| {
                        format!(
                            "{}  {}  [{}]\n    {}",
                            id_to_hex(&hit.case_id),
                            hit.title,
                            hit.fields.join(", "),
                            hit.snippet
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        CaseCommand::Conflicts { case, resolve, choose, merge, value, document, json } => {
            let case_id = id_arg(case)?;
            let document_id = match document {
                Some(document) => id_arg(document)?,
                None => case_id,
            };
            let mut session = session(cli)?;
            if let (Some(path), Some(value)) = (merge, value) {
                session.merge_conflict(&case_id, &document_id, path, value)?;
                session.lock();
                let value = json!({"case_id": id_to_hex(&case_id), "document_id": id_to_hex(&document_id), "path": path, "merged": true});
                return emit(*json, value, || "merged".to_owned());
            }
            if let (Some(path), Some(choice)) = (resolve, choose) {
                session.resolve_conflict(&case_id, &document_id, path, *choice)?;
                session.lock();
                let value = json!({"case_id": id_to_hex(&case_id), "document_id": id_to_hex(&document_id), "path": path, "resolved": true});
                return emit(*json, value, || "resolved".to_owned());
            }
            let conflicts = session.conflicts(&case_id)?;
            session.lock();
            let value = json!({"case_id": id_to_hex(&case_id), "conflicts": conflicts_json(&conflicts)});
            emit(*json, value, || conflicts_text(&conflicts))
        }
        CaseCommand::Vocab { command: VocabSub::List { kind, json } } => {
            let selected = match kind {
                Some(kind) => vec![vocabulary(VocabKind::parse(kind).map_err(|_| Usage("unknown vocabulary kind"))?)?],
                None => vocabularies()?.iter().collect(),
            };
            let value = json!({
                "vocabularies": selected.iter().map(|v| json!({
                    "kind": v.kind.name(),
                    "terms": v.terms.iter().map(|t| json!({"code": t.code, "en": t.en, "ko": t.ko})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            emit(*json, value, || {
                selected
                    .iter()
                    .map(|v| {
                        let terms: Vec<String> =
                            v.terms.iter().map(|t| format!("  {:<26} {} / {}", t.code, t.en, t.ko)).collect();
                        format!("{}:\n{}", v.kind.name(), terms.join("\n"))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        CaseCommand::Worker { command } => {
            let mut session = session(cli)?;
            let json = match command {
                WorkerSub::Show { json } => *json,
                WorkerSub::Set { name, json } => {
                    session.set_worker_name(name)?;
                    *json
                }
            };
            let worker = session.worker_name()?;
            session.lock();
            emit(json, json!({"worker": worker}), || worker.clone())
        }
    }
}

fn run_case(cli: &Cli, command: &CaseSub) -> anyhow::Result<()> {
    match command {
        CaseSub::New { title, json } => {
            let mut session = session(cli)?;
            let id = session.create_case(title)?;
            session.lock();
            emit(*json, json!({"id": id_to_hex(&id)}), || id_to_hex(&id))
        }
        CaseSub::List { json } => {
            let mut session = session(cli)?;
            let cases = session.list_cases()?;
            session.lock();
            let value = json!({
                "cases": cases.iter().map(|case| json!({
                    "id": id_to_hex(&case.id),
                    "title": case.title,
                    "status": case.status,
                    "risk": case.risk,
                    "created_at": case.created_at,
                    "updated_at": case.updated_at,
                    "persons": case.counts.persons,
                    "testimonies": case.counts.testimonies,
                    "events": case.counts.events,
                    "notes": case.counts.notes,
                    "attachments": case.counts.attachments,
                    "conflicts": case.conflicts,
                })).collect::<Vec<_>>(),
            });
            emit(*json, value, || {
                if cases.is_empty() {
                    return "no cases".to_owned();
                }
                cases
                    .iter()
                    .map(|case| {
                        let conflicts =
                            if case.conflicts > 0 { format!("  ({} conflicts)", case.conflicts) } else { String::new() };
                        format!("{}  {:<20} {}{conflicts}", id_to_hex(&case.id), case.status, case.title)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        CaseSub::Show { id, show_sensitive, json } => {
            let case_id = id_arg(id)?;
            let mut session = session(cli)?;
            let view = session.open_case(&case_id)?;
            session.lock();
            let value = case_json(&view, *show_sensitive);
            emit(*json, value.clone(), || case_text(&value))
        }
        CaseSub::Set { id, field, value, json } => {
            let case_id = id_arg(id)?;
            let field = CaseField::parse(field).map_err(|_| Usage("the field must be title, status, risk, team or tags"))?;
            let mut session = session(cli)?;
            session.set_case_field(&case_id, field, value)?;
            session.lock();
            emit(*json, json!({"id": id_to_hex(&case_id), "field": field.name(), "value": value}), || {
                format!("{} set", field.name())
            })
        }
        CaseSub::Delete { id, json } => {
            let case_id = id_arg(id)?;
            let mut session = session(cli)?;
            session.delete_case(&case_id)?;
            session.lock();
            emit(*json, json!({"id": id_to_hex(&case_id), "deleted": true}), || "case deleted".to_owned())
        }
    }
}

fn run_person(cli: &Cli, command: &PersonSub) -> anyhow::Result<()> {
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
            emit_created(*json, &id, &case_id, "person")
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
            emit_edited(*json, &person_id, &case_id, "person")
        }
    }
}

fn run_testimony(cli: &Cli, command: &TestimonySub) -> anyhow::Result<()> {
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
            emit_created(*json, &id, &case_id, "testimony")
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
                (_, true) => (Some(false), Some(Vec::new())),
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
            emit_edited(*json, &testimony_id, &case_id, "testimony")
        }
    }
}

fn attachment_json(info: &AttachmentInfo) -> Value {
    let r = &info.reference;
    json!({
        "id": id_to_hex(&info.id),
        "case_id": id_to_hex(&info.case_id),
        "file_name": r.file_name,
        "media_type": r.media_type,
        "original_size": r.original_size,
        "stored_size": r.stored_size,
        "original_hash": r.original_hash,
        "stored_hash": r.stored_hash,
        "metadata": r.metadata,
        "removed_parts": info.removed_parts,
    })
}

fn conflicts_json(conflicts: &[CaseConflict]) -> Value {
    Value::Array(
        conflicts
            .iter()
            .map(|c| {
                json!({
                    "document_id": id_to_hex(&c.document_id),
                    "document": c.document_kind,
                    "path": c.conflict.path,
                    "mergeable": c.mergeable(),
                    "values": c.conflict.values.iter().enumerate().map(|(choice, v)| json!({
                        "choice": choice,
                        "value": v.value,
                        "by": v.by,
                        "at": v.at,
                        "shown": v.shown,
                        "object": v.is_object,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn conflicts_text(conflicts: &[CaseConflict]) -> String {
    if conflicts.is_empty() {
        return "no conflicts".to_owned();
    }
    let mut lines = Vec::new();
    for c in conflicts {
        lines.push(format!("{} {} / {}:", c.document_kind, id_to_hex(&c.document_id), c.conflict.path));
        for (choice, v) in c.conflict.values.iter().enumerate() {
            let shown = if v.shown { "  (shown)" } else { "" };
            lines.push(format!("  [{choice}] {:?} by {} at {}{shown}", v.value, v.by, v.at));
        }
    }
    lines.push("Resolve with: cairn conflicts CASE --resolve PATH --choose N [--document ID]".to_owned());
    lines.push("or, for a text field, merge: cairn conflicts CASE --merge PATH --value TEXT [--document ID]".to_owned());
    lines.join("\n")
}

fn case_json(view: &CaseView, show_sensitive: bool) -> Value {
    let record = &view.record;
    let persons: Vec<Value> = record
        .persons
        .iter()
        .map(|(id, person)| {
            let identity = if show_sensitive {
                let fields: serde_json::Map<String, Value> = person
                    .identity
                    .fields()
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), json!(value.expose())))
                    .collect();
                Value::Object(fields)
            } else {
                Value::Null
            };
            json!({"id": id, "pseudonym": person.pseudonym, "roles": person.roles, "identity": identity})
        })
        .collect();
    let testimonies: Vec<Value> = view
        .testimonies
        .iter()
        .map(|(id, t)| {
            json!({
                "id": id_to_hex(id),
                "source_person": t.source_person,
                "date": t.date,
                "place": t.place,
                "interviewer": t.interviewer,
                "interpreter": t.interpreter,
                "language": t.language,
                "consent": {"given": t.consent.given, "scopes": t.consent.scopes, "conditions": t.consent.conditions},
                "narrative": t.narrative.as_str(),
                "transcript": t.transcript.as_str(),
            })
        })
        .collect();
    let events: Vec<Value> = record
        .events
        .iter()
        .map(|(id, e)| {
            let precision =
                cairn_core::cases::ApproxDate::parse(&e.date_start).map(|d| d.precision().name()).unwrap_or("unknown");
            json!({
                "id": id,
                "title": e.title,
                "description": e.description,
                "date_start": e.date_start,
                "date_end": e.date_end,
                "date_precision": precision,
                "certainty": e.date_certainty,
                "place": e.place,
                "acts": e.acts.iter().map(|(id, a)| json!({
                    "id": id,
                    "type": a.act_type,
                    "victim": a.victim,
                    "perpetrator": {"agency": a.perpetrator.agency, "unit": a.perpetrator.unit, "facility": a.perpetrator.facility},
                    "consequences": a.consequences,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let notes: Vec<Value> =
        record.notes.iter().map(|(id, n)| json!({"id": id, "at": n.at, "by": n.by, "text": n.text})).collect();
    let attachments: Vec<Value> = record
        .attachments
        .iter()
        .map(|(id, a)| {
            json!({
                "id": id,
                "file_name": a.file_name,
                "media_type": a.media_type,
                "original_size": a.original_size,
                "stored_size": a.stored_size,
                "original_hash": a.original_hash,
                "stored_hash": a.stored_hash,
                "metadata": a.metadata,
                "added_at": a.added_at,
                "added_by": a.added_by,
            })
        })
        .collect();
    json!({
        "id": id_to_hex(&view.id),
        "title": record.title,
        "status": record.status,
        "risk": record.risk,
        "team": record.team,
        "tags": record.distinct_tags(),
        "created_at": record.created_at,
        "created_by": record.created_by,
        "updated_at": view.updated_at,
        "persons": persons,
        "testimonies": testimonies,
        "events": events,
        "notes": notes,
        "attachments": attachments,
        "conflicts": conflicts_json(&view.conflicts),
    })
}

/// A readable rendering of the JSON view (one place decides what is shown).
fn case_text(value: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = vec![
        format!("{}  {}", s(&value["id"]), s(&value["title"])),
        format!("status: {}   risk: {}   team: {}", s(&value["status"]), s(&value["risk"]), s(&value["team"])),
    ];
    let list = |key: &str| value[key].as_array().cloned().unwrap_or_default();
    for person in list("persons") {
        let roles: Vec<String> = person["roles"].as_array().into_iter().flatten().map(&s).collect();
        out.push(format!("person {}  {}  [{}]", s(&person["id"]), s(&person["pseudonym"]), roles.join(", ")));
        if let Some(identity) = person["identity"].as_object() {
            for (name, field) in identity {
                if !s(field).is_empty() {
                    out.push(format!("    {name}: {}", s(field)));
                }
            }
        }
    }
    for t in list("testimonies") {
        out.push(format!(
            "testimony {}  source {}  {}  {}",
            s(&t["id"]),
            s(&t["source_person"]),
            s(&t["date"]),
            s(&t["language"])
        ));
        out.push(format!("    {}", s(&t["narrative"]).replace('\n', "\n    ")));
    }
    for e in list("events") {
        out.push(format!(
            "event {}  {}  {}–{} ({})  {}",
            s(&e["id"]),
            s(&e["title"]),
            s(&e["date_start"]),
            s(&e["date_end"]),
            s(&e["certainty"]),
            s(&e["place"])
        ));
        for a in e["acts"].as_array().into_iter().flatten() {
            out.push(format!(
                "    act {}  {}  victim {}  by {}",
                s(&a["id"]),
                s(&a["type"]),
                s(&a["victim"]),
                s(&a["perpetrator"]["agency"])
            ));
        }
    }
    for n in list("notes") {
        out.push(format!("note {}  by {} at {}: {}", s(&n["id"]), s(&n["by"]), n["at"], s(&n["text"])));
    }
    for a in list("attachments") {
        out.push(format!(
            "attachment {}  {}  {} bytes  metadata {}",
            s(&a["id"]),
            s(&a["file_name"]),
            a["stored_size"],
            s(&a["metadata"])
        ));
    }
    let conflicts = list("conflicts").len();
    if conflicts > 0 {
        out.push(format!("{conflicts} conflict(s): run `cairn conflicts {}`", s(&value["id"])));
    }
    out.join("\n")
}
