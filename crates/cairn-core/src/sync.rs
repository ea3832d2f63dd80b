//! The vault as the sync engine sees it: [`cairn_sync::SyncStore`] over a [`Session`].
//!
//! What travels is sealed here and opened here, never in the engine or a transport:
//! - every Automerge change leaves sealed under its case key in a change envelope
//!   (`cairn_crypto::seal_change`, format v2: bound to case, document and key id, not to a
//!   local row), with the custody recorded for it inside (its author's signature; a relaying
//!   device forwards it and never signs another's change); what arrives keeps the custody it
//!   came with, unchecked: the chain of custody (`cases/custody.rs`) judges it when read;
//! - a case key leaves shared under the team key of the current epoch (format v2, named by
//!   its random key id) and is kept, on arrival, wrapped only under this vault's own key;
//! - everything one message brings is applied in **one transaction**, through the same write
//!   path as a local edit (`cases::pipeline`), so a refused or interrupted message leaves
//!   nothing behind.
//!
//! A device whose roster has expired (see `team::RosterExpiry`) syncs cases only with HQ
//! devices: with any other member the session is limited to the rosters
//! ([`cairn_sync::SessionScope::RosterOnly`], decided as the session starts), so a newer
//! roster still arrives and the next session syncs everything. The summary says so
//! (`roster_only`); front ends report it with [`SyncRefusal::RosterExpiredSyncLimited`]'s code.
//!
//! Deletions travel as tombstones, signed by the deleting device and accepted only from a
//! current member of the roster: a field device destroys the case; an HQ vault keeps it
//! archived and marked deleted (a captured device must not be able to erase the team's
//! evidence). Nothing of a deleted case is offered, requested or applied again.

use std::collections::BTreeMap;

use cairn_crypto::{
    AgreementSecretKey, BlobPartContext, ChangeContext, ChangeCustody, NoisePsk, TeamKey, blob_part_key_id, change_key_id,
    open_blob_part, open_change, seal_blob_part, seal_change,
};
use cairn_model::ObjectId;
use cairn_store::{MissingAttachment, ReceivedPart, StoreError, SyncPeerRow, VaultTx};
use cairn_sync::{
    BlobAddress, BlobPart, BlobWant, CaseKeyWrap, ChangeHash, DocRef, Incoming, Item, PeerId, SealedChange, SessionScope,
    SyncStore, SyncSummary,
};

use crate::{
    CoreError, Session,
    cases::{now_ms, read, transact},
};

/// The key and fingerprint types a transport's roster check works with.
pub use cairn_crypto::{AgreementPublicKey, Fingerprint};

/// Why a sync could not start or a peer's message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncRefusal {
    /// This vault holds no roster or not the current team key: it is not (yet) a team member.
    #[error("this device is not a member of a team yet: import a roster first")]
    NotInTeam,
    /// A peer sent a key or change that does not open for the case and document it names.
    #[error("a peer sent data that does not open for the case it names; nothing was applied")]
    PeerDataRefused,
    /// A peer named a document as part of a case it does not belong to here.
    #[error("a peer sent a document under the wrong case; nothing was applied")]
    DocumentMisplaced,
    /// This device's roster has expired and the peer is not an HQ device: no case moves either
    /// way until a newer roster arrives (a sync still brings one).
    #[error(
        "this device's roster has expired: until a newer roster arrives it exchanges cases only with HQ devices; sync with HQ, or again once a newer roster arrived"
    )]
    RosterExpiredSyncLimited,
}

impl SyncRefusal {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SyncRefusal::NotInTeam => "sync_not_in_team",
            SyncRefusal::PeerDataRefused => "sync_peer_data_refused",
            SyncRefusal::DocumentMisplaced => "sync_document_misplaced",
            SyncRefusal::RosterExpiredSyncLimited => "roster_expired_sync_limited",
        }
    }
}

/// Why a peer's device key was refused on a live link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRefusal {
    /// Not on the roster this device holds (a stranger, or this device itself).
    Unknown,
    /// On the roster's revocation list.
    Revoked,
}

