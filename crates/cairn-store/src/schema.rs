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
];

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
    for migration in &MIGRATIONS[current as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}
