package store_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

var promoStart = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// promotion is a valid rule in code's currency: percent basis points of
// a top-up of at least 100.00, from promoStart on.
func promotion(name, code string, bp int64) ledger.Promotion {
	return ledger.Promotion{Name: name, Currency: money.MustCurrency(code), MinAmount: 10_000, BonusPercentBP: bp, ValidFrom: promoStart}
}

func createPromotion(t *testing.T, s *store.Store, p ledger.Promotion) ledger.Promotion {
	t.Helper()
	out, err := s.CreatePromotion(ctx, sys, p)
	if err != nil {
		t.Fatalf("create %s: %v", p.Name, err)
	}
	return out
}

func promotionRecords(t *testing.T, s *store.Store, id int64) []store.AuditRecord {
	t.Helper()
	recs, err := s.AuditRecords(ctx, store.AuditFilter{ObjectType: "promotion", ObjectID: strconv.FormatInt(id, 10), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestPromotionCreateAndRead(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		end := promoStart.Add(31 * 24 * time.Hour)
		in := promotion("December", "USD", 1_050)
		in.ValidTo, in.BonusExpiresInDays = &end, 90
		p := createPromotion(t, s, in)
		if p.ID == 0 || p.Version != 1 || p.CreatedAt.IsZero() || !p.UpdatedAt.Equal(p.CreatedAt) {
			t.Errorf("created %+v; want an id, version 1 and its times", p)
		}
		got, err := s.Promotion(ctx, p.ID)
		if err != nil || got.Name != "December" || got.Currency.Code() != "USD" || got.MinAmount != 10_000 || got.BonusPercentBP != 1_050 ||
			got.BonusFixed != 0 || !got.ValidFrom.Equal(promoStart) || got.ValidTo == nil || !got.ValidTo.Equal(end) || got.BonusExpiresInDays != 90 {
			t.Errorf("read back %+v, %v", got, err)
		}
		second := createPromotion(t, s, ledger.Promotion{Name: "Yen", Currency: money.MustCurrency("JPY"), BonusFixed: 500, ValidFrom: promoStart})
		list, err := s.Promotions(ctx)
		if err != nil || len(list) != 2 || list[0].ID != p.ID || list[1].ID != second.ID {
			t.Errorf("list = %+v, %v; want both, oldest first", list, err)
		}
		recs := promotionRecords(t, s, p.ID)
		if len(recs) != 1 || recs[0].Action != "promotion.create" || recs[0].Before != "" ||
			recs[0].After != `{"bonus_expires_in_days":90,"bonus_percent":"10.5","currency":"USD","min_amount":"100.00","name":"December","valid_from":"2026-12-01T00:00:00Z","valid_to":"2027-01-01T00:00:00Z","version":1}` {
			t.Errorf("records = %+v", recs)
		}
		if _, err := s.Promotion(ctx, 999); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("Promotion(999) = %v, want not found", err)
		}
		mustVerify(t, s)
	})
}

func TestPromotionInvalidStoresNothing(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		both := promotion("Both", "USD", 1_000)
		both.BonusFixed = 100
		var ve *ledger.ValidationError
		if _, err := s.CreatePromotion(ctx, sys, both); !errors.As(err, &ve) {
			t.Fatalf("a rule with both kinds of bonus = %v, want a validation error", err)
		}
		if n := countRows(t, s, "promotions"); n != 0 {
			t.Errorf("%d rules stored", n)
		}
		// The table refuses what Validate would, should a write ever skip it.
		_, err := s.DB().Exec(`INSERT INTO promotions (name, currency, min_amount, bonus_fixed, bonus_percent_bp, valid_from, version, created_at, updated_at)
			VALUES ('x', 'USD', 0, 100, 100, 0, 1, 0, 0)`)
		if err == nil {
			t.Error("the table took a rule with both kinds of bonus")
		}
	})
}