/// What a live transport needs to open a link for this device: its Noise static key (the
/// device agreement key), the team pre-shared keys (current epoch first, then the previous
/// one, for a peer one revocation behind), and the roster check for the peer's key. Secrets
/// zeroize on drop; nothing here is printable.
pub struct SyncCredentials {
    /// This device's agreement key, its Noise static key.
    pub local_static: AgreementSecretKey,
    /// The team pre-shared keys, newest epoch first.
    pub psks: Vec<NoisePsk>,
    members: Vec<(AgreementPublicKey, PeerId, Fingerprint)>,
    revoked: Vec<AgreementPublicKey>,
}

impl std::fmt::Debug for SyncCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncCredentials").field("members", &self.members.len()).finish_non_exhaustive()
    }
}

impl SyncCredentials {
    /// The roster check for a peer's device key: a current member other than this device is
    /// accepted with its id and fingerprint; anything else is refused.
    pub fn check_peer(&self, key: &AgreementPublicKey) -> Result<(PeerId, Fingerprint), PeerRefusal> {
        if self.revoked.contains(key) {
            return Err(PeerRefusal::Revoked);
        }
        self.members
            .iter()
            .find(|(member, _, _)| member == key)
            .map(|(_, id, fingerprint)| (*id, *fingerprint))
            .ok_or(PeerRefusal::Unknown)
    }
}

/// LAN discovery for this device (opt-in; see `cairn_crypto::BeaconKey`): the beacon keys of
/// the current epoch and, for a peer one revocation behind, the previous one, and the roster's
/// members to recognise. Nothing here is printable.
pub struct Discovery {
    device_id: PeerId,
    keys: Vec<cairn_crypto::BeaconKey>,
    members: Vec<DiscoveredPeer>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery").field("members", &self.members.len()).finish_non_exhaustive()
    }
}

/// A team member found announcing itself on the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredPeer {
    /// Its device id (hex).
    pub device_id: String,
    /// Its name on the roster, if this device can read names.
    pub name: Option<String>,
    /// Its device fingerprint, to compare before trusting the sync.
    pub fingerprint: String,
    /// The TCP port it serves sync on (its address is where the beacon came from).
    pub port: u16,
}

impl Discovery {
    /// The UDP ports beacons of this team go to: the current epoch's first.
    pub fn udp_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.keys.iter().map(cairn_crypto::BeaconKey::udp_port).collect();
        ports.dedup();
        ports
    }

    /// A beacon announcing that this device serves sync on `tcp_port`, sent at `now_ms`
    /// (current epoch; a team member one revocation behind finds it after its next sync).
    pub fn beacon(&self, tcp_port: u16, now_ms: u64) -> Vec<u8> {
        let beacon = cairn_crypto::Beacon { device_id: self.device_id, port: tcp_port, sent_at_ms: now_ms };
        self.keys.first().map(|key| key.seal(&beacon)).unwrap_or_default()
    }

    /// The member a received datagram announces, if it is a fresh beacon of this team from a
    /// current member other than this device; anything else (a stranger's datagram, a stale
    /// or replayed beacon, a revoked device) is `None`.
    pub fn recognise(&self, datagram: &[u8], now_ms: u64) -> Option<DiscoveredPeer> {
        let beacon = self.keys.iter().find_map(|key| key.open(datagram, now_ms).ok())?;
        if beacon.device_id == self.device_id {
            return None;
        }
        let device_id = cairn_model::id_to_hex(&beacon.device_id);
        let member = self.members.iter().find(|member| member.device_id == device_id)?;
        Some(DiscoveredPeer { port: beacon.port, ..member.clone() })
    }
}

/// An attachment on its way to this device (see [`Session::attachments_arriving`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivingAttachment {
    /// Its case.
    pub case_id: ObjectId,
    /// Parts received so far.
    pub parts_received: u32,
    /// Parts in all.
    pub parts: u32,
    /// Its size in bytes.
    pub size: u64,
}

