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

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserReview walks the recharge audit as its operators do, on both
// databases: a clerk submits three recharges, later marks one paid with its
// pay date and adds a voucher to another; a reviewer works through the
// queue, approving one with the amount that actually arrived and rejecting
// one with a remark (refused in place without one); every page of it is
// judged in English and in Chinese.
func TestBrowserReview(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) { reviewWalk(t, serveForBrowser(t, d), d == store.SQLite) })
	}
}

func reviewWalk(t *testing.T, b *browser, judge bool) {
	b.allow("Harbour Freight Ltd", "clerk", "checker", "root", "Alipay", "WeChat Pay", "Bank Transfer", "TX-HF-approve TX-HF-reject TX-HF-paid",
		"No transfer arrived for TX-HF-reject")
	check := func(name string) {
		if judge { // screenshots and judgements once; the walk itself on both databases
			b.check(name)
		}
	}
	// Without motion, a dialog's button is where it will stay when clicked.
	b.run("reduce motion", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}))
	b.login("root", "root password 1")
	for _, u := range [][2]string{{"clerk", "admin"}, {"checker", "reviewer"}} {
		b.run("create "+u[0], chromedp.Navigate(b.base+"/admins"), chromedp.WaitVisible(`input[name="username"]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="username"]`, u[0], chromedp.ByQuery),
			chromedp.SetValue(`form[action="/admins"] select[name="role"]`, u[1], chromedp.ByQuery),
			chromedp.SendKeys(`form[action="/admins"] input[name="password"]`, "staff password 1", chromedp.ByQuery))
		b.submit("save "+u[0], `form[action="/admins"] button[type="submit"]`, "#flash")
	}
	b.logout()

	// The clerk submits three recharges for one customer.
	b.login("clerk", "staff password 1")
	b.run("new customer", chromedp.Navigate(b.base+"/customers/new"), chromedp.WaitVisible("#f-name", chromedp.ByID),
		chromedp.SendKeys("#f-name", "Harbour Freight Ltd", chromedp.ByID), chromedp.SendKeys("#f-default_currency", "CNY", chromedp.ByID))
	b.submit("save customer", "#save", "#to-recharge")
	var customer string
	b.run("customer page", chromedp.Location(&customer))
	customer = strings.TrimPrefix(strings.SplitN(customer, "?", 2)[0], b.base+"/customers/")
	ids := map[string]string{}
	for _, r := range [][2]string{{"approve", "500.00"}, {"reject", "200.00"}, {"paid", "300.00"}} {
		b.open("/recharge?customer_id="+customer, "#f-amount")
		b.run("fill "+r[0], chromedp.SendKeys("#f-amount", r[1], chromedp.ByID),
			chromedp.SendKeys(`input[name="transaction_no"]`, "TX-HF-"+r[0], chromedp.ByQuery),
			chromedp.SetValue("#f-method", "1", chromedp.ByID))
		b.submit("submit "+r[0], "#submit-recharge", "#to-topup")
		b.submit("open "+r[0], "#to-topup", "#topup-status")
		var loc string
		b.run("request page", chromedp.Location(&loc))
		ids[r[0]] = strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], b.base+"/topups/")
	}

	// Later the clerk marks one paid, with its pay date (T), and adds a
	// voucher to another: each is a new version of the request.
	b.open("/topups/"+ids["paid"], "#topup-edit")
	b.run("mark paid", chromedp.SetValue("#f-paid", "paid", chromedp.ByID), chromedp.SetValue("#f-paid-at", "2026-11-30", chromedp.ByID))
	b.submit("save payment", "#save-topup", "#flash")
	if got := b.text("#topup-paid"); got != "Paid" {
		t.Errorf("payment status after the change %q, want Paid", got)
	}
	if got := b.text("#topup-version"); got != "Version 2" {
		t.Errorf("the request after the change is at %q, want Version 2", got)
	}
	if got := b.text("#topup-history"); !strings.Contains(got, "Corrected") || !strings.Contains(got, "clerk") {
		t.Errorf("history after the change reads %q", got)
	}
	check("review-record-en")
	b.open("/topups/"+ids["approve"], "#add-vouchers")
	b.run("choose voucher", chromedp.SetUploadFiles("#f-vouchers", []string{voucherImage(t)}, chromedp.ByID),
		chromedp.WaitVisible("#voucher-preview img", chromedp.ByQuery))
	b.submit("upload voucher", "#upload-vouchers", "#flash")
	if !b.exists(".previews img") {
		t.Error("the voucher added later is not shown")
	}
	b.open("/topups?customer="+"Harbour", "#topups-table")
	if got := b.text("#list-total"); got != "1–3 of 3" {
		t.Errorf("the records list says %q, want 1–3 of 3", got)
	}
	check("review-records-en")
	b.logout()

	// The reviewer works through the queue.
	b.login("checker", "staff password 1")
	b.open("/reviews", "#review-queue")
	if got := b.text("#review-" + ids["reject"]); !strings.Contains(got, "Unpaid") || !strings.Contains(got, "TX-HF-reject") || !strings.Contains(got, "clerk") {
		t.Errorf("the queue row reads %q", got)
	}
	check("review-queue-en")
	b.open("/reviews/"+ids["approve"], "#review-form")
	if got := b.value("#f-actual"); got != "500.00" {
		t.Errorf("the actual amount starts at %q, want the amount shown, 500.00", got)
	}
	if !b.exists("#unpaid-warning") {
		t.Error("an unpaid request's review page does not warn")
	}
	check("review-page-en")
	b.run("enlarge the voucher", chromedp.Click(".previews a", chromedp.ByQuery), chromedp.WaitVisible(".modal.show img.img-fluid", chromedp.ByQuery))
	b.submit("close the voucher", ".modal.show .btn-close", "#review-form .approve")
	// The backdrop goes after the dialog; a click while it is still there
	// lands on it, not on the page.
	b.run("voucher closed", chromedp.WaitNotPresent(".modal.show", chromedp.ByQuery), chromedp.WaitNotPresent(".modal-backdrop", chromedp.ByQuery))
	// A mistyped amount comes back beside its field, as typed.
	b.run("mistype the amount", chromedp.SetValue("#f-actual", "498,00", chromedp.ByID),
		chromedp.Click(".review button.approve", chromedp.ByQuery), chromedp.WaitVisible("#confirm-approve-yes", chromedp.ByID))
	b.submit("approve a mistyped amount", "#confirm-approve-yes", "#e-actual_amount")
	if got := b.value("#f-actual"); got != "498,00" {
		t.Errorf("after the error the amount box holds %q, want what was typed", got)
	}
	if got := b.text("#e-actual_amount"); !strings.Contains(got, "digits") {
		t.Errorf("the amount's error reads %q", got)
	}
	check("review-error-en")
	b.run("correct the amount", chromedp.SetValue("#f-actual", "498.00", chromedp.ByID),
		chromedp.Click(".review button.approve", chromedp.ByQuery), chromedp.WaitVisible("#confirm-approve-yes", chromedp.ByID))
	if got := b.text("#confirm-approve"); !strings.Contains(got, "498.00 CNY") {
		t.Errorf("the confirmation reads %q, want the amount typed", got)
	}
	b.submit("approve", "#confirm-approve-yes", "#flash")
	if got := b.text("#flash"); !strings.Contains(got, "Approved") {
		t.Errorf("after approval the queue says %q", got)
	}
	b.open("/reviews/"+ids["reject"], "#review-form")
	b.run("reject without remark", chromedp.Click(".review button.reject", chromedp.ByQuery), chromedp.WaitVisible("#e-remark", chromedp.ByID))
	if got := b.text("#e-remark"); got != "Required." {
		t.Errorf("a rejection without a remark says %q", got)
	}
	b.run("remark", chromedp.SendKeys("#f-remark", "No transfer arrived for TX-HF-reject", chromedp.ByID),
		chromedp.Click(".review button.reject", chromedp.ByQuery), chromedp.WaitVisible("#confirm-reject-yes", chromedp.ByID))
	b.submit("reject", "#confirm-reject-yes", "#flash")
	if got := b.text("#flash"); !strings.Contains(got, "Rejected") {
		t.Errorf("after rejection the queue says %q", got)
	}
	if got := b.text("#review-queue tbody"); strings.Contains(got, "TX-HF-approve") || strings.Contains(got, "TX-HF-reject") || !strings.Contains(got, "TX-HF-paid") {
		t.Errorf("the queue after two decisions lists %q", got)
	}
	b.open("/topups/"+ids["approve"], "#topup-actual")
	if got := b.text("#topup-actual"); !strings.Contains(got, "498.00") {
		t.Errorf("the approved record shows an actual amount of %q", got)
	}

	// The same pages in Chinese.
	b.language("zh-CN")
	b.open("/reviews", "#review-queue")
	check("review-queue-zh")
	b.open("/reviews/"+ids["paid"], "#review-form")
	if b.exists("#unpaid-warning") {
		t.Error("a paid request's review page warns of an unpaid payment")
	}
	check("review-page-zh")
	b.open("/topups", "#topups-table")
	check("review-records-zh")
	b.open("/topups/"+ids["reject"], "#topup-history")
	if got := b.text("#topup-history"); !strings.Contains(got, "驳回") || !strings.Contains(got, "No transfer arrived") {
		t.Errorf("the rejected record's history reads %q", got)
	}
	check("review-record-zh")
}

// voucherImage writes a small PNG of a payment slip and returns its path.
func voucherImage(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 160, 100))
	for x := range 160 {
		for y := range 100 {
			img.Set(x, y, color.RGBA{uint8(200 - y), uint8(180 + x/4), 230, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "slip.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
