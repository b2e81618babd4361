package api_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// A problem carries the request's id (SPEC section 7), whichever layer
// answers it: the JSON guard, the authentication middleware, huma's input
// checks, a handler, the fallback for unknown paths.
func TestProblemRequestID(t *testing.T) {
	e := newEnv(t, store.SQLite)
	admin := e.token[ledger.RoleAdmin]
	for _, c := range []struct {
		method, path, token string
		body                any
	}{
		{"POST", "/api/v1/customers", admin, "{"},                       // guard: malformed JSON
		{"GET", "/api/v1/me", "", nil},                                  // middleware: no token
		{"POST", "/api/v1/customers", admin, map[string]any{"name": 5}}, // huma: wrong type
		{"GET", "/api/v1/customers/999999", admin, nil},                 // handler: not found
		{"GET", "/api/v1/no-such-thing", admin, nil},                    // fallback
	} {
		r := e.do(c.method, c.path, c.token, c.body, "X-Request-ID", "abc")
		if r.Code < 400 || r.str("request_id") != "abc" || r.Header.Get("X-Request-ID") != "abc" {
			t.Errorf("%s %s = %d %s, X-Request-ID %q; want a problem with request_id abc", c.method, c.path, r.Code, r.Body, r.Header.Get("X-Request-ID"))
		}
	}
}
