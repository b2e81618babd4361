package web_test

import (
	"context"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// TestLoginRedirectStaysOnThisSite logs in through the login form, opened
// with each next, and checks where the answer sends the browser.
func TestLoginRedirectStaysOnThisSite(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			for _, c := range []struct{ login, want string }{
				{"/login?next=/%09/evil.example", "/"},
				{"/login?next=/%0D%0A/evil.example", "/"},
				{"/login?next=/%2509/evil.example", "/"},
				{"/login?next=/%5Cevil.example", "/"},
				{"/login?next=//evil.example", "/"},
				{"/login?next=https://evil.example", "/"},
				{"/login?next=javascript:alert(1)", "/"},
				{"/login?next=/%E3%80%80/evil.example", "/"},
				{"/login?next=%2Faccounts%3Fstatus%3Dfrozen", "/accounts?status=frozen"},
			} {
				b := anonymous(s)
				code, body, _ := b.get(c.login)
				m := nextField.FindStringSubmatch(body)
				if code != 200 || m == nil {
					t.Fatalf("GET %s = %d, or the form has no next", c.login, code)
				}
				form := url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "username": {"clerk"}, "password": {password},
					"next": {html.UnescapeString(m[1])}}
				if code, _, loc := b.post("/login", form); code != 303 || loc != c.want {
					t.Errorf("login from %s = %d → %q, want %q", c.login, code, loc, c.want)
				}
			}
			// A page asked for without a session comes back after login.
			b := anonymous(s)
			_, _, loc := b.get("/accounts?status=frozen")
			_, body, _ := b.get(loc)
			form := url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "username": {"clerk"}, "password": {password},
				"next": {html.UnescapeString(nextField.FindStringSubmatch(body)[1])}}
			if code, _, back := b.post("/login", form); code != 303 || back != "/accounts?status=frozen" {
				t.Errorf("login from %s = %d → %q", loc, code, back)
			}
			// A next posted straight to the form is held to the same rule.
			b = anonymous(s)
			_, body, _ = b.get("/login")
			form = url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "username": {"clerk"}, "password": {password},
				"next": {"/\t/evil.example"}}
			if code, _, loc := b.post("/login", form); code != 303 || loc != "/" {
				t.Errorf("login posting a tab in next = %d → %q", code, loc)
			}
		})
	}
}

// anonymous is a browser with cookies and no session yet.
func anonymous(s *site) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send posts a form with exactly the headers given: unlike post, no Origin
// unless asked for.
func (b *browser) send(path string, form url.Values, hdr map[string]string) int {
	req, _ := http.NewRequest("POST", b.s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestFormsFromAnotherSiteChangeNothing posts a charge with a valid session
// and CSRF token under each combination of the headers that say where a
// form comes from.
func TestFormsFromAnotherSiteChangeNothing(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			acc := fundedAccount(t, s, 10000)
			clerk := s.login("clerk")
			u, _ := url.Parse(s.url)
			sameSite := "http://" + u.Hostname() + ":1" // same site, another origin
			balance := int64(10000)
			for i, c := range []struct {
				name string
				hdr  map[string]string
				want int
			}{
				{"foreign origin", map[string]string{"Origin": "https://evil.example"}, 403},
				{"origin null", map[string]string{"Origin": "null"}, 403},
				{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
				{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
				{"cross-site fetch with this origin", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": s.url}, 403},
				{"no origin, foreign referer", map[string]string{"Referer": "https://evil.example/pay"}, 403},
				{"no origin, same-site referer of another origin", map[string]string{"Referer": sameSite + "/charge"}, 403},
				{"no origin, broken referer", map[string]string{"Referer": "http://[::1"}, 403},
				{"no origin, referer of this site", map[string]string{"Referer": s.url + "/charge"}, 303},
				{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": s.url}, 303},
				{"no headers at all", map[string]string{}, 303},
			} {
				form := clerk.form("account_id", itoa(acc), "amount", "1.00", "form_token", "x"+itoa(int64(i)))
				if code := clerk.send("/charge", form, c.hdr); code != c.want {
					t.Errorf("%s: POST /charge = %d, want %d", c.name, code, c.want)
				}
				if c.want == 303 {
					balance -= 100
				}
				if a, _ := s.st.Account(context.Background(), acc); a.Balance != balance {
					t.Errorf("%s: balance %d, want %d", c.name, a.Balance, balance)
				}
			}
			// The login form: no session comes of a refused one.
			b := anonymous(s)
			_, body, _ := b.get("/login")
			form := url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "username": {"clerk"}, "password": {password}}
			if code := b.send("/login", form, map[string]string{"Referer": "https://evil.example/"}); code != 403 {
				t.Errorf("login with a foreign referer = %d, want 403", code)
			}
			if code, _, _ := b.get("/accounts"); code != 303 {
				t.Errorf("after a refused login, /accounts = %d: a session was made", code)
			}
		})
	}
}

// fundedAccount opens a customer's USD account holding balance.
func fundedAccount(t *testing.T, s *site, balance int64) int64 {
	t.Helper()
	ctx := context.Background()
	root, _ := s.st.AdminByUsername(ctx, "root")
	actor := ledger.Actor{AdminID: root.ID, Name: "root", Role: ledger.RoleSuperAdmin}
	c, err := s.st.CreateCustomer(ctx, actor, ledger.NewCustomer{Name: "Funded", DefaultCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	accs, err := s.st.Accounts(ctx, store.AccountFilter{CustomerID: c.ID, Limit: 10})
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts of a new customer: %v %v", accs, err)
	}
	if _, err := s.st.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: accs[0].ID}, Amount: balance, PaymentMethod: "alipay", Actor: actor}); err != nil {
		t.Fatal(err)
	}
	return accs[0].ID
}

