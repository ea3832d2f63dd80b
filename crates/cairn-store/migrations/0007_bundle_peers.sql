-- Store-and-forward bundles (DESIGN §5): per peer device, what it is known to hold (the state
-- it declared in the newest bundle received from it) and the counters that order bundles.
-- A bundle written for a peer is recorded only after its file was renamed into place.
CREATE TABLE bundle_peers (
    peer_id          BLOB    PRIMARY KEY,
    -- The highest counter of a bundle imported from this peer (0: none yet).
    received_counter INTEGER NOT NULL DEFAULT 0,
    -- The peer's declared state from that bundle (encoded by cairn-core; NULL: unknown).
    known_state      BLOB,
    -- The counter of the last bundle written for this peer (0: none yet).
    sent_counter     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
