package store

import (
	"context"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// SumExactly sums values in the database with the reports' exactSum, so
// that a test can give it totals no posting could reach in a test's time.
func (s *Store) SumExactly(ctx context.Context, values []int64) (*big.Int, error) {
	rows := make([]string, len(values))
	for i, v := range values {
		rows[i] = "SELECT CAST(" + strconv.FormatInt(v, 10) + " AS BIGINT) AS v"
	}
	q, err := s.rdb.QueryContext(ctx, "SELECT "+exactSum("x.v")+" FROM ("+strings.Join(rows, " UNION ALL ")+") x")
	if err != nil {
		return nil, err
	}
	defer q.Close()
	var total *big.Int
	for q.Next() {
		if err := scanSums(q, nil, nil, &total); err != nil {
			return nil, err
		}
	}
	return total, q.Err()
}

// PromotionsAt runs the posting's reader of promotion rules in a
// transaction of its own.
func (s *Store) PromotionsAt(ctx context.Context, currency string, at time.Time) ([]ledger.Promotion, error) {
	var out []ledger.Promotion
	err := s.read(ctx, func(tx *txn) error {
		var err error
		out, err = s.promotionsAt(ctx, tx, currency, at)
		return err
	})
	return out, err
}
