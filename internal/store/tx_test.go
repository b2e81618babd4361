package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestWriteRetriesSerializationFailures(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		code     string
		attempts int
	}{{"40001", 3}, {"40P01", 3}, {"23505", 1}} {
		calls := 0
		err := s.write(context.Background(), func(tx *txn) error {
			calls++
			if calls < 3 {
				return fmt.Errorf("posting: %w", &pgconn.PgError{Code: tc.code})
			}
			return nil
		})
		if calls != tc.attempts {
			t.Errorf("SQLSTATE %s: %d attempts, want %d (err %v)", tc.code, calls, tc.attempts, err)
		}
	}
	calls := 0
	err = s.write(context.Background(), func(tx *txn) error {
		calls++
		return &pgconn.PgError{Code: "40001"}
	})
	var pgErr *pgconn.PgError
	if calls != maxAttempts || !errors.As(err, &pgErr) {
		t.Errorf("endless serialization failures: %d attempts, err %v; want %d and the error", calls, err, maxAttempts)
	}
}
