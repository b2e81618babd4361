package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/mail"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/statement"
	"github.com/cofferhq/coffer/internal/store"
)

// payload is the figures a change wrote with its notification (store:
// postingNotice, alertNotice, notifyTopUp, QueueMonthlyStatements).
type payload struct {
	Currency    string    `json:"currency"`
	Amount      string    `json:"amount"`
	Balance     string    `json:"balance"`
	AlertAmount string    `json:"alert_amount"`
	Reference   string    `json:"reference"`
	Note        string    `json:"note"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
	Period      string    `json:"period"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
}

// errNothingToSay is a monthly statement of a customer whose accounts
// neither moved nor held anything in the month.
var errNothingToSay = errors.New("nothing to tell: no account moved or held money in the period")

// StatementLinkDays is how long the link a monthly statement mail carries
// lasts: past the next month's mail.
const StatementLinkDays = 35

// Compose builds the message of a claimed notification in its language. A
// statement mail carries a link to the customer's statement page when base
// (where customers reach Coffer, --base-url) is known.
func Compose(ctx context.Context, st *store.Store, settings ledger.Settings, c store.ClaimedNotification, base string) (mail.Message, error) {
	var p payload
	if err := json.Unmarshal([]byte(c.Payload), &p); err != nil {
		return mail.Message{}, err
	}
	d := mail.Data{Business: settings.BusinessName, CustomerName: c.CustomerName, Currency: p.Currency, Amount: p.Amount, Balance: p.Balance,
		AlertAmount: p.AlertAmount, Note: p.Note, Reason: p.Reason, Reference: p.Reference, At: p.At, Location: settings.Location(),
		PeriodStart: p.From, PeriodEnd: p.To}
	m := mail.Message{To: c.Recipient, MessageID: MessageID(c.ID)}
	if c.Kind == ledger.NotifyStatement {
		var err error
		if d.Statements, m.Attachments, err = statements(ctx, st, c, p.From, p.To); err != nil {
			return mail.Message{}, err
		}
		if base != "" {
			token, err := st.RenewNotificationLink(ctx, c.ID, c.Lease, StatementLinkDays)
			if err != nil {
				return mail.Message{}, err
			}
			d.Link = strings.TrimRight(base, "/") + "/s/" + token
		}
	}
	var err error
	m.Subject, m.Text, m.HTML, err = mail.Compose(c.Kind, c.Locale, d)
	return m, err
}

// statements are the customer's statements of [from, to), one per account
// that moved or held money, summed up and as PDFs in their language.
func statements(ctx context.Context, st *store.Store, c store.ClaimedNotification, from, to time.Time) ([]mail.StatementSummary, []mail.Attachment, error) {
	accounts, err := st.AccountsOfCustomers(ctx, []int64{c.CustomerID})
	if err != nil {
		return nil, nil, err
	}
	var sums []mail.StatementSummary
	var files []mail.Attachment
	for _, a := range accounts[c.CustomerID] {
		s, err := st.Statement(ctx, c.CustomerID, a.Currency.Code(), from, to)
		if err != nil {
			return nil, nil, err
		}
		if len(s.Movements) == 0 && s.Opening == 0 {
			continue
		}
		credits, debits, err := s.Totals()
		if err != nil {
			return nil, nil, err
		}
		digits := s.Currency.Digits()
		sums = append(sums, mail.StatementSummary{Currency: s.Currency.Code(), Opening: money.FormatMinor(s.Opening, digits),
			Credits: money.FormatMinor(credits, digits), Debits: money.FormatMinor(debits, digits), Closing: money.FormatMinor(s.Closing, digits)})
		var pdf bytes.Buffer
		if err := statement.PDF(&pdf, s, c.Locale); err != nil {
			return nil, nil, err
		}
		name := fmt.Sprintf("statement-%s-%s.pdf", from.In(s.Location).Format("2006-01"), s.Currency.Code())
		files = append(files, mail.Attachment{Name: name, ContentType: "application/pdf", Data: pdf.Bytes()})
	}
	if len(sums) == 0 {
		return nil, nil, errNothingToSay
	}
	return sums, files, nil
}

// TestMail returns a function that sends a short test message to an
// address through the mail settings as they are now, at once.
func TestMail(st *store.Store) func(ctx context.Context, to string) error {
	return func(ctx context.Context, to string) error {
		s, err := st.Settings(ctx)
		if err != nil {
			return err
		}
		if !s.SMTP.Configured() {
			return errors.New("no mail server is set up")
		}
		name := s.BusinessName
		if name == "" {
			name = "Coffer"
		}
		text := "This is a test message from " + name + ": mail to your customers will go out through this server.\n\n" +
			"这是来自" + name + "的测试邮件：发给客户的邮件将通过此服务器发送。\n"
		return mail.Send(ctx, Config(s.SMTP, 20*time.Second), mail.Message{To: to, Subject: name + ": test message / 测试邮件", Text: text})
	}
}
