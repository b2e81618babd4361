// Package webhook delivers Coffer's events to the webhooks a super admin
// registered. A Worker runs in every `coffer serve`: it fans new events out
// to deliveries, claims due deliveries under a lease (so that workers of
// several instances on one PostgreSQL never send the same one at once),
// sends each as a signed POST with no database transaction open, and logs
// the attempt; a failed attempt is tried again later with exponential
// back-off and jitter, until MaxAttempts.
//
// Delivery is at least once: a worker that dies after the receiver answered
// but before the answer was recorded leaves the delivery to be sent again
// when its lease runs out. Receivers deduplicate by the event id in the body
// (a manual redelivery repeats it too), which is also the webhook-id header.
// Requests are signed as Standard Webhooks sign them (sign.go).
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer/webhooksig"

	"github.com/cofferhq/coffer/internal/backoff"
	"github.com/cofferhq/coffer/internal/store"
)

// Options tune a Worker. The zero value is right for production; tests
// inject a clock and short intervals.
type Options struct {
	// Now is the clock for due times, leases and the webhook-timestamp
	// header (default time.Now).
	Now func() time.Time
	// Interval is how long Run waits when there was nothing to do (default 1s).
	Interval time.Duration
	// Batch is how many deliveries one round claims and sends at once
	// (default 20).
	Batch int
	// Timeout bounds one HTTP attempt, connecting to reading the answer
	// (default 10s).
	Timeout time.Duration
	// Lease is how long a claimed delivery is the claimer's (default 1
	// minute). It must outlast Timeout with room to spare: a lease that ran
	// out while the request was still on its way would let another worker
	// send it too.
	Lease time.Duration
	// MaxAttempts is how many attempts a delivery gets before it fails
	// (default 10).
	MaxAttempts int
	// BaseDelay is the wait after the first failed attempt, doubled after
	// each one after it, up to MaxDelay (defaults 10s and 1h); each wait is
	// jittered by ±25% so that receivers coming back from an outage are not
	// hit by every retry at once.
	BaseDelay, MaxDelay time.Duration
	// Client sends the requests (default NewClient(Timeout, AllowPrivate)).
	Client *http.Client
	// AllowPrivate lets webhooks reach loopback, link-local and private
	// addresses (see ErrPrivateDestination); off, they are refused.
	AllowPrivate bool
	// Attempted, if set, hears the outcome of every attempt this worker
	// recorded: "delivered", "retry" or "failed" (no attempts left); the
	// server counts them for its metrics.
	Attempted func(outcome string)
}

// Worker delivers events to webhooks. Run it in one goroutine.
type Worker struct {
	st     *store.Store
	log    *slog.Logger
	opt    Options
	client *http.Client
	retry  backoff.Policy // the waits between attempts, from BaseDelay and MaxDelay
}

// New returns a worker for the store's webhooks.
func New(st *store.Store, log *slog.Logger, opt Options) *Worker {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 20
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.Lease <= 0 {
		opt.Lease = time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 10
	}
	if opt.BaseDelay <= 0 {
		opt.BaseDelay = 10 * time.Second
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = time.Hour
	}
	w := &Worker{st: st, log: log, opt: opt, client: opt.Client,
		retry: backoff.Policy{Base: opt.BaseDelay, Max: opt.MaxDelay, Jitter: 0.25}}
	if w.client == nil {
		w.client = NewClient(opt.Timeout, opt.AllowPrivate)
	}
	return w
}

// NewClient is an HTTP client for webhooks: every phase has a time limit,
// redirects are not followed (a 3xx answer is a failed attempt), so that
// a receiver cannot send Coffer's signed requests somewhere else, and only
// public addresses are dialed unless allowPrivate.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           guardedDial(min(timeout, 5*time.Second), allowPrivate),
			TLSHandshakeTimeout:   min(timeout, 5*time.Second),
			ResponseHeaderTimeout: timeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run delivers until ctx ends, then returns once the attempts under way
