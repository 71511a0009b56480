-- The rider's app settings on this device (interface scale, touch layout, …),
-- as text values keyed by name, so a newer app can add keys without a migration.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
