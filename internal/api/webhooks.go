package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/webhook"
)

// Webhooks (SPEC sections 2 "Integration" and 3): super admins register
// receivers for events; the worker in package webhook delivers them. The
// operators' side (headers, signature, retries) is in docs/webhooks.md.

// WebhookJSON is a registered receiver of events, without its secret.
type WebhookJSON struct {
	ID          string    `json:"id" example:"42"`
	URL         string    `json:"url" example:"https://erp.example.com/coffer/events"`
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	CreatedBy   string    `json:"created_by" example:"2"`
	CreatedAt   time.Time `json:"created_at"`
}

func webhookJSON(w store.Webhook) WebhookJSON {
	j := WebhookJSON{ID: idString(w.ID), URL: w.URL, Events: w.Events, Description: w.Description,
		CreatedBy: idString(w.CreatedBy), CreatedAt: utc(w.CreatedAt)}
	if j.Events == nil {
		j.Events = []string{}
	}
	return j
}

// ListWebhooksInput is a page of the webhooks.
type ListWebhooksInput struct{ Page }

// WebhooksOutput is a page of webhooks, newest first.
type WebhooksOutput struct{ Body List[WebhookJSON] }

// NewWebhookInput registers a receiver for the events it names.
type NewWebhookInput struct {
	Body struct {
		URL         string   `json:"url" doc:"Where to POST events: an http:// or https:// URL." example:"https://erp.example.com/coffer/events"`
		Events      []string `json:"events" doc:"The event types wanted, each named: topup.submitted, topup.approved, topup.rejected, transaction.posted, account.below_alert."`
		Secret      string   `json:"secret,omitempty" doc:"The signing secret, 16 to 256 printable ASCII characters; left out, Coffer generates one."`
		Description string   `json:"description,omitempty"`
	}
}

// NewWebhookOutput is a new webhook with its signing secret, which no later
// answer shows.
type NewWebhookOutput struct {
	Body struct {
		WebhookJSON
		Secret string `json:"secret" doc:"The signing secret, shown this once only."`
	}
}

// WebhookIDInput names one webhook.
type WebhookIDInput struct {
	ID string `path:"id"`
}

// AttemptJSON is one attempt to deliver an event.
type AttemptJSON struct {
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS float64   `json:"duration_ms"`
	StatusCode *int      `json:"status_code" doc:"The receiver's HTTP status; null when no answer came."`
	Error      string    `json:"error" doc:"What went wrong; empty for a 2xx answer."`
}

// DeliveryJSON is one event sent, or to be sent, to a webhook, with every
// attempt.
type DeliveryJSON struct {
	ID             string        `json:"id" doc:"Sent as the Coffer-Delivery header; the same in every retry of it." example:"42"`
	WebhookID      string        `json:"webhook_id" example:"5"`
	EventID        string        `json:"event_id" doc:"The id in the body, and in the webhook-id header as evt_<id>; a redelivery sends the same." example:"1024"`
	EventType      string        `json:"event_type"`
	RedeliveryOf   *string       `json:"redelivery_of" doc:"The delivery a manual redelivery repeats."`
	Status         string        `json:"status" enum:"pending,delivered,failed,cancelled"`
	Attempts       int           `json:"attempts" doc:"How many attempts were made."`
	LastStatusCode *int          `json:"last_status_code"`
	LastError      string        `json:"last_error"`
	NextAttemptAt  *time.Time    `json:"next_attempt_at" doc:"When a pending delivery is tried next."`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	DeliveredAt    *time.Time    `json:"delivered_at"`
	AttemptLog     []AttemptJSON `json:"attempt_log" doc:"Every attempt, oldest first."`
}

// optCode is an HTTP status code, null when no answer came.
func optCode(c int) *int {
	if c == 0 {
		return nil
	}
	return &c
}

