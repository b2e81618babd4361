package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"coffer/internal/ledger"
)

// TestCatalogIsComplete finds every message key the templates and the Go
// code use, and fails if a language lacks one, or has one nobody uses.
func TestCatalogIsComplete(t *testing.T) {
	used := map[string]bool{}
	literal := regexp.MustCompile(`L\.Tf? "([a-z_.-]+)"`)
	goKey := regexp.MustCompile(`"((?:err|done|profile|recharge|charge|accounts|customer|nav|login|batch)\.[a-z_]+)"`)
	fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		b, _ := templateFiles.ReadFile(path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") || f == "catalog.go" {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	// Keys built from a value in a template: {{.L.T (print "status." .Status)}}.
	for prefix, values := range map[string]string{
		"status.": "normal frozen disabled", "role.": "super_admin admin reviewer", "type.": "topup charge adjustment reversal",
		"reason.": "refund promotion compensation correction other", "topupstatus.": "pending approved rejected cancelled",
		"paid.": "paid unpaid", "sort.": "created_at -created_at balance -balance number -number",
		"field.":      "name phone email company default_currency remark",
		"done.":       "saved archived submitted approved rejected cancelled charged adjusted reversed password batch undone",
		"batchscope.": "accounts currency all",
		"group.":      "currency day payment_method customer",
	} {
		for _, v := range strings.Fields(values) {
			used[prefix+v] = true
		}
	}
	// Every error of the domain can reach a page: each has its message.
	for _, e := range ledger.KnownErrors() {
		used[e.Key()] = true
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for lang, msgs := range catalog {
		for key := range used {
			if msgs[key] == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
		}
		for key := range msgs {
			if !used[key] {
				t.Errorf("%s has %q, which nothing uses", lang, key)
			}
		}
	}
}
