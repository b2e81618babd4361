package web_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/web"
)

// TestStatementShowsBonus: with bonus, the console's statement and the
// page of a statement link split the opening and closing balances into
// own money and bonus and say each movement's bonus part (all of a
// grant's, the part of a consumption bonus paid) and the bonus left
// after it; a statement without bonus shows none of it.
func TestStatementShowsBonus(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			s := newSite(t, d)
			customer, _ := bonusDay(t, s)
			clerk := s.login("clerk")
			_, console, _ := clerk.get("/customers/" + itoa(customer) + "/statement")
			_, token, err := s.st.CreateStatementLink(context.Background(), ledger.Actor{Name: "test"}, customer, 7)
			if err != nil {
				t.Fatal(err)
			}
			_, public, _ := clerk.get(web.StatementPath(token) + "?lang=en")
			for name, page := range map[string]string{"console": console, "public": public} {
				for _, want := range []string{`id="st-closing">$105.00`, `id="st-closing-principal">$95.00`, `id="st-closing-bonus">$10.00`, `id="st-opening-bonus">$0.00`} {
					if !strings.Contains(page, want) {
						t.Errorf("the %s statement lacks %q", name, want)
					}
				}
				// A movement's amount and balance, each with its bonus under it.
				shown := shownText(html.UnescapeString(page))
				for _, want := range []string{" -$60.00 of which bonus -$55.00 $95.00 incl. bonus $0.00 ", " +$50.00 Bonus $155.00 incl. bonus $55.00 ",
					" Closing balance $105.00 incl. bonus $10.00 "} {
					if !strings.Contains(shown, want) {
						t.Errorf("the %s statement lacks %q", name, want)
					}
				}
				if n := strings.Count(page, "st-bonus"); n != 4 {
					t.Errorf("the %s statement names the bonus part of %d movements, want 4 (the top-up has none)", name, n)
				}
			}
			if !strings.Contains(public, `incl-bonus">incl. bonus $10.00`) {
				t.Error("the statement link's balance does not say its bonus")
			}
			plain, _ := testdb.Funded(t, s.st, "13800005556", 10000)
			if _, page, _ := clerk.get("/customers/" + itoa(plain.ID) + "/statement"); strings.Contains(page, "st-closing-principal") || strings.Contains(page, "bonus") {
				t.Error("a statement without bonus shows bonus")
			}
		})
	}
}
