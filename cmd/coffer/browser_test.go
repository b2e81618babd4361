package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowser drives the web UI of a real `coffer serve` in headless
// Chromium: a super admin creates the staff, a clerk creates a customer and
// submits a recharge with a voucher, a reviewer approves it, the clerk posts
// consumption and an adjustment and sees the balance and history, the UI
// switches to Chinese, and a reviewer neither sees nor reaches the clerk's
// actions. Screenshots of the main pages go to testdata/screens/.
func TestBrowser(t *testing.T) {
	b := serveForBrowser(t, store.SQLite)
	base := b.base
	dir := t.TempDir()
	voucher := filepath.Join(dir, "receipt.png")
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for x := 0; x < 120; x++ {
		for y := 0; y < 80; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 2), 120, uint8(y * 3), 255})
		}
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	os.WriteFile(voucher, pngBuf.Bytes(), 0o644)
	run, text, shot, login, logout, submit := b.run, b.text, b.shot, b.login, b.logout, b.submit

	// The super admin creates a clerk and a reviewer.
	run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#username", chromedp.ByID))
	shot("login-en")
	login("root", "root password 1")
	for _, u := range [][2]string{{"clerk", "admin"}, {"checker", "reviewer"}} {
		run("create "+u[0], chromedp.Navigate(base+"/admins"), chromedp.WaitVisible(`input[name="username"]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="username"]`, u[0], chromedp.ByQuery),
			chromedp.SetValue(`form[action="/admins"] select[name="role"]`, u[1], chromedp.ByQuery),
			chromedp.SendKeys(`form[action="/admins"] input[name="password"]`, "staff password 1", chromedp.ByQuery))
		submit("save "+u[0], `form[action="/admins"] button[type="submit"]`, "#flash")
	}
	shot("admins-en")
	logout()

	// The clerk creates a customer and submits a recharge with a voucher.
	login("clerk", "staff password 1")
	run("new customer", chromedp.Navigate(base+"/customers/new"), chromedp.WaitVisible("#f-name", chromedp.ByID),
		chromedp.SendKeys("#f-name", "Shenzhen Parcel Co", chromedp.ByID), chromedp.SendKeys("#f-phone", "+86 138-0013-8000", chromedp.ByID),
		chromedp.SendKeys("#f-email", "ops@parcel.example", chromedp.ByID), chromedp.SendKeys("#f-default_currency", "CNY", chromedp.ByID))
	submit("save customer", "#save", "#to-recharge")
	if got := text("#customer-name"); got != "Shenzhen Parcel Co" {
		t.Fatalf("customer page shows %q", got)
	}
	run("open recharge", chromedp.Click("#to-recharge", chromedp.ByID), chromedp.WaitVisible("#f-amount", chromedp.ByID))
	run("fill recharge", chromedp.SendKeys("#f-amount", "1000.00", chromedp.ByID),
		chromedp.SendKeys(`input[name="transaction_no"]`, "TX-2026-001", chromedp.ByQuery),
		chromedp.SetValue("#f-method", "1", chromedp.ByID),
		chromedp.SetUploadFiles("#f-vouchers", []string{voucher}, chromedp.ByID),
		chromedp.WaitVisible("#voucher-preview img", chromedp.ByQuery))
	shot("recharge-en")
	submit("submit recharge", "#submit-recharge", "#to-topup")
	submit("open the request", "#to-topup", "#topup-status")
	if got := text("#topup-status"); got != "Pending" {
		t.Errorf("recharge status %q, want Pending", got)
	}
	run("voucher shown", chromedp.WaitVisible(".previews img", chromedp.ByQuery))
	logout()

	// The reviewer sees no consumption or recharge actions, cannot reach
	// them, and approves the recharge.
	login("checker", "staff password 1")
	var hasCharge bool
	run("reviewer menu", chromedp.Evaluate(`document.querySelector("#nav-charge") !== null`, &hasCharge))
	if hasCharge {
		t.Error("the reviewer's menu offers consumption")
	}
	run("reviewer reaches /charge", chromedp.Navigate(base+"/charge"), chromedp.WaitVisible("#error", chromedp.ByID))
	if got := text("#error"); !strings.Contains(got, "may not") {
		t.Errorf("reviewer at /charge sees %q", got)
	}
	run("audit queue", chromedp.Navigate(base+"/reviews"), chromedp.WaitVisible(".review", chromedp.ByQuery))
	shot("reviews-en")
	run("review page", chromedp.Click(".review a.open-review", chromedp.ByQuery), chromedp.WaitVisible(`.review input[name="actual_amount"]`, chromedp.ByQuery))
	// The actual amount comes filled in with the amount the reviewer sees
	// (SPEC section 7); the reviewer corrects it to what arrived.
	var shown string
	run("actual amount shown", chromedp.Value(`.review input[name="actual_amount"]`, &shown, chromedp.ByQuery))
	if shown != "1000.00" {
		t.Errorf("the review form offers an actual amount of %q, want the requested 1000.00", shown)
	}
	run("approve", chromedp.SetValue(`.review input[name="actual_amount"]`, "998.50", chromedp.ByQuery),
		chromedp.SendKeys(`.review input[name="exchange_rate"]`, "1", chromedp.ByQuery))
	run("confirm approval", chromedp.Click(".review button.approve", chromedp.ByQuery), chromedp.WaitVisible("#confirm-approve-yes", chromedp.ByID))
	submit("approve", "#confirm-approve-yes", "#flash")
	run("queue empty", chromedp.WaitVisible("#no-pending", chromedp.ByID))
	logout()

	// The clerk posts consumption and an adjustment and sees the result.
	login("clerk", "staff password 1")
	run("find customer", chromedp.Navigate(base+"/customers?phone=13800138000"), chromedp.WaitVisible(`#results tbody a`, chromedp.ByQuery),
		chromedp.Click(`#results tbody a`, chromedp.ByQuery), chromedp.WaitVisible("#to-charge", chromedp.ByID),
		chromedp.Click("#to-charge", chromedp.ByID), chromedp.WaitVisible("#f-amount", chromedp.ByID))
	run("fill consumption", chromedp.SendKeys("#f-amount", "120.30", chromedp.ByID), chromedp.SendKeys(`input[name="reference"]`, "Storage Nov", chromedp.ByQuery))
	submit("post consumption", "#submit-charge", "#to-account")
	submit("open the account", "#to-account", "#balance")
	if got := text("#balance"); !strings.Contains(got, "878.20") {
		t.Errorf("balance after consumption shows %q, want 878.20", got)
	}
	run("open adjust", chromedp.Click("#to-adjust", chromedp.ByID), chromedp.WaitVisible("#f-note", chromedp.ByID))
	// A missing note is an error next to the field, and the amount typed stays.
	run("adjust without note", chromedp.Click("#dir-debit", chromedp.ByID), chromedp.SendKeys("#f-amount", "8.20", chromedp.ByID),
		chromedp.Evaluate(`document.querySelector("#f-note").removeAttribute("required")`, nil))
	submit("adjust without note", "#submit-adjust", "#e-note")
	var typed string
	run("amount kept", chromedp.Value("#f-amount", &typed, chromedp.ByID))
	if typed != "8.20" {
		t.Errorf("after an error the amount field holds %q", typed)
	}
	run("note", chromedp.SendKeys("#f-note", "Damaged parcel fee, ticket 88", chromedp.ByID))
	submit("post adjustment", "#submit-adjust", "#to-account")
	submit("open the account", "#to-account", "#balance")
	if got := text("#balance"); !strings.Contains(got, "870.00") {
		t.Errorf("balance after adjustment shows %q, want 870.00", got)
	}
	if got := text("#entries tbody"); !strings.Contains(got, "Adjustment") || !strings.Contains(got, "Consumption") || !strings.Contains(got, "Recharge") {
		t.Errorf("history lacks the postings: %q", got)
	}
	shot("account-en")
	run("accounts", chromedp.Navigate(base+"/accounts"), chromedp.WaitVisible("#accounts-table", chromedp.ByID))
	shot("accounts-en")
	run("dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible("#pending-count", chromedp.ByID))
	shot("dashboard-en")
	var chartWidth int
	run("reports", chromedp.Navigate(base+"/reports"), chromedp.WaitVisible("#report-table", chromedp.ByID),
		chromedp.Poll(`document.querySelector("#report-chart").naturalWidth`, &chartWidth))
	if chartWidth == 0 {
		t.Error("the report's chart did not load")
	}
	shot("reports-en")

	// Switch to Chinese: the choice sticks across pages.
	submit("switch to Chinese", "#lang-zh", "#main")
	run("wait zh", chromedp.WaitVisible(`html[lang="zh-CN"]`, chromedp.ByQuery))
	shot("dashboard-zh")
	run("accounts zh", chromedp.Navigate(base+"/accounts"), chromedp.WaitVisible("#accounts-table", chromedp.ByID))
	if got := text("nav"); !strings.Contains(got, "客户") || !strings.Contains(got, "充值") {
		t.Errorf("Chinese menu reads %q", got)
	}
	shot("accounts-zh")
	var first string
	run("account zh", chromedp.AttributeValue("#accounts-table tbody a", "href", &first, nil, chromedp.ByQuery))
	run("open account zh", chromedp.Navigate(base+first), chromedp.WaitVisible("#balance", chromedp.ByID))
	if got := text("#entries thead"); !strings.Contains(got, "变动后余额") {
		t.Errorf("Chinese history header reads %q", got)
	}
	shot("account-zh")
	run("reports zh", chromedp.Navigate(base+"/reports"), chromedp.WaitVisible("#report-table", chromedp.ByID))
	shot("reports-zh")
	run("recharge zh", chromedp.Navigate(base+"/recharge"), chromedp.WaitVisible("#f-amount", chromedp.ByID))
	shot("recharge-zh")
	run("customers zh", chromedp.Navigate(base+"/customers"), chromedp.WaitVisible("#search", chromedp.ByID))
	shot("customers-zh")
	// At phone width the pages still work.
	run("phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/accounts"), chromedp.WaitVisible("#accounts-table", chromedp.ByID))
	shot("accounts-phone-zh")
}