func TestPromotionUpdate(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		p := createPromotion(t, s, promotion("Spring", "USD", 1_000))
		t.Run("OK", func(t *testing.T) {
			edit := p
			edit.Name, edit.BonusPercentBP, edit.BonusFixed = "Spring fixed", 0, 2_500
			out, err := s.UpdatePromotion(ctx, sys, edit)
			if err != nil || out.Version != 2 || out.BonusFixed != 2_500 || out.BonusPercentBP != 0 || out.Name != "Spring fixed" {
				t.Fatalf("update = %+v, %v; want version 2 with a fixed bonus", out, err)
			}
			recs := promotionRecords(t, s, p.ID)
			if len(recs) != 2 || recs[0].Action != "promotion.update" || recs[0].Before == "" || recs[0].After == "" {
				t.Errorf("records = %+v; want the update with before and after", recs)
			}
			p = out
		})
		t.Run("ErrStaleVersion", func(t *testing.T) {
			stale := p
			stale.Version, stale.Name = p.Version-1, "Overwritten"
			if _, err := s.UpdatePromotion(ctx, sys, stale); !errors.Is(err, ledger.ErrStaleVersion) {
				t.Fatalf("edit on version %d = %v, want stale_version", stale.Version, err)
			}
			if got, _ := s.Promotion(ctx, p.ID); got.Name != p.Name || got.Version != p.Version {
				t.Errorf("after a stale edit: %+v", got)
			}
			if n := len(promotionRecords(t, s, p.ID)); n != 2 {
				t.Errorf("%d records after a stale edit, want 2", n)
			}
		})
		t.Run("NoChangeKeepsTheVersion", func(t *testing.T) {
			out, err := s.UpdatePromotion(ctx, sys, p)
			if err != nil || out.Version != p.Version {
				t.Errorf("unchanged = %+v, %v; want version %d", out, err, p.Version)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			bad := p
			bad.BonusExpiresInDays = 4000
			var ve *ledger.ValidationError
			if _, err := s.UpdatePromotion(ctx, sys, bad); !errors.As(err, &ve) {
				t.Errorf("update = %v, want a validation error", err)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			none := p
			none.ID = 999
			if _, err := s.UpdatePromotion(ctx, sys, none); !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("update of no rule = %v", err)
			}
		})
		mustVerify(t, s)
	})
}

// TestPromotionConcurrentEdits: of editors who saw the same version,
// exactly one's change is kept; the others are told it is stale.
func TestPromotionConcurrentEdits(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		p := createPromotion(t, s, promotion("Race", "USD", 1_000))
		const editors = 6
		var wg sync.WaitGroup
		errs := make([]error, editors)
		for i := range editors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				edit := p
				edit.BonusPercentBP = int64(1_100 + i)
				_, errs[i] = s.UpdatePromotion(ctx, sys, edit)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ledger.ErrStaleVersion):
				t.Errorf("an edit failed with %v", err)
			}
		}
		if got, _ := s.Promotion(ctx, p.ID); won != 1 || got.Version != 2 {
			t.Errorf("%d edits kept, version %d; want one, version 2", won, got.Version)
		}
	})
}

// TestPromotionsAt: the posting's reader finds the rules of the currency
// valid at the time, valid_from included and valid_to not.
func TestPromotionsAt(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		end := promoStart.Add(24 * time.Hour)
		day := promotion("One day", "USD", 1_000)
		day.ValidTo = &end
		dayID := createPromotion(t, s, day).ID
		openID := createPromotion(t, s, promotion("Open", "USD", 500)).ID
		later := promotion("Later", "USD", 2_000)
		later.ValidFrom = end
		laterID := createPromotion(t, s, later).ID
		createPromotion(t, s, promotion("Euro", "EUR", 3_000))
		for _, c := range []struct {
			name string
			at   time.Time
			want []int64
		}{
			{"before any", promoStart.Add(-time.Microsecond), nil},
			{"at the start", promoStart, []int64{dayID, openID}},
			{"just before the end", end.Add(-time.Microsecond), []int64{dayID, openID}},
			{"at the end", end, []int64{openID, laterID}},
		} {
			got, err := s.PromotionsAt(ctx, "USD", c.at)
			var ids []int64
			for _, p := range got {
				ids = append(ids, p.ID)
			}
			if err != nil || len(ids) != len(c.want) || (len(ids) > 0 && (ids[0] != c.want[0] || ids[len(ids)-1] != c.want[len(c.want)-1])) {
				t.Errorf("%s: rules %v, %v; want %v", c.name, ids, err, c.want)
			}
		}
		if got, _ := s.PromotionsAt(ctx, "JPY", promoStart); len(got) != 0 {
			t.Errorf("JPY has %d rules, want none", len(got))
		}
	})
}
