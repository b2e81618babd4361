package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

const accountCols = "id, number, customer_id, currency, balance, alert_amount, credit_limit, overdraft, overdraft_expires_at, status, created_at, updated_at, version, held, held_until, bonus, bonus_until"

func scanAccount(row interface{ Scan(...any) error }) (ledger.Account, error) {
	var a ledger.Account
	var cur string
	var created, updated int64
	var expires, heldUntil, bonusUntil sql.NullInt64
	err := row.Scan(&a.ID, &a.Number, &a.CustomerID, &cur, &a.Balance, &a.AlertAmount, &a.CreditLimit,
		&a.Overdraft, &expires, &a.Status, &created, &updated, &a.Version, &a.Held, &heldUntil, &a.Bonus, &bonusUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ledger.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	if a.Currency, err = money.LookupCurrency(cur); err != nil {
		return a, fmt.Errorf("account %d: %w", a.ID, err)
	}
	a.CreatedAt, a.UpdatedAt, a.OverdraftExpiresAt = fromMicros(created), fromMicros(updated), fromNullMicros(expires)
	a.HeldUntil, a.BonusUntil = fromNullMicros(heldUntil), fromNullMicros(bonusUntil)
	return a, nil
}

// Account returns one customer account.
func (s *Store) Account(ctx context.Context, id int64) (ledger.Account, error) {
	a, err := scanAccount(s.readRow(ctx, "SELECT "+accountCols+" FROM accounts WHERE id = $1 AND customer_id IS NOT NULL", id))
	if err != nil {
		return a, err
	}
	now := s.nowTime()
	if err := s.countHeld(ctx, s.rdb, &a, now); err != nil {
		return a, err
	}
	return a, s.readBonus(ctx, s.rdb, &a, now, false, false)
}

// countHeld makes a.Held what a's holds come to at now, when a hold has run
// out since the account's held was last kept (ledger.Account.HeldKnown):
// the holds still counting are added up. The row keeps its value until
// the expiry job catches up; nothing needs it to be exact before then.
func (s *Store) countHeld(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, a *ledger.Account, now time.Time) error {
	if a.HeldKnown(now) {
		return nil
	}
	var next sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(SUM(amount), 0), MIN(expires_at) FROM holds WHERE account_id = $1 AND status = 'active' AND expires_at > $2",
		a.ID, micros(now)).Scan(&a.Held, &next); err != nil {
		return err
	}
	a.HeldUntil = fromNullMicros(next)
	return nil
}

// AccountCurrency returns the currency of a customer account. An account's
// currency never changes and accounts are never deleted, so each instance
// remembers the answer: every posting through the API asks it first, to
// read the amount, and a database round trip per posting was measurable.
func (s *Store) AccountCurrency(ctx context.Context, id int64) (money.Currency, error) {
	if c, ok := s.currencies.Load(id); ok {
		return c.(money.Currency), nil
	}
	var code string
	err := s.readRow(ctx, "SELECT currency FROM accounts WHERE id = $1 AND customer_id IS NOT NULL", id).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return money.Currency{}, ledger.ErrNotFound
	}
	if err != nil {
		return money.Currency{}, err
	}
	c, err := money.LookupCurrency(code)
	if err != nil {
		return c, fmt.Errorf("account %d: %w", id, err)
	}
	// Bounded: past the limit, start again rather than grow without end.
	if s.currencyCount.Add(1) > maxRememberedCurrencies {
		s.currencies.Clear()
		s.currencyCount.Store(0)
	}
	s.currencies.Store(id, c)
	return c, nil
}

const maxRememberedCurrencies = 1 << 20

