package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Webhooks: a super admin registers URLs for event types; events, written
// to the events table in the transaction of the change they announce, are
// fanned out to deliveries, and a worker (package webhook) sends them. The
// worker passes its own clock to the functions it calls, so that tests can
// move time without sleeping.

// Webhook is a registered receiver. Its secret is not here: it is shown
// once, when the webhook is created, and read only by the worker.
type Webhook struct {
	ID          int64
	URL         string
	Events      []string
	Description string
	CreatedBy   int64
	CreatedAt   time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"    // every attempt failed; a redelivery may still be asked for
	DeliveryCancelled = "cancelled" // its webhook was deleted before it went out
)

// Delivery is one event sent, or to be sent, to one webhook, with its log.
type Delivery struct {
	ID             int64
	WebhookID      int64
	EventID        int64
	EventType      string
	RedeliveryOf   int64 // the delivery a manual redelivery repeats; 0 for none
	Status         string
	Attempts       int
	NextAttemptAt  *time.Time
	LastStatusCode int // 0: no answer yet, or none came
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    *time.Time
	Log            []DeliveryAttempt
}

// DeliveryAttempt is one try at sending a delivery.
type DeliveryAttempt struct {
	Attempt    int
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode int // 0: no HTTP answer (refused, timed out, …)
	Error      string
}

func newWebhookSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	// The form of Standard Webhooks: its libraries take the bytes it encodes.
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// CreateWebhook registers a webhook and returns it with its secret, which is
// not shown again. The operation record keeps everything but the secret.
func (s *Store) CreateWebhook(ctx context.Context, actor ledger.Actor, n ledger.NewWebhook) (Webhook, string, error) {
	events, err := n.Validate()
	if err != nil {
		return Webhook{}, "", err
	}
	secret := n.Secret
	if secret == "" {
		secret = newWebhookSecret()
	}
	var w Webhook
	err = s.write(ctx, func(tx *txn) error {
		w = Webhook{URL: n.URL, Events: events, Description: n.Description, CreatedBy: actor.AdminID, CreatedAt: s.nowTime()}
		// Events from before the webhook are not its business, even those
		// that a worker has not dispatched yet.
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhooks (url, secret, description, after_event_id, created_by, created_at)
			VALUES ($1, $2, $3, (SELECT COALESCE(MAX(id), 0) FROM events), $4, $5) RETURNING id`,
			w.URL, secret, w.Description, nullID(w.CreatedBy), micros(w.CreatedAt)).Scan(&w.ID); err != nil {
			return err
		}
		for _, e := range events {
			if _, err := tx.ExecContext(ctx, "INSERT INTO webhook_subscriptions (webhook_id, event_type) VALUES ($1, $2)", w.ID, e); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, change{action: "webhook.create", objectType: "webhook", objectID: w.ID, after: auditWebhook(w)})
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

func auditWebhook(w Webhook) map[string]any {
	return map[string]any{"url": w.URL, "events": w.Events, "description": w.Description}
}

// Webhooks lists live webhooks, newest first, with ids below beforeID
// (0: from the newest).
func (s *Store) Webhooks(ctx context.Context, beforeID int64, limit int) ([]Webhook, error) {
	var out []Webhook
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		w.add("deleted_at IS NULL")
		if beforeID != 0 {
			w.add("id < ?", beforeID)
		}
		var err error
		out, err = s.scanWebhooks(ctx, tx, w, limit)
		return err
	})
	return out, err
}

// Webhook returns a live webhook; a deleted one is not found.
func (s *Store) Webhook(ctx context.Context, id int64) (Webhook, error) {
	var out []Webhook
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		w.add("deleted_at IS NULL AND id = ?", id)
		var err error
		out, err = s.scanWebhooks(ctx, tx, w, 1)
		return err
	})
	if err == nil && len(out) == 0 {
		err = ledger.ErrNotFound
	}
	if err != nil {
		return Webhook{}, err
	}
	return out[0], nil
}

func scanWebhook(row scanner) (Webhook, error) {
	var h Webhook
	var by sql.NullInt64
	var created int64
	err := row.Scan(&h.ID, &h.URL, &h.Description, &by, &created)
	h.CreatedBy, h.CreatedAt = by.Int64, fromMicros(created)
	return h, err
}

// scanWebhooks reads the webhooks w selects, newest first, with the event
// types each subscribes to.
func (s *Store) scanWebhooks(ctx context.Context, tx *txn, w where, limit int) ([]Webhook, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, url, description, created_by, created_at FROM webhooks"+w.sql()+
		" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...)
	out, err := collect(rows, err, scanWebhook)
	if err != nil || len(out) == 0 {
		return out, err
	}
	byID := make(map[int64]int, len(out))
	ids := make([]int64, len(out))
	for i, h := range out {
		byID[h.ID], ids[i] = i, h.ID
	}
	in, args := inList(ids, 0)
	rows, err = tx.QueryContext(ctx, "SELECT webhook_id, event_type FROM webhook_subscriptions WHERE webhook_id IN ("+in+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var e string
		if err := rows.Scan(&id, &e); err != nil {
			return nil, err
		}
		out[byID[id]].Events = append(out[byID[id]].Events, e)
	}
	// In the order of WebhookEventTypes, as they were given.
	for i := range out {
		slices.SortFunc(out[i].Events, func(a, b string) int {
			return slices.Index(ledger.WebhookEventTypes, a) - slices.Index(ledger.WebhookEventTypes, b)
		})
	}
	return out, rows.Err()
}

// DeleteWebhook stops a webhook: nothing more is sent to it, and its
// deliveries still waiting are cancelled. A delivery already on its way
// finishes; its attempt is logged.
func (s *Store) DeleteWebhook(ctx context.Context, actor ledger.Actor, id int64) error {
	before, err := s.Webhook(ctx, id)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *txn) error {
		now := micros(s.nowTime())
		res, err := tx.ExecContext(ctx, "UPDATE webhooks SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL", id, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = ledger.ErrNotFound // deleted meanwhile
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_owner = NULL,
			lease_until = NULL, last_error = 'the webhook was deleted', updated_at = $2 WHERE webhook_id = $1 AND status = 'pending'`, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "webhook.delete", objectType: "webhook", objectID: id, before: auditWebhook(before)})
	})
}

