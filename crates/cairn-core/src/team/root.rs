//! HQ's root key kept offline, and its rotation (issue 12, item 6; DESIGN §6).
//!
//! The root key signs every roster. Kept in HQ's everyday vault, it is as exposed as that
//! vault; so HQ may keep it in a root key file instead (`cairn_crypto::RootKeyFile`: sealed
//! under its own passphrase, on a stick in a safe) and open it only for the session that
//! issues a roster. And HQ prepares the *next* root key the same way before it is needed:
//! the roster commits to its hash (pre-rotation), devices refuse any roster under the current
//! root that changes or drops the commitment, and when the current key is lost or stolen the
//! committed one takes over ([`Session::rotate_root`]): every device holding a roster with the
//! commitment accepts the rotated roster and moves its pin; rosters the old key signs are
//! refused from then on. A device that never received the commitment is re-pinned in person
//! (a fresh first import), the last resort.
//!
//! Every step that would lose a key if a file were not written takes the written file back
//! and opens it first: the vault forgets its copy of the root only once the file in hand
//! opens to it, and a roster commits only to a key whose file opens.

use std::time::Duration;

use cairn_crypto::{KdfParams, KdfProfile, RootKeyFile, SigningSecretKey};
use cairn_team::{OrgId, TeamError};
use secrecy::{ExposeSecret, SecretString};

use super::{
    OrganisationCreated, RootKey, RosterIssued, load_hq, load_hq_signing_with, load_pin_and_roster, pin_record,
    roster_record,
};
use crate::{CoreError, Session, check_new_passphrase};

/// How long opening a real root key file takes on the machine that writes it (Argon2id
/// calibrated like a vault's, at the slow end: the file is opened rarely).
const ROOT_FILE_KDF_TARGET: Duration = Duration::from_secs(1);

/// Where the organisation's root key is, as HQ sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootStatus {
    /// Whether the vault holds the root key (`false`: kept offline in a root key file).
    pub in_vault: bool,
    /// Whether a root key file was opened for this session.
    pub opened_for_session: bool,
    /// Whether the roster commits to a next root key.
    pub next_committed: bool,
    /// The organisation fingerprint (changes with a rotation).
    pub fingerprint: String,
}

impl Session {
    /// HQ: where the root key is.
    pub fn root_status(&mut self) -> Result<RootStatus, CoreError> {
        let (organisation, pin, roster) = self.organisation_and_roster()?;
        Ok(RootStatus {
            in_vault: organisation.root_wrapped.is_some(),
            opened_for_session: self.offline_root.is_some(),
            next_committed: roster.policy().next_root.is_some(),
            fingerprint: pin.fingerprint().to_string(),
        })
    }

    /// HQ: a new organisation whose root key never enters this vault: `file` is a root key
    /// file from [`Session::new_organisation_root_file`], already written where it is kept,
    /// opened here with `passphrase`. From then on every roster is issued with the file
    /// opened for the session ([`Session::open_root_file`]).
    pub fn create_organisation_with_root_file(
        &mut self,
        file: &[u8],
        passphrase: &SecretString,
        org_name: &str,
        hq_device_name: &str,
    ) -> Result<OrganisationCreated, CoreError> {
        let (org_id, root) = open_file(file, passphrase)?;
        let created = self.create_organisation_with(OrgId(org_id), &root, false, org_name, hq_device_name)?;
        self.offline_root = Some(root);
        Ok(created)
    }

    /// A root key file for a new organisation (a fresh organisation id and root key), sealed
    /// under `passphrase`, for [`Session::create_organisation_with_root_file`]. Write it
    /// where it will be kept before creating the organisation with it.
    pub fn new_organisation_root_file(&mut self, passphrase: &SecretString) -> Result<Vec<u8>, CoreError> {
        check_new_passphrase(passphrase.expose_secret())?;
        if self.vault_mut().read(|tx| tx.organisation())?.is_some() {
            return Err(TeamError::AlreadyInOrganisation.into());
        }
        self.seal_root_file(&cairn_crypto::random_id(), &SigningSecretKey::generate(), passphrase)
    }