// OpenAccount returns the customer's account in currency, opening it if the
// customer has none yet; created tells which.
func (s *Store) OpenAccount(ctx context.Context, actor ledger.Actor, customerID int64, currency string) (a ledger.Account, created bool, err error) {
	t := ledger.Target{CustomerID: customerID, Currency: currency}
	var p []ledger.FieldProblem
	if customerID == 0 {
		p = append(p, ledger.FieldProblem{Field: "customer_id", Message: "is required"})
	}
	if _, err := money.LookupCurrency(currency); err != nil {
		p = append(p, ledger.FieldProblem{Field: "currency", Message: err.Error()})
	}
	if p != nil {
		return ledger.Account{}, false, &ledger.ValidationError{Problems: p}
	}
	err = s.write(ctx, func(tx *txn) error {
		now := s.nowTime()
		var err error
		a, err = s.lockTarget(ctx, tx, t, now, false)
		if err != nil {
			return err
		}
		created = a.CreatedAt.Equal(now)
		if !created {
			return nil
		}
		return s.audit(ctx, tx, actor, change{action: "account.create", objectType: "account", objectID: a.ID, after: auditAccount(a)})
	})
	return a, created, err
}

// lockAccount reads a customer account for a posting and, on PostgreSQL,
// locks its row until the transaction ends.
func (s *Store) lockAccount(ctx context.Context, tx *txn, id int64) (ledger.Account, error) {
	return s.lockByID(ctx, tx, id, true)
}

func (s *Store) lockByID(ctx context.Context, tx *txn, id int64, posting bool) (ledger.Account, error) {
	a, err := s.scanLocked(tx, posting, tx.QueryRowContext(ctx,
		"SELECT "+accountCols+s.lockCols(posting)+" FROM accounts WHERE id = $1 AND customer_id IS NOT NULL"+s.forUpdate, id))
	if errors.Is(err, ledger.ErrNotFound) {
		return a, ledger.InvalidBecause("account_id", "no_such", "no such account")
	}
	if err != nil {
		return a, err
	}
	return a, s.completeLocked(ctx, tx, &a, s.nowTime(), posting)
}

// completeLocked adds to a locked account what its row does not say
// exactly: the holds that still count, and its bonus that may be spent
// (with the lots, for a posting).
func (s *Store) completeLocked(ctx context.Context, tx *txn, a *ledger.Account, now time.Time, posting bool) error {
	if err := s.countHeld(ctx, tx, a, now); err != nil {
		return err
	}
	return s.readBonus(ctx, tx, a, now, posting, tx.locked[a.ID].lotsStale)
}

// lockInfo is what a posting learns beside the account when it locks it.
type lockInfo struct {
	customerID, alertAmount int64
	openAlert               int64 // the account's open low-balance alert, 0 for none
	nextTxID                int64 // PostgreSQL: the id the posting's transaction takes
	lotsStale               bool  // PostgreSQL: the lots read with the lock may be out of date (lotsCol)
}

// lockCols follow accountCols in the reads that lock an account: its open
// alert, so that settling alerts needs no query of its own (alerts.go), and
// for a posting on PostgreSQL the id its transaction will take, so that the
// posting's rows go in one statement (writePosting). Each saves a round trip.
func (s *Store) lockCols(posting bool) string {
	c := ", open_alert_id"
	if posting {
		c += lotsCol[s.dialect]
	}
	if posting && s.dialect == Postgres {
		c += ", nextval(pg_get_serial_sequence('transactions', 'id'))"
	}
	return c
}

// scanLocked reads an account and its lockCols, and notes them in tx.
func (s *Store) scanLocked(tx *txn, posting bool, row *sql.Row) (ledger.Account, error) {
	var open sql.NullInt64
	var lots sql.NullString
	var xminLocked, xminSeen sql.NullInt64
	var info lockInfo
	extra := []any{&open}
	if posting {
		extra = append(extra, &lots)
	}
	if posting && s.dialect == Postgres {
		extra = append(extra, &xminLocked, &xminSeen, &info.nextTxID)
	}
	a, err := scanAccount(scanWith{row, extra})
	if err != nil {
		return a, err
	}
	if a.Lots, err = parseLots(a.ID, lots.String); err != nil {
		return a, err
	}
	info.customerID, info.alertAmount, info.openAlert = a.CustomerID, a.AlertAmount, open.Int64
	info.lotsStale = xminLocked != xminSeen
	tx.note(a.ID, info)
	return a, nil
}

