package main

import (
	"context"
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	_ "modernc.org/sqlite"
)

// TestBrowserEveryPage opens every page of the console on a database the
// demo filled, as each role, in English and in Chinese, at desktop and phone
// width, and judges each with the harness's check: no serious accessibility
// violation, nothing wider than the viewport, no English on a Chinese page
// but the data. The flows live in the other browser tests; this one makes
// sure no page was left behind.
func TestBrowserEveryPage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	out, err := exec.Command(binary, "demo", "--db", db, "--customers", "25", "--days", "10", "--seed", "7").CombinedOutput()
	if err != nil {
		t.Fatalf("coffer demo: %v\n%s", err, out)
	}
	ids, words := demoFacts(t, db)
	b := serveOn(t, db)
	b.allow(words...)

	pages := map[string][]string{
		"max": {"/", "/customers", "/customers/" + ids["customer"], "/customers/" + ids["customer"] + "/edit", "/customers/new",
			"/accounts", "/accounts/" + ids["account"], "/recharge", "/charge", "/adjust", "/reviews", "/topups", "/topups/" + ids["topup"],
			"/transactions", "/transactions/" + ids["transaction"], "/reports", "/alerts", "/alert-batches", "/audit",
			"/archives", "/admins", "/settings", "/webhooks", "/import", "/profile"},
		"anna":  {"/", "/accounts", "/recharge?customer_id=" + ids["customer"], "/topups", "/reports"},
		"diego": {"/", "/reviews", "/topups"},
	}
	for _, user := range []string{"max", "anna", "diego"} {
		b.login(user, "coffer-demo-password")
		for _, lang := range []string{"en", "zh-CN"} {
			b.language(lang)
			for _, p := range pages[user] {
				b.open(p, "#main")
				b.check(fmt.Sprintf("every-%s-%s%s", user, lang, strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(p)))
			}
		}
		b.language("en")
		b.logout()
	}
	b.run("login page", chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible("#username", chromedp.ByID))
	b.check("every-login-en")
}

// serveOn is serveForBrowser on an existing SQLite file.
func serveOn(t *testing.T, db string) *browser {
	t.Helper()
	return serveForBrowserArgs(t, []string{"--db", db})
}

// demoFacts reads from the demo's database the ids of a few objects to open
// and the words of its data (names, companies, notes), which a Chinese page
// shows as they are.
func demoFacts(t *testing.T, path string) (map[string]string, []string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := map[string]string{}
	for name, q := range map[string]string{
		"customer":    "SELECT MIN(customer_id) FROM accounts WHERE customer_id IS NOT NULL",
		"account":     "SELECT MIN(id) FROM accounts WHERE customer_id IS NOT NULL",
		"topup":       "SELECT MAX(id) FROM topups",
		"transaction": "SELECT MAX(id) FROM transactions WHERE account_id IS NOT NULL",
	} {
		var id sql.NullInt64
		if err := db.QueryRowContext(ctx, q).Scan(&id); err != nil || !id.Valid {
			t.Fatalf("demo data: %s: %v", q, err)
		}
		ids[name] = fmt.Sprint(id.Int64)
	}
	var words []string
	for _, q := range []string{
		"SELECT name || ' ' || COALESCE(email, '') || ' ' || COALESCE(company, '') || ' ' || COALESCE(remark, '') FROM customers",
		"SELECT username || ' ' || name FROM admins",
		"SELECT COALESCE(reference, '') || ' ' || COALESCE(note, '') FROM transactions",
		// Methods the operator named are data; the built-in ones must be translated.
		"SELECT name FROM payment_methods WHERE code NOT IN ('alipay', 'wechat_pay', 'bank_transfer')",
		"SELECT COALESCE(payment_account, '') || ' ' || COALESCE(transaction_no, '') || ' ' || COALESCE(remark, '') || ' ' || COALESCE(review_remark, '') FROM topups",
	} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("demo data: %s: %v", q, err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			words = append(words, s)
		}
		rows.Close()
	}
	return ids, words
}
