package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Page is the query of a list: how many items and where to start.
type Page struct {
	Limit  string `query:"limit" doc:"Items per page, 1 to 500 (default 50)."`
	Cursor string `query:"cursor" doc:"The next_cursor of the previous page."`
}

// IdempotencyHeader is on every request that moves money.
type IdempotencyHeader struct {
	Key string `header:"Idempotency-Key" maxLength:"255" doc:"1 to 255 characters. A repeat with the same key and body answers with the first result and posts nothing; the same key with another body is idempotency_key_reused."`
}

// List is a page of items.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor" doc:"Pass as cursor for the next page; null on the last page."`
}

// limit reads the size of a page.
func (p Page) limit() (int, error) {
	if p.Limit == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(p.Limit)
	if err != nil || n < 1 || n > 500 {
		return 0, invalid("limit", "must be a whole number from 1 to 500")
	}
	return n, nil
}

// window reads the size of a page and the id cursor of a list ordered by id.
func (p Page) window() (limit int, beforeID int64, err error) {
	if limit, err = p.limit(); err != nil {
		return 0, 0, err
	}
	beforeID, err = idCursor(p.Cursor)
	return limit, beforeID, err
}

// A cursor is the last row's sort key, in base64url JSON. A cursor that does
// not decode to the expected shape is refused; a well-formed one only
// positions the page, so forging one shows nothing the caller could not list.
type cursorJSON struct {
	N *int64  `json:"n,omitempty"`
	S *string `json:"s,omitempty"`
	I int64   `json:"i"`
}

