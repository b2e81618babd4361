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
	rows, err := tx.QueryContext(ctx, `SELECT e.id, e.amount, e.balance_after, e.part, t.id, t.type, t.reference, t.note, t.created_at
		FROM entries e JOIN transactions t ON t.id = e.transaction_id
		WHERE e.account_id = $1
		AND e.id >= COALESCE((SELECT MIN(id) FROM entries WHERE account_id = $1 AND created_at >= $2), $4)
		AND e.id < COALESCE((SELECT MIN(id) FROM entries WHERE account_id = $1 AND created_at >= $3), $4)
		ORDER BY e.id LIMIT $5`, accountID, micros(st.From), micros(st.To), int64(math.MaxInt64), MaxStatementMovements+1)
	type line struct {
		entryID int64
		part    ledger.Part
		statement.Movement
	}
	lines, err := collect(rows, err, func(r scanner) (line, error) {
		var l line
		var at int64
		err := r.Scan(&l.entryID, &l.Amount, &l.Balance, &l.part, &l.TransactionID, &l.Type, &l.Reference, &l.Note, &at)
		l.At = fromMicros(at)
		return l, err
	})
	if err != nil {
		return err
	}
	if len(lines) > MaxStatementMovements {
		return ledger.InvalidBecause("from", "too_many_movements", "the period has more than 20000 movements: ask for a shorter one")
	}
	if len(lines) == 0 {
		return s.quietPeriod(ctx, tx, accountID, st)
	}
	if err := tx.QueryRowContext(ctx, openingBonus, accountID, lines[0].entryID).Scan(&st.OpeningBonus); err != nil {
		return err
	}
	st.Opening, st.Movements = lines[0].Balance-lines[0].Amount, nil
	bonus := st.OpeningBonus
	for i, l := range lines {
		if l.part == ledger.PartBonus {
			l.Bonus, bonus = l.Amount, bonus+l.Amount
		}
		l.BonusBalance = bonus
		// A debit that took bonus and principal wrote one entry of each, one
		// after the other: the customer sees one movement.
		if n := len(st.Movements); i > 0 && lines[i-1].TransactionID == l.TransactionID {
			m := &st.Movements[n-1]
			m.Amount, m.Bonus, m.Balance, m.BonusBalance = m.Amount+l.Amount, m.Bonus+l.Bonus, l.Balance, l.BonusBalance
			continue
		}
		st.Movements = append(st.Movements, l.Movement)
	}
	st.Closing, st.ClosingBonus = lines[len(lines)-1].Balance, bonus
	return nil
}

// openingBonus sums an account's bonus entries before a point, with those
// retention archived.
const openingBonus = `SELECT COALESCE((SELECT SUM(amount) FROM entries WHERE account_id = $1 AND part = 'bonus' AND id < $2), 0)
	+ COALESCE((SELECT bonus FROM pruned_accounts WHERE account_id = $1), 0)`

// quietPeriod sets the balance of a period without movements: what the
// last entry before the period left, or, when retention removed every
// earlier entry, their sum.
func (s *Store) quietPeriod(ctx context.Context, tx *txn, accountID int64, st *statement.Statement) error {
	err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT balance_after FROM entries WHERE account_id = $1 AND created_at < $2 ORDER BY id DESC LIMIT 1),
		(SELECT amount FROM pruned_accounts WHERE account_id = $1), 0)`, accountID, micros(st.From)).Scan(&st.Opening)
	if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT SUM(amount) FROM entries WHERE account_id = $1 AND part = 'bonus' AND created_at < $2), 0)
		+ COALESCE((SELECT bonus FROM pruned_accounts WHERE account_id = $1), 0)`, accountID, micros(st.From)).Scan(&st.OpeningBonus)
	st.Closing, st.ClosingBonus = st.Opening, st.OpeningBonus
	return err
}
