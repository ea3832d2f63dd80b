//! Store-and-forward bundles (DESIGN §5): sync by USB stick.
//!
//! A bundle for one peer carries, sealed and signed (`cairn_crypto::seal_bundle`):
//! - this device's **declared state**: every document it holds with its heads, its tombstones,
//!   the attachments whose content it holds and its roster version. The peer keeps it (in
//!   `bundle_peers`) as what this device *acknowledges*, and computes its next bundle for this
//!   device against it;
//! - everything the peer has not acknowledged: the changes of every document since the heads
//!   the peer declared (all of them when unknown), the key of every case with changes (shared
//!   under the team key), tombstones, the roster if newer, and every part of the
//!   attachments it lacks.
//!
//! Nothing is recorded as delivered when a bundle is written: only the peer's next bundle
//! acknowledges, so whatever a lost stick carried is sent again. Import applies through the
//! same [`SyncStore`] methods as the live sync (the one write path): case keys, then one
//! document at a time, then tombstones, then one attachment at a time, each in its own
//! transaction, so a killed import leaves whole units and importing again completes it.
//! Applying is idempotent, so a replayed or out-of-order bundle is harmless; the declared
//! state only ever moves forward (by the sender's counter).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use cairn_crypto::{BundleItem, BundleSender, CryptoError, bundle_file_name, open_bundle, seal_bundle};
use cairn_sync::{BlobAddress, BlobPart, CaseKeyWrap, ChangeHash, DocRef, Incoming, ItemKind, SealedChange, SyncStore};

use crate::{CoreError, Session, cases::now_ms, cases::read, cases::transact, files, sync::SyncRefusal};

/// A device id.
pub type DeviceId = [u8; 16];

const KIND_STATE: u8 = 1;
const KIND_CASE_KEY: u8 = 2;
const KIND_CHANGES: u8 = 3;
const KIND_TOMBSTONE: u8 = 4;
const KIND_ROSTER: u8 = 5;
const KIND_ATTACHMENT: u8 = 6;

/// Why a bundle was refused. Nothing of a refused bundle is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleRefusal {
    /// The file is truncated, altered or not a well-formed bundle.
    #[error("the bundle is damaged, truncated or altered; nothing was applied")]
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

/// A bundle made for one peer, to be written to the stick, then recorded with
/// [`Session::record_bundle_written`] once its file is in place.
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

/// A bundle that opened for this device and whose sender and signature checked out: nothing
/// of it is applied yet.
#[derive(Debug)]
pub struct VerifiedBundle {
    /// The sender's device id.
    pub sender: DeviceId,
    /// The sender's counter.
    pub counter: u64,
    /// What it carries.
    pub contents: BundleContents,
    parsed: Parsed,
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
}

/// A peer's declared state: what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct PeerState {
    roster_version: u64,
    documents: BTreeMap<[u8; 16], (DocRef, Vec<ChangeHash>)>,
    tombstones: BTreeSet<[u8; 16]>,
    attachments: BTreeSet<([u8; 16], BlobAddress)>,
}

