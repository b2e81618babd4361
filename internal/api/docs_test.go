package api_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// shellBlocks returns the ```sh blocks of a Markdown text, in order.
func shellBlocks(md string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// TestAPIGuideExamplesRun runs the examples of docs/api.md as one bash
// script against a real server, then checks that they did what the guide
// says they do.
func TestAPIGuideExamplesRun(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("COFFER_REQUIRE_TOOLS") != "" {
				t.Fatalf("%s is needed to run the API guide's examples: %v", tool, err)
			}
			t.Skipf("%s is not installed; the API guide's examples are not run (set COFFER_REQUIRE_TOOLS to make this a failure)", tool)
		}
	}
	guide, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(string(guide))
	if len(blocks) < 8 {
		t.Fatalf("docs/api.md has %d sh blocks; expected the whole walk-through", len(blocks))
	}
	script := "set -euo pipefail\n" + strings.Join(blocks, "\n")
	if !strings.Contains(string(guide), `"balance": "87.50"`) {
		t.Fatal(`docs/api.md no longer says the balance is "87.50"; update this test with it`)
	}

	eachDB(t, func(t *testing.T, e *env) {
		runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(runCtx, "bash", "-c", script)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "COFFER="+e.url, "COFFER_PASSWORD="+password, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the examples in docs/api.md failed: %v\n%s", err, out)
		}
		for _, want := range []string{"Idempotent-Replayed: true", "id,number,customer_id,customer_name", "charge -12.50", "adjustment 100.00",
			`"held": "30.00"`, `"available": "57.50"`, `"captured_amount": "12.00"`,
			"Winter top-up: 10% from 100.00 USD, version 1", `{"bonus_fixed":"15.00","bonus_percent":null,"version":2}`, "409 stale_version"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the examples' output lacks %q:\n%s", want, out)
			}
		}

		// What the script did, seen through the API.
		root := e.token[ledger.RoleSuperAdmin]
		toks := e.do("GET", "/api/v1/tokens", root, nil).want(200).items()
		if len(toks) != 1 || toks[0]["name"] != "billing" || toks[0]["role"] != "admin" || toks[0]["revoked_at"] != nil {
			t.Errorf("program tokens = %v, want one active admin token named billing", toks)
		}
		custs := e.do("GET", "/api/v1/customers?name=Acme", root, nil).want(200).items()
		if len(custs) != 1 {
			t.Fatalf("customers named Acme = %v, want one", custs)
		}
		accs := e.do("GET", "/api/v1/accounts?customer_id="+custs[0]["id"].(string), root, nil).want(200).items()
		if len(accs) != 1 || accs[0]["currency"] != "USD" || accs[0]["balance"] != "75.50" || accs[0]["held"] != "0.00" {
			t.Fatalf("accounts = %v, want one USD account with balance 75.50 (87.50 less the 12.00 captured) and nothing held", accs)
		}
		acc := accs[0]["id"].(string)
		charges := e.do("GET", "/api/v1/transactions?type=charge&account_id="+acc, root, nil).want(200).items()
		if len(charges) != 2 || charges[1]["amount"] != "-12.50" || charges[1]["reference"] != "order-1001" ||
			charges[0]["amount"] != "-12.00" || charges[0]["hold_id"] == nil {
			t.Errorf("charges = %v, want one of 12.50 for order-1001 although it was sent twice, and the hold's capture of 12.00", charges)
		}
		if ps := e.do("GET", "/api/v1/promotions", root, nil).want(200).items(); len(ps) != 1 || ps[0]["name"] != "Winter top-up" || ps[0]["version"] != 2.0 {
			t.Errorf("promotions = %v, want the winter rule at version 2, not renamed by the stale edit", ps)
		}
		if all := e.do("GET", "/api/v1/transactions?account_id="+acc, root, nil).want(200).items(); len(all) != 3 {
			t.Errorf("the account has %d transactions, want 3 (the credit, the charge and the capture)", len(all))
		}
	})
}
