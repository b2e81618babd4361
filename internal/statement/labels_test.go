package statement

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/ledger"
)

var verb = regexp.MustCompile(`%[a-z]`)

// TestLabelsComplete: every key has every language, none empty, and the
// translations take the same format arguments in the same order.
func TestLabelsComplete(t *testing.T) {
	for key, byLang := range labels {
		en := verb.FindAllString(byLang["en"], -1)
		for _, lang := range Languages {
			text, ok := byLang[lang]
			if !ok || strings.TrimSpace(text) == "" {
				t.Errorf("label %q has no %s text", key, lang)
				continue
			}
			if got := verb.FindAllString(text, -1); !slices.Equal(got, en) {
				t.Errorf("label %q in %s has format verbs %q, English has %q", key, lang, got, en)
			}
		}
		for lang := range byLang {
			if !slices.Contains(Languages, lang) {
				t.Errorf("label %q has text for %q, which is not in Languages", key, lang)
			}
		}
	}
}

// TestLabelsForEveryLedgerType: the type labels are keyed by the ledger's
// own type names, so that a renamed type shows up here and not as an
// untranslated word on a customer's statement.
func TestLabelsForEveryLedgerType(t *testing.T) {
	want := map[ledger.TxType][2]string{
		ledger.TxTopUp:      {"Top-up", "充值"},
		ledger.TxCharge:     {"Charge", "消费"},
		ledger.TxAdjustment: {"Adjustment", "调整"},
		ledger.TxReversal:   {"Reversal", "冲正"},
	}
	for tx, w := range want {
		if got := typeLabel("en", string(tx)); got != w[0] {
			t.Errorf("typeLabel(en, %s) = %q, want %q", tx, got, w[0])
		}
		if got := typeLabel("zh-CN", string(tx)); got != w[1] {
			t.Errorf("typeLabel(zh-CN, %s) = %q, want %q", tx, got, w[1])
		}
	}
	// Unknown types are shown as they are, even when they match another key.
	for _, unknown := range []string{"hold_capture", "title", "opening", ""} {
		if got := typeLabel("zh-CN", unknown); got != unknown {
			t.Errorf("typeLabel(zh-CN, %q) = %q, want it as it is", unknown, got)
		}
	}
}

func TestHeadings(t *testing.T) {
	for _, lang := range Languages {
		for _, key := range csvColumns {
			h := heading(lang, key, "CNY")
			if strings.Contains(h, "%") || h == key {
				t.Errorf("heading(%s, %s) = %q", lang, key, h)
			}
		}
		if h := heading(lang, "col.balance", "CNY"); !strings.Contains(h, "CNY") {
			t.Errorf("balance heading %q does not name the currency", h)
		}
	}
}

func TestLanguage(t *testing.T) {
	for in, want := range map[string]string{"en": "en", "zh-CN": "zh-CN", "": "en", "fr": "en", "zh": "en", "EN": "en"} {
		if got := language(in); got != want {
			t.Errorf("language(%q) = %q, want %q", in, got, want)
		}
	}
}
