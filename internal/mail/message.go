package mail

import (
	"bytes"
	"fmt"
	"mime"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// build turns m into a go-mail message: text with an HTML alternative,
// then the attachments. cfg has been validated.
func build(cfg Config, m Message) (*gomail.Msg, error) {
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, err
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return nil, &refusedError{fmt.Sprintf("recipient %q is not an email address", m.To)}
	}
	if m.Text == "" {
		return nil, &refusedError{"message has no text"}
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(from)
	msg.ToMailAddress(to)
	msg.Subject(oneLine(m.Subject))
	if id := messageID(m.MessageID, from.Address); id != "" {
		msg.SetMessageIDWithValue(id)
	}
	// RFC 3834: no vacation replies or other auto-answers to notifications.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for i, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" {
			return nil, &refusedError{fmt.Sprintf("attachment %d has no name", i+1)}
		}
		ctype := "application/octet-stream"
		if a.ContentType != "" {
			// go-mail writes the type into the header as it is; only a
			// parsed media type, without parameters, goes there.
			media, _, err := mime.ParseMediaType(a.ContentType)
			if err != nil {
				return nil, &refusedError{fmt.Sprintf("attachment %q: content type %q: %v", a.Name, a.ContentType, err)}
			}
			ctype = media
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(ctype)))
	}
	return msg, nil
}

// oneLine keeps a subject to one header line, whatever a business name or
// note brought into it.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// messageID makes the caller's id a Message-ID body (RFC 5322 section
// 3.6.4: dot-atom "@" dot-atom, without the angle brackets, which go-mail
// adds). An id that already has that form is kept. Otherwise every
// character that may not appear becomes '-', and the domain of from is put
// on the right, or "coffer.invalid" when that domain is not ASCII.
func messageID(id, from string) string {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	if id == "" {
		return ""
	}
	if left, right, ok := strings.Cut(id, "@"); ok && dotAtom(left) && dotAtom(right) {
		return id
	}
	left := []byte(id)
	for i, c := range left {
		if !atext(c) {
			left[i] = '-'
		}
	}
	domain := strings.ToLower(from[strings.LastIndexByte(from, '@')+1:])
	if !dotAtom(domain) {
		domain = "coffer.invalid"
	}
	return string(left) + "@" + domain
}

// dotAtom reports whether s is RFC 5322 dot-atom-text: atext runs joined
// by single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !atext(s[i]) {
			return false
		}
	}
	return true
}

func atext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
