package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// maxAttempts bounds how often one transaction is retried after the database
// aborted it for serialization or a deadlock.
const maxAttempts = 10

// write runs fn in a read-write transaction and commits it, retrying the
// whole function on SQLSTATE 40001 (serialization failure) and 40P01
// (deadlock) with jittered exponential back-off. fn must therefore have no
// effects outside the transaction.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, s.db, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		sleep := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// read runs fn in a read-only transaction, so that what it reads is one
// consistent snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.dialect == Postgres})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) tryTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

// uniqueViolation reports whether err is a unique-constraint violation, and
// on which index or constraint (as far as the database says).
func uniqueViolation(err error) (bool, string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505", pgErr.ConstraintName
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		code := sqErr.Code()
		if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			// SQLite names the columns: "UNIQUE constraint failed: customers.phone".
			msg := sqErr.Error()
			if i := strings.LastIndex(msg, "failed: "); i >= 0 {
				return true, msg[i+len("failed: "):]
			}
			return true, ""
		}
	}
	return false, ""
}
