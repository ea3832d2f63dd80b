//! Store-and-forward bundles (DESIGN §5): sync by USB stick.
//!
//! A bundle for one peer carries, sealed and signed (`cairn_crypto::BundleWriter`):
//! - this device's **declared state**: every document it holds with its heads, its tombstones,
//!   the attachments whose content it holds and its roster version. The peer keeps it (in
//!   `bundle_peers`) as what this device *acknowledges*, and computes its next bundle for this
//!   device against it;
//! - everything the peer has not acknowledged: the roster if newer, the changes of every
//!   document since the heads the peer declared (all of them when unknown) after the key of
//!   its case (shared under the team key), tombstones, and every part of the attachments it
//!   lacks, one item per 64 KiB part.
//!
//! Bundles stream: nothing is held whole, whatever their size. Export writes the items one at
//! a time into temporary files in the target folder (parts below FAT32's 4 GiB when longer),
//! puts them in place only when the last is written, and records the bundle as written only
//! then. Import reads every file twice: the first pass authenticates every chunk of every part
//! and the signature (from a current, unrevoked roster member) before anything is applied; the
//! second applies the items one by one, each checked against the signed manifest, through the
//! same [`SyncStore`] methods as the live sync (the one write path): the roster first, then
//! each case key, each document's changes, each tombstone in its own transaction, and
//! attachment parts a few at a time (an attachment shows only once its last part is in and the
//! whole checked against its case document). So a killed import leaves whole units and
//! importing again completes it (the parts already received are not asked for again).
//!
//! Nothing is recorded as delivered when a bundle is written: only the peer's next bundle
//! acknowledges, so whatever a lost stick carried is sent again. Applying is idempotent, so a
//! replayed or out-of-order bundle is harmless; the declared state only ever moves forward (by
//! the sender's counter), and only once the whole bundle was applied.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs::File,
    ops::Range,
    path::{Path, PathBuf},
};

use cairn_crypto::{
    AgreementPublicKey, BundleFiles, BundleItem, BundlePartSink, BundleSender, BundleStreamError, BundleWriter,
    BundleWritten, CryptoError, DeviceWrapKey, MAX_BUNDLE_PART_LEN, VerifiedBundleStream, bundle_part_file_name,
    open_bundle_stream,
};
use cairn_sync::{BlobAddress, BlobPart, CaseKeyWrap, ChangeHash, DocRef, Incoming, ItemKind, SealedChange, SyncStore};

use crate::{
    CoreError, Session, cases::now_ms, cases::read, cases::transact, files, sync::SyncRefusal, team::BundleIdentity,
};

/// A device id.
pub type DeviceId = [u8; 16];

const KIND_STATE: u8 = 1;
const KIND_CASE_KEY: u8 = 2;
const KIND_CHANGES: u8 = 3;
const KIND_TOMBSTONE: u8 = 4;
const KIND_ROSTER: u8 = 5;
/// A whole attachment in one item, as earlier versions wrote it (still read).
const KIND_ATTACHMENT: u8 = 6;
/// One part of an attachment: case id ‖ address ‖ u32 position ‖ u8 last ‖ sealed part.
const KIND_ATTACHMENT_PART: u8 = 7;

/// About this many bytes of a document's changes go in one item; a document with more is sent
/// in several items (each applied in its own transaction; a change waiting for the ones before
/// it is kept until they arrive).
const CHANGES_PER_ITEM: usize = 8 * 1024 * 1024;
/// At most this many attachment parts (64 KiB each) are applied in one transaction.
const PARTS_PER_TRANSACTION: usize = 64;

/// Why a bundle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleRefusal {
    /// The file is truncated, altered, not a well-formed bundle, or one of its parts is
    /// missing. Nothing of it was applied.
    #[error("the bundle is damaged, truncated or altered, or a part of it is missing; nothing was applied")]
    Damaged,
    /// Its signature does not verify with the sender's key on the roster.
    #[error("the bundle's signature is not valid; nothing was applied")]
    BadSignature,
    /// Its sender is not a member on the roster this device holds.
    #[error("the bundle comes from a device that is not on the roster; nothing was applied")]
    UnknownSender,
    /// Its sender was revoked.
    #[error("the bundle comes from a revoked device; nothing was applied")]
    RevokedSender,
    /// The device named as recipient is not a current member of the roster.
    #[error("the recipient is not a member of the roster")]
    UnknownRecipient,
    /// The file could not be opened or read (a stick pulled out, a permission).
    #[error("the bundle file could not be read; nothing was applied")]
    Unreadable,
    /// A verified bundle's file changed or could not be read while it was being applied:
    /// what was applied is whole, and importing the bundle again completes it.
    #[error("the bundle file changed or could not be read while it was applied; import it again to complete it")]
    Interrupted,
}

impl BundleRefusal {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            BundleRefusal::Damaged => "bundle_damaged",
            BundleRefusal::BadSignature => "bundle_bad_signature",
            BundleRefusal::UnknownSender => "bundle_unknown_sender",
            BundleRefusal::RevokedSender => "bundle_revoked_sender",
            BundleRefusal::UnknownRecipient => "bundle_unknown_recipient",
            BundleRefusal::Unreadable => "bundle_unreadable",
            BundleRefusal::Interrupted => "bundle_interrupted",
        }
    }
}

impl From<BundleRefusal> for CoreError {
    fn from(refusal: BundleRefusal) -> Self {
        CoreError::Bundle(refusal)
    }
}

/// What a bundle carries, counted (for a summary or `inspect`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleContents {
    /// Documents with changes.
    pub documents: u64,
    /// Changes, over all documents.
    pub changes: u64,
    /// Case keys.
    pub case_keys: u64,
    /// Tombstones (case deletions).
    pub tombstones: u64,
    /// Whether it carries a roster.
    pub roster: bool,
    /// Attachments (whole).
    pub attachments: u64,
    /// Documents the sender declares it holds.
    pub sender_documents: u64,
}

/// A bundle made in memory for one peer (tests and small tools; [`Session::export_bundles`]
/// writes bundles of any size to a folder), recorded with [`Session::record_bundle_written`]
/// once its file is in place.
#[derive(Debug)]
pub struct BundleOut {
    /// The recipient.
    pub recipient: DeviceId,
    /// The opaque file name (32 hex digits) this device always uses for this recipient.
    pub file_name: String,
    /// The sealed bundle.
    pub bytes: Vec<u8>,
    /// What it carries.
    pub contents: BundleContents,
    counter: u64,
}

/// A bundle held in memory that opened for this device and whose sender and signature checked
/// out: nothing of it is applied yet.
pub struct VerifiedBundle {
    /// The sender's device id.
    pub sender: DeviceId,
    /// The sender's counter.
    pub counter: u64,
    /// What it carries.
    pub contents: BundleContents,
    stream: VerifiedBundleStream,
    bytes: [Vec<u8>; 1],
}

