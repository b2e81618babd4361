package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Retention (docs/retention.md) moves operation records and ledger entries
// older than the retention period into an archive file, then removes them
// from the database. Package retention runs it and writes the file; what
// the database does for it is here:
//   - the lease on retention_head (TakeRetentionLease), so that one run at
//     a time archives, whichever instance it is on;
//   - PlanRetention reads, in one snapshot, what is old enough: the records
//     that follow the chain's checkpoint in place order, up to the first
//     that is not old enough; the transactions after the last one archived,
//     in (created_at, id) order, that are older than the cutoff, with their
//     entries. It refuses rows that do not verify, so that their evidence
//     stays, and hands the rows to the caller's writer inside the snapshot;
//   - CommitRetention, one database transaction, removes exactly those
//     rows, records the archive with the file's SHA-256, moves the
//     checkpoints and writes an operation record. The caller writes and
//     syncs the file before it, and removes the file if it fails.

// RetentionRefusedError says why a run archived nothing: some of the rows it
// would archive do not verify, and archiving them would take the evidence out
// of the database.
type RetentionRefusedError struct{ Problem string }

// Error says what did not verify.
func (e *RetentionRefusedError) Error() string {
	return "retention refused: " + e.Problem + "; nothing was archived"
}

// Unwrap makes it a retention_refused of the domain, with this message.
func (e *RetentionRefusedError) Unwrap() error { return ledger.ErrRetentionRefused }

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

// RetentionLimits bound what one run archives, so that its file and its
// database transaction stay small. Both must be positive.
type RetentionLimits struct {
	MaxTransactions int
	MaxRecords      int
}

// RetentionBatch is what one run archives, as PlanRetention read it: what
// the archive file's header says, and the entries for its lines. The caller
// reads it and hands it back to CommitRetention unchanged.
type RetentionBatch struct {
	Cutoff       time.Time // to the microsecond, UTC
	AuditRecords int64
	// The records continue the chain after place AuditFirstSeq-1, whose
	// hash is AuditPrevHash; the chain in the database will start after
	// AuditLastSeq. All three are zero when no record is archived.
	AuditFirstSeq int64
	AuditLastSeq  int64
	AuditPrevHash string
	Transactions  int64          // transactions whose entries are archived
	Entries       []ledger.Entry // in id order
	More          bool           // the limits stopped the batch: older rows remain

	plan *retentionPlan
}

// ArchiveFile is the file a run wrote its batch to, written and synced.
type ArchiveFile struct {
	Name      string // in the archive directory
	Size      int64
	SHA256    string    // hex
	CreatedAt time.Time // the run's time
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
	entries            []ledger.Entry
	moreTxs, moreAudit bool
	// walked: every planned record went through chain, which checked it
	// and set auditLastHash; only then may the records be removed.
	walked bool
}

type prunedTx struct {
	id, createdAt  int64
	entries, total int64 // the archived entries of it and their sum
}

func (p *retentionPlan) records() int64 { return p.auditTo - p.ckSeq }

// Now is the store's clock (Options.Now) to the microsecond the database
// keeps, in UTC: retention stamps its cutoff, lease and archive with it, as
// the store stamps the operation record of the run.
func (s *Store) Now() time.Time { return s.nowTime() }

func newLeaseOwner() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TakeRetentionLease claims the retention lease from now until now+d and
// returns this run's token for it, or ledger.ErrRetentionRunning while
// another run holds it. On PostgreSQL a concurrent claim waits for the row
// and then sees the lease taken.
func (s *Store) TakeRetentionLease(ctx context.Context, now time.Time, d time.Duration) (string, error) {
	owner := newLeaseOwner()
	err := s.write(ctx, func(tx *txn) error {
		r, err := tx.ExecContext(ctx, "UPDATE retention_head SET lease_owner = $1, lease_until = $2 WHERE id = 1 AND lease_until <= $3",
			owner, micros(now.Add(d)), micros(now))
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err == nil && n != 1 {
			err = ledger.ErrRetentionRunning
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return owner, nil
}

// ReleaseRetentionLease gives the lease back, if it is still owner's.
func (s *Store) ReleaseRetentionLease(ctx context.Context, owner string) error {
	return s.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, "UPDATE retention_head SET lease_owner = '', lease_until = 0 WHERE id = 1 AND lease_owner = $1", owner)
		return err
	})
}

