//! Device identity, organisation, enrollment, roster and revocation (DESIGN §6).
//!
//! Every vault gets a device identity (Ed25519 + X25519, wrapped under K_dev) when it is
//! created. The HQ vault additionally holds the organisation's root and intake keys. The
//! rules (what a roster must satisfy, who may be enrolled or revoked) live in `cairn-team`;
//! this module reads the vault, asks `cairn-team`, and writes the outcome in one
//! transaction, or nothing at all when the answer is a refusal.
//!
//! Writes use optimistic concurrency: the roster version read before deciding is the one
//! replaced (compare-and-swap), so two processes importing at once cannot interleave.

use std::{collections::BTreeMap, num::NonZeroU16};

use cairn_crypto::{
    AgreementKeyUse, AgreementPublicKey, AgreementSecretKey, DeviceWrapKey, Fingerprint, SigningKeyUse, SigningPublicKey,
    SigningSecretKey, TeamKey,
};
use cairn_store::{DeviceIdentityRecord, IdentitySealingKeyRecord, OrganisationRecord, PinRecord, RosterRecord, Vault};
use cairn_team::{DeviceId, DeviceKeys, DeviceView, EnrollmentRequest, OrgId, Pin, Roster, Tombstone};
pub use cairn_team::{HandoverPurge, Role, Standing, TeamError, Validity};

use crate::{CoreError, Session};

pub mod root;

/// Largest roster file worth reading (a bigger one is refused before it is read whole).
pub const MAX_ROSTER_FILE_LEN: usize = cairn_team::MAX_ROSTER_LEN;
/// Largest enrollment request file worth reading (binary or text form).
pub const MAX_REQUEST_FILE_LEN: usize = cairn_team::MAX_REQUEST_TEXT_LEN;

/// This device's identity, safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// Device id (32 hex digits).
    pub device_id: String,
    /// Fingerprint of the device's keys, to compare in person at enrollment.
    pub fingerprint: String,
    /// Fingerprint of the organisation this device trusts, once pinned.
    pub organisation_fingerprint: Option<String>,
}

/// An enrollment request, ready to hand to HQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRequestFile {
    /// The binary request (for a file).
    pub bytes: Vec<u8>,
    /// The same request as text, for a QR code (`CAIRN-ENROLL1:…`).
    pub text: String,
    /// The device fingerprint HQ must see on this device's screen.
    pub fingerprint: String,
    /// The device id.
    pub device_id: String,
}

/// What HQ sees of a request before enrolling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentPreview {
    /// The requesting device's id.
    pub device_id: String,
    /// Its fingerprint, to compare with its screen.
    pub fingerprint: String,
    /// The name it asked for.
    pub requested_name: String,
}

/// A new organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationCreated {
    /// Organisation id (32 hex digits).
    pub org_id: String,
    /// The organisation fingerprint every device confirms at its first roster import.
    pub fingerprint: String,
    /// The first roster's version (1).
    pub roster_version: u64,
}

/// The outcome of an enrollment or revocation at HQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterIssued {
    /// The device enrolled or revoked.
    pub device_id: String,
    /// The new roster's version.
    pub roster_version: u64,
    /// The new roster's team key epoch.
    pub epoch: u32,
}

/// The outcome of a roster import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterImported {
    /// The roster version now held.
    pub roster_version: u64,
    /// Its team key epoch.
    pub epoch: u32,
    /// The organisation fingerprint.
    pub organisation_fingerprint: String,
    /// Whether this import pinned the organisation.
    pub first_pin: bool,
    /// Whether the roster came from the organisation's next root key, which the pin follows
    /// from now on (root rotation: the organisation fingerprint changed).
    pub rotated_root: bool,
    /// This device's standing on the roster.
    pub standing: Standing,
}

/// One member, as `roster show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// Device id.
    pub device_id: String,
    /// Name, if this device holds the current team key (names are sealed under it).
    pub name: Option<String>,
    /// Role.
    pub role: Role,
    /// Device fingerprint.
    pub fingerprint: String,
}

/// One revoked device, as `roster show` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedView {
    /// Device id.
    pub device_id: String,
    /// Name, if this device holds the current team key.
    pub name: Option<String>,
    /// The roster version that revoked it.
    pub revoked_at: u64,
    /// Device fingerprint.
    pub fingerprint: String,
}

/// The roster this device holds, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterView {
    /// Organisation id.
    pub org_id: String,
    /// Organisation name, if this device holds the current team key.
    pub organisation_name: Option<String>,
    /// Organisation fingerprint.
    pub organisation_fingerprint: String,
    /// Roster version.
    pub version: u64,
    /// Current team key epoch.
    pub epoch: u32,
    /// The epochs whose team key this device holds.
    pub held_epochs: Vec<u32>,
    /// This device's id.
    pub this_device: String,
    /// This device's standing.
    pub standing: Standing,
    /// Whether this vault holds the organisation's keys.
    pub is_hq_vault: bool,
    /// Members, by device id.
    pub members: Vec<MemberView>,
    /// Revoked devices, by device id.
    pub revoked: Vec<RevokedView>,
    /// The roster's format version (1 for a roster issued before v2; it then carries the
    /// default policy below).
    pub format_version: u8,
    /// What a field device does with a case after HQ's handover receipt.
    pub handover_purge: HandoverPurge,
    /// The roles whose devices may read sealed identity fields (HQ always among them).
    pub identity_readers: Vec<Role>,
    /// The roster is not accepted before this instant (ms since the Unix epoch), if bounded.
    pub valid_from_ms: Option<u64>,
    /// The roster is not accepted after this instant (ms since the Unix epoch), if bounded.
    pub valid_until_ms: Option<u64>,
    /// Whether HQ has committed to its next root key (pre-rotation).
    pub next_root_committed: bool,
}

/// How long before its roster ends a device warns (7 days): time for a worker in hiding to
/// arrange a sync with HQ or to receive a newer roster from a team member. A roster issued for
/// a shorter period is announced as expiring soon from the start.
pub const ROSTER_EXPIRY_WARNING_MS: u64 = 7 * Validity::DAY_MS;

/// Where the roster this device holds stands at a given time (see [`Session::roster_expiry`]).
///
/// HQ issues every roster valid for a number of days from its issue when it has set a validity
/// (see [`Session::set_roster_validity`]). Once the roster a device holds has expired, the
/// device exchanges cases only with HQ devices; with any other member only the roster moves,
/// so a device that stayed offline for months learns of revocations before it shares anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterExpiry {
    /// No roster, a roster without an end, or one that ends more than
    /// [`ROSTER_EXPIRY_WARNING_MS`] from now.
    Valid,
    /// The roster ends at `at` (ms since the Unix epoch), within [`ROSTER_EXPIRY_WARNING_MS`].
    ExpiresSoon {
        /// When it ends.
        at: u64,
    },
    /// The roster ended at `at` (ms since the Unix epoch): until a newer one arrives, this
    /// device syncs cases only with HQ devices (an HQ vault itself is never limited).
    Expired {
        /// When it ended.
        at: u64,
    },
}

impl RosterExpiry {
    /// Stable machine-readable name: `valid`, `expires_soon` or `expired`.
    pub fn code(&self) -> &'static str {
        match self {
            RosterExpiry::Valid => "valid",
            RosterExpiry::ExpiresSoon { .. } => "expires_soon",
            RosterExpiry::Expired { .. } => "expired",
        }
    }

    /// The standing of a roster valid for `validity` at `now_ms`.
    fn of(validity: Validity, now_ms: u64) -> RosterExpiry {
        let at = validity.not_after_ms;
        if !validity.is_bounded() {
            RosterExpiry::Valid
        } else if now_ms > at {
            RosterExpiry::Expired { at }
        } else if at - now_ms <= ROSTER_EXPIRY_WARNING_MS {
            RosterExpiry::ExpiresSoon { at }
        } else {
            RosterExpiry::Valid
        }
    }
}

