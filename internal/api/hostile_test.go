package api_test

import (
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// TestHostileRequests sends requests an attacker or a broken client would
// send. Each gets its specific error, and none changes anything: the state a
// super admin sees is the same before and after.
func TestHostileRequests(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		clerk, super := e.token[ledger.RoleAdmin], e.token[ledger.RoleSuperAdmin]
		cid, acc := e.customer("13800000099", 10000)
		othersTopUp := e.do("POST", "/api/v1/topups", super, map[string]any{"customer_id": cid, "currency": "USD", "amount": "1.00", "payment_method": "1"}).want(201).str("id")
		charge := e.do("POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}).want(201).str("id")
		reversal := e.do("POST", "/api/v1/transactions/"+charge+"/reverse", clerk, map[string]any{}).want(201).str("id")
		hold := e.do("POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "1.00"}).want(201).str("id")
		checker := e.token[ledger.RoleReviewer]
		e.do("PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"JPY": "100"}}).want(200)
		bigJPY := map[string]any{"customer_id": cid, "currency": "JPY", "direction": "credit", "amount": "100", "reason": "other", "note": "x"}
		clerksApproval := e.do("POST", "/api/v1/adjustments", clerk, bigJPY).want(202).str("id")
		ownApproval := e.do("POST", "/api/v1/adjustments", super, bigJPY).want(202).str("id")
		otherCustomer, _ := e.customer("13800000098", 0)
		link := e.do("POST", "/api/v1/customers/"+cid+"/statement-links", clerk, map[string]any{"expires_in_days": 3}).want(201).str("id")
		hook := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://hooks.example.com/hostile", "events": []string{"topup.approved"}}).want(201).str("id")
		promo := e.do("POST", "/api/v1/promotions", super, map[string]any{"name": "Hostile", "currency": "USD", "bonus_percent": "5",
			"valid_from": "2026-12-01T00:00:00Z"}).want(201).str("id")
		// rule is a valid new promotion rule with changes; nil removes a field.
		rule := func(changes map[string]any) map[string]any {
			m := map[string]any{"name": "Spring", "currency": "USD", "min_amount": "100.00", "bonus_percent": "10", "valid_from": "2026-12-01T00:00:00Z"}
			for k, v := range changes {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			return m
		}

		snapshot := func() string {
			var b strings.Builder
			for _, p := range []string{"/api/v1/customers?limit=500", "/api/v1/accounts?limit=500", "/api/v1/transactions?limit=500",
				"/api/v1/topups?limit=500", "/api/v1/admins", "/api/v1/tokens", "/api/v1/settings", "/api/v1/payment-methods",
				"/api/v1/webhooks", "/api/v1/approvals?limit=500", "/api/v1/webhooks/" + hook + "/deliveries", "/api/v1/holds?limit=500",
				"/api/v1/audit?object_type=webhook&object_id=" + hook,
				"/api/v1/customers/" + cid + "/statement-links", "/api/v1/customers/" + otherCustomer + "/statement-links",
				"/api/v1/promotions", "/api/v1/audit?object_type=promotion"} {
				b.Write(e.do("GET", p, super, nil).want(200).Body)
			}
			return b.String()
		}
		deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
		cases := []struct {
			name         string
			method, path string
			token        string
			body         any
			hdr          []string
			status       int
			code         string
		}{
			{"overflowing amount", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "92233720368547758.08"}, nil, 422, "validation_failed"},
			{"amount of 40 digits", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": strings.Repeat("9", 40)}, nil, 422, "validation_failed"},
			{"full-width digits", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "１２"}, nil, 422, "validation_failed"},
			{"Arabic-Indic digits", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "١٢", "reason": "other", "note": "x"}, nil, 422, "validation_failed"},
			{"exponent", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1e2"}, nil, 422, "validation_failed"},
			{"JSON number amount", "POST", "/api/v1/charges", clerk, `{"account_id":"` + acc + `","amount":1.5}`, nil, 422, "validation_failed"},
			{"negative amount", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "-5.00"}, nil, 422, "validation_failed"},
			{"extra decimals", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "0.001"}, nil, 422, "validation_failed"},
			{"NUL in a note", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00", "note": "a\x00b"}, nil, 422, "validation_failed"},
			{"NUL in a name", "POST", "/api/v1/customers", clerk, map[string]any{"name": "Eve\x00"}, nil, 422, "validation_failed"},
			{"10 MB body", "POST", "/api/v1/customers", clerk, `{"name":"` + strings.Repeat("x", 10<<20) + `"}`, nil, 413, "too_large"},
			{"deep JSON", "POST", "/api/v1/customers", clerk, deep, nil, 400, "bad_request"},
			{"duplicate JSON keys", "POST", "/api/v1/charges", clerk, `{"account_id":"` + acc + `","amount":"1.00","amount":"99.00"}`, nil, 400, "bad_request"},
			{"invalid UTF-8", "POST", "/api/v1/customers", clerk, []byte("{\"name\":\"\xff\xfe\"}"), nil, 400, "bad_request"},
			{"malformed JSON", "POST", "/api/v1/customers", clerk, `{"name":`, nil, 400, "bad_request"},
			{"unknown field", "POST", "/api/v1/customers", clerk, map[string]any{"name": "X", "is_admin": true}, nil, 400, "bad_request"},
			{"wrong content type", "POST", "/api/v1/customers", clerk, `name=X`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
			{"forged cursor", "GET", "/api/v1/accounts?cursor=eyJpIjotMX0", clerk, nil, nil, 422, "validation_failed"},
			{"cursor of garbage", "GET", "/api/v1/transactions?cursor=%27%3B%20DROP%20TABLE%20entries%3B--", clerk, nil, nil, 422, "validation_failed"},
			{"limit too large", "GET", "/api/v1/customers?limit=100000", clerk, nil, nil, 422, "validation_failed"},
			{"unknown currency", "POST", "/api/v1/adjustments", clerk, map[string]any{"customer_id": cid, "currency": "XTS1", "direction": "credit", "amount": "1", "reason": "other", "note": "x"}, nil, 422, "validation_failed"},
			{"lower-case currency", "POST", "/api/v1/accounts", clerk, map[string]any{"customer_id": cid, "currency": "eur"}, nil, 422, "validation_failed"},
			{"SQL in a filter date", "GET", "/api/v1/transactions?from=2026-01-01%27%20OR%201=1", clerk, nil, nil, 422, "validation_failed"},
			{"path traversal in a voucher id", "GET", "/api/v1/vouchers/..%2F..%2Fetc%2Fpasswd", clerk, nil, nil, 404, "not_found"},
			{"id beyond int64", "GET", "/api/v1/accounts/99999999999999999999", clerk, nil, nil, 404, "not_found"},
			{"id with leading zero", "GET", "/api/v1/accounts/0" + acc, clerk, nil, nil, 404, "not_found"},
			{"negative id", "POST", "/api/v1/transactions/-1/reverse", clerk, map[string]any{}, nil, 404, "not_found"},
			{"idempotency key of 300 characters", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, []string{"Idempotency-Key", strings.Repeat("k", 300)}, 422, "validation_failed"},
			{"token of non-ASCII bytes", "GET", "/api/v1/me", "cfr_\u00e9\u00e9", nil, nil, 401, "unauthorized"},
			{"token of 8,000 characters", "GET", "/api/v1/me", strings.Repeat("A", 8000), nil, nil, 401, "unauthorized"},
			{"SQL as a token", "GET", "/api/v1/me", "' OR '1'='1", nil, nil, 401, "unauthorized"},
			{"someone else's top-up: edit", "PATCH", "/api/v1/topups/" + othersTopUp, clerk, map[string]any{"amount": "999.00"}, nil, 403, "forbidden"},
			{"someone else's top-up: cancel", "POST", "/api/v1/topups/" + othersTopUp + "/cancel", clerk, nil, nil, 403, "forbidden"},
			{"someone else's operation records", "GET", "/api/v1/audit?actor_id=" + e.admin[ledger.RoleSuperAdmin], clerk, nil, nil, 403, "forbidden"},
			{"own top-up approval", "POST", "/api/v1/topups/" + othersTopUp + "/approve", super, map[string]any{}, nil, 403, "self_approval"},
			{"reversing a reversal", "POST", "/api/v1/transactions/" + reversal + "/reverse", clerk, map[string]any{}, nil, 422, "validation_failed"},
			{"a role's forbidden field", "PATCH", "/api/v1/accounts/" + acc, clerk, map[string]any{"credit_limit": "1000000.00"}, nil, 403, "forbidden"},
			{"time zone as a path", "PATCH", "/api/v1/settings", super, map[string]any{"timezone": "../../../etc/passwd"}, nil, 422, "validation_failed"},
			{"a password of 10,000 characters", "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": strings.Repeat("p", 10000)}, nil, 422, "validation_failed"},
			{"a phone of letters", "POST", "/api/v1/customers", clerk, map[string]any{"name": "X", "phone": "call me maybe"}, nil, 422, "validation_failed"},
			{"both account and customer", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "customer_id": cid, "currency": "USD", "direction": "credit", "amount": "1", "reason": "other", "note": "x"}, nil, 422, "validation_failed"},
			{"webhook-style script in reason", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "1", "reason": "<script>", "note": "x"}, nil, 422, "validation_failed"},
			{"approval on a version never current", "POST", "/api/v1/topups/" + othersTopUp + "/approve", e.token[ledger.RoleReviewer], map[string]any{"version": 0}, []string{"Idempotency-Key", "stale-1"}, 409, "stale_version"},
			{"approval on a future version", "POST", "/api/v1/topups/" + othersTopUp + "/approve", e.token[ledger.RoleReviewer], map[string]any{"version": 2, "actual_amount": "999.00"}, nil, 409, "stale_version"},
			{"rejection on a stale version", "POST", "/api/v1/topups/" + othersTopUp + "/reject", e.token[ledger.RoleReviewer], map[string]any{"version": -1, "remark": "x"}, nil, 409, "stale_version"},
			{"version as a string", "POST", "/api/v1/topups/" + othersTopUp + "/approve", e.token[ledger.RoleReviewer], `{"version":"1"}`, nil, 422, "validation_failed"},
			{"version as a fraction", "POST", "/api/v1/topups/" + othersTopUp + "/approve", e.token[ledger.RoleReviewer], `{"version":1.5}`, nil, 422, "validation_failed"},
			{"account edit on a stale version", "PATCH", "/api/v1/accounts/" + acc, super, map[string]any{"credit_limit": "1000000.00", "status": "frozen", "version": 0}, nil, 409, "stale_version"},
			{"alert amount on a stale version", "PATCH", "/api/v1/accounts/" + acc, clerk, map[string]any{"alert_amount": "5.00", "version": 99}, nil, 409, "stale_version"},
			{"balance range of garbage without a currency", "GET", "/api/v1/accounts?balance_min=1e3", clerk, nil, nil, 422, "validation_failed"},
			// SPEC section 7: what a client sends is read exactly as the contract says.
			{"a member in capitals beside its twin", "POST", "/api/v1/charges", clerk, `{"account_id":"` + acc + `","amount":"1.00","AMOUNT":"9.00"}`, nil, 400, "bad_request"},
			{"direction overridden in capitals", "POST", "/api/v1/adjustments", clerk, `{"account_id":"` + acc + `","direction":"credit","DIRECTION":"debit","amount":"1.00","reason":"other","note":"x"}`, nil, 400, "bad_request"},
			{"role in capitals", "PATCH", "/api/v1/admins/" + e.admin[ledger.RoleAdmin], super, `{"ROLE":"super_admin"}`, nil, 400, "bad_request"},
			{"a member spelt with the long s", "POST", "/api/v1/adjustments", clerk, `{"account_id":"` + acc + `","direction":"credit","amount":"1.00","reason":"other","reaſon":"refund","note":"x"}`, nil, 400, "bad_request"},
			{"a form-encoded charge", "POST", "/api/v1/charges", clerk, "account_id=" + acc + "&amount=1.00", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
			{"JSON with no content type", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, []string{"Content-Type", ""}, 415, "unsupported_media_type"},
			{"JSON in Latin-1", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, []string{"Content-Type", "application/json; charset=iso-8859-1"}, 415, "unsupported_media_type"},
			{"a blank idempotency key", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, []string{"Idempotency-Key", "  "}, 422, "validation_failed"},
			{"an empty idempotency key", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, []string{"Idempotency-Key", ""}, 422, "validation_failed"},
			{"an unknown path", "POST", "/api/v1/charge", clerk, map[string]any{"account_id": acc, "amount": "1.00"}, nil, 404, "not_found"},
			{"an unknown method", "DELETE", "/api/v1/transactions/" + charge, clerk, nil, nil, 405, "method_not_allowed"},
			{"a required field left out", "POST", "/api/v1/charges", clerk, map[string]any{"amount": "1.00"}, nil, 422, "validation_failed"},
			{"an amount past 10^15 minor units", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "10000000000000.01", "reason": "other", "note": "x"}, nil, 422, "validation_failed"},
			{"bonus on a debit", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "debit", "amount": "1", "reason": "promotion", "note": "x", "bonus": true}, nil, 422, "validation_failed"},
			{"bonus with another reason", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "1", "reason": "refund", "note": "x", "bonus": true}, nil, 422, "validation_failed"},
			{"bonus expiry without bonus", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "1", "reason": "promotion", "note": "x", "bonus_expires_at": "2099-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"bonus expiring in the past", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "1", "reason": "promotion", "note": "x", "bonus": true, "bonus_expires_at": "2001-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"bonus expiry not a time", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "1", "reason": "promotion", "note": "x", "bonus": true, "bonus_expires_at": "next week"}, nil, 422, "validation_failed"},
			{"bonus as a string", "POST", "/api/v1/adjustments", clerk, map[string]any{"account_id": acc, "direction": "credit", "amount": "1", "reason": "promotion", "note": "x", "bonus": "yes"}, nil, 422, "validation_failed"},
			{"unknown spend order", "PATCH", "/api/v1/settings", super, map[string]any{"spend_order": "newest_first"}, nil, 422, "validation_failed"},
			{"spend order by an admin", "PATCH", "/api/v1/settings", clerk, map[string]any{"spend_order": "principal_first"}, nil, 403, "forbidden"},
			{"a charge past 10^15 minor units", "POST", "/api/v1/charges", clerk, map[string]any{"account_id": acc, "amount": "40000000000000000.00"}, nil, 422, "validation_failed"},
			{"a username differing only in case", "POST", "/api/v1/admins", super, map[string]any{"username": "CLERK", "role": "super_admin", "password": password}, nil, 409, "already_exists"},
			{"a username of other scripts", "POST", "/api/v1/admins", super, map[string]any{"username": "clerkİ", "role": "admin", "password": password}, nil, 422, "validation_failed"},
			{"paid in year 0", "POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "1.00", "payment_method": "1", "paid_at": "0000-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"paid in ten years", "POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "1.00", "payment_method": "1", "paid_at": "2036-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"a correction paid in year 1", "PATCH", "/api/v1/topups/" + othersTopUp, super, map[string]any{"paid_at": "0001-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"a secret's grace of eight days", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, map[string]any{"grace_hours": 169}, nil, 422, "validation_failed"},
			{"a negative grace", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, map[string]any{"grace_hours": -1}, nil, 422, "validation_failed"},
			{"a grace as a string", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, `{"grace_hours":"24"}`, nil, 422, "validation_failed"},
			{"a grace as a fraction", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, `{"grace_hours":1.5}`, nil, 422, "validation_failed"},
			{"a new secret too short", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, map[string]any{"secret": "abc"}, nil, 422, "validation_failed"},
			{"a new secret with spaces", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, map[string]any{"secret": "sixteen chars and more"}, nil, 422, "validation_failed"},
			{"a rotation with an unknown field", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", super, map[string]any{"previous_secret": "x"}, nil, 400, "bad_request"},
			{"a rotation by an admin", "POST", "/api/v1/webhooks/" + hook + "/rotate-secret", clerk, map[string]any{}, nil, 403, "forbidden"},
			{"a rotation of no webhook", "POST", "/api/v1/webhooks/999999/rotate-secret", super, map[string]any{}, nil, 404, "not_found"},
			{"a ping by an admin", "POST", "/api/v1/webhooks/" + hook + "/ping", clerk, nil, nil, 403, "forbidden"},
			{"a ping of no webhook", "POST", "/api/v1/webhooks/999999/ping", super, nil, nil, 404, "not_found"},
			{"a hold past the funds", "POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "99999.00"}, nil, 422, "insufficient_funds"},
			{"a hold of a negative amount", "POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "-1.00"}, nil, 422, "validation_failed"},
			{"a hold with extra decimals", "POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "1.001"}, nil, 422, "validation_failed"},
			{"a hold as a JSON number", "POST", "/api/v1/holds", clerk, `{"account_id":"` + acc + `","amount":1}`, nil, 422, "validation_failed"},
			{"a hold running out in a year", "POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "1.00", "expires_at": "2036-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"a hold already run out", "POST", "/api/v1/holds", clerk, map[string]any{"account_id": acc, "amount": "1.00", "expires_at": "2020-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"a hold on no account", "POST", "/api/v1/holds", clerk, map[string]any{"account_id": "999999", "amount": "1.00"}, nil, 404, "not_found"},
			{"a hold with the amount twice", "POST", "/api/v1/holds", clerk, `{"account_id":"` + acc + `","amount":"1.00","amount":"2.00"}`, nil, 400, "bad_request"},
			{"a hold by a reviewer", "POST", "/api/v1/holds", e.token[ledger.RoleReviewer], map[string]any{"account_id": acc, "amount": "1.00"}, nil, 403, "forbidden"},
			{"a capture above the hold", "POST", "/api/v1/holds/" + hold + "/capture", clerk, map[string]any{"amount": "1.01"}, nil, 422, "validation_failed"},
			{"a capture of zero", "POST", "/api/v1/holds/" + hold + "/capture", clerk, map[string]any{"amount": "0.00"}, nil, 422, "validation_failed"},
			{"a capture of no hold", "POST", "/api/v1/holds/999999/capture", clerk, map[string]any{}, nil, 404, "not_found"},
			{"a release of no hold", "POST", "/api/v1/holds/999999/release", clerk, nil, nil, 404, "not_found"},
			{"a release by a reviewer", "POST", "/api/v1/holds/" + hold + "/release", e.token[ledger.RoleReviewer], nil, nil, 403, "forbidden"},
			{"a phone region in lower case", "PATCH", "/api/v1/settings", super, map[string]any{"phone_region": "cn"}, nil, 422, "validation_failed"},
			{"a phone region that is no region", "PATCH", "/api/v1/settings", super, map[string]any{"phone_region": "XX"}, nil, 422, "validation_failed"},
			{"a phone region of three letters", "PATCH", "/api/v1/settings", super, map[string]any{"phone_region": "CHN"}, nil, 422, "validation_failed"},
			{"a phone region as a number", "PATCH", "/api/v1/settings", super, `{"phone_region":86}`, nil, 422, "validation_failed"},
			{"a phone region by an admin", "PATCH", "/api/v1/settings", clerk, map[string]any{"phone_region": "CN"}, nil, 403, "forbidden"},
			{"approval version as a string", "POST", "/api/v1/approvals/" + clerksApproval + "/approve", checker, `{"version":"1"}`, nil, 422, "validation_failed"},
			{"approval version as a fraction", "POST", "/api/v1/approvals/" + clerksApproval + "/approve", checker, `{"version":1.5}`, nil, 422, "validation_failed"},
			{"approval remark as a number", "POST", "/api/v1/approvals/" + clerksApproval + "/reject", checker, `{"remark":7}`, nil, 422, "validation_failed"},
			{"approval on a stale version", "POST", "/api/v1/approvals/" + clerksApproval + "/approve", checker, map[string]any{"version": 5}, []string{"Idempotency-Key", "stale-a"}, 409, "stale_version"},
			{"rejection on a stale version", "POST", "/api/v1/approvals/" + clerksApproval + "/reject", checker, map[string]any{"version": 0, "remark": "x"}, nil, 409, "stale_version"},
			{"own approval", "POST", "/api/v1/approvals/" + ownApproval + "/approve", super, map[string]any{}, nil, 403, "self_approval"},
			{"own rejection", "POST", "/api/v1/approvals/" + ownApproval + "/reject", super, map[string]any{"remark": "mine"}, nil, 403, "self_approval"},
			{"rejection without a remark", "POST", "/api/v1/approvals/" + clerksApproval + "/reject", checker, map[string]any{}, nil, 422, "validation_failed"},
			{"rejection with a remark of 1001 characters", "POST", "/api/v1/approvals/" + clerksApproval + "/reject", checker, map[string]any{"remark": strings.Repeat("r", 1001)}, nil, 422, "validation_failed"},
			{"someone else's approval: cancel", "POST", "/api/v1/approvals/" + clerksApproval + "/cancel", super, nil, nil, 403, "forbidden"},
			{"approval by an admin", "POST", "/api/v1/approvals/" + ownApproval + "/approve", clerk, map[string]any{}, nil, 403, "forbidden"},
			{"unknown approval", "GET", "/api/v1/approvals/999999", clerk, nil, nil, 404, "not_found"},
			{"unknown approval: approve", "POST", "/api/v1/approvals/999999/approve", checker, map[string]any{}, nil, 404, "not_found"},
			{"unknown approval: cancel", "POST", "/api/v1/approvals/999999/cancel", clerk, nil, nil, 404, "not_found"},
			{"approvals of an unknown kind", "GET", "/api/v1/approvals?kind=refund", clerk, nil, nil, 422, "validation_failed"},
			{"threshold with extra decimals", "PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"USD": "1000.001"}}, nil, 422, "validation_failed"},
			{"threshold with decimals JPY has not", "PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"JPY": "100.5"}}, nil, 422, "validation_failed"},
			{"threshold in an unknown currency", "PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"XTS1": "1.00"}}, nil, 422, "validation_failed"},
			{"threshold as a JSON number", "PATCH", "/api/v1/settings", super, `{"approval_thresholds":{"USD":1000}}`, nil, 422, "validation_failed"},
			{"threshold of zero", "PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"USD": "0.00"}}, nil, 422, "validation_failed"},
			{"negative threshold", "PATCH", "/api/v1/settings", super, map[string]any{"approval_thresholds": map[string]string{"USD": "-5.00"}}, nil, 422, "validation_failed"},
			{"approve_credit_changes as a string", "PATCH", "/api/v1/settings", super, `{"approve_credit_changes":"yes"}`, nil, 422, "validation_failed"},
			{"thresholds by an admin", "PATCH", "/api/v1/settings", clerk, map[string]any{"approval_thresholds": map[string]string{"USD": "1.00"}}, nil, 403, "forbidden"},
			{"a ping of a webhook id of letters", "POST", "/api/v1/webhooks/abc/ping", super, nil, nil, 404, "not_found"},
			// Customer mail and statements (SPEC 10).
			{"a customer language nobody speaks here", "POST", "/api/v1/customers", clerk, map[string]any{"name": "Eve", "locale": "fr"}, nil, 422, "validation_failed"},
			{"a customer language in other case", "PATCH", "/api/v1/customers/" + cid, clerk, map[string]any{"locale": "ZH-cn"}, nil, 422, "validation_failed"},
			{"a mail toggle as a string", "PATCH", "/api/v1/customers/" + cid, clerk, `{"notify":{"topup":"no"}}`, nil, 422, "validation_failed"},
			{"a mail toggle nobody knows", "PATCH", "/api/v1/customers/" + cid, clerk, map[string]any{"notify": map[string]any{"sms": true}}, nil, 400, "bad_request"},
			{"a mail toggle twice", "PATCH", "/api/v1/customers/" + cid, clerk, `{"notify":{"topup":true,"topup":false}}`, nil, 400, "bad_request"},
			{"a mail server with a port of 0", "PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"host": "smtp.example.com", "port": 0, "from": "a@b.example"}}, nil, 422, "validation_failed"},
			{"a mail server with a port of 70000", "PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"host": "smtp.example.com", "port": 70000, "from": "a@b.example"}}, nil, 422, "validation_failed"},
			{"a mail server host with a path", "PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"host": "smtp.example.com/x", "port": 587, "from": "a@b.example"}}, nil, 422, "validation_failed"},
			{"a sender that is no address", "PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"host": "smtp.example.com", "port": 587, "from": "billing"}}, nil, 422, "validation_failed"},
			{"a sender without a server", "PATCH", "/api/v1/settings", super, map[string]any{"smtp": map[string]any{"from": "a@b.example"}}, nil, 422, "validation_failed"},
			{"a mail server by an admin", "PATCH", "/api/v1/settings", clerk, map[string]any{"smtp": map[string]any{"host": "smtp.example.com"}}, nil, 403, "forbidden"},
			{"a business name of 201 characters", "PATCH", "/api/v1/settings", super, map[string]any{"business_name": strings.Repeat("商", 201)}, nil, 422, "validation_failed"},
			{"a test mail to no address", "POST", "/api/v1/settings/test-mail", super, map[string]any{"to": "nobody"}, nil, 422, "validation_failed"},
			{"a test mail with no server set up", "POST", "/api/v1/settings/test-mail", super, map[string]any{"to": "ops@shop.example"}, nil, 422, "validation_failed"},
			{"a test mail by an admin", "POST", "/api/v1/settings/test-mail", clerk, map[string]any{"to": "ops@shop.example"}, nil, 403, "forbidden"},
			{"a statement from after its end", "GET", "/api/v1/customers/" + cid + "/statement?from=2026-11-30&to=2026-11-01", clerk, nil, nil, 422, "validation_failed"},
			{"a statement from a date that is none", "GET", "/api/v1/customers/" + cid + "/statement?from=2026-02-30", clerk, nil, nil, 422, "validation_failed"},
			{"a statement in a currency the customer has not", "GET", "/api/v1/customers/" + cid + "/statement?currency=EUR", clerk, nil, nil, 422, "validation_failed"},
			{"a statement in a language nobody speaks here", "GET", "/api/v1/customers/" + cid + "/statement?lang=fr", clerk, nil, nil, 422, "validation_failed"},
			{"a statement of no customer", "GET", "/api/v1/customers/999999/statement", clerk, nil, nil, 404, "not_found"},
			{"a statement link of 91 days", "POST", "/api/v1/customers/" + cid + "/statement-links", clerk, map[string]any{"expires_in_days": 91}, nil, 422, "validation_failed"},
			{"a statement link of -1 days", "POST", "/api/v1/customers/" + cid + "/statement-links", clerk, map[string]any{"expires_in_days": -1}, nil, 422, "validation_failed"},
			{"a statement link's days as a string", "POST", "/api/v1/customers/" + cid + "/statement-links", clerk, `{"expires_in_days":"30"}`, nil, 422, "validation_failed"},
			{"a statement link for no customer", "POST", "/api/v1/customers/999999/statement-links", clerk, map[string]any{"expires_in_days": 1}, nil, 404, "not_found"},
			{"a statement link by a reviewer", "POST", "/api/v1/customers/" + cid + "/statement-links", checker, map[string]any{"expires_in_days": 1}, nil, 403, "forbidden"},
			{"revoking another customer's link", "DELETE", "/api/v1/customers/" + otherCustomer + "/statement-links/" + link, clerk, nil, nil, 404, "not_found"},
			{"revoking a link of letters", "DELETE", "/api/v1/customers/" + cid + "/statement-links/abc", clerk, nil, nil, 404, "not_found"},
			{"the mail log of a customer of letters", "GET", "/api/v1/notifications?customer_id=abc", clerk, nil, nil, 422, "validation_failed"},
			{"the mail log in a state nobody knows", "GET", "/api/v1/notifications?status=lost", clerk, nil, nil, 422, "validation_failed"},
			// Promotion rules (SPEC 11).
			{"a promotion with both kinds of bonus", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_fixed": "1.00"}), nil, 422, "validation_failed"},
			{"a promotion with no bonus", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": nil}), nil, 422, "validation_failed"},
			{"a promotion with a bonus of zero", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": "0"}), nil, 422, "validation_failed"},
			{"a negative fixed bonus", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": nil, "bonus_fixed": "-1.00"}), nil, 422, "validation_failed"},
			{"a negative percentage", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": "-5"}), nil, 422, "validation_failed"},
			{"a negative minimum", "POST", "/api/v1/promotions", super, rule(map[string]any{"min_amount": "-5.00"}), nil, 422, "validation_failed"},
			{"a percentage with three decimals", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": "12.345"}), nil, 422, "validation_failed"},
			{"a percentage with a percent sign", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": "10%"}), nil, 422, "validation_failed"},
			{"a percentage above 100", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": "100.01"}), nil, 422, "validation_failed"},
			{"a percentage of 40 digits", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": strings.Repeat("9", 40)}), nil, 422, "validation_failed"},
			{"a fixed bonus with extra decimals", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": nil, "bonus_fixed": "1.001"}), nil, 422, "validation_failed"},
			{"a minimum with decimals JPY has not", "POST", "/api/v1/promotions", super, rule(map[string]any{"currency": "JPY", "min_amount": "100.5"}), nil, 422, "validation_failed"},
			{"a percentage as a JSON number", "POST", "/api/v1/promotions", super, `{"name":"N","currency":"USD","bonus_percent":12.5,"valid_from":"2026-12-01T00:00:00Z"}`, nil, 422, "validation_failed"},
			{"a minimum as a JSON number", "POST", "/api/v1/promotions", super, `{"name":"N","currency":"USD","min_amount":100,"bonus_percent":"5","valid_from":"2026-12-01T00:00:00Z"}`, nil, 422, "validation_failed"},
			{"a promotion in an unknown currency", "POST", "/api/v1/promotions", super, rule(map[string]any{"currency": "XTS1"}), nil, 422, "validation_failed"},
			{"a promotion in a lower-case currency", "POST", "/api/v1/promotions", super, rule(map[string]any{"currency": "usd"}), nil, 422, "validation_failed"},
			{"a minimum past int64", "POST", "/api/v1/promotions", super, rule(map[string]any{"min_amount": "92233720368547758.08"}), nil, 422, "validation_failed"},
			{"a fixed bonus past 10^15 minor units", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_percent": nil, "bonus_fixed": "10000000000000.01"}), nil, 422, "validation_failed"},
			{"a promotion ending before it starts", "POST", "/api/v1/promotions", super, rule(map[string]any{"valid_to": "2026-11-30T23:59:59Z"}), nil, 422, "validation_failed"},
			{"a promotion ending as it starts", "POST", "/api/v1/promotions", super, rule(map[string]any{"valid_to": "2026-12-01T00:00:00Z"}), nil, 422, "validation_failed"},
			{"a promotion start that is no time", "POST", "/api/v1/promotions", super, rule(map[string]any{"valid_from": "tomorrow"}), nil, 422, "validation_failed"},
			{"a promotion without a start", "POST", "/api/v1/promotions", super, rule(map[string]any{"valid_from": nil}), nil, 422, "validation_failed"},
			{"a promotion without a name", "POST", "/api/v1/promotions", super, rule(map[string]any{"name": " "}), nil, 422, "validation_failed"},
			{"a promotion name of 201 characters", "POST", "/api/v1/promotions", super, rule(map[string]any{"name": strings.Repeat("促", 201)}), nil, 422, "validation_failed"},
			{"bonus days as a string", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_expires_in_days": "30"}), nil, 422, "validation_failed"},
			{"bonus days as a fraction", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_expires_in_days": 1.5}), nil, 422, "validation_failed"},
			{"bonus days of 3651", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_expires_in_days": 3651}), nil, 422, "validation_failed"},
			{"negative bonus days", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_expires_in_days": -1}), nil, 422, "validation_failed"},
			{"a promotion bonus given twice", "POST", "/api/v1/promotions", super, `{"name":"N","currency":"USD","bonus_percent":"5","bonus_percent":"90","valid_from":"2026-12-01T00:00:00Z"}`, nil, 400, "bad_request"},
			{"a promotion bonus in capitals beside its twin", "POST", "/api/v1/promotions", super, `{"name":"N","currency":"USD","bonus_percent":"5","BONUS_PERCENT":"90","valid_from":"2026-12-01T00:00:00Z"}`, nil, 400, "bad_request"},
			{"a promotion with an unknown field", "POST", "/api/v1/promotions", super, rule(map[string]any{"bonus_kind": "percent"}), nil, 400, "bad_request"},
			{"a promotion by an admin", "POST", "/api/v1/promotions", clerk, rule(nil), nil, 403, "forbidden"},
			{"a promotion by a reviewer", "POST", "/api/v1/promotions", checker, rule(nil), nil, 403, "forbidden"},
			{"a promotion change by an admin", "PATCH", "/api/v1/promotions/" + promo, clerk, map[string]any{"version": 1, "bonus_percent": "50"}, nil, 403, "forbidden"},
			{"a promotion change on a stale version", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"version": 0, "bonus_percent": "50"}, nil, 409, "stale_version"},
			{"a promotion change on a future version", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"version": 2, "bonus_percent": "50"}, nil, 409, "stale_version"},
			{"a promotion change without a version", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"bonus_percent": "50"}, nil, 422, "validation_failed"},
			{"a promotion version as a string", "PATCH", "/api/v1/promotions/" + promo, super, `{"version":"1","bonus_percent":"50"}`, nil, 422, "validation_failed"},
			{"a promotion change with both kinds", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"version": 1, "bonus_percent": "50", "bonus_fixed": "1.00"}, nil, 422, "validation_failed"},
			{"a promotion change of its currency", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"version": 1, "currency": "EUR"}, nil, 400, "bad_request"},
			{"a promotion change ending before it starts", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"version": 1, "valid_to": "2020-01-01T00:00:00Z"}, nil, 422, "validation_failed"},
			{"a promotion end that is no time", "PATCH", "/api/v1/promotions/" + promo, super, map[string]any{"version": 1, "valid_to": "soon"}, nil, 422, "validation_failed"},
			{"a promotion of letters", "GET", "/api/v1/promotions/abc", clerk, nil, nil, 404, "not_found"},
			{"a change of no promotion", "PATCH", "/api/v1/promotions/999999", super, map[string]any{"version": 1}, nil, 404, "not_found"},
		}
		if len(cases) < 30 {
			t.Fatalf("only %d hostile cases", len(cases))
		}
		before := snapshot()
		for _, c := range cases {
			r := e.do(c.method, c.path, c.token, c.body, c.hdr...)
			if r.Code != c.status || r.str("code") != c.code {
				t.Errorf("%s: %s %s = %d %.200s; want %d %s", c.name, c.method, c.path, r.Code, r.Body, c.status, c.code)
			}
		}
		if after := snapshot(); after != before {
			t.Error("hostile requests changed the state")
		}
		// Text an attacker hoped would be code stays text.
		sqlName := `Robert'); DROP TABLE customers;--`
		id := e.do("POST", "/api/v1/customers", clerk, map[string]any{"name": sqlName, "remark": "=HYPERLINK(\"http://evil\")"}).want(201).str("id")
		if got := e.do("GET", "/api/v1/customers/"+id, clerk, nil).want(200).str("name"); got != sqlName {
			t.Errorf("name stored as %q", got)
		}
		if n := len(e.do("GET", "/api/v1/customers?q=%25%27%20OR%201%3D1", clerk, nil).want(200).items()); n != 0 {
			t.Errorf("a LIKE/SQL pattern in q matched %d customers", n)
		}
		_, rows := exportCSV2(t, e, "/api/v1/customers", clerk)
		for _, row := range rows {
			for _, cell := range row {
				if strings.HasPrefix(cell, "=") {
					t.Errorf("CSV cell %q would run as a formula", cell)
				}
			}
		}
		// Every answer carries the security headers.
		r := e.do("GET", "/api/v1/me", clerk, nil)
		for _, h := range []string{"X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy", "X-Frame-Options"} {
			if r.Header.Get(h) == "" {
				t.Errorf("API answers lack %s", h)
			}
		}
	})
}
