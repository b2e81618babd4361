package store_test

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/store"
)

// Days of the business time zone have 23 or 25 hours around DST changes,
// and in some zones the clocks jump over midnight itself: a day then starts
// at 01:00, and time.Date would put its start at 23:00 of the day before.
func TestDayBounds(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	bounds, labels := store.DayBounds(time.Date(2026, 3, 7, 0, 0, 0, 0, ny), time.Date(2026, 3, 10, 0, 0, 0, 0, ny), ny)
	if len(labels) != 3 || labels[0] != "2026-03-07" || labels[1] != "2026-03-08" || labels[2] != "2026-03-09" {
		t.Fatalf("labels %v", labels)
	}
	if h := bounds[2].Sub(bounds[1]); h != 23*time.Hour {
		t.Errorf("8 March 2026 in New York lasts %v, want 23h", h)
	}
	bounds, _ = store.DayBounds(time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 2, 0, 0, 0, 0, ny), ny)
	if len(bounds) != 2 || bounds[1].Sub(bounds[0]) != 25*time.Hour {
		t.Errorf("1 November 2026 in New York: %v, want one day of 25h", bounds)
	}

	// Santiago moves its clocks from 24:00 to 01:00 on 6 September 2026.
	scl, _ := time.LoadLocation("America/Santiago")
	start := store.StartOfDay(2026, 9, 6, scl)
	if y, m, d := start.Date(); y != 2026 || m != 9 || d != 6 || start.Hour() != 1 {
		t.Errorf("6 September 2026 in Santiago starts at %v, want 01:00 that day", start)
	}
	if !start.Add(-time.Nanosecond).Before(start) || start.Add(-time.Nanosecond).In(scl).Day() != 5 {
		t.Errorf("the instant before %v is not on the 5th", start)
	}
	bounds, labels = store.DayBounds(time.Date(2026, 9, 4, 12, 0, 0, 0, scl), store.StartOfDay(2026, 9, 8, scl), scl)
	want := []string{"2026-09-04", "2026-09-05", "2026-09-06", "2026-09-07"}
	if len(labels) != len(want) {
		t.Fatalf("labels %v, want %v", labels, want)
	}
	for i, l := range labels {
		if l != want[i] || bounds[i].In(scl).Format(time.DateOnly) != l || !bounds[i].Before(bounds[i+1]) {
			t.Errorf("day %d: %s from %v, want %s", i, l, bounds[i].In(scl), want[i])
		}
	}
	if h := bounds[3].Sub(bounds[2]); h != 23*time.Hour {
		t.Errorf("6 September 2026 in Santiago lasts %v, want 23h", h)
	}
	// Normalised dates: 32 January is 1 February.
	if got := store.StartOfDay(2026, 1, 32, time.UTC); !got.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("StartOfDay(2026, 1, 32) = %v", got)
	}
	if b, l := store.DayBounds(start, start, scl); b != nil || l != nil {
		t.Errorf("an empty period has days: %v %v", b, l)
	}
}
