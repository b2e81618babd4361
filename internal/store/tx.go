package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cofferhq/coffer/internal/backoff"
)

// maxAttempts bounds how often one transaction is retried after the database
// aborted it for serialization or a deadlock.
const maxAttempts = 10

// retryWait spaces out those retries: the conflicting transaction usually
// commits within milliseconds, and the jitter (±50%) keeps the transactions
// that conflicted from meeting again on the same instant.
var retryWait = backoff.Policy{Base: 2 * time.Millisecond, Max: 500 * time.Millisecond, Jitter: 0.5}

// write runs fn in a read-write transaction and commits it, retrying the
// whole function on SQLSTATE 40001 (serialization failure) and 40P01
// (deadlock), and on SQLite's SQLITE_BUSY, with jittered exponential
// back-off (retryWait). fn must therefore have no effects outside the
// transaction.
func (s *Store) write(ctx context.Context, fn func(tx *txn) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, s.db, s.dialect == SQLite, fn)
		if s.dialect == SQLite {
			s.prepareMissed(ctx)
		}
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		if err := backoff.Sleep(ctx, retryWait.Delay(attempt)); err != nil {
			return err
		}
	}
}

// read runs fn in a read-only transaction on the read pool. Its statements
// do not share one snapshot on PostgreSQL: under its default READ COMMITTED
// each statement sees what was committed when that statement began, so a
// later statement may see a change an earlier one did not. (On SQLite, in
// WAL mode, the transaction keeps the snapshot of its first read.) Where
// the statements must agree, use snapshot (reports.go), which asks for
// REPEATABLE READ.
func (s *Store) read(ctx context.Context, fn func(tx *txn) error) error {
	sqlTx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.dialect == Postgres})
	if err != nil {
		return err
	}
	tx := &txn{Tx: sqlTx, s: s}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// tryTx runs fn once in a transaction on db and commits it; cached lets its
// statements come from the writer's cache (SQLite).
func (s *Store) tryTx(ctx context.Context, db *sql.DB, cached bool, fn func(tx *txn) error) error {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &txn{Tx: sqlTx, s: s, cached: cached}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// retryable reports whether the database aborted a transaction that may
// succeed if run again: a serialization failure or deadlock (PostgreSQL),
// or a busy database (SQLite).
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

// txn is a database transaction. On SQLite's writer it runs each statement
// text prepared once and reused: parsing SQL was a quarter of a posting's CPU
// time. (pgx keeps such a cache per PostgreSQL connection by itself.)
type txn struct {
	*sql.Tx
	s      *Store
	cached bool // statements may come from s.stmts
	// locked holds what the last lock of each account in this transaction
	// learnt (accounts.go). A posting locks its account before it writes,
	// so what it reads here is its own, even inside a group commit.
	locked map[int64]lockInfo
	// bonusUntil is the bonus_until a posting's build worked out for its
	// account from the lots it read (bonus.go), which writing it then needs:
	// no query of the lots again.
	bonusUntil map[int64]*time.Time
	// claim is the idempotency key a posting claims as it writes
	// (postThen), until it is written.
	claim *lateClaim
	// quiet keeps the postings of this transaction from mailing customers:
	// an import's opening balances are not news to them.
	quiet bool
	// own, when set, holds statements prepared inside this transaction and
	// reused for its life: a transaction of many thousand rows (an import)
	// would otherwise parse each statement again for every row, since the
	// writer's cache only learns statements between transactions.
	own map[string]*sql.Stmt
	// bound holds the writer's cached statements as bound to this
	// transaction (stmt).
	bound map[*sql.Stmt]*sql.Stmt
}

// prepareOwn makes tx prepare its statements itself (see own); on
// PostgreSQL pgx caches them already.
func (tx *txn) prepareOwn() {
	if tx.cached {
		tx.own = map[string]*sql.Stmt{}
	}
}

// note records what locking an account learnt, for the rest of the
// transaction.
func (tx *txn) note(accountID int64, info lockInfo) {
	if tx.locked == nil {
		tx.locked = map[int64]lockInfo{}
	}
	tx.locked[accountID] = info
}

// stmt returns the prepared form of query for this transaction, or nil. A
// statement cannot be prepared while the writer's one connection is inside
// this transaction, so a miss is noted and prepared after it ends.
func (tx *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.own != nil {
		st, ok := tx.own[query]
		if !ok {
			var err error
			if st, err = tx.Tx.PrepareContext(ctx, query); err != nil {
				return nil // the statement run unprepared reports the error
			}
			tx.own[query] = st
		}
		return st
	}
	if !tx.cached {
		return nil
	}
	if v, ok := tx.s.stmts.Load(query); ok {
		// A group commit runs the same few statements for every posting
		// in it: bind each to the transaction once.
		st := v.(*sql.Stmt)
		if b, ok := tx.bound[st]; ok {
			return b
		}
		if tx.bound == nil {
			tx.bound = map[*sql.Stmt]*sql.Stmt{}
		}
		tx.bound[st] = tx.StmtContext(ctx, st)
		return tx.bound[st]
	}
	tx.s.toPrepare.Store(query, true)
	return nil
}

// ExecContext runs a statement, prepared once where it may be (see stmt).
func (tx *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryRowContext runs a query for one row, prepared once where it may be.
func (tx *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// insert runs an INSERT into a table with a rowid (SQLite) and returns the
// new row's id.
func (tx *txn) insert(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// QueryContext runs a query, prepared once where it may be.
func (tx *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// prepareMissed prepares the statements that writer transactions ran
// unprepared. It runs between transactions, when the connection is free.
func (s *Store) prepareMissed(ctx context.Context) {
	s.toPrepare.Range(func(k, _ any) bool {
		q := k.(string)
		s.toPrepare.Delete(q)
		if _, ok := s.stmts.Load(q); ok {
			return true
		}
		if st, err := s.db.PrepareContext(ctx, q); err == nil {
			s.stmts.Store(q, st)
		}
		return true
	})
}
