package ledger

import (
	"errors"
	"reflect"
	"testing"
)

// With a region, a national number and the same number in international
// form are one E.164 number; without one, they stay as typed (SPEC 6).
func TestNormalizePhoneRegion(t *testing.T) {
	for _, c := range []struct{ in, region, want string }{
		{"13800138000", "CN", "+8613800138000"},
		{"+86 138 0013 8000", "CN", "+8613800138000"},
		{"138-0013-8000", "CN", "+8613800138000"},
		{"+1 (415) 555-2671", "CN", "+14155552671"},
		{"(415) 555-2671", "US", "+14155552671"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"13800138000", "", "13800138000"},
		{"+86 138 0013 8000", "", "+8613800138000"},
	} {
		if got, err := NormalizePhone(c.in, c.region); err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", c.in, c.region, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, region, reason string }{
		{"12345", "CN", "phone_impossible"},
		{"+999 1234 5678", "CN", "phone_country"},
		{"call me", "CN", "phone_chars"},
		{"1234", "CN", "phone_digits"},
	} {
		_, err := NormalizePhone(c.in, c.region)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Reason != c.reason || ve.Problems[0].Field != "phone" {
			t.Errorf("NormalizePhone(%q, %q) = %v; want phone: %s", c.in, c.region, err, c.reason)
		}
	}
	for region, ok := range map[string]bool{"": true, "CN": true, "GB": true, "cn": false, "XX": false, "CHN": false} {
		if ValidPhoneRegion(region) != ok {
			t.Errorf("ValidPhoneRegion(%q) = %v", region, !ok)
		}
	}
}

// Turning phone_region on rewrites national numbers as E.164, except those
// that would then be one number of two customers, or cannot be read:
// those stay as they are and are reported, never merged.
func TestPlanPhones(t *testing.T) {
	stored := []StoredPhone{
		{1, "+8613800138000"}, // already E.164
		{2, "13800138000"},    // the same number as 1, typed nationally: collision
		{3, "13900139000"},    // rewritten
		{4, "12345"},          // not a possible number in CN
		{5, "+14155552671"},   // foreign, already E.164
	}
	changes, rep := PlanPhones(stored, "CN")
	if want := []PhoneChange{{3, "13900139000", "+8613900139000"}}; !reflect.DeepEqual(changes, want) {
		t.Errorf("changes = %+v, want %+v", changes, want)
	}
	if want := []PhoneCollision{{"+8613800138000", []int64{1, 2}}}; !reflect.DeepEqual(rep.Collisions, want) {
		t.Errorf("collisions = %+v, want %+v", rep.Collisions, want)
	}
	if want := []UnreadablePhone{{4, "12345", "phone_impossible"}}; !reflect.DeepEqual(rep.Unreadable, want) {
		t.Errorf("unreadable = %+v, want %+v", rep.Unreadable, want)
	}
	if rep.Changed != 1 || rep.Region != "CN" {
		t.Errorf("report = %+v", rep)
	}
}
