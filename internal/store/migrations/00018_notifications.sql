-- Customers in the loop (SPEC section 10): each customer's language and mail
-- choices, the outbox of their notifications, and statement links.

-- +goose Up
ALTER TABLE customers ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE customers ADD COLUMN notify_low_balance BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE customers ADD COLUMN notify_topup BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE customers ADD COLUMN notify_adjustment BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE customers ADD COLUMN notify_statement BOOLEAN NOT NULL DEFAULT TRUE;

-- The outbox: a row is written in the transaction of the change it tells
-- of, with the address and language of that moment and the change's
-- figures (payload, JSON); a worker composes and sends it later, under a
-- lease. period_key makes a monthly statement once per customer and month
-- however many instances queue it (NULL for the other kinds, which do not
-- collide).
CREATE TABLE notifications (
    id              {{.ID}},
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    locale          TEXT NOT NULL,
    payload         TEXT NOT NULL,
    period_key      TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_owner     TEXT,
    lease_until     BIGINT,
    subject         TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE UNIQUE INDEX notifications_period ON notifications (customer_id, kind, period_key);
CREATE INDEX notifications_customer ON notifications (customer_id, id);
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';

-- A statement link opens one customer's read-only statement page without
-- a login. Its token is random and stored hashed, like sessions: the URL is
-- shown once, and a database copy does not open the pages.
CREATE TABLE statement_links (
    id             {{.ID}},
    customer_id    BIGINT NOT NULL REFERENCES customers (id),
    token_hash     TEXT NOT NULL,
    created_by     BIGINT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_by     BIGINT,
    last_opened_at BIGINT
);
CREATE UNIQUE INDEX statement_links_token ON statement_links (token_hash);
CREATE INDEX statement_links_customer ON statement_links (customer_id, id);

-- +goose Down
DROP TABLE statement_links;
DROP TABLE notifications;
ALTER TABLE customers DROP COLUMN notify_statement;
ALTER TABLE customers DROP COLUMN notify_adjustment;
ALTER TABLE customers DROP COLUMN notify_topup;
ALTER TABLE customers DROP COLUMN notify_low_balance;
ALTER TABLE customers DROP COLUMN locale;
