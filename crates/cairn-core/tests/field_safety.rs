//! Field safety settings kept inside the vault (issue 13): the app's panic wipe gesture and the
//! duress passphrase, through the session as a front end uses them.

use cairn_core::{SecretString, WipeGesture, testing::TestVault, unlock_vault};

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
