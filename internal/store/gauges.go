package store

import (
	"context"
	"time"
)

// Gauges are the database's state that the metrics show: work waiting,
// and how recently the background jobs ran. Each comes from a partial
// index or one row, so reading them at every scrape costs little.
type Gauges struct {
	WebhooksPending  int64     // deliveries waiting to be sent or retried
	MailPending      int64     // customer notifications waiting to be sent or retried
	Unsealed         int64     // operation records not yet in the hash chain
	OldestUnsealed   time.Time // when the oldest of them was written; zero when none
	OpenAlerts       int64     // accounts below their alert amount
	RetentionLastRun time.Time // when retention last finished a run; zero: never
	HoldsActive      int64     // holds that count now
	HoldsOverdue     int64     // holds that ran out but the expiry job has not marked yet
}

// ReadGauges reads the Gauges in one snapshot.
func (s *Store) ReadGauges(ctx context.Context) (Gauges, error) {
	var g Gauges
	err := s.read(ctx, func(tx *txn) error {
		var oldest, lastRun int64
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'),
			(SELECT COUNT(*) FROM alerts WHERE cleared_at IS NULL),
			(SELECT last_run_at FROM retention_head WHERE id = 1),
			(SELECT COUNT(*) FROM notifications WHERE status = 'pending')`).Scan(&g.WebhooksPending, &g.OpenAlerts, &lastRun, &g.MailPending); err != nil {
			return err
		}
		// The unsealed records are few (the sealer runs every second): the
		// queue is counted alone and its oldest record found by key. A join
		// of the queue with the log let PostgreSQL's planner read the whole
		// log (see pendingAudit).
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE((SELECT a.created_at FROM audit_log a"+
			" WHERE a.id = (SELECT MIN(audit_id) FROM audit_pending)), 0) FROM audit_pending").
			Scan(&g.Unsealed, &oldest); err != nil {
			return err
		}
		now := micros(s.nowTime())
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM holds WHERE status = 'active' AND expires_at > $1),
			(SELECT COUNT(*) FROM holds WHERE status = 'active' AND expires_at <= $1)`, now).Scan(&g.HoldsActive, &g.HoldsOverdue); err != nil {
			return err
		}
		if oldest > 0 {
			g.OldestUnsealed = fromMicros(oldest)
		}
		if lastRun > 0 {
			g.RetentionLastRun = fromMicros(lastRun)
		}
		return nil
	})
	return g, err
}

// RetentionFinished notes that a run of retention ended well at at, while
// its lease is still owner's.
func (s *Store) RetentionFinished(ctx context.Context, owner string, at time.Time) error {
	return s.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, "UPDATE retention_head SET last_run_at = $2 WHERE id = 1 AND lease_owner = $1", owner, micros(at))
		return err
	})
}