// DeliveryFilter selects a webhook's deliveries.
type DeliveryFilter struct {
	WebhookID int64
	Status    string // "" for any
	BeforeID  int64  // keyset cursor: deliveries with smaller ids
	Limit     int
}

const deliveryCols = `d.id, d.webhook_id, d.event_id, e.type, d.redelivery_of, d.status, d.attempts, d.next_attempt_at,
	d.last_status_code, d.last_error, d.created_at, d.updated_at, d.delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var redo, next, code, delivered sql.NullInt64
	var created, updated int64
	err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &redo, &d.Status, &d.Attempts, &next,
		&code, &d.LastError, &created, &updated, &delivered)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ledger.ErrNotFound
	}
	d.RedeliveryOf, d.LastStatusCode = redo.Int64, int(code.Int64)
	d.NextAttemptAt, d.DeliveredAt = fromNullMicros(next), fromNullMicros(delivered)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return d, err
}

// WebhookDeliveries lists a live webhook's deliveries, newest first, each
// with every attempt made.
func (s *Store) WebhookDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if _, err := s.Webhook(ctx, f.WebhookID); err != nil {
		return nil, err
	}
	var out []Delivery
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		w.add("d.webhook_id = ?", f.WebhookID)
		if f.Status != "" {
			w.add("d.status = ?", f.Status)
		}
		if f.BeforeID != 0 {
			w.add("d.id < ?", f.BeforeID)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+deliveryCols+" FROM webhook_deliveries d JOIN events e ON e.id = d.event_id"+
			w.sql()+" ORDER BY d.id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
		if out, err = collect(rows, err, scanDelivery); err != nil || len(out) == 0 {
			return err
		}
		byID := make(map[int64]int, len(out))
		ids := make([]int64, len(out))
		for i, d := range out {
			byID[d.ID], ids[i] = i, d.ID
		}
		in, args := inList(ids, 0)
		rows, err = tx.QueryContext(ctx, "SELECT delivery_id, attempt, started_at, duration_us, status_code, error FROM webhook_attempts WHERE delivery_id IN ("+
			in+") ORDER BY id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, started, dur int64
			var a DeliveryAttempt
			var code sql.NullInt64
			if err := rows.Scan(&id, &a.Attempt, &started, &dur, &code, &a.Error); err != nil {
				return err
			}
			a.StartedAt, a.Duration, a.StatusCode = fromMicros(started), time.Duration(dur)*time.Microsecond, int(code.Int64)
			out[byID[id]].Log = append(out[byID[id]].Log, a)
		}
		return rows.Err()
	})
	return out, err
}

// Redeliver queues a delivery's event to be sent to its webhook again, at
// once, as a new delivery with its own attempts and log.
func (s *Store) Redeliver(ctx context.Context, actor ledger.Actor, webhookID, deliveryID int64) (Delivery, error) {
	var d Delivery
	err := s.write(ctx, func(tx *txn) error {
		if err := liveWebhook(ctx, tx, webhookID); err != nil {
			return err
		}
		orig, err := scanDelivery(tx.QueryRowContext(ctx, "SELECT "+deliveryCols+
			" FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1 AND d.webhook_id = $2", deliveryID, webhookID))
		if err != nil {
			return err
		}
		if d, err = s.queueDelivery(ctx, tx, webhookID, orig.EventID, &orig.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "webhook.redeliver", objectType: "webhook", objectID: webhookID,
			after: map[string]any{"delivery_id": strconv.FormatInt(d.ID, 10), "redelivery_of": strconv.FormatInt(orig.ID, 10),
				"event_id": strconv.FormatInt(orig.EventID, 10), "event_type": orig.EventType}})
	})
	return d, err
}

// PingEvent is the type of the test event PingWebhook sends.
const PingEvent = "webhook.ping"

// PingWebhook queues a webhook.ping event for one webhook, to be sent at
// once: whoever runs the receiver sees that it gets Coffer's deliveries and
// verifies their signatures. The event is marked dispatched as it is
// written, so that no other webhook receives it.
func (s *Store) PingWebhook(ctx context.Context, actor ledger.Actor, webhookID int64) (Delivery, error) {
	var d Delivery
	err := s.write(ctx, func(tx *txn) error {
		if err := liveWebhook(ctx, tx, webhookID); err != nil {
			return err
		}
		args, err := s.eventArgs(PingEvent, map[string]any{"webhook_id": strconv.FormatInt(webhookID, 10)})
		if err != nil {
			return err
		}
		var eventID int64
		if err := tx.QueryRowContext(ctx, "INSERT INTO events (type, payload, created_at, dispatched_at) VALUES ($1, $2, $3, $3) RETURNING id",
			args...).Scan(&eventID); err != nil {
			return err
		}
		if d, err = s.queueDelivery(ctx, tx, webhookID, eventID, nil); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "webhook.ping", objectType: "webhook", objectID: webhookID,
			after: map[string]any{"delivery_id": strconv.FormatInt(d.ID, 10), "event_id": strconv.FormatInt(eventID, 10)}})
	})
	return d, err
}

// liveWebhook is ledger.ErrNotFound unless the webhook exists and is not
// deleted.
func liveWebhook(ctx context.Context, tx *txn, id int64) error {
	var live int64
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM webhooks WHERE id = $1 AND deleted_at IS NULL", id).Scan(&live); err != nil {
		return err
	}
	if live == 0 {
		return ledger.ErrNotFound
	}
	return nil
}

// queueDelivery adds a delivery of an event to a webhook, due at once.
func (s *Store) queueDelivery(ctx context.Context, tx *txn, webhookID, eventID int64, redeliveryOf *int64) (Delivery, error) {
	now := micros(s.nowTime())
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, redelivery_of, status, attempts, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4) RETURNING id`, webhookID, eventID, redeliveryOf, now).Scan(&id); err != nil {
		return Delivery{}, err
	}
	return scanDelivery(tx.QueryRowContext(ctx, "SELECT "+deliveryCols+
		" FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1", id))
}

