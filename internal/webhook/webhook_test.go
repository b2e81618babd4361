package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/webhook"
	"github.com/cofferhq/coffer/webhooksig"
)

var (
	ctx     = context.Background()
	quiet   = slog.New(slog.NewTextHandler(io.Discard, nil))
	root    = ledger.Actor{Name: "test"}
	t0      = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	secret0 = "test-secret-0123456789"
)

// clock is a clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// hit is one request a receiver got.
type hit struct {
	path   string
	header http.Header
	body   []byte
	status int
}

// receiver is a real HTTP server on loopback that answers with the given
// statuses in turn, then 200, and keeps every request.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	hits   []hit
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := 200
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.hits = append(r.hits, hit{path: req.URL.Path, header: req.Header.Clone(), body: body, status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answered %d", status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

func hmacBase64(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func insertEvent(t *testing.T, st *store.Store, typ, payload string, at time.Time) int64 {
	t.Helper()
	var id int64
	if err := st.DB().QueryRowContext(ctx, "INSERT INTO events (type, payload, created_at) VALUES ($1, $2, $3) RETURNING id",
		typ, payload, at.UnixMicro()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func tick(t *testing.T, w *webhook.Worker, want int) {
	t.Helper()
	n, err := w.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("tick sent %d deliveries, want %d", n, want)
	}
}

func deliveries(t *testing.T, st *store.Store, hookID int64) []store.Delivery {
	t.Helper()
	ds, err := st.WebhookDeliveries(ctx, store.DeliveryFilter{WebhookID: hookID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func each(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// A receiver that fails twice, then succeeds, gets the event delivered
// once; the log shows the three attempts, retried on the back-off schedule
// (the clock is moved, nothing sleeps), and every request is signed.
func TestRetryThenDelivered(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		clk := &clock{t: t0}
		st := testdb.Open(t, d, store.Options{Now: clk.Now})
		rec := newReceiver(t, 500, 503)
		hook, secret, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL + "/coffer", Events: []string{"topup.approved"}, Secret: secret0})
		if err != nil {
			t.Fatal(err)
		}
		if secret != secret0 {
			t.Fatalf("secret = %q, want the one given", secret)
		}
		// A webhook for other events gets nothing of this.
		other := newReceiver(t)
		if _, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: other.URL, Events: []string{"topup.rejected"}}); err != nil {
			t.Fatal(err)
		}
		payload := `{"id":"7","amount":"10.00","currency":"USD"}`
		eventID := insertEvent(t, st, "topup.approved", payload, clk.Now())
		insertEvent(t, st, "topup.submitted", `{"id":"8"}`, clk.Now())

		w := webhook.New(st, quiet, webhook.Options{Now: clk.Now, AllowPrivate: true})
		tick(t, w, 1) // 500
		tick(t, w, 0) // not due yet
		ds := deliveries(t, st, hook.ID)
		if len(ds) != 1 || ds[0].Status != store.DeliveryPending || ds[0].Attempts != 1 || ds[0].LastStatusCode != 500 || ds[0].NextAttemptAt == nil {
			t.Fatalf("after one failure: %+v", ds)
		}
		if wait := ds[0].NextAttemptAt.Sub(clk.Now()); wait < 7500*time.Millisecond || wait > 12500*time.Millisecond {
			t.Errorf("first retry in %v, want 10s ± 25%%", wait)
		}
		clk.Add(13 * time.Second)
		tick(t, w, 1) // 503
		ds = deliveries(t, st, hook.ID)
		if wait := ds[0].NextAttemptAt.Sub(clk.Now()); wait < 15*time.Second || wait > 25*time.Second {
			t.Errorf("second retry in %v, want 20s ± 25%%", wait)
		}
		clk.Add(9 * time.Second)
		tick(t, w, 0) // too early still
		clk.Add(17 * time.Second)
		tick(t, w, 1) // 200
		clk.Add(24 * time.Hour)
		tick(t, w, 0)

		hits := rec.got()
		if len(hits) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(hits))
		}
		ok := 0
		for i, h := range hits {
			if h.status/100 == 2 {
				ok++
			}
			if err := webhooksig.Verify(secret, h.header, h.body, clk.Now(), 48*time.Hour); err != nil {
				t.Errorf("request %d: %v", i+1, err)
			}
			if err := webhooksig.Verify("another-secret-0123456789", h.header, h.body, clk.Now(), 48*time.Hour); err == nil {
				t.Errorf("request %d verifies with the wrong secret", i+1)
			}
			tampered := append([]byte(nil), h.body...)
			tampered[len(tampered)-2] ^= 1
			if err := webhooksig.Verify(secret, h.header, tampered, clk.Now(), 48*time.Hour); err == nil {
				t.Errorf("request %d: a changed body still verifies", i+1)
			}
			// Checked by hand too, the way docs/webhooks.md tells receivers to
			// (the secret is an operator's own, not "whsec_": its bytes are the key).
			id, ts := h.header.Get("webhook-id"), h.header.Get("webhook-timestamp")
			if id != "evt_"+strconv.FormatInt(eventID, 10) {
				t.Errorf("request %d: webhook-id %q, want evt_%d", i+1, id, eventID)
			}
			if got, want := h.header.Get("webhook-signature"), hmacBase64([]byte(secret), id+"."+ts+"."+string(h.body)); got != "v1,"+want {
				t.Errorf("request %d: webhook-signature %q, want v1,%s", i+1, got, want)
			}
			if h.header.Get("Coffer-Event") != "topup.approved" || h.header.Get("Coffer-Delivery") != strconv.FormatInt(ds[0].ID, 10) ||
				h.header.Get("Content-Type") != "application/json" {
				t.Errorf("request %d headers: %v", i+1, h.header)
			}
			var b struct {
				ID        string          `json:"id"`
				Type      string          `json:"type"`
				CreatedAt time.Time       `json:"created_at"`
				Data      json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(h.body, &b); err != nil {
				t.Fatalf("request %d body %s: %v", i+1, h.body, err)
			}
			if b.ID != strconv.FormatInt(eventID, 10) || b.Type != "topup.approved" || !b.CreatedAt.Equal(t0) || string(b.Data) != payload {
				t.Errorf("request %d body = %s", i+1, h.body)
			}
		}
		if ok != 1 {
			t.Errorf("%d successful deliveries, want exactly 1", ok)
		}
		// The timestamps are the clock's at each attempt.
		for i, at := range []time.Time{t0, t0.Add(13 * time.Second), t0.Add(39 * time.Second)} {
			if got := hits[i].header.Get("webhook-timestamp"); got != strconv.FormatInt(at.Unix(), 10) {
				t.Errorf("request %d webhook-timestamp %s, want %d", i+1, got, at.Unix())
			}
		}
		if n := len(other.got()); n != 0 {
			t.Errorf("the other webhook got %d requests", n)
		}

		ds = deliveries(t, st, hook.ID)
		if len(ds) != 1 {
			t.Fatalf("%d deliveries, want 1", len(ds))
		}
		dl := ds[0]
		if dl.Status != store.DeliveryDelivered || dl.Attempts != 3 || dl.LastStatusCode != 200 || dl.DeliveredAt == nil || dl.NextAttemptAt != nil ||
			dl.EventID != eventID || dl.EventType != "topup.approved" {
			t.Errorf("delivery = %+v", dl)
		}
		var codes []int
		for i, a := range dl.Log {
			codes = append(codes, a.StatusCode)
			if a.Attempt != i+1 || a.Duration <= 0 {
				t.Errorf("attempt %d = %+v", i+1, a)
			}
			if (a.StatusCode == 200) != (a.Error == "") {
				t.Errorf("attempt %d: status %d with error %q", i+1, a.StatusCode, a.Error)
			}
		}
		if fmt.Sprint(codes) != "[500 503 200]" {
			t.Errorf("attempt log status codes %v, want [500 503 200]", codes)
		}
		if !strings.Contains(dl.Log[0].Error, "500") || !strings.Contains(dl.Log[0].Error, "answered 500") {
			t.Errorf("first attempt's error %q does not say what the receiver answered", dl.Log[0].Error)
		}
		if !dl.Log[1].StartedAt.Equal(t0.Add(13 * time.Second)) {
			t.Errorf("second attempt started at %v", dl.Log[1].StartedAt)
		}
	})
}

// A receiver that never succeeds gets MaxAttempts attempts, on a doubling
// schedule, and the delivery fails; redirects are not followed; a receiver
// that does not answer in time is an attempt with no status code.
func TestFailures(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		clk := &clock{t: t0}
		st := testdb.Open(t, d, store.Options{Now: clk.Now})
		w := webhook.New(st, quiet, webhook.Options{Now: clk.Now, Timeout: 300 * time.Millisecond, AllowPrivate: true})

		t.Run("gives up after 10 attempts", func(t *testing.T) {
			script := make([]int, 50)
			for i := range script {
				script[i] = 500
			}
			rec := newReceiver(t, script...)
			hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL, Events: []string{"transaction.posted"}})
			if err != nil {
				t.Fatal(err)
			}
			insertEvent(t, st, "transaction.posted", `{"id":"1"}`, clk.Now())
			var waits []time.Duration
			for i := 0; i < 10; i++ {
				tick(t, w, 1)
				ds := deliveries(t, st, hook.ID)
				if i < 9 {
					wait := ds[0].NextAttemptAt.Sub(clk.Now())
					waits = append(waits, wait)
					clk.Add(wait)
				} else if ds[0].Status != store.DeliveryFailed || ds[0].NextAttemptAt != nil || ds[0].Attempts != 10 || len(ds[0].Log) != 10 {
					t.Errorf("after 10 attempts: %+v", ds[0])
				}
			}
			clk.Add(48 * time.Hour)
			tick(t, w, 0)
			if n := len(rec.got()); n != 10 {
				t.Errorf("receiver got %d requests, want 10", n)
			}
			for i, wait := range waits {
				nominal := 10 * time.Second << i
				if wait < nominal*3/4 || wait > nominal*5/4 {
					t.Errorf("wait after attempt %d = %v, want %v ± 25%%", i+1, wait, nominal)
				}
			}
		})

		t.Run("redirects are not followed", func(t *testing.T) {
			target := newReceiver(t)
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target.URL, http.StatusFound) })
			redirector := httptest.NewServer(mux)
			t.Cleanup(redirector.Close)
			hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: redirector.URL, Events: []string{"account.below_alert"}})
			if err != nil {
				t.Fatal(err)
			}
			insertEvent(t, st, "account.below_alert", `{"account_id":"1"}`, clk.Now())
			tick(t, w, 1)
			ds := deliveries(t, st, hook.ID)
			if len(ds) != 1 || ds[0].Status != store.DeliveryPending || ds[0].Log[0].StatusCode != 302 || !strings.Contains(ds[0].Log[0].Error, "redirects are not followed") {
				t.Errorf("redirected delivery = %+v", ds)
			}
			if n := len(target.got()); n != 0 {
				t.Errorf("the redirect target got %d requests", n)
			}
			if err := st.DeleteWebhook(ctx, root, hook.ID); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("a slow receiver times out", func(t *testing.T) {
			release := make(chan struct{})
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-time.After(5 * time.Second):
				}
			}))
			t.Cleanup(slow.Close)
			t.Cleanup(func() { close(release) })
			hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: slow.URL, Events: []string{"topup.rejected"}})
			if err != nil {
				t.Fatal(err)
			}
			insertEvent(t, st, "topup.rejected", `{"id":"9"}`, clk.Now())
			start := time.Now()
			tick(t, w, 1)
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("the attempt took %v; the timeout is 300ms", el)
			}
			ds := deliveries(t, st, hook.ID)
			a := ds[0].Log[0]
			if a.StatusCode != 0 || !strings.Contains(strings.ToLower(a.Error), "timeout") || ds[0].Status != store.DeliveryPending {
				t.Errorf("timed-out attempt = %+v, delivery %+v", a, ds[0])
			}
			// Deleting the webhook cancels what waits; nothing more is sent.
			if err := st.DeleteWebhook(ctx, root, hook.ID); err != nil {
				t.Fatal(err)
			}
			var status string
			if err := st.DB().QueryRowContext(ctx, "SELECT status FROM webhook_deliveries WHERE id = $1", ds[0].ID).Scan(&status); err != nil || status != "cancelled" {
				t.Errorf("delivery of a deleted webhook: %q %v, want cancelled", status, err)
			}
			clk.Add(time.Hour)
			tick(t, w, 0)
			if _, err := st.WebhookDeliveries(ctx, store.DeliveryFilter{WebhookID: hook.ID, Limit: 10}); err != ledger.ErrNotFound {
				t.Errorf("deliveries of a deleted webhook: %v, want not found", err)
			}
		})
	})
}

