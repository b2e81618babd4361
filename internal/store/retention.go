package store

import (
	"cmp"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"coffer/internal/ledger"
)

// Retention (docs/retention.md) moves operation records and ledger entries
// older than the retention period into an archive file, then removes them
// from the database. A run:
//  1. seals waiting operation records (only sealed ones can be archived);
//  2. takes the retention lease, so that one instance runs at a time;
//  3. reads, in one snapshot, what is old enough: the records that follow
//     the chain's checkpoint in place order, up to the first that is not
//     old enough; the transactions after the last one archived, in
//     (created_at, id) order, that are older than the cutoff, with their
//     entries. It refuses rows that do not verify: their evidence stays;
//  4. writes them to a gzip file of JSON lines and fsyncs it;
//  5. in one database transaction removes exactly those rows, records the
//     archive with the file's SHA-256, moves the checkpoints and writes an
//     operation record. If that fails, the file is removed again.

// Errors of retention and archives.
// RetentionRefusedError says why a run archived nothing: some of the rows it
// would archive do not verify, and archiving them would take the evidence out
// of the database.
type RetentionRefusedError struct{ Problem string }

func (e *RetentionRefusedError) Error() string {
	return "retention refused: " + e.Problem + "; nothing was archived"
}

// Unwrap makes it a retention_refused of the domain, with this message.
func (e *RetentionRefusedError) Unwrap() error { return ledger.ErrRetentionRefused }

// RetentionActor names the daily job in operation records.
const RetentionActor = "retention"

// ArchiveFormat is the format name in an archive file's header line.
const ArchiveFormat = "coffer-archive/1"

// Defaults of a run.
const (
	defaultRetentionBatch = 50000
	retentionLease        = 15 * time.Minute
)

// SetArchiveDir sets the directory this instance writes archive files to
// and serves them from. Instances sharing a database should share it.
func (s *Store) SetArchiveDir(dir string) { s.archiveDir.Store(&dir) }

// ArchiveDir is the directory set by SetArchiveDir, or "".
func (s *Store) ArchiveDir() string {
	if d := s.archiveDir.Load(); d != nil {
		return *d
	}
	return ""
}

// Archive is one retention run that removed rows: the file it wrote and what
// the file holds.
type Archive struct {
	ID            int64
	FileName      string    // in the archive directory
	Cutoff        time.Time // rows older than this were archived
	Entries       int64
	Transactions  int64 // transactions whose entries were archived; the transactions stay
	AuditRecords  int64
	AuditFirstSeq int64 // places of the archived operation records; 0 when none
	AuditLastSeq  int64
	AuditLastHash string // the last archived record's hash: where the chain now starts
	Size          int64  // bytes of the file
	SHA256        string // of the file, hex
	CreatedAt     time.Time
	CreatedBy     int64 // 0: the daily job
}

// ArchiveHeader is the first line of an archive file.
type ArchiveHeader struct {
	Format       string    `json:"format"`
	Holds        string    `json:"holds"`
	CreatedAt    time.Time `json:"created_at"`
	Cutoff       time.Time `json:"cutoff"`
	AuditRecords int64     `json:"audit_records"`
	// The archived records continue the chain after place AuditFirstSeq-1,
	// whose hash is AuditPrevHash; the chain in the database now starts
	// after AuditLastSeq.
	AuditFirstSeq int64  `json:"audit_first_seq"`
	AuditLastSeq  int64  `json:"audit_last_seq"`
	AuditPrevHash string `json:"audit_prev_hash"`
	Entries       int64  `json:"entries"`
	Transactions  int64  `json:"transactions"`
}

