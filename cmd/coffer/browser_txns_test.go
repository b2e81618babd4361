package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserTxns walks the transactions pages as a shop's operator would:
// with consumption and adjustments posted for two customers, the list is
// filtered by customer, type and date; a consumption is opened, its
// receipt printed, and it is reversed; the reversal and the original link
// each other, and the reversed one offers no second reversal. Each page is
// checked in English and in Chinese (on SQLite; PostgreSQL walks the same
// steps).
func TestBrowserTxns(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			b := serveForBrowser(t, d)
			check := func(name string) {
				if d == store.SQLite {
					b.check(name)
				}
			}
			charge := txnsPostings(t, b.base)
			b.allow("Shenzhen Parcel Co", "Harbour Tea House", "WB-1001", "WB-2001", "Storage November", "Opening promotion",
				"Welcome credit", "Weighed twice", "root")
			b.login("root", "root password 1")

			b.open("/transactions", "#tx-table")
			if n := txnsRows(b); n != 4 {
				t.Fatalf("the list shows %d transactions, want 4", n)
			}
			check("txns-list-en")
			today := time.Now().UTC().Format(time.DateOnly)
			b.run("filter the list", chromedp.SendKeys("#f-q", "Parcel", chromedp.ByID),
				chromedp.SetValue("#f-type", "charge", chromedp.ByID),
				chromedp.SetValue("#f-from", today, chromedp.ByID), chromedp.SetValue("#f-to", today, chromedp.ByID))
			// The list is on screen before and after: wait for the new one.
			var marked bool
			b.run("search", chromedp.Evaluate(`document.querySelector("#tx-table").dataset.old = "1"; true`, &marked),
				chromedp.Click("#filter", chromedp.ByID), chromedp.WaitVisible("#tx-table:not([data-old])", chromedp.ByQuery))
			if n := txnsRows(b); n != 1 || !strings.Contains(b.text("#tx-table tbody"), "WB-1001") {
				t.Fatalf("filtered by customer, type and date: %d rows: %s", n, b.text("#tx-table tbody"))
			}
			if got := b.value("#f-q"); got != "Parcel" {
				t.Errorf("the filter lost what was typed: %q", got)
			}

			b.submit("open the consumption", "#tx-table a.tx-link", "#tx-amount")
			if got := b.text("#tx-customer"); got != "Shenzhen Parcel Co" {
				t.Errorf("the detail's customer is %q", got)
			}
			check("txns-detail-en")
			b.submit("open the receipt", "#receipt", "#receipt-card")
			var printed bool
			b.run("print", chromedp.Evaluate(`window.print = () => { window.printed = true }; true`, &printed),
				chromedp.Click("#print", chromedp.ByID), chromedp.Evaluate(`window.printed === true`, &printed))
			if !printed {
				t.Error("the Print button does not print")
			}
			if !strings.Contains(b.text("#receipt-card"), "WB-1001") || !strings.Contains(b.text("#receipt-amount"), "42.50") {
				t.Errorf("the receipt lacks the reference or amount: %s", b.text("#receipt-card"))
			}
			check("txns-receipt-en")
			if d == store.SQLite {
				// What the printer gets: the receipt without the frame.
				b.run("print media", emulation.SetEmulatedMedia().WithMedia("print"))
				b.shot("txns-receipt-print")
				var framed bool
				b.run("frame hidden", chromedp.Evaluate(`["#sidebar", "#print", "header"].some(s => document.querySelector(s).getClientRects().length > 0)`, &framed))
				if framed {
					t.Error("the printed receipt shows the menu or the Print button")
				}
				b.run("screen media", emulation.SetEmulatedMedia().WithMedia(""))
			}

			b.submit("back to the detail", "#back", "#reverse")
			b.submit("open the reversal", "#reverse", "#f-note")
			check("txns-reverse-en")
			b.run("say why", chromedp.SendKeys("#f-note", "Weighed twice", chromedp.ByID))
			b.submit("reverse", "#confirm-reverse", "#flash")
			if !b.exists("#corrects a[href='/transactions/"+charge+"']") || b.exists("#reverse") {
				t.Fatal("the reversal does not link the consumption it undoes, or offers to be reversed")
			}
			b.submit("open the original", "#corrects a", "#reversed-by")
			if b.exists("#reverse") {
				t.Error("a reversed transaction offers a second reversal")
			}
			check("txns-reversed-en")

			txnsPhoneFilters(b)

			b.language("zh-CN")
			b.open("/transactions", "#tx-table")
			check("txns-list-zh")
			b.open("/transactions/"+charge, "#reversed-by")
			check("txns-detail-zh")
			b.open("/transactions/"+charge+"/receipt", "#receipt-card")
			check("txns-receipt-zh")
			b.open("/transactions?q=Harbour&type=charge", "#tx-table")
			b.submit("open the other consumption", "#tx-table a.tx-link", "#reverse")
			b.submit("open its reversal", "#reverse", "#f-note")
			check("txns-reverse-zh")
		})
	}
}

