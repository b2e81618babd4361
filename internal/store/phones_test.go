package store_test

import (
	"errors"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// Setting phone_region rewrites the stored numbers as E.164 in the same
// transaction; two customers whose numbers would become one keep theirs
// and are reported, as is a number the region cannot read; from then on
// a number typed either way finds, and duplicates, the same customer.
func TestPhoneRegionRewritesAndReports(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		mk := func(name, phone string) ledger.Customer {
			c, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: name, Phone: phone})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		intl := mk("Ann", "+86 138 0013 8000")
		national := mk("Ann again", "13800138000") // two customers today: the same number typed two ways
		bob := mk("Bob", "139-0013-9000")
		short := mk("Cy", "12345")
		if _, _, err := s.PhoneReport(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateSettings(ctx, sys, func(st *ledger.Settings) error { st.PhoneRegion = "CN"; return nil }); err != nil {
			t.Fatal(err)
		}
		phone := func(c ledger.Customer) string {
			got, err := s.Customer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Phone
		}
		for c, want := range map[ledger.Customer]string{intl: "+8613800138000", national: "13800138000", bob: "+8613900139000", short: "12345"} {
			if got := phone(c); got != want {
				t.Errorf("%s's phone is %q, want %q", c.Name, got, want)
			}
		}
		rep, ok, err := s.PhoneReport(ctx)
		if err != nil || !ok {
			t.Fatalf("report: %v %v", ok, err)
		}
		if rep.Changed != 1 || len(rep.Collisions) != 1 || len(rep.Collisions[0].CustomerIDs) != 2 ||
			len(rep.Unreadable) != 1 || rep.Unreadable[0].CustomerID != short.ID {
			t.Errorf("report = %+v", rep)
		}
		// Typed nationally, Bob's number finds Bob and refuses a newcomer.
		found, err := s.Customers(ctx, store.CustomerFilter{Phone: "139 0013 9000", Limit: 10})
		if err != nil || len(found) != 1 || found[0].ID != bob.ID {
			t.Errorf("search by the national number = %v, %v", found, err)
		}
		if _, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: "Bob twin", Phone: "13900139000"}); !errors.Is(err, ledger.ErrDuplicatePhone) {
			t.Errorf("a duplicate typed nationally = %v", err)
		}
		// The customer left with a national number cannot be saved under it:
		// someone must decide.
		if _, err := s.UpdateCustomer(ctx, sys, national.ID, ledger.NewCustomer{Name: "Ann again", Phone: "13800138000"}); !errors.Is(err, ledger.ErrDuplicatePhone) {
			t.Errorf("saving the colliding customer = %v", err)
		}
		if _, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: "Dee", Phone: "12345"}); err == nil {
			t.Error("an impossible number is accepted under CN")
		}
		if _, err := s.UpdateSettings(ctx, sys, func(st *ledger.Settings) error { st.PhoneRegion = "cn"; return nil }); err == nil {
			t.Error("a region in lower case is accepted")
		}
		testdb.MustVerify(t, s)
	})
}
