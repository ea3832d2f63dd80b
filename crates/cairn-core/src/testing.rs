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
