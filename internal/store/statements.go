package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/statement"
)

// MaxStatementMovements bounds one statement: a longer period is refused
// and asked for in parts, so that a PDF stays something a person reads.
const MaxStatementMovements = 20000

// Statement is customer customerID's account in currency ("": their only
// account) over [from, to), read from one snapshot. Its movements are the
// account's entries in posting order, each with the balance it left; the
// opening is the balance before the first of them. A period reaching back
// before what retention archived is refused: its entries are in the archive.
func (s *Store) Statement(ctx context.Context, customerID int64, currency string, from, to time.Time) (statement.Statement, error) {
	st := statement.Statement{CustomerID: customerID, From: from, To: to, GeneratedAt: s.nowTime()}
	err := s.read(ctx, func(tx *txn) error {
		settings, err := loadSettings(ctx, tx, "")
		if err != nil {
			return err
		}
		st.Business, st.Location = settings.BusinessName, settings.Location()
		if err := tx.QueryRowContext(ctx, "SELECT name FROM customers WHERE id = $1", customerID).Scan(&st.CustomerName); errors.Is(err, sql.ErrNoRows) {
			return ledger.ErrNotFound
		} else if err != nil {
			return err
		}
		accountID, cur, err := s.statementAccount(ctx, tx, customerID, currency)
		if err != nil {
			return err
		}
		st.Currency = cur
		if err := s.checkRetained(ctx, tx, accountID, from); err != nil {
			return err
		}
		return s.statementMovements(ctx, tx, accountID, &st)
	})
	if err != nil {
		return statement.Statement{}, err
	}
	return st, st.Check()
}

// statementAccount picks the customer's account in currency, or their only
// one when currency is "".
func (s *Store) statementAccount(ctx context.Context, tx *txn, customerID int64, currency string) (int64, money.Currency, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, currency FROM accounts WHERE customer_id = $1 ORDER BY currency", customerID)
	type acct struct {
		id  int64
		cur string
	}
	accts, err := collect(rows, err, func(r scanner) (acct, error) {
		var a acct
		return a, r.Scan(&a.id, &a.cur)
	})
	if err != nil {
		return 0, money.Currency{}, err
	}
	codes := make([]string, len(accts))
	for i, a := range accts {
		codes[i] = a.cur
	}
	if currency == "" && len(accts) == 1 {
		currency = accts[0].cur
	}
	i := slices.Index(codes, currency)
	switch {
	case len(accts) == 0:
		return 0, money.Currency{}, ledger.InvalidBecause("currency", "no_account", "the customer has no account yet")
	case currency == "":
		return 0, money.Currency{}, ledger.InvalidBecause("currency", "choose_currency", "the customer has accounts in "+strings.Join(codes, ", ")+": name one")
	case i < 0:
		return 0, money.Currency{}, ledger.InvalidBecause("currency", "no_account", "the customer has no account in "+currency)
	}
	cur, err := money.LookupCurrency(currency)
	return accts[i].id, cur, err
}

// checkRetained refuses a period that starts at or before the last
// transaction whose entries retention removed from this account.
func (s *Store) checkRetained(ctx context.Context, tx *txn, accountID int64, from time.Time) error {
	var pruned int64
	err := tx.QueryRowContext(ctx, "SELECT h.tx_created_at FROM retention_head h, pruned_accounts p WHERE h.id = 1 AND p.account_id = $1", accountID).Scan(&pruned)
	if errors.Is(err, sql.ErrNoRows) || err == nil && micros(from) > pruned {
		return nil
	}
	if err != nil {
		return err
	}
	at := fromMicros(pruned).UTC().Format(time.RFC3339)
	return ledger.InvalidBecause("from", "archived", "entries up to "+at+" are archived: start the statement after that", at)
}

// statementMovements reads the entries of the period. The period is taken
// as a range of entry ids: the first entry at or after from up to the first
// at or after to. Entries follow each other by id on an account (each
// posting locks it), so the range is a chain of balances even if two
// instances' clocks disagree by a little at a boundary.
func (s *Store) statementMovements(ctx context.Context, tx *txn, accountID int64, st *statement.Statement) error {
	rows, err := tx.QueryContext(ctx, `SELECT e.amount, e.balance_after, t.id, t.type, t.reference, t.note, t.created_at
		FROM entries e JOIN transactions t ON t.id = e.transaction_id
		WHERE e.account_id = $1
		AND e.id >= COALESCE((SELECT MIN(id) FROM entries WHERE account_id = $1 AND created_at >= $2), $4)
		AND e.id < COALESCE((SELECT MIN(id) FROM entries WHERE account_id = $1 AND created_at >= $3), $4)
		ORDER BY e.id LIMIT $5`, accountID, micros(st.From), micros(st.To), int64(math.MaxInt64), MaxStatementMovements+1)
	st.Movements, err = collect(rows, err, func(r scanner) (statement.Movement, error) {
		var m statement.Movement
		var at int64
		err := r.Scan(&m.Amount, &m.Balance, &m.TransactionID, &m.Type, &m.Reference, &m.Note, &at)
		m.At = fromMicros(at)
		return m, err
	})
	if err != nil {
		return err
	}
	if len(st.Movements) > MaxStatementMovements {
		return ledger.InvalidBecause("from", "too_many_movements", "the period has more than 20000 movements: ask for a shorter one")
	}
	if n := len(st.Movements); n > 0 {
		st.Opening, st.Closing = st.Movements[0].Balance-st.Movements[0].Amount, st.Movements[n-1].Balance
		return nil
	}
	// No movement: the balance is what the last entry before the period
	// left, or, when retention removed every earlier entry, their sum.
	err = tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT balance_after FROM entries WHERE account_id = $1 AND created_at < $2 ORDER BY id DESC LIMIT 1),
		(SELECT amount FROM pruned_accounts WHERE account_id = $1), 0)`, accountID, micros(st.From)).Scan(&st.Opening)
	st.Closing = st.Opening
	return err
}
