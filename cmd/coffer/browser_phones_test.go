package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserPhoneRegion: a super admin sets the phone region on the
// settings page, in English and in Chinese, over two customers who are one
// number typed two ways; the page then says which numbers were left alone,
// with links to both customers, and a number typed nationally is saved in
// international form.
func TestBrowserPhoneRegion(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			b := serveForBrowser(t, store.SQLite)
			b.allow("root", "Harbor Tea", "Harbor Tea Branch", "Lin Bo")
			b.login("root", "root password 1")
			b.language(lang)
			short := map[string]string{"en": "en", "zh-CN": "zh"}[lang]
			for name, phone := range map[string]string{"Harbor Tea": "+86 138 0013 8000", "Harbor Tea Branch": "13800138000"} {
				b.open("/customers/new", "#f-name")
				b.run("new customer", chromedp.SendKeys("#f-name", name, chromedp.ByID), chromedp.SendKeys("#f-phone", phone, chromedp.ByID))
				b.submit("save customer", "#save", "#to-recharge")
			}
			b.open("/settings", "#f-phone_region")
			if got := b.value("#f-phone_region"); got != "" {
				t.Errorf("a new database's phone region is %q", got)
			}
			b.run("choose CN", chromedp.SetValue("#f-phone_region", "CN", chromedp.ByID))
			b.submitPage("save settings", "#save-settings", "#phone-report")
			if got := b.value("#f-phone_region"); got != "CN" {
				t.Errorf("after saving, the phone region reads %q", got)
			}
			if got := b.text("#phone-collisions"); !strings.Contains(got, "+8613800138000") || !strings.Contains(got, "Harbor Tea Branch") {
				t.Errorf("the report lists %q", got)
			}
			b.check("settings-phones-" + short)
			b.open("/customers/new", "#f-name")
			b.run("new customer", chromedp.SendKeys("#f-name", "Lin Bo", chromedp.ByID), chromedp.SendKeys("#f-phone", "139 0013 9000", chromedp.ByID))
			b.submit("save customer", "#save", "#to-recharge")
			if got := b.text("main"); !strings.Contains(got, "+8613900139000") {
				t.Errorf("the new customer's page does not show the number in E.164: %q", got)
			}
		})
	}
}
