package api_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// TestErrorCodes produces each error code of the API contract with a real
// request and checks that the refused request changed nothing.
func TestErrorCodes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		cid, acc := e.customer("13800000010", 1000)
		balance := func() string { return e.do("GET", "/api/v1/accounts/"+acc, tok, nil).want(200).str("balance") }
		charge := func(body any, hdr ...string) *resp { return e.do("POST", "/api/v1/charges", tok, body, hdr...) }

		charge(`{"account_id": "`+acc+`", "amount": `).wantProblem(400, "bad_request")
		r := charge(map[string]any{"account_id": acc, "amount": "1.00", "colour": "red"}).wantProblem(400, "bad_request")
		if f := r.fields(); len(f) == 0 || !strings.Contains(string(r.Body), "colour") {
			t.Errorf("unknown field problem does not name it: %s", r.Body)
		}
		e.do("POST", "/api/v1/charges", "", map[string]any{"account_id": acc, "amount": "1.00"}).wantProblem(401, "unauthorized")
		e.do("POST", "/api/v1/charges", e.token[ledger.RoleReviewer], map[string]any{"account_id": acc, "amount": "1.00"}).wantProblem(403, "forbidden")
		e.do("GET", "/api/v1/customers/999999", tok, nil).wantProblem(404, "not_found")
		e.do("GET", "/api/v1/accounts/abc", tok, nil).wantProblem(404, "not_found")
		charge(map[string]any{"account_id": "999999", "amount": "1.00"}).wantProblem(404, "not_found")

		for _, bad := range []any{"1e3", "12.505", "-1.00", "0", "", " 1", "1,000", "١٢", 12.5, "99999999999999999999"} {
			r := charge(map[string]any{"account_id": acc, "amount": bad}).wantProblem(422, "validation_failed")
			if f := r.fields(); len(f) != 1 || f[0] != "amount" {
				t.Errorf("amount %v: problem names fields %v, want [amount]: %s", bad, f, r.Body)
			}
		}
		charge(map[string]any{"account_id": acc, "amount": "10.01"}).wantProblem(422, "insufficient_funds")
		e.do("POST", "/api/v1/adjustments", tok, map[string]any{"account_id": acc, "direction": "credit", "amount": "1.00",
			"reason": "gift", "note": ""}).wantProblem(422, "validation_failed")

		super := e.token[ledger.RoleSuperAdmin]
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"status": "frozen"}).want(200)
		charge(map[string]any{"account_id": acc, "amount": "1.00"}).wantProblem(409, "account_frozen")
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"status": "disabled"}).want(200)
		e.do("POST", "/api/v1/adjustments", tok, map[string]any{"account_id": acc, "direction": "credit", "amount": "1.00",
			"reason": "other", "note": "x"}).wantProblem(409, "account_disabled")
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"status": "normal"}).want(200)

		e.do("POST", "/api/v1/customers", tok, map[string]any{"name": "Dup", "phone": "138-0000-0010"}).wantProblem(409, "duplicate_phone")
		e.do("POST", "/api/v1/accounts", tok, map[string]any{"customer_id": cid, "currency": "USD"}).wantProblem(409, "already_exists")
		e.do("POST", "/api/v1/admins", super, map[string]any{"username": "clerk", "role": "admin", "password": password}).wantProblem(409, "already_exists")
		e.do("DELETE", "/api/v1/customers/"+cid, super, nil).wantProblem(409, "nonzero_balance")

		first := charge(map[string]any{"account_id": acc, "amount": "1.00"}, "Idempotency-Key", "k1").want(201)
		charge(map[string]any{"account_id": acc, "amount": "2.00"}, "Idempotency-Key", "k1").wantProblem(422, "idempotency_key_reused")
		e.do("POST", "/api/v1/transactions/"+first.str("id")+"/reverse", tok, map[string]any{}).want(201)
		e.do("POST", "/api/v1/transactions/"+first.str("id")+"/reverse", tok, map[string]any{}).wantProblem(409, "already_reversed")

		huge := `{"account_id": "` + acc + `", "amount": "1.00", "note": "` + strings.Repeat("x", 1<<20) + `"}`
		charge(huge).wantProblem(413, "too_large")
		e.do("POST", "/api/v1/charges", tok, `account_id=1&amount=1.00`, "Content-Type", "application/x-www-form-urlencoded").wantProblem(415, "unsupported_media_type")

		if got := balance(); got != "10.00" {
			t.Errorf("balance after refused requests = %s, want 10.00", got)
		}
		if n, _ := e.store.Customers(ctx, store.CustomerFilter{Limit: 10}); len(n) != 1 {
			t.Errorf("%d customers, want 1", len(n))
		}

		// request_in_progress: the first request with a key waits on a lock
		// the test holds; a repeat meanwhile is told it is in progress.
		tx, err := e.store.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e.store.Dialect() == store.Postgres {
			if _, err := tx.Exec("SELECT id FROM accounts WHERE id = $1 FOR UPDATE", mustID(t, acc)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var slow *resp
		wg.Add(1)
		go func() {
			defer wg.Done()
			slow = charge(map[string]any{"account_id": acc, "amount": "1.00"}, "Idempotency-Key", "slow")
		}()
		time.Sleep(300 * time.Millisecond)
		charge(map[string]any{"account_id": acc, "amount": "1.00"}, "Idempotency-Key", "slow").wantProblem(409, "request_in_progress")
		tx.Rollback()
		wg.Wait()
		slow.want(201)
		charge(map[string]any{"account_id": acc, "amount": "1.00"}, "Idempotency-Key", "slow").want(201)
		if got := balance(); got != "9.00" {
			t.Errorf("balance = %s, want 9.00: the slow charge posted once", got)
		}

		// rate_limited: five failed logins for a name, then even the right
		// password is refused for a while.
		for i := 0; i < 5; i++ {
			e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "checker", "password": "wrong password"}).wantProblem(401, "unauthorized")
		}
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "checker", "password": password}).wantProblem(429, "rate_limited")
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "clerk", "password": password}).want(200)
		if res := e.do("GET", "/api/v1/audit?action=login.failed", super, nil).want(200).items(); len(res) != 5 {
			t.Errorf("%d failed logins recorded, want 5", len(res))
		}
	})
}
