package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/testsmtp"
)

// rmRoles are the roles of the permission table (SPEC section 3), in its
// column order.
var rmRoles = []ledger.Role{ledger.RoleSuperAdmin, ledger.RoleAdmin, ledger.RoleReviewer}

// rmAllow is who may call an operation: one letter per role, S (super_admin),
// A (admin), R (reviewer), "-" for no; "public" needs no token at all.
type rmAllow string

const (
	rmEveryone  rmAllow = "SAR"
	rmOperators rmAllow = "SA-"
	rmSuperOnly rmAllow = "S--"
	rmReviewers rmAllow = "S-R"
	rmPublic    rmAllow = "public"
)

func (a rmAllow) allows(r ledger.Role) bool {
	if a == rmPublic {
		return true
	}
	i := slices.Index(rmRoles, r)
	return i >= 0 && len(a) == len(rmRoles) && a[i] != '-'
}

// rmCall is one concrete request of a row, made fresh for each role.
type rmCall struct {
	path  string   // the concrete path, query included
	body  any      // nil, or a valid body
	hdr   []string // extra header name, value pairs
	token string   // if set, sent instead of the role's session token
	// after checks the effect of an allowed call; kept checks, besides the
	// whole-state comparison, that a refused call changed nothing.
	after func(t *testing.T, r *resp)
	kept  func(t *testing.T)
}

// rmRow is one line of the matrix: an operation (as the OpenAPI document
// names it), the roles the SPEC lets call it, and how to make a valid call.
type rmRow struct {
	method, path string // path as in the OpenAPI document
	variant      string // tells rows of one operation apart
	allow        rmAllow
	extra        bool // not an OpenAPI operation of its own (the CSV export)
	call         func(t *testing.T, role ledger.Role) rmCall
}

func (r rmRow) op() string { return r.method + " " + r.path }

func (r rmRow) name() string {
	n := r.op()
	if r.variant != "" {
		n += " (" + r.variant + ")"
	}
	return n
}

