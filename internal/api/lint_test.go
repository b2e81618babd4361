package api_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/store"
)

// TestOpenAPILint runs Redocly's linter, with its recommended rules, on the
// document the server serves: an integrator's tools see no error and no
// warning. The linter comes from the npm registry (testdata/redocly, which
// ./test.sh installs with npm ci); without it the test skips, unless
// COFFER_REQUIRE_NODE is set.
func TestOpenAPILint(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("testdata", "redocly"))
	cli := filepath.Join(dir, "node_modules", "@redocly", "cli", "bin", "cli.js")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(cli); err != nil || statErr != nil {
		if os.Getenv("COFFER_REQUIRE_NODE") != "" {
			t.Fatal("node or @redocly/cli is missing: run npm ci in internal/api/testdata/redocly (./test.sh does)")
		}
		t.Skip("node or @redocly/cli is missing; ./test.sh installs them")
	}
	e := newEnv(t, store.SQLite)
	doc := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(doc, e.do("GET", "/api/v1/openapi.json", "", nil).want(200).Body, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, cli, "lint", "--extends", "recommended", "--format", "json", doc)
	cmd.Dir = dir
	// The linter would otherwise phone home with usage data.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, _ := cmd.Output()
	var report struct {
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Location []struct {
				Pointer string `json:"pointer"`
			} `json:"location"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("the linter's report is not JSON: %v\n%s", err, out)
	}
	for _, p := range report.Problems {
		where := ""
		if len(p.Location) > 0 {
			where = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, where, strings.TrimSpace(p.Message))
	}
	t.Logf("redocly lint: %d problems", len(report.Problems))
}
