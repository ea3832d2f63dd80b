//! Identity fields sealed for HQ (DESIGN §1 T3, §3 "HQ intake", §4).
//!
//! A person's real name, date of birth, home town, family and contact are sealed on the
//! device where they are typed, before they enter the case document
//! (`cairn_crypto::seal_value`, one stanza per recipient, bound to the case, the person and
//! the field). The document, and so every chunk, sync message and bundle, holds only the
//! sealed bytes. Who a value is sealed to is decided when it is written:
//!
//! - **in an organisation** (the vault holds a roster): HQ's intake key (`Roster::intake`),
//!   plus the agreement key of every current member whose role the roster's policy names as
//!   an identity reader (`identity_readers`; HQ-role members read through the intake key).
//!   The writing device is not a recipient unless it is such a reader, so a field device
//!   that typed a name cannot read it back. A later policy change affects later writes only.
//! - **before any organisation**: the vault's own pre-enrollment key (X25519, private half
//!   wrapped by K_dev in the `identity_sealing_key` table). The device reads these values.
//!
//! Enrollment ([`Session::settle_identity_sealing`], called when the vault pins its first
//! roster or creates an organisation, and at every unlock): every value that opens with the
//! pre-enrollment key is resealed to the roster's recipients through the normal write path
//! (so the new values sync), and the same transaction deletes the key (secure_delete zeroes
//! the row, the commit checkpoints the WAL). The copies in the documents' history were sealed
//! to that key only, so they never open again.
//!
//! Upgrade: documents written before sealing hold identity fields as text. Migration 0008
//! marks the vault; the next unlock seals them the same way. A vault in no organisation has
//! never shared its documents, so each such document is also rewritten without its history
//! (the text is then gone from the vault, short of what an SSD keeps of freed blocks). A vault
//! already in a team cannot do that (a peer would merge the old history back): there the old
//! text stays in the history of those documents, as it already is on every peer that synced
//! them. A plain value in conflict is left until the conflict is resolved.
//!
//! Reading: a value opens only where one of its recipients' private keys is: the intake key
//! (HQ's vault), this device's agreement key (a reader by policy when it was written), or the
//! pre-enrollment key. Elsewhere the views say "sealed" (distinct from empty), and the
//! worker can replace or clear the value but not read it. A conflict between sealed values
//! is resolved only by a device that opens every one of them (HQ): elsewhere resolving,
//! merging or editing that field is refused with `identity_sealed`.

use std::collections::BTreeMap;

use cairn_crypto::{AgreementPublicKey, AgreementSecretKey, SealedValueContext, open_sealed_value, seal_value};
use cairn_model::{
    CaseDoc, CaseRecord, Identity, IdentityField, IdentitySealer, IdentityValue, ModelError, ObjectId, ObjectKind,
    Sensitive, id_to_hex,
};
use zeroize::Zeroizing;

use super::{
    CaseConflict, CaseError,
    pipeline::{commit_doc, load_doc, now_ms, owner, read, replace_doc, transact},
};
use crate::{CoreError, Session};

/// The case setting migration 0008 (and a document arriving with plain identity text) leaves
/// when identity fields need sealing.
pub(crate) const SETTING_RESEAL_PENDING: &str = "identity_reseal_pending";

/// A person's identity fields as this device can show them (see [`Session::reveal_identity`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevealedIdentity {
    /// The fields this device opened; a field that is empty or that it cannot open is empty.
    pub identity: Identity,
    /// The recorded fields sealed for others (HQ, identity readers): this device cannot open
    /// them, only replace or clear them.
    pub sealed: Vec<IdentityField>,
}

/// The keys of identity sealing for one operation: who new values are sealed to, and the
/// private keys this device opens values with (zeroized when dropped).
pub(crate) struct IdentityKeys {
    /// Recipients of a new value (empty when nothing may be sealed now).
    pub(crate) recipients: Vec<AgreementPublicKey>,
    /// HQ's intake key (HQ's vault) and this device's agreement key.
    pub(crate) openers: Vec<AgreementSecretKey>,
    /// The pre-enrollment key, while the vault has one (it opens values too).
    pub(crate) pre_enrollment: Option<AgreementSecretKey>,
}

/// What a stored identity value is to this device.
pub(crate) enum Opened {
    /// Not recorded.
    Empty,
    /// Opened (or plain text from an older version).
    Text(Sensitive),
    /// Sealed for others.
    Sealed,
}

