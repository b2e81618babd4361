-- The statement link a monthly statement mail carries (when Coffer knows
-- its address, --base-url): one live link per notification, renewed at
-- each attempt, since only its hash is kept.

-- +goose Up
ALTER TABLE notifications ADD COLUMN link_id BIGINT REFERENCES statement_links (id);

-- +goose Down
ALTER TABLE notifications DROP COLUMN link_id;