/// Called once right after a vault is created, inside `create_vault`: gives the vault its
/// device identity.
pub(crate) fn on_vault_created(session: &mut Session) -> Result<(), CoreError> {
    ensure_identity(session.vault_mut())?;
    Ok(())
}

/// Reads an enrollment request (binary or `CAIRN-ENROLL1:` text), verifies its
/// self-signature and shows what HQ must compare. Needs no vault.
pub fn read_enrollment_request(contents: &[u8]) -> Result<EnrollmentPreview, CoreError> {
    let request = EnrollmentRequest::from_file_contents(contents)?;
    let keys = request.keys();
    Ok(EnrollmentPreview {
        device_id: keys.device_id.to_string(),
        fingerprint: keys.fingerprint().to_string(),
        requested_name: request.requested_name().to_owned(),
    })
}

/// The organisation fingerprint a roster claims, to show before a first import. Only a
/// person comparing it with HQ's makes it trustworthy. Needs no vault.
pub fn preview_roster_fingerprint(bytes: &[u8]) -> Result<String, CoreError> {
    Ok(cairn_team::preview_fingerprint(bytes)?.to_string())
}

impl Session {
    /// This device's id and fingerprints.
    pub fn device_identity(&mut self) -> Result<DeviceIdentity, CoreError> {
        let vault = self.vault_mut();
        let keys = ensure_identity(vault)?;
        let pin = vault.read(|tx| tx.team_pin())?.map(pin_from_record).transpose()?;
        Ok(DeviceIdentity {
            device_id: keys.device_id.to_string(),
            fingerprint: keys.fingerprint().to_string(),
            organisation_fingerprint: pin.map(|pin| pin.fingerprint().to_string()),
        })
    }

    /// A self-signed enrollment request for this device.
    pub fn enrollment_request(&mut self, requested_name: &str) -> Result<EnrollmentRequestFile, CoreError> {
        let vault = self.vault_mut();
        ensure_identity(vault)?;
        let identity = load_identity(vault)?;
        let bytes =
            EnrollmentRequest::create(identity.keys.device_id, &identity.signing, &identity.keys.agreement, requested_name)?;
        Ok(EnrollmentRequestFile {
            text: EnrollmentRequest::to_text(&bytes),
            bytes,
            fingerprint: identity.keys.fingerprint().to_string(),
            device_id: identity.keys.device_id.to_string(),
        })
    }

    /// Makes this vault the HQ of a new organisation: root and intake keys, team key epoch
    /// 1, and roster version 1 listing this device with role `hq`.
    pub fn create_organisation(&mut self, org_name: &str, hq_device_name: &str) -> Result<OrganisationCreated, CoreError> {
        let org_id = OrgId(cairn_crypto::random_id());
        let root = SigningSecretKey::generate();
        self.create_organisation_with(org_id, &root, true, org_name, hq_device_name)
    }

    /// [`Session::create_organisation`] with the organisation id and root key given; with
    /// `keep_root` false the vault never holds the root key (it lives in a root key file).
    pub(crate) fn create_organisation_with(
        &mut self,
        org_id: OrgId,
        root: &SigningSecretKey,
        keep_root: bool,
        org_name: &str,
        hq_device_name: &str,
    ) -> Result<OrganisationCreated, CoreError> {
        let vault = self.vault_mut();
        ensure_identity(vault)?;
        let identity = load_identity(vault)?;
        let (organisation, pin, roster) =
            vault.read(|tx| Ok((tx.organisation()?.is_some(), tx.team_pin()?, tx.roster()?)))?;
        if organisation || pin.is_some() || roster.is_some() {
            return Err(TeamError::AlreadyInOrganisation.into());
        }
        let intake = AgreementSecretKey::generate();
        let team_key = TeamKey::generate();
        let roster =
            cairn_team::org::genesis(org_id, root, intake.public_key(), &team_key, identity.keys, org_name, hq_device_name)?;
        let k_dev = vault.device_wrap_key()?;
        let record = OrganisationRecord {
            org_id: org_id.0,
            root_public: root.public_key().to_bytes(),
            intake_public: intake.public_key().to_bytes(),
            root_wrapped: keep_root.then(|| root.wrap(&k_dev, SigningKeyUse::OrganisationRoot, &org_id.0)),
            intake_wrapped: intake.wrap(&k_dev, AgreementKeyUse::OrganisationIntake, &org_id.0),
        };
        let pin = roster.pin();
        let wrapped_team_key = team_key.wrap(&k_dev, &org_id.0, roster.epoch());
        vault.transaction(|tx| {
            tx.insert_organisation(&record)?;
            tx.insert_team_pin(&pin_record(&pin))?;
            tx.replace_roster(None, &roster_record(&roster))?;
            tx.insert_team_key(&org_id.0, roster.epoch(), &wrapped_team_key)
        })?;
        // Identity fields typed before the organisation existed move from this vault's own
        // key to the intake key, and the own key is destroyed.
        self.settle_identity_sealing()?;
        Ok(OrganisationCreated {
            org_id: org_id.to_string(),
            fingerprint: pin.fingerprint().to_string(),
            roster_version: roster.version(),
        })
    }

    /// HQ: enrolls the device of `request_contents` (binary or text) with `role` and `name`.
    /// `confirmed_fingerprint` is the device fingerprint as read from the device's screen by
    /// the person at HQ; a mismatch refuses the request.
    pub fn enroll_device(
        &mut self,
        request_contents: &[u8],
        role: Role,
        name: &str,
        confirmed_fingerprint: &str,
    ) -> Result<RosterIssued, CoreError> {
        let request = EnrollmentRequest::from_file_contents(request_contents)?;
        let confirmed = Fingerprint::parse(confirmed_fingerprint).map_err(|_| TeamError::MalformedFingerprint)?;
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        let next = cairn_team::org::enroll(
            &hq.roster,
            &hq.team_key,
            &hq.held_earlier(),
            &hq.root,
            &request,
            &confirmed,
            role,
            name,
            hq.validity,
        )?;
        vault.transaction(|tx| tx.replace_roster(Some(hq.roster.version()), &roster_record(&next)))?;
        Ok(RosterIssued {
            device_id: request.keys().device_id.to_string(),
            roster_version: next.version(),
            epoch: next.epoch(),
        })
    }

    /// HQ: revokes a device (32 hex digits). The new roster rotates the team key: a new
    /// epoch, sealed to the remaining members only, carrying every earlier epoch's key HQ holds
    /// sealed under it (so a device enrolled later reads what was shared before).
    pub fn revoke_device(&mut self, device_id: &str) -> Result<RosterIssued, CoreError> {
        let device = DeviceId::parse_hex(device_id)?;
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        let new_team_key = TeamKey::generate();
        let next = cairn_team::org::revoke(
            &hq.roster,
            &hq.team_key,
            &hq.held_earlier(),
            &new_team_key,
            &hq.root,
            device,
            hq.device_id,
            hq.validity,
        )?;
        let wrapped = new_team_key.wrap(&vault.device_wrap_key()?, &next.org_id().0, next.epoch());
        vault.transaction(|tx| {
            tx.replace_roster(Some(hq.roster.version()), &roster_record(&next))?;
            tx.insert_team_key(&next.org_id().0, next.epoch(), &wrapped)?;
            // HQ's own cases get new keys too, like every member's on the new epoch.
            tx.rotate_case_keys()?;
            Ok(())
        })?;
        Ok(RosterIssued { device_id: device.to_string(), roster_version: next.version(), epoch: next.epoch() })
    }

    /// HQ: sets which roles may read sealed identity fields (HQ always may: it reads through
    /// the intake key). The next roster carries it; from then on a device seals new identity
    /// values to HQ and to every member with one of these roles. Values written before keep
    /// the recipients they were sealed to (a policy change affects new writes only).
    pub fn set_identity_readers(&mut self, roles: &[Role]) -> Result<RosterIssued, CoreError> {
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        let mut readers = roles.to_vec();
        readers.push(Role::Hq);
        let policy = cairn_team::RosterPolicy {
            identity_readers: cairn_team::RoleSet::of(&readers),
            validity: hq.validity,
            ..*hq.roster.policy()
        };
        let next = cairn_team::org::set_policy(&hq.roster, &hq.team_key, &hq.held_earlier(), &hq.root, policy)?;
        vault.transaction(|tx| tx.replace_roster(Some(hq.roster.version()), &roster_record(&next)))?;
        Ok(RosterIssued { device_id: hq.device_id.to_string(), roster_version: next.version(), epoch: next.epoch() })
    }

