package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// The transaction list of the console: every account's transactions under
// one combined query (SPEC section 2, Reports: "account transactions for
// reconciliation, combined query"; seeds G 3.1 and R 4), paged by number
// with a total, and one transaction with what links to it.

// TxSorts are the orders the transaction list can take; '-' is descending.
var TxSorts = []string{"-created_at", "created_at", "-amount", "amount"}

// TxRow is a transaction as the list shows it: with its account, customer,
// the balance it left, who posted it and the reversal that undid it.
type TxRow struct {
	ledger.Transaction // without its entries
	AccountNumber      string
	CustomerID         int64
	CustomerName       string
	BalanceAfter       *int64 // nil once retention archived its entries
	Operator           string // the administrator's username; "" for the system
	ReversedBy         int64  // the reversal of this transaction, 0 if none
}

// txRowSelect reads a TxRow; the FROM names the transaction t.
const txRowSelect = `SELECT t.id, t.type, t.account_id, t.currency, t.amount, t.reference, t.note, t.reason,
	t.corrects, t.topup_id, t.created_by, t.created_at, t.hold_id, a.number, a.customer_id, c.name, COALESCE(ad.username, ''),
	(SELECT e.balance_after FROM entries e WHERE e.transaction_id = t.id AND e.account_id = t.account_id ORDER BY e.id DESC LIMIT 1),
	(SELECT r.id FROM transactions r WHERE r.corrects = t.id AND r.type = 'reversal')
	FROM transactions t JOIN accounts a ON a.id = t.account_id JOIN customers c ON c.id = a.customer_id
	LEFT JOIN admins ad ON ad.id = t.created_by`

func scanTxRow(row scanner) (TxRow, error) {
	var r TxRow
	var cur string
	var corrects, topup, by, hold, after, reversal sql.NullInt64
	var created int64
	err := row.Scan(&r.ID, &r.Type, &r.AccountID, &cur, &r.Amount, &r.Reference, &r.Note, &r.Reason, &corrects, &topup, &by,
		&created, &hold, &r.AccountNumber, &r.CustomerID, &r.CustomerName, &r.Operator, &after, &reversal)
	if err != nil {
		return r, err
	}
	if r.Currency, err = money.LookupCurrency(cur); err != nil {
		return r, err
	}
	r.Corrects, r.TopUpID, r.CreatedBy, r.CreatedAt, r.HoldID = corrects.Int64, topup.Int64, by.Int64, fromMicros(created), hold.Int64
	if after.Valid {
		r.BalanceAfter = &after.Int64
	}
	r.ReversedBy = reversal.Int64
	return r, nil
}

// TxRows lists one page of transactions (f.Limit rows after f.Offset) in
// the order f.Sort, and the number of transactions the filter selects.
func (s *Store) TxRows(ctx context.Context, f TxFilter) ([]TxRow, int64, error) {
	var out []TxRow
	var total int64
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		found := s.txConditions(&w, f)
		if err := tx.QueryRowContext(ctx, found+"SELECT COUNT(*) FROM transactions t"+w.sql(), w.args...).Scan(&total); err != nil {
			return err
		}
		col, dir := "t.created_at", "DESC"
		if slices.Contains(TxSorts, f.Sort) {
			if strings.TrimPrefix(f.Sort, "-") == "amount" {
				col = "t.amount"
			}
			if !strings.HasPrefix(f.Sort, "-") {
				dir = "ASC"
			}
		}
		rows, err := tx.QueryContext(ctx, found+txRowSelect+w.sql()+" ORDER BY "+col+" "+dir+", t.id "+dir+
			" LIMIT "+strconv.Itoa(f.Limit)+" OFFSET "+strconv.Itoa(max(f.Offset, 0)), w.args...)
		out, err = collect(rows, err, scanTxRow)
		return err
	})
	return out, total, err
}

