-- Four-eyes approvals (SPEC section 9): a change at or above a threshold
-- waits here until someone other than its requester approves it, which
-- applies it in the same database transaction as the status change, or
-- rejects it. request is the change as JSON; account_id, currency and
-- amount repeat what lists sort and filter by.

-- +goose Up
CREATE TABLE approvals (
    id             {{.ID}},
    kind           TEXT NOT NULL CHECK (kind IN ('adjustment', 'credit_change')),
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    request        TEXT NOT NULL,
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    currency       TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    requested_by   BIGINT NOT NULL REFERENCES admins (id),
    requested_at   BIGINT NOT NULL,
    decided_by     BIGINT REFERENCES admins (id),
    decided_at     BIGINT,
    remark         TEXT NOT NULL DEFAULT '',
    transaction_id BIGINT REFERENCES transactions (id),
    -- The Idempotency-Key of the request that made it, so that a repeat of
    -- that request answers with this approval instead of a second one.
    idem_scope     TEXT,
    idem_key       TEXT
);
CREATE INDEX approvals_status ON approvals (status, id);
CREATE INDEX approvals_account ON approvals (account_id, id);
CREATE UNIQUE INDEX approvals_idem ON approvals (idem_scope, idem_key);

-- +goose Down
DROP TABLE approvals;
