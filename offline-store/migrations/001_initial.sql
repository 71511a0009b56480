-- The device this database belongs to: exactly one row, made on first open.
CREATE TABLE device (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    device_id TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

-- Every event of this rider: this device's own and, after sync, other devices'.
-- `body` is the event as JSON, exactly as hashed and sent.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX events_in_canonical_order ON events (at_ms, device_id, seq);

-- This device's events the server has not acknowledged yet.
CREATE TABLE outbox (
    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    -- 1 when the server refused the event for good; it no longer blocks the queue.
    wedged INTEGER NOT NULL DEFAULT 0 CHECK (wedged IN (0, 1)),
    next_attempt_at_ms INTEGER NOT NULL DEFAULT 0
);

-- Where downloads stand: the server's cursor, valid only within its epoch.
CREATE TABLE sync_state (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    epoch TEXT,
    cursor TEXT,
    last_push_ms INTEGER,
    last_pull_ms INTEGER
);

-- Maintenance plans as written (Markdown), versioned by the server.
CREATE TABLE plans (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    markdown TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- The quest catalogue progress is folded against (engine JSON).
CREATE TABLE catalog (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    body TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- Overlay packs per vehicle model, for AR without signal.
CREATE TABLE overlay_packs (
    vehicle TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    fetched_at_ms INTEGER NOT NULL
);

-- Progress folded from `events` against `catalog`, so the app starts at once.
-- Derived data: rebuilt whenever the catalogue changes or it cannot be read.
CREATE TABLE progress_cache (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    catalog_hash TEXT NOT NULL,
    event_count INTEGER NOT NULL,
    body TEXT NOT NULL
);
