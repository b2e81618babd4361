package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cofferhq/coffer/internal/store"
)

// errVerifyFailed is what coffer verify returns when it found a problem; the
// problems themselves are already printed.
var errVerifyFailed = errors.New("verify: the database does not hold together (see above)")

// runVerify checks a database from outside the server: every stored balance
// equals its entries, every transaction balances, and the operation
// records' hash chain is whole: `coffer verify [--db coffer.db]`. It may run
// beside `coffer serve` (it reads one snapshot of the ledger; it seals the
// records waiting to be sealed, as the server would, before walking the
// chain).
func runVerify(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("verify: unexpected argument %q", fs.Arg(0))
	}
	if err := existing(*dsn); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, *dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	problems, err := st.VerifyLedger(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(out, "ledger:", p)
	}
	if len(problems) == 0 {
		fmt.Fprintln(out, "ledger: every balance equals its entries and every transaction balances")
	}
	chain, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if chain.OK {
		fmt.Fprintf(out, "operation records: the hash chain of %d records is whole\n", chain.Checked)
	} else {
		fmt.Fprintf(out, "operation records: the chain breaks at record %d: %s\n", chain.BrokenAt, chain.Reason)
	}
	if len(problems) > 0 || !chain.OK {
		return errVerifyFailed
	}
	return nil
}

// existing refuses an SQLite path with no file, which opening would create:
// a command that reads a database must not make an empty one to read.
func existing(dsn string) error {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return nil
	}
	_, err := os.Stat(dsn)
	return err
}
