package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Customer notifications (SPEC 10). A change that a customer is to hear of
// writes its notification here, in the change's own transaction, so that a
// posting and its mail are one fact: neither without the other. Package
// notify composes and sends them later, under a lease like webhook
// deliveries; a mail server that is down or slow only delays them.

// notify queues a notification of kind to the customer of account
// accountID, with the figures in payload, if the customer has an address
// and wants this kind. One statement: a posting pays one round trip for it,
// and only the postings a customer hears of pay that.
func (s *Store) notify(ctx context.Context, tx *txn, accountID int64, kind string, payload map[string]any) error {
	if tx.quiet {
		return nil
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	now := micros(s.nowTime())
	// The toggle's column name comes from a fixed table, never from input.
	_, err = tx.ExecContext(ctx, `INSERT INTO notifications (customer_id, kind, recipient, locale, payload, status, next_attempt_at, created_at, updated_at)
		SELECT c.id, $2, c.email, c.locale, $3, 'pending', $4, $4, $4 FROM accounts a JOIN customers c ON c.id = a.customer_id
		WHERE a.id = $1 AND c.email IS NOT NULL AND c.email <> '' AND c.archived_at IS NULL AND c.notify_`+ledger.NotifyToggle(kind),
		accountID, kind, string(b), now)
	return err
}

// postingNotice is the payload of a notification about posting t, seen
// from the customer account's side.
func postingNotice(t *ledger.Transaction) map[string]any {
	d := t.Currency.Digits()
	m := map[string]any{"transaction_id": strconv.FormatInt(t.ID, 10), "account_id": strconv.FormatInt(t.AccountID, 10),
		"currency": t.Currency.Code(), "reference": t.Reference, "note": t.Note, "reason": string(t.Reason), "at": t.CreatedAt.UTC()}
	for _, e := range t.Entries {
		if e.AccountID == t.AccountID && e.BalanceAfter != nil {
			m["amount"], m["balance"] = money.FormatMinor(e.Amount, d), money.FormatMinor(*e.BalanceAfter, d)
		}
	}
	return m
}

// notifyPosting queues what a customer hears of a posting: an adjustment,
// with its note, and a top-up posted without review (a reviewed one is told
// of with its decision, topups.go).
func (s *Store) notifyPosting(ctx context.Context, tx *txn, t *ledger.Transaction) error {
	switch {
	case t.Type == ledger.TxAdjustment:
		return s.notify(ctx, tx, t.AccountID, ledger.NotifyAdjustment, postingNotice(t))
	case t.Type == ledger.TxTopUp && t.TopUpID == 0:
		return s.notify(ctx, tx, t.AccountID, ledger.NotifyTopUpApproved, postingNotice(t))
	}
	return nil
}

const notificationCols = "id, customer_id, kind, recipient, locale, payload, status, attempts, next_attempt_at, subject, last_error, created_at, updated_at, sent_at"

func scanNotification(row scanner) (ledger.Notification, error) {
	var n ledger.Notification
	var next, sent sql.NullInt64
	var created, updated int64
	err := row.Scan(&n.ID, &n.CustomerID, &n.Kind, &n.Recipient, &n.Locale, &n.Payload, &n.Status, &n.Attempts, &next,
		&n.Subject, &n.LastError, &created, &updated, &sent)
	n.NextAttemptAt, n.SentAt = fromNullMicros(next), fromNullMicros(sent)
	n.CreatedAt, n.UpdatedAt = fromMicros(created), fromMicros(updated)
	return n, err
}

// NotificationFilter selects notifications; its fields combine.
type NotificationFilter struct {
	CustomerID int64
	Status     string
	Kind       string
	AfterID    int64 // ids below this (0: from the newest)
	Limit      int
}

// Notifications lists notifications, newest first.
func (s *Store) Notifications(ctx context.Context, f NotificationFilter) ([]ledger.Notification, error) {
	w := where{}
	if f.CustomerID != 0 {
		w.add("customer_id = ?", f.CustomerID)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if f.AfterID != 0 {
		w.add("id < ?", f.AfterID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+notificationCols+" FROM notifications"+w.sql()+" ORDER BY id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
	return collect(rows, err, scanNotification)
}

// ClaimedNotification is a notification a worker holds the lease of.
type ClaimedNotification struct {
	ledger.Notification
	Lease        string
	CustomerName string // as it is now: a renamed customer is greeted by the new name
}

// ClaimNotifications leases up to limit pending notifications due at now
// and not leased by another worker, until now+lease, and counts the
// attempt. The worker sends them with no transaction open and reports each
// with RecordNotification.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ClaimedNotification, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	owner := hex.EncodeToString(b)
	var out []ClaimedNotification
	err := s.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM notifications
			WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY next_attempt_at, id LIMIT $2`+s.skipLocked(), micros(now), limit)
		ids, err := collect(rows, err, scanID)
		if err != nil || len(ids) == 0 {
			out = nil
			return err
		}
		in, args := inList(ids, 3)
		if _, err := tx.Tx.ExecContext(ctx, "UPDATE notifications SET attempts = attempts + 1, lease_owner = $1, lease_until = $2, updated_at = $3 WHERE id IN ("+in+")",
			append([]any{owner, micros(now.Add(lease)), micros(now)}, args...)...); err != nil {
			return err
		}
		in, args = inList(ids, 0)
		rows, err = tx.Tx.QueryContext(ctx, "SELECT "+prefixCols(notificationCols, "n.")+", c.name"+
			" FROM notifications n JOIN customers c ON c.id = n.customer_id WHERE n.id IN ("+in+") ORDER BY n.id", args...)
		out, err = collect(rows, err, func(row scanner) (ClaimedNotification, error) {
			c := ClaimedNotification{Lease: owner}
			var name string
			n, err := scanNotification(scanWith{row, []any{&name}})
			c.Notification, c.CustomerName = n, name
			return c, err
		})
		return err
	})
	return out, err
}

// NotificationResult is what became of one attempt at a notification.
type NotificationResult struct {
	ID      int64
	Lease   string
	Status  string     // sent, failed, skipped, or pending to try again at RetryAt
	RetryAt *time.Time // for pending
	Subject string
	Error   string
	At      time.Time
}

// ErrNotificationLeaseLost says a result came after the lease ran out and
// another worker took the notification: the result is not recorded.
var ErrNotificationLeaseLost = errors.New("notification: the lease was lost; the result is not recorded")

// RecordNotification writes the result of an attempt, under its lease.
func (s *Store) RecordNotification(ctx context.Context, r NotificationResult) error {
	next, sent := sql.NullInt64{}, sql.NullInt64{}
	switch r.Status {
	case ledger.NotificationPending:
		if r.RetryAt == nil {
			return errors.New("notification: a retry needs its time")
		}
		next = sql.NullInt64{Int64: micros(*r.RetryAt), Valid: true}
	case ledger.NotificationSent:
		sent = sql.NullInt64{Int64: micros(r.At), Valid: true}
	}
	var n int64
	err := s.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET status = $3, next_attempt_at = $4, sent_at = $5, subject = $6, last_error = $7,
			lease_owner = NULL, lease_until = NULL, updated_at = $8 WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
			r.ID, r.Lease, r.Status, next, sent, r.Subject, r.Error, micros(r.At))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err == nil && n == 0 {
		err = ErrNotificationLeaseLost
	}
	return err
}

// QueueMonthlyStatements queues last month's statement (months of the
// business time zone) for every customer who wants statements, has an
// address and has an account that moved in the month or holds money. It runs
// once per month whichever instance calls it first: the month done is kept
// in the settings table, read under its lock, and a customer's statement of
// a month is unique besides. The first call ever only notes the month, so
// that a new installation does not mail a statement of the month before it
// existed. It returns how many it queued.
func (s *Store) QueueMonthlyStatements(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *txn) error {
		settings, err := loadSettings(ctx, tx, "")
		if err != nil {
			return err
		}
		local := now.In(settings.Location())
		end := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, local.Location())
		start := end.AddDate(0, -1, 0)
		key := start.Format("2006-01")
		res, err := tx.ExecContext(ctx, "INSERT INTO settings (name, value, updated_at) VALUES ('statements_month', $1, $2) ON CONFLICT (name) DO NOTHING",
			key, micros(now))
		if err != nil {
			return err
		}
		if first, err := res.RowsAffected(); err != nil || first == 1 {
			return err
		}
		var done string
		if err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = 'statements_month'"+s.forUpdate).Scan(&done); err != nil {
			return err
		}
		if done >= key {
			return nil
		}
		payload := `{"period":"` + key + `","from":"` + start.UTC().Format(time.RFC3339) + `","to":"` + end.UTC().Format(time.RFC3339) + `"}`
		res, err = tx.ExecContext(ctx, `INSERT INTO notifications (customer_id, kind, recipient, locale, payload, period_key, status, next_attempt_at, created_at, updated_at)
			SELECT c.id, 'statement', c.email, c.locale, $1, $2, 'pending', $3, $3, $3 FROM customers c
			WHERE c.email IS NOT NULL AND c.email <> '' AND c.archived_at IS NULL AND c.notify_statement
			AND EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = c.id AND (a.balance <> 0
				OR a.id IN (SELECT account_id FROM transactions WHERE created_at >= $4 AND created_at < $5)))
			ON CONFLICT DO NOTHING`, payload, key, micros(now), micros(start), micros(end))
		if err != nil {
			return err
		}
		queued, err := res.RowsAffected()
		n = int(queued)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE settings SET value = $1, updated_at = $2 WHERE name = 'statements_month'", key, micros(now))
		return err
	})
	return n, err
}
