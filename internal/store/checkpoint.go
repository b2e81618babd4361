package store

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// Checkpoints (SQLite). A commit appends its pages to the write-ahead log;
// a checkpoint copies them into the database file and syncs it, so that
// the log can start over. SQLite runs one by itself in the connection that
// commits once the log holds wal_autocheckpoint pages, and on the one
// writer that was a tenth of its time, plus the database file's fsync,
// while every posting waited. The checkpointer does that copying on a
// connection of its own, beside the writer, every checkpointEvery while
// the writer commits. The writer still checkpoints by itself once the log
// reaches writerCheckpointPages: by then it finds almost everything copied,
// and its checkpoint, which no commit can overtake, lets the log start over
// (a log starts over only when a transaction begins with all of it copied).

const (
	checkpointEvery       = 50 * time.Millisecond
	writerCheckpointPages = 4000 // about 16 MB of log
)

type checkpointer struct {
	db    *sql.DB
	wrote chan struct{} // a commit happened; buffered 1
	quit  chan struct{}
	done  chan struct{}
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, wrote: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer that the log has grown.
func (c *checkpointer) committed() {
	select {
	case c.wrote <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.wrote:
		}
		// A PASSIVE checkpoint waits for no one: it copies what no reader
		// still needs from the log and leaves the rest for the next one.
		if _, err := c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			slog.Warn("checkpoint", "err", err)
		}
		select {
		case <-c.quit:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

func (c *checkpointer) stop() {
	close(c.quit)
	<-c.done
}
