package ledger

import (
	"errors"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

func TestCheckDebitFloor(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	earlier := now.Add(-time.Hour)
	acc := func(balance, credit, overdraft int64, expires *time.Time, st Status) Account {
		return Account{Currency: money.MustCurrency("USD"), Balance: balance, CreditLimit: credit,
			Overdraft: overdraft, OverdraftExpiresAt: expires, Status: st}
	}
	for _, tc := range []struct {
		name   string
		a      Account
		amount int64
		want   error
	}{
		{"exact balance", acc(1000, 0, 0, nil, StatusNormal), 1000, nil},
		{"one cent over", acc(1000, 0, 0, nil, StatusNormal), 1001, ErrInsufficientFunds},
		{"into credit", acc(1000, 500, 0, nil, StatusNormal), 1500, nil},
		{"past credit", acc(1000, 500, 0, nil, StatusNormal), 1501, ErrInsufficientFunds},
		{"overdraft without expiry", acc(0, 500, 300, nil, StatusNormal), 800, nil},
		{"overdraft active", acc(0, 500, 300, &later, StatusNormal), 800, nil},
		{"overdraft expired", acc(0, 500, 300, &earlier, StatusNormal), 800, ErrInsufficientFunds},
		{"overdraft expires exactly now", acc(0, 500, 300, &now, StatusNormal), 501, ErrInsufficientFunds},
		{"already below floor", acc(-100, 0, 0, nil, StatusNormal), 1, ErrInsufficientFunds},
		{"frozen", acc(1000, 0, 0, nil, StatusFrozen), 1, ErrAccountFrozen},
		{"disabled", acc(1000, 0, 0, nil, StatusDisabled), 1, ErrAccountDisabled},
		{"overflowing debit", acc(-MaxLimit, MaxLimit, MaxLimit, nil, StatusNormal), 1 << 62, ErrInsufficientFunds},
	} {
		if got := tc.a.CheckDebit(tc.amount, now); !errors.Is(got, tc.want) && got != tc.want {
			t.Errorf("%s: CheckDebit = %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := acc(0, 0, 0, nil, StatusFrozen).CheckCredit(5); err != nil {
		t.Errorf("frozen account refused a credit: %v", err)
	}
	if err := acc(0, 0, 0, nil, StatusDisabled).CheckCredit(5); !errors.Is(err, ErrAccountDisabled) {
		t.Errorf("disabled account credit err = %v", err)
	}
	var ve *ValidationError
	if err := acc(1<<62, 0, 0, nil, StatusNormal).CheckCredit(1 << 62); !errors.As(err, &ve) {
		t.Errorf("overflowing credit err = %v, want a ValidationError", err)
	}
	a := acc(250, 1000, 500, &later, StatusNormal)
	if av, _ := a.Available(now); av != 1750 {
		t.Errorf("Available = %d, want 1750", av)
	}
	if av, _ := a.Available(later); av != 1250 {
		t.Errorf("Available after expiry = %d, want 1250", av)
	}
}

func TestAccountNumber(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		n := NewAccountNumber()
		if !ValidAccountNumber(n) {
			t.Fatalf("NewAccountNumber() = %q is not valid", n)
		}
		seen[n] = true
		// Every single-digit change and every adjacent swap must be caught.
		for pos := 0; pos < len(n); pos++ {
			for d := byte('0'); d <= '9'; d++ {
				if d == n[pos] {
					continue
				}
				typo := n[:pos] + string(d) + n[pos+1:]
				if ValidAccountNumber(typo) {
					t.Fatalf("typo %q of %q passes the check", typo, n)
				}
			}
			if pos+1 < len(n) && n[pos] != n[pos+1] {
				swap := n[:pos] + string(n[pos+1]) + string(n[pos]) + n[pos+2:]
				if ValidAccountNumber(swap) {
					t.Fatalf("swap %q of %q passes the check", swap, n)
				}
			}
		}
	}
	if len(seen) < 1990 {
		t.Errorf("only %d distinct numbers in 2000", len(seen))
	}
	for _, bad := range []string{"", "12345678901", "1234567890123", "12345678901a"} {
		if ValidAccountNumber(bad) {
			t.Errorf("ValidAccountNumber(%q) = true", bad)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+86 138-0013-8000": "+8613800138000",
		"(021) 555.1234":    "0215551234",
		"12345":             "12345",
	} {
		if got, err := NormalizePhone(in, ""); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"1234", "123456789012345678901", "12a45678", "+", "1+2345678", "١٢٣٤٥٦", ""} {
		if _, err := NormalizePhone(in, ""); err == nil {
			t.Errorf("NormalizePhone(%q) accepted", in)
		}
	}
}

func TestValidation(t *testing.T) {
	fields := func(err error) []string {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil
		}
		var f []string
		for _, p := range ve.Problems {
			f = append(f, p.Field)
		}
		return f
	}
	if got := fields(Charge{Amount: -1}.Validate()); len(got) != 2 || got[0] != "account_id" || got[1] != "amount" {
		t.Errorf("charge problems = %v", got)
	}
	adj := Adjustment{Target: Target{CustomerID: 1, Currency: "XXY"}, Direction: "up", Amount: 5, Reason: "gift"}
	if got := fields(adj.Validate()); len(got) != 4 {
		t.Errorf("adjustment problems = %v, want currency, direction, reason, note", got)
	}
	if err := (Adjustment{Target: Target{CustomerID: 1, Currency: "USD"}, Direction: Credit, Amount: 5, Reason: ReasonRefund, Note: "late delivery"}).Validate(); err != nil {
		t.Errorf("valid adjustment refused: %v", err)
	}
	if (Charge{AccountID: 1, Amount: 5, Note: "a"}).Fingerprint() == (Charge{AccountID: 1, Amount: 5, Reference: "a"}).Fingerprint() {
		t.Error("fingerprints of different charges are equal")
	}
	if _, err := (NewCustomer{Name: " ", Email: "not-an-email", DefaultCurrency: "usd"}).Normalize(""); len(fields(err)) != 3 {
		t.Errorf("customer problems = %v", fields(err))
	}
}

// FuzzNormalizePhone: an accepted number is digits with at most a leading
// '+', 5 to 20 digits, and normalising it again changes nothing.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+86 138-0013-8000", "(021) 555.1234", "12345", "++1", "١٢٣٤٥", "+", "1 2 3 4 5 6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizePhone(s, "")
		if err != nil {
			return
		}
		digits := 0
		for i, r := range n {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r == '+' && i == 0:
			default:
				t.Fatalf("NormalizePhone(%q) = %q holds %q", s, n, r)
			}
		}
		if digits < 5 || digits > 20 {
			t.Fatalf("NormalizePhone(%q) = %q has %d digits", s, n, digits)
		}
		if again, err := NormalizePhone(n, ""); err != nil || again != n {
			t.Fatalf("normalising %q again gives %q, %v", n, again, err)
		}
	})
}
