package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

var (
	ctx = context.Background()
	sys = ledger.Actor{Name: "test"}
)

// AccountLimits are an account's credit settings, for tests.
type AccountLimits struct {
	CreditLimit        int64
	Overdraft          int64
	OverdraftExpiresAt *time.Time
}

func setLimits(s *store.Store, id int64, l AccountLimits) (ledger.Account, error) {
	exp := l.OverdraftExpiresAt
	return s.UpdateAccount(ctx, sys, id, store.AccountChange{CreditLimit: &l.CreditLimit, Overdraft: &l.Overdraft, OverdraftExpiresAt: &exp})
}

func setStatus(s *store.Store, id int64, st ledger.Status) (ledger.Account, error) {
	return s.UpdateAccount(ctx, sys, id, store.AccountChange{Status: &st})
}

// fixture makes a customer with a funded USD account.
func fixture(t testing.TB, s *store.Store, phone string, funds int64) (ledger.Customer, ledger.Account) {
	t.Helper()
	return testdb.Funded(t, s, phone, funds)
}

func mustVerify(t testing.TB, s *store.Store) { t.Helper(); testdb.MustVerify(t, s) }

func balance(t testing.TB, s *store.Store, id int64) int64 {
	t.Helper()
	return testdb.Balance(t, s, id)
}

func countRows(t testing.TB, s *store.Store, table string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrationsAreRepeatable(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dsn := testdb.DSN(t, d)
			for i := 0; i < 2; i++ {
				s, err := store.Open(ctx, dsn, store.Options{})
				if err != nil {
					t.Fatalf("open #%d: %v", i+1, err)
				}
				if n := countRows(t, s, "payment_methods"); n != 3 {
					t.Errorf("open #%d: %d payment methods, want the 3 defaults once", i+1, n)
				}
				if d == store.SQLite {
					// Migration 00020 edits a table's text in place.
					var ok string
					if err := s.DB().QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
						t.Errorf("open #%d: integrity_check = %q, %v", i+1, ok, err)
					}
				}
				s.Close()
			}
		})
	}
}

func TestCustomers(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: " Ada ", Phone: "+86 138-0013-8000", Email: " Ada@Example.COM "})
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Ada" || c.Phone != "+8613800138000" || c.Email != "ada@example.com" {
			t.Errorf("stored %+v, want normalised name, phone and email", c)
		}
		got, err := s.Customer(ctx, c.ID)
		if err != nil || got != c {
			t.Errorf("read back %+v, %v; want %+v", got, err, c)
		}
		_, err = s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: "Eve", Phone: "+86 (138) 0013.8000"})
		if !errors.Is(err, ledger.ErrDuplicatePhone) {
			t.Errorf("same phone, other spelling: err = %v, want ErrDuplicatePhone", err)
		}
		var ve *ledger.ValidationError
		if _, err := s.CreateCustomer(ctx, sys, ledger.NewCustomer{Name: "", Phone: "12"}); !errors.As(err, &ve) || len(ve.Problems) != 2 {
			t.Errorf("bad customer: err = %v, want name and phone problems", err)
		}
		if n := countRows(t, s, "customers"); n != 1 {
			t.Errorf("%d customers stored, want 1", n)
		}
		if _, err := s.Customer(ctx, 999999); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("missing customer err = %v", err)
		}
	})
}

