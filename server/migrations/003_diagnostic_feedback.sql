-- The rider's note on a run (issue 6): `feedback_ms` is when it was written,
-- by the clock of the device it was written on, so that of two devices'
-- notes on one run the later one is kept. NULL while there is no note.
ALTER TABLE diagnostic_runs ADD COLUMN feedback_ms INTEGER;
