package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/backoff"
)

func TestDelay(t *testing.T) {
	p := backoff.Policy{Base: 10 * time.Second, Max: time.Hour, Jitter: 0.25}
	for _, tc := range []struct {
		name    string
		attempt int
		want    time.Duration // before jitter
	}{
		{"FirstIsBase", 1, 10 * time.Second},
		{"SecondDoubles", 2, 20 * time.Second},
		{"NinthDoubledEightTimes", 9, 2560 * time.Second},
		{"TenthCapped", 10, time.Hour},
		{"FarBeyondCapped", 1000, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := tc.want*3/4, tc.want*5/4
			for range 200 {
				if d := p.Delay(tc.attempt); d < lo || d > hi {
					t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tc.attempt, d, lo, hi)
				}
			}
		})
	}
	t.Run("NoJitterIsExact", func(t *testing.T) {
		p := backoff.Policy{Base: 2 * time.Millisecond, Max: 500 * time.Millisecond}
		if d := p.Delay(3); d != 8*time.Millisecond {
			t.Fatalf("Delay(3) = %v, want 8ms", d)
		}
	})
	t.Run("ZeroBase", func(t *testing.T) {
		if d := (backoff.Policy{Jitter: 0.5}).Delay(4); d != 0 {
			t.Fatalf("Delay = %v, want 0", d)
		}
	})
}

func TestSleep(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := backoff.Sleep(context.Background(), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		if err := backoff.Sleep(ctx, time.Hour); err != context.Canceled {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if time.Since(start) > time.Second {
			t.Fatal("Sleep waited although ctx had ended")
		}
	})
}
