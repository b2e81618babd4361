package ledger

import (
	"fmt"
	"strings"
	"time"
)

// TopUpStatus is where a top-up request is in its review.
type TopUpStatus string

const (
	TopUpPending   TopUpStatus = "pending"
	TopUpApproved  TopUpStatus = "approved"
	TopUpRejected  TopUpStatus = "rejected"
	TopUpCancelled TopUpStatus = "cancelled"
)

// TopUpRequest is a recharge waiting for, or past, review. The balance
// changes only when it is approved: then Transaction is the posting.
type TopUpRequest struct {
	ID              int64
	CustomerID      int64
	AccountID       int64
	Currency        string
	Amount          int64
	PaymentMethodID int64
	PaymentAccount  string
	TransactionNo   string
	Remark          string
	PaymentStatus   string // paid or unpaid
	PaidAt          *time.Time
	Status          TopUpStatus
	ActualAmount    *int64
	ExchangeRate    string
	ReviewRemark    string
	ReviewedBy      int64
	ReviewedAt      *time.Time
	TransactionID   int64
	CreatedBy       int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Vouchers        []Voucher
	// Version grows with every change of the request: a correction, a
	// voucher, a decision. A reviewer's decision may name the version it
	// was made on, so that it never acts on a request nobody looked at.
	Version int64
}

// CheckEdit says whether actor may change t (correct it, cancel it, add a
// voucher): only its submitter, and only while it is pending (G FAQ Q4).
func (t TopUpRequest) CheckEdit(actor Actor) error {
	if t.CreatedBy != actor.AdminID {
		return ErrNotSubmitter
	}
	if t.Status != TopUpPending {
		return ErrNotPending
	}
	return nil
}

// CheckDecision says whether t may be approved or rejected by someone who
// saw it at version (nil: they did not say): only while it is pending, and
// only as they saw it (SPEC section 7), so that a reviewer's screen that is
// out of date never credits an amount they did not see.
func (t TopUpRequest) CheckDecision(version *int64) error {
	if t.Status != TopUpPending {
		return ErrNotPending
	}
	if version != nil && *version != t.Version {
		return ErrStaleVersion.With(fmt.Sprintf("the top-up request is at version %d, not %d: it changed since you saw it; look at it again", t.Version, *version))
	}
	return nil
}

// CheckReviewer says whether actor may review t: never its submitter
// (maker-checker), except for a direct top-up, which is its submitter's
// own, approved at once.
func (t TopUpRequest) CheckReviewer(actor Actor, direct bool) error {
	if t.CreatedBy == actor.AdminID && !direct {
		return ErrSelfApproval
	}
	return nil
}

// Number is the recharge number shown to people: R, the day it was made
// (UTC) and its id.
func (t TopUpRequest) Number() string {
	return fmt.Sprintf("R%s%06d", t.CreatedAt.UTC().Format("20060102"), t.ID)
}

// Voucher is an image of a payment receipt attached to a top-up request.
type Voucher struct {
	ID          int64
	TopUpID     int64
	ContentType string
	Size        int64
	SHA256      string
	CreatedAt   time.Time
}

// EarliestPaidAt is the earliest payment date a top-up request takes.
var EarliestPaidAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// TopUpFields are what the submitter fills in and may correct while pending.
type TopUpFields struct {
	Amount          int64
	PaymentMethodID int64
	PaymentAccount  string
	TransactionNo   string
	Remark          string
	PaymentStatus   string
	PaidAt          *time.Time
}

// Validate checks the fields as of now: a payment date must lie between
// EarliestPaidAt and a day after now (a date typed in another time zone
// may be tomorrow here), never in year 0 or years ahead.
func (f TopUpFields) Validate(now time.Time) error {
	var p problems
	p.positive("amount", f.Amount)
	if f.PaidAt != nil && (f.PaidAt.Before(EarliestPaidAt) || f.PaidAt.After(now.Add(24*time.Hour))) {
		p.because("paid_at", "paid_at", "must be a date from 2000-01-01 to today")
	}
	if f.PaymentMethodID == 0 {
		p.because("payment_method", "required", "is required")
	}
	p.text("payment_account", f.PaymentAccount, 200, false)
	p.text("transaction_no", f.TransactionNo, 200, false)
	p.text("remark", f.Remark, 1000, false)
	if f.PaymentStatus != "paid" && f.PaymentStatus != "unpaid" {
		p.because("payment_status", "choose", "must be paid or unpaid")
	}
	return p.err()
}

// ValidExchangeRate checks a positive decimal such as "7.2345": digits with
// at most one point, at most 12 digits before and 10 after it, not zero. It
// is kept as the exact text given.
func ValidExchangeRate(s string) error {
	whole, frac, _ := strings.Cut(s, ".")
	ok := whole != "" && len(whole) <= 12 && len(frac) <= 10 && !(strings.Contains(s, ".") && frac == "")
	nonzero := false
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			ok = false
		}
		nonzero = nonzero || (r >= '1' && r <= '9')
	}
	if !ok || !nonzero {
		return InvalidBecause("exchange_rate", "exchange_rate", "must be a positive decimal such as 1 or 7.2345 (at most 10 decimals)")
	}
	return nil
}

// MaxVouchers is how many voucher images one request may hold.
const MaxVouchers = 10

// CheckVoucherCount refuses one more voucher on a request that holds has.
func CheckVoucherCount(has int) error {
	if has >= MaxVouchers {
		return InvalidBecause("file", "too_many_vouchers", fmt.Sprintf("a request holds at most %d vouchers", MaxVouchers), MaxVouchers)
	}
	return nil
}
