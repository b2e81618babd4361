package demo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/demo"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

var ctx = context.Background()

func smallConfig() demo.Config {
	return demo.Config{Customers: 25, Days: 21, Seed: 7, End: time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC), Password: "demo password 1"}
}

// run fills a fresh database of dialect d.
func run(t *testing.T, d store.Dialect, cfg demo.Config) (*store.Store, demo.Result) {
	t.Helper()
	clock := demo.NewClock(demo.Start(cfg))
	st := testdb.Open(t, d, store.Options{Now: clock.Now})
	res, err := demo.Run(ctx, st, clock, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st, res
}

// TestDemo fills a small database on each dialect and checks that the
// ledger holds, the operation record verifies, and the data looks like a
// living system.
func TestDemo(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			cfg := smallConfig()
			st, res := run(t, d, cfg)
			if problems, err := st.VerifyLedger(ctx); err != nil || len(problems) > 0 {
				t.Fatalf("ledger: %v %v", problems, err)
			}
			if rep, err := st.VerifyAudit(ctx); err != nil || !rep.OK {
				t.Fatalf("operation record chain: %+v %v", rep, err)
			}
			admins, err := st.Admins(ctx)
			if err != nil {
				t.Fatal(err)
			}
			roles := map[ledger.Role]int{}
			for _, a := range admins {
				roles[a.Role]++
			}
			if roles[ledger.RoleSuperAdmin] < 2 || roles[ledger.RoleAdmin] < 2 || roles[ledger.RoleReviewer] < 2 || len(res.Admins) != len(admins) {
				t.Errorf("administrators by role %v; reported %v", roles, res.Admins)
			}
			// Counts from the database itself.
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count("SELECT COUNT(*) FROM customers"); n != cfg.Customers || res.Customers != n {
				t.Errorf("%d customers in the database, %d reported, want %d", n, res.Customers, cfg.Customers)
			}
			if n := count("SELECT COUNT(DISTINCT currency) FROM accounts WHERE customer_id IS NOT NULL"); n < 3 {
				t.Errorf("accounts in %d currencies, want several", n)
			}
			if n := count("SELECT COUNT(*) FROM transactions WHERE type = 'charge'"); n != res.Charges || n < cfg.Customers*cfg.Days/10 {
				t.Errorf("%d charges (%d reported): too few for %d customers over %d days", n, res.Charges, cfg.Customers, cfg.Days)
			}
			if n := count("SELECT COUNT(*) FROM topups WHERE status = 'approved'"); n != res.Approved || n < cfg.Customers {
				t.Errorf("%d approved top-ups (%d reported), want at least one per customer", n, res.Approved)
			}
			if n := count("SELECT COUNT(*) FROM topups WHERE status = 'approved' AND reviewed_by = created_by"); n != 0 {
				t.Errorf("%d top-ups approved by their submitter", n)
			}
			if n := count("SELECT COUNT(*) FROM topups"); n != res.TopUps {
				t.Errorf("%d top-up requests, %d reported", n, res.TopUps)
			}
			if n := count("SELECT COUNT(*) FROM transactions WHERE type = 'adjustment' AND note <> '' AND reason <> ''"); n == 0 || n != res.Adjustments {
				t.Errorf("%d adjustments with reason and note, %d reported", n, res.Adjustments)
			}
			if n := count("SELECT COUNT(*) FROM transactions WHERE type = 'reversal'"); n != res.Reversals {
				t.Errorf("%d reversals, %d reported", n, res.Reversals)
			}
			if n := count("SELECT COUNT(*) FROM accounts WHERE customer_id IS NOT NULL AND balance < alert_amount"); n == 0 || int64(n) != res.BelowAlert {
				t.Errorf("%d accounts below alert, %d reported; want some", n, res.BelowAlert)
			}
			if n := count("SELECT COUNT(*) FROM accounts WHERE credit_limit > 0"); n == 0 {
				t.Error("no account has a credit limit")
			}
			// The history spreads over the days, and nothing is in the future.
			start, end := demo.Start(cfg), cfg.End
			if n := count("SELECT COUNT(*) FROM transactions WHERE created_at < $1 OR created_at > $2", start.UnixMicro(), end.UnixMicro()); n != 0 {
				t.Errorf("%d transactions outside %s .. %s", n, start, end)
			}
			if n := count("SELECT COUNT(DISTINCT created_at / 86400000000) FROM transactions"); n < cfg.Days-2 {
				t.Errorf("transactions on %d days of %d", n, cfg.Days)
			}
			// A second run refuses the database now that it is not empty.
			clock := demo.NewClock(demo.Start(cfg))
			if _, err := demo.Run(ctx, st, clock, cfg); !errors.Is(err, demo.ErrNotEmpty) {
				t.Errorf("a second run: %v, want ErrNotEmpty", err)
			}
		})
	}
}

