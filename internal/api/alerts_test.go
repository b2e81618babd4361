package api_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// seedAlertAccounts writes n customers with one account each with two
// set-based statements: accounts in USD, EUR and JPY (by id), alert amounts
// 0 to 600 minor units, balance 1000.00 (USD, EUR) or 100000 JPY.
func seedAlertAccounts(t *testing.T, e *env, n int) {
	t.Helper()
	tx, err := e.store.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMicro()
	if _, err := tx.Exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1)
		INSERT INTO customers (name, phone, created_at, updated_at)
		SELECT 'Alert bulk ' || i, '+1666' || (1000000 + i), $2, $2 FROM seq`, n, now); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO accounts (number, customer_id, currency, balance, alert_amount, created_at, updated_at)
		SELECT 'AB' || id, id, CASE id % 3 WHEN 0 THEN 'USD' WHEN 1 THEN 'EUR' ELSE 'JPY' END, 100000, (id % 7) * 100, $1, $1
		FROM customers WHERE name LIKE 'Alert bulk %'`, now); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// alertAmounts is a fingerprint of every customer account's alert amount.
func alertAmounts(t *testing.T, e *env) string {
	t.Helper()
	var n, sum, weighted string
	if err := e.store.DB().QueryRow(`SELECT COUNT(*), COALESCE(SUM(alert_amount), 0), COALESCE(SUM(id * alert_amount), 0)
		FROM accounts WHERE customer_id IS NOT NULL`).Scan(&n, &sum, &weighted); err != nil {
		t.Fatal(err)
	}
	return n + "/" + sum + "/" + weighted
}

