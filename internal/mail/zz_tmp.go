package mail

import (
	"context"
	"time"
)

type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	StartTLS bool
	Timeout  time.Duration
}

func (c Config) Validate() error { return nil }

type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}
type Message struct {
	To          string
	Subject     string
	Text        string
	HTML        string
	MessageID   string
	Attachments []Attachment
}

func Send(ctx context.Context, cfg Config, m Message) error { return nil }
func Permanent(err error) bool                               { return false }

type Data struct {
	Business               string
	CustomerName           string
	Currency               string
	Amount                 string
	Balance                string
	AlertAmount            string
	Note                   string
	Reason                 string
	Reference              string
	At                     time.Time
	Location               *time.Location
	PeriodStart, PeriodEnd time.Time
	Statements             []StatementSummary
	Link                   string
}
type StatementSummary struct{ Currency, Opening, Credits, Debits, Closing string }

func Compose(kind, lang string, d Data) (subject, text, html string, err error) { return }
