//! The case domain (DESIGN §4), mapped to Automerge with `autosurgeon`.
//!
//! A case is a small set of Automerge documents under one case key:
//!
//! - the **case document** ([`CaseRecord`], document id = case id): title, status, risk, team,
//!   tags, persons, events with their acts, notes, attachment references, and the index of
//!   testimonies;
//! - one **testimony document** per interview ([`TestimonyRecord`], document id = testimony
//!   id): its metadata, informed consent, and the narrative and transcript as collaborative
//!   text ([`CollabText`], an Automerge text object, so concurrent edits merge character by
//!   character).
//!
//! Collections are maps keyed by the 32-hex id of their element, never lists, so concurrent
//! additions on two devices merge without clashing. Nested objects are created with their
//! parent, so two devices never race to create the same object. Modification times live in
//! the vault's per-document digest, not in the documents (a shared `updated_at` field would
//! make every pair of concurrent edits conflict). Every field tolerates being missing, so a
//! document written by an older or newer version still loads.
//!
//! None of these types implement `Serialize`: front ends build their own DTOs.

use std::{collections::BTreeMap, fmt};

/// Re-exported with the traits above.
pub use automerge::ObjId;
use autosurgeon::reconcile::TextReconciler;
/// Re-exported so other crates can name document roots without depending on `autosurgeon`.
pub use autosurgeon::{Hydrate, HydrateError, ReadDoc, Reconcile, Reconciler, reconcile::NoKey};

/// Version of the document shapes below, stored in every document as `schema`.
pub const SCHEMA_VERSION: u32 = 1;

/// Text edited collaboratively (narratives, transcripts): an Automerge text object. Saving a
/// new value records the difference, so concurrent edits of different parts both survive.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CollabText(pub String);

impl CollabText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CollabText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollabText({} chars)", self.0.chars().count())
    }
}

impl Reconcile for CollabText {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        // `update` diffs against the current text (in Unicode code points, which is what the
        // document indexes by), so only the changed span is written.
        let mut text = reconciler.text()?;
        text.update(&self.0)
    }
}

impl Hydrate for CollabText {
    fn hydrate_text<D: ReadDoc>(doc: &D, obj: &automerge::ObjId) -> Result<Self, HydrateError> {
        Ok(CollabText(doc.text(obj)?))
    }

    fn hydrate_string(value: &str) -> Result<Self, HydrateError> {
        Ok(CollabText(value.to_owned()))
    }

    fn hydrate_none() -> Result<Self, HydrateError> {
        Ok(CollabText::default())
    }
}

/// The plain text of an identifying field (real name, birth date, home town, family,
/// contact), as a worker types it or a reader opens it. Empty when not recorded. Its `Debug`
/// never shows the value. It has no document mapping at all: a case document holds identity
/// fields only as [`IdentityValue`]s, sealed before they are written.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive(pub String);

impl Sensitive {
    /// The value (empty when not recorded).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether a value is recorded.
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_set() { "Sensitive(<redacted>)" } else { "Sensitive(<empty>)" })
    }
}

/// One of a person's identifying fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityField {
    /// Real name.
    RealName,
    /// Date of birth (as told; free text).
    BirthDate,
    /// Home town.
    HomeTown,
    /// Family (free text, several lines).
    Family,
    /// How to reach the person.
    Contact,
}

impl IdentityField {
    /// Every identity field, in display order.
    pub const ALL: [IdentityField; 5] = [
        IdentityField::RealName,
        IdentityField::BirthDate,
        IdentityField::HomeTown,
        IdentityField::Family,
        IdentityField::Contact,
    ];

