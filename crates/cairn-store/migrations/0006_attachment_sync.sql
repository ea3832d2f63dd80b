-- Attachment sync (DESIGN §5): attachments travel between devices by their address, a keyed
-- hash of their content recorded in the case document, after the documents that reference
-- them, part by part, resumably.

-- The address of each stored blob (NULL: attached before addresses existed; never synced).
ALTER TABLE blobs ADD COLUMN address BLOB;
CREATE INDEX blobs_by_address ON blobs (case_id, address);

-- Derived from the case documents by the write path: every attachment a held case document
-- references, so which attachments this device lacks is one query, and nothing is loaded.
CREATE TABLE attachment_blobs (
    case_id     BLOB    NOT NULL,
    blob_id     BLOB    NOT NULL,
    address     BLOB    NOT NULL,
    stored_size INTEGER NOT NULL,
    stored_hash BLOB    NOT NULL,
    PRIMARY KEY (case_id, blob_id)
) WITHOUT ROWID;
CREATE INDEX attachment_blobs_by_address ON attachment_blobs (case_id, address);

-- Parts of an attachment being received, kept as they arrived (sealed under the case key by
-- the sender) until the last one arrives and the whole is checked against the case document
-- and sealed as a blob. A cut link leaves the parts received so far: the next session asks
-- for the rest only.
CREATE TABLE sync_blob_parts (
    case_id  BLOB    NOT NULL,
    address  BLOB    NOT NULL,
    position INTEGER NOT NULL,
    sealed   BLOB    NOT NULL,
    PRIMARY KEY (case_id, address, position)
) WITHOUT ROWID;

-- Existing case documents get their attachment rows at the next unlock (cairn-core rebuilds
-- every derived row from the documents, then clears this mark).
INSERT OR REPLACE INTO case_settings (key, value) SELECT 'summaries_stale', '1' WHERE EXISTS (SELECT 1 FROM case_summaries);
