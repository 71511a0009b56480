-- Photo proofs (issue 14). The JPEG a `PhotoSubmitted` event names by its
-- SHA-256, as the app re-encoded it (no metadata). The sync round uploads it
-- before it pushes the event; `uploaded_ms` is when the server took it
-- (NULL: not yet), `refused` why it never will (its answer, kept so the
-- round does not send the same picture again). Photos synced down from another device are not fetched:
-- the server holds them for whoever validates the completion.
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    jpeg BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    uploaded_ms INTEGER,
    refused TEXT
) STRICT;
