-- Reviews of escalated diagnoses (issue 15): a mechanic's answer to a run
-- the gate held for a person. One review per run — the first mechanic to
-- answer decides it; the primary key makes a second answer fail, so two
-- terminals cannot both decide. The answer itself is an event in the
-- rider's log (`event_id`, on their server device); this row is how the
-- queue knows a run is done and who did it. Workshop and reviewer are kept
-- as ids without a foreign key: the review stays the rider's record after
-- the workshop or the mechanic's account is gone.
CREATE TABLE diagnostic_reviews (
    run         TEXT PRIMARY KEY REFERENCES diagnostic_runs (id) ON DELETE CASCADE,
    workshop    TEXT NOT NULL,
    reviewer    INTEGER NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('approved', 'corrected', 'rejected')),
    text        TEXT NOT NULL,
    components  TEXT NOT NULL,
    reviewed_ms INTEGER NOT NULL,
    event_id    TEXT NOT NULL
) STRICT;
CREATE INDEX diagnostic_reviews_workshop ON diagnostic_reviews (workshop, reviewed_ms);

-- The queue reads a user's escalated runs.
CREATE INDEX diagnostic_runs_escalated ON diagnostic_runs (user_id, seq) WHERE decision = 'escalated';
