package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/notify"
	"github.com/cofferhq/coffer/internal/store"
)

// Customer mail (SPEC 10): the business name and mail server on the
// settings page, a test message, and the log of what was sent.

// mailView is the mail settings card: what is saved, or what the user
// typed when it came back with errors. The password is never shown.
type mailView struct {
	Form        url.Values
	PasswordSet bool
	Configured  bool
}

func newMailView(s ledger.Settings, typed url.Values) mailView {
	v := mailView{Form: typed, PasswordSet: s.SMTP.Password != "", Configured: s.SMTP.Configured()}
	if typed.Has("smtp_host") {
		return v
	}
	v.Form = url.Values{}
	v.Form.Set("business_name", s.BusinessName)
	v.Form.Set("smtp_host", s.SMTP.Host)
	if s.SMTP.Port != 0 {
		v.Form.Set("smtp_port", strconv.Itoa(s.SMTP.Port))
	}
	v.Form.Set("smtp_username", s.SMTP.Username)
	v.Form.Set("smtp_from", s.SMTP.From)
	if s.SMTP.StartTLS {
		v.Form.Set("smtp_starttls", "1")
	}
	return v
}

// mailFields are the settings' field names (ledger) as the form names them.
var mailFields = map[string]string{"business_name": "business_name", "smtp.host": "smtp_host", "smtp.port": "smtp_port",
	"smtp.username": "smtp_username", "smtp.from": "smtp_from", "smtp.starttls": "smtp_starttls"}

func (web *Web) settingsMail(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.settings"), nil)
	p.Form = f
	port := 0
	if s := strings.TrimSpace(f.Get("smtp_port")); s != "" {
		var err error
		if port, err = strconv.Atoi(s); err != nil {
			p.Errs["smtp_port"] = q.L.T("why.port")
			web.renderSettings(q, p, http.StatusUnprocessableEntity)
			return
		}
	}
	_, err := web.store.UpdateSettings(q.r.Context(), q.actor(), func(s *ledger.Settings) error {
		s.BusinessName = strings.TrimSpace(f.Get("business_name"))
		s.SMTP.Host, s.SMTP.Port = strings.TrimSpace(f.Get("smtp_host")), port
		s.SMTP.Username, s.SMTP.From = strings.TrimSpace(f.Get("smtp_username")), strings.TrimSpace(f.Get("smtp_from"))
		s.SMTP.StartTLS = f.Get("smtp_starttls") == "1"
		// An empty password field keeps the stored one: it is never shown,
		// so the form cannot send it back.
		if pw := f.Get("smtp_password"); pw != "" {
			s.SMTP.Password = pw
		} else if f.Get("smtp_password_clear") == "1" {
			s.SMTP.Password = ""
		}
		return nil
	})
	if err != nil {
		if !q.formErrors(p, err) {
			q.internal(err)
			return
		}
		for from, to := range mailFields {
			if m, ok := p.Errs[from]; ok && from != to {
				delete(p.Errs, from)
				p.Errs[to] = m
			}
		}
		web.renderSettings(q, p, http.StatusUnprocessableEntity)
		return
	}
	q.redirect("/settings?done=saved#mail-form")
}

// settingsTestMail sends a test message at once and says what the server
// answered.
func (web *Web) settingsTestMail(q *request) {
	if !q.need(auth.ActSystem) {
		return
	}
	f := q.r.PostForm
	p := q.page(q.L.T("nav.settings"), nil)
	p.Form = url.Values{"test_to": {f.Get("test_to")}}
	to, err := ledger.NormalizeEmail(f.Get("test_to"))
	if err != nil || to == "" {
		p.Errs["test_to"] = q.L.T("why.email")
		web.renderSettings(q, p, http.StatusUnprocessableEntity)
		return
	}
	if err := notify.TestMail(web.store)(q.r.Context(), to); err != nil {
		p.Errs["test_to"] = q.L.Tf("mail.test_failed", err.Error())
		web.renderSettings(q, p, http.StatusUnprocessableEntity)
		return
	}
	p.Flash = q.L.Tf("mail.test_sent", to)
	web.renderSettings(q, p, http.StatusOK)
}

// notificationsData is the mail log: every customer's, or one's.
type notificationsData struct {
	Items  []ledger.Notification
	Names  map[int64]string
	Status string
	Next   string
}

// notifications lists the mail sent to customers, newest first.
func (web *Web) notifications(q *request) {
	v := q.r.URL.Query()
	p := q.page(q.L.T("nav.notifications"), nil)
	p.Form = v
	f := store.NotificationFilter{Status: v.Get("status"), Limit: 50}
	var err error
	if f.CustomerID, err = q.idField(v, "customer_id"); err != nil {
		q.failErr(err)
		return
	}
	if f.AfterID, err = q.idField(v, "before"); err != nil {
		q.failErr(err)
		return
	}
	ctx := q.r.Context()
	d := notificationsData{Status: f.Status}
	if d.Items, err = web.store.Notifications(ctx, f); err != nil {
		q.internal(err)
		return
	}
	ids := make([]int64, len(d.Items))
	for i, n := range d.Items {
		ids[i] = n.CustomerID
	}
	if d.Names, err = web.store.CustomerNames(ctx, ids); err != nil {
		q.internal(err)
		return
	}
	if len(d.Items) == f.Limit {
		next := url.Values{"before": {itoa(d.Items[len(d.Items)-1].ID)}}
		for _, k := range []string{"customer_id", "status"} {
			if v.Get(k) != "" {
				next.Set(k, v.Get(k))
			}
		}
		d.Next = "/notifications?" + next.Encode()
	}
	p.Data = d
	q.render("notifications", http.StatusOK, p)
}
