package statement

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/cofferhq/coffer/internal/money"
	"pgregory.net/rapid"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*Statement)
		ok       bool
		overflow bool // the error must also be money.ErrOverflow
	}{
		{name: "OK", ok: true},
		{name: "OKNoMovements", ok: true, edit: func(s *Statement) { s.Movements = nil; s.Closing, s.ClosingBonus = s.Opening, s.OpeningBonus }},
		{name: "ErrClosing", edit: func(s *Statement) { s.Closing++ }},
		{name: "ErrClosingWithoutMovements", edit: func(s *Statement) { s.Movements = nil }},
		{name: "ErrRunningBalance", edit: func(s *Statement) { s.Movements[7].Balance-- }},
		{name: "ErrRunningBonus", edit: func(s *Statement) { s.Movements[7].BonusBalance-- }},
		{name: "ErrClosingBonus", edit: func(s *Statement) { s.ClosingBonus++ }},
		// Bonus is part of its movement's amount, of the same sign.
		{name: "ErrBonusPastAmount", edit: func(s *Statement) { s.Movements[3].Bonus++; s.Movements[3].BonusBalance++; s.ClosingBonus++ }},
		{name: "ErrBonusAgainstAmount", edit: func(s *Statement) { s.Movements[0].Bonus = -1; s.Movements[0].BonusBalance--; s.ClosingBonus-- }},
		// Two errors that cancel out: the sum is right, the rows are not.
		{name: "ErrSwappedAmounts", edit: func(s *Statement) {
			m := s.Movements
			m[0].Amount, m[1].Amount = m[1].Amount, m[0].Amount
		}},
		{name: "ErrOverflowUp", overflow: true, edit: func(s *Statement) {
			s.Opening, s.OpeningBonus, s.ClosingBonus = math.MaxInt64, 0, 0
			s.Movements = []Movement{{Amount: 1, Balance: math.MinInt64}}
			s.Closing = math.MinInt64 // what wrapping around would give
		}},
		{name: "ErrOverflowDown", overflow: true, edit: func(s *Statement) {
			s.Opening, s.OpeningBonus, s.ClosingBonus = math.MinInt64+1, 0, 0
			s.Movements = []Movement{{Amount: -2, Balance: math.MaxInt64}}
			s.Closing = math.MaxInt64
		}},
		{name: "OKAtTheLimits", ok: true, edit: func(s *Statement) {
			s.Opening, s.OpeningBonus, s.ClosingBonus = math.MaxInt64, 0, 0
			s.Movements = []Movement{{Amount: math.MinInt64, Balance: -1}, {Amount: 1, Balance: 0}}
			s.Closing = 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample(t, 12)
			if tt.edit != nil {
				tt.edit(&s)
			}
			err := s.Check()
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Check() = %v, want nil", err)
			case !tt.ok && !errors.Is(err, ErrInconsistent):
				t.Fatalf("Check() = %v, want ErrInconsistent", err)
			case tt.overflow && !errors.Is(err, money.ErrOverflow):
				t.Fatalf("Check() = %v, want it to be money.ErrOverflow too", err)
			}
		})
	}
}

// TestCheckProperty: Check accepts exactly the statements whose figures add
// up in exact arithmetic without any running balance leaving int64.
func TestCheckProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		amount := rapid.OneOf(rapid.Int64Range(-5000, 5000), rapid.Int64(),
			rapid.SampledFrom([]int64{math.MaxInt64, math.MinInt64, 0}))
		s := Statement{Opening: rapid.OneOf(rapid.Int64Range(-5000, 5000), rapid.Int64()).Draw(t, "opening")}
		running := big.NewInt(s.Opening)
		for i := range rapid.IntRange(0, 8).Draw(t, "n") {
			m := Movement{TransactionID: int64(i), Amount: amount.Draw(t, "amount")}
			running.Add(running, big.NewInt(m.Amount))
			// Mostly the true running balance (wrapped if it overflows, as
			// careless code would compute it), sometimes a wrong one.
			m.Balance = running.Int64()
			if rapid.IntRange(0, 9).Draw(t, "corrupt") == 0 {
				m.Balance += rapid.Int64Range(-3, 3).Draw(t, "by")
			}
			s.Movements = append(s.Movements, m)
		}
		s.Closing = running.Int64()
		if rapid.IntRange(0, 9).Draw(t, "corruptClosing") == 0 {
			s.Closing += rapid.Int64Range(-3, 3).Draw(t, "closingBy")
		}

		want := consistent(s)
		if err := s.Check(); (err == nil) != want {
			t.Fatalf("Check() = %v, but consistent = %v", err, want)
		}
	})
}

// consistent is Check's contract in big integers: every running balance fits
// in int64 and is the one shown, and the last is the closing balance.
func consistent(s Statement) bool {
	running := big.NewInt(s.Opening)
	for _, m := range s.Movements {
		running.Add(running, big.NewInt(m.Amount))
		if !running.IsInt64() || running.Int64() != m.Balance {
			return false
		}
	}
	return running.Int64() == s.Closing
}

func TestTotals(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := Statement{Movements: []Movement{{Amount: 500}, {Amount: -120}, {Amount: 0}, {Amount: 30}, {Amount: -1}}}
		credits, debits, err := s.Totals()
		if err != nil || credits != 530 || debits != 121 {
			t.Fatalf("Totals() = %d, %d, %v; want 530, 121, nil", credits, debits, err)
		}
	})
	t.Run("OKMatchesBalances", func(t *testing.T) {
		s := sample(t, 120)
		credits, debits, err := s.Totals()
		if err != nil || credits-debits != s.Closing-s.Opening {
			t.Fatalf("Totals() = %d, %d, %v; credits - debits should be %d", credits, debits, err, s.Closing-s.Opening)
		}
	})
	tests := []struct {
		name    string
		amounts []int64
	}{
		{"ErrCreditsOverflow", []int64{math.MaxInt64, 1}},
		{"ErrDebitsOverflow", []int64{math.MinInt64, -1}},
		// The sum of the debits fits as a negative number but not as the
		// non-negative total Totals returns.
		{"ErrDebitsOfMinInt64", []int64{-math.MaxInt64, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Statement
			for _, a := range tt.amounts {
				s.Movements = append(s.Movements, Movement{Amount: a})
			}
			if _, _, err := s.Totals(); !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("Totals() error = %v, want money.ErrOverflow", err)
			}
		})
	}
}
