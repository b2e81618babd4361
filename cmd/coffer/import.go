package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// errImportProblems is what coffer import returns when the file has
// problems; they are printed already, and nothing was changed.
var errImportProblems = errors.New("import: the file has problems (see above); nothing was imported")

// runImport imports customers, their accounts and opening balances from a
// CSV file (SPEC 12, docs/import.md):
// `coffer import FILE.csv [--db coffer.db] [--dry-run] [--by ADMIN]`.
// A dry run prints what a real run would create and every problem; a real
// run is all or nothing, and a second run of the same file creates nothing.
func runImport(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	dry := fs.Bool("dry-run", false, "check the file and show what it would create; change nothing")
	by := fs.String("by", "", "the user name of the super admin the import is recorded for (default: the command line)")
	file, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	return withStore(*dsn, false, func(ctx context.Context, st *store.Store) error {
		actor, err := importActor(ctx, st, *by)
		if err != nil {
			return err
		}
		settings, err := st.Settings(ctx)
		if err != nil {
			return err
		}
		imp := ledger.ReadImport(f, settings.PhoneRegion)
		name := filepath.Base(file)
		if *dry || len(imp.Problems) > 0 {
			return dryImport(ctx, st, out, name, imp, *dry)
		}
		plan, err := st.ApplyImport(ctx, actor, name, imp)
		if err != nil {
			return fmt.Errorf("import: %w; nothing was imported", err)
		}
		printImportPlan(out, name, len(imp.Rows), plan, "imported")
		return nil
	})
}

// parseWithFile parses flags given before or after the one argument, FILE.
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", errors.New("import: coffer import FILE.csv [--db coffer.db] [--dry-run] [--by ADMIN]")
	}
	file := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("import: unexpected argument %q", fs.Arg(0))
	}
	return file, nil
}

// importActor is who the operation records name: the super admin --by
// names, or the command line itself.
func importActor(ctx context.Context, st *store.Store, by string) (ledger.Actor, error) {
	if by == "" {
		return ledger.Actor{Name: "command line"}, nil
	}
	a, err := st.AdminByUsername(ctx, by)
	if err != nil || a.Disabled || a.Role != ledger.RoleSuperAdmin {
		return ledger.Actor{}, fmt.Errorf("import: --by must name an active super admin (%q does not)", by)
	}
	return ledger.Actor{AdminID: a.ID, Name: a.Username + " (command line)", Role: a.Role}, nil
}

// dryImport prints what the file would do and its problems; a file with
// problems is an error, dry run or not.
func dryImport(ctx context.Context, st *store.Store, out io.Writer, name string, imp *ledger.Import, dry bool) error {
	plan, err := st.PlanImport(ctx, imp)
	if err != nil {
		return err
	}
	printImportPlan(out, name, len(imp.Rows), plan, "would import")
	for _, p := range imp.Problems {
		fmt.Fprintln(out, p)
	}
	if len(imp.Problems) > 0 {
		fmt.Fprintf(out, "%d problems\n", len(imp.Problems))
		return errImportProblems
	}
	if dry {
		fmt.Fprintln(out, "dry run: nothing was changed")
	}
	return nil
}

func printImportPlan(out io.Writer, name string, rows int, p ledger.ImportPlan, verb string) {
	fmt.Fprintf(out, "%s %s: %d rows without problems\n", verb, name, rows)
	fmt.Fprintf(out, "customers: %d new, %d matched by phone\n", p.NewCustomers, p.MatchedCustomers)
	fmt.Fprintf(out, "accounts: %d new, %d skipped (the customer has one in that currency)\n", p.NewAccounts, p.SkippedAccounts)
	var totals []string
	for _, t := range p.Totals() {
		totals = append(totals, t.Currency+" "+t.Total)
	}
	fmt.Fprintf(out, "opening balances: %d, totalling %s\n", p.OpeningPostings, orNone(strings.Join(totals, ", ")))
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
