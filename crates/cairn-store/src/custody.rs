//! The chain of custody of case documents (migration `0010_custody.sql`): for each change
//! this vault holds, the signature its author made (or none) and when this vault first had
//! it. Written in the caller's transaction (the write path, or the application of a peer's
//! changes); the first record of a change is kept, later ones are ignored. Under K_db only:
//! hashes, device ids and signatures, no case content. Deleting a case removes its rows
//! (`forget_case`, and the shredding trigger when its last key goes).

use cairn_crypto::{ChangeCustody, SIGNATURE_LEN, Signature};
use rusqlite::{OptionalExtension, params};

use crate::{Id, StoreError, VaultTx};

/// What this vault recorded of one change when it first had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustodyRow {
    /// The case.
    pub case_id: Id,
    /// The document of the case.
    pub doc_id: Id,
    /// The change's Automerge hash.
    pub change_hash: [u8; 32],
    /// The signer and its signature as they arrived (not checked here); `None`: the change
    /// came without one.
    pub custody: Option<ChangeCustody>,
    /// The roster version this vault held when the change first arrived (`None`: no roster).
    pub first_roster_version: Option<u64>,
    /// When this vault first had the change (ms since the Unix epoch, this device's clock).
    pub first_seen_ms: i64,
}

type RawRow = (Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>, Option<i64>, i64);

const COLUMNS: &str = "case_id, doc_id, change_hash, signer, signature, first_roster_version, first_seen_ms";

fn raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn parse((case_id, doc_id, hash, signer, signature, version, seen): RawRow) -> Result<CustodyRow, StoreError> {
    let damaged = || StoreError::Damaged { what: "custody record" };
    let custody = match (signer, signature) {
        (Some(signer), Some(signature)) => Some(ChangeCustody {
            signer: signer.try_into().map_err(|_| damaged())?,
            signature: Signature::from_bytes(<[u8; SIGNATURE_LEN]>::try_from(signature).map_err(|_| damaged())?),
        }),
        (None, None) => None,
        _ => return Err(damaged()),
    };
    Ok(CustodyRow {
        case_id: case_id.try_into().map_err(|_| damaged())?,
        doc_id: doc_id.try_into().map_err(|_| damaged())?,
        change_hash: hash.try_into().map_err(|_| damaged())?,
        custody,
        first_roster_version: version.map(|version| u64::try_from(version).map_err(|_| damaged())).transpose()?,
        first_seen_ms: seen,
    })
}

impl VaultTx<'_> {
    /// Records a change's custody unless this vault recorded that change already (the first
    /// record wins: it says when the change first arrived). Returns whether it was recorded.
    pub fn put_change_custody(&mut self, row: &CustodyRow) -> Result<bool, StoreError> {
        let version = row.first_roster_version.map(|version| i64::try_from(version).unwrap_or(i64::MAX));
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO change_custody
                 (case_id, doc_id, change_hash, signer, signature, first_roster_version, first_seen_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                row.case_id.as_slice(),
                row.doc_id.as_slice(),
                row.change_hash.as_slice(),
                row.custody.map(|custody| custody.signer.to_vec()),
                row.custody.map(|custody| custody.signature.to_bytes().to_vec()),
                version,
                row.first_seen_ms,
            ])?;
        Ok(inserted == 1)
    }

    /// The custody recorded for one change of a document, if any.
    pub fn change_custody(&self, doc_id: &Id, change_hash: &[u8; 32]) -> Result<Option<CustodyRow>, StoreError> {
        let row = self
            .tx
            .prepare_cached(&format!("SELECT {COLUMNS} FROM change_custody WHERE doc_id = ?1 AND change_hash = ?2"))?
            .query_row(params![doc_id.as_slice(), change_hash.as_slice()], raw)
            .optional()?;
        row.map(parse).transpose()
    }

    /// Every custody record of a case, by document and change hash.
    pub fn case_custody(&self, case_id: &Id) -> Result<Vec<CustodyRow>, StoreError> {
        let rows = self
            .tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM change_custody WHERE case_id = ?1 ORDER BY doc_id, change_hash"
            ))?
            .query_map([case_id.as_slice()], raw)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(parse).collect()
    }

    /// Removes the custody records of one document (its history was rewritten: the changes
    /// they name are gone from it).
    pub fn forget_document_custody(&mut self, case_id: &Id, doc_id: &Id) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM change_custody WHERE case_id = ?1 AND doc_id = ?2")?
            .execute([case_id.as_slice(), doc_id.as_slice()])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::vault;
    use cairn_crypto::SigningSecretKey;

    fn row(case_id: Id, doc_id: Id, hash: u8, signed: bool, seen: i64) -> CustodyRow {
        let signing = SigningSecretKey::generate();
        CustodyRow {
            case_id,
            doc_id,
            change_hash: [hash; 32],
            custody: signed.then(|| ChangeCustody::sign(&signing, [9; 16], &case_id, &doc_id, &[hash; 32])),
            first_roster_version: signed.then_some(3),
            first_seen_ms: seen,
        }
    }

    #[test]
    fn the_first_record_of_a_change_wins() {
        let (_dir, mut vault) = vault();
        let case = cairn_crypto::random_id();
        let first = row(case, case, 1, false, 10);
        let later = row(case, case, 1, true, 20);
        let other = row(case, [7; 16], 2, true, 30);
        vault
            .transaction(|tx| {
                tx.create_case_key(&case)?;
                assert!(tx.put_change_custody(&first)?);
                assert!(!tx.put_change_custody(&later)?, "already recorded");
                assert!(tx.put_change_custody(&other)?);
                Ok(())
            })
            .expect("write");
        vault
            .read(|tx| {
                assert_eq!(tx.change_custody(&case, &[1; 32])?, Some(first));
                assert_eq!(tx.change_custody(&[7; 16], &[2; 32])?, Some(other));
                assert_eq!(tx.change_custody(&case, &[2; 32])?, None);
                assert_eq!(tx.case_custody(&case)?.len(), 2);
                Ok(())
            })
            .expect("read");
    }

    #[test]
    fn custody_goes_with_its_case() {
        let (_dir, mut vault) = vault();
        let (kept, deleted, forgotten) = (cairn_crypto::random_id(), cairn_crypto::random_id(), cairn_crypto::random_id());
        vault
            .transaction(|tx| {
                for case in [kept, deleted, forgotten] {
                    tx.create_case_key(&case)?;
                    tx.put_change_custody(&row(case, case, 1, true, 1))?;
                    tx.put_change_custody(&row(case, [case[0]; 16], 2, false, 2))?;
                }
                Ok(())
            })
            .expect("write");
        // Deleting the case key (crypto-shredding) removes its custody through the trigger;
        // forgetting a case removes it directly.
        vault.transaction(|tx| tx.delete_case(&deleted)).expect("delete");
        vault.transaction(|tx| tx.forget_case(&forgotten)).expect("forget");
        vault.transaction(|tx| tx.forget_document_custody(&kept, &[kept[0]; 16])).expect("forget document");
        vault
            .read(|tx| {
                assert!(tx.case_custody(&deleted)?.is_empty());
                assert!(tx.case_custody(&forgotten)?.is_empty());
                let left = tx.case_custody(&kept)?;
                assert_eq!((left.len(), left[0].doc_id), (1, kept));
                Ok(())
            })
            .expect("read");
    }
}
