-- Every diagnostic run on this device as the rider saw it: the request,
-- each agent's answer, the consensus, the decision and its flags (all in
-- `result`), what it earned, and the rider's later feedback.
CREATE TABLE diagnoses (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL UNIQUE REFERENCES events (id),
    at_ms INTEGER NOT NULL,
    decision TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT NOT NULL,
    xp INTEGER NOT NULL,
    achievements TEXT NOT NULL,
    feedback TEXT
);
CREATE INDEX diagnoses_newest_first ON diagnoses (at_ms DESC, id DESC);
