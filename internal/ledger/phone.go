package ledger

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// NormalizePhone gives a phone number the one form it is stored and
// compared in (SPEC sections 6 and 7). Spaces, hyphens, dots and
// parentheses are dropped and a leading '+' is kept, so that
// "+86 138-0013-8000" and "+8613800138000" are the same number; anything
// else, and fewer than 5 or more than 20 digits, is refused.
//
// With a region (the phone_region setting, e.g. "CN"), the number is read
// by the rules of the international numbering plan and stored in E.164: a
// number without '+' is a national number of that region, so "13800138000"
// and "+86 138 0013 8000" are one customer. A number that cannot exist
// there, by its length (a local number without its area code, too), is
// refused (phone_impossible), and so is
// a '+' followed by no country's code (phone_country).
func NormalizePhone(s, region string) (string, error) {
	var b strings.Builder
	digits := 0
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", InvalidBecause("phone", "phone_chars", "may hold only digits, a leading +, spaces, hyphens, dots and parentheses")
		}
	}
	if digits < 5 || digits > 20 {
		return "", InvalidBecause("phone", "phone_digits", "must have 5 to 20 digits", 5, 20)
	}
	if region == "" {
		return b.String(), nil
	}
	n, err := phonenumbers.Parse(b.String(), region)
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "", InvalidBecause("phone", "phone_country", "starts with + but with no country's calling code")
	case err != nil || phonenumbers.IsPossibleNumberWithReason(n) != phonenumbers.IS_POSSIBLE:
		return "", InvalidBecause("phone", "phone_impossible", "is not a possible phone number in "+region+
			" (give an international number with + and its country code)", region)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// ValidPhoneRegion checks the phone_region setting: empty, or a region the
// numbering plan knows, as an upper-case ISO 3166 code (CN, US, GB).
func ValidPhoneRegion(region string) bool {
	if region == "" {
		return true
	}
	if strings.ToUpper(region) != region {
		return false
	}
	return phonenumbers.GetSupportedRegions()[region]
}

// PhoneRegions are the regions ValidPhoneRegion accepts.
func PhoneRegions() map[string]bool { return phonenumbers.GetSupportedRegions() }

// StoredPhone is a live customer's phone as stored.
type StoredPhone struct {
	CustomerID int64
	Phone      string
}

// PhoneChange rewrites one customer's phone.
type PhoneChange struct {
	CustomerID int64
	From, To   string
}

// PhoneReport says what a change of phone_region did to the stored
// numbers: how many were rewritten, and those left as they were because
// they would now be one number shared by several customers (Collisions)
// or cannot be read under the new region (Unreadable). Nothing is merged:
// someone decides which customer keeps the number.
type PhoneReport struct {
	Region     string            `json:"region"`
	At         time.Time         `json:"at"`
	Changed    int               `json:"changed"`
	Collisions []PhoneCollision  `json:"collisions"`
	Unreadable []UnreadablePhone `json:"unreadable"`
}

// PhoneCollision is a number several live customers would share.
type PhoneCollision struct {
	Phone       string  `json:"phone"`
	CustomerIDs []int64 `json:"customer_ids"`
}

// UnreadablePhone is a stored number that the new region refuses.
type UnreadablePhone struct {
	CustomerID int64  `json:"customer_id"`
	Phone      string `json:"phone"`
	Reason     string `json:"reason"`
}

// PlanPhones works out, for stored numbers, the rewrites that region
// makes (NormalizePhone), leaving out and reporting every number that would
// collide with another customer's or cannot be read.
func PlanPhones(stored []StoredPhone, region string) ([]PhoneChange, PhoneReport) {
	rep := PhoneReport{Region: region, Collisions: []PhoneCollision{}, Unreadable: []UnreadablePhone{}}
	target := make(map[int64]string, len(stored))
	byTarget := map[string][]int64{}
	for _, sp := range stored {
		to, err := NormalizePhone(sp.Phone, region)
		var ve *ValidationError
		if errors.As(err, &ve) {
			rep.Unreadable = append(rep.Unreadable, UnreadablePhone{CustomerID: sp.CustomerID, Phone: sp.Phone, Reason: ve.Problems[0].Reason})
			to = sp.Phone // kept as it is
		}
		target[sp.CustomerID] = to
		byTarget[to] = append(byTarget[to], sp.CustomerID)
	}
	// A number several customers would hold stays with none of them
	// rewritten; keeping a number can make it clash again, hence the loop.
	for clashed := true; clashed; {
		clashed = false
		for _, sp := range stored {
			to := target[sp.CustomerID]
			if ids := byTarget[to]; len(ids) > 1 && to != sp.Phone {
				target[sp.CustomerID] = sp.Phone
				byTarget[sp.Phone] = append(byTarget[sp.Phone], sp.CustomerID)
				clashed = true
			}
		}
	}
	var changes []PhoneChange
	for _, sp := range stored {
		if to := target[sp.CustomerID]; to != sp.Phone {
			changes = append(changes, PhoneChange{CustomerID: sp.CustomerID, From: sp.Phone, To: to})
		}
	}
	for phone, ids := range byTarget {
		if len(ids) > 1 {
			slices.Sort(ids)
			rep.Collisions = append(rep.Collisions, PhoneCollision{Phone: phone, CustomerIDs: slices.Compact(ids)})
		}
	}
	slices.SortFunc(rep.Collisions, func(a, b PhoneCollision) int { return strings.Compare(a.Phone, b.Phone) })
	rep.Changed = len(changes)
	return changes, rep
}

// PhoneTerms are what a phone filter looks for, however the number was
// typed: its stored form under region (a whole national number becomes
// E.164) and its digits as typed (part of a number), without repeats.
func PhoneTerms(typed, region string) []string {
	var terms []string
	for _, r := range []string{region, ""} {
		if n, err := NormalizePhone(typed, r); err == nil && !slices.Contains(terms, n) {
			terms = append(terms, n)
		}
	}
	if len(terms) == 0 {
		terms = append(terms, strings.TrimSpace(typed))
	}
	return terms
}
