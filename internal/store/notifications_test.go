package store_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// mailCustomer makes a customer with an address, in lang, with the
// toggles of n, and a USD account holding funds.
func mailCustomer(t *testing.T, s *store.Store, phone, lang string, n ledger.Notify, funds int64) (ledger.Customer, ledger.Account) {
	t.Helper()
	c, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: "客户 " + phone, Phone: phone, Email: phone + "@mail.example",
		Locale: lang, Notify: &n})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.OpenAccount(ctx, sys, c.ID, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if funds > 0 {
		adjust(t, s, a.ID, ledger.Credit, funds, "opening")
	}
	return c, a
}

func adjust(t *testing.T, s *store.Store, account int64, dir ledger.Direction, amount int64, note string) store.Posted {
	t.Helper()
	p, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: account}, Direction: dir, Amount: amount,
		Reason: ledger.ReasonCorrection, Note: note, Actor: sys})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// outbox is the notifications of customer id, oldest first, with their
// payloads decoded.
func outbox(t *testing.T, s *store.Store, id int64) ([]ledger.Notification, []map[string]any) {
	t.Helper()
	ns, err := s.Notifications(ctx, store.NotificationFilter{CustomerID: id, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var payloads []map[string]any
	for i, j := 0, len(ns)-1; i < j; i, j = i+1, j-1 {
		ns[i], ns[j] = ns[j], ns[i]
	}
	for _, n := range ns {
		var m map[string]any
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, m)
	}
	return ns, payloads
}

func kinds(ns []ledger.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// TestChangesQueueTheirNotifications: an adjustment, a crossing of the
// alert amount either way and a decision on a top-up each queue one
// notification, in the change's transaction, with the change's figures,
// the address and the language of that moment; nothing for a customer
// without an address, or with that kind switched off, or for a charge that
// crosses nothing.
func TestChangesQueueTheirNotifications(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, a := mailCustomer(t, s, "13900000001", "zh-CN", ledger.AllNotify, 10000)
		alert := int64(5000)
		if _, err := s.UpdateAccount(ctx, sys, a.ID, store.AccountChange{AlertAmount: &alert}); err != nil {
			t.Fatal(err)
		}
		for _, amount := range []int64{2000, 2000, 2000, 500} { // 8000, 6000, 4000 (below), 3500 (still below)
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: amount}); err != nil {
				t.Fatal(err)
			}
		}
		adjust(t, s, a.ID, ledger.Credit, 2500, "补偿：10月服务中断 <3 天>") // 6000: recovered
		clerk, checker := reviewActors(t, s)
		approved := submit(t, s, clerk, c.ID, 1000)
		if _, err := s.ApproveTopUp(ctx, checker, approved.ID, nil, "", "", ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		rejected := submit(t, s, clerk, c.ID, 700)
		if _, err := s.RejectTopUp(ctx, checker, rejected.ID, "付款凭证不清楚", ledger.Idempotency{}); err != nil {
			t.Fatal(err)
		}

		ns, ps := outbox(t, s, c.ID)
		want := []string{"adjustment", "low_balance", "adjustment", "recovered", "topup_approved", "topup_rejected"}
		if got := kinds(ns); !equalStrings(got, want) {
			t.Fatalf("notifications %v, want %v", got, want)
		}
		for _, n := range ns {
			if n.Recipient != "13900000001@mail.example" || n.Locale != "zh-CN" || n.Status != ledger.NotificationPending || n.NextAttemptAt == nil {
				t.Errorf("notification %+v", n)
			}
		}
		checkPayload(t, ps[1], map[string]any{"currency": "USD", "balance": "40.00", "alert_amount": "50.00"})
		checkPayload(t, ps[2], map[string]any{"amount": "25.00", "balance": "60.00", "note": "补偿：10月服务中断 <3 天>", "reason": "correction"})
		checkPayload(t, ps[3], map[string]any{"balance": "60.00", "alert_amount": "50.00"})
		checkPayload(t, ps[4], map[string]any{"amount": "10.00", "balance": "70.00", "reference": approved.Number()})
		checkPayload(t, ps[5], map[string]any{"amount": "7.00", "note": "付款凭证不清楚", "reference": rejected.Number()})

		// Switched off, or no address: nothing, and the postings go on.
		off := ledger.AllNotify
		off.Adjustment = false
		c2, a2 := mailCustomer(t, s, "13900000002", "en", off, 10000)
		adjust(t, s, a2.ID, ledger.Debit, 100, "fee")
		c3, a3 := fixture(t, s, "13900000003", 10000)
		adjust(t, s, a3.ID, ledger.Debit, 100, "fee")
		for _, id := range []int64{c2.ID, c3.ID} {
			if ns, _ := outbox(t, s, id); len(ns) != 0 {
				t.Errorf("customer %d got %v", id, kinds(ns))
			}
		}
		mustVerify(t, s)
	})
}

