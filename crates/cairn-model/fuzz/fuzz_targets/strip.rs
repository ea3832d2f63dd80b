//! The photo metadata stripper on arbitrary bytes, fed in arbitrary pieces: an error, never a
//! panic; the result does not depend on where the input was cut; and stripping what it kept
//! removes nothing more (what is kept holds no metadata the stripper knows).
#![no_main]

use cairn_model::strip::Stripper;
use libfuzzer_sys::fuzz_target;

fn strip(input: &[u8], piece: usize) -> Option<(Vec<u8>, u64)> {
    let mut stripper = Stripper::new();
    let mut out = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        stripper.feed(chunk, &mut out).ok()?;
    }
    let report = stripper.finish(&mut out).ok()?;
    Some((out, report.removed_parts as u64))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else { return };
    let whole = strip(input, input.len());
    let pieces = strip(input, usize::from(selector % 64) + 1);
    assert_eq!(whole.is_some(), pieces.is_some(), "accepted whole but not in pieces, or the reverse");
    if let (Some((kept, _)), Some((kept_in_pieces, _))) = (&whole, &pieces) {
        assert_eq!(kept, kept_in_pieces, "the result depends on where the input was cut");
        assert!(kept.len() <= input.len(), "stripping added bytes");
        let again = strip(kept, kept.len()).expect("what the stripper kept parses again");
        assert_eq!(again.1, 0, "stripping what was kept removed more");
        assert_eq!(&again.0, kept);
    }
});