// Two workers on two store instances sharing one database, as two servers
// would, deliver every event to every webhook exactly once, while events
// keep arriving and some first attempts fail.
func TestTwoWorkersDeliverOnce(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		dsn := testdb.DSN(t, d)
		var stores []*store.Store
		for i := 0; i < 2; i++ {
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			stores = append(stores, st)
		}
		const events = 150
		var mu sync.Mutex
		ok := map[string]int{}          // webhook/event -> 2xx answers
		tries := map[string]int{}       // webhook/event -> requests
		okDelivery := map[string]bool{} // delivery ids answered 2xx
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var b struct{ ID string }
			json.Unmarshal(body, &b)
			key := r.URL.Path + "/" + b.ID
			time.Sleep(time.Millisecond) // let the workers overlap
			mu.Lock()
			defer mu.Unlock()
			tries[key]++
			id, _ := strconv.Atoi(b.ID)
			if id%7 == 0 && tries[key] == 1 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			ok[key]++
			if okDelivery[r.Header.Get("Coffer-Delivery")] {
				t.Errorf("delivery %s answered 2xx twice", r.Header.Get("Coffer-Delivery"))
			}
			okDelivery[r.Header.Get("Coffer-Delivery")] = true
		}))
		t.Cleanup(srv.Close)
		for _, path := range []string{"/a", "/b"} {
			if _, _, err := stores[0].CreateWebhook(ctx, root, ledger.NewWebhook{URL: srv.URL + path, Events: []string{"transaction.posted"}}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < events/2; i++ {
			insertEvent(t, stores[i%2], "transaction.posted", `{}`, time.Now())
		}
		runCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		sent := make([]atomic.Int64, len(stores)) // requests each worker sent
		for i, st := range stores {
			client := webhook.NewClient(10*time.Second, true)
			client.Transport = counting{client.Transport, &sent[i]}
			w := webhook.New(st, quiet, webhook.Options{Interval: 5 * time.Millisecond, Batch: 7, BaseDelay: 20 * time.Millisecond,
				MaxDelay: 50 * time.Millisecond, Client: client, AllowPrivate: true})
			wg.Go(func() { w.Run(runCtx) })
		}
		for i := events / 2; i < events; i++ {
			insertEvent(t, stores[i%2], "transaction.posted", `{}`, time.Now())
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			mu.Lock()
			n := len(ok)
			mu.Unlock()
			if n == 2*events || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // time for a double delivery to show
		cancel()
		wg.Wait()

		mu.Lock()
		defer mu.Unlock()
		if len(ok) != 2*events {
			t.Fatalf("%d of %d deliveries arrived", len(ok), 2*events)
		}
		retried := 0
		for key, n := range ok {
			if n != 1 {
				t.Errorf("%s delivered %d times", key, n)
			}
			if tries[key] > 1 {
				retried++
			}
			if id, _ := strconv.Atoi(key[strings.LastIndex(key, "/")+1:]); (id%7 == 0 && tries[key] != 2) || (id%7 != 0 && tries[key] != 1) {
				t.Errorf("%s was sent %d times", key, tries[key])
			}
		}
		t.Logf("requests sent by each worker: %d, %d", sent[0].Load(), sent[1].Load())
		if sent[0].Load() == 0 || sent[1].Load() == 0 {
			t.Errorf("one worker did all the work (%d, %d requests): the test did not race two workers", sent[0].Load(), sent[1].Load())
		}
		if retried == 0 {
			t.Error("no delivery was retried; the test lost its failures")
		}
		// Every delivery is in the log as delivered, with its attempts.
		var rows, delivered, attempts int
		if err := stores[1].DB().QueryRowContext(ctx, `SELECT COUNT(*), SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END),
			(SELECT COUNT(*) FROM webhook_attempts) FROM webhook_deliveries`).Scan(&rows, &delivered, &attempts); err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range tries {
			total += n
		}
		if rows != 2*events || delivered != 2*events || attempts != total {
			t.Errorf("log: %d deliveries, %d delivered, %d attempts; want %d, %d, %d", rows, delivered, attempts, 2*events, 2*events, total)
		}
	})
}

