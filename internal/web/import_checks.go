package web

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// The import page checks a file first and imports it on a second request
// (SPEC 12). The file is not uploaded twice: the checked bytes wait here,
// under a random token tied to the session that checked them, and the
// import takes exactly the bytes whose SHA-256 the check showed.
//
// They wait in this process's memory: with several instances behind a
// balancer without sticky sessions the import may reach another instance,
// which refuses it as expired and asks for a new check (nothing changes).

const (
	// importCheckTTL is how long a checked file waits for its import.
	importCheckTTL = 30 * time.Minute
	// importChecksMaxBytes bounds the files waiting, all sessions
	// together; beyond it the oldest check is dropped.
	importChecksMaxBytes = 4 * MaxImportUpload
)

// pendingImport is a checked file waiting to be imported.
type pendingImport struct {
	session string // sessionKey of the session that checked it
	sum     string // hex SHA-256 of data, as the check showed it
	name    string
	data    []byte
	expires time.Time
}

// importChecks are the checked files waiting, by token.
type importChecks struct {
	mu      sync.Mutex
	byToken map[string]*pendingImport
}

// sessionKey names a session without keeping its secret.
func sessionKey(secret string) string {
	h := sha256.Sum256([]byte("coffer-import:" + secret))
	return hex.EncodeToString(h[:16])
}

// put keeps p and returns its token. A session has one check waiting at
// most: a new check replaces the one before.
func (c *importChecks) put(now time.Time, p *pendingImport) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byToken == nil {
		c.byToken = map[string]*pendingImport{}
	}
	total := len(p.data)
	for token, o := range c.byToken {
		if o.session == p.session || !now.Before(o.expires) {
			delete(c.byToken, token)
			continue
		}
		total += len(o.data)
	}
	for total > importChecksMaxBytes && len(c.byToken) > 0 {
		oldest := ""
		for token, o := range c.byToken {
			if oldest == "" || o.expires.Before(c.byToken[oldest].expires) {
				oldest = token
			}
		}
		total -= len(c.byToken[oldest].data)
		delete(c.byToken, oldest)
	}
	p.expires = now.Add(importCheckTTL)
	token := randomToken()
	c.byToken[token] = p
	return token
}

// take removes and returns the check of token when it is this session's,
// of the file sum, and not expired. Taking it, rather than reading it,
// lets one import only run, however often the button is pressed.
func (c *importChecks) take(now time.Time, token, session, sum string) (*pendingImport, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.byToken[token]
	if !ok || p.session != session || p.sum != sum {
		return nil, false
	}
	delete(c.byToken, token)
	return p, now.Before(p.expires)
}

// restore puts back a check whose import failed, so that the operator
// may try again without a new check.
func (c *importChecks) restore(token string, p *pendingImport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byToken[token] = p
}
