-- The schema is one history for SQLite and PostgreSQL. A few words differ
-- between them and are filled in by store/migrate.go:
--   {{.ID}}         an auto-numbered BIGINT primary key
--   {{.NowMicros}}  the current time in Unix microseconds
--   {{.Blob}}       binary data (BLOB, BYTEA)
-- Times are BIGINT Unix microseconds (UTC) on both databases; amounts are
-- BIGINT minor units of the row's currency.

-- +goose Up
CREATE TABLE admins (
    id            {{.ID}},
    username      TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('super_admin', 'admin', 'reviewer')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX admins_username ON admins (username);

CREATE TABLE customers (
    id               {{.ID}},
    name             TEXT NOT NULL,
    phone            TEXT,
    email            TEXT,
    company          TEXT NOT NULL DEFAULT '',
    remark           TEXT NOT NULL DEFAULT '',
    default_currency TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    archived_at      BIGINT
);
-- A phone number belongs to one live customer; an archived one frees it.
CREATE UNIQUE INDEX customers_phone ON customers (phone) WHERE archived_at IS NULL;
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_name ON customers (name);

CREATE TABLE payment_methods (
    id         {{.ID}},
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX payment_methods_code ON payment_methods (code);
INSERT INTO payment_methods (code, name, enabled, created_at) VALUES
    ('alipay', 'Alipay', TRUE, {{.NowMicros}}),
    ('wechat_pay', 'WeChat Pay', TRUE, {{.NowMicros}}),
    ('bank_transfer', 'Bank Transfer', TRUE, {{.NowMicros}});

-- Customer accounts (customer_id set, balance stored) and system accounts
-- (system_code set, no stored balance: their balance is the sum of their
-- entries, so that postings never queue on one hot row).
CREATE TABLE accounts (
    id                   {{.ID}},
    number               TEXT NOT NULL,
    customer_id          BIGINT REFERENCES customers (id),
    system_code          TEXT,
    currency             TEXT NOT NULL,
    balance              BIGINT,
    alert_amount         BIGINT NOT NULL DEFAULT 0,
    credit_limit         BIGINT NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
    overdraft            BIGINT NOT NULL DEFAULT 0 CHECK (overdraft >= 0),
    overdraft_expires_at BIGINT,
    status               TEXT NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'frozen', 'disabled')),
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CHECK ((customer_id IS NULL) <> (system_code IS NULL)),
    CHECK ((customer_id IS NULL) = (balance IS NULL))
);
CREATE UNIQUE INDEX accounts_number ON accounts (number);
CREATE UNIQUE INDEX accounts_customer_currency ON accounts (customer_id, currency);
CREATE UNIQUE INDEX accounts_system_currency ON accounts (system_code, currency);

CREATE TABLE transactions (
    id         {{.ID}},
    type       TEXT NOT NULL CHECK (type IN ('topup', 'charge', 'adjustment', 'reversal')),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    currency   TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    reference  TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    corrects   BIGINT REFERENCES transactions (id),
    topup_id   BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX transactions_account ON transactions (account_id, id);
CREATE INDEX transactions_created ON transactions (created_at);
-- The database itself refuses a second reversal of one transaction.
CREATE UNIQUE INDEX transactions_one_reversal ON transactions (corrects) WHERE type = 'reversal';

CREATE TABLE entries (
    id             {{.ID}},
    transaction_id BIGINT NOT NULL REFERENCES transactions (id),
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    amount         BIGINT NOT NULL,
    balance_after  BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX entries_account ON entries (account_id, id);
CREATE INDEX entries_transaction ON entries (transaction_id);

-- A posting's idempotency key, written in the posting's own database
-- transaction: a repeat finds it and answers with the first result.
CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    transaction_id BIGINT REFERENCES transactions (id),
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

{{if .Postgres}}
-- +goose StatementBegin
CREATE FUNCTION coffer_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER transactions_immutable BEFORE UPDATE ON transactions FOR EACH ROW EXECUTE FUNCTION coffer_immutable();
CREATE TRIGGER entries_immutable BEFORE UPDATE ON entries FOR EACH ROW EXECUTE FUNCTION coffer_immutable();
{{else}}
-- +goose StatementBegin
CREATE TRIGGER transactions_immutable BEFORE UPDATE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'rows of transactions are immutable');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER entries_immutable BEFORE UPDATE ON entries
BEGIN
    SELECT RAISE(ABORT, 'rows of entries are immutable');
END;
-- +goose StatementEnd
{{end}}

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE entries;
DROP TABLE transactions;
DROP TABLE accounts;
DROP TABLE payment_methods;
DROP TABLE customers;
DROP TABLE admins;
{{if .Postgres}}DROP FUNCTION coffer_immutable();{{end}}
