package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// hammer races many goroutines charging a few accounts for more than they
// hold, spread over the given stores (each its own connection pool, as
// separate server instances would have), and checks that no account went
// below its floor and that the accepted charges match the balances exactly.
func hammer(t *testing.T, stores []*store.Store) {
	s := stores[0]
	const (
		nAccounts  = 3
		goroutines = 60
		perG       = 25
		funds      = 10000 // 100.00 each
	)
	var accounts []ledger.Account
	for i := 0; i < nAccounts; i++ {
		_, a := fixture(t, s, fmt.Sprintf("2000%d", i), funds)
		accounts = append(accounts, a)
	}
	// One account may go 20.00 below zero.
	if _, err := setLimits(s, accounts[0].ID, AccountLimits{CreditLimit: 2000}); err != nil {
		t.Fatal(err)
	}
	accepted := make([]atomic.Int64, nAccounts)
	var refused atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[g%len(stores)]
			for i := 0; i < perG; i++ {
				k := rand.IntN(nAccounts)
				amount := 1 + rand.Int64N(1000)
				_, err := st.Charge(ctx, ledger.Charge{AccountID: accounts[k].ID, Amount: amount})
				switch {
				case err == nil:
					accepted[k].Add(amount)
				case errors.Is(err, ledger.ErrInsufficientFunds):
					refused.Add(1)
				default:
					t.Errorf("charge: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if refused.Load() == 0 {
		t.Fatal("no charge was refused: the test did not exceed the funds")
	}
	for k, a := range accounts {
		got := balance(t, s, a.ID)
		if want := funds - accepted[k].Load(); got != want {
			t.Errorf("account %d: balance %d, but %d accepted from %d", k, got, accepted[k].Load(), funds)
		}
		floor := int64(0)
		if k == 0 {
			floor = -2000
		}
		if got < floor {
			t.Errorf("account %d: balance %d is below its floor %d", k, got, floor)
		}
		// The funds are far exceeded, so each account ends within one
		// charge of its floor.
		if got-floor >= 1000 {
			t.Errorf("account %d: balance %d stayed far above its floor %d; charges were refused wrongly", k, got, floor)
		}
	}
	mustVerify(t, s)
}

func TestConcurrentChargesHoldTheFloor(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		hammer(t, []*store.Store{s})
	})
}

// Two pools on one database behave as two `coffer serve` processes.
func TestConcurrentChargesFromTwoInstances(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.DSN(t, d)
			var stores []*store.Store
			for i := 0; i < 2; i++ {
				s, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				stores = append(stores, s)
			}
			hammer(t, stores)
		})
	}
}

