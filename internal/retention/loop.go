package retention

import (
	"context"
	"errors"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// ActorName names the daily job in operation records.
const ActorName = "retention"

// Schedule says when the retention job runs.
type Schedule struct {
	First time.Duration // after start (default one minute)
	Every time.Duration // then (default 24 hours)
	// After is the timer (default time.After); tests give one they control.
	After func(time.Duration) <-chan time.Time
}

// Logger is where the job reports its runs; *slog.Logger is one.
type Logger interface {
	Info(msg string, args ...any)
	Error(msg string, args ...any)
}

// Loop runs retention after sch.First and then every sch.Every until ctx
// ends. A run that stops at its size limit is followed at once by another.
// Every instance runs the loop; the lease lets one run at a time, and
// whatever a run leaves is the next one's.
func (a *Archiver) Loop(ctx context.Context, log Logger, sch Schedule) {
	if sch.First <= 0 {
		sch.First = time.Minute
	}
	if sch.Every <= 0 {
		sch.Every = 24 * time.Hour
	}
	if sch.After == nil {
		sch.After = time.After
	}
	wait := sch.First
	for {
		select {
		case <-ctx.Done():
			return
		case <-sch.After(wait):
		}
		for ctx.Err() == nil {
			if !a.daily(ctx, log) {
				break
			}
		}
		wait = sch.Every
	}
}

// daily is one run of the daily job, logged; it reports whether another
// should follow at once.
func (a *Archiver) daily(ctx context.Context, log Logger) (more bool) {
	res, err := a.Run(ctx, ledger.Actor{Name: ActorName}, Options{})
	switch {
	case errors.Is(err, ledger.ErrRetentionRunning):
		log.Info("retention: another instance is running it")
	case err != nil:
		if ctx.Err() == nil {
			log.Error("retention", "err", err)
		}
	case res.Archive != nil:
		log.Info("retention archived old rows", "file", res.Archive.FileName, "cutoff", res.Cutoff,
			"operation_records", res.Archive.AuditRecords, "entries", res.Archive.Entries, "more", res.More)
	}
	return err == nil && res.More
}
