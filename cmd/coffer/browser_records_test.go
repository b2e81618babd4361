package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserRecords walks the records, reports and system pages as a super
// admin, in English and in Chinese, on both databases: a new administrator,
// a webhook, a customer with an adjustment, a settings change and a payment
// method make the records; the operation records are filtered by an
// administrator and an action and a record's changes opened; every page is
// judged (check) at desktop and phone width. Each language has a server of
// its own, so that each walk fits in the browser's time.
func TestBrowserRecords(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d)+"/en", func(t *testing.T) {
			b := recordsBrowser(t, d)
			b.open("/login", "#username")
			b.check("records-login-en")
			b.login("root", "root password 1")
			recordsMakeActivity(b)
			recordsPages(b, "en", "Settings changed", "Retention (days)")
		})
		t.Run(string(d)+"/zh", func(t *testing.T) {
			b := recordsBrowser(t, d)
			b.login("root", "root password 1")
			recordsMakeActivity(b)
			b.language("zh-CN")
			recordsPages(b, "zh", "修改系统设置", "保留天数")
			b.logout()
			b.open("/login", "#username")
			if got := b.text("#login"); got != "登录" {
				t.Errorf("the login page after Chinese reads %q", got)
			}
			b.check("records-login-zh")
		})
	}
}

// recordsBrowser serves d for a browser that knows the test's data.
func recordsBrowser(t *testing.T, d store.Dialect) *browser {
	b := serveForBrowser(t, d)
	b.allow("root", "clerk", "Clara Wu", "Harbor Tea House", "Opening balance", "Cash Desk", "Order events", "hooks", "example", "https", "coffer")
	return b
}

// recordsMakeActivity creates what the pages show: an administrator, a
// webhook (which the adjustment's event is then sent to), a customer with a
// credit adjustment, changed settings and a payment method.
func recordsMakeActivity(b *browser) {
	b.t.Helper()
	b.open("/admins", "#n-username")
	b.run("new admin", chromedp.SendKeys("#n-username", "clerk", chromedp.ByID), chromedp.SendKeys("#n-name", "Clara Wu", chromedp.ByID),
		chromedp.SetValue("#n-role", "admin", chromedp.ByID), chromedp.SendKeys("#n-password", "short", chromedp.ByID))
	b.submit("too short a password", `#admin-new button[type="submit"]`, "#e-password")
	if got := b.value("#n-username"); got != "clerk" {
		b.t.Errorf("after an error the username field holds %q", got)
	}
	b.run("password", chromedp.SendKeys("#n-password", "staff password 1", chromedp.ByID))
	b.submit("create admin", `#admin-new button[type="submit"]`, "#flash")

	b.open("/webhooks", "#f-url")
	b.run("webhook", chromedp.SendKeys("#f-url", "https://hooks.example.com/coffer", chromedp.ByID),
		chromedp.Click(`#ev-transaction\.posted`, chromedp.ByQuery), chromedp.SendKeys("#f-description", "Order events", chromedp.ByID))
	b.submit("create webhook", `#webhook-new button[type="submit"]`, "#webhook-secret")
	first := b.text("#webhook-secret code")
	// The receiver's owner checks the set-up with a test event, then the
	// secret is replaced with a day's grace.
	b.submitPage("ping", `form[action$="/ping"] button`, "#deliveries-table")
	if got := b.text("#deliveries-table > tbody"); !strings.Contains(got, "Test event") {
		b.t.Errorf("after a ping the delivery log reads %q", got)
	}
	b.run("accept the confirmation", chromedp.Evaluate(`window.confirm = () => true`, nil))
	b.submitPage("rotate", `form[action$="/rotate-secret"] button`, "#webhook-secret")
	if second := b.text("#webhook-secret code"); !strings.HasPrefix(second, "whsec_") || second == first {
		b.t.Errorf("the new secret is %q, the first was %q", second, first)
	}
	if got := b.text("#flash"); !strings.Contains(got, "old and the new secret") {
		b.t.Errorf("after a rotation the page says %q", got)
	}

	fundedAccountPage(b, "Harbor Tea House", "13900001111", "#balance")

	b.open("/settings", "#f-retention_days")
	b.run("retention", chromedp.SetValue("#f-retention_days", "200", chromedp.ByID))
	b.submit("save settings", "#save-settings", "#flash")
	b.run("method", chromedp.SendKeys("#f-method_name", "Cash Desk", chromedp.ByID))
	b.submitPage("add method", `#method-new button[type="submit"]`, "#flash")

}

