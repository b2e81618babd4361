package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/testdb"
)

// bonusDay is a customer's day with promotional credit (SPEC 11): a
// top-up of 100.00 that a rule gives 5.00 of bonus with, 50.00 of bonus
// granted, a consumption of 60.00 that bonus paid 55.00 of (bonus first)
// and 10.00 more of bonus. What is left: 95.00 of own money, 10.00 of
// bonus.
func bonusDay(t *testing.T, s *site) (customer, account int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.st.CreatePromotion(ctx, ledger.Actor{Name: "test"}, ledger.Promotion{Name: "Spring", Currency: money.MustCurrency("USD"),
		BonusFixed: 500, ValidFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c, a := testdb.Funded(t, s.st, "13800005555", 0)
	// A top-up request, as only an approved or direct one earns bonus.
	var staff [2]ledger.Actor
	for i, name := range []string{"clerk", "checker"} {
		adm, err := s.st.AdminByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		staff[i] = ledger.Actor{AdminID: adm.ID, Name: name, Role: adm.Role}
	}
	req := testdb.SubmitTopUp(t, s.st, staff[0], c.ID, "USD", 10000)
	if _, err := s.st.ApproveTopUp(ctx, staff[1], req.ID, nil, "", "", ledger.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	grant := func(amount int64) {
		if _, err := s.st.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: amount,
			Reason: ledger.ReasonPromotion, Note: "x", Bonus: true}); err != nil {
			t.Fatal(err)
		}
	}
	grant(5000)
	if _, err := s.st.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 6000, Note: "dinner"}); err != nil {
		t.Fatal(err)
	}
	grant(1000)
	return c.ID, a.ID
}

// row is the table row of id in page, "" if there is none.
func row(page, id string) string {
	return regexp.MustCompile(`(?s)<tr id="` + regexp.QuoteMeta(id) + `".*?</tr>`).FindString(page)
}

// summaryTable is the text of the summary's table of a reports page.
func summaryTable(page string) string {
	return shownText(regexp.MustCompile(`(?s)<table[^>]*id="report-table".*?</table>`).FindString(page))
}

// shownText is the text of some HTML, each tag a space, runs of space
// one: what a reader sees of cells and the lines in them.
func shownText(html string) string {
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, " ")
	return " " + strings.Join(strings.Fields(text), " ") + " "
}

// TestReportsShowBonus: the summary says the recharge bonus beside the
// recharge (which stays the money received) and, under consumption, the
// part bonus paid, in its rows and its sums; by payment method, which
// bonus has none of, it says the period's bonus under the table. The
// totals split the customer balances into own money and bonus, with the
// bonus granted, spent and expired; the dashboard says today's bonus
// too. In English and Chinese.
func TestReportsShowBonus(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			bonusDay(t, s)
			root := s.login("root")
			_, page, _ := root.get("/reports?group_by=currency")
			table := summaryTable(page)
			// The column's head, then the USD row and its sum (on a phone the
			// bonus is a line under the recharge instead of a column).
			figures := " $100.00 plus bonus $5.00 $5.00 $60.00 of which bonus $55.00 2 "
			for _, want := range []string{"Recharged Recharge bonus Consumed", " USD USD" + figures, " Total USD" + figures} {
				if !strings.Contains(table, want) {
					t.Errorf("the summary lacks %q:\n%s", want, table)
				}
			}
			for id, want := range map[string]string{"totals-recharge": "$100.00", "totals-bonus": "$5.00", "totals-consumption": "$60.00",
				"totals-consumption-bonus": "$55.00", "totals-adj-in": "$60.00", "totals-bonus-adjusted": "$60.00", "totals-bonus-expired": "$0.00",
				"totals-balances": "$105.00", "totals-principal": "$95.00", "totals-customer-bonus": "$10.00", "totals-accounts": ">1<"} {
				if r := row(page, id); !strings.Contains(r, want) {
					t.Errorf("the totals' %s reads %q, want %s", id, r, want)
				}
			}
			_, byMethod, _ := root.get("/reports?group_by=payment_method")
			if !strings.Contains(byMethod, `id="report-unsplit-bonus">Recharge bonus has no payment method and is not in these rows: $5.00 in this period.`) ||
				strings.Contains(summaryTable(byMethod), "Recharge bonus") || !strings.Contains(summaryTable(byMethod), " $60.00 of which bonus $55.00 ") {
				t.Error("by payment method the report does not say the bonus it cannot split, or shows a column of zeros")
			}
			clerk := s.login("clerk")
			if _, dash, _ := clerk.get("/"); !strings.Contains(shownText(dash), " $100.00 plus bonus $5.00 $60.00 of which bonus $55.00 2 ") {
				t.Error("the dashboard's today does not say the bonus")
			}
			root.post("/lang", root.form("lang", "zh-CN", "back", "/"))
			_, page, _ = root.get("/reports")
			zh := shownText(page)
			for _, want := range []string{" 充值 充值赠送 消费 ", " 其中赠送金额 US$55.00 ", " 其中本金 US$95.00 ", " 其中以赠送金额支付 US$55.00 ", " 过期的赠送金额 US$0.00 "} {
				if !strings.Contains(zh, want) {
					t.Errorf("the Chinese report lacks %q", want)
				}
			}
		})
	}
}

// TestReportsWithoutBonus: a business that gives no bonus reads its
// report as before: no bonus column, no bonus rows in the totals.
func TestReportsWithoutBonus(t *testing.T) {
	s := newSite(t, testdb.Dialects[0])
	fundedAccount(t, s, 10000)
	_, page, _ := s.login("root").get("/reports")
	if strings.Contains(page, "Recharge bonus") || strings.Contains(page, "of which") || row(page, "totals-principal") != "" || row(page, "totals-balances") == "" {
		t.Errorf("a report without bonus shows bonus figures:\n%s", page)
	}
}