/// The last sync with one peer, for the front ends.
pub type SyncPeer = SyncPeerRow;

/// A session seen as the sync engine's store (see the module docs).
pub struct VaultSync<'s> {
    session: &'s mut Session,
    org_id: [u8; 16],
    epoch: u32,
    team_key: TeamKey,
    author: String,
}

impl std::fmt::Debug for VaultSync<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSync").field("epoch", &self.epoch).finish_non_exhaustive()
    }
}

impl Session {
    /// This vault as a sync store; refused until the device holds a roster and its team key.
    pub fn sync_store(&mut self) -> Result<VaultSync<'_>, CoreError> {
        let view = self.roster()?.ok_or(SyncRefusal::NotInTeam)?;
        let org_id = cairn_model::parse_id(&view.org_id).map_err(|_| CoreError::VaultDamaged("stored roster"))?;
        let team_key = self.held_team_key(view.epoch)?.ok_or(SyncRefusal::NotInTeam)?;
        let author = self.worker_name()?;
        Ok(VaultSync { session: self, org_id, epoch: view.epoch, team_key, author })
    }

    /// The keys and the roster check a live link needs (see [`SyncCredentials`]); refused until
    /// this device is a member of a team.
    pub fn sync_credentials(&mut self) -> Result<SyncCredentials, CoreError> {
        let (epoch, local_static, org_id, members, revoked) = self.live_link_identity()?.ok_or(SyncRefusal::NotInTeam)?;
        let current = self.held_team_key(epoch)?.ok_or(SyncRefusal::NotInTeam)?;
        let mut psks = vec![current.noise_psk(&org_id, epoch)];
        // A peer that has not yet seen the latest revocation still holds the previous epoch.
        if let Some(previous) = epoch.checked_sub(1).filter(|previous| *previous > 0)
            && let Some(key) = self.held_team_key(previous)?
        {
            psks.push(key.noise_psk(&org_id, previous));
        }
        Ok(SyncCredentials { local_static, psks, members, revoked })
    }

    /// What LAN discovery needs (see [`Discovery`]); refused until this device is a member of a
    /// team.
    pub fn discovery(&mut self) -> Result<Discovery, CoreError> {
        let view = self.roster()?.ok_or(SyncRefusal::NotInTeam)?;
        let org_id = cairn_model::parse_id(&view.org_id).map_err(|_| CoreError::VaultDamaged("stored roster"))?;
        let device_id = cairn_model::parse_id(&view.this_device).map_err(|_| CoreError::VaultDamaged("stored roster"))?;
        let mut keys = vec![self.held_team_key(view.epoch)?.ok_or(SyncRefusal::NotInTeam)?.beacon_key(&org_id, view.epoch)];
        if let Some(previous) = view.epoch.checked_sub(1).filter(|previous| *previous > 0)
            && let Some(key) = self.held_team_key(previous)?
        {
            keys.push(key.beacon_key(&org_id, previous));
        }
        let members = view
            .members
            .into_iter()
            .filter(|member| member.device_id != view.this_device)
            .map(|member| DiscoveredPeer {
                device_id: member.device_id,
                name: member.name,
                fingerprint: member.fingerprint,
                port: 0,
            })
            .collect();
        Ok(Discovery { device_id, keys, members })
    }

    /// The attachments whose documents are here but whose content has not (fully) arrived:
    /// what the next sync will ask for, with how far each has come.
    pub fn attachments_arriving(&mut self) -> Result<Vec<ArrivingAttachment>, CoreError> {
        read(self.vault_mut(), |tx| {
            Ok(tx
                .missing_attachments()?
                .into_iter()
                .map(|m| ArrivingAttachment {
                    case_id: m.case_id,
                    parts_received: m.parts_received,
                    parts: m.part_count(),
                    size: m.stored_size,
                })
                .collect())
        })
    }

    /// The last sync with every peer, most recent first.
    pub fn sync_peers(&mut self) -> Result<Vec<SyncPeer>, CoreError> {
        read(self.vault_mut(), |tx| Ok(tx.sync_peers()?))
    }
}

