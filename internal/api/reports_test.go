package api_test

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// reportWant is what a report row should say, in minor units.
type reportWant struct{ recharge, consumption, count int64 }

// TestReports posts a week of random activity (top-ups through requests and
// approvals, bare top-ups, charges, adjustments, reversals of each) across
// the change to summer time in New York, then holds every report against
// sums that plain SQL takes over the ledger's entries: recharge is what left
// the funding accounts, consumption what reached revenue.
func TestReports(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			var mu sync.Mutex
			now := time.Date(2026, 3, 5, 13, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(dt time.Duration) { mu.Lock(); now = now.Add(dt); mu.Unlock() }
			e := newEnvAt(t, d, clock)
			super := e.token[ledger.RoleSuperAdmin]
			e.do("PATCH", "/api/v1/settings", super, map[string]any{"timezone": "America/New_York"}).want(200)
			ny, _ := time.LoadLocation("America/New_York")

			tracked := activity(t, e, advance)
			// Sessions last 12 hours; the week is over.
			for role, user := range map[ledger.Role]string{ledger.RoleSuperAdmin: "root", ledger.RoleAdmin: "clerk", ledger.RoleReviewer: "checker"} {
				e.token[role] = e.login(user, password)
			}
			super = e.token[ledger.RoleSuperAdmin]
			db := sqlDB(t, e)

			// Days of New York, computed plainly: no midnight is skipped there.
			var days []string
			var bounds []time.Time
			for day := 5; day <= 13; day++ {
				bounds = append(bounds, time.Date(2026, 3, day, 0, 0, 0, 0, ny))
				if day < 13 {
					days = append(days, fmt.Sprintf("2026-03-%02d", day))
				}
			}
			if h := bounds[4].Sub(bounds[3]); h != 23*time.Hour {
				t.Fatalf("2026-03-08 in New York lasts %v, want 23h: the test does not cross DST", h)
			}

			rmRun(t, e, "by day", func(t *testing.T) {
				want := map[string]reportWant{}
				for i, day := range days {
					for k, w := range ledgerSums(t, db, bounds[i], bounds[i+1], "currency") {
						_, cur, _ := strings.Cut(k, " ")
						want[day+" "+cur] = w
					}
				}
				r := e.do("GET", "/api/v1/reports/summary?group_by=day&from=2026-03-05&to=2026-03-12", super, nil).want(200)
				checkRows(t, r, want)
				body := r.json()
				if body["from"] != "2026-03-05T05:00:00Z" || body["to"] != "2026-03-13T04:00:00Z" || body["timezone"] != "America/New_York" {
					t.Errorf("period = %v .. %v in %v, want New York days 5 to 12 March (DST starts on the 8th)", body["from"], body["to"], body["timezone"])
				}
			})
			rmRun(t, e, "by currency, payment method and customer", func(t *testing.T) {
				from, to := bounds[0], bounds[len(bounds)-1]
				q := "from=2026-03-05&to=2026-03-12"
				for _, g := range []string{"currency", "payment_method", "customer"} {
					checkRows(t, e.do("GET", "/api/v1/reports/summary?group_by="+g+"&"+q, super, nil).want(200), ledgerSums(t, db, from, to, g))
				}
				// A partial period given as RFC 3339 times, one currency.
				lo, hi := time.Date(2026, 3, 7, 18, 30, 0, 0, time.UTC), time.Date(2026, 3, 9, 2, 15, 0, 0, time.UTC)
				want := map[string]reportWant{}
				for k, w := range ledgerSums(t, db, lo, hi, "currency") {
					if strings.HasPrefix(k, "EUR ") {
						want[k] = w
					}
				}
				checkRows(t, e.do("GET", "/api/v1/reports/summary?currency=EUR&from="+url.QueryEscape(lo.Format(time.RFC3339))+
					"&to="+url.QueryEscape(hi.Format(time.RFC3339)), super, nil).want(200), want)
			})
			rmRun(t, e, "totals", func(t *testing.T) {
				rows := e.do("GET", "/api/v1/reports/totals", super, nil).want(200).json()["rows"].([]any)
				all := ledgerSums(t, db, time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), "currency")
				if len(rows) != len(tracked) {
					t.Errorf("totals have %d currencies, the test posted in %d", len(rows), len(tracked))
				}
				for _, x := range rows {
					r := x.(map[string]any)
					code := r["currency"].(string)
					cur := money.MustCurrency(code)
					amt := func(field string) int64 {
						a, err := money.Parse(r[field].(string), cur)
						if err != nil {
							t.Fatalf("%s %s = %v: %v", code, field, r[field], err)
						}
						return a.Minor()
					}
					w, tr := all[code+" "+code], tracked[code]
					var adjNet, balances, accounts int64
					if err := db.QueryRow(`SELECT -COALESCE(SUM(e.amount), 0) FROM entries e JOIN accounts a ON a.id = e.account_id
						WHERE a.system_code = 'adjustments' AND a.currency = $1`, code).Scan(&adjNet); err != nil {
						t.Fatal(err)
					}
					if err := db.QueryRow(`SELECT COALESCE(SUM(balance), 0), COUNT(*) FROM accounts WHERE customer_id IS NOT NULL AND currency = $1`, code).Scan(&balances, &accounts); err != nil {
						t.Fatal(err)
					}
					got := fmt.Sprint(amt("recharge"), amt("consumption"), amt("adjustments_in"), amt("adjustments_out"), amt("customer_balances"), r["accounts"])
					wantS := fmt.Sprint(w.recharge, w.consumption, tr.adjIn, tr.adjOut, balances, float64(accounts))
					if got != wantS || amt("recharge") != tr.recharge || amt("consumption") != tr.consumption {
						t.Errorf("%s totals = %s, want %s (tracked while posting: %+v)", code, got, wantS, tr)
					}
					if amt("adjustments_in")-amt("adjustments_out") != adjNet {
						t.Errorf("%s net adjustments %d, the adjustments account moved %d", code, amt("adjustments_in")-amt("adjustments_out"), adjNet)
					}
					if b := amt("recharge") - amt("consumption") + amt("adjustments_in") - amt("adjustments_out"); b != amt("customer_balances") {
						t.Errorf("%s: recharge - consumption + adjustments = %d, customer balances %d", code, b, amt("customer_balances"))
					}
				}
			})
			rmRun(t, e, "admins and reviewers see today only", func(t *testing.T) {
				today := clock().In(ny)
				lo := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, ny)
				hi := lo.AddDate(0, 0, 1)
				want := ledgerSums(t, db, lo, hi, "currency")
				if len(want) == 0 {
					t.Fatal("no activity today: the test proves little")
				}
				date := today.Format(time.DateOnly)
				yesterday := today.AddDate(0, 0, -1).Format(time.DateOnly)
				for _, role := range []ledger.Role{ledger.RoleAdmin, ledger.RoleReviewer, ledger.RoleSuperAdmin} {
					tok := e.token[role]
					checkRows(t, e.do("GET", "/api/v1/reports/summary", tok, nil).want(200), want)
					checkRows(t, e.do("GET", "/api/v1/reports/summary?from="+date+"&to="+date, tok, nil).want(200), want)
					e.do("GET", "/api/v1/reports/summary?from="+url.QueryEscape(lo.Format(time.RFC3339)), tok, nil).want(200)
					e.do("GET", "/api/v1/reports/chart.svg", tok, nil).want(200)
					for _, q := range []string{"from=" + yesterday, "from=" + yesterday + "&to=" + yesterday, "to=" + yesterday,
						"from=" + date + "&to=" + today.AddDate(0, 0, 1).Format(time.DateOnly), "from=2020-01-01&to=2026-12-31",
						"group_by=customer&from=" + url.QueryEscape(lo.Add(-time.Second).Format(time.RFC3339))} {
						r := e.do("GET", "/api/v1/reports/summary?"+q, tok, nil)
						c := e.do("GET", "/api/v1/reports/chart.svg?"+q, tok, nil)
						if role == ledger.RoleSuperAdmin {
							r.want(200)
							c.want(200)
						} else {
							r.wantProblem(403, "forbidden")
							c.wantProblem(403, "forbidden")
							e.do("GET", "/api/v1/reports/summary?"+q, tok, nil, "Accept", "text/csv").wantProblem(403, "forbidden")
						}
					}
				}
			})
			rmRun(t, e, "bad input", func(t *testing.T) {
				for _, q := range []string{"from=2026-13-01", "to=yesterday", "from=2026-03-10&to=2026-03-09", "currency=XYZ", "group_by=week"} {
					e.do("GET", "/api/v1/reports/summary?"+q, super, nil).wantProblem(422, "validation_failed")
				}
				e.do("GET", "/api/v1/reports/summary?group_by=day&from=1990-01-01&to=2026-01-01", super, nil).wantProblem(422, "validation_failed")
			})
			rmRun(t, e, "chart", func(t *testing.T) {
				for _, q := range []string{"from=2026-03-05&to=2026-03-12", "from=2026-03-05&to=2026-03-12&currency=JPY", "from=2001-01-01&to=2001-01-03&currency=USD", "from=2001-01-01&to=2001-01-03"} {
					r := e.do("GET", "/api/v1/reports/chart.svg?"+q, super, nil).want(200)
					if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
						t.Errorf("chart served as %q", ct)
					}
					root := parseXML(t, r.Body)
					if root != "svg" {
						t.Errorf("chart?%s: the root element is %q", q, root)
					}
					if q == "from=2026-03-05&to=2026-03-12" {
						for _, want := range []string{"USD", "EUR", "JPY", "03-08", "America/New_York", "Recharge", "Consumption"} {
							if !bytes.Contains(r.Body, []byte(want)) {
								t.Errorf("the chart does not show %q", want)
							}
						}
					}
				}
			})
			rmRun(t, e, "CSV", func(t *testing.T) {
				q := "/api/v1/reports/summary?group_by=customer&from=2026-03-05&to=2026-03-12"
				rows := e.do("GET", q, super, nil).want(200).json()["rows"].([]any)
				r := e.do("GET", q, super, nil, "Accept", "text/csv").want(200)
				if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
					t.Fatalf("CSV export served as %q: %s", r.Header.Get("Content-Type"), r.Body)
				}
				recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != len(rows)+1 || strings.Join(recs[0], ",") != "key,currency,recharge,consumption,count,label,bonus,consumption_principal,consumption_bonus" {
					t.Fatalf("CSV has %d lines (want %d), header %v", len(recs), len(rows)+1, recs[0])
				}
				for i, x := range rows {
					m := x.(map[string]any)
					if recs[i+1][0] != m["key"] || recs[i+1][2] != m["recharge"] || recs[i+1][3] != m["consumption"] || recs[i+1][5] != m["label"] {
						t.Errorf("CSV line %d = %v, JSON row %v", i+1, recs[i+1], m)
					}
				}
				tot := e.do("GET", "/api/v1/reports/totals", super, nil, "Accept", "text/csv").want(200)
				if !strings.HasPrefix(string(tot.Body), "currency,recharge,consumption,adjustments_in,adjustments_out,customer_balances,accounts") {
					t.Errorf("totals CSV = %s", tot.Body)
				}
			})
		})
	}
}

