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

-- Append-only. A record is written in the transaction of the change it
-- records, without a hash: taking the chain's head there would make every
-- posting wait for the one before. The sealer (store.SealAudit) then gives
-- committed records, in order, their place in the chain (seq), the previous
-- record's hash and their own. The head row holds the chain's end.
CREATE TABLE audit_log (
    id          {{.ID}},
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
    seq         BIGINT,
    prev_hash   TEXT,
    hash        TEXT
);
CREATE UNIQUE INDEX audit_seq ON audit_log (seq);
CREATE INDEX audit_unsealed ON audit_log (id) WHERE seq IS NULL;
CREATE INDEX audit_actor ON audit_log (actor_id, id);
CREATE INDEX audit_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_created ON audit_log (created_at);
-- Failed logins are counted per username and per address for rate limiting.
CREATE INDEX audit_action_name ON audit_log (action, actor_name, created_at);
CREATE INDEX audit_action_addr ON audit_log (action, client_addr, created_at);

CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    hash     TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, hash) VALUES (1, 0, '');

-- Only sealing may change a record, and only once.
{{if .Postgres}}
-- +goose StatementBegin
CREATE FUNCTION coffer_audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hash IS NOT NULL OR
       (NEW.id, NEW.created_at, NEW.actor_id, NEW.token_id, NEW.actor_name, NEW.action, NEW.object_type, NEW.object_id,
        NEW.before_json, NEW.after_json, NEW.client_addr) IS DISTINCT FROM
       (OLD.id, OLD.created_at, OLD.actor_id, OLD.token_id, OLD.actor_name, OLD.action, OLD.object_type, OLD.object_id,
        OLD.before_json, OLD.after_json, OLD.client_addr) THEN
        RAISE EXCEPTION 'rows of audit_log are immutable';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION coffer_audit_seal_only();
{{else}}
-- +goose StatementBegin
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.created_at IS NOT OLD.created_at OR NEW.actor_id IS NOT OLD.actor_id
  OR NEW.token_id IS NOT OLD.token_id OR NEW.actor_name IS NOT OLD.actor_name OR NEW.action IS NOT OLD.action
  OR NEW.object_type IS NOT OLD.object_type OR NEW.object_id IS NOT OLD.object_id
  OR NEW.before_json IS NOT OLD.before_json OR NEW.after_json IS NOT OLD.after_json OR NEW.client_addr IS NOT OLD.client_addr
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
{{if .Postgres}}DROP FUNCTION coffer_audit_seal_only();{{end}}
DROP INDEX accounts_currency_created;
DROP INDEX accounts_created;
DROP INDEX accounts_balance;
DROP INDEX customers_created;
DROP INDEX transactions_type_created;
