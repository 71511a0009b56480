-- Sync with the server (issue 3).

-- Records two devices may both edit (a vehicle's notes and details, AR anchor
-- calibration), as the server last sent them. `fields` is the engine's JSON
-- map of field name → {value, changed_in}.
CREATE TABLE records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 0),
    fields TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);

-- Edits made on this device that the server has not taken yet, oldest first.
-- `conflict` holds the server's answer (the record as it is now and the
-- fields both sides changed) when the edit overlapped someone else's; such
-- an edit waits for the rider to resolve it and is not sent again. `refused`
-- marks an edit the server will never take (invalid); it is kept, not sent.
CREATE TABLE record_edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    base_version INTEGER NOT NULL CHECK (base_version >= 0),
    changes TEXT NOT NULL,
    made_at_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    conflict TEXT,
    refused INTEGER NOT NULL DEFAULT 0 CHECK (refused IN (0, 1))
);
CREATE INDEX record_edits_by_record ON record_edits (kind, key, id);

-- The rider's progress as the server folded it at the last pull (JSON of the
-- engine's ProgressSummary), so the app can show what the server holds.
ALTER TABLE sync_state ADD COLUMN server_progress TEXT;

-- Finding the first unsent event quickly, skipping refused ones.
CREATE INDEX outbox_unsent_in_order ON outbox (wedged, seq);
