-- Each administrator's language for the web UI.

-- +goose Up
ALTER TABLE admins ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';

-- +goose Down
ALTER TABLE admins DROP COLUMN locale;
