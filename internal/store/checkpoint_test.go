package store_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// TestCheckpointerCopiesCommits: the writer no longer checkpoints until the
// log is large, so a handful of postings reach the database file itself
// only if the checkpointer copies them. The test reads a copy of that file
// alone, without its log.
func TestCheckpointerCopiesCommits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "coffer.db")
	s := openFile(t, path)
	_, a := fixture(t, s, "+8613900000001", 10_000)
	for i := range 5 {
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: int64(100 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	var charges int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if charges = chargesInFile(t, path, filepath.Join(dir, "copy.db")); charges == 5 {
			return
		}
	}
	t.Fatalf("the database file holds %d of the 5 charges without its log", charges)
}

// openFile opens a store on an SQLite file at path, closed when t ends.
func openFile(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// chargesInFile counts the charges in a copy of the database file at path,
// read without its write-ahead log.
func chargesInFile(t *testing.T, path, copyPath string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(copyPath + "-wal")
	if err := os.WriteFile(copyPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+copyPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	// Before the first checkpoint the file may not hold the schema yet.
	if err := db.QueryRow("SELECT COUNT(*) FROM transactions WHERE type = 'charge'").Scan(&n); err != nil {
		return 0
	}
	return n
}

// TestLogStartsOver: with the checkpointer copying beside the writer, the
// write-ahead log must still start over rather than grow with every
// posting. 1,500 charges committed one by one write some 30,000 pages of
// log, eight times the size at which the writer checkpoints by itself.
func TestLogStartsOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	s := openFile(t, path)
	_, a := fixture(t, s, "+8613900000002", 10_000_000)
	for i := range 1500 {
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: int64(1 + i%7)}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	const frame = 24 + 4096
	t.Logf("log %d frames", fi.Size()/frame)
	// The writer checkpoints at 4,000 pages; the log must stop near there.
	if limit := int64(5000) * frame; fi.Size() > limit {
		t.Fatalf("the log has grown to %d bytes, over %d", fi.Size(), limit)
	}
}
