-- Program and session tokens, the operation record (audit log) with its hash
-- chain, and settings.

-- +goose Up
-- Only a SHA-256 of each token is kept; the token itself is shown once.
CREATE TABLE tokens (
    id           {{.ID}},
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'program')),
    name         TEXT NOT NULL DEFAULT '',
    admin_id     BIGINT NOT NULL REFERENCES admins (id),
    role         TEXT,
    token_hash   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX tokens_hash ON tokens (token_hash);
CREATE INDEX tokens_admin ON tokens (admin_id);

-- Append-only: each record carries the hash of the one before it. The head
-- row holds the last id and hash; writers lock it, so the chain is one line.
CREATE TABLE audit_log (
    id          BIGINT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    actor_id    BIGINT,
    token_id    BIGINT,
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_actor ON audit_log (actor_id, id);
CREATE INDEX audit_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_created ON audit_log (created_at);
-- Failed logins are counted per username and per address for rate limiting.
CREATE INDEX audit_action_name ON audit_log (action, actor_name, created_at);
CREATE INDEX audit_action_addr ON audit_log (action, client_addr, created_at);

CREATE TABLE audit_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    hash    TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, hash) VALUES (1, 0, '');

{{if .Postgres}}
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION coffer_immutable();
{{else}}
-- +goose StatementBegin
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'rows of audit_log are immutable');
END;
-- +goose StatementEnd
{{end}}

CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Account lists filter and sort on these.
CREATE INDEX accounts_currency_created ON accounts (currency, created_at, id);
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_balance ON accounts (currency, balance, id);
CREATE INDEX customers_created ON customers (created_at, id);
CREATE INDEX transactions_type_created ON transactions (type, created_at);

-- +goose Down
DROP TABLE settings;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE tokens;
DROP INDEX accounts_currency_created;
DROP INDEX accounts_created;
DROP INDEX accounts_balance;
DROP INDEX customers_created;
DROP INDEX transactions_type_created;
