package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

var ctx = context.Background()

// env is a real Coffer server on a real database, with one logged-in
// administrator of each role.
type env struct {
	t      *testing.T
	store  *store.Store
	server *server.Server
	url    string
	token  map[ledger.Role]string // session tokens
	admin  map[ledger.Role]string // administrator ids
	// archiver runs retention, with an archive directory of the test's.
	archiver *retention.Archiver
}

const password = "correct horse battery"

func newEnv(t *testing.T, d store.Dialect) *env { return newEnvAt(t, d, nil) }

// newEnvAt is newEnv with a clock of the test's, shared by store and server.
func newEnvAt(t *testing.T, d store.Dialect, now func() time.Time) *env {
	t.Helper()
	return newEnvHooks(t, d, now, true)
}

// newEnvHooks is newEnvAt that lets webhooks reach private addresses (as
// every other test's receivers on loopback need) or not.
func newEnvHooks(t *testing.T, d store.Dialect, now func() time.Time, hooksPrivate bool) *env {
	t.Helper()
	s := testdb.Open(t, d, store.Options{Now: now})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	arch := retention.New(s, t.TempDir())
	srv := server.New(s, log, server.Options{Now: now, Archiver: arch, WebhooksAllowPrivate: hooksPrivate})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{t: t, store: s, server: srv, archiver: arch, url: hs.URL, token: map[ledger.Role]string{}, admin: map[ledger.Role]string{}}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFirstAdmin(ctx, "root", hash); err != nil {
		t.Fatal(err)
	}
	e.token[ledger.RoleSuperAdmin] = e.login("root", password)
	for _, u := range []struct {
		name string
		role ledger.Role
	}{{"clerk", ledger.RoleAdmin}, {"checker", ledger.RoleReviewer}} {
		r := e.do("POST", "/api/v1/admins", e.token[ledger.RoleSuperAdmin], map[string]any{"username": u.name, "role": u.role, "password": password})
		r.want(201)
		e.admin[u.role] = r.str("id")
		e.token[u.role] = e.login(u.name, password)
	}
	e.admin[ledger.RoleSuperAdmin] = e.do("GET", "/api/v1/me", e.token[ledger.RoleSuperAdmin], nil).want(200).str("id")
	return e
}

func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, newEnv(t, d)) })
	}
}

func (e *env) login(user, pass string) string {
	e.t.Helper()
	return e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": user, "password": pass}).want(200).str("token")
}

type resp struct {
	t      *testing.T
	method string
	path   string
	Code   int
	Header http.Header
	Body   []byte
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON). hdr is name, value pairs.
func (e *env) do(method, path, token string, body any, hdr ...string) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &resp{t: e.t, method: method, path: path, Code: res.StatusCode, Header: res.Header, Body: b}
}

func (r *resp) want(code int) *resp {
	r.t.Helper()
	if r.Code != code {
		r.t.Fatalf("%s %s = %d, want %d: %s", r.method, r.path, r.Code, code, r.Body)
	}
	return r
}

// wantProblem checks a problem+json answer with the given status and code.
func (r *resp) wantProblem(status int, code string) *resp {
	r.t.Helper()
	if r.Code != status || r.str("code") != code || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		r.t.Errorf("%s %s = %d %s (%s), want %d %s problem+json", r.method, r.path, r.Code, r.Body, r.Header.Get("Content-Type"), status, code)
	}
	return r
}

func (r *resp) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("%s %s: body is not a JSON object: %s", r.method, r.path, r.Body)
	}
	return m
}

func (r *resp) str(key string) string {
	r.t.Helper()
	v, _ := r.json()[key].(string)
	return v
}

func (r *resp) items() []map[string]any {
	r.t.Helper()
	raw, _ := r.json()["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

// fieldErrors lists the fields a validation problem names.
func (r *resp) fields() []string {
	r.t.Helper()
	raw, _ := r.json()["errors"].([]any)
	var out []string
	for _, x := range raw {
		out = append(out, x.(map[string]any)["field"].(string))
	}
	return out
}

// customer creates a customer with an account in USD, funded by a top-up
// through the store (top-up requests come with their own API).
func (e *env) customer(phone string, funds int64) (customerID, accountID string) {
	e.t.Helper()
	r := e.do("POST", "/api/v1/customers", e.token[ledger.RoleAdmin], map[string]any{"name": "Customer " + phone, "phone": phone, "default_currency": "USD"}).want(201)
	customerID = r.str("id")
	accs := e.do("GET", "/api/v1/accounts?customer_id="+customerID, e.token[ledger.RoleAdmin], nil).want(200).items()
	if len(accs) != 1 {
		e.t.Fatalf("customer with default currency has %d accounts", len(accs))
	}
	accountID = accs[0]["id"].(string)
	if funds > 0 {
		acc, err := e.store.Account(ctx, mustID(e.t, accountID))
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: acc.ID}, Amount: funds, PaymentMethod: "bank_transfer"}); err != nil {
			e.t.Fatal(err)
		}
	}
	return customerID, accountID
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if err := json.Unmarshal([]byte(s), &id); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}
