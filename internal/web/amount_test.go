package web

import "testing"

// TestTypedAmount: what people type becomes what money.Parse reads, and
// what could mean two things is left for money.Parse to refuse.
func TestTypedAmount(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1000.00", "1000.00"},
		{" 1,000.00 ", "1000.00"},
		{"1 000.00", "1000.00"},
		{"1\u00a0000\u202f000", "1000000"},
		{"12,345,678.9", "12345678.9"},
		{"１，０００．５０", "1000.50"},
		{"-1,000", "-1000"},
		{"999", "999"},
		{"12,5", "12,5"},           // a decimal comma, perhaps: refused, not read as 125
		{"1,00.00", "1,00.00"},     // groups of three only
		{"1,000 000", "1,000 000"}, // one kind of separator
		{",100", ",100"},
		{"1,000.00,0", "1,000.00,0"},
		{"1.000,00", "1.000,00"},
		{"", ""},
	} {
		if got := typedAmount(c.in); got != c.want {
			t.Errorf("typedAmount(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
