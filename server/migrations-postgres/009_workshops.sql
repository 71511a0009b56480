-- Twin of migrations/009_workshops.sql. SQLite's trigger is a trigger
-- function here.
CREATE TABLE workshops (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE workshop_members (
    workshop   TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'mechanic', 'front_desk', 'customer')),
    shares     TEXT NOT NULL DEFAULT '',
    since_ms   BIGINT NOT NULL,
    PRIMARY KEY (workshop, user_id)
);
CREATE INDEX workshop_members_user ON workshop_members (user_id);

CREATE TABLE workshop_invitations (
    code_hash  BYTEA PRIMARY KEY,
    workshop   TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('mechanic', 'front_desk', 'customer')),
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_ms BIGINT NOT NULL,
    used_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    used_ms    BIGINT
);
CREATE INDEX workshop_invitations_workshop ON workshop_invitations (workshop);

-- A workshop whose owner is gone (their account deleted) goes with them.
CREATE FUNCTION workshop_owner_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.role = 'owner' THEN
        DELETE FROM workshops WHERE id = OLD.workshop;
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER workshop_owner_gone AFTER DELETE ON workshop_members
    FOR EACH ROW EXECUTE FUNCTION workshop_owner_gone();
