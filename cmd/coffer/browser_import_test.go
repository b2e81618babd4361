package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cofferhq/coffer/internal/store"
)

// TestBrowserImport uploads an import file on the Import page as a super
// admin, in English and in Chinese: a file with problems lists them and
// offers no import; a good file is checked, then imported from the check
// without a second upload; checking it again says it creates nothing new.
// Each page is judged (check) at desktop and phone width.
func TestBrowserImport(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			b := serveForBrowser(t, store.SQLite)
			b.allow("root", "Li Wei", "Sato Yui", "Ana Costa")
			b.login("root", "root password 1")
			b.language(lang)
			dir := t.TempDir()
			bad := importFile(t, dir, "bad.csv", "name,phone,currency,opening_balance\nLi Wei,+86 138 0013 8000,CNY,12.345\n,13800000002,USD,1\n")
			good := importFile(t, dir, "customers.csv", "name,phone,email,currency,opening_balance,alert_amount\n"+
				"Li Wei,+86 138 0013 8000,li.wei@example.com,CNY,1250.00,100\nLi Wei,+86 138 0013 8000,,USD,80.00,\n"+
				"Sato Yui,+81 90 1234 5678,,JPY,30000,\nAna Costa,+351 912 345 678,,,,\n")
			short := map[string]string{"en": "en", "zh-CN": "zh"}[lang]
			b.open("/import", "#f-file")
			b.check("import-form-" + short)
			importChoose(b, bad, "#import-problems")
			if b.exists("#import-confirm") {
				t.Error("a file with problems is offered for import")
			}
			b.check("import-problems-" + short)
			importChoose(b, good, "#import-confirm")
			b.check("import-check-" + short)
			b.submitPage("import the checked file", "#import-run", "#import-done")
			if got := b.text("#import-done"); !strings.Contains(got, map[string]string{"en": "Imported.", "zh-CN": "导入完成"}[lang]) {
				t.Errorf("the done page reads %q", got)
			}
			b.check("import-done-" + short)
			b.open("/import", "#f-file")
			importChoose(b, good, "#import-nothing")
			b.check("import-again-" + short)
			b.submitPage("open the customers", "#nav-customers", "#main")
		})
	}
}

func importFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// importChoose chooses the file at path and checks it.
func importChoose(b *browser, path, waitFor string) {
	b.t.Helper()
	b.run("choose "+filepath.Base(path), chromedp.SetUploadFiles("#f-file", []string{path}, chromedp.ByID))
	b.submitPage("check "+filepath.Base(path), "#import-check-button", waitFor)
}
