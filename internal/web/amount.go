package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// typedAmount turns an amount as people type it into a form ("1,000.00",
// "1 000.00", "１０００．００") into what money.Parse reads ("1000.00").
// Only the web forms do this; the API stays strict. Full-width digits and
// punctuation become ASCII, and the whole part may be grouped by threes
// with commas or spaces, one kind throughout. Anything else is left as it
// was, so that money.Parse refuses it with its own reason: a comma after
// fewer or more than three digits may be a decimal comma ("12,5"), and is
// never guessed at.
func typedAmount(s string) string {
	s = strings.TrimSpace(halfWidth(s))
	whole, frac, dot := strings.Cut(s, ".")
	sign := ""
	if strings.HasPrefix(whole, "-") {
		sign, whole = "-", whole[1:]
	}
	sep := ""
	for _, c := range []string{",", " "} {
		if strings.Contains(whole, c) {
			if sep != "" {
				return s
			}
			sep = c
		}
	}
	if sep == "" || strings.ContainsAny(frac, ", ") {
		return s
	}
	groups := strings.Split(whole, sep)
	for i, g := range groups {
		if !asciiDigits(g) || len(g) > 3 || (i > 0 && len(g) != 3) {
			return s
		}
	}
	out := sign + strings.Join(groups, "")
	if dot {
		out += "." + frac
	}
	return out
}

// halfWidth maps full-width digits, point, comma and minus to ASCII and
// every kind of space (no-break, thin, ideographic) to a plain one.
func halfWidth(s string) string {
	if isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．' || r == '。':
			return '.'
		case r == '，':
			return ','
		case r == '－' || r == '−':
			return '-'
		case r == '\u00a0' || r == '\u2009' || r == '\u202f' || r == '\u3000':
			return ' '
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// formAmount reads a positive amount of cur typed into a form field; the
// problem, if any, goes beside the field in the user's language.
func (q *request) formAmount(p *page, field, typed string, cur money.Currency) int64 {
	a, err := money.ParsePositive(typedAmount(typed), cur)
	switch {
	case errors.Is(err, money.ErrSyntax):
		// why.not_decimal says separators are refused, as they are by
		// the API; here they are not.
		p.Errs[field] = q.L.T("charge.amount_syntax")
	case err != nil:
		p.Errs[field] = q.amountMessage(field, err)
	}
	return a.Minor()
}

// otherCurrency is the currency select's choice "another code", which the
// field currency_other then gives.
const otherCurrency = "other"

// currencyChoice is a form's currency field: the currencies of the
// customer's accounts, the other currencies in use, and any ISO 4217 code
// typed besides.
type currencyChoice struct {
	Own      []string // the customer's accounts' currencies
	Others   []string // the other currencies in use
	Selected string   // the code chosen
	Typed    string   // the code typed into currency_other, when it is none of the listed
}

// currencyChoice reads the choice from f (or fallback, when f has none)
// and lists the currencies to offer around it.
func (web *Web) currencyChoice(q *request, f url.Values, accs []store.AccountRow, fallback string) (currencyChoice, error) {
	inUse, err := web.store.CurrenciesInUse(q.r.Context())
	if err != nil {
		return currencyChoice{}, err
	}
	var c currencyChoice
	for _, a := range accs {
		c.Own = append(c.Own, a.Currency.Code())
	}
	for _, code := range inUse {
		if !slices.Contains(c.Own, code) {
			c.Others = append(c.Others, code)
		}
	}
	c.Selected = chosenCurrency(f)
	if c.Selected == "" && f.Get("currency") != otherCurrency {
		c.Selected = fallback
	}
	if c.Selected != "" && !slices.Contains(c.Own, c.Selected) && !slices.Contains(c.Others, c.Selected) {
		c.Typed = strings.TrimSpace(f.Get("currency_other"))
		if c.Typed == "" {
			c.Typed = c.Selected
		}
	}
	return c, nil
}

// chosenCurrency is the code a form's currency field gives: one typed into
// currency_other wins (without scripts it is always on show, beside the
// select), in any case; else the select's.
func chosenCurrency(f url.Values) string {
	if s := strings.TrimSpace(f.Get("currency_other")); s != "" {
		return strings.ToUpper(s)
	}
	if s := f.Get("currency"); s != otherCurrency {
		return s
	}
	return ""
}

// formCurrency reads a form's currency; a missing or unknown code is said
// beside the field.
func (q *request) formCurrency(p *page, f url.Values) string {
	code := chosenCurrency(f)
	if code == "" {
		p.Errs["currency"] = q.L.T("why.required")
		return ""
	}
	if _, err := money.LookupCurrency(code); err != nil {
		p.Errs["currency"] = q.L.T("why.unknown_currency")
		return ""
	}
	return code
}