// skipLocked makes a SELECT lock the rows it returns and pass over rows that
// another transaction has locked, so that workers on several instances
// claim different work instead of queueing on the same rows. SQLite needs
// neither: its one writer holds the whole database.
func (s *Store) skipLocked() string {
	if s.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// DispatchEvents makes deliveries of up to limit events not yet dispatched,
// one for each live webhook that wants the event's type, and marks the
// events dispatched, in one transaction: each event is fanned out exactly
// once, whichever instance does it. It returns how many events it took.
func (s *Store) DispatchEvents(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		n = 0
		rows, err := tx.QueryContext(ctx, "SELECT id FROM events WHERE dispatched_at IS NULL ORDER BY id LIMIT $1"+s.skipLocked(), limit)
		ids, err := collect(rows, err, scanID)
		if err != nil || len(ids) == 0 {
			return err
		}
		// The lists differ in length every time: the statements go to the
		// database unprepared rather than into the writer's cache.
		in, args := inList(ids, 1)
		args = append([]any{micros(now)}, args...)
		if _, err := tx.Tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
			SELECT s.webhook_id, e.id, 'pending', 0, CAST($1 AS BIGINT), CAST($1 AS BIGINT), CAST($1 AS BIGINT)
			FROM events e JOIN webhook_subscriptions s ON s.event_type = e.type JOIN webhooks w ON w.id = s.webhook_id
			WHERE w.deleted_at IS NULL AND e.id > w.after_event_id AND e.id IN (`+in+`)
			ON CONFLICT DO NOTHING`, args...); err != nil {
			return err
		}
		if _, err := tx.Tx.ExecContext(ctx, "UPDATE events SET dispatched_at = $1 WHERE id IN ("+in+")", args...); err != nil {
			return err
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// ClaimedDelivery is a delivery a worker holds the lease of, with what it
// needs to send it.
type ClaimedDelivery struct {
	ID             int64
	Lease          string // the claim's owner token; results are written only under it
	Attempt        int    // this attempt's number, from 1
	WebhookID      int64
	URL            string
	Secret         string
	PreviousSecret string    // the secret before a rotation: it signs too until PreviousUntil
	PreviousUntil  time.Time // zero: no previous secret
	EventID        int64
	EventType      string
	Payload        string // JSON
	EventCreatedAt time.Time
}

// ClaimDeliveries leases up to limit pending deliveries that are due at now
// and not leased by someone else, until now+lease. The worker then sends
// them with no database transaction open, and reports each with
// RecordAttempt; a lease that runs out first (the worker died) lets another
// worker take the delivery again.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ClaimedDelivery, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	owner := hex.EncodeToString(b)
	var out []ClaimedDelivery
	err := s.write(ctx, func(tx *txn) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id FROM webhook_deliveries
			WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY next_attempt_at, id LIMIT $2`+s.skipLocked(), micros(now), limit)
		ids, err := collect(rows, err, scanID)
		if err != nil || len(ids) == 0 {
			return err
		}
		in, args := inList(ids, 3)
		if _, err := tx.Tx.ExecContext(ctx, "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_owner = $1, lease_until = $2, updated_at = $3 WHERE id IN ("+in+")",
			append([]any{owner, micros(now.Add(lease)), micros(now)}, args...)...); err != nil {
			return err
		}
		in, args = inList(ids, 0)
		rows, err = tx.Tx.QueryContext(ctx, `SELECT d.id, d.attempts, w.id, w.url, w.secret, w.previous_secret, w.previous_secret_until, e.id, e.type, e.payload, e.created_at
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
			WHERE d.id IN (`+in+`) ORDER BY d.id`, args...)
		out, err = collect(rows, err, func(row scanner) (ClaimedDelivery, error) {
			c := ClaimedDelivery{Lease: owner}
			var created int64
			var prev sql.NullString
			var until sql.NullInt64
			err := row.Scan(&c.ID, &c.Attempt, &c.WebhookID, &c.URL, &c.Secret, &prev, &until, &c.EventID, &c.EventType, &c.Payload, &created)
			c.EventCreatedAt = fromMicros(created)
			if prev.Valid && until.Valid {
				c.PreviousSecret, c.PreviousUntil = prev.String, fromMicros(until.Int64)
			}
			return c, err
		})
		return err
	})
	return out, err
}

