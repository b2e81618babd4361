// Package backup copies Coffer's SQLite database while `coffer serve` runs
// on it (docs/backups.md). PostgreSQL is left to its own tools.
package backup

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrPostgres: Coffer copies only its embedded SQLite database;
// PostgreSQL has its own tools for consistent online copies.
var ErrPostgres = errors.New("coffer backup copies an SQLite database; for PostgreSQL use pg_dump " +
	"(e.g. pg_dump --format=custom --file=coffer.dump 'postgres://…'), which copies one consistent snapshot while Coffer runs; " +
	"restore with pg_restore. See docs/backups.md")

// ErrExists refuses to overwrite a file with a backup.
var ErrExists = errors.New("the backup file already exists; choose a new name (a backup never overwrites a file)")

// SQLite writes a consistent copy of the SQLite database at src to a new
// file dest while Coffer may be running on src. VACUUM INTO reads one
// snapshot of the database (WAL lets it read beside the writer, which does
// not wait for it) and writes a compact, self-contained database file: no
// -wal or -shm file belongs to the copy. The copy is made under a temporary
// name, checked, synced, and only then given its name, so that dest is
// either a complete backup or absent; an existing dest is never replaced.
func SQLite(ctx context.Context, src, dest string) error {
	if strings.HasPrefix(src, "postgres://") || strings.HasPrefix(src, "postgresql://") {
		return ErrPostgres
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: the database %s: %w", src, err) // opening it would create an empty one
	}
	if _, err := os.Lstat(dest); err == nil {
		return ErrExists
	}
	// Not query_only: SQLite counts VACUUM INTO as a write, although it
	// writes only to the new file. This connection runs nothing else.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: src}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkCoffer(ctx, db, src); err != nil {
		return err
	}

	b := make([]byte, 6)
	rand.Read(b)
	tmp := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-"+hex.EncodeToString(b))
	defer os.Remove(tmp) // gone already on success
	if _, err := db.ExecContext(ctx, "VACUUM INTO $1", tmp); err != nil {
		return fmt.Errorf("backup: VACUUM INTO: %w", err)
	}
	if err := checkCopy(ctx, tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	return publish(tmp, dest)
}

// checkCoffer makes sure src is a Coffer database before anything is
// copied: a typo in --db should not produce a "backup" of nothing.
func checkCoffer(ctx context.Context, db *sql.DB, src string) error {
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
		AND name IN ('accounts', 'transactions', 'entries')`).Scan(&tables); err != nil {
		return fmt.Errorf("backup: %s is not an SQLite database: %w", src, err)
	}
	if tables != 3 {
		return fmt.Errorf("backup: %s is not a Coffer database (it has no ledger tables)", src)
	}
	return nil
}

// publish gives the finished copy tmp its name dest. A hard link does that
// only if the name is free, in one step; where links are not supported, it
// falls back to a rename after looking (a race with another writer of dest
// is then possible).
func publish(tmp, dest string) error {
	if err := os.Link(tmp, dest); err != nil {
		if errors.Is(err, os.ErrExist) {
			return ErrExists
		}
		if _, statErr := os.Lstat(dest); statErr == nil {
			return ErrExists
		}
		if err := os.Rename(tmp, dest); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return syncFile(filepath.Dir(dest)) // the new directory entry survives a power cut
}

// checkCopy runs SQLite's quick integrity check on a finished copy.
func checkCopy(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("backup: checking the copy: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("backup: the copy fails SQLite's integrity check: %s", res)
	}
	return nil
}

// syncFile fsyncs a file or a directory.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