fn context<'a>(case_id: &ObjectId, person: &ObjectId, field: IdentityField) -> SealedValueContext<'a> {
    SealedValueContext { case_id: *case_id, object_id: *person, field: field.name() }
}

fn text(bytes: Zeroizing<Vec<u8>>) -> Result<Sensitive, CoreError> {
    String::from_utf8(bytes.to_vec()).map(Sensitive).map_err(|_| CoreError::VaultDamaged("sealed identity value"))
}

impl IdentityKeys {
    /// Seals `value` of `field` of `person` in `case_id` to the current recipients.
    pub(crate) fn seal(
        &self,
        case_id: &ObjectId,
        person: &ObjectId,
        field: IdentityField,
        value: &Sensitive,
    ) -> Result<Vec<u8>, ModelError> {
        if self.recipients.is_empty() {
            return Err(ModelError::SealingFailed);
        }
        seal_value(&self.recipients, &context(case_id, person, field), value.expose().as_bytes())
            .map_err(|_| ModelError::SealingFailed)
    }

    /// Opens sealed bytes with the keys in `keys`: `None` when sealed to none of them. A value
    /// that is damaged or was moved from another field counts as sealed: it shows as such,
    /// never as garbage, and never stops the case from opening.
    fn open_with(
        keys: &[&AgreementSecretKey],
        case_id: &ObjectId,
        person: &ObjectId,
        field: IdentityField,
        bytes: &[u8],
    ) -> Result<Option<Sensitive>, CoreError> {
        match open_sealed_value(keys, &context(case_id, person, field), bytes) {
            Ok(Some(opened)) => text(opened).map(Some),
            Ok(None) | Err(_) => Ok(None),
        }
    }

    /// What `value` is to this device.
    pub(crate) fn open(
        &self,
        case_id: &ObjectId,
        person: &ObjectId,
        field: IdentityField,
        value: &IdentityValue,
    ) -> Result<Opened, CoreError> {
        Ok(match value {
            IdentityValue::Empty => Opened::Empty,
            IdentityValue::Plain(text) => Opened::Text(text.clone()),
            IdentityValue::Sealed(bytes) => {
                let keys: Vec<&AgreementSecretKey> = self.openers.iter().chain(&self.pre_enrollment).collect();
                match Self::open_with(&keys, case_id, person, field, bytes)? {
                    Some(text) => Opened::Text(text),
                    None => Opened::Sealed,
                }
            }
        })
    }

    /// A person's identity as this device can show it.
    pub(crate) fn reveal(
        &self,
        case_id: &ObjectId,
        person: &ObjectId,
        identity: &cairn_model::SealedIdentity,
    ) -> Result<RevealedIdentity, CoreError> {
        let mut revealed = RevealedIdentity::default();
        for (field, value) in identity.fields() {
            match self.open(case_id, person, field, value)? {
                Opened::Empty => {}
                Opened::Text(text) => *revealed.identity.get_mut(field) = text,
                Opened::Sealed => revealed.sealed.push(field),
            }
        }
        Ok(revealed)
    }