func deliveryJSON(d store.Delivery) DeliveryJSON {
	j := DeliveryJSON{ID: idString(d.ID), WebhookID: idString(d.WebhookID), EventID: idString(d.EventID), EventType: d.EventType,
		RedeliveryOf: optID(d.RedeliveryOf), Status: d.Status, Attempts: d.Attempts, LastStatusCode: optCode(d.LastStatusCode),
		LastError: d.LastError, NextAttemptAt: optTime(d.NextAttemptAt), CreatedAt: utc(d.CreatedAt), UpdatedAt: utc(d.UpdatedAt),
		DeliveredAt: optTime(d.DeliveredAt), AttemptLog: []AttemptJSON{}}
	for _, a := range d.Log {
		j.AttemptLog = append(j.AttemptLog, AttemptJSON{Attempt: a.Attempt, StartedAt: utc(a.StartedAt),
			DurationMS: float64(a.Duration.Microseconds()) / 1000, StatusCode: optCode(a.StatusCode), Error: a.Error})
	}
	return j
}

// ListDeliveriesInput names the webhook whose deliveries to list.
type ListDeliveriesInput struct {
	Page
	ID     string `path:"id"`
	Status string `query:"status" enum:"pending,delivered,failed,cancelled,"`
}

// DeliveriesOutput is a page of deliveries, newest first.
type DeliveriesOutput struct{ Body List[DeliveryJSON] }

// RedeliverInput names the delivery whose event to send again.
type RedeliverInput struct {
	ID         string `path:"id"`
	DeliveryID string `path:"delivery_id"`
}

// DeliveryOutput is one delivery.
type DeliveryOutput struct{ Body DeliveryJSON }

func (a *API) registerWebhooks() {
	tags := []string{"webhooks"}
	register(a, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: "/webhooks", Tags: tags,
		Summary: "List webhooks, newest first", Description: "Secrets are not shown: only the answer that created a webhook has its secret."}, auth.ActSystem,
		a.listWebhooks)
	register(a, huma.Operation{OperationID: "create-webhook", Method: http.MethodPost, Path: "/webhooks", Tags: tags,
		Summary: "Register a webhook",
		Description: "Events of the named types that happen from now on are POSTed to the URL, signed with the secret " +
			"(see docs/webhooks.md). The secret is in this answer only."}, auth.ActSystem, a.createWebhook)
	register(a, huma.Operation{OperationID: "delete-webhook", Method: http.MethodDelete, Path: "/webhooks/{id}", Tags: tags,
		Summary: "Delete a webhook", Description: "Nothing more is sent to it; its deliveries still waiting are cancelled.",
		DefaultStatus: http.StatusNoContent}, auth.ActSystem, a.deleteWebhook)
	register(a, huma.Operation{OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: "/webhooks/{id}/deliveries", Tags: tags,
		Summary: "A webhook's delivery log, newest first", Description: "Each delivery with its status and every attempt: " +
			"when, how long, the receiver's status code and the error."}, auth.ActSystem, a.listWebhookDeliveries)
	register(a, huma.Operation{OperationID: "redeliver-webhook-delivery", Method: http.MethodPost,
		Path: "/webhooks/{id}/deliveries/{delivery_id}/redeliver", Tags: tags,
		Summary: "Send a delivery's event again",
		Description: "Queues a new delivery of the same event (the same event id in the body and webhook-id header, a new Coffer-Delivery), " +
			"sent at once with its own attempts and log.",
		DefaultStatus: http.StatusAccepted}, auth.ActSystem, a.redeliver)
	register(a, huma.Operation{OperationID: "ping-webhook", Method: http.MethodPost, Path: "/webhooks/{id}/ping", Tags: tags,
		Summary: "Send a test event to one webhook",
		Description: "Queues a webhook.ping event for this webhook only, sent at once and signed like any other, " +
			"so that the receiver's owner can check that deliveries arrive and verify. Its delivery is in the log.",
		DefaultStatus: http.StatusAccepted}, auth.ActSystem, a.pingWebhook)
	register(a, huma.Operation{OperationID: "rotate-webhook-secret", Method: http.MethodPost, Path: "/webhooks/{id}/rotate-secret", Tags: tags,
		Summary: "Replace a webhook's signing secret",
		Description: "The new secret is in this answer only. For grace_hours after the rotation every delivery carries two " +
			"signatures, one with each secret (webhook-signature: v1,<new> v1,<old>), so that receivers can switch " +
			"to the new secret without missing a delivery.",
		DefaultStatus: http.StatusOK}, auth.ActSystem, a.rotateWebhookSecret)
}

// RotateSecretInput replaces a webhook's secret.
type RotateSecretInput struct {
	ID   string `path:"id"`
	Body struct {
		GraceHours *int   `json:"grace_hours,omitempty" doc:"How long the previous secret still signs, 0 to 168 hours (default 24)." example:"24"`
		Secret     string `json:"secret,omitempty" doc:"The new secret, 16 to 256 printable ASCII characters; left out, Coffer generates one."`
	}
}

