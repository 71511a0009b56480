-- Twin of migrations/008_display_name_keys.sql (the keys of names listed
-- before it are made by the server at start-up, as for SQLite).
ALTER TABLE standings ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX standings_name_key ON standings (name_key) WHERE name_key IS NOT NULL;
