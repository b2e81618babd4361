-- Secret rotation with a grace period (docs/webhooks.md): after a rotation
-- every delivery is signed with the new secret and, until
-- previous_secret_until, with the previous one too, so that a receiver
-- holding either verifies while it switches over.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN previous_secret TEXT;
ALTER TABLE webhooks ADD COLUMN previous_secret_until BIGINT;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN previous_secret_until;
ALTER TABLE webhooks DROP COLUMN previous_secret;
