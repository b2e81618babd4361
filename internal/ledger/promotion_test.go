package ledger

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/cofferhq/coffer/internal/money"
)

var (
	promoUSD = money.MustCurrency("USD")
	promoJPY = money.MustCurrency("JPY")
	promoT0  = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

// modelBonus is Bonus worked out in arbitrary precision: the exact
// floor(amount × bp / 10000), capped at MaxInt64.
func modelBonus(p Promotion, amount int64) int64 {
	if amount <= 0 || amount < p.MinAmount {
		return 0
	}
	if p.BonusFixed > 0 {
		return p.BonusFixed
	}
	if p.BonusPercentBP <= 0 {
		return 0
	}
	q := new(big.Int).Mul(big.NewInt(amount), big.NewInt(p.BonusPercentBP))
	q.Quo(q, big.NewInt(10_000)) // both are positive: truncation is the floor
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

// TestBonusMatchesExactArithmetic holds Bonus against big.Int over the
// whole int64 range of amounts and percentages, valid or not.
func TestBonusMatchesExactArithmetic(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := Promotion{
			MinAmount:      rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, MaxAmount), rapid.Int64()).Draw(rt, "min"),
			BonusPercentBP: rapid.OneOf(rapid.Int64Range(1, MaxBonusPercentBP), rapid.Int64()).Draw(rt, "bp"),
		}
		if rapid.Bool().Draw(rt, "fixed") {
			p.BonusFixed, p.BonusPercentBP = rapid.Int64Range(1, MaxAmount).Draw(rt, "bonus_fixed"), 0
		}
		amount := rapid.OneOf(rapid.Int64Range(1, MaxAmount), rapid.Int64()).Draw(rt, "amount")
		if got, want := p.Bonus(amount), modelBonus(p, amount); got != want {
			rt.Fatalf("Bonus(%d) of %+v = %d, want %d", amount, p, got, want)
		}
	})
}

// TestBonusOfValidRulesStaysInRange: a valid rule on an amount Coffer
// takes never gives a bonus past MaxAmount, nor more than the amount for
// a percentage.
func TestBonusOfValidRulesStaysInRange(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := Promotion{BonusPercentBP: rapid.Int64Range(1, MaxBonusPercentBP).Draw(rt, "bp")}
		amount := rapid.Int64Range(1, MaxAmount).Draw(rt, "amount")
		if b := p.Bonus(amount); b < 0 || b > amount || b > MaxAmount {
			rt.Fatalf("Bonus(%d) at %d bp = %d", amount, p.BonusPercentBP, b)
		}
	})
}

func TestBonusRoundsDown(t *testing.T) {
	for _, c := range []struct {
		name        string
		p           Promotion
		amount      int64
		want        int64
		description string
	}{
		{"10% of 100.00", Promotion{BonusPercentBP: 1000}, 10_000, 1_000, ""},
		{"12.5% of 0.99", Promotion{BonusPercentBP: 1250}, 99, 12, "12.375 cents round down"},
		{"0.01% of 99.99", Promotion{BonusPercentBP: 1}, 9_999, 0, "below a cent is nothing"},
		{"below the minimum", Promotion{MinAmount: 10_000, BonusFixed: 500}, 9_999, 0, ""},
		{"at the minimum", Promotion{MinAmount: 10_000, BonusFixed: 500}, 10_000, 500, ""},
		{"100% of the largest amount", Promotion{BonusPercentBP: MaxBonusPercentBP}, MaxAmount, MaxAmount, ""},
		{"nothing for nothing", Promotion{BonusFixed: 500}, 0, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Bonus(c.amount); got != c.want {
				t.Errorf("Bonus(%d) = %d, want %d %s", c.amount, got, c.want, c.description)
			}
		})
	}
}

// modelBonusFor is BonusFor by brute force: every rule's bonus, then the
// largest, the lowest id among equals.
func modelBonusFor(rules []Promotion, cur money.Currency, amount int64, at time.Time) (int64, int64, bool) {
	var best, id int64
	for _, p := range rules {
		from, to := p.ValidFrom.UnixMicro(), int64(math.MaxInt64)
		if p.ValidTo != nil {
			to = p.ValidTo.UnixMicro()
		}
		if p.Currency.Code() != cur.Code() || at.UnixMicro() < from || at.UnixMicro() >= to {
			continue
		}
		b := modelBonus(p, amount)
		if b > best || (b == best && b > 0 && p.ID < id) {
			best, id = b, p.ID
		}
	}
	return best, id, best > 0
}

