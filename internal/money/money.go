// Package money holds amounts of money as integer minor units of an ISO 4217
// currency. Floats never appear: amounts enter and leave the program as
// decimal strings in the major unit ("12.50") and are int64 minor units
// (1250 cents) everywhere in between.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/bojanz/currency"
)

// Currency is a validated ISO 4217 currency code with its number of
// fraction digits (the exponent of its minor unit).
type Currency struct {
	code   string
	digits uint8
}

// ErrUnknownCurrency is returned for a code that is not an ISO 4217 currency.
var ErrUnknownCurrency = errors.New("unknown currency")

// LookupCurrency returns the currency for an upper-case ISO 4217 code.
// Lower-case codes are refused rather than guessed at, so that a stored code
// always has one spelling.
func LookupCurrency(code string) (Currency, error) {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return Currency{}, fmt.Errorf("%w %q: want a three-letter upper-case ISO 4217 code", ErrUnknownCurrency, code)
	}
	digits, ok := currency.GetDigits(code)
	if !ok {
		return Currency{}, fmt.Errorf("%w %q", ErrUnknownCurrency, code)
	}
	return Currency{code: code, digits: digits}, nil
}

// MustCurrency is LookupCurrency for codes known at compile time.
func MustCurrency(code string) Currency {
	c, err := LookupCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Code is the ISO 4217 code, e.g. "USD".
func (c Currency) Code() string { return c.code }

// Digits is the number of fraction digits: 2 for USD, 0 for JPY, 3 for KWD.
func (c Currency) Digits() int { return int(c.digits) }

// IsZero reports whether c is the zero Currency (no currency).
func (c Currency) IsZero() bool { return c.code == "" }

func (c Currency) String() string { return c.code }

// Amount is a quantity of one currency in its minor unit.
type Amount struct {
	minor int64
	cur   Currency
}

// New returns an amount of minor units of cur.
func New(minor int64, cur Currency) Amount { return Amount{minor: minor, cur: cur} }

// Minor is the amount in minor units (cents for USD).
func (a Amount) Minor() int64 { return a.minor }

// Currency is the amount's currency.
func (a Amount) Currency() Currency { return a.cur }

// IsZero, IsNegative and IsPositive compare the amount with zero.
func (a Amount) IsZero() bool     { return a.minor == 0 }
func (a Amount) IsNegative() bool { return a.minor < 0 }
func (a Amount) IsPositive() bool { return a.minor > 0 }

// Errors of arithmetic and parsing. Parse errors wrap one of these in a
// *ParseError, so callers can tell the reasons apart with errors.Is.
var (
	ErrOverflow         = errors.New("amount out of range")
	ErrCurrencyMismatch = errors.New("currencies differ")
	ErrEmpty            = errors.New("amount is empty")
	ErrSyntax           = errors.New("not a decimal number")
	ErrTooManyDecimals  = errors.New("too many decimal places")
	ErrNotPositive      = errors.New("amount must be greater than zero")
)

// Add returns a+b, or ErrOverflow instead of wrapping around.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.cur != b.cur {
		return Amount{}, fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.cur, b.cur)
	}
	s, err := AddMinor(a.minor, b.minor)
	return Amount{minor: s, cur: a.cur}, err
}

// Sub returns a-b, or ErrOverflow instead of wrapping around.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.cur != b.cur {
		return Amount{}, fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.cur, b.cur)
	}
	s, err := SubMinor(a.minor, b.minor)
	return Amount{minor: s, cur: a.cur}, err
}

// Neg returns -a. The most negative int64 has no positive counterpart.
func (a Amount) Neg() (Amount, error) {
	if a.minor == math.MinInt64 {
		return Amount{}, ErrOverflow
	}
	return Amount{minor: -a.minor, cur: a.cur}, nil
}

// AddMinor adds two minor-unit integers, failing rather than wrapping.
func AddMinor(a, b int64) (int64, error) {
	s := a + b
	// Overflow happened iff both operands have the same sign and the sum's differs.
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, ErrOverflow
	}
	return s, nil
}

// SubMinor subtracts two minor-unit integers, failing rather than wrapping.
func SubMinor(a, b int64) (int64, error) {
	if b == math.MinInt64 {
		if a >= 0 {
			return 0, ErrOverflow
		}
		return a - b, nil
	}
	return AddMinor(a, -b)
}

// String formats the amount exactly in the major unit, without a currency
// code: "12.50", "-0.05", "1200" (JPY), "1.250" (KWD).
func (a Amount) String() string { return FormatMinor(a.minor, a.cur.Digits()) }

