//! Shared helpers for the cross-crate scenarios in `tests/`.

/// First passphrase of the crash tests.
pub const PASSPHRASE_A: &str = "first passphrase of the crash loop";
/// Second passphrase of the crash tests (Korean, to exercise normalisation on the way).
pub const PASSPHRASE_B: &str = "두 번째 비밀번호 충돌 시험";
/// The case the record crash loop writes to.
pub const CRASH_CASE_ID: [u8; 16] = [0xc4; 16];
/// The document the record crash loop writes to.
pub const CRASH_DOC_ID: [u8; 16] = [0xd0; 16];

/// The content of record `n` in the crash loop.
pub fn record_text(n: u64) -> String {
    format!("crash-loop record {n:08} 기록")
}
