package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// reviewForm reads the decision form of request id from its review page: its form token, the version it shows and the amount it offers
// ("" for what the form lacks).
func reviewForm(t *testing.T, body, id string) (token, version, amount string) {
	t.Helper()
	form := regexp.MustCompile(`(?s)<form method="post" action="/topups/` + id + `/approve"[^>]*>(.*?)</form>`).FindStringSubmatch(body)
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
	id := strings.TrimPrefix(loc, "/recharge?done=submitted&topup=")
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
			_, page, _ := checker.get("/reviews/" + id)
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
	_, page, _ := checker.get("/reviews/" + id)
	token, version, _ := reviewForm(t, page, id)
	for _, bad := range []string{"", "1,000.00", "10.001", "0", "-5"} {
		code, body, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", token, "version", version, "actual_amount", bad, "remark", "kept"))
		if code != 422 || !strings.Contains(body, `id="e-actual_amount"`) || !strings.Contains(body, `>kept</textarea>`) {
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

// TestReviewActionsFollowThePermissionTable: an ordinary admin is offered
// approve and reject nowhere, and a reviewer is not offered them on a
// request of their own (a super admin who submitted one is told why).
func TestReviewActionsFollowThePermissionTable(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk, checker, root := s.login("clerk"), s.login("checker"), s.login("root")
			id, _ := submitRecharge(t, s, clerk, "Perm", "10.00")
			for _, p := range []string{"/reviews", "/reviews/" + id, "/topups", "/topups/" + id} {
				code, body, _ := clerk.get(p)
				if code != 200 || strings.Contains(body, "/approve") || strings.Contains(body, "/reject") || strings.Contains(body, `id="nav-reviews"`) {
					t.Errorf("admin GET %s = %d and is offered a decision", p, code)
				}
			}
			if _, body, _ := clerk.get("/reviews/" + id); !strings.Contains(body, "Only reviewers and super admins approve or reject") {
				t.Error("the admin's review page does not say who decides")
			}
			if _, body, _ := checker.get("/reviews/" + id); !strings.Contains(body, `action="/topups/`+id+`/approve"`) || !strings.Contains(body, `formaction="/topups/`+id+`/reject"`) {
				t.Error("the reviewer is not offered approve and reject")
			}
			// The super admin's own request: no decision, and why.
			_, _, loc := root.post("/customers/new", root.form("name", "Own", "default_currency", "USD"))
			cid := strings.TrimSuffix(strings.TrimPrefix(loc, "/customers/"), "?done=saved")
			_, _, loc = root.post("/recharge", root.form("customer_id", cid, "currency", "USD", "amount", "5.00", "payment_method", "1", "form_token", "own"))
			own := strings.TrimPrefix(loc, "/recharge?done=submitted&topup=")
			_, body, _ := root.get("/reviews/" + own)
			if strings.Contains(body, "/approve") || !strings.Contains(body, "You submitted this request") {
				t.Error("a super admin is offered to approve their own request, or not told why not")
			}
			if code, _, _ := clerk.post("/topups/"+id+"/approve", clerk.form("form_token", "x", "version", "1", "actual_amount", "10.00")); code != 403 {
				t.Errorf("admin approval = %d, want 403", code)
			}
		})
	}
}

// TestRejectNeedsARemark: a rejection without a remark is refused beside
// the remark box, in the page's language, with what was typed kept; with
// one it rejects and goes back to the queue.
func TestRejectNeedsARemark(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk, checker := s.login("clerk"), s.login("checker")
			id, acc := submitRecharge(t, s, clerk, "Reject", "10.00")
			_, page, _ := checker.get("/reviews/" + id)
			token, version, _ := reviewForm(t, page, id)
			checker.post("/lang", checker.form("lang", "zh-CN", "back", "/"))
			code, body, _ := checker.post("/topups/"+id+"/reject", checker.form("form_token", token, "version", version, "actual_amount", "9.50", "exchange_rate", "7.1", "remark", "  "))
			if code != 422 || !strings.Contains(body, `id="e-remark">必填。`) || !strings.Contains(body, `value="9.50"`) || !strings.Contains(body, `value="7.1"`) {
				t.Errorf("rejection without a remark = %d; want 422 with 必填。 beside the remark and the amounts kept", code)
			}
			tid, _ := strconv.ParseInt(id, 10, 64)
			if tu, _ := s.st.TopUpRequest(context.Background(), tid); tu.Status != ledger.TopUpPending {
				t.Fatalf("after a refused rejection: %s", tu.Status)
			}
			code, _, loc := checker.post("/topups/"+id+"/reject", checker.form("form_token", token, "version", version, "remark", "no payment arrived"))
			if code != 303 || loc != "/reviews?done=rejected" {
				t.Fatalf("rejection = %d → %s", code, loc)
			}
			_, body, _ = checker.get(loc)
			if !strings.Contains(body, "已驳回") || !strings.Contains(body, `id="no-pending"`) {
				t.Error("after the rejection the queue does not say so, or still lists the request")
			}
			if tu, _ := s.st.TopUpRequest(context.Background(), tid); tu.Status != ledger.TopUpRejected || tu.ReviewRemark != "no payment arrived" || s.balance(acc) != 0 {
				t.Errorf("after the rejection: %+v", tu)
			}
			if _, body, _ = clerk.get("/topups/" + id); !strings.Contains(body, "no payment arrived") || !strings.Contains(body, "checker") {
				t.Error("the record's history does not show who rejected it and why")
			}
		})
	}
}

