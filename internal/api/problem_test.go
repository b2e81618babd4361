package api

import (
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

// TestEveryDomainErrorHasAStatus holds the one code→status table against
// every error the domain defines: an error missing from it would reach
// clients as a 500.
func TestEveryDomainErrorHasAStatus(t *testing.T) {
	for _, e := range ledger.KnownErrors() {
		s := StatusOf(e)
		if s < 400 || s >= 500 && e.Code != "archives_unavailable" {
			t.Errorf("%s (%s) answers %d", e.Code, e.Message, s)
		}
		if got := StatusOf(e.With("another message")); got != s {
			t.Errorf("%s with another message answers %d, not %d", e.Code, got, s)
		}
	}
	if s := StatusOf(&ledger.ValidationError{}); s != 422 {
		t.Errorf("a ValidationError answers %d", s)
	}
}
