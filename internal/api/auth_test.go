package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

func TestLoginSessionsAndTokens(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		r := e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "clerk", "password": password}).want(200).json()
		if r["admin"].(map[string]any)["role"] != "admin" || r["expires_at"] == nil || !strings.HasPrefix(r["token"].(string), "cfr_") {
			t.Errorf("login = %v", r)
		}
		session := r["token"].(string)
		if me := e.do("GET", "/api/v1/me", session, nil).want(200).json(); me["username"] != "clerk" || me["password"] != nil {
			t.Errorf("me = %v", me)
		}
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "nobody", "password": password}).wantProblem(401, "unauthorized")
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "clerk"}).wantProblem(422, "validation_failed")

		// Tokens are stored hashed: the secret is nowhere in the database.
		var n int
		if err := e.store.DB().QueryRow("SELECT COUNT(*) FROM tokens WHERE token_hash = $1", session).Scan(&n); err != nil || n != 0 {
			t.Errorf("a session secret is stored as is (%d, %v)", n, err)
		}

		e.do("POST", "/api/v1/auth/logout", session, nil).want(204)
		e.do("GET", "/api/v1/me", session, nil).wantProblem(401, "unauthorized")

		// Password change needs the current one and ends other sessions.
		other := e.login("clerk", password)
		mine := e.login("clerk", password)
		e.do("POST", "/api/v1/me/password", mine, map[string]any{"current_password": "guess", "new_password": "a new long password"}).wantProblem(422, "validation_failed")
		e.do("POST", "/api/v1/me/password", mine, map[string]any{"current_password": password, "new_password": "short"}).wantProblem(422, "validation_failed")
		e.do("POST", "/api/v1/me/password", mine, map[string]any{"current_password": password, "new_password": "a new long password"}).want(204)
		e.do("GET", "/api/v1/me", mine, nil).want(200)
		e.do("GET", "/api/v1/me", other, nil).wantProblem(401, "unauthorized")
		e.login("clerk", "a new long password")
		e.token[ledger.RoleAdmin] = mine

		// Program tokens: shown once, role of their own, revocable, and dead
		// once their creator is disabled.
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		tk := e.do("POST", "/api/v1/tokens", super, map[string]any{"name": "billing", "role": "admin", "expires_at": exp}).want(201).json()
		prog := tk["token"].(string)
		if e.do("GET", "/api/v1/me", prog, nil).want(200).str("username") != "root" {
			t.Error("a program token does not speak for its creator")
		}
		e.do("GET", "/api/v1/admins", prog, nil).wantProblem(403, "forbidden") // its role is admin, not its creator's
		_, acc := e.customer("13800000030", 1000)
		e.do("POST", "/api/v1/charges", prog, map[string]any{"account_id": acc, "amount": "1.00"}).want(201)
		list := e.do("GET", "/api/v1/tokens", super, nil).want(200).items()
		if len(list) != 1 || list[0]["name"] != "billing" || list[0]["token"] != nil {
			t.Errorf("tokens = %v", list)
		}
		e.do("POST", "/api/v1/tokens", super, map[string]any{"name": "old", "role": "admin", "expires_at": "2020-01-01T00:00:00Z"}).wantProblem(422, "validation_failed")
		e.do("POST", "/api/v1/tokens", super, map[string]any{"name": "x", "role": "owner"}).wantProblem(422, "validation_failed")
		e.do("DELETE", "/api/v1/tokens/"+tk["id"].(string), super, nil).want(204)
		e.do("GET", "/api/v1/me", prog, nil).wantProblem(401, "unauthorized")
		e.do("DELETE", "/api/v1/tokens/424242", super, nil).wantProblem(404, "not_found")

		// A second super admin makes a token, is disabled: the token and
		// their sessions stop at once.
		e.do("POST", "/api/v1/admins", super, map[string]any{"username": "boss2", "role": "super_admin", "password": password}).want(201)
		boss := e.login("boss2", password)
		btok := e.do("POST", "/api/v1/tokens", boss, map[string]any{"name": "etl", "role": "reviewer"}).want(201).str("token")
		e.do("GET", "/api/v1/me", btok, nil).want(200)
		admins := e.do("GET", "/api/v1/admins", super, nil).want(200).items()
		var bossID string
		for _, a := range admins {
			if a["username"] == "boss2" {
				bossID = a["id"].(string)
			}
		}
		e.do("PATCH", "/api/v1/admins/"+bossID, super, map[string]any{"disabled": true}).want(200)
		e.do("GET", "/api/v1/me", boss, nil).wantProblem(401, "unauthorized")
		e.do("GET", "/api/v1/me", btok, nil).wantProblem(401, "unauthorized")
		e.do("POST", "/api/v1/auth/login", "", map[string]any{"username": "boss2", "password": password}).wantProblem(401, "unauthorized")

		// The last active super admin cannot be demoted or disabled.
		rootID := e.admin[ledger.RoleSuperAdmin]
		e.do("PATCH", "/api/v1/admins/"+rootID, super, map[string]any{"role": "admin"}).wantProblem(409, "last_super_admin")
		e.do("PATCH", "/api/v1/admins/"+rootID, super, map[string]any{"disabled": true}).wantProblem(409, "last_super_admin")
		// A reset by a super admin ends the target's sessions.
		clerk := e.login("clerk", "a new long password")
		e.do("PATCH", "/api/v1/admins/"+e.admin[ledger.RoleAdmin], super, map[string]any{"password": "reset by root 123"}).want(200)
		e.do("GET", "/api/v1/me", clerk, nil).wantProblem(401, "unauthorized")
		e.do("PATCH", "/api/v1/admins/"+e.admin[ledger.RoleAdmin], super, map[string]any{"password": "short"}).wantProblem(422, "validation_failed")
		e.do("POST", "/api/v1/admins", super, map[string]any{"username": "bad name!", "role": "admin", "password": password}).wantProblem(422, "validation_failed")
		e.do("GET", "/api/v1/admins/999999", super, nil).wantProblem(404, "not_found")
	})
}

func TestProgramTokenSeesOnlyItsOwnRecords(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		prog := e.do("POST", "/api/v1/tokens", super, map[string]any{"name": "crm", "role": "admin"}).want(201).str("token")
		e.do("POST", "/api/v1/customers", prog, map[string]any{"name": "Via program"}).want(201)
		recs := e.do("GET", "/api/v1/audit?limit=500", prog, nil).want(200).items()
		if len(recs) != 1 || recs[0]["action"] != "customer.create" || recs[0]["token_id"] == nil {
			t.Errorf("a program token with the admin role sees %d records: %v", len(recs), recs)
		}
	})
}
