package api_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// seedAccounts writes n customers with one account each straight into the
// database, in one transaction: fast enough for a 10,000-row export test.
func seedAccounts(t *testing.T, e *env, n int) {
	t.Helper()
	tx, err := e.store.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMicro()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("Bulk %05d", i)
		if i == 7 {
			name = "=cmd|' /C calc'!A0"
		}
		var cid int64
		if err := tx.QueryRow(`INSERT INTO customers (name, phone, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
			name, fmt.Sprintf("+1555%07d", i), fmt.Sprintf("bulk%d@example.com", i), now+int64(i)).Scan(&cid); err != nil {
			t.Fatal(err)
		}
		cur := "USD"
		if i%4 == 0 {
			cur = "EUR"
		}
		if _, err := tx.Exec(`INSERT INTO accounts (number, customer_id, currency, balance, alert_amount, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 500, $5, $5)`, ledger.NewAccountNumber(), cid, cur, int64(i%1000), now+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func exportCSV(t *testing.T, e *env, query, token string) (*http.Response, [][]string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+"/api/v1/accounts"+query, nil)
	req.Header.Set("Accept", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return res, [][]string{{string(b)}}
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	return res, rows
}

func TestAccountListAndCSVExport(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		seedAccounts(t, e, 10000)
		tok := e.token[ledger.RoleReviewer]
		res, rows := exportCSV(t, e, "", tok)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export answered %d %s: %v", res.StatusCode, res.Header.Get("Content-Type"), rows)
		}
		if res.ContentLength != -1 {
			t.Errorf("export has Content-Length %d: it was built in memory, not streamed", res.ContentLength)
		}
		if len(rows) != 10001 || rows[0][0] != "id" || rows[0][3] != "customer_name" {
			t.Fatalf("export has %d rows (header %v), want a header and 10,000 accounts", len(rows), rows[0])
		}
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			if seen[r[0]] {
				t.Fatalf("account %s exported twice", r[0])
			}
			seen[r[0]] = true
			if strings.HasPrefix(r[3], "=") {
				t.Errorf("customer name %q exported as a formula", r[3])
			}
		}
		found := false
		for _, r := range rows {
			found = found || r[3] == "'=cmd|' /C calc'!A0"
		}
		if !found {
			t.Error("the formula-like name is missing or not neutralised")
		}

		// Filters apply to the export and to pages alike.
		q := "?currency=EUR&balance_min=1.00&balance_max=5.00&sort=balance"
		_, rows = exportCSV(t, e, q, tok)
		var n int
		var cursor string
		var prev string
		for {
			r := e.do("GET", "/api/v1/accounts"+q+"&limit=7&cursor="+cursor, tok, nil).want(200)
			for _, it := range r.items() {
				n++
				if it["currency"] != "EUR" || it["balance"].(string) < "1.00" || it["balance"].(string) > "5.00" || it["balance"].(string) < prev {
					t.Fatalf("item %v breaks the filter or the order", it)
				}
				prev = it["balance"].(string)
			}
			next, _ := r.json()["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		// EUR accounts are every 4th; balances i%1000 between 100 and 500 minor units.
		want := 0
		for i := 0; i < 10000; i += 4 {
			if b := i % 1000; b >= 100 && b <= 500 {
				want++
			}
		}
		if n != want || len(rows)-1 != want {
			t.Errorf("filtered: %d paged, %d exported, want %d", n, len(rows)-1, want)
		}
		below := e.do("GET", "/api/v1/accounts?below_alert=true&currency=USD&limit=500", tok, nil).want(200).items()
		for _, it := range below {
			if it["below_alert"] != true {
				t.Fatalf("below_alert filter returned %v", it)
			}
		}
		if len(below) != 500 {
			t.Errorf("%d USD accounts below alert on the first page, want a full page", len(below))
		}
		byName := e.do("GET", "/api/v1/accounts?q=bulk%2000123", tok, nil).want(200).items()
		if len(byName) != 1 || byName[0]["customer_name"] != "Bulk 00123" {
			t.Errorf("q=bulk 00123 found %v", byName)
		}

		for _, bad := range []string{"?balance_min=1e3", "?balance_max=1.00&currency=JPY", "?currency=usd", "?sort=name", "?limit=501", "?limit=0", "?cursor=abc",
			"?created_from=2026-13-01", "?created_from=2026-05-02&created_to=2026-05-01", "?below_alert=maybe", "?status=closed"} {
			e.do("GET", "/api/v1/accounts"+bad, tok, nil).wantProblem(422, "validation_failed")
			res, _ := exportCSV(t, e, bad, tok)
			if strings.Contains(bad, "limit") || strings.Contains(bad, "cursor") {
				// An export takes every page; paging parameters do not apply.
				if res.StatusCode != 200 {
					t.Errorf("export%s answered %d, want 200", bad, res.StatusCode)
				}
			} else if res.StatusCode != 422 {
				t.Errorf("export%s answered %d, want 422", bad, res.StatusCode)
			}
		}
		// A cursor from one sort cannot be replayed on another.
		page := e.do("GET", "/api/v1/accounts?limit=2&sort=number", tok, nil).want(200)
		e.do("GET", "/api/v1/accounts?sort=balance&cursor="+page.str("next_cursor"), tok, nil).wantProblem(422, "validation_failed")
		if res, _ := exportCSV(t, e, "", "not-a-token"); res.StatusCode != 401 {
			t.Errorf("export without a valid token answered %d", res.StatusCode)
		}
		today := time.Now().UTC().Format("2006-01-02")
		if items := e.do("GET", "/api/v1/accounts?created_from="+today+"&created_to="+today+"&limit=3", tok, nil).want(200).items(); len(items) != 3 {
			t.Errorf("created today: %d items, want 3", len(items))
		}
		_ = store.AccountSorts
	})
}

func TestAccountEdits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, acc := e.customer("13800000020", 1000)
		e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleAdmin], map[string]any{"alert_amount": "25.00"}).want(200)
		a := e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleSuperAdmin], map[string]any{"credit_limit": "50.00",
			"overdraft": "20.00", "overdraft_expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}).want(200).json()
		if a["alert_amount"] != "25.00" || a["credit_limit"] != "50.00" || a["available"] != "80.00" || a["below_alert"] != true {
			t.Errorf("account after edits = %v", a)
		}
		e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "80.00"}).want(201)
		e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "0.01"}).wantProblem(422, "insufficient_funds")
		e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleSuperAdmin], map[string]any{"overdraft_expires_at": "tomorrow"}).wantProblem(422, "validation_failed")
		e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleSuperAdmin], map[string]any{"credit_limit": "-1.00"}).wantProblem(422, "validation_failed")
		e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleSuperAdmin], map[string]any{"alert_amount": "1.001"}).wantProblem(422, "validation_failed")
		e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleSuperAdmin], map[string]any{"number": "123"}).wantProblem(400, "bad_request")
		if got := e.do("GET", "/api/v1/accounts/"+acc, e.token[ledger.RoleReviewer], nil).want(200).json(); got["balance"] != "-70.00" || got["credit_limit"] != "50.00" {
			t.Errorf("account = %v", got)
		}
	})
}

func TestEveryListExportsCSV(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, acc := e.customer("+8613800000060", 1000)
		for i := 0; i < 3; i++ {
			e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "1.00", "reference": "=1+2"}).want(201)
		}
		tok := e.token[ledger.RoleSuperAdmin]
		_, rows := exportCSV2(t, e, "/api/v1/transactions?type=charge", tok)
		if len(rows) != 4 || rows[0][0] != "id" || rows[1][4] != "-1.00" || rows[1][5] != "'=1+2" || !strings.HasPrefix(rows[1][13], "[{") {
			t.Errorf("transactions CSV = %v", rows)
		}
		_, rows = exportCSV2(t, e, "/api/v1/customers", tok)
		if len(rows) != 2 || rows[1][2] != "+8613800000060" {
			t.Errorf("customers CSV = %v", rows)
		}
		_, rows = exportCSV2(t, e, "/api/v1/audit?action=transaction.create", tok)
		if len(rows) != 5 {
			t.Errorf("audit CSV has %d rows, want a header and 4", len(rows))
		}
		res, rows := exportCSV2(t, e, "/api/v1/transactions?type=gift", tok)
		if res.StatusCode != 422 {
			t.Errorf("export with a bad filter = %d %v", res.StatusCode, rows)
		}
	})
}

func exportCSV2(t *testing.T, e *env, path, token string) (*http.Response, [][]string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.Header.Set("Accept", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return res, nil
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatalf("%s: not valid CSV: %v", path, err)
	}
	return res, rows
}

// TestOverdraftExpires moves a test clock past an overdraft's expiry: a
// debit the overdraft allowed is refused afterwards.
func TestOverdraftExpires(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			e := newEnvAt(t, d, clock)
			_, acc := e.customer("13800000070", 1000)
			e.do("PATCH", "/api/v1/accounts/"+acc, e.token[ledger.RoleSuperAdmin], map[string]any{"overdraft": "50.00",
				"overdraft_expires_at": now.Add(48 * time.Hour).Format(time.RFC3339)}).want(200)
			if a := e.do("GET", "/api/v1/accounts/"+acc, e.token[ledger.RoleAdmin], nil).want(200).json(); a["available"] != "60.00" {
				t.Errorf("available with the overdraft = %v", a["available"])
			}
			e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "30.00"}).want(201)
			mu.Lock()
			now = now.Add(49 * time.Hour)
			mu.Unlock()
			// Sessions last 12 hours: the clerk has to log in again.
			e.do("GET", "/api/v1/me", e.token[ledger.RoleAdmin], nil).wantProblem(401, "unauthorized")
			e.token[ledger.RoleAdmin] = e.login("clerk", password)
			e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "0.01"}).wantProblem(422, "insufficient_funds")
			if a := e.do("GET", "/api/v1/accounts/"+acc, e.token[ledger.RoleAdmin], nil).want(200).json(); a["available"] != "-20.00" || a["balance"] != "-20.00" {
				t.Errorf("after expiry = %v", a)
			}
		})
	}
}

// TestAccountEditsRefuseStaleVersions: an edit of an account's settings
// made on an out-of-date view is refused (409 stale_version) instead of
// overwriting another administrator's change; postings do not count.
func TestAccountEditsRefuseStaleVersions(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super, clerk := e.token[ledger.RoleSuperAdmin], e.token[ledger.RoleAdmin]
		_, acc := e.customer("13800000304", 10000)
		seen := e.do("GET", "/api/v1/accounts/"+acc, super, nil).want(200).version()
		if items := e.do("GET", "/api/v1/accounts?customer_id=", super, nil).want(200).items(); len(items) == 0 || items[0]["version"] == nil {
			t.Errorf("list items lack version: %v", items)
		}
		e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}).want(201)
		if v := e.do("GET", "/api/v1/accounts/"+acc, super, nil).want(200).version(); v != seen {
			t.Errorf("a posting moved the version from %d to %d", seen, v)
		}
		// Two super admins opened the account; the first raises the credit.
		first := e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"credit_limit": "500.00", "version": seen}).want(200)
		if first.version() <= seen || first.str("credit_limit") != "500.00" {
			t.Fatalf("edit on the current version: %s", first.Body)
		}
		records := e.auditCount()
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"credit_limit": "0.00", "status": "frozen", "version": seen}).wantProblem(409, "stale_version")
		e.do("PATCH", "/api/v1/accounts/"+acc, clerk, map[string]any{"alert_amount": "3.00", "version": seen}).wantProblem(409, "stale_version")
		now := e.do("GET", "/api/v1/accounts/"+acc, super, nil).want(200)
		if now.str("credit_limit") != "500.00" || now.str("status") != "normal" || now.str("alert_amount") != "0.00" || now.version() != first.version() {
			t.Errorf("stale edits changed the account: %s", now.Body)
		}
		if n := e.auditCount(); n != records {
			t.Errorf("stale edits wrote %d operation records", n-records)
		}
		// Without a version an edit applies to whatever is current, as before.
		e.do("PATCH", "/api/v1/accounts/"+acc, clerk, map[string]any{"alert_amount": "3.00"}).want(200)
		// A batch of alert amounts is a change of the settings too.
		before := e.do("GET", "/api/v1/accounts/"+acc, super, nil).want(200).version()
		e.do("POST", "/api/v1/alert-batches", clerk, map[string]any{"alert_amount": "9.00", "account_ids": []string{acc}}).want(201)
		e.do("PATCH", "/api/v1/accounts/"+acc, clerk, map[string]any{"alert_amount": "4.00", "version": before}).wantProblem(409, "stale_version")
		if r := e.do("GET", "/api/v1/accounts/"+acc, super, nil).want(200); r.str("alert_amount") != "9.00" || r.version() <= before {
			t.Errorf("after the batch: %s", r.Body)
		}
	})
}

// TestBalanceRangeWithoutCurrency (SPEC section 7): balance_min and
// balance_max alone compare each account in its own currency's major unit,
// exactly, whatever the bound's decimals.
func TestBalanceRangeWithoutCurrency(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		names := map[string]string{}
		for _, b := range []struct {
			cur     string
			balance int64
		}{{"USD", 999}, {"USD", 1000}, {"JPY", 9}, {"JPY", 10}, {"JPY", 0}, {"JPY", 1}, {"KWD", 9999}, {"KWD", 10000}, {"BHD", 500}} {
			cid := e.do("POST", "/api/v1/customers", tok, map[string]any{"name": fmt.Sprintf("%s %d", b.cur, b.balance), "default_currency": b.cur}).want(201).str("id")
			acc := e.do("GET", "/api/v1/accounts?customer_id="+cid, tok, nil).want(200).items()[0]["id"].(string)
			if b.balance > 0 {
				if _, err := e.store.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: mustID(t, acc)}, Amount: b.balance, PaymentMethod: "alipay"}); err != nil {
					t.Fatal(err)
				}
			}
			names[acc] = fmt.Sprintf("%s %d", b.cur, b.balance)
		}
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"balance_min=10", []string{"USD 1000", "JPY 10", "KWD 10000"}},
			{"balance_min=0.5", []string{"USD 999", "USD 1000", "JPY 9", "JPY 10", "JPY 1", "KWD 9999", "KWD 10000", "BHD 500"}},
			{"balance_max=0.5", []string{"JPY 0", "BHD 500"}},
			{"balance_min=9.999&balance_max=10", []string{"USD 1000", "JPY 10", "KWD 9999", "KWD 10000"}},
			{"balance_min=10&currency=JPY", []string{"JPY 10"}},
		} {
			var got []string
			for _, it := range e.do("GET", "/api/v1/accounts?limit=500&"+c.query, tok, nil).want(200).items() {
				got = append(got, names[it["id"].(string)])
			}
			_, rows := exportCSV(t, e, "?"+c.query, tok)
			slices.Sort(got)
			slices.Sort(c.want)
			if !slices.Equal(got, c.want) || len(rows) != len(c.want)+1 {
				t.Errorf("%s: %v (CSV %d rows), want %v", c.query, got, len(rows)-1, c.want)
			}
		}
	})
}
