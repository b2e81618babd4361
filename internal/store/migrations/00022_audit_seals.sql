-- Operation records become write-once. A record's place in the chain and
-- its hashes move to a table of their own, written once by the sealer, and
-- the records waiting for it are queued in audit_pending (filled by a
-- trigger, so that nothing that writes a record can forget it). Sealing
-- used to update every record: on PostgreSQL an update that changes an
-- indexed column writes a new row version and an entry in each of the
-- table's eight indexes, for every posting. Now a record costs its row, its
-- queue entry and its seal row.
--
-- The two indexes that counted failed logins by name and by address hold
-- failed logins only, and one index on action serves the console's filter:
-- a posting's record adds five index entries instead of fourteen.

-- +goose Up
CREATE TABLE audit_seals (
    seq       {{if .Postgres}}BIGINT{{else}}INTEGER{{end}} PRIMARY KEY,
    audit_id  BIGINT NOT NULL UNIQUE,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TABLE audit_pending (
    audit_id {{if .Postgres}}BIGINT{{else}}INTEGER{{end}} PRIMARY KEY
);
INSERT INTO audit_seals (seq, audit_id, prev_hash, hash) SELECT seq, id, prev_hash, hash FROM audit_log WHERE seq IS NOT NULL;
INSERT INTO audit_pending (audit_id) SELECT id FROM audit_log WHERE seq IS NULL;

DROP TRIGGER audit_log_immutable{{if .Postgres}} ON audit_log{{end}};
{{if .Postgres}}DROP FUNCTION coffer_audit_seal_only();{{end}}
DROP INDEX audit_seq;
DROP INDEX audit_unsealed;
DROP INDEX audit_action_name;
DROP INDEX audit_action_addr;
ALTER TABLE audit_log DROP COLUMN seq;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN hash;
CREATE INDEX audit_action ON audit_log (action, id);
CREATE INDEX audit_failed_name ON audit_log (actor_name, created_at) WHERE action = 'login.failed';
CREATE INDEX audit_failed_addr ON audit_log (client_addr, created_at) WHERE action = 'login.failed';

{{if .Postgres}}
-- +goose StatementBegin
CREATE FUNCTION coffer_audit_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (audit_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_pending AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION coffer_audit_pending();
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION coffer_immutable();
CREATE TRIGGER audit_seals_immutable BEFORE UPDATE ON audit_seals FOR EACH ROW EXECUTE FUNCTION coffer_immutable();
{{else}}
-- +goose StatementBegin
CREATE TRIGGER audit_log_pending AFTER INSERT ON audit_log
BEGIN
    INSERT INTO audit_pending (audit_id) VALUES (NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_immutable BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'rows of audit_log are immutable');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_seals_immutable BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'rows of audit_seals are immutable');
END;
-- +goose StatementEnd
{{end}}

-- +goose Down
DROP TRIGGER audit_log_pending{{if .Postgres}} ON audit_log{{end}};
DROP TRIGGER audit_log_immutable{{if .Postgres}} ON audit_log{{end}};
{{if .Postgres}}DROP FUNCTION coffer_audit_pending();{{end}}
DROP INDEX audit_action;
DROP INDEX audit_failed_name;
DROP INDEX audit_failed_addr;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
UPDATE audit_log SET seq = (SELECT seq FROM audit_seals WHERE audit_id = audit_log.id),
    prev_hash = (SELECT prev_hash FROM audit_seals WHERE audit_id = audit_log.id),
    hash = (SELECT hash FROM audit_seals WHERE audit_id = audit_log.id);
CREATE UNIQUE INDEX audit_seq ON audit_log (seq);
CREATE INDEX audit_unsealed ON audit_log (id) WHERE seq IS NULL;
CREATE INDEX audit_action_name ON audit_log (action, actor_name, created_at);
CREATE INDEX audit_action_addr ON audit_log (action, client_addr, created_at);
DROP TABLE audit_pending;
DROP TABLE audit_seals;
-- Sealing may change a record once again (as 00002 had it).
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
