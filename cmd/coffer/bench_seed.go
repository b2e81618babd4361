package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/cofferhq/coffer/internal/store"
)

// coffer bench seed writes many customers, each with one funded account,
// straight into a database with set-based SQL, so that list reads can be
// measured over a million accounts without posting a million requests
// first. Each account's balance comes from one opening adjustment with its
// two entries, so the ledger still verifies; the rows get no operation
// records. It is a measuring aid: run it on a benchmark database, with the
// server stopped.

// seedDays is how far back the seeded creation times reach.
const seedDays = 90

func benchSeed(args []string) error {
	fs := flag.NewFlagSet("bench seed", flag.ContinueOnError)
	dsn := fs.String("db", envOr("COFFER_DB", "coffer.db"), "SQLite file, or postgres://… URL (env COFFER_DB)")
	n := fs.Int("accounts", 1_000_000, "customers (with one account each) to add")
	chunk := fs.Int("chunk", 100_000, "rows per database transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *n < 1 || *chunk < 1 {
		return errors.New("bench seed: usage: coffer bench seed [--db DB] [--accounts N]")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, *dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	var base int64
	if err := st.DB().QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM customers").Scan(&base); err != nil {
		return err
	}
	start := time.Now()
	for done := 0; done < *n; done += *chunk {
		k := min(*chunk, *n-done)
		if err := seedChunk(ctx, st, k, base+int64(*n), *n); err != nil {
			return fmt.Errorf("bench seed: %w", err)
		}
		fmt.Fprintf(os.Stdout, "seed: %d accounts in %s\n", done+k, time.Since(start).Round(time.Millisecond))
	}
	if st.Dialect() == store.Postgres {
		// Autovacuum would get to it soon; measure with fresh statistics.
		if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			return err
		}
	}
	return nil
}

// seedChunk adds k customers and their accounts in one transaction. Their
// creation times spread over the past 90 days, in order (inside retention's
// default of 183 days, so that its first run does not archive the seed); a quarter of the
// accounts are in EUR, the rest in USD; 2% are frozen and 1% disabled;
// balances run from 0 to 9,999.99 with an alert amount of 500.00.
func seedChunk(ctx context.Context, st *store.Store, k int, last int64, total int) error {
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var maxCust, maxTx int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM customers").Scan(&maxCust); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM transactions").Scan(&maxTx); err != nil {
		return err
	}
	now := time.Now().UnixMicro()
	step := int64(seedDays*24*time.Hour/time.Microsecond) / int64(total)
	series := "WITH RECURSIVE g(i) AS (SELECT CAST($1 AS BIGINT) UNION ALL SELECT i + 1 FROM g WHERE i < CAST($2 AS BIGINT)) "
	if st.Dialect() == store.Postgres {
		series = "WITH g(i) AS (SELECT generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT))) "
	}
	// i numbers the seeded customers across runs; created_at rises with i,
	// ending about now with the run's last customer (number last).
	stmts := []struct {
		q    string
		args []any
	}{
		{series + `INSERT INTO customers (name, phone, email, company, created_at, updated_at)
			SELECT 'Seed ' || CAST(i AS TEXT), '+1' || CAST(3000000000 + i AS TEXT), 'seed' || CAST(i AS TEXT) || '@example.com',
			CASE WHEN i % 10 = 0 THEN 'Acme' ELSE '' END, CAST($3 AS BIGINT) - (CAST($4 AS BIGINT) - i) * CAST($5 AS BIGINT),
			CAST($3 AS BIGINT) - (CAST($4 AS BIGINT) - i) * CAST($5 AS BIGINT) FROM g`,
			[]any{maxCust + 1, maxCust + int64(k), now, last, step}},
		// Account numbers are 12 digits; a seeded one begins with 0, which a
		// generated one never does, so the two cannot collide.
		{`INSERT INTO accounts (number, customer_id, currency, balance, alert_amount, status, created_at, updated_at)
			SELECT '0' || CAST(10000000000 + c.id AS TEXT), c.id, CASE WHEN c.id % 4 = 0 THEN 'EUR' ELSE 'USD' END, (c.id * 7919) % 1000000, 50000,
			CASE WHEN c.id % 50 = 0 THEN 'frozen' WHEN c.id % 97 = 0 THEN 'disabled' ELSE 'normal' END, c.created_at, c.created_at
			FROM customers c WHERE c.id > $1`, []any{maxCust}},
		{`INSERT INTO accounts (number, system_code, currency, created_at, updated_at)
			VALUES ('S-adjustments-USD', 'adjustments', 'USD', $1, $1), ('S-adjustments-EUR', 'adjustments', 'EUR', $1, $1)
			ON CONFLICT DO NOTHING`, []any{now}},
		{`INSERT INTO transactions (type, account_id, currency, amount, reason, note, created_at)
			SELECT 'adjustment', a.id, a.currency, a.balance, 'other', 'opening balance (coffer bench seed)', a.created_at
			FROM accounts a WHERE a.customer_id > $1 AND a.balance <> 0 ORDER BY a.id`, []any{maxCust}},
		{`INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at)
			SELECT t.id, t.account_id, t.amount, t.amount, t.created_at FROM transactions t WHERE t.id > $1 ORDER BY t.id`, []any{maxTx}},
		{`INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at)
			SELECT t.id, s.id, -t.amount, CAST(NULL AS BIGINT), t.created_at FROM transactions t
			JOIN accounts s ON s.system_code = 'adjustments' AND s.currency = t.currency WHERE t.id > $1 ORDER BY t.id`, []any{maxTx}},
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
