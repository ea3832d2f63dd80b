-- The organisation's root key may live outside the vault (a root key file kept offline) and
-- may be replaced by the next root key the roster committed to (root rotation, issue 12).
-- root_wrapped is NULL while the root is offline; the organisation id and the intake key stay
-- permanent. The pin of a device follows a rotation, within the same organisation only:
-- cairn-team decides that the new key was committed to; this is defence in depth behind it.
CREATE TABLE organisation_next (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    org_id         BLOB NOT NULL CHECK (length(org_id) = 16),
    root_public    BLOB NOT NULL CHECK (length(root_public) = 32),
    intake_public  BLOB NOT NULL CHECK (length(intake_public) = 32),
    root_wrapped   BLOB,
    intake_wrapped BLOB NOT NULL
);
INSERT INTO organisation_next SELECT singleton, org_id, root_public, intake_public, root_wrapped, intake_wrapped
FROM organisation;
DROP TABLE organisation;
ALTER TABLE organisation_next RENAME TO organisation;
CREATE TRIGGER organisation_identity_is_permanent BEFORE UPDATE ON organisation
WHEN NEW.org_id != OLD.org_id OR NEW.intake_public != OLD.intake_public OR NEW.intake_wrapped != OLD.intake_wrapped
BEGIN SELECT RAISE(ABORT, 'the organisation id and intake key are permanent'); END;

DROP TRIGGER team_pin_is_permanent;
CREATE TRIGGER team_pin_stays_in_its_organisation BEFORE UPDATE ON team_pin
WHEN NEW.org_id != OLD.org_id
BEGIN SELECT RAISE(ABORT, 'the pinned organisation is permanent'); END;
