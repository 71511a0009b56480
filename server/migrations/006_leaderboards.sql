-- Leaderboards (issue 14).
--
-- Each listed rider's numbers, from the server's fold of their accepted
-- events, refreshed in the transaction that stores their new events. A
-- rider is listed only under a display name they chose (NULL: not listed,
-- the default); names are unique without regard to ASCII case. `week` is
-- the week the week_* columns count (weeks since Monday 1969-12-29 UTC): a
-- row from an earlier week has nothing this week.
CREATE TABLE standings (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    display_name     TEXT COLLATE NOCASE UNIQUE,
    xp               INTEGER NOT NULL DEFAULT 0,
    diagnostics      INTEGER NOT NULL DEFAULT 0,
    quests           INTEGER NOT NULL DEFAULT 0,
    week             INTEGER NOT NULL DEFAULT 0,
    week_xp          INTEGER NOT NULL DEFAULT 0,
    week_diagnostics INTEGER NOT NULL DEFAULT 0,
    week_quests      INTEGER NOT NULL DEFAULT 0,
    updated_ms       INTEGER NOT NULL DEFAULT 0
);

-- One index per board and period, over listed riders only: the top is the
-- index's first rows, a rank is a count over the part above the rider.
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
