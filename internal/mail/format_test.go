package mail

import (
	"testing"
	"time"
)

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct{ in, cur, want string }{
		{"0", "CNY", "0.00 CNY"},
		{"5", "CNY", "5.00 CNY"},
		{"999.99", "CNY", "999.99 CNY"},
		{"1000", "CNY", "1,000.00 CNY"},
		{"1234.5", "CNY", "1,234.50 CNY"},
		{"-1234.50", "CNY", "-1,234.50 CNY"},
		{"-0.05", "USD", "-0.05 USD"},
		{"-0", "USD", "0.00 USD"},
		{"007.5", "USD", "7.50 USD"},
		{"100000", "USD", "100,000.00 USD"},
		{"1000000", "USD", "1,000,000.00 USD"},
		{"92233720368547758.07", "USD", "92,233,720,368,547,758.07 USD"},
		{"-92233720368547758.08", "USD", "-92,233,720,368,547,758.08 USD"},
		// No minor unit: no fraction digits at all.
		{"100", "JPY", "100 JPY"},
		{"1200", "JPY", "1,200 JPY"},
		{"-1200", "JPY", "-1,200 JPY"},
		// Three fraction digits.
		{"1234567.891", "KWD", "1,234,567.891 KWD"},
		{"-1.5", "KWD", "-1.500 KWD"},
	} {
		t.Run(tc.in+" "+tc.cur, func(t *testing.T) {
			got, err := formatAmount(tc.in, tc.cur)
			if err != nil || got != tc.want {
				t.Errorf("formatAmount(%q, %q) = %q, %v; want %q", tc.in, tc.cur, got, err, tc.want)
			}
		})
	}
}

func TestFormatAmountRefuses(t *testing.T) {
	for _, tc := range []struct{ in, cur string }{
		{"", "CNY"},
		{"abc", "CNY"},
		{"1,000", "USD"},                // separators are for output only
		{"1.234", "CNY"},                // more digits than the currency has: no rounding
		{"1.5", "JPY"},                  // no minor unit
		{"1e3", "USD"},                  // no exponents
		{"+5", "USD"},                   // no plus sign
		{"5", "cny"},                    // codes are upper case
		{"5", "ZZZ"},                    // not a currency
		{"5", ""},                       // no currency
		{"92233720368547758.08", "USD"}, // beyond int64 minor units
	} {
		if got, err := formatAmount(tc.in, tc.cur); err == nil {
			t.Errorf("formatAmount(%q, %q) = %q, want an error", tc.in, tc.cur, got)
		}
	}
}

func TestFormatPeriod(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)
	for _, tc := range []struct {
		name, lang string
		start, end time.Time
		loc        *time.Location
		want       string
	}{
		{"month", "en", nov, dec, shanghai, "November 2026"},
		{"month zh", "zh-CN", nov, dec, shanghai, "2026年11月"},
		// The same instants are 16:00 on the day before in UTC: not a
		// calendar month there, so the days are named.
		{"other zone", "en", nov, dec, time.UTC, "31 October 2026 to 30 November 2026"},
		{"end excluded", "en", nov, nov.AddDate(0, 0, 15), shanghai, "1 November 2026 to 15 November 2026"},
		{"end excluded zh", "zh-CN", nov, nov.AddDate(0, 0, 15), shanghai, "2026年11月1日至2026年11月15日"},
		{"one day", "en", nov, nov.AddDate(0, 0, 1), shanghai, "1 November 2026 to 1 November 2026"},
		{"two months", "en", nov, nov.AddDate(0, 2, 0), shanghai, "1 November 2026 to 31 December 2026"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatPeriod(languageOf(tc.lang), tc.start, tc.end, tc.loc); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	for _, tc := range []struct{ id, from, want string }{
		{"notification-42", "billing@shop.example", "notification-42@shop.example"},
		{"notification-42", "billing@SHOP.Example", "notification-42@shop.example"},
		{"<notification-42@coffer.invalid>", "billing@shop.example", "notification-42@coffer.invalid"},
		{"n.42@coffer.invalid", "billing@shop.example", "n.42@coffer.invalid"},
		{"a b<c>", "billing@shop.example", "a-b-c@shop.example"},
		{"a@b@c", "billing@shop.example", "a-b-c@shop.example"},
		{"..", "billing@shop.example", "--@shop.example"},
		{"通知-1", "billing@shop.example", "-------1@shop.example"}, // each byte of 通知 becomes '-'
		{"n-1", "billing@商店.example", "n-1@coffer.invalid"},
		{"", "billing@shop.example", ""},
	} {
		if got := messageID(tc.id, tc.from); got != tc.want {
			t.Errorf("messageID(%q, %q) = %q, want %q", tc.id, tc.from, got, tc.want)
		}
	}
}
