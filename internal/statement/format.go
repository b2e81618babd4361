package statement

import (
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// grouped formats minor units for reading, with thousands separators:
// 123450 at 2 digits is "1,234.50". It starts from money.FormatMinor, so it
// is exact for every int64, the most negative included.
func grouped(minor int64, digits int) string {
	s := money.FormatMinor(minor, digits)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// withCode is a grouped figure followed by the currency code, as the PDF
// shows balances and totals outside the table: "1,234.50 CNY".
func (s Statement) withCode(minor int64) string {
	return grouped(minor, s.Currency.Digits()) + " " + s.Currency.Code()
}

const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04"
)

// period is the statement's period as a reader counts it. A period of whole
// days (both ends at midnight in the business time zone) shows its first
// and last day, the last being the day before To since To is exclusive; any
// other period shows both ends to the minute, To again being the moment the
// period stops.
func (s Statement) period() string {
	from, to := s.From.In(s.location()), s.To.In(s.location())
	if midnight(from) && midnight(to) {
		last := to.AddDate(0, 0, -1)
		if !last.After(from) {
			return from.Format(dateLayout)
		}
		return from.Format(dateLayout) + " – " + last.Format(dateLayout)
	}
	return from.Format(dateTimeLayout) + " – " + to.Format(dateTimeLayout)
}

func midnight(t time.Time) bool {
	h, m, sec := t.Clock()
	return h == 0 && m == 0 && sec == 0 && t.Nanosecond() == 0
}
