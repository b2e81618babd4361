package webhook_test

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/webhook"
	"github.com/cofferhq/coffer/webhooksig"
)

// TestRotationGracePeriod: after a rotation, deliveries verify with the old
// secret and the new one until the grace ends, then with the new one only,
// so a receiver can switch secrets without losing an event.
func TestRotationGracePeriod(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		clk := &clock{t: t0}
		st := testdb.Open(t, d, store.Options{Now: clk.Now})
		rec := newReceiver(t)
		hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL, Events: []string{"topup.approved"}, Secret: secret0})
		if err != nil {
			t.Fatal(err)
		}
		fresh, until, err := st.RotateWebhookSecret(ctx, root, hook.ID, ledger.WebhookRotation{GraceHours: 2})
		if err != nil {
			t.Fatal(err)
		}
		if fresh == secret0 || !until.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("rotation gave %q until %v", fresh, until)
		}
		w := webhook.New(st, quiet, webhook.Options{Now: clk.Now, AllowPrivate: true})
		insertEvent(t, st, "topup.approved", `{"id":"1"}`, clk.Now())
		tick(t, w, 1)
		clk.Add(3 * time.Hour)
		insertEvent(t, st, "topup.approved", `{"id":"2"}`, clk.Now())
		tick(t, w, 1)

		hits := rec.got()
		if len(hits) != 2 {
			t.Fatalf("receiver got %d requests, want 2", len(hits))
		}
		verifies := func(h hit, secret string) bool {
			return webhooksig.Verify(secret, h.header, h.body, clk.Now(), 24*time.Hour) == nil
		}
		if !verifies(hits[0], fresh) || !verifies(hits[0], secret0) {
			t.Errorf("in the grace period: new secret %v, old secret %v; want both", verifies(hits[0], fresh), verifies(hits[0], secret0))
		}
		if !verifies(hits[1], fresh) || verifies(hits[1], secret0) {
			t.Errorf("after the grace period: new secret %v, old secret %v; want the new only", verifies(hits[1], fresh), verifies(hits[1], secret0))
		}
		if _, _, err := st.RotateWebhookSecret(ctx, root, hook.ID, ledger.WebhookRotation{GraceHours: 169}); err == nil {
			t.Error("a grace of 169 hours is accepted")
		}
		if _, _, err := st.RotateWebhookSecret(ctx, root, hook.ID+100, ledger.WebhookRotation{GraceHours: 1}); err == nil {
			t.Error("an unknown webhook is rotated")
		}
	})
}

// TestPingGoesToOneWebhook: a ping reaches the webhook it was asked for,
// signed, and no other webhook, not even one that takes every event type.
func TestPingGoesToOneWebhook(t *testing.T) {
	each(t, func(t *testing.T, d store.Dialect) {
		clk := &clock{t: t0}
		st := testdb.Open(t, d, store.Options{Now: clk.Now})
		pinged, other := newReceiver(t), newReceiver(t)
		hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: pinged.URL, Events: []string{"topup.approved"}, Secret: secret0})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: other.URL, Events: ledger.WebhookEventTypes}); err != nil {
			t.Fatal(err)
		}
		d0, err := st.PingWebhook(ctx, root, hook.ID)
		if err != nil || d0.EventType != store.PingEvent || d0.Status != store.DeliveryPending {
			t.Fatalf("ping = %+v, %v", d0, err)
		}
		w := webhook.New(st, quiet, webhook.Options{Now: clk.Now, AllowPrivate: true})
		tick(t, w, 1)
		hits := pinged.got()
		if len(hits) != 1 || hits[0].header.Get("Coffer-Event") != store.PingEvent {
			t.Fatalf("the pinged webhook got %d requests, want one webhook.ping", len(hits))
		}
		if err := webhooksig.Verify(secret0, hits[0].header, hits[0].body, clk.Now(), time.Hour); err != nil {
			t.Errorf("the ping does not verify: %v", err)
		}
		if n := len(other.got()); n != 0 {
			t.Errorf("another webhook got %d requests from a ping", n)
		}
		if _, err := st.PingWebhook(ctx, root, hook.ID+100); err == nil {
			t.Error("an unknown webhook is pinged")
		}
	})
}