// ArchivedRecord is an operation record's line: every column of audit_log
// as stored, so that its hash can be computed again from the file.
type ArchivedRecord struct {
	Table      string    `json:"table"` // "audit_log"
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq"`
	CreatedAt  time.Time `json:"created_at"`
	ActorID    *int64    `json:"actor_id"`
	TokenID    *int64    `json:"token_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	BeforeJSON string    `json:"before_json"`
	AfterJSON  string    `json:"after_json"`
	ClientAddr string    `json:"client_addr"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// ArchivedEntry is a ledger entry's line: every column of entries. Amounts
// are minor units of the account's currency.
type ArchivedEntry struct {
	Table         string    `json:"table"` // "entries"
	ID            int64     `json:"id"`
	TransactionID int64     `json:"transaction_id"`
	AccountID     int64     `json:"account_id"`
	Amount        int64     `json:"amount"`
	BalanceAfter  *int64    `json:"balance_after"`
	CreatedAt     time.Time `json:"created_at"`
}

// RetentionOptions tune one run; the zero value is the daily job's.
type RetentionOptions struct {
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

// RetentionResult is what a run did.
type RetentionResult struct {
	Cutoff  time.Time
	Archive *Archive // nil when nothing was old enough
	More    bool     // rows older than the cutoff remain for another run
}

// retentionPlan is what a run archives, read from one snapshot.
type retentionPlan struct {
	// The state it starts from (retention_head), checked again at commit.
	ckSeq              int64
	ckHash             string
	wmAt, wmID         int64
	auditTo            int64 // records with places in (ckSeq, auditTo]
	auditLastHash      string
	txs                []prunedTx // in (created_at, id) order
	entries            []ArchivedEntry
	moreTxs, moreAudit bool
}

type prunedTx struct {
	id, createdAt  int64
	entries, total int64 // the archived entries of it and their sum
}

func (p *retentionPlan) records() int64 { return p.auditTo - p.ckSeq }

// RunRetention archives and removes what is older than the cutoff. actor is
// who asked (the daily job: ledger.Actor{Name: RetentionActor}).
func (s *Store) RunRetention(ctx context.Context, actor ledger.Actor, opt RetentionOptions) (RetentionResult, error) {
	dir := s.ArchiveDir()
	if dir == "" {
		return RetentionResult{}, ledger.ErrNoArchiveDir
	}
	now := s.nowTime()
	res := RetentionResult{Cutoff: opt.Cutoff}
	if res.Cutoff.IsZero() {
		st, err := s.Settings(ctx)
		if err != nil {
			return res, err
		}
		res.Cutoff = now.AddDate(0, 0, -st.RetentionDays)
	} else if res.Cutoff.After(s.now()) {
		return res, fmt.Errorf("store: retention cutoff %s is in the future", res.Cutoff.Format(time.RFC3339))
	}
	res.Cutoff = fromMicros(micros(res.Cutoff))
	if opt.MaxTransactions <= 0 {
		opt.MaxTransactions = defaultRetentionBatch
	}
	if opt.MaxRecords <= 0 {
		opt.MaxRecords = defaultRetentionBatch
	}
	if _, err := s.SealAudit(ctx); err != nil {
		return res, err
	}

	owner := newLeaseOwner()
	if err := s.takeRetentionLease(ctx, owner, now); err != nil {
		return res, err
	}
	defer s.releaseRetentionLease(context.WithoutCancel(ctx), owner)

	var plan retentionPlan
	var file *archiveFile
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		var err error
		if plan, err = s.planRetention(ctx, tx, res.Cutoff, opt); err != nil {
			return err
		}
		if plan.records() == 0 && len(plan.entries) == 0 {
			return nil
		}
		file, err = s.writeArchive(ctx, tx, dir, now, res.Cutoff, &plan)
		return err
	})
	if err != nil || file == nil {
		return res, err
	}
	res.More = plan.moreTxs || plan.moreAudit
	a := Archive{FileName: file.name, Cutoff: res.Cutoff, Entries: int64(len(plan.entries)), Transactions: int64(len(plan.txs)),
		AuditRecords: plan.records(), Size: file.size, SHA256: file.sha256, CreatedAt: now, CreatedBy: actor.AdminID}
	if plan.records() > 0 {
		a.AuditFirstSeq, a.AuditLastSeq, a.AuditLastHash = plan.ckSeq+1, plan.auditTo, plan.auditLastHash
	}
	// The commit is short and is not cut by the caller's cancellation: a
	// shutdown waits for it rather than waste the file.
	if err := s.commitRetention(context.WithoutCancel(ctx), actor, owner, &plan, &a); err != nil {
		// The rows stay in the database, so the file goes; unless the
		// commit's outcome is unknown (a lost connection) and it may have
		// happened: an extra file is harmless, a lost archive is not.
		if !s.archiveRecorded(ctx, file.name) {
			if rmErr := os.Remove(file.path); rmErr == nil {
				syncFile(dir)
			}
		}
		return res, err
	}
	res.Archive = &a
	return res, nil
}