impl std::fmt::Debug for VerifiedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedBundle").field("contents", &self.contents).finish_non_exhaustive()
    }
}

/// What importing a bundle applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleApplied {
    /// Documents whose changes were applied.
    pub documents: u64,
    /// Tombstones applied.
    pub tombstones: u64,
    /// Attachments completed.
    pub attachments: u64,
    /// Whether a newer roster was accepted.
    pub roster_updated: bool,
    /// Whether the sender's declared state was newer than what was known (false for a
    /// replayed older bundle).
    pub state_updated: bool,
    /// Whether only the roster was applied: this device's roster had expired (and the bundle
    /// did not renew it) and its sender is not an HQ device. Importing it again once a newer
    /// roster is held applies the rest (`roster_expired_sync_limited`).
    pub roster_only: bool,
}

/// A peer's declared state: what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PeerState {
    roster_version: u64,
    documents: BTreeMap<[u8; 16], (DocRef, Vec<ChangeHash>)>,
    tombstones: BTreeSet<[u8; 16]>,
    attachments: BTreeSet<([u8; 16], BlobAddress)>,
}

/// One item of a bundle, parsed.
#[derive(Debug)]
enum Unit {
    State(Vec<u8>),
    CaseKey(CaseKeyWrap),
    Changes(DocRef, Vec<SealedChange>),
    Tombstone(Vec<u8>),
    Roster(Vec<u8>),
    /// Parts of one attachment, in order (one for a part item; all for an earlier version's
    /// whole-attachment item).
    Parts(Vec<BlobPart>),
}
/// Writes length-prefixed fields.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn count(&mut self, value: usize) -> Result<(), CoreError> {
        self.u32(u32::try_from(value).map_err(|_| CoreError::Internal("bundle too large"))?);
        Ok(())
    }
    fn blob(&mut self, bytes: &[u8]) -> Result<(), CoreError> {
        self.count(bytes.len())?;
        self.bytes(bytes);
        Ok(())
    }
}

/// Reads what [`Writer`] wrote; every shortfall is [`BundleRefusal::Damaged`], and no count is
/// trusted beyond the bytes left.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], BundleRefusal> {
        if self.0.len() < len {
            return Err(BundleRefusal::Damaged);
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], BundleRefusal> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn u32(&mut self) -> Result<u32, BundleRefusal> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, BundleRefusal> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// A count of things of at least `min_len` bytes each.
    fn count(&mut self, min_len: usize) -> Result<usize, BundleRefusal> {
        let count = self.u32()? as usize;
        if count > self.0.len() / min_len.max(1) {
            return Err(BundleRefusal::Damaged);
        }
        Ok(count)
    }
    fn blob(&mut self) -> Result<&'a [u8], BundleRefusal> {
        let len = self.u32()? as usize;
        self.take(len)
    }
    fn end(&self) -> Result<(), BundleRefusal> {
        if self.0.is_empty() { Ok(()) } else { Err(BundleRefusal::Damaged) }
    }
}

fn encode_state(state: &PeerState) -> Result<Vec<u8>, CoreError> {
    let mut w = Writer::default();
    w.u64(state.roster_version);
    w.count(state.documents.len())?;
    for (doc, heads) in state.documents.values() {
        w.bytes(&doc.case_id);
        w.bytes(&doc.doc_id);
        w.count(heads.len())?;
        for head in heads {
            w.bytes(head);
        }
    }
    w.count(state.tombstones.len())?;
    for case_id in &state.tombstones {
        w.bytes(case_id);
    }
    w.count(state.attachments.len())?;
    for (case_id, address) in &state.attachments {
        w.bytes(case_id);
        w.bytes(address);
    }
    Ok(w.0)
}

fn decode_state(bytes: &[u8]) -> Result<PeerState, BundleRefusal> {
    let mut r = Reader(bytes);
    let mut state = PeerState { roster_version: r.u64()?, ..PeerState::default() };
    for _ in 0..r.count(36)? {
        let doc = DocRef { case_id: r.array()?, doc_id: r.array()? };
        let mut heads = Vec::new();
        for _ in 0..r.count(32)? {
            heads.push(r.array()?);
        }
        state.documents.insert(doc.doc_id, (doc, heads));
    }
    for _ in 0..r.count(16)? {
        state.tombstones.insert(r.array()?);
    }
    for _ in 0..r.count(48)? {
        state.attachments.insert((r.array()?, r.array()?));
    }
    r.end()?;
    Ok(state)
}

fn flag(byte: u8) -> Result<bool, BundleRefusal> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(BundleRefusal::Damaged),
    }
}

/// Parses one item; anything malformed is [`BundleRefusal::Damaged`].
fn parse_item(item: BundleItem) -> Result<Unit, BundleRefusal> {
    let mut r = Reader(&item.bytes);
    let unit = match item.kind {
        KIND_STATE => {
            decode_state(&item.bytes)?;
            return Ok(Unit::State(item.bytes));
        }
        KIND_CASE_KEY => {
            let case_id = r.array()?;
            Unit::CaseKey(CaseKeyWrap { case_id, wrapped: std::mem::take(&mut r.0).to_vec() })
        }
        KIND_CHANGES => {
            let doc = DocRef { case_id: r.array()?, doc_id: r.array()? };
            let mut changes = Vec::new();
            for _ in 0..r.count(4)? {
                changes.push(SealedChange(r.blob()?.to_vec()));
            }
            Unit::Changes(doc, changes)
        }
        KIND_TOMBSTONE => Unit::Tombstone(std::mem::take(&mut r.0).to_vec()),
        KIND_ROSTER => Unit::Roster(std::mem::take(&mut r.0).to_vec()),
        KIND_ATTACHMENT => {
            let case_id = r.array()?;
            let address = r.array()?;
            let mut parts = Vec::new();
            for _ in 0..r.count(9)? {
                let position = r.u32()?;
                let last = flag(r.take(1)?[0])?;
                parts.push(BlobPart { case_id, address, position, last, sealed: r.blob()?.to_vec() });
            }
            Unit::Parts(parts)
        }
        KIND_ATTACHMENT_PART => {
            let case_id = r.array()?;
            let address = r.array()?;
            let position = r.u32()?;
            let last = flag(r.take(1)?[0])?;
            let sealed = std::mem::take(&mut r.0).to_vec();
            Unit::Parts(vec![BlobPart { case_id, address, position, last, sealed }])
        }
        _ => return Err(BundleRefusal::Damaged),
    };
    r.end()?;
    Ok(unit)
}

