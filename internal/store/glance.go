package store

import (
	"context"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Glance is what the dashboard counts: work waiting and accounts that need
// a look. Lists give at most a page; these are the whole counts.
type Glance struct {
	PendingTopUps int64 // top-up requests waiting for review
	BelowAlert    int64 // customer accounts whose balance is under their alert amount
}

// Glance counts, in one read each, what the dashboard shows at a glance.
func (s *Store) Glance(ctx context.Context) (Glance, error) {
	var g Glance
	if err := s.rdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM topups WHERE status = $1", string(ledger.TopUpPending)).Scan(&g.PendingTopUps); err != nil {
		return g, err
	}
	// The same condition as the account list's below-alert filter
	// (accountConditions).
	err := s.rdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts a WHERE a.customer_id IS NOT NULL AND a.balance < a.alert_amount").
		Scan(&g.BelowAlert)
	return g, err
}
