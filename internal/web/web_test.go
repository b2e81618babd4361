package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/server"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

const password = "correct horse battery"

type site struct {
	t   *testing.T
	url string
	st  *store.Store
}

func newSite(t *testing.T, d store.Dialect) *site { return newSiteAt(t, d, nil) }

// newSiteAt is newSite whose store and pages read the clock now (nil: the
// time of day), for a test that moves time.
func newSiteAt(t *testing.T, d store.Dialect, now func() time.Time) *site {
	st := testdb.Open(t, d, store.Options{Now: now})
	srv := httptest.NewServer(server.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{Now: now}))
	t.Cleanup(srv.Close)
	hash, _ := auth.HashPassword(password)
	st.CreateFirstAdmin(context.Background(), "root", hash)
	root, _ := st.AdminByUsername(context.Background(), "root")
	actor := ledger.Actor{AdminID: root.ID, Name: "root", Role: ledger.RoleSuperAdmin}
	for _, u := range []struct {
		name string
		role ledger.Role
	}{{"clerk", ledger.RoleAdmin}, {"checker", ledger.RoleReviewer}} {
		if _, err := st.AddAdmin(context.Background(), actor, ledger.Admin{Username: u.name, Role: u.role, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	return &site{t: t, url: srv.URL, st: st}
}

// browser is a client with cookies that does not follow redirects, so that
// tests see them.
type browser struct {
	s    *site
	c    *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (s *site) login(user string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	code, body, _ := b.get("/login")
	if code != 200 {
		s.t.Fatalf("GET /login = %d", code)
	}
	code, _, loc := b.post("/login", url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "username": {user}, "password": {password}})
	if code != 303 || loc != "/" {
		s.t.Fatalf("login as %s = %d → %s", user, code, loc)
	}
	_, body, _ = b.get("/")
	b.csrf = csrfField.FindStringSubmatch(body)[1]
	return b
}

func (b *browser) get(path string) (int, string, string) {
	res, err := b.c.Get(b.s.url + path)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header.Get("Location")
}

func (b *browser) post(path string, form url.Values, hdr ...string) (int, string, string) {
	req, _ := http.NewRequest("POST", b.s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.url)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header.Get("Location")
}

func (b *browser) form(kv ...string) url.Values {
	v := url.Values{"csrf": {b.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestEveryPageRenders opens every page as each role, in both languages,
// and checks the answer, the security headers and that no text is missing.
func TestEveryPageRenders(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk := s.login("clerk")
			code, _, loc := clerk.post("/customers/new", clerk.form("name", "Ada", "phone", "13800000001", "default_currency", "USD"))
			if code != 303 {
				t.Fatalf("create customer = %d", code)
			}
			cid := strings.TrimSuffix(strings.TrimPrefix(loc, "/customers/"), "?done=saved")
			accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{Limit: 10})
			acc := itoa(accs[0].ID)
			rule, err := s.st.CreatePromotion(context.Background(), ledger.Actor{Name: "test"}, ledger.Promotion{Name: "Spring",
				Currency: accs[0].Currency, BonusPercentBP: 500, ValidFrom: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			promo := itoa(rule.ID)
			pages := map[ledger.Role][]string{
				ledger.RoleSuperAdmin: {"/", "/profile", "/customers", "/customers?phone=138", "/customers/" + cid, "/customers/" + cid + "/edit",
					"/customers/new", "/accounts", "/accounts?below_alert=1&currency=USD&balance_min=0", "/accounts/" + acc, "/recharge",
					"/recharge?customer_id=" + cid, "/reviews", "/topups", "/charge?customer_id=" + cid, "/adjust?account_id=" + acc,
					"/admins", "/audit", "/settings", "/reports", "/reports?from=2026-01-01&to=2026-12-31&group_by=payment_method",
					"/reports/chart.svg", "/alerts", "/alerts?active=1", "/alert-batches", "/webhooks", "/import", "/archives", "/approvals", "/approvals?status=all",
					"/promotions", "/promotions/" + promo},
				ledger.RoleAdmin:    {"/", "/customers", "/accounts", "/accounts/" + acc, "/recharge", "/topups", "/charge", "/adjust", "/audit", "/reports", "/alerts", "/approvals", "/promotions"},
				ledger.RoleReviewer: {"/", "/customers", "/accounts", "/accounts/" + acc, "/reviews", "/topups", "/audit", "/approvals", "/promotions"},
			}
			users := map[ledger.Role]string{ledger.RoleSuperAdmin: "root", ledger.RoleAdmin: "clerk", ledger.RoleReviewer: "checker"}
			for role, paths := range pages {
				b := s.login(users[role])
				for _, lang := range []string{"en", "zh-CN"} {
					b.post("/lang", b.form("lang", lang, "back", "/"))
					for _, p := range paths {
						res, err := b.c.Get(s.url + p)
						if err != nil {
							t.Fatal(err)
						}
						body, _ := io.ReadAll(res.Body)
						res.Body.Close()
						if res.StatusCode != 200 {
							t.Errorf("%s %s GET %s = %d", role, lang, p, res.StatusCode)
							continue
						}
						if m := regexp.MustCompile(`\[[a-z_]+\.[a-z_.-]+\]`).Find(body); m != nil {
							t.Errorf("%s %s %s shows a missing message %s", role, lang, p, m)
						}
						if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
							continue // the chart is an image
						}
						if !strings.Contains(string(body), `lang="`+lang+`"`) {
							t.Errorf("%s %s %s is not in %s", role, lang, p, lang)
						}
						for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
							if res.Header.Get(h) == "" {
								t.Errorf("%s lacks %s", p, h)
							}
						}
					}
				}
			}
			// Pages a role lacks are refused, not just hidden.
			reviewer := s.login("checker")
			for _, p := range []string{"/recharge", "/charge", "/adjust", "/admins", "/settings", "/customers/new", "/webhooks", "/import", "/archives", "/promotions/" + promo} {
				if code, _, _ := reviewer.get(p); code != 403 {
					t.Errorf("reviewer GET %s = %d, want 403", p, code)
				}
			}
			for _, p := range []string{"/admins", "/settings", "/reviews"} {
				if code, _, _ := clerk.get(p); code != 403 && p != "/reviews" {
					t.Errorf("admin GET %s = %d, want 403", p, code)
				}
			}
			if code, _, _ := reviewer.post("/charge", reviewer.form("account_id", acc, "amount", "1.00", "form_token", "x")); code != 403 {
				t.Errorf("reviewer POST /charge = %d, want 403", code)
			}
			// Logged out, pages send you to the login page.
			anon := &browser{s: s, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
			if code, _, loc := anon.get("/accounts"); code != 303 || !strings.HasPrefix(loc, "/login") {
				t.Errorf("anonymous GET /accounts = %d → %s", code, loc)
			}
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestFormsRefuseCrossSitePostsAndPostOnce(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk := s.login("clerk")
			clerk.post("/customers/new", clerk.form("name", "Bo", "phone", "13800000002", "default_currency", "USD"))
			accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{Limit: 10})
			acc := accs[0]
			root, _ := s.st.AdminByUsername(context.Background(), "root")
			if _, err := s.st.TopUp(context.Background(), ledger.TopUp{Target: ledger.Target{AccountID: acc.ID}, Amount: 10000, PaymentMethod: "alipay",
				Actor: ledger.Actor{AdminID: root.ID}}); err != nil {
				t.Fatal(err)
			}
			charge := clerk.form("account_id", itoa(acc.ID), "amount", "5.00", "form_token", "tok-1")

			noToken := url.Values{}
			for k, v := range charge {
				if k != "csrf" {
					noToken[k] = v
				}
			}
			if code, body, _ := clerk.post("/charge", noToken); code != 403 || !strings.Contains(body, "expired or came from another site") {
				t.Errorf("form without CSRF token = %d", code)
			}
			if code, _, _ := clerk.post("/charge", charge, "Origin", "https://evil.example"); code != 403 {
				t.Errorf("form from another origin = %d", code)
			}
			if code, _, _ := clerk.post("/charge", charge, "Sec-Fetch-Site", "cross-site"); code != 403 {
				t.Errorf("form marked cross-site = %d", code)
			}
			bad := clerk.form("account_id", itoa(acc.ID), "amount", "5.00", "form_token", "tok-0")
			bad.Set("csrf", strings.Repeat("0", 32))
			if code, _, _ := clerk.post("/charge", bad); code != 403 {
				t.Errorf("form with another session's token = %d", code)
			}
			if a, _ := s.st.Account(context.Background(), acc.ID); a.Balance != 10000 {
				t.Fatalf("refused forms changed the balance to %d", a.Balance)
			}
			// The same form sent three times (double click, refresh, back) posts once.
			for i := 0; i < 3; i++ {
				if code, _, loc := clerk.post("/charge", charge); code != 303 || !strings.HasPrefix(loc, "/charge?done=charged&tx=") {
					t.Fatalf("charge #%d = %d → %s", i+1, code, loc)
				}
			}
			if a, _ := s.st.Account(context.Background(), acc.ID); a.Balance != 9500 {
				t.Errorf("balance after one charge sent three times = %d, want 9500", a.Balance)
			}
			// A field error keeps what was typed and says which field.
			code, body, _ := clerk.post("/charge", clerk.form("account_id", itoa(acc.ID), "amount", "5.001", "reference", "INV-42", "form_token", "tok-2"))
			if code != 422 || !strings.Contains(body, `value="INV-42"`) || !strings.Contains(body, `id="e-amount"`) {
				t.Errorf("bad amount: %d; the form lost input or hides the field error", code)
			}
			code, body, _ = clerk.post("/charge", clerk.form("account_id", itoa(acc.ID), "amount", "500.00", "note", "too much", "form_token", "tok-3"))
			if code != 422 || !strings.Contains(body, "Insufficient funds") || !strings.Contains(body, "too much") {
				t.Errorf("overdraw: %d", code)
			}
			// The login form has its own guard.
			anon := &browser{s: s, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
			if code, _, _ := anon.post("/login", url.Values{"username": {"clerk"}, "password": {password}}); code != 403 {
				t.Errorf("login without its token = %d", code)
			}
		})
	}
}

func TestBatchAlertAmountFromTheList(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk := s.login("clerk")
			for i, cur := range []string{"USD", "USD", "EUR"} {
				clerk.post("/customers/new", clerk.form("name", "Batch "+itoa(int64(i)), "default_currency", cur))
			}
			accs, _ := s.st.Accounts(context.Background(), store.AccountFilter{Sort: "number", Limit: 10})
			if code, body, _ := clerk.get("/accounts"); code != 200 || !strings.Contains(body, `name="ids"`) {
				t.Fatalf("the account list offers no selection (%d)", code)
			}
			// Two ticked accounts.
			f := clerk.form("alert_amount", "25.00", "scope", "selected", "form_token", "b1")
			f.Add("ids", itoa(accs[0].ID))
			f.Add("ids", itoa(accs[1].ID))
			code, _, loc := clerk.post("/accounts/alert-batch", f)
			if code != 303 || !strings.Contains(loc, "changed=2") {
				t.Fatalf("batch of two = %d → %s", code, loc)
			}
			if _, body, _ := clerk.get(loc); !strings.Contains(body, "2 accounts changed") {
				t.Error("the batch page does not say how many changed")
			}
			// None ticked: the scope is a currency.
			code, _, loc = clerk.post("/accounts/alert-batch", clerk.form("alert_amount", "7", "scope", "USD", "form_token", "b2"))
			if code != 303 || !strings.Contains(loc, "changed=2") {
				t.Fatalf("batch over USD = %d → %s", code, loc)
			}
			if code, _, _ := clerk.post("/accounts/alert-batch", clerk.form("alert_amount", "7", "scope", "selected", "form_token", "b3")); code != 422 {
				t.Errorf("batch with nothing selected and no scope = %d", code)
			}
			batches, _ := s.st.AlertBatches(context.Background(), 0, 10)
			if code, _, _ := clerk.post("/alert-batches/"+itoa(batches[0].ID)+"/undo", clerk.form("form_token", "u1")); code != 303 {
				t.Errorf("undo = %d", code)
			}
			for _, a := range accs[:2] {
				got, _ := s.st.Account(context.Background(), a.ID)
				if a.Currency.Code() == "USD" && got.AlertAmount != 2500 {
					t.Errorf("after undo account %d has alert amount %d, want 2500", a.ID, got.AlertAmount)
				}
			}
			if code, _, _ := clerk.get("/alert-batches"); code != 200 {
				t.Errorf("batches page = %d", code)
			}
		})
	}
}