// recordsPages opens and judges each page in the current language (lang is
// the screenshots' suffix): the dashboard, the operation records filtered by
// root and the settings action with one record's changes open, the reports
// with their chart, the system pages, the profile and an error page.
func recordsPages(b *browser, lang, settingsAction, retentionLabel string) {
	b.t.Helper()
	b.open("/", "#pending-count")
	if got := b.text("#pending-count"); got != "0" {
		b.t.Errorf("%s: pending reviews read %q", lang, got)
	}
	if got := b.text("#recent"); !strings.Contains(got, settingsAction) {
		b.t.Errorf("%s: recent activity lacks the settings change: %q", lang, got)
	}
	b.check("records-dashboard-" + lang)

	b.open("/audit", "#audit-table")
	var root string
	b.run("root's id", chromedp.Evaluate(`[...document.querySelectorAll("#f-actor option")].find(o => o.textContent.startsWith("root")).value`, &root))
	// The page before the search is marked, so that what is read next is
	// the page the search gives.
	b.run("filter", chromedp.SetValue("#f-actor", root, chromedp.ByID), chromedp.SetValue("#f-action", "settings.update", chromedp.ByID),
		chromedp.Evaluate(`document.body.dataset.before = "search"`, nil))
	b.submit("search records", "#audit-search", "body:not([data-before]) #audit-table")
	var rows int
	b.run("rows", chromedp.Evaluate(`document.querySelectorAll("#audit-table > tbody > tr").length`, &rows))
	if got := b.text("#audit-table > tbody"); rows != 1 || !strings.Contains(got, settingsAction) {
		b.t.Errorf("%s: filtered by root and the settings action, %d rows: %q", lang, rows, got)
	}
	b.run("open the changes", chromedp.Click("#audit-table details summary", chromedp.ByQuery),
		chromedp.WaitVisible("#audit-table details table", chromedp.ByQuery))
	if got := b.text("#audit-table details table"); !strings.Contains(got, retentionLabel) || !strings.Contains(got, "183") || !strings.Contains(got, "200") {
		b.t.Errorf("%s: the settings change reads %q", lang, got)
	}
	b.check("records-audit-" + lang)

	var chartWidth int
	b.open("/reports", "#report-table")
	b.run("chart", chromedp.Poll(`document.querySelector("#report-chart").naturalWidth`, &chartWidth))
	b.check("records-reports-" + lang)

	for _, p := range []struct{ path, sel, name string }{
		{"/admins", "#admins-table", "admins"}, {"/settings", "#settings-form", "settings"},
		{"/webhooks?deliveries=1", "#deliveries", "webhooks"}, {"/archives", "#archives-table", "archives"},
		{"/profile", "#password-form", "profile"}, {"/customers/x", "#error-card", "error"},
	} {
		b.open(p.path, p.sel)
		b.check("records-" + p.name + "-" + lang)
	}
	if !b.exists("#error") {
		b.t.Errorf("%s: the error page does not say what went wrong", lang)
	}
}

// fundedAccountPage makes a customer with a CNY account through the
// console, credits it 500.00 with an adjustment ("Opening balance"), and
// opens the account's page, waiting for waitFor there.
func fundedAccountPage(b *browser, name, phone, waitFor string) {
	b.t.Helper()
	b.open("/customers/new", "#f-name")
	b.run("new customer", chromedp.SendKeys("#f-name", name, chromedp.ByID), chromedp.SendKeys("#f-phone", phone, chromedp.ByID),
		chromedp.SendKeys("#f-default_currency", "CNY", chromedp.ByID))
	b.submit("save customer", "#save", "#to-recharge")
	var path string
	b.run("customer path", chromedp.Evaluate(`location.pathname`, &path))
	b.open("/adjust?customer_id="+strings.TrimPrefix(path, "/customers/"), "#f-note")
	b.run("adjust", chromedp.SendKeys("#f-amount", "500.00", chromedp.ByID), chromedp.SendKeys("#f-note", "Opening balance", chromedp.ByID))
	b.submit("post adjustment", "#submit-adjust", "#to-account")
	b.submit("to the account", "#to-account", waitFor)
}
