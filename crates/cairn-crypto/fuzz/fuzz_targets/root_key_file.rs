//! The root key file decoder on arbitrary bytes: no panic, and whatever decodes names a valid
//! public key. (Opening is not fuzzed: every attempt runs Argon2id with the file's own
//! parameters, which the decoder caps but which may still be large.)
#![no_main]

use cairn_crypto::{ROOT_FILE_LEN, RootKeyFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = RootKeyFile::decode(data) {
        assert_eq!(data.len(), ROOT_FILE_LEN);
        let _ = (file.org_id(), file.public_key().to_bytes(), file.is_insecure());
    }
});
