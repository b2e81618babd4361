package ledger

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFieldReasonsAreListed finds every reason the code gives a field
// problem and holds it against FieldReasons, which the web UI's catalog
// test holds against its messages: no reason reaches a user untranslated.
func TestFieldReasonsAreListed(t *testing.T) {
	// Import problems (import.go) give theirs after a line and a column.
	given := regexp.MustCompile(`(?:because|InvalidBecause)\("[^"]*", "([a-z_]+)"|problem\([a-z0-9]+, (?:"[^"]*"|[a-z]+), "([a-z_]+)"`)
	found := 0
	filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, m := range given.FindAllStringSubmatch(string(b), -1) {
			found++
			reason := m[1] + m[2]
			if !slices.Contains(FieldReasons, reason) {
				t.Errorf("%s gives the reason %q, which FieldReasons lacks", path, reason)
			}
		}
		return nil
	})
	if found < 20 {
		t.Fatalf("found only %d reasons given: the scan is broken", found)
	}
}