// FormatMinor formats minor units with the given number of fraction digits.
func FormatMinor(minor int64, digits int) string {
	neg := minor < 0
	// Work on the unsigned magnitude so that MinInt64 formats correctly.
	u := uint64(minor)
	if neg {
		u = -u
	}
	s := fmt.Sprintf("%0*d", digits+1, u)
	if digits > 0 {
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseError says which input was refused and why.
type ParseError struct {
	Input  string
	Reason error
	Detail string
}

func (e *ParseError) Error() string {
	if e.Detail != "" {
		return e.Reason.Error() + ": " + e.Detail
	}
	return e.Reason.Error()
}

func (e *ParseError) Unwrap() error { return e.Reason }

// Parse reads a decimal string in the major unit of cur: digits, optionally
// one '.' and at most cur.Digits() fraction digits, optionally a leading '-'.
// It refuses, with a specific reason, what a careless parser would accept:
// exponents, '+', spaces, thousands separators, non-ASCII digits, a bare
// '.', more fraction digits than the currency has (no rounding), and values
// beyond int64 minor units.
func Parse(s string, cur Currency) (Amount, error) {
	if cur.IsZero() {
		return Amount{}, &ParseError{Input: s, Reason: ErrUnknownCurrency, Detail: "no currency given"}
	}
	fail := func(reason error, detail string) (Amount, error) {
		return Amount{}, &ParseError{Input: s, Reason: reason, Detail: detail}
	}
	if s == "" {
		return fail(ErrEmpty, "")
	}
	body := s
	neg := false
	switch body[0] {
	case '-':
		neg = true
		body = body[1:]
	case '+':
		return fail(ErrSyntax, "a leading '+' is not allowed")
	}
	intPart, fracPart, hasDot := strings.Cut(body, ".")
	if intPart == "" {
		return fail(ErrSyntax, "digits are required before the decimal point")
	}
	if hasDot && fracPart == "" {
		return fail(ErrSyntax, "digits are required after the decimal point")
	}
	if detail := badCharacter(intPart + fracPart); detail != "" {
		return fail(ErrSyntax, detail)
	}
	digits := cur.Digits()
	if len(fracPart) > digits {
		if digits == 0 {
			return fail(ErrTooManyDecimals, fmt.Sprintf("%s has no minor unit; decimals are not allowed", cur.code))
		}
		return fail(ErrTooManyDecimals, fmt.Sprintf("%s allows at most %d", cur.code, digits))
	}
	v, ok := minorUnits(intPart, fracPart, digits, neg)
	if !ok {
		return fail(ErrOverflow, "")
	}
	return Amount{minor: v, cur: cur}, nil
}

// badCharacter says what is wrong with the first character of digits (the
// number without its sign and decimal point) that is not an ASCII digit, or
// "" when there is none.
func badCharacter(digits string) string {
	for i := 0; i < len(digits); i++ {
		switch c := digits[i]; {
		case c >= '0' && c <= '9':
		case c == 'e' || c == 'E':
			return "exponents are not allowed"
		case c == '.':
			return "more than one decimal point"
		case c >= 0x80:
			return "only ASCII digits 0-9 are allowed"
		default:
			return fmt.Sprintf("unexpected character %q", c)
		}
	}
	return ""
}

// minorUnits reads checked digits as minor units, the fraction padded to
// digits places; ok is false beyond the int64 range. It accumulates as a
// negative number: the int64 range is one larger below zero.
func minorUnits(intPart, fracPart string, digits int, neg bool) (v int64, ok bool) {
	push := func(d byte) bool {
		if v < (math.MinInt64+int64(d-'0'))/10 {
			return false
		}
		v = v*10 - int64(d-'0')
		return true
	}
	for i := 0; i < len(intPart); i++ {
		if !push(intPart[i]) {
			return 0, false
		}
	}
	for i := 0; i < digits; i++ {
		d := byte('0')
		if i < len(fracPart) {
			d = fracPart[i]
		}
		if !push(d) {
			return 0, false
		}
	}
	if !neg {
		if v == math.MinInt64 {
			return 0, false
		}
		v = -v
	}
	return v, true
}

// ParsePositive is Parse for amounts that must be greater than zero, such
// as a charge or a top-up: a sign is refused rather than ignored.
func ParsePositive(s string, cur Currency) (Amount, error) {
	if strings.HasPrefix(s, "-") {
		return Amount{}, &ParseError{Input: s, Reason: ErrNotPositive, Detail: "no sign is allowed"}
	}
	a, err := Parse(s, cur)
	if err != nil {
		return Amount{}, err
	}
	if !a.IsPositive() {
		return Amount{}, &ParseError{Input: s, Reason: ErrNotPositive}
	}
	return a, nil
}

// FormatTotal formats an exact sum of minor units, which may lie beyond the
// int64 range that every single amount keeps to (report totals).
func FormatTotal(total *big.Int, digits int) string {
	if total.IsInt64() {
		return FormatMinor(total.Int64(), digits)
	}
	s := new(big.Int).Abs(total).String()
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	if digits > 0 {
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if total.Sign() < 0 {
		s = "-" + s
	}
	return s
}