func checkPayload(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("payload %s = %v, want %v (in %v)", k, got[k], v, got)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAFailedPostingQueuesNothing: a debit refused for want of money
// rolls its notification back with it.
func TestAFailedPostingQueuesNothing(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, a := mailCustomer(t, s, "13900000011", "en", ledger.AllNotify, 1000)
		_, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Debit, Amount: 5000,
			Reason: ledger.ReasonCorrection, Note: "too much", Actor: sys})
		if !errors.Is(err, ledger.ErrInsufficientFunds) {
			t.Fatalf("debit beyond the floor: %v", err)
		}
		if ns, _ := outbox(t, s, c.ID); len(ns) != 1 { // the opening credit's only
			t.Fatalf("notifications %v", kinds(ns))
		}
	})
}

// TestNotificationLeases: a claimed notification is no one else's until
// its lease runs out; a result is recorded under its lease only; a retry
// waits until its time; and several workers claiming at once share the
// notifications out, each exactly once.
func TestNotificationLeases(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, a := mailCustomer(t, s, "13900000021", "en", ledger.AllNotify, 0)
		for range 30 {
			adjust(t, s, a.ID, ledger.Credit, 100, "n")
		}
		now := time.Now().Add(time.Second)
		var mu sync.Mutex
		seen := map[int64]int{}
		var claims []store.ClaimedNotification
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				got, err := s.ClaimNotifications(ctx, now, time.Minute, 4)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				for _, g := range got {
					seen[g.ID]++
					claims = append(claims, g)
				}
			})
		}
		wg.Wait()
		for id, n := range seen {
			if n != 1 {
				t.Errorf("notification %d claimed %d times", id, n)
			}
		}
		if len(claims) != 24 {
			t.Fatalf("claimed %d, want 24 (6 workers × 4)", len(claims))
		}
		if more, _ := s.ClaimNotifications(ctx, now, time.Minute, 100); len(more) != 6 {
			t.Fatalf("the rest: %d, want 6", len(more))
		}
		if again, _ := s.ClaimNotifications(ctx, now.Add(30*time.Second), time.Minute, 100); len(again) != 0 {
			t.Fatalf("claimed %d still leased", len(again))
		}
		first := claims[0]
		if first.CustomerName != c.Name || first.Attempts != 1 {
			t.Errorf("claim %+v", first)
		}
		// The lease runs out: another worker takes it, and the first one's
		// result is refused.
		later := now.Add(2 * time.Minute)
		taken, _ := s.ClaimNotifications(ctx, later, time.Minute, 100)
		if len(taken) != 30 {
			t.Fatalf("after the leases ran out %d were claimed, want 30", len(taken))
		}
		err := s.RecordNotification(ctx, store.NotificationResult{ID: first.ID, Lease: first.Lease, Status: ledger.NotificationSent, At: later})
		if !errors.Is(err, store.ErrNotificationLeaseLost) {
			t.Fatalf("a result under a lost lease: %v", err)
		}
		retry := later.Add(time.Hour)
		for _, c := range taken {
			r := store.NotificationResult{ID: c.ID, Lease: c.Lease, Status: ledger.NotificationSent, Subject: "s", At: later}
			if c.ID == first.ID {
				r.Status, r.RetryAt, r.Error = ledger.NotificationPending, &retry, "451 try later"
			}
			if err := s.RecordNotification(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if due, _ := s.ClaimNotifications(ctx, retry.Add(-time.Second), time.Minute, 100); len(due) != 0 {
			t.Fatalf("a retry came %d early", len(due))
		}
		due, _ := s.ClaimNotifications(ctx, retry, time.Minute, 100)
		if len(due) != 1 || due[0].ID != first.ID || due[0].Attempts != 3 || due[0].LastError != "451 try later" {
			t.Fatalf("the retry: %+v", due)
		}
	})
}

