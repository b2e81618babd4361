// Package audit runs the sealer of the operation records: every instance of
// `coffer serve` links newly committed records into the hash chain about
// once a second (docs/architecture.md, "Operation records"). The sealing
// itself is one database transaction of the store's (store.SealAudit);
// sealers on several instances take turns on the chain's head row there.
package audit

import (
	"context"
	"time"
)

// Sealer seals the records that wait for their place in the chain and says
// how many it sealed; *store.Store is one.
type Sealer interface {
	SealAudit(ctx context.Context) (int, error)
}

// Logger is where the loop reports a failed round; *slog.Logger is one.
type Logger interface {
	Error(msg string, args ...any)
}

// SealEvery seals new operation records every interval until ctx ends. A
// failed round is logged and the next one tries again: a record waits
// unsealed, and so unarchivable, but is never lost.
func SealEvery(ctx context.Context, st Sealer, interval time.Duration, log Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := st.SealAudit(ctx); err != nil && ctx.Err() == nil {
				log.Error("sealing operation records", "err", err)
			}
		}
	}
}
