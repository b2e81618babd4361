package mail

import (
	"net/mail"
	"strings"
	"time"
)

// DefaultTimeout bounds dialing and each phase of a session when
// Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// implicitTLSPort is the submissions port (RFC 8314): TLS from the first
// byte, no STARTTLS.
const implicitTLSPort = 465

// Config is the SMTP server of the business (settings "smtp").
type Config struct {
	Host     string
	Port     int    // 25, 465 (implicit TLS), 587 ...
	Username string // empty: no AUTH
	Password string
	From     string // "Shop name <billing@shop.example>" or a bare address
	// StartTLS true requires STARTTLS and fails if the server lacks it.
	// False is plain SMTP: no opportunistic STARTTLS (see Send). Port 465
	// is implicit TLS whatever StartTLS says.
	StartTLS bool
	Timeout  time.Duration // bounds dialing and each phase; 0 means DefaultTimeout
}

// FieldError says which Config field is wrong and why. Field is the Go
// name of the field ("Host", "Port", ...).
type FieldError struct {
	Field, Message string
}

// FieldErrors are all that is wrong with a Config, in field order.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid SMTP settings: " + strings.Join(parts, "; ")
}

// Validate returns FieldErrors naming each wrong field, or nil.
func (c Config) Validate() error {
	var errs FieldErrors
	add := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }
	switch {
	case c.Host == "":
		add("Host", "required")
	case strings.ContainsAny(c.Host, " \t\r\n/@") || strings.HasPrefix(c.Host, "["):
		add("Host", "a host name or IP address, without scheme, port or brackets")
	}
	if c.Port < 1 || c.Port > 65535 {
		add("Port", "must be between 1 and 65535")
	}
	if c.Username != "" && c.Password == "" {
		add("Password", "required when a user name is set")
	}
	// A password must not cross the network in clear. go-mail's PLAIN and
	// LOGIN would refuse at send time anyway; saying so here tells the
	// person filling in the settings instead of failing every mail later.
	if c.Username != "" && !c.StartTLS && c.Port != implicitTLSPort && !loopback(c.Host) {
		add("StartTLS", "a password is sent only over TLS: turn on STARTTLS or use port 465")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		add("From", "must be an email address, such as billing@shop.example or Shop <billing@shop.example>")
	}
	if c.Timeout < 0 {
		add("Timeout", "must not be negative")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// loopback reports whether host is this machine, where a clear-text
// password does not leave it (a local relay). These are the names for
// which go-mail's PLAIN and LOGIN send a password without TLS.
func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}
