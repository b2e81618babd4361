package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// The customers and accounts pages in a real browser, as the seeds'
// operators use them: R's query by phone that jumps to recharge,
// consumption and modification; G's list, its "Edit customer account"
// dialog and its batch alert amount by selection and by currency, with
// undo; T's credit limit and temporary overdraft, spent below zero.

// accountsCustomers are the test's customers: name, phone, currency.
var accountsCustomers = [][3]string{
	{"Harbor Freight Ltd", "13900000001", "CNY"},
	{"Lotus Print Shop", "13900000002", "USD"},
	{"Maple Courier", "13900000003", "USD"},
}

// Each test serves its own coffer: the harness gives a browser four
// minutes, and the pages' checks take most of them.

func TestBrowserAccountsCustomers(t *testing.T) {
	b := accountsBrowser(t, store.SQLite)
	accountsCustomerForm(t, b)
	accountsQueryByPhone(t, b)
}

func TestBrowserAccountsCustomersChinese(t *testing.T) {
	b := accountsBrowser(t, store.SQLite)
	b.language("zh-CN")
	b.open("/customers", "#search")
	b.check("accounts-customers-zh")
	b.submit("customer", "#results tbody a", "#customer-name")
	b.check("accounts-customer-zh")
	b.open("/customers/new", "#f-name")
	b.check("accounts-customer-form-zh")
}

func TestBrowserAccountsEditAndCredit(t *testing.T) {
	b := accountsBrowser(t, store.SQLite)
	accountsEditDialog(t, b)
	accountsCreditAndOverdraft(t, b)
}

func TestBrowserAccountsEditChinese(t *testing.T) {
	b := accountsBrowser(t, store.SQLite)
	b.language("zh-CN")
	accountsEditInChinese(t, b)
}

func TestBrowserAccountsBatchesSQLite(t *testing.T) {
	accountsBatches(t, accountsBrowser(t, store.SQLite))
}

func TestBrowserAccountsBatchesPostgres(t *testing.T) {
	accountsBatches(t, accountsBrowser(t, store.Postgres))
}

func TestBrowserAccountsBatchesChinese(t *testing.T) {
	b := accountsBrowser(t, store.SQLite)
	b.language("zh-CN")
	b.open("/accounts", "#accounts-table")
	b.run("batch dialog", chromedp.Click("#batch-open", chromedp.ByID), chromedp.WaitVisible("#batch-amount", chromedp.ByID))
	b.check("accounts-batch-dialog-zh")
	b.open("/alert-batches", "#main")
	b.check("accounts-alert-batches-zh")
	b.open("/alerts", "#main")
	b.check("accounts-alerts-zh")
}

// accountsBrowser serves coffer on d with the test's customers, created
// over the API (the customer form has its own test), and logs the super
// admin in.
func accountsBrowser(t *testing.T, d store.Dialect) *browser {
	b := serveForBrowser(t, d)
	for _, c := range accountsCustomers {
		b.allow(c[0])
	}
	b.allow("ops harbor example Copy Cat root")
	token := accountsAPI(t, b, "", "/api/v1/auth/login", map[string]any{"username": "root", "password": "root password 1"})["token"].(string)
	for i, c := range accountsCustomers {
		body := map[string]any{"name": c[0], "phone": c[1], "default_currency": c[2]}
		if i == 0 {
			body["email"] = "ops@harbor.example"
		}
		accountsAPI(t, b, token, "/api/v1/customers", body)
	}
	b.login("root", "root password 1")
	return b
}

// accountsAPI posts body to the API and returns its answer.
func accountsAPI(t *testing.T, b *browser, token, path string, body map[string]any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", b.base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode >= 300 {
		t.Fatalf("POST %s = %d: %v %v", path, res.StatusCode, out, err)
	}
	return out
}

