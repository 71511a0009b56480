-- A pull page this device cannot apply (issue 11). `page_failures` counts the
-- rounds that failed on the page at the current cursor; after a few the page
-- is applied change by change and the changes that still fail are kept here,
-- whole, instead of stalling every later round.
ALTER TABLE sync_state ADD COLUMN page_failures INTEGER NOT NULL DEFAULT 0;

CREATE TABLE skipped_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The cursor of the page it came in, and its place in the page.
    cursor TEXT NOT NULL,
    position INTEGER NOT NULL,
    -- The change as the server sent it (JSON), and why it was not applied.
    change TEXT NOT NULL,
    error TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