    /// The sealer the model calls for new values of `case_id`.
    pub(crate) fn sealer(&self, case_id: &ObjectId) -> CaseSealer<'_> {
        CaseSealer { keys: self, case_id: *case_id }
    }

    /// Opens every sealed value of an identity conflict that this device can, in place; the
    /// others keep their bytes (the views show them as sealed).
    pub(crate) fn open_conflict(&self, case_id: &ObjectId, conflict: &mut CaseConflict) -> Result<(), CoreError> {
        let Some((person, field)) = identity_conflict(case_id, conflict) else { return Ok(()) };
        for value in &mut conflict.conflict.values {
            if let Some(bytes) = &value.sealed
                && let Opened::Text(text) = self.open(case_id, &person, field, &IdentityValue::Sealed(bytes.clone()))?
            {
                value.value = text.0;
                value.sealed = None;
            }
        }
        Ok(())
    }

    /// Whether this device opens every value of the identity conflict at `path` of the case
    /// document (`true` when `path` is no identity field or holds no sealed value).
    fn settles(&self, case_id: &ObjectId, doc: &mut CaseDoc, path: &str) -> Result<bool, CoreError> {
        let Some((person, field)) = IdentityField::of_path(path) else { return Ok(true) };
        let person = cairn_model::parse_id(person)?;
        let Some(conflict) = doc.conflicts()?.into_iter().find(|conflict| conflict.path == path) else { return Ok(true) };
        for value in &conflict.values {
            if let Some(bytes) = &value.sealed
                && matches!(self.open(case_id, &person, field, &IdentityValue::Sealed(bytes.clone()))?, Opened::Sealed)
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The person and field of a conflict on an identity field of a case document.
fn identity_conflict(case_id: &ObjectId, conflict: &CaseConflict) -> Option<(ObjectId, IdentityField)> {
    if conflict.document_id != *case_id {
        return None;
    }
    let (person, field) = IdentityField::of_path(&conflict.conflict.path)?;
    Some((cairn_model::parse_id(person).ok()?, field))
}

/// The model's [`IdentitySealer`] for one case.
pub(crate) struct CaseSealer<'k> {
    keys: &'k IdentityKeys,
    case_id: ObjectId,
}

impl IdentitySealer for CaseSealer<'_> {
    fn seal(&mut self, person: &ObjectId, field: IdentityField, value: &Sensitive) -> Result<Vec<u8>, ModelError> {
        self.keys.seal(&self.case_id, person, field, value)
    }

    fn holds(&mut self, person: &ObjectId, field: IdentityField, current: &IdentityValue, value: &Sensitive) -> bool {
        // Only a sealed value this device opens can be found unchanged (plain text from an
        // older version is always resealed).
        matches!(current, IdentityValue::Sealed(_))
            && matches!(self.keys.open(&self.case_id, person, field, current), Ok(Opened::Text(text)) if text == *value)
    }
}

impl Session {
    /// The identity keys for an operation; with `for_write`, a vault in no organisation gets
    /// its pre-enrollment key first if it has none.
    pub(crate) fn identity_keys(&mut self, for_write: bool) -> Result<IdentityKeys, CoreError> {
        crate::team::identity_keys(self.vault_mut(), for_write)
    }

