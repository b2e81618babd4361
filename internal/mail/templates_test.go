package mail

import (
	"slices"
	"strings"
	"testing"
)

// Both languages define the same templates, so that no kind or part of
// the frame falls through to nothing in one of them (STYLE: both locales
// have the same keys). Compose runs each kind in TestComposeEveryKind.
func TestTemplatesSameInEveryLanguage(t *testing.T) {
	// The files' own names ("en.tmpl") and the unnamed root differ.
	defined := func(name string) bool { return name != "" && !strings.HasSuffix(name, ".tmpl") }
	names := func(tag string) (text, html []string) {
		for _, tmpl := range templates[tag].text.Templates() {
			if defined(tmpl.Name()) {
				text = append(text, tmpl.Name())
			}
		}
		for _, tmpl := range templates[tag].html.Templates() {
			if defined(tmpl.Name()) {
				html = append(html, tmpl.Name())
			}
		}
		slices.Sort(text)
		slices.Sort(html)
		return text, html
	}
	enText, enHTML := names("en")
	for _, kind := range Kinds {
		if !slices.Contains(enText, kind+".subject") || !slices.Contains(enText, kind+".body") || !slices.Contains(enHTML, kind) {
			t.Errorf("en lacks a template of %s", kind)
		}
	}
	for tag, l := range languages {
		text, html := names(tag)
		if !slices.Equal(text, enText) || !slices.Equal(html, enHTML) {
			t.Errorf("%s defines\n%v\n%v\nen defines\n%v\n%v", tag, text, html, enText, enHTML)
		}
		for _, code := range ReasonCodes {
			if l.reasons[code] == "" {
				t.Errorf("%s has no label for reason %q", tag, code)
			}
		}
		if len(l.reasons) != len(ReasonCodes) {
			t.Errorf("%s labels %d reasons, want %d", tag, len(l.reasons), len(ReasonCodes))
		}
	}
}
