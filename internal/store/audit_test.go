package store_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

func TestAuditChain(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.DSN(t, d)
			// Two instances write and seal at once: the chain stays one line.
			var stores []*store.Store
			for i := 0; i < 2; i++ {
				st, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				stores = append(stores, st)
			}
			_, a := fixture(t, stores[0], "60001", 100000)
			actor := ledger.Actor{AdminID: 0, Name: "clerk", Addr: "192.0.2.7"}
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st := stores[g%2]
					for i := 0; i < 10; i++ {
						if _, err := st.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 10, Actor: actor}); err != nil {
							t.Error(err)
						}
						if _, err := st.SealAudit(ctx); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			rep, err := stores[1].VerifyAudit(ctx)
			if err != nil || !rep.OK || rep.Checked < 83 {
				t.Fatalf("verify = %+v, %v; want OK over at least 83 records", rep, err)
			}
			recs, err := stores[0].AuditRecords(ctx, store.AuditFilter{Action: "transaction.create", Limit: 500})
			if err != nil || len(recs) != 81 {
				t.Fatalf("%d transaction records, %v; want 81", len(recs), err)
			}
			r := recs[0]
			if r.ClientAddr != "192.0.2.7" || r.ActorName != "clerk" || !strings.Contains(r.After, `"amount":"-0.10"`) || r.Hash == "" {
				t.Errorf("record = %+v", r)
			}
			db := stores[0].DB()
			if _, err := db.Exec("UPDATE audit_log SET after_json = 'x' WHERE id = $1", r.ID); err == nil {
				t.Fatal("a sealed record was updated")
			}
			// Someone with the database's keys drops the guard and edits a record.
			victim := recs[40]
			if d == store.Postgres {
				_, err = db.Exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable")
			} else {
				_, err = db.Exec("DROP TRIGGER audit_log_immutable")
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE audit_log SET after_json = REPLACE(after_json, '0.10', '0.01') WHERE id = $1`, victim.ID); err != nil {
				t.Fatal(err)
			}
			rep, err = stores[0].VerifyAudit(ctx)
			if err != nil || rep.OK || rep.BrokenAt != victim.ID {
				t.Errorf("verify after tampering with record %d = %+v, %v", victim.ID, rep, err)
			}
			// Removing the newest record is noticed too.
			if _, err := db.Exec(`UPDATE audit_log SET after_json = $1 WHERE id = $2`, victim.After, victim.ID); err != nil {
				t.Fatal(err)
			}
			if rep, _ := stores[0].VerifyAudit(ctx); !rep.OK {
				t.Fatalf("restored record still fails: %+v", rep)
			}
			if _, err := db.Exec(`UPDATE audit_seals SET hash = 'x' WHERE audit_id = $1`, victim.ID); err == nil {
				t.Fatal("a seal was updated")
			}
			last := "(SELECT audit_id FROM audit_seals WHERE seq = (SELECT MAX(seq) FROM audit_seals))"
			if _, err := db.Exec(`DELETE FROM audit_log WHERE id = ` + last); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`DELETE FROM audit_seals WHERE audit_id = ` + last); err != nil {
				t.Fatal(err)
			}
			if rep, _ := stores[0].VerifyAudit(ctx); rep.OK || rep.BrokenAt != -1 {
				t.Errorf("verify after removing the last record = %+v", rep)
			}
			// A record written past the queue would never be sealed.
			if d == store.Postgres {
				_, err = db.Exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_pending")
			} else {
				_, err = db.Exec("DROP TRIGGER audit_log_pending")
			}
			if err != nil {
				t.Fatal(err)
			}
			var forged int64
			if err := db.QueryRow(`INSERT INTO audit_log (created_at, actor_name, action) VALUES (1, 'root', 'customer.create') RETURNING id`).Scan(&forged); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE audit_head SET last_seq = (SELECT MAX(seq) FROM audit_seals), hash = (SELECT hash FROM audit_seals WHERE seq = (SELECT MAX(seq) FROM audit_seals))`); err != nil {
				t.Fatal(err)
			}
			if rep, _ := stores[0].VerifyAudit(ctx); rep.OK || rep.BrokenAt != forged {
				t.Errorf("verify with record %d outside the chain = %+v", forged, rep)
			}
		})
	}
}
