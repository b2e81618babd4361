-- +goose Up
-- When retention last finished a run, with or without anything to archive:
-- the metrics show it, so that a job that silently stopped is noticed.
ALTER TABLE retention_head ADD COLUMN last_run_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE retention_head DROP COLUMN last_run_at;
