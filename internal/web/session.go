package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/clientaddr"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

const (
	sessionCookie = "coffer_session"
	loginCSRF     = "coffer_login_csrf"
)

// request is one page request of a logged-in administrator.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	web    *Web
	p      store.Principal
	secret string // the session token from the cookie
	L      *locale
}

func (q *request) role() ledger.Role { return q.p.Role() }

func (q *request) actor() ledger.Actor { return q.p.Actor(clientAddr(q.r)) }

func (q *request) can(a auth.Action) bool { return auth.Can(q.role(), a) }

func clientAddr(r *http.Request) string { return clientaddr.Of(r).Addr }

// secure tells whether cookies set in answer to r should be Secure: the
// site's base URL is https, or the client's connection is (here, or at a
// trusted proxy).
func (web *Web) secure(r *http.Request) bool {
	return web.baseURL != nil && web.baseURL.Scheme == "https" || clientaddr.Of(r).HTTPS
}

// csrfFor derives a session's CSRF token from its secret: only a page of
// this site, which can read neither the cookie nor the secret, gets it.
func csrfFor(secret string) string {
	h := sha256.Sum256([]byte("coffer-csrf:" + secret))
	return hex.EncodeToString(h[:16])
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// fromThisSite refuses a form posted from another site. net/http's
// CrossOriginProtection judges by Sec-Fetch-Site, which every current
// browser sends, else by Origin against Host. A request with neither it
// lets through, as a program's; of those, one whose Referer names another
// host is a browser's, sent from another site's page, and is refused too.
// The CSRF token is checked besides, whatever these headers say.
func (web *Web) fromThisSite(r *http.Request) error {
	if err := web.crossOrigin.Check(r); err != nil {
		return err
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		if u, err := url.Parse(ref); err != nil || u.Host != r.Host {
			return errForeignReferer
		}
	}
	return nil
}

var errForeignReferer = errors.New("cross-origin request detected: Sec-Fetch-Site and Origin are missing, and Referer does not match Host")

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "+
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// authed wraps a page: it finds the session, refuses a POST without the
// session's CSRF token or from another origin, and sends anyone without a
// live session to the login page.
func (web *Web) authed(h func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		c, err := r.Cookie(sessionCookie)
		var p store.Principal
		if err == nil {
			p, err = web.store.Authenticate(r.Context(), c.Value)
		}
		if err != nil && !errors.Is(err, http.ErrNoCookie) && !errors.Is(err, ledger.ErrNotFound) {
			// The database failed, not the session: logging in again would
			// not help, and would lose the page the user was on.
			web.log.ErrorContext(r.Context(), "authenticate", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if err != nil || p.Token.Kind != "session" {
			if next := r.URL.RequestURI(); r.Method == http.MethodGet && safeNext(next) == next {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			} else {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
			}
			return
		}
		settings, err := web.store.Settings(r.Context())
		if err != nil {
			web.log.ErrorContext(r.Context(), "settings", "err", err)
			http.Error(w, "internal error", 500)
			return
		}
		q := &request{w: w, r: r, web: web, p: p, secret: c.Value, L: newLocale(p.Admin.Locale, settings.Location())}
		if r.Method == http.MethodPost {
			if err := r.ParseMultipartForm(3 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				q.fail(http.StatusRequestEntityTooLarge, tooLargeKey(r))
				return
			}
			token := r.PostFormValue("csrf")
			if err := web.fromThisSite(r); err != nil || subtle.ConstantTimeCompare([]byte(token), []byte(csrfFor(c.Value))) != 1 {
				web.log.WarnContext(r.Context(), "refused a form without a valid CSRF token or from another origin", "path", r.URL.Path, "addr", clientAddr(r), "origin", err)
				q.fail(http.StatusForbidden, "err.csrf")
				return
			}
		}
		h(q)
	}
}

// tooLargeKey says why a body was refused as too large: the import page's
// file has a limit of its own (UploadLimit).
func tooLargeKey(r *http.Request) string {
	if r.URL.Path == importPath {
		return "err.import_too_large"
	}
	return "err.too_large"
}

// page is what every template gets.
type page struct {
	L     *locale
	Me    ledger.Admin
	Role  ledger.Role
	CSRF  string
	Can   map[string]bool
	Path  string
	Title string
	Flash string
	Error string
	// Queued is the approval a change was sent to instead of being applied
	// (SPEC 9): the page says so, with a link to it.
	Queued int64
	// Form holds what the user typed, so that an error loses none of it;
	// Errs holds the problem of each field.
	Form url.Values
	Errs map[string]string
	Data any
}

func (q *request) page(title string, data any) *page {
	p := &page{L: q.L, Me: q.p.Admin, Role: q.role(), CSRF: csrfFor(q.secret), Can: map[string]bool{}, Path: q.r.URL.Path,
		Title: title, Form: url.Values{}, Errs: map[string]string{}, Data: data}
	for name, a := range actions {
		p.Can[name] = q.can(a)
	}
	if done := q.r.URL.Query().Get("done"); done == "queued" {
		p.Queued, _ = strconv.ParseInt(q.r.URL.Query().Get("approval"), 10, 64)
	} else if done != "" {
		p.Flash = q.L.T("done." + done)
	}
	return p
}

// render writes a page; errors in templates are programming errors.
func (q *request) render(name string, status int, p *page) { q.renderBlock(name, "layout", status, p) }

// renderBlock writes one named block of a page, e.g. the results table
// that htmx swaps in as the user types.
func (q *request) renderBlock(name, block string, status int, p *page) {
	t, ok := q.web.pages[name]
	if !ok {
		panic("web: no template " + name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, block, p); err != nil {
		q.web.log.ErrorContext(q.r.Context(), "render", "page", name, "err", err)
		http.Error(q.w, "internal error", 500)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(status)
	q.w.Write(b.Bytes())
}

// fail shows an error page with a translated message.
func (q *request) fail(status int, key string) {
	p := q.page(q.L.T("err.title"), nil)
	p.Error = q.L.T(key)
	q.render("error", status, p)
}

// redirect sends the browser on after a successful POST (post/redirect/get),
// so that a refresh does not post again.
func (q *request) redirect(path string) { http.Redirect(q.w, q.r, path, http.StatusSeeOther) }

// pathID reads a numeric id from the path; anything else is not found.
func (q *request) pathID() (int64, bool) {
	s := q.r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		q.fail(http.StatusNotFound, "err.not_found")
		return 0, false
	}
	return id, true
}

// formErrors turns an error into messages next to fields, or a page-level
// message; it reports whether err was the user's to fix.
func (q *request) formErrors(p *page, err error) bool {
	var ve *ledger.ValidationError
	if errors.As(err, &ve) {
		for _, fp := range ve.Problems {
			p.Errs[fp.Field] = q.fieldMessage(fp)
		}
		p.Error = q.L.T("err.fix_fields")
		return true
	}
	var de *ledger.Error
	if errors.As(err, &de) && api.StatusOf(err) < 500 {
		p.Error = q.L.T(de.Key())
		return true
	}
	return false
}

// fieldMessage says a field's problem in the user's language: by its
// reason when the domain gave one (message "why.<reason>"), else, for a
// rule not yet given a reason, in the English of its message.
func (q *request) fieldMessage(fp ledger.FieldProblem) string {
	if fp.Reason == "" {
		return fp.Message
	}
	return q.L.Tf("why."+fp.Reason, fp.Params...)
}

// amountMessage says why money refused an amount typed into field.
func (q *request) amountMessage(field string, err error) string {
	var ve *ledger.ValidationError
	errors.As(ledger.AmountProblem(field, err), &ve)
	return q.fieldMessage(ve.Problems[0])
}

// internal answers an unexpected error without showing its details.
func (q *request) internal(err error) {
	q.web.log.ErrorContext(q.r.Context(), "page failed", "path", q.r.URL.Path, "err", err)
	q.fail(http.StatusInternalServerError, "err.internal")
}

// failErr shows why an action failed, with the status that fits: the
// user's to fix (422), not theirs to do (403), not there (404), or no
// longer possible (409). Anything else is ours (500).
func (q *request) failErr(err error) {
	p := q.page(q.L.T("err.title"), nil)
	if !q.formErrors(p, err) {
		q.internal(err)
		return
	}
	for field, m := range p.Errs {
		p.Error += " " + field + ": " + m
	}
	q.render("error", api.StatusOf(err), p)
}