    /// The field's name, as in the document and in [`Identity::FIELDS`].
    pub fn name(self) -> &'static str {
        match self {
            IdentityField::RealName => "real_name",
            IdentityField::BirthDate => "birth_date",
            IdentityField::HomeTown => "home_town",
            IdentityField::Family => "family",
            IdentityField::Contact => "contact",
        }
    }

    /// The field named `name`.
    pub fn parse(name: &str) -> Option<IdentityField> {
        IdentityField::ALL.into_iter().find(|field| field.name() == name)
    }

    /// The person and field a conflict path (`persons/<id>/identity/<field>`) of a case
    /// document names, if it names an identity field.
    pub fn of_path(path: &str) -> Option<(&str, IdentityField)> {
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["persons", person, "identity", field] => Some((person, IdentityField::parse(field)?)),
            _ => None,
        }
    }
}

/// An identifying field as a case document holds it.
///
/// New values are always [`IdentityValue::Sealed`]: sealed (by cairn-core, with
/// `cairn_crypto::seal_value`) to HQ's intake key and the roster's identity readers, or to the
/// vault's own key before it joins an organisation, before they enter the document. This
/// crate treats the bytes as opaque. A document written by a version before sealing holds
/// plain text ([`IdentityValue::Plain`]), which cairn-core seals on upgrade.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum IdentityValue {
    /// Not recorded.
    #[default]
    Empty,
    /// A sealed value (format: `cairn_crypto`'s sealed value).
    Sealed(Vec<u8>),
    /// Plain text left by a version before sealing (or a peer still running one).
    Plain(Sensitive),
}

impl IdentityValue {
    /// Whether a value is recorded (sealed or not).
    pub fn is_set(&self) -> bool {
        !matches!(self, IdentityValue::Empty)
    }

    /// The sealed bytes, if the value is sealed.
    pub fn sealed(&self) -> Option<&[u8]> {
        match self {
            IdentityValue::Sealed(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl fmt::Debug for IdentityValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentityValue::Empty => "IdentityValue(<empty>)",
            IdentityValue::Sealed(_) => "IdentityValue(<sealed>)",
            IdentityValue::Plain(_) => "IdentityValue(<plain, redacted>)",
        })
    }
}

impl Reconcile for IdentityValue {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        match self {
            IdentityValue::Empty => reconciler.str(""),
            IdentityValue::Sealed(bytes) => reconciler.bytes(bytes),
            IdentityValue::Plain(text) => reconciler.str(text.expose()),
        }
    }
}

impl Hydrate for IdentityValue {
    fn hydrate_string(value: &str) -> Result<Self, HydrateError> {
        Ok(if value.is_empty() { IdentityValue::Empty } else { IdentityValue::Plain(Sensitive(value.to_owned())) })
    }

    fn hydrate_bytes(bytes: &[u8]) -> Result<Self, HydrateError> {
        Ok(if bytes.is_empty() { IdentityValue::Empty } else { IdentityValue::Sealed(bytes.to_vec()) })
    }

    fn hydrate_none() -> Result<Self, HydrateError> {
        Ok(IdentityValue::Empty)
    }
}

/// The root of a case document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct CaseRecord {
    /// Shape version ([`SCHEMA_VERSION`]).
    #[autosurgeon(missing = "Default::default")]
    pub schema: u32,
    /// Short title shown in lists.
    #[autosurgeon(missing = "Default::default")]
    pub title: String,
    /// Status code (vocabulary `case_status`).
    #[autosurgeon(missing = "Default::default")]
    pub status: String,
    /// Risk level code (vocabulary `risk_level`).
    #[autosurgeon(missing = "Default::default")]
    pub risk: String,
    /// Assigned team (free text until teams exist; empty when unassigned).
    #[autosurgeon(missing = "Default::default")]
    pub team: String,
    /// Free tags.
    #[autosurgeon(missing = "Default::default")]
    pub tags: Vec<String>,
    /// Creation time, milliseconds since the Unix epoch.
    #[autosurgeon(missing = "Default::default")]
    pub created_at: i64,
    /// The worker who created the case.
    #[autosurgeon(missing = "Default::default")]
    pub created_by: String,
    /// Persons, by id.
    #[autosurgeon(missing = "Default::default")]
    pub persons: BTreeMap<String, Person>,
    /// Testimonies (each its own document), by id.
    #[autosurgeon(missing = "Default::default")]
    pub testimonies: BTreeMap<String, TestimonyRef>,
    /// Events, by id.
    #[autosurgeon(missing = "Default::default")]
    pub events: BTreeMap<String, Event>,
    /// Case notes, by id.
    #[autosurgeon(missing = "Default::default")]
    pub notes: BTreeMap<String, Note>,
    /// Attachments, by id.
    #[autosurgeon(missing = "Default::default")]
    pub attachments: BTreeMap<String, AttachmentRef>,
    /// When a worker marked the case ready for handover to HQ (ms; 0: not marked).
    #[autosurgeon(missing = "Default::default")]
    pub handover_ready_at: i64,
}