// lockTarget locks the account a posting names, opening it first when the
// posting names a customer and currency the customer has no account in.
// posting tells whether a transaction will follow (see lockCols).
func (s *Store) lockTarget(ctx context.Context, tx *txn, t ledger.Target, now time.Time, posting bool) (ledger.Account, error) {
	if t.AccountID != 0 {
		return s.lockByID(ctx, tx, t.AccountID, posting)
	}
	var archived sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT archived_at FROM customers WHERE id = $1", t.CustomerID).Scan(&archived)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Account{}, ledger.InvalidBecause("customer_id", "no_such", "no such customer")
	}
	if err != nil {
		return ledger.Account{}, err
	}
	if archived.Valid {
		return ledger.Account{}, ledger.ErrCustomerArchived
	}
	for range 5 {
		a, err := s.scanLocked(tx, posting, tx.QueryRowContext(ctx, "SELECT "+accountCols+s.lockCols(posting)+
			" FROM accounts WHERE customer_id = $1 AND currency = $2"+s.forUpdate, t.CustomerID, t.Currency))
		if err == nil {
			err = s.completeLocked(ctx, tx, &a, now, posting)
		}
		if !errors.Is(err, ledger.ErrNotFound) {
			return a, err
		}
		// ON CONFLICT DO NOTHING: if another transaction opens the same
		// account first, this waits for it and the next SELECT finds it. A
		// random number that is already taken (rare) just goes round again.
		credit, err := s.defaultCreditLimit(ctx, tx, t.Currency)
		if err != nil {
			return a, err
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, `INSERT INTO accounts (number, customer_id, currency, balance, credit_limit, created_at, updated_at)
			VALUES ($1, $2, $3, 0, $4, $5, $5) ON CONFLICT DO NOTHING RETURNING `+accountCols,
			ledger.NewAccountNumber(), t.CustomerID, t.Currency, credit, micros(now)))
		if err == nil {
			tx.note(a.ID, lockInfo{customerID: a.CustomerID, alertAmount: a.AlertAmount}) // new: no alert yet
		}
		if !errors.Is(err, ledger.ErrNotFound) {
			return a, err
		}
	}
	return ledger.Account{}, errors.New("store: could not open an account after 5 attempts")
}

// AccountChange lists the account fields to change; nil leaves one as is.
// Who may change which field is the caller's decision (see the API).
type AccountChange struct {
	AlertAmount        *int64
	CreditLimit        *int64
	Overdraft          *int64
	OverdraftExpiresAt **time.Time // set to a nil *time.Time to clear
	Status             *ledger.Status
	// Version is the version of the account the change was made on; nil
	// changes whatever is current. When it is not current the change is
	// ledger.ErrStaleVersion and nothing changes: another administrator's
	// edit in between is never silently overwritten.
	Version *int64
}

func (c AccountChange) validate() error {
	var p []ledger.FieldProblem
	check := func(field string, v *int64) {
		if v != nil && (*v < 0 || *v > ledger.MaxLimit) {
			p = append(p, ledger.FieldProblem{Field: field, Message: "must be zero or more and within range"})
		}
	}
	check("alert_amount", c.AlertAmount)
	check("credit_limit", c.CreditLimit)
	check("overdraft", c.Overdraft)
	if c.Status != nil && !c.Status.Valid() {
		p = append(p, ledger.FieldProblem{Field: "status", Message: "must be normal, frozen or disabled"})
	}
	if p != nil {
		return &ledger.ValidationError{Problems: p}
	}
	return nil
}

