-- Twin of migrations/013_workshop_templates.sql.
CREATE TABLE workshop_templates (
    workshop   TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    title      TEXT NOT NULL,
    markdown   TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (workshop, name)
);