func TestPostingLifecycle(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "10001", 10000) // 100.00 USD
		if a.Number == "" || !ledger.ValidAccountNumber(a.Number) {
			t.Errorf("account number %q lacks a valid check digit", a.Number)
		}
		ch, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 2550, Reference: "INV-1", Note: "storage", Actor: ledger.Actor{AdminID: 7}})
		if err != nil {
			t.Fatal(err)
		}
		tx := ch.Transaction
		if tx.Type != ledger.TxCharge || tx.Amount != -2550 || tx.Reference != "INV-1" || tx.CreatedBy != 7 || len(tx.Entries) != 2 {
			t.Errorf("charge = %+v", tx)
		}
		if *tx.Entries[0].BalanceAfter != 7450 || tx.Entries[1].BalanceAfter != nil || tx.Entries[1].Amount != 2550 {
			t.Errorf("charge entries = %+v", tx.Entries)
		}
		stored, err := s.Transaction(ctx, tx.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tx, stored, cmp.AllowUnexported(money.Currency{})); diff != "" {
			t.Errorf("stored transaction differs from the posted one (-posted +stored):\n%s", diff)
		}
		if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: 500,
			Reason: ledger.ReasonPromotion, Note: "birthday bonus"}); err != nil {
			t.Fatal(err)
		}
		fix, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Debit, Amount: 50,
			Reason: ledger.ReasonCorrection, Note: "typo in INV-1", Corrects: tx.ID})
		if err != nil || fix.Transaction.Corrects != tx.ID {
			t.Fatalf("correcting adjustment: %+v, %v", fix, err)
		}
		rev, err := s.Reverse(ctx, ledger.Reversal{TransactionID: tx.ID, Note: "wrong customer"})
		if err != nil {
			t.Fatal(err)
		}
		if rev.Transaction.Amount != 2550 || rev.Transaction.Corrects != tx.ID || rev.Transaction.Type != ledger.TxReversal {
			t.Errorf("reversal = %+v", rev.Transaction)
		}
		if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: tx.ID}); !errors.Is(err, ledger.ErrAlreadyReversed) {
			t.Errorf("second reversal err = %v, want ErrAlreadyReversed", err)
		}
		var ve *ledger.ValidationError
		if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: rev.Transaction.ID}); !errors.As(err, &ve) {
			t.Errorf("reversing a reversal err = %v, want a validation error", err)
		}
		if got := balance(t, s, a.ID); got != 10000-2550+500-50+2550 {
			t.Errorf("balance = %d, want %d", got, 10000-2550+500-50+2550)
		}
		before := countRows(t, s, "transactions")
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 10451}); !errors.Is(err, ledger.ErrInsufficientFunds) {
			t.Errorf("overdraw err = %v, want ErrInsufficientFunds", err)
		}
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: 424242, Amount: 1}); !errors.As(err, &ve) || ve.Problems[0].Field != "account_id" {
			t.Errorf("charge to a missing account err = %v", err)
		}
		if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: 1,
			Reason: ledger.ReasonOther, Note: "x", Corrects: 424242}); !errors.As(err, &ve) || ve.Problems[0].Field != "corrects" {
			t.Errorf("correcting a missing transaction err = %v", err)
		}
		if after := countRows(t, s, "transactions"); after != before {
			t.Errorf("refused postings wrote %d transactions", after-before)
		}
		if got := balance(t, s, a.ID); got != 10450 {
			t.Errorf("balance after refused postings = %d, want 10450", got)
		}
		mustVerify(t, s)
	})
}

func TestAccountStatus(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "10002", 1000)
		top, _ := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: 100, PaymentMethod: "alipay"})
		if _, err := setStatus(s, a.ID, ledger.StatusFrozen); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 1}); !errors.Is(err, ledger.ErrAccountFrozen) {
			t.Errorf("charge on frozen err = %v", err)
		}
		if _, err := s.Reverse(ctx, ledger.Reversal{TransactionID: top.Transaction.ID}); !errors.Is(err, ledger.ErrAccountFrozen) {
			t.Errorf("reversing a top-up on a frozen account err = %v", err)
		}
		if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: 1, PaymentMethod: "alipay"}); err != nil {
			t.Errorf("top-up on frozen account refused: %v", err)
		}
		if _, err := setStatus(s, a.ID, ledger.StatusDisabled); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{AccountID: a.ID}, Amount: 1, PaymentMethod: "alipay"}); !errors.Is(err, ledger.ErrAccountDisabled) {
			t.Errorf("top-up on disabled err = %v", err)
		}
		if _, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{AccountID: a.ID}, Direction: ledger.Credit, Amount: 1,
			Reason: ledger.ReasonOther, Note: "x"}); !errors.Is(err, ledger.ErrAccountDisabled) {
			t.Errorf("adjust on disabled err = %v", err)
		}
		if _, err := setStatus(s, a.ID, "closed"); err == nil {
			t.Error("unknown status accepted")
		}
		if got := balance(t, s, a.ID); got != 1101 {
			t.Errorf("balance = %d, want 1101", got)
		}
		mustVerify(t, s)
	})
}

