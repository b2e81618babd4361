package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/ledger"
	"github.com/cofferhq/coffer/internal/money"
	"github.com/cofferhq/coffer/internal/store"
)

// Operation records are stored as the store wrote them: an action code
// ("topup.approve"), an object type and id, and the object before and after
// as JSON. An operator reads them as words: this file turns a record into
// labels in the page's language, a link to the object, and the fields that
// changed, each value formatted as the rest of the console shows it.

// auditActions are the actions the store records, in the order the filter
// offers them (grouped by object). One text, split: the catalog test reads
// a quoted customer action in Go code as a message key.
var auditActions = strings.Fields(`
	customer.create customer.update customer.archive customer.rewrite_phones
	account.create account.update alert_batch.create alert_batch.undo
	topup.create topup.update voucher.create topup.cancel topup.approve topup.reject
	transaction.create hold.create hold.capture hold.release hold.expire
	approval.create approval.approve approval.reject approval.cancel
	admin.create admin.update admin.password admin.locale login login.failed logout
	token.create token.revoke
	settings.update payment_method.create payment_method.update
	webhook.create webhook.delete webhook.redeliver webhook.ping webhook.rotate_secret archive.create
	import.run statement_link.create statement_link.revoke
	promotion.create promotion.update
`)

// auditObjects are the object types of records.
var auditObjects = []string{"customer", "account", "alert_batch", "topup", "approval", "transaction", "hold", "admin", "token", "settings",
	"payment_method", "webhook", "archive", "import", "promotion"}

// auditFields are the fields of the objects in records, in the order a
// change lists them.
var auditFields = []string{
	"name", "username", "number", "type", "status", "role", "disabled", "phone", "email", "company", "default_currency",
	"customer_id", "account_id", "currency", "amount", "actual_amount", "exchange_rate", "alert_amount", "credit_limit", "overdraft",
	"overdraft_expires_at", "captured_amount", "hold_id", "transaction_id", "reason", "reference", "note", "corrects", "topup_id", "payment_method_id", "payment_account",
	"transaction_no", "payment_status", "remark", "review_remark", "archived_at", "locale",
	"scope", "matched", "changed", "undone_at",
	"retention_days", "timezone", "phone_region", "collisions", "unreadable", "direct_topup", "default_credit_limit", "enabled", "expires_at",
	"url", "events", "description", "delivery_id", "redelivery_of", "event_id", "event_type", "grace_hours",
	"voucher_id", "content_type", "size", "sha256", "version",
	"file_name", "rows", "customers_created", "customers_matched", "accounts_created", "accounts_skipped", "opening_balances",
	"cutoff", "entries", "transactions", "audit_records", "audit_first_seq", "audit_last_seq", "audit_last_hash",
	"kind", "request", "approval_thresholds", "approve_credit_changes", "hold_ttl_hours",
	"notify_low_balance", "notify_topup", "notify_adjustment", "notify_statement", "link_id", "business_name", "smtp",
	"min_amount", "bonus_fixed", "bonus_percent", "valid_from", "valid_to", "bonus_expires_in_days",
	"spend_order", "bonus", "bonus_expires_at",
}

// loginFailures are the reasons auth.Login records for a failed login.
var loginFailures = []string{"unknown username", "wrong password", "administrator disabled"}

// recordKeys are the message keys this file and the records pages build
// from values, or use in Go code (the catalog test counts them as used).
func recordKeys() []string {
	keys := []string{"audit.no", "audit.to_before_from", "reports.no_method", "common.yes", "admin.taken",
		"settings.retention_range", "settings.timezone_bad", "settings.credit_range", "settings.method_taken",
		"settings.threshold_range", "approvals.insufficient"}
	for _, a := range auditActions {
		keys = append(keys, "audit.act."+a)
	}
	for _, o := range auditObjects {
		keys = append(keys, "audit.obj."+o)
	}
	for _, f := range auditFields {
		keys = append(keys, "audit.field."+f)
	}
	for _, r := range loginFailures {
		keys = append(keys, loginFailureKey(r))
	}
	for _, e := range append(slices.Clone(ledger.WebhookEventTypes), store.PingEvent) {
		keys = append(keys, "event."+e)
	}
	for s := range tones["delivery"] {
		keys = append(keys, "delivery."+s)
	}
	for _, r := range adminRoles {
		keys = append(keys, "admin.may_"+r)
	}
	for code := range builtinMethods {
		keys = append(keys, "method."+code)
	}
	for _, o := range []ledger.SpendOrder{ledger.BonusFirst, ledger.PrincipalFirst} {
		keys = append(keys, "spendorder."+string(o))
	}
	return keys
}

func loginFailureKey(reason string) string {
	return "audit.why." + strings.ReplaceAll(reason, " ", "_")
}