    /// HQ: issues the next roster with `purge` as what field devices do with a case once HQ's
    /// receipt covers it (keep it, purge it at once, or purge it after N days). Devices apply
    /// it once they hold the new roster.
    pub fn set_handover_purge(&mut self, purge: HandoverPurge) -> Result<RosterIssued, CoreError> {
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        let policy = cairn_team::RosterPolicy { handover_purge: purge, validity: hq.validity, ..*hq.roster.policy() };
        let next = cairn_team::org::set_policy(&hq.roster, &hq.team_key, &hq.held_earlier(), &hq.root, policy)?;
        vault.transaction(|tx| tx.replace_roster(Some(hq.roster.version()), &roster_record(&next)))?;
        Ok(RosterIssued { device_id: hq.device_id.to_string(), roster_version: next.version(), epoch: next.epoch() })
    }

    /// HQ: how many days each roster HQ issues is valid for, from its issue (`None`: rosters
    /// do not expire). See [`Session::set_roster_validity`].
    pub fn roster_validity_days(&mut self) -> Result<Option<NonZeroU16>, CoreError> {
        let vault = self.vault_mut();
        let (organisation, days) = vault.read(|tx| Ok((tx.organisation()?, tx.roster_validity_days()?)))?;
        organisation.ok_or(TeamError::NotOrganisation)?;
        Ok(days.and_then(NonZeroU16::new))
    }

    /// HQ: makes every roster HQ issues from now on (enrollment, revocation, policy change,
    /// [`Session::reissue_roster`]) valid for `days` days from its issue by HQ's clock (and
    /// from a day before, for devices whose clock is behind: `Validity::for_days`), or, with
    /// `None`, without an end; and issues the next roster so at once (same members and policy).
    /// A device warns in the last [`ROSTER_EXPIRY_WARNING_MS`] and, once its roster has
    /// expired, syncs cases only with HQ devices until a newer roster arrives.
    pub fn set_roster_validity(&mut self, days: Option<NonZeroU16>) -> Result<RosterIssued, CoreError> {
        self.issue_same_roster(Some(days))
    }

    /// HQ: issues the next roster with the same members and policy and a validity period that
    /// starts now (see [`Session::set_roster_validity`]): what HQ hands to devices to renew a
    /// roster before it expires.
    pub fn reissue_roster(&mut self) -> Result<RosterIssued, CoreError> {
        self.issue_same_roster(None)
    }

    /// The next roster, same members and policy, valid from now by the setting (after
    /// changing it to `setting` when given), written with the setting in one transaction.
    fn issue_same_roster(&mut self, setting: Option<Option<NonZeroU16>>) -> Result<RosterIssued, CoreError> {
        let (vault, offline_root) = self.hq_parts();
        let mut hq = load_hq(vault, offline_root)?;
        if let Some(days) = setting {
            hq.validity = validity_for(days, issue_time());
        }
        let policy = cairn_team::RosterPolicy { validity: hq.validity, ..*hq.roster.policy() };
        let next = cairn_team::org::set_policy(&hq.roster, &hq.team_key, &hq.held_earlier(), &hq.root, policy)?;
        vault.transaction(|tx| {
            if let Some(days) = setting {
                tx.set_roster_validity_days(days.map(NonZeroU16::get))?;
            }
            tx.replace_roster(Some(hq.roster.version()), &roster_record(&next))
        })?;
        Ok(RosterIssued { device_id: hq.device_id.to_string(), roster_version: next.version(), epoch: next.epoch() })
    }

    /// Where the roster this device holds stands at `now_ms` (the caller's clock, ms since the
    /// Unix epoch): valid, expiring within [`ROSTER_EXPIRY_WARNING_MS`], or expired
    /// ([`RosterExpiry::Valid`] without a roster). Front ends warn on the last two.
    pub fn roster_expiry(&mut self, now_ms: u64) -> Result<RosterExpiry, CoreError> {
        let (_, roster) = load_pin_and_roster(self.vault_mut())?;
        Ok(roster.map_or(RosterExpiry::Valid, |roster| RosterExpiry::of(roster.policy().validity, now_ms)))
    }

    /// Whether a sync with `peer` at `now_ms` is limited to the roster: the roster this device
    /// holds has expired, this vault is not HQ's, and `peer` is not an HQ device on that roster.
    /// Then no case, key, deletion or attachment moves either way; a newer roster still does.
    pub fn sync_limited_with(&mut self, peer: &[u8; 16], now_ms: u64) -> Result<bool, CoreError> {
        let (_, roster) = load_pin_and_roster(self.vault_mut())?;
        let Some(roster) = roster else { return Ok(false) };
        if !matches!(RosterExpiry::of(roster.policy().validity, now_ms), RosterExpiry::Expired { .. }) {
            return Ok(false);
        }
        if self.is_hq_vault()? {
            return Ok(false);
        }
        Ok(roster.member(DeviceId(*peer)).is_none_or(|member| member.role != Role::Hq))
    }

    /// The signed roster this vault holds, to write to a file and carry to devices.
    pub fn roster_bytes(&mut self) -> Result<Vec<u8>, CoreError> {
        let record = self.vault_mut().read(|tx| tx.roster())?.ok_or(TeamError::NoRoster)?;
        Ok(record.bytes)
    }

    /// Imports a roster, all or nothing. The first import pins the organisation and needs
    /// `confirmed_fingerprint` (the organisation fingerprint as compared in person with
    /// HQ); later ones accept only that organisation's rosters with a higher version (a given
    /// fingerprint is then checked against the pin), within the roster's validity period by
    /// this device's clock. The current epoch's team key and every earlier epoch's key the
    /// roster carries are kept, each wrapped under this vault's own key; one that differs from
    /// a key already held for its epoch refuses the roster. A refusal leaves the vault
    /// unchanged.
    pub fn import_roster(&mut self, bytes: &[u8], confirmed_fingerprint: Option<&str>) -> Result<RosterImported, CoreError> {
        // The clock is read here, not in cairn-team: verification stays a pure function.
        let now_ms = u64::try_from(crate::cases::now_ms()).unwrap_or(0);
        self.import_roster_with_clock(bytes, confirmed_fingerprint, now_ms)
    }