// accountsCustomerForm fills the customer form; a phone already held is
// refused beside the field, keeping what was typed.
func accountsCustomerForm(t *testing.T, b *browser) {
	b.open("/customers/new", "#f-name")
	b.run("fill", chromedp.SendKeys("#f-name", "Copy Cat", chromedp.ByID), chromedp.SendKeys("#f-phone", "139-0000-0001", chromedp.ByID),
		chromedp.SendKeys("#f-default_currency", "usd", chromedp.ByID))
	b.check("accounts-customer-form")
	b.submit("save the copy", "#save", "#e-phone")
	if got := b.value("#f-name"); got != "Copy Cat" {
		t.Errorf("after a refused phone the name field holds %q", got)
	}
	b.check("accounts-customer-form-error")
	b.run("another phone", chromedp.SetValue("#f-phone", "13900000009", chromedp.ByID))
	b.submit("save", "#save", "#to-recharge")
	if got := b.text("#customer-accounts tbody"); !strings.Contains(got, "USD") {
		t.Errorf("the new customer's accounts: %q", got)
	}
}

// accountsQueryByPhone is R 2.4: query a customer by phone, then go to
// recharge, consumption and modification from the result; the header's
// search with one match goes straight to the customer.
func accountsQueryByPhone(t *testing.T, b *browser) {
	b.open("/customers", "#search")
	b.check("accounts-customers")
	b.run("query by phone", chromedp.SendKeys("#s-phone", "13900000002", chromedp.ByID), chromedp.Click("#search", chromedp.ByID),
		chromedp.Poll(`document.querySelectorAll("#customers-table tbody tr").length === 1`, nil))
	if got := b.text("#customers-table tbody"); !strings.Contains(got, "Lotus Print Shop") {
		t.Fatalf("query by phone found %q", got)
	}
	b.submit("jump to recharge", `#results a[href^="/recharge?customer_id="]`, "#f-amount")
	b.open("/customers?phone=13900000002", "#results tbody a")
	b.submit("jump to consumption", `#results a[href^="/charge?customer_id="]`, "#f-amount")
	b.open("/customers?phone=13900000002", "#results tbody a")
	b.submit("jump to modify", `#results a[href$="/edit"]`, "#f-name")
	if got := b.value("#f-phone"); !strings.Contains(got, "13900000002") {
		t.Errorf("the modify form holds phone %q", got)
	}
	b.run("header search", chromedp.SendKeys("#global-search", "13900000003\n", chromedp.ByID), chromedp.WaitVisible("#customer-name", chromedp.ByID))
	if got := b.text("#customer-name"); got != "Maple Courier" {
		t.Errorf("the header's search with one match opened %q", got)
	}
	b.check("accounts-customer")
}

// accountsEditDialog is G 2.5: the account list's Modify opens the dialog;
// a bad amount is said beside the field, keeping what was typed; saving
// says "Modified successfully" and the list shows the new value.
func accountsEditDialog(t *testing.T, b *browser) {
	b.open("/accounts?currency=CNY", "#accounts-table")
	b.check("accounts-list")
	b.run("open the dialog", chromedp.Click("#accounts-table .account-edit", chromedp.ByQuery), chromedp.WaitVisible("#edit-dialog #f-alert_amount", chromedp.ByQuery))
	if got := b.text("#edit-customer"); got != "Harbor Freight Ltd" {
		t.Errorf("the dialog shows customer %q", got)
	}
	b.check("accounts-edit-dialog")
	b.run("a bad alert amount", chromedp.SetValue("#f-alert_amount", "12.345", chromedp.ByID), chromedp.Click("#edit-save", chromedp.ByID),
		chromedp.WaitVisible("#e-alert_amount", chromedp.ByID))
	if got := b.value("#f-alert_amount"); got != "12.345" {
		t.Errorf("after the error the field holds %q", got)
	}
	if got := b.text("#e-alert_amount"); !strings.Contains(got, "decimal") {
		t.Errorf("the error says %q", got)
	}
	b.check("accounts-edit-dialog-error")
	b.run("a good one", chromedp.SetValue("#f-alert_amount", "500.00", chromedp.ByID), chromedp.Click("#edit-save", chromedp.ByID),
		chromedp.WaitVisible("#flash", chromedp.ByID))
	if got := b.text("#flash"); got != "Modified successfully." {
		t.Errorf("after saving: %q", got)
	}
	if got := b.text("#accounts-table tbody"); !strings.Contains(got, "500.00") {
		t.Errorf("the list after the edit: %q", got)
	}
}

