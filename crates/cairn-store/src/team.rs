//! Team state in the vault (device identity, organisation keys, pinned organisation, roster,
//! team keys). Owned by the team issue.
//!
//! Plain values in and out: private keys arrive already wrapped under K_dev (by cairn-crypto,
//! called from cairn-core), and every rule about what may be stored lives in cairn-team. This
//! module adds the storage guarantees: identity, organisation and pin are written once (the
//! schema's triggers refuse updates), and the roster is replaced only by a newer one, by
//! compare-and-swap on the version the caller read.

use rusqlite::{OptionalExtension, params};

use crate::{Id, StoreError, VaultTx};

/// This device's identity as stored.
pub struct DeviceIdentityRecord {
    /// Ed25519 public key.
    pub signing_public: [u8; 32],
    /// X25519 public key.
    pub agreement_public: [u8; 32],
    /// Ed25519 private key wrapped under K_dev.
    pub signing_wrapped: Vec<u8>,
    /// X25519 private key wrapped under K_dev.
    pub agreement_wrapped: Vec<u8>,
}

/// The organisation's keys as stored (HQ vault only).
pub struct OrganisationRecord {
    /// The organisation id.
    pub org_id: Id,
    /// The root Ed25519 public key.
    pub root_public: [u8; 32],
    /// The intake X25519 public key.
    pub intake_public: [u8; 32],
    /// The root private key wrapped under K_dev; `None` while it is kept offline (a root key
    /// file outside the vault).
    pub root_wrapped: Option<Vec<u8>>,
    /// The intake private key wrapped under K_dev.
    pub intake_wrapped: Vec<u8>,
}

/// The key a vault outside any organisation seals identity fields to (see
/// `migrations/0008_identity_sealing.sql`).
pub struct IdentitySealingKeyRecord {
    /// The X25519 public key.
    pub public: [u8; 32],
    /// The private key wrapped under K_dev.
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for IdentitySealingKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentitySealingKeyRecord").finish_non_exhaustive()
    }
}

/// The pinned organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinRecord {
    /// The organisation id.
    pub org_id: Id,
    /// The root Ed25519 public key.
    pub root_public: [u8; 32],
}

/// The current roster as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct RosterRecord {
    /// Its version.
    pub version: u64,
    /// Its team key epoch.
    pub epoch: u32,
    /// The signed bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for DeviceIdentityRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceIdentityRecord").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for OrganisationRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrganisationRecord").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RosterRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RosterRecord").field("version", &self.version).field("epoch", &self.epoch).finish_non_exhaustive()
    }
}

/// Returned when the roster changed between the caller's read and its write (another
/// process imported one meanwhile): the transaction is rolled back, nothing is written.
const CHANGED_CONCURRENTLY: StoreError = StoreError::Database { code: rusqlite::ffi::SQLITE_BUSY };

/// The `meta` key of HQ's roster validity setting.
const ROSTER_VALIDITY_DAYS: &str = "roster_validity_days";

fn array<const N: usize>(bytes: Vec<u8>, what: &'static str) -> Result<[u8; N], StoreError> {
    bytes.try_into().map_err(|_| StoreError::Damaged { what })
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Damaged { what: "roster version" })
}

