-- Webhooks: the URLs a super admin registers with the event types they want,
-- one delivery per event and webhook, and every attempt to send it.
-- store/webhooks.go and the worker in package webhook use them.

-- +goose Up
-- The secret is kept as given, unlike a token's: Coffer signs every delivery
-- with it, so it needs the secret itself, not a hash. A deleted webhook is
-- kept (deleted_at set) so that its delivery log stays readable to the end.
-- A webhook gets the events after after_event_id, the newest when it was
-- registered: not the backlog that no worker had dispatched yet.
CREATE TABLE webhooks (
    id             {{.ID}},
    url            TEXT NOT NULL,
    secret         TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    after_event_id BIGINT NOT NULL DEFAULT 0,
    created_by     BIGINT REFERENCES admins (id),
    created_at     BIGINT NOT NULL,
    deleted_at     BIGINT
);

-- The event types a webhook wants, one row each: fanning events out to
-- deliveries is then one join.
CREATE TABLE webhook_subscriptions (
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
    event_type TEXT NOT NULL,
    PRIMARY KEY (webhook_id, event_type)
);
CREATE INDEX webhook_subscriptions_type ON webhook_subscriptions (event_type, webhook_id);

-- An event is dispatched once: deliveries are made for the webhooks that
-- want it, in the transaction that sets dispatched_at. A mark per event,
-- rather than a cursor over ids, because PostgreSQL commits ids out of
-- order: a cursor would step over an event whose transaction was slow.
-- Events from before webhooks existed have nobody to go to.
ALTER TABLE events ADD COLUMN dispatched_at BIGINT;
UPDATE events SET dispatched_at = created_at;
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;

-- One event sent to one webhook. A worker claims a pending delivery that is
-- due by setting lease_owner and lease_until (PostgreSQL: under SELECT … FOR
-- UPDATE SKIP LOCKED); no other worker takes it until the lease runs out,
-- and the result of the attempt is written only while the lease is still
-- the claimer's. attempts counts the claims, so a worker that died mid-send
-- still used one up. A manual redelivery is a new row that names the one it
-- repeats; the first delivery of an event to a webhook is unique.
CREATE TABLE webhook_deliveries (
    id               {{.ID}},
    webhook_id       BIGINT NOT NULL REFERENCES webhooks (id),
    event_id         BIGINT NOT NULL REFERENCES events (id),
    redelivery_of    BIGINT REFERENCES webhook_deliveries (id),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_owner      TEXT,
    lease_until      BIGINT,
    last_status_code INTEGER,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (webhook_id, event_id) WHERE redelivery_of IS NULL;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- Every attempt: when, how long, the HTTP status (NULL when no answer came)
-- and what went wrong.
CREATE TABLE webhook_attempts (
    id          {{.ID}},
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempt     INTEGER NOT NULL,
    started_at  BIGINT NOT NULL,
    duration_us BIGINT NOT NULL,
    status_code INTEGER,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP INDEX events_undispatched;
ALTER TABLE events DROP COLUMN dispatched_at;
DROP TABLE webhook_subscriptions;
DROP TABLE webhooks;