// txnsPostings posts, through the API, what the walk finds: two customers'
// credits and consumption. It returns the id of Shenzhen Parcel Co's
// consumption.
func txnsPostings(t *testing.T, base string) string {
	t.Helper()
	call := func(want int, path, token string, body map[string]any) map[string]any {
		t.Helper()
		code, m, err := apiCall(base, "POST", path, token, body)
		if err != nil || code != want {
			t.Fatalf("POST %s = %d %v %v", path, code, m, err)
		}
		return m
	}
	token := call(200, "/api/v1/auth/login", "", map[string]any{"username": "root", "password": "root password 1"})["token"].(string)
	var chargeID string
	for _, c := range []struct{ name, phone, credit, reason, note, charge, ref, chargeNote string }{
		{"Shenzhen Parcel Co", "13800138000", "500.00", "promotion", "Opening promotion", "42.50", "WB-1001", "Storage November"},
		{"Harbour Tea House", "13800138001", "200.00", "other", "Welcome credit", "18.00", "WB-2001", ""},
	} {
		cust := call(201, "/api/v1/customers", token, map[string]any{"name": c.name, "phone": c.phone, "default_currency": "CNY"})
		adj := call(201, "/api/v1/adjustments", token, map[string]any{"customer_id": cust["id"], "currency": "CNY", "direction": "credit",
			"amount": c.credit, "reason": c.reason, "note": c.note})
		tx := call(201, "/api/v1/charges", token, map[string]any{"account_id": adj["account_id"], "amount": c.charge, "reference": c.ref,
			"note": c.chargeNote})
		if chargeID == "" {
			chargeID = tx["id"].(string)
		}
	}
	return chargeID
}

// txnsPhoneFilters opens the list on a phone: the filters other than the
// customer are folded behind a button, which unfolds them.
func txnsPhoneFilters(b *browser) {
	b.t.Helper()
	b.run("phone", chromedp.EmulateViewport(phoneWidth, phoneHeight))
	b.open("/transactions", "#tx-more-toggle")
	var shown bool
	b.run("folded", chromedp.Evaluate(`document.querySelector("#f-type").getClientRects().length > 0`, &shown))
	if shown {
		b.t.Error("on a phone the other filters are not folded")
	}
	b.submit("unfold", "#tx-more-toggle", "#f-type")
	b.shot("txns-list-phone-filters")
	b.open("/transactions?type=charge", "#f-type") // a filter set stays in sight
	b.run("desktop", chromedp.EmulateViewport(desktopWidth, desktopHeight))
}

// txnsRows counts the rows of the transaction list on screen.
func txnsRows(b *browser) int {
	b.t.Helper()
	var n int
	b.run("count rows", chromedp.Evaluate(`document.querySelectorAll("#tx-table tbody tr").length`, &n))
	return n
}