func TestAccountsOpenOnFirstPosting(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		c, _ := fixture(t, s, "10003", 0)
		p, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{CustomerID: c.ID, Currency: "JPY"}, Amount: 5000, PaymentMethod: "wechat_pay"})
		if err != nil {
			t.Fatal(err)
		}
		q, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "JPY"}, Direction: ledger.Credit,
			Amount: 100, Reason: ledger.ReasonCompensation, Note: "late"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Transaction.AccountID != q.Transaction.AccountID || p.Transaction.Currency.Code() != "JPY" {
			t.Errorf("two postings to JPY opened two accounts or the wrong currency: %+v %+v", p.Transaction, q.Transaction)
		}
		k, err := s.Adjust(ctx, ledger.Adjustment{Target: ledger.Target{CustomerID: c.ID, Currency: "KWD"}, Direction: ledger.Credit,
			Amount: 1, Reason: ledger.ReasonOther, Note: "first KWD"})
		if err != nil || k.Transaction.AccountID == p.Transaction.AccountID {
			t.Fatalf("KWD adjustment: %+v, %v", k, err)
		}
		var ve *ledger.ValidationError
		if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{CustomerID: 999999, Currency: "USD"}, Amount: 1, PaymentMethod: "alipay"}); !errors.As(err, &ve) {
			t.Errorf("top-up for a missing customer err = %v", err)
		}
		if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{CustomerID: c.ID, Currency: "XXY"}, Amount: 1, PaymentMethod: "alipay"}); !errors.As(err, &ve) {
			t.Errorf("top-up in an unknown currency err = %v", err)
		}
		if _, err := s.TopUp(ctx, ledger.TopUp{Target: ledger.Target{CustomerID: c.ID, Currency: "USD"}, Amount: 1, PaymentMethod: "paypal"}); !errors.As(err, &ve) {
			t.Errorf("top-up with an unknown payment method err = %v", err)
		}
		if n := countRows(t, s, "accounts WHERE customer_id IS NOT NULL"); n != 3 {
			t.Errorf("%d customer accounts, want USD, JPY and KWD", n)
		}
		mustVerify(t, s)
	})
}

func TestCreditAndOverdraft(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	opt := store.Options{Now: func() time.Time { return *clock.Load() }}
	testdb.Each(t, opt, func(t *testing.T, s *store.Store) {
		clock.Store(&now)
		_, a := fixture(t, s, "10004", 1000)
		expires := now.Add(24 * time.Hour)
		if _, err := setLimits(s, a.ID, AccountLimits{CreditLimit: 500, Overdraft: 300, OverdraftExpiresAt: &expires}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 1700}); err != nil {
			t.Fatalf("charge within credit and overdraft refused: %v", err)
		}
		if got := balance(t, s, a.ID); got != -700 {
			t.Errorf("balance = %d, want -700", got)
		}
		later := expires.Add(time.Second)
		clock.Store(&later)
		// Now the floor is -500 and the balance is already below it.
		if _, err := s.Charge(ctx, ledger.Charge{AccountID: a.ID, Amount: 1}); !errors.Is(err, ledger.ErrInsufficientFunds) {
			t.Errorf("charge after overdraft expiry err = %v, want ErrInsufficientFunds", err)
		}
		if _, err := setLimits(s, a.ID, AccountLimits{CreditLimit: -1}); err == nil {
			t.Error("negative credit limit accepted")
		}
		mustVerify(t, s)
	})
}

func TestLedgerRowsAreImmutable(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		_, a := fixture(t, s, "10005", 1000)
		if _, err := s.DB().Exec("UPDATE entries SET amount = amount + 1 WHERE account_id = $1", a.ID); err == nil {
			t.Error("an UPDATE of entries succeeded")
		}
		if _, err := s.DB().Exec("UPDATE transactions SET amount = 0"); err == nil {
			t.Error("an UPDATE of transactions succeeded")
		}
		mustVerify(t, s)
	})
}

func TestFirstAdmin(t *testing.T) {
	testdb.Each(t, store.Options{}, func(t *testing.T, s *store.Store) {
		var wg sync.WaitGroup
		var created atomic.Int32
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.CreateFirstAdmin(ctx, "root", "$argon2id$x")
				if err != nil {
					t.Error(err)
				}
				if ok {
					created.Add(1)
				}
			}()
		}
		wg.Wait()
		if created.Load() != 1 {
			t.Errorf("%d first admins created, want 1", created.Load())
		}
		a, err := s.AdminByUsername(ctx, "root")
		if err != nil || a.Role != ledger.RoleSuperAdmin {
			t.Errorf("first admin = %+v, %v", a, err)
		}
		if ok, _ := s.CreateFirstAdmin(ctx, "other", "$argon2id$x"); ok {
			t.Error("a second first admin was created")
		}
		if _, err := s.CreateAdmin(ctx, ledger.Admin{Username: "root", Role: ledger.RoleAdmin, PasswordHash: "x"}); !errors.Is(err, ledger.ErrAlreadyExists) {
			t.Errorf("duplicate username err = %v", err)
		}
	})
}
