package mail

import "strings"

// ReasonCodes are the adjustment reasons that Data.Reason may hold.
var ReasonCodes = []string{"refund", "promotion", "compensation", "correction", "other"}

// language holds what differs between languages outside the templates:
// date layouts and the labels of reason codes.
type language struct {
	tag     string // the templates' file name
	at      string // time.Format layout of a moment
	day     string // of a date
	month   string // of a month
	through string // between the first and last day of a period
	reasons map[string]string
}

var languages = map[string]language{
	"en": {
		tag: "en", at: "2 January 2006 at 15:04 MST", day: "2 January 2006", month: "January 2006", through: " to ",
		reasons: map[string]string{
			"refund": "Refund", "promotion": "Promotion", "compensation": "Compensation",
			"correction": "Correction", "other": "Other",
		},
	},
	"zh-CN": {
		tag: "zh-CN", at: "2006年1月2日 15:04 MST", day: "2006年1月2日", month: "2006年1月", through: "至",
		reasons: map[string]string{
			"refund": "退款", "promotion": "优惠活动", "compensation": "补偿",
			"correction": "更正", "other": "其他",
		},
	},
}

// languageOf picks the language for a tag: Chinese for "zh-CN" (or "zh"),
// in any case; English for anything else.
func languageOf(tag string) language {
	if strings.EqualFold(tag, "zh-CN") || strings.EqualFold(tag, "zh") {
		return languages["zh-CN"]
	}
	return languages["en"]
}