func sqlCount(t *testing.T, e *env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.store.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAlertBatchAndUndo10k sets the alert amount of 10,000 accounts in
// three currencies in one batch, replays it, checks its items, and undoes
// it: every account gets back the value it had.
func TestAlertBatchAndUndo10k(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		const n = 10000
		seedAlertAccounts(t, e, n)
		tok := e.token[ledger.RoleAdmin]
		original := alertAmounts(t, e)
		batches := func() int { return len(e.do("GET", "/api/v1/alert-batches", tok, nil).want(200).items()) }

		// "100" is 100.00 USD and EUR, and 100 JPY: JPY accounts that have
		// 100 already (id % 7 == 1) do not change.
		want := sqlCount(t, e, `SELECT COUNT(*) FROM accounts WHERE customer_id IS NOT NULL
			AND NOT (currency = 'JPY' AND alert_amount = 100) AND NOT (currency IN ('USD', 'EUR') AND alert_amount = 10000)`)
		if want == n || want < n/2 {
			t.Fatalf("seed: %d of %d accounts would change", want, n)
		}
		body := map[string]any{"alert_amount": "100", "all": true}
		start := time.Now()
		r := e.do("POST", "/api/v1/alert-batches", tok, body, "Idempotency-Key", "batch-10k").want(201)
		took := time.Since(start)
		t.Logf("batch alert amount over %d accounts (%d changed) took %v", n, want, took)
		b := r.json()
		if b["changed"] != float64(want) || b["matched"] != float64(n) || b["undone_at"] != nil || b["scope"] != "all" || b["alert_amount"] != "100" {
			t.Fatalf("batch = %s, want changed %d of %d", r.Body, want, n)
		}
		if took > 20*time.Second {
			t.Errorf("the batch took %v: it should take seconds at most", took)
		}
		id := r.str("id")
		if got := sqlCount(t, e, `SELECT COUNT(*) FROM accounts WHERE customer_id IS NOT NULL AND alert_amount = CASE currency WHEN 'JPY' THEN 100 ELSE 10000 END`); got != n {
			t.Errorf("%d accounts have the new alert amount, want %d", got, n)
		}

		// A repeat with the key replays; the key with another body is refused.
		rep := e.do("POST", "/api/v1/alert-batches", tok, body, "Idempotency-Key", "batch-10k").want(201)
		if rep.Header.Get("Idempotent-Replayed") != "true" || rep.str("id") != id {
			t.Errorf("replay = %s %v", rep.Body, rep.Header)
		}
		e.do("POST", "/api/v1/alert-batches", tok, map[string]any{"alert_amount": "101", "all": true}, "Idempotency-Key", "batch-10k").
			wantProblem(422, "idempotency_key_reused")
		if got := batches(); got != 1 {
			t.Errorf("%d batches after a replay, want 1", got)
		}

		// The items: one per changed account, with before and after.
		items := rmAllPages(e, "/api/v1/alert-batches/"+id+"/items", tok)
		if len(items) != want {
			t.Errorf("%d items, want %d", len(items), want)
		}
		for _, it := range items {
			want := "100.00"
			if it["currency"] == "JPY" {
				want = "100"
			}
			if it["after"] != want || it["before"] == want {
				t.Fatalf("item %v, want a change to %s", it, want)
			}
		}

		// Undo restores every account's own value.
		start = time.Now()
		u := e.do("POST", "/api/v1/alert-batches/"+id+"/undo", tok, nil, "Idempotency-Key", "undo-10k").want(200)
		t.Logf("undo over %d accounts took %v", want, time.Since(start))
		if u.json()["undone_at"] == nil || u.str("undone_by") != e.admin[ledger.RoleAdmin] {
			t.Errorf("undo = %s", u.Body)
		}
		if got := alertAmounts(t, e); got != original {
			t.Errorf("after undo the alert amounts are %s, want %s as before the batch", got, original)
		}
		e.do("POST", "/api/v1/alert-batches/"+id+"/undo", tok, nil, "Idempotency-Key", "undo-10k").want(200)
		e.do("POST", "/api/v1/alert-batches/"+id+"/undo", tok, nil).wantProblem(409, "already_undone")
		e.do("POST", "/api/v1/alert-batches/999999/undo", tok, nil).wantProblem(404, "not_found")
		if l := e.do("GET", "/api/v1/alert-batches", e.token[ledger.RoleReviewer], nil).want(200).items(); len(l) != 1 || l[0]["undone_at"] == nil {
			t.Errorf("batch list after undo = %v", l)
		}

		// One operation record for the batch and one for the undo, not one per account.
		recs := e.do("GET", "/api/v1/audit?object_type=alert_batch&limit=500", e.token[ledger.RoleSuperAdmin], nil).want(200).items()
		if len(recs) != 2 || recs[0]["action"] != "alert_batch.undo" || recs[1]["action"] != "alert_batch.create" {
			t.Errorf("operation records of the batch: %v", recs)
		}

		// A currency scope touches that currency only.
		r = e.do("POST", "/api/v1/alert-batches", tok, map[string]any{"alert_amount": "7.25", "currency": "EUR"}).want(201)
		eur := sqlCount(t, e, "SELECT COUNT(*) FROM accounts WHERE customer_id IS NOT NULL AND currency = 'EUR'")
		if r.json()["matched"] != float64(eur) || r.json()["changed"] != float64(eur) {
			t.Errorf("EUR batch = %s, want %d", r.Body, eur)
		}
		if got := sqlCount(t, e, "SELECT COUNT(*) FROM accounts WHERE alert_amount = 725"); got != eur {
			t.Errorf("%d accounts at 7.25, want the %d EUR ones", got, eur)
		}
		// The same again changes nothing, and says so.
		if r := e.do("POST", "/api/v1/alert-batches", tok, map[string]any{"alert_amount": "7.25", "currency": "EUR"}).want(201); r.json()["changed"] != float64(0) {
			t.Errorf("repeat batch = %s, want changed 0", r.Body)
		}
	})
}

