package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestCurrenciesInUse: the currencies of customer accounts, each once, in
// code order, whether opened with the customer or by a first adjustment
// (which opens a system account beside it too).
func TestCurrenciesInUse(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		actor := ledger.Actor{Name: "test", Role: ledger.RoleSuperAdmin}
		if got, err := s.CurrenciesInUse(ctx); err != nil || len(got) != 0 {
			t.Fatalf("an empty database has currencies %v (%v)", got, err)
		}
		for i, cur := range []string{"USD", "EUR", "USD", "JPY", "", "EUR"} {
			c, err := s.CreateCustomer(ctx, actor, ledger.NewCustomer{Name: "C" + string(rune('a'+i)), DefaultCurrency: cur})
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "KWD"}, Direction: ledger.Credit,
					Amount: 1000, Reason: ledger.ReasonOther, Note: "first", Actor: actor}); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := s.CurrenciesInUse(ctx)
		if want := []string{"EUR", "JPY", "KWD", "USD"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("currencies in use %v (%v), want %v", got, err, want)
		}
	})
}
