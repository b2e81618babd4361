// Package notify sends customers their mail (SPEC 10). A Worker runs in
// every `coffer serve`: once a minute it queues last month's statements if
// that is not done yet (store.QueueMonthlyStatements: once, whichever
// instance is first), and every second it claims the notifications that are
// due under a lease, composes each in the customer's language from the
// figures its change wrote, and sends it through the business's SMTP server
// with no database transaction open. A mail server that is down, slow or
// refusing only delays mail: postings never wait for it. A temporary
// failure is tried again with back-off; a refusal (5xx) or the last attempt
// fails the notification, and the delivery log shows why.
//
// Sending is at least once, like webhooks: a worker that dies after the
// server took a message but before the result is recorded leaves it to be
// sent again when its lease runs out. Every attempt carries the same
// Message-ID, by which mail systems recognise the repeat.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/backoff"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/mail"
	"github.com/cofferhq/coffer/internal/store"
)

// Options tune a Worker; the zero value is right for production.
type Options struct {
	Now      func() time.Time // the clock for due times and leases (default time.Now)
	Interval time.Duration    // the wait when there was nothing to send (default 1s)
	Batch    int              // notifications claimed and sent at once (default 10)
	// Timeout bounds one SMTP conversation's every step (default 30s); the
	// lease (default 5 minutes) must outlast a whole conversation.
	Timeout     time.Duration
	Lease       time.Duration
	MaxAttempts int // attempts before a notification fails (default 8)
	// BaseDelay is the wait after the first failed attempt, doubled after
	// each later one up to MaxDelay (defaults 1 minute and 2 hours).
	BaseDelay, MaxDelay time.Duration
	// QueueEvery is how often the monthly statements are looked at
	// (default 1 minute).
	QueueEvery time.Duration
	// BaseURL is where customers reach Coffer (--base-url): a monthly
	// statement mail then carries a link to their statement page. Empty:
	// the mail carries the PDFs only.
	BaseURL string
	// Sent, if set, hears the outcome of every attempt: "sent", "retry",
	// "failed" or "skipped", for the metrics.
	Sent func(outcome string)
}

// Worker sends notifications. Run it in one goroutine.
type Worker struct {
	st     *store.Store
	log    *slog.Logger
	opt    Options
	retry  backoff.Policy
	queued time.Time // when monthly statements were last looked at
}

// New returns a worker with opt's defaults filled in.
func New(st *store.Store, log *slog.Logger, opt Options) *Worker {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	opt.Interval = orDefault(opt.Interval, time.Second)
	opt.Timeout = orDefault(opt.Timeout, 30*time.Second)
	opt.Lease = orDefault(opt.Lease, 5*time.Minute)
	opt.BaseDelay = orDefault(opt.BaseDelay, time.Minute)
	opt.MaxDelay = orDefault(opt.MaxDelay, 2*time.Hour)
	opt.QueueEvery = orDefault(opt.QueueEvery, time.Minute)
	if opt.Batch <= 0 {
		opt.Batch = 10
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 8
	}
	return &Worker{st: st, log: log, opt: opt, retry: backoff.Policy{Base: opt.BaseDelay, Max: opt.MaxDelay, Jitter: 0.25}}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run sends until ctx ends, then returns once the sends under way are
// recorded.
func (w *Worker) Run(ctx context.Context) {
	for {
		n, err := w.Tick(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.log.Error("notifications: sending", "err", err)
		}
		if err == nil && n == w.opt.Batch {
			continue
		}
		if backoff.Sleep(ctx, w.opt.Interval) != nil {
			return
		}
	}
}

// Tick does one round: the monthly statements when due, then the
// notifications due now. It returns how many it claimed.
func (w *Worker) Tick(ctx context.Context) (int, error) {
	now := w.opt.Now()
	if now.Sub(w.queued) >= w.opt.QueueEvery {
		n, err := w.st.QueueMonthlyStatements(ctx, now)
		if err != nil {
			return 0, err
		}
		w.queued = now
		if n > 0 {
			w.log.Info("notifications: monthly statements queued", "customers", n)
		}
	}
	claims, err := w.st.ClaimNotifications(ctx, now, w.opt.Lease, w.opt.Batch)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	settings, err := w.st.Settings(ctx)
	if err != nil {
		return 0, err
	}
	// What is claimed is sent and recorded even if ctx ends meanwhile.
	bg := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range claims {
		wg.Go(func() { w.deliver(bg, settings, c) })
	}
	wg.Wait()
	return len(claims), nil
}

// Config is the mail server of settings, with the worker's time limit.
func Config(s ledger.SMTP, timeout time.Duration) mail.Config {
	return mail.Config{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From, StartTLS: s.StartTLS, Timeout: timeout}
}

// deliver makes one attempt at a claimed notification and records it.
func (w *Worker) deliver(ctx context.Context, settings ledger.Settings, c store.ClaimedNotification) {
	res := store.NotificationResult{ID: c.ID, Lease: c.Lease}
	msg, err := Compose(ctx, w.st, settings, c, w.opt.BaseURL)
	switch {
	case errors.Is(err, errNothingToSay):
		res.Status, res.Error = ledger.NotificationSkipped, ledger.SkippedNothingNew
	case err != nil:
		// A bug or a database fault: try again later like a mail failure.
		res.Error = "composing: " + err.Error()
	case !settings.SMTP.Configured():
		res.Status, res.Subject, res.Error = ledger.NotificationSkipped, msg.Subject, ledger.SkippedNoServer
	default:
		res.Subject = msg.Subject
		if err = mail.Send(ctx, Config(settings.SMTP, w.opt.Timeout), msg); err == nil {
			res.Status = ledger.NotificationSent
		} else {
			res.Error = err.Error()
			if mail.Permanent(err) {
				res.Status = ledger.NotificationFailed
			}
		}
	}
	res.At = w.opt.Now()
	if res.Status == "" {
		res.Status = ledger.NotificationFailed
		if c.Attempts < w.opt.MaxAttempts {
			next := res.At.Add(w.retry.Delay(c.Attempts))
			res.Status, res.RetryAt = ledger.NotificationPending, &next
		}
	}
	w.record(ctx, c, res)
}

func (w *Worker) record(ctx context.Context, c store.ClaimedNotification, res store.NotificationResult) {
	err := w.st.RecordNotification(ctx, res)
	log := w.log.With("notification", c.ID, "customer", c.CustomerID, "kind", c.Kind, "attempt", c.Attempts, "status", res.Status)
	switch {
	case errors.Is(err, store.ErrNotificationLeaseLost):
		log.Warn("notifications: the lease ran out before the result was recorded")
		return
	case err != nil:
		log.Error("notifications: recording a result", "err", err)
		return
	case res.Status == ledger.NotificationSent:
		log.Debug("notifications: sent")
	case res.Status == ledger.NotificationPending:
		log.Warn("notifications: not sent; will retry", "err", res.Error, "retry_at", res.RetryAt)
	default:
		log.Warn("notifications: given up", "err", res.Error)
	}
	if w.opt.Sent != nil {
		outcome := res.Status
		if outcome == ledger.NotificationPending {
			outcome = "retry"
		}
		w.opt.Sent(outcome)
	}
}

// MessageID is the Message-ID of notification id: the same for every
// attempt, so that a repeat is recognisable.
func MessageID(id int64) string { return "notification-" + strconv.FormatInt(id, 10) }
