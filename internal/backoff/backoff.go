// Package backoff spaces out the attempts of work that fails for a while:
// each wait doubles the one before, up to a bound, and is jittered, so that
// callers that failed together do not all come back at the same instant.
// The store waits so before it retries a transaction the database aborted
// (milliseconds), the webhook worker before it sends a delivery a receiver
// refused again (seconds to an hour).
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy says how the waits grow.
type Policy struct {
	Base time.Duration // the wait after the first failed attempt
	Max  time.Duration // where the doubling stops, before jitter
	// Jitter spreads each wait evenly over ±Jitter of itself: with 0.25 a
	// wait of 4s is anything from 3s to 5s.
	Jitter float64
}

// Delay is the wait after failed attempt number attempt (from 1): Base,
// doubled for each attempt after the first, at most Max, then jittered.
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	spread := time.Duration(float64(d) * p.Jitter)
	return d - spread + rand.N(2*spread+1)
}

// Sleep waits for d, or until ctx ends; it returns ctx's error in that case.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
