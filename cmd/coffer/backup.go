package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cofferhq/coffer/internal/backup"
)

// runBackup copies the SQLite database while `coffer serve` may be running on
// it: `coffer backup [--db coffer.db] FILE`.
func runBackup(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "the SQLite file to copy (env COFFER_DB)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: coffer backup [--db coffer.db] FILE\n\n"+
			"Writes a consistent copy of the SQLite database to FILE, a new file, while the server runs.\n"+
			"For PostgreSQL use pg_dump (see docs/backups.md).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Flags may also follow the file name: coffer backup FILE --db x.db.
	rest := fs.Args()
	if len(rest) > 0 {
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append(rest[:1], fs.Args()...)
	}
	if len(rest) != 1 {
		fs.Usage()
		return fmt.Errorf("backup: name one file to write the copy to")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dest := rest[0]
	if err := backup.SQLite(ctx, *dsn, dest); err != nil {
		return err
	}
	info, err := os.Stat(dest)
	if err != nil {
		return err
	}
	fmt.Printf("backed up %s to %s (%d bytes)\n", redactDSN(*dsn), dest, info.Size())
	return nil
}
