package web

import (
	"testing"
	"time"
)

func TestImportChecksExpireAndBelongToTheirSession(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var c importChecks
	a := c.put(now, &pendingImport{session: "s1", sum: "h1", data: []byte("x")})
	t.Run("OtherSessionOrHash", func(t *testing.T) {
		if _, ok := c.take(now, a, "s2", "h1"); ok {
			t.Error("another session took the check")
		}
		if _, ok := c.take(now, a, "s1", "h2"); ok {
			t.Error("a check was taken for another file")
		}
	})
	t.Run("Expired", func(t *testing.T) {
		if _, ok := c.take(now.Add(importCheckTTL), a, "s1", "h1"); ok {
			t.Error("an expired check was taken")
		}
		if _, ok := c.take(now, a, "s1", "h1"); ok {
			t.Error("an expired check stays after it was refused")
		}
	})
	t.Run("NewCheckReplacesTheSessionsOld", func(t *testing.T) {
		b := c.put(now, &pendingImport{session: "s1", sum: "h1", data: []byte("x")})
		d := c.put(now, &pendingImport{session: "s1", sum: "h3", data: []byte("y")})
		if _, ok := c.take(now, b, "s1", "h1"); ok {
			t.Error("a replaced check was taken")
		}
		if p, ok := c.take(now, d, "s1", "h3"); !ok || string(p.data) != "y" {
			t.Error("the newest check was not taken")
		}
	})
	t.Run("BoundedMemory", func(t *testing.T) {
		big := make([]byte, importChecksMaxBytes/2+1)
		first := c.put(now, &pendingImport{session: "a", sum: "h", data: big})
		c.put(now.Add(time.Second), &pendingImport{session: "b", sum: "h", data: big})
		if _, ok := c.take(now, first, "a", "h"); ok {
			t.Error("the oldest check was kept beyond the bound")
		}
	})
}
