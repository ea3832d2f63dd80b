//! Sync message decoding on arbitrary bytes: an error, never a panic; whatever decodes
//! re-encodes to the same bytes.
#![no_main]

use cairn_sync::wire::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::decode(data) {
        assert_eq!(message.encode(), data);
    }
});
