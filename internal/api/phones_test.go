package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Through the API: with phone_region CN a national number is stored in
// E.164 and finds the customer typed either way; switching the region on
// over two customers that are one number leaves both and reports them.
func TestPhoneRegionAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super, clerk := e.token[ledger.RoleSuperAdmin], e.token[ledger.RoleAdmin]
		if r := e.do("GET", "/api/v1/settings/phone-report", super, nil).want(200); r.json()["at"] != nil {
			t.Errorf("a report before any change: %s", r.Body)
		}
		a := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "Ann", "phone": "+86 138 0013 8000"}).want(201).str("id")
		b := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "Ann twin", "phone": "13800138000"}).want(201).str("id")
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"phone_region": "CN"}).want(200)
		rep := e.do("GET", "/api/v1/settings/phone-report", super, nil).want(200).json()
		cs, _ := rep["collisions"].([]any)
		if len(cs) != 1 || rep["region"] != "CN" || rep["at"] == nil {
			t.Fatalf("report = %v", rep)
		}
		ids := cs[0].(map[string]any)["customer_ids"].([]any)
		if cs[0].(map[string]any)["phone"] != "+8613800138000" || len(ids) != 2 || ids[0] != a || ids[1] != b {
			t.Errorf("collision = %v, want +8613800138000 of %s and %s", cs[0], a, b)
		}
		c := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "Bo", "phone": "139 0013 9000"}).want(201)
		if c.str("phone") != "+8613900139000" {
			t.Errorf("a national number stored as %q", c.str("phone"))
		}
		for _, typed := range []string{"13900139000", "+86 139 0013 9000", "0013 9000"} {
			found := e.do("GET", "/api/v1/customers?phone="+url.QueryEscape(typed), clerk, nil).want(200).items()
			if len(found) != 1 || found[0]["id"] != c.str("id") {
				t.Errorf("phone=%q found %v", typed, found)
			}
		}
		r := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": "X", "phone": "12345"}).want(422)
		if !strings.Contains(string(r.Body), `"field":"phone"`) {
			t.Errorf("an impossible number: %s", r.Body)
		}
	})
}
