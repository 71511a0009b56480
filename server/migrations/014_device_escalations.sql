-- Escalated runs answered on a rider's device (issue 15). Without signal
-- the app asks only its offline agent, whose lone answer the gate holds
-- for a person; the run reaches the server as a `DiagnosticRun` event with
-- its evidence, which push re-runs to account for it. The accepted ones
-- that were escalated are kept here, with the panel the server reproduced,
-- so a workshop's mechanics review them like the server's own runs.
CREATE TABLE device_escalations (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL,
    request    TEXT NOT NULL,
    panel      TEXT NOT NULL,
    event_id   TEXT NOT NULL
) STRICT;
CREATE INDEX device_escalations_user ON device_escalations (user_id, created_ms);

-- A review's run is now one of either table: the row names its rider (and
-- goes with their account) instead of referencing `diagnostic_runs`.
CREATE TABLE diagnostic_reviews_014 (
    run         TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workshop    TEXT NOT NULL,
    reviewer    INTEGER NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('approved', 'corrected', 'rejected')),
    text        TEXT NOT NULL,
    components  TEXT NOT NULL,
    reviewed_ms INTEGER NOT NULL,
    event_id    TEXT NOT NULL
) STRICT;
INSERT INTO diagnostic_reviews_014
    SELECT v.run, r.user_id, v.workshop, v.reviewer, v.verdict, v.text, v.components,
           v.reviewed_ms, v.event_id
    FROM diagnostic_reviews v JOIN diagnostic_runs r ON r.id = v.run;
DROP TABLE diagnostic_reviews;
ALTER TABLE diagnostic_reviews_014 RENAME TO diagnostic_reviews;
CREATE INDEX diagnostic_reviews_workshop ON diagnostic_reviews (workshop, reviewed_ms);
CREATE INDEX diagnostic_reviews_user ON diagnostic_reviews (user_id);