// TestAlertBatchUndoConflict: an undo after one of the batch's accounts
// changed is refused and changes nothing; undoing the later change first
// makes it possible.
func TestAlertBatchUndoConflict(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		var accs []string
		for i := 0; i < 3; i++ {
			_, a := e.customer(fmt.Sprintf("1390000000%d", i), 0)
			accs = append(accs, a)
		}
		alert := func(a string) any {
			return e.do("GET", "/api/v1/accounts/"+a, tok, nil).want(200).json()["alert_amount"]
		}
		b1 := e.do("POST", "/api/v1/alert-batches", tok, map[string]any{"alert_amount": "30.00", "currency": "USD"}).want(201)
		if b1.json()["changed"] != float64(3) {
			t.Fatalf("batch = %s", b1.Body)
		}
		e.do("PATCH", "/api/v1/accounts/"+accs[1], tok, map[string]any{"alert_amount": "31.00"}).want(200)
		r := e.do("POST", "/api/v1/alert-batches/"+b1.str("id")+"/undo", tok, nil).wantProblem(409, "undo_conflict")
		t.Logf("conflict: %s", r.str("detail"))
		for i, want := range []string{"30.00", "31.00", "30.00"} {
			if got := alert(accs[i]); got != want {
				t.Errorf("after a refused undo account %d has %v, want %s", i, got, want)
			}
		}
		if got := e.do("GET", "/api/v1/alert-batches/"+b1.str("id"), tok, nil).want(200).json(); got["undone_at"] != nil {
			t.Errorf("a refused undo marked the batch undone: %v", got)
		}

		// A later batch over the same account also blocks the undo, until
		// it is undone itself.
		e.do("PATCH", "/api/v1/accounts/"+accs[1], tok, map[string]any{"alert_amount": "30.00"}).want(200)
		b2 := e.do("POST", "/api/v1/alert-batches", tok, map[string]any{"alert_amount": "40.00", "account_ids": []string{accs[0], accs[0]}}).want(201)
		if b2.json()["changed"] != float64(1) || b2.json()["matched"] != float64(1) {
			t.Errorf("batch over one account named twice = %s", b2.Body)
		}
		e.do("POST", "/api/v1/alert-batches/"+b1.str("id")+"/undo", tok, nil).wantProblem(409, "undo_conflict")
		e.do("POST", "/api/v1/alert-batches/"+b2.str("id")+"/undo", tok, nil).want(200)
		e.do("POST", "/api/v1/alert-batches/"+b1.str("id")+"/undo", tok, nil).want(200)
		for i := range accs {
			if got := alert(accs[i]); got != "0.00" {
				t.Errorf("after both undos account %d has %v, want 0.00", i, got)
			}
		}
	})
}

// TestAlertBatchValidation: a request without exactly one scope, with a bad
// amount or an unknown currency or account is a 422 and changes nothing.
func TestAlertBatchValidation(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		_, acc := e.customer("13900000100", 0)
		e.do("POST", "/api/v1/adjustments", tok, map[string]any{"account_id": acc, "direction": "credit", "amount": "1.00",
			"reason": "other", "note": "x"}).want(201)
		// A JPY account: "all" must then fit JPY's 0 decimals too.
		cid := e.do("GET", "/api/v1/accounts/"+acc, tok, nil).want(200).str("customer_id")
		e.do("POST", "/api/v1/accounts", tok, map[string]any{"customer_id": cid, "currency": "JPY"}).want(201)
		before := alertAmounts(t, e)
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"alert_amount": "10.00"}, "account_ids"},
			{map[string]any{"alert_amount": "10.00", "account_ids": []string{}}, "account_ids"},
			{map[string]any{"alert_amount": "10.00", "currency": "USD", "all": true}, "account_ids"},
			{map[string]any{"alert_amount": "10.00", "account_ids": []string{acc}, "currency": "USD"}, "account_ids"},
			{map[string]any{"alert_amount": "10.00", "account_ids": []string{acc}, "all": true}, "account_ids"},
			{map[string]any{"alert_amount": "ten", "currency": "USD"}, "alert_amount"},
			{map[string]any{"alert_amount": "1e3", "all": true}, "alert_amount"},
			{map[string]any{"alert_amount": "-1.00", "currency": "USD"}, "alert_amount"},
			{map[string]any{"alert_amount": "10.001", "currency": "USD"}, "alert_amount"},
			{map[string]any{"alert_amount": "10.50", "all": true}, "alert_amount"}, // JPY has no decimals
			{map[string]any{"alert_amount": "", "all": true}, "alert_amount"},
			{map[string]any{"alert_amount": "10", "currency": "XYZ"}, "currency"},
			{map[string]any{"alert_amount": "10", "currency": "usd"}, "currency"},
			{map[string]any{"alert_amount": "10", "account_ids": []string{"999999"}}, "account_ids"},
			{map[string]any{"alert_amount": "10", "account_ids": []string{acc, "abc"}}, "account_ids"},
			{map[string]any{"alert_amount": 10, "currency": "USD"}, "alert_amount"},
		} {
			r := e.do("POST", "/api/v1/alert-batches", tok, c.body, "Idempotency-Key", fmt.Sprintf("bad-%v", c.body)).wantProblem(422, "validation_failed")
			if f := r.fields(); len(f) == 0 || f[0] != c.field {
				t.Errorf("%v: fields %v, want %s: %s", c.body, f, c.field, r.Body)
			}
		}
		if after := alertAmounts(t, e); after != before {
			t.Errorf("refused batches changed alert amounts: %s -> %s", before, after)
		}
		if n := len(e.do("GET", "/api/v1/alert-batches", tok, nil).want(200).items()); n != 0 {
			t.Errorf("refused batches left %d batches", n)
		}
		// A refused request leaves no key behind: the same key may be used again.
		e.do("POST", "/api/v1/alert-batches", tok, map[string]any{"alert_amount": "10", "currency": "JPY"},
			"Idempotency-Key", fmt.Sprintf("bad-%v", map[string]any{"alert_amount": "10", "currency": "XYZ"})).want(201)
	})
}

