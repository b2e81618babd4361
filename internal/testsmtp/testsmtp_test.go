package testsmtp_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testsmtp"
)

// rawMessage is written by hand, not by the mail package, so that the
// parser is checked against known encodings: an RFC 2047 subject,
// quoted-printable text, base64 HTML and a base64 attachment.
const rawMessage = "From: =?UTF-8?B?5ZWG5bqX?= <billing@shop.example>\r\n" +
	"To: Customer <customer@example.com>\r\n" +
	"Subject: =?UTF-8?B?5L2Z6aKd5o+Q6YaS?=\r\n" +
	"Message-ID: <n-1@shop.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"caf=C3=A9 line one\r\n" +
	"line two=\r\n" +
	" continued\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+aGk8L3A+\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf; name=\"=?UTF-8?Q?st=C3=A4tement.pdf?=\"\r\n" +
	"Content-Disposition: attachment; filename=\"=?UTF-8?Q?st=C3=A4tement.pdf?=\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0x\r\n" +
	"LjQK\r\n" +
	"--outer--\r\n"

func send(s *testsmtp.Server, msg string) error {
	return smtp.SendMail(net.JoinHostPort(s.Host, fmt.Sprint(s.Port)), nil,
		"bounce@shop.example", []string{"customer@example.com"}, []byte(msg))
}

func TestStartAccepts(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.Accept)
	if err := send(s, rawMessage); err != nil {
		t.Fatal(err)
	}
	msgs := s.Wait(1, 5*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	for _, c := range []struct{ name, got, want string }{
		{"EnvelopeFrom", m.EnvelopeFrom, "bounce@shop.example"},
		{"EnvelopeTo", strings.Join(m.EnvelopeTo, ","), "customer@example.com"},
		{"From", m.From, "billing@shop.example"},
		{"FromName", m.FromName, "商店"},
		{"To", strings.Join(m.To, ","), "customer@example.com"},
		{"Subject", m.Subject, "余额提醒"},
		{"MessageID", m.MessageID, "<n-1@shop.example>"},
		{"Text", m.Text, "café line one\nline two continued"},
		{"HTML", m.HTML, "<p>hi</p>"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("got %d attachments, want 1", len(m.Attachments))
	}
	a := m.Attachments[0]
	if a.Name != "stätement.pdf" || a.ContentType != "application/pdf" || !bytes.Equal(a.Data, []byte("%PDF-1.4\n")) {
		t.Errorf("attachment = %q %q %q", a.Name, a.ContentType, a.Data)
	}
}

func TestSetMode(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.TempFail)
	for _, c := range []struct {
		mode string
		code int // 0: accepted
	}{
		{testsmtp.TempFail, 451}, {testsmtp.Reject, 550}, {testsmtp.Accept, 0},
	} {
		s.SetMode(c.mode)
		err := send(s, rawMessage)
		var perr *textproto.Error
		switch {
		case c.code == 0 && err != nil:
			t.Errorf("mode %q: %v", c.mode, err)
		case c.code != 0 && (!errors.As(err, &perr) || perr.Code != c.code):
			t.Errorf("mode %q: err = %v, want code %d", c.mode, err, c.code)
		}
	}
	if msgs := s.Wait(1, 5*time.Second); len(msgs) != 1 {
		t.Errorf("got %d messages, want only the one sent in accept mode", len(msgs))
	}
}

func TestStallingSaysNothing(t *testing.T) {
	host, port := testsmtp.Stalling(t)
	c, err := net.Dial("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	var nerr net.Error
	if n != 0 || !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("read %d bytes, err %v: want a timeout and no greeting", n, err)
	}
}

func TestStartTLS(t *testing.T) {
	s := testsmtp.StartTLS(t, testsmtp.Accept)
	addr := net.JoinHostPort(s.Host, fmt.Sprint(s.Port))
	pemBytes, err := os.ReadFile(s.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("CertFile holds no certificate")
	}

	// In clear the server refuses the mail transaction. (smtp.SendMail
	// would use STARTTLS by itself.)
	plain, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	var perr *textproto.Error
	if err := plain.Mail("bounce@shop.example"); !errors.As(err, &perr) || perr.Code != 530 {
		t.Errorf("plain MAIL FROM: err = %v, want 530", err)
	}
	plain.Close()

	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: s.Host, RootCAs: roots}); err != nil {
		t.Fatalf("STARTTLS, verifying CertFile: %v", err)
	}
	if err := c.Mail("bounce@shop.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("customer@example.com"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, rawMessage)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	if msgs := s.Wait(1, 5*time.Second); len(msgs) != 1 || msgs[0].Subject != "余额提醒" {
		t.Errorf("got %d messages over TLS, want the one sent", len(msgs))
	}
}
