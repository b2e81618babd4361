package store

import (
	"database/sql"
	"strconv"
	"strings"
)

// where builds a WHERE clause from conditions written with '?' for each
// argument; sql numbers them $1, $2… in order, as both databases accept.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	for _, r := range cond {
		if r == '?' {
			w.args = append(w.args, args[0])
			args = args[1:]
			b.WriteString("$" + strconv.Itoa(len(w.args)))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// arg adds an argument for text outside the conditions and returns its
// placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// collect reads every row of a query with scan; it takes the query's own
// results, so that a caller writes: rows, err := …QueryContext(…); return
// collect(rows, err, scanThing).
func collect[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
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
func scanID(row interface{ Scan(...any) error }) (int64, error) {
	var id int64
	err := row.Scan(&id)
	return id, err
}
