package store_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// clock is a settable clock shared by a store and its test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestHoldProperties runs random sequences of holds, captures (partial and
// whole), releases, expiries (the clock moves on, and the expiry job runs
// or not), charges, debits and reversals against a model. After every
// step the store agrees with the model, held is the sum of the holds that
// count, balance − held never goes below −credit, and every balance equals
// its entries.
func TestHoldProperties(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			s := testdb.Open(t, d, store.Options{Now: clk.Now})
			iteration := 0
			rapid.Check(t, func(rt *rapid.T) {
				iteration++
				m := newHoldModel(t, s, clk, fmt.Sprintf("5%04d", iteration))
				for range rapid.IntRange(5, 20).Draw(rt, "steps") {
					m.step(rt)
					m.check(rt)
				}
			})
		})
	}
}

type modelHold struct {
	id, amount int64
	expires    time.Time
	open       bool
}

type holdModel struct {
	t              *testing.T
	s              *store.Store
	clk            *clock
	account        int64
	balance, limit int64
	holds          []*modelHold
	charges        []int64 // reversible charges: transaction id by index
	amounts        map[int64]int64
}

func newHoldModel(t *testing.T, s *store.Store, clk *clock, phone string) *holdModel {
	_, a := fixture(t, s, phone, 10000)
	m := &holdModel{t: t, s: s, clk: clk, account: a.ID, balance: 10000, limit: 2000, amounts: map[int64]int64{}}
	if _, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{CreditLimit: &m.limit}); err != nil {
		t.Fatal(err)
	}
	return m
}

// held is what the model's holds reserve at now.
func (m *holdModel) held() int64 {
	var sum int64
	for _, h := range m.holds {
		if h.open && m.clk.Now().Before(h.expires) {
			sum += h.amount
		}
	}
	return sum
}

func (m *holdModel) fits(amount int64) bool { return m.balance-m.held()-amount >= -m.limit }

func (m *holdModel) step(rt *rapid.T) {
	amount := rapid.Int64Range(1, 6000).Draw(rt, "amount")
	switch op := rapid.SampledFrom([]string{"hold", "hold", "capture", "release", "charge", "debit", "reverse", "time", "expire"}).Draw(rt, "op"); op {
	case "hold":
		exp := m.clk.Now().Add(time.Duration(rapid.IntRange(1, 90).Draw(rt, "minutes")) * time.Minute)
		h, _, err := m.s.PlaceHold(ctx, ledger.NewHold{AccountID: m.account, Amount: amount, ExpiresAt: &exp})
		m.expect(rt, op, err, m.fits(amount))
		if err == nil {
			m.holds = append(m.holds, &modelHold{id: h.ID, amount: amount, expires: exp, open: true})
		}
	case "capture", "release":
		if len(m.holds) == 0 {
			return
		}
		h := rapid.SampledFrom(m.holds).Draw(rt, "hold")
		counts := h.open && m.clk.Now().Before(h.expires)
		if op == "release" {
			_, err := m.s.ReleaseHold(ctx, sys, h.id)
			m.expectNotActive(rt, op, err, counts)
		} else {
			part := rapid.Int64Range(0, h.amount).Draw(rt, "part") // 0: the whole hold
			p, err := m.s.CaptureHold(ctx, ledger.Capture{HoldID: h.id, Amount: part})
			m.expectNotActive(rt, op, err, counts)
			if err == nil {
				if part == 0 {
					part = h.amount
				}
				m.balance -= part
				m.charges = append(m.charges, p.Transaction.ID)
				m.amounts[p.Transaction.ID] = part
			}
		}
		if counts {
			h.open = false
		}
	case "charge", "debit":
		var p store.Posted
		var err error
		if op == "charge" {
			p, err = m.s.Charge(ctx, ledger.Charge{AccountID: m.account, Amount: amount})
		} else {
			p, err = m.s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: m.account}, Direction: ledger.Debit,
				Amount: amount, Reason: ledger.ReasonCorrection, Note: "property"})
		}
		m.expect(rt, op, err, m.fits(amount))
		if err == nil {
			m.balance -= amount
			m.charges = append(m.charges, p.Transaction.ID)
			m.amounts[p.Transaction.ID] = amount
		}
	case "reverse":
		if len(m.charges) == 0 {
			return
		}
		i := rapid.IntRange(0, len(m.charges)-1).Draw(rt, "charge")
		id := m.charges[i]
		if _, err := m.s.Reverse(ctx, ledger.Reversal{TransactionID: id, Note: "property"}); err != nil {
			rt.Fatalf("reversing %d: %v", id, err)
		}
		m.balance += m.amounts[id]
		m.charges = append(m.charges[:i], m.charges[i+1:]...)
	case "time":
		m.clk.Add(time.Duration(rapid.IntRange(1, 40).Draw(rt, "minutes")) * time.Minute)
	case "expire":
		if _, err := m.s.ExpireHolds(ctx, sys, 100); err != nil {
			rt.Fatal(err)
		}
		for _, h := range m.holds {
			if !m.clk.Now().Before(h.expires) {
				h.open = false
			}
		}
	}
}

