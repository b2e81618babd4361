package ledger

import (
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// HoldStatus is where a hold is in its life (SPEC 8).
type HoldStatus string

const (
	HoldActive   HoldStatus = "active"
	HoldCaptured HoldStatus = "captured"
	HoldReleased HoldStatus = "released"
	HoldExpired  HoldStatus = "expired"
)

// Hold reserves an amount on an account without posting it: it counts
// against the account's floor until it is captured (a charge of up to its
// amount), released, or runs out at ExpiresAt.
type Hold struct {
	ID             int64
	AccountID      int64
	Currency       money.Currency
	Amount         int64 // minor units, > 0
	CapturedAmount int64
	Status         HoldStatus
	Reference      string
	Note           string
	ExpiresAt      time.Time
	CreatedBy      int64
	CreatedAt      time.Time
	ClosedAt       *time.Time
	TransactionID  int64 // the capture's charge, 0 if none
}

// Counts reports whether the hold reserves its amount at now: active and
// not yet run out, whatever the expiry job has marked so far.
func (h Hold) Counts(now time.Time) bool { return h.Status == HoldActive && now.Before(h.ExpiresAt) }

// MaxHoldDays bounds how far ahead a hold may run out; DefaultHoldTTLHours
// is the setting hold_ttl_hours's default.
const (
	MaxHoldDays         = 30
	DefaultHoldTTLHours = 168
)

// NewHold asks to reserve Amount on an account.
type NewHold struct {
	AccountID int64
	Amount    int64
	Reference string
	Note      string
	ExpiresAt *time.Time // nil: now plus the setting hold_ttl_hours
	Actor     Actor
	Idem      Idempotency
}

// Validate checks the request at now.
func (r NewHold) Validate(now time.Time) error {
	var p problems
	if r.AccountID == 0 {
		p.because("account_id", "required", "is required")
	}
	p.positive("amount", r.Amount)
	p.text("reference", r.Reference, 200, false)
	p.text("note", r.Note, 1000, false)
	if r.ExpiresAt != nil && (!r.ExpiresAt.After(now) || r.ExpiresAt.After(now.AddDate(0, 0, MaxHoldDays))) {
		p.because("expires_at", "hold_expiry", "must be after now and at most 30 days ahead", MaxHoldDays)
	}
	p.idem(r.Idem)
	return p.err()
}

func (r NewHold) Fingerprint() string {
	var exp int64
	if r.ExpiresAt != nil {
		exp = r.ExpiresAt.UnixMicro()
	}
	return fingerprint("hold", r.AccountID, r.Amount, r.Reference, r.Note, exp)
}

// Capture posts up to the whole of a hold as a charge; the rest is
// released.
type Capture struct {
	HoldID int64
	Amount int64 // minor units; 0: the whole hold
	Note   string
	Actor  Actor
	Idem   Idempotency
}

func (r Capture) Validate() error {
	var p problems
	if r.Amount < 0 {
		p.because("amount", "not_positive", "must be greater than zero")
	}
	if r.Amount > MaxAmount {
		p.because("amount", "too_large", maxAmountMessage)
	}
	p.text("note", r.Note, 1000, false)
	p.idem(r.Idem)
	return p.err()
}

func (r Capture) Fingerprint() string { return fingerprint("capture", r.HoldID, r.Amount, r.Note) }

// CaptureAmount is what capturing h with asked (0: all) posts.
func (h Hold) CaptureAmount(asked int64) (int64, error) {
	if asked == 0 {
		return h.Amount, nil
	}
	if asked > h.Amount {
		return 0, InvalidBecause("amount", "over_hold", "is more than the hold reserves")
	}
	return asked, nil
}
