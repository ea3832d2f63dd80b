//! Test support (feature `testing`, and this crate's own tests): throw-away vaults with the
//! test-only fast key derivation, and a team of enrolled devices for scenarios that need
//! several (sync, handover, revocation). Never for real data.

use std::path::{Path, PathBuf};

use cairn_store::KdfChoice;
use secrecy::SecretString;

use crate::{
    CoreError, Session, create_vault,
    team::{Role, TeamError},
    unlock_vault,
};

/// The passphrase of every test vault.
pub const TEST_PASSPHRASE: &str = "correct horse battery staple";

/// A vault in a temporary folder, removed when this is dropped.
#[derive(Debug)]
pub struct TestVault {
    _folder: tempfile::TempDir,
    path: PathBuf,
}

impl TestVault {
    /// Creates a vault (fast test-only KDF) and returns it with its open session.
    pub fn create() -> (TestVault, Session) {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().join("vault");
        let (session, _recovery) =
            create_vault(&path, &SecretString::from(TEST_PASSPHRASE), KdfChoice::InsecureTestOnly).expect("a test vault");
        (TestVault { _folder: folder, path }, session)
    }

    /// The vault folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Unlocks the vault again (after the session was locked or dropped).
    pub fn reopen(&self) -> Session {
        unlock_vault(&self.path, &SecretString::from(TEST_PASSPHRASE)).expect("unlock the test vault")
    }
}

/// A new vault and its session (the folder lives as long as the returned [`TestVault`]).
pub fn session() -> (TestVault, Session) {
    TestVault::create()
}

/// One device of a [`TestTeam`]: its vault and open session.
#[derive(Debug)]
pub struct TestDevice {
    /// The device's vault.
    pub vault: TestVault,
    /// Its open session.
    pub session: Session,
    /// The name HQ enrolled it under (also its worker name).
    pub name: String,
}

/// An organisation: an HQ vault and enrolled devices, each holding the latest roster.
#[derive(Debug)]
pub struct TestTeam {
    /// The HQ vault (it signs rosters and enrolls devices).
    pub hq: TestDevice,
    /// The organisation's fingerprint, as compared in person.
    pub fingerprint: String,
    /// The enrolled devices, in enrollment order.
    pub devices: Vec<TestDevice>,
}

impl TestTeam {
    /// An organisation with `field_devices` field devices named `field-1`, `field-2`, ….
    pub fn new(field_devices: usize) -> TestTeam {
        let (vault, mut session) = TestVault::create();
        session.set_worker_name("HQ").expect("worker name");
        let created = session.create_organisation("Test organisation", "HQ").expect("create the organisation");
        let hq = TestDevice { vault, session, name: "HQ".to_owned() };
        let mut team = TestTeam { hq, fingerprint: created.fingerprint, devices: Vec::new() };
        for number in 1..=field_devices {
            team.enroll(Role::Field, &format!("field-{number}"));
        }
        team
    }

    /// Enrolls a new device with `role` and `name` (HQ compares its fingerprint, the device
    /// pins HQ's), then gives every device the new roster. Returns its index in `devices`.
    pub fn enroll(&mut self, role: Role, name: &str) -> usize {
        let (vault, mut session) = TestVault::create();
        session.set_worker_name(name).expect("worker name");
        let request = session.enrollment_request(name).expect("enrollment request");
        self.hq.session.enroll_device(request.text.as_bytes(), role, name, &request.fingerprint).expect("enroll");
        let roster = self.hq.session.roster_bytes().expect("roster");
        session.import_roster(&roster, Some(&self.fingerprint)).expect("first roster import");
        self.devices.push(TestDevice { vault, session, name: name.to_owned() });
        self.distribute_roster().expect("distribute the roster");
        self.devices.len() - 1
    }

