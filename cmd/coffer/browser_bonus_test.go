package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserBonus walks promotional credit (SPEC 11) as an operator does:
// on the adjustment form a promotion's credit is ticked as bonus once the
// reason is Promotion, a day gone by is refused beside its field with
// everything typed kept, and a day ahead is granted; the account page then
// shows the balance as own money and bonus with the lot, the accounts list
// says the bonus under the balance, a consumption that bonus paid part of
// shows both parts, and the settings change the spending order. In
// English and in Chinese, each page judged at desktop and phone width.
func TestBrowserBonus(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			b := serveForBrowser(t, store.SQLite)
			short := map[string]string{"en": "en", "zh-CN": "zh"}[lang]
			acc, token := seedBonus(t, b)
			b.login("root", "root password 1")
			b.language(lang)
			bonusRecharge(t, b, acc, lang, short)
			bonusAdjust(t, b, acc, lang, short)
			b.submit("to the account", "#to-account", "#bonus-lots")
			if got := b.text("#principal") + " " + b.text("#bonus"); !strings.Contains(got, "500.00") || !strings.Contains(got, "50.00") {
				t.Errorf("own money and bonus read %q", got)
			}
			b.check("bonus-account-" + short)
			b.open("/accounts", "#accounts-table")
			if got := b.text("#accounts-table .incl-bonus"); !strings.Contains(got, "50.00") {
				t.Errorf("the accounts list says %q under the balance", got)
			}
			b.check("bonus-accounts-" + short)

			// 80.00 takes the 50.00 of bonus first, then 30.00 of own money.
			bonusAPI(t, b, 201, "POST", "/api/v1/charges", token, map[string]any{"account_id": acc, "amount": "80.00", "reference": "TEA-7"})
			b.open("/accounts/"+acc, "#entries")
			if b.exists("#bonus-lots") || b.exists("#bonus") || !b.exists("#entries .part-bonus") || !b.exists("#entries .part-principal") {
				t.Error("after the bonus is spent the account page still shows it, or does not name the parts of the split")
			}
			b.submit("open the consumption", "#entries tbody tr:first-child a", "#tx-bonus")
			if got := b.text("#tx-bonus") + " " + b.text("#tx-principal"); !strings.Contains(got, "50.00") || !strings.Contains(got, "30.00") {
				t.Errorf("the split consumption reads %q", got)
			}
			b.check("bonus-transaction-" + short)
			bonusSettings(t, b, lang, short)
		})
	}
}

// seedBonus makes, through the API, a customer with a CNY account holding
// 500.00 of its own money; it returns the account's id and root's token.
func seedBonus(t *testing.T, b *browser) (string, string) {
	t.Helper()
	token := bonusAPI(t, b, 200, "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": "root password 1"})["token"].(string)
	c := bonusAPI(t, b, 201, "POST", "/api/v1/customers", token, map[string]any{"name": "Lotus Tea House", "default_currency": "CNY"})
	acc := bonusAPI(t, b, 200, "GET", "/api/v1/accounts?customer_id="+c["id"].(string), token, nil)["items"].([]any)[0].(map[string]any)["id"].(string)
	bonusAPI(t, b, 201, "POST", "/api/v1/adjustments", token, map[string]any{"account_id": acc, "direction": "credit", "amount": "500.00",
		"reason": "other", "note": "opening"})
	bonusAPI(t, b, 201, "POST", "/api/v1/promotions", token, map[string]any{"name": "Tea season", "currency": "CNY", "min_amount": "100.00",
		"bonus_percent": "10", "valid_from": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "bonus_expires_in_days": 30})
	b.allow("root", "Lotus Tea House", "opening", "Spring tea promotion", "TEA", "Tea season")
	return acc, token
}

func bonusAPI(t *testing.T, b *browser, want int, method, path, token string, body any) map[string]any {
	t.Helper()
	code, m, err := apiCall(b.base, method, path, token, body)
	if err != nil || code != want {
		t.Fatalf("%s %s = %d %v: %v", method, path, code, m, err)
	}
	return m
}

