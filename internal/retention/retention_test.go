package retention_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestRetention archives nine months of activity at the default cutoff:
// the file holds exactly the older rows, the database the others, and the
// balances, the ledger and the chain verify as before.
func TestRetention(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clock := &testClock{t: retentionStart}
			s := testdb.Open(t, d, store.Options{Now: clock.Now})
			dir := t.TempDir()
			r := retention.New(s, dir)
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

			res, err := r.Run(ctx, sys, retention.Options{})
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
			again, err := r.Run(ctx, sys, retention.Options{})
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
	// (Its seal stayed; the trigger queues the record put back for sealing,
	// which it is already.)
	exec(`INSERT INTO audit_log (id, created_at, actor_name, action, object_type, object_id, before_json, after_json, client_addr)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, first.ID, first.CreatedAt.UnixMicro(), first.ActorName, first.Action,
		first.ObjectType, first.ObjectID, first.Before, first.After, first.ClientAddr)
	exec("DELETE FROM audit_pending WHERE audit_id = $1", first.ID)
	if first.ActorID != 0 {
		exec("UPDATE audit_log SET actor_id = $1 WHERE id = $2", first.ActorID, first.ID)
	}
	if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("restored chain fails: %+v, %v", rep, err)
	}
	exec("DELETE FROM audit_log WHERE id = (SELECT audit_id FROM audit_seals WHERE seq = (SELECT MAX(seq) FROM audit_seals))")
	exec("DELETE FROM audit_seals WHERE seq = (SELECT MAX(seq) FROM audit_seals)")
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
			r := retention.New(s, dir)
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
				res, err := r.Run(ctx, sys, retention.Options{MaxTransactions: 4, MaxRecords: 7})
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
			var archivers []*retention.Archiver
			for i := 0; i < 2; i++ {
				st, err := store.Open(ctx, dsn, store.Options{Now: clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				stores = append(stores, st)
				archivers = append(archivers, retention.New(st, dir))
			}
			monthsOfActivity(t, stores[0], clock, 8, "7300")
			now := retentionStart.AddDate(0, 0, 30*8)
			clock.Set(now)
			oldEntries := idsWhere(t, stores[0], "SELECT id FROM entries WHERE created_at < $1", now.AddDate(0, 0, -183).UnixMicro())

			const runs = 6
			results := make([]retention.Result, runs)
			errs := make([]error, runs)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < runs; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = archivers[i%2].Run(ctx, sys, retention.Options{})
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
			r := retention.New(s, dir)
			_, a := fixture(t, s, "7400001", 1000)
			clock.Set(retentionStart.AddDate(1, 0, 0))
			// Someone removes one side of the old top-up.
			if _, err := s.DB().Exec("DELETE FROM entries WHERE account_id = $1", a.ID); err != nil {
				t.Fatal(err)
			}
			_, err := r.Run(ctx, sys, retention.Options{})
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
			r2 := retention.New(s2, dir)
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
			if _, err := r2.Run(ctx, sys, retention.Options{}); !errors.As(err, &refused) {
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