impl VaultSync<'_> {
    /// The team keys needed to open the shared case keys of `wraps`, by epoch.
    fn team_keys_for(&mut self, wraps: &[CaseKeyWrap]) -> Result<BTreeMap<u32, TeamKey>, CoreError> {
        let mut keys = BTreeMap::new();
        for wrap in wraps {
            let (epoch, _) = TeamKey::shared_case_key_header(&wrap.wrapped).map_err(|_| SyncRefusal::PeerDataRefused)?;
            if let std::collections::btree_map::Entry::Vacant(entry) = keys.entry(epoch) {
                let key = self.session.held_team_key(epoch)?.ok_or(SyncRefusal::PeerDataRefused)?;
                entry.insert(key);
            }
        }
        Ok(keys)
    }
}

/// Opens the sealed changes of one document with the case keys this vault holds: each change
/// with the custody it came with.
#[allow(clippy::type_complexity)]
fn open_changes(
    tx: &VaultTx<'_>,
    doc: &DocRef,
    sealed: &[SealedChange],
) -> Result<(Vec<Vec<u8>>, Vec<Option<ChangeCustody>>), CoreError> {
    let mut keys: BTreeMap<[u8; 16], cairn_crypto::CaseKey> = BTreeMap::new();
    let mut opened = Vec::with_capacity(sealed.len());
    let mut custody = Vec::with_capacity(sealed.len());
    for SealedChange(envelope) in sealed {
        let key_id = change_key_id(envelope).map_err(|_| SyncRefusal::PeerDataRefused)?;
        let key = match keys.entry(key_id) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert(tx.case_key_by_id(&doc.case_id, &key_id)?.ok_or(SyncRefusal::PeerDataRefused)?)
            }
        };
        let context = ChangeContext { case_id: doc.case_id, doc_id: doc.doc_id, key_id };
        let change = open_change(key, &context, envelope).map_err(|_| SyncRefusal::PeerDataRefused)?;
        opened.push(change.change.to_vec());
        custody.push(change.custody);
    }
    Ok((opened, custody))
}