#[derive(Debug, Default)]
struct Parsed {
    state: Option<Vec<u8>>,
    case_keys: Vec<CaseKeyWrap>,
    changes: Vec<(DocRef, Vec<SealedChange>)>,
    tombstones: Vec<Vec<u8>>,
    roster: Option<Vec<u8>>,
    attachments: Vec<Vec<BlobPart>>,
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

fn parse_items(items: &[BundleItem]) -> Result<(Parsed, BundleContents), BundleRefusal> {
    let mut parsed = Parsed::default();
    let mut contents = BundleContents::default();
    for item in items {
        let mut r = Reader(&item.bytes);
        match item.kind {
            KIND_STATE if parsed.state.is_none() => {
                contents.sender_documents = decode_state(&item.bytes)?.documents.len() as u64;
                parsed.state = Some(item.bytes.clone());
                r.0 = &[];
            }
            KIND_CASE_KEY => {
                let case_id = r.array()?;
                let wrapped = std::mem::take(&mut r.0).to_vec();
                parsed.case_keys.push(CaseKeyWrap { case_id, wrapped });
                contents.case_keys += 1;
            }
            KIND_CHANGES => {
                let doc = DocRef { case_id: r.array()?, doc_id: r.array()? };
                let mut changes = Vec::new();
                for _ in 0..r.count(4)? {
                    changes.push(SealedChange(r.blob()?.to_vec()));
                }
                contents.documents += 1;
                contents.changes += changes.len() as u64;
                parsed.changes.push((doc, changes));
            }
            KIND_TOMBSTONE => {
                parsed.tombstones.push(std::mem::take(&mut r.0).to_vec());
                contents.tombstones += 1;
            }
            KIND_ROSTER if parsed.roster.is_none() => {
                parsed.roster = Some(std::mem::take(&mut r.0).to_vec());
                contents.roster = true;
            }
            KIND_ATTACHMENT => {
                let case_id = r.array()?;
                let address = r.array()?;
                let mut parts = Vec::new();
                for _ in 0..r.count(9)? {
                    let position = r.u32()?;
                    let last = match r.take(1)?[0] {
                        0 => false,
                        1 => true,
                        _ => return Err(BundleRefusal::Damaged),
                    };
                    parts.push(BlobPart { case_id, address, position, last, sealed: r.blob()?.to_vec() });
                }
                contents.attachments += 1;
                parsed.attachments.push(parts);
            }
            _ => return Err(BundleRefusal::Damaged),
        }
        r.end()?;
    }
    Ok((parsed, contents))
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads
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
        state.attachments = read(self.vault_mut(), |tx| Ok(tx.held_attachments()?))?.into_iter().collect();
        Ok(state)
    }

    /// Makes the bundle for `recipient`: this device's state, and everything the recipient
    /// has not acknowledged. Nothing is recorded until [`Session::record_bundle_written`].
    pub fn export_bundle(&mut self, recipient: &DeviceId) -> Result<BundleOut, CoreError> {
        let identity = self.bundle_identity()?.ok_or(SyncRefusal::NotInTeam)?;
        let member = identity
            .members
            .iter()
            .find(|member| member.device_id.0 == *recipient && *recipient != identity.device_id)
            .ok_or(BundleRefusal::UnknownRecipient)?;
        let (row, last) = read(self.vault_mut(), |tx| Ok((tx.bundle_peer(recipient)?, tx.last_bundle_counter()?)))?;
        let theirs = match &row.known_state {
            // A stored state that no longer decodes is treated as unknown: everything is sent.
            Some(bytes) => decode_state(bytes).ok(),
            None => None,
        };
        let ours = self.own_state()?;
        let mut items = vec![BundleItem { kind: KIND_STATE, bytes: encode_state(&ours)? }];
        let mut contents = BundleContents { sender_documents: ours.documents.len() as u64, ..BundleContents::default() };
        let their_tombstones = theirs.as_ref().map(|state| state.tombstones.clone()).unwrap_or_default();
        let mut store = self.sync_store()?;
        let mut keys_sent = BTreeSet::new();
        for (doc, heads) in ours.documents.values() {
            if their_tombstones.contains(&doc.case_id) {
                continue;
            }
            let their_heads = theirs.as_ref().and_then(|state| state.documents.get(&doc.doc_id)).map(|(_, h)| h.clone());
            if their_heads.as_ref() == Some(heads) {
                continue;
            }
            // The key travels with every case that has changes, even one the peer holds: after a
            // revocation the case has a new key the peer may not have yet.
            if keys_sent.insert(doc.case_id) {
                let wrap = store.export_case_key(&doc.case_id)?;
                items.push(BundleItem { kind: KIND_CASE_KEY, bytes: [wrap.case_id.as_slice(), &wrap.wrapped].concat() });
                contents.case_keys += 1;
            }
            let changes = store.changes_since(doc, &their_heads.unwrap_or_default())?;
            if changes.is_empty() {
                continue;
            }
            let mut w = Writer::default();
            w.bytes(&doc.case_id);
            w.bytes(&doc.doc_id);
            w.count(changes.len())?;
            for SealedChange(sealed) in &changes {
                w.blob(sealed)?;
            }
            items.push(BundleItem { kind: KIND_CHANGES, bytes: w.0 });
            contents.documents += 1;
            contents.changes += changes.len() as u64;
        }
        for case_id in ours.tombstones.difference(&their_tombstones) {
            if let Some(tombstone) = store.tombstone(case_id)? {
                items.push(BundleItem { kind: KIND_TOMBSTONE, bytes: tombstone });
                contents.tombstones += 1;
            }
        }
        if let Some((version, roster)) = store.roster()?
            && theirs.as_ref().is_none_or(|state| state.roster_version < version)
        {
            items.push(BundleItem { kind: KIND_ROSTER, bytes: roster });
            contents.roster = true;
        }
        for (case_id, address) in &ours.attachments {
            let held_there = theirs.as_ref().is_some_and(|state| state.attachments.contains(&(*case_id, *address)));
            if held_there || their_tombstones.contains(case_id) {
                continue;
            }
            let Some(count) = store.blob_part_count(case_id, address)? else { continue };
            let mut w = Writer::default();
            w.bytes(case_id);
            w.bytes(address);
            w.u32(count);
            for position in 0..count {
                let part = store.blob_part(case_id, address, position)?;
                w.u32(part.position);
                w.bytes(&[u8::from(part.last)]);
                w.blob(&part.sealed)?;
            }
            items.push(BundleItem { kind: KIND_ATTACHMENT, bytes: w.0 });
            contents.attachments += 1;
        }
        drop(store);
        // Higher than any counter used before, to any peer; the clock only makes it survive a
        // bundle that was written but never recorded (a crash between rename and record).
        let counter = (last + 1).max(u64::try_from(now_ms()).unwrap_or(0));
        let sender = BundleSender { device_id: identity.device_id, signing: &identity.signing, counter };
        let bytes = seal_bundle(&[member.agreement], &sender, &items).map_err(|error| match error {
            CryptoError::TooLarge { .. } => CoreError::Internal("bundle too large"),
            _ => CoreError::Internal("seal bundle"),
        })?;
        let file_name = bundle_file_name(&identity.name_key, &identity.device_id, recipient);
        Ok(BundleOut { recipient: *recipient, file_name, bytes, contents, counter })
    }

