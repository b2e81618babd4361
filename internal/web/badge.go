package web

// badgeView is a status shown as a coloured badge, in the page's language.
type badgeView struct{ Label, Tone string }

// tones give each status of each kind its Bootstrap colour: green for what
// is settled and well, yellow for what waits on someone, red for what was
// refused or failed, grey for what is over.
var tones = map[string]map[string]string{
	"status":      {"normal": "success", "frozen": "warning", "disabled": "secondary"},
	"topupstatus": {"pending": "warning", "approved": "success", "rejected": "danger", "cancelled": "secondary"},
	"paid":        {"paid": "success", "unpaid": "danger"},
	"delivery":    {"pending": "warning", "delivered": "success", "failed": "danger", "cancelled": "secondary"},
	"mailstatus":  {"pending": "warning", "sent": "success", "failed": "danger", "skipped": "secondary"},
	"holdstatus":  {"active": "warning", "captured": "success", "released": "secondary", "expired": "secondary"},
	"role":        {"super_admin": "primary", "admin": "info", "reviewer": "secondary"},
	"promostatus": {"upcoming": "info", "active": "success", "ended": "secondary"},
}

// badge labels value of kind with the message kind.value.
func badge(l *locale, kind, value string) badgeView {
	tone := tones[kind][value]
	if tone == "" {
		tone = "light"
	}
	return badgeView{Label: l.T(kind + "." + value), Tone: tone}
}
