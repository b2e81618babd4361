package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testsmtp"
)

// TestBrowserCustomerMail: a super admin sets up the business's mail server
// (a sender that is no address is refused beside its field, the rest kept)
// and sends a test message; a customer with an address, written to in
// Chinese, gets the adjustment mail the serving instance sends, which the
// customer's page and the mail log show; the operator views the statement,
// makes a statement link and opens it as the customer would, then revokes
// it. In English and in Chinese, each page judged at both widths.
func TestBrowserCustomerMail(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			srv := testsmtp.Start(t, testsmtp.Accept)
			b := serveForBrowser(t, store.SQLite)
			b.allow("root", "Harbor Tea House", "Opening balance", "harbor", "mail", "example", "billing", "shop", "ops", "Mingde", "Logistics")
			b.login("root", "root password 1")
			b.language(lang)
			short := map[string]string{"en": "en", "zh-CN": "zh"}[lang]

			mailSettings(b, srv)
			b.check("settings-mail-" + short)
			b.run("test address", chromedp.SendKeys("#f-test_to", "ops@shop.example", chromedp.ByID))
			b.submitPage("send a test message", "#send-test-mail", "#flash")
			if got := srv.Wait(1, 10*time.Second); len(got) != 1 || got[0].To[0] != "ops@shop.example" {
				t.Fatalf("test message: %+v", got)
			}

			fundedAccountPage(b, "Harbor Tea House", "13900003333", "#hold-new")
			var path string
			b.run("account path", chromedp.Evaluate(`document.querySelector('a[href^="/customers/"]').getAttribute("href")`, &path))
			customer := path
			b.open(customer+"/edit", "#f-email")
			b.run("address and language", chromedp.SendKeys("#f-email", "harbor@mail.example", chromedp.ByID),
				chromedp.SetValue("#f-locale", "zh-CN", chromedp.ByID))
			if !b.checked("#f-notify-adjustment") || !b.checked("#f-notify-statement") {
				t.Error("the mail toggles of a customer are not on by default")
			}
			b.run("no low-balance mail", chromedp.Click("#f-notify-low_balance", chromedp.ByID))
			b.check("customer-form-mail-" + short)
			b.submit("save customer", "#save", "#customer-notify")
			if got := b.text("#customer-notify"); strings.Count(got, "\n") > 3 || got == "" {
				t.Logf("mail toggles read %q", got)
			}

			b.open("/adjust?customer_id="+strings.TrimPrefix(customer, "/customers/"), "#f-note")
			b.run("adjust", chromedp.SendKeys("#f-amount", "12.50", chromedp.ByID), chromedp.SendKeys("#f-note", "十月仓储费返还", chromedp.ByID))
			b.submit("post adjustment", "#submit-adjust", "#to-account")
			got := srv.Wait(2, 20*time.Second)
			if len(got) != 2 || got[1].To[0] != "harbor@mail.example" || !strings.Contains(got[1].Text, "十月仓储费返还") || !strings.Contains(got[1].Subject, "余额") {
				t.Fatalf("the customer's mail: %+v", got)
			}
			waitForSent(b, customer)
			b.check("customer-mail-log-" + short)

			b.submit("view the statement", "#to-statement", "#statement-totals")
			if got := b.text("#st-closing"); !strings.Contains(got, "512.50") {
				t.Errorf("the statement closes at %q", got)
			}
			b.check("statement-" + short)

			b.open(customer, "#make-link")
			b.submitPage("make a link", "#make-link", "#new-link-url")
			link := b.value("#new-link-url")
			if !strings.Contains(link, "/s/cst_") {
				t.Fatalf("link %q", link)
			}
			b.check("customer-link-made-" + short)
			b.run("open the link", chromedp.Navigate(link), chromedp.WaitVisible("#statement-totals", chromedp.ByID))
			if got := b.text("#customer-name"); got != "Harbor Tea House" {
				t.Errorf("the link's page names %q", got)
			}
			if b.exists("#sidebar") || b.exists("#logout") || b.exists("#global-search") {
				t.Error("the link's page shows the console")
			}
			b.check("public-statement-" + short)
			b.run("the other language", chromedp.Click(`a[lang="`+map[string]string{"en": "zh-CN", "zh-CN": "en"}[lang]+`"]`, chromedp.ByQuery),
				chromedp.WaitVisible("#statement-totals", chromedp.ByID))
			b.check("public-statement-switched-" + short)
			if !b.exists("#p-pdf") {
				t.Error("the link's page offers no PDF")
			}

			b.open(customer, "#links-table")
			b.run("accept the confirmation", chromedp.Evaluate(`window.confirm = () => true`, nil))
			b.submitPage("revoke", "#links-table .link-revoke", "#flash")
			b.run("open the revoked link", chromedp.Navigate(link), chromedp.WaitVisible("#public-error", chromedp.ByID))
			b.check("public-revoked-" + short)
		})
	}
}

// mailSettings fills in the mail card of the settings page, first with a
// sender that is no address.
func mailSettings(b *browser, srv *testsmtp.Server) {
	b.t.Helper()
	b.open("/settings", "#f-smtp_host")
	b.run("mail server", chromedp.SendKeys("#f-business_name", "Mingde Logistics", chromedp.ByID),
		chromedp.SendKeys("#f-smtp_host", srv.Host, chromedp.ByID), chromedp.SendKeys("#f-smtp_port", strconv.Itoa(srv.Port), chromedp.ByID),
		chromedp.SendKeys("#f-smtp_from", "billing", chromedp.ByID))
	b.submitPage("save a bad sender", "#save-mail", "#e-smtp_from")
	if got := b.value("#f-smtp_host"); got != srv.Host {
		b.t.Errorf("after a refused save the host reads %q", got)
	}
	b.check("settings-mail-error-" + map[bool]string{true: "zh", false: "en"}[b.isChinese()])
	b.run("fix the sender", chromedp.SetValue("#f-smtp_from", "Mingde <billing@shop.example>", chromedp.ByID))
	b.submitPage("save the mail server", "#save-mail", "#mail-on")
}

// waitForSent reloads the customer's page until the mail log says sent:
// the serving instance's worker sends within a few seconds.
func waitForSent(b *browser, customer string) {
	b.t.Helper()
	for range 40 {
		b.open(customer, "#customer-mail-log")
		if b.exists("#mail-log .text-bg-success") {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	b.t.Fatalf("the mail log never said sent: %s", b.text("#customer-mail-log"))
}

func (b *browser) checked(sel string) bool {
	b.t.Helper()
	var on bool
	b.run("is "+sel+" checked", chromedp.Evaluate(`document.querySelector('`+sel+`').checked`, &on))
	return on
}

func (b *browser) isChinese() bool {
	var lang string
	b.run("page language", chromedp.Evaluate(`document.documentElement.lang`, &lang))
	return lang == "zh-CN"
}
