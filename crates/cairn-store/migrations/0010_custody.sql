-- Chain of custody (issue 11.3): for every change of a case document this vault holds, who
-- signed it and when this vault first had it. A change written here is signed by this
-- device's key in the same transaction as the write; a change from a peer arrives with its
-- author's signature inside its change envelope (v2) and is kept as received, valid or not,
-- so HQ keeps the evidence and cairn-core reports the verdict when it reads the trail. The
-- first record of a change wins: it says when (and under which roster) it first arrived.
-- Under K_db only, like the search rows; hashes and signatures, no case content.
CREATE TABLE change_custody (
    case_id              BLOB    NOT NULL,
    doc_id               BLOB    NOT NULL,
    change_hash          BLOB    NOT NULL CHECK (length(change_hash) = 32),
    -- The signing device and its Ed25519 signature; both NULL: the change came without one.
    signer               BLOB    CHECK (signer IS NULL OR length(signer) = 16),
    signature            BLOB    CHECK (signature IS NULL OR length(signature) = 64),
    -- The roster version this vault held when the change first arrived (NULL: none yet).
    first_roster_version INTEGER,
    first_seen_ms        INTEGER NOT NULL,
    PRIMARY KEY (doc_id, change_hash),
    CHECK ((signer IS NULL) = (signature IS NULL))
) WITHOUT ROWID;
CREATE INDEX change_custody_by_case ON change_custody (case_id);

-- Crypto-shredding a case (deleting its last key) removes its custody too, like everything
-- else derived from it (0003's `case_keys_shred`).
CREATE TRIGGER case_keys_shred_custody AFTER DELETE ON case_keys
WHEN NOT EXISTS (SELECT 1 FROM case_keys WHERE case_id = old.case_id)
BEGIN
    DELETE FROM change_custody WHERE case_id = old.case_id;
END;
