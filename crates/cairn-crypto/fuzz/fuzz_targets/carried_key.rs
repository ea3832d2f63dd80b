//! The re-key journal and the carried K_dev (`carried_key.rs`) on arbitrary bytes: no panic,
//! and nothing opens under a key that did not seal it.
#![no_main]

use cairn_crypto::VaultMasterKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let master = VaultMasterKey::for_tests();
    assert!(master.open_previous_master_key(&[0x6e; 16], data).is_err());
    assert!(master.open_device_wrap_key(&[0x6e; 16], data).is_err());
});
