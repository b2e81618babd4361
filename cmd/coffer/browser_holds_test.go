package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserHolds: on an account's page an operator reserves money for a
// pending sale, sees it held against what can be spent, captures part of
// it, and releases a second hold; in English and in Chinese, each page
// judged at desktop and phone width.
func TestBrowserHolds(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			b := serveForBrowser(t, store.SQLite)
			b.allow("root", "Harbor Tea House", "sale", "Opening balance")
			b.login("root", "root password 1")
			b.language(lang)
			short := map[string]string{"en": "en", "zh-CN": "zh"}[lang]
			fundedAccountPage(b, "Harbor Tea House", "13900002222", "#hold-new")

			b.run("too much", chromedp.SendKeys("#f-hold_amount", "900.00", chromedp.ByID), chromedp.SendKeys("#f-hold_reference", "sale 1", chromedp.ByID))
			b.submitPage("place too much", "#hold-place", "#hold-new")
			if got := b.value("#f-hold_reference"); got != "sale 1" {
				t.Errorf("after a refused hold the reference reads %q", got)
			}
			b.run("fix amount", chromedp.SetValue("#f-hold_amount", "120.00", chromedp.ByID))
			b.submitPage("place a hold", "#hold-place", "#holds-table")
			if got := b.text("#held"); !strings.Contains(got, "120.00") {
				t.Errorf("held reads %q", got)
			}
			if got := b.text("#available"); !strings.Contains(got, "380.00") {
				t.Errorf("available reads %q, want 380.00", got)
			}
			b.check("account-holds-" + short)
			holdsInView(b, `#holds-table form[action$="/capture"] button`)
			b.run("capture part", chromedp.SendKeys(`#holds-table input[name="capture_amount"]`, "45.50", chromedp.ByQuery))
			b.submitPage("capture", `#holds-table form[action$="/capture"] button`, "#flash")
			if got := b.text("#balance"); !strings.Contains(got, "454.50") {
				t.Errorf("after capturing 45.50 the balance reads %q", got)
			}
			if b.exists("#held") {
				t.Error("a captured hold still shows as held")
			}
			b.run("second hold", chromedp.SendKeys("#f-hold_amount", "10.00", chromedp.ByID))
			b.submitPage("place another", "#hold-place", "#holds-table")
			b.run("accept the confirmation", chromedp.Evaluate(`window.confirm = () => true`, nil))
			holdsInView(b, `#holds-table form[action$="/release"] button`)
			b.submitPage("release", `#holds-table form[action$="/release"] button`, "#flash")
			if b.exists("#held") || !strings.Contains(b.text("#holds-table"), map[string]string{"en": "Released", "zh-CN": "已释放"}[lang]) {
				t.Errorf("after the release the holds read %q", b.text("#holds-table"))
			}
			b.check("account-holds-done-" + short)
		})
	}
}

// holdsInView brings a button of the holds card to the middle of the
// window at once. The page arrives at #holds, and Bootstrap scrolls there
// smoothly: a click while the page still moves lands beside the button.
func holdsInView(b *browser, sel string) {
	b.t.Helper()
	b.run("scroll to "+sel, chromedp.Evaluate(`document.documentElement.style.scrollBehavior = "auto";
		document.querySelector('`+sel+`').scrollIntoView({block: "center", behavior: "instant"})`, nil))
}
