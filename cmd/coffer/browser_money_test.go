package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cofferhq/coffer/internal/store"
)

// moneyData is what the money forms' browser test works on, made through
// the API: a clerk, a customer with a funded CNY account, and a customer
// in EUR, so that two currencies are in use.
type moneyData struct {
	number  string // the CNY account's number
	voucher string // a PNG file to upload
}

func seedMoney(t *testing.T, b *browser) moneyData {
	t.Helper()
	must := b.api
	root := must(200, "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": "root password 1"})["token"].(string)
	must(201, "POST", "/api/v1/admins", root, map[string]any{"username": "clerk", "name": "Clerk", "role": "admin", "password": "staff password 1"})
	c := must(201, "POST", "/api/v1/customers", root, map[string]any{"name": "Harbour Freight Ltd", "phone": "+86 138 0013 8000",
		"email": "ops@harbour.example", "default_currency": "CNY"})
	must(201, "POST", "/api/v1/customers", root, map[string]any{"name": "Euro Parts", "default_currency": "EUR"})
	accs := must(200, "GET", "/api/v1/accounts?customer_id="+c["id"].(string), root, nil)["items"].([]any)
	acc := accs[0].(map[string]any)
	must(201, "POST", "/api/v1/adjustments", root, map[string]any{"account_id": acc["id"], "direction": "credit", "amount": "500.00",
		"reason": "other", "note": "opening"})
	img := image.NewRGBA(image.Rect(0, 0, 160, 100))
	for x := 0; x < 160; x++ {
		for y := 0; y < 100; y++ {
			img.Set(x, y, color.RGBA{uint8(x), 90, uint8(y * 2), 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	voucher := filepath.Join(t.TempDir(), "bank-slip.png")
	os.WriteFile(voucher, buf.Bytes(), 0o644)
	b.allow("clerk Harbour Freight Ltd ops harbour example Euro Parts Alipay WeChat Pay Bank Transfer bank slip png TX INV ORD")
	return moneyData{number: acc["number"].(string), voucher: voucher}
}

// setSelect chooses value in a select as a person would: the change event
// fires.
func setSelect(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q;
		s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value), nil)
}

// noRequired drops the browser's own check of a field, so that the
// server's message in place can be seen.
func noRequired(sel string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).removeAttribute("required")`, sel), nil)
}

// TestBrowserMoney: a clerk finds customers with the picker (by name, by
// phone, by the account number) and submits a recharge with a voucher,
// posts consumption, is refused a charge beyond the balance, and posts a
// first adjustment in a new currency; in English and in Chinese, each form
// judged empty, with an error and after success.
func TestBrowserMoney(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			b := serveForBrowser(t, d)
			data := seedMoney(t, b)
			b.login("clerk", "staff password 1")
			for _, lang := range []string{"en", "zh-CN"} {
				if lang != "en" {
					b.language(lang)
				}
				moneyRecharge(t, b, data, lang)
				moneyCharge(t, b, lang)
				moneyAdjust(t, b, data, lang)
			}
		})
	}
}

func moneyRecharge(t *testing.T, b *browser, data moneyData, lang string) {
	b.run("open recharge "+lang, chromedp.Click("#nav-recharge", chromedp.ByID), chromedp.WaitVisible("#pick-q", chromedp.ByID))
	b.check("money-recharge-empty-" + lang)
	b.run("pick by name", chromedp.SendKeys("#pick-q", "harbour", chromedp.ByID), chromedp.WaitVisible("#pick-list a", chromedp.ByQuery))
	b.check("money-recharge-pick-" + lang)
	b.run("choose the customer", chromedp.Click("#pick-list a", chromedp.ByQuery), chromedp.WaitVisible("#picked-name", chromedp.ByID))
	if got := b.value("#f-currency"); got != "CNY" {
		t.Errorf("%s: the recharge offers %q first, want the customer's CNY", lang, got)
	}
	b.run("fill recharge", chromedp.SendKeys("#f-amount", "1,000.00", chromedp.ByID),
		chromedp.SendKeys("#f-transaction-no", "TX-2026-"+lang, chromedp.ByID),
		chromedp.SetUploadFiles("#f-vouchers", []string{data.voucher}, chromedp.ByID),
		chromedp.WaitVisible("#voucher-preview img", chromedp.ByQuery), noRequired("#f-method"))
	b.submit("recharge without a payment method", "#submit-recharge", "#e-payment_method")
	if b.value("#f-amount") != "1,000.00" || b.value("#f-transaction-no") != "TX-2026-"+lang {
		t.Errorf("%s: the refused recharge lost what was typed", lang)
	}
	b.check("money-recharge-error-" + lang)
	b.run("choose the method", setSelect("#f-method", "1"),
		chromedp.SetUploadFiles("#f-vouchers", []string{data.voucher}, chromedp.ByID))
	b.submit("submit recharge", "#submit-recharge", "#posted")
	want := map[string]string{"en": "Recharge submitted, waiting for review.", "zh-CN": "充值已提交，等待审核。"}[lang]
	if got := b.text("#posted h2"); got != want {
		t.Errorf("%s: after the recharge the page says %q, want %q", lang, got, want)
	}
	b.check("money-recharge-done-" + lang)
	b.submit("open the request", "#to-topup", "#topup-status")
	b.run("its voucher", chromedp.WaitVisible(".previews img", chromedp.ByQuery))
}

func moneyCharge(t *testing.T, b *browser, lang string) {
	b.run("open consumption "+lang, chromedp.Click("#nav-charge", chromedp.ByID), chromedp.WaitVisible("#pick-q", chromedp.ByID))
	b.check("money-charge-empty-" + lang)
	// By keyboard: down from the search box into the list, Enter chooses.
	b.run("pick by phone", chromedp.SendKeys("#pick-q", "138 0013", chromedp.ByID), chromedp.WaitVisible("#pick-list a", chromedp.ByQuery),
		chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#picked-name", chromedp.ByID))
	if lang == "en" && !b.exists(`#f-account input[name="account_id"]:checked`) {
		t.Errorf("%s: the customer's only account is not chosen", lang)
	}
	// By now the customer has a CHF account too (the English round's
	// first adjustment): the CNY one is chosen by hand.
	b.run("choose CNY", chromedp.Click(`//label[contains(., "CNY")]/input[@name="account_id"]`, chromedp.BySearch))
	b.run("fill consumption", chromedp.SendKeys("#f-amount", "120.30", chromedp.ByID), chromedp.SendKeys("#f-reference", "INV-"+lang, chromedp.ByID))
	b.submit("post consumption", "#submit-charge", "#posted")
	want := map[string]string{"en": "Consumption posted.", "zh-CN": "消费已入账。"}[lang]
	if got := b.text("#posted h2"); got != want {
		t.Errorf("%s: after the charge the page says %q, want %q", lang, got, want)
	}
	b.check("money-charge-done-" + lang)
	// Too much: refused beside the amount, with what the account can pay.
	b.run("again", chromedp.Click("#again", chromedp.ByID), chromedp.WaitVisible("#picked-name", chromedp.ByID),
		chromedp.Click(`//label[contains(., "CNY")]/input[@name="account_id"]`, chromedp.BySearch),
		chromedp.SendKeys("#f-amount", "99,999.00", chromedp.ByID), chromedp.SendKeys("#f-reference", "ORD-"+lang, chromedp.ByID))
	b.submit("charge too much", "#submit-charge", "#e-amount")
	if got := b.text("#e-amount"); !strings.Contains(got, map[string]string{"en": "available", "zh-CN": "可用"}[lang]) {
		t.Errorf("%s: a refused charge says %q", lang, got)
	}
	b.check("money-charge-error-" + lang)
}

