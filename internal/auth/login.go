package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// Login limits: failed attempts within the window, per username and per
// client address. They are counted from the operation record, so they hold
// across instances and restarts.
const (
	LoginWindow     = 15 * time.Minute
	MaxFailsPerName = 5
	MaxFailsPerAddr = 20
	SessionTTL      = 12 * time.Hour
)

// dummyHash makes a login for an unknown username cost as much as one for
// a known username, so timing does not tell which usernames exist.
var dummyHash, _ = HashPassword("no such administrator")

// Login checks a username and password within the rate limits and starts a
// session; the API and the web UI both log in through it. Failures are
// recorded in the operation record and logged.
func Login(ctx context.Context, st *store.Store, log *slog.Logger, now time.Time, username, password, addr string) (string, store.Token, ledger.Admin, error) {
	// Usernames are the same in any case (SPEC section 7), so failures are
	// counted, and recorded, under the folded name: "ROOT" and "root" share
	// one limit.
	username = strings.ToLower(username)
	byName, byAddr, err := st.LoginFailures(ctx, username, addr, now.Add(-LoginWindow))
	if err != nil {
		return "", store.Token{}, ledger.Admin{}, err
	}
	if byName >= MaxFailsPerName || byAddr >= MaxFailsPerAddr {
		log.WarnContext(ctx, "login rate limited", "username", username, "addr", addr, "failures_for_name", byName, "failures_from_addr", byAddr)
		return "", store.Token{}, ledger.Admin{}, ledger.ErrRateLimited
	}
	admin, err := st.AdminByUsername(ctx, username)
	hash := admin.PasswordHash
	if errors.Is(err, ledger.ErrNotFound) {
		hash = dummyHash
	} else if err != nil {
		return "", store.Token{}, ledger.Admin{}, err
	}
	pwErr := CheckPassword(hash, password)
	reason := ""
	switch {
	case admin.ID == 0:
		reason = "unknown username"
	case pwErr != nil:
		reason = "wrong password"
	case admin.Disabled:
		reason = "administrator disabled"
	}
	if reason != "" {
		log.WarnContext(ctx, "login failed", "username", username, "addr", addr, "reason", reason)
		if err := st.RecordLoginFailure(ctx, username, addr, reason); err != nil {
			return "", store.Token{}, ledger.Admin{}, err
		}
		return "", store.Token{}, ledger.Admin{}, ledger.ErrBadCredentials
	}
	secret, tok, err := st.StartSession(ctx, admin, addr, SessionTTL)
	return secret, tok, admin, err
}
