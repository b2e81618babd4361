package api_test

import (
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// The contract clarifications of SPEC section 7 that concern what a client
// sends: each request here was accepted, or answered in another shape,
// before section 7, and each must change nothing.

// TestMemberNamesMatchExactly: "AMOUNT" is an unknown field, never an alias
// of "amount" that overrides it.
func TestMemberNamesMatchExactly(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleSuperAdmin]
		_, acc := e.customer("13800000101", 10000)
		cases := []struct{ name, method, path, token, body string }{
			{"case variant beside the member", "POST", "/api/v1/charges", clerk, `{"account_id":"` + acc + `","amount":"1.00","AMOUNT":"9.00"}`},
			{"case variant alone", "POST", "/api/v1/charges", clerk, `{"account_id":"` + acc + `","Amount":"9.00"}`},
			{"direction overridden", "POST", "/api/v1/adjustments", clerk,
				`{"account_id":"` + acc + `","direction":"credit","DIRECTION":"debit","amount":"1.00","reason":"other","note":"x"}`},
			{"role in capitals", "PATCH", "/api/v1/admins/" + e.admin[ledger.RoleAdmin], super, `{"ROLE":"super_admin"}`},
			{"nested member", "PATCH", "/api/v1/settings", super, `{"Direct_TopUp":true}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(c.method, c.path, c.token, c.body).wantProblem(400, "bad_request")
				if !strings.Contains(string(r.Body), "unexpected property") {
					t.Errorf("the problem does not say which member is unknown: %s", r.Body)
				}
			})
		}
		if got := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).str("balance"); got != "100.00" {
			t.Errorf("balance = %s after refused requests, want 100.00", got)
		}
		if got := e.do("GET", "/api/v1/admins/"+e.admin[ledger.RoleAdmin], super, nil).want(200).str("role"); got != "admin" {
			t.Errorf("role = %s after a refused PATCH", got)
		}
	})
}

// TestBodiesMustBeJSON: a body in another content type, or none named, is
// 415; a bodyless POST needs none.
func TestBodiesMustBeJSON(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk := e.token[ledger.RoleAdmin]
		_, acc := e.customer("13800000102", 10000)
		body := `{"account_id":"` + acc + `","amount":"1.00"}`
		for _, ct := range []string{"", "application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin1", "application/jsonx", "text/json", "not a type"} {
			t.Run("content type "+ct, func(t *testing.T) {
				e.do("POST", "/api/v1/charges", clerk, body, "Content-Type", ct).wantProblem(415, "unsupported_media_type")
			})
		}
		e.do("POST", "/api/v1/charges", clerk, "account_id="+acc+"&amount=1.00", "Content-Type", "application/x-www-form-urlencoded").wantProblem(415, "unsupported_media_type")
		if got := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).str("balance"); got != "100.00" {
			t.Errorf("balance = %s after refused charges", got)
		}
		e.do("POST", "/api/v1/charges", clerk, body, "Content-Type", "application/json; charset=UTF-8").want(201)
		// A POST that takes no body needs no content type.
		tok := e.login("clerk", password)
		e.do("POST", "/api/v1/auth/logout", tok, nil).want(204)
	})
}

// TestBlankIdempotencyKey: a key that is sent must say something.
func TestBlankIdempotencyKey(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk := e.token[ledger.RoleAdmin]
		_, acc := e.customer("13800000103", 10000)
		for _, key := range []string{"", " ", "\t"} {
			r := e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, "Idempotency-Key", key).wantProblem(422, "validation_failed")
			if f := r.fields(); len(f) != 1 || f[0] != "Idempotency-Key" {
				t.Errorf("key %q: fields %v, want [Idempotency-Key]", key, f)
			}
		}
		if got := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200).str("balance"); got != "100.00" {
			t.Errorf("balance = %s after refused charges", got)
		}
	})
}

// TestUnknownPathsAndMethods answer problem+json like the rest of the API.
func TestUnknownPathsAndMethods(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk := e.token[ledger.RoleAdmin]
		e.do("GET", "/api/v1/no-such-thing", clerk, nil).wantProblem(404, "not_found")
		e.do("GET", "/api/v2/charges", clerk, nil).wantProblem(404, "not_found")
		e.do("POST", "/api/v1/customers/1/nothing", clerk, map[string]any{}).wantProblem(404, "not_found")
		r := e.do("DELETE", "/api/v1/charges", clerk, nil).wantProblem(405, "method_not_allowed")
		if got := r.Header.Get("Allow"); got != "POST" {
			t.Errorf("Allow = %q, want POST", got)
		}
		r = e.do("PUT", "/api/v1/customers/1", clerk, map[string]any{}).wantProblem(405, "method_not_allowed")
		if got := r.Header.Get("Allow"); got != "GET, PATCH, DELETE" {
			t.Errorf("Allow = %q, want GET, PATCH, DELETE", got)
		}
		// Without a token too: nothing about the API's shape hides behind 401.
		e.do("GET", "/api/v1/no-such-thing", "", nil).wantProblem(404, "not_found")
	})
}

// TestMissingFieldsAreNamed: a missing required field is named in errors[].
func TestMissingFieldsAreNamed(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleSuperAdmin]
		_, acc := e.customer("13800000104", 10000)
		cases := []struct {
			path, token string
			body        map[string]any
			want        string
		}{
			{"/api/v1/charges", clerk, map[string]any{"amount": "1.00"}, "account_id"},
			{"/api/v1/charges", clerk, map[string]any{"account_id": acc}, "amount"},
			{"/api/v1/customers", clerk, map[string]any{"phone": "13800000105"}, "name"},
			{"/api/v1/auth/login", "", map[string]any{"username": "clerk"}, "password"},
			{"/api/v1/admins", super, map[string]any{"username": "x1", "password": password}, "role"},
			{"/api/v1/webhooks", super, map[string]any{"events": []string{"topup.approved"}}, "url"},
			{"/api/v1/promotions", super, map[string]any{"currency": "USD", "bonus_percent": "5"}, "name"},
			{"/api/v1/promotions", super, map[string]any{"name": "P", "currency": "USD", "bonus_percent": "5"}, "valid_from"},
		}
		for _, c := range cases {
			r := e.do("POST", c.path, c.token, c.body).wantProblem(422, "validation_failed")
			fields := r.fields()
			if len(fields) == 0 || !containsString(fields, c.want) {
				t.Errorf("POST %s %v: fields %v, want %s named", c.path, c.body, fields, c.want)
			}
			for _, f := range fields {
				if f == "" {
					t.Errorf("POST %s: a field error names no field: %s", c.path, r.Body)
				}
			}
		}
	})
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestUsernamesIgnoreCase: "Bob" and "bob" are one username, for creating,
// logging in and counting failed logins.
func TestUsernamesIgnoreCase(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		e.do("POST", "/api/v1/admins", super, map[string]any{"username": "Bob.Teller", "role": "admin", "password": password}).want(201)
		for _, u := range []string{"bob.teller", "BOB.TELLER", "Bob.teller"} {
			e.do("POST", "/api/v1/admins", super, map[string]any{"username": u, "role": "super_admin", "password": password}).wantProblem(409, "already_exists")
		}
		e.do("POST", "/api/v1/admins", super, map[string]any{"username": "bad name", "role": "admin", "password": password}).wantProblem(422, "validation_failed")
		if n := len(e.do("GET", "/api/v1/admins", super, nil).want(200).items()); n != 4 {
			t.Errorf("%d administrators, want 4", n)
		}
		for _, u := range []string{"bob.teller", "BOB.TELLER", "Bob.Teller"} {
			tok := e.login(u, password)
			if got := e.do("GET", "/api/v1/me", tok, nil).want(200).str("username"); got != "Bob.Teller" {
				t.Errorf("logged in as %s: username %q", u, got)
			}
		}
		// Five failures in any mix of cases use up the name's limit.
		for _, u := range []string{"bob.teller", "BOB.TELLER", "Bob.Teller", "bOB.tELLER", "BOB.teller"} {
			e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": u, "password": "wrong wrong wrong"}).wantProblem(401, "unauthorized")
		}
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "bob.teller", "password": password}).wantProblem(429, "rate_limited")
	})
}

// TestShortListsArePaged: administrators, tokens, payment methods and
// promotion rules answer like every other list, with next_cursor.
func TestShortListsArePaged(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		e.do("POST", "/api/v1/tokens", super, map[string]any{"name": "shop", "role": "admin"}).want(201)
		e.do("POST", "/api/v1/tokens", super, map[string]any{"name": "sms", "role": "admin"}).want(201)
		for _, name := range []string{"Spring", "Summer"} {
			e.do("POST", "/api/v1/promotions", super, map[string]any{"name": name, "currency": "USD", "bonus_percent": "5", "valid_from": "2026-12-01T00:00:00Z"}).want(201)
		}
		for _, path := range []string{"/api/v1/admins", "/api/v1/tokens", "/api/v1/payment-methods", "/api/v1/promotions"} {
			whole := e.do("GET", path, super, nil).want(200)
			if v, ok := whole.json()["next_cursor"]; !ok || v != nil {
				t.Errorf("%s: next_cursor = %v (present %v), want null", path, v, ok)
			}
			var ids []string
			cursor := ""
			for range 10 {
				r := e.do("GET", path+"?limit=1"+cursor, super, nil).want(200)
				for _, it := range r.items() {
					ids = append(ids, it["id"].(string))
				}
				next, _ := r.json()["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = "&cursor=" + next
			}
			if n := len(whole.items()); len(ids) != n || n < 2 {
				t.Errorf("%s: paging one at a time gave %v, the whole list has %d", path, ids, n)
			}
			e.do("GET", path+"?limit=0", super, nil).wantProblem(422, "validation_failed")
		}
	})
}