impl VaultTx<'_> {
    /// This device's random id (created with the vault).
    pub fn device_id(&self) -> Result<Id, StoreError> {
        let value: Vec<u8> = self.tx.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |row| row.get(0))?;
        array(value, "vault metadata")
    }

    /// This device's identity, if it has one.
    pub fn device_identity(&self) -> Result<Option<DeviceIdentityRecord>, StoreError> {
        let row = self
            .tx
            .query_row(
                "SELECT signing_public, agreement_public, signing_wrapped, agreement_wrapped FROM device_identity",
                [],
                |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        row.map(|(signing, agreement, signing_wrapped, agreement_wrapped)| {
            Ok(DeviceIdentityRecord {
                signing_public: array(signing, "device identity")?,
                agreement_public: array(agreement, "device identity")?,
                signing_wrapped,
                agreement_wrapped,
            })
        })
        .transpose()
    }

    /// Stores this device's identity; refused if it already has one.
    pub fn insert_device_identity(&mut self, record: &DeviceIdentityRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO device_identity (singleton, signing_public, agreement_public, signing_wrapped, agreement_wrapped)
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![
                record.signing_public.as_slice(),
                record.agreement_public.as_slice(),
                record.signing_wrapped,
                record.agreement_wrapped
            ],
        )?;
        Ok(())
    }

    /// The organisation's keys, if this is the HQ vault.
    pub fn organisation(&self) -> Result<Option<OrganisationRecord>, StoreError> {
        let row = self
            .tx
            .query_row(
                "SELECT org_id, root_public, intake_public, root_wrapped, intake_wrapped FROM organisation",
                [],
                |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(org_id, root, intake, root_wrapped, intake_wrapped)| {
            Ok(OrganisationRecord {
                org_id: array(org_id, "organisation")?,
                root_public: array(root, "organisation")?,
                intake_public: array(intake, "organisation")?,
                root_wrapped,
                intake_wrapped,
            })
        })
        .transpose()
    }

    /// Stores the organisation's keys; refused if the vault already holds an organisation.
    pub fn insert_organisation(&mut self, record: &OrganisationRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO organisation (singleton, org_id, root_public, intake_public, root_wrapped, intake_wrapped)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                record.org_id.as_slice(),
                record.root_public.as_slice(),
                record.intake_public.as_slice(),
                record.root_wrapped,
                record.intake_wrapped
            ],
        )?;
        Ok(())
    }

    /// Sets the organisation's root key to `root_public`, kept outside the vault (a root key
    /// file): any wrapped root the vault held is removed. Refused without an organisation.
    /// When a wrapped root leaves the vault, the commit checkpoints the WAL, so no page or
    /// frame of the database keeps it.
    pub fn set_offline_organisation_root(&mut self, root_public: &[u8; 32]) -> Result<(), StoreError> {
        let held: Option<Option<Vec<u8>>> =
            self.tx.query_row("SELECT root_wrapped FROM organisation", [], |row| row.get(0)).optional()?;
        let Some(held) = held else { return Err(StoreError::Damaged { what: "organisation missing" }) };
        self.tx.execute("UPDATE organisation SET root_public = ?1, root_wrapped = NULL", params![root_public.as_slice()])?;
        if held.is_some() {
            self.erasure = self.erasure.max(crate::erasure::Erasure::Content);
        }
        Ok(())
    }

    /// The pre-enrollment identity sealing key, while the vault has one.
    pub fn identity_sealing_key(&self) -> Result<Option<IdentitySealingKeyRecord>, StoreError> {
        let row = self
            .tx
            .query_row("SELECT public, wrapped FROM identity_sealing_key", [], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .optional()?;
        row.map(|(public, wrapped)| Ok(IdentitySealingKeyRecord { public: array(public, "identity sealing key")?, wrapped }))
            .transpose()
    }

    /// Stores the pre-enrollment identity sealing key; refused if the vault has one.
    pub fn insert_identity_sealing_key(&mut self, record: &IdentitySealingKeyRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO identity_sealing_key (singleton, public, wrapped) VALUES (1, ?1, ?2)",
            params![record.public.as_slice(), record.wrapped],
        )?;
        Ok(())
    }

    /// Destroys the pre-enrollment identity sealing key (once every value sealed to it was
    /// resealed to HQ). The commit checkpoints the WAL, so no page or frame keeps the row.
    pub fn delete_identity_sealing_key(&mut self) -> Result<(), StoreError> {
        if self.tx.execute("DELETE FROM identity_sealing_key", [])? > 0 {
            self.erasure = self.erasure.max(crate::erasure::Erasure::Content);
        }
        Ok(())
    }

    /// The pinned organisation, if any.
    pub fn team_pin(&self) -> Result<Option<PinRecord>, StoreError> {
        let row = self
            .tx
            .query_row("SELECT org_id, root_public FROM team_pin", [], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .optional()?;
        row.map(|(org_id, root)| {
            Ok(PinRecord { org_id: array(org_id, "pinned organisation")?, root_public: array(root, "pinned organisation")? })
        })
        .transpose()
    }

    /// Pins an organisation; refused if one is pinned already (a pin never changes).
    pub fn insert_team_pin(&mut self, pin: &PinRecord) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO team_pin (singleton, org_id, root_public) VALUES (1, ?1, ?2)",
            params![pin.org_id.as_slice(), pin.root_public.as_slice()],
        )?;
        Ok(())
    }

    /// Moves the pin to the organisation's next root key (root rotation; cairn-team decided it
    /// was committed to). Refused for another organisation or without a pin.
    pub fn replace_team_pin(&mut self, pin: &PinRecord) -> Result<(), StoreError> {
        let changed = self.tx.execute(
            "UPDATE team_pin SET org_id = ?1, root_public = ?2",
            params![pin.org_id.as_slice(), pin.root_public.as_slice()],
        )?;
        if changed != 1 {
            return Err(StoreError::Damaged { what: "pinned organisation missing" });
        }
        Ok(())
    }

    /// The current roster, if any.
    pub fn roster(&self) -> Result<Option<RosterRecord>, StoreError> {
        let row = self
            .tx
            .query_row("SELECT version, epoch, bytes FROM roster", [], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, Vec<u8>>(2)?))
            })
            .optional()?;
        row.map(|(version, epoch, bytes)| {
            Ok(RosterRecord {
                version: u64::try_from(version).map_err(|_| StoreError::Damaged { what: "roster version" })?,
                epoch: u32::try_from(epoch).map_err(|_| StoreError::Damaged { what: "roster epoch" })?,
                bytes,
            })
        })
        .transpose()
    }

    /// The current roster's version, if any (without reading the roster).
    pub fn roster_version(&self) -> Result<Option<u64>, StoreError> {
        let version: Option<i64> =
            self.tx.prepare_cached("SELECT version FROM roster")?.query_row([], |row| row.get(0)).optional()?;
        version.map(|version| u64::try_from(version).map_err(|_| StoreError::Damaged { what: "roster version" })).transpose()
    }

    /// Replaces the roster whose version the caller read (`previous`, `None` if there was
    /// none) with `next`. If the stored roster is no longer `previous` (another process
    /// wrote one meanwhile), nothing is written and an error rolls the transaction back; a
    /// roster that does not move forward is refused by the schema.
    pub fn replace_roster(&mut self, previous: Option<u64>, next: &RosterRecord) -> Result<(), StoreError> {
        let version = to_i64(next.version)?;
        let changed = match previous {
            None => self.tx.execute(
                "INSERT INTO roster (singleton, version, epoch, bytes) VALUES (1, ?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![version, next.epoch, next.bytes],
            )?,
            Some(previous) => self.tx.execute(
                "UPDATE roster SET version = ?1, epoch = ?2, bytes = ?3 WHERE version = ?4",
                params![version, next.epoch, next.bytes, to_i64(previous)?],
            )?,
        };
        if changed != 1 {
            return Err(CHANGED_CONCURRENTLY);
        }
        Ok(())
    }

    /// How many days each roster HQ issues is valid for (`None`: no end), as HQ set it (HQ
    /// vault only; the `meta` row `roster_validity_days`, a u16 LE).
    pub fn roster_validity_days(&self) -> Result<Option<u16>, StoreError> {
        let value: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([ROSTER_VALIDITY_DAYS], |row| row.get(0))
            .optional()?;
        value.map(|bytes| Ok(u16::from_le_bytes(array(bytes, "roster validity setting")?))).transpose()
    }

    /// Sets (or, with `None`, clears) how many days each roster HQ issues is valid for.
    pub fn set_roster_validity_days(&mut self, days: Option<u16>) -> Result<(), StoreError> {
        match days {
            Some(days) => self.tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![ROSTER_VALIDITY_DAYS, days.to_le_bytes().as_slice()],
            )?,
            None => self.tx.execute("DELETE FROM meta WHERE key = ?1", [ROSTER_VALIDITY_DAYS])?,
        };
        Ok(())
    }

    /// The wrapped team key of `epoch`, if this device holds it.
    pub fn team_key(&self, org_id: &Id, epoch: u32) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tx
            .query_row(
                "SELECT wrapped FROM team_keys WHERE org_id = ?1 AND epoch = ?2",
                params![org_id.as_slice(), epoch],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The epochs whose team key this device holds, ascending.
    pub fn team_key_epochs(&self, org_id: &Id) -> Result<Vec<u32>, StoreError> {
        let mut statement = self.tx.prepare("SELECT epoch FROM team_keys WHERE org_id = ?1 ORDER BY epoch")?;
        let epochs = statement.query_map([org_id.as_slice()], |row| row.get::<_, u32>(0))?;
        Ok(epochs.collect::<Result<_, _>>()?)
    }

    /// Stores the wrapped team key of a new epoch; refused if the epoch is already held.
    pub fn insert_team_key(&mut self, org_id: &Id, epoch: u32, wrapped: &[u8]) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO team_keys (org_id, epoch, wrapped) VALUES (?1, ?2, ?3)",
            params![org_id.as_slice(), epoch, wrapped],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::vault;

    use super::*;

    fn roster(version: u64, epoch: u32) -> RosterRecord {
        RosterRecord { version, epoch, bytes: vec![version as u8; 10] }
    }

    #[test]
    fn the_roster_only_moves_forward_by_compare_and_swap() {
        let (_dir, mut vault) = vault();
        assert_eq!(vault.read(|tx| tx.roster_version()).expect("none yet"), None);
        vault.transaction(|tx| tx.replace_roster(None, &roster(1, 1))).expect("first");
        vault.transaction(|tx| tx.replace_roster(Some(1), &roster(3, 1))).expect("forward");
        assert_eq!(vault.read(|tx| tx.roster_version()).expect("version"), Some(3));
        // Stale reads (another writer got there first) and backward moves are refused, and
        // the transaction leaves the stored roster as it was.
        assert!(vault.transaction(|tx| tx.replace_roster(None, &roster(4, 1))).is_err());
        assert!(vault.transaction(|tx| tx.replace_roster(Some(1), &roster(4, 1))).is_err());
        assert!(vault.transaction(|tx| tx.replace_roster(Some(3), &roster(3, 1))).is_err());
        assert!(vault.transaction(|tx| tx.replace_roster(Some(3), &roster(2, 1))).is_err());
        assert!(vault.transaction(|tx| tx.replace_roster(Some(3), &roster(5, 0))).is_err());
        let stored = vault.read(|tx| tx.roster()).expect("read");
        assert_eq!(stored, Some(roster(3, 1)));
        assert!(vault.transaction(|tx| Ok(tx.tx.execute("DELETE FROM roster", [])?)).is_err());
    }

    #[test]
    fn the_roster_validity_setting_is_kept_changed_and_cleared() {
        let (_dir, mut vault) = vault();
        assert_eq!(vault.read(|tx| tx.roster_validity_days()).expect("read"), None);
        vault.transaction(|tx| tx.set_roster_validity_days(Some(30))).expect("set");
        assert_eq!(vault.read(|tx| tx.roster_validity_days()).expect("read"), Some(30));
        vault.transaction(|tx| tx.set_roster_validity_days(Some(u16::MAX))).expect("change");
        assert_eq!(vault.read(|tx| tx.roster_validity_days()).expect("read"), Some(u16::MAX));
        vault.transaction(|tx| tx.set_roster_validity_days(None)).expect("clear");
        vault.transaction(|tx| tx.set_roster_validity_days(None)).expect("clear again");
        assert_eq!(vault.read(|tx| tx.roster_validity_days()).expect("read"), None);
    }

    #[test]
    fn identity_organisation_pin_and_team_keys_are_written_once() {
        let (_dir, mut vault) = vault();
        let identity = DeviceIdentityRecord {
            signing_public: [1; 32],
            agreement_public: [2; 32],
            signing_wrapped: vec![3; 74],
            agreement_wrapped: vec![4; 74],
        };
        vault.transaction(|tx| tx.insert_device_identity(&identity)).expect("insert");
        assert!(vault.transaction(|tx| tx.insert_device_identity(&identity)).is_err());
        assert!(
            vault
                .transaction(|tx| Ok(tx.tx.execute("UPDATE device_identity SET signing_public = zeroblob(32)", [])?))
                .is_err()
        );
        let stored = vault.read(|tx| tx.device_identity()).expect("read").expect("identity");
        assert_eq!((stored.signing_public, stored.agreement_wrapped), ([1; 32], vec![4; 74]));
        let pin = PinRecord { org_id: [5; 16], root_public: [6; 32] };
        vault.transaction(|tx| tx.insert_team_pin(&pin)).expect("pin");
        assert!(vault.transaction(|tx| tx.insert_team_pin(&PinRecord { org_id: [7; 16], ..pin })).is_err());
        assert!(vault.transaction(|tx| Ok(tx.tx.execute("DELETE FROM team_pin", [])?)).is_err());
        assert_eq!(vault.read(|tx| tx.team_pin()).expect("read"), Some(pin));
        vault.transaction(|tx| tx.insert_team_key(&[5; 16], 1, &[8; 74])).expect("key");
        vault.transaction(|tx| tx.insert_team_key(&[5; 16], 2, &[9; 74])).expect("key");
        assert!(vault.transaction(|tx| tx.insert_team_key(&[5; 16], 2, &[10; 74])).is_err());
        assert_eq!(vault.read(|tx| tx.team_key_epochs(&[5; 16])).expect("read"), vec![1, 2]);
        assert_eq!(vault.read(|tx| tx.team_key(&[5; 16], 2)).expect("read"), Some(vec![9; 74]));
        assert_eq!(vault.read(|tx| tx.team_key(&[5; 16], 3)).expect("read"), None);
        assert_eq!(vault.read(|tx| tx.organisation()).expect("read").map(|o| o.org_id), None);
        assert_eq!(vault.read(|tx| tx.device_id()).expect("read"), vault.info().expect("info").device_id);
    }

    #[test]
    fn the_identity_sealing_key_is_written_once_and_deleted_with_a_checkpoint() {
        let (_dir, mut vault) = vault();
        assert!(vault.read(|tx| tx.identity_sealing_key()).expect("read").is_none());
        let record = IdentitySealingKeyRecord { public: [0x5e; 32], wrapped: vec![0x5f; 74] };
        vault.transaction(|tx| tx.insert_identity_sealing_key(&record)).expect("insert");
        assert!(vault.transaction(|tx| tx.insert_identity_sealing_key(&record)).is_err());
        assert!(
            vault
                .transaction(|tx| Ok(tx.tx.execute("UPDATE identity_sealing_key SET wrapped = zeroblob(74)", [])?))
                .is_err()
        );
        let stored = vault.read(|tx| tx.identity_sealing_key()).expect("read").expect("held");
        assert_eq!((stored.public, stored.wrapped), ([0x5e; 32], vec![0x5f; 74]));
        vault.transaction(|tx| tx.delete_identity_sealing_key()).expect("delete");
        assert!(vault.read(|tx| tx.identity_sealing_key()).expect("read").is_none());
        assert!(!vault.erasure_pending(), "the deleting commit checkpointed the WAL");
        let pages = crate::testing::decrypted_pages(&vault).expect("pages");
        let wrapped = [0x5f; 74];
        assert!(
            !pages.iter().any(|page| page.plaintext.windows(wrapped.len()).any(|window| window == wrapped)),
            "no page or WAL frame keeps the wrapped key"
        );
    }
}
