package store

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bojanz/currency"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
)

// Cursor is where a keyset page ends: the last row's sort value (a number
// or a text) and its id. The next page starts after it.
type Cursor struct {
	Num int64
	Str string
	ID  int64
}

// AccountFilter selects customer accounts. Amounts are minor units; To
// times are exclusive.
type AccountFilter struct {
	CustomerID             int64
	Currency               string
	Status                 ledger.Status
	BalanceMin, BalanceMax *int64 // minor units of Currency
	// MajorMin and MajorMax bound the balance when no Currency is given, in
	// each account's own currency's major unit (SPEC section 7): a minimum
	// of "10" is 10.00 USD, 10 JPY and 10.000 KWD. They are compared exactly,
	// whatever their decimals: a minimum of "0.5" is 1 JPY, a maximum 0 JPY.
	MajorMin, MajorMax     *MajorBound
	CreatedFrom, CreatedTo *time.Time
	BelowAlert             *bool
	Q                      string // part of the customer's name, email, phone or company, or of the account number
	Sort                   string // one of AccountSorts
	After                  *Cursor
	Limit                  int
	// Offset skips that many rows of the filter's order (a numbered page);
	// After and Offset go together only if the caller means both.
	Offset int
}

// AccountSorts are the orders an account list can take; '-' is descending.
var AccountSorts = []string{"created_at", "-created_at", "balance", "-balance", "number", "-number"}

// AccountRow is an account with its customer's name and contacts.
type AccountRow struct {
	ledger.Account
	CustomerName  string
	CustomerEmail string
	CustomerPhone string
}

