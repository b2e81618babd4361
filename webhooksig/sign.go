// Package webhooksig signs and verifies Coffer's webhook deliveries. They
// follow Standard Webhooks (standardwebhooks.com), so a receiver may use this
// package, or that project's library in any language:
//
//	err := webhooksig.Verify(secret, r.Header, body, time.Now(), 5*time.Minute)
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Deliveries are signed as Standard Webhooks (standardwebhooks.com) sign
// them, so that receivers can check them with that project's libraries in
// any language: three headers, and a signature over "<id>.<timestamp>.<body>".
const (
	HeaderID        = "webhook-id"        // the event's id ("evt_" and its number): the same in every attempt and redelivery
	HeaderTimestamp = "webhook-timestamp" // when this attempt was sent, Unix seconds
	HeaderSignature = "webhook-signature" // "v1," and the base64 HMAC-SHA256; several are separated by spaces
)

// signingKey is the HMAC key of a webhook's secret. A secret of the
// standard's form ("whsec_" and base64) signs with the bytes it encodes, as
// the standard's libraries read it; any other secret an operator chose
// (or one made before Coffer used the standard) signs with its own bytes,
// which those libraries take as a "raw" secret.
func signingKey(secret string) []byte {
	if enc, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if key, err := base64.StdEncoding.DecodeString(enc); err == nil && len(key) > 0 {
			return key
		}
	}
	return []byte(secret)
}

// Sign is the webhook-signature header value of a body sent with message
// id msgID at timestamp (Unix seconds).
func Sign(secret, msgID string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, signingKey(secret))
	mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery's Standard Webhooks headers against its body:
// one of the signatures must match and the timestamp must be within
// tolerance of now (which stops an old request being replayed). Receivers
// written in Go may use it, or the standard's own library.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id := h.Get(HeaderID)
	if id == "" {
		return errors.New("webhooksig: no webhook-id header")
	}
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return errors.New("webhooksig: bad webhook-timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhooksig: webhook-timestamp is too far from now")
	}
	want := Sign(secret, id, ts, body)
	for _, sig := range strings.Fields(h.Get(HeaderSignature)) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhooksig: signature does not match")
}
