package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// stmtEvent is one posting as the model saw it: when, and the balance it
// left.
type stmtEvent struct {
	at      time.Time
	amount  int64
	balance int64
}

// TestStatementsAgreeWithTheLedger runs random top-ups, charges,
// adjustments and reversals, the clock moving on by random steps, and asks
// for statements of random periods: each opens at the balance the model
// had at its start, lists exactly the model's movements of the period with
// their running balances, closes at the balance at its end, and adds up
// (Check); two statements that meet chain, the first's closing being the
// second's opening.
func TestStatementsAgreeWithTheLedger(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
			s := testdb.Open(t, d, store.Options{Now: clk.Now})
			iteration := 0
			rapid.Check(t, func(rt *rapid.T) {
				iteration++
				c, a := fixture(t, s, fmt.Sprintf("1370000%04d", iteration), 0)
				start := clk.Now()
				events := statementActivity(rt, s, clk, a.ID)
				end := clk.Now().Add(time.Hour)
				cut := func(label string) time.Time {
					return start.Add(-time.Hour).Add(time.Duration(rapid.Int64Range(0, int64(end.Sub(start)+time.Hour)).Draw(rt, label)))
				}
				from, mid, to := cut("from"), cut("mid"), cut("to")
				from, mid, to = sort3(from, mid, to)
				first := checkStatement(rt, s, c.ID, from, mid, events)
				second := checkStatement(rt, s, c.ID, mid, to, events)
				if first.Closing != second.Opening {
					rt.Fatalf("[%v, %v) closes at %d, [%v, %v) opens at %d", from, mid, first.Closing, mid, to, second.Opening)
				}
			})
			mustVerify(t, s)
		})
	}
}

// statementActivity posts random activity on account, moving the clock,
// and returns what the model saw.
func statementActivity(rt *rapid.T, s *store.Store, clk *clock, account int64) []stmtEvent {
	var events []stmtEvent
	var reversible []int64
	balance := int64(0)
	for range rapid.IntRange(0, 25).Draw(rt, "postings") {
		clk.Add(time.Duration(rapid.Int64Range(0, int64(48*time.Hour)).Draw(rt, "wait")))
		amount := rapid.Int64Range(1, 50000).Draw(rt, "amount")
		var p store.Posted
		var err error
		switch rapid.IntRange(0, 3).Draw(rt, "kind") {
		case 0:
			p, err = s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: account}, Amount: amount, PaymentMethod: "alipay"})
		case 1:
			p, err = s.Charge(ctx, ledger.Charge{AccountID: account, Amount: amount, Reference: "order"})
		case 2:
			dir := ledger.Direction(rapid.SampledFrom([]string{string(ledger.Credit), string(ledger.Debit)}).Draw(rt, "dir"))
			p, err = s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: account}, Direction: dir, Amount: amount,
				Reason: ledger.ReasonCorrection, Note: "修正 note", Actor: sys})
		default:
			if len(reversible) == 0 {
				continue
			}
			i := rapid.IntRange(0, len(reversible)-1).Draw(rt, "which")
			p, err = s.Reverse(ctx, ledger.Reversal{TransactionID: reversible[i], Actor: sys})
			reversible = append(reversible[:i], reversible[i+1:]...)
		}
		if errors.Is(err, ledger.ErrInsufficientFunds) {
			continue
		}
		if err != nil {
			rt.Fatal(err)
		}
		delta := accountDelta(p.Transaction, account)
		balance += delta
		events = append(events, stmtEvent{at: p.Transaction.CreatedAt, amount: delta, balance: balance})
		if p.Transaction.Type != ledger.TxReversal {
			reversible = append(reversible, p.Transaction.ID)
		}
	}
	return events
}

func accountDelta(t ledger.Transaction, account int64) int64 {
	for _, e := range t.Entries {
		if e.AccountID == account {
			return e.Amount
		}
	}
	return 0
}

func sort3(a, b, c time.Time) (time.Time, time.Time, time.Time) {
	if b.Before(a) {
		a, b = b, a
	}
	if c.Before(b) {
		b, c = c, b
	}
	if b.Before(a) {
		a, b = b, a
	}
	return a, b, c
}

// checkStatement compares the statement of [from, to) with the model.
func checkStatement(rt *rapid.T, s *store.Store, customer int64, from, to time.Time, events []stmtEvent) struct{ Opening, Closing int64 } {
	st, err := s.Statement(ctx, customer, "USD", from, to)
	if err != nil {
		rt.Fatalf("statement [%v, %v): %v", from, to, err)
	}
	if err := st.Check(); err != nil {
		rt.Fatal(err)
	}
	opening, closing := int64(0), int64(0)
	var in []stmtEvent
	for _, e := range events {
		if e.at.Before(from) {
			opening = e.balance
		}
		if e.at.Before(to) {
			closing = e.balance
		}
		if !e.at.Before(from) && e.at.Before(to) {
			in = append(in, e)
		}
	}
	if st.Opening != opening || st.Closing != closing || len(st.Movements) != len(in) {
		rt.Fatalf("statement [%v, %v): opening %d, closing %d, %d movements; the model says %d, %d, %d",
			from, to, st.Opening, st.Closing, len(st.Movements), opening, closing, len(in))
	}
	for i, m := range st.Movements {
		if m.Amount != in[i].amount || m.Balance != in[i].balance || !m.At.Equal(in[i].at) {
			rt.Fatalf("movement %d: %+v; the model says %+v", i, m, in[i])
		}
	}
	return struct{ Opening, Closing int64 }{st.Opening, st.Closing}
}

// TestStatementRefusals: the currency must name one of the customer's
// accounts (and may be left out only when there is one), and another
// customer's id finds nothing.
func TestStatementRefusals(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, _ := fixture(t, s, "13700009001", 100)
		from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		if st, err := s.Statement(ctx, c.ID, "", from, to); err != nil || st.Closing != 100 || st.Currency.Code() != "USD" {
			t.Fatalf("the only account: %+v, %v", st, err)
		}
		if _, _, err := s.OpenAccount(ctx, sys, c.ID, "CNY"); err != nil {
			t.Fatal(err)
		}
		for cur, reason := range map[string]string{"": "choose_currency", "EUR": "no_account"} {
			_, err := s.Statement(ctx, c.ID, cur, from, to)
			var ve *ledger.ValidationError
			if !errors.As(err, &ve) || ve.Problems[0].Field != "currency" || ve.Problems[0].Reason != reason {
				t.Errorf("currency %q: %v, want %s", cur, err, reason)
			}
		}
		if _, err := s.Statement(ctx, c.ID+1000, "USD", from, to); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("no such customer: %v", err)
		}
	})
}
