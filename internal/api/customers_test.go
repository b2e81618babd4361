package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

func TestCustomers(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		tok := e.token[ledger.RoleAdmin]
		c := e.do("POST", "/api/v1/customers", tok, map[string]any{"name": "Ada Lovelace", "phone": "+44 (20) 7946-0001",
			"email": "Ada@Example.com", "company": "Analytical Engines", "remark": "VIP"}).want(201).json()
		if c["phone"] != "+442079460001" || c["email"] != "ada@example.com" {
			t.Errorf("customer = %v", c)
		}
		id := c["id"].(string)
		e.do("POST", "/api/v1/customers", tok, map[string]any{"name": "Bob", "phone": "5550002", "company": "Analytical Bits"}).want(201)
		e.do("POST", "/api/v1/customers", tok, map[string]any{"name": "Carol", "phone": "5550003", "email": "carol@example.org"}).want(201)
		find := func(q string) []string {
			var names []string
			for _, it := range e.do("GET", "/api/v1/customers?"+q, e.token[ledger.RoleReviewer], nil).want(200).items() {
				names = append(names, it["name"].(string))
			}
			return names
		}
		for q, want := range map[string]string{
			"phone=%2B44%2020%207946": "Ada Lovelace",
			"phone=0002":              "Bob",
			"name=lovelace":           "Ada Lovelace",
			"email=example.org":       "Carol",
			"q=analytical":            "Bob,Ada Lovelace",
			"q=analytical&name=ada":   "Ada Lovelace",
			"q=%25":                   "",
			"name=_":                  "",
			"q=%27%20OR%201%3D1%20--": "",
		} {
			if got := strings.Join(find(q), ","); got != want {
				t.Errorf("customers?%s = %q, want %q", q, got, want)
			}
		}
		page := e.do("GET", "/api/v1/customers?limit=2", tok, nil).want(200)
		next := page.str("next_cursor")
		rest := e.do("GET", "/api/v1/customers?limit=2&cursor="+next, tok, nil).want(200)
		if len(page.items()) != 2 || len(rest.items()) != 1 || rest.json()["next_cursor"] != nil {
			t.Errorf("paging: %s then %s", page.Body, rest.Body)
		}

		u := e.do("PATCH", "/api/v1/customers/"+id, tok, map[string]any{"remark": "very important", "phone": "5550009"}).want(200).json()
		if u["remark"] != "very important" || u["name"] != "Ada Lovelace" || u["phone"] != "5550009" {
			t.Errorf("patched = %v", u)
		}
		e.do("PATCH", "/api/v1/customers/"+id, tok, map[string]any{"phone": "555-0002"}).wantProblem(409, "duplicate_phone")
		e.do("PATCH", "/api/v1/customers/"+id, tok, map[string]any{"email": "not an email", "default_currency": "XXY"}).wantProblem(422, "validation_failed")
		e.do("PATCH", "/api/v1/customers/"+id, tok, map[string]any{"name": strings.Repeat("n", 201)}).wantProblem(422, "validation_failed")

		// Deleting archives: refused with money on an account, allowed at zero.
		super := e.token[ledger.RoleSuperAdmin]
		adj := e.do("POST", "/api/v1/adjustments", tok, map[string]any{"customer_id": id, "currency": "USD", "direction": "credit",
			"amount": "5.00", "reason": "compensation", "note": "late delivery"}).want(201).json()
		e.do("DELETE", "/api/v1/customers/"+id, super, nil).wantProblem(409, "nonzero_balance")
		e.do("POST", "/api/v1/transactions/"+adj["id"].(string)+"/reverse", tok, map[string]any{"note": "settled"}).want(201)
		gone := e.do("DELETE", "/api/v1/customers/"+id, super, nil).want(200).json()
		if gone["archived_at"] == nil {
			t.Errorf("deleted customer = %v", gone)
		}
		if names := find("name=ada"); len(names) != 0 {
			t.Errorf("an archived customer is still listed: %v", names)
		}
		if names := find("archived=true"); len(names) != 1 {
			t.Errorf("archived list = %v", names)
		}
		acc := e.do("GET", "/api/v1/accounts/"+adj["account_id"].(string), tok, nil).want(200).json()
		if acc["status"] != "disabled" {
			t.Errorf("an archived customer's account is %v", acc["status"])
		}
		e.do("POST", "/api/v1/adjustments", tok, map[string]any{"account_id": adj["account_id"], "direction": "credit", "amount": "1.00",
			"reason": "other", "note": "x"}).wantProblem(409, "account_disabled")
		e.do("DELETE", "/api/v1/customers/"+id, super, nil).wantProblem(409, "customer_archived")
		// The phone number is free again.
		e.do("POST", "/api/v1/customers", tok, map[string]any{"name": "New Ada", "phone": "5550009"}).want(201)
	})
}

func TestAuditRecordsThroughTheAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		cid, acc := e.customer("13800000040", 1000)
		e.do("PATCH", "/api/v1/customers/"+cid, e.token[ledger.RoleAdmin], map[string]any{"remark": "moved"}).want(200)
		e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "1.00"}).want(201)
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"timezone": "Asia/Shanghai", "default_credit_limit": map[string]any{"USD": "10.00"}}).want(200)
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"timezone": "Mars/Olympus"}).wantProblem(422, "validation_failed")
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"default_credit_limit": map[string]any{"USD": "1.001"}}).wantProblem(422, "validation_failed")
		s := e.do("GET", "/api/v1/settings", super, nil).want(200).json()
		if s["timezone"] != "Asia/Shanghai" || s["retention_days"] != float64(183) || s["default_credit_limit"].(map[string]any)["USD"] != "10.00" {
			t.Errorf("settings = %v", s)
		}
		// A new account starts with the default credit limit.
		c2 := e.do("POST", "/api/v1/customers", e.token[ledger.RoleAdmin], map[string]any{"name": "Dee", "default_currency": "USD"}).want(201).str("id")
		if a := e.do("GET", "/api/v1/accounts?customer_id="+c2, super, nil).want(200).items(); a[0]["credit_limit"] != "10.00" {
			t.Errorf("new account = %v", a[0])
		}

		upd := e.do("GET", "/api/v1/audit?action=customer.update&object_id="+cid, super, nil).want(200).items()
		if len(upd) != 1 || upd[0]["actor_id"] != e.admin[ledger.RoleAdmin] || upd[0]["client_addr"] != "127.0.0.1" ||
			upd[0]["before"].(map[string]any)["remark"] != "" || upd[0]["after"].(map[string]any)["remark"] != "moved" {
			t.Errorf("customer.update record = %v", upd)
		}
		for _, action := range []string{"customer.create", "account.create", "transaction.create", "settings.update", "admin.create", "login"} {
			if len(e.do("GET", "/api/v1/audit?action="+action, super, nil).want(200).items()) == 0 {
				t.Errorf("no %s record", action)
			}
		}
		mine := e.do("GET", "/api/v1/audit?limit=500", e.token[ledger.RoleAdmin], nil).want(200).items()
		for _, r := range mine {
			if r["actor_id"] != e.admin[ledger.RoleAdmin] {
				t.Fatalf("an admin sees someone else's record: %v", r)
			}
		}
		if len(mine) < 3 {
			t.Errorf("the admin sees %d of their own records", len(mine))
		}
		e.do("GET", "/api/v1/audit?actor_id="+e.admin[ledger.RoleSuperAdmin], e.token[ledger.RoleAdmin], nil).wantProblem(403, "forbidden")

		v := e.do("GET", "/api/v1/audit/verify", super, nil).want(200).json()
		if v["ok"] != true || v["checked"].(float64) < 8 {
			t.Fatalf("verify = %v", v)
		}
		// Tamper with a stored record: verify names it.
		victim := upd[0]["id"].(string)
		db := e.store.DB()
		if e.store.Dialect() == "postgres" {
			db.Exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable")
		} else {
			db.Exec("DROP TRIGGER audit_log_immutable")
		}
		if _, err := db.Exec("UPDATE audit_log SET actor_name = 'someone else' WHERE id = $1", mustID(t, victim)); err != nil {
			t.Fatal(err)
		}
		v = e.do("GET", "/api/v1/audit/verify", super, nil).want(200).json()
		if v["ok"] != false || v["broken_at"] != victim {
			t.Errorf("verify after tampering with %s = %v", victim, v)
		}
	})
}

func TestMetrics(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		_, acc := e.customer("13800000050", 1000)
		e.do("POST", "/api/v1/charges", e.token[ledger.RoleAdmin], map[string]any{"account_id": acc, "amount": "1.00"}).want(201)
		res, err := http.Get(e.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		for _, want := range []string{
			`coffer_http_requests_total{code="201",method="POST",route="/api/v1/charges"} 1`,
			`coffer_postings_total{type="charge"} 1`,
			`coffer_http_request_duration_seconds_bucket{method="POST",route="/api/v1/charges"`,
			`go_goroutines`,
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}