    /// A person's identity fields as this device can show them: the ones it opens (HQ, a
    /// reader by policy, or before enrollment the device that typed them) in
    /// [`RevealedIdentity::identity`], the ones sealed for others in
    /// [`RevealedIdentity::sealed`] (a field device after enrollment: every recorded field).
    pub fn reveal_identity(&mut self, person_id: &ObjectId) -> Result<RevealedIdentity, CoreError> {
        let keys = self.identity_keys(false)?;
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let case_id = owner(tx, person_id, ObjectKind::Person)?;
            let doc: CaseDoc = load_doc(tx, &case_id, &case_id, &author)?;
            let record = doc.record()?;
            let person = record.person(person_id).ok_or(CoreError::NotFound(ObjectKind::Person.as_str()))?;
            keys.reveal(&case_id, person_id, &person.identity)
        })
    }

    /// [`Session::reveal_identity`] for every person of a case, by person id (hex).
    pub fn reveal_identities(&mut self, case_id: &ObjectId) -> Result<BTreeMap<String, RevealedIdentity>, CoreError> {
        let keys = self.identity_keys(false)?;
        let author = self.worker_name()?;
        let record: CaseRecord =
            read(self.vault_mut(), |tx| Ok(load_doc::<CaseRecord>(tx, case_id, case_id, &author)?.record()?))?;
        record
            .persons
            .iter()
            .filter_map(|(key, person)| Some((key, cairn_model::parse_id(key).ok()?, person)))
            .map(|(key, id, person)| Ok((key.clone(), keys.reveal(case_id, &id, &person.identity)?)))
            .collect()
    }

    /// Edits a person (see [`Session::edit_person`]): new identity values are sealed; a field
    /// whose sealed values conflict is refused unless this device opens them all.
    pub(super) fn edit_person_sealed(
        &mut self,
        person_id: &ObjectId,
        edit: &cairn_model::PersonEdit,
    ) -> Result<(), CoreError> {
        let keys = self.identity_keys(edit.changes_identity())?;
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, person_id, ObjectKind::Person)?;
            let mut doc: CaseDoc = load_doc(tx, &case_id, &case_id, &author)?;
            for field in IdentityField::ALL.into_iter().filter(|field| edit.identity_change(*field).is_some()) {
                let path = format!("persons/{}/identity/{}", id_to_hex(person_id), field.name());
                if !keys.settles(&case_id, &mut doc, &path)? {
                    return Err(CaseError::IdentitySealed.into());
                }
            }
            doc.edit_person(person_id, edit, &mut keys.sealer(&case_id), now)?;
            commit_doc(tx, &signer, &case_id, &case_id, &mut doc, now)?;
            Ok(())
        })
    }

    /// Refuses to settle the conflict at `path` of the case document when it is between
    /// sealed identity values this device cannot open all of; else the keys to settle it.
    pub(super) fn check_identity_conflict(&mut self, case_id: &ObjectId, path: &str) -> Result<IdentityKeys, CoreError> {
        let keys = self.identity_keys(IdentityField::of_path(path).is_some())?;
        if IdentityField::of_path(path).is_some() {
            let author = self.worker_name()?;
            let settles = read(self.vault_mut(), |tx| {
                let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author)?;
                keys.settles(case_id, &mut doc, path)
            })?;
            if !settles {
                return Err(CaseError::IdentitySealed.into());
            }
        }
        Ok(keys)
    }

    /// Seals what is owed, once, in one transaction: identity text left by an older version
    /// (migration 0008's mark) and, once the vault is in an organisation, every value sealed
    /// to the pre-enrollment key, which is then destroyed (see the module docs). Does nothing
    /// (one read) when nothing is owed. Called at unlock, when the first roster is imported
    /// and when this vault creates an organisation.
    pub(crate) fn settle_identity_sealing(&mut self) -> Result<(), CoreError> {
        let (pending, pre_enrollment, in_team) = read(self.vault_mut(), |tx| {
            Ok((
                tx.case_setting(SETTING_RESEAL_PENDING)?.is_some(),
                tx.identity_sealing_key()?.is_some(),
                tx.roster()?.is_some(),
            ))
        })?;
        let enrolling = pre_enrollment && in_team;
        if !pending && !enrolling {
            return Ok(());
        }
        let keys = self.identity_keys(pending)?;
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let deleted = tx.tombstoned_cases()?;
            let cases: Vec<ObjectId> = tx
                .digests()?
                .into_iter()
                .filter(|digest| digest.case_id == digest.doc_id && deleted.binary_search(&digest.case_id).is_err())
                .map(|digest| digest.case_id)
                .collect();
            for case_id in cases {
                // A document that does not load cannot be resealed; the rest still are.
                let Ok(mut doc) = load_doc::<CaseRecord>(tx, &case_id, &case_id, &author) else { continue };
                let mut had_plain = false;
                let resealed = doc.reseal_identity(
                    |person, field, value| match value {
                        IdentityValue::Plain(text) => {
                            had_plain = true;
                            keys.seal(&case_id, person, field, text).map(Some)
                        }
                        IdentityValue::Sealed(bytes) if enrolling => {
                            let Some(local) = keys.pre_enrollment.as_ref() else { return Ok(None) };
                            match IdentityKeys::open_with(&[local], &case_id, person, field, bytes) {
                                Ok(Some(text)) => keys.seal(&case_id, person, field, &text).map(Some),
                                _ => Ok(None),
                            }
                        }
                        _ => Ok(None),
                    },
                    now,
                )?;
                if resealed == 0 {
                    continue;
                }
                // Never shared (no roster, so no sync and no bundle ever ran): drop the
                // history that holds the text.
                if had_plain
                    && !in_team
                    && let Some(mut fresh) = doc.rewritten(&author, now)?
                {
                    replace_doc(tx, &signer, &case_id, &case_id, &mut fresh, now)?;
                    continue;
                }
                commit_doc(tx, &signer, &case_id, &case_id, &mut doc, now)?;
            }
            if enrolling {
                tx.delete_identity_sealing_key()?;
            }
            if pending {
                tx.delete_case_setting(SETTING_RESEAL_PENDING)?;
            }
            Ok(())
        })
    }
}

