-- Sync readiness (DESIGN §5): every document write takes the next number of one vault-wide
-- change sequence, in the same transaction as the write, so "what changed since N" (what a
-- peer or a bundle has not seen yet) is one indexed range read. Numbers are never reused:
-- the counter lives in its own row, not in the digests (a deleted case must not give its
-- numbers back).
ALTER TABLE doc_digests ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE change_sequence (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
-- Documents written before this migration get numbers in a fixed order.
UPDATE doc_digests SET change_seq = (
    SELECT COUNT(*) FROM doc_digests AS earlier
    WHERE (earlier.case_id, earlier.doc_id) <= (doc_digests.case_id, doc_digests.doc_id)
);
INSERT INTO change_sequence (id, seq) SELECT 1, COUNT(*) FROM doc_digests;
CREATE INDEX doc_digests_by_seq ON doc_digests (change_seq);

-- The case list is computed once, by the write path, from the documents' state: everything a
-- list or its filters show, so listing never opens a document. `conflicts` of a digest counts
-- that document's unresolved conflicts; a case's total is their sum.
ALTER TABLE doc_digests ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_summaries ADD COLUMN acts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_summaries ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE case_summaries ADD COLUMN act_types TEXT NOT NULL DEFAULT '';
ALTER TABLE case_summaries ADD COLUMN first_date TEXT NOT NULL DEFAULT '';
ALTER TABLE case_summaries ADD COLUMN last_date TEXT NOT NULL DEFAULT '';
-- Summaries written before this migration lack these columns: cairn-core rebuilds them from
-- the documents at the next unlock, then clears this mark.
INSERT OR REPLACE INTO case_settings (key, value) SELECT 'summaries_stale', '1' WHERE EXISTS (SELECT 1 FROM case_summaries);

-- Case keys are named by a random key id (what change envelopes and shared keys carry), so two
-- devices that start a new key version offline never collide; `key_version` stays this
-- device's local order. Keys made before this migration get a random id now.
ALTER TABLE case_keys ADD COLUMN key_id BLOB;
UPDATE case_keys SET key_id = randomblob(16) WHERE key_id IS NULL;
CREATE UNIQUE INDEX case_keys_by_key_id ON case_keys (case_id, key_id);

-- The last sync with each peer device: what the front ends show ("last sync per peer").
CREATE TABLE sync_peers (
    peer_id            BLOB    PRIMARY KEY,
    last_sync_at       INTEGER NOT NULL,
    documents_sent     INTEGER NOT NULL,
    documents_received INTEGER NOT NULL,
    changes_sent       INTEGER NOT NULL,
    changes_received   INTEGER NOT NULL,
    bytes_sent         INTEGER NOT NULL,
    bytes_received     INTEGER NOT NULL
) WITHOUT ROWID;

-- Tombstones: the signed deletion of a case (ids only), kept so the case never comes back
-- from a peer, and sent to peers that lack it. On an HQ vault a case deleted by a field device
-- is kept (archived), with its tombstone marking it deleted.
CREATE TABLE tombstones (
    case_id BLOB PRIMARY KEY,
    record  BLOB NOT NULL
) WITHOUT ROWID;