// PlanRetention reads, in one snapshot, what a run archives: the rows older
// than cutoff, within lim. It returns nil when nothing is old enough.
// Otherwise it calls write, still inside the snapshot, with the batch and
// the batch's operation records in place order, each checked against the
// chain on the way (a record that does not fit ends the walk with a
// RetentionRefusedError). write must take every record, and should have the
// file on disk when it returns: CommitRetention removes the rows next.
func (s *Store) PlanRetention(ctx context.Context, cutoff time.Time, lim RetentionLimits,
	write func(*RetentionBatch, iter.Seq2[AuditRecord, error]) error) (*RetentionBatch, error) {
	if lim.MaxTransactions <= 0 || lim.MaxRecords <= 0 {
		return nil, fmt.Errorf("store: retention limits %+v must be positive", lim)
	}
	cutoff = fromMicros(micros(cutoff))
	var b *RetentionBatch
	err := s.snapshot(ctx, func(tx *sql.Tx) error {
		b = nil
		p, err := s.planRetention(ctx, tx, cutoff, lim)
		if err != nil {
			return err
		}
		if p.records() == 0 && len(p.entries) == 0 {
			return nil
		}
		b = &RetentionBatch{Cutoff: cutoff, AuditRecords: p.records(), Transactions: int64(len(p.txs)), Entries: p.entries,
			More: p.moreTxs || p.moreAudit, plan: &p}
		if p.records() > 0 {
			b.AuditFirstSeq, b.AuditLastSeq, b.AuditPrevHash = p.ckSeq+1, p.auditTo, p.ckHash
		}
		p.walked = p.records() == 0
		if err := write(b, p.chain(ctx, tx)); err != nil {
			return err
		}
		if !p.walked {
			return errors.New("store: the archive writer did not take every operation record; nothing was archived")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// planRetention reads what a run archives and checks it.
func (s *Store) planRetention(ctx context.Context, tx *sql.Tx, cutoff time.Time, lim RetentionLimits) (retentionPlan, error) {
	var p retentionPlan
	if err := tx.QueryRowContext(ctx, "SELECT audit_seq, audit_hash, tx_created_at, tx_id FROM retention_head WHERE id = 1").
		Scan(&p.ckSeq, &p.ckHash, &p.wmAt, &p.wmID); err != nil {
		return p, err
	}
	cut := micros(cutoff)
	if err := p.readRecords(ctx, tx, cut, lim.MaxRecords); err != nil {
		return p, err
	}
	if err := p.readTransactions(ctx, tx, cut, lim.MaxTransactions); err != nil {
		return p, err
	}
	if err := p.readEntries(ctx, tx, cut); err != nil {
		return p, err
	}
	return p, nil
}

// readRecords plans the operation records. The chain can only lose a
// beginning, so it takes the records after the checkpoint in place order
// while they are old enough. A record sealed after a younger one waits for
// the next run.
func (p *retentionPlan) readRecords(ctx context.Context, tx *sql.Tx, cut int64, limit int) error {
	rows, err := tx.QueryContext(ctx, "SELECT s.seq, a.created_at FROM audit_seals s JOIN audit_log a ON a.id = s.audit_id WHERE s.seq > $1 ORDER BY s.seq LIMIT "+strconv.Itoa(limit+1), p.ckSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	p.auditTo = p.ckSeq
	for rows.Next() {
		var seq, created int64
		if err := rows.Scan(&seq, &created); err != nil {
			return err
		}
		if created >= cut {
			break
		}
		if seq != p.auditTo+1 {
			return &RetentionRefusedError{fmt.Sprintf("operation records are missing before place %d", seq)}
		}
		if p.records() == int64(limit) {
			p.moreAudit = true
			break
		}
		p.auditTo = seq
	}
	rows.Close()
	return rows.Err()
}

// readTransactions plans the transactions after the last one archived that
// are older than the cutoff: the transactions_created index finds them
// without reading the ones archived before.
func (p *retentionPlan) readTransactions(ctx context.Context, tx *sql.Tx, cut int64, limit int) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, created_at FROM transactions
		WHERE created_at < $1 AND (created_at > $2 OR (created_at = $2 AND id > $3))
		ORDER BY created_at, id LIMIT `+strconv.Itoa(limit+1), cut, p.wmAt, p.wmID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t prunedTx
		if err := rows.Scan(&t.id, &t.createdAt); err != nil {
			return err
		}
		if len(p.txs) == limit {
			p.moreTxs = true
			break
		}
		p.txs = append(p.txs, t)
	}
	rows.Close()
	return rows.Err()
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
		rows, err := tx.QueryContext(ctx, `SELECT e.id, e.transaction_id, e.account_id, e.amount, e.balance_after, e.created_at, e.part,
			CASE WHEN a.currency = t.currency THEN 0 ELSE 1 END
			FROM entries e JOIN transactions t ON t.id = e.transaction_id JOIN accounts a ON a.id = e.account_id
			WHERE e.transaction_id IN (`+list+")", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e ledger.Entry
			var after sql.NullInt64
			var created, foreign int64
			if err := rows.Scan(&e.ID, &e.TransactionID, &e.AccountID, &e.Amount, &after, &created, &e.Part, &foreign); err != nil {
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
	slices.SortFunc(p.entries, func(a, b ledger.Entry) int { return cmp.Compare(a.ID, b.ID) })
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

// chain yields the planned operation records in place order and checks
// each as VerifyAudit does: its place follows the one before, it links to
// the hash before, its hash is its content's. A record that does not fit
// the chain stops the walk with a RetentionRefusedError. A walk to the end
// sets the hash the chain will start from and marks the plan walked.
func (p *retentionPlan) chain(ctx context.Context, tx *sql.Tx) iter.Seq2[AuditRecord, error] {
	return func(yield func(AuditRecord, error) bool) {
		if p.records() == 0 {
			return
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+auditCols+" FROM audit_seals s JOIN audit_log a ON a.id = s.audit_id WHERE s.seq > $1 AND s.seq <= $2 ORDER BY s.seq", p.ckSeq, p.auditTo)
		if err != nil {
			yield(AuditRecord{}, err)
			return
		}
		defer rows.Close()
		prevSeq, prevHash := p.ckSeq, p.ckHash
		for rows.Next() {
			r, err := scanAudit(rows)
			switch {
			case err != nil:
			case r.Seq != prevSeq+1:
				err = &RetentionRefusedError{fmt.Sprintf("operation records are missing before place %d", r.Seq)}
			case r.PrevHash != prevHash || r.computeHash() != r.Hash:
				err = &RetentionRefusedError{fmt.Sprintf("operation record %d does not fit the chain", r.ID)}
			}
			if err != nil {
				yield(AuditRecord{}, err)
				return
			}
			prevSeq, prevHash = r.Seq, r.Hash
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(AuditRecord{}, err)
			return
		}
		if prevSeq != p.auditTo {
			yield(AuditRecord{}, &RetentionRefusedError{fmt.Sprintf("operation records are missing before place %d", p.auditTo)})
			return
		}
		p.auditLastHash, p.walked = prevHash, true
	}
}

// CommitRetention removes the batch's rows and records the archive file f
// and the checkpoints, in one transaction, if the lease is still owner's and
// nothing moved the checkpoints since the batch was read
// (ledger.ErrRetentionRunning otherwise). It returns the archive recorded.
func (s *Store) CommitRetention(ctx context.Context, actor ledger.Actor, owner string, b *RetentionBatch, f ArchiveFile) (Archive, error) {
	p := b.plan
	if p == nil || !p.walked {
		return Archive{}, errors.New("store: a retention batch not fully read by PlanRetention's writer; nothing was archived")
	}
	a := Archive{FileName: f.Name, Cutoff: b.Cutoff, Entries: int64(len(p.entries)), Transactions: int64(len(p.txs)),
		AuditRecords: p.records(), Size: f.Size, SHA256: f.SHA256, CreatedAt: f.CreatedAt, CreatedBy: actor.AdminID}
	if p.records() > 0 {
		a.AuditFirstSeq, a.AuditLastSeq, a.AuditLastHash = p.ckSeq+1, p.auditTo, p.auditLastHash
	}
	err := s.commitRetention(ctx, actor, owner, p, &a)
	return a, err
}

// commitRetention is CommitRetention's transaction; it sets a.ID.
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
			r, err := tx.ExecContext(ctx, "DELETE FROM audit_log WHERE id IN (SELECT audit_id FROM audit_seals WHERE seq > $1 AND seq <= $2)", p.ckSeq, p.auditTo)
			if err := wantRows(r, err, n, "operation records"); err != nil {
				return err
			}
			r, err = tx.ExecContext(ctx, "DELETE FROM audit_seals WHERE seq > $1 AND seq <= $2", p.ckSeq, p.auditTo)
			if err := wantRows(r, err, n, "operation record seals"); err != nil {
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

// ArchiveRecorded reports whether an archive row names the file; true also
// when that cannot be told (the database does not answer), so that a caller
// deciding whether the file may go keeps it.
func (s *Store) ArchiveRecorded(ctx context.Context, name string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM archives WHERE file_name = $1", name).Scan(&n); err != nil {
		return true
	}
	return n > 0
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
	type sum struct{ n, total, bonus int64 }
	byAccount := map[int64]*sum{}
	var order []int64
	for _, e := range p.entries {
		if byAccount[e.AccountID] == nil {
			byAccount[e.AccountID] = &sum{}
			order = append(order, e.AccountID)
		}
		byAccount[e.AccountID].n++
		byAccount[e.AccountID].total += e.Amount
		if e.Part == ledger.PartBonus {
			byAccount[e.AccountID].bonus += e.Amount
		}
	}
	// In account order, so that two writers would lock rows in one order.
	slices.Sort(order)
	accRows := make([][]any, 0, len(order))
	for _, id := range order {
		accRows = append(accRows, []any{id, byAccount[id].n, byAccount[id].total, byAccount[id].bonus, micros(a.CreatedAt)})
	}
	return insertRows(ctx, tx, "INSERT INTO pruned_accounts (account_id, entries, amount, bonus, updated_at) VALUES ",
		` ON CONFLICT (account_id) DO UPDATE SET entries = pruned_accounts.entries + excluded.entries,
		amount = pruned_accounts.amount + excluded.amount, bonus = pruned_accounts.bonus + excluded.bonus, updated_at = excluded.updated_at`, accRows)
}

// insertRows inserts rows of equal width with multi-row VALUES, a few
// hundred at a time.
func insertRows(ctx context.Context, tx *txn, head, tail string, rows [][]any) error {
	for from := 0; from < len(rows); from += 200 {
		var b strings.Builder
		var args sqlArgs
		b.WriteString(head)
		for i, row := range rows[from:min(from+200, len(rows))] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + args.list(row...) + ")")
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
