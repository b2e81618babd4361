package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cofferhq/coffer/internal/demo"
	"github.com/cofferhq/coffer/internal/store"
)

// runDemo fills an empty database with realistic demo data:
// `coffer demo [--db coffer.db] [--customers 300] [--days 90] [--seed 1]`.
func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB); must be empty")
	customers := fs.Int("customers", 300, "how many customers")
	days := fs.Int("days", 90, "days of history, ending now")
	seed := fs.Uint64("seed", 1, "the same seed gives the same data")
	password := fs.String("password", "coffer-demo-password", "password of every demo administrator (10 characters or more)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	if *customers < 1 || *customers > 100000 || *days < 1 || *days > 3650 {
		return fmt.Errorf("demo: --customers must be 1 to 100000 and --days 1 to 3650")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cfg := demo.Config{Customers: *customers, Days: *days, Seed: *seed, End: time.Now(), Password: *password, Progress: os.Stdout}
	// The store runs on the demo's clock, which walks through the past days.
	clock := demo.NewClock(demo.Start(cfg))
	st, err := store.Open(ctx, *dsn, store.Options{Now: clock.Now})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Printf("Filling %s with %d customers and %d days of history (seed %d)…\n", redactDSN(*dsn), *customers, *days, *seed)
	res, err := demo.Run(ctx, st, clock, cfg)
	if errors.Is(err, demo.ErrNotEmpty) {
		// Most likely the demo ran here before: say how to look at it.
		return fmt.Errorf("%w\nTo look at it: %s serve --db %s (or give coffer demo a new --db)", err, selfCommand(), shellQuote(redactDSN(*dsn)))
	}
	if err != nil {
		return err
	}
	fmt.Printf("\nDone: %d customers, %d accounts (%d below their alert amount), %d charges, %d adjustments, %d reversals;\n",
		res.Customers, res.Accounts, res.BelowAlert, res.Charges, res.Adjustments, res.Reversals)
	fmt.Printf("%d top-up requests: %d approved, %d rejected, %d cancelled, %d waiting for review.\n\n",
		res.TopUps, res.Approved, res.Rejected, res.Cancelled, res.Pending)
	fmt.Printf("Log in as any of these administrators, with the password %s\n", shellQuote(*password))
	for _, a := range res.Admins {
		fmt.Printf("  %-8s %-12s %s\n", a.Username, a.Role, a.Name)
	}
	fmt.Printf("\nNext, start Coffer on this database, from this directory:\n  %s serve --db %s\n", selfCommand(), shellQuote(redactDSN(*dsn)))
	if redactDSN(*dsn) != *dsn {
		fmt.Println("(with your database password in place of xxxxx)")
	}
	fmt.Printf("and open %s in your browser.\n", consoleURL(envOr("COFFER_ADDR", "127.0.0.1:8080")))
	return nil
}