/// Checks the items' kinds from the signed manifest before anything is applied: every kind
/// known, at most one state and one roster. Returns the units of work (for progress) and the
/// roster's index.
fn check_kinds(bundle: &VerifiedBundleStream) -> Result<(u64, Option<usize>), BundleRefusal> {
    let (mut states, mut roster, mut units) = (0, None, 1u64);
    for (index, (kind, _)) in bundle.item_kinds().enumerate() {
        match kind {
            KIND_STATE => states += 1,
            KIND_ROSTER if roster.is_none() => roster = Some(index),
            KIND_CASE_KEY => {}
            KIND_CHANGES | KIND_TOMBSTONE | KIND_ATTACHMENT | KIND_ATTACHMENT_PART => units += 1,
            _ => return Err(BundleRefusal::Damaged),
        }
    }
    if states > 1 {
        return Err(BundleRefusal::Damaged);
    }
    Ok((units, roster))
}

/// Counts what a bundle carries, reading every item once (nothing is applied).
fn count_contents<F: BundleFiles + ?Sized>(bundle: &VerifiedBundleStream, files: &F) -> Result<BundleContents, CoreError> {
    check_kinds(bundle)?;
    let mut contents = BundleContents::default();
    let mut last_doc = None;
    let mut last_attachment = None;
    for item in bundle.items(files) {
        match parse_item(item.map_err(applying)?)? {
            Unit::State(bytes) => contents.sender_documents = decode_state(&bytes)?.documents.len() as u64,
            Unit::CaseKey(_) => contents.case_keys += 1,
            Unit::Changes(doc, changes) => {
                if last_doc.replace(doc.doc_id) != Some(doc.doc_id) {
                    contents.documents += 1;
                }
                contents.changes += changes.len() as u64;
            }
            Unit::Tombstone(_) => contents.tombstones += 1,
            Unit::Roster(_) => contents.roster = true,
            Unit::Parts(parts) => {
                for part in parts {
                    if last_attachment.replace((part.case_id, part.address)) != Some((part.case_id, part.address)) {
                        contents.attachments += 1;
                    }
                }
            }
        }
    }
    Ok(contents)
}

/// The first pass's failures: an unreadable file, or damage (anything else).
fn checking(error: BundleStreamError) -> BundleRefusal {
    match error {
        BundleStreamError::Io(_) => BundleRefusal::Unreadable,
        _ => BundleRefusal::Damaged,
    }
}

/// The second pass's failures: the file is no longer what was verified (or cannot be read).
fn applying(_: BundleStreamError) -> BundleRefusal {
    BundleRefusal::Interrupted
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads
}

/// The index ranges of `changes` that go in one item each (about [`CHANGES_PER_ITEM`] bytes).
fn pack(changes: &[SealedChange]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (index, SealedChange(sealed)) in changes.iter().enumerate() {
        let len = 4 + sealed.len();
        if index > start && size + len > CHANGES_PER_ITEM {
            ranges.push(start..index);
            (start, size) = (index, 0);
        }
        size += len;
    }
    if start < changes.len() {
        ranges.push(start..changes.len());
    }
    ranges
}

fn encode_changes(doc: &DocRef, changes: &[SealedChange]) -> Result<Vec<u8>, CoreError> {
    let mut w = Writer::default();
    w.bytes(&doc.case_id);
    w.bytes(&doc.doc_id);
    w.count(changes.len())?;
    for SealedChange(sealed) in changes {
        w.blob(sealed)?;
    }
    Ok(w.0)
}

fn encode_part(part: &BlobPart) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(&part.case_id);
    w.bytes(&part.address);
    w.u32(part.position);
    w.bytes(&[u8::from(part.last)]);
    w.bytes(&part.sealed);
    w.0
}

/// One document a bundle sends changes of.
struct DocPlan {
    doc: DocRef,
    their_heads: Vec<ChangeHash>,
    /// Whether its case's key goes before it (the first document of each case).
    send_key: bool,
    /// How many items its changes take.
    items: usize,
}

/// Everything one bundle will carry, decided before it is written (the writer needs the number
/// of items first); the changes and attachment parts themselves are read while writing.
struct ExportPlan {
    recipient: DeviceId,
    agreement: AgreementPublicKey,
    counter: u64,
    state: Vec<u8>,
    roster: Option<Vec<u8>>,
    docs: Vec<DocPlan>,
    tombstones: Vec<Vec<u8>>,
    attachments: Vec<([u8; 16], BlobAddress, u32)>,
    contents: BundleContents,
}

impl ExportPlan {
    fn item_count(&self) -> usize {
        1 + usize::from(self.roster.is_some())
            + self.docs.iter().map(|doc| usize::from(doc.send_key) + doc.items).sum::<usize>()
            + self.tombstones.len()
            + self.attachments.iter().map(|(_, _, count)| *count as usize).sum::<usize>()
    }
}

/// A writer's failure as the front ends see it.
fn writing(error: BundleStreamError) -> CoreError {
    match error {
        BundleStreamError::Io(error) if error.kind() == std::io::ErrorKind::StorageFull => CoreError::DiskFull,
        BundleStreamError::Io(_) => CoreError::Case(crate::cases::CaseError::TargetFolder),
        BundleStreamError::Crypto(CryptoError::TooLarge { .. }) => CoreError::Internal("bundle too large"),
        _ => CoreError::Internal("seal bundle"),
    }
}

/// Parts of one bundle written into a folder: each to a temporary file beside its final name
/// (nothing is in place until [`FolderSink::commit`]).
struct FolderSink<'a> {
    dir: &'a Path,
    key: &'a DeviceWrapKey,
    sender: DeviceId,
    recipient: DeviceId,
    done: Vec<files::AtomicFile>,
}

impl FolderSink<'_> {
    fn name(&self, part: u32) -> String {
        bundle_part_file_name(self.key, &self.sender, &self.recipient, part)
    }

    /// Puts every part in place, part 0 last (a reader that finds the new part 0 finds its
    /// parts), then removes the higher parts an earlier, longer bundle for the same device
    /// left. Returns the parts' names.
    fn commit(self) -> std::io::Result<Vec<String>> {
        let names: Vec<String> = (0..self.done.len() as u32).map(|part| self.name(part)).collect();
        for part in self.done.into_iter().rev() {
            part.commit()?;
        }
        // There cannot be more stale parts than files in the folder.
        let in_folder = std::fs::read_dir(self.dir)?.count() as u32;
        for part in names.len() as u32..=in_folder {
            match std::fs::remove_file(self.dir.join(bundle_part_file_name(self.key, &self.sender, &self.recipient, part))) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        files::sync_dir(self.dir)?;
        Ok(names)
    }
}

impl BundlePartSink for FolderSink<'_> {
    type Part = files::AtomicFile;

    fn start_part(&mut self, index: u32) -> std::io::Result<files::AtomicFile> {
        files::AtomicFile::create(&self.dir.join(self.name(index)), files::Existing::Replace)
    }

    fn end_part(&mut self, _index: u32, mut part: files::AtomicFile) -> std::io::Result<()> {
        std::io::Write::flush(&mut part)?;
        self.done.push(part);
        Ok(())
    }
}