// tracking is what the test itself counted while posting, per currency.
type tracking struct{ recharge, consumption, adjIn, adjOut int64 }

// activity posts a week of random, reproducible activity through the store,
// moving the clock between postings.
func activity(t *testing.T, e *env, advance func(time.Duration)) map[string]*tracking {
	t.Helper()
	s := e.store
	rng := rand.New(rand.NewPCG(8, 44))
	actor := func(role ledger.Role) ledger.Actor {
		return ledger.Actor{AdminID: mustID(t, e.admin[role]), Role: role, Name: string(role)}
	}
	clerk, checker, root := actor(ledger.RoleAdmin), actor(ledger.RoleReviewer), actor(ledger.RoleSuperAdmin)
	currencies := []string{"USD", "EUR", "JPY"}
	var accounts []ledger.Account
	for i := range 8 {
		c, err := s.CreateCustomer(ctx, clerk, ledger.NewCustomer{Name: fmt.Sprintf("Report customer %d", i), Phone: fmt.Sprintf("+1555000%04d", i),
			DefaultCurrency: currencies[i%3]})
		if err != nil {
			t.Fatal(err)
		}
		for j := range 1 + i%2 {
			a, _, err := s.OpenAccount(ctx, clerk, c.ID, currencies[(i+j)%3])
			if err != nil {
				t.Fatal(err)
			}
			accounts = append(accounts, a)
		}
	}
	tracked := map[string]*tracking{}
	for _, c := range currencies {
		tracked[c] = &tracking{}
	}
	// posted remembers what may be reversed, and how it counted.
	type postedTx struct {
		id       int64
		kind     ledger.TxType
		currency string
		amount   int64
	}
	var posted []postedTx
	// count adds a posting's effect; a reversal counts as the kind, and
	// with the sign, of what it reverses (orig), with its own amount.
	count := func(kind ledger.TxType, cur string, amount, orig int64) {
		tr := tracked[cur]
		switch {
		case kind == ledger.TxTopUp:
			tr.recharge += amount
		case kind == ledger.TxCharge:
			tr.consumption -= amount
		case kind == ledger.TxAdjustment && orig > 0:
			tr.adjIn += amount
		case kind == ledger.TxAdjustment:
			tr.adjOut -= amount
		}
	}
	record := func(p store.Posted, err error) {
		t.Helper()
		if errors.Is(err, ledger.ErrInsufficientFunds) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		tx := p.Transaction
		posted = append(posted, postedTx{tx.ID, tx.Type, tx.Currency.Code(), tx.Amount})
		count(tx.Type, tx.Currency.Code(), tx.Amount, tx.Amount)
	}
	// 100 to 30099 minor units: 1.00 to 300.99 USD, or yen.
	amount := func(cur string) int64 { return 100 + rng.Int64N(30000) }
	postings := 0
	for postings < 320 {
		advance(time.Duration(1+rng.IntN(40)) * time.Minute)
		a := accounts[rng.IntN(len(accounts))]
		cur := a.Currency.Code()
		switch k := rng.IntN(20); {
		case k < 6: // a request, approved by the reviewer (or now and then rejected)
			res, err := s.SubmitTopUp(ctx, clerk, store.NewTopUp{CustomerID: a.CustomerID, Currency: cur,
				TopUpFields: ledger.TopUpFields{Amount: amount(cur) * 3, PaymentMethodID: int64(1 + rng.IntN(3)), PaymentStatus: "paid"}}, ledger.Idempotency{})
			if err != nil {
				t.Fatal(err)
			}
			advance(time.Duration(rng.IntN(30)) * time.Minute)
			if rng.IntN(6) == 0 {
				if _, err := s.RejectTopUp(ctx, checker, res.TopUp.ID, "no such transfer", ledger.Idempotency{}); err != nil {
					t.Fatal(err)
				}
				continue
			}
			var actual *int64
			if rng.IntN(4) == 0 {
				v := res.TopUp.Amount - 1
				actual = &v
			}
			res, err = s.ApproveTopUp(ctx, checker, res.TopUp.ID, actual, "", "", ledger.Idempotency{})
			if err != nil {
				t.Fatal(err)
			}
			record(store.Posted{Transaction: mustTx(t, s, res.TopUp.TransactionID)}, nil)
		case k < 7: // a bare top-up, without a request
			record(s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: amount(cur), PaymentMethod: "alipay", Actor: root}))
		case k < 14:
			record(s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: amount(cur) / 2, Reference: "order", Actor: clerk}))
		case k < 17:
			dir := []ledger.Direction{ledger.Credit, ledger.Debit}[rng.IntN(2)]
			record(s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: dir, Amount: amount(cur) / 3,
				Reason: ledger.ReasonCorrection, Note: "test", Actor: clerk}))
		default: // reverse something posted earlier, at most once
			if len(posted) == 0 {
				continue
			}
			i := rng.IntN(len(posted))
			orig := posted[i]
			if orig.kind == ledger.TxReversal {
				continue
			}
			p, err := s.Reverse(ctx, ledger.Reversal{TransactionID: orig.id, Note: "reversed by the test", Actor: root})
			if errors.Is(err, ledger.ErrAlreadyReversed) || errors.Is(err, ledger.ErrInsufficientFunds) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			posted = append(posted, postedTx{p.Transaction.ID, ledger.TxReversal, orig.currency, p.Transaction.Amount})
			count(orig.kind, orig.currency, p.Transaction.Amount, orig.amount)
		}
		postings++
	}
	if problems, err := s.VerifyLedger(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("ledger after the activity: %v %v", problems, err)
	}
	return tracked
}

