-- An account's open low-balance alert, kept on the account's row: a posting
-- reads it with the row it locks, and on PostgreSQL that read sees the row's
-- latest version even after waiting for another posting's lock, which a
-- query of the alerts table in the same statement would not (store/alerts.go).

-- +goose Up
ALTER TABLE accounts ADD COLUMN open_alert_id BIGINT;
UPDATE accounts SET open_alert_id = (SELECT id FROM alerts WHERE alerts.account_id = accounts.id AND alerts.cleared_at IS NULL)
    WHERE id IN (SELECT account_id FROM alerts WHERE cleared_at IS NULL);

-- +goose Down
ALTER TABLE accounts DROP COLUMN open_alert_id;
