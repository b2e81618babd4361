package testsmtp

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// Received is one message as the server got it, parsed.
type Received struct {
	EnvelopeFrom string   // MAIL FROM
	EnvelopeTo   []string // RCPT TO
	Header       mail.Header
	From         string   // address of the From header, without the name
	FromName     string   // display name of the From header, decoded
	To           []string // addresses of the To header
	Subject      string   // RFC 2047 decoded
	MessageID    string   // as in the header, with its angle brackets
	// Text and HTML are the first text/plain and text/html parts that are
	// not attachments, transfer-decoded, with CRLF turned into LF.
	Text, HTML  string
	Attachments []Attachment
	Raw         []byte // the message as received
}

// Attachment is a part with a file name or an "attachment" disposition.
type Attachment struct {
	Name        string // decoded
	ContentType string // media type, without parameters
	Data        []byte // transfer-decoded
}

// Parse reads a raw RFC 5322 message with MIME parts.
func Parse(raw []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	r := Received{Raw: raw, Header: msg.Header, MessageID: msg.Header.Get("Message-ID")}
	dec := new(mime.WordDecoder)
	if r.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return r, fmt.Errorf("subject: %w", err)
	}
	if from, err := msg.Header.AddressList("From"); err == nil && len(from) > 0 {
		r.From, r.FromName = from[0].Address, from[0].Name
	} else if err != nil {
		return r, fmt.Errorf("from: %w", err)
	}
	if to, err := msg.Header.AddressList("To"); err == nil {
		for _, a := range to {
			r.To = append(r.To, a.Address)
		}
	} else if err != mail.ErrHeaderNotPresent {
		return r, fmt.Errorf("to: %w", err)
	}
	return r, r.walk(textproto.MIMEHeader(msg.Header), msg.Body)
}

// walk goes down multipart bodies and keeps each leaf part as text, HTML
// or an attachment.
func (r *Received) walk(h textproto.MIMEHeader, body io.Reader) error {
	ctype := h.Get("Content-Type")
	if ctype == "" {
		ctype = "text/plain" // RFC 2045 section 5.2
	}
	media, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", ctype, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: NextPart would decode quoted-printable itself
			// but not base64; decode both in one place instead.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := r.walk(p.Header, p); err != nil {
				return err
			}
		}
	}
	data, err := decode(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return fmt.Errorf("%s part: %w", media, err)
	}
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch {
	case disposition == "attachment" || name != "":
		if name, err = new(mime.WordDecoder).DecodeHeader(name); err != nil {
			return fmt.Errorf("attachment name: %w", err)
		}
		r.Attachments = append(r.Attachments, Attachment{Name: name, ContentType: media, Data: data})
	case media == "text/plain" && r.Text == "":
		r.Text = strings.ReplaceAll(string(data), "\r\n", "\n")
	case media == "text/html" && r.HTML == "":
		r.HTML = strings.ReplaceAll(string(data), "\r\n", "\n")
	}
	return nil
}

func decode(encoding string, body io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	case "", "7bit", "8bit", "binary":
	default:
		return nil, fmt.Errorf("unknown Content-Transfer-Encoding %q", encoding)
	}
	return io.ReadAll(body)
}
