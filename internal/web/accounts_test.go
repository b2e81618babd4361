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

// accountsSite is a site with customers in USD and EUR, their accounts
// funded with balances 1.00, 2.00, … in order of creation.
func accountsSite(t *testing.T, d store.Dialect, n int) (*site, []store.AccountRow) {
	t.Helper()
	s := newSite(t, d)
	clerk := s.login("clerk")
	for i := range n {
		cur := "USD"
		if i%3 == 2 {
			cur = "EUR"
		}
		if code, _, _ := clerk.post("/customers/new", clerk.form("name", "Cust "+string(rune('A'+i)), "phone", "1390000"+itoa(int64(1000+i)), "default_currency", cur)); code != 303 {
			t.Fatalf("create customer %d = %d", i, code)
		}
	}
	accs, err := s.st.Accounts(context.Background(), store.AccountFilter{Sort: "created_at", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range accs {
		if _, err := s.st.TopUp(context.Background(), ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: int64(100 * (i + 1)), PaymentMethod: "alipay"}); err != nil {
			t.Fatal(err)
		}
	}
	return s, accs
}

var rowNames = regexp.MustCompile(`class="fw-semibold">(Cust [A-Z])</a>`)

// names lists the customers of a list page's rows, in order.
func names(body string) string {
	var out []string
	for _, m := range rowNames.FindAllStringSubmatch(body, -1) {
		out = append(out, strings.TrimPrefix(m[1], "Cust "))
	}
	return strings.Join(out, "")
}

// TestAccountListSortsCountsAndPages: the heads sort, the foot says the
// total, and pages follow one another without a repeat.
func TestAccountListSortsCountsAndPages(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, _ := accountsSite(t, d, 25)
			clerk := s.login("clerk")
			_, body, _ := clerk.get("/accounts?sort=-balance&size=20")
			if got := names(body); !strings.HasPrefix(got, "YXWV") || len(got) != 20 {
				t.Errorf("by balance, high to low, page 1: %q", got)
			}
			if !strings.Contains(body, "1–20 of 25") || !strings.Contains(body, `aria-sort="descending"`) {
				t.Error("page 1 does not say 1–20 of 25, or the balance head its order")
			}
			_, body2, _ := clerk.get("/accounts?sort=-balance&size=20&page=2")
			if got := names(body2); got != "EDCBA" || !strings.Contains(body2, "21–25 of 25") {
				t.Errorf("page 2: %q", got)
			}
			// The head links to the reverse order, keeping the filters.
			_, body, _ = clerk.get("/accounts?sort=balance&currency=EUR")
			if !strings.Contains(body, `href="/accounts?currency=EUR&amp;sort=-balance"`) || names(body) != "CFILORUX" {
				t.Errorf("EUR by balance: %q, or the head does not reverse it", names(body))
			}
			if !strings.Contains(body, "1–8 of 8") {
				t.Error("the filtered list does not count 8")
			}
			_, body, _ = clerk.get("/customers?sort=name&size=20&page=2")
			if !strings.Contains(body, "21–25 of 25") || !strings.Contains(body, ">Cust U</a>") || strings.Contains(body, ">Cust T</a>") {
				t.Error("customers by name, page 2, is not U to Y of 25")
			}
		})
	}
}

