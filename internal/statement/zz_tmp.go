package statement

import (
	"io"
	"time"

	"github.com/cofferhq/coffer/internal/money"
)

type Movement struct {
	TransactionID int64
	At            time.Time
	Type          string
	Reference     string
	Note          string
	Amount        int64
	Balance       int64
}
type Statement struct {
	Business     string
	CustomerID   int64
	CustomerName string
	Currency     money.Currency
	From, To     time.Time
	Location     *time.Location
	Opening      int64
	Closing      int64
	Movements    []Movement
	GeneratedAt  time.Time
}

func (s Statement) Check() error                                { return nil }
func (s Statement) Totals() (credits, debits int64, err error)  { return }
func CSV(w io.Writer, s Statement, lang string) error           { return nil }
func PDF(w io.Writer, s Statement, lang string) error           { return nil }

var Languages = []string{"en", "zh-CN"}
