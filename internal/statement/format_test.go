package statement

import (
	"testing"
	"time"
)

func TestGrouped(t *testing.T) {
	tests := []struct {
		minor  int64
		digits int
		want   string
	}{
		{0, 2, "0.00"},
		{5, 2, "0.05"},
		{-5, 2, "-0.05"},
		{99999, 2, "999.99"},
		{100000, 2, "1,000.00"},
		{123450, 2, "1,234.50"},
		{-123456789, 2, "-1,234,567.89"},
		{999, 0, "999"},
		{1234, 0, "1,234"},
		{-1234567, 0, "-1,234,567"},
		{1234567, 3, "1,234.567"},
		{-1, 3, "-0.001"},
		{9223372036854775807, 2, "92,233,720,368,547,758.07"},
		{-9223372036854775808, 2, "-92,233,720,368,547,758.08"},
		{-9223372036854775808, 0, "-9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		if got := grouped(tt.minor, tt.digits); got != tt.want {
			t.Errorf("grouped(%d, %d) = %q, want %q", tt.minor, tt.digits, got, tt.want)
		}
	}
}

func TestPeriod(t *testing.T) {
	loc := shanghai(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		name     string
		from, to time.Time
		want     string
	}{
		{"WholeMonth", at(2026, 1, 1, 0, 0), at(2026, 2, 1, 0, 0), "2026-01-01 – 2026-01-31"},
		{"OneDay", at(2026, 1, 5, 0, 0), at(2026, 1, 6, 0, 0), "2026-01-05"},
		{"Empty", at(2026, 1, 5, 0, 0), at(2026, 1, 5, 0, 0), "2026-01-05"},
		{"NotMidnight", at(2026, 1, 1, 8, 30), at(2026, 1, 15, 12, 0), "2026-01-01 08:30 – 2026-01-15 12:00"},
		// Midnight in UTC is 08:00 in Shanghai: not a whole day there.
		{"MidnightElsewhere", at(2026, 1, 1, 0, 0), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "2026-01-01 00:00 – 2026-02-01 08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Statement{From: tt.from, To: tt.to, Location: loc}
			if got := s.period(); got != tt.want {
				t.Errorf("period() = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("NilLocationIsUTC", func(t *testing.T) {
		s := Statement{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
		if got := s.period(); got != "2026-03-01 – 2026-03-31" {
			t.Errorf("period() = %q", got)
		}
	})
}
