package web_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// moneyCustomer makes a customer with a funded USD account through the
// store and returns it with the account.
func moneyCustomer(t *testing.T, s *site, nc ledger.NewCustomer, balance int64) (ledger.Customer, ledger.Account) {
	t.Helper()
	ctx := context.Background()
	root, _ := s.st.AdminByUsername(ctx, "root")
	actor := ledger.Actor{AdminID: root.ID, Name: "root", Role: ledger.RoleSuperAdmin}
	c, err := s.st.CreateCustomer(ctx, actor, nc)
	if err != nil {
		t.Fatal(err)
	}
	accs, err := s.st.Accounts(ctx, store.AccountFilter{CustomerID: c.ID, Limit: 10})
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts of a new customer: %v %v", accs, err)
	}
	if balance > 0 {
		if _, err := s.st.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: accs[0].ID}, Amount: balance, PaymentMethod: "alipay", Actor: actor}); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := s.st.Account(ctx, accs[0].ID)
	return c, a
}

// hx asks what htmx asks as the user types.
func (b *browser) hx(path string) (int, string) {
	req, _ := http.NewRequest("GET", b.s.url+path, nil)
	req.Header.Set("HX-Request", "true")
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestPickerFindsCustomersAndAccounts: the money forms' picker finds a
// customer by part of the name, the phone as typed with spaces, the
// email, and an account by its number; the number typed whole on the form
// chooses that account, and nobody is asked for an internal id.
func TestPickerFindsCustomersAndAccounts(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			c, a := moneyCustomer(t, s, ledger.NewCustomer{Name: "Harbour Freight Ltd", Phone: "+86 138 0013 8000", Email: "ops@harbour.example", DefaultCurrency: "USD"}, 5000)
			moneyCustomer(t, s, ledger.NewCustomer{Name: "Other Shop", DefaultCurrency: "USD"}, 0)
			clerk := s.login("clerk")
			customerLink := `href="/charge?customer_id=` + itoa(c.ID) + `"`
			for _, q := range []string{"harbour", "Freight", "138 0013", "ops@harbour", a.Number[2:9]} {
				code, body := clerk.hx("/pick?for=charge&q=" + strings.ReplaceAll(q, " ", "+"))
				if code != 200 || !(strings.Contains(body, customerLink) || strings.Contains(body, `href="/charge?account_id=`+itoa(a.ID)+`"`)) {
					t.Errorf("the picker does not find %q (%d): %s", q, code, body)
				}
				if strings.Contains(body, "Other Shop") {
					t.Errorf("the picker finds Other Shop for %q", q)
				}
			}
			if _, body := clerk.hx("/pick?for=adjust&q=zzz-nobody"); !strings.Contains(body, `id="pick-none"`) {
				t.Error("a search that finds nothing does not say so")
			}
			// Without scripts the form's own page searches.
			if code, body, _ := clerk.get("/recharge?q=harbour"); code != 200 || !strings.Contains(body, `href="/recharge?customer_id=`+itoa(c.ID)+`"`) {
				t.Errorf("GET /recharge?q= = %d without the match", code)
			}
			// The account number printed everywhere, typed whole, is that account.
			code, body, _ := clerk.get("/charge?q=" + a.Number)
			if code != 200 || !regexp.MustCompile(`value="`+itoa(a.ID)+`" id="acc-`+itoa(a.ID)+`" required checked`).MatchString(body) {
				t.Fatalf("GET /charge?q=%s = %d: the account is not chosen", a.Number, code)
			}
			if strings.Contains(body, "(id)") || strings.Contains(body, `name="account_id" id="f-account" inputmode="numeric"`) {
				t.Error("the form still asks for an internal id")
			}
			// From a customer's page, the customer is chosen.
			if _, body, _ := clerk.get("/adjust?customer_id=" + itoa(c.ID)); !strings.Contains(body, `id="picked-name">Harbour Freight Ltd<`) {
				t.Error("?customer_id= does not choose the customer")
			}
			reviewer := s.login("checker")
			if code, _ := reviewer.hx("/pick?q=harbour"); code != 403 {
				t.Errorf("a reviewer's pick = %d, want 403", code)
			}
		})
	}
}