// TestMonthlyStatementsQueueOnce: the first call only notes the month; a
// new month queues last month's statement once for each customer who wants
// it, has an address and an account that moved or holds money, however
// many instances call at once; calls later in the month queue nothing more.
func TestMonthlyStatementsQueueOnce(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) { monthlyStatementsOnce(t, twoInstances(t, d)) })
	}
}

// twoInstances opens two stores on one database, as two instances would.
func twoInstances(t *testing.T, d store.Dialect) []*store.Store {
	dsn := testdb.DSN(t, d)
	var out []*store.Store
	for range 2 {
		s, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

func monthlyStatementsOnce(t *testing.T, stores []*store.Store) {
	{
		s := stores[0]
		if _, err := s.UpdateSettings(ctx, sys, func(st *ledger.Settings) error { st.Timezone = "Asia/Shanghai"; return nil }); err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		if n, err := s.QueueMonthlyStatements(ctx, start); err != nil || n != 0 {
			t.Fatalf("first call: %d, %v", n, err)
		}
		wants, _ := mailCustomer(t, s, "13900000031", "zh-CN", ledger.AllNotify, 1000)
		noStatement := ledger.AllNotify
		noStatement.Statement = false
		optedOut, _ := mailCustomer(t, s, "13900000032", "en", noStatement, 1000)
		empty, _ := mailCustomer(t, s, "13900000033", "en", ledger.AllNotify, 0)
		// 1 December 00:30 in Shanghai is still 30 November in UTC.
		newMonth := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)
		if n, _ := s.QueueMonthlyStatements(ctx, newMonth.Add(-time.Hour)); n != 0 {
			t.Fatalf("queued %d before the month turned", n)
		}
		counts := make(chan int, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				n, err := stores[i%len(stores)].QueueMonthlyStatements(ctx, newMonth)
				if err != nil {
					t.Error(err)
				}
				counts <- n
			})
		}
		wg.Wait()
		close(counts)
		total := 0
		for n := range counts {
			total += n
		}
		if total != 1 {
			t.Fatalf("8 calls on 2 instances queued %d statements, want 1", total)
		}
		if n, _ := s.QueueMonthlyStatements(ctx, newMonth.Add(10*24*time.Hour)); n != 0 {
			t.Fatalf("queued %d more later in the month", n)
		}
		ns, ps := outbox(t, s, wants.ID)
		if got := kinds(ns); got[len(got)-1] != "statement" {
			t.Fatalf("notifications %v", got)
		}
		checkPayload(t, ps[len(ps)-1], map[string]any{"period": "2026-11", "from": "2026-10-31T16:00:00Z", "to": "2026-11-30T16:00:00Z"})
		for _, c := range []ledger.Customer{optedOut, empty} {
			ns, _ := outbox(t, s, c.ID)
			for _, n := range ns {
				if n.Kind == "statement" {
					t.Errorf("customer %s got a statement", c.Name)
				}
			}
		}
	}
}
