package ledger

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// Promotion rules (SPEC section 11): a top-up of at least MinAmount in the
// rule's currency, made while the rule is valid, earns a bonus on top of
// the money received. This file holds the rules themselves; crediting the
// bonus is the posting's business.

// Promotion is one rule. Its bonus is either fixed (BonusFixed, minor
// units) or a share of the top-up (BonusPercentBP, in basis points: 10.5%
// is 1050), never both.
type Promotion struct {
	ID             int64
	Name           string
	Currency       money.Currency
	MinAmount      int64 // minor units; 0: any top-up
	BonusFixed     int64
	BonusPercentBP int64
	ValidFrom      time.Time
	ValidTo        *time.Time // exclusive; nil: no end
	// BonusExpiresInDays is how long a bonus credited under the rule
	// lasts; 0: it never expires.
	BonusExpiresInDays int
	Version            int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Bounds of a rule. A percentage above 100 would give more bonus than the
// money received, which is far likelier a slip (1000 typed for 10.00) than
// an offer; such a rare offer can still be a fixed bonus. Ten years bound
// the expiry as they bound the other day counts of the settings.
const (
	MaxBonusPercentBP     = 10_000 // 100%
	MaxBonusExpiresInDays = 3650
	MaxPromotionName      = 200
	bpPerWhole            = 10_000
)

// Validate checks a rule as it would be stored, naming the API's fields.
func (p Promotion) Validate() error {
	var ps problems
	ps.text("name", p.Name, MaxPromotionName, true)
	if p.Currency.IsZero() {
		ps.because("currency", "required", "is required")
	}
	ps.amountAtLeastZero("min_amount", p.MinAmount)
	ps.bonus(p.BonusFixed, p.BonusPercentBP)
	if p.ValidFrom.IsZero() {
		ps.because("valid_from", "required", "is required")
	} else if p.ValidTo != nil && !p.ValidTo.After(p.ValidFrom) {
		ps.because("valid_to", "valid_to", "must be after valid_from")
	}
	if p.BonusExpiresInDays < 0 || p.BonusExpiresInDays > MaxBonusExpiresInDays {
		ps.because("bonus_expires_in_days", "bonus_days", "must be 0 (the bonus never expires) to 3650 days", MaxBonusExpiresInDays)
	}
	return ps.err()
}

// amountAtLeastZero checks an amount that may be zero.
func (p *problems) amountAtLeastZero(field string, v int64) {
	switch {
	case v < 0:
		p.because(field, "negative", "must not be negative")
	case v > MaxAmount:
		p.because(field, "too_large", maxAmountMessage)
	}
}

// bonus checks that exactly one kind of bonus is given, within bounds.
func (p *problems) bonus(fixed, bp int64) {
	switch {
	case fixed > 0 && bp > 0:
		p.because("bonus_fixed", "bonus_kind", "give either bonus_fixed or bonus_percent, not both")
	case fixed == 0 && bp == 0:
		p.because("bonus_fixed", "bonus_kind", "give bonus_fixed or bonus_percent, greater than zero")
	}
	p.amountAtLeastZero("bonus_fixed", fixed)
	if bp < 0 || bp > MaxBonusPercentBP {
		p.because("bonus_percent", "percent_range", "must be from 0.01 to 100 percent", 100)
	}
}

// ValidAt reports whether the rule applies to a top-up made at t: from
// ValidFrom on, and before ValidTo.
func (p Promotion) ValidAt(t time.Time) bool {
	return !t.Before(p.ValidFrom) && (p.ValidTo == nil || t.Before(*p.ValidTo))
}

// PromotionStatus is where a rule stands against a time.
type PromotionStatus string

const (
	PromotionUpcoming PromotionStatus = "upcoming"
	PromotionActive   PromotionStatus = "active"
	PromotionEnded    PromotionStatus = "ended"
)

// StatusAt says whether the rule is still to come, applies, or is over at t.
func (p Promotion) StatusAt(t time.Time) PromotionStatus {
	switch {
	case t.Before(p.ValidFrom):
		return PromotionUpcoming
	case p.ValidAt(t):
		return PromotionActive
	}
	return PromotionEnded
}

// Bonus is what a top-up of amount (minor units) earns under the rule,
// without regard to time or currency: nothing below MinAmount, else the
// fixed bonus, or the percentage rounded down to the minor unit. The
// product is taken in 128 bits, so no amount overflows it; a result beyond
// int64 (which no valid rule on a valid amount reaches) is MaxInt64.
func (p Promotion) Bonus(amount int64) int64 {
	switch {
	case amount <= 0 || amount < p.MinAmount:
		return 0
	case p.BonusFixed > 0:
		return p.BonusFixed
	case p.BonusPercentBP <= 0:
		return 0
	}
	hi, lo := bits.Mul64(uint64(amount), uint64(p.BonusPercentBP))
	if hi >= bpPerWhole { // the quotient needs more than 64 bits
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, bpPerWhole)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// BonusFor picks, of the rules valid at time at, the one that gives a
// top-up of amount in currency the largest bonus; of rules that give the
// same, the oldest (the lowest id), so that the choice never depends on
// the order of rules. Bonuses of several rules are never added up. ok is
// false when no rule gives anything.
func BonusFor(rules []Promotion, currency money.Currency, amount int64, at time.Time) (bonus int64, rule Promotion, ok bool) {
	for _, p := range rules {
		if p.Currency.Code() != currency.Code() || !p.ValidAt(at) {
			continue
		}
		b := p.Bonus(amount)
		if b <= 0 {
			continue
		}
		if !ok || b > bonus || (b == bonus && p.ID < rule.ID) {
			bonus, rule, ok = b, p, true
		}
	}
	return bonus, rule, ok
}

// BonusExpiry is when a bonus credited at at under the rule expires: nil
// when it never does, else BonusExpiresInDays whole days of 24 hours later
// (not calendar days: a bonus lasts as long across a change of clocks).
func (p Promotion) BonusExpiry(at time.Time) *time.Time {
	if p.BonusExpiresInDays == 0 {
		return nil
	}
	t := at.Add(time.Duration(p.BonusExpiresInDays) * 24 * time.Hour)
	return &t
}

// ParseBonusPercent reads a percentage as the API and the console take it,
// "10", "12.5" or "0.01" (digits, at most two decimals, no sign), into
// basis points; field names it in the problem. The range is Validate's.
func ParseBonusPercent(field, s string) (int64, error) {
	if s == "" {
		return 0, InvalidBecause(field, "required", "is required")
	}
	bad := InvalidBecause(field, "percent", "must be a percentage such as 10 or 12.5: digits with at most two decimals")
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && frac == "") || len(frac) > 2 || !decimalDigits(whole+frac) {
		return 0, bad
	}
	if len(whole) > 9 { // far beyond any bound; keeps the sum below in range
		return 0, InvalidBecause(field, "percent_range", "must be from 0.01 to 100 percent", 100)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return w*100 + f, nil
}

// decimalDigits reports whether s is made of ASCII digits only.
func decimalDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatBonusPercent writes basis points (zero or more) as the shortest percentage that
// ParseBonusPercent reads back: 1250 is "12.5", 1000 is "10".
func FormatBonusPercent(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if frac := bp % 100; frac != 0 {
		s += "." + strings.TrimSuffix(strconv.FormatInt(100+frac, 10)[1:], "0")
	}
	return s
}
