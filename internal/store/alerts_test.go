package store_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

func setAlert(t *testing.T, s *store.Store, id, amount int64) {
	t.Helper()
	if _, err := s.UpdateAccount(ctx, sys, id, store.AccountChange{AlertAmount: &amount}); err != nil {
		t.Fatal(err)
	}
}

func alertsOf(t *testing.T, s *store.Store, account int64) []store.Alert {
	t.Helper()
	as, err := s.Alerts(ctx, store.AlertFilter{AccountID: account, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func countEvents(t *testing.T, s *store.Store, typ string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM events WHERE type = $1", typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// chargeConcurrently charges the account n times amount from many
// goroutines spread over the stores, all at once.
func chargeConcurrently(t *testing.T, stores []*store.Store, account, amount int64, n int) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := stores[i%len(stores)].Charge(ctx, ledger.Charge{AccountID: account, Amount: amount}); err != nil {
				t.Errorf("charge: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
}

// TestOneAlertPerCrossing races many debits across an account's alert
// amount, from two store instances on one database: exactly one alert is
// raised; a top-up back above clears it; the next crossing raises another.
func TestOneAlertPerCrossing(t *testing.T) {
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
			s := stores[0]
			_, a := fixture(t, s, "30000", 10000) // 100.00
			setAlert(t, s, a.ID, 5000)            // 50.00

			// 80 charges of 1.00 take it from 100.00 to 20.00, across 50.00.
			chargeConcurrently(t, stores, a.ID, 100, 80)
			if b := balance(t, s, a.ID); b != 2000 {
				t.Fatalf("balance %d, want 2000", b)
			}
			as := alertsOf(t, s, a.ID)
			if len(as) != 1 {
				t.Fatalf("%d alerts after one crossing, want 1: %+v", len(as), as)
			}
			first := as[0]
			if !first.Active() || first.Balance != 4900 || first.AlertAmount != 5000 || first.CustomerID != a.CustomerID || first.Currency.Code() != "USD" {
				t.Errorf("alert = %+v, want an open one at balance 49.00 under 50.00", first)
			}
			// The alert names the very charge that crossed: 50.00 -> 49.00.
			tx, err := s.Transaction(ctx, first.TransactionID)
			if err != nil {
				t.Fatal(err)
			}
			if tx.Type != ledger.TxCharge || *tx.Entries[0].BalanceAfter != 4900 {
				t.Errorf("the alert's transaction %+v did not cross the alert amount", tx)
			}
			if n := countEvents(t, s, "account.below_alert"); n != 1 {
				t.Errorf("%d account.below_alert events, want 1", n)
			}
			// One transaction.posted event per posting: the top-up and 80 charges.
			if n := countEvents(t, s, "transaction.posted"); n != 81 {
				t.Errorf("%d transaction.posted events, want 81", n)
			}

			// Back above: cleared, by that top-up.
			p, err := stores[1].TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: 4000, PaymentMethod: "alipay"})
			if err != nil {
				t.Fatal(err)
			}
			as = alertsOf(t, s, a.ID)
			if len(as) != 1 || as[0].Active() || as[0].ClearedTransactionID != p.Transaction.ID || !as[0].ClearedAt.Equal(p.Transaction.CreatedAt) {
				t.Fatalf("after a top-up to 60.00: %+v, want the alert cleared by transaction %d", as, p.Transaction.ID)
			}

			// Across again: a second alert, still one for this crossing.
			chargeConcurrently(t, stores, a.ID, 100, 30)
			as = alertsOf(t, s, a.ID)
			if len(as) != 2 || !as[0].Active() || as[1].Active() || as[0].Balance != 4900 {
				t.Fatalf("after the second crossing: %+v, want a new open alert and the old cleared one", as)
			}
			if n := countEvents(t, s, "account.below_alert"); n != 2 {
				t.Errorf("%d account.below_alert events, want 2", n)
			}
			active := true
			open, err := s.Alerts(ctx, store.AlertFilter{Active: &active, Limit: 10})
			if err != nil || len(open) != 1 || open[0].ID != as[0].ID {
				t.Errorf("open alerts = %+v, %v", open, err)
			}
			mustVerify(t, s)
		})
	}
}