    /// [`Session::import_roster`] with the device's clock at `now_ms`.
    fn import_roster_with_clock(
        &mut self,
        bytes: &[u8],
        confirmed_fingerprint: Option<&str>,
        now_ms: u64,
    ) -> Result<RosterImported, CoreError> {
        let vault = self.vault_mut();
        ensure_identity(vault)?;
        let identity = load_identity(vault)?;
        let (pin, current) = load_pin_and_roster(vault)?;
        let view = DeviceView { keys: identity.keys, pin, current: current.as_ref(), now_ms };
        let accepted = cairn_team::accept_roster(&view, &identity.agreement, bytes, confirmed_fingerprint)?;
        let org_id = accepted.roster.org_id().0;
        let epoch = accepted.roster.epoch();
        let k_dev = vault.device_wrap_key()?;
        let held = held_team_keys(vault, &org_id)?;
        accepted.check_held_keys(|epoch| held.get(&epoch))?;
        // Every key the roster gave this device that it does not hold yet: the current epoch's
        // and the earlier ones (a device enrolled late learns them all here).
        let opened = accepted.team_key.iter().map(|key| (epoch, key));
        let earlier = accepted.earlier_team_keys.iter().map(|(epoch, key)| (*epoch, key));
        let new_keys: Vec<(u32, Vec<u8>)> = opened
            .chain(earlier)
            .filter(|(epoch, _)| !held.contains_key(epoch))
            .map(|(epoch, key)| (epoch, key.wrap(&k_dev, &org_id, epoch)))
            .collect();
        let previous = current.as_ref().map(Roster::version);
        // A new epoch (a revocation): every case gets a new key, so nothing written from now on
        // is readable with the keys a revoked device holds.
        let new_epoch = current.as_ref().is_some_and(|current| current.epoch() != epoch);
        vault.transaction(|tx| {
            tx.replace_roster(previous, &roster_record(&accepted.roster))?;
            if new_epoch {
                tx.rotate_case_keys()?;
            }
            if accepted.first_pin {
                tx.insert_team_pin(&pin_record(&accepted.pin))?;
            } else if accepted.rotated_root {
                tx.replace_team_pin(&pin_record(&accepted.pin))?;
            }
            for (epoch, wrapped) in &new_keys {
                tx.insert_team_key(&org_id, *epoch, wrapped)?;
            }
            Ok(())
        })?;
        if accepted.first_pin {
            // Enrollment: identity fields typed before it are resealed to HQ (and the roster's
            // identity readers) and this vault's own sealing key is destroyed. If this fails,
            // the next unlock does it; the roster is kept either way.
            self.settle_identity_sealing()?;
        }
        Ok(RosterImported {
            roster_version: accepted.roster.version(),
            epoch,
            organisation_fingerprint: accepted.pin.fingerprint().to_string(),
            first_pin: accepted.first_pin,
            rotated_root: accepted.rotated_root,
            standing: accepted.standing,
        })
    }

    /// The roster this device holds, or `None` before the first import.
    pub fn roster(&mut self) -> Result<Option<RosterView>, CoreError> {
        let vault = self.vault_mut();
        let keys = ensure_identity(vault)?;
        let (pin, roster) = load_pin_and_roster(vault)?;
        let (Some(pin), Some(roster)) = (pin, roster) else { return Ok(None) };
        let org_id = roster.org_id().0;
        let (held_epochs, wrapped, is_hq_vault) = vault.read(|tx| {
            Ok((tx.team_key_epochs(&org_id)?, tx.team_key(&org_id, roster.epoch())?, tx.organisation()?.is_some()))
        })?;
        let k_dev = vault.device_wrap_key()?;
        let team_key = wrapped
            .map(|wrapped| TeamKey::unwrap(&k_dev, &org_id, roster.epoch(), &wrapped))
            .transpose()
            .map_err(damaged("team key"))?;
        let name = |id: DeviceId| team_key.as_ref().and_then(|key| roster.device_name(id, key).ok());
        let policy = *roster.policy();
        let standing = match (roster.member(keys.device_id), roster.revocation(keys.device_id)) {
            (Some(member), _) => Standing::Member(member.role),
            (None, Some(revocation)) => Standing::Revoked { at: revocation.revoked_at },
            (None, None) => return Err(CoreError::VaultDamaged("stored roster")),
        };
        Ok(Some(RosterView {
            org_id: roster.org_id().to_string(),
            organisation_name: team_key.as_ref().and_then(|key| roster.org_name(key).ok()),
            organisation_fingerprint: pin.fingerprint().to_string(),
            version: roster.version(),
            epoch: roster.epoch(),
            held_epochs,
            this_device: keys.device_id.to_string(),
            standing,
            is_hq_vault,
            members: roster
                .members()
                .iter()
                .map(|m| MemberView {
                    device_id: m.keys.device_id.to_string(),
                    name: name(m.keys.device_id),
                    role: m.role,
                    fingerprint: m.keys.fingerprint().to_string(),
                })
                .collect(),
            revoked: roster
                .revocations()
                .iter()
                .map(|r| RevokedView {
                    device_id: r.keys.device_id.to_string(),
                    name: name(r.keys.device_id),
                    revoked_at: r.revoked_at,
                    fingerprint: r.keys.fingerprint().to_string(),
                })
                .collect(),
            format_version: roster.format_version(),
            handover_purge: policy.handover_purge,
            identity_readers: policy.identity_readers.roles(),
            valid_from_ms: (policy.validity.not_before_ms != Validity::ALWAYS.not_before_ms)
                .then_some(policy.validity.not_before_ms),
            valid_until_ms: (policy.validity.not_after_ms != Validity::ALWAYS.not_after_ms)
                .then_some(policy.validity.not_after_ms),
            next_root_committed: policy.next_root.is_some(),
        }))
    }

    /// The signed deletion of `case_id` by this device, if it is a member of a team (outside a
    /// team a deletion is local only: no peer holds the case).
    pub(crate) fn sign_tombstone(&mut self, case_id: &[u8; 16]) -> Result<Option<Vec<u8>>, CoreError> {
        let vault = self.vault_mut();
        let (Some(pin), Some(_)) = load_pin_and_roster(vault)? else { return Ok(None) };
        let identity = load_identity(vault)?;
        Ok(Some(Tombstone::sign(pin.org_id, *case_id, identity.keys.device_id, &identity.signing).to_bytes()))
    }

    /// A tombstone from a peer, checked against the roster this device holds: it must be
    /// signed by a current member of this organisation.
    pub(crate) fn verify_tombstone(&mut self, bytes: &[u8]) -> Result<Tombstone, CoreError> {
        let tombstone = Tombstone::from_bytes(bytes)?;
        let (_, roster) = load_pin_and_roster(self.vault_mut())?;
        tombstone.verify(&roster.ok_or(TeamError::NoRoster)?)?;
        Ok(tombstone)
    }

    /// For a live link: the current epoch, this device's agreement key, the organisation id,
    /// the other current members (agreement key, id, fingerprint) and the revoked devices'
    /// agreement keys; `None` before the first roster.
    #[allow(clippy::type_complexity)]
    pub(crate) fn live_link_identity(
        &mut self,
    ) -> Result<
        Option<(
            u32,
            AgreementSecretKey,
            [u8; 16],
            Vec<(AgreementPublicKey, [u8; 16], Fingerprint)>,
            Vec<AgreementPublicKey>,
        )>,
        CoreError,
    > {
        let vault = self.vault_mut();
        let (Some(pin), Some(roster)) = load_pin_and_roster(vault)? else { return Ok(None) };
        let identity = load_identity(vault)?;
        let members = roster
            .members()
            .iter()
            .filter(|member| member.keys.device_id != identity.keys.device_id)
            .map(|member| (member.keys.agreement, member.keys.device_id.0, member.keys.fingerprint()))
            .collect();
        let revoked = roster.revocations().iter().map(|revocation| revocation.keys.agreement).collect();
        Ok(Some((roster.epoch(), identity.agreement, pin.org_id.0, members, revoked)))
    }

    /// For store-and-forward bundles: this device's keys, the roster's members (their public
    /// keys) and the revoked devices' ids, and the key file names are derived under (K_dev);
    /// `None` before the first roster.
    pub(crate) fn bundle_identity(&mut self) -> Result<Option<BundleIdentity>, CoreError> {
        let vault = self.vault_mut();
        let (Some(_), Some(roster)) = load_pin_and_roster(vault)? else { return Ok(None) };
        let identity = load_identity(vault)?;
        Ok(Some(BundleIdentity {
            device_id: identity.keys.device_id.0,
            signing: identity.signing,
            agreement: identity.agreement,
            members: roster.members().iter().map(|member| member.keys).collect(),
            revoked: roster.revocations().iter().map(|revocation| revocation.keys.device_id.0).collect(),
            name_key: vault.device_wrap_key()?,
        }))
    }

    /// What handover needs (the organisation, the roster, this device's id and signing key,
    /// whether this vault is HQ's); `None` before the first roster.
    pub(crate) fn handover_keys(&mut self) -> Result<Option<HandoverKeys>, CoreError> {
        let vault = self.vault_mut();
        let (Some(pin), Some(roster)) = load_pin_and_roster(vault)? else { return Ok(None) };
        let identity = load_identity(vault)?;
        let is_hq = vault.read(|tx| Ok(tx.organisation()?.is_some()))?;
        Ok(Some(HandoverKeys {
            org_id: pin.org_id,
            roster,
            device_id: identity.keys.device_id,
            signing: identity.signing,
            is_hq,
        }))
    }

