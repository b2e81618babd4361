package ledger

import (
	"fmt"
	"time"
)

// Four-eyes approvals (SPEC section 9): an adjustment at or above its
// currency's threshold, and a change of credit while approve_credit_changes
// is on, wait as an Approval until someone other than the requester decides.

// ApprovalKind is what an approval would apply.
type ApprovalKind string

const (
	ApprovalAdjustment   ApprovalKind = "adjustment"
	ApprovalCreditChange ApprovalKind = "credit_change"
)

// ApprovalStatus is where an approval is in its decision.
type ApprovalStatus string

const (
	ApprovalPending   ApprovalStatus = "pending"
	ApprovalApproved  ApprovalStatus = "approved"
	ApprovalRejected  ApprovalStatus = "rejected"
	ApprovalCancelled ApprovalStatus = "cancelled"
)

// Approval is a change waiting for, or past, a second person's decision.
// Request is the change as JSON, in the store's form (the API shows its
// own); Amount is the adjustment's amount or the credit limit asked for,
// for sorting and filters.
type Approval struct {
	ID            int64
	Kind          ApprovalKind
	Status        ApprovalStatus
	Request       []byte
	AccountID     int64
	Currency      string
	Amount        int64
	Version       int64
	RequestedBy   int64
	RequestedAt   time.Time
	DecidedBy     int64
	DecidedAt     *time.Time
	Remark        string
	TransactionID int64
}

// CheckDecision says whether a may be approved or rejected by actor, who
// saw it at version (nil: they did not say): only while it is pending,
// only as they saw it (SPEC section 7), and never by its requester.
func (a Approval) CheckDecision(actor Actor, version *int64) error {
	if a.Status != ApprovalPending {
		return ErrNotPending.With("the approval is no longer pending")
	}
	if version != nil && *version != a.Version {
		return ErrStaleVersion.With(fmt.Sprintf("the approval is at version %d, not %d: it changed since you saw it; look at it again", a.Version, *version))
	}
	if a.RequestedBy == actor.AdminID {
		return ErrSelfApproval.With("nobody may approve or reject a change they requested")
	}
	return nil
}

// CheckCancel says whether actor may withdraw a: only its requester, and
// only while it is pending.
func (a Approval) CheckCancel(actor Actor) error {
	if a.RequestedBy != actor.AdminID {
		return ErrNotRequester
	}
	if a.Status != ApprovalPending {
		return ErrNotPending.With("the approval is no longer pending")
	}
	return nil
}

// NeedsApproval says whether an adjustment of amount (minor units) in
// currency waits for a second person under s: at or above the threshold.
func (s Settings) NeedsApproval(currency string, amount int64) bool {
	t, ok := s.ApprovalThresholds[currency]
	return ok && amount >= t
}

// ValidRemark checks a decision's remark; a rejection must say why.
func ValidRemark(remark string, required bool) error {
	if required && remark == "" {
		return InvalidBecause("remark", "required", "is required: say why")
	}
	if len([]rune(remark)) > 1000 {
		return InvalidBecause("remark", "too_long", "is longer than 1000 characters", 1000)
	}
	return nil
}
