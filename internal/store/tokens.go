package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
)

// Token is a session or program token as stored: only its hash is kept.
type Token struct {
	ID        int64
	Kind      string // "session" or "program"
	Name      string
	AdminID   int64
	Role      ledger.Role // a program token's role; a session has its admin's
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// Principal is who a valid token speaks for.
type Principal struct {
	Admin ledger.Admin
	Token Token
}

// Role is what the principal may do: a program token's own role, or the
// administrator's for a session.
func (p Principal) Role() ledger.Role {
	if p.Token.Kind == "program" {
		return p.Token.Role
	}
	return p.Admin.Role
}

// Actor describes the principal for the operation record.
func (p Principal) Actor(addr string) ledger.Actor {
	a := ledger.Actor{AdminID: p.Admin.ID, Name: p.Admin.Username, Role: p.Role(), Addr: addr}
	if p.Token.Kind == "program" {
		a.TokenID, a.Name = p.Token.ID, p.Admin.Username+"/"+p.Token.Name
	} else {
		a.SessionID = p.Token.ID
	}
	return a
}

func newSecret() (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	secret = "cfr_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret)
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

const tokenCols = "id, kind, name, admin_id, role, created_at, expires_at, revoked_at"

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var role sql.NullString
	var created int64
	var expires, revoked sql.NullInt64
	err := row.Scan(&t.ID, &t.Kind, &t.Name, &t.AdminID, &role, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ledger.ErrNotFound
	}
	t.Role, t.CreatedAt, t.ExpiresAt, t.RevokedAt = ledger.Role(role.String), fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked)
	return t, err
}

// StartSession records a successful login and returns a new session token.
func (s *Store) StartSession(ctx context.Context, admin ledger.Admin, addr string, ttl time.Duration) (string, Token, error) {
	secret, hash := newSecret()
	var t Token
	err := s.write(ctx, func(tx *txn) error {
		now := s.nowTime()
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `INSERT INTO tokens (kind, admin_id, token_hash, created_at, expires_at)
			VALUES ('session', $1, $2, $3, $4) RETURNING `+tokenCols, admin.ID, hash, micros(now), micros(now.Add(ttl))))
		if err != nil {
			return err
		}
		actor := ledger.Actor{AdminID: admin.ID, SessionID: t.ID, Name: admin.Username, Role: admin.Role, Addr: addr}
		return s.audit(ctx, tx, actor, change{action: "login", objectType: "admin", objectID: admin.ID})
	})
	return secret, t, err
}

// CreateProgramToken makes a named token with a role for another system.
// The secret is returned once and never stored.
func (s *Store) CreateProgramToken(ctx context.Context, actor ledger.Actor, name string, role ledger.Role, expires *time.Time) (string, Token, error) {
	var p []ledger.FieldProblem
	if name == "" || len(name) > 100 {
		p = append(p, ledger.FieldProblem{Field: "name", Message: "is required, at most 100 characters"})
	}
	if !role.Valid() {
		p = append(p, ledger.FieldProblem{Field: "role", Message: "must be super_admin, admin or reviewer"})
	}
	if expires != nil && !expires.After(s.now()) {
		p = append(p, ledger.FieldProblem{Field: "expires_at", Message: "must be in the future"})
	}
	if p != nil {
		return "", Token{}, &ledger.ValidationError{Problems: p}
	}
	secret, hash := newSecret()
	var t Token
	err := s.write(ctx, func(tx *txn) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `INSERT INTO tokens (kind, name, admin_id, role, token_hash, created_at, expires_at)
			VALUES ('program', $1, $2, $3, $4, $5, $6) RETURNING `+tokenCols,
			name, actor.AdminID, string(role), hash, micros(s.nowTime()), nullMicros(expires)))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, change{action: "token.create", objectType: "token", objectID: t.ID,
			after: map[string]any{"name": name, "role": role, "expires_at": expires}})
	})
	return secret, t, err
}

// ProgramTokens lists program tokens, revoked ones included.
func (s *Store) ProgramTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE kind = 'program' ORDER BY id")
	return collect(rows, err, scanToken)
}

