-- Search, faster at 10,000 cases (issue 14).
--
-- Two-character terms (most Korean words are two syllables: 고문, 평양) are too short for the
-- trigram index and were answered by a substring scan of every indexed text. This index holds
-- each text's adjacent pairs of letters and digits (Hangul syllables, Hanja, ASCII) as tokens,
-- so such a term finds its candidate rows through an index; the scan's own condition is then
-- checked on those rows only, so the results are exactly the scan's. The store fills it (the
-- pairs are computed in Rust, `search_pairs`); contentless and detail=none because only rowids
-- are needed, and contentless_delete so that a row can be removed by rowid alone.
CREATE VIRTUAL TABLE search_pairs USING fts5 (
    pairs,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO search_pairs (search_pairs, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER search_docs_delete_pairs AFTER DELETE ON search_docs BEGIN
    DELETE FROM search_pairs WHERE rowid = old.rowid;
END;
-- Indexed texts are replaced by delete and insert, never updated in place; an update would
-- leave the pair index stale, so it is refused.
CREATE TRIGGER search_docs_no_update BEFORE UPDATE OF body ON search_docs BEGIN
    SELECT RAISE(ABORT, 'search_docs rows are replaced, not updated');
END;

-- Whether an indexed text has a cased character beyond ASCII: only there can the trigram index
-- (which folds case everywhere) find a term that `LIKE` (which folds ASCII only) does not, so
-- a search that tests one case's rows with `LIKE` asks the index about these rows alone.
-- Filled by the store, like the pair index.
ALTER TABLE search_docs ADD COLUMN folds INTEGER NOT NULL DEFAULT 0;

-- Search results and the case list are ordered by the last change; this walks that order
-- without sorting every case.
CREATE INDEX case_summaries_by_update ON case_summaries (updated_at DESC, case_id);
