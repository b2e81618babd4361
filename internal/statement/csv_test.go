package statement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// readCSV renders s in lang and parses it back.
func readCSV(t *testing.T, s Statement, lang string) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := CSV(&buf, s, lang); err != nil {
		t.Fatalf("CSV: %v", err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	return rows
}

func TestCSV(t *testing.T) {
	s := sample(t, 30)
	for _, tt := range []struct {
		lang, amountHeading, opening, closing, topup string
	}{
		{"en", "Amount (CNY)", "Opening balance", "Closing balance", "Top-up"},
		{"zh-CN", "金额 (CNY)", "期初余额", "期末余额", "充值"},
		{"fr", "Amount (CNY)", "Opening balance", "Closing balance", "Top-up"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			rows := readCSV(t, s, tt.lang)
			if len(rows) != len(s.Movements)+3 {
				t.Fatalf("%d rows, want a heading, an opening row, %d movements and a closing row", len(rows), len(s.Movements))
			}
			if rows[0][4] != tt.amountHeading {
				t.Errorf("amount heading %q, want %q", rows[0][4], tt.amountHeading)
			}
			first, last := rows[1], rows[len(rows)-1]
			wantRow(t, first, "2026-01-01T00:00:00+08:00", tt.opening, "", "", "", "1234.50", "", money.FormatMinor(s.OpeningBonus, 2))
			wantRow(t, last, "2026-02-01T00:00:00+08:00", tt.closing, "", "", "", money.FormatMinor(s.Closing, 2), "", money.FormatMinor(s.ClosingBonus, 2))
			if rows[2][1] != tt.topup {
				t.Errorf("the first movement's type is %q, want %q", rows[2][1], tt.topup)
			}
			for i, m := range s.Movements {
				checkMovementRow(t, rows[i+2], m, s.Currency)
			}
		})
	}
}

func wantRow(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("row %q has %d cells, want %d", got, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %q: cell %d is %q, want %q", got, i, got[i], want[i])
		}
	}
}

// checkMovementRow reads a movement's row back as a program would: the time
// as RFC 3339, the figures with money.Parse, which refuses thousands
// separators and anything else that is not a plain decimal.
func checkMovementRow(t *testing.T, row []string, m Movement, cur money.Currency) {
	t.Helper()
	at, err := time.Parse(time.RFC3339, row[0])
	if err != nil || !at.Equal(m.At) {
		t.Errorf("time %q reads as %v (%v), want %v", row[0], at, err, m.At)
	}
	if _, offset := at.Zone(); offset != 8*3600 {
		t.Errorf("time %q is not in the business time zone (+08:00)", row[0])
	}
	for i, want := range map[int]int64{4: m.Amount, 5: m.Balance, 6: m.Bonus, 7: m.BonusBalance} {
		got, err := money.Parse(row[i], cur)
		if err != nil || got.Minor() != want {
			t.Errorf("figure %q reads as %v (%v), want %d minor units", row[i], got, err, want)
		}
	}
	// The fixture's notes never look like formulas; one of its references does.
	ref := m.Reference
	if strings.HasPrefix(ref, "=") {
		ref = "'" + ref
	}
	if row[2] != ref || row[3] != m.Note {
		t.Errorf("reference and note %q, %q; want %q, %q", row[2], row[3], ref, m.Note)
	}
}

func TestCSVFormulaInjection(t *testing.T) {
	s := sample(t, 0)
	texts := []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "-5 refund"}
	balance := s.Opening
	for i, text := range texts {
		balance -= 100
		s.Movements = append(s.Movements, Movement{
			TransactionID: int64(i), At: s.From, Type: text, Reference: text, Note: text, Amount: -100, Balance: balance, BonusBalance: s.OpeningBonus,
		})
	}
	s.Closing = balance
	rows := readCSV(t, s, "en")
	for i, text := range texts {
		row := rows[i+2]
		for col, name := range map[int]string{1: "type", 2: "reference", 3: "note"} {
			if row[col] != "'"+text {
				t.Errorf("%s %q written as %q, want it behind an apostrophe", name, text, row[col])
			}
		}
		// Our own figures keep their minus sign, and stay numbers.
		if row[4] != "-1.00" {
			t.Errorf("amount written as %q, want -1.00", row[4])
		}
	}
	for _, safe := range []string{"", "plain", "1+1", " =1", "'=1", "补偿"} {
		if got := sheetText(safe); got != safe {
			t.Errorf("sheetText(%q) = %q, want it unchanged", safe, got)
		}
	}
}

func TestCSVRefusesInconsistent(t *testing.T) {
	s := sample(t, 5)
	s.Closing++
	var buf bytes.Buffer
	if err := CSV(&buf, s, "en"); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("CSV() = %v, want ErrInconsistent", err)
	}
	if buf.Len() != 0 {
		t.Errorf("CSV wrote %d bytes of a statement it refused", buf.Len())
	}
}

func TestCSVDigits(t *testing.T) {
	for _, tt := range []struct {
		code          string
		opening, want string
	}{
		{"JPY", "1234567", "1234567"},
		{"CNY", "12345.67", "12345.67"},
		{"KWD", "1234.567", "1234.567"},
	} {
		t.Run(tt.code, func(t *testing.T) {
			s := sample(t, 0)
			s.Currency = money.MustCurrency(tt.code)
			s.Opening, s.Closing = 1234567, 1234567
			rows := readCSV(t, s, "en")
			if rows[1][5] != tt.want || rows[2][5] != tt.want {
				t.Errorf("opening and closing %q, %q; want %q", rows[1][5], rows[2][5], tt.want)
			}
		})
	}
}
