package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"
)

// maxJSONBody is the largest JSON request body (SPEC: 1 MiB).
const maxJSONBody = 1 << 20

// maxJSONDepth bounds nesting: no request of the contract nests deeper than
// a few levels, and a deep one only costs the server.
const maxJSONDepth = 32

// GuardJSON refuses JSON request bodies that encoding/json would accept
// quietly but that mean something other than they seem: invalid UTF-8
// (replaced silently), a key given twice (the last one would win), and
// absurd nesting. It answers 400 bad_request, or 413 too_large, before any
// handler sees the request.
func GuardJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.Body == nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
		r.Body.Close()
		fail := func(status int, code, detail string) {
			p := &Problem{Status: status, Code: code, Detail: detail}
			p.fill()
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			writeJSON(w, p)
		}
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge) || len(body) > maxJSONBody:
			fail(http.StatusRequestEntityTooLarge, "too_large", "a JSON body may be at most 1 MiB")
			return
		case err != nil:
			fail(http.StatusBadRequest, "bad_request", "the body could not be read")
			return
		case !utf8.Valid(body):
			fail(http.StatusBadRequest, "bad_request", "the body is not valid UTF-8")
			return
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := checkJSON(body); err != nil {
				fail(http.StatusBadRequest, "bad_request", err.Error())
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// checkJSON walks the tokens of a JSON document, refusing duplicate keys in
// an object and nesting deeper than maxJSONDepth. Malformed JSON is left to
// the decoder, which says where it is wrong.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string token in this object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil
		}
		top := func() *frame {
			if len(stack) == 0 {
				return nil
			}
			return stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if f := top(); f != nil && f.object {
					f.key = true
				}
				if len(stack) >= maxJSONDepth {
					return fmt.Errorf("the JSON nests deeper than %d levels", maxJSONDepth)
				}
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, key: v == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if f := top(); f != nil && f.object && f.key {
				if f.keys[v] {
					return fmt.Errorf("the key %q appears twice in one object", v)
				}
				f.keys[v] = true
				f.key = false
				continue
			}
		}
		if f := top(); f != nil && f.object {
			f.key = true
		}
	}
}
