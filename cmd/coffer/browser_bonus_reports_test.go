package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserBonusReports reads promotional credit (SPEC 11) where a super
// admin and a customer follow the money: the reports page (recharge bonus
// beside recharge, consumption's bonus part, the totals' own money and
// bonus), the dashboard's today, the console's statement and the page of a statement link (the
// opening and closing balances in their two parts, each movement's bonus
// part). In English and in Chinese, each page judged at desktop and phone
// width.
func TestBrowserBonusReports(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			b := serveForBrowser(t, store.SQLite)
			short := map[string]string{"en": "en", "zh-CN": "zh"}[lang]
			acc, token := seedBonus(t, b)
			customer := seedBonusDay(t, b, acc, token)
			b.login("root", "root password 1")
			b.language(lang)

			b.open("/reports", "#report-table")
			if got := b.text("#report-sums"); !strings.Contains(got, "200.00") || !strings.Contains(got, "20.00") || !strings.Contains(got, "70.00") {
				t.Errorf("the summary's sums read %q", got)
			}
			if got := b.text("#totals-principal") + " " + b.text("#totals-customer-bonus"); !strings.Contains(got, "650.00") || !strings.Contains(got, "20.00") {
				t.Errorf("the totals' own money and bonus read %q", got)
			}
			b.check("bonus-reports-" + short)
			b.open("/", "#today-table")
			if got := b.text("#today-table"); !strings.Contains(got, "20.00") || !strings.Contains(got, "70.00") {
				t.Errorf("the dashboard's today reads %q", got)
			}
			b.check("bonus-dashboard-" + short)

			b.open("/customers/"+customer+"/statement", "#statement-totals")
			if got := b.text("#st-closing-principal") + " " + b.text("#st-closing-bonus"); !strings.Contains(got, "650.00") || !strings.Contains(got, "20.00") {
				t.Errorf("the statement closes with %q", got)
			}
			b.check("bonus-statement-" + short)

			b.open("/customers/"+customer, "#make-link")
			b.submitPage("make a link", "#make-link", "#new-link-url")
			link := b.value("#new-link-url")
			other := map[string]string{"en": "zh-CN", "zh-CN": "en"}[lang]
			// The page speaks the customer's language (English) unless asked.
			b.run("open the link", chromedp.Navigate(link+"?lang="+lang), chromedp.WaitVisible("#statement-totals", chromedp.ByID))
			if got := b.text("#statement-movements"); strings.Count(got, map[string]string{"en": "of which bonus", "zh-CN": "其中赠送金额"}[lang]) != 1 {
				t.Errorf("the link's page names the consumption's bonus part %q", got)
			}
			b.check("bonus-public-statement-" + short)
			if !b.exists(`a[lang="` + other + `"]`) {
				t.Error("the link's page has no switch to the other language")
			}
		})
	}
}

// seedBonusDay gives the account of seedBonus (500.00 of own money) a
// day with bonus, through the API: a direct top-up of 200.00 that a rule
// gives 20.00 of bonus with, 50.00 of bonus granted, and a consumption of
// 120.00 that bonus paid 70.00 of (bonus first), then 20.00 more of bonus:
// 650.00 of own money and 20.00 of bonus are left. It returns the
// customer's id.
func seedBonusDay(t *testing.T, b *browser, acc, token string) string {
	t.Helper()
	bonusAPI(t, b, 200, "PATCH", "/api/v1/settings", token, map[string]any{"direct_topup": true})
	bonusAPI(t, b, 201, "POST", "/api/v1/promotions", token, map[string]any{"name": "Spring tea", "currency": "CNY", "bonus_fixed": "20.00",
		"valid_from": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	customer := bonusAPI(t, b, 200, "GET", "/api/v1/accounts/"+acc, token, nil)["customer_id"].(string)
	bonusAPI(t, b, 201, "POST", "/api/v1/topups", token, map[string]any{"customer_id": customer, "currency": "CNY", "amount": "200.00",
		"payment_method": "1", "payment_status": "paid", "direct": true})
	grant := func(amount string) {
		bonusAPI(t, b, 201, "POST", "/api/v1/adjustments", token, map[string]any{"account_id": acc, "direction": "credit", "amount": amount,
			"reason": "promotion", "note": "Spring tea promotion", "bonus": true})
	}
	grant("50.00")
	bonusAPI(t, b, 201, "POST", "/api/v1/charges", token, map[string]any{"account_id": acc, "amount": "120.00", "reference": "TEA-8"})
	grant("20.00")
	// A top-up's posting is noted "top-up R…" by the store, in English
	// whatever the page's language: data, as far as this test goes.
	b.allow("Spring tea", "Alipay", "top-up")
	return customer
}