    /// This device's signing key, to sign the changes it writes (chain of custody). Every
    /// vault has one from its creation (an older vault gets it here).
    pub(crate) fn change_signer(&mut self) -> Result<crate::cases::ChangeSigner, CoreError> {
        let vault = self.vault_mut();
        // Every save asks for the signer: one read, and only the signing key (the agreement
        // key's parsing, a scalar multiplication, was 3 % of a typing save; issue 14).
        let (device_id, record) = match vault.read(|tx| Ok((tx.device_id()?, tx.device_identity()?)))? {
            (device_id, Some(record)) => (device_id, record),
            (device_id, None) => {
                ensure_identity(vault)?;
                let record =
                    vault.read(|tx| tx.device_identity())?.ok_or(CoreError::VaultDamaged("device identity missing"))?;
                (device_id, record)
            }
        };
        let signing =
            SigningSecretKey::unwrap(&vault.device_wrap_key()?, SigningKeyUse::Device, &device_id, &record.signing_wrapped)
                .map_err(damaged("device identity"))?;
        // The unwrapped key must be the one the identity names (a well-formed key by
        // construction, so its bytes are compared without parsing the stored ones).
        if signing.public_key().to_bytes() != record.signing_public {
            return Err(CoreError::VaultDamaged("device identity"));
        }
        Ok(crate::cases::ChangeSigner::new(device_id, signing))
    }

    /// Every device whose signature on a change this vault can check: the roster's members and
    /// revoked devices (with the version that revoked them and, if this device reads names,
    /// their names), and this device itself (its own changes before it joined a team).
    pub(crate) fn custody_signers(&mut self) -> Result<BTreeMap<[u8; 16], crate::cases::KnownSigner>, CoreError> {
        let own = ensure_identity(self.vault_mut())?;
        let (_, roster) = load_pin_and_roster(self.vault_mut())?;
        let mut known = BTreeMap::new();
        known.insert(own.device_id.0, crate::cases::KnownSigner { key: own.signing, revoked_at: None, name: None });
        let Some(roster) = roster else { return Ok(known) };
        let team_key = self.held_team_key(roster.epoch())?;
        let name = |id: DeviceId| team_key.as_ref().and_then(|key| roster.device_name(id, key).ok());
        for member in roster.members() {
            let signer =
                crate::cases::KnownSigner { key: member.keys.signing, revoked_at: None, name: name(member.keys.device_id) };
            known.insert(member.keys.device_id.0, signer);
        }
        for revocation in roster.revocations() {
            let id = revocation.keys.device_id;
            let signer = crate::cases::KnownSigner {
                key: revocation.keys.signing,
                revoked_at: Some(revocation.revoked_at),
                name: name(id),
            };
            known.insert(id.0, signer);
        }
        Ok(known)
    }

    /// What an evidence package needs of this vault: this device's public keys and signing
    /// key, and the roster it holds (re-verified under the pin), if any.
    pub(crate) fn evidence_identity(&mut self) -> Result<EvidenceIdentity, CoreError> {
        let vault = self.vault_mut();
        ensure_identity(vault)?;
        let (_, roster) = load_pin_and_roster(vault)?;
        let identity = load_identity(vault)?;
        Ok(EvidenceIdentity { keys: identity.keys, signing: identity.signing, roster })
    }

    /// Whether this vault holds the organisation's keys (HQ).
    pub(crate) fn is_hq_vault(&mut self) -> Result<bool, CoreError> {
        Ok(self.vault_mut().read(|tx| Ok(tx.organisation()?.is_some()))?)
    }

    /// The team key of `epoch`, if this device holds it (for sync and case sharing).
    pub(crate) fn held_team_key(&mut self, epoch: u32) -> Result<Option<TeamKey>, CoreError> {
        let vault = self.vault_mut();
        let Some(pin) = vault.read(|tx| tx.team_pin())? else { return Ok(None) };
        let wrapped = vault.read(|tx| tx.team_key(&pin.org_id, epoch))?;
        let k_dev = vault.device_wrap_key()?;
        wrapped.map(|wrapped| TeamKey::unwrap(&k_dev, &pin.org_id, epoch, &wrapped)).transpose().map_err(damaged("team key"))
    }
}

#[cfg(feature = "testing")]
impl Session {
    /// Test support (feature `testing`): HQ issues the next roster (same members and policy)
    /// valid exactly for `validity`, which may lie wholly in the past (what a device that
    /// stayed offline for months holds), whatever HQ's setting.
    pub fn issue_roster_valid_for(&mut self, validity: Validity) -> Result<RosterIssued, CoreError> {
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        let policy = cairn_team::RosterPolicy { validity, ..*hq.roster.policy() };
        let next = cairn_team::org::set_policy(&hq.roster, &hq.team_key, &hq.held_earlier(), &hq.root, policy)?;
        vault.transaction(|tx| tx.replace_roster(Some(hq.roster.version()), &roster_record(&next)))?;
        Ok(RosterIssued { device_id: hq.device_id.to_string(), roster_version: next.version(), epoch: next.epoch() })
    }

    /// Test support (feature `testing`): [`Session::import_roster`] with the device's clock at
    /// `now_ms`, to hold a roster that was valid when it arrived and has expired since.
    pub fn import_roster_at(
        &mut self,
        bytes: &[u8],
        confirmed_fingerprint: Option<&str>,
        now_ms: u64,
    ) -> Result<RosterImported, CoreError> {
        self.import_roster_with_clock(bytes, confirmed_fingerprint, now_ms)
    }

    /// Test support (feature `testing`): HQ re-issues the roster it holds, under the next
    /// version, in the old format v1 that HQ no longer writes, so tests can prove that devices
    /// holding v1 rosters still import them and move on to v2. Refused for a roster whose
    /// policy v1 cannot carry. The outcome names HQ's own device.
    pub fn reissue_roster_as_v1(&mut self) -> Result<RosterIssued, CoreError> {
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        let mut draft = cairn_team::RosterDraft::open(&hq.roster, &hq.team_key)?;
        draft.version = hq.roster.version().checked_add(1).ok_or(TeamError::RosterFull)?;
        let next = draft.seal_and_sign_v1(&hq.team_key, &hq.root)?;
        vault.transaction(|tx| tx.replace_roster(Some(hq.roster.version()), &roster_record(&next)))?;
        Ok(RosterIssued { device_id: hq.device_id.to_string(), roster_version: next.version(), epoch: next.epoch() })
    }
}

/// The keys of identity sealing (`cases/identity.rs`): who a new value is sealed to and what
/// this vault opens values with. In an organisation: HQ's intake key and every current member
/// whose role the policy names as an identity reader (HQ-role members read through the
/// intake key); opened with the intake key (HQ's vault), this device's agreement key, and a
/// pre-enrollment key not yet destroyed. Outside one: the pre-enrollment key, created here
/// when `for_write` and the vault has none.
pub(crate) fn identity_keys(vault: &mut Vault, for_write: bool) -> Result<crate::cases::IdentityKeys, CoreError> {
    ensure_identity(vault)?;
    let (_, roster) = load_pin_and_roster(vault)?;
    let identity = load_identity(vault)?;
    let k_dev = vault.device_wrap_key()?;
    let device_id = identity.keys.device_id.0;
    let (organisation, mut local) = vault.read(|tx| Ok((tx.organisation()?, tx.identity_sealing_key()?)))?;
    if local.is_none() && roster.is_none() && for_write {
        let key = AgreementSecretKey::generate();
        let record = IdentitySealingKeyRecord {
            public: key.public_key().to_bytes(),
            wrapped: key.wrap(&k_dev, AgreementKeyUse::PreEnrollmentSealing, &device_id),
        };
        vault.transaction(|tx| tx.insert_identity_sealing_key(&record))?;
        local = Some(record);
    }
    let pre_enrollment = local
        .map(|record| {
            let key = AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::PreEnrollmentSealing, &device_id, &record.wrapped)
                .map_err(damaged("identity sealing key"))?;
            if key.public_key().to_bytes() != record.public {
                return Err(CoreError::VaultDamaged("identity sealing key"));
            }
            Ok(key)
        })
        .transpose()?;
    let recipients = match &roster {
        Some(roster) => {
            let readers = roster.policy().identity_readers;
            let mut recipients = vec![roster.intake()];
            for member in roster.members() {
                if member.role != Role::Hq && readers.contains(member.role) && !recipients.contains(&member.keys.agreement) {
                    recipients.push(member.keys.agreement);
                }
            }
            recipients
        }
        None => pre_enrollment.iter().map(AgreementSecretKey::public_key).collect(),
    };
    let mut openers = Vec::new();
    if let Some(organisation) = organisation {
        let intake = AgreementSecretKey::unwrap(
            &k_dev,
            AgreementKeyUse::OrganisationIntake,
            &organisation.org_id,
            &organisation.intake_wrapped,
        )
        .map_err(damaged("organisation keys"))?;
        if intake.public_key().to_bytes() != organisation.intake_public {
            return Err(CoreError::VaultDamaged("organisation keys"));
        }
        openers.push(intake);
    }
    openers.push(identity.agreement);
    Ok(crate::cases::IdentityKeys { recipients, openers, pre_enrollment })
}

