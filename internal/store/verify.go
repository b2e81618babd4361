package store

import (
	"context"
	"fmt"
)

// VerifyLedger checks the ledger's invariants over the whole database and
// returns one line per violation (none when all hold):
//   - every customer account's stored balance equals the sum of its entries;
//   - every transaction has at least two entries that sum to zero;
//   - every entry is in its transaction's currency.
//
// It reads one snapshot, so it can run while postings continue.
func (s *Store) VerifyLedger(ctx context.Context) ([]string, error) {
	var problems []string
	checks := []struct {
		q    string
		what string
	}{
		{`SELECT a.id, a.balance, COALESCE(SUM(e.amount), 0) FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
			WHERE a.customer_id IS NOT NULL GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0)`,
			"account %d: stored balance %d, entries sum to %d"},
		{`SELECT t.id, COUNT(e.id), COALESCE(SUM(e.amount), 0) FROM transactions t LEFT JOIN entries e ON e.transaction_id = t.id
			GROUP BY t.id HAVING COUNT(e.id) < 2 OR COALESCE(SUM(e.amount), 0) <> 0`,
			"transaction %d: %d entries summing to %d"},
		{`SELECT e.id, e.transaction_id, a.id FROM entries e JOIN transactions t ON t.id = e.transaction_id
			JOIN accounts a ON a.id = e.account_id WHERE a.currency <> t.currency`,
			"entry %d of transaction %d: account %d is in another currency"},
	}
	err := s.read(ctx, func(tx *txn) error {
		for _, c := range checks {
			rows, err := tx.QueryContext(ctx, c.q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var a, b, c2 int64
				if err := rows.Scan(&a, &b, &c2); err != nil {
					rows.Close()
					return err
				}
				problems = append(problems, fmt.Sprintf(c.what, a, b, c2))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return problems, err
}
