-- Retention (docs/retention.md): operation records and ledger entries older
-- than the retention period are written to an archive file and removed. What
-- stays behind keeps the ledger and the chain verifiable: per account and per
-- transaction, how many entries were removed and what they summed to; for the
-- chain, the place and hash of the last removed record.

-- +goose Up
-- One row per retention run that removed something: the file it wrote (in
-- the instance's archive directory) and the file's SHA-256, written in the
-- database transaction that removed the rows.
CREATE TABLE archives (
    id              {{.ID}},
    file_name       TEXT NOT NULL,
    cutoff          BIGINT NOT NULL,
    entries         BIGINT NOT NULL,
    transactions    BIGINT NOT NULL,
    audit_records   BIGINT NOT NULL,
    audit_first_seq BIGINT NOT NULL,
    audit_last_seq  BIGINT NOT NULL,
    audit_last_hash TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      BIGINT REFERENCES admins (id)
);
CREATE UNIQUE INDEX archives_file_name ON archives (file_name);

-- Per account, customer or system: the entries removed so far and their
-- sum. A customer account's stored balance equals the sum of its remaining
-- entries plus amount.
CREATE TABLE pruned_accounts (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    entries    BIGINT NOT NULL,
    amount     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Per transaction whose entries were removed: how many and their sum (zero,
-- as retention archives only transactions that balance). A transaction
-- balances when its remaining entries plus these do.
CREATE TABLE pruned_transactions (
    transaction_id BIGINT PRIMARY KEY REFERENCES transactions (id),
    entries        BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    archive_id     BIGINT NOT NULL REFERENCES archives (id)
);

-- One row. The lease keeps two instances from running retention at once.
-- audit_seq and audit_hash are the place and hash of the last removed
-- operation record, where the chain now starts; audit_count is how many were
-- removed. tx_created_at and tx_id are the last transaction, in (created_at,
-- id) order, whose entries were removed: the next run resumes after it.
CREATE TABLE retention_head (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   BIGINT NOT NULL DEFAULT 0,
    audit_seq     BIGINT NOT NULL DEFAULT 0,
    audit_hash    TEXT NOT NULL DEFAULT '',
    audit_count   BIGINT NOT NULL DEFAULT 0,
    tx_created_at BIGINT NOT NULL DEFAULT 0,
    tx_id         BIGINT NOT NULL DEFAULT 0
);
INSERT INTO retention_head (id) VALUES (1);

-- +goose Down
DROP TABLE retention_head;
DROP TABLE pruned_transactions;
DROP TABLE pruned_accounts;
DROP TABLE archives;
