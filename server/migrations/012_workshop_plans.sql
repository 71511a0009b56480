-- Plans a workshop writes for its customers (issue 15). The plan itself is
-- one of the customer's own `plan` records (the same fields the app
-- writes, with `from` naming the workshop), so it reaches their devices
-- like any record and stays theirs; this row is how the workshop finds
-- the plans it sent and follows the customer's progress on them.
CREATE TABLE workshop_plans (
    workshop TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    customer INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_key TEXT NOT NULL,
    sent_by  INTEGER NOT NULL,
    sent_ms  INTEGER NOT NULL,
    PRIMARY KEY (workshop, plan_key)
) STRICT;
CREATE INDEX workshop_plans_sent ON workshop_plans (workshop, sent_ms);
