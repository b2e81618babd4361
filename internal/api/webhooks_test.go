package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/webhook"
	"github.com/cofferhq/coffer/webhooksig"
)

func TestWebhookRegistration(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super := e.token[ledger.RoleSuperAdmin]
		r := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://erp.example.com/coffer/events",
			"events": []string{"topup.approved", "topup.submitted", "topup.approved"}, "description": "ERP"}).want(201)
		h := r.json()
		id, secret := h["id"].(string), h["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
			t.Errorf("generated secret %q", secret)
		}
		if evs, _ := json.Marshal(h["events"]); string(evs) != `["topup.submitted","topup.approved"]` || h["url"] != "https://erp.example.com/coffer/events" ||
			h["description"] != "ERP" || h["created_by"] != e.admin[ledger.RoleSuperAdmin] {
			t.Errorf("created webhook = %v", h)
		}
		given := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"account.below_alert"},
			"secret": "my-own-secret-0123456789"}).want(201)
		if given.str("secret") != "my-own-secret-0123456789" {
			t.Errorf("given secret answered as %q", given.str("secret"))
		}

		// The secret is shown once: not in the list, not in the operation record.
		list := e.do("GET", "/api/v1/webhooks", super, nil).want(200)
		if items := list.items(); len(items) != 2 || items[0]["id"] != given.str("id") || items[1]["id"] != id {
			t.Errorf("webhooks = %s", list.Body)
		}
		if strings.Contains(string(list.Body), "secret") {
			t.Errorf("the list shows secrets: %s", list.Body)
		}
		audit := e.do("GET", "/api/v1/audit?object_type=webhook", super, nil).want(200)
		if n := strings.Count(string(audit.Body), `"action":"webhook.create"`); n != 2 {
			t.Errorf("%d webhook.create records, want 2: %s", n, audit.Body)
		}
		if strings.Contains(string(audit.Body), secret) || strings.Contains(string(audit.Body), "my-own-secret") {
			t.Errorf("the operation record holds a secret: %s", audit.Body)
		}

		// Bad input is 422 with the field named, and creates nothing.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"url": "ftp://example.com/x", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "example.com/hook", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "not a url", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "https://", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "https://user:pw@example.com/hook", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "https://example.com:99999/hook", "events": []string{"topup.approved"}}, "url"},
			{map[string]any{"url": "https://example.com/hook", "events": []string{"topup.exploded"}}, "events"},
			{map[string]any{"url": "https://example.com/hook", "events": []string{"topup.approved", "Topup.Approved"}}, "events"},
			{map[string]any{"url": "https://example.com/hook", "events": []string{"*"}}, "events"},
			{map[string]any{"url": "https://example.com/hook", "events": []string{"topup.*"}}, "events"},
			{map[string]any{"url": "https://example.com/hook", "events": []string{}}, "events"},
			{map[string]any{"url": "https://example.com/hook"}, "events"}, // a missing required property is named (SPEC section 7)
			{map[string]any{"url": "https://example.com/hook", "events": []string{"topup.approved"}, "secret": "short"}, "secret"},
			{map[string]any{"url": "https://example.com/hook", "events": []string{"topup.approved"}, "secret": "has spaces in the secret"}, "secret"},
		} {
			r := e.do("POST", "/api/v1/webhooks", super, c.body).wantProblem(422, "validation_failed")
			if !slices.Contains(r.fields(), c.field) {
				t.Errorf("%v: fields %v, want %s: %s", c.body, r.fields(), c.field, r.Body)
			}
		}
		e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": "https://example.com/hook", "events": []string{"topup.approved"}, "evnts": 1}).
			wantProblem(400, "bad_request")
		if n := len(e.do("GET", "/api/v1/webhooks", super, nil).want(200).items()); n != 2 {
			t.Errorf("refused requests left %d webhooks, want 2", n)
		}

		// Deleting: gone from the list, its log and redelivery not found.
		e.do("DELETE", "/api/v1/webhooks/"+id, super, nil).want(204)
		if items := e.do("GET", "/api/v1/webhooks", super, nil).want(200).items(); len(items) != 1 || items[0]["id"] != given.str("id") {
			t.Errorf("after delete: %v", items)
		}
		e.do("DELETE", "/api/v1/webhooks/"+id, super, nil).wantProblem(404, "not_found")
		e.do("GET", "/api/v1/webhooks/"+id+"/deliveries", super, nil).wantProblem(404, "not_found")
		e.do("POST", "/api/v1/webhooks/"+id+"/deliveries/1/redeliver", super, nil).wantProblem(404, "not_found")
		e.do("DELETE", "/api/v1/webhooks/abc", super, nil).wantProblem(404, "not_found")
		del := e.do("GET", "/api/v1/audit?action=webhook.delete", super, nil).want(200).items()
		if len(del) != 1 || del[0]["object_id"] != id || strings.Contains(string(mustJSON(t, del[0])), "whsec_") {
			t.Errorf("webhook.delete records = %v", del)
		}

		// Paging.
		p1 := e.do("GET", "/api/v1/webhooks?limit=1", super, nil).want(200)
		if len(p1.items()) != 1 || p1.json()["next_cursor"] == nil {
			t.Errorf("page of 1: %s", p1.Body)
		}
		e.do("GET", "/api/v1/webhooks?limit=501", super, nil).wantProblem(422, "validation_failed")
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A top-up submitted through the API reaches a real receiver on loopback,
// signed; the delivery log shows it; a manual redelivery sends the same
// event again as a new delivery and logs it too.
func TestWebhookDeliveryAndRedelivery(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		super, clerk := e.token[ledger.RoleSuperAdmin], e.token[ledger.RoleAdmin]
		type got struct {
			header http.Header
			body   []byte
		}
		var mu sync.Mutex
		var hits []got
		rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			hits = append(hits, got{r.Header.Clone(), b})
			mu.Unlock()
		}))
		t.Cleanup(rec.Close)
		const secret = "receiver-secret-0123456789"
		hook := e.do("POST", "/api/v1/webhooks", super, map[string]any{"url": rec.URL + "/in", "events": []string{"topup.submitted"}, "secret": secret}).want(201).str("id")

		cid, _ := e.customer("13700000001", 0)
		topup := e.do("POST", "/api/v1/topups", clerk, map[string]any{"customer_id": cid, "currency": "USD", "amount": "25.00", "payment_method": "1"}).want(201).str("id")
		w := webhook.New(e.store, slog.New(slog.NewTextHandler(io.Discard, nil)), webhook.Options{AllowPrivate: true})
		if n, err := w.Tick(ctx); err != nil || n != 1 {
			t.Fatalf("tick: %d %v", n, err)
		}
		mu.Lock()
		if len(hits) != 1 {
			t.Fatalf("receiver got %d requests, want 1", len(hits))
		}
		first := hits[0]
		mu.Unlock()
		if err := webhooksig.Verify(secret, first.header, first.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		var body struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(first.body, &body); err != nil || body.Type != "topup.submitted" || body.Data["id"] != topup || body.Data["amount"] != "25.00" {
			t.Errorf("body %s (%v)", first.body, err)
		}

		log := e.do("GET", "/api/v1/webhooks/"+hook+"/deliveries", super, nil).want(200).items()
		if len(log) != 1 || log[0]["status"] != "delivered" || log[0]["attempts"] != 1.0 || log[0]["last_status_code"] != 200.0 ||
			log[0]["event_id"] != body.ID || log[0]["event_type"] != "topup.submitted" || log[0]["delivered_at"] == nil || log[0]["redelivery_of"] != nil {
			t.Fatalf("delivery log = %v", log)
		}
		if a := log[0]["attempt_log"].([]any); len(a) != 1 || a[0].(map[string]any)["status_code"] != 200.0 || a[0].(map[string]any)["error"] != "" {
			t.Errorf("attempt log = %v", a)
		}
		orig := log[0]["id"].(string)
		if first.header.Get("Coffer-Delivery") != orig {
			t.Errorf("Coffer-Delivery %q, want %s", first.header.Get("Coffer-Delivery"), orig)
		}

		// Nothing new is due: a second round sends nothing.
		if n, err := w.Tick(ctx); err != nil || n != 0 {
			t.Fatalf("idle tick: %d %v", n, err)
		}
		again := e.do("POST", "/api/v1/webhooks/"+hook+"/deliveries/"+orig+"/redeliver", super, nil).want(202).json()
		if again["status"] != "pending" || again["redelivery_of"] != orig || again["event_id"] != body.ID || again["id"] == orig {
			t.Errorf("redelivery = %v", again)
		}
		if n, err := w.Tick(ctx); err != nil || n != 1 {
			t.Fatalf("tick after redelivery: %d %v", n, err)
		}
		mu.Lock()
		if len(hits) != 2 {
			t.Fatalf("receiver got %d requests, want 2", len(hits))
		}
		second := hits[1]
		mu.Unlock()
		var body2 struct{ ID string }
		json.Unmarshal(second.body, &body2)
		if body2.ID != body.ID || second.header.Get("Coffer-Delivery") != again["id"] {
			t.Errorf("redelivered event %s as delivery %s, want event %s as %v", body2.ID, second.header.Get("Coffer-Delivery"), body.ID, again["id"])
		}
		log = e.do("GET", "/api/v1/webhooks/"+hook+"/deliveries", super, nil).want(200).items()
		if len(log) != 2 || log[0]["id"] != again["id"] || log[0]["status"] != "delivered" || len(log[0]["attempt_log"].([]any)) != 1 || log[1]["id"] != orig {
			t.Errorf("delivery log after redelivery = %v", log)
		}
		if n := len(e.do("GET", "/api/v1/webhooks/"+hook+"/deliveries?status=pending", super, nil).want(200).items()); n != 0 {
			t.Errorf("%d pending deliveries, want 0", n)
		}
		if p := e.do("GET", "/api/v1/webhooks/"+hook+"/deliveries?limit=1", super, nil).want(200); p.json()["next_cursor"] == nil {
			t.Errorf("first page of 1 has no next_cursor: %s", p.Body)
		}
		if recs := e.do("GET", "/api/v1/audit?action=webhook.redeliver", super, nil).want(200).items(); len(recs) != 1 || recs[0]["object_id"] != hook {
			t.Errorf("webhook.redeliver records = %v", recs)
		}
		e.do("POST", "/api/v1/webhooks/"+hook+"/deliveries/999999/redeliver", super, nil).wantProblem(404, "not_found")
		e.do("GET", "/api/v1/webhooks/"+hook+"/deliveries", clerk, nil).wantProblem(403, "forbidden")
	})
}

// Webhooks that would make Coffer send requests into its own network are
// refused when registered (SSRF), unless the server allows them; nothing
// is registered.
func TestWebhookURLsToPrivateAddressesAreRefused(t *testing.T) {
	e := newEnvHooks(t, store.SQLite, nil, false)
	root := e.token[ledger.RoleSuperAdmin]
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
		"http://[::1]:8080/hook", "http://192.168.0.10/hook", "http://0.0.0.0/hook", "http://[fd00::1]/hook"} {
		e.do("POST", "/api/v1/webhooks", root, map[string]any{"url": u, "events": []string{"topup.approved"}}).wantProblem(422, "validation_failed")
	}
	if hooks := e.do("GET", "/api/v1/webhooks", root, nil).want(200).items(); len(hooks) != 0 {
		t.Errorf("refused webhooks were registered: %v", hooks)
	}
	// A public address literal needs no lookup and is accepted.
	e.do("POST", "/api/v1/webhooks", root, map[string]any{"url": "https://93.184.216.34/hook", "events": []string{"topup.approved"}}).want(201)
}