pub(crate) fn damaged(what: &'static str) -> impl Fn(cairn_crypto::CryptoError) -> CoreError {
    move |_| CoreError::VaultDamaged(what)
}

/// What bundles need of this device's identity and roster (see `Session::bundle_identity`);
/// secrets zeroize on drop.
pub(crate) struct BundleIdentity {
    /// This device's id.
    pub(crate) device_id: [u8; 16],
    /// Its signing key (signs bundle manifests).
    pub(crate) signing: SigningSecretKey,
    /// Its agreement key (opens its stanza).
    pub(crate) agreement: AgreementSecretKey,
    /// The roster's current members.
    pub(crate) members: Vec<DeviceKeys>,
    /// The roster's revoked devices.
    pub(crate) revoked: Vec<[u8; 16]>,
    /// K_dev, under which bundle file names are derived.
    pub(crate) name_key: DeviceWrapKey,
}

/// This device's private keys, unwrapped for one operation and zeroized on drop.
/// What handover needs from the team (see [`Session::handover_keys`]).
pub(crate) struct HandoverKeys {
    pub(crate) org_id: cairn_team::OrgId,
    pub(crate) roster: Roster,
    pub(crate) device_id: DeviceId,
    pub(crate) signing: SigningSecretKey,
    pub(crate) is_hq: bool,
}

/// This device's identity and roster, for signing an evidence package (see
/// [`Session::evidence_identity`]); the signing key is zeroized when dropped.
pub(crate) struct EvidenceIdentity {
    /// This device's id and public keys.
    pub(crate) keys: DeviceKeys,
    /// Its signing key.
    pub(crate) signing: SigningSecretKey,
    /// The roster held, if the vault belongs to an organisation.
    pub(crate) roster: Option<Roster>,
}

struct Identity {
    keys: DeviceKeys,
    signing: SigningSecretKey,
    agreement: AgreementSecretKey,
}

/// The identity's public part, creating the identity first if the vault has none (a vault
/// created before device identities existed).
fn ensure_identity(vault: &mut Vault) -> Result<DeviceKeys, CoreError> {
    let (device_id, record) = vault.read(|tx| Ok((tx.device_id()?, tx.device_identity()?)))?;
    let device_id = DeviceId(device_id);
    if let Some(record) = record {
        return public_keys(device_id, &record);
    }
    let signing = SigningSecretKey::generate();
    let agreement = AgreementSecretKey::generate();
    let k_dev = vault.device_wrap_key()?;
    let record = DeviceIdentityRecord {
        signing_public: signing.public_key().to_bytes(),
        agreement_public: agreement.public_key().to_bytes(),
        signing_wrapped: signing.wrap(&k_dev, SigningKeyUse::Device, &device_id.0),
        agreement_wrapped: agreement.wrap(&k_dev, AgreementKeyUse::Device, &device_id.0),
    };
    vault.transaction(|tx| tx.insert_device_identity(&record))?;
    public_keys(device_id, &record)
}

fn public_keys(device_id: DeviceId, record: &DeviceIdentityRecord) -> Result<DeviceKeys, CoreError> {
    Ok(DeviceKeys {
        device_id,
        signing: SigningPublicKey::from_bytes(record.signing_public).map_err(damaged("device identity"))?,
        agreement: AgreementPublicKey::from_bytes(record.agreement_public).map_err(damaged("device identity"))?,
    })
}

fn load_identity(vault: &mut Vault) -> Result<Identity, CoreError> {
    let (device_id, record) = vault.read(|tx| Ok((tx.device_id()?, tx.device_identity()?)))?;
    let record = record.ok_or(CoreError::VaultDamaged("device identity missing"))?;
    let keys = public_keys(DeviceId(device_id), &record)?;
    let k_dev: DeviceWrapKey = vault.device_wrap_key()?;
    let signing = SigningSecretKey::unwrap(&k_dev, SigningKeyUse::Device, &device_id, &record.signing_wrapped)
        .map_err(damaged("device identity"))?;
    let agreement = AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::Device, &device_id, &record.agreement_wrapped)
        .map_err(damaged("device identity"))?;
    if signing.public_key() != keys.signing || agreement.public_key() != keys.agreement {
        return Err(CoreError::VaultDamaged("device identity"));
    }
    Ok(Identity { keys, signing, agreement })
}

fn pin_from_record(record: PinRecord) -> Result<Pin, CoreError> {
    Ok(Pin {
        org_id: OrgId(record.org_id),
        root: SigningPublicKey::from_bytes(record.root_public).map_err(damaged("pinned organisation"))?,
    })
}

pub(crate) fn pin_record(pin: &Pin) -> PinRecord {
    PinRecord { org_id: pin.org_id.0, root_public: pin.root.to_bytes() }
}

pub(crate) fn roster_record(roster: &Roster) -> RosterRecord {
    RosterRecord { version: roster.version(), epoch: roster.epoch(), bytes: roster.to_bytes().to_vec() }
}

/// The pin and the roster held, the roster re-verified under the pin (so a roster damaged
/// or planted in the database is reported, not trusted).
pub(crate) fn load_pin_and_roster(vault: &mut Vault) -> Result<(Option<Pin>, Option<Roster>), CoreError> {
    let (pin, record) = vault.read(|tx| Ok((tx.team_pin()?, tx.roster()?)))?;
    let pin = pin.map(pin_from_record).transpose()?;
    let roster = match (&pin, record) {
        (Some(pin), Some(record)) => {
            let roster = Roster::parse(&record.bytes, Some(pin)).map_err(|_| CoreError::VaultDamaged("stored roster"))?;
            if roster.version() != record.version || roster.epoch() != record.epoch {
                return Err(CoreError::VaultDamaged("stored roster"));
            }
            Some(roster)
        }
        (None, None) => None,
        _ => return Err(CoreError::VaultDamaged("stored roster")),
    };
    Ok((pin, roster))
}

/// Every team key this vault holds for the organisation, by epoch, unwrapped for one operation
/// (zeroized when dropped).
fn held_team_keys(vault: &mut Vault, org_id: &[u8; 16]) -> Result<BTreeMap<u32, TeamKey>, CoreError> {
    let k_dev = vault.device_wrap_key()?;
    let wrapped = vault.read(|tx| {
        tx.team_key_epochs(org_id)?
            .into_iter()
            .map(|epoch| Ok((epoch, tx.team_key(org_id, epoch)?)))
            .collect::<Result<Vec<_>, _>>()
    })?;
    wrapped
        .into_iter()
        .filter_map(|(epoch, wrapped)| wrapped.map(|wrapped| (epoch, wrapped)))
        .map(|(epoch, wrapped)| {
            TeamKey::unwrap(&k_dev, org_id, epoch, &wrapped).map(|key| (epoch, key)).map_err(damaged("team key"))
        })
        .collect()
}