// TestAlertAmountChanges pins down what a change of the alert amount does:
// nothing by itself; the account's next posting settles the alert.
func TestAlertAmountChanges(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "30001", 10000)
		charge := func(amount int64) ledger.Transaction {
			t.Helper()
			p, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: amount})
			if err != nil {
				t.Fatal(err)
			}
			return p.Transaction
		}
		topUp := func(amount int64) ledger.Transaction {
			t.Helper()
			p, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: amount, PaymentMethod: "alipay"})
			if err != nil {
				t.Fatal(err)
			}
			return p.Transaction
		}

		// Raised above the balance: no alert until the next debit.
		setAlert(t, s, a.ID, 20000)
		if as := alertsOf(t, s, a.ID); len(as) != 0 {
			t.Fatalf("a change of the alert amount raised %+v", as)
		}
		topUp(100) // a credit that leaves it below raises nothing
		if as := alertsOf(t, s, a.ID); len(as) != 0 {
			t.Fatalf("a credit raised %+v", as)
		}
		tx := charge(100)
		as := alertsOf(t, s, a.ID)
		if len(as) != 1 || as[0].TransactionID != tx.ID || !as[0].Active() {
			t.Fatalf("first debit below a raised alert amount: %+v", as)
		}
		charge(100)
		if as := alertsOf(t, s, a.ID); len(as) != 1 {
			t.Fatalf("a second debit below raised another: %+v", as)
		}

		// Lowered under the balance: the alert stays open until a posting.
		setAlert(t, s, a.ID, 5000)
		if as := alertsOf(t, s, a.ID); !as[0].Active() {
			t.Fatal("a change of the alert amount cleared the alert")
		}
		// A debit that crosses the new alert amount closes the old stretch
		// below and raises a new alert.
		tx = charge(4900) // 99.00 -> 50.00: at the alert amount, not below
		if as := alertsOf(t, s, a.ID); len(as) != 1 || as[0].Active() || as[0].ClearedTransactionID != tx.ID {
			t.Fatalf("a posting leaving the balance at the alert amount did not clear: %+v", as)
		}
		tx = charge(1) // 50.00 -> 49.99
		as = alertsOf(t, s, a.ID)
		if len(as) != 2 || !as[0].Active() || as[0].TransactionID != tx.ID || as[0].Balance != 4999 {
			t.Fatalf("crossing the lowered alert amount: %+v", as)
		}
		// Stale open alert: lower the alert amount under the balance, then
		// cross it with one debit: the old alert is cleared, a new one raised.
		setAlert(t, s, a.ID, 4000)
		tx = charge(1000) // 49.99 -> 39.99
		as = alertsOf(t, s, a.ID)
		if len(as) != 3 || !as[0].Active() || as[1].Active() || as[1].ClearedTransactionID != tx.ID || as[0].TransactionID != tx.ID {
			t.Fatalf("crossing with a stale open alert: %+v", as)
		}
		// A reversal is a posting like any other.
		p, err := s.Reverse(ctx, ledger.Reversal{TransactionID: tx.ID, Note: "undo"})
		if err != nil {
			t.Fatal(err)
		}
		if as := alertsOf(t, s, a.ID); as[0].Active() || as[0].ClearedTransactionID != p.Transaction.ID {
			t.Fatalf("a reversal back above did not clear: %+v", as)
		}
		// The database refuses a second open alert whatever the code does.
		_, err = s.DB().Exec(`INSERT INTO alerts (account_id, customer_id, currency, balance, alert_amount, transaction_id, raised_at)
			SELECT account_id, customer_id, currency, balance, alert_amount, transaction_id, raised_at FROM alerts WHERE account_id = $1 AND cleared_at IS NULL`, a.ID)
		if err != nil {
			t.Fatal(err) // none is open now: this inserts nothing
		}
		charge(1000) // 49.99 -> 39.99: open again
		_, err = s.DB().Exec(`INSERT INTO alerts (account_id, customer_id, currency, balance, alert_amount, transaction_id, raised_at)
			SELECT account_id, customer_id, currency, balance, alert_amount, transaction_id, raised_at FROM alerts WHERE account_id = $1 AND cleared_at IS NULL`, a.ID)
		if err == nil {
			t.Error("a second open alert for one account was accepted")
		}
		mustVerify(t, s)
	})
}

