package ledger

import (
	"errors"
	"testing"
)

// TestTopUpRules: who may change a request, and when a decision on it
// stands (maker-checker and SPEC section 7).
func TestTopUpRules(t *testing.T) {
	maker, checker := Actor{AdminID: 1}, Actor{AdminID: 2}
	pending := TopUpRequest{CreatedBy: 1, Status: TopUpPending, Version: 3}
	decided := TopUpRequest{CreatedBy: 1, Status: TopUpApproved, Version: 4}
	v := func(n int64) *int64 { return &n }
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"the submitter edits a pending request", pending.CheckEdit(maker), nil},
		{"another edits it", pending.CheckEdit(checker), ErrNotSubmitter},
		{"the submitter edits a decided one", decided.CheckEdit(maker), ErrNotPending},
		{"a decision without a version", pending.CheckDecision(nil), nil},
		{"a decision on the version seen", pending.CheckDecision(v(3)), nil},
		{"a decision on an older version", pending.CheckDecision(v(2)), ErrStaleVersion},
		{"a decision on a version never current", pending.CheckDecision(v(4)), ErrStaleVersion},
		{"a decision on a decided request", decided.CheckDecision(v(4)), ErrNotPending},
		{"another reviews it", pending.CheckReviewer(checker, false), nil},
		{"its submitter reviews it", pending.CheckReviewer(maker, false), ErrSelfApproval},
		{"its submitter posts it directly", pending.CheckReviewer(maker, true), nil},
	} {
		if c.want == nil && c.err != nil || c.want != nil && !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}
