//! Schema migrations, applied in order inside one transaction; `PRAGMA user_version` records
//! how many have run. A vault from a newer build (more migrations than we know) is refused.

use rusqlite::Connection;

use crate::StoreError;

/// Every migration, in order. Append only; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_vault.sql"),
    include_str!("../migrations/0002_team.sql"),
    include_str!("../migrations/0003_cases.sql"),
    include_str!("../migrations/0004_blob_uploads.sql"),
    include_str!("../migrations/0005_sync_ready.sql"),
    include_str!("../migrations/0006_attachment_sync.sql"),
    include_str!("../migrations/0007_bundle_peers.sql"),
    include_str!("../migrations/0008_identity_sealing.sql"),
    include_str!("../migrations/0009_handover.sql"),
    include_str!("../migrations/0010_custody.sql"),
    include_str!("../migrations/0011_search_pairs.sql"),
    include_str!("../migrations/0012_recording_testimony.sql"),
    include_str!("../migrations/0013_root_rotation.sql"),
    include_str!("../migrations/0014_digests_by_document.sql"),
    include_str!("../migrations/0015_search_leaves_fit_pages.sql"),
];

/// The number of migrations that had run when the pair index was created (0011): older
/// vaults fill it from their indexed texts, in the same transaction.
const SEARCH_PAIRS_MIGRATION: u32 = 10;

pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = MIGRATIONS.len() as u32;
    if current > known {
        return Err(StoreError::NewerFormat { what: "database schema", version: current });
    }
    if current == known {
        return Ok(());
    }
    let tx = connection.transaction()?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(migration)?;
        if index as u32 == SEARCH_PAIRS_MIGRATION {
            crate::search::fill_search_pairs(&tx)?;
        }
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory database, opened only after the vault's allocator is in place (SQLite's
    /// configuration must not race with another test opening a vault).
    fn memory_database() -> Connection {
        crate::vault::wipe_freed_memory().expect("allocator");
        Connection::open_in_memory().expect("memory")
    }

    #[test]
    fn documents_written_before_the_change_sequence_get_numbers_once() {
        let mut connection = memory_database();
        // A vault as the previous version left it: four migrations, three digests.
        for migration in &MIGRATIONS[..4] {
            connection.execute_batch(migration).expect("old migration");
        }
        connection.pragma_update(None, "user_version", 4).expect("version");
        for (case, doc) in [(2u8, 1u8), (1, 1), (1, 2)] {
            connection
                .execute(
                    "INSERT INTO doc_digests (case_id, doc_id, heads_hash, modified_at) VALUES (?1, ?2, ?3, 0)",
                    rusqlite::params![vec![case; 16], vec![doc; 16], vec![0u8; 32]],
                )
                .expect("digest");
        }
        migrate(&mut connection).expect("migrate");
        let numbers: Vec<(u8, u8, i64)> = connection
            .prepare("SELECT case_id, doc_id, change_seq FROM doc_digests ORDER BY change_seq")
            .expect("prepare")
            .query_map([], |row| Ok((row.get::<_, Vec<u8>>(0)?[0], row.get::<_, Vec<u8>>(1)?[0], row.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(numbers, [(1, 1, 1), (1, 2, 2), (2, 1, 3)], "distinct, in case and document order");
        let counter: i64 = connection.query_row("SELECT seq FROM change_sequence", [], |row| row.get(0)).expect("counter");
        assert_eq!(counter, 3, "the next write takes 4");
        // Migrating again does nothing.
        migrate(&mut connection).expect("again");
    }

    #[test]
    fn vaults_with_documents_are_marked_for_identity_sealing_once() {
        let pending = |connection: &Connection| -> bool {
            connection
                .query_row("SELECT count(*) FROM case_settings WHERE key = 'identity_reseal_pending'", [], |row| {
                    row.get::<_, i64>(0)
                })
                .expect("query")
                == 1
        };
        for documents in [false, true] {
            let mut connection = memory_database();
            for migration in &MIGRATIONS[..7] {
                connection.execute_batch(migration).expect("old migration");
            }
            connection.pragma_update(None, "user_version", 7).expect("version");
            if documents {
                connection
                    .execute(
                        "INSERT INTO doc_digests (case_id, doc_id, heads_hash, modified_at, change_seq) VALUES (?1, ?1, ?2, 0, 1)",
                        rusqlite::params![vec![1u8; 16], vec![0u8; 32]],
                    )
                    .expect("digest");
            }
            migrate(&mut connection).expect("migrate");
            assert_eq!(pending(&connection), documents);
        }
    }

    #[test]
    fn texts_indexed_before_the_pair_index_are_found_through_it() {
        let mut connection = memory_database();
        for migration in &MIGRATIONS[..SEARCH_PAIRS_MIGRATION as usize] {
            connection.execute_batch(migration).expect("old migration");
        }
        connection.pragma_update(None, "user_version", SEARCH_PAIRS_MIGRATION).expect("version");
        connection
            .execute(
                "INSERT INTO search_docs (case_id, doc_id, field, body) VALUES (?1, ?1, 'note', '그는 고문을 당했다')",
                [vec![1u8; 16]],
            )
            .expect("text");
        migrate(&mut connection).expect("migrate");
        let found: i64 = connection
            .query_row("SELECT count(*) FROM search_pairs WHERE search_pairs MATCH '\"고문\"'", [], |row| row.get(0))
            .expect("query");
        assert_eq!(found, 1);
        let refused = connection.execute("UPDATE search_docs SET body = 'x'", []);
        assert!(refused.is_err(), "indexed texts are replaced, never updated in place");
    }
}