func (m *holdModel) expect(rt *rapid.T, op string, err error, ok bool) {
	switch {
	case ok && err != nil:
		rt.Fatalf("%s refused though it fits (balance %d, held %d): %v", op, m.balance, m.held(), err)
	case !ok && !errors.Is(err, ledger.ErrInsufficientFunds):
		rt.Fatalf("%s past the floor (balance %d, held %d) = %v, want insufficient_funds", op, m.balance, m.held(), err)
	}
}

func (m *holdModel) expectNotActive(rt *rapid.T, op string, err error, counts bool) {
	switch {
	case counts && err != nil:
		rt.Fatalf("%s of an active hold: %v", op, err)
	case !counts && !errors.Is(err, ledger.ErrHoldNotActive):
		rt.Fatalf("%s of a closed hold = %v, want hold_not_active", op, err)
	}
}

func (m *holdModel) check(rt *rapid.T) {
	a, err := m.s.Account(ctx, m.account)
	if err != nil {
		rt.Fatal(err)
	}
	if a.Balance != m.balance || a.Held != m.held() {
		rt.Fatalf("balance %d held %d, want %d and %d", a.Balance, a.Held, m.balance, m.held())
	}
	if a.Balance-a.Held < -m.limit {
		rt.Fatalf("balance %d − held %d is below the floor −%d", a.Balance, a.Held, m.limit)
	}
	if problems, err := m.s.VerifyLedger(ctx); err != nil || len(problems) > 0 {
		rt.Fatalf("verify: %v %v", problems, err)
	}
}

// Many goroutines place holds and post charges on one account past its
// funds: the floor is never broken, and what was accepted is exactly what
// the account shows.
func TestHoldsRaceCharges(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "5900001", 5000)
		var held, charged atomic.Int64
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					if _, _, err := s.PlaceHold(ctx, ledger.NewHold{AccountID: a.ID, Amount: 1000}); err == nil {
						held.Add(1000)
					} else if !errors.Is(err, ledger.ErrInsufficientFunds) {
						t.Error(err)
					}
					return
				}
				if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 700}); err == nil {
					charged.Add(700)
				} else if !errors.Is(err, ledger.ErrInsufficientFunds) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := s.Account(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Held != held.Load() || got.Balance != 5000-charged.Load() || got.Balance-got.Held < 0 {
			t.Errorf("balance %d held %d; accepted holds %d, charges %d on 5000", got.Balance, got.Held, held.Load(), charged.Load())
		}
		testdb.MustVerify(t, s)
	})
}

// Captures, releases and the expiry job racing for one hold: exactly one
// of them ends it; a capture repeated with one key from many goroutines
// posts once.
func TestHoldHasOneEnd(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "5900002", 100000)
		for round := range 5 {
			exp := time.Now().Add(50 * time.Millisecond)
			h, _, err := s.PlaceHold(ctx, ledger.NewHold{AccountID: a.ID, Amount: 1000, ExpiresAt: &exp})
			if err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i == 0 {
						time.Sleep(45 * time.Millisecond)
						if n, err := s.ExpireHolds(ctx, sys, 10); err == nil && n > 0 {
							wins.Add(int32(n))
						}
						return
					}
					var err error
					if i%2 == 0 {
						_, err = s.ReleaseHold(ctx, sys, h.ID)
					} else {
						_, err = s.CaptureHold(ctx, ledger.Capture{HoldID: h.ID, Amount: 400, Idem: ledger.Idempotency{Scope: "t", Key: fmt.Sprintf("cap-%d-%d", round, i)}})
					}
					if err == nil {
						wins.Add(1)
					} else if !errors.Is(err, ledger.ErrHoldNotActive) {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if time.Now().Before(exp) {
				time.Sleep(time.Until(exp))
			}
			s.ExpireHolds(ctx, sys, 10) // ends it now if nothing did
			if n := wins.Load(); n > 1 {
				t.Errorf("round %d: %d ends of one hold", round, n)
			}
		}
		// One key, many clients: one capture.
		h, _, err := s.PlaceHold(ctx, ledger.NewHold{AccountID: a.ID, Amount: 500})
		if err != nil {
			t.Fatal(err)
		}
		ids := make(chan int64, 10)
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := s.CaptureHold(ctx, ledger.Capture{HoldID: h.ID, Idem: ledger.Idempotency{Scope: "t", Key: "one-key"}})
				if err != nil && !errors.Is(err, ledger.ErrRequestInProgress) {
					t.Error(err)
					return
				}
				if err == nil {
					ids <- p.Transaction.ID
				}
			}()
		}
		wg.Wait()
		close(ids)
		first := int64(0)
		for id := range ids {
			if first != 0 && id != first {
				t.Errorf("one key posted transactions %d and %d", first, id)
			}
			first = id
		}
		var n int
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM transactions WHERE hold_id = $1", h.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d captures of one hold, %v", n, err)
		}
		testdb.MustVerify(t, s)
	})
}