// TestPaymentStatusLaterMakesANewVersion: the submitter marks the request
// paid with a pay date after submitting it (T); that is a new version, the
// reviewer's form from before is refused with the versions said, and the
// page then offers the new version.
func TestPaymentStatusLaterMakesANewVersion(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk, checker := s.login("clerk"), s.login("checker")
			id, acc := submitRecharge(t, s, clerk, "Paid", "10.00")
			_, page, _ := checker.get("/reviews/" + id)
			if !strings.Contains(page, `id="unpaid-warning"`) {
				t.Error("the review page of an unpaid request does not warn")
			}
			token, version, amount := reviewForm(t, page, id)
			code, body, _ := clerk.post("/topups/"+id+"/edit", clerk.form("payment_status", "paid", "paid_at", "2026-13-01"))
			if code != 422 || !strings.Contains(body, `id="e-paid_at"`) || !strings.Contains(body, `value="2026-13-01"`) {
				t.Errorf("a bad pay date = %d; want 422 beside the field with what was typed", code)
			}
			if code, _, _ := clerk.post("/topups/"+id+"/edit", clerk.form("payment_status", "paid", "paid_at", "2026-01-02")); code != 303 {
				t.Fatalf("marking it paid = %d", code)
			}
			tid, _ := strconv.ParseInt(id, 10, 64)
			tu, _ := s.st.TopUpRequest(context.Background(), tid)
			if tu.PaymentStatus != "paid" || tu.PaidAt == nil || itoa(tu.Version) == version || tu.Amount != 1000 {
				t.Fatalf("after marking it paid: %+v (version before %s)", tu, version)
			}
			code, body, _ = checker.post("/topups/"+id+"/approve", checker.form("form_token", token, "version", version, "actual_amount", amount, "remark", "bank checked"))
			if code != 409 || !strings.Contains(body, "Someone changed this since you opened it") || !strings.Contains(body, ">bank checked</textarea>") ||
				!strings.Contains(body, "You were looking at version "+version+"; the request is now at version "+itoa(tu.Version)) || s.balance(acc) != 0 {
				t.Fatalf("the stale form = %d, balance %d; want 409 saying both versions, the remark kept", code, s.balance(acc))
			}
			if strings.Contains(body, `id="unpaid-warning"`) {
				t.Error("the page still warns of an unpaid payment")
			}
			token2, version2, _ := reviewForm(t, body, id)
			if code, _, _ := checker.post("/topups/"+id+"/approve", checker.form("form_token", token2, "version", version2, "actual_amount", "9.50", "exchange_rate", "1")); code != 303 || s.balance(acc) != 950 {
				t.Errorf("approval of the new version = %d, balance %d, want 950", code, s.balance(acc))
			}
		})
	}
}

// TestVouchersAddedLater: the submitter adds a voucher to a pending
// request; a file that is not an image is refused beside the field and
// stores nothing; someone else is not offered the upload.
func TestVouchersAddedLater(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			clerk, checker := s.login("clerk"), s.login("checker")
			id, _ := submitRecharge(t, s, clerk, "Slip", "10.00")
			tid, _ := strconv.ParseInt(id, 10, 64)
			png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
			code, body := clerk.upload("/topups/"+id+"/vouchers", "notes.txt", []byte("not an image"))
			if code != 422 || !strings.Contains(body, `id="e-vouchers">notes.txt is not a PNG or JPEG image.`) {
				t.Errorf("a text file = %d; want 422 beside the field", code)
			}
			big := append(append([]byte{}, png...), make([]byte, 2<<20)...)
			if code, body := clerk.upload("/topups/"+id+"/vouchers", "scan.png", big); code != 422 || !strings.Contains(body, `id="e-vouchers">scan.png is larger than 2 MB.`) {
				t.Errorf("a file over 2 MB = %d; want 422 beside the field", code)
			}
			if tu, _ := s.st.TopUpRequest(context.Background(), tid); len(tu.Vouchers) != 0 || tu.Version != 1 {
				t.Fatalf("a refused file changed the request: %+v", tu)
			}
			if code, _ := clerk.upload("/topups/"+id+"/vouchers", "slip.png", png); code != 303 {
				t.Fatalf("a PNG = %d", code)
			}
			if tu, _ := s.st.TopUpRequest(context.Background(), tid); len(tu.Vouchers) != 1 || tu.Version != 2 {
				t.Errorf("after the upload: %d vouchers, version %d", len(tu.Vouchers), tu.Version)
			}
			if _, body, _ := checker.get("/reviews"); !regexp.MustCompile(`(?s)id="review-` + id + `".*?voucher-count">1</td>`).MatchString(body) {
				t.Error("the queue does not count the voucher")
			}
			if _, body, _ := checker.get("/topups/" + id); strings.Contains(body, `id="add-vouchers"`) || !strings.Contains(body, "Voucher added") {
				t.Error("someone else is offered the upload, or the history lacks it")
			}
			if code, _ := checker.upload("/topups/"+id+"/vouchers", "slip.png", png); code != 403 {
				t.Errorf("the reviewer's upload = %d, want 403", code)
			}
		})
	}
}

// upload posts one file as the vouchers field of a multipart form.
func (b *browser) upload(path, name string, data []byte) (int, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", b.csrf)
	fw, _ := w.CreateFormFile("vouchers", name)
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", b.s.url+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.s.url)
	res, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}
