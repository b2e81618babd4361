package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserFirstrun follows the README's look around a living system:
// `coffer demo`, then `coffer serve` on its database, then a log-in as one
// of the administrators the demo printed. The dashboard's Today is not
// empty: it shows the currencies that had recharges or consumption today.
func TestBrowserFirstrun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	out, err := exec.Command(binary, "demo", "--db", db, "--customers", "60", "--days", "5").CombinedOutput()
	if err != nil {
		t.Fatalf("coffer demo: %v\n%s", err, out)
	}
	// An ordinary admin's Today, the one that was empty: anna's.
	d := readDemoOutput(t, string(out))
	if !strings.Contains(string(out), "\n  anna     admin ") {
		t.Fatalf("the demo does not list anna as an admin:\n%s", out)
	}
	today, words := demoToday(t, db)
	if len(today) == 0 {
		t.Fatal("the demo made nothing today")
	}
	b := serveForBrowser(t, store.SQLite, "--db", db)
	b.allow(words...)
	b.login("anna", d.password)
	for _, lang := range []string{"en", "zh-CN"} {
		b.open("/", "#logout")
		if lang != "en" {
			b.language(lang)
		}
		page := b.text("main")
		for _, cur := range today {
			if !strings.Contains(page, cur) {
				t.Errorf("%s: the dashboard does not show today's %s:\n%s", lang, cur, page)
			}
		}
		if nothing := message(t, lang, "dash.nothing_today"); nothing != "" && strings.Contains(page, nothing) {
			t.Errorf("%s: the dashboard says %q after the demo", lang, nothing)
		}
		// Screenshots only: the dashboard's own checks (b.check) are its
		// page's tests'; this one is about what the demo puts on it.
		b.shot("firstrun-dashboard-" + lang)
	}
}

// demoToday returns the currencies with recharges or consumption today in
// the demo's database, and the words of its data (names of customers,
// companies, administrators), which pages show as they are.
func demoToday(t *testing.T, db string) (currencies, words []string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	settings, err := st.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loc := settings.Location()
	now := time.Now().In(loc)
	rows, err := st.ReportSummary(ctx, store.ReportQuery{From: store.StartOfDay(now.Year(), now.Month(), now.Day(), loc),
		To: store.StartOfDay(now.Year(), now.Month(), now.Day()+1, loc), Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		currencies = append(currencies, r.Currency)
	}
	q, err := st.DB().Query(`SELECT name || ' ' || COALESCE(company, '') FROM customers
		UNION ALL SELECT username || ' ' || name FROM admins`)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for q.Next() {
		var s string
		if err := q.Scan(&s); err != nil {
			t.Fatal(err)
		}
		words = append(words, s)
	}
	return currencies, words
}

// message is the text of a key in a language's message file, or "" if the
// file has no such key.
func message(t *testing.T, lang, key string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "web", "locales", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var msgs map[string]any
	if err := json.Unmarshal(raw, &msgs); err != nil {
		t.Fatal(err)
	}
	s, _ := msgs[key].(string)
	return s
}
