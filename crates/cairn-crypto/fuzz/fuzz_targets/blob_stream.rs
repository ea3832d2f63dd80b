//! Blob headers and chunks on arbitrary bytes: always an error, never a panic.
#![no_main]

use cairn_crypto::{BlobContext, BlobOpener, CaseKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 26 {
        return;
    }
    let (control, rest) = data.split_at(2);
    let (header, chunk) = rest.split_at(24);
    let context = BlobContext { case_id: [1; 16], blob_id: [2; 16], key_version: 1 };
    if let Ok(opener) = BlobOpener::new(&CaseKey::generate(), &context, header, u32::from(control[0] % 4)) {
        assert!(opener.open_chunk(u32::from(control[1] % 5), chunk).is_err());
    }
});
