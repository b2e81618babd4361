package main

import (
	"fmt"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/testdb"
)

// TestMultiInstanceHolds runs two instances on one PostgreSQL: clients on
// both place holds and post charges on one account past its funds, and the
// floor holds with what was accepted exactly what the account shows; then
// one hold is captured from many clients with one key, across both
// instances, and posts once.
func TestMultiInstanceHolds(t *testing.T) {
	dsn := testdb.PostgresDSN(t)
	dir := t.TempDir()
	const password = "multi instance password"
	env := []string{"COFFER_ADMIN_USER=root", "COFFER_ADMIN_PASSWORD=" + password}
	var bases []string
	for range 2 {
		addr, _, _ := start(t, dir, env, "--db", dsn)
		bases = append(bases, "http://"+addr)
	}
	call := func(i int, want int, method, path, token string, body any, hdr ...string) map[string]any {
		t.Helper()
		code, m, _, err := multiCall(bases[i%2], method, path, token, body, hdr...)
		if err != nil || code != want {
			t.Fatalf("%s %s: %d %v %v; want %d", method, path, code, m, err, want)
		}
		return m
	}
	root := call(0, 200, "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": password})["token"].(string)
	c := call(1, 201, "POST", "/api/v1/customers", root, map[string]any{"name": "Campaigns"})
	tx := call(0, 201, "POST", "/api/v1/adjustments", root, map[string]any{"customer_id": c["id"], "currency": "USD",
		"direction": "credit", "amount": "50.00", "reason": "other", "note": "opening balance"})
	acc := tx["account_id"].(string)

	var mu sync.Mutex
	held, charged := 0, 0
	var holds []string
	var wg sync.WaitGroup
	for g := range 24 {
		wg.Go(func() {
			for n := range 3 {
				path, body, amount := "/api/v1/charges", map[string]any{"account_id": acc, "amount": "3.00"}, 300
				if g%2 == 0 {
					path, body, amount = "/api/v1/holds", map[string]any{"account_id": acc, "amount": "5.00"}, 500
				}
				code, m, _, err := multiCall(bases[g%2], "POST", path, root, body, "Idempotency-Key", fmt.Sprintf("race-%d-%d", g, n))
				mu.Lock()
				switch {
				case err != nil:
					t.Errorf("%s: %v", path, err)
				case code == 201 && g%2 == 0:
					held += amount
					holds = append(holds, m["id"].(string))
				case code == 201:
					charged += amount
				case code != 422 || m["code"] != "insufficient_funds":
					t.Errorf("%s: %d %v", path, code, m)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	a := call(1, 200, "GET", "/api/v1/accounts/"+acc, root, nil)
	if want := fmt.Sprintf("%d.%02d", (5000-charged)/100, (5000-charged)%100); a["balance"] != want {
		t.Errorf("balance %v after %d cents of charges, want %s", a["balance"], charged, want)
	}
	if want := fmt.Sprintf("%d.00", held/100); a["held"] != want || held+charged > 5000 {
		t.Errorf("held %v, accepted holds %d cents and charges %d cents on 5000", a["held"], held, charged)
	}
	if len(holds) == 0 {
		t.Fatal("no hold was accepted")
	}

	// One capture, many clients, one key, two instances.
	ids := map[string]int{}
	for g := range 10 {
		wg.Go(func() {
			code, m, _, err := multiCall(bases[g%2], "POST", "/api/v1/holds/"+holds[0]+"/capture", root, map[string]any{"amount": "2.00"},
				"Idempotency-Key", "capture-once")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case code == 201:
				ids[m["id"].(string)]++
			case code != 409 || m["code"] != "request_in_progress":
				t.Errorf("capture: %d %v", code, m)
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 {
		t.Errorf("one key captured as transactions %v", ids)
	}
	captures := call(0, 200, "GET", "/api/v1/transactions?type=charge&account_id="+acc+"&limit=500", root, nil)["items"].([]any)
	n := 0
	for _, it := range captures {
		if it.(map[string]any)["hold_id"] == holds[0] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d charges name hold %s, want 1", n, holds[0])
	}
}
