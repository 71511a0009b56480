-- A workshop's own plan templates (issue 15): plans its mechanics write
-- once and send to many customers, kept per workshop without an admin.
-- `name` is the template's slug (lower-case words joined by dashes).
CREATE TABLE workshop_templates (
    workshop   TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    title      TEXT NOT NULL,
    markdown   TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (workshop, name)
) STRICT;
