package mail_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/mail"
	"github.com/cofferhq/coffer/internal/testsmtp"
)

func config(host string, port int) mail.Config {
	return mail.Config{Host: host, Port: port, From: "莲花茶馆 <billing@shop.example>", Timeout: 10 * time.Second}
}

func message() mail.Message {
	return mail.Message{To: "Li Wei <li.wei@example.com>", Subject: "测试", Text: "Hello\n", MessageID: "notification-42"}
}

func TestSendDelivers(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.Accept)
	d, _, _ := sample(mail.KindStatement, "zh-CN")
	subject, text, html, err := mail.Compose(mail.KindStatement, "zh-CN", d)
	if err != nil {
		t.Fatal(err)
	}
	pdf := make([]byte, 3000) // every byte value, to check the base64 round trip
	for i := range pdf {
		pdf[i] = byte(i * 7)
	}
	m := mail.Message{
		To: "Li Wei <li.wei@example.com>", Subject: subject, Text: text, HTML: html, MessageID: "notification-42",
		Attachments: []mail.Attachment{{Name: "statement-2026-11-CNY.pdf", ContentType: "application/pdf", Data: pdf}},
	}
	if err := mail.Send(context.Background(), config(s.Host, s.Port), m); err != nil {
		t.Fatal(err)
	}
	got := s.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	r := got[0]
	for _, c := range []struct{ name, got, want string }{
		{"Subject", r.Subject, subject},
		{"Text", r.Text, text},
		{"HTML", r.HTML, html},
		{"MessageID", r.MessageID, "<notification-42@shop.example>"},
		{"From", r.From, "billing@shop.example"},
		{"FromName", r.FromName, "莲花茶馆"},
		{"To", strings.Join(r.To, ","), "li.wei@example.com"},
		{"EnvelopeFrom", r.EnvelopeFrom, "billing@shop.example"},
		{"EnvelopeTo", strings.Join(r.EnvelopeTo, ","), "li.wei@example.com"},
		{"Auto-Submitted", r.Header.Get("Auto-Submitted"), "auto-generated"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(r.Attachments) != 1 {
		t.Fatalf("got %d attachments, want 1", len(r.Attachments))
	}
	a := r.Attachments[0]
	if a.Name != "statement-2026-11-CNY.pdf" || a.ContentType != "application/pdf" || !bytes.Equal(a.Data, pdf) {
		t.Errorf("attachment %q %q of %d bytes; want the PDF as sent", a.Name, a.ContentType, len(a.Data))
	}
}

func TestSendTempFailThenRetry(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.TempFail)
	cfg := config(s.Host, s.Port)
	err := mail.Send(context.Background(), cfg, message())
	if err == nil || mail.Permanent(err) {
		t.Fatalf("Send() = %v; want an error that is not permanent", err)
	}
	if !strings.Contains(err.Error(), "451") {
		t.Errorf("error %q does not give the server's answer", err)
	}
	s.SetMode(testsmtp.Accept)
	if err := mail.Send(context.Background(), cfg, message()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := s.Wait(1, 5*time.Second); len(got) != 1 {
		t.Errorf("got %d messages, want the retried one", len(got))
	}
}

func TestSendRejected(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.Reject)
	err := mail.Send(context.Background(), config(s.Host, s.Port), message())
	if err == nil || !mail.Permanent(err) {
		t.Fatalf("Send() = %v; want a permanent error", err)
	}
	if !strings.Contains(err.Error(), "550") {
		t.Errorf("error %q does not give the server's answer", err)
	}
}

// closedPort returns a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestSendClosedPort(t *testing.T) {
	err := mail.Send(context.Background(), config("127.0.0.1", closedPort(t)), message())
	if err == nil || mail.Permanent(err) {
		t.Fatalf("Send() = %v; want an error that is not permanent", err)
	}
}

func TestSendTimeout(t *testing.T) {
	host, port := testsmtp.Stalling(t)
	cfg := config(host, port)
	cfg.Timeout = time.Second
	start := time.Now()
	err := mail.Send(context.Background(), cfg, message())
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Send took %v with a 1s timeout", took)
	}
	if err == nil || mail.Permanent(err) {
		t.Fatalf("Send() = %v; want an error that is not permanent", err)
	}
}