    /// Records that `out` was written (call only once its file is renamed into place).
    pub fn record_bundle_written(&mut self, out: &BundleOut) -> Result<(), CoreError> {
        transact(self.vault_mut(), |tx| {
            let mut row = tx.bundle_peer(&out.recipient)?;
            row.sent_counter = row.sent_counter.max(out.counter);
            tx.put_bundle_peer(&row)?;
            Ok(())
        })
    }

    /// Opens and checks a bundle: `Ok(None)` when it is not addressed to this device (it may
    /// be passed on); otherwise every chunk, the sender (a current member of the roster) and
    /// the signature are verified and every item parsed, before anything is applied.
    pub fn read_bundle(&mut self, bytes: &[u8]) -> Result<Option<VerifiedBundle>, CoreError> {
        let identity = self.bundle_identity()?.ok_or(SyncRefusal::NotInTeam)?;
        let Some(unverified) = open_bundle(&identity.agreement, bytes).map_err(|_| BundleRefusal::Damaged)? else {
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
        let opened = unverified.verify(&member.signing).map_err(|_| BundleRefusal::BadSignature)?;
        let (parsed, contents) = parse_items(&opened.items)?;
        Ok(Some(VerifiedBundle { sender, counter: opened.counter, contents, parsed }))
    }

    /// Applies a verified bundle through the sync write path, one unit at a time (case keys,
    /// each document, each tombstone, each attachment), then keeps the sender's declared state
    /// if it is newer than what is known. `progress` is told (units done, units in all) and
    /// answers whether to go on: `false` stops before the next unit with `cancelled` (the
    /// sender's state is then not kept, so the next export from here does not count on what
    /// was not applied).
    pub fn apply_bundle(
        &mut self,
        bundle: &VerifiedBundle,
        mut progress: impl FnMut(u64, u64) -> bool,
    ) -> Result<BundleApplied, CoreError> {
        let parsed = &bundle.parsed;
        let total = (1 + parsed.changes.len() + parsed.tombstones.len() + parsed.attachments.len()) as u64;
        let mut done = 0;
        let mut applied = BundleApplied::default();
        let mut store = self.sync_store()?;
        if let Some(roster) = &parsed.roster
            && store.roster()?.is_none_or(|(_, held)| held != *roster)
        {
            match store.accept_roster(roster) {
                Ok(()) => applied.roster_updated = true,
                // An older roster than the one held (a replayed bundle): nothing to do.
                Err(CoreError::Team(crate::team::TeamError::Replay)) => {}
                Err(error) => return Err(error),
            }
        }
        drop(store);
        // A newer roster may have brought a new team key epoch: a fresh store sees it.
        let mut store = self.sync_store()?;
        if !parsed.case_keys.is_empty() {
            store.apply(&Incoming { case_keys: parsed.case_keys.clone(), ..Incoming::default() })?;
        }
        done += 1;
        if !progress(done, total) {
            return Err(cancelled());
        }
        for (doc, changes) in &parsed.changes {
            store.apply(&Incoming { changes: vec![(*doc, changes.clone())], ..Incoming::default() })?;
            applied.documents += 1;
            done += 1;
            if !progress(done, total) {
                return Err(cancelled());
            }
        }
        for tombstone in &parsed.tombstones {
            store.apply(&Incoming { tombstones: vec![tombstone.clone()], ..Incoming::default() })?;
            applied.tombstones += 1;
            done += 1;
            if !progress(done, total) {
                return Err(cancelled());
            }
        }
        // Only what this device lacks, each from the first part it has not received (a live
        // sync may have brought the beginning). Asked once: every attachment item is distinct.
        let wanted: BTreeMap<([u8; 16], BlobAddress), u32> = if parsed.attachments.is_empty() {
            BTreeMap::new()
        } else {
            store.missing_blobs(usize::MAX)?.into_iter().map(|want| ((want.case_id, want.address), want.from)).collect()
        };
        for parts in &parsed.attachments {
            done += 1;
            let Some(first) = parts.first() else { continue };
            if let Some(from) = wanted.get(&(first.case_id, first.address)) {
                let rest: Vec<BlobPart> = parts.iter().filter(|part| part.position >= *from).cloned().collect();
                if !rest.is_empty() {
                    applied.attachments += store.apply_blob_parts(&rest)?;
                }
            }
            if !progress(done, total) {
                return Err(cancelled());
            }
        }
        drop(store);
        if let Some(state) = &parsed.state {
            applied.state_updated = transact(self.vault_mut(), |tx| {
                let mut row = tx.bundle_peer(&bundle.sender)?;
                if bundle.counter <= row.received_counter {
                    return Ok(false);
                }
                row.received_counter = bundle.counter;
                row.known_state = Some(state.clone());
                tx.put_bundle_peer(&row)?;
                Ok(true)
            })?;
        }
        Ok(applied)
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
    /// Files not addressed to this device (left for others; not an error).
    pub skipped: u64,
    /// Files refused (from a folder; a single file refused is an error instead).
    pub refused: Vec<RefusedFile>,
    /// What was applied, over every imported bundle.
    pub applied: BundleApplied,
}

/// What `inspect` tells of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInspection {
    /// The file's size in bytes.
    pub size: u64,
    /// For this device: its sender, counter and contents (verified); `None` when it is not
    /// addressed to this device.
    pub verified: Option<(DeviceId, u64, BundleContents)>,
}

/// The files `path` names: itself, or every regular file of the folder except hidden ones
/// (temporaries of an export that was cut), in name order.
fn bundle_files(path: &Path) -> Result<Vec<PathBuf>, CoreError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let io = |_| CoreError::Bundle(BundleRefusal::Unreadable);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// Files larger than this are refused as bundles (bounds memory while a bundle is read whole).
const MAX_BUNDLE_FILE_LEN: usize = 2 * 1024 * 1024 * 1024;

fn read_bundle_file(path: &Path) -> Result<Vec<u8>, CoreError> {
    files::read_limited(path, MAX_BUNDLE_FILE_LEN).map_err(|error| match error {
        files::LimitedReadError::TooLarge => CoreError::Bundle(BundleRefusal::Damaged),
        files::LimitedReadError::Io(_) => CoreError::Bundle(BundleRefusal::Unreadable),
    })
}

fn cancelled() -> CoreError {
    CoreError::Case(crate::cases::CaseError::Cancelled)
}

impl Session {
    /// Writes a bundle for each of `recipients` (default: [`Session::bundle_recipients`])
    /// into `dir`, an existing folder (a USB stick): under a temporary name, flushed, then
    /// renamed to its opaque name, replacing what an earlier export left for the same device.
    /// Each is recorded as sent only once it is in place. Cancel stops before the next bundle
    /// and leaves no partial file.
    pub fn export_bundles(
        &mut self,
        dir: &Path,
        recipients: &[DeviceId],
        observer: &mut dyn BundleObserver,
    ) -> Result<Vec<ExportedBundle>, CoreError> {
        if !dir.is_dir() {
            return Err(CoreError::Case(crate::cases::CaseError::TargetFolder));
        }
        let recipients = if recipients.is_empty() { self.bundle_recipients()? } else { recipients.to_vec() };
        let mut written = Vec::new();
        for (index, recipient) in recipients.iter().enumerate() {
            if observer.cancelled() {
                return Err(cancelled());
            }
            observer.step(BundleStep::Writing { index, of: recipients.len() });
            let bundle = self.export_bundle(recipient)?;
            let target = dir.join(&bundle.file_name);
            files::write_atomically(&target, &bundle.bytes).map_err(|error| match error.kind() {
                std::io::ErrorKind::StorageFull => CoreError::DiskFull,
                _ => CoreError::Case(crate::cases::CaseError::TargetFolder),
            })?;
            self.record_bundle_written(&bundle)?;
            written.push(ExportedBundle {
                recipient: *recipient,
                file_names: vec![bundle.file_name.clone()],
                size: bundle.bytes.len() as u64,
                contents: bundle.contents.clone(),
            });
        }
        Ok(written)
    }

