-- Bays and bookings (issue 15). A bay opens on some weekdays between two
-- times of the workshop's local day and is booked in slots of one length
-- from its opening time, so two live bookings of a bay either share their
-- start or do not overlap: the unique index below decides who gets a slot,
-- whichever terminal or phone asked first.

CREATE TABLE workshop_bays (
    id             TEXT PRIMARY KEY,
    workshop       TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    opens_min      INTEGER NOT NULL CHECK (opens_min BETWEEN 0 AND 1439),
    closes_min     INTEGER NOT NULL CHECK (closes_min BETWEEN 1 AND 1440),
    -- Days open as digits, Monday 1 to Sunday 7 ("12345").
    days           TEXT NOT NULL,
    slot_minutes   INTEGER NOT NULL CHECK (slot_minutes BETWEEN 15 AND 480),
    utc_offset_min INTEGER NOT NULL,
    created_ms     INTEGER NOT NULL,
    CHECK (opens_min < closes_min)
) STRICT;
CREATE INDEX workshop_bays_workshop ON workshop_bays (workshop);

CREATE TABLE bookings (
    id           TEXT PRIMARY KEY,
    bay          TEXT NOT NULL REFERENCES workshop_bays (id) ON DELETE CASCADE,
    workshop     TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    customer     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    service      TEXT NOT NULL,
    bike         TEXT,
    notes        TEXT NOT NULL DEFAULT '',
    booked_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_ms   INTEGER NOT NULL,
    cancelled_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX bookings_one_per_slot ON bookings (bay, start_ms) WHERE cancelled_ms IS NULL;
CREATE INDEX bookings_workshop ON bookings (workshop, start_ms);
CREATE INDEX bookings_customer ON bookings (customer, workshop);
