-- Diagnostic runs and the rider's notes between devices (issue 6).

-- The note on a run: when it was written (by the clock of the device it
-- was written on; of two notes the later one wins) and where it stands
-- with the server:
--   'unsent'      written here, not on the server yet;
--   'sent'        the server holds it (sent from here, or written on
--                 another device and taken from the server);
--   'device_only' the server does not know the run (it was answered
--                 offline on this device), so the note stays here;
--   'refused'     the server refused the note for good; it stays here.
ALTER TABLE diagnoses ADD COLUMN feedback_ms INTEGER;
ALTER TABLE diagnoses ADD COLUMN feedback_sync TEXT
    CHECK (feedback_sync IN ('unsent', 'sent', 'device_only', 'refused'));
-- Notes kept before this version were never sent: the run's own time
-- stands in for when they were written (so any later note wins), and a run
-- this device answered itself keeps its note here.
UPDATE diagnoses
SET feedback_ms = at_ms,
    feedback_sync = CASE
        WHEN (SELECT e.device_id FROM events e WHERE e.id = diagnoses.event_id)
             = (SELECT d.device_id FROM device d)
        THEN 'device_only'
        ELSE 'unsent'
    END
WHERE feedback IS NOT NULL;
CREATE INDEX diagnoses_unsent_feedback ON diagnoses (id) WHERE feedback_sync = 'unsent';

-- How far this device has walked the server's history of runs (to keep the
-- runs answered for its other devices): NULL when the walk starts from the
-- newest run (a new device, or after a pull started over), the id of the
-- last run looked at while it goes on, '' once it reached the oldest.
ALTER TABLE sync_state ADD COLUMN diagnoses_walk TEXT;