// accountsCreditAndOverdraft is T: a super admin gives permanent credit and
// a temporary overdraft; consumption may then take the balance below zero,
// down to both.
func accountsCreditAndOverdraft(t *testing.T, b *browser) {
	b.open("/customers?phone=13900000002", "#results tbody a")
	b.submit("customer", "#results tbody a", "#customer-accounts")
	b.submit("account", "#customer-accounts tbody a", "#balance")
	end := time.Now().AddDate(0, 0, 7).Format("2006-01-02T15:04")
	b.run("open the dialog", chromedp.Click("#to-modify", chromedp.ByID), chromedp.WaitVisible("#f-credit_limit", chromedp.ByID),
		chromedp.SetValue("#f-credit_limit", "100.00", chromedp.ByID), chromedp.SetValue("#f-overdraft", "50.00", chromedp.ByID),
		chromedp.SetValue("#f-overdraft_expires_at", end, chromedp.ByID), chromedp.Click("#edit-save", chromedp.ByID),
		chromedp.WaitVisible("#flash", chromedp.ByID))
	if got := b.text("#available"); !strings.Contains(got, "150.00") {
		t.Errorf("available after credit and overdraft: %q, want 150.00", got)
	}
	if got := b.text("#overdraft-end"); got == "" {
		t.Error("the overdraft's end is not shown")
	}
	b.submit("consumption", "#to-charge", "#f-amount")
	b.run("spend on credit", chromedp.SendKeys("#f-amount", "120.00", chromedp.ByID))
	b.submit("post", "#submit-charge", "#to-account")
	b.submit("to the account", "#to-account", "#balance")
	if got := b.text("#balance"); !strings.Contains(got, "-") || !strings.Contains(got, "120.00") {
		t.Errorf("balance after spending on credit: %q, want -120.00", got)
	}
	b.check("accounts-account")
}

// accountsBatches is G 2.4: a batch over the ticked accounts (two
// currencies, which the dialog warns of), one over a currency, and the
// undo of the first from the batch history.
func accountsBatches(t *testing.T, b *browser) {
	// Oldest first: Harbor (CNY), then Lotus (USD).
	b.open("/accounts?sort=created_at", "#accounts-table")
	b.run("tick two", chromedp.Click(`#accounts-table tbody tr:nth-child(1) input[name="ids"]`, chromedp.ByQuery),
		chromedp.Click(`#accounts-table tbody tr:nth-child(2) input[name="ids"]`, chromedp.ByQuery),
		chromedp.Click("#batch-open", chromedp.ByID), chromedp.WaitVisible("#batch-amount", chromedp.ByID))
	if got := b.text("#batch-count"); got != "2 accounts selected." {
		t.Errorf("the dialog says %q", got)
	}
	b.check("accounts-batch-dialog")
	b.run("amount", chromedp.SendKeys("#batch-amount", "300", chromedp.ByID), chromedp.Click("#batch-preview", chromedp.ByID),
		chromedp.WaitVisible("#batch-will-change", chromedp.ByID))
	if got := b.text("#batch-will-change"); got != "2 accounts will change." {
		t.Errorf("the preview says %q", got)
	}
	mixed := b.exists("#batch-mixed-warning")
	b.check("accounts-batch-confirm")
	b.submit("confirm", "#batch-submit", "#flash")
	if got := b.text("#flash"); !strings.Contains(got, "2 accounts changed") {
		t.Errorf("after the batch: %q", got)
	}
	b.open("/accounts?sort=number", "#accounts-table")
	b.run("by currency", chromedp.Click("#batch-open", chromedp.ByID), chromedp.WaitVisible("#batch-amount", chromedp.ByID),
		chromedp.Click("#scope-currency", chromedp.ByID), chromedp.SetValue("#batch-currency", "USD", chromedp.ByID),
		chromedp.SendKeys("#batch-amount", "75", chromedp.ByID), chromedp.Click("#batch-preview", chromedp.ByID),
		chromedp.WaitVisible("#batch-will-change", chromedp.ByID))
	if got := b.text("#batch-matched"); got != "2" {
		t.Errorf("USD scope holds %q accounts, want 2", got)
	}
	b.submit("confirm", "#batch-submit", "#flash")
	b.open("/alert-batches", "#batches-table")
	b.check("accounts-alert-batches")
	// Undo the newest batch (by currency), then the first (by selection).
	for i := 0; i < 2; i++ {
		b.run("accept the confirmation", chromedp.Evaluate(`window.confirm = () => true`, nil))
		b.submitPage("undo", "#batches-table .batch-undo", "#flash")
	}
	if b.exists("#batches-table .batch-undo") {
		t.Error("a batch can still be undone after both were")
	}
	b.open("/accounts?sort=number", "#accounts-table")
	// Amounts, not digits: a random account number may hold "300".
	if got := b.text("#accounts-table tbody"); strings.Contains(got, "300.00") || strings.Contains(got, "75.00") {
		t.Errorf("after undoing both batches the list shows %q", got)
	}
	if !mixed {
		t.Error("the two ticked accounts are in CNY and USD, and the confirmation does not warn of it")
	}
	b.open("/alerts", "#main")
	b.check("accounts-alerts")
}