/// Candidate bundle files on disk, opened for reading one chunk at a time.
struct DiskFiles(Vec<PathBuf>);

impl BundleFiles for DiskFiles {
    type File<'a> = File;

    fn count(&self) -> usize {
        self.0.len()
    }

    fn open(&self, index: usize) -> std::io::Result<File> {
        File::open(self.0.get(index).ok_or(std::io::ErrorKind::NotFound)?)
    }
}

/// One step of a bundle export or import, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleStep {
    /// Writing the bundle `index` (from 0) of `of`.
    Writing {
        /// Which bundle, from 0.
        index: usize,
        /// How many bundles in all.
        of: usize,
    },
    /// Checking file `index` (from 0) of `of`: opening and verifying it whole, before
    /// anything of it is applied.
    Checking {
        /// Which file, from 0.
        index: usize,
        /// How many files in all.
        of: usize,
    },
    /// Applying file `index` (from 0) of `of`: `done` of `all` units applied.
    Applying {
        /// Which file, from 0.
        index: usize,
        /// How many files in all.
        of: usize,
        /// Units applied so far.
        done: u64,
        /// Units in the file.
        all: u64,
    },
}

/// Watches a bundle export or import: told every step, and asked between units whether the
/// worker pressed Cancel.
pub trait BundleObserver {
    /// The work moved on.
    fn step(&mut self, step: BundleStep);
    /// Whether to stop before the next unit (default: never).
    fn cancelled(&self) -> bool {
        false
    }
}

/// Watches nothing and never cancels.
impl BundleObserver for () {
    fn step(&mut self, _: BundleStep) {}
}

/// A bundle written into the chosen folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedBundle {
    /// Its recipient.
    pub recipient: DeviceId,
    /// The opaque names of its files in the folder (one, or several parts).
    pub file_names: Vec<String>,
    /// Its size in bytes, all parts together.
    pub size: u64,
    /// What it carries.
    pub contents: BundleContents,
}

/// A file the import refused, and why (nothing of it was applied).
#[derive(Debug)]
pub struct RefusedFile {
    /// The file's name in the folder (an opaque name; never a case's).
    pub file_name: String,
    /// Why it was refused.
    pub error: CoreError,
}

/// What importing a file or a folder did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Files looked at.
    pub files: u64,
    /// Bundles for this device that were verified and applied.
    pub imported: u64,
    /// Files not addressed to this device (left for others; not an error). The later parts
    /// of a bundle that was imported are not counted.
    pub skipped: u64,
    /// Files refused (from a folder; a single file refused is an error instead).
    pub refused: Vec<RefusedFile>,
    /// What was applied, over every imported bundle (`roster_only`: of at least one).
    pub applied: BundleApplied,
    /// Bundles of which only the roster was applied (see [`BundleApplied::roster_only`]).
    pub roster_only: u64,
    /// Receipts issued (HQ) or cases purged after a verified receipt, once the bundles applied.
    pub handover: crate::handover::HandoverSettled,
}

/// What `inspect` tells of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInspection {
    /// The size in bytes: of the whole bundle (all its parts) when it is addressed to this
    /// device, else of the file.
    pub size: u64,
    /// For this device: its sender, counter and contents (verified); `None` when it is not
    /// addressed to this device.
    pub verified: Option<(DeviceId, u64, BundleContents)>,
}

