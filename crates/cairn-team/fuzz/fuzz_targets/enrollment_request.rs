//! Enrollment requests, as a file or as QR text, on arbitrary bytes: an error, never a panic.
#![no_main]

use cairn_team::EnrollmentRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = EnrollmentRequest::parse(data);
    let _ = EnrollmentRequest::from_file_contents(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = EnrollmentRequest::from_text(text) {
            let _ = EnrollmentRequest::parse(&bytes);
        }
    }
});
