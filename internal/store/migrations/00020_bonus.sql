-- Principal and bonus (SPEC section 11). Every entry on a customer account
-- says which part of the balance it moves: principal (money received, and
-- credit) or bonus (promotional credit). accounts.bonus is the sum of the
-- account's bonus entries, kept like balance; principal is balance - bonus.
-- Bonus sits in lots, one per grant, each with its expiry; a debit records
-- what it took from which lot, so that its reversal can put it back.

-- +goose Up
-- A transaction's effect on its account's bonus (amount - bonus on its
-- principal): the reports read it, and it stays when retention archives the
-- entries. (Before the CHECK below is widened: SQLite's ADD COLUMN
-- edits the table's text at places it read before.)
ALTER TABLE transactions ADD COLUMN bonus BIGINT NOT NULL DEFAULT 0;

{{if .Postgres -}}
ALTER TABLE transactions DROP CONSTRAINT transactions_type_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_check
    CHECK (type IN ('topup', 'charge', 'adjustment', 'reversal', 'bonus', 'bonus_expired'));
{{- else -}}
-- SQLite cannot change a CHECK constraint, and rebuilding transactions
-- would mean rebuilding every table that refers to it. The constraint's
-- text is widened in place instead, the documented way
-- (https://sqlite.org/lang_altertable.html, "making other kinds of table
-- schema changes"): only values are added to the list, so every row stays
-- valid. The ALTER TABLE statements below make the connection read the
-- schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (type IN (''topup'', ''charge'', ''adjustment'', ''reversal''))',
                          'CHECK (type IN (''topup'', ''charge'', ''adjustment'', ''reversal'', ''bonus'', ''bonus_expired''))')
 WHERE type = 'table' AND name = 'transactions';
PRAGMA writable_schema = OFF;
{{- end}}

ALTER TABLE entries ADD COLUMN part TEXT NOT NULL DEFAULT 'principal' CHECK (part IN ('principal', 'bonus'));

-- bonus_until is the earliest expiry of the account's lots that still hold
-- bonus (NULL: none expires): before it, no lot has run out, and a posting
-- needs no read of the lots to know what the account may spend.
ALTER TABLE accounts ADD COLUMN bonus BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN bonus_until BIGINT;

-- A lot is the bonus one transaction granted (a top-up's bonus, or an
-- adjustment with reason promotion); remaining is what is left of it.
-- expires_at NULL: it never expires. The expiry job posts what is left of a
-- lot past its expiry as a bonus_expired transaction and sets remaining 0.
CREATE TABLE bonus_lots (
    id             {{.ID}},
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    transaction_id BIGINT NOT NULL REFERENCES transactions (id),
    amount         BIGINT NOT NULL CHECK (amount > 0),
    remaining      BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    expires_at     BIGINT,
    created_at     BIGINT NOT NULL
);
-- The account's index is not partial on remaining: a debit's update of a
-- lot then leaves it as it is (SQLite rewrites the entries of every index
-- whose WHERE names a column it sets). The expiry job's index is partial:
-- it must not grow with every lot that ever ran out.
CREATE UNIQUE INDEX bonus_lots_transaction ON bonus_lots (transaction_id);
CREATE INDEX bonus_lots_account ON bonus_lots (account_id);
CREATE INDEX bonus_lots_expiring ON bonus_lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;

-- Retention's checkpoint of an account's archived entries keeps their
-- bonus too, so that bonus still equals the sum of the bonus entries.
ALTER TABLE pruned_accounts ADD COLUMN bonus BIGINT NOT NULL DEFAULT 0;

-- What a transaction took from (amount > 0) or put back into (amount < 0)
-- a lot.
-- A transaction uses a lot at most once. Keyed by transaction, as a
-- reversal reads what its transaction took (lots are summed over their uses
-- by the ledger check alone, which reads them all); on SQLite the key is
-- the table itself (WITHOUT ROWID), so a use is one b-tree insert, not two.
CREATE TABLE bonus_lot_uses (
    transaction_id BIGINT NOT NULL REFERENCES transactions (id),
    lot_id         BIGINT NOT NULL REFERENCES bonus_lots (id),
    amount         BIGINT NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (transaction_id, lot_id)
){{if not .Postgres}} WITHOUT ROWID{{end}};

-- A use is applied to its lot by the database as it is written: a lot's
-- remaining is then its amount less its uses by construction, and a
-- posting writes one row per use instead of two statements. The CHECK on
-- remaining refuses a use that would take a lot below zero (or put back
-- more than it held). Uses, like entries, are never changed.
{{if .Postgres}}
-- +goose StatementBegin
CREATE FUNCTION coffer_apply_lot_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE bonus_lots SET remaining = remaining - NEW.amount WHERE id = NEW.lot_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER bonus_lot_uses_apply AFTER INSERT ON bonus_lot_uses FOR EACH ROW EXECUTE FUNCTION coffer_apply_lot_use();
CREATE TRIGGER bonus_lot_uses_immutable BEFORE UPDATE ON bonus_lot_uses FOR EACH ROW EXECUTE FUNCTION coffer_immutable();
{{else}}
-- +goose StatementBegin
CREATE TRIGGER bonus_lot_uses_apply AFTER INSERT ON bonus_lot_uses
BEGIN
    UPDATE bonus_lots SET remaining = remaining - NEW.amount WHERE id = NEW.lot_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER bonus_lot_uses_immutable BEFORE UPDATE ON bonus_lot_uses
BEGIN
    SELECT RAISE(ABORT, 'rows of bonus_lot_uses are immutable');
END;
-- +goose StatementEnd
{{end}}

-- +goose Down
DROP TABLE bonus_lot_uses;
{{if .Postgres}}DROP FUNCTION coffer_apply_lot_use();{{end}}
DROP TABLE bonus_lots;
ALTER TABLE pruned_accounts DROP COLUMN bonus;
ALTER TABLE accounts DROP COLUMN bonus_until;
ALTER TABLE accounts DROP COLUMN bonus;
ALTER TABLE entries DROP COLUMN part;
ALTER TABLE transactions DROP COLUMN bonus;
{{if .Postgres -}}
ALTER TABLE transactions DROP CONSTRAINT transactions_type_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_check
    CHECK (type IN ('topup', 'charge', 'adjustment', 'reversal'));
{{- end}}
