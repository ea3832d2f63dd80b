//! The vault header parser and unlock path on arbitrary bytes: no panic, bounded work.
#![no_main]

use cairn_crypto::{KdfParams, VaultHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = VaultHeader::parse(data) {
        // Only try to unlock when derivation is cheap; the caps were checked by parse.
        if header.kdf_params().memory_kib <= KdfParams::INSECURE_TEST.memory_kib * 4 && header.kdf_params().iterations <= 2 {
            assert!(header.unlock("fuzz passphrase").is_err());
        }
    }
});
