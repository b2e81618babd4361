package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/cofferhq/coffer/internal/store"
)

// runMigrate shows or applies the database's schema migrations:
// `coffer migrate status|up [--db coffer.db]`. `coffer serve` applies them
// itself at start; this lets an operator see where a database stands
// before an upgrade, or bring it up to date without starting a server.
func runMigrate(args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "up") {
		return fmt.Errorf("migrate: say status or up: coffer migrate status|up [--db coffer.db]")
	}
	fs := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", fs.Arg(0))
	}
	if args[0] == "status" {
		if err := existing(*dsn); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, *dsn, store.Options{NoMigrate: args[0] == "status"})
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Migrations(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range list {
		state := "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		if !m.Applied {
			state, pending = "pending", pending+1
		}
		fmt.Fprintf(out, "%5d  %-40s %s\n", m.Version, m.File, state)
	}
	if pending == 0 {
		fmt.Fprintf(out, "up to date: %d migrations applied\n", len(list))
	} else {
		fmt.Fprintf(out, "%d of %d migrations pending: coffer migrate up (or coffer serve) applies them\n", pending, len(list))
	}
	return nil
}
