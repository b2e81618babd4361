package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

func runBenchCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"bench"}, args...)...)
	cmd.Env = append(os.Environ(), "COFFER_BENCH_USER=root", "COFFER_BENCH_PASSWORD=bench test password")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestBench runs coffer bench briefly against a real server: it sets up its
// accounts, runs every kind of operation without an error, reuses the
// accounts on a second run, stops at --requests, and leaves a ledger that
// verifies.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "coffer.db")
	addr, cmd, _ := start(t, dir, []string{"COFFER_ADMIN_USER=root", "COFFER_ADMIN_PASSWORD=bench test password"}, "--db", db)
	url := "http://" + addr

	out, err := runBenchCmd(t, "--url", url, "--accounts", "30", "--hot", "3", "--clients", "4", "--duration", "2500ms",
		"--mix", "charge=60,topup=20,list=20", "--lists", "currency,balance,below_alert,created,customer,q,number")
	if err != nil {
		t.Fatalf("coffer bench: %v\n%s", err, out)
	}
	for _, want := range []string{"setup: made and funded 30 accounts", "requests", "rate", "charge ", "topup.submit ", "topup.approve ",
		"list.currency ", "list.q ", "p99 ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Every row of the table ends with its errors: none.
	rows := regexp.MustCompile(`(?m)^(charge|topup\.\w+|list\.\w+|all) +\d+ .*$`).FindAllString(out, -1)
	if len(rows) < 4 {
		t.Errorf("no result table:\n%s", out)
	}
	for _, r := range rows {
		if !strings.HasSuffix(r, "  0") {
			t.Errorf("errors in %q", r)
		}
	}

	out, err = runBenchCmd(t, "--url", url, "--accounts", "30", "--hot", "3", "--clients", "4", "--requests", "50", "--duration", "1m")
	if err != nil || !strings.Contains(out, "setup: 30 of 30 bench accounts exist") || !strings.Contains(out, "\n50 requests in") {
		t.Errorf("second run (%v) did not reuse the accounts or stop at 50 requests:\n%s", err, out)
	}

	// Loopback only.
	for _, u := range []string{"http://192.0.2.1:8080", "http://[2001:db8::1]:8080", "ftp://127.0.0.1/"} {
		if out, err := runBenchCmd(t, "--url", u); err == nil || !strings.Contains(out, "refusing") && !strings.Contains(out, "not an http") {
			t.Errorf("coffer bench --url %s: %v\n%s", u, err, out)
		}
	}

	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if problems, err := st.VerifyLedger(context.Background()); err != nil || len(problems) > 0 {
		t.Errorf("ledger after coffer bench: %v %v", problems, err)
	}
	if rep, err := st.VerifyAudit(context.Background()); err != nil || !rep.OK {
		t.Errorf("operation records after coffer bench: %+v %v", rep, err)
	}
}

// TestBenchSeed seeds accounts with set-based SQL on both databases; the
// ledger still verifies.
func TestBenchSeed(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.DSN(t, d)
			for range 2 {
				cmd := exec.Command(binary, "bench", "seed", "--db", dsn, "--accounts", "1500", "--chunk", "700")
				if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "seed: 1500 accounts") {
					t.Fatalf("coffer bench seed: %v\n%s", err, out)
				}
			}
			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var customers, accounts, frozen int
			st.DB().QueryRow("SELECT COUNT(*) FROM customers").Scan(&customers)
			st.DB().QueryRow("SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'frozen' THEN 1 ELSE 0 END), 0) FROM accounts WHERE customer_id IS NOT NULL").
				Scan(&accounts, &frozen)
			if customers != 3000 || accounts != 3000 || frozen != 60 {
				t.Errorf("%d customers, %d accounts, %d frozen; want 3000, 3000, 60", customers, accounts, frozen)
			}
			if problems, err := st.VerifyLedger(context.Background()); err != nil || len(problems) > 0 {
				t.Errorf("ledger after seeding: %v %v", problems[:min(len(problems), 5)], err)
			}
		})
	}
}
