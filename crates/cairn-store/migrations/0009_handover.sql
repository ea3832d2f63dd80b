-- Handover to HQ (DESIGN §6). A field device purges a case once HQ's verified receipt covers
-- it: its keys, changes, blobs and derived rows go like a deletion, but nothing syncs as a
-- deletion and no title stays. What stays is the marker below: ids and Automerge heads only,
-- so sync still counts the case's documents as held at the heads HQ confirmed (nothing of
-- them is asked for, offered or applied again).
CREATE TABLE purged_documents (
    doc_id     BLOB PRIMARY KEY,
    case_id    BLOB NOT NULL,
    -- The document's sorted heads when it was purged (32 bytes each, concatenated).
    heads      BLOB NOT NULL,
    -- cairn-core's hash of those heads (the digest's `heads_hash`).
    heads_hash BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX purged_documents_by_case ON purged_documents (case_id);

-- The addresses (keyed hashes under the destroyed case key) of the attachments a purged case
-- had here, so bundles keep declaring them held and no peer sends them again.
CREATE TABLE purged_attachments (
    case_id BLOB NOT NULL,
    address BLOB NOT NULL,
    PRIMARY KEY (case_id, address)
) WITHOUT ROWID;

CREATE TABLE purged_cases (
    case_id   BLOB PRIMARY KEY,
    purged_at INTEGER NOT NULL
) WITHOUT ROWID;

-- When this device first verified a receipt covering all it holds of a case (the purge
-- policy "after N days" counts from here). Goes with the case.
CREATE TABLE handover_covered (
    case_id    BLOB PRIMARY KEY,
    covered_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER purged_cases_are_permanent BEFORE DELETE ON purged_cases
BEGIN SELECT RAISE(ABORT, 'purged cases are permanent'); END;

CREATE TRIGGER handover_covered_shred AFTER DELETE ON case_keys
WHEN NOT EXISTS (SELECT 1 FROM case_keys WHERE case_id = old.case_id)
BEGIN
    DELETE FROM handover_covered WHERE case_id = old.case_id;
END;

-- When a worker marked the case ready for handover (from the case document; 0: not marked).
ALTER TABLE case_summaries ADD COLUMN handover_ready_at INTEGER NOT NULL DEFAULT 0;
