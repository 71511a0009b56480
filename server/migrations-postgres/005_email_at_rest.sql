-- Twin of migrations/005_email_at_rest.sql.
ALTER TABLE users ADD COLUMN email_enc BYTEA;
