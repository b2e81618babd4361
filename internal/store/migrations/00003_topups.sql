-- Top-up (recharge) requests with their review, voucher images, and the
-- outbox of events that webhooks will deliver.

-- +goose Up
CREATE TABLE topups (
    id                {{.ID}},
    customer_id       BIGINT NOT NULL REFERENCES customers (id),
    account_id        BIGINT NOT NULL REFERENCES accounts (id),
    currency          TEXT NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount > 0),
    payment_method_id BIGINT NOT NULL REFERENCES payment_methods (id),
    payment_account   TEXT NOT NULL DEFAULT '',
    transaction_no    TEXT NOT NULL DEFAULT '',
    remark            TEXT NOT NULL DEFAULT '',
    payment_status    TEXT NOT NULL DEFAULT 'unpaid' CHECK (payment_status IN ('paid', 'unpaid')),
    paid_at           BIGINT,
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    actual_amount     BIGINT,
    exchange_rate     TEXT,
    review_remark     TEXT NOT NULL DEFAULT '',
    reviewed_by       BIGINT REFERENCES admins (id),
    reviewed_at       BIGINT,
    transaction_id    BIGINT REFERENCES transactions (id),
    created_by        BIGINT NOT NULL REFERENCES admins (id),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX topups_account ON topups (account_id, id);
CREATE INDEX topups_customer ON topups (customer_id, id);
CREATE INDEX topups_status ON topups (status, id);
CREATE INDEX topups_created ON topups (created_at);

-- Voucher images live in the database, so that a backup of the database
-- holds them too.
CREATE TABLE vouchers (
    id           {{.ID}},
    topup_id     BIGINT NOT NULL REFERENCES topups (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    data         {{.Blob}} NOT NULL,
    created_by   BIGINT NOT NULL REFERENCES admins (id),
    created_at   BIGINT NOT NULL
);
CREATE INDEX vouchers_topup ON vouchers (topup_id);

-- Written in the transaction of the change they announce; a background
-- worker will deliver them to webhooks.
CREATE TABLE events (
    id         {{.ID}},
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_type ON events (type, id);

ALTER TABLE idempotency_keys ADD COLUMN topup_id BIGINT;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN topup_id;
DROP TABLE events;
DROP TABLE vouchers;
DROP TABLE topups;
