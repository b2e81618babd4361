package web_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"coffer/internal/ledger"
	"coffer/internal/store"
	"coffer/internal/testdb"
)

// reviewForm reads the approve form of request id from a recharge audit
// page: its form token, the version it shows and the amount it offers
// ("" for what the form lacks).
func reviewForm(t *testing.T, body, id string) (token, version, amount string) {
	t.Helper()
	form := regexp.MustCompile(`(?s)<form method="post" action="/topups/` + id + `/approve">(.*?)</form>`).FindStringSubmatch(body)
	if form == nil {
		t.Fatalf("no approve form for request %s in:\n%s", id, body)
	}
	field := func(re string) string {
		if m := regexp.MustCompile(re).FindStringSubmatch(form[1]); m != nil {
			return m[1]
		}
		return ""
	}
	return field(`name="form_token" value="([^"]+)"`), field(`name="version" value="([^"]*)"`), field(`name="actual_amount"[^>]*value="([^"]*)"`)
}

// submitRecharge makes a customer with a USD account and a pending request
// of amount by the clerk; it returns the request's and the account's ids.
func submitRecharge(t *testing.T, s *site, clerk *browser, name, amount string) (string, int64) {
	t.Helper()
	_, _, loc := clerk.post("/customers/new", clerk.form("name", name, "default_currency", "USD"))
	cid := strings.TrimSuffix(strings.TrimPrefix(loc, "/customers/"), "?done=saved")
	code, _, loc := clerk.post("/recharge", clerk.form("customer_id", cid, "currency", "USD", "amount", amount, "payment_method", "1", "form_token", "r-"+name))
	if code != 303 {
		t.Fatalf("recharge = %d", code)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/topups/"), "?done=submitted")
	tid, _ := strconv.ParseInt(id, 10, 64)
	tu, err := s.st.TopUpRequest(context.Background(), tid)
	if err != nil {
		t.Fatal(err)
	}
	return id, tu.AccountID
}

func (s *site) balance(id int64) int64 {
	s.t.Helper()
	a, err := s.st.Account(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return a.Balance
}

// TestStaleReviewFormCreditsNothing: the reviewer opens the recharge audit,
// the submitter corrects 10.00 to 9999.00, and the form still on the
// reviewer's screen is sent. Nothing is credited; the page comes back with
// the request as it is now, and approving that posts what it shows.
func TestStaleReviewFormCreditsNothing(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk, checker := s.login("clerk"), s.login("checker")
			id, acc := submitRecharge(t, s, clerk, "Stale", "10.00")
			_, page, _ := checker.get("/reviews")
			token, version, amount := reviewForm(t, page, id)
			if code, _, _ := clerk.post("/topups/"+id+"/edit", clerk.form("amount", "9999.00", "payment_method", "1")); code != 303 {
				t.Fatalf("correction = %d", code)
			}
			// The old form as it was on screen, and with the amount left
			// empty (as in the report).
			for _, actual := range []string{amount, ""} {
				code, body, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", token, "version", version, "actual_amount", actual))
				if code == 303 || s.balance(acc) != 0 {
					t.Fatalf("stale form with actual %q = %d, balance %d", actual, code, s.balance(acc))
				}
				if actual != "" && (code != 409 || !strings.Contains(body, "Someone changed this since you opened it")) {
					t.Errorf("stale form = %d without the stale message", code)
				}
			}
			if amount != "10.00" || version == "" {
				t.Fatalf("the form showed version %q and started the actual amount at %q, want the amount shown, 10.00", version, amount)
			}
			// A form without a version cannot say what it showed.
			if code, _, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", "t-none", "actual_amount", "9999.00")); code != 409 || s.balance(acc) != 0 {
				t.Errorf("form without a version = %d, balance %d", code, s.balance(acc))
			}
			code, body, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", token, "version", version, "actual_amount", amount))
			if code != 409 {
				t.Fatalf("stale form = %d", code)
			}
			token2, version2, amount2 := reviewForm(t, body, id)
			if amount2 != "9999.00" || version2 == version {
				t.Fatalf("the page after a stale form offers %q at version %s (was %s)", amount2, version2, version)
			}
			tid, _ := strconv.ParseInt(id, 10, 64)
			if tu, _ := s.st.TopUpRequest(context.Background(), tid); tu.Status != ledger.TopUpPending {
				t.Fatalf("request after stale forms: %+v", tu)
			}
			if code, _, loc := checker.post("/topups/"+id+"/approve", checker.form("form_token", token2, "version", version2, "actual_amount", amount2)); code != 303 || loc != "/reviews?done=approved" {
				t.Fatalf("approval of the current form = %d → %s", code, loc)
			}
			if b := s.balance(acc); b != 999900 {
				t.Errorf("balance %d, want 999900", b)
			}
		})
	}
}

// TestReviewFormFields: a bad or empty amount comes back beside its field,
// never as a silent zero or as the request's amount.
func TestReviewFormFields(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) { reviewFormFields(t, newSite(t, d)) })
	}
}

