package retention_test

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

type archiveContent struct {
	header  retention.ArchiveHeader
	records []retention.ArchivedRecord
	entries []retention.ArchivedEntry
}

// readArchive reads an archive file as anyone would: gunzip, then one JSON
// value per line. It checks the file against the archive's size and SHA-256.
func readArchive(t *testing.T, dir string, a store.Archive) archiveContent {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, a.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != a.SHA256 || int64(len(raw)) != a.Size {
		t.Errorf("archive %s: %d bytes with SHA-256 %x, recorded %d bytes %s", a.FileName, len(raw), sum, a.Size, a.SHA256)
	}
	f, err := os.Open(filepath.Join(dir, a.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var c archiveContent
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			if err := json.Unmarshal(sc.Bytes(), &c.header); err != nil {
				t.Fatalf("header: %v: %s", err, sc.Bytes())
			}
			continue
		}
		var kind struct{ Table string }
		if err := json.Unmarshal(sc.Bytes(), &kind); err != nil {
			t.Fatalf("line %d: %v: %s", n+1, err, sc.Bytes())
		}
		switch kind.Table {
		case "audit_log":
			var r retention.ArchivedRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			c.records = append(c.records, r)
		case "entries":
			var e retention.ArchivedEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			c.entries = append(c.entries, e)
		default:
			t.Fatalf("line %d holds a row of %q", n+1, kind.Table)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	h := c.header
	if h.Format != retention.ArchiveFormat || !h.Cutoff.Equal(a.Cutoff) || h.AuditRecords != int64(len(c.records)) || h.Entries != int64(len(c.entries)) ||
		h.AuditRecords != a.AuditRecords || h.Entries != a.Entries || h.Transactions != a.Transactions ||
		h.AuditFirstSeq != a.AuditFirstSeq || h.AuditLastSeq != a.AuditLastSeq {
		t.Errorf("archive %s: header %+v with %d records and %d entries; archive row %+v", a.FileName, h, len(c.records), len(c.entries), a)
	}
	// The archived records are a piece of the chain.
	prev := h.AuditPrevHash
	for i, r := range c.records {
		if r.Seq != h.AuditFirstSeq+int64(i) || r.PrevHash != prev || r.Hash == "" {
			t.Errorf("archived record %d (place %d) does not continue the chain", r.ID, r.Seq)
		}
		prev = r.Hash
	}
	if len(c.records) > 0 && prev != a.AuditLastHash {
		t.Errorf("the last archived record's hash %s, archive says %s", prev, a.AuditLastHash)
	}
	return c
}

// TestArchiveFileChecked serves an archive only while its file matches.
func TestArchiveFileChecked(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		r := retention.New(s, dir)
		fixture(t, s, "7500001", 1000)
		res, err := r.Run(ctx, sys, retention.Options{Cutoff: time.Now()})
		if err != nil || res.Archive == nil {
			t.Fatalf("retention = %+v, %v", res, err)
		}
		a, f, err := r.Open(ctx, res.Archive.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		path := filepath.Join(dir, a.FileName)
		raw, _ := os.ReadFile(path)
		raw[len(raw)/2] ^= 1
		os.WriteFile(path, raw, 0o600)
		if _, _, err := r.Open(ctx, a.ID); !errors.Is(err, ledger.ErrArchiveAltered) {
			t.Errorf("open an altered file = %v", err)
		}
		os.Remove(path)
		if _, _, err := r.Open(ctx, a.ID); !errors.Is(err, ledger.ErrArchiveMissing) {
			t.Errorf("open a missing file = %v", err)
		}
		if _, err := r.Run(ctx, sys, retention.Options{Cutoff: time.Now().Add(time.Hour)}); err == nil {
			t.Error("a cutoff in the future was accepted")
		}
		mustVerify(t, s)
	})
}

// A run notes when it finished, whether it found anything to archive or
// not, for the metrics; a run that fails does not.
func TestRunNotesItsEnd(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		r := retention.New(s, t.TempDir())
		last := func() time.Time {
			g, err := s.ReadGauges(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return g.RetentionLastRun
		}
		if !last().IsZero() {
			t.Fatalf("a new database says retention ran at %v", last())
		}
		if _, err := retention.New(s, "").Run(ctx, sys, retention.Options{}); err == nil {
			t.Fatal("a run without an archive directory succeeded")
		}
		if !last().IsZero() {
			t.Error("a failed run was noted")
		}
		if res, err := r.Run(ctx, sys, retention.Options{}); err != nil || res.Archive != nil {
			t.Fatalf("a run with nothing to archive = %+v, %v", res, err)
		}
		empty := last()
		if empty.IsZero() || time.Since(empty) > time.Minute {
			t.Errorf("a run with nothing to archive noted %v", empty)
		}
		fixture(t, s, "7500002", 1000)
		if res, err := r.Run(ctx, sys, retention.Options{Cutoff: time.Now()}); err != nil || res.Archive == nil {
			t.Fatalf("retention = %+v, %v", res, err)
		}
		if !last().After(empty) && !last().Equal(empty) {
			t.Errorf("after an archiving run the last run is %v, before %v", last(), empty)
		}
	})
}
