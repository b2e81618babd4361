package web

import (
	"strings"
	"testing"
)

// TestSafeNext holds the redirect after login to SPEC 7: a path of this
// site, or the dashboard.
func TestSafeNext(t *testing.T) {
	for _, c := range []struct {
		name, next, want string
	}{
		{"dashboard", "/", "/"},
		{"filtered list", "/accounts?status=frozen", "/accounts?status=frozen"},
		{"page", "/accounts/12", "/accounts/12"},
		{"period", "/reports?from=2026-01-01&to=2026-12-31", "/reports?from=2026-01-01&to=2026-12-31"},
		{"encoded space in a search", "/customers?name=Ada%20Lovelace", "/customers?name=Ada%20Lovelace"},
		{"chinese search", "/customers?name=%E5%BC%A0%E4%B8%89", "/customers?name=%E5%BC%A0%E4%B8%89"},
		{"percent sign searched", "/customers?q=100%25", "/customers?q=100%25"},
		{"scheme in the query", "/customers?q=https://x", "/customers?q=https://x"},

		{"empty", "", "/"},
		{"relative", "accounts", "/"},
		{"host", "evil.example", "/"},
		{"tab", "/\t/evil.example", "/"},
		{"carriage return", "/\r/evil.example", "/"},
		{"line feed", "/\n/evil.example", "/"},
		{"crlf header", "/accounts\r\nSet-Cookie: x=1", "/"},
		{"nul", "/\x00/evil.example", "/"},
		{"del", "/accounts\x7f", "/"},
		{"encoded tab", "/%09/evil.example", "/"},
		{"encoded tab late", "/accounts?x=%09", "/"},
		{"encoded crlf", "/%0d%0a/evil.example", "/"},
		{"encoded nul", "/accounts%00", "/"},
		{"twice encoded tab", "/%2509/evil.example", "/"},
		{"encoded backslash", "/%5Cevil.example", "/"},
		{"encoded backslash lower case", "/%5cevil.example", "/"},
		{"encoded slash", "/%2F/evil.example", "/"},
		{"slash backslash", "/\\evil.example", "/"},
		{"slash backslash slash", "/\\/evil.example", "/"},
		{"backslash late", "/accounts\\x", "/"},
		{"two backslashes", "\\\\evil.example", "/"},
		{"protocol relative", "//evil.example", "/"},
		{"three slashes", "///evil.example", "/"},
		{"https", "https://evil.example", "/"},
		{"https without slashes", "https:evil.example", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"javascript mixed case", "JaVaScRiPt:alert(1)", "/"},
		{"data", "data:text/html,<script>alert(1)</script>", "/"},
		{"leading space", " /accounts", "/"},
		{"space", "/ /evil.example", "/"},
		{"no-break space", "/\u00a0/evil.example", "/"},
		{"ideographic space", "/\u3000/evil.example", "/"},
		{"line separator", "/\u2028/evil.example", "/"},
		{"zero width space", "/\u200b/evil.example", "/"},
		{"byte order mark", "/\ufeff/evil.example", "/"},
		{"encoded no-break space", "/%C2%A0/evil.example", "/"},
		{"encoded line separator", "/%E2%80%A8/evil.example", "/"},
		{"invalid utf-8", "/\xff/evil.example", "/"},
		{"encoded invalid utf-8", "/%ff/evil.example", "/"},
		{"broken escape", "/%zz", "/"},
		{"long", "/" + strings.Repeat("a", 3000), "/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := safeNext(c.next); got != c.want {
				t.Errorf("safeNext(%q) = %q, want %q", c.next, got, c.want)
			}
		})
	}
}
