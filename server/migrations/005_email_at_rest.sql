-- E-mail addresses at rest (issue 11): `users.email` holds a keyed hash of
-- the address (`h1:` + HMAC-SHA256 hex) for look-up and uniqueness, and
-- `email_enc` the address sealed with ChaCha20-Poly1305. Rows from before
-- keep the address in `email` with `email_enc` NULL until the server,
-- which holds the key, rewrites them at start-up.
ALTER TABLE users ADD COLUMN email_enc BLOB;