// TestMoneyFormsReadAmountsAsTyped: "1,000.00" and "1 000.00" are amounts
// in the forms (not in the API); a comma in the wrong place is refused
// beside the field and changes nothing.
func TestMoneyFormsReadAmountsAsTyped(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			c, a := moneyCustomer(t, s, ledger.NewCustomer{Name: "Grouped", DefaultCurrency: "USD"}, 500000)
			clerk := s.login("clerk")
			code, _, loc := clerk.post("/charge", clerk.form("account_id", itoa(a.ID), "amount", "1,000.00", "reference", "INV-1", "form_token", "g1"))
			if code != 303 || s.balance(a.ID) != 400000 {
				t.Fatalf("charge of 1,000.00 = %d → %s; balance %d", code, loc, s.balance(a.ID))
			}
			if _, body, _ := clerk.get(loc); !strings.Contains(body, "Consumption posted.") || !strings.Contains(body, `id="posted-balance"`) ||
				!strings.Contains(body, `href="/transactions/`) || !strings.Contains(body, `/receipt"`) || !strings.Contains(body, `href="/accounts/`+itoa(a.ID)+`"`) {
				t.Error("after the charge the form does not say so with links to the transaction, its receipt and the account")
			}
			code, _, _ = clerk.post("/adjust", clerk.form("account_id", itoa(a.ID), "direction", "credit", "amount", "1 000.00", "reason", "refund", "note", "spaces", "form_token", "g2"))
			if code != 303 || s.balance(a.ID) != 500000 {
				t.Errorf("adjustment of 1 000.00 = %d; balance %d", code, s.balance(a.ID))
			}
			code, body, _ := clerk.post("/charge", clerk.form("account_id", itoa(a.ID), "amount", "1,00.00", "reference", "INV-2", "form_token", "g3"))
			if code != 422 || !strings.Contains(body, `id="e-amount">Enter an amount in digits, such as 1,000.00 or 12.50.<`) || !strings.Contains(body, `value="1,00.00"`) {
				t.Errorf("charge of 1,00.00 = %d; want the field's message and the amount kept", code)
			}
			code, _, loc = clerk.post("/recharge", clerk.form("customer_id", itoa(c.ID), "currency", "USD", "amount", "2,500.50", "payment_method", "1", "form_token", "g4"))
			if code != 303 {
				t.Fatalf("recharge of 2,500.50 = %d", code)
			}
			ts, _ := s.st.TopUpRequests(context.Background(), store.TopUpFilter{Limit: 10})
			if len(ts) != 1 || ts[0].Amount != 250050 {
				t.Errorf("recharge requests %+v, want one of 250050", ts)
			}
			if s.balance(a.ID) != 500000 {
				t.Error("a recharge request moved the balance before review")
			}
			if _, body, _ := clerk.get(loc); !strings.Contains(body, "Recharge submitted, waiting for review.") || !strings.Contains(body, `href="/topups/`+itoa(ts[0].ID)+`"`) {
				t.Error("after the recharge the form does not say so with a link to the request")
			}
		})
	}
}

