-- Twin of migrations/011_reviews.sql.
CREATE TABLE diagnostic_reviews (
    run         TEXT PRIMARY KEY REFERENCES diagnostic_runs (id) ON DELETE CASCADE,
    workshop    TEXT NOT NULL,
    reviewer    BIGINT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('approved', 'corrected', 'rejected')),
    text        TEXT NOT NULL,
    components  TEXT NOT NULL,
    reviewed_ms BIGINT NOT NULL,
    event_id    TEXT NOT NULL
);
CREATE INDEX diagnostic_reviews_workshop ON diagnostic_reviews (workshop, reviewed_ms);

CREATE INDEX diagnostic_runs_escalated ON diagnostic_runs (user_id, seq) WHERE decision = 'escalated';
