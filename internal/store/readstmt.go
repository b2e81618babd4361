package store

import (
	"context"
	"database/sql"
)

// readRow runs a query for one row on the read pool. On SQLite the
// statement is prepared once (database/sql prepares it again on each pool
// connection as needed) and kept: parsing the SQL of the token lookup and
// the account read, which every API posting does, took a tenth of the
// server's CPU time under load. pgx keeps such a cache per connection by
// itself, so PostgreSQL needs none.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.dialect != SQLite {
		return s.rdb.QueryRowContext(ctx, query, args...)
	}
	if st, ok := s.rstmts.Load(query); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	st, err := s.rdb.PrepareContext(ctx, query)
	if err != nil {
		return s.rdb.QueryRowContext(ctx, query, args...)
	}
	if prev, loaded := s.rstmts.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...)
}
