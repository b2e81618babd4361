package ledger

import (
	"net/mail"
	"strings"

	"github.com/cofferhq/coffer/internal/money"
)

// NormalizeEmail trims and lower-cases an address and checks its form.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", InvalidBecause("email", "email", "is not a valid email address")
	}
	return s, nil
}

// NewCustomer holds the fields of a customer to create or to replace.
type NewCustomer struct {
	Name            string
	Phone           string
	Email           string
	Company         string
	Remark          string
	DefaultCurrency string
	Locale          string  // "" is English
	Notify          *Notify // nil: every notification on (AllNotify)
}

// Normalize validates c and returns it with phone and email normalised;
// region is the phone_region setting (NormalizePhone).
func (c NewCustomer) Normalize(region string) (NewCustomer, error) {
	var p problems
	p.text("name", c.Name, 200, true)
	p.text("company", c.Company, 200, false)
	p.text("remark", c.Remark, 1000, false)
	c.Name = strings.TrimSpace(c.Name)
	if c.Phone != "" {
		phone, err := NormalizePhone(c.Phone, region)
		if err != nil {
			p = append(p, err.(*ValidationError).Problems...)
		}
		c.Phone = phone
	}
	email, err := NormalizeEmail(c.Email)
	if err != nil {
		p = append(p, err.(*ValidationError).Problems...)
	}
	c.Email = email
	if c.Notify == nil {
		all := AllNotify
		c.Notify = &all
	}
	if c.Locale == "" {
		c.Locale = CustomerLocales[0]
	}
	if !ValidLocale(c.Locale) {
		p.because("locale", "locale", "must be en or zh-CN")
	}
	if c.DefaultCurrency != "" {
		if _, err := money.LookupCurrency(c.DefaultCurrency); err != nil {
			p.because("default_currency", "unknown_currency", err.Error())
		}
	}
	return c, p.err()
}

// ValidUsername checks an administrator's username: 1 to 100 ASCII
// letters, digits and ._@-, the same rule for the API, the web UI and the
// first super admin. Usernames are unique without regard to case.
func ValidUsername(u string) error {
	ok := u != "" && len(u) <= 100
	for i := 0; ok && i < len(u); i++ {
		c := u[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._@-", c) >= 0
	}
	if !ok {
		return InvalidBecause("username", "username", "must be 1 to 100 letters (a-z, A-Z), digits or . _ @ -")
	}
	return nil
}
