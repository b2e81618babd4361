package retention_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/retention"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/testdb"
)

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Info(msg string, _ ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	l.mu.Unlock()
}
func (l *logLines) Error(msg string, _ ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, "ERROR "+msg)
	l.mu.Unlock()
}

// TestRetentionLoop runs the daily job on a timer the test fires.
func TestRetentionLoop(t *testing.T) {
	clock := &testClock{t: retentionStart}
	s := testdb.Open(t, store.SQLite, store.Options{Now: clock.Now})
	r := retention.New(s, t.TempDir())
	monthsOfActivity(t, s, clock, 3, "7600")
	fire := make(chan time.Time)
	var waits []time.Duration
	var mu sync.Mutex
	sch := retention.Schedule{After: func(d time.Duration) <-chan time.Time {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return fire
	}}
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	log := &logLines{}
	go func() { defer close(done); r.Loop(loopCtx, log, sch) }()

	archives := func() int {
		list, err := s.Archives(ctx, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	// run fires the timer and waits until the run it starts has finished:
	// the loop is waiting for the timer again.
	run := func() {
		mu.Lock()
		n := len(waits)
		mu.Unlock()
		fire <- time.Time{}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			more := len(waits) > n
			mu.Unlock()
			if more {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the retention job does not come back to its timer")
			}
		}
	}
	run() // the first run, shortly after start: nothing is old yet
	if n := archives(); n != 0 {
		t.Errorf("%d archives after the first run, want none", n)
	}
	clock.Set(retentionStart.AddDate(0, 0, 30*3+183))
	run() // a day later, everything is
	run() // and the day after that there is nothing new
	cancel()
	<-done
	if n := archives(); n != 1 {
		t.Errorf("%d archives after three days, want 1 (log: %v)", n, log.lines)
	}
	mustVerify(t, s)
	mu.Lock()
	defer mu.Unlock()
	if len(waits) < 3 || waits[0] != time.Minute || waits[1] != 24*time.Hour {
		t.Errorf("the job waited %v; want a minute, then a day each time", waits)
	}
	for _, l := range log.lines {
		if len(l) > 5 && l[:5] == "ERROR" {
			t.Errorf("the job logged %s", l)
		}
	}
}
