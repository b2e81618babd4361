package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Statement links (SPEC 10) open one customer's read-only statement page
// without a login. The token in the URL is 32 random bytes; only its hash
// is kept, so the URL is shown once and a copy of the database opens
// nothing. A link that was altered, has expired or was revoked finds no
// row here, and the page answers 404 for all three alike.

// StatementLink is one link, without its token.
type StatementLink struct {
	ID           int64
	CustomerID   int64
	CreatedBy    int64
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    *time.Time
	LastOpenedAt *time.Time
}

// MaxStatementLinkDays is the longest a link lasts.
const MaxStatementLinkDays = 90

const statementLinkCols = "id, customer_id, created_by, created_at, expires_at, revoked_at, last_opened_at"

func scanStatementLink(row scanner) (StatementLink, error) {
	var l StatementLink
	var by sql.NullInt64
	var created, expires int64
	var revoked, opened sql.NullInt64
	err := row.Scan(&l.ID, &l.CustomerID, &by, &created, &expires, &revoked, &opened)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ledger.ErrNotFound
	}
	l.CreatedBy, l.CreatedAt, l.ExpiresAt = by.Int64, fromMicros(created), fromMicros(expires)
	l.RevokedAt, l.LastOpenedAt = fromNullMicros(revoked), fromNullMicros(opened)
	return l, err
}

// CreateStatementLink makes a link to live customer customerID's statement
// page, lasting days (1 to MaxStatementLinkDays), and returns it with its
// token, which is not shown again.
func (s *Store) CreateStatementLink(ctx context.Context, actor ledger.Actor, customerID int64, days int) (StatementLink, string, error) {
	if days < 1 || days > MaxStatementLinkDays {
		return StatementLink{}, "", ledger.InvalidBecause("expires_in_days", "link_days", "must be 1 to 90 days", 1, MaxStatementLinkDays)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return StatementLink{}, "", err
	}
	token := "cst_" + base64.RawURLEncoding.EncodeToString(b)
	var l StatementLink
	err := s.write(ctx, func(tx *txn) error {
		c, err := scanCustomer(tx.QueryRowContext(ctx, "SELECT "+customerCols+" FROM customers WHERE id = $1", customerID))
		if err != nil {
			return err
		}
		if c.ArchivedAt != nil {
			return ledger.ErrCustomerArchived
		}
		now := s.nowTime()
		l, err = scanStatementLink(tx.QueryRowContext(ctx, `INSERT INTO statement_links (customer_id, token_hash, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+statementLinkCols,
			customerID, hashSecret(token), nullID(actor.AdminID), micros(now), micros(now.Add(time.Duration(days)*24*time.Hour))))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "statement_link.create", objectType: "customer", objectID: customerID,
			after: map[string]any{"link_id": strconv.FormatInt(l.ID, 10), "expires_at": l.ExpiresAt.UTC()}})
	})
	return l, token, err
}

// StatementLinks lists a customer's links, newest first.
func (s *Store) StatementLinks(ctx context.Context, customerID int64, limit int) ([]StatementLink, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+statementLinkCols+" FROM statement_links WHERE customer_id = $1 ORDER BY id DESC LIMIT $2", customerID, limit)
	return collect(rows, err, scanStatementLink)
}

// RevokeStatementLink ends customer customerID's link linkID at once. A
// link of another customer is not found; revoking twice changes nothing.
func (s *Store) RevokeStatementLink(ctx context.Context, actor ledger.Actor, customerID, linkID int64) (StatementLink, error) {
	var l StatementLink
	err := s.write(ctx, func(tx *txn) error {
		var err error
		l, err = scanStatementLink(tx.QueryRowContext(ctx, "SELECT "+statementLinkCols+" FROM statement_links WHERE id = $1 AND customer_id = $2"+s.forUpdate,
			linkID, customerID))
		if err != nil || l.RevokedAt != nil {
			return err
		}
		now := s.nowTime()
		if _, err := tx.ExecContext(ctx, "UPDATE statement_links SET revoked_at = $2, revoked_by = $3 WHERE id = $1", linkID, micros(now), nullID(actor.AdminID)); err != nil {
			return err
		}
		l.RevokedAt = &now
		return s.audit(ctx, tx, actor, change{action: "statement_link.revoke", objectType: "customer", objectID: customerID,
			after: map[string]any{"link_id": strconv.FormatInt(linkID, 10)}})
	})
	return l, err
}

// OpenStatementLink finds the live link of token and notes that it was
// opened. Whatever is wrong with a token (altered, expired, revoked, the
// customer archived), the answer is ledger.ErrNotFound.
func (s *Store) OpenStatementLink(ctx context.Context, token string) (StatementLink, error) {
	var l StatementLink
	now := s.nowTime()
	err := s.write(ctx, func(tx *txn) error {
		var err error
		l, err = scanStatementLink(tx.QueryRowContext(ctx, "SELECT "+prefixCols(statementLinkCols, "l.")+
			" FROM statement_links l JOIN customers c ON c.id = l.customer_id WHERE l.token_hash = $1 AND l.revoked_at IS NULL AND l.expires_at > $2 AND c.archived_at IS NULL",
			hashSecret(token), micros(now)))
		if err != nil {
			return err
		}
		// Noted once a minute at most: a page and its PDF open together.
		if l.LastOpenedAt == nil || now.Sub(*l.LastOpenedAt) > time.Minute {
			_, err = tx.ExecContext(ctx, "UPDATE statement_links SET last_opened_at = $2 WHERE id = $1", l.ID, micros(now))
			l.LastOpenedAt = &now
		}
		return err
	})
	return l, err
}

// RenewNotificationLink makes a link, lasting days, to the statement page
// of the customer of notification id, which its worker holds under lease,
// and revokes the one an earlier attempt made: the token of a link is not
// kept, so each attempt mails a new one and only the last stays open.
func (s *Store) RenewNotificationLink(ctx context.Context, id int64, lease string, days int) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := "cst_" + base64.RawURLEncoding.EncodeToString(b)
	err := s.write(ctx, func(tx *txn) error {
		var customerID int64
		var previous sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT customer_id, link_id FROM notifications WHERE id = $1 AND lease_owner = $2", id, lease).
			Scan(&customerID, &previous)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotificationLeaseLost
		}
		if err != nil {
			return err
		}
		now := s.nowTime()
		if previous.Valid {
			if _, err := tx.ExecContext(ctx, "UPDATE statement_links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", previous.Int64, micros(now)); err != nil {
				return err
			}
		}
		var linkID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO statement_links (customer_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			customerID, hashSecret(token), micros(now), micros(now.Add(time.Duration(days)*24*time.Hour))).Scan(&linkID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE notifications SET link_id = $2 WHERE id = $1", id, linkID)
		return err
	})
	return token, err
}