func TestIdempotency(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "30001", 1000)
		key := ledger.Idempotency{Scope: "admin:1", Key: "order-77"}
		charge := ledger.Charge{AccountID: a.ID, Amount: 300, Reference: "order 77", Idem: key}
		first, err := s.Charge(ctx, charge)
		if err != nil || first.Replayed {
			t.Fatalf("first charge: %+v, %v", first, err)
		}
		again, err := s.Charge(ctx, charge)
		if err != nil || !again.Replayed || again.Transaction.ID != first.Transaction.ID {
			t.Fatalf("repeat: %+v, %v; want a replay of transaction %d", again, err, first.Transaction.ID)
		}
		changed := charge
		changed.Amount = 301
		if _, err := s.Charge(ctx, changed); !errors.Is(err, ledger.ErrIdempotencyKeyReused) {
			t.Errorf("same key, other amount: err = %v, want ErrIdempotencyKeyReused", err)
		}
		// The first answer stands even when the account could no longer
		// take the posting.
		if _, err := setStatus(s, a.ID, ledger.StatusFrozen); err != nil {
			t.Fatal(err)
		}
		if again, err := s.Charge(ctx, charge); err != nil || !again.Replayed || again.Transaction.ID != first.Transaction.ID {
			t.Errorf("repeat on a frozen account: %+v, %v; want a replay of transaction %d", again, err, first.Transaction.ID)
		}
		if _, err := s.Charge(ctx, changed); !errors.Is(err, ledger.ErrIdempotencyKeyReused) {
			t.Errorf("same key, other amount, frozen account: err = %v, want ErrIdempotencyKeyReused", err)
		}
		if _, err := setStatus(s, a.ID, ledger.StatusNormal); err != nil {
			t.Fatal(err)
		}
		// The key belongs to one caller: another scope may use the same words.
		other := charge
		other.Idem.Scope = "admin:2"
		if p, err := s.Charge(ctx, other); err != nil || p.Replayed {
			t.Errorf("same key in another scope: %+v, %v; want a new posting", p, err)
		}
		// A refused posting leaves no trace: the key can be used once funds arrive.
		big := ledger.Charge{AccountID: a.ID, Amount: 5000, Idem: ledger.Idempotency{Scope: "admin:1", Key: "big"}}
		if _, err := s.Charge(ctx, big); !errors.Is(err, ledger.ErrInsufficientFunds) {
			t.Fatalf("big charge err = %v", err)
		}
		fixtureTopUp(t, s, a.ID, 10000)
		if p, err := s.Charge(ctx, big); err != nil || p.Replayed {
			t.Errorf("big charge after top-up: %+v, %v", p, err)
		}
		if got := balance(t, s, a.ID); got != 1000-300-300+10000-5000 {
			t.Errorf("balance = %d", got)
		}
		mustVerify(t, s)
	})
}

func fixtureTopUp(t testing.TB, s *store.Store, account, amount int64) {
	t.Helper()
	if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: account}, Amount: amount, PaymentMethod: "alipay"}); err != nil {
		t.Fatal(err)
	}
}

func TestIdempotencyUnderConcurrency(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, a := fixture(t, s, "30002", 1000)
		before := countRows(t, s, "transactions")
		const n = 50
		results := make([]store.Posted, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if i%2 == 0 {
					results[i], errs[i] = s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 100,
						Idem: ledger.Idempotency{Scope: "token:9", Key: "same"}})
				} else {
					// Auto-creating adjustments race on opening the account too.
					results[i], errs[i] = s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "EUR"},
						Direction: ledger.Credit, Amount: 100, Reason: ledger.ReasonOther, Note: "race",
						Idem: ledger.Idempotency{Scope: "token:9", Key: "other"}})
				}
			}()
		}
		close(start)
		wg.Wait()
		fresh := map[int]int{}
		ids := map[int]map[int64]bool{0: {}, 1: {}}
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if !results[i].Replayed {
				fresh[i%2]++
			}
			ids[i%2][results[i].Transaction.ID] = true
		}
		if fresh[0] != 1 || fresh[1] != 1 || len(ids[0]) != 1 || len(ids[1]) != 1 {
			t.Errorf("fresh postings %v, distinct transactions %v; want exactly one of each", fresh, ids)
		}
		if got := countRows(t, s, "transactions") - before; got != 2 {
			t.Errorf("%d transactions posted, want 2", got)
		}
		if got := balance(t, s, a.ID); got != 900 {
			t.Errorf("balance = %d, want 900", got)
		}
		mustVerify(t, s)
	})
}

func TestConcurrentReversalsPostOnce(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "30003", 1000)
		ch, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 400})
		if err != nil {
			t.Fatal(err)
		}
		var ok, already atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Reverse(ctx, ledger.Reversal{TransactionID: ch.Transaction.ID})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ledger.ErrAlreadyReversed):
					already.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || already.Load() != 19 {
			t.Errorf("%d reversals posted, %d refused; want 1 and 19", ok.Load(), already.Load())
		}
		if got := balance(t, s, a.ID); got != 1000 {
			t.Errorf("balance = %d, want 1000", got)
		}
		mustVerify(t, s)
	})
}
