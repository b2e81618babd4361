package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
)

// coffer import: a dry run shows what would be created and changes
// nothing; a real run creates it; a second run creates nothing; a file
// with problems lists them by line and column, exits non-zero and changes
// nothing.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	good := filepath.Join(dir, "customers.csv")
	os.WriteFile(good, []byte("\xEF\xBB\xBFname,phone,email,currency,opening_balance,alert_amount,credit_limit\n"+
		"Ann,+8613800138000,ann@example.com,CNY,100.50,10,\nBob,13900000000,,CNY,20,,\nBob,13900000000,,USD,1.25,,\n"), 0o600)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runImport(args, &out)
		return out.String(), err
	}

	out, err := run(good, "--db", db, "--dry-run")
	if err != nil || !strings.Contains(out, "customers: 2 new, 0 matched") || !strings.Contains(out, "CNY 120.50, USD 1.25") ||
		!strings.Contains(out, "dry run: nothing was changed") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = run("--db", db, good)
	if err != nil || !strings.Contains(out, "imported customers.csv: 3 rows") || !strings.Contains(out, "accounts: 3 new, 0 skipped") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = run(good, "--db", db)
	if err != nil || !strings.Contains(out, "customers: 0 new, 2 matched") || !strings.Contains(out, "accounts: 0 new, 3 skipped") ||
		!strings.Contains(out, "opening balances: 0, totalling nothing") {
		t.Fatalf("second import: %v\n%s", err, out)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("name,phone,currency,opening_balance\nCy,13700000000,USD,1\n,13700000001,USD,1.005\nDi,13700000002,XXX,1\n"), 0o600)
	cmd := exec.Command(binary, "import", bad, "--db", db)
	b, err := cmd.CombinedOutput()
	out = string(b)
	for _, want := range []string{"line 3, column name: is required", "line 3, column opening_balance: too many decimal places",
		"line 4, column currency: unknown currency", "3 problems", "nothing was imported"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if err == nil {
		t.Error("an import with problems exited 0")
	}
	if out, _ := run(good, "--db", db, "--dry-run"); !strings.Contains(out, "customers: 0 new, 2 matched") {
		t.Errorf("the bad file changed something:\n%s", out)
	}
	if _, err := run(good, "--db", db, "--by", "nobody"); err == nil || !strings.Contains(err.Error(), "super admin") {
		t.Errorf("--by nobody: %v", err)
	}
	garbage := filepath.Join(dir, "x.csv")
	os.WriteFile(garbage, []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00"), 0o600)
	if out, err := run(garbage, "--db", db); err == nil || !strings.Contains(out, "line 1: is not a CSV text file") {
		t.Errorf("binary file: %v\n%s", err, out)
	}
}
