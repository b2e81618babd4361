package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/audit"
)

// sealer counts its rounds and fails the ones the test asks it to.
type sealer struct {
	mu     sync.Mutex
	rounds int
	fail   map[int]bool
}

func (s *sealer) SealAudit(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rounds++
	if s.fail[s.rounds] {
		return 0, errors.New("database gone")
	}
	return 1, nil
}

func (s *sealer) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.rounds }

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Error(msg string, _ ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	l.mu.Unlock()
}

func (l *logLines) count() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.lines) }

// TestSealEvery: the loop seals round after round, logs a failed round and
// goes on, and returns when its context ends.
func TestSealEvery(t *testing.T) {
	st := &sealer{fail: map[int]bool{2: true}}
	log := &logLines{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); audit.SealEvery(ctx, st, time.Millisecond, log) }()
	for deadline := time.Now().Add(10 * time.Second); st.count() < 4; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d rounds in 10s", st.count())
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop does not stop when its context ends")
	}
	if n := log.count(); n != 1 {
		t.Errorf("%d rounds logged, want the failed one", n)
	}
}
