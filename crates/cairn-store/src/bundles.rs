//! Per-peer state of store-and-forward bundles (migration `0007_bundle_peers.sql`): what each
//! peer declared it holds in the newest bundle received from it, and the counters.

use rusqlite::{OptionalExtension, params};

use crate::{Id, StoreError, VaultTx};

/// What this vault knows of one peer through bundles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundlePeerRow {
    /// The peer's device id.
    pub peer_id: Id,
    /// The highest counter of a bundle imported from the peer (0: none).
    pub received_counter: u64,
    /// The state the peer declared in that bundle (opaque here; `None`: unknown).
    pub known_state: Option<Vec<u8>>,
    /// The counter of the last bundle written for the peer (0: none).
    pub sent_counter: u64,
}

fn number(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl VaultTx<'_> {
    /// What this vault knows of `peer_id` through bundles (a default row when nothing).
    pub fn bundle_peer(&self, peer_id: &Id) -> Result<BundlePeerRow, StoreError> {
        let row = self
            .tx
            .prepare_cached("SELECT received_counter, known_state, sent_counter FROM bundle_peers WHERE peer_id = ?1")?
            .query_row(params![peer_id.as_slice()], |row| {
                Ok(BundlePeerRow {
                    peer_id: *peer_id,
                    received_counter: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                    known_state: row.get(1)?,
                    sent_counter: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                })
            })
            .optional()?;
        Ok(row.unwrap_or(BundlePeerRow { peer_id: *peer_id, ..BundlePeerRow::default() }))
    }

    /// Replaces what this vault knows of a peer through bundles.
    pub fn put_bundle_peer(&mut self, row: &BundlePeerRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO bundle_peers (peer_id, received_counter, known_state, sent_counter)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                row.peer_id.as_slice(),
                number(row.received_counter),
                row.known_state,
                number(row.sent_counter)
            ])?;
        Ok(())
    }

    /// The highest counter this vault used for a bundle, to any peer (0: none), so the next
    /// one is higher whoever it is for.
    pub fn last_bundle_counter(&self) -> Result<u64, StoreError> {
        let last: i64 = self
            .tx
            .prepare_cached("SELECT COALESCE(MAX(sent_counter), 0) FROM bundle_peers")?
            .query_row([], |row| row.get(0))?;
        Ok(u64::try_from(last).unwrap_or(0))
    }

    /// Every attachment whose content this vault holds, by case and address, in a fixed order
    /// (cases with a tombstone left out): what a bundle declares the sender has.
    pub fn held_attachments(&self) -> Result<Vec<(Id, [u8; 32])>, StoreError> {
        let mut statement = self.tx.prepare_cached(
            "SELECT DISTINCT b.case_id, b.address FROM blobs b
             WHERE b.address IS NOT NULL AND b.case_id NOT IN (SELECT case_id FROM tombstones)
             ORDER BY b.case_id, b.address",
        )?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let damaged = |_| StoreError::Damaged { what: "attachment address" };
        rows.into_iter()
            .map(|(case_id, address)| Ok((case_id.try_into().map_err(damaged)?, address.try_into().map_err(damaged)?)))
            .collect()
    }
}
