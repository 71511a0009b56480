-- Twin of migrations/014_device_escalations.sql: escalated runs a device
-- answered, and reviews that name their rider instead of referencing
-- `diagnostic_runs` (PostgreSQL changes the table in place).
CREATE TABLE device_escalations (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    request    TEXT NOT NULL,
    panel      TEXT NOT NULL,
    event_id   TEXT NOT NULL
);
CREATE INDEX device_escalations_user ON device_escalations (user_id, created_ms);

ALTER TABLE diagnostic_reviews DROP CONSTRAINT diagnostic_reviews_run_fkey;
ALTER TABLE diagnostic_reviews
    ADD COLUMN user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX diagnostic_reviews_user ON diagnostic_reviews (user_id);
