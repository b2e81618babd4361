// Package statement renders a customer's account statement, one account
// (one currency) over a period, as CSV and as PDF, in English or Chinese.
//
// The caller reads the figures from the ledger; this package only checks
// that they add up and lays them out. A statement whose movements do not
// lead from the opening to the closing balance is refused, never printed:
// a customer holding a statement that contradicts itself has no way to
// tell which figure is wrong.
package statement

import (
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// Movement is one posting on the account within the period.
type Movement struct {
	TransactionID int64
	At            time.Time
	Type          string // "topup", "charge", "adjustment", "reversal" (ledger transaction types); unknown types are shown as they are
	Reference     string // the posting's external reference, may be ""
	Note          string // may be "", may contain Chinese
	Amount        int64  // minor units, signed: + credits the customer, - debits
	Balance       int64  // the running balance after this movement, minor units
	// Bonus is the part of Amount that moved promotional credit (SPEC 11),
	// BonusBalance the bonus after this movement: of Balance, the rest is
	// the customer's own money.
	Bonus        int64
	BonusBalance int64
}

// Statement is one account (one currency) of one customer over [From, To).
type Statement struct {
	Business     string // the business name from settings, may be ""
	CustomerID   int64
	CustomerName string         // may be Chinese
	Currency     money.Currency // Digits() gives minor digits, Code() the ISO code
	From, To     time.Time      // the period, To exclusive
	Location     *time.Location // business time zone for dates shown; nil is UTC
	Opening      int64          // balance at From
	Closing      int64          // balance at To
	OpeningBonus int64          // of Opening, bonus
	ClosingBonus int64          // of Closing, bonus
	Movements    []Movement     // in posting order
	GeneratedAt  time.Time
}

// Languages the renderers know.
var Languages = []string{"en", "zh-CN"}

// ErrInconsistent is wrapped by every error of Check: the statement's
// figures do not add up, or adding them up overflows int64.
var ErrInconsistent = errors.New("statement does not add up")

// Check reports an error unless Opening + the sum of Amounts = Closing and each
// Balance is the running balance (Opening + amounts so far), with overflow checked
// (use money.AddMinor). Renderers call it and refuse a statement that does not add up.
func (s Statement) Check() error {
	running := s.Opening
	for i, m := range s.Movements {
		next, err := money.AddMinor(running, m.Amount)
		if err != nil {
			return fmt.Errorf("%w: movement %d (transaction %d): %d + %d: %w",
				ErrInconsistent, i+1, m.TransactionID, running, m.Amount, err)
		}
		running = next
		if m.Balance != running {
			return fmt.Errorf("%w: movement %d (transaction %d) shows balance %d, the running balance is %d",
				ErrInconsistent, i+1, m.TransactionID, m.Balance, running)
		}
	}
	if running != s.Closing {
		return fmt.Errorf("%w: closing balance %d, opening balance plus movements is %d",
			ErrInconsistent, s.Closing, running)
	}
	return s.checkBonus()
}

// checkBonus is Check for the bonus part: each movement's bonus within
// its amount's sign, the running bonus, and the closing bonus.
func (s Statement) checkBonus() error {
	running := s.OpeningBonus
	for i, m := range s.Movements {
		if (m.Amount >= 0 && (m.Bonus < 0 || m.Bonus > m.Amount)) || (m.Amount < 0 && (m.Bonus > 0 || m.Bonus < m.Amount)) {
			return fmt.Errorf("%w: movement %d (transaction %d): bonus %d is not part of amount %d", ErrInconsistent, i+1, m.TransactionID, m.Bonus, m.Amount)
		}
		next, err := money.AddMinor(running, m.Bonus)
		if err != nil {
			return fmt.Errorf("%w: movement %d (transaction %d): bonus %d + %d: %w", ErrInconsistent, i+1, m.TransactionID, running, m.Bonus, err)
		}
		running = next
		if m.BonusBalance != running {
			return fmt.Errorf("%w: movement %d (transaction %d) shows bonus %d, the running bonus is %d",
				ErrInconsistent, i+1, m.TransactionID, m.BonusBalance, running)
		}
	}
	if running != s.ClosingBonus {
		return fmt.Errorf("%w: closing bonus %d, opening bonus plus movements is %d", ErrInconsistent, s.ClosingBonus, running)
	}
	return nil
}

// HasBonus reports whether any bonus shows on the statement.
func (s Statement) HasBonus() bool {
	if s.OpeningBonus != 0 || s.ClosingBonus != 0 {
		return true
	}
	for _, m := range s.Movements {
		if m.Bonus != 0 {
			return true
		}
	}
	return false
}

// Totals returns the totals of positive amounts (credits) and of negative
// amounts (debits, as a non-negative number), or money.ErrOverflow when
// either does not fit in int64. A consistent statement can still fail here:
// credits and debits that cancel out may each be too large on their own.
func (s Statement) Totals() (credits, debits int64, err error) {
	var negative int64
	for _, m := range s.Movements {
		if m.Amount >= 0 {
			credits, err = money.AddMinor(credits, m.Amount)
		} else {
			negative, err = money.AddMinor(negative, m.Amount)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("totals of credits and debits: %w", err)
		}
	}
	debits, err = money.SubMinor(0, negative)
	if err != nil {
		return 0, 0, fmt.Errorf("total of debits: %w", err)
	}
	return credits, debits, nil
}

// location is the time zone dates are shown in: t.In(nil) panics, and a
// statement built without one is most likely a test or a UTC business.
func (s Statement) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// language picks one of Languages; anything it does not know is English.
func language(lang string) string {
	for _, l := range Languages {
		if l == lang {
			return l
		}
	}
	return "en"
}