/// A person in a case, shown everywhere by pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct Person {
    /// Pseudonym code (e.g. `A-17`), the only name shown by default.
    #[autosurgeon(missing = "Default::default")]
    pub pseudonym: String,
    /// Role codes (vocabulary `role`).
    #[autosurgeon(missing = "Default::default")]
    pub roles: Vec<String>,
    /// Identifying fields, sealed.
    #[autosurgeon(missing = "Default::default")]
    pub identity: SealedIdentity,
}

/// The identifying fields of a person as the case document holds them (see
/// [`IdentityValue`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct SealedIdentity {
    /// Real name.
    #[autosurgeon(missing = "Default::default")]
    pub real_name: IdentityValue,
    /// Date of birth (as told; free text).
    #[autosurgeon(missing = "Default::default")]
    pub birth_date: IdentityValue,
    /// Home town.
    #[autosurgeon(missing = "Default::default")]
    pub home_town: IdentityValue,
    /// Family.
    #[autosurgeon(missing = "Default::default")]
    pub family: IdentityValue,
    /// How to reach the person.
    #[autosurgeon(missing = "Default::default")]
    pub contact: IdentityValue,
}

impl SealedIdentity {
    /// The value of `field`.
    pub fn get(&self, field: IdentityField) -> &IdentityValue {
        match field {
            IdentityField::RealName => &self.real_name,
            IdentityField::BirthDate => &self.birth_date,
            IdentityField::HomeTown => &self.home_town,
            IdentityField::Family => &self.family,
            IdentityField::Contact => &self.contact,
        }
    }

    /// The fields as (field, value) pairs, in [`IdentityField::ALL`] order.
    pub fn fields(&self) -> [(IdentityField, &IdentityValue); 5] {
        IdentityField::ALL.map(|field| (field, self.get(field)))
    }
}

/// The identifying fields of a person in plain text: what a worker types (a new person) and
/// what a device that may read them opens. Every field is [`Sensitive`]. Never written to a
/// document as such (see [`SealedIdentity`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// Real name.
    pub real_name: Sensitive,
    /// Date of birth (as told; free text).
    pub birth_date: Sensitive,
    /// Home town.
    pub home_town: Sensitive,
    /// Family.
    pub family: Sensitive,
    /// How to reach the person.
    pub contact: Sensitive,
}

