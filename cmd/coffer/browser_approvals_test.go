package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserApprovals walks four-eyes approvals (SPEC 9) as operators do:
// a super admin sets a USD threshold on the settings page and posts an
// adjustment above it, which the adjustment page says went to approval,
// with a link; a reviewer finds it in the queue under Review, is refused a
// rejection without a remark beside the field, and approves it — in
// English, then a second one in Chinese.
func TestBrowserApprovals(t *testing.T) {
	b := serveForBrowser(t, store.SQLite)
	must := b.api
	root := must(200, "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": "root password 1"})["token"].(string)
	must(201, "POST", "/api/v1/admins", root, map[string]any{"username": "checker", "name": "Checker", "role": "reviewer", "password": "staff password 1"})
	c := must(201, "POST", "/api/v1/customers", root, map[string]any{"name": "Northwind Traders", "default_currency": "USD"})
	acc := must(200, "GET", "/api/v1/accounts?customer_id="+c["id"].(string), root, nil)["items"].([]any)[0].(map[string]any)["id"].(string)
	b.allow("Northwind Traders", "Checker", "root", "checker", "Lost pallet compensation", "Checked against ticket", "Second pallet")

	b.login("root", "root password 1")
	b.open("/settings", "#approvals-settings")
	b.run("threshold", chromedp.SendKeys("#f-threshold_currency", "USD", chromedp.ByID), chromedp.SendKeys("#f-threshold_amount", "1000.00", chromedp.ByID))
	b.submit("save settings", "#save-settings", "#flash")
	if got := b.text("#threshold-list"); !strings.Contains(got, "USD") || !strings.Contains(got, "1,000.00") {
		t.Errorf("the thresholds read %q", got)
	}
	b.check("approvals-settings-en")
	adjust := func(amount, note string) string {
		b.open("/adjust?account_id="+acc, "#f-note")
		b.run("fill adjustment", chromedp.SendKeys("#f-amount", amount, chromedp.ByID), chromedp.SendKeys("#f-note", note, chromedp.ByID),
			chromedp.SetValue("#f-reason", "compensation", chromedp.ByID))
		b.submit("post adjustment", "#submit-adjust", "#queued")
		var href string
		b.run("approval link", chromedp.AttributeValue("#queued-link", "href", &href, nil, chromedp.ByID))
		return strings.TrimPrefix(href, "/approvals/")
	}
	first := adjust("1500.00", "Lost pallet compensation")
	if got := b.text("#queued"); !strings.Contains(got, "nothing has changed") {
		t.Errorf("the adjustment page says %q", got)
	}
	b.check("approvals-queued-en")
	b.logout()

	b.login("checker", "staff password 1")
	b.run("open the queue", chromedp.Click("#nav-approvals", chromedp.ByID), chromedp.WaitVisible("#approval-queue", chromedp.ByID))
	if got := b.text("#approval-" + first); !strings.Contains(got, "Northwind Traders") || !strings.Contains(got, "1,500.00") || !strings.Contains(got, "root") {
		t.Errorf("the queue row reads %q", got)
	}
	b.check("approvals-queue-en")
	b.submit("open the approval", "#approval-"+first+" .open-approval", "#approval-form")
	b.submit("reject without remark", "#reject", "#e-remark")
	if got := b.text("#e-remark"); got != "Required." {
		t.Errorf("a rejection without a remark says %q", got)
	}
	b.check("approvals-error-en")
	b.run("remark", chromedp.SendKeys("#f-remark", "Checked against ticket 4411", chromedp.ByID))
	b.submit("approve", "#approve", "#flash")
	if got := b.text("#flash"); !strings.Contains(got, "Approved") {
		t.Errorf("after approval the queue says %q", got)
	}
	b.open("/approvals/"+first, "#approval-tx")
	b.check("approvals-approved-en")
	b.logout()

	// A second one, decided in Chinese.
	b.login("root", "root password 1")
	second := adjust("2000.00", "Second pallet")
	b.logout()
	b.login("checker", "staff password 1")
	b.language("zh-CN")
	b.open("/approvals", "#approval-queue")
	b.check("approvals-queue-zh")
	b.open("/approvals/"+second, "#approval-form")
	b.submit("reject without remark zh", "#reject", "#e-remark")
	if got := b.text("#e-remark"); !strings.Contains(got, "必填") {
		t.Errorf("a rejection without a remark says %q in Chinese", got)
	}
	b.check("approvals-page-zh")
	b.submit("approve zh", "#approve", "#flash")
	if got := b.text("#flash"); !strings.Contains(got, "已批准") {
		t.Errorf("after approval the queue says %q", got)
	}
	b.open("/accounts/"+acc, "#main")
	if got := b.text("#main"); !strings.Contains(got, "3,500.00") {
		t.Errorf("the account after two approvals does not show 3,500.00")
	}
}