    /// HQ: opens the root key file for this session (until the vault is locked), when the
    /// vault keeps the root offline. Refused for a file of another key
    /// ([`TeamError::WrongRootKey`]: the next root key, say, before it took over) or one that
    /// does not open ([`TeamError::RootFileLocked`]).
    pub fn open_root_file(&mut self, file: &[u8], passphrase: &SecretString) -> Result<(), CoreError> {
        let (organisation, _, _) = self.organisation_and_roster()?;
        let (org_id, root) = open_file(file, passphrase)?;
        if org_id != organisation.org_id || root.public_key().to_bytes() != organisation.root_public {
            return Err(TeamError::WrongRootKey.into());
        }
        self.offline_root = Some(root);
        Ok(())
    }

    /// HQ: the root key this vault holds, sealed in a root key file under `passphrase`, to
    /// write where it will be kept and then hand to [`Session::take_root_offline`].
    pub fn export_root_file(&mut self, passphrase: &SecretString) -> Result<Vec<u8>, CoreError> {
        check_new_passphrase(passphrase.expose_secret())?;
        let insecure = self.status()?.insecure_kdf;
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        seal_root_file(insecure, &hq.roster.org_id().0, &hq.root, passphrase)
    }

    /// HQ: the vault forgets the root key. `written` is the root key file as written (read
    /// back from where it is kept) and must open with `passphrase` to exactly this root key,
    /// so the key is never lost; the session keeps it open until it is locked. The commit
    /// checkpoints the WAL, so no database page or frame keeps the wrapped key; a copy an SSD
    /// kept of an older page is beyond the vault's reach (README, the team section).
    pub fn take_root_offline(&mut self, written: &[u8], passphrase: &SecretString) -> Result<(), CoreError> {
        let (organisation, _, _) = self.organisation_and_roster()?;
        if organisation.root_wrapped.is_none() {
            return Ok(());
        }
        let (org_id, root) = open_file(written, passphrase)?;
        if org_id != organisation.org_id || root.public_key().to_bytes() != organisation.root_public {
            return Err(TeamError::WrongRootKey.into());
        }
        self.vault_mut().transaction(|tx| tx.set_offline_organisation_root(&organisation.root_public))?;
        self.offline_root = Some(root);
        Ok(())
    }

    /// HQ: a fresh root key sealed in a root key file under `passphrase`, for this
    /// organisation: the next root key ([`Session::commit_next_root`]) or the one after it
    /// ([`Session::rotate_root`]). Write it where it will be kept first; it is used only once
    /// it is read back.
    pub fn new_root_file(&mut self, passphrase: &SecretString) -> Result<Vec<u8>, CoreError> {
        check_new_passphrase(passphrase.expose_secret())?;
        let (organisation, _, _) = self.organisation_and_roster()?;
        self.seal_root_file(&organisation.org_id, &SigningSecretKey::generate(), passphrase)
    }

    /// HQ: issues the next roster committing to the root key in `next_file` (opened with
    /// `passphrase`, so a file that cannot be opened later is never committed to). Once a
    /// commitment is made, no roster under the current root may change it.
    pub fn commit_next_root(&mut self, next_file: &[u8], passphrase: &SecretString) -> Result<RosterIssued, CoreError> {
        let (org_id, next) = open_file(next_file, passphrase)?;
        let (vault, offline_root) = self.hq_parts();
        let hq = load_hq(vault, offline_root)?;
        if org_id != hq.roster.org_id().0 {
            return Err(TeamError::WrongRootKey.into());
        }
        let issued = cairn_team::org::commit_next_root(
            &hq.roster,
            &hq.team_key,
            &hq.held_earlier(),
            &hq.root,
            &next.public_key(),
            hq.validity,
        )?;
        vault.transaction(|tx| tx.replace_roster(Some(hq.roster.version()), &roster_record(&issued)))?;
        Ok(RosterIssued { device_id: hq.device_id.to_string(), roster_version: issued.version(), epoch: issued.epoch() })
    }

