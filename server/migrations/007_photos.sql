-- Photo proofs (a #photo quest's picture of the work).
--
-- The JPEG an account uploaded (`PUT /api/v1/photos/{sha256}`), kept under
-- its SHA-256, which the account's `photo_submitted` events name: a push
-- refuses such an event unless this table holds its digest with the same
-- size and dimensions. Only JPEGs without metadata are stored (no EXIF, no
-- comment: the app re-encodes the picture). Each photo counts against the
-- account's quota (one row, its bytes) and goes with the account.
CREATE TABLE photos (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL,
    jpeg       BLOB NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, sha256)
) STRICT;