// TestAlertBatchPreview: the dialog says how many accounts will change
// before anything does, warns when the selection mixes currencies, and a
// scope of the list's filter takes what the filter matches.
func TestAlertBatchPreview(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, accs := accountsSite(t, d, 6) // USD USD EUR USD USD EUR
			clerk := s.login("clerk")
			f := clerk.form("alert_amount", "5", "scope", "selected", "form_token", "p1")
			f.Add("ids", itoa(accs[0].ID))
			f.Add("ids", itoa(accs[2].ID))
			code, body, _ := clerk.post("/accounts/alert-batch/preview", f, "HX-Request", "true")
			if code != 200 || !strings.Contains(body, `id="batch-will-change">2 accounts will change.`) || !strings.Contains(body, `id="batch-mixed-warning"`) {
				t.Errorf("preview of a USD and a EUR account = %d; want 2 to change and a mixed-currency warning:\n%s", code, body)
			}
			code, body, _ = clerk.post("/accounts/alert-batch/preview", clerk.form("alert_amount", "5", "scope", "currency", "batch_currency", "USD", "form_token", "p2"))
			if code != 200 || !strings.Contains(body, `id="batch-matched">4<`) || strings.Contains(body, `id="batch-mixed-warning"`) {
				t.Errorf("preview over USD = %d; want 4 in scope and no warning", code)
			}
			code, body, _ = clerk.post("/accounts/alert-batch/preview", clerk.form("alert_amount", "5", "scope", "filter", "filter", "currency=EUR", "form_token", "p3"))
			if code != 200 || !strings.Contains(body, `id="batch-matched">2<`) {
				t.Errorf("preview over the filter currency=EUR = %d; want 2 in scope", code)
			}
			// Nothing changed, and a bad amount is said beside it, typed as it was.
			code, body, _ = clerk.post("/accounts/alert-batch/preview", clerk.form("alert_amount", "5.001", "scope", "currency", "batch_currency", "all", "form_token", "p4"), "HX-Request", "true")
			if code != 422 || !strings.Contains(body, `id="e-alert_amount"`) || !strings.Contains(body, `value="5.001"`) {
				t.Errorf("a bad amount = %d, not beside its field", code)
			}
			for _, a := range accs {
				if got, _ := s.st.Account(context.Background(), a.ID); got.AlertAmount != 0 {
					t.Fatalf("a preview changed account %d", a.ID)
				}
			}
			// Confirmed over the filter, the list says how many changed.
			code, _, loc := clerk.post("/accounts/alert-batch", clerk.form("alert_amount", "5", "scope", "filter", "filter", "currency=EUR", "form_token", "c1"))
			if code != 303 || !strings.Contains(loc, "changed=2") || !strings.Contains(loc, "currency=EUR") {
				t.Errorf("batch over the filter = %d → %s", code, loc)
			}
			if got, _ := s.st.Account(context.Background(), accs[2].ID); got.AlertAmount != 500 {
				t.Errorf("EUR account's alert amount = %d, want 500", got.AlertAmount)
			}
		})
	}
}

// TestEditAccountDialog: the dialog's errors come back beside their
// fields, in the user's language, keeping what was typed; a saved change
// says so where the dialog was opened; an admin may change the alert
// amount but not credit; a reviewer is offered neither.
func TestEditAccountDialog(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, accs := accountsSite(t, d, 1)
			acc := itoa(accs[0].ID)
			root := s.login("root")
			root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
			_, page, _ := root.get("/accounts/" + acc + "/edit")
			version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page)[1]
			code, body, _ := root.post("/accounts/"+acc+"/edit", root.form("version", version, "alert_amount", "-3", "credit_limit", "abc",
				"overdraft", "10.00", "overdraft_expires_at", "tomorrow", "status", "normal", "back", "/accounts?currency=USD"), "HX-Request", "true")
			for _, want := range []string{`value="-3"`, `value="abc"`, `value="tomorrow"`, `id="e-alert_amount">请您输入零或更大的金额。`,
				`id="e-credit_limit">`, `id="e-overdraft_expires_at">请您输入日期和时间`} {
				if !strings.Contains(body, want) {
					t.Errorf("the refused dialog (%d) lacks %s", code, want)
				}
			}
			if code != 422 || strings.Contains(body, "<html") {
				t.Errorf("the refused dialog = %d; want 422 and the form alone", code)
			}
			code, _, loc := root.post("/accounts/"+acc+"/edit", root.form("version", version, "alert_amount", "30.00", "credit_limit", "100.00",
				"overdraft", "10.00", "overdraft_expires_at", "", "status", "frozen", "back", "/accounts?currency=USD"))
			if code != 303 || loc != "/accounts?currency=USD&done=modified" {
				t.Fatalf("save = %d → %s", code, loc)
			}
			if _, body, _ := root.get(loc); !strings.Contains(body, "修改成功") {
				t.Error("the list does not say the change was saved")
			}
			a, _ := s.st.Account(context.Background(), accs[0].ID)
			if a.AlertAmount != 3000 || a.CreditLimit != 10000 || a.Overdraft != 1000 || a.Status != ledger.StatusFrozen {
				t.Errorf("after the dialog: %+v", a)
			}
			clerk := s.login("clerk")
			_, body, _ = clerk.get("/accounts/" + acc)
			if !strings.Contains(body, `id="f-alert_amount"`) || strings.Contains(body, `id="f-credit_limit"`) {
				t.Error("an admin's dialog should offer the alert amount and not credit")
			}
			if code, _, _ := clerk.post("/accounts/"+acc+"/edit", clerk.form("version", itoa(a.Version), "alert_amount", "1", "credit_limit", "999")); code != 403 {
				t.Errorf("an admin's credit change = %d, want 403", code)
			}
			checker := s.login("checker")
			for _, p := range []string{"/accounts", "/accounts/" + acc, "/customers", "/customers/" + itoa(a.CustomerID)} {
				_, body, _ := checker.get(p)
				for _, offer := range []string{`account-edit"`, `href="/recharge?`, `id="to-modify"`, `id="batch-open"`, `name="ids"`} {
					if strings.Contains(body, offer) {
						t.Errorf("a reviewer is offered %s on %s", offer, p)
					}
				}
			}
			if code, _, _ := checker.get("/accounts/" + acc + "/edit"); code != 403 {
				t.Errorf("a reviewer opening the dialog = %d, want 403", code)
			}
		})
	}
}

