// Package store keeps Coffer's data in SQLite (embedded, the default) or
// PostgreSQL with one set of SQL statements. It carries out the ledger's
// operations inside database transactions, applying the rules of package
// ledger under row locks (PostgreSQL) or the single writer (SQLite), and
// retries transactions that the database aborted for serialization.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the database behind a Store.
type Dialect string

// The dialects: what Open chooses by the form of the DSN.
const (
	SQLite   Dialect = "sqlite"   // a file path: the embedded database
	Postgres Dialect = "postgres" // a postgres:// or postgresql:// URL
)

// Options tune a Store. The zero value is right for production.
type Options struct {
	// Now is the clock; tests inject one to move time without sleeping.
	Now func() time.Time
	// NoMigrate opens the database as it is, without applying the
	// migrations it lacks: for reading its migration status only.
	NoMigrate bool
	// MaxConns bounds the PostgreSQL connection pool (default 16).
	MaxConns int
}

// Store is Coffer's database. It is safe for concurrent use.
type Store struct {
	dialect Dialect
	// db takes writes. On SQLite it holds one connection, so writers queue
	// in Go rather than fail with SQLITE_BUSY; readers use rdb, which WAL
	// lets run beside the writer. On PostgreSQL both are the same pool.
	db  *sql.DB
	rdb *sql.DB
	now func() time.Time

	// forUpdate locks the rows a SELECT reads until commit on PostgreSQL.
	// SQLite needs none: its one writer holds the whole database.
	forUpdate string

	stmts     sync.Map // SQL text -> *sql.Stmt prepared on db (SQLite only)
	toPrepare sync.Map // SQL texts to prepare once db is free
	rstmts    sync.Map // SQL text -> *sql.Stmt on rdb, for the hottest reads (SQLite only; readstmt.go)

	batch *batcher      // group commit of postings (SQLite); nil on PostgreSQL
	cdb   *sql.DB       // the checkpointer's connection (SQLite; checkpoint.go)
	ckpt  *checkpointer // nil on PostgreSQL

	currencies    sync.Map // customer account id -> money.Currency; see AccountCurrency
	currencyCount atomic.Int64

	closeOnce sync.Once
	closeErr  error

	sysMu    sync.Mutex
	sysCache map[sysKey]int64 // system account ids, which never change

	spend atomic.Pointer[spendRead] // the setting spend_order, as last read (bonus.go)

	principals principalCache // live tokens, as lately found (tokens.go)
}

// Open connects to dsn, a PostgreSQL URL (postgres://… or postgresql://…)
// or an SQLite file path, and brings its schema up to date.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	s := &Store{now: opt.Now, sysCache: map[sysKey]int64{}}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.dialect = Postgres
		s.forUpdate = " FOR UPDATE"
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		n := opt.MaxConns
		if n <= 0 {
			n = 16
		}
		s.db.SetMaxOpenConns(n)
		s.db.SetMaxIdleConns(n)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
		s.rdb = s.db
	} else {
		s.dialect = SQLite
		if dsn == "" {
			return nil, errors.New("store: empty database path")
		}
		// synchronous=FULL: a posting acknowledged to a client survives a
		// power cut, not only a crash of the process.
		pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
		base := "file:" + (&url.URL{Path: dsn}).EscapedPath() + "?"
		// temp_store(MEMORY) keeps the sub-journal of group commit's
		// savepoints (batch.go) in memory: on disk, every page a posting
		// first touched was a pwrite system call. It holds no data that a
		// crash needs; the WAL does that.
		s.db, err = sql.Open("sqlite", base+pragmas+"&_pragma=temp_store(MEMORY)&_txlock=immediate"+
			"&_pragma=wal_autocheckpoint("+strconv.Itoa(writerCheckpointPages)+")")
		if err != nil {
			return nil, err
		}
		s.db.SetMaxOpenConns(1)
		s.db.SetMaxIdleConns(1)
		s.db.SetConnMaxLifetime(0)
		s.db.SetConnMaxIdleTime(0)
		s.rdb, err = sql.Open("sqlite", base+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			s.db.Close()
			return nil, err
		}
		n := max(4, runtime.NumCPU())
		s.rdb.SetMaxOpenConns(n)
		s.rdb.SetMaxIdleConns(n)
		if s.cdb, err = sql.Open("sqlite", base+pragmas); err != nil {
			s.Close()
			return nil, err
		}
		s.cdb.SetMaxOpenConns(1)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if opt.NoMigrate {
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect == SQLite {
		s.ckpt = newCheckpointer(s.cdb)
		s.batch = newBatcher(s)
	}
	return s, nil
}

// Dialect tells which database the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB is the underlying writer pool, for tests and maintenance commands.
func (s *Store) DB() *sql.DB { return s.db }

// Pools are the store's connection pools by role, for their metrics: on
// PostgreSQL one pool does both.
func (s *Store) Pools() map[string]*sql.DB {
	if s.rdb == s.db {
		return map[string]*sql.DB{"main": s.db}
	}
	return map[string]*sql.DB{"writer": s.db, "reader": s.rdb}
}

// Close releases the connections.
//
// A second Close does nothing (a test may close a store to see how its
// callers meet a database that is gone, and its cleanup closes it again).
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.batch != nil {
			s.batch.stop()
		}
		if s.ckpt != nil {
			s.ckpt.stop()
		}
		var errs []error
		if s.cdb != nil {
			errs = append(errs, s.cdb.Close())
		}
		if s.rdb != nil && s.rdb != s.db {
			errs = append(errs, s.rdb.Close())
		}
		if s.db != nil {
			errs = append(errs, s.db.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.rdb.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// micros and fromMicros convert between time.Time and the stored BIGINT.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// fromNullMicros and nullMicros do the same for a time that may be absent
// (NULL).
func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// nowTime is the store clock truncated to what the database keeps
// (microseconds), so that what a write returns equals what a later read
// returns.
func (s *Store) nowTime() time.Time { return fromMicros(micros(s.now())) }
