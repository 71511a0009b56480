-- Twin of migrations/004_trust.sql (its fix-ups of older rows have nothing
-- to fix in a new database).
ALTER TABLE devices ADD COLUMN tail_at_ms BIGINT;
ALTER TABLE events ADD COLUMN size BIGINT;
ALTER TABLE users ADD COLUMN stored_rows BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;

CREATE TABLE validations (
    completion   TEXT NOT NULL,
    validator_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    owner_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id     TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (completion, validator_id)
);
CREATE INDEX validations_owner ON validations (owner_id);
