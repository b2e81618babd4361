package store_test

import (
	"context"
	"math"
	"math/big"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestReportSumsAreExact: report totals are summed in halves that cannot
// overflow, on both databases, where one SUM of the same values fails
// (SQLite: "integer overflow") or does not fit int64 (PostgreSQL).
func TestReportSumsAreExact(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		cases := [][]int64{
			{math.MaxInt64, math.MaxInt64, math.MaxInt64},
			{math.MinInt64, math.MinInt64, -1},
			{math.MaxInt64, math.MinInt64, 5},
			{-4294967297, 4294967295, -3, 0},
			{1_000_000_000_000_000, 1_000_000_000_000_000, -7},
		}
		for _, values := range cases {
			want := new(big.Int)
			for _, v := range values {
				want.Add(want, big.NewInt(v))
			}
			got, err := s.SumExactly(context.Background(), values)
			if err != nil {
				t.Fatalf("%v: %v", values, err)
			}
			if got.Cmp(want) != 0 {
				t.Errorf("sum of %v = %s, want %s", values, got, want)
			}
		}
	})
}
