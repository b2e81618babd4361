package web

import (
	"embed"
	"fmt"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// localeFiles holds every text of the UI, one message file per language
// (locales/<language>.json: a flat object from key to text, or to an
// object of plural forms). A key missing from one language fails
// TestCatalogIsComplete.
//
//go:embed locales/*.json
var localeFiles embed.FS

// languages are the UI's languages; the first is the one a missing key
// falls back to.
var languages = []string{"en", "zh-CN"}

// catalog is every language's messages, parsed once at start: a broken
// message file panics there, which the tests catch before a release.
var catalog = loadCatalog()

// messageCatalog pairs the bundle that localizes with the files it was
// loaded from, which the tests read key by key.
type messageCatalog struct {
	localizers map[string]*i18n.Localizer
	files      map[string]*i18n.MessageFile
}

func loadCatalog() *messageCatalog {
	c := &messageCatalog{localizers: map[string]*i18n.Localizer{}, files: map[string]*i18n.MessageFile{}}
	bundle := i18n.NewBundle(language.MustParse(languages[0]))
	for _, lang := range languages {
		f, err := bundle.LoadMessageFileFS(localeFiles, "locales/"+lang+".json")
		if err != nil {
			panic(fmt.Sprintf("web: message file of %s: %v", lang, err))
		}
		c.files[lang] = f
	}
	// A localizer per language, so a request only picks one; each falls
	// back to the bundle's default language for a key its own lacks.
	for _, lang := range languages {
		c.localizers[lang] = i18n.NewLocalizer(bundle, lang)
	}
	return c
}