// TestBonusForPicksTheBest holds BonusFor against the brute force over
// random sets of rules, currencies and times.
func TestBonusForPicksTheBest(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 8).Draw(rt, "rules")
		ids := rapid.Permutation([]int64{1, 2, 3, 4, 5, 6, 7, 8}).Draw(rt, "ids")
		rules := make([]Promotion, n)
		for i := range rules {
			p := Promotion{ID: ids[i], Currency: rapid.SampledFrom([]money.Currency{promoUSD, promoJPY}).Draw(rt, "currency"),
				MinAmount: rapid.Int64Range(0, 5_000).Draw(rt, "min"),
				ValidFrom: promoT0.Add(time.Duration(rapid.IntRange(-5, 5).Draw(rt, "from")) * time.Hour)}
			if rapid.Bool().Draw(rt, "fixed") {
				p.BonusFixed = rapid.Int64Range(1, 1_000).Draw(rt, "bonus_fixed")
			} else {
				p.BonusPercentBP = rapid.Int64Range(1, MaxBonusPercentBP).Draw(rt, "bp")
			}
			if rapid.Bool().Draw(rt, "ends") {
				to := p.ValidFrom.Add(time.Duration(rapid.IntRange(1, 10).Draw(rt, "hours")) * time.Hour)
				p.ValidTo = &to
			}
			rules[i] = p
		}
		cur := rapid.SampledFrom([]money.Currency{promoUSD, promoJPY}).Draw(rt, "top-up currency")
		amount := rapid.Int64Range(1, 20_000).Draw(rt, "amount")
		at := promoT0.Add(time.Duration(rapid.IntRange(-6*60, 16*60).Draw(rt, "minutes")) * time.Minute)
		bonus, rule, ok := BonusFor(rules, cur, amount, at)
		want, wantID, wantOK := modelBonusFor(rules, cur, amount, at)
		if bonus != want || ok != wantOK || (ok && rule.ID != wantID) {
			rt.Fatalf("BonusFor = %d by rule %d (%v), want %d by rule %d (%v)", bonus, rule.ID, ok, want, wantID, wantOK)
		}
		slices.Reverse(rules)
		if again, r2, _ := BonusFor(rules, cur, amount, at); again != bonus || r2.ID != rule.ID {
			rt.Fatalf("in the other order BonusFor picks rule %d (%d), not %d (%d)", r2.ID, again, rule.ID, bonus)
		}
	})
}

func TestValidityWindow(t *testing.T) {
	end := promoT0.Add(48 * time.Hour)
	p := Promotion{ValidFrom: promoT0, ValidTo: &end}
	for _, c := range []struct {
		at     time.Time
		valid  bool
		status PromotionStatus
	}{
		{promoT0.Add(-time.Microsecond), false, PromotionUpcoming},
		{promoT0, true, PromotionActive},
		{end.Add(-time.Microsecond), true, PromotionActive},
		{end, false, PromotionEnded},
	} {
		if got := p.ValidAt(c.at); got != c.valid {
			t.Errorf("ValidAt(%v) = %v, want %v", c.at, got, c.valid)
		}
		if got := p.StatusAt(c.at); got != c.status {
			t.Errorf("StatusAt(%v) = %s, want %s", c.at, got, c.status)
		}
	}
	if open := (Promotion{ValidFrom: promoT0}); !open.ValidAt(promoT0.AddDate(100, 0, 0)) {
		t.Error("a rule without an end has ended")
	}
}

func TestBonusExpiry(t *testing.T) {
	if got := (Promotion{}).BonusExpiry(promoT0); got != nil {
		t.Errorf("0 days: expiry %v, want none", got)
	}
	if got := (Promotion{BonusExpiresInDays: 30}).BonusExpiry(promoT0); got == nil || !got.Equal(promoT0.Add(720*time.Hour)) {
		t.Errorf("30 days: expiry %v, want %v", got, promoT0.Add(720*time.Hour))
	}
}

// validPromotion is a rule that Validate accepts, for tests to spoil.
func validPromotion() Promotion {
	return Promotion{Name: "Winter top-up", Currency: promoUSD, MinAmount: 10_000, BonusPercentBP: 1_000, ValidFrom: promoT0}
}

