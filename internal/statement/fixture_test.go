package statement

import (
	"fmt"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

// shanghai is the business time zone of the fixtures: eight hours off UTC,
// so a date shown in UTC instead would be visibly wrong.
func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sample is a consistent statement of n movements for 张三 Trading in CNY
// over January 2026, opening at 1,234.50: top-ups, charges, an adjustment,
// a reversal and one type the package does not know, with Chinese notes,
// one long enough to wrap, and references of several lengths.
func sample(t testing.TB, n int) Statement {
	loc := shanghai(t)
	s := Statement{
		Business:     "Coffer 咖啡馆",
		CustomerID:   42,
		CustomerName: "张三 Trading",
		Currency:     money.MustCurrency("CNY"),
		From:         time.Date(2026, 1, 1, 0, 0, 0, 0, loc),
		To:           time.Date(2026, 2, 1, 0, 0, 0, 0, loc),
		Location:     loc,
		Opening:      123450,
		OpeningBonus: 2000,
		GeneratedAt:  time.Date(2026, 2, 1, 9, 30, 0, 0, loc),
	}
	balance, bonus := s.Opening, s.OpeningBonus
	for i := range n {
		m := Movement{
			TransactionID: int64(1000 + i),
			At:            s.From.Add(time.Duration(i) * 5 * time.Hour),
		}
		switch i % 6 {
		case 0:
			m.Type, m.Amount, m.Reference, m.Note = "topup", 50000, fmt.Sprintf("WX%08d", i), "微信支付充值"
		case 1, 2:
			m.Type, m.Amount, m.Note = "charge", -int64(1850+i), "拿铁 ×2"
		case 3:
			m.Type, m.Amount, m.Reference = "adjustment", 1000, "=HYPERLINK(\"x\")"
			m.Note = "补偿：上周系统故障导致订单重复扣款，经店长批准补偿十元 (compensation approved by the manager)"
		case 4:
			m.Type, m.Amount, m.Reference, m.Note = "reversal", 1851+int64(i-3), fmt.Sprintf("rev-%d", 1000+i-3), "冲正重复扣款"
		default:
			m.Type, m.Amount, m.Note = "hold_capture", -500, ""
		}
		switch i % 6 { // the compensation is bonus; the first charge of each round spends some
		case 3:
			m.Bonus = m.Amount
		case 1:
			m.Bonus = -min(bonus, 1000)
		}
		balance, bonus = balance+m.Amount, bonus+m.Bonus
		m.Balance, m.BonusBalance = balance, bonus
		s.Movements = append(s.Movements, m)
	}
	s.Closing, s.ClosingBonus = balance, bonus
	return s
}
