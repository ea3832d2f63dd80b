-- Cases: document digests, case summaries, an object index and the full-text search index.
-- Everything here is inside the SQLCipher-encrypted database and is derived from the sealed
-- documents in `records`; deleting a case's last key removes all of it (trigger below).

-- One digest per document (DESIGN §5.1): updated in the same transaction as every write.
CREATE TABLE doc_digests (
    case_id     BLOB    NOT NULL,
    doc_id      BLOB    NOT NULL,
    heads_hash  BLOB    NOT NULL,
    modified_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, doc_id)
) WITHOUT ROWID;

-- What a case list shows, so listing never opens a document.
CREATE TABLE case_summaries (
    case_id     BLOB    PRIMARY KEY,
    title       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    risk        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    persons     INTEGER NOT NULL,
    testimonies INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    notes       INTEGER NOT NULL,
    attachments INTEGER NOT NULL,
    conflicts   INTEGER NOT NULL
) WITHOUT ROWID;

-- Which case an object (person, testimony, event, act, note, attachment) belongs to.
CREATE TABLE case_objects (
    object_id BLOB PRIMARY KEY,
    case_id   BLOB NOT NULL,
    kind      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX case_objects_by_case ON case_objects (case_id);

-- Settings of the case feature on this device (e.g. the worker's name).
CREATE TABLE case_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Search: the indexed texts, and an external-content FTS5 index over them with the trigram
-- tokenizer (substring search, which Korean needs). `secure-delete` makes FTS5 remove a
-- deleted row's tokens from its b-trees at once instead of leaving them until a merge.
CREATE TABLE search_docs (
    rowid   INTEGER PRIMARY KEY,
    case_id BLOB NOT NULL,
    doc_id  BLOB NOT NULL,
    field   TEXT NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX search_docs_by_doc ON search_docs (case_id, doc_id);
CREATE VIRTUAL TABLE search_fts USING fts5 (
    body,
    content = 'search_docs',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.rowid, new.body);
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
END;
CREATE TRIGGER search_docs_update AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.rowid, old.body);
    INSERT INTO search_fts (rowid, body) VALUES (new.rowid, new.body);
END;

-- Crypto-shredding a case (deleting its last key) removes everything derived from it.
CREATE TRIGGER case_keys_shred AFTER DELETE ON case_keys
WHEN NOT EXISTS (SELECT 1 FROM case_keys WHERE case_id = old.case_id)
BEGIN
    DELETE FROM doc_digests WHERE case_id = old.case_id;
    DELETE FROM case_summaries WHERE case_id = old.case_id;
    DELETE FROM case_objects WHERE case_id = old.case_id;
    DELETE FROM search_docs WHERE case_id = old.case_id;
END;
