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
