package ledger

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// WebhookEventTypes are the events a webhook may ask for. Keep in step with
// the s.event calls: a type nobody writes would never arrive.
var WebhookEventTypes = []string{
	"topup.submitted", "topup.approved", "topup.rejected",
	"transaction.posted", "account.below_alert",
	"hold.created", "hold.captured", "hold.released", "hold.expired",
}

// NewWebhook is a webhook to register. An empty Secret makes Coffer
// generate one.
type NewWebhook struct {
	URL         string
	Events      []string
	Secret      string
	Description string
}

// Validate checks a webhook to register and returns its event types
// without repeats, in the order of WebhookEventTypes.
func (n NewWebhook) Validate() ([]string, error) {
	var p []FieldProblem
	if msg := webhookURLProblem(n.URL); msg != "" {
		p = append(p, FieldProblem{Field: "url", Message: msg})
	}
	known := strings.Join(WebhookEventTypes, ", ")
	if len(n.Events) == 0 {
		p = append(p, FieldProblem{Field: "events", Message: "name at least one event type: " + known})
	}
	for _, e := range n.Events {
		switch {
		case strings.Contains(e, "*"):
			p = append(p, FieldProblem{Field: "events", Message: "wildcards are not accepted: name each event type (" + known + ")"})
		case !slices.Contains(WebhookEventTypes, e):
			p = append(p, FieldProblem{Field: "events", Message: fmt.Sprintf("unknown event type %q; known: %s", e, known)})
		}
	}
	if n.Secret != "" {
		ok := len(n.Secret) >= 16 && len(n.Secret) <= 256
		for _, r := range n.Secret {
			if r < 0x21 || r > 0x7e {
				ok = false
			}
		}
		if !ok {
			p = append(p, FieldProblem{Field: "secret", Message: "must be 16 to 256 printable ASCII characters without spaces, or left out to have one generated"})
		}
	}
	if len([]rune(n.Description)) > 500 {
		p = append(p, FieldProblem{Field: "description", Message: "is longer than 500 characters"})
	}
	if p != nil {
		return nil, &ValidationError{Problems: p}
	}
	var events []string
	for _, e := range WebhookEventTypes {
		if slices.Contains(n.Events, e) {
			events = append(events, e)
		}
	}
	return events, nil
}

// webhookURLProblem says what is wrong with a webhook URL, or "".
func webhookURLProblem(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > 2000 {
		return "is longer than 2000 characters"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "":
		return "is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http:// or https:// URL"
	case u.Hostname() == "":
		return "must name a host"
	case u.User != nil:
		// It would show in lists and in the operation record; the signature
		// is what proves to the receiver that Coffer sent the request.
		return "must not carry a user name or password; verify the signature instead"
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return "must not have a #fragment"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	return ""
}

// MaxWebhookGraceHours bounds how long a rotated-out secret still signs;
// DefaultWebhookGraceHours gives receivers a working day to switch.
const (
	MaxWebhookGraceHours     = 168
	DefaultWebhookGraceHours = 24
)

// WebhookRotation replaces a webhook's secret. An empty Secret makes Coffer
// generate one; during GraceHours the previous secret signs too.
type WebhookRotation struct {
	GraceHours int
	Secret     string
}

// Validate checks a rotation, naming grace_hours or secret.
func (r WebhookRotation) Validate() error {
	var p []FieldProblem
	if r.GraceHours < 0 || r.GraceHours > MaxWebhookGraceHours {
		p = append(p, FieldProblem{Field: "grace_hours", Message: "must be 0 to 168 hours"})
	}
	if r.Secret != "" {
		if _, err := (NewWebhook{URL: "https://x.example", Events: WebhookEventTypes[:1], Secret: r.Secret}).Validate(); err != nil {
			p = append(p, FieldProblem{Field: "secret", Message: "must be 16 to 256 printable ASCII characters without spaces, or left out to have one generated"})
		}
	}
	if p != nil {
		return &ValidationError{Problems: p}
	}
	return nil
}
