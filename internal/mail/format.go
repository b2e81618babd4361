package mail

import (
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// formatAmount formats a decimal amount in the major unit of a currency for
// reading, with thousands separators and the code: "1,234.50 CNY",
// "-0.05 USD", "1,200 JPY". money.Parse reads it, so that a malformed amount
// or one with more fraction digits than the currency has is an error rather
// than a guess, and every amount shows exactly the currency's fraction
// digits ("5" CNY is "5.00 CNY").
func formatAmount(s, code string) (string, error) {
	cur, err := money.LookupCurrency(code)
	if err != nil {
		return "", err
	}
	a, err := money.Parse(s, cur)
	if err != nil {
		return "", err
	}
	return group(a.String()) + " " + code, nil
}

// group puts a comma before every third digit of the integer part, counted
// from the decimal point, of what money.Amount.String writes: an optional
// '-', digits, and optionally '.' and fraction digits.
func group(s string) string {
	var b strings.Builder
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		b.WriteByte('-')
		s = rest
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(intPart[i])
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// formatPeriod names a statement period [start, end) in loc: the month
// when it is exactly one calendar month ("November 2026"), otherwise its
// first and last days. The last day is the one before end, as end is
// excluded.
func formatPeriod(l language, start, end time.Time, loc *time.Location) string {
	start, end = start.In(loc), end.In(loc)
	if start.Day() == 1 && isMidnight(start) && end.Equal(start.AddDate(0, 1, 0)) {
		return start.Format(l.month)
	}
	last := end.Add(-time.Nanosecond)
	return start.Format(l.day) + l.through + last.Format(l.day)
}

func isMidnight(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}