impl Identity {
    /// Names of the identity fields, in display order.
    pub const FIELDS: [&'static str; 5] = ["real_name", "birth_date", "home_town", "family", "contact"];

    /// The value of `field`.
    pub fn get(&self, field: IdentityField) -> &Sensitive {
        match field {
            IdentityField::RealName => &self.real_name,
            IdentityField::BirthDate => &self.birth_date,
            IdentityField::HomeTown => &self.home_town,
            IdentityField::Family => &self.family,
            IdentityField::Contact => &self.contact,
        }
    }

    /// The value of `field`, to set.
    pub fn get_mut(&mut self, field: IdentityField) -> &mut Sensitive {
        match field {
            IdentityField::RealName => &mut self.real_name,
            IdentityField::BirthDate => &mut self.birth_date,
            IdentityField::HomeTown => &mut self.home_town,
            IdentityField::Family => &mut self.family,
            IdentityField::Contact => &mut self.contact,
        }
    }

    /// The fields as (name, value) pairs, in [`Identity::FIELDS`] order.
    pub fn fields(&self) -> [(&'static str, &Sensitive); 5] {
        IdentityField::ALL.map(|field| (field.name(), self.get(field)))
    }
}

/// The case document's entry for a testimony (the testimony itself is its own document).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct TestimonyRef {
    /// When the testimony was added, milliseconds since the Unix epoch.
    #[autosurgeon(missing = "Default::default")]
    pub added_at: i64,
}

/// An event: something that happened, at an approximate time and place, made of acts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct Event {
    /// Short title.
    #[autosurgeon(missing = "Default::default")]
    pub title: String,
    /// Description.
    #[autosurgeon(missing = "Default::default")]
    pub description: String,
    /// Start date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`; empty when unknown).
    #[autosurgeon(missing = "Default::default")]
    pub date_start: String,
    /// End date for a period (same forms; empty for a single date).
    #[autosurgeon(missing = "Default::default")]
    pub date_end: String,
    /// Certainty of the dates (`exact`, `approximate`, `uncertain`).
    #[autosurgeon(missing = "Default::default")]
    pub date_certainty: String,
    /// Coarse place (a county or city, never an address).
    #[autosurgeon(missing = "Default::default")]
    pub place: String,
    /// Acts, by id.
    #[autosurgeon(missing = "Default::default")]
    pub acts: BTreeMap<String, Act>,
}

/// An act: what was done to one victim, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct Act {
    /// Act type code (vocabulary `act_type`).
    #[autosurgeon(missing = "Default::default")]
    pub act_type: String,
    /// The victim's person id.
    #[autosurgeon(missing = "Default::default")]
    pub victim: String,
    /// Who did it.
    #[autosurgeon(missing = "Default::default")]
    pub perpetrator: Perpetrator,
    /// Consequences for the victim (injury, death, imprisonment, …).
    #[autosurgeon(missing = "Default::default")]
    pub consequences: String,
}

/// The perpetrator of an act.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct Perpetrator {
    /// Agency code (vocabulary `agency`; empty when unknown).
    #[autosurgeon(missing = "Default::default")]
    pub agency: String,
    /// Unit (free text).
    #[autosurgeon(missing = "Default::default")]
    pub unit: String,
    /// Facility (detention centre, camp, police station; free text).
    #[autosurgeon(missing = "Default::default")]
    pub facility: String,
    /// Person id of an identified perpetrator, if any.
    #[autosurgeon(missing = "Default::default")]
    pub person: String,
}

/// A dated case note by a named worker.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct Note {
    /// When, milliseconds since the Unix epoch.
    #[autosurgeon(missing = "Default::default")]
    pub at: i64,
    /// The worker who wrote it.
    #[autosurgeon(missing = "Default::default")]
    pub by: String,
    /// The note.
    #[autosurgeon(missing = "Default::default")]
    pub text: String,
}

/// What happened to an attachment's embedded metadata on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataHandling {
    /// A JPEG or PNG whose metadata (EXIF, GPS, XMP, text, comments) was removed.
    Stripped,
    /// The worker asked to keep the file exactly as it was.
    Kept,
    /// Not a format whose metadata Cairn removes (stored as it was).
    NotAnImage,
    /// Audio recorded in the app, sealed as it was recorded (no file, no metadata).
    Recorded,
    /// A recording cut short (the app stopped or the vault locked mid-recording), recovered
    /// up to its last complete chunk.
    RecordedInterrupted,
}

impl MetadataHandling {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            MetadataHandling::Stripped => "stripped",
            MetadataHandling::Kept => "kept",
            MetadataHandling::NotAnImage => "not_an_image",
            MetadataHandling::Recorded => "recorded",
            MetadataHandling::RecordedInterrupted => "recorded_interrupted",
        }
    }
}

