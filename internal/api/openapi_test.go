package api_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
)

// TestOpenAPIMatchesRoutes holds the served OpenAPI document against the
// routes the server really registers, both ways, and against the contract.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, store.SQLite)
	r := e.do("GET", "/api/v1/openapi.json", "", nil).want(200)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q, want 3.1", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var served []string
	for _, p := range e.server.Routes() {
		if strings.Contains(p, "/api/v1/") && !strings.Contains(p, "/api/v1/openapi") {
			served = append(served, p)
		}
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented and served API routes differ:\ndocumented %v\nserved     %v", documented, served)
	}
	// The contract's routes for what exists so far (SPEC section 6).
	for _, want := range []string{
		"POST /api/v1/auth/login", "POST /api/v1/auth/logout", "GET /api/v1/me", "POST /api/v1/me/password",
		"GET /api/v1/admins", "POST /api/v1/admins", "GET /api/v1/admins/{id}", "PATCH /api/v1/admins/{id}",
		"GET /api/v1/tokens", "POST /api/v1/tokens", "DELETE /api/v1/tokens/{id}",
		"GET /api/v1/customers", "POST /api/v1/customers", "GET /api/v1/customers/{id}", "PATCH /api/v1/customers/{id}", "DELETE /api/v1/customers/{id}",
		"GET /api/v1/accounts", "POST /api/v1/accounts", "GET /api/v1/accounts/{id}", "PATCH /api/v1/accounts/{id}", "GET /api/v1/accounts/{id}/entries",
		"POST /api/v1/charges", "POST /api/v1/adjustments", "GET /api/v1/transactions", "GET /api/v1/transactions/{id}",
		"POST /api/v1/transactions/{id}/reverse", "GET /api/v1/audit", "GET /api/v1/audit/verify", "GET /api/v1/settings", "PATCH /api/v1/settings",
		"GET /api/v1/topups", "POST /api/v1/topups", "GET /api/v1/topups/{id}", "PATCH /api/v1/topups/{id}",
		"POST /api/v1/topups/{id}/vouchers", "GET /api/v1/vouchers/{id}", "POST /api/v1/topups/{id}/approve",
		"POST /api/v1/topups/{id}/reject", "POST /api/v1/topups/{id}/cancel",
		"GET /api/v1/payment-methods", "POST /api/v1/payment-methods", "PATCH /api/v1/payment-methods/{id}",
		"GET /api/v1/webhooks", "POST /api/v1/webhooks", "DELETE /api/v1/webhooks/{id}", "GET /api/v1/webhooks/{id}/deliveries",
		"POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
		"GET /api/v1/reports/summary", "GET /api/v1/reports/totals", "GET /api/v1/reports/chart.svg",
		"GET /api/v1/alerts", "POST /api/v1/alert-batches", "GET /api/v1/alert-batches", "POST /api/v1/alert-batches/{id}/undo",
		"GET /api/v1/archives", "GET /api/v1/archives/{id}", "POST /api/v1/archives/run",
		"GET /api/v1/promotions", "POST /api/v1/promotions", "GET /api/v1/promotions/{id}", "PATCH /api/v1/promotions/{id}",
	} {
		if !slices.Contains(served, want) {
			t.Errorf("contract route %s is not served", want)
		}
	}
	// Every documented operation names its error shape.
	if !strings.Contains(string(r.Body), `"code"`) || !strings.Contains(string(r.Body), "application/problem+json") {
		t.Error("the document does not describe problem+json errors with a code")
	}
}
