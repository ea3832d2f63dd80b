//! Test helpers shared by the case modules' tests.

use cairn_model::ObjectId;
use cairn_store::DocDigest;

use super::pipeline::read;
use crate::{
    Session,
    testing::{self, TestVault},
};

/// A new vault (test-only fast KDF) and its open session; keep the vault alive.
pub(super) fn session() -> (TestVault, Session) {
    testing::session()
}

/// The digest of one document of a case.
pub(super) fn digest_of(session: &mut Session, case: &ObjectId, doc: &ObjectId) -> DocDigest {
    session.case_digests(case).expect("digests").into_iter().find(|d| d.doc_id == *doc).expect("digest")
}

/// How many sealed chunks a document's log holds.
pub(super) fn chunk_count(session: &mut Session, case: &ObjectId, doc: &ObjectId) -> u64 {
    read(session.vault_mut(), |tx| Ok(tx.record_stats(case, doc)?.count)).expect("stats")
}
