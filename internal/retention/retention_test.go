package store_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"coffer/internal/ledger"
	"coffer/internal/store"
	"coffer/internal/testdb"
)

// testClock is a store clock that the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var retentionStart = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// monthsOfActivity posts, month after month, to new and existing customers:
// top-ups, charges, a reversal, adjustments in a second currency, and
// changes that leave operation records only. It returns the accounts.
func monthsOfActivity(t *testing.T, s *store.Store, clock *testClock, months int, phonePrefix string) []int64 {
	t.Helper()
	var accounts []int64
	for m := 0; m < months; m++ {
		clock.Set(retentionStart.AddDate(0, 0, 30*m).Add(time.Duration(m) * time.Hour))
		c, a := fixture(t, s, fmt.Sprintf("%s%03d", phonePrefix, m), 50000)
		accounts = append(accounts, a.ID)
		for _, id := range accounts {
			p, err := s.Charge(ctx, ledger.Charge{AccountID: id, Amount: 125, Reference: fmt.Sprintf("m%d", m), Actor: sys})
			if err != nil {
				t.Fatal(err)
			}
			if m%3 == 1 {
				if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: p.Transaction.ID, Note: "refund", Actor: sys}); err != nil {
					t.Fatal(err)
				}
			}
		}
		p, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "EUR"}, Direction: ledger.Credit,
			Amount: 700, Reason: ledger.ReasonPromotion, Note: "welcome", Actor: sys})
		if err != nil {
			t.Fatal(err)
		}
		if m == 0 {
			accounts = append(accounts, p.Transaction.AccountID)
		}
		if _, err := s.UpdateCustomer(ctx, sys, c.ID, ledger.NewCustomer{Name: c.Name, Phone: c.Phone, Remark: fmt.Sprintf("month %d", m)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SealAudit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return accounts
}

func balances(t *testing.T, s *store.Store, ids []int64) map[int64]int64 {
	t.Helper()
	out := map[int64]int64{}
	for _, id := range ids {
		out[id] = balance(t, s, id)
	}
	return out
}

func idsWhere(t *testing.T, s *store.Store, q string, args ...any) []int64 {
	t.Helper()
	rows, err := s.DB().Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

type archiveContent struct {
	header  store.ArchiveHeader
	records []store.ArchivedRecord
	entries []store.ArchivedEntry
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
			var r store.ArchivedRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			c.records = append(c.records, r)
		case "entries":
			var e store.ArchivedEntry
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
	if h.Format != store.ArchiveFormat || !h.Cutoff.Equal(a.Cutoff) || h.AuditRecords != int64(len(c.records)) || h.Entries != int64(len(c.entries)) ||
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

func TestRetention(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := &testClock{t: retentionStart}
			s := testdb.Open(t, d, store.Options{Now: clock.Now})
			dir := t.TempDir()
			s.SetArchiveDir(dir)
			accounts := monthsOfActivity(t, s, clock, 9, "7100")
			now := retentionStart.AddDate(0, 0, 30*9)
			clock.Set(now)
			cutoff := now.AddDate(0, 0, -183)

			if _, err := s.SealAudit(ctx); err != nil {
				t.Fatal(err)
			}
			before := balances(t, s, accounts)
			oldEntries := idsWhere(t, s, "SELECT id FROM entries WHERE created_at < $1", cutoff.UnixMicro())
			oldRecords := idsWhere(t, s, "SELECT id FROM audit_log WHERE created_at < $1", cutoff.UnixMicro())
			newEntries := idsWhere(t, s, "SELECT id FROM entries WHERE created_at >= $1", cutoff.UnixMicro())
			newRecords := idsWhere(t, s, "SELECT id FROM audit_log WHERE created_at >= $1", cutoff.UnixMicro())
			if len(oldEntries) == 0 || len(newEntries) == 0 || len(oldRecords) == 0 || len(newRecords) == 0 {
				t.Fatalf("the activity should be on both sides of the cutoff: %d/%d entries, %d/%d records",
					len(oldEntries), len(newEntries), len(oldRecords), len(newRecords))
			}
			recs, err := s.AuditRecords(ctx, store.AuditFilter{Limit: 100000})
			if err != nil {
				t.Fatal(err)
			}
			recByID := map[int64]store.AuditRecord{}
			for _, r := range recs {
				recByID[r.ID] = r
			}

			res, err := s.RunRetention(ctx, sys, store.RetentionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a := res.Archive
			if a == nil || !res.Cutoff.Equal(cutoff) || res.More {
				t.Fatalf("retention = %+v, want an archive with cutoff %s", res, cutoff)
			}
			mustVerify(t, s)
			if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
				t.Fatalf("verify audit after retention = %+v, %v", rep, err)
			}
			if after := balances(t, s, accounts); !maps(before, after) {
				t.Errorf("balances changed: %v, then %v", before, after)
			}
			// A transaction whose entries left cannot be reversed; the
			// answer says to correct it with an adjustment.
			oldTx := idsWhere(t, s, "SELECT id FROM transactions WHERE type = 'charge' AND created_at < $1", cutoff.AddDate(0, 0, -1).UnixMicro())
			var ve *ledger.ValidationError
			if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: oldTx[0], Actor: sys}); !errors.As(err, &ve) {
				t.Errorf("reversing an archived transaction: %v, want a validation error", err)
			}

			// The file holds exactly the rows older than the cutoff, as they were.
			c := readArchive(t, dir, *a)
			var gotEntries, gotRecords []int64
			for _, e := range c.entries {
				gotEntries = append(gotEntries, e.ID)
				if !e.CreatedAt.Before(cutoff) {
					t.Errorf("archived entry %d is from %s, after the cutoff", e.ID, e.CreatedAt)
				}
			}
			for _, r := range c.records {
				gotRecords = append(gotRecords, r.ID)
				want := recByID[r.ID]
				if r.Seq != want.Seq || !r.CreatedAt.Equal(want.CreatedAt) || r.Action != want.Action || r.AfterJSON != want.After ||
					r.BeforeJSON != want.Before || r.Hash != want.Hash || r.PrevHash != want.PrevHash || r.ActorName != want.ActorName {
					t.Errorf("archived record %+v differs from the record %+v", r, want)
				}
			}
			if !slices.Equal(gotEntries, oldEntries) {
				t.Errorf("archived entries %v, want those older than the cutoff %v", gotEntries, oldEntries)
			}
			slices.Sort(gotRecords)
			if !slices.Equal(gotRecords, oldRecords) {
				t.Errorf("archived records %v, want those older than the cutoff %v", gotRecords, oldRecords)
			}
			// And the database keeps exactly the others.
			if left := idsWhere(t, s, "SELECT id FROM entries"); !slices.Equal(left, newEntries) {
				t.Errorf("entries left %v, want %v", left, newEntries)
			}
			if left := idsWhere(t, s, "SELECT id FROM audit_log WHERE id <= $1", slices.Max(newRecords)); !slices.Equal(left, newRecords) {
				t.Errorf("records left %v, want %v", left, newRecords)
			}
			// Recent entries are still listed, with their running balance.
			for _, id := range accounts[len(accounts)-3:] {
				es, err := s.Entries(ctx, id, 0, 500)
				if err != nil || len(es) == 0 {
					t.Fatalf("entries of account %d: %d, %v", id, len(es), err)
				}
				if es[0].BalanceAfter == nil || *es[0].BalanceAfter != before[id] {
					t.Errorf("account %d: newest entry's balance after %v, balance %d", id, es[0].BalanceAfter, before[id])
				}
			}
			listed, err := s.Archives(ctx, 0, 50)
			if err != nil || len(listed) != 1 || listed[0].ID != a.ID || listed[0].SHA256 != a.SHA256 {
				t.Errorf("archives = %+v, %v", listed, err)
			}
			if rs, _ := s.AuditRecords(ctx, store.AuditFilter{Action: "archive.create", Limit: 5}); len(rs) != 1 || rs[0].ObjectID != fmt.Sprint(a.ID) {
				t.Errorf("operation records of the run: %+v", rs)
			}

			// Again: nothing is old enough any more.
			again, err := s.RunRetention(ctx, sys, store.RetentionOptions{})
			if err != nil || again.Archive != nil {
				t.Errorf("second run = %+v, %v; want nothing archived", again, err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 1 {
				t.Errorf("%d files in the archive directory, want 1", len(files))
			}
			// Postings go on after pruning, on accounts with archived entries.
			if _, err := s.Charge(ctx, ledger.Charge{AccountID: accounts[0], Amount: 1, Actor: sys}); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, s)

			t.Run("tampering is still detected", func(t *testing.T) {
				tamperingDetected(t, s, d)
			})
		})
	}
}

