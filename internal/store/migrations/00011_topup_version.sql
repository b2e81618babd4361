-- Versions of what one person decides on while another may still change it
-- (SPEC section 7, "Review approves what the reviewer saw"). A reviewer's
-- approval, or an administrator's edit of an account's settings, may name
-- the version it was made on; if the row has changed since, the decision is
-- refused (stale_version) instead of acting on what nobody looked at.
--
-- topups.version grows with every change of a request: a correction by its
-- submitter, a voucher added, a decision. accounts.version grows with every
-- change of an account's settings (alert amount, credit limit, overdraft and
-- its expiry, status), not with postings: a balance that moves does not make
-- an edit of credit stale. Existing rows start at 1.

-- +goose Up
ALTER TABLE topups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE accounts DROP COLUMN version;
ALTER TABLE topups DROP COLUMN version;