// TestRoleMatrix checks every operation of the API against the SPEC's
// permission table (section 3), for each role, with real requests: a refused
// role gets 403 forbidden and nothing changes; an allowed role succeeds. The
// table is written from the SPEC, not from the code's role lists, and every
// operation in the served OpenAPI document must have a row.
func TestRoleMatrix(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		users := map[ledger.Role]string{ledger.RoleSuperAdmin: "root", ledger.RoleAdmin: "clerk", ledger.RoleReviewer: "checker"}

		seq := 0
		next := func() int { seq++; return seq }
		phone := func() string { return fmt.Sprintf("1550000%04d", next()) }

		// Shared objects that the read-only and repeatable rows use.
		custID, accID := e.customer(phone(), 1000000) // 10000.00 USD
		charge := func() string {
			e.t.Helper()
			return e.do("POST", "/api/v1/charges", super, map[string]any{"account_id": accID, "amount": "1.00", "reference": "matrix setup"}).want(201).str("id")
		}
		txID := charge()

		// snapshot is what a super admin sees of all state a request could
		// change; a refused request must leave it byte for byte the same.
		snapshot := func() string {
			e.t.Helper()
			var b strings.Builder
			for _, p := range []string{"/api/v1/customers?limit=500", "/api/v1/customers?archived=true&limit=500",
				"/api/v1/accounts?limit=500", "/api/v1/transactions?limit=500", "/api/v1/admins", "/api/v1/tokens", "/api/v1/settings",
				"/api/v1/topups?limit=500", "/api/v1/payment-methods", "/api/v1/approvals?limit=500", "/api/v1/promotions?limit=500"} {
				r := e.do("GET", p, super, nil).want(200)
				b.WriteString(p + " ")
				b.Write(r.Body)
				b.WriteString("\n")
			}
			return b.String()
		}
		account := func(id string) map[string]any {
			e.t.Helper()
			return e.do("GET", "/api/v1/accounts/"+id, super, nil).want(200).json()
		}
		customer := func(id string) map[string]any {
			e.t.Helper()
			return e.do("GET", "/api/v1/customers/"+id, super, nil).want(200).json()
		}
		freshAccount := func() string { _, a := e.customer(phone(), 0); return a }
		wantField := func(t *testing.T, m map[string]any, key string, want any) {
			t.Helper()
			if m[key] != want {
				t.Errorf("%s = %v, want %v (in %v)", key, m[key], want, m)
			}
		}
		programToken := func() (id, secret string) {
			e.t.Helper()
			r := e.do("POST", "/api/v1/tokens", super, map[string]any{"name": fmt.Sprintf("matrix-%d", next()), "role": "admin"}).want(201)
			return r.str("id"), r.str("token")
		}
		tokenWorks := func(t *testing.T, secret string, want bool) {
			t.Helper()
			r := e.do("GET", "/api/v1/me", secret, nil)
			if want && r.Code != 200 {
				t.Errorf("the token no longer works: GET /me = %d %s", r.Code, r.Body)
			}
			if !want {
				r.wantProblem(401, "unauthorized")
			}
		}
		patchAccount := func(body map[string]any, check func(t *testing.T, acc map[string]any)) func(*testing.T, ledger.Role) rmCall {
			return func(t *testing.T, role ledger.Role) rmCall {
				a := freshAccount()
				return rmCall{path: "/api/v1/accounts/" + a, body: body, after: func(t *testing.T, _ *resp) { check(t, account(a)) }}
			}
		}
		future := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
		// topup submits a request as the given role, or as the admin when
		// that role may not submit.
		topup := func(role ledger.Role) string {
			e.t.Helper()
			if role == ledger.RoleReviewer {
				role = ledger.RoleAdmin
			}
			return e.do("POST", "/api/v1/topups", e.token[role], map[string]any{"customer_id": custID, "currency": "USD",
				"amount": "1.00", "payment_method": "1"}).want(201).str("id")
		}
		topupStatus := func(id string) any { return e.do("GET", "/api/v1/topups/"+id, super, nil).want(200).json()["status"] }
		voucherBody, voucherType := multipartFile(t, "file", "receipt.png", "image/png", pngBytes(t, 4, 4))
		voucherID := func() string {
			id := topup(ledger.RoleAdmin)
			return e.do("POST", "/api/v1/topups/"+id+"/vouchers", e.token[ledger.RoleAdmin], voucherBody, "Content-Type", voucherType).want(201).str("id")
		}()
		methodID := e.do("POST", "/api/v1/payment-methods", super, map[string]any{"name": "Matrix Pay"}).want(201).str("id")
		// Promotion rules (SPEC 11): super admins write them, everyone reads.
		promotion := func(name string) string {
			e.t.Helper()
			return e.do("POST", "/api/v1/promotions", super, map[string]any{"name": name, "currency": "USD", "bonus_percent": "5",
				"valid_from": "2026-12-01T00:00:00Z"}).want(201).str("id")
		}
		promotionID := promotion("Matrix promotion")

		// Approvals (SPEC 9): JPY adjustments from 100 wait for a second
		// person; a second super admin requests credit changes, so that the
		// first may decide them.
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"JPY": "100"}}).want(200)
		e.do("POST", "/api/v1/admins", super, map[string]any{"username": "root2", "role": "super_admin", "password": password}).want(201)
		super2 := e.login("root2", password)
		approval := func(role ledger.Role) string {
			e.t.Helper()
			if role == ledger.RoleReviewer {
				role = ledger.RoleAdmin
			}
			return e.do("POST", "/api/v1/adjustments", e.token[role], map[string]any{"customer_id": custID, "currency": "JPY", "direction": "credit",
				"amount": "100", "reason": "compensation", "note": "matrix"}).want(202).str("id")
		}
		// creditApproval asks for a credit limit the account does not have
		// (an unchanged one is no change and needs no approval).
		creditApproval := func() (string, string) {
			e.t.Helper()
			limit := fmt.Sprintf("3.%02d", next()%100)
			e.do("PATCH", "/api/v1/settings", super, map[string]any{"approve_credit_changes": true}).want(200)
			id := e.do("PATCH", "/api/v1/accounts/"+accID, super2, map[string]any{"credit_limit": limit}).want(202).str("id")
			e.do("PATCH", "/api/v1/settings", super, map[string]any{"approve_credit_changes": false}).want(200)
			return id, limit
		}
		approvalStatus := func(id string) any {
			return e.do("GET", "/api/v1/approvals/"+id, super, nil).want(200).json()["status"]
		}
		pendingApproval := approval(ledger.RoleAdmin)

		rows := []rmRow{
			// Administrators and their own sessions.
			{method: "POST", path: "/api/v1/auth/login", allow: rmPublic, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/auth/login", body: map[string]any{"username": users[role], "password": password},
					after: func(t *testing.T, r *resp) { tokenWorks(t, r.str("token"), true) }}
			}},
			{method: "POST", path: "/api/v1/auth/logout", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				tok := e.login(users[role], password) // logout ends the token it is sent with
				return rmCall{path: "/api/v1/auth/logout", token: tok, after: func(t *testing.T, _ *resp) {
					tokenWorks(t, tok, false)
					tokenWorks(t, e.token[role], true)
				}}
			}},
			{method: "GET", path: "/api/v1/me", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/me", after: func(t *testing.T, r *resp) { wantField(t, r.json(), "role", string(role)) }}
			}},
			{method: "POST", path: "/api/v1/me/password", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				// A password change ends the administrator's other sessions:
				// use an administrator of this role made for it.
				user := fmt.Sprintf("pw-%s-%d", role, next())
				e.do("POST", "/api/v1/admins", super, map[string]any{"username": user, "role": role, "password": password}).want(201)
				return rmCall{path: "/api/v1/me/password", token: e.login(user, password),
					body:  map[string]any{"current_password": password, "new_password": "another horse battery"},
					after: func(t *testing.T, _ *resp) { e.login(user, "another horse battery") }}
			}},
			{method: "GET", path: "/api/v1/admins", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/admins"}
			}},
			{method: "POST", path: "/api/v1/admins", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/admins", body: map[string]any{"username": fmt.Sprintf("new-%s-%d", role, next()), "role": "admin", "password": password}}
			}},
			{method: "GET", path: "/api/v1/admins/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/admins/" + e.admin[ledger.RoleReviewer]}
			}},
			{method: "PATCH", path: "/api/v1/admins/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				// Renaming the reviewer locks nobody out.
				name := fmt.Sprintf("Checker renamed by %s", role)
				return rmCall{path: "/api/v1/admins/" + e.admin[ledger.RoleReviewer], body: map[string]any{"name": name},
					after: func(t *testing.T, r *resp) {
						wantField(t, r.json(), "name", name)
						tokenWorks(t, e.token[ledger.RoleReviewer], true)
					}}
			}},
			{method: "GET", path: "/api/v1/tokens", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/tokens"}
			}},
			{method: "POST", path: "/api/v1/tokens", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/tokens", body: map[string]any{"name": fmt.Sprintf("prog-%s-%d", role, next()), "role": "reviewer"},
					after: func(t *testing.T, r *resp) { tokenWorks(t, r.str("token"), true) }}
			}},
			{method: "DELETE", path: "/api/v1/tokens/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id, secret := programToken()
				return rmCall{path: "/api/v1/tokens/" + id,
					after: func(t *testing.T, _ *resp) { tokenWorks(t, secret, false) },
					kept:  func(t *testing.T) { tokenWorks(t, secret, true) }}
			}},

			// Customers.
			{method: "GET", path: "/api/v1/customers", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/customers?q=Customer"}
			}},
			{method: "POST", path: "/api/v1/customers", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				p := phone()
				return rmCall{path: "/api/v1/customers", body: map[string]any{"name": "New customer " + p, "phone": p},
					kept: func(t *testing.T) {
						if n := len(e.do("GET", "/api/v1/customers?phone="+p, super, nil).want(200).items()); n != 0 {
							t.Errorf("a refused create left %d customers with phone %s", n, p)
						}
					}}
			}},
			{method: "GET", path: "/api/v1/customers/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/customers/" + custID}
			}},
			{method: "PATCH", path: "/api/v1/customers/{id}", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				before := customer(custID)
				remark := fmt.Sprintf("touched by %s", role)
				return rmCall{path: "/api/v1/customers/" + custID, body: map[string]any{"remark": remark},
					after: func(t *testing.T, _ *resp) { wantField(t, customer(custID), "remark", remark) },
					kept:  func(t *testing.T) { wantField(t, customer(custID), "remark", before["remark"]) }}
			}},
			{method: "DELETE", path: "/api/v1/customers/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				c, _ := e.customer(phone(), 0) // zero balance: deletable
				return rmCall{path: "/api/v1/customers/" + c,
					after: func(t *testing.T, _ *resp) {
						if customer(c)["archived_at"] == nil {
							t.Errorf("deleted customer %s is not archived", c)
						}
					},
					kept: func(t *testing.T) { wantField(t, customer(c), "archived_at", nil) }}
			}},

			// Statements, statement links and the mail log (SPEC 10).
			{method: "GET", path: "/api/v1/customers/{id}/statement", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/customers/" + custID + "/statement?currency=USD", after: func(t *testing.T, r *resp) {
					if r.str("currency") != "USD" || r.str("closing_balance") == "" {
						t.Errorf("statement = %s", r.Body)
					}
				}}
			}},
			{method: "POST", path: "/api/v1/customers/{id}/statement-links", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				links := func() int {
					return len(e.do("GET", "/api/v1/customers/"+custID+"/statement-links", super, nil).want(200).json()["items"].([]any))
				}
				before := links()
				return rmCall{path: "/api/v1/customers/" + custID + "/statement-links", body: map[string]any{"expires_in_days": 7},
					after: func(t *testing.T, r *resp) {
						if !strings.Contains(r.str("url"), "/s/cst_") || links() != before+1 {
							t.Errorf("link = %s; %d links, %d before", r.Body, links(), before)
						}
					},
					kept: func(t *testing.T) {
						if links() != before {
							t.Errorf("a refused call made a link")
						}
					}}
			}},
			{method: "GET", path: "/api/v1/customers/{id}/statement-links", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/customers/" + custID + "/statement-links"}
			}},
			{method: "DELETE", path: "/api/v1/customers/{id}/statement-links/{link_id}", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				r := e.do("POST", "/api/v1/customers/"+custID+"/statement-links", super, map[string]any{"expires_in_days": 1}).want(201)
				id, url := r.str("id"), r.str("url")
				opens := func() int { return e.do("GET", url[strings.Index(url, "/s/"):], "", nil).Code }
				return rmCall{path: "/api/v1/customers/" + custID + "/statement-links/" + id,
					after: func(t *testing.T, r *resp) {
						if r.str("revoked_at") == "" || opens() != http.StatusNotFound {
							t.Errorf("revoked link = %s; its page answers %d", r.Body, opens())
						}
					},
					kept: func(t *testing.T) {
						if opens() != http.StatusOK {
							t.Errorf("a refused revocation closed the link: its page answers %d", opens())
						}
					}}
			}},
			{method: "GET", path: "/api/v1/notifications", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/notifications?customer_id=" + custID}
			}},
			{method: "POST", path: "/api/v1/settings/test-mail", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				smtp := testsmtp.Start(t, "")
				e.do("PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"host": smtp.Host, "port": smtp.Port,
					"from": "billing@shop.example"}}).want(200)
				to := fmt.Sprintf("matrix-%d@shop.example", next())
				got := func() int {
					n := 0
					for _, m := range smtp.Messages() {
						if slices.Contains(m.To, to) {
							n++
						}
					}
					return n
				}
				return rmCall{path: "/api/v1/settings/test-mail", body: map[string]any{"to": to},
					after: func(t *testing.T, r *resp) {
						if got() != 1 {
							t.Errorf("test mail: %s; %d messages to %s arrived", r.Body, got(), to)
						}
					},
					kept: func(t *testing.T) {
						if got() != 0 {
							t.Errorf("a refused call sent mail")
						}
					}}
			}},

			// Accounts.
			{method: "GET", path: "/api/v1/accounts", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/accounts?currency=USD"}
			}},
			{method: "GET", path: "/api/v1/accounts", variant: "Accept: text/csv export", extra: true, allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/accounts?currency=USD", hdr: []string{"Accept", "text/csv"}, after: func(t *testing.T, r *resp) {
					if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(string(r.Body), accID) {
						t.Errorf("CSV export: %s %s", ct, r.Body)
					}
				}}
			}},
			{method: "POST", path: "/api/v1/accounts", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				c, _ := e.customer(phone(), 0)
				return rmCall{path: "/api/v1/accounts", body: map[string]any{"customer_id": c, "currency": "EUR"},
					kept: func(t *testing.T) {
						if n := len(e.do("GET", "/api/v1/accounts?customer_id="+c, super, nil).want(200).items()); n != 1 {
							t.Errorf("customer %s has %d accounts after a refused open, want 1", c, n)
						}
					}}
			}},
			{method: "GET", path: "/api/v1/accounts/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/accounts/" + accID}
			}},
			{method: "PATCH", path: "/api/v1/accounts/{id}", variant: "alert_amount", allow: rmOperators,
				call: patchAccount(map[string]any{"alert_amount": "5.00"}, func(t *testing.T, a map[string]any) { wantField(t, a, "alert_amount", "5.00") })},
			{method: "PATCH", path: "/api/v1/accounts/{id}", variant: "credit_limit", allow: rmSuperOnly,
				call: patchAccount(map[string]any{"credit_limit": "50.00"}, func(t *testing.T, a map[string]any) { wantField(t, a, "credit_limit", "50.00") })},
			{method: "PATCH", path: "/api/v1/accounts/{id}", variant: "overdraft", allow: rmSuperOnly,
				call: patchAccount(map[string]any{"overdraft": "20.00", "overdraft_expires_at": future}, func(t *testing.T, a map[string]any) { wantField(t, a, "overdraft", "20.00") })},
			{method: "PATCH", path: "/api/v1/accounts/{id}", variant: "status frozen", allow: rmSuperOnly,
				call: patchAccount(map[string]any{"status": "frozen"}, func(t *testing.T, a map[string]any) { wantField(t, a, "status", "frozen") })},
			{method: "PATCH", path: "/api/v1/accounts/{id}", variant: "status disabled", allow: rmSuperOnly,
				call: patchAccount(map[string]any{"status": "disabled"}, func(t *testing.T, a map[string]any) { wantField(t, a, "status", "disabled") })},
			{method: "PATCH", path: "/api/v1/accounts/{id}", variant: "alert_amount with credit_limit", allow: rmSuperOnly,
				call: patchAccount(map[string]any{"alert_amount": "7.00", "credit_limit": "9.00"}, func(t *testing.T, a map[string]any) {
					wantField(t, a, "alert_amount", "7.00")
					wantField(t, a, "credit_limit", "9.00")
				})},
			{method: "GET", path: "/api/v1/accounts/{id}/entries", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/accounts/" + accID + "/entries"}
			}},

			// Postings.
			{method: "POST", path: "/api/v1/charges", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				before := account(accID)["balance"]
				return rmCall{path: "/api/v1/charges", body: map[string]any{"account_id": accID, "amount": "1.00", "reference": fmt.Sprintf("matrix-%d", next())},
					hdr:  []string{"Idempotency-Key", fmt.Sprintf("matrix-charge-%s-%d", role, next())},
					kept: func(t *testing.T) { wantField(t, account(accID), "balance", before) }}
			}},
			{method: "POST", path: "/api/v1/adjustments", variant: "account_id", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				before := account(accID)["balance"]
				return rmCall{path: "/api/v1/adjustments",
					body: map[string]any{"account_id": accID, "direction": "credit", "amount": "2.00", "reason": "promotion", "note": "matrix"},
					kept: func(t *testing.T) { wantField(t, account(accID), "balance", before) }}
			}},
			{method: "POST", path: "/api/v1/adjustments", variant: "customer_id + currency, opens the account", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				c, _ := e.customer(phone(), 0)
				return rmCall{path: "/api/v1/adjustments",
					body: map[string]any{"customer_id": c, "currency": "GBP", "direction": "credit", "amount": "2.00", "reason": "compensation", "note": "matrix"},
					kept: func(t *testing.T) {
						if n := len(e.do("GET", "/api/v1/accounts?customer_id="+c, super, nil).want(200).items()); n != 1 {
							t.Errorf("customer %s has %d accounts after a refused adjustment, want 1", c, n)
						}
					}}
			}},
			{method: "POST", path: "/api/v1/adjustments", variant: "debit", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				before := account(accID)["balance"]
				return rmCall{path: "/api/v1/adjustments",
					body: map[string]any{"account_id": accID, "direction": "debit", "amount": "0.50", "reason": "correction", "note": "matrix"},
					hdr:  []string{"Idempotency-Key", fmt.Sprintf("matrix-adj-%s-%d", role, next())},
					kept: func(t *testing.T) { wantField(t, account(accID), "balance", before) }}
			}},
			{method: "POST", path: "/api/v1/transactions/{id}/reverse", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				tx := charge() // a transaction is reversed once: a fresh one each time
				before := account(accID)["balance"]
				reversals := func() int {
					return len(e.do("GET", "/api/v1/transactions?type=reversal&account_id="+accID+"&limit=500", super, nil).want(200).items())
				}
				n := reversals()
				return rmCall{path: "/api/v1/transactions/" + tx + "/reverse", body: map[string]any{"note": "matrix"},
					kept: func(t *testing.T) {
						wantField(t, account(accID), "balance", before)
						if got := reversals(); got != n {
							t.Errorf("%d reversals after a refused one, want %d", got, n)
						}
					}}
			}},
			// Holds (SPEC 8): placed, captured and released as consumption is.
			{method: "POST", path: "/api/v1/holds", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				before := account(accID)["held"]
				return rmCall{path: "/api/v1/holds", body: map[string]any{"account_id": accID, "amount": "1.00", "reference": fmt.Sprintf("matrix-%d", next())},
					hdr: []string{"Idempotency-Key", fmt.Sprintf("matrix-hold-%s-%d", role, next())},
					after: func(t *testing.T, r *resp) {
						if r.str("status") != "active" || account(accID)["held"] == before {
							t.Errorf("hold %s; held still %v", r.Body, before)
						}
						e.do("POST", "/api/v1/holds/"+r.str("id")+"/release", super, nil).want(200)
					},
					kept: func(t *testing.T) { wantField(t, account(accID), "held", before) }}
			}},
			{method: "GET", path: "/api/v1/holds", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/holds?account_id=" + accID}
			}},
			{method: "GET", path: "/api/v1/holds/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/holds", super, map[string]any{"account_id": accID, "amount": "1.00"}).want(201).str("id")
				t.Cleanup(func() { e.do("POST", "/api/v1/holds/"+id+"/release", super, nil) })
				return rmCall{path: "/api/v1/holds/" + id}
			}},
			{method: "POST", path: "/api/v1/holds/{id}/capture", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/holds", super, map[string]any{"account_id": accID, "amount": "1.00"}).want(201).str("id")
				status := func() string { return e.do("GET", "/api/v1/holds/"+id, super, nil).want(200).str("status") }
				return rmCall{path: "/api/v1/holds/" + id + "/capture", body: map[string]any{"amount": "0.50"},
					after: func(t *testing.T, r *resp) {
						if r.str("hold_id") != id || status() != "captured" {
							t.Errorf("capture %s; the hold is %s", r.Body, status())
						}
					},
					kept: func(t *testing.T) {
						if status() != "active" {
							t.Errorf("a refused capture left the hold %s", status())
						}
						t.Cleanup(func() { e.do("POST", "/api/v1/holds/"+id+"/release", super, nil) })
					}}
			}},
			{method: "POST", path: "/api/v1/holds/{id}/release", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/holds", super, map[string]any{"account_id": accID, "amount": "1.00"}).want(201).str("id")
				status := func() string { return e.do("GET", "/api/v1/holds/"+id, super, nil).want(200).str("status") }
				return rmCall{path: "/api/v1/holds/" + id + "/release",
					after: func(t *testing.T, r *resp) {
						if r.str("status") != "released" {
							t.Errorf("release %s", r.Body)
						}
					},
					kept: func(t *testing.T) {
						if status() != "active" {
							t.Errorf("a refused release left the hold %s", status())
						}
						t.Cleanup(func() { e.do("POST", "/api/v1/holds/"+id+"/release", super, nil) })
					}}
			}},
			{method: "GET", path: "/api/v1/transactions", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/transactions?account_id=" + accID}
			}},
			{method: "GET", path: "/api/v1/transactions/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/transactions/" + txID}
			}},

			// Top-ups and their review.
			{method: "GET", path: "/api/v1/topups", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/topups?status=pending&customer_id=" + custID}
			}},
			{method: "POST", path: "/api/v1/topups", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				before := account(accID)["balance"]
				return rmCall{path: "/api/v1/topups", body: map[string]any{"customer_id": custID, "currency": "USD", "amount": "3.00", "payment_method": "2"},
					after: func(t *testing.T, r *resp) {
						wantField(t, r.json(), "status", "pending")
						wantField(t, account(accID), "balance", before)
					}}
			}},
			{method: "GET", path: "/api/v1/topups/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/topups/" + topup(ledger.RoleAdmin)}
			}},
			{method: "PATCH", path: "/api/v1/topups/{id}", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				id := topup(role) // only the submitter corrects a request
				return rmCall{path: "/api/v1/topups/" + id, body: map[string]any{"remark": "corrected by " + string(role)}}
			}},
			{method: "POST", path: "/api/v1/topups/{id}/approve", allow: rmReviewers, call: func(t *testing.T, role ledger.Role) rmCall {
				id := topup(ledger.RoleAdmin) // submitted by someone else: never one's own
				before := account(accID)["balance"]
				return rmCall{path: "/api/v1/topups/" + id + "/approve", body: map[string]any{"exchange_rate": "1"},
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "status", "approved") },
					kept: func(t *testing.T) {
						wantField(t, account(accID), "balance", before)
						if st := topupStatus(id); st != "pending" {
							t.Errorf("refused approval left status %v", st)
						}
					}}
			}},
			{method: "POST", path: "/api/v1/topups/{id}/reject", allow: rmReviewers, call: func(t *testing.T, role ledger.Role) rmCall {
				id := topup(ledger.RoleAdmin)
				return rmCall{path: "/api/v1/topups/" + id + "/reject", body: map[string]any{"remark": "no payment arrived"},
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "status", "rejected") },
					kept:  func(t *testing.T) { wantField(t, map[string]any{"status": topupStatus(id)}, "status", "pending") }}
			}},
			{method: "POST", path: "/api/v1/topups/{id}/cancel", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				id := topup(role)
				return rmCall{path: "/api/v1/topups/" + id + "/cancel",
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "status", "cancelled") },
					kept:  func(t *testing.T) { wantField(t, map[string]any{"status": topupStatus(id)}, "status", "pending") }}
			}},
			{method: "GET", path: "/api/v1/approvals", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/approvals?status=pending&kind=adjustment"}
			}},
			{method: "GET", path: "/api/v1/approvals/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/approvals/" + pendingApproval}
			}},
			{method: "POST", path: "/api/v1/approvals/{id}/approve", variant: "adjustment", allow: rmReviewers, call: func(t *testing.T, role ledger.Role) rmCall {
				id := approval(ledger.RoleAdmin) // requested by someone else: never one's own
				return rmCall{path: "/api/v1/approvals/" + id + "/approve", body: map[string]any{"remark": "checked"},
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "status", "approved") },
					kept:  func(t *testing.T) { wantField(t, map[string]any{"status": approvalStatus(id)}, "status", "pending") }}
			}},
			{method: "POST", path: "/api/v1/approvals/{id}/approve", variant: "credit_change", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id, limit := creditApproval()
				return rmCall{path: "/api/v1/approvals/" + id + "/approve", body: map[string]any{},
					after: func(t *testing.T, r *resp) { wantField(t, account(accID), "credit_limit", limit) },
					kept:  func(t *testing.T) { wantField(t, map[string]any{"status": approvalStatus(id)}, "status", "pending") }}
			}},
			{method: "POST", path: "/api/v1/approvals/{id}/reject", allow: rmReviewers, call: func(t *testing.T, role ledger.Role) rmCall {
				id := approval(ledger.RoleAdmin)
				return rmCall{path: "/api/v1/approvals/" + id + "/reject", body: map[string]any{"remark": "no ticket"},
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "status", "rejected") },
					kept:  func(t *testing.T) { wantField(t, map[string]any{"status": approvalStatus(id)}, "status", "pending") }}
			}},
			{method: "POST", path: "/api/v1/approvals/{id}/cancel", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				id := approval(role)
				return rmCall{path: "/api/v1/approvals/" + id + "/cancel",
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "status", "cancelled") },
					kept:  func(t *testing.T) { wantField(t, map[string]any{"status": approvalStatus(id)}, "status", "pending") }}
			}},
			{method: "POST", path: "/api/v1/topups/{id}/vouchers", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				id := topup(role)
				return rmCall{path: "/api/v1/topups/" + id + "/vouchers", body: voucherBody, hdr: []string{"Content-Type", voucherType}}
			}},
			{method: "GET", path: "/api/v1/vouchers/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/vouchers/" + voucherID, after: func(t *testing.T, r *resp) {
					if r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
						t.Errorf("voucher served as %q, nosniff %q", r.Header.Get("Content-Type"), r.Header.Get("X-Content-Type-Options"))
					}
				}}
			}},
			{method: "GET", path: "/api/v1/payment-methods", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/payment-methods"}
			}},
			{method: "POST", path: "/api/v1/payment-methods", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/payment-methods", body: map[string]any{"name": fmt.Sprintf("Pay %s %d", role, next())}}
			}},
			{method: "PATCH", path: "/api/v1/payment-methods/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/payment-methods/" + methodID, body: map[string]any{"name": fmt.Sprintf("Matrix Pay %d", next())}}
			}},
			{method: "GET", path: "/api/v1/promotions", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/promotions"}
			}},
			{method: "GET", path: "/api/v1/promotions/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/promotions/" + promotionID}
			}},
			{method: "POST", path: "/api/v1/promotions", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/promotions", body: map[string]any{"name": fmt.Sprintf("Promotion %s %d", role, next()), "currency": "EUR",
					"min_amount": "50.00", "bonus_fixed": "5.00", "valid_from": "2026-12-01T00:00:00Z"}}
			}},
			{method: "PATCH", path: "/api/v1/promotions/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id := promotion(fmt.Sprintf("To change %d", next()))
				return rmCall{path: "/api/v1/promotions/" + id, body: map[string]any{"version": 1, "bonus_percent": "7.5"},
					after: func(t *testing.T, r *resp) { wantField(t, r.json(), "bonus_percent", "7.5") },
					kept: func(t *testing.T) {
						wantField(t, e.do("GET", "/api/v1/promotions/"+id, super, nil).want(200).json(), "bonus_percent", "5")
					}}
			}},

			// Alerts and batches.
			{method: "GET", path: "/api/v1/alerts", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/alerts?active=true&account_id=" + accID}
			}},
			{method: "GET", path: "/api/v1/alert-batches", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/alert-batches"}
			}},
			{method: "POST", path: "/api/v1/alert-batches", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				a := freshAccount()
				amount := fmt.Sprintf("%d.00", 10+next())
				return rmCall{path: "/api/v1/alert-batches", body: map[string]any{"alert_amount": amount, "account_ids": []string{a}},
					hdr: []string{"Idempotency-Key", fmt.Sprintf("matrix-batch-%s-%d", role, next())},
					after: func(t *testing.T, r *resp) {
						wantField(t, r.json(), "changed", float64(1))
						wantField(t, account(a), "alert_amount", amount)
					},
					kept: func(t *testing.T) { wantField(t, account(a), "alert_amount", "0.00") }}
			}},
			{method: "GET", path: "/api/v1/alert-batches/{id}", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/alert-batches", super, map[string]any{"alert_amount": "3.00", "account_ids": []string{freshAccount()}}).want(201).str("id")
				return rmCall{path: "/api/v1/alert-batches/" + id, after: func(t *testing.T, r *resp) { wantField(t, r.json(), "id", id) }}
			}},
			{method: "GET", path: "/api/v1/alert-batches/{id}/items", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				a := freshAccount()
				id := e.do("POST", "/api/v1/alert-batches", super, map[string]any{"alert_amount": "4.00", "account_ids": []string{a}}).want(201).str("id")
				return rmCall{path: "/api/v1/alert-batches/" + id + "/items", after: func(t *testing.T, r *resp) {
					if it := r.items(); len(it) != 1 || it[0]["account_id"] != a || it[0]["before"] != "0.00" || it[0]["after"] != "4.00" {
						t.Errorf("batch items %s", r.Body)
					}
				}}
			}},
			{method: "POST", path: "/api/v1/alert-batches/{id}/undo", allow: rmOperators, call: func(t *testing.T, role ledger.Role) rmCall {
				a := freshAccount()
				id := e.do("POST", "/api/v1/alert-batches", super, map[string]any{"alert_amount": "6.00", "account_ids": []string{a}}).want(201).str("id")
				return rmCall{path: "/api/v1/alert-batches/" + id + "/undo",
					hdr: []string{"Idempotency-Key", fmt.Sprintf("matrix-undo-%s-%d", role, next())},
					after: func(t *testing.T, r *resp) {
						if r.json()["undone_at"] == nil {
							t.Errorf("undo answered %s", r.Body)
						}
						wantField(t, account(a), "alert_amount", "0.00")
					},
					kept: func(t *testing.T) {
						wantField(t, account(a), "alert_amount", "6.00")
						wantField(t, e.do("GET", "/api/v1/alert-batches/"+id, super, nil).want(200).json(), "undone_at", nil)
					}}
			}},

			// Reports.
			{method: "GET", path: "/api/v1/reports/summary", variant: "today", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/reports/summary?group_by=payment_method", after: func(t *testing.T, r *resp) {
					if rows, ok := r.json()["rows"].([]any); !ok || len(rows) == 0 {
						t.Errorf("today's summary has no rows (the matrix charged today): %s", r.Body)
					}
				}}
			}},
			{method: "GET", path: "/api/v1/reports/summary", variant: "another period", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/reports/summary?from=2020-01-01&to=2020-01-31&group_by=day"}
			}},
			{method: "GET", path: "/api/v1/reports/summary", variant: "CSV export of today", allow: rmEveryone, extra: true, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/reports/summary?group_by=customer", hdr: []string{"Accept", "text/csv"}, after: func(t *testing.T, r *resp) {
					if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(r.Body), "key,currency,recharge,consumption,count") {
						t.Errorf("CSV export = %q %s", r.Header.Get("Content-Type"), r.Body)
					}
				}}
			}},
			{method: "GET", path: "/api/v1/reports/chart.svg", variant: "today", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/reports/chart.svg?currency=USD"}
			}},
			{method: "GET", path: "/api/v1/reports/chart.svg", variant: "another period", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/reports/chart.svg?from=2020-01-01&to=2020-01-31"}
			}},
			{method: "GET", path: "/api/v1/reports/totals", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/reports/totals"}
			}},

			// Webhooks.
			{method: "GET", path: "/api/v1/webhooks", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/webhooks"}
			}},
			{method: "POST", path: "/api/v1/webhooks", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				u := fmt.Sprintf("https://hooks.example.com/%s/%d", role, next())
				listed := func() bool {
					return strings.Contains(string(e.do("GET", "/api/v1/webhooks?limit=500", super, nil).want(200).Body), u)
				}
				return rmCall{path: "/api/v1/webhooks", body: map[string]any{"url": u, "events": []string{"topup.approved"}},
					after: func(t *testing.T, r *resp) {
						if r.str("secret") == "" || !listed() {
							t.Errorf("created webhook %s is not listed, or came without its secret", r.Body)
						}
					},
					kept: func(t *testing.T) {
						if listed() {
							t.Errorf("a refused request registered webhook %s", u)
						}
					}}
			}},
			{method: "DELETE", path: "/api/v1/webhooks/{id}", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://hooks.example.com/delete", "events": []string{"topup.rejected"}}).want(201).str("id")
				live := func() bool { return e.do("GET", "/api/v1/webhooks/"+id+"/deliveries", super, nil).Code == 200 }
				return rmCall{path: "/api/v1/webhooks/" + id,
					after: func(t *testing.T, _ *resp) {
						if live() {
							t.Errorf("webhook %s still there after delete", id)
						}
					},
					kept: func(t *testing.T) {
						if !live() {
							t.Errorf("a refused request deleted webhook %s", id)
						}
					}}
			}},
			{method: "GET", path: "/api/v1/webhooks/{id}/deliveries", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://hooks.example.com/log", "events": []string{"topup.approved"}}).want(201).str("id")
				return rmCall{path: "/api/v1/webhooks/" + id + "/deliveries"}
			}},
			{method: "POST", path: "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				// A delivery to repeat: a top-up submitted, its event fanned
				// out (no worker sends it here).
				id := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://hooks.example.com/again", "events": []string{"topup.submitted"}}).want(201).str("id")
				topup(ledger.RoleAdmin)
				if _, err := e.store.DispatchEvents(ctx, time.Now(), 500); err != nil {
					t.Fatal(err)
				}
				count := func() int {
					return len(e.do("GET", "/api/v1/webhooks/"+id+"/deliveries", super, nil).want(200).items())
				}
				if count() != 1 {
					t.Fatalf("webhook %s has %d deliveries, want 1", id, count())
				}
				delivery := e.do("GET", "/api/v1/webhooks/"+id+"/deliveries", super, nil).want(200).items()[0]["id"].(string)
				return rmCall{path: "/api/v1/webhooks/" + id + "/deliveries/" + delivery + "/redeliver",
					after: func(t *testing.T, r *resp) {
						if r.str("redelivery_of") != delivery || count() != 2 {
							t.Errorf("redelivery %s; the webhook has %d deliveries, want 2", r.Body, count())
						}
					},
					kept: func(t *testing.T) {
						if n := count(); n != 1 {
							t.Errorf("a refused redelivery left %d deliveries, want 1", n)
						}
					}}
			}},
			{method: "POST", path: "/api/v1/webhooks/{id}/ping", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://hooks.example.com/ping", "events": []string{"topup.approved"}}).want(201).str("id")
				pings := func() int {
					return len(e.do("GET", "/api/v1/webhooks/"+id+"/deliveries", super, nil).want(200).items())
				}
				return rmCall{path: "/api/v1/webhooks/" + id + "/ping",
					after: func(t *testing.T, r *resp) {
						if r.str("event_type") != "webhook.ping" || r.str("status") != "pending" || pings() != 1 {
							t.Errorf("ping %s; the webhook has %d deliveries, want 1", r.Body, pings())
						}
					},
					kept: func(t *testing.T) {
						if n := pings(); n != 0 {
							t.Errorf("a refused ping queued %d deliveries", n)
						}
					}}
			}},
			{method: "POST", path: "/api/v1/webhooks/{id}/rotate-secret", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				id := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://hooks.example.com/rotate", "events": []string{"topup.approved"}}).want(201).str("id")
				rotations := func() int {
					return len(e.do("GET", "/api/v1/audit?action=webhook.rotate_secret&object_type=webhook&object_id="+id, super, nil).want(200).items())
				}
				return rmCall{path: "/api/v1/webhooks/" + id + "/rotate-secret", body: map[string]any{"grace_hours": 2},
					after: func(t *testing.T, r *resp) {
						if !strings.HasPrefix(r.str("secret"), "whsec_") || r.str("previous_valid_until") == "" || rotations() != 1 {
							t.Errorf("rotation %s; %d operation records of it, want 1", r.Body, rotations())
						}
					},
					kept: func(t *testing.T) {
						if n := rotations(); n != 0 {
							t.Errorf("a refused rotation left %d operation records of one", n)
						}
					}}
			}},

			// Archives.
			{method: "GET", path: "/api/v1/archives", allow: rmOperators, call: func(st *testing.T, role ledger.Role) rmCall {
				id := matrixArchive(st, e)
				return rmCall{path: "/api/v1/archives", after: func(t *testing.T, r *resp) {
					if it := r.items(); len(it) != 1 || it[0]["id"] != id {
						t.Errorf("archives = %s, want archive %s", r.Body, id)
					}
				}}
			}},
			{method: "GET", path: "/api/v1/archives/{id}", allow: rmOperators, call: func(st *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/archives/" + matrixArchive(st, e), after: func(t *testing.T, r *resp) {
					if r.Header.Get("Content-Type") != "application/gzip" || !strings.HasPrefix(string(r.Body), "\x1f\x8b") {
						t.Errorf("download = %q, %d bytes", r.Header.Get("Content-Type"), len(r.Body))
					}
				}}
			}},
			{method: "POST", path: "/api/v1/archives/run", allow: rmSuperOnly, call: func(st *testing.T, role ledger.Role) rmCall {
				matrixArchive(st, e)
				archives := func() int { return len(e.do("GET", "/api/v1/archives", super, nil).want(200).items()) }
				n := archives()
				return rmCall{path: "/api/v1/archives/run",
					after: func(t *testing.T, r *resp) {
						// Nothing in the matrix is older than the retention period.
						if r.json()["archive"] != nil || archives() != n {
							t.Errorf("run = %s", r.Body)
						}
					},
					kept: func(t *testing.T) {
						if archives() != n {
							t.Errorf("a refused run made an archive")
						}
					}}
			}},

			// Operation records and settings.
			{method: "GET", path: "/api/v1/audit", allow: rmEveryone, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/audit"}
			}},
			{method: "GET", path: "/api/v1/audit/verify", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/audit/verify"}
			}},
			{method: "GET", path: "/api/v1/settings", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/settings"}
			}},
			{method: "GET", path: "/api/v1/settings/phone-report", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				return rmCall{path: "/api/v1/settings/phone-report", after: func(t *testing.T, r *resp) {
					if _, ok := r.json()["collisions"].([]any); !ok {
						t.Errorf("phone report = %s", r.Body)
					}
				}}
			}},
			{method: "PATCH", path: "/api/v1/settings", allow: rmSuperOnly, call: func(t *testing.T, role ledger.Role) rmCall {
				days := 200 + next()
				return rmCall{path: "/api/v1/settings", body: map[string]any{"retention_days": days},
					after: func(t *testing.T, r *resp) {
						if v, _ := r.json()["retention_days"].(float64); int(v) != days {
							t.Errorf("retention_days = %v, want %d", v, days)
						}
					}}
			}},
		}

		// Every operation the server documents has a row, and every row is
		// an operation the server documents.
		ops := rmOperations(t, e)
		covered := map[string]bool{}
		for _, r := range rows {
			if r.extra {
				continue
			}
			covered[r.op()] = true
			if !slices.Contains(ops, r.op()) {
				t.Errorf("the matrix has a row for %s, which the OpenAPI document does not list", r.op())
			}
		}
		for _, op := range ops {
			if !covered[op] {
				t.Errorf("operation %s has no row in the role matrix: add one with the roles SPEC section 3 gives it", op)
			}
		}

		for _, row := range rows {
			for _, role := range rmRoles {
				rmRun(t, e, row.name()+"/"+string(role), func(t *testing.T) {
					c := row.call(t, role)
					tok := c.token
					if tok == "" {
						tok = e.token[role]
					}
					if row.allow.allows(role) {
						r := e.do(row.method, c.path, tok, c.body, c.hdr...)
						if r.Code < 200 || r.Code > 299 {
							t.Errorf("%s as %s = %d %s; the SPEC allows it", row.name(), role, r.Code, r.Body)
							return
						}
						if c.after != nil {
							c.after(t, r)
						}
						return
					}
					before := snapshot()
					r := e.do(row.method, c.path, tok, c.body, c.hdr...)
					if r.Code != 403 {
						t.Errorf("%s as %s = %d %s; the SPEC forbids it: want 403 forbidden", row.name(), role, r.Code, r.Body)
					} else {
						r.wantProblem(403, "forbidden")
					}
					if c.kept != nil {
						c.kept(t)
					}
					if after := snapshot(); after != before {
						t.Errorf("%s as %s (refused) changed state:\n%s", row.name(), role, rmDiff(before, after))
					}
				})
			}
		}

		t.Run("operation records are own actions only", func(t *testing.T) {
			old := e.t
			e.t = t
			defer func() { e.t = old }()
			for _, role := range []ledger.Role{ledger.RoleAdmin, ledger.RoleReviewer} {
				own := e.admin[role]
				recs := rmAllPages(e, "/api/v1/audit", e.token[role])
				if role == ledger.RoleAdmin && len(recs) == 0 {
					t.Errorf("the admin sees none of their own records (they created customers)")
				}
				for _, rec := range recs {
					if rec["actor_id"] != own {
						t.Errorf("%s (id %s) sees a record of actor %v: %v", role, own, rec["actor_id"], rec)
					}
				}
				e.do("GET", "/api/v1/audit?actor_id="+own, e.token[role], nil).want(200)
				for _, other := range rmRoles {
					if other != role {
						e.do("GET", "/api/v1/audit?actor_id="+e.admin[other], e.token[role], nil).wantProblem(403, "forbidden")
					}
				}
			}
			// A super admin sees everyone's records, and may filter by actor.
			actors := map[any]bool{}
			for _, rec := range rmAllPages(e, "/api/v1/audit", super) {
				actors[rec["actor_id"]] = true
			}
			for _, role := range rmRoles {
				if !actors[e.admin[role]] {
					t.Errorf("the super admin's list has no record by the %s (actors %v)", role, actors)
				}
			}
			for _, rec := range rmAllPages(e, "/api/v1/audit?actor_id="+e.admin[ledger.RoleAdmin], super) {
				if rec["actor_id"] != e.admin[ledger.RoleAdmin] {
					t.Errorf("filtered by actor_id %s, got a record of %v", e.admin[ledger.RoleAdmin], rec["actor_id"])
				}
			}
		})

		t.Run("no token or a bad token is 401", func(t *testing.T) {
			old := e.t
			e.t = t
			defer func() { e.t = old }()
			before := snapshot()
			bad := map[string][]string{
				"no Authorization":   nil,
				"made-up token":      {"Authorization", "Bearer cft_made_up_0123456789abcdef"},
				"empty bearer":       {"Authorization", "Bearer "},
				"basic auth":         {"Authorization", "Basic cm9vdDpjb3JyZWN0IGhvcnNlIGJhdHRlcnk="},
				"raw session secret": {"Authorization", e.token[ledger.RoleSuperAdmin]},
			}
			for _, op := range ops {
				method, path, _ := strings.Cut(op, " ")
				if op == "POST /api/v1/auth/login" {
					continue
				}
				path = strings.NewReplacer("{id}", accID).Replace(path)
				var body any
				if method == "POST" || method == "PATCH" || method == "PUT" {
					body = map[string]any{}
				}
				for what, hdr := range bad {
					if r := e.do(method, path, "", body, hdr...); r.Code != 401 || r.str("code") != "unauthorized" {
						t.Errorf("%s %s with %s = %d %s, want 401 unauthorized", method, path, what, r.Code, r.Body)
					}
				}
			}
			for what, hdr := range bad {
				if r := e.do("GET", "/api/v1/accounts", "", nil, append([]string{"Accept", "text/csv"}, hdr...)...); r.Code != 401 || r.str("code") != "unauthorized" {
					t.Errorf("CSV export with %s = %d %s, want 401 unauthorized", what, r.Code, r.Body)
				}
			}
			// Money and customers stay as they were.
			e.do("POST", "/api/v1/charges", "", map[string]any{"account_id": accID, "amount": "1.00"}).wantProblem(401, "unauthorized")
			e.do("POST", "/api/v1/charges", "made-up", map[string]any{"account_id": accID, "amount": "1.00"}).wantProblem(401, "unauthorized")
			e.do("DELETE", "/api/v1/customers/"+custID, "made-up", nil).wantProblem(401, "unauthorized")
			if after := snapshot(); after != before {
				t.Errorf("unauthenticated requests changed state:\n%s", rmDiff(before, after))
			}
			// Login is public.
			e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "clerk", "password": password}).want(200)
		})
	})
}