/// The root key HQ signs with: unwrapped from the vault, or opened from a root key file for
/// this session.
pub(crate) enum RootKey<'a> {
    /// Kept in the vault, wrapped under K_dev.
    Held(SigningSecretKey),
    /// Kept offline; opened for this session.
    Offline(&'a SigningSecretKey),
}

impl std::ops::Deref for RootKey<'_> {
    type Target = SigningSecretKey;

    fn deref(&self) -> &SigningSecretKey {
        match self {
            RootKey::Held(key) => key,
            RootKey::Offline(key) => key,
        }
    }
}

/// Everything HQ needs to issue the next roster.
pub(crate) struct HqState<'a> {
    pub(crate) device_id: DeviceId,
    pub(crate) root: RootKey<'a>,
    pub(crate) roster: Roster,
    pub(crate) team_key: TeamKey,
    /// The keys of the epochs before the roster's, as this vault holds them: a roster issued
    /// before v2 does not carry them, so HQ's vault is where they come from.
    pub(crate) earlier: BTreeMap<u32, TeamKey>,
    /// The validity period of a roster issued now, by HQ's setting.
    pub(crate) validity: Validity,
}

impl HqState<'_> {
    pub(crate) fn held_earlier(&self) -> Vec<(u32, &TeamKey)> {
        self.earlier.iter().map(|(epoch, key)| (*epoch, key)).collect()
    }
}

/// HQ's state with its root key: from the vault, or `offline_root` (opened from a root key
/// file) when the vault keeps it offline ([`TeamError::RootOffline`] without one).
pub(crate) fn load_hq<'a>(vault: &mut Vault, offline_root: Option<&'a SigningSecretKey>) -> Result<HqState<'a>, CoreError> {
    load_hq_signing_with(vault, |organisation, k_dev| match (&organisation.root_wrapped, offline_root) {
        (Some(wrapped), _) => {
            let root = SigningSecretKey::unwrap(k_dev, SigningKeyUse::OrganisationRoot, &organisation.org_id, wrapped)
                .map_err(damaged("organisation keys"))?;
            if root.public_key().to_bytes() != organisation.root_public {
                return Err(CoreError::VaultDamaged("organisation keys"));
            }
            Ok(RootKey::Held(root))
        }
        // The session's key was checked against the organisation's when it was opened; a
        // rotation since then replaced it in the same step.
        (None, Some(root)) if root.public_key().to_bytes() == organisation.root_public => Ok(RootKey::Offline(root)),
        (None, _) => Err(TeamError::RootOffline.into()),
    })
}

/// HQ's state with the root key `root` chooses from the organisation record.
pub(crate) fn load_hq_signing_with<'a>(
    vault: &mut Vault,
    root: impl FnOnce(&OrganisationRecord, &DeviceWrapKey) -> Result<RootKey<'a>, CoreError>,
) -> Result<HqState<'a>, CoreError> {
    let (device_id, organisation) = vault.read(|tx| Ok((tx.device_id()?, tx.organisation()?)))?;
    let organisation = organisation.ok_or(TeamError::NotOrganisation)?;
    let (pin, roster) = load_pin_and_roster(vault)?;
    let roster = roster.ok_or(CoreError::VaultDamaged("organisation roster missing"))?;
    if pin.map(|pin| (pin.org_id.0, pin.root.to_bytes())) != Some((organisation.org_id, organisation.root_public)) {
        return Err(CoreError::VaultDamaged("organisation keys"));
    }
    let root = root(&organisation, &vault.device_wrap_key()?)?;
    let mut earlier = held_team_keys(vault, &organisation.org_id)?;
    let team_key = earlier.remove(&roster.epoch()).ok_or(CoreError::VaultDamaged("team key missing"))?;
    earlier.retain(|epoch, _| *epoch < roster.epoch());
    let days = vault.read(|tx| tx.roster_validity_days())?.and_then(NonZeroU16::new);
    let validity = validity_for(days, issue_time());
    Ok(HqState { device_id: DeviceId(device_id), root, roster, team_key, earlier, validity })
}

/// HQ's clock when it issues a roster, in ms since the Unix epoch.
pub(crate) fn issue_time() -> u64 {
    u64::try_from(crate::cases::now_ms()).unwrap_or(0)
}

/// The validity period of a roster issued at `now_ms` under the setting `days`.
pub(crate) fn validity_for(days: Option<NonZeroU16>, now_ms: u64) -> Validity {
    days.map_or(Validity::ALWAYS, |days| Validity::for_days(now_ms, days))
}

#[cfg(test)]
mod tests {
    use cairn_crypto::{CaseKey, RecordContext, TeamCaseKeyContext, open_record, seal_record};

    use super::*;
    use crate::testing::TestVault;

    /// A test vault's folder (kept alive while its session is used).
    type Place = TestVault;

    fn new_vault() -> (Place, Session) {
        TestVault::create()
    }

    fn reopen(place: &Place) -> Session {
        place.reopen()
    }

    fn hq() -> (Place, Session, String) {
        let (place, mut session) = new_vault();
        let created = session.create_organisation("Yalu support", "HQ").expect("org init");
        (place, session, created.fingerprint)
    }

    /// Enrolls a new device vault at `hq` and imports the resulting roster on it.
    fn enrolled_device(hq: &mut Session, hq_fingerprint: &str, role: Role, name: &str) -> (Place, Session) {
        let (place, mut device) = new_vault();
        let request = device.enrollment_request("").expect("request");
        hq.enroll_device(request.text.as_bytes(), role, name, &request.fingerprint).expect("enroll");
        device.import_roster(&hq.roster_bytes().expect("roster"), Some(hq_fingerprint)).expect("import");
        (place, device)
    }

    /// Everything team-related a vault holds, to prove a refusal changed nothing.
    fn state(session: &mut Session) -> (Option<RosterView>, Vec<u8>) {
        let bytes = session.roster_bytes().unwrap_or_default();
        (session.roster().expect("roster"), bytes)
    }

    fn refused(session: &mut Session, bytes: &[u8], confirmed: Option<&str>) -> TeamError {
        let before = state(session);
        let outcome = session.import_roster(bytes, confirmed);
        assert_eq!(state(session), before, "a refused import changed the vault");
        match outcome {
            Err(CoreError::Team(error)) => error,
            other => panic!("expected a team refusal, got {other:?}"),
        }
    }

    #[test]
    fn every_vault_has_a_stable_device_identity_from_creation() {
        let (place, mut session) = new_vault();
        let identity = session.device_identity().expect("identity");
        assert_eq!(identity.device_id, session.status().expect("status").device_id);
        assert_eq!(identity.fingerprint.len(), 35);
        assert_eq!(identity.organisation_fingerprint, None);
        session.lock();
        let mut again = reopen(&place);
        assert_eq!(again.device_identity().expect("identity"), identity);
        let request = again.enrollment_request("laptop").expect("request");
        let preview = read_enrollment_request(&request.bytes).expect("preview");
        assert_eq!(
            (preview.fingerprint.as_str(), preview.device_id.as_str()),
            (identity.fingerprint.as_str(), identity.device_id.as_str())
        );
        assert_eq!(preview.requested_name, "laptop");
        assert_eq!(again.roster().expect("roster"), None);
        assert!(matches!(again.roster_bytes(), Err(CoreError::Team(TeamError::NoRoster))));
    }

