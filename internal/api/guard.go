package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cofferhq/coffer/internal/ledger"
)

// maxJSONBody is the largest JSON request body (SPEC: 1 MiB).
const maxJSONBody = 1 << 20

// maxJSONDepth bounds nesting: no request of the contract nests deeper than
// a few levels, and a deep one only costs the server.
const maxJSONDepth = 32

// GuardJSON holds every API request to the contract's rules for what it
// sends (SPEC section 7) before any handler sees it: a body must be
// application/json in UTF-8 (uploads multipart/form-data), an
// Idempotency-Key that is sent must not be blank, and a JSON body may hold
// nothing that encoding/json would accept quietly but that means something
// other than it seems: invalid UTF-8 (replaced silently), a key given twice
// (the last one would win), absurd nesting.
func GuardJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if vs, sent := r.Header[http.CanonicalHeaderKey("Idempotency-Key")]; sent && (len(vs) != 1 || strings.TrimSpace(vs[0]) == "") {
			p := &Problem{Status: 422, Code: ledger.CodeValidation, Detail: "the request has invalid fields",
				Errors: []FieldError{{Field: "Idempotency-Key", Message: "is blank: send 1 to 255 characters, once, or leave the header out"}}}
			answer(w, p)
			return
		}
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		ct := r.Header.Get("Content-Type")
		if mt, _, _ := mime.ParseMediaType(ct); mt == "multipart/form-data" {
			next.ServeHTTP(w, r) // huma checks that the operation takes an upload
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
		r.Body.Close()
		if p := checkBody(ct, body, err); p != nil {
			answer(w, p)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// checkBody judges a request body that is not an upload; nil means it may
// go on. An empty body needs no content type: operations that take no body
// (cancel, logout, …) are sent without one.
func checkBody(contentType string, body []byte, readErr error) *Problem {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(readErr, &tooLarge) || len(body) > maxJSONBody:
		return &Problem{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Detail: "a JSON body may be at most 1 MiB"}
	case readErr != nil:
		return &Problem{Status: http.StatusBadRequest, Code: "bad_request", Detail: "the body could not be read"}
	case len(body) == 0:
		return nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return &Problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Detail: "send the body as Content-Type: application/json (uploads as multipart/form-data)"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &Problem{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Detail: "JSON bodies are UTF-8: charset " + cs + " is not accepted"}
	}
	if !utf8.Valid(body) {
		return &Problem{Status: http.StatusBadRequest, Code: "bad_request", Detail: "the body is not valid UTF-8"}
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := checkJSON(body); err != nil {
			return &Problem{Status: http.StatusBadRequest, Code: "bad_request", Detail: err.Error()}
		}
	}
	return nil
}

// answer writes a problem from plain net/http middleware.
func answer(w http.ResponseWriter, p *Problem) {
	p.fill()
	p.RequestID = w.Header().Get(requestIDHeader)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	writeJSON(w, p)
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