// encodeCursor is the cursor after the row whose sort key is c; text says
// whether the key is a string or a number.
func encodeCursor(c store.Cursor, text bool) *string {
	j := cursorJSON{I: c.ID}
	if text {
		j.S = &c.Str
	} else {
		j.N = &c.Num
	}
	b, _ := json.Marshal(j)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeCursor reads a cursor that encodeCursor gave out; "" is the first
// page (nil).
func decodeCursor(s string, text bool) (*store.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := invalid("cursor", "is not a cursor this list gave out")
	if len(s) > 512 {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var j cursorJSON
	if err := json.Unmarshal(b, &j); err != nil || j.I <= 0 || (text && (j.S == nil || j.N != nil)) || (!text && (j.N == nil || j.S != nil)) {
		return nil, bad
	}
	c := &store.Cursor{ID: j.I}
	if text {
		c.Str = *j.S
	} else {
		c.Num = *j.N
	}
	return c, nil
}

// idCursor is the cursor of lists ordered by id alone.
func idCursor(s string) (int64, error) {
	c, err := decodeCursor(s, false)
	if err != nil || c == nil {
		return 0, err
	}
	return c.ID, nil
}

// nextIDCursor is the cursor of the page after a full one (n == limit) of a
// list ordered by id, nil after the last.
func nextIDCursor(n, limit int, lastID int64) *string {
	if n < limit {
		return nil
	}
	return encodeCursor(store.Cursor{ID: lastID}, false)
}

// timeRange reads a from/to pair: dates (YYYY-MM-DD) are days in the
// business time zone and to is inclusive; RFC 3339 times are exact. The
// returned end is exclusive.
func timeRange(fromField, from, toField, to string, loc *time.Location) (*time.Time, *time.Time, error) {
	var problems fieldProblems
	f, t := timeBound(&problems, fromField, from, false, loc), timeBound(&problems, toField, to, true, loc)
	if f != nil && t != nil && !f.Before(*t) {
		problems.field(toField, "must not be before "+fromField)
	}
	if err := problems.err(); err != nil {
		return nil, nil, err
	}
	return f, t, nil
}

// timeBound reads one end of a period, nil when v is empty. A date
// YYYY-MM-DD is the start of that day in loc, or with end the start of the
// next day, so that a closing date is inclusive; an RFC 3339 time is exact.
// What is neither is added to problems.
func timeBound(problems *fieldProblems, field, v string, end bool, loc *time.Location) *time.Time {
	if v == "" {
		return nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		// StartOfDay, not midnight: in some zones a day starts at 01:00.
		y, m, day := d.Date()
		if end {
			day++
		}
		t := store.StartOfDay(y, m, day, loc)
		return &t
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t
	}
	problems.field(field, "must be a date YYYY-MM-DD or an RFC 3339 time")
	return nil
}

// fieldProblems collects the problems of a request's fields, so that one
// answer names every field at fault rather than only the first.
type fieldProblems []ledger.FieldProblem

// add keeps the problems of err, which is nil or the *ledger.ValidationError
// of a field reader (parseOptID, currency, positiveAmount, …).
func (p *fieldProblems) add(err error) {
	if err != nil {
		*p = append(*p, err.(*ledger.ValidationError).Problems...)
	}
}

// field adds one problem.
func (p *fieldProblems) field(field, msg string) {
	*p = append(*p, ledger.FieldProblem{Field: field, Message: msg})
}

// err is the validation error listing every problem, nil when there is none.
func (p fieldProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ledger.ValidationError{Problems: p}
}

// idField is an optional id of a query or body (field, as sent) to be read
// into dst.
type idField struct {
	field, value string
	dst          *int64
}

// readIDs reads optional ids in order; the first that is not an id is the
// answer.
func readIDs(ids ...idField) error {
	for _, id := range ids {
		v, err := parseOptID(id.value, id.field)
		if err != nil {
			return err
		}
		*id.dst = v
	}
	return nil
}

// setGiven overwrites *dst with *v when the request gave the field: what a
// PATCH leaves out keeps its value.
func setGiven[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// currency reads a currency code field.
func currency(field, code string) (money.Currency, error) {
	c, err := money.LookupCurrency(code)
	if err != nil {
		return c, invalid(field, err.Error())
	}
	return c, nil
}

// positiveAmount reads an amount that must be greater than zero.
func positiveAmount(field, s string, cur money.Currency) (int64, error) {
	a, err := money.ParsePositive(s, cur)
	if err != nil {
		return 0, amountProblem(field, err)
	}
	return a.Minor(), nil
}

// limitAmount reads a non-negative limit such as an alert amount.
func limitAmount(field, s string, cur money.Currency) (int64, error) {
	a, err := money.Parse(s, cur)
	if err != nil {
		return 0, amountProblem(field, err)
	}
	if a.IsNegative() || a.Minor() > ledger.MaxLimit {
		return 0, invalid(field, "must be zero or more and within range")
	}
	return a.Minor(), nil
}

// fmtAmount formats an amount in minor units as a decimal string.
func fmtAmount(minor int64, cur money.Currency) string { return money.FormatMinor(minor, cur.Digits()) }

// fmtTotal formats an exact sum, such as a report total.
func fmtTotal(t *big.Int, cur money.Currency) string { return money.FormatTotal(t, cur.Digits()) }

// period reads a from/to pair of a list's query in the business time zone.
func (a *API) period(ctx context.Context, fromField, from, toField, to string) (*time.Time, *time.Time, error) {
	settings, err := a.store.Settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	return timeRange(fromField, from, toField, to, settings.Location())
}

// pageOfAll answers one page of a short list that the store gives whole,
// oldest first (administrators, tokens, payment methods): the same limit,
// cursor and next_cursor as every other list (SPEC section 7), cut here.
func pageOfAll[T, J any](ctx context.Context, p Page, all func(context.Context) ([]T, error), id func(T) int64, toJSON func(T) J) (List[J], error) {
	rows, err := all(ctx)
	if err != nil {
		return List[J]{}, err
	}
	limit, afterID, err := p.window()
	if err != nil {
		return List[J]{}, err
	}
	start := 0
	for start < len(rows) && afterID != 0 && id(rows[start]) <= afterID {
		start++
	}
	rows = rows[start:min(start+limit, len(rows))]
	return pageOf(rows, limit, toJSON, func() int64 { return id(rows[len(rows)-1]) }), nil
}

// pageBefore answers one page of a list that the store pages itself, newest
// first by id: list gives the rows before the cursor's id.
func pageBefore[T, J any](ctx context.Context, p Page, list func(context.Context, int64, int) ([]T, error), id func(T) int64, toJSON func(T) J) (List[J], error) {
	limit, before, err := p.window()
	if err != nil {
		return List[J]{}, err
	}
	rows, err := list(ctx, before, limit)
	if err != nil {
		return List[J]{}, err
	}
	return pageOf(rows, limit, toJSON, func() int64 { return id(rows[len(rows)-1]) }), nil
}

// pageOf answers one page of a list ordered by id: the rows as JSON, and the
// cursor of the next page when this one is full (lastID is asked only then).
func pageOf[T, J any](rows []T, limit int, toJSON func(T) J, lastID func() int64) List[J] {
	l := List[J]{Items: make([]J, 0, len(rows))}
	for _, r := range rows {
		l.Items = append(l.Items, toJSON(r))
	}
	if len(rows) > 0 {
		l.NextCursor = nextIDCursor(len(rows), limit, lastID())
	}
	return l
}
