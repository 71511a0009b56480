-- Diagnostic runs (issue 6): every run the server's agents answered, whole.

-- `seq` orders a user's history (ids are time-ordered too, but two runs in
-- one millisecond would tie). `request` and `panel` are the JSON of the
-- engine's request and of the agents' panel (every answer, every reason an
-- agent was left out, consensus, decision, flags); decision and flags are
-- repeated as columns to be queried. `feedback` is the rider's, later.
CREATE TABLE diagnostic_runs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms   INTEGER NOT NULL,
    request      TEXT NOT NULL,
    panel        TEXT NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('approved', 'escalated', 'rejected')),
    flags        TEXT NOT NULL,
    xp_earned    INTEGER NOT NULL,
    achievements TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    feedback     TEXT
) STRICT;
CREATE INDEX diagnostic_runs_user ON diagnostic_runs (user_id, seq);

-- The device the server records a user's runs on: its own hash chain,
-- stored and pulled like a phone's.
CREATE TABLE server_devices (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    device  TEXT NOT NULL UNIQUE REFERENCES devices (id) ON DELETE CASCADE
) STRICT;