// TestCustomerSearchAndDelete: the header's search with one match goes to
// the customer; with more, the list. Deleting a customer with money on an
// account comes back to the customer with the reason, and changes nothing.
func TestCustomerSearchAndDelete(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, accs := accountsSite(t, d, 3)
			root := s.login("root")
			code, _, loc := root.get("/customers?q=13900001001")
			if code != 303 || loc != "/customers/"+itoa(accs[1].CustomerID) {
				t.Errorf("search with one match = %d → %s", code, loc)
			}
			if code, body, _ := root.get("/customers?q=Cust"); code != 200 || !strings.Contains(body, "1–3 of 3") {
				t.Errorf("search with three matches = %d, not the list of 3", code)
			}
			if code, _, loc := root.get("/customers?q=" + accs[2].Number); code != 303 || loc != "/customers/"+itoa(accs[2].CustomerID) {
				t.Errorf("search by account number = %d → %s", code, loc)
			}
			cid := itoa(accs[0].CustomerID)
			_, body, _ := root.get("/customers/" + cid)
			if !strings.Contains(body, `id="archive-refused"`) || strings.Contains(body, `id="archive"`) {
				t.Error("a customer with money is offered deletion")
			}
			code, body, _ = root.post("/customers/"+cid+"/archive", root.form())
			if code != 409 || !strings.Contains(body, "settle or release it first") || !strings.Contains(body, `id="customer-name"`) {
				t.Errorf("deleting a customer with money = %d; want 409 on the customer's page with the reason", code)
			}
			if c, _ := s.st.Customer(context.Background(), accs[0].CustomerID); c.ArchivedAt != nil {
				t.Error("the refused deletion archived the customer")
			}
		})
	}
}

// G's "Account recharge" dialog over the accounts list: the row's Recharge
// loads the form for that account into the dialog; submitted, the request
// waits for review and the list comes back saying so. A back address that
// is not the accounts list is no dialog's, and is not followed.
func TestRechargeDialogOverTheList(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s, accs := accountsSite(t, d, 1)
			clerk := s.login("clerk")
			acc := itoa(accs[0].ID)
			if _, body, _ := clerk.get("/accounts"); !strings.Contains(body, `hx-get="/recharge?account_id=`+acc+`&amp;back=%2Faccounts"`) || !strings.Contains(body, `id="recharge-dialog"`) {
				t.Fatal("the list's Recharge does not open the dialog")
			}
			req, _ := http.NewRequest("GET", s.url+"/recharge?account_id="+acc+"&back=%2Faccounts%3Fcurrency%3DUSD", nil)
			req.Header.Set("HX-Request", "true")
			res, err := clerk.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body := string(b)
			if res.StatusCode != 200 || strings.Contains(body, "<html") || !strings.Contains(body, `id="recharge-dialog-title"`) ||
				!strings.Contains(body, `name="back" value="/accounts?currency=USD"`) || !strings.Contains(body, accs[0].Number) {
				t.Fatalf("the dialog's content = %d:\n%s", res.StatusCode, body)
			}
			form := clerk.form("customer_id", itoa(accs[0].CustomerID), "currency", "USD", "amount", "1,000.00", "payment_method", "1",
				"form_token", "dialog-1", "back", "/accounts?currency=USD")
			if code, _, loc := clerk.post("/recharge", form); code != 303 || loc != "/accounts?currency=USD&done=submitted" {
				t.Fatalf("submitted from the dialog = %d → %s", code, loc)
			}
			if _, body, _ := clerk.get("/accounts?currency=USD&done=submitted"); !strings.Contains(body, "Recharge submitted, waiting for review.") {
				t.Error("the list does not say the recharge was submitted")
			}
			form.Set("form_token", "dialog-2")
			form.Set("back", "https://elsewhere.example/accounts")
			if code, _, loc := clerk.post("/recharge", form); code != 303 || !strings.HasPrefix(loc, "/recharge?done=submitted&topup=") {
				t.Errorf("a foreign back address = %d → %s", code, loc)
			}
		})
	}
}
