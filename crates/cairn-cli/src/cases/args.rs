//! The clap definitions of the case commands: every subcommand, flag and its help text.
//! Only declarations live here; the dispatch modules beside this one act on them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

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
    /// removed from JPEG and PNG files unless --keep-metadata is given. HEIF/HEIC, MP4/MOV/M4A,
    /// WebP, TIFF and PDF files can carry location data Cairn cannot remove: they are refused
    /// (exit 2, metadata_unremovable) unless --keep-metadata is given.
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

/// `case new/list/show/set/delete`.
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
    /// Mark a case ready for handover to HQ (or take the mark back with --undo). Once HQ's
    /// signed receipt covers everything this device holds of it, the roster's policy may purge
    /// it here (see `cairn handover status`).
    Ready {
        /// The case id.
        id: String,
        /// Take the mark back.
        #[arg(long)]
        undo: bool,
        /// Hand over even though a testimony's consent lacks sharing with HQ (asked first
        /// otherwise: the command refuses with handover_consent_unconfirmed).
        #[arg(long)]
        confirm_consent: bool,
        /// JSON: {"id","ready"}.
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
    /// Show a case's chain of custody: every change of its documents, the device that signed
    /// it and when this vault first had it. A change without a valid signature from a device
    /// on the roster, or first received after its device was revoked, is flagged.
    Custody {
        /// The case id.
        id: String,
        /// JSON: {"case_id","changes":[{"document_id","change_hash","signer","signer_name","first_seen_ms","first_roster_version","verdict","flagged"}],"flagged"}.
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
    pub(super) real_name: Option<String>,
    /// Date of birth as told (sensitive).
    #[arg(long)]
    pub(super) birth_date: Option<String>,
    /// Home town (sensitive).
    #[arg(long)]
    pub(super) home_town: Option<String>,
    /// Family (sensitive).
    #[arg(long)]
    pub(super) family: Option<String>,
    /// How to reach the person (sensitive).
    #[arg(long)]
    pub(super) contact: Option<String>,
}

impl std::fmt::Debug for IdentityArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Identity values never reach a log or a panic message.
        f.write_str("IdentityArgs(<redacted>)")
    }
}

/// `person add/edit`.
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

/// `testimony add/edit`.
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

/// `event add/edit`.
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

/// `act add/edit`.
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

/// `note add/edit`.
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

/// `attachment get`.
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

/// `vocab list`.
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

/// `worker show/set`.
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
