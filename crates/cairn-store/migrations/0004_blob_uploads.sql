-- Blobs written over many transactions (audio recorded in the app). The STREAM header is
-- stored when writing starts; every completed chunk goes to blob_chunks as it is sealed;
-- the blobs row appears only when the writer finishes. A row left here after a crash is an
-- unfinished blob: its chunks can be salvaged into a new, finished blob, or discarded.
CREATE TABLE blob_uploads (
    blob_id      BLOB    PRIMARY KEY,
    case_id      BLOB    NOT NULL,
    key_version  INTEGER NOT NULL,
    header       BLOB    NOT NULL,
    media_type   TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    sealed_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blob_uploads_by_case ON blob_uploads (case_id);
