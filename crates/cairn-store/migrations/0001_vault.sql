-- Vault schema v1. Everything here lives inside the SQLCipher-encrypted database.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- Per-case data keys, wrapped under K_wrap. Deleting a case's rows here crypto-shreds it.
CREATE TABLE case_keys (
    case_id     BLOB    NOT NULL,
    key_version INTEGER NOT NULL,
    wrapped     BLOB    NOT NULL,
    PRIMARY KEY (case_id, key_version)
) WITHOUT ROWID;

-- Sealed record envelopes (Automerge chunks), in log order per document.
CREATE TABLE records (
    case_id     BLOB    NOT NULL,
    doc_id      BLOB    NOT NULL,
    chunk_id    INTEGER NOT NULL,
    key_version INTEGER NOT NULL,
    envelope    BLOB    NOT NULL,
    PRIMARY KEY (case_id, doc_id, chunk_id)
) WITHOUT ROWID;

-- Sealed blobs (attachments): a STREAM header plus its chunks.
CREATE TABLE blobs (
    blob_id      BLOB    PRIMARY KEY,
    case_id      BLOB    NOT NULL,
    key_version  INTEGER NOT NULL,
    header       BLOB    NOT NULL,
    plain_len    INTEGER NOT NULL,
    content_hash BLOB    NOT NULL,
    chunk_count  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_by_case ON blobs (case_id);

CREATE TABLE blob_chunks (
    blob_id  BLOB    NOT NULL,
    position INTEGER NOT NULL,
    sealed   BLOB    NOT NULL,
    PRIMARY KEY (blob_id, position)
) WITHOUT ROWID;