// RotateSecretOutput is the new secret, shown this once.
type RotateSecretOutput struct {
	Body struct {
		Secret             string    `json:"secret" doc:"The new signing secret, shown this once only." example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`
		PreviousValidUntil time.Time `json:"previous_valid_until" doc:"Until when deliveries are signed with the previous secret too."`
	}
}

func (a *API) pingWebhook(ctx context.Context, in *WebhookIDInput) (*DeliveryOutput, error) {
	id, err := parseID(in.ID, "webhook")
	if err != nil {
		return nil, err
	}
	d, err := a.store.PingWebhook(ctx, callerOf(ctx).actor(), id)
	if err != nil {
		return nil, err
	}
	return &DeliveryOutput{Body: deliveryJSON(d)}, nil
}

func (a *API) rotateWebhookSecret(ctx context.Context, in *RotateSecretInput) (*RotateSecretOutput, error) {
	id, err := parseID(in.ID, "webhook")
	if err != nil {
		return nil, err
	}
	r := ledger.WebhookRotation{GraceHours: ledger.DefaultWebhookGraceHours, Secret: in.Body.Secret}
	if in.Body.GraceHours != nil {
		r.GraceHours = *in.Body.GraceHours
	}
	secret, until, err := a.store.RotateWebhookSecret(ctx, callerOf(ctx).actor(), id, r)
	if err != nil {
		return nil, err
	}
	out := &RotateSecretOutput{}
	out.Body.Secret, out.Body.PreviousValidUntil = secret, utc(until)
	return out, nil
}

func (a *API) listWebhooks(ctx context.Context, in *ListWebhooksInput) (*WebhooksOutput, error) {
	l, err := pageBefore(ctx, in.Page, a.store.Webhooks, func(h store.Webhook) int64 { return h.ID }, webhookJSON)
	return &WebhooksOutput{Body: l}, err
}

func (a *API) createWebhook(ctx context.Context, in *NewWebhookInput) (*NewWebhookOutput, error) {
	b := in.Body
	n := ledger.NewWebhook{URL: b.URL, Events: b.Events, Secret: b.Secret, Description: b.Description}
	if _, err := n.Validate(); err != nil {
		return nil, err
	}
	if err := webhook.CheckRegistration(ctx, b.URL, a.hooksPrivate); err != nil {
		return nil, err
	}
	h, secret, err := a.store.CreateWebhook(ctx, callerOf(ctx).actor(), n)
	if err != nil {
		return nil, err
	}
	out := &NewWebhookOutput{}
	out.Body.WebhookJSON, out.Body.Secret = webhookJSON(h), secret
	return out, nil
}

func (a *API) deleteWebhook(ctx context.Context, in *WebhookIDInput) (*struct{}, error) {
	id, err := parseID(in.ID, "webhook")
	if err != nil {
		return nil, err
	}
	return nil, a.store.DeleteWebhook(ctx, callerOf(ctx).actor(), id)
}

func (a *API) listWebhookDeliveries(ctx context.Context, in *ListDeliveriesInput) (*DeliveriesOutput, error) {
	f := store.DeliveryFilter{Status: in.Status}
	var err error
	if f.WebhookID, err = parseID(in.ID, "webhook"); err != nil {
		return nil, err
	}
	if f.Limit, f.BeforeID, err = in.window(); err != nil {
		return nil, err
	}
	ds, err := a.store.WebhookDeliveries(ctx, f)
	return &DeliveriesOutput{Body: pageOf(ds, f.Limit, deliveryJSON, func() int64 { return ds[len(ds)-1].ID })}, err
}

func (a *API) redeliver(ctx context.Context, in *RedeliverInput) (*DeliveryOutput, error) {
	id, err := parseID(in.ID, "webhook")
	if err != nil {
		return nil, err
	}
	did, err := parseID(in.DeliveryID, "delivery")
	if err != nil {
		return nil, err
	}
	d, err := a.store.Redeliver(ctx, callerOf(ctx).actor(), id, did)
	if err != nil {
		return nil, err
	}
	return &DeliveryOutput{Body: deliveryJSON(d)}, nil
}
