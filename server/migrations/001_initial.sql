-- RideWire server schema, version 1.

-- Facts about this database. `epoch` is drawn once, when the database is
-- made: a sync cursor from another epoch (the data was reset or restored)
-- makes the device fetch everything again.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
INSERT INTO server_meta (key, value) VALUES ('epoch', lower(hex(randomblob(12))));

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'seller', 'admin')),
    created_ms    INTEGER NOT NULL
) STRICT;

-- One login: its refresh tokens rotate, and reusing a rotated one revokes
-- the whole family (someone copied it).
CREATE TABLE token_families (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX token_families_user ON token_families (user_id);

-- Tokens are stored only as SHA-256 hashes of the random token.
CREATE TABLE access_tokens (
    hash       BLOB PRIMARY KEY,
    family     TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX access_tokens_family ON access_tokens (family);

CREATE TABLE refresh_tokens (
    hash       BLOB PRIMARY KEY,
    family     TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_ms INTEGER NOT NULL,
    -- Set when the token was exchanged; a second use is a theft signal.
    used_ms    INTEGER
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- A device belongs to the first account that pushes from it.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Highest sequence held with no gap below it (rejected events included).
    acked_through INTEGER NOT NULL DEFAULT 0,
    -- Hash the next event must link to; NULL after an event whose hash could
    -- not be read (the link cannot be checked then).
    tail_hash     TEXT,
    created_ms    INTEGER NOT NULL
) STRICT;
CREATE INDEX devices_user ON devices (user_id);

-- Every event a device pushed, once per (device, seq). Rejected events are
-- kept as tombstones (event_id NULL, `rejected` set) so their sequence stays
-- held and a re-sent copy gets the same answer.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device      TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    event_id    TEXT UNIQUE,
    claimed_id  TEXT,
    hash        TEXT,
    body        TEXT NOT NULL,
    rejected    TEXT,
    received_ms INTEGER NOT NULL,
    UNIQUE (device, seq)
) STRICT;
CREATE INDEX events_user ON events (user_id, id);

-- Everything a device can pull, in one order. `user_id` NULL: for everyone.
-- `subject` names what a change replaces (a plan, the catalogue, an overlay
-- pack, a record): older changes of the same subject are dropped, so a cold
-- pull gets only the newest.
CREATE TABLE changes (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
    subject  TEXT,
    body     TEXT NOT NULL
) STRICT;
CREATE INDEX changes_user ON changes (user_id, position);
CREATE INDEX changes_subject ON changes (subject);

-- The quest catalogue progress is folded against (one row).
CREATE TABLE catalog (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE plans (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    markdown   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE overlay_packs (
    vehicle    TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;

-- Versioned records (engine::sync::record), per user.
CREATE TABLE records (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    version INTEGER NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, key)
) STRICT;
