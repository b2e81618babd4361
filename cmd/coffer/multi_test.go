package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/internal/webhook"
	"github.com/cofferhq/coffer/webhooksig"
)

// multiCall is apiCall with the answer's headers.
func multiCall(base, method, path, token string, body any, hdr ...string) (int, map[string]any, http.Header, error) {
	var b bytes.Buffer
	if body != nil {
		json.NewEncoder(&b).Encode(body)
	}
	req, _ := http.NewRequest(method, base+path, &b)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] != "" {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m, res.Header, nil
}

// TestMultiInstance runs three `coffer serve` processes on one PostgreSQL
// database, with no balancer: the clients spread their requests over the
// instances themselves. Floors, idempotency, maker-checker, webhook
// delivery and alert edges must hold across instances, and the ledger and
// the operation records must verify at the end.
func TestMultiInstance(t *testing.T) {
	dsn := testdb.PostgresDSN(t)
	dir := t.TempDir()
	const password = "multi instance password"
	env := []string{"COFFER_ADMIN_USER=root", "COFFER_ADMIN_PASSWORD=" + password, "COFFER_ALLOW_PRIVATE_WEBHOOKS=1"}
	var bases []string
	var cmds []*exec.Cmd
	for range 3 {
		addr, cmd, _ := start(t, dir, env, "--db", dsn)
		bases = append(bases, "http://"+addr)
		cmds = append(cmds, cmd)
	}
	inst := func(i int) string { return bases[i%len(bases)] }

	must := func(want int, base, method, path, token string, body any, hdr ...string) map[string]any {
		t.Helper()
		code, m, _, err := multiCall(base, method, path, token, body, hdr...)
		if err != nil || code != want {
			t.Fatalf("%s %s on %s: %d %v %v; want %d", method, path, base, code, m, err, want)
		}
		return m
	}
	login := func(base, user, pw string) string {
		t.Helper()
		return must(200, base, "POST", "/api/v1/auth/login", "", map[string]any{"username": user, "password": pw})["token"].(string)
	}
	root := login(inst(0), "root", password)

	// A webhook receiver on loopback that counts deliveries per event.
	const secret = "multi-instance-webhook-secret"
	var hookMu sync.Mutex
	perEvent := map[string]int{}
	eventType := map[string]string{}
	deliveryIDs := map[string]int{}
	badSignatures := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev webhook.Body
		json.Unmarshal(body, &ev)
		hookMu.Lock()
		defer hookMu.Unlock()
		if webhooksig.Verify(secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			badSignatures++
		}
		perEvent[ev.ID]++
		eventType[ev.ID] = ev.Type
		deliveryIDs[r.Header.Get("Coffer-Delivery")]++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	hook := must(201, inst(1), "POST", "/api/v1/webhooks", root, map[string]any{"url": receiver.URL + "/hook", "secret": secret,
		"events": ledger.WebhookEventTypes})

	// Administrators: a maker and two reviewers, each logged in on another instance.
	for _, a := range []struct{ name, role string }{{"maker", "admin"}, {"checker1", "reviewer"}, {"checker2", "reviewer"}} {
		must(201, inst(2), "POST", "/api/v1/admins", root, map[string]any{"username": a.name, "name": a.name, "role": a.role, "password": password})
	}
	maker, checker1, checker2 := login(inst(1), "maker", password), login(inst(2), "checker1", password), login(inst(0), "checker2", password)

	// newAccount makes a customer with a USD account funded with amount.
	newAccount := func(name, amount string) string {
		t.Helper()
		c := must(201, inst(0), "POST", "/api/v1/customers", maker, map[string]any{"name": name})
		tx := must(201, inst(1), "POST", "/api/v1/adjustments", maker, map[string]any{"customer_id": c["id"], "currency": "USD",
			"direction": "credit", "amount": amount, "reason": "other", "note": "opening balance"}, "Idempotency-Key", "open-"+name)
		return tx["account_id"].(string)
	}
	account := func(id string) map[string]any {
		t.Helper()
		return must(200, inst(2), "GET", "/api/v1/accounts/"+id, maker, nil)
	}

	// --- Floors and alert edges: concurrent charges of 1.00 from 24 clients
	// over the three instances. Each account starts at 10.00 with a credit
	// limit of 5.00 and an alert amount of 5.00, so exactly 15 charges fit;
	// the balance crosses the alert amount once. A credit of 20.00 then
	// lifts it to 15.00, clearing the alert, and the next 20 charges that
	// fit cross it once more.
	var floorAccounts []string
	for i := range 4 {
		id := newAccount(fmt.Sprintf("Floor %d", i), "10.00")
		must(200, inst(i), "PATCH", "/api/v1/accounts/"+id, root, map[string]any{"credit_limit": "5.00", "alert_amount": "5.00"})
		floorAccounts = append(floorAccounts, id)
	}
	chargeAll := func(round string, attempts int) map[string]int {
		t.Helper()
		var mu sync.Mutex
		accepted := map[string]int{}
		var wg sync.WaitGroup
		work := make(chan [2]int)
		for g := range 24 {
			wg.Go(func() {
				for w := range work {
					acc := floorAccounts[w[0]]
					key := fmt.Sprintf("floor-%s-%s-%d", round, acc, w[1])
					code, m, _, err := multiCall(inst(g), "POST", "/api/v1/charges", maker, map[string]any{"account_id": acc, "amount": "1.00", "reference": key},
						"Idempotency-Key", key)
					switch {
					case err != nil:
						t.Errorf("charge %s: %v", key, err)
					case code == 201:
						mu.Lock()
						accepted[acc]++
						mu.Unlock()
					case code == 422 && m["code"] == "insufficient_funds":
					default:
						t.Errorf("charge %s: %d %v", key, code, m)
					}
				}
			})
		}
		for n := range attempts {
			for a := range floorAccounts {
				work <- [2]int{a, n}
			}
		}
		close(work)
		wg.Wait()
		return accepted
	}
	accepted := chargeAll("1", 30)
	for _, acc := range floorAccounts {
		a := account(acc)
		if accepted[acc] != 15 || a["balance"] != "-5.00" || a["available"] != "0.00" {
			t.Errorf("account %s after round 1: %d charges accepted, balance %v, available %v; want 15, -5.00, 0.00", acc, accepted[acc], a["balance"], a["available"])
		}
		must(201, inst(1), "POST", "/api/v1/adjustments", maker, map[string]any{"account_id": acc, "direction": "credit", "amount": "20.00",
			"reason": "other", "note": "refill"}, "Idempotency-Key", "refill-"+acc)
	}
	accepted = chargeAll("2", 30)
	for _, acc := range floorAccounts {
		a := account(acc)
		if accepted[acc] != 20 || a["balance"] != "-5.00" {
			t.Errorf("account %s after round 2: %d charges accepted, balance %v; want 20, -5.00", acc, accepted[acc], a["balance"])
		}
		alerts := must(200, inst(0), "GET", "/api/v1/alerts?account_id="+acc, maker, nil)["items"].([]any)
		active := 0
		for _, al := range alerts {
			if al.(map[string]any)["active"] == true {
				active++
			}
		}
		if len(alerts) != 2 || active != 1 {
			t.Errorf("account %s has %d alerts (%d open) after two crossings; want 2 (1 open): %v", acc, len(alerts), active, alerts)
		}
	}

	// --- Idempotency: each key is sent by six clients at once, two per
	// instance. A repeat on the instance still answering the first gets
	// request_in_progress and tries again; every 201 names one transaction.
	idemAcc := newAccount("Idempotent", "1000.00")
	const keys = 10
	var wg sync.WaitGroup
	var idMu sync.Mutex
	txOfKey := map[string]map[any]int{}
	for k := range keys {
		key := fmt.Sprintf("same-key-%d", k)
		txOfKey[key] = map[any]int{}
		for c := range 6 {
			wg.Go(func() {
				for try := 0; ; try++ {
					code, m, h, err := multiCall(inst(c), "POST", "/api/v1/charges", maker, map[string]any{"account_id": idemAcc, "amount": "2.50",
						"reference": key}, "Idempotency-Key", key)
					if err == nil && code == 409 && m["code"] == "request_in_progress" && try < 100 {
						time.Sleep(20 * time.Millisecond)
						continue
					}
					if err != nil || code != 201 {
						t.Errorf("key %s on instance %d: %d %v %v", key, c%3, code, m, err)
						return
					}
					idMu.Lock()
					txOfKey[key][m["id"]]++
					if h.Get("Idempotent-Replayed") == "true" {
						txOfKey[key]["replayed"]++
					}
					idMu.Unlock()
					return
				}
			})
		}
	}
	wg.Wait()
	for key, ids := range txOfKey {
		if len(ids) != 2 || ids["replayed"] != 5 {
			t.Errorf("key %s: answers %v; want one transaction id, 5 of 6 answers replayed", key, ids)
		}
	}
	if code, m, _, _ := multiCall(inst(2), "POST", "/api/v1/charges", maker, map[string]any{"account_id": idemAcc, "amount": "9.99",
		"reference": "same-key-0"}, "Idempotency-Key", "same-key-0"); code != 422 || m["code"] != "idempotency_key_reused" {
		t.Errorf("same key, another body, another instance: %d %v", code, m)
	}
	if a := account(idemAcc); a["balance"] != "975.00" {
		t.Errorf("balance after %d keys of 2.50 each sent six times: %v, want 975.00", keys, a["balance"])
	}
	charges := must(200, inst(0), "GET", "/api/v1/transactions?type=charge&limit=500&account_id="+idemAcc, maker, nil)["items"].([]any)
	if len(charges) != keys {
		t.Errorf("%d charges posted for %d keys", len(charges), keys)
	}

	// --- Maker-checker: each request gets two approvals and a rejection (or
	// a third approval) at once, from two reviewers on three instances;
	// checker1 sends both of its approvals with one key. Exactly one
	// decision wins, and an approval posts once.
	mcAcc := newAccount("Reviewed", "1.00")
	cust := account(mcAcc)["customer_id"]
	methods := must(200, inst(0), "GET", "/api/v1/payment-methods", maker, nil)["items"].([]any)
	method := methods[0].(map[string]any)["id"]
	const requests = 8
	approved := 0
	for r := range requests {
		top := must(201, inst(r), "POST", "/api/v1/topups", maker, map[string]any{"customer_id": cust, "currency": "USD", "amount": "10.00",
			"payment_method": method}, "Idempotency-Key", fmt.Sprintf("topup-%d", r))
		id := top["id"].(string)
		type outcome struct {
			who  string
			code int
			m    map[string]any
		}
		outs := make(chan outcome, 3)
		third := "reject" // every other request: three approvals
		if r%2 == 0 {
			third = "approve"
		}
		for _, d := range []struct {
			who, token, action, key string
			i                       int
		}{{"checker1", checker1, "approve", "approve-" + id, 0}, {"checker1", checker1, "approve", "approve-" + id, 1}, {"checker2", checker2, third, "", 2}} {
			wg.Go(func() {
				code, m, _, err := multiCall(inst(d.i+r), "POST", "/api/v1/topups/"+id+"/"+d.action, d.token, map[string]any{}, "Idempotency-Key", d.key)
				if err != nil {
					t.Error(err)
				}
				outs <- outcome{d.who + " " + d.action, code, m}
			})
		}
		wg.Wait()
		close(outs)
		wins := map[string]bool{}
		for o := range outs {
			switch {
			case o.code == 200:
				wins[o.m["status"].(string)+" "+fmt.Sprint(o.m["transaction_id"])] = true
			case o.code == 409 && o.m["code"] == "not_pending":
			default:
				t.Errorf("top-up %s, %s: %d %v", id, o.who, o.code, o.m)
			}
		}
		final := must(200, inst(r+1), "GET", "/api/v1/topups/"+id, maker, nil)
		if len(wins) != 1 || !wins[final["status"].(string)+" "+fmt.Sprint(final["transaction_id"])] {
			t.Errorf("top-up %s: decisions %v, final %v %v; want exactly one decision", id, wins, final["status"], final["transaction_id"])
		}
		if final["status"] == "approved" {
			approved++
		}
	}
	topups := must(200, inst(2), "GET", "/api/v1/transactions?type=topup&limit=500&account_id="+mcAcc, maker, nil)["items"].([]any)
	if want := fmt.Sprintf("%d.00", 1+10*approved); len(topups) != approved || account(mcAcc)["balance"] != want {
		t.Errorf("%d of %d requests approved, but %d top-ups posted and balance %v (want %s)", approved, requests, len(topups), account(mcAcc)["balance"], want)
	}
	if approved < requests/2 {
		t.Errorf("%d of %d requests approved; those with three approvals and no rejection must be", approved, requests)
	}
	t.Logf("%d of %d top-up requests approved, the others rejected", approved, requests)
	// Nobody approves their own request, whichever instance they ask.
	own := must(201, inst(0), "POST", "/api/v1/topups", root, map[string]any{"customer_id": cust, "currency": "USD", "amount": "3.00", "payment_method": method})
	if code, m, _, _ := multiCall(inst(1), "POST", "/api/v1/topups/"+own["id"].(string)+"/approve", root, map[string]any{}); code != 403 || m["code"] != "self_approval" {
		t.Errorf("self-approval on another instance: %d %v", code, m)
	}
	must(200, inst(2), "POST", "/api/v1/topups/"+own["id"].(string)+"/approve", checker2, map[string]any{})

	// --- Webhooks: every event since the webhook was registered reaches the
	// receiver exactly once, although three workers deliver.
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]string{}
	rows, err := st.DB().Query(`SELECT e.id, e.type FROM events e, webhooks w WHERE w.id = $1 AND e.id > w.after_event_id`,
		mustParseID(t, hook["id"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var typ string
		rows.Scan(&id, &typ)
		want[fmt.Sprint(id)] = typ
	}
	rows.Close()
	belowAlert := 0
	for _, typ := range want {
		if typ == "account.below_alert" {
			belowAlert++
		}
	}
	if belowAlert != 2*len(floorAccounts) {
		t.Errorf("%d account.below_alert events for %d accounts that crossed twice each", belowAlert, len(floorAccounts))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		hookMu.Lock()
		got := len(perEvent)
		hookMu.Unlock()
		if got >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // room for a duplicate to arrive
	hookMu.Lock()
	for id, typ := range want {
		if perEvent[id] != 1 || eventType[id] != typ {
			t.Errorf("event %s (%s) delivered %d times as %q; want once", id, typ, perEvent[id], eventType[id])
		}
	}
	for id := range perEvent {
		if _, ok := want[id]; !ok {
			t.Errorf("event %s delivered but not expected", id)
		}
	}
	for d, n := range deliveryIDs {
		if n != 1 {
			t.Errorf("delivery %s sent %d times", d, n)
		}
	}
	if badSignatures > 0 {
		t.Errorf("%d deliveries with a bad signature", badSignatures)
	}
	t.Logf("%d events delivered once each over 3 instances", len(perEvent))
	hookMu.Unlock()

	// --- The instances stop cleanly; the ledger and the records verify.
	for _, cmd := range cmds {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("instance exit after SIGTERM: %v", err)
		}
	}
	if problems, err := st.VerifyLedger(context.Background()); err != nil || len(problems) > 0 {
		t.Errorf("ledger: %v %v", problems, err)
	}
	if rep, err := st.VerifyAudit(context.Background()); err != nil || !rep.OK {
		t.Errorf("operation records: %+v %v", rep, err)
	}
}