// accountsEditInChinese looks at the list, the dialog with an error and
// the account page in Chinese.
func accountsEditInChinese(t *testing.T, b *browser) {
	b.open("/accounts", "#accounts-table")
	b.check("accounts-list-zh")
	b.run("open the dialog", chromedp.Click("#accounts-table .account-edit", chromedp.ByQuery), chromedp.WaitVisible("#edit-dialog #f-alert_amount", chromedp.ByQuery),
		chromedp.SetValue("#f-alert_amount", "-5", chromedp.ByID), chromedp.Click("#edit-save", chromedp.ByID), chromedp.WaitVisible("#e-alert_amount", chromedp.ByID))
	if got := b.text("#e-alert_amount"); got != "请您输入零或更大的金额。" {
		t.Errorf("the Chinese error says %q", got)
	}
	b.check("accounts-edit-dialog-zh")
	b.open("/accounts", "#accounts-table")
	b.submit("account", "#accounts-table tbody a", "#balance")
	if got := b.text("#entries thead"); !strings.Contains(got, "变动后余额") {
		t.Errorf("Chinese history header reads %q", got)
	}
	b.check("accounts-account-zh")
}

// TestBrowserAccountsRechargeDialog is G's "Account recharge" dialog: from
// the list, Recharge opens the form for that row's account over it; once
// submitted the list comes back with "Recharge submitted, waiting for
// review", in English and in Chinese.
func TestBrowserAccountsRechargeDialog(t *testing.T) {
	b := accountsBrowser(t, store.SQLite)
	for _, c := range []struct{ lang, amount, flash string }{
		{"en", "1,000.00", "Recharge submitted, waiting for review."},
		{"zh-CN", "2 000.00", "充值已提交，等待审核。"},
	} {
		b.language(c.lang)
		b.open("/accounts?currency=CNY", "#accounts-table")
		b.run("open the dialog", chromedp.Click("#accounts-table .account-recharge", chromedp.ByQuery),
			chromedp.WaitVisible("#recharge-dialog #f-amount", chromedp.ByQuery))
		if got := b.text("#recharge-dialog #picked-name"); got != "Harbor Freight Ltd" {
			t.Errorf("%s: the dialog is for %q", c.lang, got)
		}
		b.check("accounts-recharge-dialog-" + c.lang)
		b.run("fill", chromedp.SendKeys("#recharge-dialog #f-amount", c.amount, chromedp.ByQuery),
			chromedp.SetValue("#recharge-dialog #f-method", "1", chromedp.ByQuery))
		b.submit("submit", "#recharge-dialog #submit-recharge", "#flash")
		if got := b.text("#flash"); got != c.flash {
			t.Errorf("%s: after submitting, the list says %q", c.lang, got)
		}
		var path string
		b.run("where", chromedp.Evaluate(`location.pathname + location.search`, &path))
		if !strings.HasPrefix(path, "/accounts?currency=CNY") {
			t.Errorf("%s: after submitting the browser is at %s", c.lang, path)
		}
	}
}