/// Opens one received attachment part with the case key it names.
fn open_part(
    tx: &VaultTx<'_>,
    case_id: ObjectId,
    address: BlobAddress,
    position: u32,
    last: bool,
    sealed: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>, CoreError> {
    let key_id = blob_part_key_id(sealed).map_err(|_| SyncRefusal::PeerDataRefused)?;
    let key = tx.case_key_by_id(&case_id, &key_id)?.ok_or(SyncRefusal::PeerDataRefused)?;
    let context = BlobPartContext { case_id, address, position, last, key_id };
    Ok(open_blob_part(&key, &context, sealed).map_err(|_| SyncRefusal::PeerDataRefused)?)
}

/// Makes a received attachment an ordinary blob, under every id the case documents give it,
/// after checking the whole against the case document (length and content hash).
fn finish(tx: &mut VaultTx<'_>, attachment: &MissingAttachment) -> Result<(), CoreError> {
    let blob = match tx.finish_received_blob(&attachment.case_id, &attachment.address) {
        Err(StoreError::Damaged { .. }) => return Err(SyncRefusal::PeerDataRefused.into()),
        other => other?,
    };
    if blob.plain_len != attachment.stored_size || blob.content_hash != attachment.stored_hash {
        return Err(SyncRefusal::PeerDataRefused.into());
    }
    for blob_id in attachment.blob_ids.iter().filter(|id| **id != blob.blob_id) {
        tx.copy_blob(&blob.blob_id, blob_id)?;
    }
    Ok(())
}

impl SyncStore for VaultSync<'_> {
    type Error = CoreError;

    fn session_scope(&mut self, peer: &PeerId) -> Result<SessionScope, CoreError> {
        // This device's clock, read as the session starts: a roster that expired while held
        // limits the session to the rosters unless the peer (or this vault) is HQ.
        let now = u64::try_from(now_ms()).unwrap_or(0);
        Ok(if self.session.sync_limited_with(peer, now)? { SessionScope::RosterOnly } else { SessionScope::Full })
    }

    fn roster(&mut self) -> Result<Option<(u64, Vec<u8>)>, CoreError> {
        let Some(view) = self.session.roster()? else { return Ok(None) };
        Ok(Some((view.version, self.session.roster_bytes()?)))
    }

    fn accept_roster(&mut self, bytes: &[u8]) -> Result<(), CoreError> {
        // Same organisation (pinned), higher version, valid signature: the store refuses
        // anything else and changes nothing.
        self.session.import_roster(bytes, None)?;
        Ok(())
    }

    fn items(&mut self) -> Result<Vec<Item>, CoreError> {
        self.session.sync_items()
    }

    fn heads(&mut self, doc_id: &ObjectId) -> Result<Option<(DocRef, Vec<ChangeHash>)>, CoreError> {
        let held = read(self.session.vault_mut(), |tx| {
            Ok(match tx.digest_of_document(doc_id)? {
                Some(digest) if tx.tombstone(&digest.case_id)?.is_none() => Some(digest),
                _ => None,
            })
        })?;
        let Some(digest) = held else {
            // A purged document still counts as held at the heads HQ confirmed.
            let purged = read(self.session.vault_mut(), |tx| Ok(tx.purged_document(doc_id)?))?;
            return Ok(purged.map(|purged| (DocRef { case_id: purged.case_id, doc_id: *doc_id }, purged.heads)));
        };
        let doc = DocRef { case_id: digest.case_id, doc_id: digest.doc_id };
        Ok(self.session.document_heads(&doc)?.map(|heads| (doc, heads)))
    }

    fn changes_since(&mut self, doc: &DocRef, their_heads: &[ChangeHash]) -> Result<Vec<SealedChange>, CoreError> {
        if read(self.session.vault_mut(), |tx| Ok(tx.is_purged(&doc.case_id)?))? {
            // Nothing of a purged case is left to send.
            return Ok(Vec::new());
        }
        let changes = self.session.document_changes_with_custody(doc, their_heads)?;
        let (key_id, key) = read(self.session.vault_mut(), |tx| Ok(tx.case_key_with_id(&doc.case_id)?))?;
        let context = ChangeContext { case_id: doc.case_id, doc_id: doc.doc_id, key_id };
        changes
            .iter()
            .map(|(change, custody)| {
                seal_change(&key, &context, change, custody.as_ref())
                    .map(SealedChange)
                    .map_err(|_| CoreError::Internal("seal change"))
            })
            .collect()
    }

    fn want_hashes(&mut self, doc: &DocRef, _heads: &[ChangeHash]) -> Result<Vec<ChangeHash>, CoreError> {
        self.session.document_want_hashes(doc)
    }

    fn holds_heads(&mut self, doc: &DocRef, heads: &[ChangeHash]) -> Result<bool, CoreError> {
        self.session.document_holds(doc, heads)
    }

    fn export_case_key(&mut self, case_id: &ObjectId) -> Result<CaseKeyWrap, CoreError> {
        let (key_id, key) = read(self.session.vault_mut(), |tx| Ok(tx.case_key_with_id(case_id)?))?;
        let wrapped = self.team_key.share_case_key(&self.org_id, self.epoch, case_id, &key_id, &key);
        Ok(CaseKeyWrap { case_id: *case_id, wrapped })
    }

    fn tombstone(&mut self, case_id: &ObjectId) -> Result<Option<Vec<u8>>, CoreError> {
        read(self.session.vault_mut(), |tx| Ok(tx.tombstone(case_id)?))
    }

    fn apply(&mut self, incoming: &Incoming) -> Result<(), CoreError> {
        // Verified before the transaction: signed by a current member of this organisation.
        let mut tombstones = Vec::with_capacity(incoming.tombstones.len());
        for bytes in &incoming.tombstones {
            tombstones.push((self.session.verify_tombstone(bytes)?.case_id(), bytes));
        }
        if !tombstones.is_empty() {
            self.session.hot_docs.clear();
        }
        let archive = self.session.is_hq_vault()?;
        let team_keys = self.team_keys_for(&incoming.case_keys)?;
        let org_id = self.org_id;
        let author = self.author.clone();
        let now = now_ms();
        transact(self.session.vault_mut(), |tx| {
            for wrap in &incoming.case_keys {
                if tx.tombstone(&wrap.case_id)?.is_some() || tx.is_purged(&wrap.case_id)? {
                    continue;
                }
                let (epoch, _) = TeamKey::shared_case_key_header(&wrap.wrapped).map_err(|_| SyncRefusal::PeerDataRefused)?;
                let team_key = team_keys.get(&epoch).ok_or(SyncRefusal::PeerDataRefused)?;
                let (key_id, key) = team_key
                    .open_shared_case_key(&org_id, &wrap.case_id, &wrap.wrapped)
                    .map_err(|_| SyncRefusal::PeerDataRefused)?;
                tx.import_case_key(&wrap.case_id, &key_id, &key)?;
            }
            for (doc, sealed) in &incoming.changes {
                match tx.digest_of_document(&doc.doc_id)? {
                    Some(held) if held.case_id != doc.case_id => return Err(SyncRefusal::DocumentMisplaced.into()),
                    _ => {}
                }
                if sealed.is_empty() || tx.tombstone(&doc.case_id)?.is_some() || tx.is_purged(&doc.case_id)? {
                    continue;
                }
                let (changes, custody) = open_changes(tx, doc, sealed)?;
                crate::cases::apply_remote_any(tx, &doc.case_id, &doc.doc_id, &changes, &custody, &author, now)?;
            }
            for (case_id, bytes) in &tombstones {
                tx.put_tombstone(case_id, bytes)?;
                // HQ keeps the case, archived and marked deleted; a field device destroys it.
                if !archive {
                    match tx.delete_case(case_id) {
                        Ok(()) | Err(cairn_store::StoreError::NotFound { .. }) => tx.forget_case(case_id)?,
                        Err(error) => return Err(error.into()),
                    }
                }
            }
            Ok(())
        })
    }

    fn missing_blobs(&mut self, limit: usize) -> Result<Vec<BlobWant>, CoreError> {
        let missing = read(self.session.vault_mut(), |tx| {
            let mut missing = Vec::new();
            for attachment in tx.missing_attachments()? {
                let held = tx.blob_by_address(&attachment.case_id, &attachment.address)?.map(|blob| blob.blob_id);
                missing.push((attachment, held));
            }
            Ok(missing)
        })?;
        // Content this vault holds under another id (the same file attached on two devices)
        // is copied here, never asked for.
        let copies: Vec<_> = missing.iter().filter_map(|(m, held)| held.map(|held| (held, m.blob_ids.clone()))).collect();
        if !copies.is_empty() {
            transact(self.session.vault_mut(), |tx| {
                for (held, blob_ids) in &copies {
                    for blob_id in blob_ids {
                        tx.copy_blob(held, blob_id)?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(missing
            .into_iter()
            .filter(|(_, held)| held.is_none())
            .map(|(m, _)| BlobWant { case_id: m.case_id, address: m.address, from: m.parts_received })
            .take(limit)
            .collect())
    }

    fn blob_part_count(&mut self, case_id: &ObjectId, address: &BlobAddress) -> Result<Option<u32>, CoreError> {
        let blob = read(self.session.vault_mut(), |tx| {
            Ok(if tx.tombstone(case_id)?.is_some() { None } else { tx.blob_by_address(case_id, address)? })
        })?;
        Ok(blob.map(|blob| cairn_store::part_count(blob.plain_len)))
    }

    fn blob_part(&mut self, case_id: &ObjectId, address: &BlobAddress, position: u32) -> Result<BlobPart, CoreError> {
        read(self.session.vault_mut(), |tx| {
            let blob = tx.blob_by_address(case_id, address)?.ok_or(CoreError::NotFound("attachment"))?;
            let last = position + 1 == cairn_store::part_count(blob.plain_len);
            let content = tx.blob_chunk(&blob.blob_id, position)?;
            let (key_id, key) = tx.case_key_with_id(case_id)?;
            let context = BlobPartContext { case_id: *case_id, address: *address, position, last, key_id };
            let sealed = seal_blob_part(&key, &context, &content).map_err(|_| CoreError::Internal("seal part"))?;
            Ok(BlobPart { case_id: *case_id, address: *address, position, last, sealed })
        })
    }

    fn apply_blob_parts(&mut self, parts: &[BlobPart]) -> Result<u64, CoreError> {
        let now = now_ms();
        let mut finishing: Option<(ObjectId, BlobAddress)> = None;
        let applied = transact(self.session.vault_mut(), |tx| {
            let missing: BTreeMap<(ObjectId, BlobAddress), MissingAttachment> =
                tx.missing_attachments()?.into_iter().map(|m| ((m.case_id, m.address), m)).collect();
            let mut completed = 0;
            for part in parts {
                let Some(attachment) = missing.get(&(part.case_id, part.address)) else {
                    // Not (or no longer) missing: held already, or its case deleted meanwhile.
                    if tx.tombstone(&part.case_id)?.is_some() || tx.blob_by_address(&part.case_id, &part.address)?.is_some()
                    {
                        continue;
                    }
                    return Err(SyncRefusal::PeerDataRefused.into());
                };
                let count = attachment.part_count();
                if part.position >= count || part.last != (part.position + 1 == count) {
                    return Err(SyncRefusal::PeerDataRefused.into());
                }
                let content = open_part(tx, part.case_id, part.address, part.position, part.last, &part.sealed)?;
                let blob_id = attachment.blob_ids.first().ok_or(CoreError::Internal("attachment without id"))?;
                let received = tx.receive_blob_part(
                    &ReceivedPart {
                        case_id: &part.case_id,
                        address: &part.address,
                        blob_id,
                        position: part.position,
                        last: part.last,
                        content: &content,
                    },
                    now,
                );
                match received {
                    Err(StoreError::Damaged { .. }) => return Err(SyncRefusal::PeerDataRefused.into()),
                    other => other?,
                }
                if part.last {
                    finishing = Some((part.case_id, part.address));
                    finish(tx, attachment)?;
                    finishing = None;
                    completed += 1;
                }
            }
            Ok(completed)
        });
        if applied.is_err()
            && let Some((case_id, address)) = finishing
        {
            // The whole did not check out: drop what was received of it, so the next session
            // asks for it from the start instead of for the same bad last part again.
            transact(self.session.vault_mut(), |tx| Ok(tx.discard_received_blob(&case_id, &address)?))?;
        }
        applied
    }

    fn record_session(&mut self, peer: &PeerId, summary: &SyncSummary) -> Result<(), CoreError> {
        let row = SyncPeerRow {
            peer_id: *peer,
            last_sync_at: now_ms(),
            documents_sent: summary.documents_sent,
            documents_received: summary.documents_received,
            changes_sent: summary.changes_sent,
            changes_received: summary.changes_received,
            bytes_sent: summary.bytes_sent,
            bytes_received: summary.bytes_received,
        };
        transact(self.session.vault_mut(), |tx| Ok(tx.put_sync_peer(&row)?))?;
        // What arrived may be a receipt to verify (a field device) or a case to confirm (HQ).
        self.session.settle_handovers()?;
        Ok(())
    }
}

impl From<SyncRefusal> for CoreError {
    fn from(refusal: SyncRefusal) -> Self {
        CoreError::Sync(refusal)
    }
}