// are finished and logged.
func (w *Worker) Run(ctx context.Context) {
	for {
		n, err := w.Tick(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log.Error("webhooks: delivering", "err", err)
		}
		if err == nil && n == w.opt.Batch {
			continue // there may be more due right now
		}
		t := time.NewTimer(w.opt.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Tick does one round: it turns new events into deliveries, claims the
// deliveries that are due, sends them at once and logs the outcomes. It
// returns how many deliveries it sent.
func (w *Worker) Tick(ctx context.Context) (int, error) {
	const dispatchBatch = 500
	now := w.opt.Now()
	for {
		n, err := w.st.DispatchEvents(ctx, now, dispatchBatch)
		if err != nil {
			return 0, err
		}
		if n < dispatchBatch {
			break
		}
	}
	claims, err := w.st.ClaimDeliveries(ctx, now, w.opt.Lease, w.opt.Batch)
	if err != nil {
		return 0, err
	}
	// What is claimed is sent and logged even if ctx ends meanwhile: an
	// abandoned attempt would only be sent again once its lease ran out.
	bg := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range claims {
		wg.Go(func() { w.deliver(bg, c) })
	}
	wg.Wait()
	return len(claims), nil
}

// Body is the JSON a delivery sends.
type Body struct {
	ID        string          `json:"id"` // the event's id: the same in every attempt and redelivery
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// deliver makes one attempt at a claimed delivery and records it.
func (w *Worker) deliver(ctx context.Context, c store.ClaimedDelivery) {
	res := store.AttemptResult{DeliveryID: c.ID, Lease: c.Lease, Attempt: c.Attempt, StartedAt: w.opt.Now()}
	start := time.Now()
	res.StatusCode, res.Error = w.send(ctx, c)
	res.Duration = time.Since(start)
	res.Delivered = res.StatusCode >= 200 && res.StatusCode <= 299 && res.Error == ""
	res.At = w.opt.Now()
	if !res.Delivered && c.Attempt < w.opt.MaxAttempts {
		next := res.At.Add(w.retry.Delay(c.Attempt))
		res.RetryAt = &next
	}
	err := w.st.RecordAttempt(ctx, res)
	log := w.log.With("delivery", c.ID, "webhook", c.WebhookID, "event", c.EventID, "type", c.EventType, "attempt", c.Attempt,
		"status", res.StatusCode, "duration", res.Duration)
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		log.Warn("webhooks: attempt logged, but the delivery was taken over or its webhook deleted meanwhile")
	case err != nil:
		// The lease runs out and the delivery is sent again.
		log.Error("webhooks: recording an attempt", "err", err)
	case res.Delivered:
		w.attempted("delivered")
		log.Debug("webhooks: delivered")
	case res.RetryAt != nil:
		w.attempted("retry")
		log.Warn("webhooks: attempt failed; will retry", "err", res.Error, "retry_at", res.RetryAt)
	default:
		w.attempted("failed")
		log.Error("webhooks: delivery failed for good", "err", res.Error)
	}
}

func (w *Worker) attempted(outcome string) {
	if w.opt.Attempted != nil {
		w.opt.Attempted(outcome)
	}
}

// send POSTs the delivery once and returns the answer's status, if any, and
// what went wrong ("" for a 2xx answer).
func (w *Worker) send(ctx context.Context, c store.ClaimedDelivery) (int, string) {
	body, err := json.Marshal(Body{ID: strconv.FormatInt(c.EventID, 10), Type: c.EventType, CreatedAt: c.EventCreatedAt.UTC(),
		Data: json.RawMessage(c.Payload)})
	if err != nil {
		return 0, "encoding the event: " + err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	if !w.opt.AllowPrivate && viaProxy(w.client, req) {
		// Through a proxy the dial is to the proxy: check the target by name.
		if err := CheckDestination(ctx, c.URL, false); err != nil {
			return 0, err.Error()
		}
	}
	ts := w.opt.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Coffer-Webhooks/1")
	req.Header.Set("Coffer-Event", c.EventType)
	req.Header.Set("Coffer-Delivery", strconv.FormatInt(c.ID, 10))
	id := messageID(c.EventID)
	req.Header.Set(webhooksig.HeaderID, id)
	req.Header.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(ts, 10))
	sig := webhooksig.Sign(c.Secret, id, ts, body)
	if c.PreviousSecret != "" && w.opt.Now().Before(c.PreviousUntil) {
		// In a rotation's grace period a receiver may still hold the old
		// secret: the standard's verifiers accept any one of the signatures.
		sig += " " + webhooksig.Sign(c.PreviousSecret, id, ts, body)
	}
	req.Header.Set(webhooksig.HeaderSignature, sig)
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	// Read a little of the answer: its start explains a failure, and a body
	// read to the end lets the connection be reused.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp.StatusCode, ""
	}
	msg := "the receiver answered " + resp.Status
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		msg += " (redirects are not followed)"
	}
	if s := strings.TrimSpace(string(snippet)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		msg += ": " + strings.ToValidUTF8(s, "")
	}
	return resp.StatusCode, msg
}

// messageID is a delivery's webhook-id: its event's, so that a receiver that
// deduplicates by it takes each event once however often it is sent.
func messageID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }
