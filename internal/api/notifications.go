package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// Customer notifications (SPEC 10): the delivery log of the mail Coffer
// sends customers, and a test message for the mail settings.

// NotificationJSON is one message to a customer and what became of it.
type NotificationJSON struct {
	ID            string     `json:"id" example:"17"`
	CustomerID    string     `json:"customer_id" example:"42"`
	Kind          string     `json:"kind" enum:"low_balance,recovered,topup_approved,topup_rejected,adjustment,statement"`
	Recipient     string     `json:"recipient" doc:"The customer's address when the change happened." example:"accounts@mingde.example"`
	Locale        string     `json:"locale" enum:"en,zh-CN"`
	Status        string     `json:"status" enum:"pending,sent,failed,skipped" doc:"skipped: no mail server was set up when it was due."`
	Attempts      int        `json:"attempts" example:"1"`
	NextAttemptAt *time.Time `json:"next_attempt_at" doc:"When a pending message is tried next."`
	Subject       string     `json:"subject" doc:"Set once a worker composed it." example:"Your balance is below 100.00 CNY"`
	LastError     string     `json:"last_error" doc:"What the mail server or the network said last time, if it failed; for skipped, why: no_mail_server or nothing_to_tell."`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
}

func notificationJSON(n ledger.Notification) NotificationJSON {
	return NotificationJSON{ID: idString(n.ID), CustomerID: idString(n.CustomerID), Kind: n.Kind, Recipient: n.Recipient, Locale: n.Locale,
		Status: n.Status, Attempts: n.Attempts, NextAttemptAt: optTime(n.NextAttemptAt), Subject: n.Subject, LastError: n.LastError,
		CreatedAt: utc(n.CreatedAt), SentAt: optTime(n.SentAt)}
}

// ListNotificationsInput filters the delivery log; filters combine.
type ListNotificationsInput struct {
	Page
	CustomerID string `query:"customer_id" doc:"One customer's messages." example:"42"`
	Status     string `query:"status" enum:"pending,sent,failed,skipped," doc:"Only messages in this state."`
	Kind       string `query:"kind" enum:"low_balance,recovered,topup_approved,topup_rejected,adjustment,statement," doc:"Only messages of this kind."`
}

// NotificationsOutput is a page of the log, newest first.
type NotificationsOutput struct{ Body List[NotificationJSON] }

// TestMailInput names where a test message goes.
type TestMailInput struct {
	Body struct {
		To string `json:"to" maxLength:"254" doc:"An address to send the test message to." example:"ops@mingde.example"`
	}
}

// TestMailOutput says the mail server took the message.
type TestMailOutput struct {
	Body struct {
		Sent bool `json:"sent" doc:"The mail server accepted the message."`
	}
}

func (a *API) registerNotifications() {
	register(a, huma.Operation{OperationID: "list-notifications", Method: http.MethodGet, Path: "/notifications", Tags: []string{"customers"},
		Summary:     "The log of mail sent to customers",
		Description: "Newest first: low-balance and recovered notices, top-up decisions, adjustments and monthly statements, each with its state and last error."},
		auth.ActView, a.listNotifications)
	register(a, huma.Operation{OperationID: "send-test-mail", Method: http.MethodPost, Path: "/settings/test-mail", Tags: []string{"settings"},
		Summary: "Send a test message through the mail settings", DefaultStatus: http.StatusOK,
		Description: "Sends at once, not through the outbox: the answer says whether the server took it, " +
			"or 422 mail_failed with what the server or the network said.", Errors: []int{422}}, auth.ActSystem, a.sendTestMail)
}

func (a *API) listNotifications(ctx context.Context, in *ListNotificationsInput) (*NotificationsOutput, error) {
	limit, before, err := in.window()
	if err != nil {
		return nil, err
	}
	f := store.NotificationFilter{Status: in.Status, Kind: in.Kind, AfterID: before, Limit: limit}
	if in.CustomerID != "" {
		if f.CustomerID, err = parseID(in.CustomerID, "customer"); err != nil {
			return nil, invalid("customer_id", "is not a customer id")
		}
	}
	ns, err := a.store.Notifications(ctx, f)
	return &NotificationsOutput{Body: pageOf(ns, limit, notificationJSON, func() int64 { return ns[len(ns)-1].ID })}, err
}

func (a *API) sendTestMail(ctx context.Context, in *TestMailInput) (*TestMailOutput, error) {
	to, err := ledger.NormalizeEmail(in.Body.To)
	if err != nil || to == "" {
		return nil, ledger.InvalidBecause("to", "email", "is not a valid email address")
	}
	if a.testMail == nil {
		return nil, ledger.InvalidBecause("to", "mail_off", "this server sends no mail")
	}
	if err := a.testMail(ctx, to); err != nil {
		return nil, ledger.InvalidBecause("smtp", "mail_failed", "the message was not sent: "+err.Error())
	}
	out := &TestMailOutput{}
	out.Body.Sent = true
	return out, nil
}