// TestValuesThatDoNotParseAreRefused: a form field or a query string value
// that does not parse is never read as nothing. A form comes back (422)
// with the message beside the field, in the user's language, and all that
// was typed; a list says what is wrong instead of guessing.
func TestValuesThatDoNotParseAreRefused(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			acc := fundedAccount(t, s, 10000)
			clerk := s.login("clerk")
			for _, c := range []struct{ lang, message string }{
				{"en", "Not a number: enter the id in digits, such as 1024."},
				{"zh-CN", "不是有效的编号：请您输入数字，例如 1024。"},
			} {
				clerk.post("/lang", clerk.form("lang", c.lang, "back", "/"))
				form := clerk.form("account_id", itoa(acc), "direction", "credit", "amount", "5.00", "reason", "correction",
					"note", "wrong amount on INV-7", "corrects", "12x", "form_token", "adj-"+c.lang)
				code, body, _ := clerk.post("/adjust", form)
				if code != 422 || !strings.Contains(body, `id="e-corrects">`+c.message+`<`) {
					t.Errorf("%s: adjustment correcting %q = %d; the message is not beside the field", c.lang, "12x", code)
				}
				if !strings.Contains(body, `value="12x"`) || !strings.Contains(body, "wrong amount on INV-7") || !strings.Contains(body, `value="5.00"`) {
					t.Errorf("%s: the form lost what was typed", c.lang)
				}
			}
			if a, _ := s.st.Account(context.Background(), acc); a.Balance != 10000 {
				t.Errorf("balance %d after refused adjustments, want 10000", a.Balance)
			}
			if txs, _ := s.st.Transactions(context.Background(), store.TxFilter{AccountID: acc, Limit: 10}); len(txs) != 1 {
				t.Errorf("the account has %d transactions, want only its top-up", len(txs))
			}
			clerk.post("/lang", clerk.form("lang", "en", "back", "/"))
			if code, body, _ := clerk.get("/charge?account_id=" + itoa(acc) + "x"); code != 422 || !strings.Contains(body, "Not a number") {
				t.Errorf("consumption form for account %sx = %d, or no message", itoa(acc), code)
			}
			root := s.login("root")
			for _, c := range []struct {
				b             *browser
				path, message string
			}{
				{clerk, "/customers?after=abc", "This page link is not valid"},
				{clerk, "/customers?after=-3", "This page link is not valid"},
				{clerk, "/alerts?before=1e3", "This page link is not valid"},
				{clerk, "/audit?before=x", "This page link is not valid"},
				{root, "/audit?actor_id=root", "(actor_id)"},
				{clerk, "/audit?from=2026-13-40", `id="e-from">Not a date.`},
				{clerk, "/alerts?active=maybe", `id="e-active">Not a valid value.`},
				{clerk, "/alerts?currency=usd", `id="e-currency">Not a currency code`},
				{root, "/reports?from=2026-02-30", `id="e-from">Not a date.`},
				{root, "/reports?from=2026-01-01&to=2026-01-31&group_by=week", `id="e-group_by">Not a valid value.`},
				{root, "/reports?currency=US", `id="e-currency">Not a currency code`},
				{root, "/reports?from=1990-01-01&to=2026-12-31", `id="e-to">A report by day covers at most 3700 days`},
				{root, "/webhooks?deliveries=abc", "(deliveries)"},
			} {
				code, body, _ := c.b.get(c.path)
				if code != 422 || !strings.Contains(body, c.message) {
					t.Errorf("GET %s = %d; want 422 saying %q", c.path, code, c.message)
				}
				if strings.Contains(body, "Funded") {
					t.Errorf("GET %s lists results all the same", c.path)
				}
			}
		})
	}
}

