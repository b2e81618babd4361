package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// BenchmarkCharge posts charges from 32 concurrent callers (16 per core on
// this 2-core machine) spread over 1,000 funded accounts, with an
// idempotency key each, as the API would.
//
//	go test ./internal/store -run XXX -bench Charge -benchtime 20000x
func BenchmarkCharge(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := testdb.Open(b, d, store.Options{MaxConns: 32})
			benchCharges(b, s, benchAccounts(b, s, "5"))
		})
	}
}

// BenchmarkChargeBonus is BenchmarkCharge on accounts that hold three
// bonus lots each (two expiring, one not), so that every charge splits
// into bonus and principal entries and spends lots (SPEC 11). Run it
// beside BenchmarkCharge and compare the two in one run:
//
//	go test ./internal/store -run XXX -bench 'Charge(Bonus)?$' -benchtime 20000x -count 3
func BenchmarkChargeBonus(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := testdb.Open(b, d, store.Options{MaxConns: 32})
			ids := benchAccounts(b, s, "7")
			for _, id := range ids {
				for days := range 3 {
					r := ledger.Adjustment{Target: ledger.Target{AccountID: id}, Direction: ledger.Credit, Amount: 100_000_000,
						Reason: ledger.ReasonPromotion, Note: "bench", Bonus: true}
					if days > 0 {
						exp := time.Now().Add(time.Duration(days) * 24 * time.Hour)
						r.BonusExpiresAt = &exp
					}
					if _, err := s.Adjust(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
			}
			benchCharges(b, s, ids)
		})
	}
}

// benchCharges posts b.N charges over ids from 32 callers, each with its
// idempotency key, and reports charges per second.
func benchCharges(b *testing.B, s *store.Store, ids []int64) {
	if s.Dialect() == store.SQLite {
		// Start from an empty WAL, so that a benchmark whose set-up wrote
		// more does not pay for checkpointing it while timed.
		if _, err := s.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(16) // 16 goroutines per GOMAXPROCS: 32 callers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := s.Charge(ctx, ledger.Charge{AccountID: ids[i%nAccounts], Amount: 1 + i%500, Reference: "bench",
				Idem: ledger.Idempotency{Scope: "bench", Key: fmt.Sprint(i)}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "charges/s")
}

// BenchmarkHolds places a hold and captures part of it, each an
// idempotent request, from 32 callers over 1000 accounts: a hold and a
// capture per op.
func BenchmarkHolds(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := testdb.Open(b, d, store.Options{MaxConns: 32})
			ids := benchAccounts(b, s, "6")
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					h, _, err := s.PlaceHold(ctx, ledger.NewHold{AccountID: ids[i%nAccounts], Amount: 1000, Reference: "bench",
						Idem: ledger.Idempotency{Scope: "bench", Key: fmt.Sprint("h", i)}})
					if err == nil {
						_, err = s.CaptureHold(ctx, ledger.Capture{HoldID: h.ID, Amount: 1 + i%500, Idem: ledger.Idempotency{Scope: "bench", Key: fmt.Sprint("c", i)}})
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds+captures/s")
		})
	}
}

// nAccounts is how many accounts the posting benchmarks spread over.
const nAccounts = 1000

// benchAccounts makes nAccounts funded accounts, their phones starting
// with prefix.
func benchAccounts(b *testing.B, s *store.Store, prefix string) []int64 {
	ids := make([]int64, nAccounts)
	for i := range ids {
		_, a := fixture(b, s, fmt.Sprintf("%s%07d", prefix, i), 1_000_000_000)
		ids[i] = a.ID
	}
	return ids
}