func reviewFormFields(t *testing.T, s *site) {
	clerk, checker := s.login("clerk"), s.login("checker")
	id, acc := submitRecharge(t, s, clerk, "Fields", "10.00")
	_, page, _ := checker.get("/reviews")
	token, version, _ := reviewForm(t, page, id)
	for _, bad := range []string{"", "1,000.00", "10.001", "0", "-5"} {
		code, body, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", token, "version", version, "actual_amount", bad, "remark", "kept"))
		if code != 422 || !strings.Contains(body, `id="e-actual_amount"`) || !strings.Contains(body, `value="kept"`) {
			t.Errorf("actual %q = %d; want 422 with the message beside the field and the remark kept", bad, code)
		}
	}
	code, body, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", token, "version", version, "actual_amount", "10.00", "exchange_rate", "abc"))
	if code != 422 || !strings.Contains(body, `id="e-exchange_rate"`) {
		t.Errorf("bad exchange rate = %d", code)
	}
	if s.balance(acc) != 0 {
		t.Fatalf("refused forms credited %d", s.balance(acc))
	}
	// Rejecting on a stale version changes nothing either.
	clerk.post("/topups/"+id+"/edit", clerk.form("amount", "11.00", "payment_method", "1"))
	if code, _, _ := checker.post("/topups/"+id+"/reject", checker.form("form_token", token+"r", "version", version)); code != 409 {
		t.Errorf("stale rejection = %d", code)
	}
	tid, _ := strconv.ParseInt(id, 10, 64)
	if tu, _ := s.st.TopUpRequest(context.Background(), tid); tu.Status != ledger.TopUpPending {
		t.Errorf("after a stale rejection: %s", tu.Status)
	}
}

// TestStaleAccountFormChangesNothing: two super admin screens on one
// account; the second one's form, older than the first one's change, is
// refused and the page shows the account as it is now.
func TestStaleAccountFormChangesNothing(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk := s.login("clerk")
			clerk.post("/customers/new", clerk.form("name", "Credit", "default_currency", "USD"))
			accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{Limit: 10})
			acc := itoa(accs[0].ID)
			one, two := s.login("root"), s.login("root")
			_, page, _ := two.get("/accounts/" + acc)
			m := regexp.MustCompile(`id="edit-form">\s*<input type="hidden" name="csrf" value="[0-9a-f]+"><input type="hidden" name="version" value="(\d+)">`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("the edit form carries no version:\n%s", page)
			}
			if code, _, _ := one.post("/accounts/"+acc+"/credit", one.form("credit_limit", "500.00", "overdraft", "0.00", "version", m[1])); code != 303 {
				t.Fatalf("first edit = %d", code)
			}
			code, body, _ := two.post("/accounts/"+acc+"/status", two.form("status", "disabled", "version", m[1]))
			if code != 409 || !strings.Contains(body, "Someone changed this since you opened it") || !strings.Contains(body, `name="credit_limit" inputmode="decimal" value="500.00"`) {
				t.Errorf("stale status form = %d; want 409 with the message and the account as it is now", code)
			}
			a, _ := s.st.Account(context.Background(), accs[0].ID)
			if a.Status != ledger.StatusNormal || a.CreditLimit != 50000 {
				t.Errorf("after the stale form: %+v", a)
			}
			if code, _, _ := two.post("/accounts/"+acc+"/alert", two.form("alert_amount", "1.00")); code != 409 {
				t.Errorf("form without a version = %d", code)
			}
			m = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
			if m == nil {
				t.Fatal("the page after a stale form has no version")
			}
			code, body, _ = two.post("/accounts/"+acc+"/credit", two.form("credit_limit", "5.001", "overdraft", "0.00", "version", m[1]))
			if code != 422 || !strings.Contains(body, `id="e-credit_limit"`) || !strings.Contains(body, `value="5.001"`) {
				t.Errorf("bad credit limit = %d; want 422 beside the field, with what was typed", code)
			}
		})
	}
}

// TestAccountListBalanceWithoutCurrency: the list filters by balance in
// each account's own currency when no currency is chosen.
func TestAccountListBalanceWithoutCurrency(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk := s.login("clerk")
			for _, c := range []struct{ name, cur string }{{"Dollar", "USD"}, {"Yen", "JPY"}, {"Dinar", "KWD"}} {
				clerk.post("/customers/new", clerk.form("name", c.name, "default_currency", c.cur))
			}
			accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{Limit: 10})
			for _, a := range accs {
				amount := map[string]int64{"USD": 999, "JPY": 10, "KWD": 10000}[a.Currency.Code()]
				if _, err := s.st.TopUp(context.Background(), ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: amount, PaymentMethod: "alipay"}); err != nil {
					t.Fatal(err)
				}
			}
			code, body, _ := clerk.get("/accounts?balance_min=10")
			if code != 200 || strings.Contains(body, `id="e-balance_min"`) || !strings.Contains(body, "Yen") || !strings.Contains(body, "Dinar") || strings.Contains(body, "Dollar") {
				t.Errorf("balance_min=10 without a currency = %d; want Yen and Dinar, not Dollar", code)
			}
			if _, body, _ := clerk.get("/accounts?balance_max=0.5"); strings.Contains(body, "Yen") || strings.Contains(body, "Dollar") {
				t.Error("balance_max=0.5 matched a balance above it")
			}
			if code, body, _ := clerk.get("/accounts?balance_min=1e3"); code != 200 || !strings.Contains(body, `id="e-balance_min"`) {
				t.Errorf("a bad bound = %d without a message beside the field", code)
			}
		})
	}
}
