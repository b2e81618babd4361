package store

import (
	"context"
	"database/sql"
	"fmt"
)

// VerifyLedger checks the ledger's invariants over the whole database and
// returns one line per violation (none when all hold):
//   - every customer account's stored balance equals the sum of its entries;
//   - every transaction has at least two entries that sum to zero;
//   - every entry is in its transaction's currency;
//   - every customer account's bonus equals the sum of its bonus entries
//     and what its lots hold, a transaction's bonus the sum of its bonus
//     entries on its account, each lot holds its amount less its uses, and
//     bonus_until is the first expiry of a lot that holds bonus.
//
// Entries that retention archived count through its checkpoints
// (docs/retention.md): an account's entries are its remaining ones plus the
// count and sum in pruned_accounts, a transaction's its remaining ones plus
// those in pruned_transactions. The two checkpoints and the archives must
// agree on how many entries left. (Archived entries were checked for their
// currency before they left.)
//
// It reads one snapshot, so it can run while postings continue.
func (s *Store) VerifyLedger(ctx context.Context) ([]string, error) {
	var problems []string
	checks := []struct {
		q    string
		what string
	}{
		{`SELECT a.id, a.balance, COALESCE(SUM(e.amount), 0) + COALESCE(p.amount, 0) FROM accounts a
			LEFT JOIN entries e ON e.account_id = a.id LEFT JOIN pruned_accounts p ON p.account_id = a.id
			WHERE a.customer_id IS NOT NULL GROUP BY a.id, a.balance, p.amount HAVING a.balance <> COALESCE(SUM(e.amount), 0) + COALESCE(p.amount, 0)`,
			"account %d: stored balance %d, entries (archived ones included) sum to %d"},
		{`SELECT t.id, COUNT(e.id) + COALESCE(p.entries, 0), COALESCE(SUM(e.amount), 0) + COALESCE(p.amount, 0) FROM transactions t
			LEFT JOIN entries e ON e.transaction_id = t.id LEFT JOIN pruned_transactions p ON p.transaction_id = t.id
			GROUP BY t.id, p.entries, p.amount HAVING COUNT(e.id) + COALESCE(p.entries, 0) < 2 OR COALESCE(SUM(e.amount), 0) + COALESCE(p.amount, 0) <> 0`,
			"transaction %d: %d entries (archived ones included) summing to %d"},
		{`SELECT e.id, e.transaction_id, a.id FROM entries e JOIN transactions t ON t.id = e.transaction_id
			JOIN accounts a ON a.id = e.account_id WHERE a.currency <> t.currency`,
			"entry %d of transaction %d: account %d is in another currency"},
		{`SELECT a.id, a.bonus, COALESCE(SUM(e.amount), 0) + COALESCE(p.bonus, 0) FROM accounts a
			LEFT JOIN entries e ON e.account_id = a.id AND e.part = 'bonus' LEFT JOIN pruned_accounts p ON p.account_id = a.id
			WHERE a.customer_id IS NOT NULL GROUP BY a.id, a.bonus, p.bonus HAVING a.bonus <> COALESCE(SUM(e.amount), 0) + COALESCE(p.bonus, 0)`,
			"account %d: stored bonus %d, bonus entries (archived ones included) sum to %d"},
		{`SELECT a.id, a.bonus, COALESCE(SUM(l.remaining), 0) FROM accounts a LEFT JOIN bonus_lots l ON l.account_id = a.id
			WHERE a.customer_id IS NOT NULL GROUP BY a.id, a.bonus HAVING a.bonus <> COALESCE(SUM(l.remaining), 0)`,
			"account %d: stored bonus %d, its lots hold %d"},
		{`SELECT t.id, t.bonus, COALESCE(SUM(e.amount), 0) FROM transactions t
			LEFT JOIN entries e ON e.transaction_id = t.id AND e.account_id = t.account_id AND e.part = 'bonus'
			WHERE NOT EXISTS (SELECT 1 FROM pruned_transactions p WHERE p.transaction_id = t.id)
			GROUP BY t.id, t.bonus HAVING t.bonus <> COALESCE(SUM(e.amount), 0)`,
			"transaction %d: bonus %d, its bonus entries sum to %d"},
		{`SELECT l.id, l.remaining, l.amount - COALESCE(SUM(u.amount), 0) FROM bonus_lots l LEFT JOIN bonus_lot_uses u ON u.lot_id = l.id
			GROUP BY l.id, l.remaining, l.amount HAVING l.remaining <> l.amount - COALESCE(SUM(u.amount), 0)`,
			"bonus lot %d: %d remaining, its amount less its uses is %d"},
		{`SELECT a.id, COALESCE(a.bonus_until, -1), COALESCE(MIN(l.expires_at), -1) FROM accounts a
			LEFT JOIN bonus_lots l ON l.account_id = a.id AND l.remaining > 0
			WHERE a.customer_id IS NOT NULL GROUP BY a.id, a.bonus_until HAVING COALESCE(a.bonus_until, -1) <> COALESCE(MIN(l.expires_at), -1)`,
			"account %d: bonus_until %d, its first open lot expires at %d"},
	}
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		for _, c := range checks {
			rows, err := tx.QueryContext(ctx, c.q)
			found, err := collect(rows, err, func(row scanner) (string, error) {
				var a, b, c2 int64
				err := row.Scan(&a, &b, &c2)
				return fmt.Sprintf(c.what, a, b, c2), err
			})
			if err != nil {
				return err
			}
			problems = append(problems, found...)
		}
		// The checkpoints of archived entries agree with each other and
		// with the archives: none was changed or removed on its own.
		var accN, accSum, txN, txSum, archN int64
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(SUM(entries), 0) FROM pruned_accounts), (SELECT COALESCE(SUM(amount), 0) FROM pruned_accounts),
			(SELECT COALESCE(SUM(entries), 0) FROM pruned_transactions), (SELECT COALESCE(SUM(amount), 0) FROM pruned_transactions),
			(SELECT COALESCE(SUM(entries), 0) FROM archives)`).Scan(&accN, &accSum, &txN, &txSum, &archN); err != nil {
			return err
		}
		if accN != txN || accN != archN || accSum != txSum {
			problems = append(problems, fmt.Sprintf("archived entries: accounts' checkpoints count %d summing to %d, transactions' %d summing to %d, archives %d",
				accN, accSum, txN, txSum, archN))
		}
		held, err := s.verifyHeld(ctx, tx)
		problems = append(problems, held...)
		return err
	})
	return problems, err
}

// verifyHeld checks every account's held against its holds: the sum of
// the active holds that count now, while none has run out since it was
// kept (held_until ahead); after that, between what counts now and every
// active hold.
func (s *Store) verifyHeld(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.held, COALESCE(SUM(CASE WHEN h.expires_at > $1 THEN h.amount END), 0),
		COALESCE(SUM(h.amount), 0) FROM accounts a LEFT JOIN holds h ON h.account_id = a.id AND h.status = 'active'
		WHERE a.customer_id IS NOT NULL GROUP BY a.id, a.held, a.held_until
		HAVING (a.held <> COALESCE(SUM(CASE WHEN h.expires_at > $1 THEN h.amount END), 0) AND (a.held_until IS NULL OR a.held_until > $1))
			OR a.held < COALESCE(SUM(CASE WHEN h.expires_at > $1 THEN h.amount END), 0) OR a.held > COALESCE(SUM(h.amount), 0)`,
		micros(s.nowTime()))
	return collect(rows, err, func(row scanner) (string, error) {
		var id, held, counting, all int64
		err := row.Scan(&id, &held, &counting, &all)
		return fmt.Sprintf("account %d: held %d, its holds that count sum to %d (all active ones to %d)", id, held, counting, all), err
	})
}
