package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestSearch checks the lists' q filter, served by the trigram-indexed
// search tables, against a plain substring match in Go: wildcards of LIKE
// and GLOB match themselves, short queries and CJK text work, and the
// tables follow a customer's edits and new accounts.
func TestSearch(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		people := []ledger.NewCustomer{
			{Name: "Zhang San", Email: "zs@example.com", Company: "Acme Trading"},
			{Name: "张三丰", Phone: "13800138001", Company: "武当"},
			{Name: "Star*Light", Email: "star@light.example"},
			{Name: "Quest?ion", Company: "Why Not Ltd"},
			{Name: "Brack[et]", Phone: "13800138002"},
			{Name: "100% Pure", Email: "pure@example.org"},
			{Name: "under_score", Company: "Back\\slash Co"},
			{Name: "Plain Person"},
		}
		type row struct {
			c       ledger.Customer
			numbers []string
		}
		var rows []row
		for _, nc := range people {
			c, err := s.CreateCustomer(ctx, sys, nc)
			if err != nil {
				t.Fatalf("create %q: %v", nc.Name, err)
			}
			r := row{c: c}
			for _, cur := range []string{"USD", "EUR"} {
				a, _, err := s.OpenAccount(ctx, sys, c.ID, cur)
				if err != nil {
					t.Fatal(err)
				}
				r.numbers = append(r.numbers, a.Number)
			}
			rows = append(rows, r)
		}
		text := func(c ledger.Customer) string {
			return strings.ToLower(c.Name) + "\x01" + c.Email + "\x01" + c.Phone + "\x01" + strings.ToLower(c.Company)
		}
		check := func(q string) {
			t.Helper()
			lq := strings.ToLower(q)
			var wantCustomers, wantAccounts []string
			for _, r := range rows {
				byCustomer := strings.Contains(text(r.c), lq)
				if byCustomer {
					wantCustomers = append(wantCustomers, r.c.Name)
				}
				for _, n := range r.numbers {
					if byCustomer || strings.Contains(n, lq) {
						wantAccounts = append(wantAccounts, n)
					}
				}
			}
			cs, err := s.Customers(ctx, store.CustomerFilter{Q: q, Limit: 500})
			if err != nil {
				t.Fatalf("customers q=%q: %v", q, err)
			}
			var gotCustomers []string
			for _, c := range cs {
				gotCustomers = append(gotCustomers, c.Name)
			}
			as, err := s.Accounts(ctx, store.AccountFilter{Q: q, Limit: 500, Sort: "number"})
			if err != nil {
				t.Fatalf("accounts q=%q: %v", q, err)
			}
			var gotAccounts []string
			for _, a := range as {
				gotAccounts = append(gotAccounts, a.Number)
			}
			slices.Sort(wantCustomers)
			slices.Sort(gotCustomers)
			slices.Sort(wantAccounts)
			if !slices.Equal(gotCustomers, wantCustomers) {
				t.Errorf("customers q=%q: got %q, want %q", q, gotCustomers, wantCustomers)
			}
			if !slices.Equal(gotAccounts, wantAccounts) {
				t.Errorf("accounts q=%q: got %q, want %q", q, gotAccounts, wantAccounts)
			}
		}
		for _, q := range []string{"zhang", "ZHANG SAN", "三丰", "三", "武当", "*", "r*l", "?", "t?i", "[", "[et]", "k[e", "0%", "%", "_",
			"r_s", "\\", "k\\s", "pure", "acme", "example", "1380013800", "an", "a", "nobody here", "' OR 1=1 --",
			rows[0].numbers[0], rows[3].numbers[1][2:9], rows[5].numbers[0][len(rows[5].numbers[0])-4:]} {
			check(q)
		}

		// An edit moves the customer's text; a new account is found too.
		c := rows[7].c
		edited, err := s.UpdateCustomer(ctx, sys, c.ID, ledger.NewCustomer{Name: "Renamed Person", Email: "renamed@example.net", Company: "Newco"})
		if err != nil {
			t.Fatal(err)
		}
		rows[7].c = edited
		a, _, err := s.OpenAccount(ctx, sys, c.ID, "CNY")
		if err != nil {
			t.Fatal(err)
		}
		rows[7].numbers = append(rows[7].numbers, a.Number)
		for _, q := range []string{"plain", "renamed", "newco", "example.net", a.Number, fmt.Sprint(a.Number[3:10])} {
			check(q)
		}
	})
}
