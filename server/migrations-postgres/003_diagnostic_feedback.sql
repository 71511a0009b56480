-- Twin of migrations/003_diagnostic_feedback.sql.
ALTER TABLE diagnostic_runs ADD COLUMN feedback_ms BIGINT;