func maps(a, b map[int64]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// tamperingDetected changes what retention left behind and expects the
// verifications to notice each change.
func tamperingDetected(t *testing.T, s *store.Store, d store.Dialect) {
	db := s.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wantLedgerProblems := func(what string) {
		t.Helper()
		if problems, err := s.VerifyLedger(ctx); err != nil || len(problems) == 0 {
			t.Errorf("%s: verify ledger = %v, %v; want problems", what, problems, err)
		}
	}

	// The ledger's checkpoints.
	var acc, amount int64
	if err := db.QueryRow("SELECT account_id, amount FROM pruned_accounts ORDER BY account_id LIMIT 1").Scan(&acc, &amount); err != nil {
		t.Fatal(err)
	}
	exec("UPDATE pruned_accounts SET amount = amount + 1 WHERE account_id = $1", acc)
	wantLedgerProblems("a changed account checkpoint")
	exec("UPDATE pruned_accounts SET amount = $1 WHERE account_id = $2", amount, acc)
	mustVerify(t, s)
	var txID, n, sum, archive int64
	if err := db.QueryRow("SELECT transaction_id, entries, amount, archive_id FROM pruned_transactions ORDER BY transaction_id LIMIT 1").Scan(&txID, &n, &sum, &archive); err != nil {
		t.Fatal(err)
	}
	exec("DELETE FROM pruned_transactions WHERE transaction_id = $1", txID)
	wantLedgerProblems("a removed transaction checkpoint")
	exec("INSERT INTO pruned_transactions (transaction_id, entries, amount, archive_id) VALUES ($1, $2, $3, $4)", txID, n, sum, archive)
	mustVerify(t, s)

	// A remaining operation record changed.
	recs, err := s.AuditRecords(ctx, store.AuditFilter{Limit: 100000})
	if err != nil || len(recs) < 4 {
		t.Fatalf("%d records left, %v", len(recs), err)
	}
	victim := recs[len(recs)/2]
	if d == store.Postgres {
		exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable")
	} else {
		exec("DROP TRIGGER audit_log_immutable")
	}
	exec("UPDATE audit_log SET after_json = 'x' WHERE id = $1", victim.ID)
	if rep, err := s.VerifyAudit(ctx); err != nil || rep.OK || rep.BrokenAt != victim.ID {
		t.Errorf("verify after changing record %d = %+v, %v", victim.ID, rep, err)
	}
	exec("UPDATE audit_log SET after_json = $1 WHERE id = $2", victim.After, victim.ID)
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("restored record still fails: %+v, %v", rep, err)
	}

	// The first remaining record removed; then the checkpoint moved over it
	// to hide that.
	first, second := recs[len(recs)-1], recs[len(recs)-2]
	exec("DELETE FROM audit_log WHERE id = $1", first.ID)
	if rep, err := s.VerifyAudit(ctx); err != nil || rep.OK || rep.BrokenAt != second.ID {
		t.Errorf("verify after removing the first remaining record %d = %+v, %v; want broken at %d", first.ID, rep, err, second.ID)
	}
	exec("UPDATE retention_head SET audit_seq = $1, audit_hash = $2, audit_count = audit_count + 1 WHERE id = 1", first.Seq, first.Hash)
	if rep, err := s.VerifyAudit(ctx); err != nil || rep.OK || rep.BrokenAt != second.ID {
		t.Errorf("verify after hiding the removal in the checkpoint = %+v, %v; want broken at %d", rep, err, second.ID)
	}

	// The end cut off is noticed as before.
	exec("UPDATE retention_head SET audit_seq = $1, audit_hash = $2, audit_count = audit_count - 1 WHERE id = 1", first.Seq-1, first.PrevHash)
	exec(`INSERT INTO audit_log (id, created_at, actor_name, action, object_type, object_id, before_json, after_json, client_addr, seq, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, first.ID, first.CreatedAt.UnixMicro(), first.ActorName, first.Action,
		first.ObjectType, first.ObjectID, first.Before, first.After, first.ClientAddr, first.Seq, first.PrevHash, first.Hash)
	if first.ActorID != 0 {
		exec("UPDATE audit_log SET actor_id = $1 WHERE id = $2", first.ActorID, first.ID)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("restored chain fails: %+v, %v", rep, err)
	}
	exec("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
	if rep, err := s.VerifyAudit(ctx); err != nil || rep.OK || rep.BrokenAt != -1 {
		t.Errorf("verify after removing the last record = %+v, %v", rep, err)
	}
}

// TestRetentionInBatches archives in runs of a few rows: each run continues
// where the one before stopped, and the archives chain up.
func TestRetentionInBatches(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := &testClock{t: retentionStart}
			s := testdb.Open(t, d, store.Options{Now: clock.Now})
			dir := t.TempDir()
			s.SetArchiveDir(dir)
			accounts := monthsOfActivity(t, s, clock, 8, "7200")
			clock.Set(retentionStart.AddDate(0, 0, 30*8))
			cutoff := retentionStart.AddDate(0, 0, 30*8-183)
			before := balances(t, s, accounts)
			oldEntries := idsWhere(t, s, "SELECT id FROM entries WHERE created_at < $1", cutoff.UnixMicro())
			oldRecords := idsWhere(t, s, "SELECT id FROM audit_log WHERE created_at < $1", cutoff.UnixMicro())

			var entries, records []int64
			var prev *store.Archive
			for run := 0; ; run++ {
				if run > 100 {
					t.Fatal("retention does not finish")
				}
				res, err := s.RunRetention(ctx, sys, store.RetentionOptions{MaxTransactions: 4, MaxRecords: 7})
				if err != nil {
					t.Fatal(err)
				}
				mustVerify(t, s)
				if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
					t.Fatalf("run %d: verify audit = %+v, %v", run, rep, err)
				}
				if res.Archive == nil {
					if res.More {
						t.Fatal("nothing archived, but more to do")
					}
					break
				}
				a := *res.Archive
				if a.Transactions > 4 || a.AuditRecords > 7 {
					t.Errorf("run %d archived %d transactions and %d records", run, a.Transactions, a.AuditRecords)
				}
				c := readArchive(t, dir, a)
				for _, e := range c.entries {
					entries = append(entries, e.ID)
				}
				for _, r := range c.records {
					records = append(records, r.ID)
				}
				if prev != nil && a.AuditRecords > 0 && prev.AuditLastSeq > 0 &&
					(c.header.AuditPrevHash != prev.AuditLastHash || a.AuditFirstSeq != prev.AuditLastSeq+1) {
					t.Errorf("archive %d does not continue the chain where archive %d stopped", a.ID, prev.ID)
				}
				if a.AuditRecords > 0 {
					prev = &a
				}
			}
			slices.Sort(entries)
			slices.Sort(records)
			if !slices.Equal(entries, oldEntries) || !slices.Equal(records, oldRecords) {
				t.Errorf("archived %d entries and %d records, want %d and %d", len(entries), len(records), len(oldEntries), len(oldRecords))
			}
			if after := balances(t, s, accounts); !maps(before, after) {
				t.Errorf("balances changed: %v, then %v", before, after)
			}
		})
	}
}

// TestRetentionConcurrentRuns runs retention on two instances at once: the
// old rows are archived once, in one file.
func TestRetentionConcurrentRuns(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := &testClock{t: retentionStart}
			dsn := testdb.DSN(t, d)
			dir := t.TempDir()
			var stores []*store.Store
			for i := 0; i < 2; i++ {
				st, err := store.Open(ctx, dsn, store.Options{Now: clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				st.SetArchiveDir(dir)
				stores = append(stores, st)
			}
			monthsOfActivity(t, stores[0], clock, 8, "7300")
			now := retentionStart.AddDate(0, 0, 30*8)
			clock.Set(now)
			oldEntries := idsWhere(t, stores[0], "SELECT id FROM entries WHERE created_at < $1", now.AddDate(0, 0, -183).UnixMicro())

			const runs = 6
			results := make([]store.RetentionResult, runs)
			errs := make([]error, runs)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < runs; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = stores[i%2].RunRetention(ctx, sys, store.RetentionOptions{})
				}()
			}
			close(start)
			wg.Wait()
			archived := 0
			for i := range results {
				if errs[i] != nil && !errors.Is(errs[i], ledger.ErrRetentionRunning) {
					t.Errorf("run %d: %v", i, errs[i])
				}
				if results[i].Archive != nil {
					archived++
				}
			}
			list, err := stores[1].Archives(ctx, 0, 50)
			if err != nil || archived != 1 || len(list) != 1 {
				t.Fatalf("%d runs archived, %d archives (%v); want one", archived, len(list), err)
			}
			if list[0].Entries != int64(len(oldEntries)) {
				t.Errorf("archive holds %d entries, want %d", list[0].Entries, len(oldEntries))
			}
			if files, _ := os.ReadDir(dir); len(files) != 1 {
				t.Errorf("%d files in the archive directory, want 1", len(files))
			}
			readArchive(t, dir, list[0])
			mustVerify(t, stores[0])
			if rep, err := stores[1].VerifyAudit(ctx); err != nil || !rep.OK {
				t.Errorf("verify audit = %+v, %v", rep, err)
			}
		})
	}
}

// TestRetentionRefusesBrokenRows leaves rows that do not verify in place,
// with no file behind.
func TestRetentionRefusesBrokenRows(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := &testClock{t: retentionStart}
			s := testdb.Open(t, d, store.Options{Now: clock.Now})
			dir := t.TempDir()
			s.SetArchiveDir(dir)
			_, a := fixture(t, s, "7400001", 1000)
			clock.Set(retentionStart.AddDate(1, 0, 0))
			// Someone removes one side of the old top-up.
			if _, err := s.DB().Exec("DELETE FROM entries WHERE account_id = $1", a.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.RunRetention(ctx, sys, store.RetentionOptions{})
			var refused *store.RetentionRefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("retention over a broken transaction = %v, want refused", err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("a refused run left %d files", len(files))
			}
			if list, _ := s.Archives(ctx, 0, 10); len(list) != 0 {
				t.Errorf("a refused run left archives %+v", list)
			}
			if problems, _ := s.VerifyLedger(ctx); len(problems) == 0 {
				t.Error("the broken transaction is no longer reported")
			}

			// An old operation record changed: the chain is not cut there.
			clock.Set(retentionStart)
			s2 := testdb.Open(t, d, store.Options{Now: clock.Now})
			s2.SetArchiveDir(dir)
			c, err := s2.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: "Old", Phone: "7400002"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s2.SealAudit(ctx); err != nil {
				t.Fatal(err)
			}
			if d == store.Postgres {
				_, err = s2.DB().Exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable")
			} else {
				_, err = s2.DB().Exec("DROP TRIGGER audit_log_immutable")
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s2.DB().Exec("UPDATE audit_log SET after_json = 'x' WHERE object_type = 'customer' AND object_id = $1", fmt.Sprint(c.ID)); err != nil {
				t.Fatal(err)
			}
			clock.Set(retentionStart.AddDate(1, 0, 0))
			if _, err := s2.RunRetention(ctx, sys, store.RetentionOptions{}); !errors.As(err, &refused) {
				t.Fatalf("retention over a changed record = %v, want refused", err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("a refused run left %d files", len(files))
			}
			if rep, _ := s2.VerifyAudit(ctx); rep.OK {
				t.Error("the changed record is no longer reported")
			}
		})
	}
}

// TestArchiveFileChecked serves an archive only while its file matches.
func TestArchiveFileChecked(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		s.SetArchiveDir(dir)
		fixture(t, s, "7500001", 1000)
		res, err := s.RunRetention(ctx, sys, store.RetentionOptions{Cutoff: time.Now()})
		if err != nil || res.Archive == nil {
			t.Fatalf("retention = %+v, %v", res, err)
		}
		a, f, err := s.OpenArchive(ctx, res.Archive.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		path := filepath.Join(dir, a.FileName)
		raw, _ := os.ReadFile(path)
		raw[len(raw)/2] ^= 1
		os.WriteFile(path, raw, 0o600)
		if _, _, err := s.OpenArchive(ctx, a.ID); !errors.Is(err, ledger.ErrArchiveAltered) {
			t.Errorf("open an altered file = %v", err)
		}
		os.Remove(path)
		if _, _, err := s.OpenArchive(ctx, a.ID); !errors.Is(err, ledger.ErrArchiveMissing) {
			t.Errorf("open a missing file = %v", err)
		}
		if _, err := s.RunRetention(ctx, sys, store.RetentionOptions{Cutoff: time.Now().Add(time.Hour)}); err == nil {
			t.Error("a cutoff in the future was accepted")
		}
		mustVerify(t, s)
	})
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Info(msg string, _ ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	l.mu.Unlock()
}
func (l *logLines) Error(msg string, _ ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, "ERROR "+msg)
	l.mu.Unlock()
}

// TestRetentionLoop runs the daily job on a timer the test fires.
func TestRetentionLoop(t *testing.T) {
	clock := &testClock{t: retentionStart}
	s := testdb.Open(t, store.SQLite, store.Options{Now: clock.Now})
	s.SetArchiveDir(t.TempDir())
	monthsOfActivity(t, s, clock, 3, "7600")
	fire := make(chan time.Time)
	var waits []time.Duration
	var mu sync.Mutex
	sch := store.RetentionSchedule{After: func(d time.Duration) <-chan time.Time {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return fire
	}}
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	log := &logLines{}
	go func() { defer close(done); s.RetentionLoop(loopCtx, log, sch) }()

	archives := func() int {
		list, err := s.Archives(ctx, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	// run fires the timer and waits until the run it starts has finished:
	// the loop is waiting for the timer again.
	run := func() {
		mu.Lock()
		n := len(waits)
		mu.Unlock()
		fire <- time.Time{}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			more := len(waits) > n
			mu.Unlock()
			if more {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the retention job does not come back to its timer")
			}
		}
	}
	run() // the first run, shortly after start: nothing is old yet
	if n := archives(); n != 0 {
		t.Errorf("%d archives after the first run, want none", n)
	}
	clock.Set(retentionStart.AddDate(0, 0, 30*3+183))
	run() // a day later, everything is
	run() // and the day after that there is nothing new
	cancel()
	<-done
	if n := archives(); n != 1 {
		t.Errorf("%d archives after three days, want 1 (log: %v)", n, log.lines)
	}
	mustVerify(t, s)
	mu.Lock()
	defer mu.Unlock()
	if len(waits) < 3 || waits[0] != time.Minute || waits[1] != 24*time.Hour {
		t.Errorf("the job waited %v; want a minute, then a day each time", waits)
	}
	for _, l := range log.lines {
		if len(l) > 5 && l[:5] == "ERROR" {
			t.Errorf("the job logged %s", l)
		}
	}
}
