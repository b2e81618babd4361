// Package testdb gives tests a fresh, real database: an SQLite file in a
// temporary directory, or a private schema on the PostgreSQL server named by
// TEST_DATABASE_URL (test.sh starts one when it is not set).
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
)

// Dialects are the databases every storage test runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Each runs fn as a subtest on a fresh store of each dialect.
func Each(t *testing.T, opt store.Options, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d, opt))
		})
	}
}

// Open returns a fresh, migrated store, closed when the test ends.
func Open(t testing.TB, d store.Dialect, opt store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), DSN(t, d), opt)
	if err != nil {
		t.Fatalf("open %s store: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// DSN returns the address of a fresh, empty database of dialect d. Several
// stores opened on one DSN share the database, as several instances would.
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return filepath.Join(t.TempDir(), "coffer.db")
	}
	return PostgresDSN(t)
}

// PostgresDSN creates a private schema on the test server and returns a URL
// whose connections use it. The schema is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("COFFER_REQUIRE_POSTGRES") != "" {
			t.Fatal("TEST_DATABASE_URL is not set; run the suite with ./test.sh, which starts PostgreSQL")
		}
		t.Skip("TEST_DATABASE_URL is not set; ./test.sh starts PostgreSQL and runs these too")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// pg_trgm (migration 00009) goes in the public schema, which every
	// test's schema shares; create it before any migration does, since test
	// processes running in parallel would race to.
	if _, err := admin.Exec("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"); err != nil {
		var n int
		if admin.QueryRow("SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&n); n == 0 {
			t.Fatalf("create extension pg_trgm: %v", err)
		}
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
