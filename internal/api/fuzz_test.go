package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzCursor: a cursor from a client never panics the decoder, and one it
// accepts encodes back to an equivalent cursor.
func FuzzCursor(f *testing.F) {
	f.Add("eyJuIjoxLCJpIjoyfQ", false)
	f.Add("eyJzIjoiMTIzIiwiaSI6NH0", true)
	f.Add("", false)
	f.Add("%%%", true)
	f.Add("eyJpIjotMX0", false)
	f.Fuzz(func(t *testing.T, s string, text bool) {
		c, err := decodeCursor(s, text)
		if err != nil || c == nil {
			return
		}
		if c.ID <= 0 {
			t.Fatalf("accepted a cursor with id %d", c.ID)
		}
		back, err := decodeCursor(*encodeCursor(*c, text), text)
		if err != nil || *back != *c {
			t.Fatalf("cursor %+v does not survive a round trip: %+v %v", c, back, err)
		}
	})
}

// FuzzCheckJSON: the guard never panics, and a document it accepts that
// encoding/json can decode has no object with a key twice.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`, `{"a":[1,{"a":2}],"b":"a"}`,
		strings.Repeat("[", 40), `{"a":"b","b":"a"}`, `"x"`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkJSON(body) != nil {
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		if dup := hasDuplicateKey(body); dup {
			t.Fatalf("accepted %q, which repeats a key", body)
		}
	})
}

// hasDuplicateKey is a second, recursive reading of the same rule.
func hasDuplicateKey(body []byte) bool {
	var walk func(raw json.RawMessage) bool
	walk = func(raw json.RawMessage) bool {
		s := strings.TrimSpace(string(raw))
		switch {
		case strings.HasPrefix(s, "{"):
			dec := json.NewDecoder(strings.NewReader(s))
			dec.Token()
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key, _ := k.(string)
				if seen[key] {
					return true
				}
				seen[key] = true
				var v json.RawMessage
				if dec.Decode(&v) != nil || walk(v) {
					return true
				}
			}
		case strings.HasPrefix(s, "["):
			var items []json.RawMessage
			json.Unmarshal(raw, &items)
			for _, it := range items {
				if walk(it) {
					return true
				}
			}
		}
		return false
	}
	return walk(body)
}

// FuzzSafeCell: no exported cell starts like a formula unless it is a plain
// number.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"=cmd|' /C calc'!A0", "+8613800000001", "-12.50", "@SUM(A1)", "\t=1", "plain", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := safeCell(s)
		if out != "" && strings.ContainsRune("=+-@\t\r\n", rune(out[0])) && !plainNumber.MatchString(out) {
			t.Fatalf("safeCell(%q) = %q starts like a formula", s, out)
		}
		if out != s && out != "'"+s {
			t.Fatalf("safeCell(%q) = %q changed more than a leading quote", s, out)
		}
	})
}
