//! Field safety (issue 13) through the session as a front end uses it: the app's panic wipe
//! gesture and the duress passphrase kept inside the vault, and a lock that stops an import.

use std::{
    io::Read,
    sync::{Arc, Mutex},
};

use cairn_core::{
    SecretString, WipeGesture,
    cases::Cancelled,
    testing::{KeyLoss, TestVault, watch_key_loss},
    unlock_vault,
};

/// Yields `left` bytes, then stops with `stop` (as the desktop's Cancel or lock does).
struct StopAfter {
    left: usize,
    stop: fn() -> std::io::Error,
}

impl Read for StopAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err((self.stop)());
        }
        let read = buf.len().min(self.left);
        buf[..read].fill(b'x');
        self.left -= read;
        Ok(read)
    }
}

/// The panic lock during a long import: the keys are zeroized while the import's transaction
/// is still open, and only then is it rolled back. The session is of no further use, and the
/// vault, unlocked again, holds nothing of the import. The worker's own Cancel keeps the
/// session and its keys.
#[test]
fn a_lock_during_an_import_zeroizes_the_keys_before_the_import_is_rolled_back() {
    for keep_metadata in [false, true] {
        let (vault, mut session) = TestVault::create();
        let case = session.create_case("Imports stopped by a lock").expect("case");
        let moments: Arc<Mutex<Vec<KeyLoss>>> = Arc::default();
        let seen = moments.clone();
        watch_key_loss(&mut session, move |moment| seen.lock().expect("moments").push(moment));

        // The worker's Cancel: rolled back, the session goes on, no key is touched.
        let mut cancelled = StopAfter { left: 3 * 1024 * 1024 + 17, stop: Cancelled::io_error };
        let error = session.attach_reader(&case, "large.bin", &mut cancelled, keep_metadata).expect_err("cancelled");
        assert_eq!(error.code(), "cancelled");
        assert!(moments.lock().expect("moments").is_empty(), "a Cancel zeroized the keys");
        assert_eq!(session.list_cases().expect("the session goes on").len(), 1);

        // The lock: several chunks are sealed and written in the transaction before the stop.
        let mut locked = StopAfter { left: 3 * 1024 * 1024 + 17, stop: Cancelled::locking_io_error };
        let error = session.attach_reader(&case, "large.bin", &mut locked, keep_metadata).expect_err("locked");
        assert_eq!(error.code(), "cancelled");
        assert_eq!(
            *moments.lock().expect("moments"),
            [KeyLoss { keys_zeroized: true, transaction_open: true }],
            "the keys must be zeroized once, while the import's transaction is still open"
        );
        assert_eq!(session.list_cases().err().map(|error| error.code()), Some("locked"));
        let mut text: &[u8] = b"after the lock";
        let refused = session.attach_reader(&case, "after.txt", &mut text, false);
        assert_eq!(refused.err().map(|error| error.code()), Some("locked"));
        session.lock();

        let mut session = vault.reopen();
        assert!(session.open_case(&case).expect("open").record.attachments.is_empty(), "the import was rolled back");
        assert_eq!(session.list_cases().expect("list")[0].counts.attachments, 0);
        session.check_integrity().expect("the vault is whole");
    }
}

#[test]
fn the_panic_wipe_gesture_is_kept_inside_the_vault_and_can_be_turned_off() {
    let (vault, mut session) = TestVault::create();
    assert_eq!(session.panic_wipe_gesture().expect("read"), None, "off until the worker turns it on");
    session.set_panic_wipe_gesture(Some(WipeGesture::HoldButton)).expect("set");
    session.lock();
    let mut session = vault.reopen();
    assert_eq!(session.panic_wipe_gesture().expect("read"), Some(WipeGesture::HoldButton));
    session.set_panic_wipe_gesture(Some(WipeGesture::TypeWord)).expect("change");
    assert_eq!(session.panic_wipe_gesture().expect("read"), Some(WipeGesture::TypeWord));
    session.set_panic_wipe_gesture(None).expect("off");
    assert_eq!(session.panic_wipe_gesture().expect("read"), None);
    // The setting is in the encrypted database: vault.keys and the folder say nothing of it.
    session.set_panic_wipe_gesture(Some(WipeGesture::TypeWord)).expect("set");
    let wiped = session.wipe().expect("wipe");
    assert!(wiped.folder_removed && !vault.path().exists());
}

#[test]
fn a_duress_passphrase_set_through_the_session_opens_a_decoy_that_can_be_used() {
    let (vault, mut session) = TestVault::create();
    assert!(!session.status().expect("status").duress);
    let weak = session.set_duress(&SecretString::from("short"), None);
    assert_eq!(weak.err().map(|error| error.code()), Some("weak_passphrase"));
    session.set_duress(&SecretString::from("a duress passphrase for the border"), None).expect("set");
    assert!(session.status().expect("status").duress);
    session.lock();
    let mut decoy = unlock_vault(vault.path(), &SecretString::from("a duress passphrase for the border")).expect("decoy");
    let status = decoy.status().expect("status");
    assert_eq!((status.case_count, status.duress), (0, false));
    // An ordinary vault: it has a device identity and takes edits.
    decoy.device_identity().expect("the decoy has a device identity");
    decoy.set_worker_name("market trader").expect("the decoy takes edits");
    decoy.create_case("Rice prices in the market").expect("and new cases, signed by its own device");
    assert_eq!(decoy.status().expect("status").case_count, 1);
}
