package web

import "github.com/cofferhq/coffer/internal/auth"

// actions names the actions of the one permission table (auth.Can) for
// templates: {{if .Can.operate}}.
var actions = map[string]auth.Action{
	"operate": auth.ActOperate, "review": auth.ActReview, "credit": auth.ActCredit, "archive": auth.ActArchive,
	"system": auth.ActSystem, "anyPeriod": auth.ActAnyPeriod, "allRecords": auth.ActAllRecords, "directTopUp": auth.ActDirectTopUp,
	"promotions": auth.ActPromotions,
}

// need answers 403 unless the administrator may do a.
func (q *request) need(a auth.Action) bool {
	if q.can(a) {
		return true
	}
	q.fail(403, "err.forbidden")
	return false
}
