package ledger

import (
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Customer notifications (SPEC 10): mail to a customer about their money,
// written to an outbox in the transaction of the change it tells of and
// sent later by a worker (package notify).

// Kinds of notification; each is switched on and off by one of the
// customer's Notify toggles (NotifyToggle).
const (
	NotifyLowBalance    = "low_balance"    // the balance fell below the alert amount
	NotifyRecovered     = "recovered"      // and came back to it or above
	NotifyTopUpApproved = "topup_approved" // a top-up was credited
	NotifyTopUpRejected = "topup_rejected"
	NotifyAdjustment    = "adjustment" // staff changed the balance, with a note
	NotifyStatement     = "statement"  // last month's statement
)

// NotifyKinds are every kind, in the order the UI lists them.
var NotifyKinds = []string{NotifyLowBalance, NotifyRecovered, NotifyTopUpApproved, NotifyTopUpRejected, NotifyAdjustment, NotifyStatement}

// NotifyToggle is the customer's toggle (a column of customers) that lets
// notifications of kind go out.
func NotifyToggle(kind string) string {
	switch kind {
	case NotifyLowBalance, NotifyRecovered:
		return "low_balance"
	case NotifyTopUpApproved, NotifyTopUpRejected:
		return "topup"
	case NotifyAdjustment:
		return "adjustment"
	case NotifyStatement:
		return "statement"
	}
	return ""
}

// Notify is which notifications a customer wants; every one is on for a
// new customer, and none goes out without an email address.
type Notify struct {
	LowBalance bool `json:"low_balance"`
	TopUp      bool `json:"topup"`
	Adjustment bool `json:"adjustment"`
	Statement  bool `json:"statement"`
}

// AllNotify is every notification on: a new customer's choice.
var AllNotify = Notify{LowBalance: true, TopUp: true, Adjustment: true, Statement: true}

// CustomerLocales are the languages a customer's mail and statements come in.
var CustomerLocales = []string{"en", "zh-CN"}

// Notification statuses.
const (
	NotificationPending = "pending"
	NotificationSent    = "sent"
	NotificationFailed  = "failed"  // refused by the mail server, or every attempt failed
	NotificationSkipped = "skipped" // no mail server set up when it was due
)

// Why a notification was skipped: its LastError, a code the console
// translates.
const (
	SkippedNoServer   = "no_mail_server"  // no mail server was set up when it was due
	SkippedNothingNew = "nothing_to_tell" // a statement of accounts that neither moved nor held money
)

// SkipReasons are every skip code.
var SkipReasons = []string{SkippedNoServer, SkippedNothingNew}

// Notification is one message to a customer, sent or to be sent.
type Notification struct {
	ID            int64
	CustomerID    int64
	Kind          string
	Recipient     string // the customer's address when the change happened
	Locale        string
	Payload       string // JSON: the figures of the change
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	Subject       string // set when a worker composed it
	LastError     string // the server's or the network's words; for skipped, a SkipReasons code
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        *time.Time
}

// SMTP is the business's mail server (settings "smtp"). The password is
// kept, since the server needs it, and never shown: the API and the
// operation records see PasswordSet only.
type SMTP struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	From     string `json:"from"`
	StartTLS bool   `json:"starttls"`
}

// Configured says whether mail can be sent at all.
func (m SMTP) Configured() bool { return m.Host != "" }

// validate says which field of a configured server is wrong.
func (m SMTP) validate() []FieldProblem {
	if !m.Configured() {
		if m.From != "" || m.Username != "" || m.Port != 0 {
			return []FieldProblem{{Field: "smtp.host", Reason: "required", Message: "is required for sending mail"}}
		}
		return nil
	}
	var p []FieldProblem
	if len(m.Host) > 253 || strings.ContainsAny(m.Host, " /:@") {
		p = append(p, FieldProblem{Field: "smtp.host", Reason: "smtp_host", Message: "must be a host name or an IP address"})
	}
	if m.Port < 1 || m.Port > 65535 {
		p = append(p, FieldProblem{Field: "smtp.port", Reason: "port", Message: "must be 1 to 65535"})
	}
	if a, err := mail.ParseAddress(m.From); err != nil || a.Address == "" {
		p = append(p, FieldProblem{Field: "smtp.from", Reason: "email", Message: "must be an address such as billing@shop.example or Shop <billing@shop.example>"})
	}
	// A password never crosses the network in clear (the mail package
	// refuses to send it so, too): say it here, not in every failed mail.
	local := m.Host == "localhost" || m.Host == "127.0.0.1" || m.Host == "::1"
	if m.Username != "" && !m.StartTLS && m.Port != 465 && !local {
		p = append(p, FieldProblem{Field: "smtp.starttls", Reason: "smtp_clear", Message: "a password is sent only over TLS: turn on STARTTLS or use port 465"})
	}
	if len(m.Username) > 200 || len(m.Password) > 200 {
		p = append(p, FieldProblem{Field: "smtp.username", Reason: "too_long", Message: "username and password must be at most 200 characters", Params: []any{200}})
	}
	return p
}

// ValidLocale says whether lang is a customer language.
func ValidLocale(lang string) bool { return slices.Contains(CustomerLocales, lang) }
