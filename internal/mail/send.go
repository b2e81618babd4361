package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	gomail "github.com/wneessen/go-mail"
)

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string // e.g. "statement-2026-11-CNY.pdf"
	ContentType string // "application/pdf"; "" means application/octet-stream
	Data        []byte
}

// Message is one mail, already composed (see Compose).
type Message struct {
	To      string // one address, with or without a display name
	Subject string
	Text    string // plain text body; required
	HTML    string // HTML alternative; "" sends text only
	// MessageID is the caller's stable id for the notification, such as
	// "notification-42": Send makes it "<notification-42@DOMAIN>" with the
	// domain of Config.From, so that a retried notification keeps its
	// Message-ID and mail clients can tell the copies are one message. An id
	// that is already a valid "<left@right>" is kept; "" gets a random one.
	MessageID   string
	Attachments []Attachment
}

// refusedError is a message that no server could take as it is, such as a
// recipient that is not an address: retrying cannot help.
type refusedError struct{ reason string }

func (e *refusedError) Error() string { return e.reason }

// Send delivers m through the server of cfg. ctx bounds the whole session:
// when it ends the connection is closed, whatever go-mail is waiting for.
// cfg.Timeout bounds dialing and then each phase (greeting to AUTH, then the
// mail transaction). Permanent tells which errors not to retry.
//
// TLS: port 465 is TLS from the first byte; StartTLS true requires STARTTLS;
// otherwise the session is plain. Plain does not try STARTTLS on its own:
// go-mail's opportunistic mode verifies the certificate, so a server with a
// self-signed one would fail every mail while the settings say "no TLS",
// and there would be no setting left to turn TLS off. Validate refuses a
// password over plain SMTP to anything but this machine.
func Send(ctx context.Context, cfg Config, m Message) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	msg, err := build(cfg, m)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	s := &session{ctx: ctx, cfg: cfg}
	defer s.stop()
	client, err := gomail.NewClient(cfg.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	// A failed QUIT or RSET after the server took the message is no reason
	// to send it again.
	if err == nil || msg.IsDelivered() {
		return nil
	}
	where := fmt.Sprintf("mail: send to %s via %s", m.To, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)))
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w: %w", where, ctxErr, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// Permanent reports whether err from Send means that the message will never
// be taken as it is, so it should not be retried: a 5xx answer in the mail
// transaction (MAIL FROM, RCPT TO, DATA), or a message that cannot be sent
// (the recipient is not an address). Everything else is worth retrying:
// connection failures, timeouts, 4xx, settings that Validate refuses, and a
// 5xx before the transaction (greeting, EHLO, STARTTLS, AUTH), which is
// about the server or the settings rather than this message. 530 ("must
// issue STARTTLS" or "authentication required", RFC 3207 and 4954) is also
// taken as temporary for that reason: once the settings are fixed, the
// same message goes through.
func Permanent(err error) bool {
	var refused *refusedError
	if errors.As(err, &refused) {
		return true
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	return code >= 500 && code <= 599 && code != 530
}

// session is one Send's connection settings. go-mail bounds only the TCP
// dial by ctx and the rest by deadlines; session dials itself so that it
// can close the connection when ctx ends.
type session struct {
	ctx   context.Context
	cfg   Config
	stops []func() bool
}

func (s *session) options() []gomail.Option {
	policy := gomail.NoTLS // plain, and for 465, where TLS is already on
	if s.cfg.StartTLS && s.cfg.Port != implicitTLSPort {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.timeout()),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(tlsConfig(s.cfg.Host)),
		gomail.WithDialContextFunc(s.dial),
	}
	if s.cfg.Username != "" {
		// The first of these that the server offers is used. go-mail's own
		// auto-discovery would leave PLAIN and LOGIN out on port 465, as it
		// does not see a TLS connection it did not dial; PLAIN and LOGIN
		// check for TLS themselves and refuse to send the password in clear.
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// dial is go-mail's DialContextFunc. dctx carries go-mail's connect
// deadline; s.ctx is the caller's, which outlives the dial.
func (s *session) dial(dctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(dctx, network, addr)
	if err != nil {
		return nil, err
	}
	s.stops = append(s.stops, context.AfterFunc(s.ctx, func() { raw.Close() }))
	if s.cfg.Port != implicitTLSPort {
		return raw, nil
	}
	conn := tls.Client(raw, tlsConfig(s.cfg.Host))
	if err := conn.HandshakeContext(dctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

// stop releases the ctx watchers once the session is over.
func (s *session) stop() {
	for _, stop := range s.stops {
		stop()
	}
}

func tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}
