package store

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Counts and previews for the console's lists: a numbered page shows the
// total of rows its filter matches, and a batch says how many accounts it
// will change before anyone confirms it. Each count uses the same
// conditions as the list it counts (accountWhere, customerWhere).

// CountAccounts counts the customer accounts that f matches; f's paging
// (After, Offset, Limit) and order are ignored.
func (s *Store) CountAccounts(ctx context.Context, f AccountFilter) (int64, error) {
	found, w := s.accountWhere(f)
	var n int64
	err := s.rdb.QueryRowContext(ctx, found+"SELECT COUNT(*) FROM accounts a"+w.sql(), w.args...).Scan(&n)
	return n, err
}

// CountCustomers counts the customers that f matches; paging and order are
// ignored.
func (s *Store) CountCustomers(ctx context.Context, f CustomerFilter) (int64, error) {
	f.AfterID = 0
	if err := s.withPhoneTerms(ctx, &f); err != nil {
		return 0, err
	}
	found, w := s.customerWhere(f)
	var n int64
	err := s.rdb.QueryRowContext(ctx, found+"SELECT COUNT(*) FROM customers"+w.sql(), w.args...).Scan(&n)
	return n, err
}

// AccountIDs lists the ids of the accounts f matches, at most max of them
// (a batch over "all accounts matching the filter" is a batch of these
// ids); more than max is reported by the second result.
func (s *Store) AccountIDs(ctx context.Context, f AccountFilter, max int) ([]int64, bool, error) {
	found, w := s.accountWhere(f)
	rows, err := s.rdb.QueryContext(ctx, found+"SELECT a.id FROM accounts a"+w.sql()+" ORDER BY a.id LIMIT "+strconv.Itoa(max+1), w.args...)
	ids, err := collect(rows, err, scanID)
	if err != nil {
		return nil, false, err
	}
	if len(ids) > max {
		return ids[:max], true, nil
	}
	return ids, false, nil
}

// AccountsOfCustomers returns the accounts of the given customers, by
// customer, each customer's in currency order: the customer list shows
// every customer's balances.
func (s *Store) AccountsOfCustomers(ctx context.Context, ids []int64) (map[int64][]ledger.Account, error) {
	out := map[int64][]ledger.Account{}
	for chunk := range slices.Chunk(ids, idChunk) {
		var args sqlArgs
		rows, err := s.rdb.QueryContext(ctx, "SELECT "+accountCols+" FROM accounts WHERE customer_id IN ("+args.list(anys(chunk)...)+
			") ORDER BY customer_id, currency", args...)
		accs, err := collect(rows, err, scanAccount)
		if err != nil {
			return nil, err
		}
		for _, a := range accs {
			if err := s.countHeld(ctx, s.rdb, &a, s.nowTime()); err != nil {
				return nil, err
			}
			out[a.CustomerID] = append(out[a.CustomerID], a)
		}
	}
	return out, nil
}

// EntriesPage lists an account's entries, newest first, skipping offset of
// them: a numbered page of its history.
func (s *Store) EntriesPage(ctx context.Context, accountID int64, offset, limit int) ([]EntryRow, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT e."+strings.ReplaceAll(entryCols, ", ", ", e.")+", t.type FROM entries e JOIN transactions t ON t.id = e.transaction_id"+
		" WHERE e.account_id = $1 ORDER BY e.id DESC LIMIT "+strconv.Itoa(limit)+" OFFSET "+strconv.Itoa(offset), accountID)
	return collect(rows, err, func(row scanner) (EntryRow, error) {
		var r EntryRow
		var err error
		r.Entry, err = scanEntry(scanWith{row, []any{&r.Type}})
		return r, err
	})
}

// CountEntries counts an account's entries.
func (s *Store) CountEntries(ctx context.Context, accountID int64) (int64, error) {
	var n int64
	err := s.rdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM entries WHERE account_id = $1", accountID).Scan(&n)
	return n, err
}

// AlertBatchPreview is what a batch would do, read now: how many accounts
// are in its scope, how many of them it would change (those whose alert
// amount is not already the new one), and their currencies.
type AlertBatchPreview struct {
	Matched, Changed int64
	Currencies       []string
}

// PreviewAlertBatch counts what CreateAlertBatch would change for r, and
// changes nothing. A bad amount or scope is the same error the batch would
// give. The batch itself counts again under its locks: what changed in
// between is what it changes.
func (s *Store) PreviewAlertBatch(ctx context.Context, r ledger.AlertBatchRequest) (AlertBatchPreview, error) {
	scope, err := r.Validate()
	if err != nil {
		return AlertBatchPreview{}, err
	}
	ids := slices.Clone(r.AccountIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out AlertBatchPreview
	err = s.read(ctx, func(tx *txn) error {
		currencies, amounts, err := s.alertAmounts(ctx, tx, r, scope, ids)
		if err != nil || len(currencies) == 0 {
			return err
		}
		out.Currencies = currencies
		count := func(idIn string, args sqlArgs) error {
			changed := "CASE currency"
			var in []string
			for _, code := range currencies {
				c := args.ph(code)
				changed += " WHEN " + c + " THEN CAST(" + args.ph(amounts[code]) + " AS BIGINT)"
				in = append(in, c)
			}
			changed += " END"
			var m, c int64
			err := tx.Tx.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN alert_amount <> "+changed+" THEN 1 ELSE 0 END), 0) FROM accounts"+
				" WHERE customer_id IS NOT NULL AND currency IN ("+strings.Join(in, ", ")+")"+idIn, args...).Scan(&m, &c)
			out.Matched, out.Changed = out.Matched+m, out.Changed+c
			return err
		}
		if scope != "accounts" {
			return count("", nil)
		}
		for chunk := range slices.Chunk(ids, idChunk) {
			var args sqlArgs
			if err := count(" AND id IN ("+args.list(anys(chunk)...)+")", args); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// CustomerCurrencies lists the currencies customer accounts hold, for the
// console's currency choices.
func (s *Store) CustomerCurrencies(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT DISTINCT currency FROM accounts WHERE customer_id IS NOT NULL ORDER BY currency")
	return collect(rows, err, scanValue[string])
}
