package api_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// A hold through the API: it reserves, a second capture or a release
// after the capture is hold_not_active, a frozen account takes none, and a
// repeat of the placing key answers with the first hold.
func TestHoldsAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleSuperAdmin]
		_, acc := e.customer("13800000071", 10000) // 100.00
		body := map[string]any{"account_id": acc, "amount": "60.00", "reference": "order-9"}
		first := e.do("POST", "/api/v1/holds", clerk, body, "Idempotency-Key", "hold-9").want(201)
		again := e.do("POST", "/api/v1/holds", clerk, body, "Idempotency-Key", "hold-9").want(201)
		if again.str("id") != first.str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a repeated hold = %s (replayed %q), first %s", again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
		}
		a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200)
		if a.str("held") != "60.00" || a.str("available") != "40.00" {
			t.Errorf("account after a hold of 60.00: %s", a.Body)
		}
		e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "50.00"}).want(422)
		hold := first.str("id")
		c := e.do("POST", "/api/v1/holds/"+hold+"/capture", clerk, map[string]any{"amount": "45.00"}).want(201)
		if c.str("amount") != "-45.00" || c.str("hold_id") != hold || c.str("type") != "charge" {
			t.Errorf("capture = %s", c.Body)
		}
		if r := e.do("POST", "/api/v1/holds/"+hold+"/capture", clerk, map[string]any{}).want(409); r.str("code") != "hold_not_active" {
			t.Errorf("a second capture = %s", r.Body)
		}
		e.do("POST", "/api/v1/holds/"+hold+"/release", clerk, nil).want(409)
		a = e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200)
		if a.str("balance") != "55.00" || a.str("held") != "0.00" || a.str("available") != "55.00" {
			t.Errorf("account after capturing 45.00 of 60.00: %s", a.Body)
		}
		h := e.do("GET", "/api/v1/holds/"+hold, clerk, nil).want(200)
		if h.str("status") != "captured" || h.str("captured_amount") != "45.00" || h.str("transaction_id") != c.str("id") {
			t.Errorf("hold = %s", h.Body)
		}
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"status": "frozen"}).want(200)
		if r := e.do("POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "1.00"}).want(409); r.str("code") != "account_frozen" {
			t.Errorf("a hold on a frozen account = %s", r.Body)
		}
		if n := len(e.do("GET", "/api/v1/holds?account_id="+acc+"&status=captured", clerk, nil).want(200).items()); n != 1 {
			t.Errorf("%d captured holds listed", n)
		}
	})
}