// Accounts lists one page of customer accounts in the filter's order.
func (s *Store) Accounts(ctx context.Context, f AccountFilter) ([]AccountRow, error) {
	found, w := s.accountWhere(f)
	col, desc := "a.created_at", false
	sort := f.Sort
	if sort == "" {
		sort = "-created_at"
	}
	if strings.HasPrefix(sort, "-") {
		desc, sort = true, sort[1:]
	}
	switch sort {
	case "balance":
		col = "a.balance"
	case "number":
		col = "a.number"
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	if f.After != nil {
		var v any = f.After.Num
		if sort == "number" {
			v = f.After.Str
		}
		w.add("("+col+", a.id) "+cmp+" (?, ?)", v, f.After.ID)
	}
	q := found + "SELECT a." + strings.ReplaceAll(accountCols, ", ", ", a.") + ", c.name, COALESCE(c.email, ''), COALESCE(c.phone, '')" +
		" FROM accounts a JOIN customers c ON c.id = a.customer_id" + w.sql() +
		" ORDER BY " + col + " " + dir + ", a.id " + dir + " LIMIT " + strconv.Itoa(f.Limit)
	if f.Offset > 0 {
		q += " OFFSET " + strconv.Itoa(f.Offset)
	}
	rows, err := s.rdb.QueryContext(ctx, q, w.args...)
	out, err := collect(rows, err, scanAccountRow)
	now := s.nowTime()
	for i := range out {
		if err == nil {
			err = s.countHeld(ctx, s.rdb, &out[i].Account, now)
		}
	}
	return out, err
}

// accountWhere is the search (a common table expression, or "") and the
// conditions of f, which the list and its count share.
func (s *Store) accountWhere(f AccountFilter) (string, where) {
	w := where{}
	found := ""
	if f.Q != "" {
		search := "SELECT x.id FROM customer_search s JOIN accounts x ON x.customer_id = s.customer_id WHERE s." +
			s.contains(&w, "body", f.Q)
		// Account numbers are digits (ledger.NewAccountNumber): other text
		// is no part of one, and looking costs a scan of the index's digits.
		if strings.Trim(f.Q, "0123456789") == "" {
			search += " UNION SELECT account_id FROM account_search WHERE " + s.contains(&w, "number", f.Q)
		}
		found = searchCTE(search)
		w.add("a.id IN (SELECT id FROM found)")
	}
	accountConditions(&w, f)
	return found, w
}

// scanAccountRow reads accountCols and then the customer's name, email and
// phone.
func scanAccountRow(row scanner) (AccountRow, error) {
	var r AccountRow
	var err error
	r.Account, err = scanAccount(scanWith{row, []any{&r.CustomerName, &r.CustomerEmail, &r.CustomerPhone}})
	return r, err
}

// accountConditions adds the filter's conditions other than its search.
func accountConditions(w *where, f AccountFilter) {
	w.add("a.customer_id IS NOT NULL")
	if f.CustomerID != 0 {
		w.add("a.customer_id = ?", f.CustomerID)
	}
	if f.Currency != "" {
		w.add("a.currency = ?", f.Currency)
	}
	if f.Status != "" {
		w.add("a.status = ?", string(f.Status))
	}
	if f.BalanceMin != nil {
		w.add("a.balance >= ?", *f.BalanceMin)
	}
	if f.BalanceMax != nil {
		w.add("a.balance <= ?", *f.BalanceMax)
	}
	if f.MajorMin != nil || f.MajorMax != nil {
		majorRange(w, f.MajorMin, f.MajorMax)
	}
	if f.CreatedFrom != nil {
		w.add("a.created_at >= ?", micros(*f.CreatedFrom))
	}
	if f.CreatedTo != nil {
		w.add("a.created_at < ?", micros(*f.CreatedTo))
	}
	if f.BelowAlert != nil {
		if *f.BelowAlert {
			w.add("a.balance < a.alert_amount")
		} else {
			w.add("a.balance >= a.alert_amount")
		}
	}
}

// MajorBound is a bound of a balance range in the major unit of whichever
// currency an account holds, kept exactly as given: "10", "-2.5", "0.125".
type MajorBound struct {
	neg         bool
	whole, frac string // digits without leading (whole) or trailing (frac) zeros
}

// ParseMajorBound reads a bound as money.Parse reads an amount (digits, an
// optional leading '-', an optional '.' with digits after it), but with any
// number of decimals, since no currency says how many there may be.
func ParseMajorBound(s string) (MajorBound, error) {
	body, neg := strings.CutPrefix(s, "-")
	i, f, dot := strings.Cut(body, ".")
	if !asciiDigits(i) || dot && !asciiDigits(f) {
		// The same syntax as money.Parse's: let it say what is wrong.
		_, err := money.Parse(s, money.MustCurrency("CLF"))
		if err == nil {
			err = errors.New("not a decimal number")
		}
		return MajorBound{}, err
	}
	b := MajorBound{whole: strings.TrimLeft(i, "0"), frac: strings.TrimRight(f, "0")}
	b.neg = neg && (b.whole != "" || b.frac != "")
	return b, nil
}

func asciiDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// minorIn is the bound in minor units of a currency with the given number
// of decimals, rounded into the range (up for a minimum, down for a
// maximum), so that comparing whole minor units gives the exact answer. A
// bound beyond int64 is beyond every balance: beyond says so, and its sign
// tells on which side.
func (b MajorBound) minorIn(digits int, up bool) (v int64, beyond bool) {
	frac, rest := b.frac, ""
	if len(frac) > digits {
		frac, rest = frac[:digits], frac[digits:] // rest is not all zeros: frac has none at its end
	}
	frac += strings.Repeat("0", digits-len(frac))
	for _, c := range b.whole + frac {
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, true
		}
		v = v*10 + d
	}
	if b.neg {
		v = -v
		if rest != "" && !up {
			v-- // cannot overflow: v >= -MaxInt64
		}
	} else if rest != "" && up {
		if v == math.MaxInt64 {
			return 0, true
		}
		v++
	}
	return v, false
}

// currencyGroups lists every ISO 4217 code by its number of decimals.
var currencyGroups = sync.OnceValue(func() map[int][]any {
	out := map[int][]any{}
	for _, code := range currency.GetCurrencyCodes() {
		if c, err := money.LookupCurrency(code); err == nil {
			out[c.Digits()] = append(out[c.Digits()], code)
		}
	}
	return out
})

// majorRange adds a balance range in each account's own currency: one
// condition per group of currencies with the same number of decimals, each
// a range of the (currency, balance) index, so that the list stays one
// query.
func majorRange(w *where, lo, hi *MajorBound) { rangeInCurrency(w, "a.currency", "a.balance", lo, hi) }