// TestDatabaseFaultIsNotALogout: when the database fails, a logged-in page
// answers 500 instead of sending the user to log in again (which would not
// help, and would lose the page).
func TestDatabaseFaultIsNotALogout(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			b := s.login("clerk")
			s.st.Close()
			code, _, loc := b.get("/customers")
			if code != http.StatusInternalServerError || loc != "" {
				t.Errorf("GET /customers with the database closed = %d → %q, want 500", code, loc)
			}
		})
	}
}

// TestRechargeAndAccountValuesThatDoNotParse: the recharge form, the
// recharge records and the account pages refuse what does not parse, as the
// other pages do, instead of reading it as "none".
func TestRechargeAndAccountValuesThatDoNotParse(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			acc := fundedAccount(t, s, 10000)
			a, _ := s.st.Account(context.Background(), acc)
			clerk := s.login("clerk")
			form := clerk.form("customer_id", itoa(a.CustomerID), "currency", "USD", "amount", "25.00", "payment_method", "1o",
				"transaction_no", "TX-77", "form_token", "rc-1")
			code, body, _ := clerk.post("/recharge", form)
			if code != 422 || !strings.Contains(body, `id="e-payment_method">Not a number`) || !strings.Contains(body, "TX-77") {
				t.Errorf("recharge with payment method %q = %d; want 422 with the message beside the field and the form kept", "1o", code)
			}
			form.Set("payment_method", "1")
			form.Set("customer_id", itoa(a.CustomerID)+"x")
			if code, body, _ := clerk.post("/recharge", form); code != 422 || !strings.Contains(body, `id="e-customer_id">Not a number`) {
				t.Errorf("recharge for customer %sx = %d; want 422 beside the field", itoa(a.CustomerID), code)
			}
			if ts, _ := s.st.TopUpRequests(context.Background(), store.TopUpFilter{Limit: 10}); len(ts) != 0 {
				t.Errorf("refused recharges made %d requests", len(ts))
			}
			for _, c := range []struct{ path, message string }{
				{"/recharge?customer_id=abc", `id="e-customer_id">Not a number`},
				{"/topups?customer_id=1x", "This link has a value that is not valid (customer_id)"},
				{"/topups?page=zz", "This page link is not valid"},
				{"/topups?payment_method=-1", `id="e-payment_method">Not a number`},
				{"/topups?status=paid", `id="e-status">Not a valid value.`},
				{"/accounts?after_id=x&after_n=1", "This page link is not valid"},
				{"/accounts?after_id=5&after_n=1e3", "This page link is not valid"},
				{"/accounts/" + itoa(acc) + "?before=-2", "This page link is not valid"},
			} {
				if code, body, _ := clerk.get(c.path); code != 422 || !strings.Contains(body, c.message) {
					t.Errorf("GET %s = %d; want 422 saying %q", c.path, code, c.message)
				}
			}
		})
	}
}

// TestFieldProblemsInTheUsersLanguage: a field's problem from the domain
// is said in the user's language, by its reason.
func TestFieldProblemsInTheUsersLanguage(t *testing.T) {
	s := newSite(t, store.SQLite)
	acc := fundedAccount(t, s, 10000)
	clerk := s.login("clerk")
	for _, c := range []struct{ lang, note, amount string }{
		{"en", `id="e-note">Required.<`, "Enter an amount greater than zero."},
		{"zh-CN", `id="e-note">必填。<`, "请您输入大于零的金额。"},
	} {
		clerk.post("/lang", clerk.form("lang", c.lang, "back", "/"))
		_, body, _ := clerk.post("/adjust", clerk.form("account_id", itoa(acc), "direction", "credit", "amount", "5.00", "reason", "refund",
			"note", " ", "form_token", "n-"+c.lang))
		if !strings.Contains(body, c.note) {
			t.Errorf("%s: an adjustment without a note does not say so beside the field in the language", c.lang)
		}
		_, body, _ = clerk.post("/charge", clerk.form("account_id", itoa(acc), "amount", "0", "form_token", "z-"+c.lang))
		if !strings.Contains(body, c.amount) {
			t.Errorf("%s: a charge of 0 does not say %q", c.lang, c.amount)
		}
	}
}