// recordView is one operation record as the page shows it.
type recordView struct {
	ID         int64
	At         time.Time
	Who        string
	Role       ledger.Role // "" when the actor is no administrator (a failed login)
	Action     string      // the action's label
	Code       string      // the action's code, for a title
	Object     string      // the object type's label
	Name       string      // what names the object: a customer's name, an account's number
	Link       string      // the object's page, "" when it has none the reader may open
	Changes    []fieldChange
	ClientAddr string
}

// fieldChange is one field of a record: before and after, as shown.
type fieldChange struct {
	Label         string
	Before, After shownValue
}

// shownValue is a value as text, with a link when it names an object.
// Data marks text as it was typed or stored (a name, a note, a URL), which
// no label translates.
type shownValue struct {
	Text, Link string
	Data       bool
}

// recordContext is what labelling records needs besides the locale: who
// the administrators and payment methods are, and what the reader may open.
type recordContext struct {
	L       *locale
	Admins  map[int64]ledger.Admin
	Methods map[int64]store.PaymentMethod
	System  bool // the reader may open the system pages
}

// view labels a record.
func (c recordContext) view(r store.AuditRecord) recordView {
	v := recordView{ID: r.ID, At: r.CreatedAt, Who: r.ActorName, Code: r.Action, ClientAddr: r.ClientAddr,
		Action: c.label("audit.act.", r.Action), Object: c.label("audit.obj.", r.ObjectType)}
	if a, ok := c.Admins[r.ActorID]; ok {
		v.Role = a.Role
		if a.Name != "" && a.Name != a.Username {
			v.Who = a.Name + " (" + a.Username + ")"
		}
	}
	before, after := decodeObject(r.Before), decodeObject(r.After)
	v.Name, v.Link = c.objectName(r, before, after), c.objectLink(r)
	v.Changes = c.changes(r, before, after)
	return v
}

// label translates code under prefix; a code this version does not know
// (a record written by a newer one) shows as it is.
func (c recordContext) label(prefix, code string) string {
	if s := c.L.T(prefix + code); !strings.HasPrefix(s, "[") {
		return s
	}
	return code
}

// decodeObject reads a record's JSON object; numbers stay exact.
func decodeObject(s string) map[string]any {
	if s == "" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil {
		return nil
	}
	return m
}

// objectName is what people call the object: its name, number or URL.
func (c recordContext) objectName(r store.AuditRecord, before, after map[string]any) string {
	for _, m := range []map[string]any{after, before} {
		for _, f := range []string{"name", "username", "number", "url", "file_name"} {
			if s, ok := m[f].(string); ok && s != "" {
				return s
			}
		}
	}
	if r.ObjectType == "admin" {
		for id, a := range c.Admins {
			if itoa(id) == r.ObjectID {
				return a.Username
			}
		}
	}
	if r.ObjectID != "" {
		return "#" + r.ObjectID
	}
	return ""
}

// objectLink is the page of the record's object, if the reader may open it.
func (c recordContext) objectLink(r store.AuditRecord) string {
	id := r.ObjectID
	switch r.ObjectType {
	case "customer":
		return "/customers/" + id
	case "account":
		return "/accounts/" + id
	case "topup":
		return "/topups/" + id
	case "approval":
		return "/approvals/" + id
	case "transaction":
		return "/transactions/" + id
	case "alert_batch":
		return "/alert-batches"
	case "promotion": // every role reads the rules
		return "/promotions"
	}
	if !c.System {
		return ""
	}
	switch r.ObjectType {
	case "admin":
		return "/admins"
	case "settings", "payment_method":
		return "/settings"
	case "webhook":
		return "/webhooks?deliveries=" + id
	case "archive":
		return "/archives"
	}
	return ""
}

// changes lists the fields that differ between before and after (for a
// creation every field after, for a deletion every field before), flattening
// per-currency settings into one field per currency.
func (c recordContext) changes(r store.AuditRecord, before, after map[string]any) []fieldChange {
	before, after = flatten(before), flatten(after)
	var names []string
	for k := range after {
		names = append(names, k)
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		return fieldOrder(names[i]) < fieldOrder(names[j]) || (fieldOrder(names[i]) == fieldOrder(names[j]) && names[i] < names[j])
	})
	var out []fieldChange
	for _, k := range names {
		b, hadB := before[k]
		a, hadA := after[k]
		if hadB && hadA && fmt.Sprint(a) == fmt.Sprint(b) {
			continue
		}
		if !hadB && before == nil && isEmpty(a) {
			continue // a new object's empty fields say nothing
		}
		fc := fieldChange{Label: c.fieldLabel(k)}
		if hadB {
			fc.Before = c.value(r, k, b, before)
		}
		if hadA {
			fc.After = c.value(r, k, a, after)
		}
		out = append(out, fc)
	}
	return out
}

// flatten spreads default_credit_limit {"USD": 100} into
// "default_credit_limit.USD", so that each currency's change shows alone.
func flatten(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && k == "default_credit_limit" {
			for code, x := range sub {
				out[k+"."+code] = x
			}
			continue
		}
		out[k] = v
	}
	return out
}

