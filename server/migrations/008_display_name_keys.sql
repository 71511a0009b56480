-- Display names are unique in a folded form (issue 14), not only ignoring
-- ASCII case: `name_key` holds `ridewire_engine::sync::leaderboard::name_key`
-- (compatibility forms as plain letters, lower case in every script). The
-- server fills it in from Rust when it opens the database, for names chosen
-- before, since SQLite has no Unicode tables; a name chosen before whose key
-- an earlier rider's name already has keeps its listing without a key.
ALTER TABLE standings ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX standings_name_key ON standings (name_key) WHERE name_key IS NOT NULL;