// counting counts the requests a worker's client sends.
type counting struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// A claimed delivery is nobody else's until its lease runs out; then
// another worker takes it, and the first claimer's late result changes
// nothing but the log.
func TestLeaseRunsOut(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		clk := &clock{t: t0}
		st := testdb.Open(t, d, store.Options{Now: clk.Now})
		rec := newReceiver(t)
		hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL, Events: []string{"topup.submitted"}})
		if err != nil {
			t.Fatal(err)
		}
		insertEvent(t, st, "topup.submitted", `{"id":"1"}`, clk.Now())
		w := webhook.New(st, quiet, webhook.Options{Now: clk.Now, Lease: time.Minute, AllowPrivate: true})
		if n, err := st.DispatchEvents(ctx, clk.Now(), 100); err != nil || n != 1 {
			t.Fatalf("dispatch: %d %v", n, err)
		}
		// A worker that claims and then dies.
		dead, err := st.ClaimDeliveries(ctx, clk.Now(), time.Minute, 10)
		if err != nil || len(dead) != 1 || dead[0].Attempt != 1 {
			t.Fatalf("claim: %+v %v", dead, err)
		}
		tick(t, w, 0)
		clk.Add(59 * time.Second)
		tick(t, w, 0)
		clk.Add(time.Second)
		tick(t, w, 1)
		if n := len(rec.got()); n != 1 {
			t.Fatalf("receiver got %d requests, want 1", n)
		}
		late := store.AttemptResult{DeliveryID: dead[0].ID, Lease: dead[0].Lease, Attempt: 1, StartedAt: t0, Duration: time.Second,
			StatusCode: 500, Error: "late", At: clk.Now()}
		next := clk.Now().Add(time.Minute)
		late.RetryAt = &next
		if err := st.RecordAttempt(ctx, late); err != store.ErrLeaseLost {
			t.Errorf("late result: %v, want ErrLeaseLost", err)
		}
		ds := deliveries(t, st, hook.ID)
		if len(ds) != 1 || ds[0].Status != store.DeliveryDelivered || ds[0].Attempts != 2 || len(ds[0].Log) != 2 || ds[0].LastStatusCode != 200 {
			t.Errorf("delivery = %+v", ds)
		}
	})
}

// A new webhook gets the events that happen after it is registered, not
// those that were waiting to be dispatched when it came.
func TestNoBacklogForNewWebhook(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		clk := &clock{t: t0}
		st := testdb.Open(t, d, store.Options{Now: clk.Now})
		rec := newReceiver(t)
		insertEvent(t, st, "topup.approved", `{"id":"old"}`, clk.Now())
		hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL, Events: []string{"topup.approved"}})
		if err != nil {
			t.Fatal(err)
		}
		newer := insertEvent(t, st, "topup.approved", `{"id":"new"}`, clk.Now())
		w := webhook.New(st, quiet, webhook.Options{Now: clk.Now, AllowPrivate: true})
		tick(t, w, 1)
		if ds := deliveries(t, st, hook.ID); len(ds) != 1 || ds[0].EventID != newer {
			t.Errorf("deliveries = %+v, want only event %d", ds, newer)
		}
	})
}
