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

-- An attachment being received is an upload (see 0004) that names its address: each part is
-- sealed as the blob chunk at its position as it arrives, so a cut link leaves only whole
-- chunks and the next session asks for the rest. Uploads without an address are recordings.
ALTER TABLE blob_uploads ADD COLUMN address BLOB;
CREATE INDEX blob_uploads_by_address ON blob_uploads (case_id, address);

-- Existing case documents get their attachment rows at the next unlock (cairn-core rebuilds
-- every derived row from the documents, then clears this mark).
INSERT OR REPLACE INTO case_settings (key, value) SELECT 'summaries_stale', '1' WHERE EXISTS (SELECT 1 FROM case_summaries);