// txConditions adds the filter's conditions on the transaction t, other
// than its paging, and returns the common table expression its customer
// search needs ("" without one), to be written before the SELECT.
func (s *Store) txConditions(w *where, f TxFilter) (found string) {
	if f.Q != "" {
		search := "SELECT x.id FROM customer_search cs JOIN accounts x ON x.customer_id = cs.customer_id WHERE cs." +
			s.contains(w, "body", f.Q)
		// Account numbers are digits, as in Accounts.
		if strings.Trim(f.Q, "0123456789") == "" {
			search += " UNION SELECT account_id FROM account_search WHERE " + s.contains(w, "number", f.Q)
		}
		found = searchCTE(search)
		w.add("t.account_id IN (SELECT id FROM found)")
	}
	if f.AccountID != 0 {
		w.add("t.account_id = ?", f.AccountID)
	}
	if f.CustomerID != 0 {
		w.add("t.account_id IN (SELECT id FROM accounts WHERE customer_id = ?)", f.CustomerID)
	}
	for _, c := range []struct{ col, v string }{{"type", string(f.Type)}, {"reason", string(f.Reason)}, {"currency", f.Currency}} {
		if c.v != "" {
			w.add("t."+c.col+" = ?", c.v)
		}
	}
	if f.From != nil {
		w.add("t.created_at >= ?", micros(*f.From))
	}
	if f.To != nil {
		w.add("t.created_at < ?", micros(*f.To))
	}
	if f.Operator != "" {
		// Typed, not picked from a list: the list of administrators is the
		// super admins' (SPEC section 3), their usernames on rows are not.
		arg := likeArg(f.Operator)
		w.add(`t.created_by IN (SELECT id FROM admins WHERE LOWER(username) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\')`, arg, arg)
	}
	if f.Reference != "" {
		w.add(`LOWER(t.reference) LIKE ? ESCAPE '\'`, likeArg(f.Reference))
	}
	if f.AmountMin != nil || f.AmountMax != nil {
		amountRange(w, f.AmountMin, f.AmountMax)
	}
	return found
}

// amountRange bounds the size of a transaction's amount (credit or debit
// alike) in the major unit of its own currency, exactly, as majorRange
// bounds a balance.
func amountRange(w *where, lo, hi *MajorBound) {
	rangeInCurrency(w, "t.currency", "ABS(t.amount)", lo, hi)
}

// TxDetail is one transaction with everything its page links to.
type TxDetail struct {
	TxRow
	Lines []EntryLine
	// Corrections are the adjustments that name this transaction as the
	// one they correct.
	Corrections []int64
	// IdemKey is the idempotency key it was posted under, while the key is
	// kept.
	IdemKey string
}

// EntryLine is one entry of a transaction with the account it moved:
// a customer account's number, or a system account's code.
type EntryLine struct {
	ledger.Entry
	AccountNumber string
	SystemCode    string
}

// TransactionDetail reads one transaction for its page: ErrNotFound when
// there is none.
func (s *Store) TransactionDetail(ctx context.Context, id int64) (TxDetail, error) {
	var d TxDetail
	err := s.read(ctx, func(tx *txn) error {
		var err error
		d.TxRow, err = scanTxRow(tx.QueryRowContext(ctx, txRowSelect+" WHERE t.id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return ledger.ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT e."+strings.ReplaceAll(entryCols, ", ", ", e.")+", x.number, COALESCE(x.system_code, '')"+
			" FROM entries e JOIN accounts x ON x.id = e.account_id WHERE e.transaction_id = $1 ORDER BY e.id", id)
		if d.Lines, err = collect(rows, err, func(row scanner) (EntryLine, error) {
			var l EntryLine
			var err error
			l.Entry, err = scanEntry(scanWith{row, []any{&l.AccountNumber, &l.SystemCode}})
			return l, err
		}); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, "SELECT id FROM transactions WHERE corrects = $1 AND type = 'adjustment' ORDER BY id", id)
		if d.Corrections, err = collect(rows, err, scanID); err != nil {
			return err
		}
		// No index leads from a transaction to its key: this reads the keys,
		// which are few (they are kept for a day or so), for one page.
		rows, err = tx.QueryContext(ctx, "SELECT idem_key FROM idempotency_keys WHERE transaction_id = $1", id)
		keys, err := collect(rows, err, scanValue[string])
		if len(keys) > 0 {
			d.IdemKey = keys[0]
		}
		return err
	})
	return d, err
}

// TxCurrencies lists the currencies transactions have been posted in, for
// the list's currency filter. Every transaction has an entry on a system
// account of its currency, made at the first posting in it; those are a
// handful of rows, where the customer accounts are many.
func (s *Store) TxCurrencies(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT DISTINCT currency FROM accounts WHERE system_code IS NOT NULL ORDER BY currency")
	return collect(rows, err, scanValue[string])
}
