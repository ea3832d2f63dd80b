-- Identity fields sealed for HQ (DESIGN §1 T3, §3 "HQ intake"). A vault that belongs to no
-- organisation yet seals a person's identity fields to a key of its own: its X25519 private
-- half is wrapped under K_dev here. When the vault joins an organisation (its first roster,
-- or it creates one at HQ), cairn-core reseals every such value to HQ's intake key and the
-- roster's identity readers, and deletes this row in the same transaction (secure_delete
-- zeroes it; the WAL is checkpointed), so the copies left in the documents' history never
-- open again.
CREATE TABLE identity_sealing_key (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    public    BLOB NOT NULL CHECK (length(public) = 32),
    wrapped   BLOB NOT NULL
);
CREATE TRIGGER identity_sealing_key_is_permanent BEFORE UPDATE ON identity_sealing_key
BEGIN SELECT RAISE(ABORT, 'the identity sealing key never changes'); END;

-- Case documents written before identity fields were sealed hold them as plain text: cairn-core
-- seals them at the next unlock (and removes this mark in the same transaction).
INSERT OR REPLACE INTO case_settings (key, value)
SELECT 'identity_reseal_pending', '1' WHERE EXISTS (SELECT 1 FROM doc_digests);