// TestAlertBatchUndoStore checks the store's batch rules directly: scope
// validation, per-currency amounts, all-or-nothing undo.
func TestAlertBatchUndoStore(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "30002", 0)
		c, b := fixture(t, s, "30003", 0)
		jpy, _, err := s.OpenAccount(ctx, sys, c.ID, "JPY")
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []ledger.AlertBatchRequest{
			{AlertAmount: "1.00"},
			{AlertAmount: "1.00", Currency: "USD", All: true},
			{AlertAmount: "1.5", All: true}, // JPY has no decimals
			{AlertAmount: "-1", All: true},
			{AlertAmount: "1", Currency: "XYZ"},
			{AlertAmount: "1", AccountIDs: []int64{a.ID, 999999}},
		} {
			_, err := s.CreateAlertBatch(ctx, sys, bad, ledger.Idempotency{})
			var ve *ledger.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%+v: %v, want a validation error", bad, err)
			}
		}
		r, err := s.CreateAlertBatch(ctx, sys, ledger.AlertBatchRequest{AlertAmount: "15", All: true}, ledger.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Batch.Matched != 3 || r.Batch.Changed != 3 {
			t.Errorf("batch = %+v, want 3 matched and changed", r.Batch)
		}
		for id, want := range map[int64]int64{a.ID: 1500, b.ID: 1500, jpy.ID: 15} {
			if got, _ := s.Account(ctx, id); got.AlertAmount != want {
				t.Errorf("account %d alert amount %d, want %d", id, got.AlertAmount, want)
			}
		}
		setAlert(t, s, jpy.ID, 16)
		if _, err := s.UndoAlertBatch(ctx, sys, r.Batch.ID, ledger.Idempotency{}); !errors.Is(err, ledger.ErrUndoConflict) {
			t.Fatalf("undo after a change: %v, want a conflict", err)
		}
		if got, _ := s.Account(ctx, a.ID); got.AlertAmount != 1500 {
			t.Errorf("a refused undo changed account %d to %d", a.ID, got.AlertAmount)
		}
		setAlert(t, s, jpy.ID, 15)
		if _, err := s.UndoAlertBatch(ctx, sys, r.Batch.ID, ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{a.ID, b.ID, jpy.ID} {
			if got, _ := s.Account(ctx, id); got.AlertAmount != 0 {
				t.Errorf("account %d alert amount %d after undo, want 0", id, got.AlertAmount)
			}
		}
		if _, err := s.UndoAlertBatch(ctx, sys, r.Batch.ID, ledger.Idempotency{}); !errors.Is(err, ledger.ErrAlertBatchUndone) {
			t.Errorf("second undo: %v", err)
		}
	})
}

// TestAlertRowOutOfStep: an account row whose open_alert_id disagrees with
// the alerts table, as an instance older than that column leaves it during a
// rolling upgrade, neither fails a posting nor raises a second alert, and
// the next postings put the row right.
func TestAlertRowOutOfStep(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "30300", 10000) // 100.00
		setAlert(t, s, a.ID, 5000)
		charge := func(amount int64) {
			t.Helper()
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: amount}); err != nil {
				t.Fatalf("charge: %v", err)
			}
		}
		forget := func() {
			t.Helper()
			if _, err := s.DB().Exec("UPDATE accounts SET open_alert_id = NULL WHERE id = $1", a.ID); err != nil {
				t.Fatal(err)
			}
		}
		charge(6000) // 40.00: raises one
		forget()
		charge(100) // 39.00: the row knew of no alert; the open one stands
		if as := alertsOf(t, s, a.ID); len(as) != 1 || !as[0].Active() {
			t.Fatalf("alerts %+v, want the one open alert", as)
		}
		if n := countEvents(t, s, "account.below_alert"); n != 1 {
			t.Errorf("%d below_alert events, want 1", n)
		}
		// The row learnt of it: a top-up above clears it.
		if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: 5000, PaymentMethod: "bank_transfer"}); err != nil {
			t.Fatal(err)
		}
		as := alertsOf(t, s, a.ID)
		if len(as) != 1 || as[0].Active() {
			t.Fatalf("alerts %+v, want the alert cleared", as)
		}
		cleared := *as[0].ClearedAt
		// A row that still names the cleared alert leaves its record alone.
		if _, err := s.DB().Exec("UPDATE accounts SET open_alert_id = $1 WHERE id = $2", as[0].ID, a.ID); err != nil {
			t.Fatal(err)
		}
		charge(100)  // 88.00: above; "clears" the named alert, which is closed
		charge(4000) // 48.00: crosses, raises a second
		as = alertsOf(t, s, a.ID)
		if len(as) != 2 || !as[0].Active() || as[1].Active() || !as[1].ClearedAt.Equal(cleared) {
			t.Fatalf("alerts %+v, want a new open one and the first cleared at %v", as, cleared)
		}
		mustVerify(t, s)
	})
}