// bonusRecharge types an amount into the recharge form and sees, before
// anything is submitted, the bonus the promotion gives it; an amount below
// the rule's minimum shows none.
func bonusRecharge(t *testing.T, b *browser, acc, lang, short string) {
	t.Helper()
	b.open("/recharge?account_id="+acc, "#f-amount")
	b.run("an amount a rule rewards", chromedp.SendKeys("#f-amount", "300", chromedp.ByID),
		chromedp.WaitVisible(`//div[@id="bonus-hint"][contains(., "30.00")]`, chromedp.BySearch))
	want := map[string]string{"en": "Bonus CN¥30.00 with “Tea season”, valid for 30 days.", "zh-CN": "赠送 ¥30.00（“Tea season”），有效期 30 天。"}[lang]
	if got := b.text("#bonus-hint"); got != want {
		t.Errorf("the bonus hint says %q, want %q", got, want)
	}
	b.check("bonus-recharge-" + short)
	b.run("an amount below the minimum", chromedp.Evaluate(`document.querySelector("#f-amount").value = ""`, nil), chromedp.SendKeys("#f-amount", "50", chromedp.ByID),
		chromedp.WaitNotPresent(`//div[@id="bonus-hint"][contains(., "30.00")]`, chromedp.BySearch))
	if got := b.text("#bonus-hint"); got != "" {
		t.Errorf("below the minimum the hint says %q", got)
	}
}

// bonusAdjust grants 50.00 of bonus on the adjustment form, first with a
// day gone by, which is refused, then valid through a month ahead.
func bonusAdjust(t *testing.T, b *browser, acc, lang, short string) {
	t.Helper()
	b.open("/adjust?account_id="+acc, "#f-note")
	if visible(b, "#bonus-fields") {
		t.Error("the bonus box shows for a refund")
	}
	b.run("a promotion", setSelect("#f-reason", "promotion"), chromedp.WaitVisible("#f-bonus", chromedp.ByID))
	if visible(b, "#bonus-expiry") {
		t.Error("the bonus's last day shows before bonus is ticked")
	}
	b.run("as bonus", chromedp.Click("#f-bonus", chromedp.ByID), chromedp.WaitVisible("#f-bonus_expires_at", chromedp.ByID),
		chromedp.SendKeys("#f-amount", "50.00", chromedp.ByID), chromedp.SendKeys("#f-note", "Spring tea promotion", chromedp.ByID),
		// The date picker offers no day gone by; one typed by hand reaches
		// the server, whose message is the one in the user's language.
		chromedp.Evaluate(`document.querySelector("#f-bonus_expires_at").removeAttribute("min")`, nil),
		chromedp.SetValue("#f-bonus_expires_at", "2020-01-31", chromedp.ByID))
	b.submit("a day gone by", "#submit-adjust", "#e-bonus_expires_at")
	if got, want := b.text("#e-bonus_expires_at"), map[string]string{"en": "Choose today or a later day.", "zh-CN": "请选择今天或之后的日期。"}[lang]; got != want {
		t.Errorf("a day gone by says %q, want %q", got, want)
	}
	if b.value("#f-amount") != "50.00" || b.value("#f-note") != "Spring tea promotion" || !b.exists("#f-bonus:checked") || !visible(b, "#bonus-expiry") {
		t.Error("the refused bonus lost what was typed")
	}
	b.check("bonus-adjust-error-" + short)
	day := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
	b.run("a day ahead", chromedp.SetValue("#f-bonus_expires_at", day, chromedp.ByID))
	b.submit("grant bonus", "#submit-adjust", "#posted")
	if got := b.text("#posted-bonus"); !strings.Contains(got, "50.00") {
		t.Errorf("the posted panel says bonus %q", got)
	}
	b.check("bonus-adjust-done-" + short)
}

// bonusSettings saves own money first as the spending order.
func bonusSettings(t *testing.T, b *browser, lang, short string) {
	t.Helper()
	b.open("/settings", "#f-spend_order")
	if got := b.value("#f-spend_order"); got != "bonus_first" {
		t.Errorf("the spending order starts as %q", got)
	}
	b.run("own money first", setSelect("#f-spend_order", "principal_first"))
	b.submitPage("save settings", "#save-settings", "#flash")
	if got := b.value("#f-spend_order"); got != "principal_first" {
		t.Errorf("after saving, the spending order reads %q", got)
	}
	b.check("bonus-settings-" + short)
}

// visible reports whether sel is on show (not hidden, nor inside a hidden
// element).
func visible(b *browser, sel string) bool {
	b.t.Helper()
	var ok bool
	b.run("is "+sel+" on show", chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0 })()`, sel), &ok))
	return ok
}