/// The regular files of folder `dir` except hidden ones (temporaries of an export that was
/// cut), in name order.
fn folder_files(dir: &Path) -> Result<Vec<PathBuf>, CoreError> {
    let io = |_| CoreError::Bundle(BundleRefusal::Unreadable);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// The candidates for a bundle named by `path` and how many of them may start one: a folder's
/// files (all), or a file (the one) followed by the other files of its folder, which may hold
/// its later parts.
fn candidates(path: &Path) -> Result<(DiskFiles, usize), CoreError> {
    if path.is_dir() {
        let found = folder_files(path)?;
        let starts = found.len();
        return Ok((DiskFiles(found), starts));
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut found = vec![path.to_path_buf()];
    // Only a help: a file whose folder cannot be listed is read alone.
    let siblings = folder_files(&folder).unwrap_or_default();
    let name = path.file_name();
    found.extend(siblings.into_iter().filter(|sibling| sibling.file_name() != name));
    Ok((DiskFiles(found), 1))
}

/// This device's clock, in ms since the Unix epoch.
fn clock() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

fn cancelled() -> CoreError {
    CoreError::Case(crate::cases::CaseError::Cancelled)
}

/// Attachment parts waiting to be applied together, and which attachments this vault lacks
/// (asked once, when the first part arrives: the documents that name them came before).
#[derive(Default)]
struct PartBatch {
    parts: Vec<BlobPart>,
    wanted: Option<BTreeMap<([u8; 16], BlobAddress), u32>>,
}

impl PartBatch {
    fn add(&mut self, store: &mut impl SyncStore<Error = CoreError>, parts: Vec<BlobPart>) -> Result<u64, CoreError> {
        if self.wanted.is_none() {
            let missing = store.missing_blobs(usize::MAX)?;
            self.wanted = Some(missing.into_iter().map(|want| ((want.case_id, want.address), want.from)).collect());
        }
        let mut completed = 0;
        for part in parts {
            // Only what this device lacks, from the first part it has not received (a live sync
            // or a killed import may have brought the beginning).
            let from = self.wanted.as_ref().and_then(|wanted| wanted.get(&(part.case_id, part.address)).copied());
            if from.is_none_or(|from| part.position < from) {
                continue;
            }
            let last = part.last;
            self.parts.push(part);
            if last || self.parts.len() >= PARTS_PER_TRANSACTION {
                completed += self.flush(store)?;
            }
        }
        Ok(completed)
    }

    fn flush(&mut self, store: &mut impl SyncStore<Error = CoreError>) -> Result<u64, CoreError> {
        if self.parts.is_empty() {
            return Ok(0);
        }
        let parts = std::mem::take(&mut self.parts);
        store.apply_blob_parts(&parts)
    }
}

impl Session {
    /// The devices a bundle is made for by default: every current roster member but this one.
    pub fn bundle_recipients(&mut self) -> Result<Vec<DeviceId>, CoreError> {
        let identity = self.bundle_identity()?.ok_or(SyncRefusal::NotInTeam)?;
        Ok(identity.members.iter().map(|member| member.device_id.0).filter(|id| *id != identity.device_id).collect())
    }

    /// What this device holds, as it declares it in its bundles.
    fn own_state(&mut self) -> Result<PeerState, CoreError> {
        let mut state = PeerState::default();
        let mut store = self.sync_store()?;
        state.roster_version = store.roster()?.map(|(version, _)| version).unwrap_or(0);
        for item in store.items()? {
            match item.kind {
                ItemKind::Document(doc) => {
                    if let Some((doc, heads)) = store.heads(&doc.doc_id)? {
                        state.documents.insert(doc.doc_id, (doc, sorted(heads)));
                    }
                }
                ItemKind::Tombstone { case_id } => {
                    state.tombstones.insert(case_id);
                }
            }
        }
        // A purged case's attachments are declared held: no peer sends them again.
        state.attachments = read(self.vault_mut(), |tx| {
            let mut held = tx.held_attachments()?;
            held.extend(tx.purged_attachments()?);
            Ok(held)
        })?
        .into_iter()
        .collect();
        Ok(state)
    }

    /// Decides what the bundle for `recipient` carries: this device's state, and everything
    /// the recipient has not acknowledged. Refused for a recipient that is not an HQ device
    /// while this device's roster has expired.
    fn plan_bundle(&mut self, identity: &BundleIdentity, recipient: &DeviceId) -> Result<ExportPlan, CoreError> {
        let member = identity
            .members
            .iter()
            .find(|member| member.device_id.0 == *recipient && *recipient != identity.device_id)
            .ok_or(BundleRefusal::UnknownRecipient)?;
        if self.sync_limited_with(recipient, clock())? {
            return Err(SyncRefusal::RosterExpiredSyncLimited.into());
        }
        let (row, last) = read(self.vault_mut(), |tx| Ok((tx.bundle_peer(recipient)?, tx.last_bundle_counter()?)))?;
        let theirs = match &row.known_state {
            // A stored state that no longer decodes is treated as unknown: everything is sent.
            Some(bytes) => decode_state(bytes).ok(),
            None => None,
        };
        let ours = self.own_state()?;
        let mut contents = BundleContents { sender_documents: ours.documents.len() as u64, ..BundleContents::default() };
        let their_tombstones = theirs.as_ref().map(|state| state.tombstones.clone()).unwrap_or_default();
        let mut store = self.sync_store()?;
        let roster = match store.roster()? {
            Some((version, roster)) if theirs.as_ref().is_none_or(|state| state.roster_version < version) => {
                contents.roster = true;
                Some(roster)
            }
            _ => None,
        };
        let mut docs = Vec::new();
        let mut keys_sent = BTreeSet::new();
        let purged: BTreeSet<[u8; 16]> =
            read(self.vault_mut(), |tx| Ok(tx.purged_cases()?))?.into_iter().map(|(case_id, _)| case_id).collect();
        let mut store = self.sync_store()?;
        for (doc, heads) in ours.documents.values() {
            // A purged case is declared (so nothing of it comes back) but has nothing to send.
            if their_tombstones.contains(&doc.case_id) || purged.contains(&doc.case_id) {
                continue;
            }
            let their_heads = theirs.as_ref().and_then(|state| state.documents.get(&doc.doc_id)).map(|(_, h)| h.clone());
            if their_heads.as_ref() == Some(heads) {
                continue;
            }
            // The key travels with every case that has changes, even one the peer holds: after a
            // revocation the case has a new key the peer may not have yet.
            let send_key = keys_sent.insert(doc.case_id);
            contents.case_keys += u64::from(send_key);
            let their_heads = their_heads.unwrap_or_default();
            // Read here to count the items, and again while writing (one document at a time).
            let changes = store.changes_since(doc, &their_heads)?;
            let items = pack(&changes).len();
            if items > 0 {
                contents.documents += 1;
                contents.changes += changes.len() as u64;
            }
            docs.push(DocPlan { doc: *doc, their_heads, send_key, items });
        }
        let mut tombstones = Vec::new();
        for case_id in ours.tombstones.difference(&their_tombstones) {
            if let Some(tombstone) = store.tombstone(case_id)? {
                tombstones.push(tombstone);
            }
        }
        contents.tombstones = tombstones.len() as u64;
        let mut attachments = Vec::new();
        for (case_id, address) in &ours.attachments {
            let held_there = theirs.as_ref().is_some_and(|state| state.attachments.contains(&(*case_id, *address)));
            if held_there || their_tombstones.contains(case_id) {
                continue;
            }
            if let Some(count) = store.blob_part_count(case_id, address)? {
                attachments.push((*case_id, *address, count));
            }
        }
        contents.attachments = attachments.len() as u64;
        drop(store);
        // Higher than any counter used before, to any peer; the clock only makes it survive a
        // bundle that was written but never recorded (a crash between rename and record).
        let counter = (last + 1).max(u64::try_from(now_ms()).unwrap_or(0));
        Ok(ExportPlan {
            recipient: *recipient,
            agreement: member.agreement,
            counter,
            state: encode_state(&ours)?,
            roster,
            docs,
            tombstones,
            attachments,
            contents,
        })
    }

    /// Writes the bundle `plan` decided into `sink`, item by item, in parts of at most
    /// `max_part_len` bytes.
    fn write_bundle<S: BundlePartSink>(
        &mut self,
        identity: &BundleIdentity,
        plan: &ExportPlan,
        sink: S,
        max_part_len: u64,
        observer: &dyn BundleObserver,
    ) -> Result<(S, BundleWritten), CoreError> {
        // Checked between items: a Cancel stops even one very large bundle, and dropping the
        // writer drops its sink, whose temporary files go with it.
        let go_on = || if observer.cancelled() { Err(cancelled()) } else { Ok(()) };
        let sender = BundleSender { device_id: identity.device_id, signing: &identity.signing, counter: plan.counter };
        let mut writer =
            BundleWriter::new(sink, &[plan.agreement], &sender, plan.item_count(), max_part_len).map_err(writing)?;
        writer.write_item(KIND_STATE, &plan.state).map_err(writing)?;
        if let Some(roster) = &plan.roster {
            writer.write_item(KIND_ROSTER, roster).map_err(writing)?;
        }
        let mut store = self.sync_store()?;
        for doc in &plan.docs {
            if doc.send_key {
                let wrap = store.export_case_key(&doc.doc.case_id)?;
                let bytes = [wrap.case_id.as_slice(), &wrap.wrapped].concat();
                writer.write_item(KIND_CASE_KEY, &bytes).map_err(writing)?;
            }
            if doc.items == 0 {
                // Changes made since the plan wait for the next bundle.
                continue;
            }
            let changes = store.changes_since(&doc.doc, &doc.their_heads)?;
            let ranges = pack(&changes);
            if ranges.len() > doc.items {
                return Err(CoreError::Internal("the vault changed during the export; export again"));
            }
            for index in 0..doc.items {
                go_on()?;
                // Fewer items than planned (changes compacted meanwhile): empty ones fill in.
                let range = ranges.get(index).cloned().unwrap_or(0..0);
                writer.write_item(KIND_CHANGES, &encode_changes(&doc.doc, &changes[range])?).map_err(writing)?;
            }
        }
        for tombstone in &plan.tombstones {
            writer.write_item(KIND_TOMBSTONE, tombstone).map_err(writing)?;
        }
        for (case_id, address, count) in &plan.attachments {
            for position in 0..*count {
                go_on()?;
                let part = store.blob_part(case_id, address, position)?;
                writer.write_item(KIND_ATTACHMENT_PART, &encode_part(&part)).map_err(writing)?;
            }
        }
        drop(store);
        writer.finish().map_err(writing)
    }

    /// Makes the bundle for `recipient` in memory: this device's state, and everything the
    /// recipient has not acknowledged. Nothing is recorded until
    /// [`Session::record_bundle_written`]. [`Session::export_bundles`] writes bundles of any
    /// size to a folder without holding them.
    pub fn export_bundle(&mut self, recipient: &DeviceId) -> Result<BundleOut, CoreError> {
        let identity = self.bundle_identity()?.ok_or(SyncRefusal::NotInTeam)?;
        let plan = self.plan_bundle(&identity, recipient)?;
        let (mut parts, _) = self.write_bundle(&identity, &plan, Vec::new(), u64::MAX, &())?;
        let bytes = parts.pop().ok_or(CoreError::Internal("seal bundle"))?;
        let file_name = bundle_part_file_name(&identity.name_key, &identity.device_id, recipient, 0);
        Ok(BundleOut { recipient: *recipient, file_name, bytes, contents: plan.contents, counter: plan.counter })
    }

    /// Records that `out` was written (call only once its file is renamed into place).
    pub fn record_bundle_written(&mut self, out: &BundleOut) -> Result<(), CoreError> {
        self.record_bundle_sent(&out.recipient, out.counter)
    }

    fn record_bundle_sent(&mut self, recipient: &DeviceId, counter: u64) -> Result<(), CoreError> {
        transact(self.vault_mut(), |tx| {
            let mut row = tx.bundle_peer(recipient)?;
            row.sent_counter = row.sent_counter.max(counter);
            tx.put_bundle_peer(&row)?;
            Ok(())
        })
    }

    /// Pass 1 over the bundle that starts in candidate `start`: `Ok(None)` when it is not
    /// addressed to this device; otherwise every chunk of every part, the sender (a current
    /// member of the roster) and the signature are verified before it is returned.
    fn check_bundle<F: BundleFiles + ?Sized>(
        &mut self,
        files: &F,
        start: usize,
    ) -> Result<Option<VerifiedBundleStream>, CoreError> {
        let identity = self.bundle_identity()?.ok_or(SyncRefusal::NotInTeam)?;
        let Some(unverified) = open_bundle_stream(&identity.agreement, files, start).map_err(checking)? else {
            return Ok(None);
        };
        let sender = unverified.sender();
        if identity.revoked.contains(&sender) {
            return Err(BundleRefusal::RevokedSender.into());
        }
        let member = identity
            .members
            .iter()
            .find(|member| member.device_id.0 == sender && sender != identity.device_id)
            .ok_or(BundleRefusal::UnknownSender)?;
        let verified = unverified.verify(&member.signing).map_err(|_| BundleRefusal::BadSignature)?;
        check_kinds(&verified)?;
        Ok(Some(verified))
    }

    /// Pass 2: applies a verified bundle's items one by one (see the module documentation),
    /// then keeps the sender's declared state if it is newer than what is known. `progress` is
    /// told (units done, units in all) and answers whether to go on: `false` stops before the
    /// next unit with `cancelled` (the sender's state is then not kept, so the next export
    /// from here does not count on what was not applied).
    fn apply_stream<F: BundleFiles + ?Sized>(
        &mut self,
        bundle: &VerifiedBundleStream,
        files: &F,
        mut progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<BundleApplied, CoreError> {
        let (total, roster_at) = check_kinds(bundle)?;
        let mut applied = BundleApplied::default();
        let mut state = None;
        // The roster first (bundles from earlier versions carry it after the case keys): a
        // newer one may bring the team key epoch the case keys are shared under.
        if let Some(roster_at) = roster_at {
            for item in bundle.items(files).take(roster_at + 1) {
                match parse_item(item.map_err(applying)?)? {
                    Unit::State(bytes) => state = Some(bytes),
                    Unit::Roster(roster) => {
                        let mut store = self.sync_store()?;
                        if store.roster()?.is_none_or(|(_, held)| held != roster) {
                            match store.accept_roster(&roster) {
                                Ok(()) => applied.roster_updated = true,
                                // An older roster than the one held (a replayed bundle): nothing to do.
                                Err(CoreError::Team(crate::team::TeamError::Replay)) => {}
                                Err(error) => return Err(error),
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut done = 1;
        if !progress(done, total) {
            return Err(cancelled());
        }
        // Decided after the roster: a bundle whose roster renews this device's applies whole
        // (nothing leaves in an import, and the roster it brings is the one now held).
        if self.sync_limited_with(&bundle.sender(), clock())? {
            // Only the roster: nothing else of a member other than HQ is applied while this
            // device's roster has expired. Its declared state is still kept (what it holds).
            applied.roster_only = true;
            if state.is_none() {
                for item in bundle.items(files) {
                    if let Unit::State(bytes) = parse_item(item.map_err(applying)?)? {
                        state = Some(bytes);
                        break;
                    }
                }
            }
            applied.state_updated = self.keep_sender_state(bundle, state)?;
            return Ok(applied);
        }
        // A fresh store sees the team key epoch a newer roster brought.
        let mut store = self.sync_store()?;
        let mut batch = PartBatch::default();
        let mut last_doc = None;
        for item in bundle.items(files) {
            let unit = parse_item(item.map_err(applying)?)?;
            if !matches!(unit, Unit::Parts(_)) {
                applied.attachments += batch.flush(&mut store)?;
            }
            match unit {
                Unit::State(bytes) => {
                    state = Some(bytes);
                    continue;
                }
                Unit::Roster(_) => continue,
                Unit::CaseKey(wrap) => {
                    store.apply(&Incoming { case_keys: vec![wrap], ..Incoming::default() })?;
                    continue;
                }
                Unit::Changes(doc, changes) => {
                    store.apply(&Incoming { changes: vec![(doc, changes)], ..Incoming::default() })?;
                    if last_doc.replace(doc.doc_id) != Some(doc.doc_id) {
                        applied.documents += 1;
                    }
                }
                Unit::Tombstone(tombstone) => {
                    store.apply(&Incoming { tombstones: vec![tombstone], ..Incoming::default() })?;
                    applied.tombstones += 1;
                }
                Unit::Parts(parts) => applied.attachments += batch.add(&mut store, parts)?,
            }
            done += 1;
            if !progress(done, total) {
                // What was taken is applied: units stay whole.
                batch.flush(&mut store)?;
                return Err(cancelled());
            }
        }
        applied.attachments += batch.flush(&mut store)?;
        drop(store);
        applied.state_updated = self.keep_sender_state(bundle, state)?;
        Ok(applied)
    }

    /// Keeps the sender's declared state if the bundle is newer than the last one kept;
    /// returns whether it did.
    fn keep_sender_state(&mut self, bundle: &VerifiedBundleStream, state: Option<Vec<u8>>) -> Result<bool, CoreError> {
        let Some(state) = state else { return Ok(false) };
        let (sender, counter) = (bundle.sender(), bundle.counter());
        transact(self.vault_mut(), |tx| {
            let mut row = tx.bundle_peer(&sender)?;
            if counter <= row.received_counter {
                return Ok(false);
            }
            row.received_counter = counter;
            row.known_state = Some(state.clone());
            tx.put_bundle_peer(&row)?;
            Ok(true)
        })
    }

    /// Opens and checks a bundle held in memory: `Ok(None)` when it is not addressed to this
    /// device (it may be passed on); otherwise every chunk, the sender (a current member of
    /// the roster) and the signature are verified and every item parsed, before anything is
    /// applied. [`Session::import_bundles`] reads files of any size.
    pub fn read_bundle(&mut self, bytes: &[u8]) -> Result<Option<VerifiedBundle>, CoreError> {
        let files = [bytes.to_vec()];
        let Some(stream) = self.check_bundle(&files[..], 0)? else { return Ok(None) };
        let contents = count_contents(&stream, &files[..])?;
        Ok(Some(VerifiedBundle { sender: stream.sender(), counter: stream.counter(), contents, stream, bytes: files }))
    }

    /// Applies a verified bundle through the sync write path, one unit at a time (the roster,
    /// then each document, each tombstone, each few attachment parts), then keeps the sender's
    /// declared state if it is newer than what is known. `progress` is told (units done, units
    /// in all) and answers whether to go on: `false` stops before the next unit with
    /// `cancelled` (the sender's state is then not kept, so the next export from here does not
    /// count on what was not applied).
    pub fn apply_bundle(
        &mut self,
        bundle: &VerifiedBundle,
        progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<BundleApplied, CoreError> {
        self.apply_stream(&bundle.stream, &bundle.bytes[..], progress)
    }

    /// Writes a bundle for each of `recipients` (default: [`Session::bundle_recipients`], only
    /// its HQ devices while this device's roster has expired; a recipient named then that is
    /// not HQ is refused with `roster_expired_sync_limited` before anything is written)
    /// into `dir`, an existing folder (a USB stick), item by item: into temporary files
    /// (parts below 4 GiB when it is longer, for FAT32), flushed, then renamed to their opaque
    /// names, replacing what an earlier export left for the same device (and removing the
    /// extra parts of an earlier, longer one). Each is recorded as sent only once it is in
    /// place. Cancel stops before the next bundle and leaves no partial file.
    pub fn export_bundles(
        &mut self,
        dir: &Path,
        recipients: &[DeviceId],
        observer: &mut dyn BundleObserver,
    ) -> Result<Vec<ExportedBundle>, CoreError> {
        self.export_bundles_in_parts(dir, recipients, observer, MAX_BUNDLE_PART_LEN)
    }

    /// [`Session::export_bundles`] with parts of at most `max_part_len` bytes (tests).
    #[doc(hidden)]
    pub fn export_bundles_in_parts(
        &mut self,
        dir: &Path,
        recipients: &[DeviceId],
        observer: &mut dyn BundleObserver,
        max_part_len: u64,
    ) -> Result<Vec<ExportedBundle>, CoreError> {
        if !dir.is_dir() {
            return Err(CoreError::Case(crate::cases::CaseError::TargetFolder));
        }
        let now = clock();
        let recipients = if recipients.is_empty() {
            let mut allowed = Vec::new();
            for recipient in self.bundle_recipients()? {
                if !self.sync_limited_with(&recipient, now)? {
                    allowed.push(recipient);
                }
            }
            allowed
        } else {
            for recipient in recipients {
                if self.sync_limited_with(recipient, now)? {
                    return Err(SyncRefusal::RosterExpiredSyncLimited.into());
                }
            }
            recipients.to_vec()
        };
        // What an export cut off by a crash or a pulled stick left (never a bundle file).
        files::remove_stale_atomic_temporaries(dir);
        let mut written = Vec::new();
        for (index, recipient) in recipients.iter().enumerate() {
            if observer.cancelled() {
                return Err(cancelled());
            }
            observer.step(BundleStep::Writing { index, of: recipients.len() });
            let identity = self.bundle_identity()?.ok_or(SyncRefusal::NotInTeam)?;
            let plan = self.plan_bundle(&identity, recipient)?;
            let sink = FolderSink {
                dir,
                key: &identity.name_key,
                sender: identity.device_id,
                recipient: *recipient,
                done: Vec::new(),
            };
            let (sink, bundle) = self.write_bundle(&identity, &plan, sink, max_part_len, observer)?;
            let file_names = sink.commit().map_err(|error| writing(BundleStreamError::Io(error)))?;
            self.record_bundle_sent(recipient, plan.counter)?;
            written.push(ExportedBundle {
                recipient: plan.recipient,
                file_names,
                size: bundle.len,
                contents: plan.contents,
            });
        }
        Ok(written)
    }

    /// Imports the bundles addressed to this device from `path`, a file or a folder: files
    /// for other devices are skipped; each bundle is verified whole (every part, found among
    /// the folder's files) before any of it is applied. From a folder, a refused file does
    /// not stop the others (it is reported); a single file refused is an error. Cancel stops
    /// between units: what was applied is whole, and importing again completes it.
    pub fn import_bundles(&mut self, path: &Path, observer: &mut dyn BundleObserver) -> Result<ImportReport, CoreError> {
        let (files, starts) = candidates(path)?;
        let single = !path.is_dir();
        let mut report = ImportReport { files: starts as u64, ..ImportReport::default() };
        // Files that are a part of a bundle already read, and files not addressed here.
        let mut used = vec![false; files.count()];
        let mut not_ours = vec![false; starts];
        for index in 0..starts {
            if observer.cancelled() {
                return Err(cancelled());
            }
            if used[index] {
                continue;
            }
            observer.step(BundleStep::Checking { index, of: starts });
            let bundle = match self.check_bundle(&files, index) {
                Ok(Some(bundle)) => bundle,
                Ok(None) => {
                    not_ours[index] = true;
                    continue;
                }
                Err(error) if single => return Err(error),
                Err(error) => {
                    let file_name =
                        files.0[index].file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
                    report.refused.push(RefusedFile { file_name, error });
                    continue;
                }
            };
            for part in bundle.part_files() {
                used[part] = true;
            }
            let applied = self.apply_stream(&bundle, &files, |done, all| {
                observer.step(BundleStep::Applying { index, of: starts, done, all });
                !observer.cancelled()
            })?;
            report.imported += 1;
            report.applied.documents += applied.documents;
            report.applied.tombstones += applied.tombstones;
            report.applied.attachments += applied.attachments;
            report.applied.roster_updated |= applied.roster_updated;
            report.applied.state_updated |= applied.state_updated;
            report.applied.roster_only |= applied.roster_only;
            report.roster_only += u64::from(applied.roster_only);
        }
        report.skipped = not_ours.iter().zip(&used).filter(|(not_ours, used)| **not_ours && !**used).count() as u64;
        if report.imported > 0 {
            report.handover = self.settle_handovers()?;
        }
        Ok(report)
    }

    /// Tells a file's size, and when it is addressed to this device, its verified sender and
    /// contents (its later parts are looked for in the same folder). Nothing is applied.
    pub fn inspect_bundle(&mut self, path: &Path) -> Result<BundleInspection, CoreError> {
        let (files, _) = candidates(path)?;
        match self.check_bundle(&files, 0)? {
            None => {
                let size = std::fs::metadata(path).map_err(|_| BundleRefusal::Unreadable)?.len();
                Ok(BundleInspection { size, verified: None })
            }
            Some(bundle) => {
                let contents = count_contents(&bundle, &files)?;
                Ok(BundleInspection { size: bundle.len(), verified: Some((bundle.sender(), bundle.counter(), contents)) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_damage_is_refused() {
        let mut state = PeerState { roster_version: 3, ..PeerState::default() };
        let doc = DocRef { case_id: [1; 16], doc_id: [2; 16] };
        state.documents.insert(doc.doc_id, (doc, vec![[3; 32], [4; 32]]));
        state.tombstones.insert([5; 16]);
        state.attachments.insert(([1; 16], [6; 32]));
        let bytes = encode_state(&state).expect("encode");
        assert_eq!(decode_state(&bytes), Ok(state));
        for cut in 0..bytes.len() {
            assert_eq!(decode_state(&bytes[..cut]), Err(BundleRefusal::Damaged), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_state(&longer), Err(BundleRefusal::Damaged));
        // A count far beyond the bytes left is refused before anything is allocated.
        let mut huge = bytes;
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_state(&huge), Err(BundleRefusal::Damaged));
    }

    #[test]
    fn unknown_or_malformed_items_are_refused() {
        for item in [
            BundleItem { kind: 99, bytes: Vec::new() },
            BundleItem { kind: KIND_CHANGES, bytes: vec![0; 10] },
            BundleItem {
                kind: KIND_ATTACHMENT,
                bytes: [vec![0; 48], 1u32.to_le_bytes().to_vec(), vec![0, 0, 0, 0, 7]].concat(),
            },
            // A part whose last flag is neither 0 nor 1, and one cut before its flag.
            BundleItem { kind: KIND_ATTACHMENT_PART, bytes: [vec![0; 52], vec![2], vec![9; 40]].concat() },
            BundleItem { kind: KIND_ATTACHMENT_PART, bytes: vec![0; 52] },
        ] {
            assert!(parse_item(item).is_err());
        }
        let part = BlobPart { case_id: [1; 16], address: [2; 32], position: 7, last: true, sealed: vec![3; 100] };
        match parse_item(BundleItem { kind: KIND_ATTACHMENT_PART, bytes: encode_part(&part) }) {
            Ok(Unit::Parts(parts)) => assert_eq!(parts, vec![part]),
            other => panic!("{other:?}"),
        }
    }

    /// A bundle as the previous version wrote it: the roster after the changes, and each
    /// attachment whole in one item.
    fn earlier_version_bundle(from: &mut Session, to: &DeviceId) -> Vec<u8> {
        let identity = from.bundle_identity().expect("identity").expect("team");
        let plan = from.plan_bundle(&identity, to).expect("plan");
        let mut items = vec![BundleItem { kind: KIND_STATE, bytes: plan.state.clone() }];
        let mut store = from.sync_store().expect("store");
        for doc in &plan.docs {
            let wrap = store.export_case_key(&doc.doc.case_id).expect("key");
            items.push(BundleItem { kind: KIND_CASE_KEY, bytes: [wrap.case_id.as_slice(), &wrap.wrapped].concat() });
            let changes = store.changes_since(&doc.doc, &doc.their_heads).expect("changes");
            items.push(BundleItem { kind: KIND_CHANGES, bytes: encode_changes(&doc.doc, &changes).expect("encode") });
        }
        items.push(BundleItem { kind: KIND_ROSTER, bytes: plan.roster.clone().expect("roster") });
        for (case_id, address, count) in &plan.attachments {
            let mut w = Writer::default();
            w.bytes(case_id);
            w.bytes(address);
            w.u32(*count);
            for position in 0..*count {
                let part = store.blob_part(case_id, address, position).expect("part");
                w.u32(position);
                w.bytes(&[u8::from(part.last)]);
                w.blob(&part.sealed).expect("blob");
            }
            items.push(BundleItem { kind: KIND_ATTACHMENT, bytes: w.0 });
        }
        drop(store);
        let sender = BundleSender { device_id: identity.device_id, signing: &identity.signing, counter: plan.counter };
        cairn_crypto::seal_bundle(&[plan.agreement], &sender, &items).expect("seal")
    }

    #[test]
    fn a_bundle_from_the_previous_version_still_imports() {
        let mut team = crate::testing::TestTeam::new(2);
        let case = team.device(0).create_case("Written by the previous version").expect("case");
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
        let info = team.device(0).attach_reader(&case, "scan.pdf", &mut content.as_slice(), true).expect("attach");
        let b_id = crate::cases::parse_id(&team.device(1).device_identity().expect("id").device_id).expect("id");
        let bytes = earlier_version_bundle(team.device(0), &b_id);
        let bundle = team.device(1).read_bundle(&bytes).expect("read").expect("addressed");
        assert_eq!((bundle.contents.attachments, bundle.contents.roster), (1, true));
        let applied = team.device(1).apply_bundle(&bundle, |_, _| true).expect("apply");
        assert_eq!((applied.documents, applied.attachments), (1, 1));
        let mut out = Vec::new();
        team.device(1).export_attachment(&info.id, &mut out).expect("the attachment arrived whole");
        assert_eq!(out, content);
    }

    #[test]
    fn a_documents_changes_are_packed_into_items_of_a_few_megabytes() {
        let change = |len| SealedChange(vec![0; len]);
        assert!(pack(&[]).is_empty());
        assert_eq!(pack(&[change(10), change(20)]), vec![0..2]);
        let big = CHANGES_PER_ITEM / 3;
        let changes: Vec<_> = (0..7).map(|_| change(big)).collect();
        assert_eq!(pack(&changes), vec![0..2, 2..4, 4..6, 6..7]);
        // A change larger than an item's share still goes, alone.
        assert_eq!(pack(&[change(10), change(CHANGES_PER_ITEM * 2), change(10)]), vec![0..1, 1..2, 2..3]);
    }
}
