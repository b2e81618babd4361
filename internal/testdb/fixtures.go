package testdb

import (
	"context"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// system is who the fixtures act as in operation records.
var system = ledger.Actor{Name: "test"}

// Funded makes a customer with a USD account holding funds (minor units),
// topped up through the ledger like any other money.
func Funded(t testing.TB, s *store.Store, phone string, funds int64) (ledger.Customer, ledger.Account) {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateCustomer(ctx, system, ledger.NewCustomer{Name: "Customer " + phone, Phone: phone})
	if err != nil {
		t.Fatalf("create customer: %v", err)
	}
	a, _, err := s.OpenAccount(ctx, system, c.ID, "USD")
	if err != nil {
		t.Fatalf("open account: %v", err)
	}
	if funds > 0 {
		p, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: funds, PaymentMethod: "bank_transfer"})
		if err != nil {
			t.Fatalf("top up: %v", err)
		}
		a.Balance = *p.Transaction.Entries[0].BalanceAfter
	}
	return c, a
}

// MustVerify fails the test on any broken ledger invariant (balances equal
// the sums of entries, every transaction balances).
func MustVerify(t testing.TB, s *store.Store) {
	t.Helper()
	problems, err := s.VerifyLedger(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, p := range problems {
		t.Errorf("ledger invariant broken: %s", p)
	}
}

// Balance is an account's stored balance.
func Balance(t testing.TB, s *store.Store, id int64) int64 {
	t.Helper()
	a, err := s.Account(context.Background(), id)
	if err != nil {
		t.Fatalf("read account %d: %v", id, err)
	}
	return a.Balance
}

// Reviewers adds an admin who submits top-ups (clerk) and a reviewer who
// decides them (checker).
func Reviewers(t testing.TB, s *store.Store) (clerk, checker ledger.Actor) {
	t.Helper()
	for _, a := range []struct {
		dst  *ledger.Actor
		name string
		role ledger.Role
	}{{&clerk, "clerk", ledger.RoleAdmin}, {&checker, "checker", ledger.RoleReviewer}} {
		adm, err := s.AddAdmin(context.Background(), system, ledger.Admin{Username: a.name, Role: a.role, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		*a.dst = ledger.Actor{AdminID: adm.ID, Name: a.name, Role: a.role}
	}
	return clerk, checker
}

// SubmitTopUp submits a paid top-up request of amount (minor units) in
// currency for the customer, by the first payment method, as clerk.
func SubmitTopUp(t testing.TB, s *store.Store, clerk ledger.Actor, customerID int64, currency string, amount int64) ledger.TopUpRequest {
	t.Helper()
	res, err := s.SubmitTopUp(context.Background(), clerk, store.NewTopUp{CustomerID: customerID, Currency: currency,
		TopUpFields: ledger.TopUpFields{Amount: amount, PaymentMethodID: 1, PaymentStatus: "paid"}}, ledger.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	return res.TopUp
}
