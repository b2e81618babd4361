package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"coffer/internal/ledger"
)

// AuditRecord is one operation record: who did what to which object, when,
// from where, and the object before and after (JSON). Records form a hash
// chain: Hash covers every other field and the previous record's hash.
type AuditRecord struct {
	ID         int64
	CreatedAt  time.Time
	ActorID    int64
	TokenID    int64
	ActorName  string
	Action     string
	ObjectType string
	ObjectID   string
	Before     string
	After      string
	ClientAddr string
	PrevHash   string
	Hash       string
}

// computeHash is SHA-256 over the record's fields, each length-prefixed so
// that no two different records share an input.
func (r AuditRecord) computeHash() string {
	h := sha256.New()
	for _, f := range []string{
		r.PrevHash, strconv.FormatInt(r.ID, 10), strconv.FormatInt(micros(r.CreatedAt), 10),
		strconv.FormatInt(r.ActorID, 10), strconv.FormatInt(r.TokenID, 10), r.ActorName, r.Action,
		r.ObjectType, r.ObjectID, r.Before, r.After, r.ClientAddr,
	} {
		fmt.Fprintf(h, "%d:%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// change describes one audited change inside a store operation.
type change struct {
	action     string // e.g. "customer.create"
	objectType string
	objectID   int64
	before     any // marshalled to JSON; nil for none
	after      any
}

func jsonOrEmpty(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// audit appends a record in the caller's transaction, so that the record
// exists exactly when the change does. Writers lock the chain's head row;
// callers audit last, just before commit, to hold that lock briefly.
func (s *Store) audit(ctx context.Context, tx *txn, actor ledger.Actor, c change) error {
	r := AuditRecord{CreatedAt: s.nowTime(), ActorID: actor.AdminID, TokenID: actor.TokenID, ActorName: actor.Name,
		Action: c.action, ObjectType: c.objectType, ClientAddr: actor.Addr}
	if c.objectID != 0 {
		r.ObjectID = strconv.FormatInt(c.objectID, 10)
	}
	var err error
	if r.Before, err = jsonOrEmpty(c.before); err != nil {
		return err
	}
	if r.After, err = jsonOrEmpty(c.after); err != nil {
		return err
	}
	var lastID int64
	if err := tx.QueryRowContext(ctx, "SELECT last_id, hash FROM audit_head WHERE id = 1"+s.forUpdate).Scan(&lastID, &r.PrevHash); err != nil {
		return err
	}
	r.ID = lastID + 1
	r.Hash = r.computeHash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (id, created_at, actor_id, token_id, actor_name, action, object_type, object_id,
		before_json, after_json, client_addr, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.ID, micros(r.CreatedAt), nullID(r.ActorID), nullID(r.TokenID), r.ActorName, r.Action, r.ObjectType, r.ObjectID,
		r.Before, r.After, r.ClientAddr, r.PrevHash, r.Hash); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE audit_head SET last_id = $1, hash = $2 WHERE id = 1", r.ID, r.Hash)
	return err
}

const auditCols = "id, created_at, actor_id, token_id, actor_name, action, object_type, object_id, before_json, after_json, client_addr, prev_hash, hash"

func scanAudit(row interface{ Scan(...any) error }) (AuditRecord, error) {
	var r AuditRecord
	var created int64
	var actor, token sql.NullInt64
	err := row.Scan(&r.ID, &created, &actor, &token, &r.ActorName, &r.Action, &r.ObjectType, &r.ObjectID,
		&r.Before, &r.After, &r.ClientAddr, &r.PrevHash, &r.Hash)
	r.CreatedAt, r.ActorID, r.TokenID = fromMicros(created), actor.Int64, token.Int64
	return r, err
}

// AuditFilter selects operation records.
type AuditFilter struct {
	ActorID    int64 // 0: everyone's
	Action     string
	ObjectType string
	ObjectID   string
	From, To   *time.Time // To is exclusive
	BeforeID   int64      // keyset cursor: records with smaller ids
	Limit      int
}

// AuditRecords lists records newest first.
func (s *Store) AuditRecords(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	w := where{}
	if f.ActorID != 0 {
		w.add("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.ObjectType != "" {
		w.add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		w.add("object_id = ?", f.ObjectID)
	}
	if f.From != nil {
		w.add("created_at >= ?", micros(*f.From))
	}
	if f.To != nil {
		w.add("created_at < ?", micros(*f.To))
	}
	if f.BeforeID != 0 {
		w.add("id < ?", f.BeforeID)
	}
	q := "SELECT " + auditCols + " FROM audit_log" + w.sql() + " ORDER BY id DESC LIMIT " + strconv.Itoa(f.Limit)
	rows, err := s.rdb.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ChainReport is the outcome of walking the audit chain.
type ChainReport struct {
	OK       bool
	Checked  int
	BrokenAt int64  // id of the first record that does not fit, 0 if OK
	Reason   string // why it does not fit
}

// VerifyAudit walks the whole chain in id order and reports the first record
// whose hash does not match its content or whose link to the previous record
// is broken, or a chain whose end differs from the head row (records removed
// from the end).
func (s *Store) VerifyAudit(ctx context.Context) (ChainReport, error) {
	var rep ChainReport
	err := s.read(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY id")
		if err != nil {
			return err
		}
		defer rows.Close()
		prevHash, prevID := "", int64(0)
		for rows.Next() {
			r, err := scanAudit(rows)
			if err != nil {
				return err
			}
			rep.Checked++
			switch {
			case r.ID != prevID+1:
				rep.BrokenAt, rep.Reason = r.ID, fmt.Sprintf("record %d follows %d: records are missing", r.ID, prevID)
			case r.PrevHash != prevHash:
				rep.BrokenAt, rep.Reason = r.ID, "its link to the previous record does not match"
			case r.computeHash() != r.Hash:
				rep.BrokenAt, rep.Reason = r.ID, "its content does not match its hash"
			}
			if rep.BrokenAt != 0 {
				return nil
			}
			prevHash, prevID = r.Hash, r.ID
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var headID int64
		var headHash string
		if err := tx.QueryRowContext(ctx, "SELECT last_id, hash FROM audit_head WHERE id = 1").Scan(&headID, &headHash); err != nil {
			return err
		}
		if headID != prevID || headHash != prevHash {
			rep.BrokenAt, rep.Reason = prevID+1, fmt.Sprintf("the chain ends at record %d but the head says %d", prevID, headID)
			return nil
		}
		rep.OK = true
		return nil
	})
	return rep, err
}
