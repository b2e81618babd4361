package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"coffer/internal/ledger"
	"coffer/internal/money"
)

const accountCols = "id, number, customer_id, currency, balance, alert_amount, credit_limit, overdraft, overdraft_expires_at, status, created_at, updated_at"

func scanAccount(row interface{ Scan(...any) error }) (ledger.Account, error) {
	var a ledger.Account
	var cur string
	var created, updated int64
	var expires sql.NullInt64
	err := row.Scan(&a.ID, &a.Number, &a.CustomerID, &cur, &a.Balance, &a.AlertAmount, &a.CreditLimit,
		&a.Overdraft, &expires, &a.Status, &created, &updated)
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
	return a, nil
}

// Account returns one customer account.
func (s *Store) Account(ctx context.Context, id int64) (ledger.Account, error) {
	return scanAccount(s.rdb.QueryRowContext(ctx,
		"SELECT "+accountCols+" FROM accounts WHERE id = $1 AND customer_id IS NOT NULL", id))
}

// OpenAccount returns the customer's account in currency, creating it if the
// customer has none yet.
func (s *Store) OpenAccount(ctx context.Context, customerID int64, currency string) (ledger.Account, error) {
	t := ledger.Target{CustomerID: customerID, Currency: currency}
	var p []ledger.FieldProblem
	if customerID == 0 {
		p = append(p, ledger.FieldProblem{Field: "customer_id", Message: "is required"})
	}
	if _, err := money.LookupCurrency(currency); err != nil {
		p = append(p, ledger.FieldProblem{Field: "currency", Message: err.Error()})
	}
	if p != nil {
		return ledger.Account{}, &ledger.ValidationError{Problems: p}
	}
	var a ledger.Account
	err := s.write(ctx, func(tx *txn) error {
		var err error
		a, err = s.lockTarget(ctx, tx, t, s.nowTime())
		return err
	})
	return a, err
}

// lockAccount reads a customer account for a posting and, on PostgreSQL,
// locks its row until the transaction ends.
func (s *Store) lockAccount(ctx context.Context, tx *txn, id int64) (ledger.Account, error) {
	a, err := scanAccount(tx.QueryRowContext(ctx,
		"SELECT "+accountCols+" FROM accounts WHERE id = $1 AND customer_id IS NOT NULL"+s.forUpdate, id))
	if errors.Is(err, ledger.ErrNotFound) {
		return a, ledger.Invalid("account_id", "no such account")
	}
	return a, err
}

// lockTarget locks the account a posting names, opening it first when the
// posting names a customer and currency the customer has no account in.
func (s *Store) lockTarget(ctx context.Context, tx *txn, t ledger.Target, now time.Time) (ledger.Account, error) {
	if t.AccountID != 0 {
		return s.lockAccount(ctx, tx, t.AccountID)
	}
	var archived sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT archived_at FROM customers WHERE id = $1", t.CustomerID).Scan(&archived)
	if errors.Is(err, sql.ErrNoRows) {
		return ledger.Account{}, ledger.Invalid("customer_id", "no such customer")
	}
	if err != nil {
		return ledger.Account{}, err
	}
	if archived.Valid {
		return ledger.Account{}, ledger.ErrCustomerArchived
	}
	for range 5 {
		a, err := scanAccount(tx.QueryRowContext(ctx, "SELECT "+accountCols+
			" FROM accounts WHERE customer_id = $1 AND currency = $2"+s.forUpdate, t.CustomerID, t.Currency))
		if !errors.Is(err, ledger.ErrNotFound) {
			return a, err
		}
		// ON CONFLICT DO NOTHING: if another transaction opens the same
		// account first, this waits for it and the next SELECT finds it. A
		// random number that is already taken (rare) just goes round again.
		a, err = scanAccount(tx.QueryRowContext(ctx, `INSERT INTO accounts (number, customer_id, currency, balance, created_at, updated_at)
			VALUES ($1, $2, $3, 0, $4, $4) ON CONFLICT DO NOTHING RETURNING `+accountCols,
			ledger.NewAccountNumber(), t.CustomerID, t.Currency, micros(now)))
		if !errors.Is(err, ledger.ErrNotFound) {
			return a, err
		}
	}
	return ledger.Account{}, errors.New("store: could not open an account after 5 attempts")
}

// AccountLimits are the credit settings a super admin sets on an account.
type AccountLimits struct {
	CreditLimit        int64
	Overdraft          int64
	OverdraftExpiresAt *time.Time
}

// SetAccountLimits replaces an account's credit limit and overdraft.
func (s *Store) SetAccountLimits(ctx context.Context, id int64, l AccountLimits) (ledger.Account, error) {
	var p []ledger.FieldProblem
	if l.CreditLimit < 0 || l.CreditLimit > ledger.MaxLimit {
		p = append(p, ledger.FieldProblem{Field: "credit_limit", Message: "must be zero or more and within range"})
	}
	if l.Overdraft < 0 || l.Overdraft > ledger.MaxLimit {
		p = append(p, ledger.FieldProblem{Field: "overdraft", Message: "must be zero or more and within range"})
	}
	if p != nil {
		return ledger.Account{}, &ledger.ValidationError{Problems: p}
	}
	return s.updateAccount(ctx, id, "credit_limit = $2, overdraft = $3, overdraft_expires_at = $4",
		l.CreditLimit, l.Overdraft, nullMicros(l.OverdraftExpiresAt))
}

// SetAccountStatus freezes, disables or restores an account.
func (s *Store) SetAccountStatus(ctx context.Context, id int64, st ledger.Status) (ledger.Account, error) {
	if !st.Valid() {
		return ledger.Account{}, ledger.Invalid("status", "must be normal, frozen or disabled")
	}
	return s.updateAccount(ctx, id, "status = $2", string(st))
}

// SetAlertAmount changes the balance under which an account is below alert.
func (s *Store) SetAlertAmount(ctx context.Context, id int64, amount int64) (ledger.Account, error) {
	if amount < 0 || amount > ledger.MaxLimit {
		return ledger.Account{}, ledger.Invalid("alert_amount", "must be zero or more and within range")
	}
	return s.updateAccount(ctx, id, "alert_amount = $2", amount)
}

// updateAccount sets columns of a customer account; set uses $2… for args.
func (s *Store) updateAccount(ctx context.Context, id int64, set string, args ...any) (ledger.Account, error) {
	var a ledger.Account
	err := s.write(ctx, func(tx *txn) error {
		n := len(args) + 2
		q := fmt.Sprintf("UPDATE accounts SET %s, updated_at = $%d WHERE id = $1 AND customer_id IS NOT NULL RETURNING %s", set, n, accountCols)
		var err error
		a, err = scanAccount(tx.QueryRowContext(ctx, q, append(append([]any{id}, args...), micros(s.nowTime()))...))
		return err
	})
	return a, err
}