func TestPromotionValidate(t *testing.T) {
	before := promoT0.Add(-time.Hour)
	for _, c := range []struct {
		name   string
		change func(p *Promotion)
		field  string
		reason string
	}{
		{"OK", func(p *Promotion) {}, "", ""},
		{"OKFixedWithEndAndExpiry", func(p *Promotion) {
			end := promoT0.Add(time.Hour)
			p.BonusPercentBP, p.BonusFixed, p.ValidTo, p.BonusExpiresInDays = 0, 500, &end, MaxBonusExpiresInDays
		}, "", ""},
		{"OKHundredPercent", func(p *Promotion) { p.BonusPercentBP = MaxBonusPercentBP }, "", ""},
		{"OKNoMinimum", func(p *Promotion) { p.MinAmount = 0 }, "", ""},
		{"ErrNameRequired", func(p *Promotion) { p.Name = " " }, "name", "required"},
		{"ErrNameTooLong", func(p *Promotion) { p.Name = string(make([]rune, 201)) }, "name", "too_long"},
		{"ErrCurrencyRequired", func(p *Promotion) { p.Currency = money.Currency{} }, "currency", "required"},
		{"ErrMinNegative", func(p *Promotion) { p.MinAmount = -1 }, "min_amount", "negative"},
		{"ErrMinTooLarge", func(p *Promotion) { p.MinAmount = MaxAmount + 1 }, "min_amount", "too_large"},
		{"ErrBothKinds", func(p *Promotion) { p.BonusFixed = 500 }, "bonus_fixed", "bonus_kind"},
		{"ErrNeitherKind", func(p *Promotion) { p.BonusPercentBP = 0 }, "bonus_fixed", "bonus_kind"},
		{"ErrFixedNegative", func(p *Promotion) { p.BonusPercentBP, p.BonusFixed = 0, -5 }, "bonus_fixed", "negative"},
		{"ErrFixedTooLarge", func(p *Promotion) { p.BonusPercentBP, p.BonusFixed = 0, MaxAmount+1 }, "bonus_fixed", "too_large"},
		{"ErrPercentNegative", func(p *Promotion) { p.BonusPercentBP = -1 }, "bonus_percent", "percent_range"},
		{"ErrPercentAbove100", func(p *Promotion) { p.BonusPercentBP = MaxBonusPercentBP + 1 }, "bonus_percent", "percent_range"},
		{"ErrFromRequired", func(p *Promotion) { p.ValidFrom = time.Time{} }, "valid_from", "required"},
		{"ErrToBeforeFrom", func(p *Promotion) { p.ValidTo = &before }, "valid_to", "valid_to"},
		{"ErrToAtFrom", func(p *Promotion) { p.ValidTo = &promoT0 }, "valid_to", "valid_to"},
		{"ErrExpiryNegative", func(p *Promotion) { p.BonusExpiresInDays = -1 }, "bonus_expires_in_days", "bonus_days"},
		{"ErrExpiryTooLong", func(p *Promotion) { p.BonusExpiresInDays = MaxBonusExpiresInDays + 1 }, "bonus_expires_in_days", "bonus_days"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := validPromotion()
			c.change(&p)
			err := p.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a ValidationError", err)
			}
			if !slices.ContainsFunc(ve.Problems, func(fp FieldProblem) bool { return fp.Field == c.field && fp.Reason == c.reason }) {
				t.Errorf("problems %+v, want %s %s", ve.Problems, c.field, c.reason)
			}
		})
	}
}

func TestBonusPercentText(t *testing.T) {
	for _, c := range []struct {
		in     string
		bp     int64
		reason string
	}{
		{"10", 1_000, ""}, {"12.5", 1_250, ""}, {"12.50", 1_250, ""}, {"0.01", 1, ""}, {"100", 10_000, ""}, {"0", 0, ""},
		{"", 0, "required"}, {"12.345", 0, "percent"}, {"-5", 0, "percent"}, {"+5", 0, "percent"}, {"1e2", 0, "percent"},
		{"12.", 0, "percent"}, {".5", 0, "percent"}, {"１０", 0, "percent"}, {"10%", 0, "percent"}, {" 10", 0, "percent"},
		{"99999999999999999999", 0, "percent_range"},
	} {
		bp, err := ParseBonusPercent("bonus_percent", c.in)
		var ve *ValidationError
		switch {
		case c.reason == "" && (err != nil || bp != c.bp):
			t.Errorf("ParseBonusPercent(%q) = %d, %v; want %d", c.in, bp, err, c.bp)
		case c.reason != "" && (!errors.As(err, &ve) || ve.Problems[0].Reason != c.reason || ve.Problems[0].Field != "bonus_percent"):
			t.Errorf("ParseBonusPercent(%q) = %d, %v; want the reason %s", c.in, bp, err, c.reason)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		bp := rapid.Int64Range(0, 100*MaxBonusPercentBP).Draw(rt, "bp")
		if back, err := ParseBonusPercent("p", FormatBonusPercent(bp)); err != nil || back != bp {
			rt.Fatalf("%d written %q reads back as %d, %v", bp, FormatBonusPercent(bp), back, err)
		}
	})
	for bp, want := range map[int64]string{1_250: "12.5", 1_000: "10", 1: "0.01", 1_005: "10.05", 0: "0"} {
		if got := FormatBonusPercent(bp); got != want {
			t.Errorf("FormatBonusPercent(%d) = %q, want %q", bp, got, want)
		}
	}
}
