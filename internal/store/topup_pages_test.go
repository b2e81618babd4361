package store_test

import (
	"errors"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestTopUpPage: the queue's page comes oldest first with its total and
// the names of customer, account and submitter; the customer filter finds
// by name, and a page past the first starts where the first ended.
func TestTopUpPage(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		clerk, checker := reviewActors(t, s)
		c1, a1 := fixture(t, s, "13800000301", 0)
		c2, _ := fixture(t, s, "13800000302", 0)
		var ids []int64
		for _, c := range []int64{c1.ID, c2.ID, c1.ID} {
			ids = append(ids, submit(t, s, clerk, c, 1000).ID)
		}
		if _, err := s.RejectTopUp(ctx, checker, ids[2], "no", ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		pending := store.TopUpFilter{Status: ledger.TopUpPending}
		rows, total, err := s.TopUpPage(ctx, store.TopUpQuery{TopUpFilter: pending, Size: 1, OldestFirst: true})
		if err != nil || total != 2 || len(rows) != 1 || rows[0].ID != ids[0] {
			t.Fatalf("first page: %d rows of %d, err %v", len(rows), total, err)
		}
		if r := rows[0]; r.CustomerName != c1.Name || r.AccountNumber != a1.Number || r.SubmitterName != "clerk" || r.ReviewerName != "" {
			t.Errorf("row names: %+v", r)
		}
		rows, _, _ = s.TopUpPage(ctx, store.TopUpQuery{TopUpFilter: pending, Size: 1, Offset: 1, OldestFirst: true})
		if len(rows) != 1 || rows[0].ID != ids[1] {
			t.Errorf("second page: %+v", rows)
		}
		rows, total, _ = s.TopUpPage(ctx, store.TopUpQuery{Customer: c1.Name, Size: 10})
		if total != 2 || len(rows) != 2 || rows[0].ID != ids[2] || rows[0].ReviewerName != "checker" {
			t.Errorf("by customer name: %d of %d, first %+v", len(rows), total, rows)
		}
		if _, err := s.TopUpRowOf(ctx, 999999); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("a missing request: %v", err)
		}
	})
}