// AttemptResult is what became of one attempt at a claimed delivery.
type AttemptResult struct {
	DeliveryID int64
	Lease      string
	Attempt    int
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode int // 0: no HTTP answer
	Error      string
	Delivered  bool       // the receiver answered 2xx
	RetryAt    *time.Time // when not delivered: the next attempt; nil: give up (failed)
	At         time.Time  // now, by the worker's clock
}

// ErrLeaseLost says that an attempt was logged but the delivery was not
// changed: its lease had run out and another worker took it, or its webhook
// was deleted meanwhile.
var ErrLeaseLost = errors.New("webhook delivery: the lease was lost; the attempt is logged, the delivery left as it is")

// RecordAttempt logs an attempt and moves its delivery on: delivered, due
// again at RetryAt, or failed.
func (s *Store) RecordAttempt(ctx context.Context, r AttemptResult) error {
	status, next, delivered := DeliveryFailed, sql.NullInt64{}, sql.NullInt64{}
	switch {
	case r.Delivered:
		status, delivered = DeliveryDelivered, sql.NullInt64{Int64: micros(r.At), Valid: true}
	case r.RetryAt != nil:
		status, next = DeliveryPending, sql.NullInt64{Int64: micros(*r.RetryAt), Valid: true}
	}
	code := sql.NullInt64{Int64: int64(r.StatusCode), Valid: r.StatusCode != 0}
	lost := false
	err := s.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_us, status_code, error)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.DeliveryID, r.Attempt, micros(r.StartedAt), r.Duration.Microseconds(), code, r.Error); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, delivered_at = $5, last_status_code = $6,
			last_error = $7, lease_owner = NULL, lease_until = NULL, updated_at = $8
			WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
			r.DeliveryID, r.Lease, status, next, delivered, code, r.Error, micros(r.At))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		lost = n == 0
		return err
	})
	if err == nil && lost {
		err = ErrLeaseLost
	}
	return err
}

// RotateWebhookSecret gives a live webhook a new secret (generated when
// r.Secret is empty) and returns it with the time until which the previous
// one still signs. The operation record names the grace, never a secret.
func (s *Store) RotateWebhookSecret(ctx context.Context, actor ledger.Actor, id int64, r ledger.WebhookRotation) (string, time.Time, error) {
	if err := r.Validate(); err != nil {
		return "", time.Time{}, err
	}
	secret := r.Secret
	if secret == "" {
		secret = newWebhookSecret()
	}
	until := s.nowTime().Add(time.Duration(r.GraceHours) * time.Hour)
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET previous_secret = secret, previous_secret_until = $2, secret = $3
			WHERE id = $1 AND deleted_at IS NULL`, id, micros(until), secret)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = ledger.ErrNotFound
			}
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "webhook.rotate_secret", objectType: "webhook", objectID: id,
			after: map[string]any{"grace_hours": r.GraceHours}})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return secret, until, nil
}