// RevokeToken ends a token of the given kind. Ending one already ended is
// not an error; a token that does not exist is ledger.ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, actor ledger.Actor, id int64, kind string) error {
	defer s.principals.forget() // after the commit: see principalCache
	return s.write(ctx, func(tx *txn) error {
		t, err := scanToken(tx.QueryRowContext(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id = $1 AND kind = $2"+s.forUpdate, id, kind))
		if err != nil || t.RevokedAt != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE tokens SET revoked_at = $2 WHERE id = $1", id, micros(s.nowTime())); err != nil {
			return err
		}
		action := "token.revoke"
		if kind == "session" {
			action = "logout"
		}
		return s.audit(ctx, tx, actor, change{action: action, objectType: "token", objectID: id})
	})
}

// Authenticate finds the live principal of a bearer secret. Revoked and
// expired tokens, and tokens of disabled administrators, are not found.
//
// A principal found is remembered for principalTTL: every API request
// authenticates, and a query per request was a measurable share of a
// charge's cost (docs/performance.md). A change on this instance (a token
// revoked, an administrator changed) forgets them all at once; one made by
// another instance sharing the database applies here within principalTTL.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	hash := hashSecret(secret)
	now := s.now()
	if p, ok := s.principals.get(hash, now); ok {
		return p, nil
	}
	gen := s.principals.generation()
	p, err := s.lookupPrincipal(ctx, hash, now)
	if err == nil {
		s.principals.put(hash, p, now, gen)
	}
	return p, err
}

func (s *Store) lookupPrincipal(ctx context.Context, hash string, now time.Time) (Principal, error) {
	var p Principal
	row := s.readRow(ctx, `SELECT t.id, t.kind, t.name, t.admin_id, t.role, t.created_at, t.expires_at, t.revoked_at,
		a.id, a.username, a.name, a.role, a.password_hash, a.disabled, a.locale, a.created_at, a.updated_at
		FROM tokens t JOIN admins a ON a.id = t.admin_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND a.disabled = FALSE`,
		hash, micros(now))
	var role sql.NullString
	var created, aCreated, aUpdated int64
	var expires, revoked sql.NullInt64
	err := row.Scan(&p.Token.ID, &p.Token.Kind, &p.Token.Name, &p.Token.AdminID, &role, &created, &expires, &revoked,
		&p.Admin.ID, &p.Admin.Username, &p.Admin.Name, &p.Admin.Role, &p.Admin.PasswordHash, &p.Admin.Disabled, &p.Admin.Locale, &aCreated, &aUpdated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ledger.ErrNotFound
	}
	p.Token.Role, p.Token.CreatedAt, p.Token.ExpiresAt = ledger.Role(role.String), fromMicros(created), fromNullMicros(expires)
	p.Admin.CreatedAt, p.Admin.UpdatedAt = fromMicros(aCreated), fromMicros(aUpdated)
	return p, err
}

// principalTTL is how long a principal found stays remembered: how late a
// change made on another instance can be here.
const principalTTL = 2 * time.Second

// principalCache remembers principals by their token's hash. Its
// generation moves whenever it is cleared, so that a lookup that began
// before a change does not store what it read from before it.
type principalCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p  Principal
	at time.Time
}

func (c *principalCache) get(hash string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.m[hash]
	c.mu.Unlock()
	fresh := ok && !now.Before(e.at) && now.Sub(e.at) < principalTTL
	if !fresh || (e.p.Token.ExpiresAt != nil && !e.p.Token.ExpiresAt.After(now)) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *principalCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *principalCache) put(hash string, p Principal, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	// Bounded: past the limit, start again rather than grow without end.
	if c.m == nil || len(c.m) >= 10000 {
		c.m = map[string]cachedPrincipal{}
	}
	c.m[hash] = cachedPrincipal{p: p, at: now}
}

// forget clears the cache; callers call it once their change committed.
func (c *principalCache) forget() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}

// RecordLoginFailure adds a failed login to the operation record; the
// records are what login rate limits count.
func (s *Store) RecordLoginFailure(ctx context.Context, username, addr, reason string) error {
	return s.write(ctx, func(tx *txn) error {
		return s.audit(ctx, tx, ledger.Actor{Name: username, Addr: addr}, change{action: "login.failed", objectType: "admin",
			after: map[string]string{"reason": reason}})
	})
}

// LoginFailures counts failed logins since a time, for a username and for
// a client address.
func (s *Store) LoginFailures(ctx context.Context, username, addr string, since time.Time) (byName, byAddr int, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed' AND actor_name = $1 AND created_at >= $3),
		(SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed' AND client_addr = $2 AND created_at >= $3)`,
		username, addr, micros(since)).Scan(&byName, &byAddr)
	return byName, byAddr, err
}
