package api_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// TestAmountsAreBounded: no amount and no customer balance passes 10^15
// minor units (SPEC section 7), so the few large amounts that once made
// every report answer 500 are refused, and totals of the largest legal
// amounts are exact.
func TestAmountsAreBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleSuperAdmin]
		adjust := func(acc, direction, amount string) *resp {
			return e.do("POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": direction, "amount": amount, "reason": "other", "note": "bound"})
		}
		_, a1 := e.customer("13800000201", 0)
		_, a2 := e.customer("13800000202", 0)
		_, a3 := e.customer("13800000203", 0)
		for _, amount := range []string{"40000000000000000.00", "10000000000000.01", "92233720368547758.07"} {
			r := adjust(a1, "credit", amount).wantProblem(422, "validation_failed")
			if f := r.fields(); len(f) != 1 || f[0] != "amount" {
				t.Errorf("credit of %s: fields %v, want [amount]", amount, f)
			}
			e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": a1, "amount": amount}).wantProblem(422, "validation_failed")
			e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": "1", "currency": "USD", "amount": amount, "payment_method": "1"}).wantProblem(422, "validation_failed")
		}
		const max = "10000000000000.00" // 10^15 cents
		for _, acc := range []string{a1, a2, a3} {
			adjust(acc, "credit", max).want(201)
		}
		// A balance at the bound takes no more, and gives no more than it may.
		r := adjust(a1, "credit", "0.01").wantProblem(422, "validation_failed")
		if f := r.fields(); len(f) != 1 || f[0] != "amount" {
			t.Errorf("credit past the bound: fields %v, want [amount]", f)
		}
		e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": a2, "amount": max}).want(201)
		e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": a3, "amount": max}).want(201)

		totals := e.do("GET", "/api/v1/reports/totals", super, nil).want(200).json()["rows"].([]any)[0].(map[string]any)
		for k, want := range map[string]string{"adjustments_in": "30000000000000.00", "consumption": "20000000000000.00", "customer_balances": "10000000000000.00"} {
			if totals[k] != want {
				t.Errorf("totals %s = %v, want %s", k, totals[k], want)
			}
		}
		rows := e.do("GET", "/api/v1/reports/summary", super, nil).want(200).json()["rows"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["consumption"] != "20000000000000.00" {
			t.Errorf("summary rows %v, want consumption 20000000000000.00", rows)
		}
		for _, role := range []ledger.Role{ledger.RoleAdmin, ledger.RoleReviewer} {
			e.do("GET", "/api/v1/reports/summary", e.token[role], nil).want(200)
		}
	})
}
