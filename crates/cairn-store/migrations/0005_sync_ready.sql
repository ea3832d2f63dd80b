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
