package store

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Group commit. SQLite has one writer and, with synchronous=FULL, one fsync
// per commit; committing each posting alone spent most of its time there.
// The batcher runs the postings that arrive while it is busy in one database
// transaction, each inside its own savepoint, so that one posting's error
// rolls back only that posting, and commits them with one fsync. Callers get
// their answer only after the commit.
//
// If anything goes wrong at the batch level (a savepoint that cannot be
// released, a failed commit), the batch is rolled back as a whole and each
// posting is run again on its own; the postings are idempotent within their
// transaction, so that is always safe.

const maxBatch = 128

var errClosed = errors.New("store: closed")

type job struct {
	ctx  context.Context
	body func(context.Context, *txn) error
	err  chan error
}

type batcher struct {
	s    *Store
	jobs chan *job // unbuffered: a job is either taken or refused at close
	quit chan struct{}
	done chan struct{}

	// What the writer has done, for /metrics: its share of busy time is
	// what tells whether it is the limit (docs/performance.md).
	batches, jobsRun atomic.Uint64
	busy             atomic.Int64 // nanoseconds in commit
}

// GroupCommitStats is how the group commit has run since the store opened.
type GroupCommitStats struct {
	Batches uint64        // transactions committed, one fsync each
	Jobs    uint64        // postings, top-ups and holds in them
	Busy    time.Duration // the writer's time on them
}

// GroupCommits returns those figures; ok is false on PostgreSQL, which has
// no group commit.
func (s *Store) GroupCommits() (st GroupCommitStats, ok bool) {
	if s.batch == nil {
		return st, false
	}
	b := s.batch
	return GroupCommitStats{b.batches.Load(), b.jobsRun.Load(), time.Duration(b.busy.Load())}, true
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// do runs body in the next batch and returns its outcome. Once the batch has
// taken the job, do waits for the outcome even if ctx ends, so that a caller
// never mistakes a committed posting for a failed one.
func (b *batcher) do(ctx context.Context, body func(context.Context, *txn) error) error {
	j := &job{ctx: ctx, body: body, err: make(chan error, 1)}
	select {
	case b.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.quit:
		return errClosed
	}
	return <-j.err
}

// grouped runs fn as write does, but in the group commit where there is
// one (SQLite): a request that committed alone held the one writer for an
// fsync of its own, while the postings waiting behind it shared one. fn
// gets the context to run its statements under (the batch's own), and, as
// for write, must have no effects outside the transaction.
func (s *Store) grouped(ctx context.Context, fn func(context.Context, *txn) error) error {
	if s.batch != nil {
		return s.batch.do(ctx, fn)
	}
	return s.write(ctx, func(tx *txn) error { return fn(ctx, tx) })
}

func (b *batcher) stop() {
	close(b.quit)
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	for {
		select {
		case <-b.quit:
			return
		case j := <-b.jobs:
			batch := []*job{j}
		drain:
			for len(batch) < maxBatch {
				select {
				case j := <-b.jobs:
					batch = append(batch, j)
				default:
					break drain
				}
			}
			start := time.Now()
			b.commit(batch)
			b.busy.Add(int64(time.Since(start)))
			b.batches.Add(1)
			b.jobsRun.Add(uint64(len(batch)))
		}
	}
}

func (b *batcher) commit(batch []*job) {
	s := b.s
	// The batch's statements run under a context of their own: a caller who
	// gives up must not interrupt a transaction that holds others' postings.
	ctx := context.Background()
	defer s.prepareMissed(ctx)
	if len(batch) == 1 {
		b.alone(batch[0])
		return
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.oneByOne(batch)
		return
	}
	tx := &txn{Tx: sqlTx, s: s, cached: s.dialect == SQLite}
	outcome := make([]error, len(batch))
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			outcome[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT posting"); err != nil {
			sqlTx.Rollback()
			b.oneByOne(batch)
			return
		}
		outcome[i] = j.body(ctx, tx)
		if outcome[i] != nil {
			// ROLLBACK TO fails if the error already ended the whole
			// transaction; then nothing of the batch is left to commit.
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO posting"); err != nil || retryable(outcome[i]) {
				sqlTx.Rollback()
				b.oneByOne(batch)
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE posting"); err != nil {
			sqlTx.Rollback()
			b.oneByOne(batch)
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		b.oneByOne(batch)
		return
	}
	s.ckpt.committed()
	for i, j := range batch {
		j.err <- outcome[i]
	}
}

func (b *batcher) oneByOne(batch []*job) {
	for _, j := range batch {
		b.alone(j)
	}
}

func (b *batcher) alone(j *job) {
	if err := j.ctx.Err(); err != nil {
		j.err <- err
		return
	}
	j.err <- b.s.write(j.ctx, func(tx *txn) error { return j.body(j.ctx, tx) })
	b.s.ckpt.committed()
}