func TestSubmitterCorrectsAPendingRecharge(t *testing.T) {
	s := newSite(t, store.SQLite)
	clerk := s.login("clerk")
	_, _, loc := clerk.post("/customers/new", clerk.form("name", "Edit me", "default_currency", "USD"))
	cid := strings.TrimSuffix(strings.TrimPrefix(loc, "/customers/"), "?done=saved")
	code, _, loc := clerk.post("/recharge", clerk.form("customer_id", cid, "currency", "USD", "amount", "10.00", "payment_method", "1", "form_token", "r1"))
	if code != 303 {
		t.Fatalf("recharge = %d", code)
	}
	id := strings.TrimPrefix(loc, "/recharge?done=submitted&topup=")
	if _, body, _ := clerk.get("/topups/" + id); !strings.Contains(body, `id="topup-edit"`) {
		t.Fatal("the submitter is not offered the correction form")
	}
	if code, _, _ := clerk.post("/topups/"+id+"/edit", clerk.form("amount", "12.50", "payment_method", "2", "remark", "typo")); code != 303 {
		t.Fatalf("edit = %d", code)
	}
	tid, _ := strconv.ParseInt(id, 10, 64)
	tu, _ := s.st.TopUpRequest(context.Background(), tid)
	if tu.Amount != 1250 || tu.PaymentMethodID != 2 || tu.Remark != "typo" {
		t.Errorf("after correction: %+v", tu)
	}
	root := s.login("root")
	if _, body, _ := root.get("/topups/" + id); strings.Contains(body, `id="topup-edit"`) {
		t.Error("someone other than the submitter is offered the correction form")
	}
	if code, _, _ := root.post("/topups/"+id+"/edit", root.form("amount", "99.00", "payment_method", "1")); code != 403 {
		t.Errorf("edit by another administrator = %d, want 403", code)
	}
}
