// Package retention runs Coffer's retention (SPEC section 2,
// docs/retention.md): operation records and ledger entries older than the
// retention period are written to an archive file, then removed from the
// database. It holds the job, run daily by every `coffer serve` or at once
// by a super admin, and the archive files and their directory; the store
// holds what the job asks of the database (reading the rows, the lease,
// removing the rows and recording the archive).
//
// A run:
//  1. seals waiting operation records (only sealed ones can be archived);
//  2. takes the retention lease, so that one instance runs at a time;
//  3. reads, in one snapshot, what is old enough (store.PlanRetention),
//     which refuses rows that do not verify: their evidence stays;
//  4. inside that snapshot, writes the rows to a gzip file of JSON lines and
//     fsyncs it and its directory;
//  5. only then, in one database transaction (store.CommitRetention),
//     removes exactly those rows, records the archive with the file's
//     SHA-256, moves the checkpoints and writes an operation record. If that
//     fails, the file is removed again.
//
// A crash between 4 and 5 leaves a file no archive names, never rows gone
// from the database that no file holds.
package retention

import (
	"context"
	"fmt"
	"iter"
	"os"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// Defaults of a run.
const (
	defaultBatch = 50000
	// leaseFor is how long a run holds the lease: longer than a run of
	// defaultBatch rows takes. A run that dies leaves the lease to run out.
	leaseFor = 15 * time.Minute
)

// Archiver runs retention on a store and serves the archive files it wrote
// from its directory. It is safe for concurrent use; runs on one or several
// instances take turns through the store's lease.
type Archiver struct {
	store *store.Store
	dir   string
}

// New returns an archiver that writes archive files to dir and serves them
// from there. Instances sharing a database should share the directory. An
// empty dir makes runs and downloads ledger.ErrNoArchiveDir.
func New(st *store.Store, dir string) *Archiver { return &Archiver{store: st, dir: dir} }

// Dir is the archive directory; "" for none.
func (a *Archiver) Dir() string { return a.dir }

// Options tune one run; the zero value is the daily job's.
type Options struct {
	// Cutoff: rows older than this are archived. Zero: now minus the
	// retention period. Tests and maintenance set it; it may not be later
	// than now.
	Cutoff time.Time
	// MaxTransactions and MaxRecords bound one run (default 50,000 each), so
	// that its file and its database transaction stay small; a run that
	// reaches either says More, and the daily job runs again at once.
	MaxTransactions int
	MaxRecords      int
}

// Result is what a run did.
type Result struct {
	Cutoff  time.Time
	Archive *store.Archive // nil when nothing was old enough
	More    bool           // rows older than the cutoff remain for another run
}

// Run archives and removes what is older than the cutoff. actor is who
// asked (the daily job: ledger.Actor{Name: ActorName}).
func (a *Archiver) Run(ctx context.Context, actor ledger.Actor, opt Options) (Result, error) {
	if a.dir == "" {
		return Result{}, ledger.ErrNoArchiveDir
	}
	now := a.store.Now()
	res := Result{Cutoff: opt.Cutoff}
	cutoff, err := a.cutoff(ctx, now, opt.Cutoff)
	if err != nil {
		return res, err
	}
	res.Cutoff = cutoff
	lim := store.RetentionLimits{MaxTransactions: opt.MaxTransactions, MaxRecords: opt.MaxRecords}
	if lim.MaxTransactions <= 0 {
		lim.MaxTransactions = defaultBatch
	}
	if lim.MaxRecords <= 0 {
		lim.MaxRecords = defaultBatch
	}
	if _, err := a.store.SealAudit(ctx); err != nil {
		return res, err
	}

	lease, err := a.store.TakeRetentionLease(ctx, now, leaseFor)
	if err != nil {
		return res, err
	}
	// A lease that could not be given back runs out by itself.
	defer a.store.ReleaseRetentionLease(context.WithoutCancel(ctx), lease)

	// The file is written and synced inside the snapshot the rows are read
	// from, before anything leaves the database.
	var file *archiveFile
	batch, err := a.store.PlanRetention(ctx, cutoff, lim, func(b *store.RetentionBatch, records iter.Seq2[store.AuditRecord, error]) error {
		var err error
		file, err = writeArchive(a.dir, now, b, records)
		return err
	})
	if err != nil {
		return res, err
	}
	if file == nil {
		return res, a.store.RetentionFinished(ctx, lease, now)
	}
	res.More = batch.More
	// The commit is short and is not cut by the caller's cancellation: a
	// shutdown waits for it rather than waste the file.
	arch, err := a.store.CommitRetention(context.WithoutCancel(ctx), actor, lease, batch,
		store.ArchiveFile{Name: file.name, Size: file.size, SHA256: file.sha256, CreatedAt: now})
	if err != nil {
		a.discard(ctx, file)
		return res, err
	}
	res.Archive = &arch
	return res, a.store.RetentionFinished(context.WithoutCancel(ctx), lease, now)
}

// cutoff is the given cutoff, or now minus the retention period, to the
// microsecond the database keeps, in UTC.
func (a *Archiver) cutoff(ctx context.Context, now, given time.Time) (time.Time, error) {
	if given.IsZero() {
		st, err := a.store.Settings(ctx)
		if err != nil {
			return given, err
		}
		given = now.AddDate(0, 0, -st.RetentionDays)
	}
	given = time.UnixMicro(given.UnixMicro()).UTC()
	if given.After(now) {
		return given, fmt.Errorf("retention: cutoff %s is in the future", given.Format(time.RFC3339))
	}
	return given, nil
}

// discard removes the file of a run whose commit failed: the rows stay in
// the database, so the file goes; unless the commit's outcome is unknown (a
// lost connection) and it may have happened: an extra file is harmless, a
// lost archive is not.
func (a *Archiver) discard(ctx context.Context, f *archiveFile) {
	if a.store.ArchiveRecorded(ctx, f.name) {
		return
	}
	if err := os.Remove(f.path); err == nil {
		syncDir(a.dir)
	}
}