// TestDemoIsReproducible: the same seed, configuration and end time make
// the same data; another seed makes other data.
func TestDemoIsReproducible(t *testing.T) {
	cfg := smallConfig()
	cfg.Customers, cfg.Days = 12, 10
	fingerprint := func(st *store.Store) string {
		t.Helper()
		var out string
		rows, err := st.DB().Query(`SELECT t.type, t.amount, t.currency, t.created_at, c.name FROM transactions t
			JOIN accounts a ON a.id = t.account_id JOIN customers c ON c.id = a.customer_id ORDER BY t.id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var typ, cur, name string
			var amount, at int64
			if err := rows.Scan(&typ, &amount, &cur, &at, &name); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintln(typ, amount, cur, at, name)
		}
		return out
	}
	a, _ := run(t, store.SQLite, cfg)
	b, _ := run(t, store.SQLite, cfg)
	if fa, fb := fingerprint(a), fingerprint(b); fa != fb || fa == "" {
		t.Errorf("two runs with seed %d differ (or are empty)", cfg.Seed)
	}
	cfg.Seed++
	c, _ := run(t, store.SQLite, cfg)
	if fingerprint(a) == fingerprint(c) {
		t.Error("another seed made the same data")
	}
}

// TestDemoReachesNow: whatever the hour the demo runs, today, in the
// business time zone, already has charges, approved top-ups and requests
// (so the console's Today is not empty), and nothing is later than now.
func TestDemoReachesNow(t *testing.T) {
	for _, tc := range []struct {
		d   store.Dialect
		end time.Time
	}{
		{store.SQLite, time.Date(2026, 11, 21, 0, 40, 0, 0, time.UTC)},          // just after midnight
		{store.SQLite, time.Date(2026, 11, 23, 7, 5, 0, 0, time.UTC)},           // before the day's routine would start
		{store.Postgres, time.Date(2026, 11, 22, 23, 59, 30, 0, time.UTC)},      // late: a whole day has passed
		{store.SQLite, time.Date(2026, 11, 20, 15, 30, 0, 123456000, time.UTC)}, // afternoon, with a fraction of a second
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.d, tc.end.Format("15:04:05.000")), func(t *testing.T) {
			// Enough customers that each day has requests and reviews.
			cfg := smallConfig()
			cfg.Customers, cfg.Days, cfg.End = 150, 5, tc.end
			st, _ := run(t, tc.d, cfg)
			settings, err := st.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			at := tc.end.In(settings.Location())
			today := store.StartOfDay(at.Year(), at.Month(), at.Day(), settings.Location()).UnixMicro()
			now := tc.end.UnixMicro()
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			for what, q := range map[string]string{
				"charges":         "SELECT COUNT(*) FROM transactions WHERE type = 'charge' AND created_at >= $1 AND created_at <= $2",
				"top-ups":         "SELECT COUNT(*) FROM transactions WHERE type = 'topup' AND created_at >= $1 AND created_at <= $2",
				"top-up requests": "SELECT COUNT(*) FROM topups WHERE created_at >= $1 AND created_at <= $2",
				"reviews":         "SELECT COUNT(*) FROM topups WHERE reviewed_at >= $1 AND reviewed_at <= $2",
			} {
				if n := count(q, today, now); n == 0 {
					t.Errorf("no %s today (since %s) by %s", what, time.UnixMicro(today).UTC(), tc.end)
				}
			}
			for what, q := range map[string]string{
				"transactions":      "SELECT COUNT(*) FROM transactions WHERE created_at > $1",
				"top-up requests":   "SELECT COUNT(*) FROM topups WHERE (created_at > $1 OR reviewed_at > $1 OR updated_at > $1 OR paid_at > $1)",
				"customers":         "SELECT COUNT(*) FROM customers WHERE (created_at > $1 OR updated_at > $1)",
				"operation records": "SELECT COUNT(*) FROM audit_log WHERE created_at > $1",
				"alerts":            "SELECT COUNT(*) FROM alerts WHERE raised_at > $1",
			} {
				if n := count(q, now); n != 0 {
					t.Errorf("%d %s after now (%s)", n, what, tc.end)
				}
			}
		})
	}
}
