-- Workshops (issue 15): an organisation on the server with its people. One
-- server, many workshops: everything a workshop sees of a rider goes
-- through `workshop_members`, and only while the rider is a customer there.

CREATE TABLE workshops (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;

-- Who belongs to a workshop, and as what. A customer chose what the
-- workshop may see (`shares`: a comma-separated subset of bikes,
-- diagnoses); staff share nothing of their own.
CREATE TABLE workshop_members (
    workshop   TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'mechanic', 'front_desk', 'customer')),
    shares     TEXT NOT NULL DEFAULT '',
    since_ms   INTEGER NOT NULL,
    PRIMARY KEY (workshop, user_id)
) STRICT;
CREATE INDEX workshop_members_user ON workshop_members (user_id);

-- An invitation is a code given by hand or in a link; only its SHA-256 is
-- kept. It is used once, within its time.
CREATE TABLE workshop_invitations (
    code_hash  BLOB PRIMARY KEY,
    workshop   TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('mechanic', 'front_desk', 'customer')),
    created_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_ms INTEGER NOT NULL,
    used_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    used_ms    INTEGER
) STRICT;
CREATE INDEX workshop_invitations_workshop ON workshop_invitations (workshop);

-- A workshop goes with its owner's account (its customers' own data stays
-- theirs): the owner's membership only ends when the account is deleted.
CREATE TRIGGER workshop_owner_gone AFTER DELETE ON workshop_members
WHEN OLD.role = 'owner'
BEGIN
    DELETE FROM workshops WHERE id = OLD.workshop;
END;
