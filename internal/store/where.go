package store

import (
	"database/sql"
	"strconv"
	"strings"
)

// Statements built piece by piece (filtered lists, IN lists, a posting in
// one statement) number their arguments with sqlArgs; placeholders is the
// one function that writes the numbers, $1, $2, …, which both databases
// accept.

// sqlArgs collects the arguments of a statement built piece by piece, in
// the order their placeholders appear.
type sqlArgs []any

// ph adds v and returns its placeholder.
func (a *sqlArgs) ph(v any) string {
	*a = append(*a, v)
	return placeholders(len(*a), 1)
}

// list adds vs and returns their placeholders, comma-separated, for an IN
// list or a row of VALUES.
func (a *sqlArgs) list(vs ...any) string {
	from := len(*a) + 1
	*a = append(*a, vs...)
	return placeholders(from, len(vs))
}

// placeholders is "$from, $from+1, …", n of them.
func placeholders(from, n int) string {
	b := make([]byte, 0, 4*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(from+i), 10)
	}
	return string(b)
}

// anys makes vs the arguments of a statement.
func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// inList is the placeholders of ids, numbered after skip arguments that come
// before them, and the ids as arguments.
func inList(ids []int64, skip int) (string, []any) {
	return placeholders(skip+1, len(ids)), anys(ids)
}

// where builds a WHERE clause from conditions written with '?' for each
// argument; add numbers them in the order they are added.
type where struct {
	conds []string
	args  sqlArgs
}

// add adds a condition, replacing each '?' in it by the placeholder of the
// next of args.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	for _, r := range cond {
		if r == '?' {
			b.WriteString(w.args.ph(args[0]))
			args = args[1:]
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// sql is the WHERE clause, or "" when there is no condition.
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// scanner is a row to scan: *sql.Row, *sql.Rows or a scanWith. An alias,
// so that scan functions written with the interface spelt out fit too.
type scanner = interface{ Scan(...any) error }

// collect reads every row of a query with scan; it takes the query's own
// results, so that a caller writes: rows, err := …QueryContext(…); return
// collect(rows, err, scanThing).
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanID reads a row of one id column.
func scanID(row scanner) (int64, error) { return scanValue[int64](row) }

// scanValue reads a row of one column.
func scanValue[T any](row scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}

// scanWith lets a scan function for a table's columns read extra columns
// after them: it scans a row into the destinations it is given, then extra.
type scanWith struct {
	row   scanner
	extra []any
}

// Scan scans the row into dest and then extra.
func (w scanWith) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }
