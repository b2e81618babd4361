package webhook_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/webhook"
)

// TestStandardWebhooksLibrariesVerify sends real deliveries and checks them
// the way receivers would, with the Standard Webhooks project's own
// libraries: the Go one, and the JavaScript one under node. Both secrets a
// webhook may have are tried: one Coffer generated ("whsec_" and base64)
// and one the operator chose (a raw secret to those libraries). A changed
// body and the wrong secret must fail in both.
func TestStandardWebhooksLibrariesVerify(t *testing.T) {
	st := testdb.Open(t, store.SQLite, store.Options{})
	rec := newReceiver(t)
	generated, secret, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL + "/a", Events: []string{"topup.approved"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("generated secret %q", secret)
	}
	chosen, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL + "/b", Events: []string{"topup.approved"}, Secret: secret0})
	if err != nil {
		t.Fatal(err)
	}
	insertEvent(t, st, "topup.approved", `{"id":"7","amount":"10.00","currency":"USD"}`, time.Now())
	w := webhook.New(st, quiet, webhook.Options{AllowPrivate: true})
	tick(t, w, 2)

	secrets := map[string]string{"/a": secret, "/b": secret0}
	raw := map[string]bool{"/b": true}
	hits := rec.got()
	if len(hits) != 2 || generated.ID == chosen.ID {
		t.Fatalf("receiver got %d requests, want one per webhook", len(hits))
	}
	for _, h := range hits {
		path := h.path
		key := secrets[path]
		var wh *standardwebhooks.Webhook
		if raw[path] {
			wh, err = standardwebhooks.NewWebhookRaw([]byte(key))
		} else {
			wh, err = standardwebhooks.NewWebhook(key)
		}
		if err != nil {
			t.Fatalf("%s: the Go library refuses the secret: %v", path, err)
		}
		if err := wh.Verify(h.body, h.header); err != nil {
			t.Errorf("%s: the Go library does not verify the delivery: %v", path, err)
		}
		tampered := append([]byte(nil), h.body...)
		tampered[len(tampered)-2] ^= 1
		if wh.Verify(tampered, h.header) == nil {
			t.Errorf("%s: the Go library verifies a changed body", path)
		}
		if out, ok := nodeVerify(t, key, raw[path], h); !ok {
			t.Errorf("%s: the JavaScript library does not verify the delivery: %s", path, out)
		}
		if out, ok := nodeVerify(t, key, raw[path], hit{header: h.header, body: tampered}); ok {
			t.Errorf("%s: the JavaScript library verifies a changed body: %s", path, out)
		}
		if out, ok := nodeVerify(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false, h); ok {
			t.Errorf("%s: the JavaScript library verifies with another secret: %s", path, out)
		}
	}
}

// nodeVerify runs testdata/node/verify.mjs on a delivery. It skips the test
// when node or the library is missing, unless COFFER_REQUIRE_NODE is set
// (./test.sh installs the library with npm ci and sets it).
func nodeVerify(t *testing.T, secret string, raw bool, h hit) (string, bool) {
	t.Helper()
	dir := filepath.Join("testdata", "node")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks")); err != nil || statErr != nil {
		if os.Getenv("COFFER_REQUIRE_NODE") != "" {
			t.Fatal("node or the standardwebhooks package is missing: run npm ci in internal/webhook/testdata/node (./test.sh does)")
		}
		t.Skip("node or the standardwebhooks package is missing; ./test.sh installs them")
	}
	headers := map[string]string{}
	for k := range h.header {
		headers[strings.ToLower(k)] = h.header.Get(k)
	}
	in, _ := json.Marshal(map[string]any{"secret": secret, "raw": raw, "headers": headers, "body": string(h.body)})
	cmd := exec.Command(node, "verify.mjs")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err == nil && strings.TrimSpace(string(out)) == "ok"
}

// A worker that may not reach private addresses does not connect to a
// receiver on loopback, even for a webhook registered for it (the check is
// on the address dialed): the attempt fails, saying why, and the receiver
// gets nothing.
func TestWorkerRefusesPrivateAddresses(t *testing.T) {
	st := testdb.Open(t, store.SQLite, store.Options{})
	rec := newReceiver(t)
	hook, _, err := st.CreateWebhook(ctx, root, ledger.NewWebhook{URL: rec.URL, Events: []string{"topup.approved"}})
	if err != nil {
		t.Fatal(err)
	}
	insertEvent(t, st, "topup.approved", `{"id":"1"}`, time.Now())
	tick(t, webhook.New(st, quiet, webhook.Options{}), 1)
	if n := len(rec.got()); n != 0 {
		t.Fatalf("the receiver on loopback got %d requests", n)
	}
	ds := deliveries(t, st, hook.ID)
	if len(ds) != 1 || ds[0].Status != store.DeliveryPending || !strings.Contains(ds[0].LastError, "not a public one") {
		t.Errorf("delivery after a refused attempt: %+v", ds)
	}
}
