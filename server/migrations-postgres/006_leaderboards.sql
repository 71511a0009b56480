-- Twin of migrations/006_leaderboards.sql. SQLite's `COLLATE NOCASE
-- UNIQUE` on the display name is a unique index on its lower case here.
CREATE TABLE standings (
    user_id          BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    display_name     TEXT,
    xp               BIGINT NOT NULL DEFAULT 0,
    diagnostics      BIGINT NOT NULL DEFAULT 0,
    quests           BIGINT NOT NULL DEFAULT 0,
    week             BIGINT NOT NULL DEFAULT 0,
    week_xp          BIGINT NOT NULL DEFAULT 0,
    week_diagnostics BIGINT NOT NULL DEFAULT 0,
    week_quests      BIGINT NOT NULL DEFAULT 0,
    updated_ms       BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX standings_display_name ON standings (lower(display_name));
CREATE INDEX standings_xp ON standings (xp DESC, user_id)
    WHERE display_name IS NOT NULL;
CREATE INDEX standings_diagnostics ON standings (diagnostics DESC, user_id)
    WHERE display_name IS NOT NULL;
CREATE INDEX standings_quests ON standings (quests DESC, user_id)
    WHERE display_name IS NOT NULL;
CREATE INDEX standings_week_xp ON standings (week, week_xp DESC, user_id)
    WHERE display_name IS NOT NULL;
CREATE INDEX standings_week_diagnostics ON standings (week, week_diagnostics DESC, user_id)
    WHERE display_name IS NOT NULL;
CREATE INDEX standings_week_quests ON standings (week, week_quests DESC, user_id)
    WHERE display_name IS NOT NULL;
