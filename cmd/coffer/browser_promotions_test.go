package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserPromotions walks the promotion rules (SPEC 11) as a super
// admin does: from the System menu to the Promotions page, a fixed rule
// made from the form and listed as active beside an upcoming and an ended
// one, a percentage with three decimals refused beside its field, and an
// edit made while another super admin changed the rule, which keeps what
// was typed beside the rule as saved — in English, then in Chinese; a
// reviewer reads the list without the forms.
func TestBrowserPromotions(t *testing.T) {
	b := serveForBrowser(t, store.SQLite)
	must := b.api
	root := must(200, "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": "root password 1"})["token"].(string)
	must(201, "POST", "/api/v1/admins", root, map[string]any{"username": "checker", "name": "Checker", "role": "reviewer", "password": "staff password 1"})
	must(201, "POST", "/api/v1/customers", root, map[string]any{"name": "Northwind Traders", "default_currency": "USD"})
	must(201, "POST", "/api/v1/promotions", root, map[string]any{"name": "November double", "currency": "USD", "bonus_percent": "100",
		"valid_from": "2026-11-01T00:00:00Z", "valid_to": "2026-12-01T00:00:00Z"})
	must(201, "POST", "/api/v1/promotions", root, map[string]any{"name": "Spring", "currency": "USD", "min_amount": "200.00", "bonus_percent": "12.5",
		"valid_from": "2027-03-01T00:00:00Z", "bonus_expires_in_days": 30})
	b.allow("Northwind Traders", "Checker", "root", "checker", "November double", "Spring", "Big spender", "Big spender plus", "Winter", "Winter top-up")

	b.login("root", "root password 1")
	b.run("open promotions", chromedp.Click("#nav-promotions", chromedp.ByID), chromedp.WaitVisible("#promotion-new", chromedp.ByID))
	fill := func(name, min, kind, bonus, from, days string) {
		b.run("fill the rule", chromedp.SetValue("#f-currency", "USD", chromedp.ByID), chromedp.SetValue("#f-name", name, chromedp.ByID),
			chromedp.SetValue("#f-min_amount", min, chromedp.ByID), chromedp.Click("#f-kind-"+kind, chromedp.ByID),
			chromedp.SetValue("#f-bonus", bonus, chromedp.ByID), chromedp.SetValue("#f-valid_from", from, chromedp.ByID),
			chromedp.SetValue("#f-bonus_expires_in_days", days, chromedp.ByID))
	}
	fill("Big spender", "500.00", "fixed", "30.00", "2026-12-01T09:00", "90")
	b.submitPage("create", "#promotion-create", "#flash")
	table := b.text("#promotions-table")
	for _, want := range []string{"Big spender", "$500.00", "$30.00", "90 days", "Active", "Upcoming", "Ended", "12.5%", "Never expires"} {
		if !strings.Contains(table, want) {
			t.Errorf("the list lacks %q: %s", want, table)
		}
	}
	b.check("promotions-list-en")
	fill("Big spender plus", "1000", "percent", "12.345", "2026-12-01T09:00", "0")
	b.submitPage("a percentage with three decimals", "#promotion-create", "#e-bonus")
	if got := b.text("#e-bonus"); !strings.Contains(got, "at most two decimals") {
		t.Errorf("three decimals say %q", got)
	}
	if got := b.value("#f-name"); got != "Big spender plus" {
		t.Errorf("the refused form kept the name %q", got)
	}
	b.check("promotions-error-en")

	// An edit while another super admin changes the same rule.
	b.open("/promotions", "#promotions-table")
	b.submitPage("open the edit form", "#promotions-table tr:nth-child(3) .edit-promotion", "#promotion-edit")
	seen := b.value("#promotion-edit input[name=version]")
	var action string
	b.run("form action", chromedp.AttributeValue("#promotion-edit", "action", &action, nil, chromedp.ByID))
	must(200, "PATCH", "/api/v1"+action, root, map[string]any{"version": 1, "bonus_fixed": "35.00"})
	b.run("change the bonus", chromedp.SetValue("#f-bonus", "40.00", chromedp.ByID), chromedp.SetValue("#f-name", "Winter", chromedp.ByID))
	b.submitPage("save on a stale version", "#promotion-save", "#promotion-saved")
	if got := b.text("#saved-bonus"); got != "$35.00" {
		t.Errorf("the rule as saved now shows the bonus %q (the form was of version %s)", got, seen)
	}
	if b.value("#f-bonus") != "40.00" || b.value("#f-name") != "Winter" {
		t.Error("the stale edit lost what was typed")
	}
	b.check("promotions-stale-en")
	b.submitPage("save again", "#promotion-save", "#flash")
	if got := b.text("#promotions-table"); !strings.Contains(got, "Winter") || !strings.Contains(got, "$40.00") {
		t.Errorf("after saving again the list reads %q", got)
	}

	b.language("zh-CN")
	b.open("/promotions", "#promotion-new")
	if got := b.text("#promotions-table"); !strings.Contains(got, "进行中") || !strings.Contains(got, "未开始") || !strings.Contains(got, "已结束") {
		t.Errorf("the Chinese list reads %q", got)
	}
	b.check("promotions-list-zh")
	fill("Winter top-up", "100", "percent", "101", "2026-12-01T09:00", "4000")
	b.submitPage("out of range in Chinese", "#promotion-create", "#e-bonus")
	if got := b.text("#e-bonus"); !strings.Contains(got, "100%") {
		t.Errorf("a percentage above 100 says %q", got)
	}
	if got := b.text("#e-bonus_expires_in_days"); !strings.Contains(got, "3650") {
		t.Errorf("4000 days say %q", got)
	}
	b.check("promotions-error-zh")
	b.submitPage("open the edit form zh", "#promotions-table tr:nth-child(1) .edit-promotion", "#promotion-edit")
	b.check("promotions-edit-zh")
	b.logout()

	b.login("checker", "staff password 1")
	b.language("en")
	b.run("open promotions as a reviewer", chromedp.Click("#nav-promotions", chromedp.ByID), chromedp.WaitVisible("#promotions-table", chromedp.ByID))
	if b.exists("#promotion-new") || b.exists(".edit-promotion") {
		t.Error("a reviewer is offered a super admin's forms")
	}
	b.check("promotions-reviewer-en")
}
