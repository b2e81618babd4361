package retention_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// The store's test helpers that retention's tests use, as in
// internal/store/store_test.go.

var (
	ctx = context.Background()
	sys = ledger.Actor{Name: "test"}
)

// fixture makes a customer with a funded USD account.
func fixture(t testing.TB, s *store.Store, phone string, funds int64) (ledger.Customer, ledger.Account) {
	t.Helper()
	return testdb.Funded(t, s, phone, funds)
}

func mustVerify(t testing.TB, s *store.Store) { t.Helper(); testdb.MustVerify(t, s) }

func balance(t testing.TB, s *store.Store, id int64) int64 {
	t.Helper()
	return testdb.Balance(t, s, id)
}

// testClock is a store clock that the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var retentionStart = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// monthsOfActivity posts, month after month, to new and existing customers:
// top-ups, charges, a reversal, adjustments in a second currency, and
// changes that leave operation records only. It returns the accounts.
func monthsOfActivity(t *testing.T, s *store.Store, clock *testClock, months int, phonePrefix string) []int64 {
	t.Helper()
	var accounts []int64
	for m := 0; m < months; m++ {
		clock.Set(retentionStart.AddDate(0, 0, 30*m).Add(time.Duration(m) * time.Hour))
		c, a := fixture(t, s, fmt.Sprintf("%s%03d", phonePrefix, m), 50000)
		accounts = append(accounts, a.ID)
		for _, id := range accounts {
			p, err := s.Charge(ctx, ledger.Charge{AccountID: id, Amount: 125, Reference: fmt.Sprintf("m%d", m), Actor: sys})
			if err != nil {
				t.Fatal(err)
			}
			if m%3 == 1 {
				if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: p.Transaction.ID, Note: "refund", Actor: sys}); err != nil {
					t.Fatal(err)
				}
			}
		}
		p, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "EUR"}, Direction: ledger.Credit,
			Amount: 700, Reason: ledger.ReasonPromotion, Note: "welcome", Actor: sys})
		if err != nil {
			t.Fatal(err)
		}
		if m == 0 {
			accounts = append(accounts, p.Transaction.AccountID)
		}
		if _, err := s.UpdateCustomer(ctx, sys, c.ID, ledger.NewCustomer{Name: c.Name, Phone: c.Phone, Remark: fmt.Sprintf("month %d", m)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return accounts
}

func balances(t *testing.T, s *store.Store, ids []int64) map[int64]int64 {
	t.Helper()
	out := map[int64]int64{}
	for _, id := range ids {
		out[id] = balance(t, s, id)
	}
	return out
}

func idsWhere(t *testing.T, s *store.Store, q string, args ...any) []int64 {
	t.Helper()
	rows, err := s.DB().Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
