package ledger

import (
	"fmt"
	"strings"
	"testing"
)

const importHeader = "name,phone,email,company,remark,currency,opening_balance,alert_amount,credit_limit\n"

func problemsOf(imp *Import) []string {
	var out []string
	for _, p := range imp.Problems {
		out = append(out, fmt.Sprintf("%d/%s/%s", p.Line, p.Column, p.Reason))
	}
	return out
}

func TestReadImportProblems(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"OK", importHeader + "Ann,+8613800138000,ann@example.com,Acme,,USD,12.50,5,100\n", nil},
		{"BlankRowsSkipped", importHeader + "Ann,13800138000,,,,,,,\n,,,,,,,,\n  \n,,,,,,,,\n", nil},
		{"BOMAccepted", "\xEF\xBB\xBF" + importHeader + "Ann,13800138000,,,,,,,\n", nil},
		{"HeaderAnyCaseAndOrder", "PHONE, Name\n13800138000,Ann\n", nil},
		{"BadAmount", importHeader + "Ann,13800138000,,,,USD,12,50,,\n", []string{"2//field_count"}},
		{"NotDecimal", importHeader + "Ann,13800138000,,,,USD,1e3,,\n", []string{"2/opening_balance/not_decimal"}},
		{"ExtraDecimals", importHeader + "Ann,13800138000,,,,JPY,12.5,,\n", []string{"2/opening_balance/too_many_decimals"}},
		{"Overflow", importHeader + "Ann,13800138000,,,,USD,99999999999999999999,,\n", []string{"2/opening_balance/too_large"}},
		{"UnknownCurrency", importHeader + "Ann,13800138000,,,,XYZ,1,,\n", []string{"2/currency/unknown_currency"}},
		{"LowerCaseCurrency", importHeader + "Ann,13800138000,,,,usd,1,,\n", []string{"2/currency/unknown_currency"}},
		{"AmountWithoutCurrency", importHeader + "Ann,13800138000,,,,,1,,\n", []string{"2/opening_balance/needs_currency"}},
		{"MissingName", importHeader + ",13800138000,,,,USD,1,,\n", []string{"2/name/required"}},
		{"MissingPhone", importHeader + "Ann,,,,,USD,1,,\n", []string{"2/phone/required"}},
		{"BadEmail", importHeader + "Ann,13800138000,not-an-email,,,,,,\n", []string{"2/email/email"}},
		{"EveryProblemOfARow", importHeader + ",12x,bad@,,,USD,1.234,-1,\n",
			[]string{"2/name/required", "2/phone/phone_chars", "2/email/email", "2/opening_balance/too_many_decimals", "2/alert_amount/negative"}},
		{"EveryRow", importHeader + ",13800138000,,,,,,,\nBob,13800138001,x,,,,,,\n", []string{"2/name/required", "3/email/email"}},
		{"DuplicatePhone", importHeader + "Ann,13800138000,,,,USD,1,,\nAnn B,138-0013-8000,,,,USD,2,,\n", []string{"3/phone/duplicate_in_file"}},
		{"SamePhoneOtherCurrency", importHeader + "Ann,13800138000,,,,USD,1,,\nAnn,13800138000,,,,EUR,2,,\n", nil},
		{"BelowFloor", importHeader + "Ann,13800138000,,,,USD,-10,,5\n", []string{"2/opening_balance/below_floor"}},
		{"NegativeWithinCredit", importHeader + "Ann,13800138000,,,,USD,-5,,5\n", nil},
		{"UnknownColumn", "name,phone,balance\n", []string{"1/balance/unknown_column"}},
		{"MissingColumn", "name,email\n", []string{"1/phone/missing_column"}},
		{"DuplicateColumn", "name,phone,Phone\n", []string{"1/Phone/duplicate_column"}},
		{"Empty", "", []string{"1//no_rows"}},
		{"HeaderOnly", importHeader, []string{"2//no_rows"}},
		{"Binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", []string{"1//not_csv"}},
		{"NotUTF8", "name,phone\n\xff\xfe,1\n", []string{"1//not_csv"}},
		{"StrayQuote", importHeader + "Ann \"x,13800138000,,,,,,,\n", []string{"2//not_csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(ReadImport(strings.NewReader(tc.file), ""))
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("problems %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadImportRows(t *testing.T) {
	imp := ReadImport(strings.NewReader(importHeader+"Ann,+86 138-0013-8000,ANN@Example.com,Acme,vip,KWD,1.250,0.5,10\nBob,555-1234,,,,,,,\n"), "")
	if len(imp.Problems) != 0 || len(imp.Rows) != 2 {
		t.Fatalf("problems %v, rows %d", imp.Problems, len(imp.Rows))
	}
	r := imp.Rows[0]
	if r.Line != 2 || r.Customer.Phone != "+8613800138000" || r.Customer.Email != "ann@example.com" || r.Currency != "KWD" ||
		r.Opening != 1250 || r.AlertAmount != 500 || r.CreditLimit != 10000 || !r.HasCredit {
		t.Errorf("row %+v", r)
	}
	if b := imp.Rows[1]; b.Line != 3 || b.Currency != "" || b.HasCredit {
		t.Errorf("row %+v", b)
	}
}

func TestReadImportTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,phone\n")
	for i := range MaxImportRows + 5 {
		fmt.Fprintf(&b, "C,%d\n", 10_000_000+i)
	}
	imp := ReadImport(strings.NewReader(b.String()), "")
	got := problemsOf(imp)
	if want := fmt.Sprintf("%d//too_many_rows", MaxImportRows+2); len(got) != 1 || got[0] != want {
		t.Errorf("problems %v, want [%s]", got, want)
	}
}

func TestReadImportTooLarge(t *testing.T) {
	r := strings.NewReader("name,phone\nAnn,\"" + strings.Repeat("1", MaxImportBytes) + "\"\n")
	got := problemsOf(ReadImport(r, ""))
	if len(got) != 1 || !strings.HasSuffix(got[0], "//file_too_large") {
		t.Errorf("problems %v", got)
	}
}

func TestPlanImport(t *testing.T) {
	imp := ReadImport(strings.NewReader(importHeader+
		"Ann,10001,,,,USD,1.00,,\nAnn,10001,,,,EUR,2.00,,\nBob,10002,,,,USD,3.00,,\nCy,10003,,,,USD,4.00,,\nDi,10004,,,,,,,\n"), "")
	if len(imp.Problems) > 0 {
		t.Fatal(imp.Problems)
	}
	// Bob exists with a USD account; Cy exists without one.
	p := PlanImport(imp.Rows, ImportExisting{Customers: map[string]int64{"10002": 7, "10003": 8},
		Accounts: map[int64]map[string]bool{7: {"USD": true}}})
	got := fmt.Sprintf("new %d matched %d accounts %d skipped %d postings %d", p.NewCustomers, p.MatchedCustomers, p.NewAccounts, p.SkippedAccounts, p.OpeningPostings)
	if want := "new 2 matched 2 accounts 3 skipped 1 postings 3"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
	if tot := fmt.Sprint(p.Totals()); tot != "[{EUR 2.00} {USD 5.00}]" {
		t.Errorf("totals %s", tot)
	}
	if !p.Steps[0].FirstOfCustomer || p.Steps[1].FirstOfCustomer || p.Steps[2].CustomerID != 7 || !p.Steps[2].Skipped {
		t.Errorf("steps %+v", p.Steps)
	}
}
