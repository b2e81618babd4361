package api_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// TestPromotionsAPI: a super admin makes a percentage rule and a fixed
// one; everyone reads them, amounts in the currency's digits; a change
// names the version it was made on, a stale one changes nothing; giving
// the other kind of bonus replaces the first, and "" ends valid_to.
func TestPromotionsAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super, checker := e.token[ledger.RoleSuperAdmin], e.token[ledger.RoleReviewer]
		r := e.do("POST", "/api/v1/promotions", super, map[string]any{"name": "Winter top-up", "currency": "USD", "min_amount": "100",
			"bonus_percent": "12.50", "valid_from": "2026-12-01T00:00:00+08:00", "valid_to": "2027-01-01T00:00:00Z", "bonus_expires_in_days": 90}).want(201)
		m := r.json()
		for k, want := range map[string]any{"name": "Winter top-up", "currency": "USD", "min_amount": "100.00", "bonus_percent": "12.5",
			"bonus_fixed": nil, "valid_from": "2026-11-30T16:00:00Z", "valid_to": "2027-01-01T00:00:00Z", "bonus_expires_in_days": 90.0, "version": 1.0} {
			if m[k] != want {
				t.Errorf("%s = %v, want %v (in %s)", k, m[k], want, r.Body)
			}
		}
		id := r.str("id")
		yen := e.do("POST", "/api/v1/promotions", super, map[string]any{"name": "Yen", "currency": "JPY", "bonus_fixed": "500",
			"valid_from": "2026-12-01T00:00:00Z"}).want(201)
		if yen.str("bonus_fixed") != "500" || yen.str("min_amount") != "0" || yen.json()["valid_to"] != nil || yen.json()["bonus_percent"] != nil {
			t.Errorf("fixed rule = %s", yen.Body)
		}
		if items := e.do("GET", "/api/v1/promotions", checker, nil).want(200).items(); len(items) != 2 || items[0]["id"] != id {
			t.Errorf("a reviewer lists %v", items)
		}
		e.do("GET", "/api/v1/promotions/"+id, checker, nil).want(200)

		patched := e.do("PATCH", "/api/v1/promotions/"+id, super, map[string]any{"version": 1, "bonus_fixed": "25.00", "valid_to": ""}).want(200)
		if pm := patched.json(); pm["bonus_fixed"] != "25.00" || pm["bonus_percent"] != nil || pm["valid_to"] != nil || pm["version"] != 2.0 ||
			pm["name"] != "Winter top-up" || pm["min_amount"] != "100.00" {
			t.Errorf("after the change: %s", patched.Body)
		}
		e.do("PATCH", "/api/v1/promotions/"+id, super, map[string]any{"version": 1, "name": "Overwritten"}).wantProblem(409, "stale_version")
		if got := e.do("GET", "/api/v1/promotions/"+id, super, nil).want(200).str("name"); got != "Winter top-up" {
			t.Errorf("a stale change renamed the rule %q", got)
		}
		bad := e.do("PATCH", "/api/v1/promotions/"+id, super, map[string]any{"version": 2, "valid_from": "2027-02-01T00:00:00Z",
			"valid_to": "2027-01-01T00:00:00Z"}).wantProblem(422, "validation_failed")
		if f := bad.fields(); len(f) != 1 || f[0] != "valid_to" {
			t.Errorf("valid_to before valid_from names %v", f)
		}
		e.do("PATCH", "/api/v1/promotions/"+id, super, map[string]any{"name": "No version"}).wantProblem(422, "validation_failed")
		e.do("GET", "/api/v1/promotions/999999", super, nil).wantProblem(404, "not_found")
		e.do("PATCH", "/api/v1/promotions/999999", super, map[string]any{"version": 1}).wantProblem(404, "not_found")
		recs := e.do("GET", "/api/v1/audit?object_type=promotion&object_id="+id, super, nil).want(200).items()
		if len(recs) != 2 || recs[0]["action"] != "promotion.update" || recs[1]["action"] != "promotion.create" {
			t.Errorf("operation records = %v", recs)
		}
	})
}
