package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

// apiCall sends a JSON request and decodes a JSON answer.
func apiCall(base, method, path, token string, body any, hdr ...string) (int, map[string]any, error) {
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
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m, nil
}

// TestCrashSafety kills `coffer serve` with SIGKILL at random moments while
// clients post charges with idempotency keys, restarts it, and checks that
// every acknowledged charge is there exactly once, that retrying the
// unacknowledged keys posts each at most once, and that the ledger and the
// operation records verify.
func TestCrashSafety(t *testing.T) {
	for _, d := range testdb.Dialects {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			dsn := testdb.DSN(t, d)
			env := []string{"COFFER_ADMIN_USER=root", "COFFER_ADMIN_PASSWORD=crash test password"}
			var cmd *exec.Cmd
			var base string
			boot := func() {
				var addr string
				addr, cmd, _ = start(t, dir, env, "--db", dsn)
				base = "http://" + addr
			}
			boot()
			login := func() string {
				code, m, err := apiCall(base, "POST", "/api/v1/auth/login", "", map[string]any{"username": "root", "password": "crash test password"})
				if err != nil || code != 200 {
					t.Fatalf("login: %d %v %v", code, m, err)
				}
				return m["token"].(string)
			}
			token := login()
			_, c, _ := apiCall(base, "POST", "/api/v1/customers", token, map[string]any{"name": "Crash", "default_currency": "USD"})
			_, adj, _ := apiCall(base, "POST", "/api/v1/adjustments", token, map[string]any{"customer_id": c["id"], "currency": "USD",
				"direction": "credit", "amount": "1000000.00", "reason": "other", "note": "funds for the crash test"})
			acc := adj["account_id"].(string)

			var mu sync.Mutex
			acked := map[string]string{} // key -> transaction id
			sent := map[string]bool{}
			next := 0
			for round := 0; round < 4; round++ {
				stop := make(chan struct{})
				var wg sync.WaitGroup
				for g := 0; g < 8; g++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							select {
							case <-stop:
								return
							default:
							}
							mu.Lock()
							next++
							key := fmt.Sprintf("crash-%d", next)
							sent[key] = true
							mu.Unlock()
							code, m, err := apiCall(base, "POST", "/api/v1/charges", token, map[string]any{"account_id": acc, "amount": "0.01", "reference": key},
								"Idempotency-Key", key)
							if err != nil {
								return // the server is gone
							}
							if code == 201 {
								mu.Lock()
								acked[key] = m["id"].(string)
								mu.Unlock()
							}
						}
					}()
				}
				time.Sleep(time.Duration(150+rand.IntN(400)) * time.Millisecond)
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				close(stop)
				wg.Wait()
				boot()
				token = login()
			}
			// Retry every key sent: an acknowledged one replays its first
			// answer; an unacknowledged one posts now or replays a charge
			// that was committed just before the kill.
			for key := range sent {
				code, m, err := apiCall(base, "POST", "/api/v1/charges", token, map[string]any{"account_id": acc, "amount": "0.01", "reference": key},
					"Idempotency-Key", key)
				if err != nil || code != 201 {
					t.Fatalf("retry %s: %d %v %v", key, code, m, err)
				}
				if first, ok := acked[key]; ok && m["id"] != first {
					t.Errorf("key %s was acknowledged as transaction %s but now answers %v", key, first, m["id"])
				}
			}
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()

			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// Exactly one charge per key, acknowledged or not.
			rows, err := st.DB().Query("SELECT reference, COUNT(*) FROM transactions WHERE type = 'charge' GROUP BY reference")
			if err != nil {
				t.Fatal(err)
			}
			perKey := map[string]int{}
			for rows.Next() {
				var ref string
				var n int
				rows.Scan(&ref, &n)
				perKey[ref] = n
			}
			rows.Close()
			for key := range sent {
				if perKey[key] != 1 {
					t.Errorf("key %s posted %d charges, want 1", key, perKey[key])
				}
			}
			if len(perKey) != len(sent) {
				t.Errorf("%d charge references for %d keys sent", len(perKey), len(sent))
			}
			if problems, err := st.VerifyLedger(context.Background()); err != nil || len(problems) > 0 {
				t.Errorf("ledger after crashes: %v %v", problems, err)
			}
			if rep, err := st.VerifyAudit(context.Background()); err != nil || !rep.OK {
				t.Errorf("operation records after crashes: %+v %v", rep, err)
			}
			a, _ := st.Account(context.Background(), mustParseID(t, acc))
			if want := int64(100000000 - len(sent)); a.Balance != want {
				t.Errorf("balance %d, want %d after %d charges of 0.01", a.Balance, want, len(sent))
			}
			t.Logf("%d charges sent over 4 kills, %d acknowledged before a kill", len(sent), len(acked))
		})
	}
}

func mustParseID(t *testing.T, s string) int64 {
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}
