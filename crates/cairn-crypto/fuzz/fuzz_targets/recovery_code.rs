//! The recovery-code parser on arbitrary text: no panic; whatever parses re-displays and
//! parses to the same code.
#![no_main]

use cairn_crypto::RecoveryCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(code) = RecoveryCode::parse(text) {
        let shown = code.display_grouped();
        let again = RecoveryCode::parse(&shown).expect("a displayed code parses");
        assert_eq!(*again.display_grouped(), *shown);
    }
});