    #[test]
    fn the_hq_vault_is_a_device_with_role_hq_and_cannot_found_twice() {
        let (place, mut hq, fingerprint) = hq();
        let view = hq.roster().expect("roster").expect("some");
        assert!(view.is_hq_vault);
        assert_eq!((view.version, view.epoch, view.held_epochs.clone()), (1, 1, vec![1]));
        assert_eq!(view.standing, Standing::Member(Role::Hq));
        assert_eq!(view.organisation_name.as_deref(), Some("Yalu support"));
        assert_eq!(view.organisation_fingerprint, fingerprint);
        assert_eq!(view.members.len(), 1);
        assert_eq!(view.members[0].name.as_deref(), Some("HQ"));
        assert!(matches!(hq.create_organisation("again", "HQ"), Err(CoreError::Team(TeamError::AlreadyInOrganisation))));
        hq.lock();
        // The organisation keys survive locking: HQ can still enroll after reopening.
        let mut hq = reopen(&place);
        let (_p, mut device) = enrolled_device(&mut hq, &fingerprint, Role::Coordinator, "코디");
        let view = device.roster().expect("roster").expect("some");
        assert_eq!(view.standing, Standing::Member(Role::Coordinator));
        assert!(!view.is_hq_vault);
        assert_eq!(device.device_identity().expect("identity").organisation_fingerprint, Some(fingerprint));
        // A field device is not HQ.
        assert!(matches!(device.revoke_device(&view.this_device), Err(CoreError::Team(TeamError::NotOrganisation))));
        assert!(matches!(device.create_organisation("mine", "HQ"), Err(CoreError::Team(TeamError::AlreadyInOrganisation))));
    }

    #[test]
    fn refused_rosters_leave_the_vault_unchanged() {
        let (_hp, mut hq, fingerprint) = hq();
        let (_dp, mut device) = enrolled_device(&mut hq, &fingerprint, Role::Field, "field 1");
        let (_op, mut other_hq, other_fingerprint) = self::hq();
        let (_ep, _extra) = enrolled_device(&mut hq, &fingerprint, Role::Field, "field 2");
        let good = hq.roster_bytes().expect("roster");
        // Bad signature.
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x20;
        assert_eq!(refused(&mut device, &bad, None), TeamError::BadRosterSignature);
        // Truncated.
        assert_eq!(refused(&mut device, &good[..good.len() / 2], None), TeamError::Truncated { what: "roster" });
        // Another organisation (that enrolled a copy of this device's request).
        let request = device.enrollment_request("").expect("request");
        other_hq.enroll_device(&request.bytes, Role::Field, "copy", &request.fingerprint).expect("enroll");
        let foreign = other_hq.roster_bytes().expect("roster");
        assert_eq!(refused(&mut device, &foreign, None), TeamError::WrongOrganisation);
        assert_eq!(refused(&mut device, &foreign, Some(&other_fingerprint)), TeamError::WrongOrganisation);
        // The genuine roster imports; then replaying it (or the older one) is refused.
        let old = device.roster_bytes().expect("roster");
        device.import_roster(&good, None).expect("import");
        assert_eq!(refused(&mut device, &good, None), TeamError::Replay);
        assert_eq!(refused(&mut device, &old, None), TeamError::Replay);
        // A stranger's vault refuses a roster without it, and a first import needs the fingerprint.
        let (_sp, mut stranger) = new_vault();
        assert_eq!(refused(&mut stranger, &good, None), TeamError::FingerprintRequired);
        assert_eq!(refused(&mut stranger, &good, Some(&other_fingerprint)), TeamError::FingerprintMismatch);
        assert_eq!(refused(&mut stranger, &good, Some(&fingerprint)), TeamError::NotOnRoster);
        assert_eq!(preview_roster_fingerprint(&good).expect("preview"), fingerprint);
    }

    #[test]
    fn enrollment_needs_the_matching_fingerprint_and_a_valid_self_signature() {
        let (_hp, mut hq, _) = hq();
        let (_dp, mut device) = new_vault();
        let request = device.enrollment_request("").expect("request");
        let other = new_vault().1.device_identity().expect("identity").fingerprint;
        let before = hq.roster_bytes().expect("roster");
        assert!(matches!(
            hq.enroll_device(&request.bytes, Role::Field, "n", &other),
            Err(CoreError::Team(TeamError::FingerprintMismatch))
        ));
        assert!(matches!(
            hq.enroll_device(&request.bytes, Role::Field, "n", "123"),
            Err(CoreError::Team(TeamError::MalformedFingerprint))
        ));
        let mut forged = request.bytes.clone();
        forged[60] ^= 0x01; // inside the agreement key: the self-signature no longer matches
        assert!(matches!(
            hq.enroll_device(&forged, Role::Field, "n", &request.fingerprint),
            Err(CoreError::Team(TeamError::BadRequestSignature | TeamError::Malformed { .. }))
        ));
        let mut resigned = request.bytes.clone();
        let at = resigned.len() - 1;
        resigned[at] ^= 0x01;
        assert!(matches!(
            hq.enroll_device(&resigned, Role::Field, "n", &request.fingerprint),
            Err(CoreError::Team(TeamError::BadRequestSignature))
        ));
        assert_eq!(hq.roster_bytes().expect("roster"), before, "refused enrollments leave the roster as it was");
        hq.enroll_device(&request.bytes, Role::Field, "n", &request.fingerprint).expect("enroll");
        assert!(matches!(
            hq.enroll_device(&request.bytes, Role::Field, "n", &request.fingerprint),
            Err(CoreError::Team(TeamError::AlreadyEnrolled))
        ));
    }

    #[test]
    fn fifty_device_vaults_enrolled_one_revoked_every_remaining_device_imports_the_new_roster() {
        let (_hp, mut hq, fingerprint) = hq();
        let mut devices: Vec<(Place, Session)> = Vec::with_capacity(50);
        for i in 0..50 {
            devices.push(enrolled_device(&mut hq, &fingerprint, Role::Field, &format!("field {i}")));
        }
        let latest = hq.roster_bytes().expect("roster");
        for (_, device) in devices.iter_mut() {
            if device.roster().expect("roster").map(|view| view.version) != Some(51) {
                device.import_roster(&latest, None).expect("catch up");
            }
        }
        let revoked_id = devices[23].1.device_identity().expect("identity").device_id;
        let issued = hq.revoke_device(&revoked_id).expect("revoke");
        assert_eq!((issued.roster_version, issued.epoch), (52, 2));
        let after = hq.roster_bytes().expect("roster");
        // HQ shares a case under the new epoch.
        let hq_key = hq.held_team_key(2).expect("read").expect("epoch 2");
        let org_id = cairn_team::Roster::parse(&after, None).expect("parse").org_id().0;
        let sharing = TeamCaseKeyContext { org_id, case_id: [0xca; 16], key_version: 1 };
        let case_key = CaseKey::generate();
        let shared = hq_key.wrap_case_key(2, &sharing, &case_key);
        let record_context = RecordContext { case_id: [0xca; 16], doc_id: [1; 16], chunk_id: 0, key_version: 1 };
        let record = seal_record(&case_key, &record_context, "증언 testimony".as_bytes()).expect("seal");
        let mut remaining = 0;
        for (i, (_, device)) in devices.iter_mut().enumerate() {
            let imported = device.import_roster(&after, None).expect("every device accepts the authentic roster");
            let view = device.roster().expect("roster").expect("some");
            if i == 23 {
                assert_eq!(imported.standing, Standing::Revoked { at: 52 });
                assert_eq!(view.held_epochs, vec![1]);
                assert!(device.held_team_key(2).expect("read").is_none());
                let old = device.held_team_key(1).expect("read").expect("epoch 1");
                assert!(old.unwrap_case_key(2, &sharing, &shared).is_err(), "the revoked device opened the new epoch");
                assert_eq!(view.organisation_name, None, "names under the new epoch are sealed from it");
            } else {
                assert_eq!(imported.standing, Standing::Member(Role::Field));
                assert_eq!(view.held_epochs, vec![1, 2]);
                let key = device.held_team_key(2).expect("read").expect("epoch 2");
                let opened = key.unwrap_case_key(2, &sharing, &shared).expect("unwrap");
                assert_eq!(&*open_record(&opened, &record_context, &record).expect("open"), "증언 testimony".as_bytes());
                assert_eq!(view.revoked.len(), 1);
                assert_eq!(view.revoked[0].device_id, revoked_id);
                assert_eq!(view.revoked[0].name.as_deref(), Some("field 23"));
                remaining += 1;
            }
        }
        assert_eq!(remaining, 49);
    }
}
