package api_test

import (
	"bytes"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

func TestChargeAdjustReverse(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		cid, acc := e.customer("13800000001", 10000)
		r := e.do("POST", "/api/v1/charges", tok, map[string]any{"account_id": acc, "amount": "12.50", "reference": "INV-7", "note": "storage"}).want(201)
		tx := r.json()
		if tx["amount"] != "-12.50" || tx["type"] != "charge" || tx["reference"] != "INV-7" || tx["created_by"] != e.admin[ledger.RoleAdmin] {
			t.Errorf("charge = %s", r.Body)
		}
		a := e.do("GET", "/api/v1/accounts/"+acc, tok, nil).want(200).json()
		if a["balance"] != "87.50" || a["available"] != "87.50" || a["currency"] != "USD" {
			t.Errorf("account = %v", a)
		}
		adj := e.do("POST", "/api/v1/adjustments", tok, map[string]any{"customer_id": cid, "currency": "JPY", "direction": "credit",
			"amount": "500", "reason": "promotion", "note": "birthday bonus"}).want(201).json()
		if adj["currency"] != "JPY" || adj["amount"] != "500" {
			t.Errorf("JPY adjustment = %v", adj)
		}
		rev := e.do("POST", "/api/v1/transactions/"+tx["id"].(string)+"/reverse", tok, map[string]any{"note": "wrong customer"}).want(201).json()
		if rev["amount"] != "12.50" || rev["corrects"] != tx["id"] {
			t.Errorf("reversal = %v", rev)
		}
		e.do("POST", "/api/v1/transactions/"+tx["id"].(string)+"/reverse", tok, map[string]any{}).wantProblem(409, "already_reversed")
		entries := e.do("GET", "/api/v1/accounts/"+acc+"/entries", e.token[ledger.RoleReviewer], nil).want(200).items()
		if len(entries) != 3 || entries[0]["balance_after"] != "100.00" || entries[1]["amount"] != "-12.50" || entries[1]["balance_after"] != "87.50" {
			t.Errorf("entries = %v", entries)
		}
		list := e.do("GET", "/api/v1/transactions?customer_id="+cid+"&type=charge", tok, nil).want(200).items()
		if len(list) != 1 || list[0]["id"] != tx["id"] {
			t.Errorf("transactions = %v", list)
		}
		if got := e.do("GET", "/api/v1/transactions/"+tx["id"].(string), tok, nil).want(200).json(); got["note"] != "storage" {
			t.Errorf("transaction = %v", got)
		}
	})
}

func TestIdempotentReplay(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		_, acc := e.customer("13800000002", 10000)
		body := `{"account_id": "` + acc + `", "amount": "3.00", "reference": "order-1"}`
		first := e.do("POST", "/api/v1/charges", tok, body, "Idempotency-Key", "order-1").want(201)
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Error("the first answer says it is a replay")
		}
		again := e.do("POST", "/api/v1/charges", tok, body, "Idempotency-Key", "order-1").want(201)
		if again.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(first.Body, again.Body) {
			t.Errorf("replay: header %q, body\n%s\nwant\n%s", again.Header.Get("Idempotent-Replayed"), again.Body, first.Body)
		}
		e.do("POST", "/api/v1/charges", tok, `{"account_id": "`+acc+`", "amount": "3.01", "reference": "order-1"}`,
			"Idempotency-Key", "order-1").wantProblem(422, "idempotency_key_reused")
		// Another caller's key space is its own.
		e.do("POST", "/api/v1/charges", e.token[ledger.RoleSuperAdmin], body, "Idempotency-Key", "order-1").want(201)
		// Without the header a charge is simply not protected; a blank key is
		// a mistake (SPEC section 7).
		e.do("POST", "/api/v1/charges", tok, body).want(201)
		e.do("POST", "/api/v1/charges", tok, body, "Idempotency-Key", "").wantProblem(422, "validation_failed")
		long := string(bytes.Repeat([]byte("k"), 256))
		e.do("POST", "/api/v1/charges", tok, body, "Idempotency-Key", long).wantProblem(422, "validation_failed")
		if a := e.do("GET", "/api/v1/accounts/"+acc, tok, nil).json(); a["balance"] != "91.00" {
			t.Errorf("balance = %v, want 91.00 after three charges", a["balance"])
		}
	})
}
