package money

import (
	"errors"
	"math"
	"testing"
)

var (
	usd = MustCurrency("USD")
	jpy = MustCurrency("JPY")
	kwd = MustCurrency("KWD")
)

func TestLookupCurrency(t *testing.T) {
	for _, tc := range []struct {
		code   string
		digits int
		ok     bool
	}{
		{"USD", 2, true}, {"JPY", 0, true}, {"KWD", 3, true}, {"CNY", 2, true}, {"EUR", 2, true},
		{"usd", 0, false}, {"", 0, false}, {"XYZ", 0, false}, {"US", 0, false}, {"USDD", 0, false},
	} {
		c, err := LookupCurrency(tc.code)
		if tc.ok != (err == nil) {
			t.Errorf("LookupCurrency(%q) err = %v, want ok=%v", tc.code, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("LookupCurrency(%q) err = %v, want ErrUnknownCurrency", tc.code, err)
		}
		if tc.ok && c.Digits() != tc.digits {
			t.Errorf("%s digits = %d, want %d", tc.code, c.Digits(), tc.digits)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in    string
		cur   Currency
		minor int64
		err   error
	}{
		{"12.50", usd, 1250, nil},
		{"12.5", usd, 1250, nil},
		{"12", usd, 1200, nil},
		{"0.01", usd, 1, nil},
		{"-0.05", usd, -5, nil},
		{"0", usd, 0, nil},
		{"007.50", usd, 750, nil},
		{"1200", jpy, 1200, nil},
		{"1.250", kwd, 1250, nil},
		{"92233720368547758.07", usd, math.MaxInt64, nil},
		{"-92233720368547758.08", usd, math.MinInt64, nil},
		{"9223372036854775807", jpy, math.MaxInt64, nil},

		{"", usd, 0, ErrEmpty},
		{"-", usd, 0, ErrSyntax},
		{"1e3", usd, 0, ErrSyntax},
		{"1E3", usd, 0, ErrSyntax},
		{"+5", usd, 0, ErrSyntax},
		{" 5", usd, 0, ErrSyntax},
		{"5 ", usd, 0, ErrSyntax},
		{"1,000.00", usd, 0, ErrSyntax},
		{".5", usd, 0, ErrSyntax},
		{"5.", usd, 0, ErrSyntax},
		{"1.2.3", usd, 0, ErrSyntax},
		{"--5", usd, 0, ErrSyntax},
		{"0x10", usd, 0, ErrSyntax},
		{"NaN", usd, 0, ErrSyntax},
		{"Inf", usd, 0, ErrSyntax},
		{"١٢", usd, 0, ErrSyntax},     // Arabic-Indic digits
		{"１２", usd, 0, ErrSyntax},     // full-width digits
		{"12\x00", usd, 0, ErrSyntax}, // NUL byte
		{"12.505", usd, 0, ErrTooManyDecimals},
		{"12.50", jpy, 0, ErrTooManyDecimals},
		{"1.0", jpy, 0, ErrTooManyDecimals},
		{"1.2345", kwd, 0, ErrTooManyDecimals},
		{"92233720368547758.08", usd, 0, ErrOverflow},
		{"-92233720368547758.09", usd, 0, ErrOverflow},
		{"9223372036854775808", jpy, 0, ErrOverflow},
		{"99999999999999999999999999", usd, 0, ErrOverflow},
		{"5", Currency{}, 0, ErrUnknownCurrency},
	} {
		a, err := Parse(tc.in, tc.cur)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Parse(%q, %s) err = %v, want %v", tc.in, tc.cur, err, tc.err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("Parse(%q) err %T is not a *ParseError", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q, %s) err = %v", tc.in, tc.cur, err)
			continue
		}
		if a.Minor() != tc.minor || a.Currency() != tc.cur {
			t.Errorf("Parse(%q, %s) = %d %s, want %d", tc.in, tc.cur, a.Minor(), a.Currency(), tc.minor)
		}
	}
}