// TestAlertsAPI: concurrent charges through the API cross the alert amount
// once; the list shows the alert with its filters; a top-up clears it.
func TestAlertsAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		_, acc := e.customer("13900000200", 10000) // 100.00
		e.do("PATCH", "/api/v1/accounts/"+acc, tok, map[string]any{"alert_amount": "50.00"}).want(200)
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.do("POST", "/api/v1/charges", tok, map[string]any{"account_id": acc, "amount": "2.00"}, "Idempotency-Key", fmt.Sprintf("c%d", i)).want(201)
			}()
		}
		wg.Wait()
		list := func(q string) []map[string]any {
			return e.do("GET", "/api/v1/alerts"+q, e.token[ledger.RoleReviewer], nil).want(200).items()
		}
		as := list("?account_id=" + acc)
		if len(as) != 1 {
			t.Fatalf("%d alerts after 30 concurrent charges across the alert amount, want 1: %v", len(as), as)
		}
		a := as[0]
		if a["balance"] != "48.00" || a["alert_amount"] != "50.00" || a["active"] != true || a["cleared_at"] != nil ||
			a["currency"] != "USD" || a["account_id"] != acc || a["transaction_id"] == "" || a["customer_id"] == "" {
			t.Errorf("alert = %v", a)
		}
		today := time.Now().UTC().Format(time.DateOnly)
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		for q, n := range map[string]int{"?active=true": 1, "?active=false": 0, "?currency=USD": 1, "?currency=EUR": 0,
			"?from=" + today: 1, "?to=" + yesterday: 0, "?account_id=999999": 0} {
			if got := len(list(q)); got != n {
				t.Errorf("alerts%s: %d, want %d", q, got, n)
			}
		}
		for _, q := range []string{"?active=maybe", "?currency=usd", "?from=yesterday", "?limit=0", "?cursor=abc", "?account_id=x"} {
			e.do("GET", "/api/v1/alerts"+q, tok, nil).wantProblem(422, "validation_failed")
		}

		// Back above: cleared by that posting.
		adj := e.do("POST", "/api/v1/adjustments", tok, map[string]any{"account_id": acc, "direction": "credit", "amount": "15.00",
			"reason": "compensation", "note": "back above"}).want(201).str("id")
		as = list("?active=false")
		if len(as) != 1 || as[0]["cleared_transaction_id"] != adj || as[0]["cleared_at"] == nil || as[0]["active"] != false {
			t.Errorf("after a credit to 55.00: %v", as)
		}
		// Across again: a second alert; the list pages newest first.
		e.do("POST", "/api/v1/charges", tok, map[string]any{"account_id": acc, "amount": "10.00"}).want(201)
		var all []map[string]any
		for cursor := ""; ; {
			r := e.do("GET", "/api/v1/alerts?limit=1&cursor="+cursor, tok, nil).want(200)
			all = append(all, r.items()...)
			if cursor = r.str("next_cursor"); cursor == "" || len(all) > 5 {
				break
			}
		}
		if len(all) != 2 || all[0]["active"] != true || all[1]["active"] != false {
			t.Errorf("alerts = %v", all)
		}
		// Events: one per posting, one per alert.
		if n := sqlCount(t, e, "SELECT COUNT(*) FROM events WHERE type = 'transaction.posted'"); n != 33 {
			t.Errorf("%d transaction.posted events, want 33 (1 top-up, 30 + 1 charges, 1 adjustment)", n)
		}
		if n := sqlCount(t, e, "SELECT COUNT(*) FROM events WHERE type = 'account.below_alert'"); n != 2 {
			t.Errorf("%d account.below_alert events, want 2", n)
		}
	})
}
