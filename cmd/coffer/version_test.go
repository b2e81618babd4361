package main

import (
	"strings"
	"testing"
)

// TestVersionStamped checks that a version stamped at build time
// (-X main.buildVersion, as deploy/release.sh does) is what coffer version
// shows first, and that without one the toolchain's version stays.
func TestVersionStamped(t *testing.T) {
	saved := buildVersion
	t.Cleanup(func() { buildVersion = saved })

	t.Run("Stamped", func(t *testing.T) {
		buildVersion = "v9.8.7-test"
		if got := version(); !strings.HasPrefix(got, "coffer v9.8.7-test") {
			t.Fatalf("version() = %q, want it to start with %q", got, "coffer v9.8.7-test")
		}
	})
	t.Run("NotStamped", func(t *testing.T) {
		buildVersion = ""
		got := version()
		if !strings.HasPrefix(got, "coffer ") || strings.Contains(got, "v9.8.7-test") {
			t.Fatalf("version() = %q, want the toolchain's version", got)
		}
	})
}
