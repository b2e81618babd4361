// Package expiry is the background job that writes down what ran out: the
// holds (SPEC 8) and the bonus lots (SPEC 11). A hold stops counting
// against its account at its expiry whether or not this job has run; the
// job marks it expired, keeps the account's held, and sends hold.expired
// to the webhooks. A bonus lot past its expiry is never spent; the job
// posts what is left of it as a bonus_expired transaction.
package expiry

import (
	"context"
	"log/slog"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// ActorName names the job in the operation records.
const ActorName = "expiry"

// batch is how many holds one round marks at most; a full round runs the
// next one at once.
const batch = 200

// Every marks the holds that ran out, every interval, until ctx ends.
func Every(ctx context.Context, st *store.Store, interval time.Duration, log *slog.Logger) {
	actor := ledger.Actor{Name: ActorName}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		drain(ctx, log, "holds: marking expired holds", func() (int, error) { return st.ExpireHolds(ctx, actor, batch) })
		drain(ctx, log, "bonus: posting expired bonus", func() (int, error) { return st.ExpireBonus(ctx, actor, batch) })
	}
}

// drain runs round until it does less than a batch or fails.
func drain(ctx context.Context, log *slog.Logger, what string, round func() (int, error)) {
	for {
		n, err := round()
		if err != nil && ctx.Err() == nil {
			log.Error(what, "err", err)
		}
		if err != nil || n < batch {
			return
		}
	}
}