func mustTx(t *testing.T, s *store.Store, id int64) ledger.Transaction {
	t.Helper()
	tx, err := s.Transaction(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// sqlDB is a plain connection to the env's database, for the test's own sums.
func sqlDB(t *testing.T, e *env) *sql.DB { return e.store.DB() }

// ledgerSums sums, with plain SQL over entries, what the funding accounts
// paid out (recharge) and what revenue took in (consumption) in [from, to),
// and how many transactions did either, keyed "<group> <currency>" the way
// checkRows keys a report's rows. The groups: currency (key = the
// currency), payment_method (the method's id; "" for revenue), customer.
func ledgerSums(t *testing.T, db *sql.DB, from, to time.Time, group string) map[string]reportWant {
	t.Helper()
	key := "sa.currency"
	switch group {
	case "payment_method":
		key = "COALESCE(CAST(pm.id AS TEXT), '')"
	case "customer":
		key = "CAST(ca.customer_id AS TEXT)"
	}
	rows, err := db.Query(`SELECT `+key+`, sa.currency,
			COALESCE(SUM(CASE WHEN sa.system_code LIKE 'funding:%' THEN -se.amount ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN sa.system_code = 'revenue' THEN se.amount ELSE 0 END), 0),
			COUNT(DISTINCT se.transaction_id)
		FROM entries se
		JOIN accounts sa ON sa.id = se.account_id
		JOIN entries ce ON ce.transaction_id = se.transaction_id AND ce.account_id <> se.account_id
		JOIN accounts ca ON ca.id = ce.account_id AND ca.customer_id IS NOT NULL
		LEFT JOIN payment_methods pm ON sa.system_code = 'funding:' || pm.code
		WHERE (sa.system_code = 'revenue' OR sa.system_code LIKE 'funding:%') AND se.created_at >= $1 AND se.created_at < $2
		GROUP BY `+key+`, sa.currency`, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]reportWant{}
	for rows.Next() {
		var k, cur string
		var w reportWant
		if err := rows.Scan(&k, &cur, &w.recharge, &w.consumption, &w.count); err != nil {
			t.Fatal(err)
		}
		out[k+" "+cur] = w
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkRows compares a summary's rows with the sums wanted.
func checkRows(t *testing.T, r *resp, want map[string]reportWant) {
	t.Helper()
	raw, ok := r.json()["rows"].([]any)
	if !ok {
		t.Fatalf("%s: no rows: %s", r.path, r.Body)
	}
	got := map[string]reportWant{}
	for _, x := range raw {
		m := x.(map[string]any)
		cur := money.MustCurrency(m["currency"].(string))
		parse := func(field string) int64 {
			a, err := money.Parse(m[field].(string), cur)
			if err != nil {
				t.Fatalf("%s: %s = %v: %v", r.path, field, m[field], err)
			}
			return a.Minor()
		}
		k := m["key"].(string) + " " + cur.Code()
		if _, dup := got[k]; dup {
			t.Errorf("%s: two rows for %s", r.path, k)
		}
		got[k] = reportWant{parse("recharge"), parse("consumption"), int64(m["count"].(float64))}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got  %v\n want %v", r.path, got, want)
	}
}

// parseXML reads a whole XML document and returns its root element's name.
func parseXML(t *testing.T, b []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
}
