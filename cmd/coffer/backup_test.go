package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// TestBackupWhilePosting copies the SQLite database with `coffer backup`,
// a separate process, while postings keep committing in this one (the
// server), then opens the copy: it is a consistent database whose ledger
// verifies and which holds every posting acknowledged before the copy began.
func TestBackupWhilePosting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "coffer.db")
	st, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var accounts []int64
	for i := range 8 {
		c, err := st.CreateCustomer(ctx, ledger.Actor{}, ledger.NewCustomer{Name: "Backup customer", Phone: "+4915100000" + string(rune('0'+i)), DefaultCurrency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := st.OpenAccount(ctx, ledger.Actor{}, c.ID, "EUR")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: 1_000_000, PaymentMethod: "bank_transfer"}); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a.ID)
	}

	var acked atomic.Int64 // postings committed and acknowledged
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var postErr atomic.Value
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				acc := accounts[(w+i)%len(accounts)]
				var err error
				if i%5 == 0 {
					_, err = st.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: acc}, Amount: 500, PaymentMethod: "alipay"})
				} else {
					_, err = st.Charge(ctx, ledger.Charge{AccountID: acc, Amount: 100, Reference: "during backup"})
				}
				if err != nil {
					postErr.Store(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	for acked.Load() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	copyPath := filepath.Join(dir, "backups", "coffer-copy.db")
	os.Mkdir(filepath.Dir(copyPath), 0o755)
	before := acked.Load()
	out, err := exec.Command(binary, "backup", "--db", dbPath, copyPath).CombinedOutput()
	during := acked.Load() - before
	time.Sleep(50 * time.Millisecond) // postings go on after the copy
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("coffer backup: %v\n%s", err, out)
	}
	if e := postErr.Load(); e != nil {
		t.Fatalf("a posting failed during the backup: %v", e)
	}
	if !strings.Contains(string(out), "backed up") {
		t.Errorf("backup said: %s", out)
	}
	t.Logf("%d postings before the copy, %d while it ran, %d in all", before, during, acked.Load())

	if entries, err := os.ReadDir(filepath.Dir(copyPath)); err != nil || len(entries) != 1 {
		t.Errorf("the backup directory holds %v (%v); want only the copy: no temporary, -wal or -shm file", entries, err)
	}

	cp, err := store.Open(ctx, copyPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if problems, err := cp.VerifyLedger(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("the copy's ledger: %v %v", problems, err)
	}
	var inCopy, inLive int64
	q := "SELECT COUNT(*) FROM transactions WHERE reference = 'during backup' OR account_id IN (SELECT id FROM accounts WHERE customer_id IS NOT NULL)"
	if err := cp.DB().QueryRow(q).Scan(&inCopy); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRow(q).Scan(&inLive); err != nil {
		t.Fatal(err)
	}
	setup := int64(len(accounts))
	if inCopy < setup+before || inCopy > inLive {
		t.Errorf("the copy holds %d transactions; %d were acknowledged before it began and the live database has %d", inCopy, setup+before, inLive)
	}

	t.Run("never overwrites", func(t *testing.T) {
		info, _ := os.Stat(copyPath)
		out, err := exec.Command(binary, "backup", copyPath, "--db", dbPath).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "already exists") {
			t.Errorf("a second backup to the same file: %v %s", err, out)
		}
		if again, _ := os.Stat(copyPath); again.Size() != info.Size() || !again.ModTime().Equal(info.ModTime()) {
			t.Error("the existing backup file was changed")
		}
	})
	t.Run("flags after the file name", func(t *testing.T) {
		other := filepath.Join(dir, "second.db")
		if out, err := exec.Command(binary, "backup", other, "--db", dbPath).CombinedOutput(); err != nil {
			t.Errorf("coffer backup FILE --db: %v %s", err, out)
		}
	})
	t.Run("PostgreSQL points to pg_dump", func(t *testing.T) {
		out, err := exec.Command(binary, "backup", "--db", "postgres://coffer@127.0.0.1:1/coffer", filepath.Join(dir, "pg.db")).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "pg_dump") || !strings.Contains(string(out), "pg_restore") {
			t.Errorf("backup of a PostgreSQL database: %v %s", err, out)
		}
	})
	t.Run("a missing database is not created", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.db")
		if out, err := exec.Command(binary, "backup", "--db", missing, filepath.Join(dir, "m.db")).CombinedOutput(); err == nil {
			t.Errorf("backup of a missing database succeeded: %s", out)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("the missing database was created: %v", err)
		}
	})
}

// TestDemoCommand runs `coffer demo` on a new SQLite file, as the README
// shows, and checks what it made; a second run refuses the full database.
func TestDemoCommand(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	out, err := exec.Command(binary, "demo", "--db", dbPath, "--customers", "20", "--days", "15").CombinedOutput()
	if err != nil {
		t.Fatalf("coffer demo: %v\n%s", err, out)
	}
	for _, want := range []string{"olivia", "super_admin", "reviewer", "coffer-demo-password", "20 customers"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	st, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := st.VerifyLedger(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("ledger: %v %v", problems, err)
	}
	var customers, charges, approved int
	st.DB().QueryRow("SELECT COUNT(*) FROM customers").Scan(&customers)
	st.DB().QueryRow("SELECT COUNT(*) FROM transactions WHERE type = 'charge'").Scan(&charges)
	st.DB().QueryRow("SELECT COUNT(*) FROM topups WHERE status = 'approved'").Scan(&approved)
	if customers != 20 || charges < 20 || approved < 20 {
		t.Errorf("%d customers, %d charges, %d approved top-ups: not plausible for 20 customers over 15 days", customers, charges, approved)
	}
	st.Close()
	out, err = exec.Command(binary, "demo", "--db", dbPath, "--customers", "20", "--days", "15").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not empty") {
		t.Errorf("a second demo run on the same database: %v %s", err, out)
	}
}
