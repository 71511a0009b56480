-- Twin of migrations/010_bookings.sql.
CREATE TABLE workshop_bays (
    id             TEXT PRIMARY KEY,
    workshop       TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    opens_min      BIGINT NOT NULL CHECK (opens_min BETWEEN 0 AND 1439),
    closes_min     BIGINT NOT NULL CHECK (closes_min BETWEEN 1 AND 1440),
    days           TEXT NOT NULL,
    slot_minutes   BIGINT NOT NULL CHECK (slot_minutes BETWEEN 15 AND 480),
    utc_offset_min BIGINT NOT NULL,
    created_ms     BIGINT NOT NULL,
    CHECK (opens_min < closes_min)
);
CREATE INDEX workshop_bays_workshop ON workshop_bays (workshop);

CREATE TABLE bookings (
    id           TEXT PRIMARY KEY,
    bay          TEXT NOT NULL REFERENCES workshop_bays (id) ON DELETE CASCADE,
    workshop     TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    customer     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    start_ms     BIGINT NOT NULL,
    end_ms       BIGINT NOT NULL,
    service      TEXT NOT NULL,
    bike         TEXT,
    notes        TEXT NOT NULL DEFAULT '',
    booked_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_ms   BIGINT NOT NULL,
    cancelled_ms BIGINT
);
-- One live booking per bay and start: the database decides a race.
CREATE UNIQUE INDEX bookings_one_per_slot ON bookings (bay, start_ms) WHERE cancelled_ms IS NULL;
CREATE INDEX bookings_workshop ON bookings (workshop, start_ms);
CREATE INDEX bookings_customer ON bookings (customer, workshop);