/// A reference from the case document to an encrypted blob.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct AttachmentRef {
    /// The blob's id (hex).
    #[autosurgeon(missing = "Default::default")]
    pub blob_id: String,
    /// The file's name as imported (no folder).
    #[autosurgeon(missing = "Default::default")]
    pub file_name: String,
    /// Media type sniffed from the content (`image/jpeg`, `image/png`, or
    /// `application/octet-stream`).
    #[autosurgeon(missing = "Default::default")]
    pub media_type: String,
    /// Size of the original file, in bytes.
    #[autosurgeon(missing = "Default::default")]
    pub original_size: u64,
    /// SHA-256 of the original file (hex), before any metadata was removed.
    #[autosurgeon(missing = "Default::default")]
    pub original_hash: String,
    /// Size of what is stored (and exported), in bytes.
    #[autosurgeon(missing = "Default::default")]
    pub stored_size: u64,
    /// SHA-256 of what is stored (hex); an export is checked against it.
    #[autosurgeon(missing = "Default::default")]
    pub stored_hash: String,
    /// `stripped`, `kept` or `not_an_image` (see [`MetadataHandling`]).
    #[autosurgeon(missing = "Default::default")]
    pub metadata: String,
    /// When it was added, milliseconds since the Unix epoch.
    #[autosurgeon(missing = "Default::default")]
    pub added_at: i64,
    /// The worker who added it.
    #[autosurgeon(missing = "Default::default")]
    pub added_by: String,
    /// The content's address between devices (hex): a keyed hash of the stored content
    /// (`cairn_crypto::attachment_address`), so a carrier cannot confirm a known file. Set by
    /// the device that attached it and reused as given everywhere else.
    #[autosurgeon(missing = "Default::default")]
    pub address: String,
    /// The testimony a recording was made of (hex id), or empty: the worker links a recording
    /// to the testimony being recorded.
    #[autosurgeon(missing = "Default::default")]
    pub testimony: String,
}

/// The root of a testimony document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct TestimonyRecord {
    /// Shape version ([`SCHEMA_VERSION`]).
    #[autosurgeon(missing = "Default::default")]
    pub schema: u32,
    /// The case (hex id).
    #[autosurgeon(missing = "Default::default")]
    pub case_id: String,
    /// The person who gave the testimony (person id in the case).
    #[autosurgeon(missing = "Default::default")]
    pub source_person: String,
    /// Interview date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`; empty when not recorded).
    #[autosurgeon(missing = "Default::default")]
    pub date: String,
    /// Coarse place of the interview.
    #[autosurgeon(missing = "Default::default")]
    pub place: String,
    /// Interviewer.
    #[autosurgeon(missing = "Default::default")]
    pub interviewer: String,
    /// Interpreter (empty when none).
    #[autosurgeon(missing = "Default::default")]
    pub interpreter: String,
    /// Language of the interview (`ko`, `en`, `zh`, …).
    #[autosurgeon(missing = "Default::default")]
    pub language: String,
    /// Informed consent.
    #[autosurgeon(missing = "Default::default")]
    pub consent: Consent,
    /// The narrative, collaboratively edited.
    #[autosurgeon(missing = "Default::default")]
    pub narrative: CollabText,
    /// The transcript, collaboratively edited.
    #[autosurgeon(missing = "Default::default")]
    pub transcript: CollabText,
    /// Attachment ids of the audio recordings.
    #[autosurgeon(missing = "Default::default")]
    pub audio: Vec<String>,
}

/// What use and sharing the person agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hydrate, Reconcile)]
pub struct Consent {
    /// Whether informed consent was given at all.
    #[autosurgeon(missing = "Default::default")]
    pub given: bool,
    /// Scope codes (vocabulary `consent_scope`).
    #[autosurgeon(missing = "Default::default")]
    pub scopes: Vec<String>,
    /// Conditions in the person's words.
    #[autosurgeon(missing = "Default::default")]
    pub conditions: String,
}
