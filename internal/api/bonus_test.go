package api_test

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Bonus through the API (SPEC 11): a promotion credited as bonus shows as
// bonus on the account, a charge spends it first in an entry of its own,
// and reversing the grant takes back only what is left of it.
func TestBonusAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleSuperAdmin]
		_, acc := e.customer("13800000081", 10000) // 100.00
		expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		grant := e.do("POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "20.00",
			"reason": "promotion", "note": "opening offer", "bonus": true, "bonus_expires_at": expires}).want(201)
		a := e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200)
		if a.str("balance") != "120.00" || a.str("principal") != "100.00" || a.str("bonus") != "20.00" || a.str("bonus_expires_at") != expires {
			t.Errorf("account after a bonus of 20.00: %s", a.Body)
		}
		c := e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "25.00"}).want(201)
		parts := map[string]string{}
		for _, en := range c.json()["entries"].([]any) {
			m := en.(map[string]any)
			if m["account_id"] == acc {
				parts[m["part"].(string)] = m["amount"].(string)
			}
		}
		if parts["bonus"] != "-20.00" || parts["principal"] != "-5.00" {
			t.Errorf("charge of 25.00 with 20.00 bonus: entries %s", c.Body)
		}
		if r := e.do("POST", "/api/v1/transactions/"+grant.str("id")+"/reverse", clerk, map[string]any{}).want(422); r.fields()[0] != "transaction_id" {
			t.Errorf("reversing a spent grant = %s", r.Body)
		}
		e.do("POST", "/api/v1/transactions/"+c.str("id")+"/reverse", clerk, map[string]any{}).want(201)
		back := e.do("POST", "/api/v1/transactions/"+grant.str("id")+"/reverse", clerk, map[string]any{}).want(201)
		if back.str("amount") != "-20.00" {
			t.Errorf("taking back the restored bonus = %s", back.Body)
		}
		a = e.do("GET", "/api/v1/accounts/"+acc, clerk, nil).want(200)
		if a.str("balance") != "100.00" || a.str("bonus") != "0.00" || a.json()["bonus_expires_at"] != nil {
			t.Errorf("account at the end: %s", a.Body)
		}
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"spend_order": "principal_first"}).want(200)
		if s := e.do("GET", "/api/v1/settings", super, nil).want(200); s.str("spend_order") != "principal_first" {
			t.Errorf("settings = %s", s.Body)
		}
	})
}