// UpdateAccount applies c to a customer account and records the change.
func (s *Store) UpdateAccount(ctx context.Context, actor ledger.Actor, id int64, c AccountChange) (ledger.Account, error) {
	if err := c.validate(); err != nil {
		return ledger.Account{}, err
	}
	var a ledger.Account
	err := s.write(ctx, s.changeAccount(ctx, actor, id, c, &a))
	return a, err
}

// changeAccount applies c to account id inside a transaction and sets *a to
// the result; an approved credit change applies through it too, in the
// transaction of its decision (approvals.go).
func (s *Store) changeAccount(ctx context.Context, actor ledger.Actor, id int64, c AccountChange, a *ledger.Account) func(tx *txn) error {
	return func(tx *txn) error {
		before, err := scanAccount(tx.QueryRowContext(ctx, "SELECT "+accountCols+" FROM accounts WHERE id = $1 AND customer_id IS NOT NULL"+s.forUpdate, id))
		if err != nil {
			return err
		}
		if c.Version != nil && *c.Version != before.Version {
			return ledger.ErrStaleVersion.With(fmt.Sprintf("the account is at version %d, not %d: its settings changed since you saw them; look at them again", before.Version, *c.Version))
		}
		after := before
		if c.AlertAmount != nil {
			after.AlertAmount = *c.AlertAmount
		}
		if c.CreditLimit != nil {
			after.CreditLimit = *c.CreditLimit
		}
		if c.Overdraft != nil {
			after.Overdraft = *c.Overdraft
		}
		if c.OverdraftExpiresAt != nil {
			after.OverdraftExpiresAt = *c.OverdraftExpiresAt
		}
		if c.Status != nil {
			after.Status = *c.Status
		}
		if after.Status != before.Status && after.Status != ledger.StatusDisabled {
			var archived sql.NullInt64
			if err := tx.QueryRowContext(ctx, "SELECT archived_at FROM customers WHERE id = $1", before.CustomerID).Scan(&archived); err != nil {
				return err
			}
			if archived.Valid {
				return ledger.ErrCustomerArchived
			}
		}
		after.UpdatedAt = s.nowTime()
		// The version counts changes of the settings, so an edit that
		// changes nothing does not make other open forms stale.
		if !sameSettings(before, after) {
			after.Version++
		}
		*a, err = scanAccount(tx.QueryRowContext(ctx, `UPDATE accounts SET alert_amount = $2, credit_limit = $3, overdraft = $4,
			overdraft_expires_at = $5, status = $6, updated_at = $7, version = $8 WHERE id = $1 RETURNING `+accountCols,
			id, after.AlertAmount, after.CreditLimit, after.Overdraft, nullMicros(after.OverdraftExpiresAt), string(after.Status), micros(after.UpdatedAt), after.Version))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "account.update", objectType: "account", objectID: id,
			before: auditAccount(before), after: auditAccount(*a)})
	}
}

// sameSettings reports whether a and b have the same settings, the ones an
// account's version counts; expiry times are compared as stored.
func sameSettings(a, b ledger.Account) bool {
	return a.AlertAmount == b.AlertAmount && a.CreditLimit == b.CreditLimit && a.Overdraft == b.Overdraft &&
		nullMicros(a.OverdraftExpiresAt) == nullMicros(b.OverdraftExpiresAt) && a.Status == b.Status
}

func auditAccount(a ledger.Account) map[string]any {
	d := a.Currency.Digits()
	m := map[string]any{"number": a.Number, "customer_id": a.CustomerID, "currency": a.Currency.Code(),
		"alert_amount": money.FormatMinor(a.AlertAmount, d), "credit_limit": money.FormatMinor(a.CreditLimit, d),
		"overdraft": money.FormatMinor(a.Overdraft, d), "status": a.Status}
	if a.OverdraftExpiresAt != nil {
		m["overdraft_expires_at"] = a.OverdraftExpiresAt
	}
	return m
}