// archiveRecorded reports whether an archive row names the file; true also
// when that cannot be told.
func (s *Store) archiveRecorded(ctx context.Context, name string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM archives WHERE file_name = $1", name).Scan(&n); err != nil {
		return true
	}
	return n > 0
}

func newLeaseOwner() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// takeRetentionLease claims the lease row unless another run holds it. On
// PostgreSQL a concurrent claim waits for the row and then sees the lease
// taken.
func (s *Store) takeRetentionLease(ctx context.Context, owner string, now time.Time) error {
	return s.write(ctx, func(tx *txn) error {
		r, err := tx.ExecContext(ctx, "UPDATE retention_head SET lease_owner = $1, lease_until = $2 WHERE id = 1 AND lease_until <= $3",
			owner, micros(now.Add(retentionLease)), micros(now))
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err == nil && n != 1 {
			err = ledger.ErrRetentionRunning
		}
		return err
	})
}

func (s *Store) releaseRetentionLease(ctx context.Context, owner string) {
	s.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, "UPDATE retention_head SET lease_owner = '', lease_until = 0 WHERE id = 1 AND lease_owner = $1", owner)
		return err
	})
}

// planRetention reads what a run archives and checks it.
func (s *Store) planRetention(ctx context.Context, tx *sql.Tx, cutoff time.Time, opt RetentionOptions) (retentionPlan, error) {
	var p retentionPlan
	if err := tx.QueryRowContext(ctx, "SELECT audit_seq, audit_hash, tx_created_at, tx_id FROM retention_head WHERE id = 1").
		Scan(&p.ckSeq, &p.ckHash, &p.wmAt, &p.wmID); err != nil {
		return p, err
	}
	cut := micros(cutoff)

	// Operation records: the chain can only lose a beginning, so take the
	// records after the checkpoint in place order while they are old enough.
	// A record sealed after a younger one waits for the next run.
	rows, err := tx.QueryContext(ctx, "SELECT seq, created_at FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT "+strconv.Itoa(opt.MaxRecords+1), p.ckSeq)
	if err != nil {
		return p, err
	}
	p.auditTo = p.ckSeq
	for rows.Next() {
		var seq, created int64
		if err := rows.Scan(&seq, &created); err != nil {
			rows.Close()
			return p, err
		}
		if created >= cut {
			break
		}
		if seq != p.auditTo+1 {
			rows.Close()
			return p, &RetentionRefusedError{fmt.Sprintf("operation records are missing before place %d", seq)}
		}
		if p.records() == int64(opt.MaxRecords) {
			p.moreAudit = true
			break
		}
		p.auditTo = seq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}

	// Transactions after the last one archived that are older than the
	// cutoff: the transactions_created index finds them without reading
	// the ones archived before.
	rows, err = tx.QueryContext(ctx, `SELECT id, created_at FROM transactions
		WHERE created_at < $1 AND (created_at > $2 OR (created_at = $2 AND id > $3))
		ORDER BY created_at, id LIMIT `+strconv.Itoa(opt.MaxTransactions+1), cut, p.wmAt, p.wmID)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var t prunedTx
		if err := rows.Scan(&t.id, &t.createdAt); err != nil {
			rows.Close()
			return p, err
		}
		if len(p.txs) == opt.MaxTransactions {
			p.moreTxs = true
			break
		}
		p.txs = append(p.txs, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}
	if err := p.readEntries(ctx, tx, cut); err != nil {
		return p, err
	}
	return p, nil
}

