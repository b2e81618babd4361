// Package expiry is the background job that writes down the holds that ran
// out (SPEC 8). A hold stops counting against its account at its expiry
// whether or not this job has run; the job marks it expired, keeps the
// account's held, and sends hold.expired to the webhooks.
package expiry

import (
	"context"
	"log/slog"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// ActorName names the job in the operation records.
const ActorName = "hold expiry"

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
		for {
			n, err := st.ExpireHolds(ctx, actor, batch)
			if err != nil && ctx.Err() == nil {
				log.Error("holds: marking expired holds", "err", err)
			}
			if err != nil || n < batch {
				break
			}
		}
	}
}