// The context ends the session even while go-mail waits on a server that
// says nothing, well before Config.Timeout.
func TestSendHonoursContext(t *testing.T) {
	host, port := testsmtp.Stalling(t)
	cfg := config(host, port)
	cfg.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := mail.Send(ctx, cfg, message())
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Send took %v with a 500ms context", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || mail.Permanent(err) {
		t.Fatalf("Send() = %v; want context.DeadlineExceeded, not permanent", err)
	}
}

func TestSendStartTLSRequired(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.Accept) // aiosmtpd without a certificate offers no STARTTLS
	cfg := config(s.Host, s.Port)
	cfg.StartTLS = true
	err := mail.Send(context.Background(), cfg, message())
	if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send() = %v; want a STARTTLS error that is not permanent", err)
	}
	if got := s.Messages(); len(got) != 0 {
		t.Errorf("%d messages went out in clear", len(got))
	}
}

// With a user name set, a server that offers no AUTH gets no mail rather
// than mail sent unauthenticated.
func TestSendAuthNotOffered(t *testing.T) {
	s := testsmtp.Start(t, testsmtp.Accept)
	cfg := config(s.Host, s.Port)
	cfg.Username, cfg.Password = "billing", "secret"
	err := mail.Send(context.Background(), cfg, message())
	if err == nil || mail.Permanent(err) {
		t.Fatalf("Send() = %v; want an error that is not permanent", err)
	}
	if got := s.Messages(); len(got) != 0 {
		t.Errorf("%d messages went out without AUTH", len(got))
	}
}

// A message that no server could take is refused before dialing (the port
// is closed, so a dial would fail as not permanent).
func TestSendRefusesMessage(t *testing.T) {
	cfg := config("127.0.0.1", closedPort(t))
	for name, change := range map[string]func(m *mail.Message){
		"recipient": func(m *mail.Message) { m.To = "not an address" },
		"no text":   func(m *mail.Message) { m.Text = "" },
		"content type": func(m *mail.Message) {
			m.Attachments = []mail.Attachment{{Name: "a.pdf", ContentType: "application/pdf\r\nBcc: x@y"}}
		},
		"no name": func(m *mail.Message) { m.Attachments = []mail.Attachment{{ContentType: "application/pdf"}} },
	} {
		m := message()
		change(&m)
		if err := mail.Send(context.Background(), cfg, m); err == nil || !mail.Permanent(err) {
			t.Errorf("%s: Send() = %v; want a permanent error", name, err)
		}
	}
}

func TestSendInvalidConfig(t *testing.T) {
	cfg := config("", 0)
	err := mail.Send(context.Background(), cfg, message())
	var fe mail.FieldErrors
	if !errors.As(err, &fe) || mail.Permanent(err) {
		t.Fatalf("Send() = %v; want FieldErrors, not permanent (fix the settings, then retry)", err)
	}
}

// STARTTLS with a certificate the client verifies: the usual port-587
// setup. Send trusts only the system roots, so the test points Go's
// SSL_CERT_FILE at the server's certificate. Go reads that variable once,
// at the process's first certificate check, so no test of this package
// may verify a certificate before this one (none does), and testsmtp uses
// one certificate per process so that -count=2 still passes.
func TestSendStartTLS(t *testing.T) {
	s := testsmtp.StartTLS(t, testsmtp.Accept)
	t.Setenv("SSL_CERT_FILE", s.CertFile)
	cfg := config(s.Host, s.Port)

	// Without STARTTLS the server answers 530 to MAIL FROM: a setting to
	// fix, after which the same message goes through, so not permanent.
	err := mail.Send(context.Background(), cfg, message())
	if err == nil || mail.Permanent(err) || !strings.Contains(err.Error(), "530") {
		t.Fatalf("plain Send() = %v; want a 530 that is not permanent", err)
	}

	cfg.StartTLS = true
	if err := mail.Send(context.Background(), cfg, message()); err != nil {
		t.Fatalf("Send with STARTTLS: %v", err)
	}
	if got := s.Wait(1, 5*time.Second); len(got) != 1 || got[0].Subject != "测试" {
		t.Errorf("got %d messages over TLS, want the one sent", len(got))
	}
}
