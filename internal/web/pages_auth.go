package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cofferhq/coffer/internal/api"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/store"
)

// loginPage shows the login form. Before there is a session, a random token
// in a cookie and in the form guards the form against cross-site posts.
func (web *Web) loginPage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: token, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: web.secure(r)})
	web.renderLogin(w, r, http.StatusOK, token, "", "")
}

func (web *Web) renderLogin(w http.ResponseWriter, r *http.Request, status int, token, username, errKey string) {
	settings, err := web.store.Settings(r.Context())
	if err != nil {
		web.log.ErrorContext(r.Context(), "settings", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	lang := "en"
	if c, err := r.Cookie("coffer_lang"); err == nil && c.Value == "zh-CN" {
		lang = "zh-CN"
	}
	if r.URL.Query().Get("lang") == "zh-CN" {
		lang = "zh-CN"
	}
	L := newLocale(lang, settings.Location())
	data := map[string]string{"Next": safeNext(r.FormValue("next")), "Lang": lang}
	// The error is said inside the login card, beside the fields, not
	// across the top of an otherwise empty page.
	if errKey != "" {
		data["Error"] = L.T(errKey)
	}
	p := &page{L: L, CSRF: token, Can: map[string]bool{}, Title: L.T("login.title"), Form: map[string][]string{"username": {username}},
		Errs: map[string]string{}, Data: data}
	q := &request{w: w, r: r, web: web, L: L}
	q.render("login", status, p)
}

// maxNext bounds the path kept for after login; a longer one is no page of
// this site anyone followed a link to.
const maxNext = 2048

// safeNext keeps a redirect after login on this site (SPEC 7): a path that
// starts with one "/", or the dashboard. Browsers drop tabs and newlines
// from a Location and read "\" as "/", so "/\t/evil.example" (a tab) and
// `/\evil.example` both lead to another host; and what is percent-encoded
// in the value may be decoded by whoever reads it next. So the value is
// refused if, as given or decoded (up to three times), it is not plainPath.
func safeNext(next string) string {
	if len(next) > maxNext || !strings.HasPrefix(next, "/") || !plainPath(next, false) {
		return "/"
	}
	for s, i := next, 0; i < 3; i++ { // "%2509" is "%09" once decoded, and a tab twice
		d, err := url.PathUnescape(s)
		if err != nil && i == 0 {
			return "/"
		}
		if err != nil || d == s {
			break // what remains is literal
		}
		if !plainPath(d, true) {
			return "/"
		}
		s = d
	}
	return next
}

// plainPath tells whether s can only be read as a path of this site: no
// "//" up front, no backslash anywhere, nothing invisible (control and
// format characters, whitespace, invalid UTF-8); a decoded value may hold
// spaces, as a search does.
func plainPath(s string, decoded bool) bool {
	if strings.HasPrefix(s, "//") || strings.Contains(s, "\\") {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && !(decoded && r == ' ')) {
			return false
		}
	}
	return true
}

func (web *Web) loginSubmit(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	c, err := r.Cookie(loginCSRF)
	token := r.PostFormValue("csrf")
	originErr := web.fromThisSite(r)
	if err != nil || originErr != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(token)) != 1 {
		web.log.WarnContext(r.Context(), "refused a login form without a valid CSRF token or from another origin", "addr", clientAddr(r), "origin", originErr)
		web.renderLogin(w, r, http.StatusForbidden, randomToken(), "", "err.csrf")
		return
	}
	username := r.PostFormValue("username")
	secret, tok, _, err := auth.Login(r.Context(), web.store, web.log, web.now(), username, r.PostFormValue("password"), clientAddr(r))
	var de *ledger.Error
	switch {
	case errors.As(err, &de) && api.StatusOf(err) < 500:
		web.renderLogin(w, r, api.StatusOf(err), token, username, de.Key())
		return
	case err != nil:
		web.log.ErrorContext(r.Context(), "login", "err", err)
		http.Error(w, "internal error", 500)
		return
	}
	// Max-Age, not Expires: a lifetime counted from now by the browser's
	// own clock, so that a browser whose clock is off from the server's
	// neither drops the session early nor keeps it late. (The server
	// refuses it at its expiry whatever the browser does.)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: web.secure(r), MaxAge: int(tok.ExpiresAt.Sub(web.now()).Seconds())})
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: "", Path: "/login", MaxAge: -1})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (web *Web) logout(q *request) {
	if err := web.store.RevokeToken(q.r.Context(), q.actor(), q.p.Token.ID, "session"); err != nil {
		q.internal(err)
		return
	}
	http.SetCookie(q.w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	q.redirect("/login")
}

func (web *Web) profile(q *request) {
	q.render("profile", 200, q.page(q.L.T("profile.title"), nil))
}

func (web *Web) changePassword(q *request) {
	p := q.page(q.L.T("profile.title"), nil)
	f := q.r.PostForm
	switch {
	case auth.CheckPassword(q.p.Admin.PasswordHash, f.Get("current_password")) != nil:
		p.Errs["current_password"] = q.L.T("profile.wrong_current")
	case f.Get("new_password") != f.Get("confirm_password"):
		p.Errs["confirm_password"] = q.L.T("profile.mismatch")
	case auth.ValidatePassword(f.Get("new_password")) != nil:
		p.Errs["new_password"] = q.L.T("profile.too_short")
	}
	if len(p.Errs) > 0 {
		p.Error = q.L.T("err.fix_fields")
		q.render("profile", http.StatusUnprocessableEntity, p)
		return
	}
	hash, err := auth.HashPassword(f.Get("new_password"))
	if err != nil {
		q.internal(err)
		return
	}
	if _, err := web.store.UpdateAdmin(q.r.Context(), q.actor(), q.p.Admin.ID, store.AdminChange{PasswordHash: &hash}); err != nil {
		q.internal(err)
		return
	}
	q.redirect("/profile?done=password")
}

// setLanguage remembers the administrator's language and goes back.
func (web *Web) setLanguage(q *request) {
	lang := q.r.PostFormValue("lang")
	if err := web.store.SetAdminLocale(q.r.Context(), q.actor(), q.p.Admin.ID, lang); err != nil {
		q.failErr(err) // a language we lack is 422, anything else ours
		return
	}
	http.SetCookie(q.w, &http.Cookie{Name: "coffer_lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: q.web.secure(q.r)})
	q.redirect(safeNext(q.r.PostFormValue("back")))
}
