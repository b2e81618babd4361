package mail_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/mail"
)

func TestValidate(t *testing.T) {
	ok := mail.Config{Host: "smtp.shop.example", Port: 587, Username: "billing", Password: "secret",
		From: "Lotus Tea House <billing@shop.example>", StartTLS: true}
	for _, tc := range []struct {
		name   string
		change func(c *mail.Config)
		fields []string // the fields named wrong; none means valid
	}{
		{"OK", func(c *mail.Config) {}, nil},
		{"OK bare From", func(c *mail.Config) { c.From = "billing@shop.example" }, nil},
		{"OK implicit TLS", func(c *mail.Config) { c.Port, c.StartTLS = 465, false }, nil},
		{"OK no AUTH in plain", func(c *mail.Config) { c.Port, c.StartTLS, c.Username, c.Password = 25, false, "", "" }, nil},
		{"OK local relay with password", func(c *mail.Config) { c.Host, c.Port, c.StartTLS = "127.0.0.1", 25, false }, nil},
		{"OK IPv6 host", func(c *mail.Config) { c.Host = "2001:db8::25" }, nil},
		{"OK timeout", func(c *mail.Config) { c.Timeout = 5 * time.Second }, nil},
		{"no host", func(c *mail.Config) { c.Host = "" }, []string{"Host"}},
		{"URL for host", func(c *mail.Config) { c.Host = "smtp://smtp.shop.example" }, []string{"Host"}},
		{"host with space", func(c *mail.Config) { c.Host = "smtp shop" }, []string{"Host"}},
		{"port 0", func(c *mail.Config) { c.Port = 0 }, []string{"Port"}},
		{"port 65536", func(c *mail.Config) { c.Port = 65536 }, []string{"Port"}},
		{"no From", func(c *mail.Config) { c.From = "" }, []string{"From"}},
		{"From not an address", func(c *mail.Config) { c.From = "Lotus Tea House" }, []string{"From"}},
		{"user without password", func(c *mail.Config) { c.Password = "" }, []string{"Password"}},
		{"password in clear", func(c *mail.Config) { c.Port, c.StartTLS = 25, false }, []string{"StartTLS"}},
		{"negative timeout", func(c *mail.Config) { c.Timeout = -time.Second }, []string{"Timeout"}},
		{"several", func(c *mail.Config) { c.Host, c.Port, c.From = "", -1, "x" }, []string{"Host", "Port", "From"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe mail.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want FieldErrors", err)
			}
			var got []string
			for _, f := range fe {
				if f.Message == "" {
					t.Errorf("%s has no message", f.Field)
				}
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}