// rangeInCurrency bounds value (an expression in minor units) between lo
// and hi given in the major unit of the row's currency (the column cur).
func rangeInCurrency(w *where, cur, value string, lo, hi *MajorBound) {
	var groups []string
	byDigits := currencyGroups()
	for _, digits := range slices.Sorted(maps.Keys(byDigits)) {
		var ops []string
		var vals []any
		none := false
		for _, b := range []struct {
			bound *MajorBound
			up    bool
			op    string
		}{{lo, true, " >= "}, {hi, false, " <= "}} {
			if b.bound == nil {
				continue
			}
			v, beyond := b.bound.minorIn(digits, b.up)
			if beyond {
				// A minimum above every balance, or a maximum below every
				// one, leaves nothing in this group; a minimum below every
				// balance, or a maximum above, leaves everything.
				none = none || b.bound.neg != b.up
				continue
			}
			ops, vals = append(ops, b.op), append(vals, v)
		}
		if none {
			continue
		}
		cond := cur + " IN (" + w.args.list(byDigits[digits]...) + ")"
		for i, op := range ops {
			cond += " AND " + value + op + w.args.ph(vals[i])
		}
		groups = append(groups, "("+cond+")")
	}
	if groups == nil {
		w.add("1 = 0")
		return
	}
	w.add("(" + strings.Join(groups, " OR ") + ")")
}

// SortKey is the cursor of a row for the given sort.
func (r AccountRow) SortKey(sort string) Cursor {
	switch strings.TrimPrefix(sort, "-") {
	case "balance":
		return Cursor{Num: r.Balance, ID: r.ID}
	case "number":
		return Cursor{Str: r.Number, ID: r.ID}
	}
	return Cursor{Num: micros(r.CreatedAt), ID: r.ID}
}

// EntryRow is a ledger entry with its transaction's type.
type EntryRow struct {
	ledger.Entry
	Type ledger.TxType
}

// Entries lists an account's entries, newest first, before entry id beforeID
// (0: from the newest).
func (s *Store) Entries(ctx context.Context, accountID, beforeID int64, limit int) ([]EntryRow, error) {
	w := where{}
	w.add("e.account_id = ?", accountID)
	if beforeID != 0 {
		w.add("e.id < ?", beforeID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT e."+strings.ReplaceAll(entryCols, ", ", ", e.")+", t.type FROM entries e JOIN transactions t ON t.id = e.transaction_id"+
		w.sql()+" ORDER BY e.id DESC LIMIT "+strconv.Itoa(limit), w.args...)
	return collect(rows, err, func(row scanner) (EntryRow, error) {
		var r EntryRow
		var err error
		r.Entry, err = scanEntry(scanWith{row, []any{&r.Type}})
		return r, err
	})
}

// TxFilter selects transactions; To is exclusive.
type TxFilter struct {
	AccountID  int64
	CustomerID int64
	Type       ledger.TxType
	From, To   *time.Time
	BeforeID   int64
	Limit      int
	// The transaction list's combined query (txlist.go): part of the
	// customer's name, email, phone or company, or of the account number;
	// an adjustment's reason; the currency; the amount's size, either sign,
	// in the major unit of each transaction's currency; part of the
	// username or name of the administrator who posted it; part of the
	// reference.
	Q                    string
	Reason               ledger.Reason
	Currency             string
	AmountMin, AmountMax *MajorBound
	Operator             string
	Reference            string
	// Sort (one of TxSorts) and Offset page the list of TxRows, which an
	// operator pages by number; Transactions pages by BeforeID, newest first.
	Sort   string
	Offset int
}

// Transactions lists transactions with their entries, newest first.
func (s *Store) Transactions(ctx context.Context, f TxFilter) ([]ledger.Transaction, error) {
	var out []ledger.Transaction
	err := s.read(ctx, func(tx *txn) error {
		w := where{}
		found := s.txConditions(&w, f)
		if f.BeforeID != 0 {
			w.add("t.id < ?", f.BeforeID)
		}
		rows, err := tx.QueryContext(ctx, found+"SELECT t.id FROM transactions t"+w.sql()+" ORDER BY t.id DESC LIMIT "+strconv.Itoa(f.Limit), w.args...)
		ids, err := collect(rows, err, scanID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			t, err := s.loadTransaction(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}
