package ledger

import (
	"cmp"
	"slices"
	"time"
)

// Part is which part of a customer account's balance an entry moves
// (SPEC 11): principal is the money received (and any credit used), bonus
// the promotional credit granted on top. balance = principal + bonus.
type Part string

const (
	PartPrincipal Part = "principal"
	PartBonus     Part = "bonus"
)

// Transaction types of promotional credit.
const (
	TxBonus        TxType = "bonus"         // a top-up's bonus: promotions -> customer
	TxBonusExpired TxType = "bonus_expired" // what was left of a lot at its expiry
)

// System accounts of promotional credit: where bonus comes from, and where
// it goes when it runs out.
const (
	SystemPromotions  = "promotions"
	SystemBonusExpire = "bonus_expired"
)

// SpendOrder says which part a debit takes first (setting spend_order).
type SpendOrder string

const (
	BonusFirst     SpendOrder = "bonus_first" // the default
	PrincipalFirst SpendOrder = "principal_first"
)

// Valid reports whether o is a known order; "" means the default.
func (o SpendOrder) Valid() bool { return o == "" || o == BonusFirst || o == PrincipalFirst }

// Lot is the bonus one transaction granted; Remaining is what is left.
// ExpiresAt nil: it never expires.
type Lot struct {
	ID            int64
	AccountID     int64
	TransactionID int64
	Amount        int64
	Remaining     int64
	ExpiresAt     *time.Time
	CreatedAt     time.Time
}

// Live reports whether the lot may still be spent at now.
func (l Lot) Live(now time.Time) bool {
	return l.Remaining > 0 && (l.ExpiresAt == nil || now.Before(*l.ExpiresAt))
}

// LotUse is what a transaction took from a lot (Amount > 0) or put back
// into it (Amount < 0).
type LotUse struct {
	LotID  int64
	Amount int64
}

// Grant is the lot a bonus credit opens; its id is known once written.
type Grant struct {
	ExpiresAt *time.Time
}

// SpendingOrder sorts lots the way a debit spends them: the one that
// expires first, lots that never expire last, then the oldest.
func SpendingOrder(lots []Lot) {
	slices.SortStableFunc(lots, func(a, b Lot) int {
		switch {
		case a.ExpiresAt == nil && b.ExpiresAt == nil:
		case a.ExpiresAt == nil:
			return 1
		case b.ExpiresAt == nil:
			return -1
		default:
			if c := a.ExpiresAt.Compare(*b.ExpiresAt); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// LiveBonus is what the lots hold that may be spent at now.
func LiveBonus(lots []Lot, now time.Time) int64 {
	var sum int64
	for _, l := range lots {
		if l.Live(now) {
			sum += l.Remaining
		}
	}
	return sum
}

// SplitDebit divides a debit of amount from an account whose principal is
// principal and whose lots are lots (in any order) into what it takes from
// bonus and from principal, and the lot uses of the bonus part. With
// BonusFirst it takes live bonus first; with PrincipalFirst it takes
// principal down to zero first, then bonus, then principal again (into
// credit). Expired lots are never spent. The caller has checked that the
// account may take amount.
func SplitDebit(amount, principal int64, lots []Lot, order SpendOrder, now time.Time) (bonus int64, uses []LotUse) {
	live := LiveBonus(lots, now)
	bonus = min(amount, live)
	if order == PrincipalFirst {
		bonus = min(max(amount-max(principal, 0), 0), live)
	}
	if bonus == 0 {
		return 0, nil
	}
	sorted := slices.Clone(lots)
	SpendingOrder(sorted)
	left := bonus
	for _, l := range sorted {
		if left == 0 {
			break
		}
		if !l.Live(now) {
			continue
		}
		take := min(left, l.Remaining)
		uses = append(uses, LotUse{LotID: l.ID, Amount: take})
		left -= take
	}
	return bonus, uses
}

// ApplyUses returns lots with uses applied (a use of a lot not in lots is
// ignored) and the earliest expiry of the lots that still hold bonus.
func ApplyUses(lots []Lot, uses []LotUse) ([]Lot, *time.Time) {
	out := slices.Clone(lots)
	for _, u := range uses {
		for i := range out {
			if out[i].ID == u.LotID {
				out[i].Remaining -= u.Amount
			}
		}
	}
	return out, EarliestExpiry(out)
}

// EarliestExpiry is the first expiry among the lots that hold bonus; nil
// when none of them expires.
func EarliestExpiry(lots []Lot) *time.Time {
	var first *time.Time
	for _, l := range lots {
		if l.Remaining > 0 && l.ExpiresAt != nil && (first == nil || l.ExpiresAt.Before(*first)) {
			t := *l.ExpiresAt
			first = &t
		}
	}
	return first
}

// Principal is the part of the balance that is not bonus.
func (a Account) Principal() int64 { return a.Balance - a.Bonus }

// BonusKnown reports whether no lot has run out at now since the account's
// BonusUntil was kept: the account's whole Bonus may then be spent.
func (a Account) BonusKnown(now time.Time) bool {
	return a.Bonus == 0 || a.BonusUntil == nil || now.Before(*a.BonusUntil)
}