// readEntries reads the entries of the planned transactions and checks each
// transaction as VerifyLedger does, over all its entries: at least two, in
// its currency, summing to zero. Entries older than the cutoff are archived
// (all of them: an entry carries its transaction's time).
func (p *retentionPlan) readEntries(ctx context.Context, tx *sql.Tx, cut int64) error {
	type check struct{ n, sum, foreign int64 }
	checks := map[int64]*check{}
	for from := 0; from < len(p.txs); from += 500 {
		ids := make([]int64, 0, 500)
		for _, t := range p.txs[from:min(from+500, len(p.txs))] {
			ids = append(ids, t.id)
			checks[t.id] = &check{}
		}
		list, args := inList(ids, 0)
		rows, err := tx.QueryContext(ctx, `SELECT e.id, e.transaction_id, e.account_id, e.amount, e.balance_after, e.created_at,
			CASE WHEN a.currency = t.currency THEN 0 ELSE 1 END
			FROM entries e JOIN transactions t ON t.id = e.transaction_id JOIN accounts a ON a.id = e.account_id
			WHERE e.transaction_id IN (`+list+")", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			e := ArchivedEntry{Table: "entries"}
			var after sql.NullInt64
			var created, foreign int64
			if err := rows.Scan(&e.ID, &e.TransactionID, &e.AccountID, &e.Amount, &after, &created, &foreign); err != nil {
				rows.Close()
				return err
			}
			c := checks[e.TransactionID]
			c.n++
			c.sum += e.Amount
			c.foreign += foreign
			if created < cut {
				if after.Valid {
					e.BalanceAfter = &after.Int64
				}
				e.CreatedAt = fromMicros(created)
				p.entries = append(p.entries, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, t := range p.txs {
		if c := checks[t.id]; c.n < 2 || c.sum != 0 || c.foreign != 0 {
			return &RetentionRefusedError{fmt.Sprintf("transaction %d does not verify (%d entries summing to %d, %d in another currency)",
				t.id, c.n, c.sum, c.foreign)}
		}
	}
	slices.SortFunc(p.entries, func(a, b ArchivedEntry) int { return cmp.Compare(a.ID, b.ID) })
	byTx := map[int64]*prunedTx{}
	for i := range p.txs {
		byTx[p.txs[i].id] = &p.txs[i]
	}
	for _, e := range p.entries {
		t := byTx[e.TransactionID]
		t.entries++
		t.total += e.Amount
	}
	return nil
}

// archiveFile is a written, synced archive file.
type archiveFile struct {
	name, path string
	size       int64
	sha256     string
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// writeArchive writes the plan's rows to a new file in dir: a header line,
// the operation records in place order, then the entries in id order. It
// checks each record's link and hash on the way; a record that does not fit
// the chain stops the run. On error nothing is left behind.
func (s *Store) writeArchive(ctx context.Context, tx *sql.Tx, dir string, now, cutoff time.Time, p *retentionPlan) (_ *archiveFile, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, name, err := createArchiveFile(dir, now)
	if err != nil {
		return nil, err
	}
	out := &archiveFile{name: name, path: filepath.Join(dir, name)}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(out.path)
		}
	}()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	gz := gzip.NewWriter(cw)
	enc := json.NewEncoder(gz)
	enc.SetEscapeHTML(false)
	hdr := ArchiveHeader{Format: ArchiveFormat,
		Holds:     "Coffer operation records (audit_log) and ledger entries (entries) older than the cutoff, removed from the database by retention",
		CreatedAt: now, Cutoff: cutoff, AuditRecords: p.records(), Entries: int64(len(p.entries)), Transactions: int64(len(p.txs))}
	if p.records() > 0 {
		hdr.AuditFirstSeq, hdr.AuditLastSeq, hdr.AuditPrevHash = p.ckSeq+1, p.auditTo, p.ckHash
	}
	if err := enc.Encode(hdr); err != nil {
		return nil, err
	}
	if p.records() > 0 {
		rows, err := tx.QueryContext(ctx, "SELECT "+auditCols+" FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq", p.ckSeq, p.auditTo)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		prevSeq, prevHash := p.ckSeq, p.ckHash
		for rows.Next() {
			r, err := scanAudit(rows)
			if err != nil {
				return nil, err
			}
			switch {
			case r.Seq != prevSeq+1:
				return nil, &RetentionRefusedError{fmt.Sprintf("operation records are missing before place %d", r.Seq)}
			case r.PrevHash != prevHash || r.computeHash() != r.Hash:
				return nil, &RetentionRefusedError{fmt.Sprintf("operation record %d does not fit the chain", r.ID)}
			}
			prevSeq, prevHash = r.Seq, r.Hash
			line := ArchivedRecord{Table: "audit_log", ID: r.ID, Seq: r.Seq, CreatedAt: r.CreatedAt, ActorName: r.ActorName, Action: r.Action,
				ObjectType: r.ObjectType, ObjectID: r.ObjectID, BeforeJSON: r.Before, AfterJSON: r.After, ClientAddr: r.ClientAddr,
				PrevHash: r.PrevHash, Hash: r.Hash}
			if r.ActorID != 0 {
				line.ActorID = &r.ActorID
			}
			if r.TokenID != 0 {
				line.TokenID = &r.TokenID
			}
			if err := enc.Encode(line); err != nil {
				return nil, err
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if prevSeq != p.auditTo {
			return nil, &RetentionRefusedError{fmt.Sprintf("operation records are missing before place %d", p.auditTo)}
		}
		p.auditLastHash = prevHash
		rows.Close()
	}
	for _, e := range p.entries {
		if err := enc.Encode(e); err != nil {
			return nil, err
		}
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	// The file must be on disk before the rows leave the database.
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := syncFile(dir); err != nil {
		return nil, err
	}
	out.size, out.sha256 = cw.n, hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// createArchiveFile creates a new file named after the run's time; a second
// run within the same microsecond gets a numbered name rather than
// overwriting the first's file.
func createArchiveFile(dir string, now time.Time) (*os.File, string, error) {
	base := "coffer-archive-" + now.UTC().Format("20060102T150405.000000Z")
	for i := 1; ; i++ {
		name := base + ".jsonl.gz"
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ".jsonl.gz"
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && i < 1000 {
			continue
		}
		return f, name, err
	}
}

// commitRetention removes the planned rows and records the archive and the
// checkpoints, in one transaction, if the lease is still this run's and
// nothing moved the checkpoints since the plan was read.
func (s *Store) commitRetention(ctx context.Context, actor ledger.Actor, owner string, p *retentionPlan, a *Archive) error {
	return s.write(ctx, func(tx *txn) error {
		var leaseOwner string
		var ckSeq, wmAt, wmID int64
		if err := tx.QueryRowContext(ctx, "SELECT lease_owner, audit_seq, tx_created_at, tx_id FROM retention_head WHERE id = 1"+s.forUpdate).
			Scan(&leaseOwner, &ckSeq, &wmAt, &wmID); err != nil {
			return err
		}
		if leaseOwner != owner || ckSeq != p.ckSeq || wmAt != p.wmAt || wmID != p.wmID {
			return ledger.ErrRetentionRunning // the lease ran out and another run took over
		}
		if n := p.records(); n > 0 {
			r, err := tx.ExecContext(ctx, "DELETE FROM audit_log WHERE seq > $1 AND seq <= $2", p.ckSeq, p.auditTo)
			if err := wantRows(r, err, n, "operation records"); err != nil {
				return err
			}
		}
		// Dynamic statements go to the database unprepared (tx.Tx): the
		// writer's statement cache is for the few fixed texts of postings.
		for from := 0; from < len(p.entries); from += 500 {
			part := p.entries[from:min(from+500, len(p.entries))]
			ids := make([]int64, len(part))
			for i, e := range part {
				ids[i] = e.ID
			}
			list, args := inList(ids, 0)
			r, err := tx.Tx.ExecContext(ctx, "DELETE FROM entries WHERE id IN ("+list+")", args...)
			if err := wantRows(r, err, int64(len(part)), "entries"); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO archives (file_name, cutoff, entries, transactions, audit_records, audit_first_seq,
			audit_last_seq, audit_last_hash, size, sha256, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			a.FileName, micros(a.Cutoff), a.Entries, a.Transactions, a.AuditRecords, a.AuditFirstSeq, a.AuditLastSeq, a.AuditLastHash,
			a.Size, a.SHA256, micros(a.CreatedAt), nullID(a.CreatedBy)).Scan(&a.ID); err != nil {
			return err
		}
		if err := s.recordPruned(ctx, tx, p, a); err != nil {
			return err
		}
		head, hash := p.ckSeq, p.ckHash
		if p.records() > 0 {
			head, hash = p.auditTo, p.auditLastHash
		}
		if n := len(p.txs); n > 0 {
			wmAt, wmID = p.txs[n-1].createdAt, p.txs[n-1].id
		}
		if _, err := tx.ExecContext(ctx, `UPDATE retention_head SET audit_seq = $1, audit_hash = $2, audit_count = audit_count + $3,
			tx_created_at = $4, tx_id = $5 WHERE id = 1`, head, hash, a.AuditRecords, wmAt, wmID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "archive.create", objectType: "archive", objectID: a.ID, after: auditArchive(*a)})
	})
}

func wantRows(r sql.Result, err error, want int64, what string) error {
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("store: retention removed %d %s, expected %d: they changed while being archived", n, what, want)
	}
	return nil
}

// recordPruned writes the ledger's checkpoints: per transaction, the
// entries removed and their sum; per account, the running totals of its
// removed entries.
func (s *Store) recordPruned(ctx context.Context, tx *txn, p *retentionPlan, a *Archive) error {
	var txRows [][]any
	for _, t := range p.txs {
		if t.entries > 0 {
			txRows = append(txRows, []any{t.id, t.entries, t.total, a.ID})
		}
	}
	if err := insertRows(ctx, tx, "INSERT INTO pruned_transactions (transaction_id, entries, amount, archive_id) VALUES ", "", txRows); err != nil {
		return err
	}
	type sum struct{ n, total int64 }
	byAccount := map[int64]*sum{}
	var order []int64
	for _, e := range p.entries {
		if byAccount[e.AccountID] == nil {
			byAccount[e.AccountID] = &sum{}
			order = append(order, e.AccountID)
		}
		byAccount[e.AccountID].n++
		byAccount[e.AccountID].total += e.Amount
	}
	// In account order, so that two writers would lock rows in one order.
	slices.Sort(order)
	accRows := make([][]any, 0, len(order))
	for _, id := range order {
		accRows = append(accRows, []any{id, byAccount[id].n, byAccount[id].total, micros(a.CreatedAt)})
	}
	return insertRows(ctx, tx, "INSERT INTO pruned_accounts (account_id, entries, amount, updated_at) VALUES ",
		` ON CONFLICT (account_id) DO UPDATE SET entries = pruned_accounts.entries + excluded.entries,
		amount = pruned_accounts.amount + excluded.amount, updated_at = excluded.updated_at`, accRows)
}

// insertRows inserts rows of equal width with multi-row VALUES, a few
// hundred at a time.
func insertRows(ctx context.Context, tx *txn, head, tail string, rows [][]any) error {
	for from := 0; from < len(rows); from += 200 {
		var b strings.Builder
		var args []any
		b.WriteString(head)
		for i, row := range rows[from:min(from+200, len(rows))] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				b.WriteString("$" + strconv.Itoa(len(args)))
			}
			b.WriteString(")")
		}
		b.WriteString(tail)
		if _, err := tx.Tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// auditArchive is how an archive appears in the operation record.
func auditArchive(a Archive) map[string]any {
	return map[string]any{"file_name": a.FileName, "cutoff": a.Cutoff, "entries": a.Entries, "transactions": a.Transactions,
		"audit_records": a.AuditRecords, "audit_first_seq": a.AuditFirstSeq, "audit_last_seq": a.AuditLastSeq,
		"audit_last_hash": a.AuditLastHash, "size": a.Size, "sha256": a.SHA256}
}

const archiveCols = `id, file_name, cutoff, entries, transactions, audit_records, audit_first_seq, audit_last_seq, audit_last_hash,
	size, sha256, created_at, created_by`

func scanArchive(row interface{ Scan(...any) error }) (Archive, error) {
	var a Archive
	var cutoff, created int64
	var by sql.NullInt64
	err := row.Scan(&a.ID, &a.FileName, &cutoff, &a.Entries, &a.Transactions, &a.AuditRecords, &a.AuditFirstSeq, &a.AuditLastSeq,
		&a.AuditLastHash, &a.Size, &a.SHA256, &created, &by)
	a.Cutoff, a.CreatedAt, a.CreatedBy = fromMicros(cutoff), fromMicros(created), by.Int64
	return a, err
}

// Archives lists archives newest first, before id beforeID (0: from the
// newest).
func (s *Store) Archives(ctx context.Context, beforeID int64, limit int) ([]Archive, error) {
	w := where{}
	if beforeID != 0 {
		w.add("id < ?", beforeID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+archiveCols+" FROM archives"+w.sql()+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), w.args...)
	return collect(rows, err, scanArchive)
}

// Archive returns one archive's record.
func (s *Store) Archive(ctx context.Context, id int64) (Archive, error) {
	a, err := scanArchive(s.rdb.QueryRowContext(ctx, "SELECT "+archiveCols+" FROM archives WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ledger.ErrNotFound
	}
	return a, err
}

// OpenArchive opens an archive's file for reading after checking it against
// the size and SHA-256 recorded when it was written: a file that was changed
// or replaced since is ledger.ErrArchiveAltered, not served.
func (s *Store) OpenArchive(ctx context.Context, id int64) (Archive, *os.File, error) {
	a, err := s.Archive(ctx, id)
	if err != nil {
		return a, nil, err
	}
	dir := s.ArchiveDir()
	if dir == "" {
		return a, nil, ledger.ErrNoArchiveDir
	}
	// The name comes from the database; it must not lead out of the directory.
	if a.FileName != filepath.Base(a.FileName) || strings.HasPrefix(a.FileName, ".") {
		return a, nil, ledger.ErrArchiveAltered
	}
	f, err := os.Open(filepath.Join(dir, a.FileName))
	if errors.Is(err, os.ErrNotExist) {
		return a, nil, ledger.ErrArchiveMissing
	}
	if err != nil {
		return a, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && (n != a.Size || hex.EncodeToString(h.Sum(nil)) != a.SHA256) {
		err = ledger.ErrArchiveAltered
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return a, nil, err
	}
	return a, f, nil
}

// RetentionSchedule says when the retention job runs.
type RetentionSchedule struct {
	First time.Duration // after start (default one minute)
	Every time.Duration // then (default 24 hours)
	// After is the timer (default time.After); tests give one they control.
	After func(time.Duration) <-chan time.Time
}

// RetentionLoop runs retention after sch.First and then every sch.Every
// until ctx ends. A run that stops at its size limit is followed at once by
// another. Every instance runs the loop; the lease lets one run at a time,
// and whatever a run leaves is the next one's.
func (s *Store) RetentionLoop(ctx context.Context, log interface {
	Info(string, ...any)
	Error(string, ...any)
}, sch RetentionSchedule) {
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
			res, err := s.RunRetention(ctx, ledger.Actor{Name: RetentionActor}, RetentionOptions{})
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
			if err != nil || !res.More {
				break
			}
		}
		wait = sch.Every
	}
}

// syncFile fsyncs a file or a directory.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
