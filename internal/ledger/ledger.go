// Package ledger holds Coffer's domain: customers, their accounts (one per
// currency), and the double-entry transactions that move money between
// customer accounts and the system's own accounts. It knows the rules (the
// floor, account status, what a valid posting is) but nothing of databases or
// HTTP: storage and transport live in other packages and call in here.
package ledger

import (
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// Customer is a person or company whose prepaid money Coffer holds.
type Customer struct {
	ID              int64
	Name            string
	Phone           string // normalised, see NormalizePhone
	Email           string // normalised, see NormalizeEmail
	Company         string
	Remark          string
	DefaultCurrency string // ISO 4217 code or ""
	Locale          string // the language of their mail and statements (CustomerLocales)
	Notify          Notify // which mail they get, when they have an address
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ArchivedAt      *time.Time // deleting a customer archives it; history stays
}

// Status of an account.
type Status string

const (
	StatusNormal   Status = "normal"
	StatusFrozen   Status = "frozen"   // takes credits, refuses debits
	StatusDisabled Status = "disabled" // takes no postings at all
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	return s == StatusNormal || s == StatusFrozen || s == StatusDisabled
}

// Account is a customer's balance in one currency. All amounts are minor units
// of Currency.
type Account struct {
	ID                 int64
	Number             string // 12 digits, the last a Damm check digit
	CustomerID         int64
	Currency           money.Currency
	Balance            int64 // posted balance; always the sum of the account's entries
	AlertAmount        int64
	CreditLimit        int64 // permanent credit: how far below zero the balance may go
	Overdraft          int64 // temporary credit on top of CreditLimit
	OverdraftExpiresAt *time.Time
	Status             Status
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// Version grows with every change of the settings above (alert amount,
	// credit limit, overdraft and its expiry, status), not with postings:
	// an edit made on an out-of-date form can then be refused.
	Version int64
	// Held is the sum of the active holds (SPEC 8), HeldUntil the earliest
	// of their expiries (nil: no hold). Past HeldUntil a hold has stopped
	// counting and Held is too much: the store adds up what still counts
	// (HeldKnown) before it checks or shows the account.
	Held      int64
	HeldUntil *time.Time
	// Bonus is the sum of the account's bonus entries (SPEC 11), held in
	// lots; BonusUntil is the earliest expiry among them (nil: none
	// expires). ExpiredBonus is what of Bonus has run out at the time the
	// store read the account, not yet posted as bonus_expired by the job:
	// it is never spent. Lots are the account's open lots, read by the
	// store for a posting that needs them.
	Bonus        int64
	BonusUntil   *time.Time
	ExpiredBonus int64
	Lots         []Lot
}

// HeldKnown reports whether Held is what the holds come to at now: no hold
// has run out since it was last added up.
func (a Account) HeldKnown(now time.Time) bool { return a.HeldUntil == nil || now.Before(*a.HeldUntil) }

// OverdraftActive reports whether the temporary overdraft counts at now.
func (a Account) OverdraftActive(now time.Time) bool {
	return a.Overdraft > 0 && (a.OverdraftExpiresAt == nil || now.Before(*a.OverdraftExpiresAt))
}

// Floor is the lowest balance the account may reach at now:
// -(credit limit + active overdraft).
func (a Account) Floor(now time.Time) int64 {
	credit := a.CreditLimit
	if a.OverdraftActive(now) {
		credit += a.Overdraft // both are capped at MaxLimit, so this cannot overflow
	}
	return -credit
}

// Available is what the customer can still spend: balance minus holds
// minus bonus that ran out minus floor.
func (a Account) Available(now time.Time) (int64, error) {
	free, err := money.SubMinor(a.Balance, a.Held)
	if err != nil {
		return 0, err
	}
	if free, err = money.SubMinor(free, a.ExpiredBonus); err != nil {
		return 0, err
	}
	return money.SubMinor(free, a.Floor(now))
}

// BelowAlert reports whether the balance is under the alert amount.
func (a Account) BelowAlert() bool { return a.Balance < a.AlertAmount }

// MaxAmount bounds every amount, and every customer account's balance, in
// absolute value (SPEC section 7): 10^15 minor units, ten trillion dollars.
// Sums of a few such values can never overflow int64; system accounts, whose
// balances are sums over every customer, are not bounded.
const MaxAmount int64 = 1_000_000_000_000_000

const maxAmountMessage = "is more than the largest amount Coffer takes (10^15 minor units)"

// MaxLimit bounds credit limits, overdrafts and alert amounts: they are
// amounts too.
const MaxLimit = MaxAmount

// CheckDebit says whether amount (minor units, > 0) may be taken from a at
// now: the holds count against the floor (a.Held, as HeldKnown at now).
func (a Account) CheckDebit(amount int64, now time.Time) error {
	if err := a.CheckHold(amount, now); err != nil {
		return err
	}
	if a.Balance-amount < -MaxAmount { // CheckHold bounded both
		return InvalidBecause("amount", "balance_bound", "the balance would go below the lowest balance Coffer holds (-10^15 minor units)")
	}
	return nil
}

// CheckHold says whether amount may be reserved on a at now: what a debit
// may take, without the debit.
func (a Account) CheckHold(amount int64, now time.Time) error {
	switch a.Status {
	case StatusDisabled:
		return ErrAccountDisabled
	case StatusFrozen:
		return ErrAccountFrozen
	}
	free, err := a.Available(now)
	if err != nil || amount > free {
		return ErrInsufficientFunds
	}
	return nil
}

// CheckCapture says whether amount of a hold on a may be posted. A capture
// fits within its own hold, so the floor is not checked again; the
// account's status is.
func (a Account) CheckCapture(amount int64) error {
	switch a.Status {
	case StatusDisabled:
		return ErrAccountDisabled
	case StatusFrozen:
		return ErrAccountFrozen
	}
	if after, err := money.SubMinor(a.Balance, amount); err != nil || after < -MaxAmount {
		return InvalidBecause("amount", "balance_bound", "the balance would go below the lowest balance Coffer holds (-10^15 minor units)")
	}
	return nil
}

// CheckCredit says whether amount (minor units, > 0) may be added to a.
func (a Account) CheckCredit(amount int64) error {
	if a.Status == StatusDisabled {
		return ErrAccountDisabled
	}
	if after, err := money.AddMinor(a.Balance, amount); err != nil || after > MaxAmount {
		return InvalidBecause("amount", "balance_bound", "the balance would exceed the largest balance Coffer holds (10^15 minor units)")
	}
	return nil
}

// TxType is the kind of a ledger transaction.
type TxType string

const (
	TxTopUp      TxType = "topup"      // approved recharge: funding account -> customer
	TxCharge     TxType = "charge"     // consumption: customer -> revenue
	TxAdjustment TxType = "adjustment" // manual credit or debit with a reason
	TxReversal   TxType = "reversal"   // undoes one earlier transaction, at most once
)

// Reason of a manual adjustment.
type Reason string

const (
	ReasonRefund       Reason = "refund"
	ReasonPromotion    Reason = "promotion"
	ReasonCompensation Reason = "compensation"
	ReasonCorrection   Reason = "correction"
	ReasonOther        Reason = "other"
)

// Reasons lists the adjustment reasons in display order.
var Reasons = []Reason{ReasonRefund, ReasonPromotion, ReasonCompensation, ReasonCorrection, ReasonOther}

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool {
	for _, x := range Reasons {
		if r == x {
			return true
		}
	}
	return false
}

// Transaction is an immutable, balanced set of entries. Amount is its signed
// effect on the customer account AccountID.
type Transaction struct {
	ID        int64
	Type      TxType
	AccountID int64
	Currency  money.Currency
	Amount    int64
	Reference string
	Note      string
	Reason    Reason // adjustments only
	Corrects  int64  // the transaction this one reverses or corrects, 0 if none
	TopUpID   int64  // the top-up request a TxTopUp came from, 0 if none
	HoldID    int64  // the hold a charge captured, 0 if none
	CreatedBy int64  // administrator id, 0 for the system
	CreatedAt time.Time
	Entries   []Entry
	// LotUses is what the transaction takes from (or puts back into) the
	// account's bonus lots; Grant, when set, is the lot its bonus entry
	// opens. Neither is a column of the transaction: the store keeps them
	// beside it (bonus_lots, bonus_lot_uses).
	LotUses []LotUse
	Grant   *Grant
}

// Entry is one line of a transaction: a signed amount on one account.
// BalanceAfter is the customer account's balance after this entry; system
// accounts keep no stored balance, so theirs is nil.
type Entry struct {
	ID            int64
	TransactionID int64
	AccountID     int64
	Amount        int64
	BalanceAfter  *int64
	Part          Part // customer accounts: which part of the balance; "" on system accounts
	CreatedAt     time.Time
}

// System accounts are the other side of every customer posting. They hold
// no stored balance: every posting would otherwise have to lock the same row.
// Their balance is the sum of their entries.
const (
	SystemRevenue     = "revenue"     // consumption income
	SystemAdjustments = "adjustments" // manual credits and debits
	SystemFundingPfx  = "funding:"    // + payment method code: money received
)

// Role of an administrator; see the permission table in SPEC section 3.
type Role string

const (
	RoleSuperAdmin Role = "super_admin"
	RoleAdmin      Role = "admin"
	RoleReviewer   Role = "reviewer"
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleSuperAdmin || r == RoleAdmin || r == RoleReviewer }

// Admin is a person (or, through a token, a program) who operates Coffer.
type Admin struct {
	ID           int64
	Username     string
	Name         string
	Role         Role
	PasswordHash string
	Disabled     bool
	Locale       string // web UI language: "en" or "zh-CN"
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Actor is who asks for a change: an administrator in a browser session, or
// a program with a token an administrator made. Every change records it.
type Actor struct {
	AdminID   int64
	TokenID   int64  // a program token; 0 for a login session
	SessionID int64  // the login session's token; 0 for a program
	Name      string // username, or the token's name
	Role      Role
	Addr      string // client address, for the operation record
}

// IdempotencyScope keeps one caller's idempotency keys apart from another's.
func (a Actor) IdempotencyScope() string {
	if a.TokenID != 0 {
		return "token:" + itoa(a.TokenID)
	}
	return "admin:" + itoa(a.AdminID)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// CheckAdminChange refuses a change that would leave no active super admin:
// one who is one now and would no longer be, while others counts the other
// active super admins (read under the lock of the change).
func CheckAdminChange(before, after Admin, others int) error {
	active := func(a Admin) bool { return a.Role == RoleSuperAdmin && !a.Disabled }
	if active(before) && !active(after) && others == 0 {
		return ErrLastSuperAdmin
	}
	return nil
}