// TestFirstAdjustmentOpensTheAccount: a customer without an account in a
// currency gets one with the first adjustment, whatever the case of the
// code typed; an unknown code is refused beside the field.
func TestFirstAdjustmentOpensTheAccount(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			c, _ := moneyCustomer(t, s, ledger.NewCustomer{Name: "Wallet", DefaultCurrency: "USD"}, 0)
			moneyCustomer(t, s, ledger.NewCustomer{Name: "Euro", DefaultCurrency: "EUR"}, 0)
			clerk := s.login("clerk")
			_, body, _ := clerk.get("/adjust?customer_id=" + itoa(c.ID))
			if !strings.Contains(body, `id="acc-new"`) || !strings.Contains(body, `<option>EUR</option>`) || !strings.Contains(body, `name="currency_other"`) {
				t.Fatal("the adjustment form offers no new account in a currency in use or another code")
			}
			form := clerk.form("customer_id", itoa(c.ID), "account_id", "new", "currency", "other", "currency_other", "chf", "direction", "credit",
				"amount", "1,000.00", "reason", "promotion", "note", "Opening bonus", "form_token", "f1")
			code, _, loc := clerk.post("/adjust", form)
			if code != 303 || !strings.HasPrefix(loc, "/adjust?done=adjusted&tx=") {
				t.Fatalf("first adjustment in chf = %d → %s", code, loc)
			}
			accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{CustomerID: c.ID, Currency: "CHF", Limit: 10})
			if len(accs) != 1 || accs[0].Balance != 100000 {
				t.Fatalf("CHF accounts after the first adjustment: %+v", accs)
			}
			if _, body, _ := clerk.get(loc); !strings.Contains(body, "Adjusted successfully.") || !strings.Contains(body, accs[0].Number) {
				t.Error("after the adjustment the form does not say so with the new account")
			}
			form.Set("currency_other", "XYZ")
			form.Set("form_token", "f2")
			code, body, _ = clerk.post("/adjust", form)
			if code != 422 || !strings.Contains(body, `id="e-currency">Not a currency code Coffer knows`) || !strings.Contains(body, "Opening bonus") {
				t.Errorf("first adjustment in XYZ = %d; want the currency's message and the note kept", code)
			}
			if n, _ := s.st.Accounts(context.Background(), store.AccountFilter{CustomerID: c.ID, Limit: 10}); len(n) != 2 {
				t.Errorf("the customer has %d accounts, want USD and CHF", len(n))
			}
		})
	}
}

// TestRechargeFormAsTheDialog: no payment method is chosen for the user,
// so leaving it is "required" beside the field, with all typed kept; the
// direct top-up is offered only while the setting is on, and only to a
// super admin.
func TestRechargeFormAsTheDialog(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			c, _ := moneyCustomer(t, s, ledger.NewCustomer{Name: "Dialog", DefaultCurrency: "USD"}, 0)
			clerk, root := s.login("clerk"), s.login("root")
			_, body, _ := clerk.get("/recharge?customer_id=" + itoa(c.ID))
			if regexp.MustCompile(`<option value="\d+" selected>`).MatchString(body) || !strings.Contains(body, `<option value="">Choose a payment method</option>`) {
				t.Error("the recharge form chooses a payment method for the user")
			}
			for _, lang := range []struct{ code, required string }{{"en", "Required."}, {"zh-CN", "必填。"}} {
				clerk.post("/lang", clerk.form("lang", lang.code, "back", "/"))
				code, body, _ := clerk.post("/recharge", clerk.form("customer_id", itoa(c.ID), "currency", "USD", "amount", "10.00", "payment_method", "",
					"transaction_no", "TX-9", "remark", "kept remark", "form_token", "d-"+lang.code))
				if code != 422 || !strings.Contains(body, `id="e-payment_method">`+lang.required+`<`) || !strings.Contains(body, "TX-9") || !strings.Contains(body, "kept remark") {
					t.Errorf("%s: recharge without a payment method = %d; want required beside it and the form kept", lang.code, code)
				}
			}
			if ts, _ := s.st.TopUpRequests(context.Background(), store.TopUpFilter{Limit: 10}); len(ts) != 0 {
				t.Errorf("refused recharges made %d requests", len(ts))
			}
			if _, body, _ := root.get("/recharge?customer_id=" + itoa(c.ID)); strings.Contains(body, `name="direct"`) {
				t.Error("direct top-up offered while the setting is off")
			}
			ctx := context.Background()
			ra, _ := s.st.AdminByUsername(ctx, "root")
			if _, err := s.st.UpdateSettings(ctx, ledger.Actor{AdminID: ra.ID, Role: ledger.RoleSuperAdmin}, func(st *ledger.Settings) error {
				st.DirectTopUp = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if _, body, _ := root.get("/recharge?customer_id=" + itoa(c.ID)); !strings.Contains(body, `name="direct"`) {
				t.Error("direct top-up not offered to a super admin with the setting on")
			}
			clerk.post("/lang", clerk.form("lang", "en", "back", "/"))
			if _, body, _ := clerk.get("/recharge?customer_id=" + itoa(c.ID)); strings.Contains(body, `name="direct"`) {
				t.Error("direct top-up offered to an admin")
			}
		})
	}
}

