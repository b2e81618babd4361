-- Low-balance alerts, batch changes of alert amounts that keep the values
-- they replaced (so that a batch can be undone as a whole), and what an
-- idempotency key's batch request produced.

-- +goose Up
-- An alert is raised by the posting that takes an account's balance below
-- its alert amount and cleared by the posting that brings it back to at
-- least the alert amount (store/alerts.go), in that posting's database
-- transaction. balance and alert_amount are those of the moment it was
-- raised.
CREATE TABLE alerts (
    id                     {{.ID}},
    account_id             BIGINT NOT NULL REFERENCES accounts (id),
    customer_id            BIGINT NOT NULL REFERENCES customers (id),
    currency               TEXT NOT NULL,
    balance                BIGINT NOT NULL,
    alert_amount           BIGINT NOT NULL,
    transaction_id         BIGINT NOT NULL REFERENCES transactions (id),
    raised_at              BIGINT NOT NULL,
    cleared_at             BIGINT,
    cleared_transaction_id BIGINT REFERENCES transactions (id)
);
-- At most one open alert per account: the database itself refuses a second,
-- whatever the code above it does.
CREATE UNIQUE INDEX alerts_open ON alerts (account_id) WHERE cleared_at IS NULL;
CREATE INDEX alerts_account ON alerts (account_id, id);
CREATE INDEX alerts_currency ON alerts (currency, id);
CREATE INDEX alerts_raised ON alerts (raised_at);

-- A batch change of alert amounts. alert_amount is the decimal as given: it
-- means a different number of minor units in each currency.
CREATE TABLE alert_batches (
    id           {{.ID}},
    scope        TEXT NOT NULL CHECK (scope IN ('accounts', 'currency', 'all')),
    currency     TEXT NOT NULL DEFAULT '',
    alert_amount TEXT NOT NULL,
    matched      BIGINT NOT NULL DEFAULT 0,
    changed      BIGINT NOT NULL DEFAULT 0,
    created_by   BIGINT REFERENCES admins (id),
    created_at   BIGINT NOT NULL,
    undone_by    BIGINT REFERENCES admins (id),
    undone_at    BIGINT
);
CREATE INDEX alert_batches_created ON alert_batches (created_at);

-- One row for each account whose alert amount a batch changed: the value it
-- replaced and the one it set. Undo restores old_amount where the account
-- still has new_amount.
CREATE TABLE alert_batch_items (
    batch_id   BIGINT NOT NULL REFERENCES alert_batches (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    old_amount BIGINT NOT NULL,
    new_amount BIGINT NOT NULL,
    PRIMARY KEY (batch_id, account_id)
);

ALTER TABLE idempotency_keys ADD COLUMN alert_batch_id BIGINT;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN alert_batch_id;
DROP TABLE alert_batch_items;
DROP TABLE alert_batches;
DROP TABLE alerts;