    /// Enrolls a vault that exists already (with `role` and `name`; it pins HQ on this first
    /// import), then gives every device the new roster. Returns its index in `devices`.
    pub fn enroll_existing(&mut self, vault: TestVault, mut session: Session, role: Role, name: &str) -> usize {
        let request = session.enrollment_request(name).expect("enrollment request");
        self.hq.session.enroll_device(request.text.as_bytes(), role, name, &request.fingerprint).expect("enroll");
        let roster = self.hq.session.roster_bytes().expect("roster");
        session.import_roster(&roster, Some(&self.fingerprint)).expect("first roster import");
        self.devices.push(TestDevice { vault, session, name: name.to_owned() });
        self.distribute_roster().expect("distribute the roster");
        self.devices.len() - 1
    }

    /// Revokes device `index` at HQ and gives the new roster to every other device.
    pub fn revoke(&mut self, index: usize) {
        let device_id = self.devices[index].session.device_identity().expect("identity").device_id;
        self.hq.session.revoke_device(&device_id).expect("revoke");
        let roster = self.hq.session.roster_bytes().expect("roster");
        for (other, device) in self.devices.iter_mut().enumerate() {
            if other != index {
                device.session.import_roster(&roster, None).expect("import the new roster");
            }
        }
    }

    /// Imports HQ's current roster on every device that does not hold it yet.
    pub fn distribute_roster(&mut self) -> Result<(), CoreError> {
        let roster = self.hq.session.roster_bytes()?;
        for device in &mut self.devices {
            match device.session.import_roster(&roster, None) {
                Ok(_) | Err(CoreError::Team(TeamError::Replay)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// The session of device `index`.
    pub fn device(&mut self, index: usize) -> &mut Session {
        &mut self.devices[index].session
    }

    /// HQ issues the next roster (same members) valid only until [`EXPIRED_AT_MS`], long
    /// past, and the devices `indices` import it with their clock at that time: they now hold
    /// an expired roster, as after months offline (so does HQ, which is never limited by it).
    /// The other devices keep the roster they hold. Returns its version.
    #[cfg(feature = "testing")]
    pub fn expire_roster(&mut self, indices: &[usize]) -> u64 {
        let validity = crate::team::Validity {
            not_before_ms: EXPIRED_AT_MS - crate::team::Validity::DAY_MS,
            not_after_ms: EXPIRED_AT_MS,
        };
        let issued = self.hq.session.issue_roster_valid_for(validity).expect("issue an expired roster");
        let roster = self.hq.session.roster_bytes().expect("roster");
        for index in indices {
            self.devices[*index].session.import_roster_at(&roster, None, EXPIRED_AT_MS).expect("import while it was valid");
        }
        issued.roster_version
    }
}

/// When the rosters of [`TestTeam::expire_roster`] ended: 1 January 2000, in ms since the Unix
/// epoch.
pub const EXPIRED_AT_MS: u64 = 946_684_800_000;

/// A bundle addressed from this device's roster to `recipient`, claiming `claimed_sender` as
/// its sender but signed by a fresh key that is on no roster: what a forger holding a
/// recipient's public key could make. The recipient must refuse it.
pub fn forged_bundle(session: &mut Session, recipient: &[u8; 16], claimed_sender: [u8; 16]) -> Vec<u8> {
    let identity = session.bundle_identity().expect("identity").expect("in a team");
    let member = identity.members.iter().find(|member| member.device_id.0 == *recipient).expect("recipient on roster");
    let forger = cairn_crypto::SigningSecretKey::generate();
    let sender = cairn_crypto::BundleSender { device_id: claimed_sender, signing: &forger, counter: u64::MAX };
    cairn_crypto::seal_bundle(&[member.agreement], &sender, &[]).expect("seal")
}

/// How an in-memory sync session between two sessions ended.
#[derive(Debug)]
pub enum PairOutcome {
    /// Both sides finished; their summaries (initiator's, then responder's).
    Done(cairn_sync::SyncSummary, cairn_sync::SyncSummary),
    /// The link was cut after this many delivered messages, as `cut_after` asked.
    Cut(usize),
}

/// Runs one sync session between two sessions in memory (`a` connects, `b` answers), passing
/// the engine's messages directly, as a live link would. With `cut_after`, the link drops after
/// that many delivered messages: whatever a side had applied stays, nothing half-applied.
/// Errors are the stable codes of either side.
pub fn sync_pair(a: &mut Session, b: &mut Session, cut_after: Option<usize>) -> Result<PairOutcome, String> {
    sync_pair_traffic(a, b, cut_after).map(|(outcome, _)| outcome)
}

/// [`sync_pair`], also returning every message that crossed the link, in order: the bytes a
/// network observer (or, inside the Noise channel, a peer) sees.
pub fn sync_pair_traffic(
    a: &mut Session,
    b: &mut Session,
    cut_after: Option<usize>,
) -> Result<(PairOutcome, Vec<Vec<u8>>), String> {
    use cairn_sync::{Initiator, Responder, Side, Step, SyncStore, SyncSummary};

    fn device(session: &mut Session) -> Result<[u8; 16], String> {
        let id = session.device_identity().map_err(|error| error.code().to_owned())?.device_id;
        crate::cases::parse_id(&id).map_err(|_| "device id".to_owned())
    }
    /// Feeds `inbox` to one side; returns what it sends (`None` once the link is cut).
    #[allow(clippy::too_many_arguments)]
    fn deliver<S: SyncStore<Error = CoreError>>(
        side: &mut Side,
        store: &mut S,
        inbox: Vec<Vec<u8>>,
        done: &mut Option<SyncSummary>,
        delivered: &mut usize,
        cut_after: Option<usize>,
        traffic: &mut Vec<Vec<u8>>,
    ) -> Result<Option<Vec<Vec<u8>>>, String> {
        let mut out = Vec::new();
        for message in inbox {
            if cut_after.is_some_and(|cut| *delivered >= cut) {
                return Ok(None);
            }
            *delivered += 1;
            traffic.push(message.clone());
            let mut step = side.receive(store, &message).map_err(|error| error.code().to_owned())?;
            loop {
                match step {
                    Step::Send(messages) => {
                        out.extend(messages);
                        break;
                    }
                    Step::SendAndResume(messages) => {
                        out.extend(messages);
                        step = side.resume(store).map_err(|error| error.code().to_owned())?;
                    }
                    Step::Wait => break,
                    Step::Done { send, summary } => {
                        out.extend(send);
                        *done = Some(summary);
                        break;
                    }
                }
            }
        }
        Ok(Some(out))
    }

    let (a_id, b_id) = (device(a)?, device(b)?);
    let mut a_store = a.sync_store().map_err(|error| error.code().to_owned())?;
    let mut b_store = b.sync_store().map_err(|error| error.code().to_owned())?;
    let (initiator, hello) = Initiator::start(&mut a_store, b_id).map_err(|error| error.code().to_owned())?;
    let (mut initiator, mut responder) = (Side::Initiator(initiator), Side::Responder(Responder::new(a_id)));
    let mut to_b = vec![hello];
    let (mut a_done, mut b_done, mut delivered) = (None, None, 0);
    let mut traffic = Vec::new();
    for _ in 0..10_000 {
        let inbox = std::mem::take(&mut to_b);
        let Some(to_a) = deliver(&mut responder, &mut b_store, inbox, &mut b_done, &mut delivered, cut_after, &mut traffic)?
        else {
            return Ok((PairOutcome::Cut(delivered), traffic));
        };
        let Some(sent) = deliver(&mut initiator, &mut a_store, to_a, &mut a_done, &mut delivered, cut_after, &mut traffic)?
        else {
            return Ok((PairOutcome::Cut(delivered), traffic));
        };
        to_b = sent;
        if to_b.is_empty() {
            return match (a_done, b_done) {
                (Some(a), Some(b)) => Ok((PairOutcome::Done(a, b), traffic)),
                _ => Err("stalled".to_owned()),
            };
        }
    }
    Err("did not finish".to_owned())
}

#[cfg(feature = "testing")]
pub use cairn_store::testing::KeyLoss;

/// Calls `probe` once, at the moment the session zeroizes its keys because it is being locked in
/// the middle of a write (an import stopped by [`crate::cases::Cancelled::locking_io_error`]),
/// before that write is rolled back.
#[cfg(feature = "testing")]
pub fn watch_key_loss(session: &mut Session, probe: impl FnMut(KeyLoss) + Send + 'static) {
    cairn_store::testing::watch_key_loss(session.vault_mut(), probe);
}

/// Every page of a session's `vault.db` and every frame of its WAL, decrypted with the vault's
/// K_db, read from disk while the session stays open (as the desktop app keeps it): what an
/// adversary with the disk and the passphrase can read, used or not.
#[cfg(feature = "testing")]
pub fn decrypted_vault_pages(session: &Session) -> Vec<cairn_store::testing::DecryptedPage> {
    cairn_store::testing::decrypted_pages(session.vault()).expect("decrypt the vault's pages")
}

/// Everything a case document holds as this vault stores it, opened with the case key: every
/// sealed chunk's plaintext, then the whole document with its history saved without
/// compression (so no value any change ever wrote can hide in a compressed column). What a
/// coerced worker's vault gives up about that document, and what every peer it synced with
/// holds.
#[cfg(feature = "testing")]
pub fn document_contents(
    session: &mut Session,
    case_id: &crate::cases::ObjectId,
    doc_id: &crate::cases::ObjectId,
) -> Vec<u8> {
    let records = session.vault_mut().read(|tx| tx.records(case_id, doc_id)).expect("read the document's chunks");
    let mut out: Vec<u8> = records.iter().flat_map(|record| record.plaintext.iter().copied()).collect();
    let mut doc = cairn_model::CaseDoc::load_partial(records.iter().map(|record| record.plaintext.as_slice()), "scan")
        .expect("load the document");
    out.extend_from_slice(&doc.history_bytes());
    out
}

/// The pre-enrollment identity sealing key exactly as the vault stores it (wrapped), while
/// it has one.
#[cfg(feature = "testing")]
pub fn identity_sealing_key(session: &mut Session) -> Option<Vec<u8>> {
    session.vault_mut().read(|tx| tx.identity_sealing_key()).expect("read").map(|record| record.wrapped)
}

/// The wrapped keys of a case exactly as the vault stores them (to look for their bytes in
/// raw pages after the case is deleted).
#[cfg(feature = "testing")]
pub fn wrapped_case_keys(session: &mut Session, case_id: &crate::cases::ObjectId) -> Vec<Vec<u8>> {
    session.vault_mut().read(|tx| tx.wrapped_case_keys(case_id)).expect("read the wrapped case keys")
}

/// The organisation's root key wrapped under K_dev exactly as the HQ vault stores it, or `None`
/// while it is kept offline (to look for its bytes in raw pages once it left the vault).
#[cfg(feature = "testing")]
pub fn wrapped_organisation_root(session: &mut Session) -> Option<Vec<u8>> {
    session.vault_mut().read(|tx| tx.organisation()).expect("read the organisation").and_then(|org| org.root_wrapped)
}

/// Every custody record of a case exactly as the vault stores it (to look for its signatures'
/// bytes in raw pages after the case is deleted).
#[cfg(feature = "testing")]
pub fn custody_records(session: &mut Session, case_id: &crate::cases::ObjectId) -> Vec<cairn_store::CustodyRow> {
    session.vault_mut().read(|tx| tx.case_custody(case_id)).expect("read the custody records")
}

/// One change envelope of `doc` as `session` (which holds the case key) sent or would send
/// it, opened and sealed again with its custody replaced by what `custody` makes of the one it
/// carried: what a device holding the case key could forge or strip.
#[cfg(feature = "testing")]
pub fn reseal_change(
    session: &mut Session,
    doc: &cairn_sync::DocRef,
    sealed: &cairn_sync::SealedChange,
    custody: impl FnOnce(Option<cairn_crypto::ChangeCustody>) -> Option<cairn_crypto::ChangeCustody>,
) -> cairn_sync::SealedChange {
    let (key, context, opened) = open_for_test(session, doc, sealed);
    let custody = custody(opened.custody);
    let resealed = cairn_crypto::seal_change(&key, &context, &opened.change, custody.as_ref()).expect("reseal");
    cairn_sync::SealedChange(resealed)
}

/// One change envelope of `doc` sealed again in format v1 (no custody), as a device running a
/// version from before custody sends it.
#[cfg(feature = "testing")]
pub fn reseal_change_v1(
    session: &mut Session,
    doc: &cairn_sync::DocRef,
    sealed: &cairn_sync::SealedChange,
) -> cairn_sync::SealedChange {
    let (key, context, opened) = open_for_test(session, doc, sealed);
    cairn_sync::SealedChange(cairn_crypto::test_vectors::seal_change_v1(&key, &context, &opened.change).expect("seal v1"))
}

#[cfg(feature = "testing")]
fn open_for_test(
    session: &mut Session,
    doc: &cairn_sync::DocRef,
    sealed: &cairn_sync::SealedChange,
) -> (cairn_crypto::CaseKey, cairn_crypto::ChangeContext, cairn_crypto::OpenedChange) {
    let key_id = cairn_crypto::change_key_id(&sealed.0).expect("key id");
    let key = session.vault_mut().read(|tx| tx.case_key_by_id(&doc.case_id, &key_id)).expect("read").expect("case key");
    let context = cairn_crypto::ChangeContext { case_id: doc.case_id, doc_id: doc.doc_id, key_id };
    let opened = cairn_crypto::open_change(&key, &context, &sealed.0).expect("open");
    (key, context, opened)
}

/// Rewrites the manifest of the folder evidence package `dir` with `edit` and signs it again
/// with `session`'s device key (the exporting device), so a test can plant exactly one defect
/// in a package whose signature still verifies.
pub fn resign_evidence_manifest(session: &mut Session, dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(crate::evidence::MANIFEST_FILE);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read the manifest")).expect("a JSON manifest");
    edit(&mut manifest);
    let mut bytes = serde_json::to_vec_pretty(&manifest).expect("serialise the manifest");
    bytes.push(b'\n');
    let identity = session.evidence_identity().expect("the device's identity");
    let signature = identity.signing.sign(cairn_crypto::SignaturePurpose::EvidenceManifest, &bytes);
    crate::files::write_atomically(&path, &bytes).expect("write the manifest");
    let signature = format!("{}\n", hex::encode(signature.to_bytes()));
    crate::files::write_atomically(&dir.join(crate::evidence::SIGNATURE_FILE), signature.as_bytes())
        .expect("write the signature");
}

/// Whether the vault still owes the erasure of something deleted (see
/// `cairn_store::Vault::erasure_pending`).
#[cfg(feature = "testing")]
pub fn erasure_pending(session: &Session) -> bool {
    session.vault().erasure_pending()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::Standing;

    #[test]
    fn a_team_is_enrolled_and_every_device_holds_the_latest_roster() {
        let mut team = TestTeam::new(2);
        team.enroll(Role::Coordinator, "coordinator");
        let hq_version = team.hq.session.roster().expect("roster").expect("some").version;
        for device in &mut team.devices {
            let view = device.session.roster().expect("roster").expect("some");
            assert_eq!(view.version, hq_version, "{}", device.name);
            assert_eq!(view.members.len(), 4, "HQ and three devices");
            assert!(matches!(view.standing, Standing::Member(_)));
        }
        team.revoke(0);
        let view = team.device(1).roster().expect("roster").expect("some");
        assert_eq!(view.members.len(), 3, "the revoked device is no longer a member");
        let (vault, session) = session();
        session.lock();
        vault.reopen().lock();
    }
}
