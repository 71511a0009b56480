-- Trust (issue 11).
--
-- When the newest accepted event of each device happened: the next one may
-- not be dated much earlier (no back-dating within a chain).
ALTER TABLE devices ADD COLUMN tail_at_ms INTEGER;
UPDATE devices SET tail_at_ms = (
    SELECT max(json_extract(e.body, '$.at_ms')) FROM events e
    WHERE e.device = devices.id AND e.rejected IS NULL
);

-- Refused events are kept as small tombstones: their size, and a digest of
-- the body instead of the body (`{"sha256": HEX}`). Older tombstones keep
-- the body they were stored with.
ALTER TABLE events ADD COLUMN size INTEGER;
UPDATE events SET size = length(CAST(body AS BLOB)) WHERE rejected IS NOT NULL;

-- What each account stores, for its quota: rows (events, tombstones,
-- records, diagnostic runs) and bytes (their stored bodies, notes included).
ALTER TABLE users ADD COLUMN stored_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE users SET
    stored_rows =
        (SELECT count(*) FROM events e WHERE e.user_id = users.id)
        + (SELECT count(*) FROM records r WHERE r.user_id = users.id)
        + (SELECT count(*) FROM diagnostic_runs d WHERE d.user_id = users.id),
    stored_bytes =
        (SELECT coalesce(sum(CASE WHEN e.rejected IS NULL THEN length(CAST(e.body AS BLOB))
                                  ELSE 64 END), 0)
         FROM events e WHERE e.user_id = users.id)
        + (SELECT coalesce(sum(length(CAST(r.body AS BLOB))), 0) FROM records r
           WHERE r.user_id = users.id)
        + (SELECT coalesce(sum(length(CAST(d.request AS BLOB)) + length(CAST(d.panel AS BLOB))
                               + coalesce(length(CAST(d.feedback AS BLOB)), 0)), 0)
           FROM diagnostic_runs d WHERE d.user_id = users.id);

-- Validations of one rider's quest completion by other accounts: one per
-- validator and completion.
CREATE TABLE validations (
    completion   TEXT NOT NULL,
    validator_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    owner_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id     TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (completion, validator_id)
) STRICT;
CREATE INDEX validations_owner ON validations (owner_id);