    /// Imports the bundles addressed to this device from `path`, a file or a folder: files
    /// for other devices are skipped; each file is verified whole before any of it is
    /// applied. From a folder, a refused file does not stop the others (it is reported);
    /// a single file refused is an error. Cancel stops between units: what was applied is
    /// whole, and importing again completes it.
    pub fn import_bundles(&mut self, path: &Path, observer: &mut dyn BundleObserver) -> Result<ImportReport, CoreError> {
        let paths = bundle_files(path)?;
        let single = !path.is_dir();
        let mut report = ImportReport { files: paths.len() as u64, ..ImportReport::default() };
        let of = paths.len();
        for (index, file) in paths.iter().enumerate() {
            if observer.cancelled() {
                return Err(cancelled());
            }
            observer.step(BundleStep::Checking { index, of });
            let bundle = match read_bundle_file(file).and_then(|bytes| self.read_bundle(&bytes)) {
                Ok(Some(bundle)) => bundle,
                Ok(None) => {
                    report.skipped += 1;
                    continue;
                }
                Err(error) if single => return Err(error),
                Err(error) => {
                    let file_name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
                    report.refused.push(RefusedFile { file_name, error });
                    continue;
                }
            };
            let applied = self.apply_bundle(&bundle, |done, all| {
                observer.step(BundleStep::Applying { index, of, done, all });
                !observer.cancelled()
            })?;
            report.imported += 1;
            report.applied.documents += applied.documents;
            report.applied.tombstones += applied.tombstones;
            report.applied.attachments += applied.attachments;
            report.applied.roster_updated |= applied.roster_updated;
            report.applied.state_updated |= applied.state_updated;
        }
        Ok(report)
    }

    /// Tells a file's size, and when it is addressed to this device, its verified sender and
    /// contents. Nothing is applied.
    pub fn inspect_bundle(&mut self, path: &Path) -> Result<BundleInspection, CoreError> {
        let bytes = read_bundle_file(path)?;
        let verified = self.read_bundle(&bytes)?.map(|bundle| (bundle.sender, bundle.counter, bundle.contents));
        Ok(BundleInspection { size: bytes.len() as u64, verified })
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
        ] {
            assert!(parse_items(&[item]).is_err());
        }
    }
}