func moneyAdjust(t *testing.T, b *browser, data moneyData, lang string) {
	b.run("open adjustment "+lang, chromedp.Click("#nav-adjust", chromedp.ByID), chromedp.WaitVisible("#pick-q", chromedp.ByID))
	b.check("money-adjust-empty-" + lang)
	// The account number typed whole, and Enter, chooses the account.
	b.run("pick by number", chromedp.SendKeys("#pick-q", data.number+"\r", chromedp.ByID), chromedp.WaitVisible("#picked-name", chromedp.ByID))
	if !b.exists(`#f-account input[name="account_id"]:checked`) || b.exists(`#acc-new:checked`) {
		t.Errorf("%s: the account typed is not the one chosen", lang)
	}
	code := map[string]string{"en": "chf", "zh-CN": "gbp"}[lang]
	b.run("a first adjustment in "+code, chromedp.Click("#acc-new", chromedp.ByID), chromedp.WaitVisible("#f-currency", chromedp.ByID),
		setSelect("#f-currency", "other"), chromedp.WaitVisible("#f-currency-other", chromedp.ByID),
		chromedp.SendKeys("#f-currency-other", code, chromedp.ByID), chromedp.SendKeys("#f-amount", "50", chromedp.ByID), noRequired("#f-note"))
	b.submit("adjust without a note", "#submit-adjust", "#e-note")
	if b.value("#f-amount") != "50" || b.value("#f-currency-other") != code {
		t.Errorf("%s: the refused adjustment lost what was typed", lang)
	}
	b.check("money-adjust-error-" + lang)
	b.run("note", chromedp.SendKeys("#f-note", "Welcome bonus "+lang, chromedp.ByID))
	b.allow("Welcome bonus")
	b.submit("post adjustment", "#submit-adjust", "#posted")
	want := map[string]string{"en": "Adjusted successfully.", "zh-CN": "调整成功。"}[lang]
	if got := b.text("#posted h2"); got != want {
		t.Errorf("%s: after the adjustment the page says %q, want %q", lang, got, want)
	}
	if got := b.text("#posted"); !strings.Contains(got, strings.ToUpper(code)) {
		t.Errorf("%s: the first adjustment's account is not %s: %q", lang, strings.ToUpper(code), got)
	}
	b.check("money-adjust-done-" + lang)
	b.submit("open the account", "#to-account", "#balance")
}