/// Marks the vault when a case document holds identity text (a document from an older version
/// or a peer still running one): the next unlock seals it.
pub(crate) fn note_plain_identity(tx: &mut cairn_store::VaultTx<'_>, record: &CaseRecord) -> Result<(), CoreError> {
    let plain = record
        .persons
        .values()
        .any(|person| person.identity.fields().iter().any(|(_, value)| matches!(value, IdentityValue::Plain(_))));
    if plain && tx.case_setting(SETTING_RESEAL_PENDING)?.is_none() {
        tx.put_case_setting(SETTING_RESEAL_PENDING, "1")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::{ROOT, ReadDoc, transaction::Transactable};
    use cairn_model::NewPerson;
    use cairn_sync::DocRef;

    use super::*;
    use crate::{
        cases::CustodyVerdict,
        testing::{TestTeam, TestVault, decrypted_vault_pages, document_contents},
    };

    const LEGACY: &str = "LEGACY-NAME-5d1e 옛이름";

    /// A person whose real name `session`'s case document holds as plain text, as a version
    /// before sealing wrote it (applied as a change from a peer, the way such a document
    /// arrives or already sits in an upgraded vault).
    fn legacy_person(session: &mut Session) -> (ObjectId, ObjectId) {
        let case = session.create_case("Old").expect("case");
        let person = session.add_person(&case, &NewPerson { pseudonym: "L-1".into(), ..NewPerson::default() });
        let person = person.expect("person");
        let author = session.worker_name().expect("author");
        let mut stored: CaseDoc = read(session.vault_mut(), |tx| load_doc(tx, &case, &case, &author)).expect("load");
        let mut old = automerge::AutoCommit::load(&stored.snapshot()).expect("automerge");
        let before = old.get_heads();
        let persons = old.get(ROOT, "persons").expect("get").expect("persons").1;
        let entry = old.get(&persons, id_to_hex(&person).as_str()).expect("get").expect("person").1;
        let identity = old.get(&entry, "identity").expect("get").expect("identity").1;
        old.put(&identity, "real_name", LEGACY).expect("plain text");
        old.commit();
        let changes: Vec<Vec<u8>> = old.get_changes(&before).into_iter().map(|change| change.raw_bytes().to_vec()).collect();
        session.apply_peer_changes(&DocRef { case_id: case, doc_id: case }, &changes).expect("apply");
        (case, person)
    }

    fn pending(session: &mut Session) -> bool {
        read(session.vault_mut(), |tx| Ok(tx.case_setting(SETTING_RESEAL_PENDING)?.is_some())).expect("read")
    }

    fn in_pages(session: &Session) -> bool {
        decrypted_vault_pages(session)
            .iter()
            .any(|page| page.plaintext.windows(LEGACY.len()).any(|w| w == LEGACY.as_bytes()))
    }

    fn in_document(session: &mut Session, case: &ObjectId) -> bool {
        document_contents(session, case, case).windows(LEGACY.len()).any(|w| w == LEGACY.as_bytes())
    }

    #[test]
    fn plain_text_from_before_sealing_is_sealed_at_unlock_and_gone_from_a_vault_never_shared() {
        let (vault, mut session) = TestVault::create();
        let (case, person) = legacy_person(&mut session);
        assert!(pending(&mut session), "the arrival marked the vault");
        // The legacy change came as a raw change, without custody: the trail flags it.
        let trail = session.custody_trail(&case).expect("trail");
        assert_eq!(trail.iter().filter(|entry| entry.verdict == CustodyVerdict::Unsigned).count(), 1);
        assert_eq!(session.reveal_identity(&person).expect("reveal").identity.real_name.expose(), LEGACY);
        assert!(in_document(&mut session, &case));
        session.lock();
        let mut session = vault.reopen();
        assert!(!pending(&mut session));
        let view = session.open_case(&case).expect("open");
        let value = &view.record.person(&person).expect("person").identity.real_name;
        assert!(value.sealed().is_some(), "sealed at unlock");
        assert_eq!(session.reveal_identity(&person).expect("reveal").identity.real_name.expose(), LEGACY);
        assert!(!in_document(&mut session, &case), "a vault never shared drops the history that held it");
        // The rewrite is one change this device wrote, signed; the replaced changes' custody
        // went with them.
        let trail = session.custody_trail(&case).expect("trail");
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].verdict, CustodyVerdict::Signed);
        assert_eq!(crate::testing::custody_records(&mut session, &case).len(), 1);
        assert!(!in_pages(&session), "no page or WAL frame keeps it");
        assert_eq!(session.search("L-1", 5).expect("search").len(), 1, "derived rows rebuilt");
    }

    #[test]
    fn plain_text_in_a_team_vault_is_sealed_for_hq_and_its_history_is_left_as_documented() {
        let mut team = TestTeam::new(1);
        let (case, person) = legacy_person(&mut team.devices[0].session);
        let device = team.devices.remove(0);
        device.session.lock();
        let mut session = device.vault.reopen();
        assert!(!pending(&mut session));
        let revealed = session.reveal_identity(&person).expect("reveal");
        assert_eq!(revealed.sealed, [IdentityField::RealName], "now sealed for HQ");
        // Peers that synced the document hold the old history; rewriting it here would only
        // make them merge it back. The text stays in this document's history (module docs).
        assert!(in_document(&mut session, &case));
    }
}
