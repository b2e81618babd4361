package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cofferhq/coffer/internal/money"
)

// FieldProblem names one invalid field of a request and why it is invalid.
// Reason, when set, is a stable key of why ("required", "too_long", …):
// the web UI shows the message of key "why.<reason>" in the user's
// language, formatted with Params; Message is the English the API gives.
type FieldProblem struct {
	Field   string
	Message string
	Reason  string
	Params  []any
}

// ValidationError lists every problem found in a request.
type ValidationError struct{ Problems []FieldProblem }

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid request: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Message)
	}
	return b.String()
}

// problems collects field problems while a request is checked.
type problems []FieldProblem

func (p *problems) add(field, msg string) { *p = append(*p, FieldProblem{Field: field, Message: msg}) }

// because adds a problem with its reason, for messages in every language.
func (p *problems) because(field, reason, msg string, params ...any) {
	*p = append(*p, FieldProblem{Field: field, Message: msg, Reason: reason, Params: params})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// Invalid returns a ValidationError for one field.
func Invalid(field, msg string) error {
	return &ValidationError{Problems: []FieldProblem{{Field: field, Message: msg}}}
}

// FieldReasons lists every reason a FieldProblem may give; each is a
// message of the web UI in every language ("why.<reason>"), and a test
// finds every reason the code gives in this list.
var FieldReasons = []string{
	"required", "not_utf8", "too_long", "nul", "not_positive", "too_large", "not_decimal", "too_many_decimals",
	"unknown_currency", "phone_chars", "phone_digits", "phone_country", "phone_impossible", "phone_region", "email", "username", "balance_bound", "key_length",
	"account_or_customer", "choose", "paid_at", "exchange_rate", "report_days", "name_length", "no_such",
	"method_disabled", "too_many_vouchers", "not_on_account", "reverse_reversal", "archived_entries",
	"batch_scope", "batch_size", "private_address", "hold_expiry", "over_hold", "hold_ttl",
	// Customer mail and statements (SPEC 10).
	"locale", "smtp_host", "smtp_clear", "port", "mail_off", "mail_failed", "link_days", "no_account", "choose_currency", "archived", "too_many_movements",
	// Import files (import.go), by line and column.
	"not_csv", "no_rows", "unknown_column", "duplicate_column", "missing_column", "file_too_large", "too_many_rows",
	"field_count", "duplicate_in_file", "needs_currency", "below_floor", "negative",
	// Promotional credit (SPEC 11).
	"bonus_promotion", "bonus_credit", "bonus_only", "not_future", "bonus_spent", "reverse_bonus", "reverse_expiry",
	// Promotion rules (promotion.go).
	"bonus_kind", "percent", "percent_range", "valid_to", "bonus_days",
}

// InvalidBecause returns a ValidationError for one field with the reason
// of the problem (see FieldProblem).
func InvalidBecause(field, reason, msg string, params ...any) error {
	return &ValidationError{Problems: []FieldProblem{{Field: field, Message: msg, Reason: reason, Params: params}}}
}

func (p *problems) text(field, v string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(v) == "":
		p.because(field, "required", "is required")
	case !utf8.ValidString(v):
		p.because(field, "not_utf8", "is not valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		p.because(field, "too_long", "is longer than "+strconv.Itoa(max)+" characters", max)
	case strings.ContainsRune(v, 0):
		p.because(field, "nul", "contains a NUL character")
	}
}

func (p *problems) positive(field string, v int64) {
	switch {
	case v <= 0:
		p.because(field, "not_positive", "must be greater than zero")
	case v > MaxAmount:
		p.because(field, "too_large", maxAmountMessage)
	}
}

// Idempotency identifies a posting so that a repeat posts nothing. Scope keeps
// different callers' keys apart (an administrator or a program token); an
// empty Key means the caller did not ask for protection.
type Idempotency struct {
	Scope string
	Key   string
}

func (p *problems) idem(i Idempotency) {
	if i.Key != "" && len(i.Key) > 255 {
		p.because("idempotency_key", "key_length", "must be 1 to 255 characters")
	}
}

// Target names the customer account a posting goes to: either an existing
// account, or a customer and currency, in which case the account is opened
// if the customer has none in that currency yet.
type Target struct {
	AccountID  int64
	CustomerID int64
	Currency   string
}

func (p *problems) target(t Target, autoCreate bool) {
	switch {
	case t.AccountID != 0 && t.CustomerID != 0:
		p.because("account_id", "account_or_customer", "give either account_id or customer_id with currency, not both")
	case t.AccountID != 0:
	case !autoCreate:
		p.because("account_id", "required", "is required")
	case t.CustomerID == 0:
		p.because("account_id", "account_or_customer", "give account_id, or customer_id with currency")
	default:
		if _, err := money.LookupCurrency(t.Currency); err != nil {
			p.because("currency", "unknown_currency", err.Error())
		}
	}
}

// Charge is consumption: money leaves the customer's account as revenue.
type Charge struct {
	AccountID int64
	Amount    int64 // minor units, > 0
	Reference string
	Note      string
	Actor     Actor
	Idem      Idempotency
}

func (r Charge) Validate() error {
	var p problems
	if r.AccountID == 0 {
		p.because("account_id", "required", "is required")
	}
	p.positive("amount", r.Amount)
	p.text("reference", r.Reference, 200, false)
	p.text("note", r.Note, 1000, false)
	p.idem(r.Idem)
	return p.err()
}

func (r Charge) Fingerprint() string {
	return fingerprint("charge", r.AccountID, r.Amount, r.Reference, r.Note)
}

// TopUp credits money received through a payment method. The review
// workflow posts it when a recharge request is approved.
type TopUp struct {
	Target        Target
	Amount        int64 // minor units, > 0
	PaymentMethod string
	TopUpID       int64
	Note          string
	Actor         Actor
	Idem          Idempotency
}

func (r TopUp) Validate() error {
	var p problems
	p.target(r.Target, true)
	p.positive("amount", r.Amount)
	p.text("payment_method", r.PaymentMethod, 64, true)
	p.text("note", r.Note, 1000, false)
	p.idem(r.Idem)
	return p.err()
}

func (r TopUp) Fingerprint() string {
	return fingerprint("topup", r.Target.AccountID, r.Target.CustomerID, r.Target.Currency, r.Amount, r.PaymentMethod, r.TopUpID, r.Note)
}

// Direction of a manual adjustment.
type Direction string

const (
	Credit Direction = "credit"
	Debit  Direction = "debit"
)

// Adjustment is a manual credit or debit with a reason and a note.
type Adjustment struct {
	Target    Target
	Direction Direction
	Amount    int64 // minor units, > 0
	Reason    Reason
	Note      string // mandatory: why the balance was changed
	Corrects  int64  // optional: the transaction this one corrects
	// Bonus makes a credit with reason promotion promotional credit
	// (SPEC 11): a lot of bonus that expires at BonusExpiresAt (nil:
	// never) instead of principal.
	Bonus          bool
	BonusExpiresAt *time.Time
	Actor          Actor
	Idem           Idempotency
}

func (r Adjustment) Validate() error {
	var p problems
	p.target(r.Target, true)
	if r.Direction != Credit && r.Direction != Debit {
		p.because("direction", "choose", "must be credit or debit")
	}
	p.positive("amount", r.Amount)
	if !r.Reason.Valid() {
		p.because("reason", "choose", "must be one of refund, promotion, compensation, correction, other")
	}
	p.text("note", r.Note, 1000, true)
	p.idem(r.Idem)
	if r.Bonus && r.Direction != Debit && r.Reason != ReasonPromotion {
		p.because("bonus", "bonus_promotion", "only a credit with reason promotion can be bonus")
	}
	if r.Bonus && r.Direction == Debit {
		p.because("bonus", "bonus_credit", "only a credit can be bonus; a debit takes bonus as the spending order says")
	}
	if r.BonusExpiresAt != nil && !r.Bonus {
		p.because("bonus_expires_at", "bonus_only", "applies to bonus only; set bonus to true")
	}
	return p.err()
}

// CheckExpiry refuses bonus that would expire at or before now.
func (r Adjustment) CheckExpiry(now time.Time) error {
	if r.BonusExpiresAt != nil && !r.BonusExpiresAt.After(now) {
		return InvalidBecause("bonus_expires_at", "not_future", "must be in the future")
	}
	return nil
}

func (r Adjustment) Fingerprint() string {
	parts := []any{"adjustment", r.Target.AccountID, r.Target.CustomerID, r.Target.Currency, string(r.Direction), r.Amount, string(r.Reason), r.Note, r.Corrects}
	if r.Bonus { // so that the fingerprint of every other adjustment stays what it was
		expires := ""
		if r.BonusExpiresAt != nil {
			expires = r.BonusExpiresAt.UTC().Format(time.RFC3339Nano)
		}
		parts = append(parts, "bonus", expires)
	}
	return fingerprint(parts...)
}

// Reversal undoes one transaction by posting its entries negated.
type Reversal struct {
	TransactionID int64
	Note          string
	Actor         Actor
	Idem          Idempotency
}

func (r Reversal) Validate() error {
	var p problems
	if r.TransactionID == 0 {
		p.because("transaction_id", "required", "is required")
	}
	p.text("note", r.Note, 1000, false)
	p.idem(r.Idem)
	return p.err()
}

func (r Reversal) Fingerprint() string {
	return fingerprint("reversal", r.TransactionID, r.Note)
}

// fingerprint hashes a request's fields so that a reused idempotency key
// can be told apart from a repeat of the same request.
func fingerprint(parts ...any) string {
	h := sha256.New()
	for _, part := range parts {
		var s string
		switch v := part.(type) {
		case string:
			s = v
		case int64:
			s = strconv.FormatInt(v, 10)
		default:
			panic("fingerprint: unsupported type")
		}
		// Length-prefix every part so that ("ab","c") and ("a","bc") differ.
		h.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AmountProblem is the ValidationError of an amount typed for field that
// money refused, with the reason of its refusal (see FieldProblem).
func AmountProblem(field string, err error) error {
	reason := "not_decimal"
	for _, r := range []struct {
		err    error
		reason string
	}{
		{money.ErrEmpty, "required"},
		{money.ErrTooManyDecimals, "too_many_decimals"},
		{money.ErrNotPositive, "not_positive"},
		{money.ErrOverflow, "too_large"},
		{money.ErrUnknownCurrency, "unknown_currency"},
	} {
		if errors.Is(err, r.err) {
			reason = r.reason
			break
		}
	}
	return InvalidBecause(field, reason, err.Error())
}
