-- Twin of migrations/007_photos.sql.
CREATE TABLE photos (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL,
    jpeg       BYTEA NOT NULL,
    width      BIGINT NOT NULL,
    height     BIGINT NOT NULL,
    bytes      BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, sha256)
);