// TestRefusedDebitSaysWhatIsAvailable: a consumption or debit the account
// cannot pay is refused beside the amount, with what it can pay, and
// changes nothing.
func TestRefusedDebitSaysWhatIsAvailable(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			_, a := moneyCustomer(t, s, ledger.NewCustomer{Name: "Short", DefaultCurrency: "USD"}, 12345)
			clerk := s.login("clerk")
			for _, c := range []struct{ lang, want string }{{"en", "at most $123.45 is available"}, {"zh-CN", "最多可用 US$123.45"}} {
				clerk.post("/lang", clerk.form("lang", c.lang, "back", "/"))
				code, body, _ := clerk.post("/charge", clerk.form("account_id", itoa(a.ID), "amount", "200.00", "reference", "ORD-5", "form_token", "r-"+c.lang))
				if code != 422 || !strings.Contains(body, `id="e-amount">`) || !strings.Contains(body, c.want) || !strings.Contains(body, "ORD-5") {
					t.Errorf("%s: charge beyond the balance = %d; want %q beside the amount", c.lang, code, c.want)
				}
				code, body, _ = clerk.post("/adjust", clerk.form("account_id", itoa(a.ID), "direction", "debit", "amount", "200.00", "reason", "correction",
					"note", "too much", "form_token", "a-"+c.lang))
				if code != 422 || !strings.Contains(body, c.want) || !strings.Contains(body, "too much") {
					t.Errorf("%s: debit beyond the balance = %d; want %q", c.lang, code, c.want)
				}
			}
			if s.balance(a.ID) != 12345 {
				t.Errorf("refused debits changed the balance to %d", s.balance(a.ID))
			}
		})
	}
}

// TestClosedAccountsAreNotOffered: a frozen account is shown but cannot be
// chosen for consumption (it takes no debits), while an adjustment, which
// may credit it, offers it; a disabled one is offered to neither.
func TestClosedAccountsAreNotOffered(t *testing.T) {
	s := newSite(t, store.SQLite)
	c, a := moneyCustomer(t, s, ledger.NewCustomer{Name: "Frozen", DefaultCurrency: "USD"}, 100)
	ctx := context.Background()
	root, _ := s.st.AdminByUsername(ctx, "root")
	clerk := s.login("clerk")
	radio := regexp.MustCompile(`<input[^>]*id="acc-` + itoa(a.ID) + `"[^>]*>`)
	for _, st := range []struct {
		status         ledger.Status
		charge, adjust bool // disabled on each form
	}{{ledger.StatusFrozen, true, false}, {ledger.StatusDisabled, true, true}} {
		status := st.status
		if _, err := s.st.UpdateAccount(ctx, ledger.Actor{AdminID: root.ID, Role: ledger.RoleSuperAdmin}, a.ID, store.AccountChange{Status: &status}); err != nil {
			t.Fatal(err)
		}
		for form, want := range map[string]bool{"charge": st.charge, "adjust": st.adjust} {
			_, body, _ := clerk.get("/" + form + "?customer_id=" + itoa(c.ID))
			if got := strings.Contains(radio.FindString(body), " disabled"); got != want {
				t.Errorf("%s account on /%s: disabled %v, want %v", status, form, got, want)
			}
		}
	}
}
