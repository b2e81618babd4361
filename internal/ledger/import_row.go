package ledger

import (
	"errors"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/money"
)

// cell is the trimmed value of column in rec, "" when the file lacks it.
// Spreadsheets pad cells with spaces; no field of a customer keeps them.
func (r *importReader) cell(rec []string, column string) string {
	if i, ok := r.cols[column]; ok {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// row checks one record and keeps it when it has no problem. Every column
// is checked, so that one run lists all of a row's problems.
func (r *importReader) row(line int, rec []string) {
	before := len(r.imp.Problems)
	c := NewCustomer{Name: r.cell(rec, "name"), Phone: r.cell(rec, "phone"), Email: r.cell(rec, "email"),
		Company: r.cell(rec, "company"), Remark: r.cell(rec, "remark")}
	if c.Phone == "" {
		r.problem(line, "phone", "required", "is required: customers are matched by phone")
	}
	nc, err := c.Normalize(r.region)
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			r.problem(line, p.Field, p.Reason, p.Message, p.Params...)
		}
	}
	row := ImportRow{Line: line, Customer: nc}
	r.account(line, rec, &row)
	if len(r.imp.Problems) > before {
		return
	}
	key := [2]string{nc.Phone, row.Currency}
	if first, dup := r.phones[key]; dup {
		r.problem(line, "phone", "duplicate_in_file", "appears on line "+strconv.Itoa(first)+" too, in the same currency", first)
		return
	}
	r.phones[key] = line
	r.imp.Rows = append(r.imp.Rows, row)
}

// account checks the account columns of a row into row.
func (r *importReader) account(line int, rec []string, row *ImportRow) {
	code := r.cell(rec, "currency")
	var cur money.Currency
	if code != "" {
		var err error
		if cur, err = money.LookupCurrency(code); err != nil {
			r.problem(line, "currency", "unknown_currency", err.Error())
			return // the amounts cannot be read without their currency
		}
		row.Currency = code
	}
	amount := func(column string, min int64) (int64, bool) {
		s := r.cell(rec, column)
		if s == "" {
			return 0, false
		}
		if code == "" {
			r.problem(line, column, "needs_currency", "needs a currency in the currency column")
			return 0, false
		}
		return r.amount(line, column, s, cur, min), true
	}
	row.Opening, _ = amount("opening_balance", -MaxAmount)
	row.AlertAmount, _ = amount("alert_amount", 0)
	row.CreditLimit, row.HasCredit = amount("credit_limit", 0)
	// The opening balance is posted like any debit: not below the floor
	// the row itself gives the new account (SPEC 1).
	if row.Opening < 0 && -row.Opening > row.CreditLimit {
		r.problem(line, "opening_balance", "below_floor", "is below zero by more than the credit_limit of the row allows")
	}
}

// amount parses an amount of cur, at least min and at most MaxAmount.
func (r *importReader) amount(line int, column, s string, cur money.Currency, min int64) int64 {
	a, err := money.Parse(s, cur)
	if err != nil {
		p := AmountProblem(column, err).(*ValidationError).Problems[0]
		r.problem(line, column, p.Reason, p.Message)
		return 0
	}
	v := a.Minor()
	switch {
	case v < min:
		r.problem(line, column, "negative", "must not be negative")
	case v > MaxAmount || v < -MaxAmount:
		r.problem(line, column, "too_large", maxAmountMessage)
	default:
		return v
	}
	return 0
}
