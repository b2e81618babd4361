package api_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

func TestApprovalFlow(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, checker, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleReviewer], e.token[ledger.RoleSuperAdmin]
		_, acc := e.customer("13900000401", 300000)
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"USD": "1000.00"}}).want(200)
		if s := e.do("GET", "/api/v1/settings", super, nil).want(200).json(); s["approval_thresholds"].(map[string]any)["USD"] != "1000.00" || s["approve_credit_changes"] != false {
			t.Errorf("settings = %v", s)
		}
		adj := func(amount, key string) *resp {
			return e.do("POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "debit", "amount": amount,
				"reason": "correction", "note": "double charge"}, "Idempotency-Key", key)
		}
		adj("999.99", "small").want(201)
		r := adj("1000.00", "big").want(202)
		ap := r.json()
		id := ap["id"].(string)
		if ap["kind"] != "adjustment" || ap["status"] != "pending" || ap["requested_by"] != e.admin[ledger.RoleAdmin] ||
			ap["request"].(map[string]any)["amount"] != "1000.00" || ap["version"] != float64(1) || ap["transaction_id"] != nil {
			t.Errorf("queued = %v", ap)
		}
		if again := adj("1000.00", "big").want(202); again.Header.Get("Idempotent-Replayed") != "true" || again.str("id") != id {
			t.Errorf("repeat: %s", again.Body)
		}
		if a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).json(); a["balance"] != "2000.01" {
			t.Errorf("balance before approval = %v", a["balance"])
		}
		if l := e.do("GET", "/api/v1/approvals?status=pending&kind=adjustment", checker, nil).want(200).items(); len(l) != 1 || l[0]["id"] != id {
			t.Errorf("pending list = %v", l)
		}
		e.do("POST", "/api/v1/approvals/"+id+"/approve", clerk, map[string]any{}).wantProblem(403, "forbidden")
		e.do("POST", "/api/v1/approvals/"+id+"/approve", checker, map[string]any{"version": 2}).wantProblem(409, "stale_version")
		done := e.do("POST", "/api/v1/approvals/"+id+"/approve", checker, map[string]any{"version": 1, "remark": "ticket 4411"}, "Idempotency-Key", "ok-1").want(200).json()
		if done["status"] != "approved" || done["decided_by"] != e.admin[ledger.RoleReviewer] || done["transaction_id"] == nil || done["version"] != float64(2) {
			t.Errorf("approved = %v", done)
		}
		e.do("POST", "/api/v1/approvals/"+id+"/approve", checker, map[string]any{"version": 1, "remark": "ticket 4411"}, "Idempotency-Key", "ok-1").want(200)
		if a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).json(); a["balance"] != "1000.01" {
			t.Errorf("balance after approval = %v", a["balance"])
		}
		// The funds are gone by the time of the decision: it stays pending.
		late := adj("1500.00", "late").want(202).str("id")
		e.do("POST", "/api/v1/approvals/"+late+"/approve", checker, map[string]any{}).wantProblem(422, "insufficient_funds")
		e.do("POST", "/api/v1/approvals/"+late+"/reject", checker, map[string]any{}).wantProblem(422, "validation_failed")
		if st := e.do("GET", "/api/v1/approvals/"+late, checker, nil).want(200).str("status"); st != "pending" {
			t.Errorf("after insufficient funds: %s", st)
		}
		e.do("POST", "/api/v1/approvals/"+late+"/cancel", super, nil).wantProblem(403, "forbidden")
		e.do("POST", "/api/v1/approvals/"+late+"/cancel", clerk, nil).want(200)
	})
}

func TestCreditChangeApprovalAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		checker, super := e.token[ledger.RoleReviewer], e.token[ledger.RoleSuperAdmin]
		_, acc := e.customer("13900000402", 0)
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"approve_credit_changes": true}).want(200)
		ap := e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"credit_limit": "500.00", "alert_amount": "20.00"}).want(202).json()
		if ap["kind"] != "credit_change" || ap["request"].(map[string]any)["credit_limit"] != "500.00" {
			t.Errorf("queued = %v", ap)
		}
		id := ap["id"].(string)
		e.do("POST", "/api/v1/approvals/"+id+"/approve", super, map[string]any{}).wantProblem(403, "self_approval")
		e.do("POST", "/api/v1/approvals/"+id+"/approve", checker, map[string]any{}).wantProblem(403, "forbidden")
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"alert_amount": "30.00"}).want(200)
		// A credit field given with the value it has changes no credit.
		e.do("PATCH", "/api/v1/accounts/"+acc, super, map[string]any{"alert_amount": "30.00", "credit_limit": "0.00"}).want(200)
		other := e.do("POST", "/api/v1/admins", super, map[string]any{"username": "boss2", "role": "super_admin", "password": "correct horse battery"}).want(201)
		_ = other
		tok := e.login("boss2", "correct horse battery")
		e.do("POST", "/api/v1/approvals/"+id+"/approve", tok, map[string]any{}).want(200)
		if a := e.do("GET", "/api/v1/accounts/"+acc, super, nil).want(200).json(); a["credit_limit"] != "500.00" || a["alert_amount"] != "20.00" {
			t.Errorf("after approval: %v", a)
		}
	})
}