func TestParsePositive(t *testing.T) {
	if a, err := ParsePositive("0.01", usd); err != nil || a.Minor() != 1 {
		t.Fatalf("ParsePositive(0.01) = %v, %v", a, err)
	}
	for _, in := range []string{"0", "0.00", "-1", "-0"} {
		if _, err := ParsePositive(in, usd); !errors.Is(err, ErrNotPositive) {
			t.Errorf("ParsePositive(%q) err = %v, want ErrNotPositive", in, err)
		}
	}
	if _, err := ParsePositive("1e2", usd); !errors.Is(err, ErrSyntax) {
		t.Errorf("ParsePositive(1e2) err = %v, want ErrSyntax", err)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		a    Amount
		want string
	}{
		{New(1250, usd), "12.50"},
		{New(5, usd), "0.05"},
		{New(-5, usd), "-0.05"},
		{New(0, usd), "0.00"},
		{New(1200, jpy), "1200"},
		{New(-7, jpy), "-7"},
		{New(1250, kwd), "1.250"},
		{New(math.MaxInt64, usd), "92233720368547758.07"},
		{New(math.MinInt64, usd), "-92233720368547758.08"},
		{New(math.MinInt64, jpy), "-9223372036854775808"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%d %s formats as %q, want %q", tc.a.Minor(), tc.a.Currency(), got, tc.want)
		}
	}
}

func TestArithmeticOverflow(t *testing.T) {
	max := New(math.MaxInt64, usd)
	if _, err := max.Add(New(1, usd)); !errors.Is(err, ErrOverflow) {
		t.Errorf("MaxInt64+1 err = %v, want ErrOverflow", err)
	}
	min := New(math.MinInt64, usd)
	if _, err := min.Sub(New(1, usd)); !errors.Is(err, ErrOverflow) {
		t.Errorf("MinInt64-1 err = %v, want ErrOverflow", err)
	}
	if _, err := min.Neg(); !errors.Is(err, ErrOverflow) {
		t.Errorf("-MinInt64 err = %v, want ErrOverflow", err)
	}
	if _, err := New(0, usd).Sub(min); !errors.Is(err, ErrOverflow) {
		t.Errorf("0-MinInt64 err = %v, want ErrOverflow", err)
	}
	if got, err := New(-1, usd).Sub(min); err != nil || got.Minor() != math.MaxInt64 {
		t.Errorf("-1-MinInt64 = %v, %v, want MaxInt64", got, err)
	}
	if _, err := New(1, usd).Add(New(1, jpy)); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("USD+JPY err = %v, want ErrCurrencyMismatch", err)
	}
	if got, err := New(150, usd).Add(New(-200, usd)); err != nil || got.Minor() != -50 {
		t.Errorf("1.50 + -2.00 = %v, %v", got, err)
	}
}

// FuzzParse checks that whatever Parse accepts formats back to a string that
// parses to the same amount, and that the accepted text is plain ASCII decimal.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.50", "-0.05", "1e3", "", "92233720368547758.08", "١٢", "0.001", "+1", "5."} {
		f.Add(s, uint8(2))
	}
	f.Add("1200", uint8(0))
	f.Add("1.250", uint8(3))
	curs := []Currency{jpy, usd, usd, kwd}
	f.Fuzz(func(t *testing.T, s string, which uint8) {
		cur := curs[int(which)%len(curs)]
		a, err := Parse(s, cur)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T is not a *ParseError", s, err)
			}
			return
		}
		for _, r := range s {
			if !(r == '-' || r == '.' || (r >= '0' && r <= '9')) {
				t.Fatalf("Parse accepted %q with rune %q", s, r)
			}
		}
		back, err := Parse(a.String(), cur)
		if err != nil || back != a {
			t.Fatalf("round trip of %q: %q parsed as %v, %v", s, a.String(), back, err)
		}
	})
}
