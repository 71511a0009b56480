-- Twin of migrations/012_workshop_plans.sql.
CREATE TABLE workshop_plans (
    workshop TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    customer BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_key TEXT NOT NULL,
    sent_by  BIGINT NOT NULL,
    sent_ms  BIGINT NOT NULL,
    PRIMARY KEY (workshop, plan_key)
);
CREATE INDEX workshop_plans_sent ON workshop_plans (workshop, sent_ms);
