package ledger

import (
	"time"

	_ "time/tzdata" // business time zones work on machines without tzdata

	"github.com/cofferhq/coffer/internal/money"
)

// Settings are the operator's choices that apply to the whole system.
type Settings struct {
	// RetentionDays is how long operation records and entry details are
	// kept before they are archived (SPEC: 6 months).
	RetentionDays int `json:"retention_days"`
	// DefaultCreditLimit is the credit limit, in minor units, that a new
	// account in each currency starts with.
	DefaultCreditLimit map[string]int64 `json:"default_credit_limit"`
	// DirectTopUp lets super admins post a top-up without review.
	DirectTopUp bool `json:"direct_topup"`
	// Timezone is the business time zone: dates in filters and reports are
	// days in this zone.
	Timezone string `json:"timezone"`
	// PhoneRegion, an ISO 3166 code such as CN, makes phone numbers E.164,
	// a number without + being a national one of this region (SPEC 7;
	// NormalizePhone). Empty: numbers are stored as typed, less spacing.
	PhoneRegion string `json:"phone_region,omitempty"`
	// ApprovalThresholds, in minor units per currency, send an adjustment
	// at or above its currency's amount to a second person (SPEC 9); a
	// currency not named has none.
	ApprovalThresholds map[string]int64 `json:"approval_thresholds,omitempty"`
	// ApproveCreditChanges sends every change of credit limit or overdraft
	// to a second person, a super admin (SPEC 9).
	ApproveCreditChanges bool `json:"approve_credit_changes,omitempty"`
	// HoldTTLHours is how long a hold placed without expires_at lasts
	// (SPEC 8: 168); at most 30 days.
	HoldTTLHours int `json:"hold_ttl_hours,omitempty"`
	// BusinessName is how customers know the business: it heads their
	// mail, statements and statement pages (SPEC 10).
	BusinessName string `json:"business_name,omitempty"`
	// SMTP is the mail server customer notifications go through; without a
	// host no mail is sent (SPEC 10).
	SMTP SMTP `json:"smtp"`
	// SpendOrder says whether a debit takes bonus or principal first
	// (SPEC 11); empty is bonus first.
	SpendOrder SpendOrder `json:"spend_order,omitempty"`
}

// Spending is the spending order in force.
func (s Settings) Spending() SpendOrder {
	if s.SpendOrder == "" {
		return BonusFirst
	}
	return s.SpendOrder
}

// Redacted is s without secrets, for operation records and answers.
func (s Settings) Redacted() Settings {
	if s.SMTP.Password != "" {
		s.SMTP.Password = "********"
	}
	return s
}

// HoldTTL is how long a hold placed without an expiry lasts.
func (s Settings) HoldTTL() time.Duration {
	h := s.HoldTTLHours
	if h == 0 {
		h = DefaultHoldTTLHours
	}
	return time.Duration(h) * time.Hour
}

// DefaultSettings apply until a super admin changes them.
func DefaultSettings() Settings {
	return Settings{RetentionDays: 183, DefaultCreditLimit: map[string]int64{}, Timezone: "UTC"}
}

// Location is the business time zone.
func (s Settings) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate says which setting is out of bounds.
func (s Settings) Validate() error {
	var p []FieldProblem
	if s.RetentionDays < 30 || s.RetentionDays > 3650 {
		p = append(p, FieldProblem{Field: "retention_days", Message: "must be between 30 and 3650"})
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil || s.Timezone == "" || s.Timezone == "Local" {
		p = append(p, FieldProblem{Field: "timezone", Message: "must be an IANA time zone such as UTC or Asia/Shanghai"})
	}
	if s.HoldTTLHours < 0 || s.HoldTTLHours > MaxHoldDays*24 {
		p = append(p, FieldProblem{Field: "hold_ttl_hours", Reason: "hold_ttl", Message: "must be 1 to 720 hours", Params: []any{1, MaxHoldDays * 24}})
	}
	if n := len([]rune(s.BusinessName)); n > 200 {
		p = append(p, FieldProblem{Field: "business_name", Reason: "too_long", Message: "is longer than 200 characters", Params: []any{200}})
	}
	p = append(p, s.SMTP.validate()...)
	if !s.SpendOrder.Valid() {
		p = append(p, FieldProblem{Field: "spend_order", Reason: "choose", Message: "must be bonus_first or principal_first"})
	}
	if !ValidPhoneRegion(s.PhoneRegion) {
		p = append(p, FieldProblem{Field: "phone_region", Reason: "phone_region",
			Message: "must be empty or a region's ISO 3166 code in capitals, such as CN, US or GB"})
	}
	for cur, v := range s.DefaultCreditLimit {
		if _, err := money.LookupCurrency(cur); err != nil {
			p = append(p, FieldProblem{Field: "default_credit_limit." + cur, Message: err.Error()})
		} else if v < 0 || v > MaxLimit {
			p = append(p, FieldProblem{Field: "default_credit_limit." + cur, Message: "must be zero or more and within range"})
		}
	}
	for cur, v := range s.ApprovalThresholds {
		if _, err := money.LookupCurrency(cur); err != nil {
			p = append(p, FieldProblem{Field: "approval_thresholds." + cur, Reason: "unknown_currency", Message: err.Error()})
		} else if v <= 0 || v > MaxAmount {
			p = append(p, FieldProblem{Field: "approval_thresholds." + cur, Reason: "not_positive", Message: "must be greater than zero and within range"})
		}
	}
	if p != nil {
		return &ValidationError{Problems: p}
	}
	return nil
}

// CheckDirectTopUp refuses a top-up posted without review unless the
// setting allows it and the caller is a super admin. The store calls it with
// the settings read in the transaction that posts.
func CheckDirectTopUp(s Settings, actor Actor) error {
	if !s.DirectTopUp || actor.Role != RoleSuperAdmin {
		return ErrDirectTopUpOff
	}
	return nil
}
