-- Sync and bundles find a document's digest by its id alone (a peer names documents, not
-- cases). The table's key starts with the case, so each such lookup read every digest: one
-- scan per document received, which made a large sync grow with the square of the archive.
CREATE INDEX doc_digests_by_doc ON doc_digests (doc_id);