    /// HQ: root rotation. The key in `next_file` (the one the roster committed to) signs the
    /// next roster (same members, epoch and policy), which commits in turn to the key in
    /// `following_file`; the vault's pin and organisation move to the new key, kept offline
    /// (the vault forgets any root it held: the old one is retired, possibly stolen). Needs
    /// neither the old root key nor its file: that is the point when it was lost. Every
    /// device that holds the committed roster accepts the rotated one.
    pub fn rotate_root(
        &mut self,
        next_file: &[u8],
        next_passphrase: &SecretString,
        following_file: &[u8],
        following_passphrase: &SecretString,
    ) -> Result<RosterIssued, CoreError> {
        let (next_org, next) = open_file(next_file, next_passphrase)?;
        let (following_org, following) = open_file(following_file, following_passphrase)?;
        // The rotation is signed by the new key, so HQ's state is loaded with it as the root
        // (the team keys and settings are the vault's either way).
        let vault = self.vault_mut();
        let hq = load_hq_signing_with(vault, |_, _| Ok(RootKey::Offline(&next)))?;
        let roster = &hq.roster;
        if next_org != roster.org_id().0 || following_org != roster.org_id().0 {
            return Err(TeamError::WrongRootKey.into());
        }
        let rotated = cairn_team::org::rotate_root(
            roster,
            &hq.team_key,
            &hq.held_earlier(),
            &next,
            &following.public_key(),
            hq.validity,
        )?;
        let pin = rotated.pin();
        vault.transaction(|tx| {
            tx.replace_roster(Some(roster.version()), &roster_record(&rotated))?;
            tx.set_offline_organisation_root(&pin.root.to_bytes())?;
            tx.replace_team_pin(&pin_record(&pin))
        })?;
        let issued =
            RosterIssued { device_id: hq.device_id.to_string(), roster_version: rotated.version(), epoch: rotated.epoch() };
        drop(hq);
        self.offline_root = Some(next);
        Ok(issued)
    }

    /// The organisation record, the pin and the roster of the HQ vault.
    fn organisation_and_roster(
        &mut self,
    ) -> Result<(cairn_store::OrganisationRecord, cairn_team::Pin, cairn_team::Roster), CoreError> {
        let vault = self.vault_mut();
        let organisation = vault.read(|tx| tx.organisation())?.ok_or(TeamError::NotOrganisation)?;
        let (pin, roster) = load_pin_and_roster(vault)?;
        let pin = pin.ok_or(CoreError::VaultDamaged("organisation pin missing"))?;
        let roster = roster.ok_or(CoreError::VaultDamaged("organisation roster missing"))?;
        Ok((organisation, pin, roster))
    }

    /// Seals `root` in a root key file for `org_id` (see [`seal_root_file`]).
    fn seal_root_file(
        &mut self,
        org_id: &[u8; 16],
        root: &SigningSecretKey,
        passphrase: &SecretString,
    ) -> Result<Vec<u8>, CoreError> {
        let insecure = self.status()?.insecure_kdf;
        seal_root_file(insecure, org_id, root, passphrase)
    }
}

/// Seals `root` in a root key file: Argon2id calibrated on this machine, or, for a vault made
/// with the insecure test profile (`insecure`; debug builds only), that profile's parameters.
fn seal_root_file(
    insecure: bool,
    org_id: &[u8; 16],
    root: &SigningSecretKey,
    passphrase: &SecretString,
) -> Result<Vec<u8>, CoreError> {
    let (params, profile) = if insecure {
        (KdfParams::INSECURE_TEST, KdfProfile::InsecureTestOnly)
    } else {
        (cairn_crypto::calibrate_kdf(ROOT_FILE_KDF_TARGET), KdfProfile::Standard)
    };
    Ok(RootKeyFile::seal(org_id, root, passphrase.expose_secret(), params, profile)?)
}

/// Decodes and opens a root key file: its organisation id and key.
fn open_file(file: &[u8], passphrase: &SecretString) -> Result<([u8; 16], SigningSecretKey), CoreError> {
    let decoded = RootKeyFile::decode(file).map_err(|_| TeamError::Malformed { what: "root key file" })?;
    let root = decoded.open(passphrase.expose_secret()).map_err(|_| TeamError::RootFileLocked)?;
    Ok((decoded.org_id(), root))
}
