package statement

import "fmt"

// labels is every word the renderers print, by key and then language. It is
// the one table of them, so that a test can see each key has every language
// of Languages (with the same format verbs, for the keys that have some).
var labels = map[string]map[string]string{
	// Ledger transaction types (ledger.TxType) under "type.", so that no
	// type can pick up another label; then the two rows of the CSV that are
	// not movements but stand in its type column.
	"type.topup":         {"en": "Top-up", "zh-CN": "充值"},
	"type.charge":        {"en": "Charge", "zh-CN": "消费"},
	"type.adjustment":    {"en": "Adjustment", "zh-CN": "调整"},
	"type.reversal":      {"en": "Reversal", "zh-CN": "冲正"},
	"type.bonus":         {"en": "Bonus", "zh-CN": "充值赠送"},
	"type.bonus_expired": {"en": "Bonus expired", "zh-CN": "赠送过期"},
	"opening":            {"en": "Opening balance", "zh-CN": "期初余额"},
	"closing":            {"en": "Closing balance", "zh-CN": "期末余额"},

	// Column headings, of the CSV and of the PDF's table.
	"col.time":          {"en": "Date/time", "zh-CN": "日期时间"},
	"col.type":          {"en": "Type", "zh-CN": "类型"},
	"col.reference":     {"en": "Reference", "zh-CN": "参考号"},
	"col.note":          {"en": "Note", "zh-CN": "备注"},
	"col.amount":        {"en": "Amount (%s)", "zh-CN": "金额 (%s)"},
	"col.balance":       {"en": "Balance (%s)", "zh-CN": "余额 (%s)"},
	"col.bonus":         {"en": "Of which bonus (%s)", "zh-CN": "其中赠送 (%s)"},
	"col.bonus_balance": {"en": "Bonus balance (%s)", "zh-CN": "赠送余额 (%s)"},

	// The PDF's header block, summary and footer.
	"title":        {"en": "Account statement", "zh-CN": "账户对账单"},
	"customer":     {"en": "Customer", "zh-CN": "客户"},
	"customer.id":  {"en": "Customer no.", "zh-CN": "客户编号"},
	"currency":     {"en": "Currency", "zh-CN": "币种"},
	"period":       {"en": "Period", "zh-CN": "对账期间"},
	"time.zone":    {"en": "(times in %s)", "zh-CN": "（时间按 %s 时区）"},
	"credits":      {"en": "Total credits", "zh-CN": "入账合计"},
	"debits":       {"en": "Total debits", "zh-CN": "出账合计"},
	"own.money":    {"en": "Of which own money", "zh-CN": "其中本金"},
	"of.bonus":     {"en": "Of which bonus", "zh-CN": "其中赠送金额"},
	"no.movements": {"en": "No movements in this period.", "zh-CN": "本期无交易记录。"},
	"generated":    {"en": "Generated at %s", "zh-CN": "生成时间：%s"},
	"page":         {"en": "Page %d of %d", "zh-CN": "第 %d 页，共 %d 页"},
}

// label is the text of key in lang (one of Languages). A key that is not in
// the table is returned as it is, so that a missing heading shows up as its
// key rather than as nothing.
func label(lang, key string) string {
	if l, ok := labels[key][lang]; ok {
		return l
	}
	return key
}

// labelf is label with format arguments.
func labelf(lang, key string, args ...any) string {
	return fmt.Sprintf(label(lang, key), args...)
}

// typeLabel names a movement's type in lang; a type the table does not know
// is shown as it is, since the ledger may gain types before this package.
func typeLabel(lang, txType string) string {
	if l, ok := labels["type."+txType][lang]; ok {
		return l
	}
	return txType
}

// heading is the text of a column heading; the amount and balance headings
// name the currency, as the figures under them do not.
func heading(lang, key, currency string) string {
	if key == "col.amount" || key == "col.balance" || key == "col.bonus" || key == "col.bonus_balance" {
		return labelf(lang, key, currency)
	}
	return label(lang, key)
}
