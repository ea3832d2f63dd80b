//! Helpers shared by this crate's unit tests.

use secrecy::SecretString;

use crate::{CaseSummaryRow, Id, KdfChoice, Vault};

/// A new vault (test-only fast KDF) in a temporary folder; keep the folder alive.
pub(crate) fn vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, _) =
        Vault::create(&dir.path().join("v"), &SecretString::from("correct horse battery"), KdfChoice::InsecureTestOnly)
            .expect("create");
    (dir, vault)
}

/// A summary row for `case_id` changed at `updated_at`, every count zero (tests override what
/// they look at with `..`).
pub(crate) fn summary(case_id: Id, updated_at: i64) -> CaseSummaryRow {
    CaseSummaryRow {
        case_id,
        title: "t".into(),
        status: "draft".into(),
        risk: "high".into(),
        created_at: 1,
        updated_at,
        persons: 0,
        testimonies: 0,
        events: 0,
        notes: 0,
        attachments: 0,
        acts: 0,
        conflicts: 0,
        deleted: false,
        tags: Vec::new(),
        act_types: Vec::new(),
        first_date: String::new(),
        last_date: String::new(),
        handover_ready_at: 0,
        handover_covered_at: None,
    }
}