func fieldOrder(name string) int {
	name, _, _ = strings.Cut(name, ".")
	if i := slices.Index(auditFields, name); i >= 0 {
		return i
	}
	return len(auditFields)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// fieldLabel is a field's name in the page's language; a per-currency
// field names its currency.
func (c recordContext) fieldLabel(name string) string {
	base, code, _ := strings.Cut(name, ".")
	label := c.label("audit.field.", base)
	if code != "" {
		label += " (" + code + ")"
	}
	return label
}

// value shows one field's value as the console shows it elsewhere: money
// in its currency, statuses and codes by their labels, times in the
// business time zone, ids as links to what they name.
func (c recordContext) value(r store.AuditRecord, field string, v any, obj map[string]any) shownValue {
	base, code, _ := strings.Cut(field, ".")
	s := fmt.Sprint(v) // a json.Number prints as written
	switch base {
	case "amount", "actual_amount", "alert_amount", "credit_limit", "overdraft", "min_amount", "bonus_fixed":
		return shownValue{Text: c.money(s, fmt.Sprint(obj["currency"]))}
	case "default_credit_limit": // minor units, per currency
		if n, ok := v.(json.Number); ok {
			if minor, err := n.Int64(); err == nil {
				return shownValue{Text: c.L.Money(minor, code)}
			}
		}
	case "status":
		if r.ObjectType == "topup" || r.ObjectType == "approval" {
			return shownValue{Text: c.label("topupstatus.", s)}
		}
		return shownValue{Text: c.label("status.", s)}
	case "payment_status", "role", "type", "scope", "spend_order":
		prefix := map[string]string{"payment_status": "paid.", "role": "role.", "type": "type.", "scope": "batchscope.", "spend_order": "spendorder."}[base]
		return shownValue{Text: c.label(prefix, s)}
	case "reason":
		if r.ObjectType == "admin" { // only a failed login gives an administrator a reason
			return shownValue{Text: c.label("", loginFailureKey(s))}
		}
		return shownValue{Text: c.label("reason.", s)}
	case "smtp":
		return shownValue{Text: smtpText(v)}
	case "disabled", "direct_topup", "enabled", "notify_low_balance", "notify_topup", "notify_adjustment", "notify_statement":
		if b, ok := v.(bool); ok && b {
			return shownValue{Text: c.L.T("common.yes")}
		}
		return shownValue{Text: c.L.T("audit.no")}
	case "bonus_percent":
		return shownValue{Text: s + "%"}
	case "overdraft_expires_at", "archived_at", "undone_at", "cutoff", "expires_at", "valid_from", "valid_to":
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return shownValue{Text: c.L.Time(t)}
		}
	case "events", "event_type":
		return shownValue{Text: c.events(v)}
	case "payment_method_id":
		if m, ok := c.Methods[toID(v)]; ok {
			return shownValue{Text: methodLabel(c.L, m)}
		}
	case "account_id", "corrects", "topup_id", "customer_id":
		return c.idLink(base, v)
	case "locale":
		return shownValue{Text: map[string]string{"en": "English", "zh-CN": "简体中文"}[s]}
	}
	if v == nil {
		return shownValue{}
	}
	return shownValue{Text: s, Data: true}
}

// money formats an amount the record holds as a decimal string.
func (c recordContext) money(s, code string) string {
	cur, err := money.LookupCurrency(code)
	if err != nil {
		return s
	}
	a, err := money.Parse(s, cur)
	if err != nil {
		return s + " " + code
	}
	return c.L.Money(a.Minor(), code)
}

// events labels an event type or a list of them.
func (c recordContext) events(v any) string {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []string
	for _, e := range list {
		out = append(out, c.label("event.", fmt.Sprint(e)))
	}
	return strings.Join(out, ", ")
}

// idLink shows an id that names another object as a link to it.
func (c recordContext) idLink(field string, v any) shownValue {
	id := toID(v)
	if id == 0 {
		return shownValue{}
	}
	path := map[string]string{"account_id": "/accounts/", "corrects": "/transactions/", "topup_id": "/topups/", "customer_id": "/customers/"}[field]
	return shownValue{Text: "#" + itoa(id), Link: path + itoa(id)}
}

// toID reads an id written as a JSON number or string.
func toID(v any) int64 {
	var id int64
	fmt.Sscan(fmt.Sprint(v), &id)
	return id
}

// smtpText shows the mail server of a settings record on one line; its
// password was never recorded.
func smtpText(v any) string {
	m, ok := v.(map[string]any)
	if !ok || fmt.Sprint(m["host"]) == "" {
		return "—"
	}
	s := fmt.Sprintf("%v:%v", m["host"], m["port"])
	if u := fmt.Sprint(m["username"]); m["username"] != nil && u != "" {
		s = u + "@" + s
	}
	if tls, _ := m["starttls"].(bool); tls {
		s += " (STARTTLS)"
	}
	return s + " · " + fmt.Sprint(m["from"])
}
