-- Holds (SPEC section 8): an amount reserved on an account without being
-- posted, until it is captured (a charge), released or runs out.

-- +goose Up
-- status is active until one of capture, release or expiry closes it; a
-- hold stops counting at expires_at even while its row still says active,
-- and the expiry job then marks it expired.
CREATE TABLE holds (
    id              {{.ID}},
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    captured_amount BIGINT NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('active', 'captured', 'released', 'expired')),
    reference       TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    expires_at      BIGINT NOT NULL,
    created_by      BIGINT,
    created_at      BIGINT NOT NULL,
    closed_at       BIGINT,
    transaction_id  BIGINT REFERENCES transactions (id)
);
CREATE INDEX holds_account ON holds (account_id, id);
CREATE INDEX holds_active ON holds (account_id, expires_at) WHERE status = 'active';
CREATE INDEX holds_expiring ON holds (expires_at, id) WHERE status = 'active';

-- held is the sum of the account's active holds and held_until the
-- earliest of their expiries (NULL: none), kept with every change of a
-- hold: until held_until a posting's floor check needs no other read.
ALTER TABLE accounts ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN held_until BIGINT;

-- A capture is a charge that names its hold.
ALTER TABLE transactions ADD COLUMN hold_id BIGINT REFERENCES holds (id);

-- What an idempotency key's hold request produced.
ALTER TABLE idempotency_keys ADD COLUMN hold_id BIGINT;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN hold_id;
ALTER TABLE transactions DROP COLUMN hold_id;
ALTER TABLE accounts DROP COLUMN held_until;
ALTER TABLE accounts DROP COLUMN held;
DROP TABLE holds;
