-- Team state (DESIGN §3, §6). Private keys are wrapped under K_dev in cairn-crypto's wrapped
-- key format; public keys and rosters are not secret, but live in the encrypted database too.

-- This device's identity: one row, written when the vault is created.
CREATE TABLE device_identity (
    singleton         INTEGER PRIMARY KEY CHECK (singleton = 1),
    signing_public    BLOB NOT NULL CHECK (length(signing_public) = 32),
    agreement_public  BLOB NOT NULL CHECK (length(agreement_public) = 32),
    signing_wrapped   BLOB NOT NULL,
    agreement_wrapped BLOB NOT NULL
);

-- The organisation's root signing key and HQ intake key: only in the HQ vault.
CREATE TABLE organisation (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    org_id         BLOB NOT NULL CHECK (length(org_id) = 16),
    root_public    BLOB NOT NULL CHECK (length(root_public) = 32),
    intake_public  BLOB NOT NULL CHECK (length(intake_public) = 32),
    root_wrapped   BLOB NOT NULL,
    intake_wrapped BLOB NOT NULL
);

-- The organisation this device trusts, pinned at its first roster import.
CREATE TABLE team_pin (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    org_id      BLOB NOT NULL CHECK (length(org_id) = 16),
    root_public BLOB NOT NULL CHECK (length(root_public) = 32)
);

-- The current signed roster, exactly as received (or issued, on the HQ vault).
CREATE TABLE roster (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version   INTEGER NOT NULL CHECK (version >= 1),
    epoch     INTEGER NOT NULL CHECK (epoch >= 1),
    bytes     BLOB    NOT NULL
);

-- The team keys this device holds, one per epoch, wrapped under K_dev.
CREATE TABLE team_keys (
    org_id  BLOB    NOT NULL CHECK (length(org_id) = 16),
    epoch   INTEGER NOT NULL CHECK (epoch >= 1),
    wrapped BLOB    NOT NULL,
    PRIMARY KEY (org_id, epoch)
) WITHOUT ROWID;

-- Defence in depth behind cairn-team's rules: identities, the organisation and the pin are
-- written once; the roster only moves forward; a held team key never changes.
CREATE TRIGGER device_identity_is_permanent BEFORE UPDATE ON device_identity
BEGIN SELECT RAISE(ABORT, 'device identity is permanent'); END;
CREATE TRIGGER organisation_is_permanent BEFORE UPDATE ON organisation
BEGIN SELECT RAISE(ABORT, 'organisation keys are permanent'); END;
CREATE TRIGGER team_pin_is_permanent BEFORE UPDATE ON team_pin
BEGIN SELECT RAISE(ABORT, 'the pinned organisation is permanent'); END;
CREATE TRIGGER team_pin_is_kept BEFORE DELETE ON team_pin
BEGIN SELECT RAISE(ABORT, 'the pinned organisation is permanent'); END;
CREATE TRIGGER roster_moves_forward BEFORE UPDATE ON roster
WHEN NEW.version <= OLD.version OR NEW.epoch < OLD.epoch
BEGIN SELECT RAISE(ABORT, 'the roster version must increase'); END;
CREATE TRIGGER roster_is_kept BEFORE DELETE ON roster
BEGIN SELECT RAISE(ABORT, 'the roster is replaced, never deleted'); END;
CREATE TRIGGER team_keys_are_permanent BEFORE UPDATE ON team_keys
BEGIN SELECT RAISE(ABORT, 'a team key never changes'); END;
