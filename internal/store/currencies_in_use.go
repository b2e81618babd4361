package store

import "context"

// CurrenciesInUse lists the currencies customer accounts hold, in code
// order, for the forms that offer a currency. It skips from one currency
// to the next along the index on accounts (currency, …) instead of reading
// every account, which DISTINCT would do on SQLite: a few lookups per
// currency, however many accounts there are. System accounts are few, so
// skipping past them on the way costs little.
func (s *Store) CurrenciesInUse(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `WITH RECURSIVE cur(code) AS (
		SELECT MIN(currency) FROM accounts WHERE customer_id IS NOT NULL
		UNION ALL
		SELECT (SELECT MIN(currency) FROM accounts WHERE currency > cur.code AND customer_id IS NOT NULL) FROM cur WHERE cur.code IS NOT NULL
	) SELECT code FROM cur WHERE code IS NOT NULL`)
	return collect(rows, err, scanValue[string])
}
