package main

import "testing"

// TestRedactDSN: what serve and demo log of a database address never holds
// its password.
func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ name, dsn, want string }{
		{"SQLite path", "/srv/coffer/coffer.db", "/srv/coffer/coffer.db"},
		{"no password", "postgres://coffer@db.internal/coffer?sslmode=disable", "postgres://coffer@db.internal/coffer?sslmode=disable"},
		{"password", "postgres://coffer:s3cret@db.internal:5432/coffer", "postgres://coffer:xxxxx@db.internal:5432/coffer"},
		{"password with an at sign", "postgresql://coffer:p@ss@db.internal/coffer", "postgresql://coffer:xxxxx@db.internal/coffer"},
		{"password parameter", "postgres://db.internal/coffer?user=coffer&password=s3cret", "postgres://db.internal/coffer?password=xxxxx&user=coffer"},
		{"unparsable", "postgres://coffer:s3cret@db.internal:port/coffer", "postgres://…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := redactDSN(c.dsn); got != c.want {
				t.Errorf("redactDSN(%q) = %q, want %q", c.dsn, got, c.want)
			}
		})
	}
}