// rmRun runs fn as a subtest whose failures the env's helpers report too.
func rmRun(t *testing.T, e *env, name string, fn func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		old := e.t
		e.t = t
		defer func() { e.t = old }()
		fn(t)
	})
}

// rmOperations lists the operations of the OpenAPI document the server
// serves, as "METHOD /path".
func rmOperations(t *testing.T, e *env) []string {
	t.Helper()
	r := e.do("GET", "/api/v1/openapi.json", "", nil).want(200)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var ops []string
	for path, item := range doc.Paths {
		for method := range item {
			switch m := strings.ToUpper(method); m {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodTrace:
				ops = append(ops, m+" "+path)
			}
		}
	}
	if len(ops) == 0 {
		t.Fatalf("openapi.json lists no operations: %s", r.Body)
	}
	sort.Strings(ops)
	return ops
}

// rmAllPages follows next_cursor to the end of a list.
func rmAllPages(e *env, path, token string) []map[string]any {
	e.t.Helper()
	var all []map[string]any
	cursor := ""
	for {
		p := path
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		p += sep + "limit=500"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do("GET", p, token, nil).want(200)
		all = append(all, r.items()...)
		cursor, _ = r.json()["next_cursor"].(string)
		if cursor == "" {
			return all
		}
	}
}

// rmDiff shows, for each snapshot line that differs, where it starts to
// differ.
func rmDiff(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out strings.Builder
	for i := 0; i < len(b) || i < len(a); i++ {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		if x == y {
			continue
		}
		at := 0
		for at < len(x) && at < len(y) && x[at] == y[at] {
			at++
		}
		name, _, _ := strings.Cut(x+y, " ")
		cut := func(s string) string {
			from, to := max(0, at-120), min(len(s), at+240)
			return s[from:to]
		}
		fmt.Fprintf(&out, "%s\n  before: …%s…\n  after:  …%s…\n", name, cut(x), cut(y))
	}
	return out.String()
}
