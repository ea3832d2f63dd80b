//! Record envelopes and wrapped case keys on arbitrary bytes: always an error, never a panic.
#![no_main]

use cairn_crypto::{CaseKey, RecordContext, VaultMasterKey, open_record, unwrap_case_key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let context = RecordContext { case_id: [1; 16], doc_id: [2; 16], chunk_id: 3, key_version: 1 };
    assert!(open_record(&CaseKey::generate(), &context, data).is_err());
    let wrap = VaultMasterKey::for_tests().wrap_key(&[0; 16]);
    assert!(unwrap_case_key(&wrap, &[1; 16], 1, data).is_err());
});
